"""Diffs on the wire: ``diff_record``, ``apply_object_diff`` and ``get_network_diff``.

These reproduce ``@tldraw/sync-core`` 5.4.2's ``diff.ts`` (SPEC.md §3a, rules
DF*) on Python JSON values, seen the way :mod:`tlsync_core.store.jsvalue` says JavaScript sees
them. A peer applies the ops it receives without asking questions (an append whose offset does
not match is silently dropped), and the server answers a push with ``commit`` only when it
computes the same diff the client sent, so the output must be the same ops as tldraw's, not just
an equivalent change. In short:

* ``diff_record`` compares records key by key. ``props`` and ``meta`` are diffed one level
  deep; inside them, and for every other key, a changed object is put whole. Strings that grow
  become appends (offsets in UTF-16 code units, as JavaScript counts them); arrays get
  per-index patches (at most ``max(len/5, 1)`` changed items), appends, or a put.
* Equality is lodash ``isEqual`` (:func:`~tlsync_core.store.jsvalue.js_equal`): ``True`` is
  not ``1``, ``1`` is ``1.0``, key order does not count, NaN equals NaN. Truthiness is
  JavaScript's (``{}`` and ``[]`` are truthy).
* ``apply_object_diff`` never changes its input: the first op with an effect makes a shallow
  copy, and when no op has an effect it returns the very same object. Callers use that identity
  as the "nothing changed" signal (``apply_and_diff_record`` does).

Values are JSON: ``dict`` (object), ``list`` (array), ``str``, ``int``/``float``, ``bool``,
``None``. Anything else is opaque: compared with ``==`` and put whole. Where 5.4.2 reads a
key through the prototype chain (a record key named ``constructor`` or ``toString``), this port
reads own keys only, as later tldraw does; arrays do own ``length``, as in JavaScript.

This module and :mod:`~tlsync_core.store.jsvalue` are compiled by mypyc at install time
(setup.py; about twice as fast, bench/README.md): keep them plain, fully typed Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any, Final, Protocol, TypeAlias, TypeVar

from tlsync_core.protocol.close_codes import TLSyncErrorCloseEventReason
from tlsync_core.store.diff import RecordsDiff
from tlsync_core.store.jsvalue import (
    get_own,
    has_own,
    js_equal,
    js_truthy,
    own_keys,
    string_to_number,
    utf16_length,
)
from tlsync_core.store.validators import ValidationError

__all__ = [
    "InvalidRecordError",
    "NetworkDiff",
    "ObjectDiff",
    "RecordOp",
    "RecordOpType",
    "ValueOp",
    "ValueOpType",
    "apply_and_diff_record",
    "apply_object_diff",
    "diff_and_validate_record",
    "diff_record",
    "get_network_diff",
    "js_equal",
    "to_network_diff",
]


class ValueOpType(StrEnum):
    """The first item of a :data:`ValueOp` (members equal their wire strings)."""

    Put = "put"
    Delete = "delete"
    Append = "append"
    Patch = "patch"


class RecordOpType(StrEnum):
    """The first item of a :data:`RecordOp` (members equal their wire strings)."""

    Put = "put"
    Patch = "patch"
    Remove = "remove"


#: ``["put", value]``, ``["delete"]``, ``["append", items_or_text, offset]`` or
#: ``["patch", ObjectDiff]``.
ValueOp: TypeAlias = list[Any]
#: Key (array index as a decimal string, for arrays) → :data:`ValueOp`.
ObjectDiff: TypeAlias = dict[str, ValueOp]
#: ``["put", record]``, ``["patch", ObjectDiff]`` or ``["remove"]``.
RecordOp: TypeAlias = list[Any]
#: Record id → :data:`RecordOp`.
NetworkDiff: TypeAlias = dict[str, RecordOp]

Record: TypeAlias = dict[str, Any]
_T = TypeVar("_T")

#: The record keys whose object values are diffed key by key rather than put whole.
NESTED_KEYS: Final = frozenset(("props", "meta"))

# Ints beyond this magnitude may round to the same double; NaN fails every comparison with it.
# Two numbers that are != in Python are equal in JavaScript only past it or when both are NaN.
_EXACT: Final = 2.0**53
# The largest array index JavaScript has (2**32 - 2).
_MAX_ARRAY_INDEX: Final = 4294967294


class _Absent:
    """The default of a dict lookup: no JSON value is this object."""


_ABSENT: Final = _Absent()


# ---------------------------------------------------------------------------------------------
# diff_record
# ---------------------------------------------------------------------------------------------


def diff_record(prev: Any, next: Any, legacy_append_mode: bool = False) -> ObjectDiff | None:
    """The ops that turn record ``prev`` into record ``next``, or ``None`` if there are none.

    ``legacy_append_mode`` turns string appends into puts (for clients older than protocol 8);
    array appends stay. Neither record is changed; the ops hold ``next``'s values by reference.
    """
    if prev is next:
        return None
    if type(prev) is dict and type(next) is dict:
        return _diff_dicts(prev, next, NESTED_KEYS, legacy_append_mode)
    return _diff_objects(prev, next, NESTED_KEYS, legacy_append_mode)


def _diff_dicts(
    prev: dict[Any, Any],
    next: dict[Any, Any],
    nested: frozenset[str] | None,
    legacy: bool,
) -> ObjectDiff | None:
    """``diffObject`` for two dicts (the fast path of :func:`_diff_objects`)."""
    result: dict[Any, Any] | None = None
    missing = 0
    for key, a in prev.items():
        b = next.get(key, _ABSENT)
        if a is b:
            continue
        op: ValueOp | None
        if b is _ABSENT:
            missing += 1
            op = ["delete"]
        else:
            kind = type(a)
            if kind is type(b) and kind is str:
                if a == b:
                    continue
                op = _diff_strings(a, b, legacy)
            elif (kind is float or kind is int) and (type(b) is float or type(b) is int):
                if a == b or (
                    not (-_EXACT < a < _EXACT and -_EXACT < b < _EXACT) and js_equal(a, b)
                ):
                    continue
                op = ["put", b]
            else:
                op = _diff_entry(key, a, b, nested, legacy)
                if op is None:
                    continue
        if result is None:
            result = {}
        result[key] = op
    if len(next) > len(prev) - missing:  # next has keys that prev lacks
        for key, b in next.items():
            if key not in prev:
                if result is None:
                    result = {}
                result[key] = ["put", b]
    return result


def _diff_objects(
    prev: Any,
    next: Any,
    nested: frozenset[str] | None,
    legacy: bool,
) -> ObjectDiff | None:
    """``diffObject`` for any two arrays or objects (a list and a dict included): own keys in
    JavaScript order, ``in`` as own-property presence (a list owns ``"length"``)."""
    if prev is next:
        return None
    result: dict[Any, Any] | None = None
    for key in own_keys(prev):
        op: ValueOp | None
        if not has_own(next, key):
            op = ["delete"]
        else:
            a = get_own(prev, key)
            b = get_own(next, key)
            if a is b:
                continue
            op = _diff_entry(key, a, b, nested, legacy)
            if op is None:
                continue
        if result is None:
            result = {}
        result[key] = op
    for key in own_keys(next):
        if not has_own(prev, key):
            if result is None:
                result = {}
            result[key] = ["put", get_own(next, key)]
    return result


def _diff_entry(
    key: Any, a: Any, b: Any, nested: frozenset[str] | None, legacy: bool
) -> ValueOp | None:
    """The op for a key present on both sides whose values are not the same object."""
    if nested is not None and key in nested:
        return _diff_value(a, b, legacy)
    if isinstance(a, list) and isinstance(b, list):
        return _diff_lists(a, b, legacy)
    if isinstance(a, str) and isinstance(b, str):
        return None if a == b else _diff_strings(a, b, legacy)
    return None if js_equal(a, b) else ["put", b]


def _diff_value(a: Any, b: Any, legacy: bool) -> ValueOp | None:
    """``diffValue``: arrays and strings by their own rules, two objects key by key (with no
    nested keys, so their object values are put whole), anything else put unless equal."""
    if a is b:
        return None
    kind = type(a)
    if kind is type(b):
        if kind is dict:
            diff = _diff_dicts(a, b, None, legacy)
            return None if diff is None else ["patch", diff]
        if kind is list:
            return _diff_lists(a, b, legacy)
        if kind is str:
            return None if a == b else _diff_strings(a, b, legacy)
    if isinstance(a, list) and isinstance(b, list):
        return _diff_lists(a, b, legacy)
    if isinstance(a, str) and isinstance(b, str):
        return None if a == b else _diff_strings(a, b, legacy)
    if isinstance(a, (dict, list)) and isinstance(b, (dict, list)):  # objects are always truthy
        diff = _diff_objects(a, b, None, legacy)
        return None if diff is None else ["patch", diff]
    return None if js_equal(a, b) else ["put", b]


def _diff_strings(a: str, b: str, legacy: bool) -> ValueOp:
    """Two different strings: an append when ``b`` starts with ``a`` (not in legacy mode), else
    a put. Prefix and offset are in UTF-16 code units."""
    if not legacy:
        if b.startswith(a):
            return ["append", b[len(a) :], utf16_length(a)]
        if a and 0xD800 <= ord(a[-1]) <= 0xDBFF:
            # a ends with a lone high surrogate: b may continue it into a pair, which Python
            # holds as one code point; compare (and cut) the UTF-16 code units instead
            units_a = a.encode("utf-16-le", "surrogatepass")
            units_b = b.encode("utf-16-le", "surrogatepass")
            if units_b.startswith(units_a):
                tail = units_b[len(units_a) :].decode("utf-16-le", "surrogatepass")
                return ["append", tail, len(units_a) // 2]
    return ["put", b]


def _diff_lists(prev: list[Any], next: list[Any], legacy: bool) -> ValueOp | None:
    """``diffArray``: same length → a patch of the changed indexes (a put past
    ``max(len/5, 1)`` of them); longer with the same prefix → an append; otherwise a put."""
    if prev is next:
        return None
    length = len(prev)
    if length == len(next):
        limit = max(length / 5, 1)
        changed: list[int] = []
        for index, (x, y) in enumerate(zip(prev, next, strict=True)):
            if x is not y and not js_equal(x, y):
                changed.append(index)
                if len(changed) > limit:
                    return ["put", next]
        if not changed:
            return None
        patch: ObjectDiff = {}
        for index in changed:
            x = prev[index]
            y = next[index]
            if not js_truthy(x) or not js_truthy(y):
                patch[str(index)] = ["put", y]
            elif isinstance(x, (dict, list)) and isinstance(y, (dict, list)):
                op = _diff_value(x, y, legacy)
                if op is not None:
                    patch[str(index)] = op
            else:
                patch[str(index)] = ["put", y]
        return ["patch", patch]
    if len(next) < length:
        return ["put", next]  # a truncation: some prev item meets undefined
    for x, y in zip(prev, next, strict=False):  # next is longer: the shared prefix
        if x is not y and not js_equal(x, y):
            return ["put", next]
    return ["append", next[length:], length]


# ---------------------------------------------------------------------------------------------
# apply_object_diff
# ---------------------------------------------------------------------------------------------


def apply_object_diff(obj: _T, diff: Mapping[str, Sequence[Any]]) -> _T:
    """``obj`` with ``diff`` applied: a new dict or list if any op had an effect, else ``obj``
    itself. ``obj`` is never changed; unchanged values are shared with the result.

    Ops that do not fit are ignored, as in tldraw: a patch of a missing key or of a value that is
    not an object or array; an append to a value of another type or whose length (UTF-16 code
    units for strings) is not the op's offset; a put of a value equal to the current one; a
    delete of a missing key. ``obj`` itself may be anything: only a dict or list is patched.

    On an array, an op reads the item its key names exactly (``"1"``, not ``"01"``) and writes
    where JavaScript's ``Number(key)`` points (``"01"`` writes index 1). A
    ``delete`` leaves ``None`` (JavaScript leaves a hole, which JSON writes as ``null``);
    deleting ``"length"`` raises ``TypeError`` (as strict-mode JavaScript does); setting an index
    past the end raises ``ValueError`` (JavaScript would leave holes). A malformed op (not a
    sequence, or missing its value) raises ``IndexError`` or ``TypeError``.
    """
    kind = type(obj)
    if kind is dict:
        return _apply_to_dict(obj, diff)  # type: ignore[arg-type, return-value]
    if kind is list:
        return _apply_to_list(obj, diff)  # type: ignore[arg-type, return-value]
    if isinstance(obj, dict):
        return _apply_to_dict(obj, diff)  # type: ignore[return-value]
    if isinstance(obj, list):
        return _apply_to_list(obj, diff)  # type: ignore[return-value]
    return obj


def _patched(current: Any, diff: Mapping[str, Sequence[Any]]) -> Any:
    """What a patch op makes of ``current``: ``current`` itself if it is not an object or
    array or the patch changes nothing."""
    kind = type(current)
    if kind is dict:
        return _apply_to_dict(current, diff)
    if kind is list:
        return _apply_to_list(current, diff)
    if isinstance(current, (dict, list)):
        return apply_object_diff(current, diff)
    return current


def _apply_to_dict(obj: dict[Any, Any], diff: Mapping[Any, Sequence[Any]]) -> dict[Any, Any]:
    new: dict[Any, Any] | None = None
    for key, op in diff.items():
        kind = op[0]
        if kind == "put":
            value = op[1]
            current = obj.get(key, _ABSENT)
            if current is value or (current is not _ABSENT and js_equal(current, value)):
                continue
        elif kind == "patch":
            current = obj.get(key)
            value = _patched(current, op[1])
            if value is current:
                continue
        elif kind == "append":
            value = _appended(obj.get(key), op[1], op[2])
            if value is None:
                continue
        elif kind == "delete":
            if key in obj:
                if new is None:
                    new = obj.copy()
                del new[key]
            continue
        else:
            continue
        if new is None:
            new = obj.copy()
        new[key] = value
    return obj if new is None else new


def _apply_to_list(obj: list[Any], diff: Mapping[str, Sequence[Any]]) -> list[Any]:
    new: list[Any] | None = None
    # JavaScript's order (index keys first) matters when two keys name one index
    keys: Iterable[Any] = diff
    if len(diff) > 1:
        keys = own_keys(diff if isinstance(diff, dict) else dict(diff))
    length = len(obj)
    for key in keys:
        op = diff[key]
        kind = op[0]
        # the index key names when read (obj[key]): -1 for none
        index = _canonical_index(key)
        if kind == "put":
            value = op[1]
            if 0 <= index < length:
                current = obj[index]
                if current is value or js_equal(current, value):
                    continue
            elif key == "length" and js_equal(length, value):
                continue
        elif kind == "patch":
            if not 0 <= index < length:
                continue
            current = obj[index]
            value = _patched(current, op[1])
            if value is current:
                continue
        elif kind == "append":
            if not 0 <= index < length:
                continue
            value = _appended(obj[index], op[1], op[2])
            if value is None:
                continue
        elif kind == "delete":
            if 0 <= index < length:
                if new is None:
                    new = list(obj)
                new[index] = None  # a hole, which JSON writes as null
            elif key == "length":
                raise TypeError("Cannot delete property 'length' of [object Array]")
            continue
        else:
            continue
        if new is None:
            new = list(obj)
        # where obj[Number(key)] = value writes
        target = index if index >= 0 else _index_of_key(key)
        if target is None:
            continue  # a named property, which JSON does not carry
        if target < len(new):
            new[target] = value
        elif target == len(new):
            new.append(value)
        else:
            raise ValueError(
                f"cannot set index {target} of an array of length {len(new)}"
                " (JavaScript would leave holes)"
            )
    return obj if new is None else new


def _canonical_index(key: Any) -> int:
    """``key`` as an array index if it is one's canonical decimal form, else -1."""
    if type(key) is str and key.isdigit() and key.isascii() and (key[0] != "0" or key == "0"):
        index = int(key)
        return index if index <= _MAX_ARRAY_INDEX else -1
    return -1


