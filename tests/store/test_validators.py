"""Behaviour of tlsync_core.store.validators, case by case (@tldraw/validate 5.4.2 semantics).

test_validators_differential.py checks the same library against tldraw itself on random
cases; this file pins the behaviours one by one, including the Python-only ones that JSON
cannot carry to node (NaN, infinities, absent values, foreign Python objects, identity).
"""

from __future__ import annotations

import copy
import math
import pickle
from typing import Any

import pytest

from tlsync_core.store import jsvalue, validators
from tlsync_core.store.index_keys import is_valid_index_key, validate_index_key
from tlsync_core.store.jsvalue import UNDEFINED
from tlsync_core.store.validation_errors import format_path
from tlsync_core.store.validators import (
    FunctionValidator,
    ObjectValidator,
    T,
    ValidationError,
    Validator,
)


def message_of(validator: Validator[Any], value: object) -> str:
    """The message ``validator.validate(value)`` fails with."""
    with pytest.raises(ValidationError) as info:
        validator.validate(value)
    return str(info.value)


def geo_shape() -> Validator[Any]:
    """A small record validator shaped like tldraw's shape validator."""
    props = T.object(
        {
            "w": T.non_zero_number,
            "h": T.non_zero_number,
            "geo": T.literal_enum("rectangle", "ellipse"),
        }
    )
    return T.model(
        "shape",
        T.union(
            "type",
            {
                "geo": T.object({"id": T.string, "type": T.literal("geo"), "props": props}),
                "text": T.object({"id": T.string, "type": T.literal("text"), "text": T.string}),
            },
        ),
    )


def a_shape() -> dict[str, Any]:
    return {"id": "shape:1", "type": "geo", "props": {"w": 10, "h": 20.5, "geo": "ellipse"}}


# ---------------------------------------------------------------------------------------------
# errors and their messages
# ---------------------------------------------------------------------------------------------


def test_record_error_message_has_tldraws_shape() -> None:
    """A nested failure reads ``At shape(type = geo).props.w: Expected number, got a string``:
    model name first, the union discriminator glued to it, then dotted keys."""
    shape = a_shape()
    shape["props"]["w"] = "10"
    assert (
        message_of(geo_shape(), shape)
        == "At shape(type = geo).props.w: Expected number, got a string"
    )


def test_error_carries_raw_message_and_path() -> None:
    """ValidationError exposes the unlocated message and the path as a tuple."""
    with pytest.raises(ValidationError) as info:
        T.object({"items": T.array_of(T.string)}).validate({"items": ["a", 2]})
    assert info.value.raw_message == "Expected string, got a number"
    assert info.value.path == ("items", 1)
    assert info.value.message == "At items.1: Expected string, got a number"


@pytest.mark.parametrize(
    ("path", "formatted"),
    [
        ((), None),
        (("a",), "a"),
        ((0,), "0"),
        (("a", 0, "b"), "a.0.b"),
        (("shape", "(type = geo)", "props"), "shape(type = geo).props"),
        (("(type = geo)", "(check x)"), "(type = geo, check x)"),
        (("a", "(check x)"), "a(check x)"),
        (("shape", "(id = shape:1, type = geo)"), "shape(type = geo)"),
        (("shape", "(id = shape:1)"), "shape()"),
        (("",), ""),
    ],
)
def test_format_path(path: tuple[str | int, ...], formatted: str | None) -> None:
    """Paths print like tldraw's formatPath: dotted keys and indexes, parenthesised markers
    glued and merged, ``id = …`` dropped, no leading dot."""
    assert format_path(path) == formatted


def test_message_without_a_printable_path_has_no_prefix() -> None:
    """An empty path, or one that formats to nothing (an empty key), gives no ``At``."""
    assert str(ValidationError("Unexpected property", [""])) == "Unexpected property"
    assert str(ValidationError("Oops")) == "Oops"


def test_multiline_messages_indent_continuation_lines() -> None:
    """Lines after the first are indented by two spaces, as in tldraw."""
    assert str(ValidationError("one\ntwo", ["a"])) == "At a: one\n  two"


def test_validation_error_pickles() -> None:
    """A ValidationError survives pickling with its message and path (multiprocessing, logs)."""
    error = ValidationError("Expected string, got null", ("a", 1))
    again = pickle.loads(pickle.dumps(error))
    assert (again.raw_message, again.path, str(again)) == (
        error.raw_message,
        error.path,
        str(error),
    )


