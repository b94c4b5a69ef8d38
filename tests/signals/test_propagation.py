"""Change propagation and the reaction phase (SPEC.md §1, rules P1–P8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from signals_helpers import attach_and_run, counting_computed, react_recording, run_in_reaction

from tlsync_core.signals import (
    MAX_REACTION_PASSES,
    RESET_VALUE,
    EffectScheduler,
    ReactionDepthError,
    SignalsError,
    atom,
    computed,
    is_uninitialized,
    react,
    reactor,
    transact,
    transaction,
)

# ---------------------------------------------------------------------------------------------
# change propagation
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("P1")
def test_effects_run_before_set_returns() -> None:
    """An effect has already observed the new value when set() returns."""
    a = atom("a", 1)
    stop, observed = react_recording(a.get)

    a.set(2)

    assert observed == [1, 2]
    stop()


@pytest.mark.spec("P2")
def test_propagation_through_computed_chains_and_none_after_stop() -> None:
    """Changes reach an effect through a computed chain; after stop nothing is re-derived on set."""
    a = atom("a", 1)
    c1, double_calls = counting_computed("c1", lambda: a.get() * 2)
    c2 = computed("c2", lambda _prev, _epoch: c1.get() + 1)
    stop, seen = react_recording(c2.get)
    assert seen == [3]

    a.set(2)
    assert seen == [3, 5]

    stop()
    a.set(3)
    assert seen == [3, 5]
    assert len(double_calls) == 2


@pytest.mark.spec("P3")
def test_diamond_runs_the_effect_once_per_change() -> None:
    """Two computeds on one atom, both read by one effect, give exactly one re-run per change."""
    a = atom("a", 1)
    left = computed("left", lambda _prev, _epoch: a.get() + 1)
    right = computed("right", lambda _prev, _epoch: a.get() * 2)
    stop, seen = react_recording(lambda: (left.get(), right.get()))
    assert seen == [(2, 2)]

    a.set(2)
    assert seen == [(2, 2), (3, 4)]

    a.set(3)
    assert seen == [(2, 2), (3, 4), (4, 6)]
    stop()


@pytest.mark.spec("P3")
def test_diamond_is_glitch_free() -> None:
    """Nothing downstream of a diamond ever sees a mix of old and new values, and each node derives
    once per change."""
    a = atom("a", 1)
    left = computed("left", lambda _prev, _epoch: a.get() + 1)
    right = computed("right", lambda _prev, _epoch: a.get() * 10)
    pairs: list[tuple[int, int]] = []

    def total(_prev: object, _epoch: int) -> int:
        pair = (left.get(), right.get())
        pairs.append(pair)
        return pair[0] + pair[1]

    joined = computed("joined", total)
    observed: list[tuple[int, int, int]] = []

    def effect(_epoch: int) -> None:
        # read in the "wrong" order too: the atom last, after the computeds
        observed.append((joined.get(), left.get(), a.get()))

    stop = react("r", effect)
    for value in (2, 3, 7):
        a.set(value)

    assert pairs == [(2, 10), (3, 20), (4, 30), (8, 70)]
    assert observed == [(12, 2, 1), (23, 3, 2), (34, 4, 3), (78, 8, 7)]
    stop()


@pytest.mark.spec("P3")
def test_deep_diamond_with_early_cutoff_on_one_side() -> None:
    """A diamond whose one branch cuts off still gives one consistent run per change."""
    a = atom("a", 0)
    parity = computed("parity", lambda _prev, _epoch: a.get() % 2)
    parity_label = computed("label", lambda _prev, _epoch: "odd" if parity.get() else "even")
    plus = computed("plus", lambda _prev, _epoch: a.get() + 100)
    both, label_calls = counting_computed("both", lambda: f"{parity_label.get()}:{plus.get()}")
    stop, seen = react_recording(both.get)

    a.set(2)  # parity unchanged, plus changed
    a.set(3)  # both changed
    assert seen == ["even:100", "even:102", "odd:103"]
    assert len(label_calls) == 3
    stop()


# ---------------------------------------------------------------------------------------------
# setting atoms during the reaction phase (P4, P5, P7)
# ---------------------------------------------------------------------------------------------

DEPTH_LIMIT_EXCEEDED = r"^Reaction update depth limit exceeded$"


@pytest.mark.spec("P4")
def test_effect_may_set_another_atom() -> None:
    """An effect may set an atom (b = a + 1), and effects on b run in a further pass."""
    a = atom("a", 0)
    b = atom("b", 0)
    stop_writer = react("writer", lambda _e: b.set(a.get() + 1))
    assert (a.get(), b.get()) == (0, 1)

    stop_reader, seen = react_recording(b.get, name="reader")
    a.set(5)
    assert b.get() == 6
    assert seen == [1, 6]
    stop_writer()
    stop_reader()


@pytest.mark.spec("P5")
def test_self_incrementing_effect_raises_reaction_depth_error() -> None:
    """An effect that keeps incrementing its own parent raises 'Reaction update depth limit
    exceeded'."""
    a = atom("a", 0)
    assert MAX_REACTION_PASSES == 1000

    with pytest.raises(ReactionDepthError, match=DEPTH_LIMIT_EXCEEDED):
        react("loop", lambda _e: a.set(a.get() + 1))

    assert issubclass(ReactionDepthError, SignalsError)
    assert a.get() == 1001


