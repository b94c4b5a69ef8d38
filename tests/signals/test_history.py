"""History buffers and diffs (SPEC.md §1, rules H1–H8, HB1–HB3).

Deliberate difference from @tldraw/state: Python has no ``undefined``, so ``set(v, diff=None)``
and ``with_diff(v, None)`` record the diff ``None``; returning RESET_VALUE clears the history.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from signals_helpers import react_recording

from tlsync_core.signals import (
    EMPTY_DIFFS,
    RESET_VALUE,
    Atom,
    Computed,
    HistoryBuffer,
    Signal,
    atom,
    computed,
    get_global_epoch,
    is_uninitialized,
    react,
    transact,
    transaction,
    with_diff,
)


def subtract(prev: int, nxt: int, _last: int, _now: int) -> int:
    return nxt - prev


DiffCall = tuple[int, int, int, int]  # compute_diff's arguments: (prev, next, last epoch, now)


def recording_subtract() -> tuple[Callable[[int, int, int, int], int], list[DiffCall]]:
    """``subtract`` that appends its arguments to the returned list on every call."""
    calls: list[DiffCall] = []

    def compute_diff(prev: int, nxt: int, last: int, now: int) -> int:
        calls.append((prev, nxt, last, now))
        return nxt - prev

    return compute_diff, calls


def history_computed(
    derive: Callable[[], int], compute_diff: Callable[[int, int, int, int], int] = subtract
) -> Computed[int, Any]:
    """A computed ``c`` of ``derive()`` keeping 3 diffs, by default computed by ``subtract``."""
    return computed(
        "c", lambda _prev, _epoch: derive(), history_length=3, compute_diff=compute_diff
    )


# ---------------------------------------------------------------------------------------------
# atom history
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("H1")
def test_history_only_exists_with_history_length() -> None:
    """compute_diff without history_length is never called, and get_diff_since gives RESET_VALUE."""
    compute_diff, calls = recording_subtract()
    a = atom("a", 1, compute_diff=compute_diff)
    start = get_global_epoch()

    a.set(2)

    assert calls == []
    assert a.get_diff_since(start) is RESET_VALUE
    assert a.get_diff_since(get_global_epoch()) is EMPTY_DIFFS


@pytest.mark.spec("H2", "H5")
def test_diffs_accumulate_until_the_buffer_overflows() -> None:
    """Diffs accumulate [+4], [+4,+5], [+4,+5,+10]; a 4th change with capacity 3 gives RESET for the
    old epoch."""
    a = atom("a", 1, history_length=3, compute_diff=subtract)
    start = get_global_epoch()

    assert a.get_diff_since(start) is EMPTY_DIFFS

    a.set(5)
    assert a.get_diff_since(start) == [4]

    a.set(10)
    assert a.get_diff_since(start) == [4, 5]

    a.set(20)
    assert a.get_diff_since(start) == [4, 5, 10]

    a.set(30)
    assert a.get_diff_since(start) is RESET_VALUE
    assert a.get_diff_since(start + 1) == [5, 10, 10]
    assert a.get_diff_since(start + 3) == [10]


@pytest.mark.spec("H2")
def test_explicit_diff_wins_over_compute_diff() -> None:
    """An explicit diff is recorded without calling compute_diff; later sets without one use
    compute_diff."""
    compute_diff, calls = recording_subtract()
    a = atom("a", 1, history_length=3, compute_diff=compute_diff)
    start = get_global_epoch()

    a.set(5, 100)
    assert calls == []
    assert a.get_diff_since(start) == [100]

    a.set(6)
    assert len(calls) == 1
    assert a.get_diff_since(start) == [100, 1]


@pytest.mark.spec("H2")
def test_compute_diff_receives_values_and_epochs() -> None:
    """compute_diff is called as (prev, next, previous last_changed_epoch, epoch of this write)."""
    compute_diff, calls = recording_subtract()
    a = atom("a", 1, history_length=3, compute_diff=compute_diff)
    atom("unrelated", 0).set(1)  # so that the atom's epoch and the global one differ
    before = a.last_changed_epoch

    a.set(5)

    assert calls == [(1, 5, before, get_global_epoch())]
    assert get_global_epoch() == before + 2


@pytest.mark.spec("H2", "C2")
def test_computed_read_inside_compute_diff_still_updates() -> None:
    """A computed read by the atom's compute_diff is not stamped at the in-progress epoch: it still
    updates."""

    def compute_diff(prev: int, nxt: int, _last: int, _now: int) -> int:
        c.get()
        return nxt - prev

    a = atom("a", 1, history_length=10, compute_diff=compute_diff)
    c: Computed[int, Any] = computed("c", lambda _prev, _epoch: a.get() * 2)
    stop, seen = react_recording(c.get)

    a.set(2)

    assert c.get() == 4
    assert seen == [2, 4]
    assert a.get_diff_since(a.last_changed_epoch - 1) == [1]
    stop()


@pytest.mark.spec("H2")
def test_none_diff_is_recorded() -> None:
    """An explicit diff of None is a real diff, recorded as [1, None]."""
    a = atom("a", 1, history_length=3)
    start = a.last_changed_epoch
    a.set(2, 1)
    a.set(3, None)
    assert a.get_diff_since(start) == [1, None]


@pytest.mark.spec("H2", "HB1")
def test_compute_diff_returning_reset_clears_history() -> None:
    """compute_diff may return RESET_VALUE, which clears the atom's history."""

    def compute_diff(prev: int, nxt: int, _last: int, _now: int) -> object:
        return RESET_VALUE if nxt == 0 else nxt - prev

    a = atom("a", 1, history_length=5, compute_diff=compute_diff)
    start = get_global_epoch()
    a.set(3)
    assert a.get_diff_since(start) == [2]

    a.set(0)
    assert a.get_diff_since(start) is RESET_VALUE

    after_reset = get_global_epoch()
    a.set(4)
    assert a.get_diff_since(after_reset) == [4]
    assert a.get_diff_since(start) is RESET_VALUE