# ---------------------------------------------------------------------------------------------
# numbers
# ---------------------------------------------------------------------------------------------


def test_number_accepts_ints_and_floats_but_not_booleans() -> None:
    """JSON numbers are ``int`` or ``float``; ``True`` is a boolean, as in JavaScript."""
    assert T.number.validate(3) == 3
    assert T.number.validate(-2.5) == -2.5
    assert message_of(T.number, True) == "Expected number, got a boolean"
    assert message_of(T.number, "1") == "Expected number, got a string"


def test_number_rejects_nan_and_infinities() -> None:
    """NaN and ±Infinity are numbers, but not finite ones (Python-only: JSON has neither)."""
    assert message_of(T.number, math.nan) == "Expected a number, got NaN"
    assert message_of(T.number, math.inf) == "Expected a finite number, got Infinity"
    assert message_of(T.number, -math.inf) == "Expected a finite number, got -Infinity"


def test_int_too_large_for_a_double_is_infinite() -> None:
    """An ``int`` past the double range is ``Infinity`` to JavaScript's JSON.parse, so it is
    rejected; a large one that fits is a finite number."""
    assert message_of(T.number, 10**400) == "Expected a finite number, got Infinity"
    assert message_of(T.integer, -(10**400)) == "Expected a finite number, got -Infinity"
    assert T.number.validate(10**300) == 10**300


def test_integer_is_number_is_integer() -> None:
    """``integer`` accepts integral floats (``3.0``) like Number.isInteger, rejects the rest."""
    assert T.integer.validate(3.0) == 3.0
    assert T.integer.validate(-7) == -7
    assert message_of(T.integer, 3.5) == "Expected an integer, got 3.5"
    assert message_of(T.integer, math.inf) == "Expected a finite number, got Infinity"
    assert message_of(T.integer, math.nan) == "Expected a number, got NaN"


@pytest.mark.parametrize(
    ("validator", "value", "message"),
    [
        (T.positive_number, -1, "Expected a positive number, got -1"),
        (T.positive_number, -math.inf, "Expected a positive number, got -Infinity"),
        (T.positive_number, math.inf, "Expected a finite number, got Infinity"),
        (T.non_zero_number, 0, "Expected a non-zero positive number, got 0"),
        (T.non_zero_number, -0.0, "Expected a non-zero positive number, got 0"),
        (T.non_zero_finite_number, 0, "Expected a non-zero number, got 0"),
        (T.non_zero_finite_number, -math.inf, "Expected a finite number, got -Infinity"),
        (T.unit_interval, 1.5, "Expected a number between 0 and 1, got 1.5"),
        (T.unit_interval, math.inf, "Expected a number between 0 and 1, got Infinity"),
        (T.positive_integer, -1, "Expected a positive integer, got -1"),
        (T.positive_integer, -1.5, "Expected a positive integer, got -1.5"),
        (T.positive_integer, 1.5, "Expected an integer, got 1.5"),
        (T.positive_integer, -math.inf, "Expected a finite number, got -Infinity"),
        (T.non_zero_integer, 0, "Expected a non-zero positive integer, got 0"),
        (T.non_zero_integer, 2.5, "Expected an integer, got 2.5"),
    ],
)
def test_number_range_messages(validator: Validator[Any], value: float, message: str) -> None:
    """Each number validator checks its range in tldraw's order and words its error alike."""
    assert message_of(validator, value) == message


@pytest.mark.parametrize(
    ("validator", "value"),
    [
        (T.positive_number, 0),
        (T.positive_number, -0.0),
        (T.non_zero_finite_number, -3),
        (T.unit_interval, 0),
        (T.unit_interval, 1),
        (T.positive_integer, 0),
        (T.non_zero_integer, 1.0),
    ],
)
def test_number_range_boundaries_accepted(validator: Validator[Any], value: float) -> None:
    """The inclusive ends: 'positive' includes zero (and -0), the unit interval both ends."""
    assert validator.validate(value) is value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (1e-6, "0.000001"),
        (0.1 + 0.2, "0.30000000000000004"),
        (-0.0, "0"),
        (2.5e-8, "2.5e-8"),
        (-1.5e300, "-1.5e+300"),
        (10**21, "1e+21"),
    ],
)
def test_numbers_print_like_javascript(value: float, text: str) -> None:
    """Numbers in messages use JavaScript's Number#toString."""
    assert jsvalue.number_to_string(value) == text


