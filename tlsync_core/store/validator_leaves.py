"""The leaf validators: anything, strings, booleans, numbers, literals, enums, untyped arrays
and objects, URLs and index keys.

Numbers are JavaScript numbers: an ``int`` or a ``float``, never a ``bool``; an ``int`` too large
for a double is infinite. Messages print numbers as JavaScript does (``1e+21``, ``-0`` as ``0``).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any, Final, TypeVar

from .index_keys import is_valid_index_key
from .jsvalue import (
    UNDEFINED,
    json_quote,
    json_stringify,
    number_to_string,
    same_value,
    same_value_zero,
    strict_equals,
    to_js_number,
    to_string,
    type_to_string,
)
from .url_parsing import parse_url_protocol
from .validation_errors import ValidationError
from .validator_core import SAME_VALUE_MESSAGE, Validator, is_object, is_same_value, mypyc_attr

__all__ = [
    "any_",
    "array",
    "boolean",
    "http_url",
    "index_key",
    "integer",
    "link_url",
    "literal",
    "literal_enum",
    "non_zero_finite_number",
    "non_zero_integer",
    "non_zero_number",
    "number",
    "positive_integer",
    "positive_number",
    "set_enum",
    "src_url",
    "string",
    "unit_interval",
    "unknown",
    "unknown_object",
]

_T = TypeVar("_T")


class _AnythingValidator(Validator[_T]):
    __slots__ = ()

    def validate(self, value: object) -> _T:
        return value  # type: ignore[return-value]


class _StringValidator(Validator[str]):
    """``typeof value === "string"``."""

    __slots__ = ()

    def validate(self, value: object) -> str:
        if isinstance(value, str):
            return value
        raise ValidationError(f"Expected string, got {type_to_string(value)}")


class _BooleanValidator(Validator[bool]):
    """``typeof value === "boolean"``."""

    __slots__ = ()

    def validate(self, value: object) -> bool:
        if value is True or value is False:
            return value
        raise ValidationError(f"Expected boolean, got {type_to_string(value)}")


_INT_FITS: Final = 2**1023

# what a number validator accepts, besides being a finite JavaScript number
_FINITE: Final = 0
_POSITIVE: Final = 1  # >= 0
_NON_ZERO: Final = 2  # > 0
_NON_ZERO_FINITE: Final = 3  # != 0
_UNIT_INTERVAL: Final = 4  # in [0, 1]
_INTEGER: Final = 5
_POSITIVE_INTEGER: Final = 6  # >= 0
_NON_ZERO_INTEGER: Final = 7  # > 0


def _number_error(value: object) -> ValidationError:
    return ValidationError(f"Expected number, got {type_to_string(value)}")


def _accepts(kind: int, x: float) -> bool:
    """Whether the double ``x`` passes the number validator of ``kind``."""
    if not math.isfinite(x):
        return False
    if kind == _FINITE:
        return True
    if kind == _POSITIVE:
        return x >= 0
    if kind == _NON_ZERO:
        return x > 0
    if kind == _NON_ZERO_FINITE:
        return x != 0
    if kind == _UNIT_INTERVAL:
        return 0 <= x <= 1
    if not x.is_integer():
        return False
    if kind == _POSITIVE_INTEGER:
        return x >= 0
    if kind == _NON_ZERO_INTEGER:
        return x > 0
    return True


def _reject(kind: int, x: int | float) -> str:
    """The message for a number ``x`` (not NaN) that the validator of ``kind`` rejects."""
    if kind == _POSITIVE:
        return _reject_positive_number(x)
    if kind == _NON_ZERO:
        return _reject_non_zero_number(x)
    if kind == _NON_ZERO_FINITE:
        return _reject_non_zero_finite(x)
    if kind == _UNIT_INTERVAL:
        return f"Expected a number between 0 and 1, got {number_to_string(x)}"
    if kind == _INTEGER:
        return _reject_integer(x)
    if kind == _POSITIVE_INTEGER:
        return _reject_positive_integer(x)
    if kind == _NON_ZERO_INTEGER:
        return _reject_non_zero_integer(x)
    return _finite_error(x)


def _number_accepted(kind: int, value: object) -> bool:
    """Whether ``value`` is a JavaScript number that the validator of ``kind`` accepts."""
    if isinstance(value, float):
        return _accepts(kind, value)
    if isinstance(value, int) and not isinstance(value, bool):
        if -_INT_FITS < value < _INT_FITS:
            # such an int converts to a double close enough for every check
            return _accepts(kind, float(value))
        return _accepts(kind, to_js_number(value))
    return False


def _number_rejection(kind: int, value: object) -> ValidationError:
    """The error for ``value``, which the number validator of ``kind`` does not accept."""
    x: int | float
    if isinstance(value, float):
        x = value
    elif isinstance(value, int) and not isinstance(value, bool):
        x = value if -_INT_FITS < value < _INT_FITS else to_js_number(value)
    else:
        return _number_error(value)
    if math.isnan(x):
        return ValidationError("Expected a number, got NaN")
    return ValidationError(_reject(kind, x))


class _NumberValidator(Validator[float]):
    """A JavaScript number (``int`` or ``float``, never ``bool``) that ``_accepts(kind, x)``,
    ``x`` the double JavaScript sees; else the shared errors (not a number, NaN) then
    ``_reject(kind, x)``'s message."""

    __slots__ = ("_kind",)

    def __init__(self, kind: int) -> None:
        self._kind = kind

    # `value` is never narrowed here: compiled, a narrowed value is returned as a new object
    # (an int as a float, if the result were typed float)
    def validate(self, value: object) -> Any:
        if _number_accepted(self._kind, value):
            return value
        raise _number_rejection(self._kind, value)


