"""Computed signals: lazy, cached, epoch-validated derivations (SPEC.md §1, rules C1–C7)."""

from __future__ import annotations

import math

import pytest
from signals_helpers import counting_computed

from tlsync_core.signals import (
    GLOBAL_START_EPOCH,
    UNINITIALIZED,
    atom,
    computed,
    get_global_epoch,
    is_uninitialized,
    react,
)


@pytest.mark.spec("C1")
def test_computed_is_lazy() -> None:
    """derive is not called at creation, nor when a parent changes, until the first get()."""
    a = atom("a", 1)
    c, calls = counting_computed("double", lambda: a.get() * 2)
    assert calls == []

    a.set(2)
    assert calls == []

    assert c.get() == 4
    assert len(calls) == 1


@pytest.mark.spec("C2")
def test_computed_recomputes_only_when_a_parent_changed() -> None:
    """Repeated gets reuse the cache; a parent change re-derives on the next get; unrelated sets do
    nothing."""
    a = atom("a", 1)
    c, calls = counting_computed("double", lambda: a.get() * 2)
    start = get_global_epoch()

    assert c.get() == 2
    assert len(calls) == 1
    assert c.last_changed_epoch == start

    assert c.get() == 2
    assert c.get() == 2
    assert len(calls) == 1
    assert c.last_changed_epoch == start

    a.set(2)
    next_epoch = get_global_epoch()
    assert next_epoch == start + 1

    # lazy: nothing happens until the next get
    assert len(calls) == 1
    assert c.last_changed_epoch == start

    assert c.get() == 4
    assert len(calls) == 2
    assert c.last_changed_epoch == next_epoch

    unrelated = atom("unrelated", 1)
    unrelated.set(2)
    unrelated.set(3)

    assert c.get() == 4
    assert len(calls) == 2
    assert c.last_changed_epoch == next_epoch


@pytest.mark.spec("C2")
def test_unrelated_epoch_advance_updates_last_checked_epoch_only() -> None:
    """An unrelated epoch tick moves last_checked_epoch on the next get without re-deriving."""
    start = get_global_epoch()
    a = atom("a", 1)
    c, calls = counting_computed("double", lambda: a.get() * 2)
    assert c.last_checked_epoch == GLOBAL_START_EPOCH

    c.get()
    assert c.last_checked_epoch == start

    atom("unrelated", 0).set(1)
    c.get()

    assert c.last_checked_epoch == start + 1
    assert c.last_changed_epoch == start
    assert len(calls) == 1


@pytest.mark.spec("C3")
def test_computed_without_parents_never_recomputes() -> None:
    """A computed that captured no parents derives exactly once, ever, and keeps its creation
    epoch."""
    start = get_global_epoch()
    c, calls = counting_computed("constant", lambda: 1)
    assert calls == []

    assert c.get() == 1
    assert c.get() == 1
    assert len(calls) == 1

    other = atom("other", 0)
    other.set(1)
    other.set(2)

    assert c.get() == 1
    assert c.get() == 1
    assert len(calls) == 1
    assert list(c.parents) == []
    assert list(c.parent_epochs) == []
    assert c.last_changed_epoch == start


@pytest.mark.spec("C4")
def test_derive_receives_previous_value_and_last_computed_epoch() -> None:
    """derive gets (UNINITIALIZED, -1) first, then (previous value, epoch of the last
    computation)."""
    a = atom("a", 1)
    calls: list[tuple[object, int]] = []

    def derive(prev: object, last_computed_epoch: int) -> int:
        calls.append((prev, last_computed_epoch))
        return a.get() * 2

    c = computed("c", derive)

    assert c.get() == 2
    first_epoch = get_global_epoch()
    assert calls[0][0] is UNINITIALIZED
    assert is_uninitialized(calls[0][0])
    assert calls[0][1] == GLOBAL_START_EPOCH == -1

    a.set(2)

    assert c.get() == 4
    assert len(calls) == 2
    assert not is_uninitialized(calls[1][0])
    assert calls[1] == (2, first_epoch)