def test_number_messages_use_javascript_formatting() -> None:
    """The formatting shows up in messages."""
    assert message_of(T.unit_interval, 1e21) == "Expected a number between 0 and 1, got 1e+21"
    assert message_of(T.positive_number, -1e-7) == "Expected a positive number, got -1e-7"


# ---------------------------------------------------------------------------------------------
# strings, booleans, literals and enums
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "got"),
    [
        (None, "null"),
        ([], "an array"),
        ({}, "an object"),
        (UNDEFINED, "undefined"),
        (True, "a boolean"),
        (1.5, "a number"),
        ((1, 2), "a tuple"),
    ],
)
def test_type_names_in_messages(value: object, got: str) -> None:
    """Wrong types are named as tldraw names them; a foreign Python value by its type."""
    assert message_of(T.string, value) == f"Expected string, got {got}"


def test_boolean_rejects_numbers() -> None:
    """0 and 1 are numbers, not booleans."""
    assert message_of(T.boolean, 1) == "Expected boolean, got a number"
    assert T.boolean.validate(False) is False


def test_literal_compares_with_strict_equality() -> None:
    """``literal`` uses ``===``: 1 equals 1.0, but not True; the message shows the value as
    JSON (strings quoted, objects in JavaScript key order)."""
    assert T.literal(1).validate(1.0) == 1.0
    assert message_of(T.literal(1), True) == "Expected 1, got true"
    assert message_of(T.literal(True), 1) == "Expected true, got 1"
    assert message_of(T.literal("geo"), "text") == 'Expected geo, got "text"'
    assert (
        message_of(T.literal("geo"), {"b": 1, "1": [None]})
        == 'Expected geo, got {"1":[null],"b":1}'
    )
    assert message_of(T.literal("geo"), UNDEFINED) == "Expected geo, got undefined"


def test_literal_zero_rejects_negative_zero_like_tldraw_dev_mode() -> None:
    """tldraw's development check (on under node by default) rejects -0 for ``literal(0)``:
    the literal returns 0, which is not ``Object.is`` the -0 it was given."""
    assert (
        message_of(T.literal(0), -0.0)
        == "Validator functions must return the same value they were passed"
    )
    assert T.literal(0).validate(0.0) == 0


def test_literal_enum_uses_same_value_zero() -> None:
    """Membership is SameValueZero: NaN finds NaN, -0 finds 0, True does not find 1."""
    assert math.isnan(T.literal_enum(math.nan).validate(math.nan))
    assert T.literal_enum(0).validate(-0.0) == 0
    assert message_of(T.literal_enum(1, "a"), True) == 'Expected 1 or "a", got true'


def test_literal_enum_message_shows_value_as_javascript_string() -> None:
    """The got-part is ``String(value)``: lists joined by commas, objects ``[object Object]``."""
    colors = T.literal_enum("red", "blue", "red")
    assert message_of(colors, "green") == 'Expected "red" or "blue", got green'
    assert message_of(colors, [1, None, [2, 3]]) == 'Expected "red" or "blue", got 1,,2,3'
    assert message_of(colors, {"a": 1}) == 'Expected "red" or "blue", got [object Object]'
    assert message_of(colors, None) == 'Expected "red" or "blue", got null'


def test_literal_enum_with_to_string_key_reports_javascripts_type_error() -> None:
    """``String({toString: …})`` throws a TypeError in JavaScript; tldraw lets it escape, we
    raise a ValidationError with its text, which reads the same once located."""
    assert message_of(T.object({"c": T.literal_enum("a")}), {"c": {"toString": 1}}) == (
        "At c: TypeError: Cannot convert object to primitive value"
    )


# ---------------------------------------------------------------------------------------------
# objects, optional and nullable
# ---------------------------------------------------------------------------------------------


def test_object_reports_missing_keys_as_undefined() -> None:
    """An absent key reaches its validator as ``undefined``."""
    assert message_of(T.object({"a": T.string}), {}) == "At a: Expected string, got undefined"


