"""Transactions, rollback and nesting (SPEC.md §1, rules T1–T10 and EP6)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from signals_helpers import counting_computed, react_recording, run_in_reaction

from tlsync_core.signals import (
    Atom,
    SignalsError,
    TransactionOverlapError,
    atom,
    bind_thread,
    computed,
    core,
    get_global_epoch,
    is_in_transaction,
    transact,
    transaction,
)


@pytest.mark.spec("T2", "T3", "T4", "T6")
def test_transactions_batch_defer_and_roll_back() -> None:
    """In-transaction reads are fresh, effects are deferred, and a rollback re-runs the effect once
    with restored values."""
    first = atom("first", "John")
    last = atom("last", "Doe")
    full_name, computations = counting_computed("full", lambda: f"{first.get()} {last.get()}")
    stop, names = react_recording(full_name.get)

    assert names == ["John Doe"]
    assert len(computations) == 1

    def body(rollback: Callable[[], None]) -> None:
        first.set("Wilbur")
        assert len(computations) == 1
        assert names == ["John Doe"]  # T3: effects are deferred
        last.set("Jones")
        assert len(computations) == 1
        assert names == ["John Doe"]
        assert full_name.get() == "Wilbur Jones"  # T2: reads see in-transaction values
        assert len(computations) == 2
        assert names == ["John Doe"]
        rollback()

    transaction(body)

    # T6: the aborted transaction still flushes, and the effect sees only the restored values
    assert len(computations) == 3
    assert names == ["John Doe", "John Doe"]
    assert full_name.get() == "John Doe"
    assert (first.get(), last.get()) == ("John", "Doe")
    stop()


@pytest.mark.spec("T1")
def test_return_value_passes_through() -> None:
    """transaction, transact and a rolled-back transaction all return fn's value."""
    assert transaction(lambda _rollback: "hello") == "hello"
    assert transact(lambda: 42) == 42

    def rolled_back(rollback: Callable[[], None]) -> str:
        rollback()
        return "rolled back"

    assert transaction(rolled_back) == "rolled back"

    def joined() -> int:
        return transact(lambda: 7) * 6

    assert transact(joined) == 42


@pytest.mark.spec("EP6")
def test_aborted_empty_transaction_advances_the_epoch_once() -> None:
    """Rolling back a transaction that wrote nothing still advances the global epoch, by exactly
    one."""
    start = get_global_epoch()
    transaction(lambda rollback: rollback())
    assert get_global_epoch() == start + 1


@pytest.mark.spec("EP6", "T6")
def test_abort_ticks_once_then_restores_with_ordinary_sets() -> None:
    """An abort after one write ticks: the write, the abort, then the restoring set (3 in all)."""
    a = atom("a", 1)
    start = get_global_epoch()

    def body(rollback: Callable[[], None]) -> None:
        a.set(2)
        rollback()

    transaction(body)
    assert a.get() == 1
    assert get_global_epoch() == start + 3
    assert a.last_changed_epoch == start + 3


@pytest.mark.spec("EP6")
def test_committed_transaction_ticks_only_for_real_changes() -> None:
    """A committed transaction adds no epoch tick of its own."""
    a = atom("a", 1)
    start = get_global_epoch()
    transaction(lambda _rollback: None)
    assert get_global_epoch() == start

    transact(lambda: a.set(2))
    assert get_global_epoch() == start + 1


@pytest.mark.spec("T7")
def test_nested_transactions_roll_back_independently() -> None:
    """Five combinations of nested rollback/commit give A/B = 0/0, 0/0, 0/0, 1/-1 and 2/-2."""
    a = atom("A", 0)
    b = atom("B", 0)

    def level(
        value: int, roll: bool, inner: Callable[[], None] | None = None
    ) -> Callable[[], None]:
        def run() -> None:
            def body(rollback: Callable[[], None]) -> None:
                a.set(value)
                b.set(-value)
                if inner is not None:
                    inner()
                if roll:
                    rollback()

            transaction(body)

        return run

    level(1, True, level(2, True, level(3, True)))()
    assert (a.get(), b.get()) == (0, 0)

    level(1, True, level(2, True, level(3, False)))()
    assert (a.get(), b.get()) == (0, 0)

    level(1, True, level(2, False, level(3, False)))()
    assert (a.get(), b.get()) == (0, 0)

    level(1, False, level(2, True, level(3, True)))()
    assert (a.get(), b.get()) == (1, -1)

    level(1, False, level(2, False, level(3, True)))()
    assert (a.get(), b.get()) == (2, -2)


