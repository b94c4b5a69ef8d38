"""tlsync_core.protocol.diff on its own: the rules of SPEC.md §3a (DF*) and their properties.

The differential tests (test_diff_differential.py) prove agreement with tldraw on generated
cases; these spell out each rule on a small example, cover what JSON cannot carry to node (NaN,
infinities, object identity), and check the round-trip properties on generated records.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from diff_strategies import edited, record_pairs, records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tlsync_core.protocol.diff import (
    InvalidRecordError,
    RecordOpType,
    ValueOpType,
    apply_and_diff_record,
    apply_object_diff,
    diff_and_validate_record,
    diff_record,
    get_network_diff,
    to_network_diff,
)
from tlsync_core.store import RecordsDiff, RecordType, T, squash_records_diffs
from tlsync_core.store.jsvalue import js_equal, js_truthy, string_to_number

Record = dict[str, Any]


def as_json(value: Any) -> Any:
    """``value`` as JSON parsers give it (surrogate pairs as one character: SPEC DF11)."""
    return json.loads(json.dumps(value))


PROPERTY = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def shape(**changes: Any) -> Record:
    """A geo-shape-like record with ``changes`` applied at the top level."""
    record: Record = {
        "id": "shape:box",
        "typeName": "shape",
        "type": "geo",
        "x": 100,
        "y": 200,
        "rotation": 0,
        "index": "a1",
        "parentId": "page:main",
        "props": {"w": 80, "h": 40, "color": "black", "geo": "rectangle", "text": "hi"},
        "meta": {},
    }
    record.update(changes)
    return record


def with_props(**changes: Any) -> Record:
    base = shape()
    return shape(props={**base["props"], **changes})


# ---------------------------------------------------------------------------------------------
# DF1: the op types
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("DF1")
def test_op_types_are_their_wire_strings() -> None:
    """The enums are str enums whose members equal the strings on the wire, and the ops the
    functions build are plain lists that JSON writes as arrays."""
    assert [m.value for m in ValueOpType] == ["put", "delete", "append", "patch"]
    assert [m.value for m in RecordOpType] == ["put", "patch", "remove"]
    append: str = "append"
    remove: str = "remove"
    assert ValueOpType.Append == append
    assert RecordOpType.Remove == remove
    diff = diff_record({"a": 1}, {"a": 2})
    assert diff == {"a": ["put", 2]}
    assert type(diff["a"]) is list


@pytest.mark.spec("DF1")
def test_enum_members_work_as_op_names() -> None:
    """Ops written with the enum members apply like ops written with the strings."""
    assert apply_object_diff({"a": 1}, {"a": [ValueOpType.Put, 2]}) == {"a": 2}
    assert apply_object_diff({"a": 1}, {"a": [ValueOpType.Delete]}) == {}


# ---------------------------------------------------------------------------------------------
# DF2: no change, deleted and added keys
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("DF2")
def test_no_diff_for_the_same_object_or_an_equal_one() -> None:
    """The same object, or an equal copy with keys in another order, has no diff."""
    record = shape()
    assert diff_record(record, record) is None
    reordered = dict(reversed(list(shape().items())))
    assert diff_record(record, reordered) is None


@pytest.mark.spec("DF2")
def test_deleted_keys_are_deleted_and_new_keys_put() -> None:
    """A key missing from next is a delete; a key new in next is a put of its value; ops come
    in prev's key order, then next's new keys."""
    prev = {"a": 1, "b": 2, "c": 3}
    nxt = {"c": 3, "d": [1], "a": 1}
    diff = diff_record(prev, nxt)
    assert diff == {"b": ["delete"], "d": ["put", [1]]}
    assert list(diff or {}) == ["b", "d"]


@pytest.mark.spec("DF2")
def test_a_key_holding_none_is_present() -> None:
    """``None`` (null) is a value: a key set to it is put, not deleted, and a key that held it
    and is gone is deleted."""
    assert diff_record({"a": 1}, {"a": None}) == {"a": ["put", None]}
    assert diff_record({}, {"a": None}) == {"a": ["put", None]}
    assert diff_record({"a": None}, {}) == {"a": ["delete"]}


# ---------------------------------------------------------------------------------------------
# DF3: top-level keys, props and meta
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("DF3")
def test_top_level_values_are_put_whole() -> None:
    """Outside props and meta, a changed value is put whole, even an object; an equal object
    gives no op."""
    prev = shape(extra={"deep": {"a": 1}, "b": 2})
    assert diff_record(prev, shape(extra={"deep": {"a": 2}, "b": 2}, x=1)) == {
        "x": ["put", 1],
        "extra": ["put", {"deep": {"a": 2}, "b": 2}],
    }
    assert diff_record(prev, shape(extra={"b": 2, "deep": {"a": 1}})) is None


@pytest.mark.spec("DF3")
def test_props_and_meta_are_patched_key_by_key() -> None:
    """props and meta get a patch with one op per changed key inside them."""
    nxt = shape(props={**shape()["props"], "w": 90, "fill": "solid"}, meta={"by": "bot"})
    del nxt["props"]["text"]
    assert diff_record(shape(), nxt) == {
        "props": ["patch", {"w": ["put", 90], "text": ["delete"], "fill": ["put", "solid"]}],
        "meta": ["patch", {"by": ["put", "bot"]}],
    }


@pytest.mark.spec("DF3")
def test_object_values_inside_props_are_put_whole() -> None:
    """Inside props, an object-valued prop that changed is put whole (tldraw diffs props one
    level deep only): a rich-text edit replaces the whole document."""
    doc = {"type": "doc", "content": [{"type": "paragraph", "text": "hello"}]}
    edited = {"type": "doc", "content": [{"type": "paragraph", "text": "hello!"}]}
    assert diff_record(with_props(richText=doc), with_props(richText=edited)) == {
        "props": ["patch", {"richText": ["put", edited]}]
    }


@pytest.mark.spec("DF3")
def test_props_that_are_not_objects() -> None:
    """A props that is null, a number or a string on either side is put (unless equal); a
    string props that grows is appended."""
    assert diff_record({"props": None}, {"props": {"a": 1}}) == {"props": ["put", {"a": 1}]}
    assert diff_record({"props": {"a": 1}}, {"props": 3}) == {"props": ["put", 3]}
    assert diff_record({"props": 3}, {"props": 3.0}) is None
    assert diff_record({"props": "ab"}, {"props": "abc"}) == {"props": ["append", "c", 2]}


@pytest.mark.spec("DF3")
def test_other_nested_objects_are_not_nested_keys() -> None:
    """Only the names props and meta are diffed by key; an object under another name is put."""
    assert diff_record({"style": {"a": 1, "b": 1}}, {"style": {"a": 2, "b": 1}}) == {
        "style": ["put", {"a": 2, "b": 1}]
    }


# ---------------------------------------------------------------------------------------------
# DF4: strings
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("DF4")
def test_a_growing_string_is_an_append() -> None:
    """A string that keeps its start and grows is an append of the new text at the old
    length, at the top level and in props; also from the empty string."""
    assert diff_record({"t": "hello"}, {"t": "hello world"}) == {"t": ["append", " world", 5]}
    assert diff_record({"t": ""}, {"t": "x"}) == {"t": ["append", "x", 0]}
    assert diff_record(with_props(text="hi"), with_props(text="hi there")) == {
        "props": ["patch", {"text": ["append", " there", 2]}]
    }


@pytest.mark.spec("DF4")
def test_a_replaced_or_shortened_string_is_put() -> None:
    """A string that changed otherwise is put; an equal one gives no op."""
    assert diff_record({"t": "hello"}, {"t": "help"}) == {"t": ["put", "help"]}
    assert diff_record({"t": "hello"}, {"t": "hell"}) == {"t": ["put", "hell"]}
    assert diff_record({"t": "hello"}, {"t": "".join(["hel", "lo"])}) is None


@pytest.mark.spec("DF4")
def test_append_offsets_count_utf16_code_units() -> None:
    """The offset is JavaScript's length: a character past U+FFFF (an emoji) counts twice, so
    a JavaScript peer finds the offset it expects."""
    assert diff_record({"t": "😀"}, {"t": "😀!"}) == {"t": ["append", "!", 2]}
    assert diff_record({"t": "a👍🏽b"}, {"t": "a👍🏽bc"}) == {"t": ["append", "c", 6]}
    assert apply_object_diff({"t": "😀"}, {"t": ["append", "!", 2]}) == {"t": "😀!"}
    assert apply_object_diff({"t": "😀"}, {"t": ["append", "!", 1]}) == {"t": "😀"}


@pytest.mark.spec("DF4")
def test_an_append_can_complete_a_surrogate_pair() -> None:
    """A string ending in a lone high surrogate that the new text completes into a pair is an
    append starting with the lone low surrogate, as in JavaScript; applying it gives the
    character as one code point (what a JSON parser makes of the pair)."""
    diff = diff_record({"t": "x\ud83d"}, {"t": "x😀!"})
    assert diff == {"t": ["append", "\ude00!", 2]}
    assert apply_object_diff({"t": "x\ud83d"}, diff) == {"t": "x😀!"}


@pytest.mark.spec("DF4")
def test_legacy_append_mode_puts_strings_but_still_appends_arrays() -> None:
    """In legacy mode string growth is a put; array growth is still an append."""
    prev = {"t": "ab", "props": {"t": "x"}, "arr": [1]}
    nxt = {"t": "abc", "props": {"t": "xy"}, "arr": [1, 2]}
    assert diff_record(prev, nxt, legacy_append_mode=True) == {
        "t": ["put", "abc"],
        "props": ["patch", {"t": ["put", "xy"]}],
        "arr": ["append", [2], 1],
    }


# ---------------------------------------------------------------------------------------------
# DF5: arrays of the same length
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("DF5")
@pytest.mark.parametrize(
    ("length", "allowed"), [(1, 1), (4, 1), (5, 1), (9, 1), (10, 2), (14, 2), (15, 3)]
)
def test_same_length_arrays_patch_up_to_a_fifth_of_their_items(length: int, allowed: int) -> None:
    """At most max(len/5, 1) changed items are patched by index; one more puts the array."""
    prev = list(range(length))
    patched = [i + 100 if i < allowed else i for i in prev]
    assert diff_record({"a": prev}, {"a": patched}) == {
        "a": ["patch", {str(i): ["put", i + 100] for i in range(allowed)}]
    }
    if allowed < length:
        over = [i + 100 if i <= allowed else i for i in prev]
        assert diff_record({"a": prev}, {"a": over}) == {"a": ["put", over]}


@pytest.mark.spec("DF5")
def test_unchanged_same_length_arrays_give_no_op() -> None:
    """Equal arrays (1 and 1.0 are equal) give no op."""
    assert diff_record({"a": [1, {"b": 2}]}, {"a": [1.0, {"b": 2}]}) is None


@pytest.mark.spec("DF5")
def test_changed_object_items_are_diffed_in_place() -> None:
    """An item that is an object on both sides gets a patch of its own (its object values put
    whole); an array item gets the array rules."""
    prev = {"a": [{"x": 1, "o": {"k": 1}}, [1], "s"]}
    assert diff_record(prev, {"a": [{"x": 2, "o": {"k": 1}}, [1], "s"]}) == {
        "a": ["patch", {"0": ["patch", {"x": ["put", 2]}]}]
    }
    assert diff_record(prev, {"a": [{"x": 1, "o": {"k": 2}}, [1], "s"]}) == {
        "a": ["patch", {"0": ["patch", {"o": ["put", {"k": 2}]}]}]
    }
    assert diff_record(prev, {"a": [{"x": 1, "o": {"k": 1}}, [1, 2], "s"]}) == {
        "a": ["patch", {"1": ["append", [2], 1]}]
    }


@pytest.mark.spec("DF5")
def test_falsy_or_primitive_items_are_put() -> None:
    """A changed item that is falsy on either side, or not an object, is put at its index
    (a string item is put, never appended)."""
    assert diff_record({"a": [{"x": 1}, 1]}, {"a": [None, 1]}) == {
        "a": ["patch", {"0": ["put", None]}]
    }
    assert diff_record({"a": [0, 1]}, {"a": [{"x": 1}, 1]}) == {
        "a": ["patch", {"0": ["put", {"x": 1}]}]
    }
    assert diff_record({"a": ["ab", 1]}, {"a": ["abc", 1]}) == {
        "a": ["patch", {"0": ["put", "abc"]}]
    }


@pytest.mark.spec("DF5")
def test_an_item_turning_into_the_other_kind_of_container() -> None:
    """tldraw diffs an array and an object by their keys: an item ``[1]`` that became
    ``{"0": 1}`` changes nothing key by key, so the patch is empty and applying it leaves the
    array. Same for props or meta themselves."""
    assert diff_record({"a": [[1]]}, {"a": [{"0": 1}]}) == {"a": ["patch", {}]}
    assert diff_record({"props": [1]}, {"props": {"0": 1}}) is None
    assert diff_record({"props": [1]}, {"props": {"0": 1, "x": 2}}) == {
        "props": ["patch", {"x": ["put", 2]}]
    }
    # an array owns "length": an object's "length" is compared with it
    assert diff_record({"props": {"length": 1}}, {"props": [7, 8]}) == {
        "props": ["patch", {"length": ["put", 2], "0": ["put", 7], "1": ["put", 8]}]
    }


# ---------------------------------------------------------------------------------------------
# DF6: arrays of different lengths
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("DF6")
def test_a_grown_array_with_its_prefix_unchanged_is_an_append() -> None:
    """New items after an unchanged prefix are appended at the old length (also from [])."""
    assert diff_record({"a": [1, 2]}, {"a": [1, 2, 3, 4]}) == {"a": ["append", [3, 4], 2]}
    assert diff_record({"a": []}, {"a": [{"x": 1}]}) == {"a": ["append", [{"x": 1}], 0]}


@pytest.mark.spec("DF6")
def test_a_shortened_or_otherwise_changed_array_is_put() -> None:
    """A truncated array, or one whose prefix changed, is put whole."""
    assert diff_record({"a": [1, 2, 3]}, {"a": [1, 2]}) == {"a": ["put", [1, 2]]}
    assert diff_record({"a": [1, 2]}, {"a": []}) == {"a": ["put", []]}
    assert diff_record({"a": [1, 2]}, {"a": [1, 9, 3]}) == {"a": ["put", [1, 9, 3]]}


@pytest.mark.spec("DF6")
def test_nested_arrays_grow_by_append() -> None:
    """Draw-like data: a segment's point list that grows is an append inside a patch."""
    prev = {"props": {"segments": [{"type": "free", "points": [{"x": 0, "y": 0}]}]}}
    nxt = {
        "props": {"segments": [{"type": "free", "points": [{"x": 0, "y": 0}, {"x": 1, "y": 2}]}]}
    }
    assert diff_record(prev, nxt) == {
        "props": [
            "patch",
            {
                "segments": [
                    "patch",
                    {"0": ["patch", {"points": ["append", [{"x": 1, "y": 2}], 1]}]},
                ]
            },
        ]
    }