def _index_of_key(key: str) -> int | None:
    """The array index ``array[Number(key)] = v`` writes to, or ``None`` for a named property."""
    number = string_to_number(key)
    if number.is_integer() and 0 <= number <= _MAX_ARRAY_INDEX:
        return int(number)
    return None


def _appended(current: Any, value: Any, offset: Any) -> Any:
    """``current`` with ``value`` appended if the append op fits it, else ``None``."""
    kind = type(offset)
    if (
        kind is not int
        and kind is not float
        and (kind is bool or not isinstance(offset, (int, float)))
    ):
        return None
    if isinstance(current, str):
        if not isinstance(value, str) or utf16_length(current) != offset:
            return None
        if (
            value
            and current
            and 0xDC00 <= ord(value[0]) <= 0xDFFF
            and 0xD800 <= ord(current[-1]) <= 0xDBFF
        ):
            # the append completes a surrogate pair: make it one code point, as JSON would
            high = ord(current[-1]) - 0xD800
            low = ord(value[0]) - 0xDC00
            return current[:-1] + chr(0x10000 + (high << 10) + low) + value[1:]
        return current + value
    if isinstance(current, list) and isinstance(value, list) and len(current) == offset:
        return [*current, *value]
    return None


# ---------------------------------------------------------------------------------------------
# network diffs
# ---------------------------------------------------------------------------------------------