@pytest.mark.spec("T7")
def test_outer_rollback_undoes_a_committed_inner_transaction() -> None:
    """An outer rollback restores what a committed inner transaction wrote."""
    a = atom("a", "a")

    def body(rollback: Callable[[], None]) -> None:
        transaction(lambda _rb: a.set("b"))
        assert a.get() == "b"
        rollback()

    transaction(body)
    assert a.get() == "a"


@pytest.mark.spec("T7")
def test_outer_rollback_restores_the_first_recorded_value() -> None:
    """When outer and inner both wrote an atom, the outer rollback restores the value from before
    the outer."""
    a = atom("a", 0)
    b = atom("b", 0)

    def body(rollback: Callable[[], None]) -> None:
        a.set(1)

        def inner(_rb: Callable[[], None]) -> None:
            a.set(2)
            b.set(2)

        transaction(inner)
        assert (a.get(), b.get()) == (2, 2)
        rollback()

    transaction(body)
    assert (a.get(), b.get()) == (0, 0)


@pytest.mark.spec("T7", "P6")
def test_outer_rollback_undoes_inner_commit_inside_an_effect() -> None:
    """Inside an effect, an outer rollback undoes an inner transaction that committed."""
    a = atom("a", "a")
    b = atom("b", "b")

    def body(rollback: Callable[[], None]) -> None:
        b.set("B")
        transaction(lambda _rb: a.set("A"))
        rollback()

    stop = run_in_reaction(lambda: transaction(body), name="r")

    assert a.get() == "a"
    assert b.get() == "b"
    stop()


@pytest.mark.spec("T4")
def test_rollback_restores_computeds() -> None:
    """A computed read after a rollback reflects the restored values."""
    first = atom("first", "John")
    last = atom("last", "Doe")
    full_name = computed("full", lambda _prev, _epoch: f"{first.get()} {last.get()}")
    inside: list[str] = []

    def body(rollback: Callable[[], None]) -> None:
        first.set("Jane")
        last.set("Jones")
        inside.append(full_name.get())
        rollback()

    transaction(body)

    assert inside == ["Jane Jones"]
    assert full_name.get() == "John Doe"


@pytest.mark.spec("T5")
def test_exception_rolls_back_and_is_reraised() -> None:
    """An exception inside transact rolls back its writes and propagates unchanged."""
    a = atom("a", "a")
    error = ValueError("blah")

    def body() -> None:
        a.set("b")
        raise error

    with pytest.raises(ValueError, match=r"^blah$") as caught:
        transact(body)
    assert caught.value is error
    assert a.get() == "a"


@pytest.mark.spec("T5", "T3")
def test_exception_rollback_runs_effects_on_restored_values_only() -> None:
    """After a raising transaction the effect re-runs exactly once and only ever sees the restored
    value."""
    a = atom("a", 1)
    stop, seen = react_recording(a.get)

    def body(_rollback: Callable[[], None]) -> None:
        a.set(2)
        a.set(3)
        raise KeyError("x")

    with pytest.raises(KeyError):
        transaction(body)

    assert a.get() == 1
    assert seen == [1, 1]  # one re-run (the atom's epoch moved), with the restored value
    stop()