# ---------------------------------------------------------------------------------------------
# DF7: equality and truthiness
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("DF7")
@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        (1, 1.0, True),
        (0, -0.0, True),
        (True, 1, False),
        (False, 0, False),
        (None, 0, False),
        ("1", 1, False),
        (math.nan, math.nan, True),
        (math.inf, math.inf, True),
        (math.inf, -math.inf, False),
        (2**60, 2**60 + 1, True),  # the same double
        (2**53, 2**53 + 1, True),
        (2**52, 2**52 + 1, False),
        (10**400, math.inf, True),  # JSON.parse makes Infinity of it
        ({"a": 1, "b": [1, 2]}, {"b": [1.0, 2], "a": 1}, True),
        ({"a": None}, {}, False),
        ({"a": None}, {"b": None}, False),
        ([1, 2], {"0": 1, "1": 2}, False),
        ([], {}, False),
        ([[]], [[]], True),
        ("😀", "\ud83d\ude00", False),  # Python strings: normalise pairs before comparing
    ],
)
def test_equality_is_lodash_is_equal(a: Any, b: Any, equal: bool) -> None:
    """js_equal is lodash isEqual on the JavaScript view of the values, both ways round."""
    assert js_equal(a, b) is equal
    assert js_equal(b, a) is equal


@pytest.mark.spec("DF7")
@pytest.mark.parametrize(
    ("value", "truthy"),
    [
        (None, False),
        (False, False),
        (0, False),
        (0.0, False),
        (-0.0, False),
        (math.nan, False),
        ("", False),
        ({}, True),
        ([], True),
        ("0", True),
        (math.inf, True),
        (-1, True),
    ],
)
def test_truthiness_is_javascripts(value: Any, truthy: bool) -> None:
    """Empty containers are truthy; NaN, 0, -0, "" falsy."""
    assert js_truthy(value) is truthy