def test_object_rejects_unknown_keys_in_javascript_order() -> None:
    """Unknown keys fail with ``Unexpected property``, after the known keys are checked; the
    one reported is the first in JavaScript's order (integer-like keys first)."""
    validator = T.object({"a": T.string})
    assert message_of(validator, {"a": "x", "z": 1, "10": 1, "2": 1}) == "At 2: Unexpected property"
    assert message_of(validator, {"a": 1, "z": 1}) == "At a: Expected string, got a number"


def test_object_checks_its_keys_in_javascript_order() -> None:
    """Config keys are visited integer-like first, so that error is the one reported."""
    validator = T.object({"b": T.string, "1": T.string, "0": T.string})
    assert message_of(validator, {}) == "At 0: Expected string, got undefined"


def test_allow_unknown_properties_and_extend() -> None:
    """``allow_unknown_properties`` accepts extra keys unchecked; ``extend`` adds keys and, as
    in tldraw, rejects unknown keys again."""
    base = T.object({"a": T.number}).allow_unknown_properties()
    value = {"a": 1, "extra": object()}
    assert base.validate(value) is value
    extended = base.extend({"b": T.string})
    assert isinstance(extended, ObjectValidator)
    assert not extended.allows_unknown_properties
    assert message_of(extended, {"a": 1, "b": "x", "c": 0}) == "At c: Unexpected property"


def test_lists_are_objects_too() -> None:
    """As in JavaScript, ``T.object`` and ``T.dict`` accept a list (own keys: the indexes, and
    ``length`` for lookups), while ``T.array`` rejects a dict."""
    empty: Any = []
    pair: Any = [1, 2]
    assert T.object({}).validate(empty) is empty
    assert message_of(T.object({}), [1]) == "At 0: Unexpected property"
    assert T.object({"length": T.number}).validate(empty) is empty
    assert T.dict(T.string, T.number).validate(pair) is pair
    assert message_of(T.array, {}) == "Expected an array, got an object"


def test_optional_means_the_key_may_be_absent_not_none() -> None:
    """``optional`` accepts ``undefined`` (an absent key) and rejects ``None``; ``nullable``
    accepts ``None`` and rejects an absent key."""
    optional = T.object({"a": T.string.optional()})
    assert optional.validate({}) == {}
    assert message_of(optional, {"a": None}) == "At a: Expected string, got null"
    assert T.string.optional().validate(UNDEFINED) is UNDEFINED
    nullable = T.object({"a": T.string.nullable()})
    assert nullable.validate({"a": None}) == {"a": None}
    assert message_of(nullable, {}) == "At a: Expected string, got undefined"


def test_foreign_values_are_rejected_by_structural_validators() -> None:
    """Python values outside JSON (tuples, sets, objects) are neither arrays nor objects."""
    assert message_of(T.object({}), (1,)) == "Expected object, got a tuple"
    assert message_of(T.array_of(T.number), (1,)) == "Expected an array, got a tuple"
    assert message_of(T.json_value, {1, 2}) == "Expected json serializable value, got object"


# ---------------------------------------------------------------------------------------------
# arrays, dicts and unions
# ---------------------------------------------------------------------------------------------


def test_array_of_locates_errors_by_index() -> None:
    """Item errors are located at the item's index; the checks ``non_empty`` and
    ``length_greater_than_1`` word their errors like tldraw."""
    assert message_of(T.array_of(T.number), [1, "2"]) == "At 1: Expected number, got a string"
    assert message_of(T.array_of(T.number).non_empty(), []) == "Expected a non-empty array"
    assert message_of(T.array_of(T.number).length_greater_than_1(), [1]) == (
        "Expected an array with length greater than 1"
    )


def test_dict_checks_keys_and_values_in_javascript_order() -> None:
    """Keys and values are both checked, errors located at the key, first failure in
    JavaScript's key order."""
    validator = T.dict(T.index_key, T.number)
    assert message_of(validator, {"a1": "x"}) == "At a1: Expected number, got a string"
    assert (
        message_of(validator, {"a1": 1, "zz": 1, "a": 1})
        == 'At zz: Expected an index key, got "zz"'
    )
    assert message_of(T.dict(T.string, T.number), {"b": "x", "7": "y"}) == (
        "At 7: Expected number, got a string"
    )
    assert message_of(validator, None) == "Expected object, got null"


