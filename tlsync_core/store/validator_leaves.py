"""The leaf validators: anything, strings, booleans, numbers, literals, enums, untyped arrays
and objects, URLs and index keys.

Numbers are JavaScript numbers: an ``int`` or a ``float``, never a ``bool``; an ``int`` too large
for a double is infinite. Messages print numbers as JavaScript does (``1e+21``, ``-0`` as ``0``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
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
from .validator_core import SAME_VALUE_MESSAGE, Validator, is_object

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


class _TypeofValidator(Validator[_T]):
    """``typeof value === name`` (strings and booleans)."""

    __slots__ = ("_name", "_type")

    def __init__(self, name: str, python_type: type) -> None:
        self._name = name
        self._type = python_type

    def validate(self, value: object) -> _T:
        if isinstance(value, self._type):
            return value  # type: ignore[return-value]
        raise ValidationError(f"Expected {self._name}, got {type_to_string(value)}")


_INT_FITS: Final = 2**1023


def _number_error(value: object) -> ValidationError:
    return ValidationError(f"Expected number, got {type_to_string(value)}")


class _NumberValidator(Validator[float]):
    """A JavaScript number (``int`` or ``float``, never ``bool``) that ``accepts``; else the
    shared errors (not a number, NaN) then ``reject(x)``'s message, ``x`` the double seen."""

    __slots__ = ("_accepts", "_reject")

    def __init__(self, accepts: Callable[[float], bool], reject: Callable[[float], str]) -> None:
        self._accepts = accepts
        self._reject = reject

    def validate(self, value: object) -> float:
        x: float
        if isinstance(value, float):
            x = value
        elif isinstance(value, int) and not isinstance(value, bool):
            x = value if -_INT_FITS < value < _INT_FITS else to_js_number(value)
        else:
            raise _number_error(value)
        if self._accepts(x):
            return value
        if math.isnan(x):
            raise ValidationError("Expected a number, got NaN")
        raise ValidationError(self._reject(x))


def _is_integral(x: float) -> bool:
    return isinstance(x, int) or x.is_integer()


def _finite_error(x: float) -> str:
    return f"Expected a finite number, got {number_to_string(x)}"


def _reject_positive_number(x: float) -> str:
    return f"Expected a positive number, got {number_to_string(x)}" if x < 0 else _finite_error(x)


def _reject_non_zero_number(x: float) -> str:
    if x <= 0:
        return f"Expected a non-zero positive number, got {number_to_string(x)}"
    return _finite_error(x)


def _reject_non_zero_finite(x: float) -> str:
    return "Expected a non-zero number, got 0" if x == 0 else _finite_error(x)


def _reject_integer(x: float) -> str:
    if not math.isfinite(x):
        return _finite_error(x)
    return f"Expected an integer, got {number_to_string(x)}"


def _reject_positive_integer(x: float) -> str:
    if not math.isfinite(x):
        return _finite_error(x)
    if x < 0:
        return f"Expected a positive integer, got {number_to_string(x)}"
    return f"Expected an integer, got {number_to_string(x)}"


def _reject_non_zero_integer(x: float) -> str:
    if not math.isfinite(x):
        return _finite_error(x)
    if x <= 0:
        return f"Expected a non-zero positive integer, got {number_to_string(x)}"
    return f"Expected an integer, got {number_to_string(x)}"


class _LiteralValidator(Validator[_T]):
    __slots__ = ("_expected",)

    def __init__(self, expected: _T) -> None:
        self._expected = expected

    def validate(self, value: object) -> _T:
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
    if isinstance(value, int | float):
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
            raise ValidationError(f"TypeError: {err}") from None
        raise ValidationError(self._message_prefix + shown)


class _ArrayValidator(Validator[list[Any]]):
    __slots__ = ()

    def validate(self, value: object) -> list[Any]:
        if isinstance(value, list):
            return value
        raise ValidationError(f"Expected an array, got {type_to_string(value)}")


class _UnknownObjectValidator(Validator[dict[str, Any]]):
    __slots__ = ()

    def validate(self, value: object) -> dict[str, Any]:
        if is_object(value):
            return value  # type: ignore[return-value]
        raise ValidationError(f"Expected object, got {type_to_string(value)}")