@pytest.mark.spec("DF7")
def test_nan_and_infinities() -> None:
    """NaN equals NaN (no op, no copy); infinities compare by value; a number that became NaN
    or infinite is put. These cannot go through JSON to node, so only Python checks them."""
    record = {"x": math.nan, "y": math.inf, "props": {"a": [math.nan, 1]}}
    same = {"x": math.nan, "y": math.inf, "props": {"a": [float("nan"), 1.0]}}
    assert diff_record(record, same) is None
    assert diff_record(record, {**record, "y": -math.inf}) == {"y": ["put", -math.inf]}
    diff = diff_record({"x": 1}, {"x": math.nan})
    assert diff is not None and diff["x"][0] == "put" and math.isnan(diff["x"][1])
    assert apply_object_diff(record, {"x": ["put", float("nan")]}) is record
    assert diff_record({"a": [math.nan, 2]}, {"a": [math.nan, 3]}) == {
        "a": ["patch", {"1": ["put", 3]}]
    }
    nan = math.nan  # NaN is falsy: the changed item is put
    assert diff_record({"a": [1, 2]}, {"a": [nan, 2]}) == {"a": ["patch", {"0": ["put", nan]}]}


@pytest.mark.spec("DF7")
def test_booleans_are_not_numbers() -> None:
    """1 → True and 0 → False are changes (Python's == would miss them); 1 → 1.0 is not."""
    assert diff_record({"x": 1, "y": 0, "z": 1}, {"x": True, "y": False, "z": 1.0}) == {
        "x": ["put", True],
        "y": ["put", False],
    }
    assert diff_record({"a": [0, 1]}, {"a": [False, 1]}) == {"a": ["patch", {"0": ["put", False]}]}