@pytest.mark.spec("C5")
def test_equal_recompute_keeps_value_and_epoch() -> None:
    """floor(1.2) then floor(1.9) keeps last_changed_epoch; floor(2.3) moves it."""
    a = atom("a", 1.2)
    floored = computed("floored", lambda _prev, _epoch: math.floor(a.get()))

    assert floored.get() == 1
    changed = floored.last_changed_epoch

    a.set(1.9)
    assert floored.get() == 1
    assert floored.last_changed_epoch == changed

    a.set(2.3)
    assert floored.get() == 2
    assert floored.last_changed_epoch == get_global_epoch()
    assert floored.last_changed_epoch > changed


@pytest.mark.spec("C5")
def test_equal_recompute_keeps_the_old_object() -> None:
    """A recompute judged equal by is_equal keeps the previously returned object."""
    a = atom("a", 1)
    c = computed(
        "square",
        lambda _prev, _epoch: {"b": a.get() * a.get()},
        is_equal=lambda old, new: old["b"] == new["b"],
    )

    first = c.get()
    assert first == {"b": 1}

    a.set(-1)
    second = c.get()

    assert second is first


@pytest.mark.spec("C5")
def test_is_equal_not_called_on_first_computation_then_once_per_recompute() -> None:
    """A custom is_equal is never called for the first computation and exactly once per
    recompute."""
    calls: list[tuple[int, int]] = []

    def is_equal(old: int, new: int) -> bool:
        calls.append((old, new))
        return old == new

    a = atom("a", 1)
    b = computed("b", lambda _prev, _epoch: a.get() * 2, is_equal=is_equal)

    assert b.get() == 2
    assert calls == []
    assert b.get() == 2
    assert calls == []

    a.set(2)
    assert b.get() == 4
    assert calls == [(2, 4)]
    assert b.get() == 4
    assert calls == [(2, 4)]


@pytest.mark.spec("C5")
def test_is_equal_is_consulted_even_when_derive_returns_the_same_object() -> None:
    """A recompute that returns the very same object still asks is_equal, which may call it a
    change."""
    a = atom("a", 1)
    shared: list[int] = []
    calls: list[int] = []

    def derive(_prev: object, _epoch: int) -> list[int]:
        shared.append(a.get())
        return shared

    def never_equal(_old: object, _new: object) -> bool:
        calls.append(1)
        return False

    c = computed("c", derive, is_equal=never_equal)
    assert c.get() == [1]
    first_changed = c.last_changed_epoch

    a.set(2)
    assert c.get() == [1, 2]

    assert len(calls) == 1
    assert c.last_changed_epoch == get_global_epoch()
    assert c.last_changed_epoch > first_changed


@pytest.mark.spec("C6")
def test_chains_stop_propagating_at_an_unchanged_intermediate() -> None:
    """A downstream computed does not re-derive when the intermediate computed's value is
    unchanged."""
    a = atom("a", 1.2)
    floored = computed("floored", lambda _prev, _epoch: math.floor(a.get()))
    c, tens_calls = counting_computed("tens", lambda: floored.get() * 10)

    assert c.get() == 10
    assert len(tens_calls) == 1

    a.set(1.5)
    assert c.get() == 10
    assert len(tens_calls) == 1

    a.set(2.5)
    assert c.get() == 20
    assert len(tens_calls) == 2


@pytest.mark.spec("C7")
def test_is_actively_listening_exactly_while_something_listens() -> None:
    """is_actively_listening is False after plain gets, True while an effect reads it, False after
    stop."""
    a = atom("a", 1)
    c = computed("c", lambda _prev, _epoch: a.get())

    assert c.is_actively_listening is False

    c.get()
    assert c.is_actively_listening is False
    assert a.is_actively_listening is False

    stop = react("r", lambda _e: c.get())
    assert c.is_actively_listening is True
    assert a.is_actively_listening is True

    stop()
    assert c.is_actively_listening is False
    assert a.is_actively_listening is False