@pytest.mark.spec("H4")
def test_set_without_any_diff_wipes_history() -> None:
    """With history but no compute_diff, a set without a diff resets the history."""
    a = atom("a", 1, history_length=3)
    start = get_global_epoch()

    a.set(5, 4)
    assert a.get_diff_since(start) == [4]

    a.set(6)
    assert a.get_diff_since(start) is RESET_VALUE


@pytest.mark.spec("H5")
def test_unchanged_result_is_the_shared_empty_diffs() -> None:
    """When nothing changed since the epoch, get_diff_since returns the shared EMPTY_DIFFS object
    itself."""
    a = atom("a", 1, history_length=3, compute_diff=subtract)
    a.set(2)
    assert EMPTY_DIFFS == ()
    assert a.get_diff_since(get_global_epoch()) is EMPTY_DIFFS
    assert a.get_diff_since(get_global_epoch() + 5) is EMPTY_DIFFS

    plain = atom("plain", 1)
    assert plain.get_diff_since(get_global_epoch()) is EMPTY_DIFFS

    c = computed("c", lambda _prev, _epoch: a.get() + 1, history_length=3)
    assert c.get_diff_since(get_global_epoch()) is EMPTY_DIFFS


@pytest.mark.spec("H6")
def test_get_diff_since_captures_the_signal() -> None:
    """An effect that only calls get_diff_since re-runs when the signal changes."""
    a = atom("a", 1, history_length=3, compute_diff=subtract)
    runs: list[int] = []

    def effect(last_reacted_epoch: int) -> None:
        a.get_diff_since(last_reacted_epoch)
        runs.append(1)

    stop = react("r", effect)
    assert len(runs) == 1

    a.set(2)
    assert len(runs) == 2
    stop()