# ---------------------------------------------------------------------------------------------
# DF8: applying diffs
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("DF8")
def test_apply_never_mutates_and_shares_unchanged_values() -> None:
    """The input stays as it was; the result is a new dict whose unchanged values are the very
    same objects."""
    prev = shape()
    before = repr(prev)
    result = apply_object_diff(prev, {"x": ["put", 1], "props": ["patch", {"w": ["put", 1]}]})
    assert repr(prev) == before
    assert result is not prev and result["props"] is not prev["props"]
    assert result["meta"] is prev["meta"]
    assert result == {**prev, "x": 1, "props": {**prev["props"], "w": 1}}


@pytest.mark.spec("DF8")
def test_apply_returns_the_input_when_no_op_has_an_effect() -> None:
    """Ops without effect (equal puts, deleting absent keys, misaimed appends, patches of
    missing keys or primitives, patches that change nothing) leave the very same object."""
    prev = shape()
    no_ops: dict[str, list[Any]] = {
        "x": ["put", 100.0],
        "props": ["patch", {"w": ["put", 80], "text": ["append", "!", 5]}],
        "meta": ["patch", {}],
        "missing": ["delete"],
        "type": ["patch", {"a": ["put", 1]}],
        "nothing": ["patch", {"a": ["put", 1]}],
        "index": ["append", 1, 2],
    }
    assert apply_object_diff(prev, no_ops) is prev
    assert apply_object_diff(prev, {}) is prev


