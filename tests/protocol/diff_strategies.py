"""Hypothesis strategies for the diff tests: JSON values, record-like objects, and edits of them.

The values aim at every place where JavaScript and Python disagree unless the port is careful:
numbers that are equal in JavaScript but not in Python (``1``/``1.0``/``-0.0``, ints past 2**53)
or equal in Python but not in JavaScript (``1``/``True``, ``0``/``False``); falsy values (``0``,
``""``, ``None``, ``False``) next to truthy empty containers (``{}``, ``[]``); strings with
emoji, other characters past U+FFFF and lone surrogates (an edit can complete a pair);
integer-like keys (JavaScript enumerates them first) and ``"length"`` (an array owns it).

Edits (:func:`edited`) make a second value from a first one the way real changes do: a few
keys deleted, added or changed, strings typed further or cut, arrays grown, cut or patched
around the ``max(len/5, 1)`` threshold, numbers swapped for look-alikes, containers swapped for
the other kind with the same keys.

Keys named after ``Object.prototype`` members (``toString``, ``constructor``…) are left out:
5.4.2 reads them through the prototype chain and this port reads own keys only (SPEC DF11).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from tlsync_core.store.jsvalue import UNDEFINED, string_to_number

# keys: record-like names, integer-like names (enumerated first by JavaScript), odd names
KEYS = [
    "id",
    "typeName",
    "x",
    "y",
    "index",
    "isLocked",
    "type",
    "text",
    "props",
    "meta",
    "a",
    "b",
    "0",
    "1",
    "2",
    "10",
    "01",
    "1.0",
    "",
    "length",
    "x y",
    "é",
]
TOP_KEYS = ["id", "typeName", "x", "y", "rotation", "index", "parentId", "isLocked", "opacity"]
PROP_KEYS = ["w", "h", "text", "color", "points", "segments", "richText", "name", "url", "0"]

# code units that make strings interesting: ASCII, a BMP letter, characters past U+FFFF (two
# UTF-16 code units each), and lone surrogates
_CHARS = st.one_of(
    st.sampled_from(list("ab ")),
    st.sampled_from(["é", "日", "😀", "👍🏽", "\U00010000", "\U0010ffff"]),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
)
STRINGS = st.one_of(
    st.sampled_from(["", "a", "ab", "hello", "😀", "a😀", "\ude00b"]),
    st.sampled_from(["\ud83d", "x\ud83d", "😀\ud83d", "ab\udbff"]),  # a pair waiting to happen
    st.lists(_CHARS, max_size=6).map("".join),
)
_SUFFIXES = st.one_of(
    st.sampled_from(["!", " world", "😀", "\ude00", "\ude00!", "\ud83d", "é"]),
    st.lists(_CHARS, min_size=1, max_size=4).map("".join),
)

NUMBERS = st.one_of(
    st.integers(-3, 3),
    st.sampled_from([0.0, -0.0, 1.0, 2.0, 0.5, -1.5, 100.25, 1e21, 1e-7]),
    # ints past 2**53: different in Python, the same double in JavaScript
    st.sampled_from([2**53, 2**53 + 1, 2**60, 2**60 + 1, 2**60 + 2, -(2**60) - 1]),
    st.integers(2**53 - 2, 2**53 + 2),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
FALSY = [None, False, 0, 0.0, -0.0, ""]
LEAVES = st.one_of(st.none(), st.booleans(), NUMBERS, STRINGS)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), children, max_size=4),
    )


VALUES: st.SearchStrategy[Any] = st.recursive(LEAVES, _containers, max_leaves=8)
#: arrays and objects (what diffRecord and applyObjectDiff work on)
CONTAINERS: st.SearchStrategy[Any] = _containers(VALUES)

POINTS = st.lists(
    st.fixed_dictionaries({"x": NUMBERS, "y": NUMBERS, "z": st.sampled_from([0.5, 0.25, 1])}),
    max_size=12,
)
#: 5.4.2 draw shapes keep their points in a base64 string that grows as the pen moves
SEGMENTS = st.lists(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["free", "straight"]), "path": STRINGS},
        optional={"points": POINTS},
    ),
    max_size=2,
)
PROP_VALUES: st.SearchStrategy[Any] = st.one_of(
    VALUES,
    STRINGS,
    STRINGS,
    POINTS,
    SEGMENTS,
    st.lists(LEAVES, min_size=4, max_size=16),
)


@st.composite
def props_objects(draw: st.DrawFn, swaps: bool = True) -> Any:
    """A ``props`` or ``meta`` value: mostly a dict of prop-like values, sometimes not."""
    if draw(st.integers(0, 9)) == 9:
        return draw(st.one_of(LEAVES, st.lists(VALUES, max_size=3)) if swaps else LEAVES)
    keys = draw(
        st.lists(st.sampled_from(PROP_KEYS + KEYS[:6]), unique=True, min_size=1, max_size=5)
    )
    return {key: draw(PROP_VALUES) for key in keys}


@st.composite
def records(draw: st.DrawFn, with_id: str | None = None, swaps: bool = True) -> dict[str, Any]:
    """A record-like dict: some top-level keys (arbitrary values), usually props and meta."""
    keys = draw(st.lists(st.sampled_from(TOP_KEYS + KEYS), unique=True, max_size=5))
    record: dict[str, Any] = {key: draw(st.one_of(VALUES, STRINGS)) for key in keys}
    if with_id is not None:
        record["id"] = with_id
    if draw(st.integers(0, 4)) < 4:
        record["props"] = draw(props_objects(swaps))
    if draw(st.integers(0, 2)) < 2:
        record["meta"] = draw(props_objects(swaps))
    return record


def _look_alikes(value: Any, swaps: bool = True) -> list[Any]:
    """Values that JavaScript and Python may disagree about comparing with ``value``; with
    ``swaps``, also an array for an object and the other way round."""
    if isinstance(value, bool):
        return [int(value), float(value), not value, str(value).lower()]
    if isinstance(value, int | float):
        out: list[Any] = [float(value), value + 1, str(value)]
        if value in (0, 1):
            out.append(bool(value))
        if value == 0:
            out += [-0.0, None, ""]
        if isinstance(value, int) and abs(value) >= 2**53 - 1:
            out = [value + 1, value - 1, value + 2, *out]
        elif isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            out.append(int(value))
        return out
    if value is None:
        return [0, False, "", {}, [], "null"]
    if isinstance(value, str):
        return ["", value + value, value[:-1], 0 if value == "" else value.upper()]
    if isinstance(value, list):
        out = [[], None]
        if swaps:
            out += [_as_object(value), {**_as_object(value), "length": len(value)}]
        return out
    if isinstance(value, dict):
        # the same values under other keys: a missing key is not a key holding null
        renamed = {f"{k}_": v for k, v in value.items()}
        nulls_moved = {(f"{k}_" if v is None else k): v for k, v in value.items()}
        out = [{}, None, json.loads(json.dumps(value)), renamed, nulls_moved]
        if swaps:
            out.append([value[k] for k in sorted(value, key=str)])
        return out
    return [None]


def _as_object(items: list[Any]) -> dict[str, Any]:
    return {str(i): v for i, v in enumerate(items)}


@st.composite
def kind_swaps(draw: st.DrawFn) -> tuple[Any, Any]:
    """``(prev, next)`` records where an array becomes an object with the same entries (maybe
    with a ``length`` key) or the other way round, where tldraw diffs them by keys: props or
    meta themselves, or an item of an array (SPEC DF5)."""
    items = draw(st.lists(LEAVES, max_size=3))
    array: Any = items
    obj: Any = _as_object(items)
    if draw(st.booleans()):
        obj["length"] = draw(st.sampled_from([len(items), len(items) + 1, "x"]))
    if draw(st.booleans()):
        obj[draw(st.sampled_from(KEYS))] = draw(LEAVES)
    before, after = (array, obj) if draw(st.booleans()) else (obj, array)
    where = draw(st.sampled_from(["props", "meta", "item"]))
    if where == "item":
        other = draw(st.lists(VALUES, max_size=3))
        index = draw(st.integers(0, len(other)))
        prev_list = [*other[:index], before, *other[index:]]
        next_list = [*other[:index], after, *other[index:]]
        return {"props": {"a": prev_list}}, {"props": {"a": next_list}}
    return {where: before, "id": "x:1"}, {where: after, "id": "x:1"}


@st.composite
def edited(draw: st.DrawFn, value: Any, depth: int = 0, swaps: bool = True) -> Any:
    """A value made from ``value`` by a realistic change (or none at all).

    ``swaps=False`` never puts an array where an object was or the other way round (tldraw
    diffs such a pair by its keys, and the result need not be the new value: SPEC DF5)."""
    # (Hypothesis's simplest choice, 0, is the most telling edit: it draws many of them)
    choice = draw(st.integers(0, 29))
    if choice == 29:
        return value  # unchanged
    if choice == 28:
        return json.loads(json.dumps(value))  # an equal copy
    if choice == 27:
        return draw(VALUES if swaps else LEAVES)  # unrelated
    if choice >= 25:
        return draw(st.sampled_from(_look_alikes(value, swaps)))
    if isinstance(value, dict):
        return draw(_edited_dict(value, depth, swaps))
    if isinstance(value, list):
        return draw(_edited_list(value, depth, swaps))
    if isinstance(value, str):
        return draw(_edited_string(value))
    return draw(st.one_of(st.sampled_from(_look_alikes(value, swaps)), LEAVES))


def _ends_with_high_surrogate(text: str) -> bool:
    return bool(text) and "\ud800" <= text[-1] <= "\udbff"


#: what can complete a lone high surrogate into a pair (JSON then reads the pair as one character)
_LOW_SURROGATE_STARTS = st.tuples(
    st.characters(min_codepoint=0xDC00, max_codepoint=0xDFFF, exclude_categories=()),
    st.one_of(st.just(""), _SUFFIXES),
).map("".join)


@st.composite
def _edited_string(draw: st.DrawFn, value: str) -> str:
    if _ends_with_high_surrogate(value) and draw(st.booleans()):
        return value + draw(_LOW_SURROGATE_STARTS)
    kind = draw(st.integers(0, 5))
    if kind <= 2:
        return value + draw(_SUFFIXES)  # typed further (the common case)
    if kind == 3 and value:
        return value[: draw(st.integers(0, len(value) - 1))]  # cut
    if kind == 4:
        return draw(_SUFFIXES) + value  # typed in front
    return draw(STRINGS)


@st.composite
def _edited_dict(draw: st.DrawFn, value: dict[str, Any], depth: int, swaps: bool) -> Any:
    result = dict(value)
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.integers(0, 7))
        keys = list(result)
        if action == 7 and keys:
            del result[draw(st.sampled_from(keys))]
        elif action == 6 or not keys:
            key = draw(st.sampled_from(KEYS))
            # (a key deleted above may come back: compare with the original)
            result[key] = draw(VALUES if swaps or key not in value else LEAVES)
        elif keys and depth < 4:
            key = draw(st.sampled_from(keys))
            # edits start from the original value: chained edits could swap kinds
            original = value[key] if key in value else result[key]
            changed = draw(edited(original, depth + 1, swaps))
            if changed is UNDEFINED:
                del result[key]
            else:
                result[key] = changed
    return result


@st.composite
def _edited_list(draw: st.DrawFn, value: list[Any], depth: int, swaps: bool) -> Any:
    result = list(value)
    action = draw(st.integers(0, 6))
    if action == 0:
        return result + draw(st.lists(VALUES, min_size=1, max_size=3))  # grown
    if action == 1 and result:
        return result[: draw(st.integers(0, len(result) - 1))]  # cut
    if action == 2 and result:
        # replace some items with falsy values or look-alikes of the original item (a second
        # replacement of the same item must not chain: [] -> None -> {} would be a kind swap)
        for _ in range(draw(st.integers(1, 2))):
            index = draw(st.integers(0, len(result) - 1))
            result[index] = draw(st.sampled_from(FALSY + _look_alikes(value[index], swaps)))
        return result
    if action == 3 and result:
        result[0] = draw(VALUES if swaps else LEAVES)
        return result + draw(st.lists(VALUES, max_size=1))  # prefix changed, maybe grown
    if not result:
        return draw(st.lists(VALUES, max_size=2))
    # change k items, with k around the max(len/5, 1) threshold
    limit = max(len(result) // 5, 1)
    count = draw(st.integers(1, min(len(result), limit + 1)))
    indexes = draw(st.lists(st.integers(0, len(result) - 1), min_size=count, max_size=count))
    for index in indexes:
        if depth < 4:
            result[index] = draw(edited(value[index], depth + 1, swaps))
    return result


@st.composite
def record_pairs(
    draw: st.DrawFn, with_id: str | None = None, swaps: bool = True
) -> tuple[Any, Any]:
    """``(prev, next)``: a record and an edit of it (now and then two unrelated records).

    ``swaps=False``: see :func:`edited`."""
    prev = draw(records(with_id, swaps))
    if swaps and draw(st.integers(0, 19)) == 19:
        return prev, draw(records(with_id))
    nxt = draw(edited(prev, 0, swaps))
    if not isinstance(nxt, dict):
        nxt = draw(edited(prev, 0, swaps).filter(lambda v: isinstance(v, dict)))
    if with_id is not None:
        nxt["id"] = with_id
    return prev, nxt


# ---------------------------------------------------------------------------------------------
# arbitrary diffs (not made by diff_record), for apply_object_diff
# ---------------------------------------------------------------------------------------------

# keys JavaScript reads as an index of an array by Number(key); with the canonical ones
ODD_INDEX_KEYS = ["01", "1.0", " 1", "1e0", "0x1", "+1", "-0", "", "length", "x", "1.5", "-1"]


def _keys_for(target: Any) -> st.SearchStrategy[str]:
    if isinstance(target, list):
        # never an index past the end: JavaScript would leave holes (Python raises instead)
        canonical = [str(i) for i in range(len(target) + 1)]
        odd = [k for k in ODD_INDEX_KEYS if (_number_index(k) or 0) <= len(target)]
        return st.sampled_from(canonical + odd)
    if isinstance(target, dict) and target:
        present = st.sampled_from(sorted(target))
        return st.one_of(present, present, present, st.sampled_from(KEYS))
    return st.sampled_from(KEYS)


def _number_index(key: str) -> int | None:
    number = string_to_number(key)
    if number.is_integer() and number >= 0:
        return int(number)
    return None


@st.composite
def value_ops(draw: st.DrawFn, current: Any, depth: int = 0) -> list[Any]:
    """One op for a value that currently is ``current`` (UNDEFINED if absent)."""
    kind = draw(st.integers(0, 9))
    if isinstance(current, str | list) and kind <= 3:
        kind = 4  # mostly appends for what can be appended to
    if kind <= 2:
        return ["put", draw(st.one_of(VALUES, st.sampled_from(_look_alikes(current))))]
    if kind == 3:
        return ["delete"]
    if kind <= 6:
        # appends: often well-aimed, sometimes at the wrong offset or of the wrong type
        if isinstance(current, str):
            length = len(current.encode("utf-16-le", "surrogatepass")) // 2
        elif isinstance(current, list):
            length = len(current)
        else:
            length = draw(st.integers(0, 3))
        offsets: list[Any] = [length, length, length, length + 1, max(length - 1, 0)]
        offsets += [float(length), str(length), True, False]
        if length <= 1:
            offsets.append(bool(length))  # True is not 1 to JavaScript's ===
        offset: Any = draw(st.sampled_from(offsets))
        if isinstance(current, str) and _ends_with_high_surrogate(current) and draw(st.booleans()):
            payload: Any = draw(_LOW_SURROGATE_STARTS)
        elif isinstance(current, str) and draw(st.integers(0, 3)) < 3:
            payload = draw(_SUFFIXES)
        elif isinstance(current, list) and draw(st.integers(0, 3)) < 3:
            payload = draw(st.lists(VALUES, max_size=2))
        else:
            payload = draw(st.one_of(_SUFFIXES, st.lists(VALUES, max_size=2), LEAVES))
        return ["append", payload, offset]
    if isinstance(current, dict | list) and depth < 3:
        return ["patch", draw(object_diffs(current, depth + 1))]
    return ["patch", draw(object_diffs(draw(VALUES), depth + 1))]


@st.composite
def object_diffs(draw: st.DrawFn, target: Any, depth: int = 0) -> dict[str, list[Any]]:
    """A diff with ops for some keys of ``target`` (and some keys it lacks)."""
    diff: dict[str, list[Any]] = {}
    for key in draw(st.lists(_keys_for(target), unique=True, max_size=4)):
        if isinstance(target, dict):
            current = target.get(key, UNDEFINED)
        elif isinstance(target, list) and key.isdigit() and int(key) < len(target):
            current = target[int(key)]
        else:
            current = UNDEFINED
        op = draw(value_ops(current, depth))
        if isinstance(target, list) and op[0] == "delete" and key == "length":
            continue  # a TypeError in both; covered by a Python test
        diff[key] = op
    return diff


@st.composite
def append_cases(draw: st.DrawFn) -> tuple[Any, list[Any]]:
    """``(current, op)``: an append op for a string or array, aimed right (UTF-16 length) or
    wrong (Python's code-point length, off by one, a float, a bool or a string offset, a payload
    of the other type)."""
    current = draw(st.one_of(STRINGS, st.lists(LEAVES, max_size=3)))
    if isinstance(current, str):
        length = len(current.encode("utf-16-le", "surrogatepass")) // 2
        offsets: list[Any] = [length, length, len(current), float(length), length + 1]
        payload: Any = draw(
            _LOW_SURROGATE_STARTS if _ends_with_high_surrogate(current) else _SUFFIXES
        )
    else:
        length = len(current)
        offsets = [length, length, float(length), length - 1]
        payload = draw(st.lists(VALUES, max_size=2))
    offsets += [str(length), None, bool(length), not length]
    if draw(st.integers(0, 4)) == 4:
        payload = draw(st.one_of(_SUFFIXES, st.lists(VALUES, max_size=2), LEAVES))
    return current, ["append", payload, draw(st.sampled_from(offsets))]


@st.composite
def array_key_cases(draw: st.DrawFn) -> tuple[list[Any], dict[str, list[Any]]]:
    """``(array, diff)`` with keys an array reads one way and writes another: ``"length"``,
    ``"01"``, ``"1.0"`` and the like, with puts of the value already there."""
    array = draw(st.lists(st.one_of(LEAVES, CONTAINERS), min_size=1, max_size=4))
    diff: dict[str, list[Any]] = {}
    keys = ["length", "01", "1.0", " 0", "0", "1", str(len(array))]
    count = draw(st.sampled_from([1, 1, 2, 3, 3]))  # one op alone shows if the input came back
    for key in draw(st.lists(st.sampled_from(keys), unique=True, min_size=1, max_size=count)):
        index = _number_index(key)
        if index is not None and index > len(array):
            continue
        same: Any = (
            len(array)
            if key == "length"
            else array[index]
            if index is not None and index < len(array)
            else None
        )
        kind = draw(st.integers(0, 4))
        if kind <= 1:
            diff[key] = ["put", json.loads(json.dumps(same)) if kind == 0 else draw(LEAVES)]
        elif kind == 2:
            diff[key] = ["patch", {"0": ["put", 1]}]
        elif kind == 3:
            diff[key] = ["append", [1], len(same) if isinstance(same, list | str) else 0]
        elif key != "length":  # deleting "length" throws (a Python test covers it)
            diff[key] = ["delete"]
    return array, diff


@st.composite
def null_moves(draw: st.DrawFn) -> tuple[Any, Any]:
    """``(prev, next)`` records where an object's null moves to another key: equal in size and
    values, not equal to lodash (a missing key is not a key holding null)."""
    keys = draw(st.lists(st.sampled_from(KEYS), unique=True, min_size=1, max_size=3))
    before = {key: None for key in keys}
    moved = draw(st.sampled_from(keys))
    after = {(f"{key}_" if key == moved else key): None for key in keys}
    where = draw(st.sampled_from(["top", "props", "item"]))
    if where == "top":
        return {"o": before}, {"o": after}
    if where == "props":
        return {"props": {"o": before}}, {"props": {"o": after}}
    return {"props": {"a": [1, before]}}, {"props": {"a": [1, after]}}