def get_network_diff(diff: RecordsDiff, legacy_append_mode: bool = False) -> NetworkDiff | None:
    """The wire form of a store diff, or ``None`` if it changes nothing.

    Added records become ``put``, updates ``patch`` (by :func:`diff_record`; an update with no
    effective change is left out), removed ids ``remove``, in that order (a later op for the
    same id replaces an earlier one). Records are shared, not copied. ``legacy_append_mode``
    (for peers that cannot take string appends, e.g. protocol 3) puts changed strings.
    """
    result: NetworkDiff | None = None
    if diff.added:
        result = {record_id: ["put", record] for record_id, record in diff.added.items()}
    for before, after in diff.updated.values():
        patch = diff_record(before, after, legacy_append_mode)
        if patch is not None:
            if result is None:
                result = {}
            result[after["id"]] = ["patch", patch]
    if diff.removed:
        if result is None:
            result = {}
        for record_id in diff.removed:
            result[record_id] = ["remove"]
    return result


def to_network_diff(
    puts: Mapping[str, Record | Sequence[Record]],
    deletes: Iterable[str],
    legacy_append_mode: bool = False,
) -> NetworkDiff:
    """The wire form of a storage change set (5.4.2's ``toNetworkDiff``): a record is a
    ``put``, a ``(before, after)`` pair a ``patch`` (left out if nothing changed, diffed in
    ``legacy_append_mode`` when asked), a deleted id a ``remove``. Always a dict, possibly
    empty."""
    result: NetworkDiff = {}
    for record_id, put in puts.items():
        if isinstance(put, dict):
            result[record_id] = ["put", put]
        else:
            before, after = put
            patch = diff_record(before, after, legacy_append_mode)
            if patch is not None:
                result[record_id] = ["patch", patch]
    for record_id in deletes:
        result[record_id] = ["remove"]
    return result