@pytest.mark.spec("DF8")
def test_puts_add_and_replace() -> None:
    """A put sets the value, adding the key if needed; a put of an equal value is skipped."""
    assert apply_object_diff({"a": 1}, {"a": ["put", True], "b": ["put", None]}) == {
        "a": True,
        "b": None,
    }


@pytest.mark.spec("DF8")
def test_appends_apply_only_at_the_right_offset_and_type() -> None:
    """A string or array append applies when the current value has that type and the offset is
    its length; otherwise it is ignored. The offset must be a number (True is not 1)."""
    assert apply_object_diff(
        {"s": "ab", "a": [1]}, {"s": ["append", "c", 2], "a": ["append", [2], 1]}
    ) == {
        "s": "abc",
        "a": [1, 2],
    }
    assert apply_object_diff(
        {"s": "", "a": []}, {"s": ["append", "x", 0], "a": ["append", [0], 0.0]}
    ) == {
        "s": "x",
        "a": [0],
    }
    prev = {"s": "ab", "a": [1], "n": 5}
    for op in (
        ["append", "c", 3],
        ["append", "c", 1],
        ["append", ["c"], 2],
        ["append", "c", "2"],
    ):
        assert apply_object_diff(prev, {"s": op}) is prev
    assert apply_object_diff(prev, {"a": ["append", "x", 1]}) is prev
    assert apply_object_diff(prev, {"a": ["append", [2], True]}) is prev
    assert apply_object_diff(prev, {"n": ["append", "x", 0]}) is prev
    assert apply_object_diff(prev, {"missing": ["append", "x", 0]}) is prev


@pytest.mark.spec("DF8")
def test_patches_recurse_into_objects_and_arrays_only() -> None:
    """A patch applies to an object or array (empty ones included); a patch of a missing
    key, null or a primitive is ignored."""
    prev: Record = {"o": {}, "a": [], "n": None, "s": "x"}
    result = apply_object_diff(
        prev,
        {
            "o": ["patch", {"k": ["put", 1]}],
            "a": ["patch", {"0": ["put", 1]}],
            "n": ["patch", {"k": ["put", 1]}],
            "s": ["patch", {"0": ["put", "y"]}],
            "m": ["patch", {"k": ["put", 1]}],
        },
    )
    assert result == {"o": {"k": 1}, "a": [1], "n": None, "s": "x"}


@pytest.mark.spec("DF8")
def test_deletes_remove_present_keys() -> None:
    """A delete removes a present key (even one holding null) and ignores an absent one."""
    assert apply_object_diff({"a": None, "b": 1}, {"a": ["delete"], "c": ["delete"]}) == {"b": 1}


@pytest.mark.spec("DF8")
@pytest.mark.parametrize("value", [None, 0, 1, "text", True, math.nan])
def test_only_objects_and_arrays_are_patched(value: Any) -> None:
    """Anything but a dict or list comes back as it is."""
    assert apply_object_diff(value, {"a": ["put", 1]}) is value


# ---------------------------------------------------------------------------------------------
# DF9: arrays in apply_object_diff
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("DF9")
def test_arrays_stay_arrays_and_keys_are_numbers() -> None:
    """An array is patched into a new list; keys are read with JavaScript's Number(key), so
    "01" and "1.0" name index 1 too; an index one past the end appends."""
    prev = [10, 20, 30]
    assert apply_object_diff(prev, {"1": ["put", 21]}) == [10, 21, 30]
    assert apply_object_diff(prev, {"1.0": ["put", 21]}) == [10, 21, 30]
    assert apply_object_diff(prev, {"3": ["put", 40]}) == [10, 20, 30, 40]
    assert apply_object_diff(prev, {"0": ["patch", {}]}) is prev
    assert prev == [10, 20, 30]


@pytest.mark.spec("DF9")
def test_array_ops_read_the_current_item_by_its_exact_key() -> None:
    """A put compares with ``array[key]``: for "01" that is undefined, so even an equal value is
    written (into index 1); a patch or append at "01" finds nothing and is ignored."""
    prev = [[1], [2]]
    result = apply_object_diff(prev, {"01": ["put", [2]]})
    assert result == prev and result is not prev
    assert apply_object_diff(prev, {"01": ["append", [3], 1]}) is prev
    assert apply_object_diff(prev, {"1": ["append", [3], 1]}) == [[1], [2, 3]]