@pytest.mark.spec("T1", "T8")
def test_transact_joins_so_an_inner_raise_restores_nothing() -> None:
    """A raise inside a nested transact (a join) restores nothing by itself; the outer commit keeps
    it."""
    a = atom("a", "a")
    observed: list[object] = []

    def inner() -> None:
        a.set("c")
        raise ValueError("blah")

    def outer() -> None:
        a.set("b")
        try:
            transact(inner)
        except ValueError as error:
            observed.append(str(error))
        observed.append(a.get())

    transact(outer)

    assert observed == ["blah", "c"]
    assert a.get() == "c"


@pytest.mark.spec("T8", "T7")
def test_transaction_inside_transact_still_nests() -> None:
    """transaction() inside transact() opens a nested transaction whose rollback restores only its
    own writes."""
    a = atom("a", 0)
    b = atom("b", 0)

    def inner(rollback: Callable[[], None]) -> None:
        b.set(1)
        rollback()

    def outer() -> None:
        a.set(1)
        transaction(inner)

    transact(outer)
    assert (a.get(), b.get()) == (1, 0)


@pytest.mark.spec("T3")
def test_effects_wait_for_the_outermost_commit() -> None:
    """An effect does not run when a nested transaction commits, only when the outermost one
    does."""
    a = atom("a", 0)
    stop, seen = react_recording(a.get)
    during: list[list[int]] = []

    def outer(_rollback: Callable[[], None]) -> None:
        transaction(lambda _rb: a.set(1))
        during.append(list(seen))
        transaction(lambda _rb: a.set(2))
        during.append(list(seen))

    transaction(outer)
    assert during == [[0], [0]]
    assert seen == [0, 2]
    stop()


def _overlapping_transactions(a: Atom[int, Any]) -> tuple[list[BaseException], bool]:
    """Open a transaction, open another inside it from a second thread, and end the outer first.

    Python code cannot interleave transaction boundaries on one thread (every boundary is a
    call frame), so the interleaving that deferAsyncEffects allows in JS is reproduced with two
    threads handing the graph to each other with ``bind_thread``.  Returns the errors raised
    when the outer and then the inner transaction ended, and whether a transaction was left
    open afterwards (it is then closed, so that later tests are not affected).
    """
    me = threading.get_ident()
    other_ready = threading.Event()
    other_opened = threading.Event()
    other_may_end = threading.Event()
    errors: list[BaseException] = []

    def other_thread() -> None:
        other_ready.wait(5)

        def inner(_rollback: Callable[[], None]) -> None:
            bind_thread(me)  # hand the graph back while this transaction is still open
            other_opened.set()
            other_may_end.wait(5)

        try:
            transaction(inner)
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=other_thread)
    worker.start()

    def outer(_rollback: Callable[[], None]) -> None:
        a.set(1)
        assert worker.ident is not None
        bind_thread(worker.ident)
        other_ready.set()
        other_opened.wait(5)

    try:
        transaction(outer)
    except BaseException as error:
        errors.insert(0, error)
    finally:
        other_may_end.set()
        worker.join(5)
        bind_thread(me)
    left_open = is_in_transaction()
    if left_open:  # leave the global graph clean for the other tests
        core._G.txn = None
    return errors, left_open


@pytest.mark.spec("T10")
def test_interleaved_transaction_boundaries_raise_overlap_error() -> None:
    """Ending a transaction while one opened inside it is still open raises TransactionOverlapError,
    for both ends."""
    a = atom("a", 0)
    errors, _left_open = _overlapping_transactions(a)

    assert issubclass(TransactionOverlapError, SignalsError)
    assert len(errors) == 2
    assert all(isinstance(error, TransactionOverlapError) for error in errors)
    assert str(errors[0]) == "Transaction boundaries overlap"


@pytest.mark.spec("T10")
def test_no_transaction_is_left_open_after_an_overlap() -> None:
    """After both overlapping transactions have ended (with errors), no transaction is left open."""
    a = atom("a", 0)
    _errors, left_open = _overlapping_transactions(a)
    assert left_open is False
    assert is_in_transaction() is False

    stop, seen = react_recording(a.get, name="after")
    a.set(5)
    assert seen[-1] == 5
    stop()