@pytest.mark.spec("A6")
def test_history_is_independent_per_atom() -> None:
    """One atom's history is unaffected by another atom's changes."""
    a = atom("a", 1, history_length=3, compute_diff=subtract)
    b = atom("b", 1, history_length=3, compute_diff=subtract)
    start = get_global_epoch()

    b.set(-5)
    b.set(-10)
    b.set(-20)
    assert b.get_diff_since(start) == [-6, -5, -10]
    assert b.get_diff_since(get_global_epoch()) is EMPTY_DIFFS

    assert a.get_diff_since(start) is EMPTY_DIFFS
    a.set(5)
    assert a.get_diff_since(start) == [4]
    assert b.get_diff_since(start) == [-6, -5, -10]
    assert b.get_diff_since(get_global_epoch()) is EMPTY_DIFFS


@pytest.mark.spec("H7")
def test_history_keeps_recording_inside_transact() -> None:
    """Inside transact the history records every set, and keeps them after the commit."""
    a = atom("a", 1, history_length=3, compute_diff=subtract)
    start = get_global_epoch()
    inside: list[object] = []

    def body() -> None:
        inside.append(a.get_diff_since(start))
        a.set(5)
        inside.append(a.get_diff_since(start))
        a.set(10)
        inside.append(a.get_diff_since(start))
        a.set(20)
        inside.append(a.get_diff_since(start))

    transact(body)

    assert inside == [EMPTY_DIFFS, [4], [4, 5], [4, 5, 10]]
    assert inside[0] is EMPTY_DIFFS
    assert a.get_diff_since(start) == [4, 5, 10]


@pytest.mark.spec("H7", "T6")
def test_rollback_resets_atom_history() -> None:
    """After a rolled-back transaction the atom's history is RESET from before the transaction."""
    a = atom("a", 1, history_length=3, compute_diff=subtract)
    start = get_global_epoch()
    inside: list[object] = []

    def body(rollback: Callable[[], None]) -> None:
        inside.append(a.get_diff_since(start))
        a.set(5)
        inside.append(a.get_diff_since(start))
        rollback()

    transaction(body)

    assert inside == [EMPTY_DIFFS, [4]]
    assert a.get() == 1
    assert a.get_diff_since(start) is RESET_VALUE
    assert a.get_diff_since(get_global_epoch()) is EMPTY_DIFFS


# ---------------------------------------------------------------------------------------------
# computed history
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("H3", "H5")
def test_computed_history_records_diffs_until_overflow() -> None:
    """A computed with history records +2, +2, +4, then gives RESET when the buffer overflows."""
    start = get_global_epoch()
    a = atom("a", 1)
    c = history_computed(lambda: a.get() * 2)

    c.get()
    assert c.get_diff_since(start) is EMPTY_DIFFS

    a.set(2)
    assert c.get_diff_since(start) == [2]

    a.set(3)
    assert c.get_diff_since(start) == [2, 2]

    a.set(5)
    assert c.get_diff_since(start) == [2, 2, 4]

    a.set(6)
    assert c.get_diff_since(start) is RESET_VALUE


@pytest.mark.spec("H3", "H8")
def test_with_diff_is_used_instead_of_compute_diff_and_unwrapped() -> None:
    """A with_diff diff is recorded (compute_diff is not called) and get() returns the bare
    value."""
    a = atom("a", 1)
    calls: list[int] = []

    def compute_diff(prev: int, nxt: int, _last: int, _now: int) -> str:
        calls.append(1)
        return f"computed {nxt - prev}"

    def derive(prev: Any, _epoch: int) -> Any:
        nxt = a.get() * 2
        if is_uninitialized(prev):
            return nxt
        return with_diff(nxt, f"+{nxt - prev}")

    c = computed("c", derive, history_length=3, compute_diff=compute_diff)
    assert c.get() == 2
    start = get_global_epoch()

    a.set(2)
    assert c.get() == 4
    assert c.get_diff_since(start) == ["+2"]
    assert calls == []

    a.set(5)
    assert c.get() == 10
    assert c.get_diff_since(start) == ["+2", "+6"]
    assert calls == []