@pytest.mark.spec("DF9")
def test_named_keys_on_arrays_change_nothing_visible() -> None:
    """A key that is not an index ("x", "-1", "1.5") sets a property JSON does not carry."""
    prev = [1, 2]
    for key in ("x", "-1", "1.5", "length"):
        assert apply_object_diff(prev, {key: ["put", 9]}) == prev


@pytest.mark.spec("DF9")
def test_deleting_array_items_leaves_null_and_length_cannot_go() -> None:
    """Deleting an item leaves a hole, which is null in JSON; deleting "length" raises
    TypeError as strict-mode JavaScript does."""
    assert apply_object_diff([1, 2, 3], {"1": ["delete"]}) == [1, None, 3]
    assert apply_object_diff([1], {"5": ["delete"]}) == [1]
    with pytest.raises(TypeError, match="Cannot delete property 'length'"):
        apply_object_diff([1], {"length": ["delete"]})


@pytest.mark.spec("DF9")
def test_setting_past_the_end_of_an_array_raises() -> None:
    """JavaScript would leave holes; Python refuses (ValueError)."""
    with pytest.raises(ValueError, match="holes"):
        apply_object_diff([1], {"3": ["put", 1]})
    with pytest.raises(ValueError, match="holes"):
        apply_object_diff({"a": [1]}, {"a": ["patch", {"4294967294": ["put", 1]}]})


@pytest.mark.spec("DF9")
@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1", 1.0),
        (" 1\n", 1.0),
        ("", 0.0),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("5.", 5.0),
        ("0x1f", 31.0),
        ("0b11", 3.0),
        ("0o17", 15.0),
        ("-Infinity", -math.inf),
        ("+1", 1.0),
        ("-0", -0.0),
        ("1_000", math.nan),
        ("inf", math.nan),
        ("-0x1", math.nan),
        ("1e", math.nan),
        ("\u00a01\ufeff", 1.0),
    ],
)
def test_string_to_number_is_javascripts_number(text: str, number: float) -> None:
    """string_to_number reads what JavaScript's Number() reads and nothing else."""
    result = string_to_number(text)
    if math.isnan(number):
        assert math.isnan(result)
    else:
        assert result == number and math.copysign(1, result) == math.copysign(1, number)


# ---------------------------------------------------------------------------------------------
# DF10: network diffs and the server helpers
# ---------------------------------------------------------------------------------------------


def rec(rid: str, **fields: Any) -> Record:
    return {"id": rid, "typeName": rid.split(":", maxsplit=1)[0], **fields}


@pytest.mark.spec("DF10")
def test_network_diff_of_a_store_diff() -> None:
    """Added records are put, updates patched (left out when nothing changed), removed ids
    removed; an empty or ineffective store diff gives None."""
    a, b, c, d = rec("shape:a", x=1), rec("shape:b", x=1), rec("shape:c"), rec("shape:d", t="x")
    diff = RecordsDiff(
        added={"shape:a": a},
        updated={
            "shape:b": (b, {**b, "x": 2}),
            "shape:c": (c, dict(c)),
            "shape:d": (d, {**d, "t": "xy"}),
        },
        removed={"shape:e": rec("shape:e")},
    )
    assert get_network_diff(diff) == {
        "shape:a": ["put", a],
        "shape:b": ["patch", {"x": ["put", 2]}],
        "shape:d": ["patch", {"t": ["append", "y", 1]}],
        "shape:e": ["remove"],
    }
    assert get_network_diff(RecordsDiff()) is None
    assert get_network_diff(RecordsDiff(updated={"shape:c": (c, dict(c))})) is None


@pytest.mark.spec("DF10")
def test_network_diff_shares_records() -> None:
    """Put ops hold the records themselves, not copies."""
    a = rec("shape:a")
    result = get_network_diff(RecordsDiff(added={"shape:a": a}))
    assert result is not None and result["shape:a"][1] is a


@pytest.mark.spec("DF10")
def test_to_network_diff() -> None:
    """A storage change set: records put, pairs patched (or left out), deletes removed; always a
    dict."""
    a = rec("shape:a", x=1)
    assert to_network_diff(
        {"shape:a": a, "shape:b": (a, {**a, "x": 2}), "shape:c": [a, dict(a)]}, ["shape:d"]
    ) == {"shape:a": ["put", a], "shape:b": ["patch", {"x": ["put", 2]}], "shape:d": ["remove"]}
    assert to_network_diff({}, []) == {}


class CountingValidator:
    """A record type's validator that counts its calls and rejects negative values."""

    def __init__(self) -> None:
        self.calls = 0

    def validate_using_known_good_version(self, known_good: Any, new_value: object) -> Any:
        return self.validate(new_value)

    def validate(self, value: object) -> Any:
        self.calls += 1
        assert isinstance(value, dict)
        if value.get("value", 0) < 0:
            raise ValueError("value must not be negative")
        return value