@pytest.mark.spec("P5")
def test_reactor_that_never_settles_raises_reaction_depth_error() -> None:
    """A reactor whose start() keeps updating its own parent raises ReactionDepthError."""
    a = atom("a", 1)

    def effect(_epoch: int) -> None:
        if a.get() < float("inf"):
            a.update(lambda v: v + 1)

    r = reactor("loop", effect)
    with pytest.raises(ReactionDepthError, match=DEPTH_LIMIT_EXCEEDED):
        r.start()
    r.stop()


@pytest.mark.spec("P5")
def test_ping_pong_between_two_effects_raises_reaction_depth_error() -> None:
    """Two effects that keep triggering each other through atoms raise ReactionDepthError."""
    a = atom("a", 0)
    b = atom("b", 0)
    stop_a = react("a->b", lambda _e: b.set(a.get() + 1))
    with pytest.raises(ReactionDepthError, match=DEPTH_LIMIT_EXCEEDED):
        react("b->a", lambda _e: a.set(b.get() + 1))
    stop_a()


@pytest.mark.spec("P4", "P6")
def test_effect_looping_through_transact_converges() -> None:
    """An effect that increments its parent inside transact until 10 converges to 10."""
    a = atom("a", 0)

    def body() -> None:
        if a.get() < 10:
            a.set(a.get() + 1)

    stop = react("r", lambda _e: transact(body))
    assert a.get() == 10
    stop()


@pytest.mark.spec("P7")
def test_computed_read_after_set_in_same_effect_is_fresh() -> None:
    """A computed read right after the effect set its parent sees the new value (regression 1)."""
    a = atom("a", 0)
    b = atom("b", 0)
    c = computed("c", lambda _prev, _epoch: b.get() * 2)
    c_values: list[int] = []

    def effect(_epoch: int) -> None:
        b.set(a.get() + 1)
        c_values.append(c.get())

    stop = react("r", effect)
    assert (a.get(), b.get()) == (0, 1)
    assert c_values == [2]

    transact(lambda: a.set(1))
    assert c_values[-1] == 4
    stop()


@pytest.mark.spec("P7")
def test_traversed_but_not_updated_computed_is_fresh_when_read() -> None:
    """A computed traversed by an in-effect write is recomputed when read later in that effect
    (regression 2)."""
    a = atom("a", 0)
    b = atom("b", 1)
    c = atom("c", 0)
    d = computed("d", lambda _prev, _epoch: a.get() * 2)
    d_values: list[int] = []

    def effect(_epoch: int) -> None:
        a.set(b.get())
        c.set(a.get())
        d_values.append(d.get())

    stop = react("r", effect)
    assert (a.get(), b.get(), c.get()) == (1, 1, 1)
    assert d_values == [2]

    transact(lambda: b.set(2))
    assert d_values[-1] == 4
    stop()


