"""RecordsDiff squash and reverse against a model of the records they describe."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tlsync_core.store import (
    RecordsDiff,
    is_records_diff_empty,
    reverse_records_diff,
    squash_records_diffs,
)

Record = dict[str, Any]
State = dict[str, Record]


def apply(state: State, diff: RecordsDiff) -> State:
    """What a diff does to a table of records (added and updated written, removed dropped)."""
    result = dict(state)
    result.update(diff.added)
    result.update({rid: to for rid, (_, to) in diff.updated.items()})
    for rid in diff.removed:
        result.pop(rid, None)
    return result


def rec(rid: str, value: int) -> Record:
    return {"id": f"item:{rid}", "typeName": "item", "value": value}


@st.composite
def histories(draw: st.DrawFn) -> tuple[State, list[RecordsDiff]]:
    """A starting table and a list of diffs, each consistent with the table before it."""
    ids = ["a", "b", "c", "d"]
    state: State = {}
    for rid in draw(st.sets(st.sampled_from(ids))):
        record = rec(rid, draw(st.integers(0, 3)))
        state[record["id"]] = record
    start = dict(state)
    diffs: list[RecordsDiff] = []
    for _ in range(draw(st.integers(0, 8))):
        diff = RecordsDiff()
        for rid in draw(st.sets(st.sampled_from(ids))):
            key = f"item:{rid}"
            if key in state:
                if draw(st.booleans()):
                    diff.removed[key] = state[key]
                else:
                    diff.updated[key] = (state[key], rec(rid, draw(st.integers(0, 3))))
            else:
                diff.added[key] = rec(rid, draw(st.integers(0, 3)))
        state = apply(state, diff)
        diffs.append(diff)
    return start, diffs


@pytest.mark.spec("SD1")
@settings(max_examples=300)
@given(histories())
def test_squash_has_the_combined_effect(history: tuple[State, list[RecordsDiff]]) -> None:
    """Applying the squashed diff equals applying every diff in turn."""
    start, diffs = history
    expected = start
    for diff in diffs:
        expected = apply(expected, diff)
    assert apply(start, squash_records_diffs(diffs)) == expected


@pytest.mark.spec("SD2")
@settings(max_examples=300)
@given(histories())
def test_reverse_undoes_the_squashed_diff(history: tuple[State, list[RecordsDiff]]) -> None:
    """The reverse of the squashed diff takes the final table back to the start."""
    start, diffs = history
    squashed = squash_records_diffs(diffs)
    end = apply(start, squashed)
    assert apply(end, reverse_records_diff(squashed)) == start


@pytest.mark.spec("SD1")
@settings(max_examples=200)
@given(histories())
def test_squash_only_mentions_records_that_really_changed_identity(
    history: tuple[State, list[RecordsDiff]],
) -> None:
    """Squashed additions were absent at the start, removals present, updates present."""
    start, diffs = history
    squashed = squash_records_diffs(diffs)
    assert all(rid not in start for rid in squashed.added)
    assert all(start.get(rid) is record for rid, record in squashed.removed.items())
    assert all(start.get(rid) is frm for rid, (frm, _) in squashed.updated.items())


@pytest.mark.spec("SD1")
def test_create_then_delete_squashes_to_nothing() -> None:
    """A record added and then removed leaves an empty diff."""
    record = rec("a", 1)
    diffs = [RecordsDiff(added={record["id"]: record}), RecordsDiff(removed={record["id"]: record})]
    assert is_records_diff_empty(squash_records_diffs(diffs))


@pytest.mark.spec("SD1")
def test_remove_then_re_add_the_same_object_cancels_out() -> None:
    """Removing a record and adding the very same object back is no change at all."""
    record = rec("a", 1)
    diffs = [RecordsDiff(removed={record["id"]: record}), RecordsDiff(added={record["id"]: record})]
    assert is_records_diff_empty(squash_records_diffs(diffs))


@pytest.mark.spec("SD1")
def test_remove_then_re_add_another_object_is_an_update() -> None:
    """Removing a record and adding a different one with its id is an update between them."""
    old, new = rec("a", 1), rec("a", 2)
    squashed = squash_records_diffs(
        [RecordsDiff(removed={old["id"]: old}), RecordsDiff(added={new["id"]: new})]
    )
    assert squashed == RecordsDiff(updated={old["id"]: (old, new)})


@pytest.mark.spec("SD1")
def test_update_then_remove_removes_the_original() -> None:
    """An update followed by a removal is a removal of the record as it was first."""
    v1, v2 = rec("a", 1), rec("a", 2)
    squashed = squash_records_diffs(
        [RecordsDiff(updated={v1["id"]: (v1, v2)}), RecordsDiff(removed={v2["id"]: v2})]
    )
    assert squashed == RecordsDiff(removed={v1["id"]: v1})


def test_a_first_update_is_folded_as_the_same_pair() -> None:
    """Folding an update of a record the squash has not seen keeps its (from, to) tuple."""
    a1, a2, a3 = {"id": "a", "v": 1}, {"id": "a", "v": 2}, {"id": "a", "v": 3}
    first, second = RecordsDiff(updated={"a": (a1, a2)}), RecordsDiff(updated={"a": (a2, a3)})
    squashed = squash_records_diffs([first])
    assert squashed.updated["a"] is first.updated["a"]
    assert squash_records_diffs([first, second]).updated == {"a": (a1, a3)}
    assert first.updated == {"a": (a1, a2)}


@pytest.mark.spec("SD2")
def test_reverse_swaps_and_copies() -> None:
    """reverse swaps added/removed, flips updates, and shares no table with its input."""
    a, b1, b2, c = rec("a", 1), rec("b", 1), rec("b", 2), rec("c", 1)
    diff = RecordsDiff(added={a["id"]: a}, updated={b1["id"]: (b1, b2)}, removed={c["id"]: c})
    reverse = reverse_records_diff(diff)
    assert reverse == RecordsDiff(
        added={c["id"]: c}, updated={b1["id"]: (b2, b1)}, removed={a["id"]: a}
    )
    reverse.added.clear()
    assert diff.removed == {c["id"]: c}
