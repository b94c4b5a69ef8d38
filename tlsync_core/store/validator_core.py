"""The validator base class and the wrappers: refine, check, nullable, optional, model, or.

Contracts every :class:`Validator` keeps (they are tldraw's):

* ``validate(value)`` returns ``value`` itself or raises :class:`ValidationError`; it never
  mutates ``value``. Only ``refine`` may return something else.
* ``validate_using_known_good_version(known_good, new_value)`` returns ``known_good`` itself
  when ``new_value`` is the same value (``Object.is``) or an unchanged copy (for validators
  with known-good logic: objects, arrays, dicts, unions, JSON values and their wrappers);
  otherwise it validates ``new_value`` and returns it.
* A container re-raises a member's error one level further out: an error raised by something
  other than a validator becomes a :class:`ValidationError` whose message is JavaScript's
  ``String(error)``, ``Name: message``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final, Generic, TypeGuard, TypeVar, overload

from .jsvalue import UNDEFINED, Undefined, same_value
from .validation_errors import PathItem, ValidationError

try:
    # this module and the validators are compiled by mypyc (setup.py), which reads the decorator
    # from the source: the public validator classes stay open to subclasses in plain Python
    from mypy_extensions import mypyc_attr as mypyc_attr  # noqa: PLC0414 - for the validators
except ImportError:  # plain Python without mypy_extensions (it comes with the build tools)

    def mypyc_attr(*attrs: str, **kwattrs: object) -> Callable[[Any], Any]:  # type: ignore[misc]
        """``mypy_extensions.mypyc_attr``: a class decorator that changes nothing."""
        return lambda cls: cls


__all__ = ["FunctionValidator", "Validator", "model", "nullable", "optional", "or_"]

_T = TypeVar("_T")
_U = TypeVar("_U")

SAME_VALUE_MESSAGE: Final = "Validator functions must return the same value they were passed"


def prefixed_error(item: PathItem | object, err: Exception) -> ValidationError:
    """tldraw's ``rethrowPrefixed``: the error one level out; a foreign exception becomes a
    validation error whose message is JavaScript's ``String(error)`` (``Name: message``).

    Raise it ``from error_cause(err)``: its ``__cause__`` is set to that already, for mypyc
    (which compiles the validators) ignores ``raise … from``."""
    step: PathItem = item if isinstance(item, (str, int)) else str(item)
    if isinstance(err, ValidationError):
        error = err.prefixed(step)
    else:
        text = str(err)
        name = type(err).__name__
        error = ValidationError(f"{name}: {text}" if text else name, (step,))
    error.__cause__ = error_cause(err)  # and so __suppress_context__, as `from` does
    return error


def is_same_value(a: object, b: object) -> bool:
    """:func:`~.jsvalue.same_value` (``Object.is``), quicker for two ``str`` or two ``float``:
    known-good validation asks it for every member."""
    if a is b:
        return True
    if type(a) is str and type(b) is str:
        return a == b
    if type(a) is float and type(b) is float:
        if a == b:
            return a != 0 or math.copysign(1.0, a) == math.copysign(1.0, b)
        return math.isnan(a) and math.isnan(b)
    return same_value(a, b)


def check_same_value(value: object, result: _T) -> _T:
    """tldraw's development check that a validator handed back the value it was given."""
    if result is not value and not is_same_value(value, result):
        raise ValidationError(SAME_VALUE_MESSAGE)
    return result


def is_object(value: object) -> bool:
    """``typeof value === 'object' && value !== null`` restricted to JSON containers."""
    # a tuple of types, here and in the other validator modules: compiled, that is a type check,
    # while `dict | list` builds a union object at every call
    return isinstance(value, (dict, list))