# ---------------------------------------------------------------------------------------------
# transactions during the reaction phase (P6)
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("P6")
def test_transaction_inside_an_effect() -> None:
    """A transaction inside an effect commits its write; an outer transaction defers the effect."""
    a = atom("a", 0)
    b = atom("b", 0)

    def effect(_epoch: int) -> None:
        transaction(lambda _rollback: b.set(a.get() + 1))

    stop = react("r", effect)
    assert (a.get(), b.get()) == (0, 1)

    a.set(1)
    assert b.get() == 2

    inside: list[int] = []

    def outer(_rollback: Callable[[], None]) -> None:
        a.set(2)
        inside.append(b.get())

    transaction(outer)
    assert inside == [2]
    assert b.get() == 3
    stop()


@pytest.mark.spec("P6", "T4", "T5")
def test_rollback_and_raise_inside_an_effect() -> None:
    """A rollback, or a raise in a nested transaction, inside an effect restores values like at the
    top level."""
    a = atom("a", 0)
    b = atom("b", 0)
    observed: list[object] = []

    def rolling_back(_epoch: int) -> None:
        def body(rollback: Callable[[], None]) -> None:
            b.set(a.get() + 1)
            rollback()

        transaction(body)
        observed.append(("after rollback", b.get()))

    stop = react("rolling back", rolling_back)
    assert (a.get(), b.get()) == (0, 0)
    stop()

    def raising(_epoch: int) -> None:
        def outer(_rollback: Callable[[], None]) -> None:
            b.set(3)

            def inner(_inner_rollback: Callable[[], None]) -> None:
                b.set(a.get() + 1)
                raise ValueError("oops")

            try:
                transaction(inner)
            except ValueError as error:
                observed.append(("caught", str(error)))
            observed.append(("after inner", b.get()))

        transaction(outer)
        observed.append(("after outer", b.get()))

    stop = react("raising", raising)
    assert (a.get(), b.get()) == (0, 3)
    assert observed == [
        ("after rollback", 0),
        ("caught", "oops"),
        ("after inner", 3),
        ("after outer", 3),
    ]
    stop()


@pytest.mark.spec("P6")
def test_effect_triggered_effects_wait_for_the_end_of_the_pass() -> None:
    """Three chained effects run 3/2/1 times at creation, and a change runs them in passes, not
    re-entrantly."""
    a = atom("a", 0)
    b = atom("b", 0)
    c = atom("c", 0)
    a_runs: list[int] = []
    b_runs: list[int] = []
    c_runs: list[tuple[int, int]] = []

    def on_a(_epoch: int) -> None:
        a_runs.append(a.get())

    def on_b(_epoch: int) -> None:
        transaction(lambda _rb: a.set(b.get() + 1))
        b_runs.append(b.get())

    def on_c(_epoch: int) -> None:
        transaction(lambda _rb: b.set(c.get() + 1))
        # b was set by this effect, but a's writer has not run yet: it waits for the next pass
        c_runs.append((b.unsafe_get_without_capture(), a.unsafe_get_without_capture()))

    stops = [react("a", on_a), react("b", on_b), react("c", on_c)]
    assert len(a_runs) == 3
    assert len(b_runs) == 2
    assert len(c_runs) == 1
    assert a.unsafe_get_without_capture() == 2

    c.set(1)

    assert c_runs[-1] == (2, 2)
    assert len(c_runs) == 2
    assert a.unsafe_get_without_capture() == 3
    assert a_runs == [0, 1, 2, 3]
    assert b_runs == [0, 1, 2]
    for stop in stops:
        stop()


@pytest.mark.spec("P6", "T2", "P7")
def test_listening_computed_read_in_transaction_in_effect_sees_new_values() -> None:
    """A listening computed read inside a transaction inside an effect sees the in-transaction
    value."""
    a = atom("a", 0)
    c = computed("c", lambda _prev, _epoch: a.get() * 2)
    stop_listener = react("listener", lambda _e: c.get())
    seen: list[int] = []

    def body() -> None:
        a.set(5)
        seen.append(c.get())

    stop = run_in_reaction(lambda: transact(body), name="r")

    assert seen == [10]
    assert c.get() == 10
    stop()
    stop_listener()


