"""The container validators: arrays of, objects, dicts, discriminated unions and JSON values.

Keys are visited in JavaScript's order (integer-like keys first, ascending, then insertion
order), so that when several members are invalid the one reported is the one tldraw reports.
A list is an object too, as in JavaScript: ``T.object`` and ``T.dict`` see its indexes (as
strings) and ``T.object`` also its ``length``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, TypeAlias, TypeVar

from .jsvalue import (
    UNDEFINED,
    get_own,
    has_own,
    is_array_index,
    json_quote,
    own_keys,
    strict_equals,
    type_to_string,
    typeof,
)
from .validation_errors import PathItem, ValidationError
from .validator_core import (
    Validator,
    check_same_value,
    error_cause,
    is_object,
    is_same_value,
    mypyc_attr,
    prefixed_error,
)
from .validator_leaves import string

__all__ = [
    "ArrayOfValidator",
    "DictValidator",
    "JsonValue",
    "ObjectValidator",
    "UnionValidator",
    "array_of",
    "dict_",
    "json_dict",
    "json_value",
    "object_",
    "union",
]

_T = TypeVar("_T")
_U = TypeVar("_U")
_V = TypeVar("_V")

JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"


@mypyc_attr(allow_interpreted_subclasses=True)
class ArrayOfValidator(Validator[list[_T]]):
    """A list whose items all pass ``item_validator`` (errors located at the item's index)."""

    __slots__ = ("item_validator",)

    def __init__(self, item_validator: Validator[_T]) -> None:
        self.item_validator = item_validator

    def validate(self, value: object) -> list[_T]:
        if not isinstance(value, list):
            raise ValidationError(f"Expected an array, got {type_to_string(value)}")
        item_validator = self.item_validator
        for index, item in enumerate(value):
            try:
                item_validator.validate(item)
            except Exception as err:
                raise prefixed_error(index, err) from error_cause(err)
        return value

    def _validate_changed(self, known_good: list[_T], new_value: object) -> list[_T]:
        if not isinstance(new_value, list):
            raise ValidationError(f"Expected an array, got {type_to_string(new_value)}")
        item_validator = self.item_validator
        known_length = len(known_good)
        is_different = known_length != len(new_value)
        for index, item in enumerate(new_value):
            try:
                if index >= known_length:
                    is_different = True
                    item_validator.validate(item)
                    continue
                previous = known_good[index]
                if previous is item or is_same_value(previous, item):
                    continue
                checked = item_validator._validate_changed(previous, item)
            except Exception as err:
                raise prefixed_error(index, err) from error_cause(err)
            if checked is not previous and not is_same_value(checked, previous):
                is_different = True
        return new_value if is_different else known_good

    def non_empty(self) -> Validator[list[_T]]:
        """This validator, also rejecting an empty list."""
        return self.check(_check_non_empty)

    def length_greater_than_1(self) -> Validator[list[_T]]:
        """This validator, also rejecting lists of fewer than two items."""
        return self.check(_check_longer_than_one)


# module functions, not closures: compiled, a closure could not be copied
def _check_non_empty(value: list[Any]) -> None:
    if len(value) == 0:
        raise ValidationError("Expected a non-empty array")


def _check_longer_than_one(value: list[Any]) -> None:
    if len(value) <= 1:
        raise ValidationError("Expected an array with length greater than 1")


def _js_ordered(keys: Sequence[str]) -> tuple[str, ...]:
    """Keys in the order JavaScript enumerates an object literal with them."""
    return tuple(own_keys(dict.fromkeys(keys)))  # type: ignore[arg-type]


def _dict_keys(value: dict[Any, Any]) -> Iterable[object]:
    """``own_keys(value)``: the dict's keys in JavaScript's order, quickly when no key can be an
    array index (none starts with a digit), for then that is the dict's own order."""
    for key in value:
        if isinstance(key, str) and key and "0" <= key[0] <= "9":
            return own_keys(value)
    return list(value)


def _first_unexpected(value: object, config: Mapping[str, object]) -> object:
    """The first own key of ``value`` (in JavaScript order) that ``config`` lacks, or
    :data:`UNDEFINED` if there is none."""
    if isinstance(value, dict):
        if value.keys() <= config.keys():
            return UNDEFINED
        unexpected = [key for key in value if key not in config]
        if len(unexpected) > 1:
            unexpected = list(own_keys(dict.fromkeys(unexpected)))
        return unexpected[0]
    for key in own_keys(value):
        if key not in config:
            return key
    return UNDEFINED


@mypyc_attr(allow_interpreted_subclasses=True)
class ObjectValidator(Validator[dict[str, Any]]):
    """An object with the keys of ``config``, each checked by its validator.

    Keys are checked in JavaScript's order for the config (integer-like keys first); a missing
    key is ``undefined``. Unless built with ``allow_unknown_properties``, a key that is not in
    ``config`` raises ``Unexpected property`` at that key (the first one in the value's
    JavaScript key order). As in JavaScript, a list is an object too (its own keys are its
    indexes and ``length``).
    """

    __slots__ = ("_allow_unknown", "_fields", "config")

    def __init__(
        self, config: Mapping[str, Validator[Any]], allow_unknown_properties: bool = False
    ) -> None:
        self.config: Mapping[str, Validator[Any]] = MappingProxyType(dict(config))
        self._allow_unknown = allow_unknown_properties
        self._fields: tuple[tuple[str, Validator[Any]], ...] = tuple(
            (key, config[key]) for key in _js_ordered(list(config))
        )

    @property
    def allows_unknown_properties(self) -> bool:
        """Whether keys outside ``config`` are accepted."""
        return self._allow_unknown

    # Any, not dict[str, Any], here and below: a list is an object too, and compiled by mypyc a
    # dict result (or known-good argument) would be checked to be a dict
    def validate(self, value: object) -> Any:
        if isinstance(value, dict):
            found = 0  # keys of the config present in value
            for key, validator in self._fields:
                item = value.get(key, UNDEFINED)
                if item is not UNDEFINED:
                    found += 1
                try:
                    validator.validate(item)
                except Exception as err:
                    raise prefixed_error(key, err) from error_cause(err)
            if found == len(value):
                return value  # no other key (the common case: no need to look further)
        elif isinstance(value, list):
            for key, validator in self._fields:
                try:
                    validator.validate(get_own(value, key))
                except Exception as err:
                    raise prefixed_error(key, err) from error_cause(err)
        else:
            raise ValidationError(f"Expected object, got {type_to_string(value)}")
        if not self._allow_unknown:
            unexpected = _first_unexpected(value, self.config)
            if unexpected is not UNDEFINED:
                raise ValidationError("Unexpected property", (_path_item(unexpected),))
        return value

    def _validate_changed(self, known_good: Any, new_value: object) -> Any:
        if not is_object(new_value):
            raise ValidationError(f"Expected object, got {type_to_string(new_value)}")
        if type(new_value) is dict and type(known_good) is dict:
            return self._validate_changed_dict(known_good, new_value)
        config = self.config
        is_different = False
        for key, validator in self._fields:
            previous = get_own(known_good, key)
            current = get_own(new_value, key)
            if previous is current or is_same_value(previous, current):
                continue
            try:
                checked = validator._validate_changed(previous, current)
            except Exception as err:
                raise prefixed_error(key, err) from error_cause(err)
            if checked is not previous and not is_same_value(checked, previous):
                is_different = True
        if not self._allow_unknown:
            unexpected = _first_unexpected(new_value, config)
            if unexpected is not UNDEFINED:
                raise ValidationError("Unexpected property", (_path_item(unexpected),))
        elif not is_different:
            for extra in own_keys(new_value):
                if extra not in config and not is_same_value(
                    get_own(known_good, extra), get_own(new_value, extra)
                ):
                    is_different = True
                    break
        if not is_different:
            for old_key in own_keys(known_good):
                if not has_own(new_value, old_key):
                    is_different = True
                    break
        return new_value if is_different else known_good

    def _validate_changed_dict(self, known_good: dict[Any, Any], new_value: dict[Any, Any]) -> Any:
        """:meth:`_validate_changed` for two plain dicts (the same steps, fewer of them)."""
        is_different = False
        found = 0  # keys of the config present in new_value
        for key, validator in self._fields:
            previous = known_good.get(key, UNDEFINED)
            current = new_value.get(key, UNDEFINED)
            if current is not UNDEFINED:
                found += 1
            if previous is current or is_same_value(previous, current):
                continue
            try:
                checked = validator._validate_changed(previous, current)
            except Exception as err:
                raise prefixed_error(key, err) from error_cause(err)
            if checked is not previous and not is_same_value(checked, previous):
                is_different = True
        if found != len(new_value):  # new_value has other keys
            if not self._allow_unknown:
                unexpected = _first_unexpected(new_value, self.config)
                if unexpected is not UNDEFINED:
                    raise ValidationError("Unexpected property", (_path_item(unexpected),))
            elif not is_different:
                for extra, current in new_value.items():
                    if extra not in self.config and not is_same_value(
                        known_good.get(extra, UNDEFINED), current
                    ):
                        is_different = True
                        break
        if not is_different:
            for old_key in known_good:
                if old_key not in new_value:
                    is_different = True
                    break
        return new_value if is_different else known_good

    def allow_unknown_properties(self) -> ObjectValidator:
        """The same validator, accepting (and not checking) keys outside ``config``."""
        return ObjectValidator(self.config, True)

    def extend(self, extension: Mapping[str, Validator[Any]]) -> ObjectValidator:
        """A validator for ``config`` plus ``extension`` (whose entries win). As in tldraw, the
        result rejects unknown properties even if this validator allowed them."""
        return ObjectValidator({**self.config, **extension})


def _path_item(key: object) -> PathItem:
    return key if isinstance(key, (str, int)) else str(key)


@mypyc_attr(allow_interpreted_subclasses=True)
class DictValidator(Validator[dict[str, _V]]):
    """An object used as a map: every own key passes ``key_validator`` and every value
    ``value_validator`` (errors located at the key). A list passes as a map of its indexes."""

    __slots__ = ("key_validator", "value_validator")

    def __init__(self, key_validator: Validator[str], value_validator: Validator[_V]) -> None:
        self.key_validator = key_validator
        self.value_validator = value_validator

    def _check_entry(self, key: object, value: object) -> None:
        try:
            self.key_validator.validate(key)
            self.value_validator.validate(value)
        except Exception as err:
            raise prefixed_error(key, err) from error_cause(err)

    def validate(self, value: object) -> Any:  # Any: a list too (see ObjectValidator)
        if isinstance(value, dict):
            try:
                key_validator = self.key_validator
                value_validator = self.value_validator
                try:
                    for key, item in value.items():
                        key_validator.validate(key)
                        value_validator.validate(item)
                except Exception:
                    # check again entry by entry, for an error that says where
                    for key, item in value.items():
                        self._check_entry(key, item)
                    raise
            except ValidationError:
                if any(is_array_index(key) for key in value):
                    # the first failure in JavaScript's key order is the one to report
                    for key in own_keys(value):
                        self._check_entry(key, value[key])
                raise
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self._check_entry(str(index), item)
        else:
            raise ValidationError(f"Expected object, got {type_to_string(value)}")
        return value

    def _validate_changed(self, known_good: Any, new_value: object) -> Any:
        if not is_object(new_value):
            raise ValidationError(f"Expected object, got {type_to_string(new_value)}")
        value_validator = self.value_validator
        is_different = False
        new_count = 0
        for key in _dict_keys(new_value) if type(new_value) is dict else own_keys(new_value):
            new_count += 1
            current = get_own(new_value, key)
            if not has_own(known_good, key):
                is_different = True
                self._check_entry(key, current)
                continue
            previous = get_own(known_good, key)
            if previous is current or is_same_value(previous, current):
                continue
            try:
                checked = value_validator._validate_changed(previous, current)  # type: ignore[arg-type]
            except Exception as err:
                raise prefixed_error(key, err) from error_cause(err)
            if checked is not previous and not is_same_value(checked, previous):
                is_different = True
        if not is_different:
            known_count = (
                len(known_good) if type(known_good) is dict else len(list(own_keys(known_good)))
            )
            is_different = known_count != new_count
        return new_value if is_different else known_good


@mypyc_attr(allow_interpreted_subclasses=True)
class UnionValidator(Validator[_T]):
    """A discriminated union: the own property ``key`` (a string) names the variant whose
    validator checks the whole object; its errors are located at ``(key = variant)``.

    A non-string discriminator raises ``Expected a string for key "type", got …``; an unknown
    one goes to ``unknown_value_validation(value, variant)``, which by default raises
    ``Expected one of "a" or "b", got "c"`` at ``key``.
    """

    __slots__ = ("_config", "_unknown", "key")

    def __init__(
        self,
        key: str,
        config: Mapping[str, Validator[Any]],
        unknown_value_validation: Callable[[object, str], _T] | None = None,
    ) -> None:
        self.key = key
        self._config: Mapping[str, Validator[Any]] = MappingProxyType(dict(config))
        self._unknown = unknown_value_validation

    @property
    def config(self) -> Mapping[str, Validator[Any]]:
        """The variants, by discriminator value."""
        return self._config

    def _expect_object(self, value: object) -> None:
        if not is_object(value):
            raise ValidationError(f"Expected an object, got {type_to_string(value)}")

    def _matching_schema(self, value: object) -> tuple[str, Validator[Any] | None]:
        variant = get_own(value, self.key)
        if not isinstance(variant, str):
            raise ValidationError(
                f'Expected a string for key "{self.key}", got {type_to_string(variant)}'
            )
        return variant, self._config.get(variant)

    def _unknown_variant(self, value: object, variant: str) -> _T:
        if self._unknown is not None:
            return self._unknown(value, variant)
        expected = " or ".join(json_quote(k) for k in _js_ordered(list(self._config)))
        raise ValidationError(f"Expected one of {expected}, got {json_quote(variant)}", (self.key,))

    def validate(self, value: object) -> _T:
        self._expect_object(value)
        variant, schema = self._matching_schema(value)
        if schema is None:
            return check_same_value(value, self._unknown_variant(value, variant))
        try:
            result: _T = schema.validate(value)
        except Exception as err:
            raise prefixed_error(f"({self.key} = {variant})", err) from error_cause(err)
        return check_same_value(value, result)

    def _validate_changed(self, known_good: _T, new_value: object) -> _T:
        self._expect_object(new_value)
        self._expect_object(known_good)
        variant, schema = self._matching_schema(new_value)
        if schema is None:
            return self._unknown_variant(new_value, variant)
        try:
            if not strict_equals(get_own(known_good, self.key), variant):
                result: _T = schema.validate(new_value)
            else:
                result = schema.validate_using_known_good_version(known_good, new_value)
        except Exception as err:
            raise prefixed_error(f"({self.key} = {variant})", err) from error_cause(err)
        return result

    def validate_unknown_variants(
        self, unknown_value_validation: Callable[[object, str], _U]
    ) -> UnionValidator[_T | _U]:
        """The same union, handing unknown variants to ``unknown_value_validation(value,
        variant)`` instead of rejecting them."""
        return UnionValidator(self.key, self._config, unknown_value_validation)


class _JsonValueValidator(Validator[JsonValue]):
    """tldraw's ``jsonValue``: null, booleans, numbers (NaN and infinities included, as in
    tldraw), strings, lists and dicts with string keys, nested to any depth."""

    __slots__ = ()

    def validate(self, value: object) -> JsonValue:
        kind = type(value)
        if kind is str or kind is int or kind is float or kind is bool or value is None:
            return value  # type: ignore[return-value]
        if _is_valid_json(value):
            return value  # type: ignore[return-value]
        raise ValidationError(f"Expected json serializable value, got {typeof(value)}")

    def _validate_changed(self, known_good: JsonValue, new_value: object) -> JsonValue:
        return self._validate_changed_at(known_good, new_value, sys.getrecursionlimit())

    def _validate_changed_at(
        self, known_good: JsonValue, new_value: object, depth_left: int
    ) -> JsonValue:
        # compiled, this recursion uses no Python frames: stop it where Python would have
        if depth_left <= 0:
            raise RecursionError("maximum recursion depth exceeded")
        if isinstance(known_good, list) and isinstance(new_value, list):
            known_length = len(known_good)
            is_different = known_length != len(new_value)
            for index, current in enumerate(new_value):
                if index >= known_length:
                    is_different = True
                    self.validate(current)
                    continue
                previous = known_good[index]
                if previous is current or is_same_value(previous, current):
                    continue
                checked = self._validate_changed_at(previous, current, depth_left - 1)
                if checked is not previous and not is_same_value(checked, previous):
                    is_different = True
            return new_value if is_different else known_good
        if _is_plain_object(known_good) and _is_plain_object(new_value):
            assert isinstance(known_good, dict) and isinstance(new_value, dict)
            is_different = False
            for key in _dict_keys(new_value):
                current = new_value[key]
                if key not in known_good:
                    is_different = True
                    self.validate(current)
                    continue
                previous = known_good[key]
                if previous is current or is_same_value(previous, current):
                    continue
                checked = self._validate_changed_at(previous, current, depth_left - 1)
                if checked is not previous and not is_same_value(checked, previous):
                    is_different = True
            if not is_different and any(key not in new_value for key in known_good):
                is_different = True
            return new_value if is_different else known_good
        return self.validate(new_value)


def _is_plain_object(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(key, str) for key in value)


def _is_valid_json(value: object) -> bool:
    """Whether ``value`` is JSON data (iteratively, so any depth works)."""
    pending = [value]
    while pending:
        item = pending.pop()
        # plain dicts and lists first, their scalars checked on the spot (the common case)
        if type(item) is dict:
            for key, child in item.items():
                if not isinstance(key, str):
                    return False
                kind = type(child)
                if child is not None and not (
                    kind is str or kind is int or kind is float or kind is bool
                ):
                    pending.append(child)
        elif type(item) is list:
            for child in item:
                kind = type(child)
                if child is not None and not (
                    kind is str or kind is int or kind is float or kind is bool
                ):
                    pending.append(child)
        elif item is None or isinstance(item, (str, int, float)):  # bool is an int
            continue
        elif isinstance(item, list):
            pending.extend(item)
        elif _is_plain_object(item):
            pending.extend(item.values())  # type: ignore[attr-defined]
        else:
            return False
    return True


json_value: Final[Validator[JsonValue]] = _JsonValueValidator()
"""JSON data; rejects foreign values with ``Expected json serializable value, got object``."""


def array_of(item_validator: Validator[_T]) -> ArrayOfValidator[_T]:
    """A list whose every item passes ``item_validator``."""
    return ArrayOfValidator(item_validator)


def object_(config: Mapping[str, Validator[Any]]) -> ObjectValidator:
    """An object with exactly the keys of ``config`` (see :class:`ObjectValidator`)."""
    return ObjectValidator(config)


def dict_(key_validator: Validator[str], value_validator: Validator[_V]) -> DictValidator[_V]:
    """An object used as a map (see :class:`DictValidator`)."""
    return DictValidator(key_validator, value_validator)


def json_dict() -> DictValidator[JsonValue]:
    """A map from strings to JSON values."""
    return DictValidator(string, json_value)


def union(key: str, config: Mapping[str, Validator[Any]]) -> UnionValidator[Any]:
    """A discriminated union on ``key`` (see :class:`UnionValidator`)."""
    return UnionValidator(key, config)