def test_union_errors() -> None:
    """A union needs an object with a string discriminator naming a known variant."""
    shapes = geo_shape()
    assert message_of(shapes, None) == "At shape: Expected an object, got null"
    assert message_of(shapes, {}) == 'At shape: Expected a string for key "type", got undefined'
    assert (
        message_of(shapes, {"type": 3})
        == 'At shape: Expected a string for key "type", got a number'
    )
    assert (
        message_of(shapes, {"type": "arrow"})
        == 'At shape.type: Expected one of "geo" or "text", got "arrow"'
    )
    assert message_of(shapes, {"type": "toString"}) == (
        'At shape.type: Expected one of "geo" or "text", got "toString"'
    )


def test_union_unknown_variants_can_be_accepted() -> None:
    """``validate_unknown_variants`` hands unknown variants to a function instead."""
    union = T.union("type", {"a": T.object({"type": T.literal("a")})})
    seen: list[str] = []

    def accept(value: object, variant: str) -> object:
        seen.append(variant)
        return value

    lenient = union.validate_unknown_variants(accept)
    value = {"type": "b", "anything": 1}
    assert lenient.validate(value) is value
    assert seen == ["b"]


# ---------------------------------------------------------------------------------------------
# refine, check, model, custom validators
# ---------------------------------------------------------------------------------------------


def test_refine_may_transform_and_check_may_reject() -> None:
    """``refine`` returns what its function returns; ``check`` keeps the value and, with a
    name, locates failures at ``(check name)``."""
    assert T.string.refine(str.upper).validate("abc") == "ABC"

    def even(value: float) -> None:
        if value % 2:
            raise ValidationError("Expected an even number")

    assert message_of(T.object({"n": T.number.check("even", even)}), {"n": 3}) == (
        "At n(check even): Expected an even number"
    )
    assert message_of(T.number.check(even), 3) == "Expected an even number"


def test_foreign_exceptions_become_validation_errors_in_containers() -> None:
    """An exception from a user function inside a container becomes a ValidationError whose
    message is JavaScript's ``String(error)`` (``Name: message``)."""

    def boom(value: object) -> None:
        raise ValueError("boom")

    assert message_of(T.object({"a": T.string.check(boom)}), {"a": "x"}) == "At a: ValueError: boom"


def test_validators_must_return_their_input() -> None:
    """A custom validator returning another value fails tldraw's development check, as do
    ``model`` around a transforming ``refine``; ``skip_same_value_check`` opts out."""
    copying = FunctionValidator(copy.copy)
    assert (
        message_of(copying, [1])
        == "Validator functions must return the same value they were passed"
    )
    assert FunctionValidator(lambda v: [v], skip_same_value_check=True).validate(1) == [1]
    assert message_of(T.model("m", T.string.refine(str.upper)), "a") == (
        "Validator functions must return the same value they were passed"
    )


def test_is_valid() -> None:
    """``is_valid`` says whether ``validate`` would accept."""
    assert T.number.is_valid(1)
    assert not T.number.is_valid("1")


def test_t_namespace_mirrors_tldraw_names() -> None:
    """``T.object``, ``T.dict`` and ``T.any`` are the underscore-suffixed module functions."""
    assert T.object is validators.object_
    assert T.dict is validators.dict_
    assert T.any is validators.any_


# ---------------------------------------------------------------------------------------------
# identity, immutability and known-good validation
# ---------------------------------------------------------------------------------------------


def test_validate_returns_the_same_object_and_never_mutates() -> None:
    """A valid value comes back as the very same object, unchanged."""
    shape = a_shape()
    snapshot = copy.deepcopy(shape)
    assert geo_shape().validate(shape) is shape
    assert shape == snapshot


def test_known_good_is_returned_for_an_equal_copy() -> None:
    """An equal (deep) copy of the known-good value gives back the known-good object itself,
    which is how a no-op write is detected; a change gives back the new value."""
    validator = geo_shape()
    known = a_shape()
    assert validator.validate_using_known_good_version(known, copy.deepcopy(known)) is known
    changed = copy.deepcopy(known)
    changed["props"]["w"] = 11
    assert validator.validate_using_known_good_version(known, changed) is changed