@pytest.mark.spec("P6", "T2")
def test_incremental_computed_read_in_transaction_in_effect_is_not_corrupted() -> None:
    """An incremental computed read in a transaction inside an effect stays correct afterwards (10,
    then 15)."""
    no_entries: tuple[int, ...] = ()
    log = atom(
        "log",
        no_entries,
        history_length=10,
        compute_diff=lambda prev, nxt, _l, _n: nxt[len(prev) :],
    )

    def derive(prev: Any, last_computed_epoch: int) -> int:
        if is_uninitialized(prev):
            return sum(log.get())
        diffs = log.get_diff_since(last_computed_epoch)
        if diffs is RESET_VALUE:
            return sum(log.get())
        total: int = prev
        for diff in diffs:
            total += sum(diff)
        return total

    total = computed("sum", derive)
    stop_listener = react("listener", lambda _e: total.get())
    seen: list[int] = []
    done: list[bool] = []

    def once() -> None:
        if done:
            return
        done.append(True)

        def body() -> None:
            log.update(lambda entries: (*entries, 10))
            seen.append(total.get())

        transact(body)

    stop = run_in_reaction(once, name="r")
    assert seen == [10]

    log.update(lambda entries: (*entries, 5))
    assert total.get() == 15
    stop()
    stop_listener()


@pytest.mark.spec("C2", "E6")
def test_computed_traversed_for_deferred_effect_is_not_served_stale() -> None:
    """A listening computed traversed for a deferred effect but not re-checked is recomputed when
    read later."""
    a = atom("a", 0)
    b = atom("b", 0)
    c = computed("c", lambda _prev, _epoch: a.get())
    deferred: list[Callable[[], None]] = []

    def effect(_epoch: int) -> None:
        b.get()
        c.get()

    scheduler = attach_and_run(EffectScheduler("deferred", effect, schedule_effect=deferred.append))

    def writes() -> None:
        b.set(1)
        a.set(1)

    transact(writes)  # b is checked first and changed, so c is traversed but not re-checked
    assert len(deferred) == 1

    seen: list[int] = []
    stop = run_in_reaction(lambda: seen.append(c.get()), name="reader")

    assert seen == [1]
    assert c.get() == 1

    for execute in deferred:
        execute()
    assert c.get() == 1
    stop()
    scheduler.detach()


# ---------------------------------------------------------------------------------------------
# first runs that write their own parents (P8)
# ---------------------------------------------------------------------------------------------


def _self_writing_effect(a: Any, b: Any, log: list[str]) -> Callable[[int], None]:
    """An effect that reads a, sets a on its first run, then reads b: its first run changes a
    parent."""

    def effect(_epoch: int) -> None:
        log.append("start")
        if a.get() == 0:
            a.set(1)
        log.append(f"b={b.get()}")
        log.append("end")

    return effect


# the log of a self-writing effect's first run followed by its one re-run, not nested in it
RAN_THEN_RERAN_AFTER = ["start", "b=0", "end", "start", "b=0", "end"]


def _assert_a_change_of_b_runs_it_once(b: Any, log: list[str]) -> None:
    """After the first runs, setting b re-runs the self-writing effect exactly once."""
    log.clear()
    b.set(1)
    assert log == ["start", "b=1", "end"]


@pytest.mark.spec("P8")
def test_first_run_via_react_that_sets_its_parent_reruns_after_not_nested() -> None:
    """react's first run that sets its own parent re-runs after it ends, and stays subscribed to
    later parents."""
    a = atom("a", 0)
    b = atom("b", 0)
    log: list[str] = []
    stop = react("r", _self_writing_effect(a, b, log))

    assert log == RAN_THEN_RERAN_AFTER
    assert a.get() == 1
    _assert_a_change_of_b_runs_it_once(b, log)
    stop()


@pytest.mark.spec("P8")
def test_first_run_via_reactor_start_that_sets_its_parent_reruns_after_not_nested() -> None:
    """reactor.start()'s first run that sets its own parent re-runs after it ends, and stays
    subscribed."""
    a = atom("a", 0)
    b = atom("b", 0)
    log: list[str] = []
    r = reactor("r", _self_writing_effect(a, b, log))
    r.start()

    assert log == RAN_THEN_RERAN_AFTER
    _assert_a_change_of_b_runs_it_once(b, log)
    r.stop()