@pytest.mark.spec("H8", "H2")
def test_with_diff_none_records_none() -> None:
    """with_diff(value, None) records the diff None rather than falling back to compute_diff."""
    a = atom("a", 1)
    compute_diff, calls = recording_subtract()
    c = computed(
        "c",
        lambda _prev, _epoch: with_diff(a.get(), None),
        history_length=3,
        compute_diff=compute_diff,
    )
    assert c.get() == 1
    start = get_global_epoch()

    a.set(2)
    assert c.get() == 2
    assert c.get_diff_since(start) == [None]
    assert calls == []


@pytest.mark.spec("H3", "H2")
def test_computed_compute_diff_receives_last_checked_epoch_and_current_epoch() -> None:
    """A computed's compute_diff gets (prev, next, last_checked_epoch, epoch of the recompute)."""
    a = atom("a", 1)
    compute_diff, calls = recording_subtract()
    c = history_computed(lambda: a.get() * 2, compute_diff)
    assert c.get() == 2
    atom("unrelated", 0).set(1)
    assert c.get() == 2  # checked (not recomputed) at the new epoch
    checked = c.last_checked_epoch
    assert checked == get_global_epoch()

    a.set(2)
    assert c.get() == 4
    assert calls == [(2, 4, checked, get_global_epoch())]
    assert c.get_diff_since(checked) == [2]


@pytest.mark.spec("H6")
def test_computed_get_diff_since_captures_the_computed() -> None:
    """An effect that only calls a computed's get_diff_since re-runs when the computed changes."""
    a = atom("a", 1)
    c = history_computed(lambda: a.get() * 2)
    collected: list[object] = []
    stop = react("r", lambda epoch: collected.append(c.get_diff_since(epoch)))
    assert collected == [RESET_VALUE]
    assert list(c.children) != []

    a.set(3)
    assert collected == [RESET_VALUE, [4]]
    stop()


@pytest.mark.spec("H3")
def test_first_computation_records_no_entry() -> None:
    """The first computation of a computed with history records no entry."""
    a = atom("a", 1)
    c = history_computed(lambda: a.get() * 2)
    start = get_global_epoch()
    assert c.get() == 2
    assert c.get_diff_since(start) is EMPTY_DIFFS