def test_known_good_uses_javascript_equality_for_leaves() -> None:
    """Leaves compare with Object.is: 1 equals 1.0, 0 does not equal -0.0, True is not 1."""
    validator = T.object({"n": T.number, "b": T.json_value})
    known = {"n": 1, "b": True}
    assert validator.validate_using_known_good_version(known, {"n": 1.0, "b": True}) is known
    negative = {"n": -0.0, "b": True}
    known_zero = {"n": 0, "b": True}
    assert validator.validate_using_known_good_version(known_zero, negative) is negative
    other = {"n": 1, "b": 1}
    assert validator.validate_using_known_good_version(known, other) is other


def test_known_good_skips_unchanged_members() -> None:
    """Members equal to the known-good ones are not validated again."""
    calls: list[object] = []

    def counting(value: object) -> object:
        calls.append(value)
        return value

    validator = T.object(
        {"a": FunctionValidator(counting), "b": T.array_of(FunctionValidator(counting))}
    )
    known = {"a": "x", "b": ["p", "q"]}
    new = {"a": "x", "b": ["p", "r"]}
    assert validator.validate_using_known_good_version(known, new) is new
    assert calls == ["r"]


def test_known_good_notices_removed_and_unknown_keys() -> None:
    """A removed key, or a changed or added key an open object does not check, is a change."""
    validator = T.object({"a": T.number.optional()}).allow_unknown_properties()
    known = {"a": 1, "x": 1}
    for new in ({"x": 1}, {"a": 1, "x": 2}, {"a": 1, "x": 1, "y": 0}):
        assert validator.validate_using_known_good_version(known, new) is new
    assert validator.validate_using_known_good_version(known, {"x": 1, "a": 1}) is known


def test_known_good_for_dicts_and_json_values() -> None:
    """Dicts and JSON values reuse the known-good object when nothing changed."""
    dicts = T.dict(T.string, T.array_of(T.number))
    known: dict[str, list[float]] = {"a": [1, 2], "b": []}
    assert dicts.validate_using_known_good_version(known, {"b": [], "a": [1, 2]}) is known
    assert dicts.validate_using_known_good_version(known, {"a": [1, 2]}) is not known
    meta: dict[str, Any] = {"x": [1, {"y": None}], "z": "s"}
    assert T.json_value.validate_using_known_good_version(meta, copy.deepcopy(meta)) is meta


def test_validators_without_known_good_logic_return_the_new_value() -> None:
    """``T.array``, ``T.unknown`` and ``T.unknown_object`` have no known-good logic: an equal
    copy comes back as itself, as in tldraw."""
    cases: list[tuple[Validator[Any], Any]] = [
        (T.array, [1]),
        (T.unknown, {"a": 1}),
        (T.unknown_object, {"a": 1}),
    ]
    for validator, value in cases:
        new = copy.deepcopy(value)
        assert validator.validate_using_known_good_version(value, new) is new


def test_known_good_path_reports_the_same_errors() -> None:
    """Failures on the known-good path read exactly like full validation's."""
    validator = geo_shape()
    known = a_shape()
    bad = copy.deepcopy(known)
    bad["props"]["geo"] = "star"
    with pytest.raises(ValidationError) as info:
        validator.validate_using_known_good_version(known, bad)
    assert str(info.value) == message_of(validator, bad)
    assert (
        str(info.value)
        == 'At shape(type = geo).props.geo: Expected "rectangle" or "ellipse", got star'
    )


# ---------------------------------------------------------------------------------------------
# JSON values, index keys, URLs
# ---------------------------------------------------------------------------------------------


def test_json_value_accepts_json_data_at_any_depth() -> None:
    """Nested lists and str-keyed dicts of JSON scalars are accepted, even very deep ones;
    NaN and infinities are numbers to tldraw, so they pass too."""
    deep: object = 1
    for _ in range(5000):
        deep = [deep]
    assert T.json_value.validate(deep) is deep
    nan = T.json_value.validate(math.nan)
    assert isinstance(nan, float) and math.isnan(nan)
    assert message_of(T.json_value, {1: "a"}) == "Expected json serializable value, got object"
    assert message_of(T.json_value, UNDEFINED) == "Expected json serializable value, got undefined"


