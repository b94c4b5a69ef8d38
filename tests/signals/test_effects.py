"""Effects: EffectScheduler, react and reactor (SPEC.md §1, rules E1–E9)."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from signals_helpers import (
    change_while_detached,
    react_recording,
    reactor_recording,
    run_in_reaction,
    scheduler_recording,
)

from tlsync_core.signals import (
    GLOBAL_START_EPOCH,
    RESET_VALUE,
    EffectScheduler,
    atom,
    computed,
    get_global_epoch,
    react,
    reactor,
    transact,
)

# ---------------------------------------------------------------------------------------------
# react
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("E1")
def test_react_runs_immediately_reruns_and_stops() -> None:
    """react runs at once, reruns on change, and never runs after stop()."""
    a = atom("a", 234)
    stop, seen = react_recording(a.get)
    assert seen == [234]

    a.set(939)
    assert seen == [234, 939]

    stop()
    a.set(2342)
    assert seen == [234, 939]
    assert a.get() == 2342


@pytest.mark.spec("E1")
def test_react_detaches_from_its_parents_when_stopped() -> None:
    """While running, the atom's children hold the effect; after stop() they are empty and sets do
    nothing."""
    a = atom("a", 1)
    stop, runs = react_recording(a.get)

    assert len(a.children) == 1
    assert isinstance(a.children[0], EffectScheduler)

    a.set(8)
    assert len(runs) == 2

    stop()
    assert list(a.children) == []

    a.set(2)
    a.set(3)
    assert len(runs) == 2


@pytest.mark.spec("E4")
def test_no_rerun_on_equal_set() -> None:
    """An effect does not re-run when its parent atom is set to an equal value."""
    a = atom("a", "x")
    stop, runs = react_recording(a.get)
    assert runs == ["x"]

    a.set("x")
    assert runs == ["x"]
    stop()


@pytest.mark.spec("E4")
def test_no_rerun_when_computed_parent_recomputes_to_equal_value() -> None:
    """An effect does not re-run when its computed parent re-derives to an equal value."""
    a = atom("a", 1.2)
    floored = computed("floored", lambda _prev, _epoch: math.floor(a.get()))
    stop, runs = react_recording(floored.get)
    assert runs == [1]

    a.set(1.5)
    assert runs == [1]

    a.set(2.3)
    assert runs == [1, 2]
    stop()


@pytest.mark.spec("E5")
def test_effect_receives_last_reacted_epoch_for_incremental_work() -> None:
    """get_diff_since(last_reacted_epoch) inside the effect gives [RESET, [+2], [+3]]."""
    a = atom("a", 1, history_length=5, compute_diff=lambda old, new, _l, _n: new - old)
    collected: list[object] = []
    epochs: list[int] = []

    def effect(last_reacted_epoch: int) -> None:
        epochs.append(last_reacted_epoch)
        collected.append(a.get_diff_since(last_reacted_epoch))

    stop = react("r", effect)
    first_run_epoch = get_global_epoch()
    assert collected == [RESET_VALUE]
    assert epochs == [GLOBAL_START_EPOCH]

    a.set(3)
    second_run_epoch = get_global_epoch()
    assert collected == [RESET_VALUE, [2]]

    a.set(6)
    assert collected == [RESET_VALUE, [2], [3]]
    assert epochs == [GLOBAL_START_EPOCH, first_run_epoch, second_run_epoch]
    stop()


@pytest.mark.spec("E5")
def test_last_reacted_epoch_is_taken_before_the_run() -> None:
    """An effect that writes an atom records the epoch from before its run as last_reacted_epoch."""
    a = atom("a", 0)
    b = atom("b", 0)
    epochs: list[int] = []

    def effect(last_reacted_epoch: int) -> None:
        epochs.append(last_reacted_epoch)
        b.set(a.get() + 1)

    stop = react("r", effect)
    before = get_global_epoch() - 1  # the run wrote b once
    a.set(5)
    assert epochs == [GLOBAL_START_EPOCH, before]
    assert b.get() == 6
    stop()


# ---------------------------------------------------------------------------------------------
# reactor
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("E2")
def test_reactor_start_and_stop_toggle_listening() -> None:
    """reactor start/stop toggles is_actively_listening; the reactor does not run before start()."""
    a = atom("a", 1)
    r, runs = reactor_recording(a.get)
    assert r.scheduler.is_actively_listening is False
    assert runs == []

    r.start()
    assert r.scheduler.is_actively_listening is True
    assert runs == [1]

    r.stop()
    assert r.scheduler.is_actively_listening is False

    r.start()
    assert r.scheduler.is_actively_listening is True
    r.stop()


@pytest.mark.spec("E2")
@pytest.mark.parametrize(
    ("force", "runs_after_restart"), [(False, 1), (True, 2)], ids=["plain", "forced"]
)
def test_reactor_restart_without_changes_reruns_only_if_forced(
    force: bool, runs_after_restart: int
) -> None:
    """start() after stop() does not re-run the effect when no parent changed meanwhile;
    start(force=True) re-runs it even so."""
    a = atom("a", 1)
    r, runs = reactor_recording(a.get)
    r.start()
    assert len(runs) == 1

    r.stop()
    r.start(force=force)
    assert len(runs) == runs_after_restart
    r.stop()


@pytest.mark.spec("E2")
def test_reactor_start_reruns_if_a_parent_changed_while_stopped() -> None:
    """start() re-runs the effect when a parent changed while it was stopped."""
    a = atom("a", 1)
    r, runs = reactor_recording(a.get)
    r.start()
    assert runs == [1]

    r.stop()
    a.set(2)
    assert runs == [1]

    r.start()
    assert runs == [1, 2]
    r.stop()


@pytest.mark.spec("E3")
def test_one_rerun_per_transaction() -> None:
    """Two parents set in one transact give exactly one re-run."""
    a = atom("a", 1)
    b = atom("b", 1)
    r, seen = reactor_recording(lambda: (a.get(), b.get()))
    r.start()
    assert seen == [(1, 1)]

    def writes() -> None:
        a.set(2)
        b.set(2)

    transact(writes)
    assert seen == [(1, 1), (2, 2)]
    r.stop()


@pytest.mark.spec("E9")
def test_maybe_schedule_effect_is_a_no_op_when_stopped() -> None:
    """maybe_schedule_effect on a never-started reactor does nothing."""
    a = atom("a", 1)
    r, runs = reactor_recording(a.get)

    r.scheduler.maybe_schedule_effect()

    assert runs == []
    assert r.scheduler.schedule_count == 0


@pytest.mark.spec("E9")
def test_maybe_schedule_effect_is_a_no_op_when_parents_unchanged() -> None:
    """maybe_schedule_effect after an unrelated epoch tick does not run, but records the epoch."""
    a = atom("a", 1)
    r, runs = reactor_recording(a.get)
    r.start()
    assert len(runs) == 1
    count = r.scheduler.schedule_count

    atom("unrelated", 0).set(1)
    r.scheduler.maybe_schedule_effect()

    assert len(runs) == 1
    assert r.scheduler.schedule_count == count
    assert r.scheduler.last_reacted_epoch == get_global_epoch()
    r.stop()


@pytest.mark.spec("E2")
def test_start_inside_a_reaction_sees_a_computed_that_went_stale() -> None:
    """A reactor restarted from inside another effect's reaction sees its stale computed parent
    change."""
    a = atom("a", 1)
    c = computed("c", lambda _prev, _epoch: a.get() * 2)
    r, seen = reactor_recording(c.get)
    r.start()
    assert seen == [2]
    r.stop()

    a.set(5)  # nothing listens to c now, so it goes stale

    stop_outer = run_in_reaction(r.start)

    assert seen == [2, 10]
    assert c.get() == 10
    stop_outer()
    r.stop()


@pytest.mark.spec("E2", "E9")
def test_reactor_without_parents_does_not_rerun_on_start() -> None:
    """A reactor that read nothing does not re-run on start() after unrelated changes; force
    does."""
    unrelated = atom("unrelated", 0)
    r, runs = reactor_recording(lambda: 1)

    r.start()
    assert len(runs) == 1

    r.stop()
    unrelated.set(1)
    r.start()
    assert len(runs) == 1

    r.start(force=True)
    assert len(runs) == 2
    r.stop()


# ---------------------------------------------------------------------------------------------
# custom scheduling (E6, E7)
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("E6")
def test_custom_schedule_effect_defers_runs() -> None:
    """With schedule_effect, react's first run is only queued; running the queued callback executes
    it."""
    a = atom("a", 1)
    queue: list[Callable[[], None]] = []
    runs: list[int] = []

    stop = react("r", lambda _e: runs.append(a.get()), schedule_effect=queue.append)

    assert len(queue) == 1
    assert runs == []

    queue.pop(0)()
    assert runs == [1]

    a.set(2)
    assert len(queue) == 1
    assert runs == [1]

    queue.pop(0)()
    assert runs == [1, 2]
    stop()


@pytest.mark.spec("E6")
def test_reactor_start_with_custom_scheduler_only_schedules() -> None:
    """reactor.start() with a custom scheduler hands the run to the hook and does not execute it."""
    scheduled: list[Callable[[], None]] = []
    runs: list[int] = []
    r = reactor("r", lambda _e: runs.append(1), schedule_effect=scheduled.append)

    r.start()

    assert len(scheduled) == 1
    assert runs == []
    assert r.scheduler.schedule_count == 1
    r.stop()


@pytest.mark.spec("E6")
def test_schedule_count_counts_schedulings_even_if_never_executed() -> None:
    """schedule_count counts each scheduling even when the hook never executes the effect."""
    a = atom("a", 1)
    runs: list[int] = []
    schedules: list[int] = []
    scheduler = EffectScheduler(
        "test",
        lambda _e: runs.append(a.get()),
        schedule_effect=lambda _execute: schedules.append(1),
    )
    scheduler.attach()
    scheduler.execute()

    assert scheduler.schedule_count == 0
    assert len(schedules) == 0
    assert runs == [1]

    a.set(2)
    assert scheduler.schedule_count == 1
    assert len(schedules) == 1
    assert runs == [1]

    a.set(3)
    assert scheduler.schedule_count == 2
    assert len(schedules) == 2
    assert runs == [1]
    scheduler.detach()


@pytest.mark.spec("E6")
def test_execute_returns_the_effect_result() -> None:
    """EffectScheduler.execute() runs the effect now and returns its result."""
    a = atom("a", 20)
    scheduler = EffectScheduler("s", lambda _e: a.get() + 1)
    assert scheduler.execute() == 21
    assert list(scheduler.parents) == [a]
    assert scheduler.schedule_count == 0


@pytest.mark.spec("E7")
def test_queued_execute_is_a_no_op_after_stop() -> None:
    """A queued execute callback does nothing once the reactor has been stopped."""
    a = atom("a", 1)
    queue: list[Callable[[], None]] = []
    runs: list[int] = []
    r = reactor("r", lambda _e: runs.append(a.get()), schedule_effect=queue.append)
    r.start()
    queue.pop(0)()
    assert runs == [1]

    a.set(2)
    assert len(queue) == 1

    r.stop()
    queue.pop(0)()
    assert runs == [1]


# ---------------------------------------------------------------------------------------------
# attach / detach (E8)
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("E8")
def test_detach_attach_keeps_parents_without_rerunning() -> None:
    """detach/attach keeps the parents and does not re-run; later changes re-run as before."""
    a = atom("a", 1)
    scheduler, runs = scheduler_recording(a.get)
    assert runs == [1]

    a.set(2)
    assert runs == [1, 2]

    scheduler.detach()
    assert runs == [1, 2]
    assert list(scheduler.parents) == [a]
    assert list(a.children) == []

    scheduler.attach()
    assert runs == [1, 2]
    assert list(a.children) == [scheduler]

    a.set(3)
    assert runs == [1, 2, 3]
    scheduler.detach()


@pytest.mark.spec("E8")
def test_changes_while_detached_are_seen_after_attach_and_execute() -> None:
    """Changes while detached do not run the effect; attach + execute sees them, and later changes
    re-run it."""
    a = atom("a", 1)
    scheduler, runs = scheduler_recording(a.get)
    a.set(2)
    assert runs == [1, 2]

    scheduler.detach()
    a.set(3)
    assert runs == [1, 2]

    scheduler.attach()
    scheduler.execute()
    assert runs == [1, 2, 3]

    a.set(4)
    assert runs == [1, 2, 3, 4]
    scheduler.detach()


@pytest.mark.spec("E8")
def test_attach_then_maybe_schedule_reruns_only_if_a_parent_changed() -> None:
    """After detach, attach + maybe_schedule_effect re-runs only when a parent changed meanwhile."""
    a = atom("a", 1)
    scheduler, runs = scheduler_recording(a.get)

    change_while_detached(scheduler, lambda: atom("unrelated", 0).set(1))
    assert runs == [1]

    change_while_detached(scheduler, lambda: a.set(2))
    assert runs == [1, 2]
    scheduler.detach()


@pytest.mark.spec("E8")
def test_attach_refreshes_a_stale_computed_parent() -> None:
    """attach() inside a reaction brings a stale computed parent up to date, so the effect sees the
    change."""
    a = atom("a", 1)
    c = computed("c", lambda _prev, _epoch: a.get() * 2)
    scheduler, seen = scheduler_recording(c.get)
    scheduler.detach()
    a.set(5)  # c is stale now

    def reattach() -> None:
        scheduler.attach()
        scheduler.maybe_schedule_effect()

    stop = run_in_reaction(reattach)

    assert seen == [2, 10]
    stop()
    scheduler.detach()