# ---------------------------------------------------------------------------------------------
# server-side helpers
# ---------------------------------------------------------------------------------------------


class RecordValidator(Protocol):
    """What the server helpers need of a record type (a :class:`~tlsync_core.store.RecordType`
    fits)."""

    def validate(self, record: Any) -> Any: ...


class InvalidRecordError(ValueError):
    """A changed record failed validation; a server closes the session with ``close_reason``."""

    close_reason: Final = TLSyncErrorCloseEventReason.INVALID_RECORD


def diff_and_validate_record(
    prev: Record,
    next: Record,
    record_type: RecordValidator,
    legacy_append_mode: bool = False,
) -> ObjectDiff | None:
    """:func:`diff_record`, then validate ``next`` if there is a diff (only then).

    Raises :class:`InvalidRecordError` with the validator's message if ``next`` is invalid.
    """
    diff = diff_record(prev, next, legacy_append_mode)
    if diff is None:
        return None
    try:
        record_type.validate(next)
    except ValidationError as error:
        raise InvalidRecordError(error.message) from error
    except Exception as error:
        raise InvalidRecordError(str(error)) from error
    return diff


def apply_and_diff_record(
    prev: Record,
    diff: Mapping[str, Sequence[Any]],
    record_type: RecordValidator,
    legacy_append_mode: bool = False,
) -> tuple[ObjectDiff, Record] | None:
    """Apply a client's patch, then diff again from ``prev`` to the result and validate it.

    Returns ``(diff, record)``, where the diff is the recomputed one (ops without effect
    dropped, offsets normalised: what the server stores and broadcasts), or ``None`` if the patch
    changed nothing. Raises :class:`InvalidRecordError` like :func:`diff_and_validate_record`,
    and also when the patch sets an array index past the end (JavaScript would leave holes,
    which tldraw's array validators reject).
    """
    try:
        record = apply_object_diff(prev, diff)
    except ValueError as error:
        raise InvalidRecordError(str(error)) from error
    if record is prev:
        return None
    actual = diff_and_validate_record(prev, record, record_type, legacy_append_mode)
    if actual is None:
        return None
    return actual, record