@pytest.mark.spec("C5", "H3")
def test_equal_recompute_records_no_entry() -> None:
    """A recompute to an equal value records no history entry."""
    start = get_global_epoch()
    a = atom("a", 1.0)
    floor_calls: list[float] = []

    def derive(_prev: object, _epoch: int) -> int:
        value = a.get()
        floor_calls.append(value)
        return int(value // 1)

    c = computed("c", derive, history_length=3, compute_diff=subtract)

    assert c.get() == 1
    assert c.get_diff_since(start) is EMPTY_DIFFS

    a.set(1.2)
    assert c.get() == 1
    assert c.get_diff_since(start) is EMPTY_DIFFS
    assert len(floor_calls) == 2

    a.set(1.9)
    assert c.get() == 1
    assert c.get_diff_since(start) is EMPTY_DIFFS
    assert len(floor_calls) == 3

    a.set(2.3)
    assert c.get() == 2
    assert c.get_diff_since(start) == [1]
    assert len(floor_calls) == 4


@pytest.mark.spec("H7")
def test_computed_history_records_a_rollback_as_two_entries() -> None:
    """A computed over two atoms rolled back in a transaction records [+2, -2]; its history is not
    cleared."""
    a = atom("a", 1)
    b = atom("b", 1)
    c = history_computed(lambda: a.get() + b.get())
    start = get_global_epoch()
    inside: list[object] = []

    def body(rollback: Callable[[], None]) -> None:
        inside.append(c.get_diff_since(start))
        a.set(2)
        b.set(2)
        inside.append(c.get_diff_since(start))
        rollback()

    transaction(body)

    assert inside == [EMPTY_DIFFS, [2]]
    assert c.get_diff_since(start) == [2, -2]
    assert c.get() == 2


@pytest.mark.spec("H5")
def test_epoch_before_first_computation_gives_reset() -> None:
    """get_diff_since(an epoch before the first computation) gives RESET_VALUE."""
    a = atom("a", 1)
    b = atom("b", 1)
    c = history_computed(lambda: a.get() + b.get())
    assert c.get_diff_since(get_global_epoch() - 1) is RESET_VALUE


# ---------------------------------------------------------------------------------------------
# incremental derivation (C4, H5, H6 together)
# ---------------------------------------------------------------------------------------------

Change = tuple[str, str, Any]  # (kind, key, value): kind is "CHANGE", "CREATE" or "REMOVE"


def dict_diff(
    old: Mapping[str, int], new: Mapping[str, int], _last: int, _now: int
) -> list[Change]:
    changes: list[Change] = []
    for key, value in old.items():
        if key not in new:
            changes.append(("REMOVE", key, value))
        elif new[key] != value:
            changes.append(("CHANGE", key, new[key]))
    for key, value in new.items():
        if key not in old:
            changes.append(("CREATE", key, value))
    return changes


def incremental_mapper(
    source: Signal[dict[str, int], Any], mapper: Callable[[int, str], int]
) -> Computed[dict[str, int], Any]:
    def from_scratch() -> dict[str, int]:
        return {key: mapper(value, key) for key, value in source.get().items()}

    def derive(prev: Any, last_computed_epoch: int) -> dict[str, int]:
        if is_uninitialized(prev):
            return from_scratch()
        diffs = source.get_diff_since(last_computed_epoch)
        if diffs is RESET_VALUE:
            return from_scratch()
        if len(diffs) == 0:
            return prev  # type: ignore[no-any-return]
        upstream = source.get()
        result = dict(prev)
        done: set[str] = set()
        for diff in diffs:
            for kind, key, _value in diff:
                if key in done:
                    continue
                if kind in ("CHANGE", "CREATE"):
                    done.add(key)
                    if key in upstream:
                        result[key] = mapper(upstream[key], key)
                else:
                    result.pop(key, None)
        return result

    return computed("mapped", derive)


@pytest.mark.spec("C4", "H5", "H6")
def test_incremental_record_map_maps_only_changed_keys() -> None:
    """An incremental dict mapper calls its mapper only for created or changed keys (5, 6, 6, 8, 8,
    12)."""
    nodes: Atom[dict[str, int], Any] = atom(
        "nodes",
        {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5},
        history_length=10,
        compute_diff=dict_diff,
    )
    mapped_keys: list[str] = []

    def mapper(value: int, key: str) -> int:
        mapped_keys.append(key)
        return value * 2

    doubled = incremental_mapper(nodes, mapper)

    assert doubled.get() == {"a": 2, "b": 4, "c": 6, "d": 8, "e": 10}
    assert len(mapped_keys) == 5

    nodes.update(lambda ns: {**ns, "a": 10})
    assert doubled.get() == {"a": 20, "b": 4, "c": 6, "d": 8, "e": 10}
    assert len(mapped_keys) == 6

    nodes.update(lambda ns: {k: v for k, v in ns.items() if k != "d"})
    assert doubled.get() == {"a": 20, "b": 4, "c": 6, "e": 10}
    assert len(mapped_keys) == 6

    nodes.update(lambda ns: {**ns, "f": 50, "g": 60})
    assert doubled.get() == {"a": 20, "b": 4, "c": 6, "e": 10, "f": 100, "g": 120}
    assert len(mapped_keys) == 8

    nodes.set(dict(nodes.get()))  # a new dict with the same content: a change with an empty diff
    assert doubled.get() == {"a": 20, "b": 4, "c": 6, "e": 10, "f": 100, "g": 120}
    assert len(mapped_keys) == 8

    nodes.update(lambda ns: {**ns, "a": 1})
    nodes.update(lambda ns: {**ns, "b": 9})
    nodes.update(lambda ns: {**ns, "c": 17})
    nodes.update(lambda ns: {k: v for k, v in ns.items() if k not in ("f", "g")})
    nodes.update(lambda ns: {**ns, "d": 4})
    nodes.update(lambda ns: {**ns, "a": 4})
    assert len(mapped_keys) == 8  # nothing derived until the next read

    assert doubled.get() == {"a": 8, "b": 18, "c": 34, "d": 8, "e": 10}
    assert len(mapped_keys) == 12
    assert sorted(mapped_keys[8:]) == ["a", "b", "c", "d"]


# ---------------------------------------------------------------------------------------------
# the history buffer itself (HB)
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("HB2", "HB3")
def test_history_buffer_wraps_around() -> None:
    """A capacity-3 ring answers from any epoch it still covers and gives RESET once entries are
    evicted."""
    buf: HistoryBuffer[str] = HistoryBuffer(3)
    buf.push_entry(0, 1, "a")
    assert buf.get_changes_since(0) == ["a"]
    assert buf.get_changes_since(1) is EMPTY_DIFFS

    buf.push_entry(1, 2, "b")
    assert buf.get_changes_since(0) == ["a", "b"]
    assert buf.get_changes_since(1) == ["b"]
    assert buf.get_changes_since(2) is EMPTY_DIFFS

    buf.push_entry(2, 3, "c")
    assert buf.get_changes_since(0) == ["a", "b", "c"]
    assert buf.get_changes_since(1) == ["b", "c"]
    assert buf.get_changes_since(2) == ["c"]
    assert buf.get_changes_since(3) is EMPTY_DIFFS

    buf.push_entry(3, 4, "d")
    assert buf.get_changes_since(0) is RESET_VALUE
    assert buf.get_changes_since(1) == ["b", "c", "d"]
    assert buf.get_changes_since(2) == ["c", "d"]
    assert buf.get_changes_since(3) == ["d"]
    assert buf.get_changes_since(4) is EMPTY_DIFFS

    buf.push_entry(4, 5, "e")
    assert buf.get_changes_since(0) is RESET_VALUE
    assert buf.get_changes_since(1) is RESET_VALUE
    assert buf.get_changes_since(2) == ["c", "d", "e"]
    assert buf.get_changes_since(3) == ["d", "e"]
    assert buf.get_changes_since(4) == ["e"]
    assert buf.get_changes_since(5) is EMPTY_DIFFS


@pytest.mark.spec("HB2")
def test_empty_history_buffer_gives_reset() -> None:
    """An empty buffer answers RESET_VALUE."""
    buf: HistoryBuffer[str] = HistoryBuffer(3)
    assert buf.get_changes_since(0) is RESET_VALUE


@pytest.mark.spec("HB1")
def test_pushing_reset_clears_the_buffer() -> None:
    """Pushing RESET_VALUE clears the ring, so no earlier epoch can be answered."""
    buf: HistoryBuffer[str] = HistoryBuffer(10)
    buf.push_entry(0, 1, "a")
    buf.push_entry(1, 2, "b")
    buf.push_entry(2, 3, "c")
    buf.push_entry(3, 4, "d")
    buf.push_entry(4, 5, RESET_VALUE)
    for epoch in range(6):
        assert buf.get_changes_since(epoch) is RESET_VALUE

    buf.push_entry(5, 6, "f")
    assert buf.get_changes_since(5) == ["f"]
    assert buf.get_changes_since(4) is RESET_VALUE


@pytest.mark.spec("HB1")
def test_none_is_an_ordinary_entry_in_the_buffer() -> None:
    """Pushing None records a None diff (Python has no undefined): it neither clears nor leaves a
    gap."""
    buf: HistoryBuffer[str | None] = HistoryBuffer(3)
    buf.push_entry(0, 1, "a")
    buf.push_entry(1, 2, None)
    buf.push_entry(2, 3, "c")
    assert buf.get_changes_since(0) == ["a", None, "c"]
    assert buf.get_changes_since(1) == [None, "c"]
    assert buf.get_changes_since(2) == ["c"]