# compiled: open to subclasses in plain Python, and (serializable) copied and pickled as
# plain Python objects are, for every validator class
@mypyc_attr(allow_interpreted_subclasses=True, serializable=True)
class Validator(Generic[_T]):
    """Validates a value and returns it unchanged, or raises :class:`ValidationError`.

    Subclasses implement :meth:`validate` and may override :meth:`_validate_changed` to reuse a
    known-good value. Validators are immutable and safe to share.
    """

    __slots__ = ()

    def validate(self, value: object) -> _T:
        """Return ``value`` itself if it is valid; raise :class:`ValidationError` otherwise."""
        raise NotImplementedError

    def validate_using_known_good_version(self, known_good: _T, new_value: object) -> _T:
        """Validate ``new_value`` against ``known_good`` (a value this validator accepted).

        Returns ``known_good`` itself when ``new_value`` is the same value (``Object.is``) or,
        for containers, structurally unchanged (see the module docstring); otherwise returns
        ``new_value`` once it is validated. Raises :class:`ValidationError` like
        :meth:`validate`.
        """
        if known_good is new_value or is_same_value(known_good, new_value):
            return known_good
        return self._validate_changed(known_good, new_value)

    def _validate_changed(self, known_good: _T, new_value: object) -> _T:
        """The known-good path once ``new_value`` is known not to be ``known_good``."""
        return self.validate(new_value)

    def is_valid(self, value: object) -> TypeGuard[_T]:
        """Whether :meth:`validate` accepts ``value`` (any exception counts as a rejection)."""
        try:
            self.validate(value)
        except Exception:
            return False
        return True

    def nullable(self) -> Validator[_T | None]:
        """This validator, also accepting ``None`` (JSON ``null``)."""
        return nullable(self)

    def optional(self) -> Validator[_T | Undefined]:
        """This validator, also accepting ``undefined``: in an object, the key may be absent.
        ``None`` is still rejected (use :meth:`nullable`)."""
        return optional(self)

    def refine(self, fn: Callable[[_T], _U]) -> Validator[_U]:
        """Validate, then pass the value to ``fn`` and return what it returns. ``fn`` may raise
        :class:`ValidationError`; unlike other validators the result may be a new value."""
        return _RefineValidator(self, fn)

    @overload
    def check(self, fn: Callable[[_T], object], /) -> Validator[_T]: ...

    @overload
    def check(self, name: str, fn: Callable[[_T], object], /) -> Validator[_T]: ...

    def check(
        self, name_or_fn: str | Callable[[_T], object], fn: Callable[[_T], object] | None = None, /
    ) -> Validator[_T]:
        """Validate, then run ``fn(value)``, which raises to reject; returns the value.

        With a ``name``, failures are located at ``(check name)``, as in
        ``At x (check finite): …`` (printed ``x(check finite)``).
        """
        if isinstance(name_or_fn, str):
            assert fn is not None, "check(name, fn) needs a function"
            return _RefineValidator(self, _NamedCheck(f"(check {name_or_fn})", fn))
        return _RefineValidator(self, _Check(name_or_fn))


@mypyc_attr(serializable=True)
class _Check(Generic[_T]):
    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[_T], object]) -> None:
        self.fn = fn

    def __call__(self, value: _T) -> _T:
        self.fn(value)
        return value


@mypyc_attr(serializable=True)
class _NamedCheck(Generic[_T]):
    __slots__ = ("fn", "label")

    def __init__(self, label: str, fn: Callable[[_T], object]) -> None:
        self.label = label
        self.fn = fn

    def __call__(self, value: _T) -> _T:
        try:
            self.fn(value)
        except Exception as err:
            raise prefixed_error(self.label, err) from error_cause(err)
        return value


@mypyc_attr(allow_interpreted_subclasses=True)
class FunctionValidator(Validator[_T]):
    """A validator from a function, like tldraw's ``new Validator(fn, knownGoodFn)``.

    ``fn(value)`` must return ``value`` itself or raise; returning anything else raises
    "Validator functions must return the same value they were passed" (unless
    ``skip_same_value_check``). ``known_good_fn(known_good, new_value)``, if given, is called
    when ``new_value`` is not ``known_good``.
    """

    __slots__ = ("_fn", "_known_good_fn", "_skip_same_value_check")

    def __init__(
        self,
        fn: Callable[[object], _T],
        known_good_fn: Callable[[_T, object], _T] | None = None,
        *,
        skip_same_value_check: bool = False,
    ) -> None:
        self._fn = fn
        self._known_good_fn = known_good_fn
        self._skip_same_value_check = skip_same_value_check

    def validate(self, value: object) -> _T:
        result = self._fn(value)
        if self._skip_same_value_check:
            return result
        return check_same_value(value, result)

    def _validate_changed(self, known_good: _T, new_value: object) -> _T:
        if self._known_good_fn is not None:
            return self._known_good_fn(known_good, new_value)
        return self.validate(new_value)