@pytest.mark.spec("DF10")
def test_diff_and_validate_validates_only_when_there_is_a_diff() -> None:
    """No diff: None, and the validator is not called. A diff: the next record is validated and
    the diff returned; a failure is an InvalidRecordError with the validator's message."""
    validator = CountingValidator()
    record_type = RecordType("test", validator=validator)
    prev = rec("test:a", value=1)
    assert diff_and_validate_record(prev, dict(prev), record_type) is None
    assert validator.calls == 0
    assert diff_and_validate_record(prev, {**prev, "value": 2}, record_type) == {
        "value": ["put", 2]
    }
    assert validator.calls == 1
    with pytest.raises(InvalidRecordError, match="value must not be negative") as info:
        diff_and_validate_record(prev, {**prev, "value": -1}, record_type)
    assert info.value.close_reason == "INVALID_RECORD"


@pytest.mark.spec("DF10")
def test_diff_and_validate_uses_tldraws_validation_message() -> None:
    """A validation error's message is the tldraw text (with its path)."""
    record_type = RecordType(
        "test", validator=T.object({"id": T.string, "typeName": T.string, "value": T.number})
    )
    prev = rec("test:a", value=1)
    with pytest.raises(InvalidRecordError) as info:
        diff_and_validate_record(prev, {**prev, "value": "x"}, record_type)
    assert str(info.value) == "At value: Expected number, got a string"


@pytest.mark.spec("DF10")
def test_apply_and_diff_recomputes_the_diff() -> None:
    """The stored and broadcast diff is recomputed from the result: ops without effect are
    dropped, a put of a longer string becomes an append; no effect at all gives None."""
    record_type = RecordType("test", validator=CountingValidator())
    prev = rec("test:a", value=1, text="hello")
    result = apply_and_diff_record(
        prev, {"value": ["put", 1.0], "text": ["put", "hello!"], "x": ["delete"]}, record_type
    )
    assert result == ({"text": ["append", "!", 5]}, {**prev, "text": "hello!"})
    legacy = apply_and_diff_record(prev, {"text": ["put", "hello!"]}, record_type, True)
    assert legacy is not None and legacy[0] == {"text": ["put", "hello!"]}
    assert apply_and_diff_record(prev, {"value": ["put", 1]}, record_type) is None
    with pytest.raises(InvalidRecordError):
        apply_and_diff_record(prev, {"value": ["put", -5]}, record_type)


@pytest.mark.spec("DF10")
def test_apply_and_diff_rejects_holes() -> None:
    """A patch that would leave holes in an array is an invalid record."""
    record_type = RecordType("test", validator=CountingValidator())
    prev = rec("test:a", items=[1])
    with pytest.raises(InvalidRecordError, match="holes"):
        apply_and_diff_record(prev, {"items": ["patch", {"3": ["put", 2]}]}, record_type)


# ---------------------------------------------------------------------------------------------
# DF11: own keys
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("DF11")
def test_keys_named_like_object_prototype_members_are_plain_keys() -> None:
    """``constructor``, ``toString`` and the like are ordinary keys here (5.4.2 would see the
    inherited members; later tldraw reads own keys as we do)."""
    assert diff_record({"toString": 1, "constructor": 2}, {}) == {
        "toString": ["delete"],
        "constructor": ["delete"],
    }
    assert apply_object_diff({"a": 1}, {"toString": ["delete"]}) == {"a": 1}


# ---------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------


def keyed_swap(prev: Any, nxt: Any) -> bool:
    """Whether diff_record(prev, nxt) meets an array and an object where tldraw diffs by keys
    (props or meta themselves, or an item of a same-length array): the one place where the
    diff need not rebuild ``nxt`` (DF5). Walks exactly where diffValue is called."""
    if not (isinstance(prev, dict) and isinstance(nxt, dict)):
        return False
    for key in prev.keys() & nxt.keys():
        a, b = prev[key], nxt[key]
        if key in ("props", "meta") and _swap_in_value(a, b):
            return True
        if isinstance(a, list) and isinstance(b, list) and _swap_in_list(a, b):
            return True
    return False


