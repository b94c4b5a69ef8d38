"""Errors in computeds and effects, and computed cycles (SPEC.md §1, rules CE1–CE6).

Rule CY1 (ours, a deliberate difference from @tldraw/state): a computed that reads itself raises
CycleError, cached like any derivation error, instead of overflowing the stack or reading its
previous value.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from signals_helpers import attach_and_run, change_while_detached

from tlsync_core.signals import (
    EMPTY_DIFFS,
    RESET_VALUE,
    UNINITIALIZED,
    Atom,
    Computed,
    CycleError,
    EffectScheduler,
    SignalsError,
    atom,
    computed,
    get_global_epoch,
    is_uninitialized,
    react,
    transact,
)


class Boom(Exception):
    """The error the test derivations and effects raise."""


def raising_at(
    a: Atom[int, Any], bad: int, runs: list[int] | None = None
) -> Callable[[object, int], int]:
    """A derivation that returns a's value but raises Boom("test") while a holds ``bad``.

    With ``runs``, each derivation first appends 1 to it.
    """

    def derive(_prev: object, _epoch: int) -> int:
        if runs is not None:
            runs.append(1)
        if a.get() == bad:
            raise Boom("test")
        return a.get()

    return derive


# ---------------------------------------------------------------------------------------------
# computeds that raise (CE1–CE5)
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("CE1")
def test_errors_are_cached_until_a_parent_changes() -> None:
    """After a raise, three gets re-raise with no recompute; a parent change recomputes and
    recovers."""
    a = atom("a", 1)
    runs: list[int] = []
    b = computed("b", raising_at(a, 2, runs))
    assert b.get() == 1
    assert len(runs) == 1

    a.set(2)

    for _ in range(3):
        with pytest.raises(Boom, match=r"^test$"):
            b.get()
        assert len(runs) == 2

    a.set(3)
    assert b.get() == 3
    assert b.get() == 3
    assert len(runs) == 3


@pytest.mark.spec("CE1")
def test_error_on_first_computation_is_cached_too() -> None:
    """A raise on the very first run is cached; unrelated epoch ticks do not re-run it."""
    a = atom("a", 1)
    runs: list[int] = []
    b = computed("b", raising_at(a, 1, runs))
    for _ in range(3):
        with pytest.raises(Boom, match=r"^test$"):
            b.get()
    assert len(runs) == 1

    atom("unrelated", 0).set(1)
    with pytest.raises(Boom, match=r"^test$"):
        b.get()
    assert len(runs) == 1

    a.set(2)
    assert b.get() == 2
    assert len(runs) == 2


@pytest.mark.spec("CE1")
def test_cached_error_is_the_same_exception_object() -> None:
    """Re-raising a cached error raises the very exception instance the derivation raised."""
    a = atom("a", 0)
    raised: list[Boom] = []

    def derive(_prev: object, _epoch: int) -> int:
        a.get()
        error = Boom("once")
        raised.append(error)
        raise error

    b = computed("b", derive)
    with pytest.raises(Boom) as first:
        b.get()
    with pytest.raises(Boom) as second:
        b.get()
    assert len(raised) == 1
    assert first.value is raised[0]
    assert second.value is raised[0]


@pytest.mark.spec("CE2")
def test_entering_the_error_state_notifies_but_consecutive_errors_do_not() -> None:
    """An effect reruns on entering the error state and on recovery, but not on a second error in a
    row."""
    a = atom("a", 1)
    computations: list[int] = []

    def derive(_prev: object, _epoch: int) -> int:
        computations.append(1)
        if a.get() % 2 == 0:
            raise Boom("test")
        return a.get()

    b = computed("b", derive)
    reactions: list[int] = []

    def effect(_epoch: int) -> None:
        with contextlib.suppress(Boom):
            b.get()
        reactions.append(1)

    stop = react("r", effect)
    assert (len(reactions), len(computations)) == (1, 1)

    a.set(2)  # entering the error state is a change
    assert (len(reactions), len(computations)) == (2, 2)

    a.set(4)  # erroring again while in the error state is not a change
    assert (len(reactions), len(computations)) == (2, 3)

    a.set(3)  # recovering is a change
    assert (len(reactions), len(computations)) == (3, 4)
    stop()


@pytest.mark.spec("CE2")
def test_entering_the_error_state_ticks_last_changed_epoch_once() -> None:
    """Entering the error state stamps last_changed_epoch; staying in it does not; recovering
    does."""
    a = atom("a", 1)

    def derive(_prev: object, _epoch: int) -> int:
        if a.get() % 2 == 0:
            raise Boom("even")
        return a.get()

    b = computed("b", derive)
    assert b.get() == 1

    a.set(2)
    error_epoch = get_global_epoch()
    with pytest.raises(Boom):
        b.get()
    assert b.last_changed_epoch == error_epoch

    a.set(4)
    with pytest.raises(Boom):
        b.get()
    assert b.last_changed_epoch == error_epoch

    a.set(5)
    assert b.get() == 5
    assert b.last_changed_epoch == get_global_epoch()


@pytest.mark.spec("CE3")
def test_recovery_receives_uninitialized_as_previous_value() -> None:
    """The derivation after an error gets UNINITIALIZED: the prev sequence is [uninit, 1,
    uninit]."""
    a = atom("a", 1)
    previous: list[object] = []

    def derive(prev: object, _epoch: int) -> int:
        previous.append(prev)
        if a.get() == 2:
            raise Boom("test")
        return a.get()

    b = computed("b", derive)
    assert b.get() == 1

    a.set(2)
    with pytest.raises(Boom):
        b.get()

    a.set(3)
    assert b.get() == 3

    assert [is_uninitialized(p) for p in previous] == [True, False, True]
    assert previous[1] == 1
    assert previous[0] is UNINITIALIZED
    assert previous[2] is UNINITIALIZED


@pytest.mark.spec("CE4")
def test_error_clears_the_history_buffer() -> None:
    """History [1, 2] becomes RESET after an error; after recovery diffs start afresh from the error
    epoch."""
    a = atom("a", 1)
    derive = raising_at(a, 5)
    b = computed("b", derive, history_length=10, compute_diff=lambda old, new, _l, _n: new - old)

    assert b.get() == 1
    start = get_global_epoch()

    a.set(2)
    assert b.get() == 2
    assert b.get_diff_since(start) == [1]

    a.set(4)
    assert b.get() == 4
    assert b.get_diff_since(start) == [1, 2]

    a.set(5)
    with pytest.raises(Boom):
        b.get()
    assert b.get_diff_since(start) is RESET_VALUE
    error_epoch = get_global_epoch()

    a.set(6)
    assert b.get() == 6
    assert b.get_diff_since(error_epoch) is RESET_VALUE
    assert b.get_diff_since(error_epoch + 1) is EMPTY_DIFFS

    a.set(7)
    assert b.get() == 7
    assert b.get_diff_since(error_epoch) is RESET_VALUE
    assert b.get_diff_since(error_epoch + 1) == [1]


@pytest.mark.spec("CE5")
def test_get_diff_since_and_unsafe_get_ignore_errors_on_request() -> None:
    """get_diff_since and unsafe_get_without_capture(ignore_errors=True) do not raise a cached
    error."""
    a = atom("a", 1)
    derive = raising_at(a, 2)
    b = computed("b", derive, history_length=3, compute_diff=lambda old, new, _l, _n: new - old)
    assert b.get() == 1
    start = get_global_epoch()

    a.set(2)
    assert b.get_diff_since(start) is RESET_VALUE
    ignored: object = b.unsafe_get_without_capture(ignore_errors=True)
    assert ignored is UNINITIALIZED
    with pytest.raises(Boom):
        b.unsafe_get_without_capture()
    with pytest.raises(Boom):
        b.get()


@pytest.mark.spec("CE5")
def test_parent_check_of_a_scheduler_whose_effect_raised_does_not_raise() -> None:
    """After an effect raised, checking its (unchanged) parents neither re-runs it nor raises."""
    a = atom("a", 1)
    runs: list[int] = []

    def effect(_epoch: int) -> None:
        runs.append(a.get())
        raise Boom("test")

    scheduler = EffectScheduler("s", effect)
    scheduler.attach()
    with pytest.raises(Boom, match=r"^test$"):
        scheduler.execute()
    assert runs == [1]
    assert list(scheduler.parents) == [a]

    scheduler.maybe_schedule_effect()  # parents unchanged: nothing to do, nothing raised
    assert runs == [1]
    assert scheduler.last_reacted_epoch == get_global_epoch()

    with pytest.raises(Boom, match=r"^test$"):
        a.set(2)
    assert runs == [1, 2]

    scheduler.maybe_schedule_effect()  # it already ran (and raised) for this change
    assert runs == [1, 2]
    scheduler.detach()


@pytest.mark.spec("CE5")
def test_parent_check_through_a_raising_computed_does_not_raise() -> None:
    """An effect whose computed parent starts raising is re-run (it sees the error), and the check
    itself never raises."""
    a = atom("a", 1)
    b = computed("b", raising_at(a, 2))
    seen: list[object] = []

    def effect(_epoch: int) -> None:
        try:
            seen.append(b.get())
        except Boom as error:
            seen.append(str(error))

    scheduler = attach_and_run(EffectScheduler("s", effect))
    change_while_detached(scheduler, lambda: a.set(2))

    assert seen == [1, "test"]
    scheduler.detach()


# ---------------------------------------------------------------------------------------------
# effects that raise (CE6)
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("CE6")
def test_raising_effect_does_not_roll_back_the_atom() -> None:
    """An effect raising during a.set(2) propagates the error out of set(), and a stays 2."""
    a = atom("a", 1)

    def effect(_epoch: int) -> None:
        if a.get() == 2:
            raise Boom("test")

    stop = react("r", effect)
    with pytest.raises(Boom, match=r"^test$"):
        a.set(2)
    assert a.get() == 2
    stop()


@pytest.mark.spec("CE6")
def test_raising_effect_does_not_roll_back_a_transaction() -> None:
    """An effect raising when transact() commits propagates out of transact, and the writes stay."""
    a = atom("a", 1)
    b = atom("b", 2)

    def effect(_epoch: int) -> None:
        if a.get() + b.get() == 4:
            raise Boom("test")

    stop = react("r", effect)

    def writes() -> None:
        a.set(3)
        b.set(1)

    with pytest.raises(Boom, match=r"^test$"):
        transact(writes)
    assert a.get() == 3
    assert b.get() == 1
    stop()


# ---------------------------------------------------------------------------------------------
# cycles (our rule: CycleError instead of a stack overflow / a stale self-read)
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("CY1")
def test_computed_reading_itself_on_first_run_raises_cycle_error() -> None:
    """A computed that reads itself on its first run raises CycleError from get(), cached like any
    error."""
    runs: list[int] = []

    def derive(_prev: object, _epoch: int) -> int:
        runs.append(1)
        return c.get() + 1

    c: Computed[int, object] = computed("self", derive)

    with pytest.raises(CycleError):
        c.get()
    assert len(runs) == 1
    with pytest.raises(CycleError):
        c.get()
    assert len(runs) == 1
    assert issubclass(CycleError, SignalsError)


@pytest.mark.spec("CY1")
def test_computed_that_starts_reading_itself_later_raises_cycle_error() -> None:
    """A computed that only reads itself after a parent change raises CycleError, and recovers when
    it stops."""
    loop = atom("loop", False)
    runs: list[int] = []

    def derive(_prev: object, _epoch: int) -> int:
        runs.append(1)
        if loop.get():
            return c.get() + 1
        return 3

    c: Computed[int, object] = computed("maybe-self", derive)
    assert c.get() == 3

    loop.set(True)
    with pytest.raises(CycleError):
        c.get()
    with pytest.raises(CycleError):
        c.get()
    assert len(runs) == 2

    loop.set(False)
    assert c.get() == 3
    assert len(runs) == 3


@pytest.mark.spec("CY1")
def test_mutual_recursion_between_computeds_raises_cycle_error() -> None:
    """Two computeds that read each other raise CycleError instead of recursing forever."""

    def derive_x(_prev: object, _epoch: int) -> int:
        return y.get() + 1

    def derive_y(_prev: object, _epoch: int) -> int:
        return x.get() + 1

    x: Computed[int, object] = computed("x", derive_x)
    y: Computed[int, object] = computed("y", derive_y)

    with pytest.raises(CycleError):
        x.get()
    with pytest.raises(CycleError):
        y.get()


@pytest.mark.spec("CY1", "CE2")
def test_cycle_error_reaches_an_effect_reading_the_computed() -> None:
    """An effect reading a computed that becomes cyclic sees CycleError (here caught) and runs again
    on recovery."""
    loop = atom("loop", False)

    def derive(_prev: object, _epoch: int) -> int:
        return c.get() if loop.get() else 1

    c: Computed[int, object] = computed("c", derive)
    seen: list[object] = []

    def effect(_epoch: int) -> None:
        try:
            seen.append(c.get())
        except CycleError:
            seen.append("cycle")

    stop = react("r", effect)
    loop.set(True)
    loop.set(False)
    assert seen == [1, "cycle", 1]
    stop()