class _RefineValidator(Validator[_U], Generic[_T, _U]):
    __slots__ = ("_base", "_fn")

    def __init__(self, base: Validator[_T], fn: Callable[[_T], _U]) -> None:
        self._base = base
        self._fn = fn

    def validate(self, value: object) -> _U:
        return self._fn(self._base.validate(value))

    def _validate_changed(self, known_good: _U, new_value: object) -> _U:
        validated = self._base.validate_using_known_good_version(known_good, new_value)  # type: ignore[arg-type]
        if validated is known_good or is_same_value(known_good, validated):
            return known_good
        return self._fn(validated)


class _NullableValidator(Validator[_T | None]):
    __slots__ = ("_inner",)

    def __init__(self, inner: Validator[_T]) -> None:
        self._inner = inner

    def validate(self, value: object) -> _T | None:
        if value is None:
            return None
        return self._inner.validate(value)

    def _validate_changed(self, known_good: _T | None, new_value: object) -> _T | None:
        if new_value is None:
            return None
        if known_good is not None:
            return self._inner.validate_using_known_good_version(known_good, new_value)
        return self._inner.validate(new_value)


class _OptionalValidator(Validator[_T | Undefined]):
    __slots__ = ("_inner",)

    def __init__(self, inner: Validator[_T]) -> None:
        self._inner = inner

    def validate(self, value: object) -> _T | Undefined:
        if value is UNDEFINED:
            return UNDEFINED
        return self._inner.validate(value)

    def _validate_changed(self, known_good: _T | Undefined, new_value: object) -> _T | Undefined:
        if new_value is UNDEFINED:
            return UNDEFINED
        if known_good is not UNDEFINED:
            return self._inner.validate_using_known_good_version(known_good, new_value)
        return self._inner.validate(new_value)


class _ModelValidator(Validator[_T]):
    __slots__ = ("_inner", "name")

    def __init__(self, name: str, inner: Validator[_T]) -> None:
        self.name = name
        self._inner = inner

    def validate(self, value: object) -> _T:
        try:
            result = self._inner.validate(value)
        except Exception as err:
            raise prefixed_error(self.name, err) from error_cause(err)
        return check_same_value(value, result)

    def _validate_changed(self, known_good: _T, new_value: object) -> _T:
        try:
            return self._inner.validate_using_known_good_version(known_good, new_value)
        except Exception as err:
            raise prefixed_error(self.name, err) from error_cause(err)


def error_cause(err: Exception) -> Exception | None:
    """The ``__cause__`` for a re-raised error: none for a validation error (its path says
    where), the original exception for anything else."""
    return None if isinstance(err, ValidationError) else err


class _OrValidator(Validator[_T | _U]):
    __slots__ = ("_first", "_second")

    def __init__(self, first: Validator[_T], second: Validator[_U]) -> None:
        self._first = first
        self._second = second

    def validate(self, value: object) -> _T | _U:
        result: _T | _U
        try:
            result = self._first.validate(value)
        except Exception:
            result = self._second.validate(value)
        return check_same_value(value, result)


def nullable(validator: Validator[_T]) -> Validator[_T | None]:
    """``validator``, also accepting ``None``."""
    return _NullableValidator(validator)


def optional(validator: Validator[_T]) -> Validator[_T | Undefined]:
    """``validator``, also accepting ``undefined`` (an absent key); not ``None``."""
    return _OptionalValidator(validator)


def model(name: str, validator: Validator[_T]) -> Validator[_T]:
    """``validator``, with errors located under ``name``: ``At shape(type = geo).props.w``."""
    return _ModelValidator(name, validator)


def or_(first: Validator[_T], second: Validator[_U]) -> Validator[_T | _U]:
    """``first``, or if it rejects, ``second`` (whose error is the one raised)."""
    return _OrValidator(first, second)