def _finite_error(x: int | float) -> str:
    return f"Expected a finite number, got {number_to_string(x)}"


def _reject_positive_number(x: int | float) -> str:
    return f"Expected a positive number, got {number_to_string(x)}" if x < 0 else _finite_error(x)


def _reject_non_zero_number(x: int | float) -> str:
    if x <= 0:
        return f"Expected a non-zero positive number, got {number_to_string(x)}"
    return _finite_error(x)


def _reject_non_zero_finite(x: int | float) -> str:
    return "Expected a non-zero number, got 0" if x == 0 else _finite_error(x)


def _reject_integer(x: int | float) -> str:
    if not math.isfinite(x):
        return _finite_error(x)
    return f"Expected an integer, got {number_to_string(x)}"


def _reject_positive_integer(x: int | float) -> str:
    if not math.isfinite(x):
        return _finite_error(x)
    if x < 0:
        return f"Expected a positive integer, got {number_to_string(x)}"
    return f"Expected an integer, got {number_to_string(x)}"


def _reject_non_zero_integer(x: int | float) -> str:
    if not math.isfinite(x):
        return _finite_error(x)
    if x <= 0:
        return f"Expected a non-zero positive integer, got {number_to_string(x)}"
    return f"Expected an integer, got {number_to_string(x)}"


class _LiteralValidator(Validator[_T]):
    __slots__ = ("_expected", "_is_string")

    def __init__(self, expected: _T) -> None:
        self._expected = expected
        # for a string, === and Object.is agree: one is_same_value() decides
        self._is_string = isinstance(expected, str)

    def validate(self, value: object) -> _T:
        if self._is_string and is_same_value(value, self._expected):
            return value  # type: ignore[return-value]
        if not strict_equals(value, self._expected):
            got = json_stringify(value)
            raise ValidationError(
                f"Expected {to_string(self._expected)}, got {'undefined' if got is None else got}"
            )
        if not same_value(value, self._expected):  # only ±0 gets here: the dev-mode check
            raise ValidationError(SAME_VALUE_MESSAGE)
        return value  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"literal({self._expected!r})"


def _enum_key(value: object) -> tuple[object, ...] | None:
    """A hashable key under which SameValueZero-equal primitives coincide (else ``None``)."""
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, (int, float)):
        x = to_js_number(value)
        return ("number", "NaN" if math.isnan(x) else x + 0.0)
    if isinstance(value, str):
        return ("string", str.__str__(value))
    if value is None or value is UNDEFINED:
        return (value,)
    return None


class _EnumValidator(Validator[_T]):
    """tldraw's ``setEnum``: membership by SameValueZero."""

    __slots__ = ("_keys", "_message_prefix", "_others")

    def __init__(self, values: Collection[_T]) -> None:
        keys: set[tuple[object, ...]] = set()
        shown: list[str] = []
        others: list[object] = []
        for value in values:
            key = _enum_key(value)
            if key is None:
                if any(same_value_zero(value, other) for other in others):
                    continue
                others.append(value)
            elif key in keys:
                continue
            else:
                keys.add(key)
            shown.append(json_stringify(value) or "undefined")
        self._keys = frozenset(keys)
        self._others = tuple(others)
        self._message_prefix = f"Expected {' or '.join(shown)}, got "

    def validate(self, value: object) -> _T:
        key = _enum_key(value)
        if key is not None:
            if key in self._keys:
                return value  # type: ignore[return-value]
        elif any(value is other for other in self._others):
            return value  # type: ignore[return-value]
        try:
            shown = to_string(value)
        except TypeError as err:
            # tldraw throws JavaScript's TypeError here; we keep to our contract and raise a
            # ValidationError whose message is that error's String(): same text once located
            error = ValidationError(f"TypeError: {err}")
            error.__cause__ = None  # as `from None` does: compiled, mypyc ignores `from`
            raise error from None
        raise ValidationError(self._message_prefix + shown)


class _ArrayValidator(Validator[list[Any]]):
    __slots__ = ()

    def validate(self, value: object) -> list[Any]:
        if isinstance(value, list):
            return value
        raise ValidationError(f"Expected an array, got {type_to_string(value)}")