@pytest.mark.parametrize(
    ("key", "valid"),
    [
        ("a0", True),
        ("a1V", True),
        ("Zz", True),
        ("b0Z", True),
        ("a!", True),  # tldraw does not check the digits
        ("b😀", True),  # three UTF-16 code units
        ("a", False),
        ("a00", False),
        ("A" + "0" * 26, False),
        ("", False),
        ("0a", False),
        ("c0", False),
    ],
)
def test_index_keys(key: str, valid: bool) -> None:
    """Index keys follow tldraw's validateIndexKey: head letter, announced integer length,
    no trailing zero in a fraction, not the reserved smallest key."""
    assert is_valid_index_key(key) is valid
    assert T.index_key.is_valid(key) is valid
    if not valid:
        with pytest.raises(ValueError, match="invalid index"):
            validate_index_key(key)
        assert (
            message_of(T.index_key, key) == f"Expected an index key, got {jsvalue.json_quote(key)}"
        )


@pytest.mark.parametrize(
    ("validator", "url", "error"),
    [
        (T.link_url, "", None),
        (T.link_url, "https://tldraw.com/x?y#z", None),
        (T.link_url, "mailto:a@b.c", None),
        (T.link_url, "/relative", None),
        (T.link_url, "./relative", None),
        (
            T.link_url,
            "javascript:alert(1)",
            'Expected a valid url, got "javascript:alert(1)" (invalid protocol)',
        ),
        (T.link_url, "not a url", 'Expected a valid url, got "not a url"'),
        (T.link_url, "http://exa mple.com", 'Expected a valid url, got "http://exa mple.com"'),
        (T.link_url, "http://münchen.de", None),
        (T.src_url, "data:image/png;base64,AA", None),
        (T.src_url, "asset:abc", None),
        (T.src_url, "mailto:a@b.c", 'Expected a valid url, got "mailto:a@b.c" (invalid protocol)'),
        (T.http_url, "HTTP://EXAMPLE.COM", None),
        (T.http_url, "ftp://x.y", 'Expected a valid url, got "ftp://x.y" (invalid protocol)'),
        (T.http_url, "http://1.2.3.256", 'Expected a valid url, got "http://1.2.3.256"'),
    ],
)
def test_url_validators(validator: Validator[str], url: str, error: str | None) -> None:
    """URL validators accept ``""`` and parseable URLs with an allowed protocol (relative
    paths are read against http://example.com, as in tldraw)."""
    if error is None:
        assert validator.validate(url) is url
    else:
        assert message_of(validator, url) == error


# ---------------------------------------------------------------------------------------------
# the JavaScript view of values
# ---------------------------------------------------------------------------------------------


def test_same_value_is_object_is() -> None:
    """``same_value`` is Object.is: primitives by value, containers by identity."""
    assert jsvalue.same_value(1, 1.0)
    assert jsvalue.same_value(math.nan, math.nan)
    assert not jsvalue.same_value(0, -0.0)
    assert not jsvalue.same_value(True, 1)
    assert not jsvalue.same_value([1], [1])
    assert jsvalue.same_value("a", "".join(["a"]))
    assert jsvalue.strict_equals(0, -0.0)
    assert not jsvalue.strict_equals(math.nan, math.nan)


def test_own_keys_follow_javascript_order() -> None:
    """Integer-like keys (canonical, below 2³²−1) come first in numeric order."""
    keys = list(
        jsvalue.own_keys(
            {"b": 1, "10": 1, "2": 1, "01": 1, "4294967295": 1, "4294967294": 1, "a": 1}
        )
    )
    assert keys == ["2", "10", "4294967294", "b", "01", "4294967295", "a"]
    assert list(jsvalue.own_keys([7, 8])) == ["0", "1"]


def test_json_stringify_matches_javascript() -> None:
    """JSON.stringify: JavaScript number format, escapes, lone surrogates, undefined members
    dropped, non-finite numbers as null."""
    assert (
        jsvalue.json_stringify({"a": UNDEFINED, "b": [UNDEFINED, math.inf, 1e21]})
        == '{"b":[null,null,1e+21]}'
    )
    assert jsvalue.json_stringify("\ud800\n\x01é") == '"\\ud800\\n\\u0001é"'
    assert jsvalue.json_stringify(UNDEFINED) is None