@pytest.mark.spec("P8")
def test_first_run_via_execute_that_sets_its_parent_reruns_after_not_nested() -> None:
    """attach() + execute() whose run sets its own parent re-runs after it ends, and stays
    subscribed."""
    a = atom("a", 0)
    b = atom("b", 0)
    log: list[str] = []
    scheduler = attach_and_run(EffectScheduler("s", _self_writing_effect(a, b, log)))

    assert log == RAN_THEN_RERAN_AFTER
    assert list(scheduler.parents) == [a, b]
    _assert_a_change_of_b_runs_it_once(b, log)
    scheduler.detach()


@pytest.mark.spec("P8")
def test_manual_run_that_sets_an_attached_parent_is_not_nested() -> None:
    """A manual run that writes a parent it is already attached to is re-run after it ends, never
    inside it."""
    a = atom("a", 0)
    log: list[str] = []

    def effect(_epoch: int) -> None:
        value = a.get()
        log.append(f"start {value}")
        if value < 2:
            a.set(value + 1)
        log.append(f"end {value}")

    scheduler = attach_and_run(EffectScheduler("s", effect))

    assert log == ["start 0", "end 0", "start 1", "end 1", "start 2", "end 2"]
    assert a.get() == 2
    scheduler.detach()


@pytest.mark.spec("P8", "E4")
def test_no_extra_run_when_the_parent_it_set_is_no_longer_read() -> None:
    """A manual run that writes a former parent it no longer reads is not run again."""
    a = atom("a", 0)
    b = atom("b", 0)
    mode = {"write": False}
    log: list[str] = []

    def effect(_epoch: int) -> None:
        log.append("start")
        if mode["write"]:
            a.set(a.unsafe_get_without_capture() + 1)
            b.get()
        else:
            a.get()
        log.append("end")

    scheduler = attach_and_run(EffectScheduler("s", effect))
    assert list(scheduler.parents) == [a]

    mode["write"] = True
    log.clear()
    scheduler.execute()

    assert log == ["start", "end"]
    assert a.get() == 1
    assert list(scheduler.parents) == [b]
    assert list(a.children) == []
    scheduler.detach()


@pytest.mark.spec("P8", "E7")
def test_no_rerun_when_the_first_run_detached_itself() -> None:
    """A first run that sets its own parent and then stops itself is not run again."""
    a = atom("a", 0)
    log: list[int] = []
    holder: list[Callable[[], None]] = []

    def effect(_epoch: int) -> None:
        value = a.get()
        log.append(value)
        a.set(value + 1)
        holder[0]()

    scheduler = EffectScheduler("s", effect)
    holder.append(scheduler.detach)
    attach_and_run(scheduler)

    assert log == [0]
    assert a.get() == 1
    assert list(a.children) == []


@pytest.mark.spec("P8", "E7")
def test_no_rerun_when_a_manual_run_detached_itself_after_writing_an_attached_parent() -> None:
    """A run that writes a parent it is attached to and then detaches itself is not run again."""
    a = atom("a", 0)
    log: list[int] = []
    stop_on_run: list[bool] = [False]
    holder: list[Callable[[], None]] = []

    def effect(_epoch: int) -> None:
        value = a.get()
        log.append(value)
        if stop_on_run[0]:
            a.set(value + 1)
            holder[0]()

    scheduler = EffectScheduler("s", effect)
    holder.append(scheduler.detach)
    attach_and_run(scheduler)
    assert log == [0]

    stop_on_run[0] = True
    scheduler.execute()

    assert log == [0, 0]
    assert a.get() == 1
    assert scheduler.is_actively_listening is False


@pytest.mark.spec("P8")
def test_raising_first_run_is_not_re_entered() -> None:
    """A first run that sets its own parent and then raises propagates the error and is not run
    again."""
    a = atom("a", 0)
    log: list[int] = []

    def effect(_epoch: int) -> None:
        value = a.get()
        log.append(value)
        a.set(value + 1)
        raise RuntimeError("first run failed")

    with pytest.raises(RuntimeError, match=r"^first run failed$"):
        react("r", effect)
    assert log == [0]
    assert a.get() == 1