class _UnknownObjectValidator(Validator[dict[str, Any]]):
    __slots__ = ()

    def validate(self, value: object) -> Any:  # Any: a list too (compiled, dict is checked)
        if is_object(value):
            return value
        raise ValidationError(f"Expected object, got {type_to_string(value)}")


# a class, not a closure: compiled, a closure could not be copied
@mypyc_attr(serializable=True)
class _UrlCheck:
    """The check of a URL validator: ``""``, or a URL with one of ``protocols``."""

    __slots__ = ("_protocols",)

    def __init__(self, protocols: frozenset[str]) -> None:
        self._protocols = protocols

    def __call__(self, value: str) -> None:
        if value == "":
            return
        protocol = parse_url_protocol(value)
        if protocol is None and (value.startswith("/") or value.startswith("./")):
            protocol = parse_url_protocol(value, relative_to_http=True)
        if protocol is None:
            raise ValidationError(f"Expected a valid url, got {json_quote(value)}")
        if protocol not in self._protocols:
            raise ValidationError(
                f"Expected a valid url, got {json_quote(value)} (invalid protocol)"
            )


def _check_index_key(key: str) -> str:
    if not is_valid_index_key(key):
        raise ValidationError(f"Expected an index key, got {json_quote(key)}")
    return key


unknown: Final[Validator[object]] = _AnythingValidator()
"""Accepts anything (``T.unknown``)."""

any_: Final[Validator[Any]] = _AnythingValidator()
"""Accepts anything, typed ``Any`` (``T.any``)."""

string: Final[Validator[str]] = _StringValidator()
"""A ``str``: ``Expected string, got a number``."""

boolean: Final[Validator[bool]] = _BooleanValidator()
"""A ``bool``: ``Expected boolean, got a string``."""

number: Final[Validator[float]] = _NumberValidator(_FINITE)
"""A finite number (``int`` or ``float``, not ``bool``): ``Expected number, got a boolean``,
``Expected a number, got NaN``, ``Expected a finite number, got Infinity``."""

positive_number: Final[Validator[float]] = _NumberValidator(_POSITIVE)
"""A finite number ≥ 0 (zero is accepted, as in tldraw)."""

non_zero_number: Final[Validator[float]] = _NumberValidator(_NON_ZERO)
"""A finite number > 0 (tldraw's ``nonZeroNumber``: positive, not merely non-zero)."""

non_zero_finite_number: Final[Validator[float]] = _NumberValidator(_NON_ZERO_FINITE)
"""A finite number ≠ 0, negative allowed."""

unit_interval: Final[Validator[float]] = _NumberValidator(_UNIT_INTERVAL)
"""A number in [0, 1]."""

integer: Final[Validator[float]] = _NumberValidator(_INTEGER)
"""An integral number (``Number.isInteger``): an ``int``, or a ``float`` such as ``3.0``."""

positive_integer: Final[Validator[float]] = _NumberValidator(_POSITIVE_INTEGER)
"""An integral number ≥ 0."""

non_zero_integer: Final[Validator[float]] = _NumberValidator(_NON_ZERO_INTEGER)
"""An integral number > 0."""

array: Final[Validator[list[Any]]] = _ArrayValidator()
"""A list, items unchecked: ``Expected an array, got an object``."""

unknown_object: Final[Validator[dict[str, Any]]] = _UnknownObjectValidator()
"""A dict (or, as in JavaScript, a list), members unchecked."""

link_url: Final[Validator[str]] = string.check(_UrlCheck(frozenset({"http:", "https:", "mailto:"})))
"""``""`` or a URL a user may follow: ``http:``, ``https:`` or ``mailto:``."""

src_url: Final[Validator[str]] = string.check(
    _UrlCheck(frozenset({"http:", "https:", "data:", "asset:"}))
)
"""``""`` or an asset source URL: ``http:``, ``https:``, ``data:`` or ``asset:``."""

http_url: Final[Validator[str]] = string.check(_UrlCheck(frozenset({"http:", "https:"})))
"""``""`` or an ``http:`` / ``https:`` URL."""

index_key: Final[Validator[str]] = string.refine(_check_index_key)
"""A fractional index key (see :mod:`tlsync_core.store.index_keys`)."""


def literal(expected: _T) -> Validator[_T]:
    """Exactly ``expected`` (a ``str``, number or ``bool``), compared with ``===``:
    ``Expected circle, got "square"``."""
    return _LiteralValidator(expected)


def literal_enum(*values: _T) -> Validator[_T]:
    """One of ``values`` (by SameValueZero): ``Expected "light" or "dark", got blue``."""
    return _EnumValidator(values)


def set_enum(values: Collection[_T]) -> Validator[_T]:
    """One of ``values``, like :func:`literal_enum` (tldraw's ``setEnum``)."""
    return _EnumValidator(values)