def _url_check(protocols: frozenset[str]) -> Callable[[str], None]:
    def check(value: str) -> None:
        if value == "":
            return
        protocol = parse_url_protocol(value)
        if protocol is None and (value.startswith("/") or value.startswith("./")):
            protocol = parse_url_protocol(value, relative_to_http=True)
        if protocol is None:
            raise ValidationError(f"Expected a valid url, got {json_quote(value)}")
        if protocol not in protocols:
            raise ValidationError(
                f"Expected a valid url, got {json_quote(value)} (invalid protocol)"
            )

    return check


def _check_index_key(key: str) -> str:
    if not is_valid_index_key(key):
        raise ValidationError(f"Expected an index key, got {json_quote(key)}")
    return key


unknown: Final[Validator[object]] = _AnythingValidator()
"""Accepts anything (``T.unknown``)."""

any_: Final[Validator[Any]] = _AnythingValidator()
"""Accepts anything, typed ``Any`` (``T.any``)."""

string: Final[Validator[str]] = _TypeofValidator("string", str)
"""A ``str``: ``Expected string, got a number``."""

boolean: Final[Validator[bool]] = _TypeofValidator("boolean", bool)
"""A ``bool``: ``Expected boolean, got a string``."""

number: Final[Validator[float]] = _NumberValidator(math.isfinite, _finite_error)
"""A finite number (``int`` or ``float``, not ``bool``): ``Expected number, got a boolean``,
``Expected a number, got NaN``, ``Expected a finite number, got Infinity``."""

positive_number: Final[Validator[float]] = _NumberValidator(
    lambda x: math.isfinite(x) and x >= 0, _reject_positive_number
)
"""A finite number ≥ 0 (zero is accepted, as in tldraw)."""

non_zero_number: Final[Validator[float]] = _NumberValidator(
    lambda x: math.isfinite(x) and x > 0, _reject_non_zero_number
)
"""A finite number > 0 (tldraw's ``nonZeroNumber``: positive, not merely non-zero)."""

non_zero_finite_number: Final[Validator[float]] = _NumberValidator(
    lambda x: math.isfinite(x) and x != 0, _reject_non_zero_finite
)
"""A finite number ≠ 0, negative allowed."""

unit_interval: Final[Validator[float]] = _NumberValidator(
    lambda x: math.isfinite(x) and 0 <= x <= 1,
    lambda x: f"Expected a number between 0 and 1, got {number_to_string(x)}",
)
"""A number in [0, 1]."""

integer: Final[Validator[float]] = _NumberValidator(
    lambda x: math.isfinite(x) and _is_integral(x), _reject_integer
)
"""An integral number (``Number.isInteger``): an ``int``, or a ``float`` such as ``3.0``."""

positive_integer: Final[Validator[float]] = _NumberValidator(
    lambda x: math.isfinite(x) and _is_integral(x) and x >= 0, _reject_positive_integer
)
"""An integral number ≥ 0."""

non_zero_integer: Final[Validator[float]] = _NumberValidator(
    lambda x: math.isfinite(x) and _is_integral(x) and x > 0, _reject_non_zero_integer
)
"""An integral number > 0."""

array: Final[Validator[list[Any]]] = _ArrayValidator()
"""A list, items unchecked: ``Expected an array, got an object``."""

unknown_object: Final[Validator[dict[str, Any]]] = _UnknownObjectValidator()
"""A dict (or, as in JavaScript, a list), members unchecked."""

link_url: Final[Validator[str]] = string.check(
    _url_check(frozenset({"http:", "https:", "mailto:"}))
)
"""``""`` or a URL a user may follow: ``http:``, ``https:`` or ``mailto:``."""

src_url: Final[Validator[str]] = string.check(
    _url_check(frozenset({"http:", "https:", "data:", "asset:"}))
)
"""``""`` or an asset source URL: ``http:``, ``https:``, ``data:`` or ``asset:``."""

http_url: Final[Validator[str]] = string.check(_url_check(frozenset({"http:", "https:"})))
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