def _swap_in_value(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return _swap_in_list(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return any(
            isinstance(a[k], list) and isinstance(b[k], list) and _swap_in_list(a[k], b[k])
            for k in a.keys() & b.keys()
        )
    return isinstance(a, dict | list) and isinstance(b, dict | list)  # an array and an object


def _swap_in_list(a: list[Any], b: list[Any]) -> bool:
    if len(a) != len(b):
        return False  # an append or a put: nothing is diffed by keys
    return any(
        not js_equal(x, y) and js_truthy(x) and js_truthy(y) and _swap_in_value(x, y)
        for x, y in zip(a, b, strict=True)
    )


@pytest.mark.spec("DF2", "DF8")
@PROPERTY
@given(pair=record_pairs().map(as_json), legacy=st.booleans())
def test_applying_the_diff_gives_the_new_record(pair: tuple[Any, Any], legacy: bool) -> None:
    """apply_object_diff(a, diff_record(a, b)) is b (JS-deep-equal), in both modes, unless an
    array met an object where tldraw diffs by keys (DF5); a has not changed."""
    prev, nxt = pair
    snapshot = repr(prev)
    diff = diff_record(prev, nxt, legacy)
    try:
        result = prev if diff is None else apply_object_diff(prev, diff)
    except ValueError:
        # keyed diffs of an array that became an object can index past the array's end,
        # which we refuse (JavaScript would leave holes): only such swaps may do that
        assert keyed_swap(prev, nxt)
    else:
        assert js_equal(result, nxt) or keyed_swap(prev, nxt)
    assert repr(prev) == snapshot


@pytest.mark.spec("DF2", "DF8")
@PROPERTY
@given(pair=record_pairs(swaps=False).map(as_json), legacy=st.booleans())
def test_without_kind_changes_the_diff_always_rebuilds(pair: tuple[Any, Any], legacy: bool) -> None:
    """On edits that never turn an array into an object or back, the diff always rebuilds the
    new record (so the exception above is the only one)."""
    prev, nxt = pair
    assert not keyed_swap(prev, nxt)
    diff = diff_record(prev, nxt, legacy)
    assert js_equal(prev if diff is None else apply_object_diff(prev, diff), nxt)


@pytest.mark.spec("DF2", "DF8")
@PROPERTY
@given(pair=record_pairs().map(as_json))
def test_no_diff_means_equal_and_identity(pair: tuple[Any, Any]) -> None:
    """An equal copy has no diff; an empty diff leaves the same object; applying a diff to the
    record it was made from returns a new object unless an array met an object (DF5)."""
    prev, nxt = pair
    assert diff_record(prev, _copy(prev)) is None
    assert apply_object_diff(prev, {}) is prev
    diff = diff_record(prev, nxt)
    if diff is not None:
        assert apply_object_diff(prev, diff) is not prev or keyed_swap(prev, nxt)
    else:
        assert js_equal(prev, nxt) or keyed_swap(prev, nxt)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


IDS = ["shape:a", "shape:b", "shape:c"]


@st.composite
def store_histories(draw: st.DrawFn) -> tuple[dict[str, Record], list[RecordsDiff]]:
    """A table of records and a list of store diffs, each consistent with the table before it
    (records are replaced, never mutated)."""
    state: dict[str, Record] = {}
    for rid in draw(st.lists(st.sampled_from(IDS), unique=True)):
        state[rid] = as_json(draw(records(with_id=rid)))
    start = dict(state)
    diffs: list[RecordsDiff] = []
    for _ in range(draw(st.integers(1, 5))):
        diff = RecordsDiff()
        for rid in draw(st.lists(st.sampled_from(IDS), unique=True, max_size=3)):
            if rid not in state:
                diff.added[rid] = state[rid] = as_json(draw(records(with_id=rid)))
            elif draw(st.booleans()):
                before = state[rid]
                after = draw(_edit_of(before, rid))
                diff.updated[rid] = (before, after)
                state[rid] = after
            else:
                diff.removed[rid] = state.pop(rid)
        diffs.append(diff)
    return start, diffs


@st.composite
def _edit_of(draw: st.DrawFn, record: Record, rid: str) -> Record:
    result = draw(edited(record))
    if not isinstance(result, dict):
        result = record
    changed: Record = as_json({**result, "id": rid})
    return changed


def _apply_network_diff(state: dict[str, Record], diff: dict[str, list[Any]]) -> dict[str, Record]:
    result = dict(state)
    for rid, op in diff.items():
        if op[0] == "put":
            result[rid] = op[1]
        elif op[0] == "patch":
            result[rid] = apply_object_diff(result[rid], op[1])
        else:
            result.pop(rid, None)
    return result


@pytest.mark.spec("DF10")
@PROPERTY
@given(history=store_histories())
def test_network_diff_of_squashed_store_diffs_replays_the_history(
    history: tuple[dict[str, Record], list[RecordsDiff]],
) -> None:
    """The network diff of the squashed store diffs, applied to the starting records, gives
    the final records (unless an array met an object, DF5); it is None when every record ends
    as it started, and then every record is as it started (or met such a swap)."""
    start, diffs = history
    end = dict(start)
    for diff in diffs:
        end.update(diff.added)
        end.update({rid: pair[1] for rid, pair in diff.updated.items()})
        for rid in diff.removed:
            end.pop(rid)
    network = get_network_diff(squash_records_diffs(diffs))
    replayed = start if network is None else _apply_network_diff(start, network)
    assert replayed.keys() == end.keys()
    for rid, record in end.items():
        assert js_equal(replayed[rid], record) or keyed_swap(start.get(rid), record), rid
    if js_equal(start, end):
        assert network is None
    if network is None:
        assert start.keys() == end.keys()
        assert all(js_equal(start[r], end[r]) or keyed_swap(start[r], end[r]) for r in end)
