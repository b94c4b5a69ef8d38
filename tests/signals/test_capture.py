"""Dependency capture and liveness (SPEC.md §1, rules CAP1–CAP8)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from signals_helpers import attach_and_run, react_recording

from tlsync_core.signals import (
    Atom,
    EffectScheduler,
    atom,
    computed,
    get_global_epoch,
    react,
    reactor,
    unsafe_without_capture,
)


@pytest.mark.spec("CAP1", "CAP3")
def test_parents_are_deduplicated_in_first_read_order() -> None:
    """Each signal read is recorded once, in the order it was first read."""
    a = atom("a", 1)
    b = atom("b", 2)

    def effect(_epoch: int) -> None:
        a.get()
        a.get()
        b.get()
        a.get()

    r = reactor("r", effect)
    r.start()

    assert list(r.scheduler.parents) == [a, b]
    assert list(r.scheduler.parent_epochs) == [a.last_changed_epoch, b.last_changed_epoch]
    assert list(a.children) == [r.scheduler]
    assert list(b.children) == [r.scheduler]
    r.stop()


@pytest.mark.spec("CAP1", "CAP3")
def test_computed_parents_are_deduplicated_in_first_read_order() -> None:
    """A computed also records each parent once, in first-read order, including via
    get_diff_since."""
    a = atom("a", 1, history_length=2)
    b = atom("b", 2)
    c = computed("c", lambda _prev, _epoch: (b.get(), a.get_diff_since(0), a.get(), b.get())[0])
    assert c.get() == 2
    assert list(c.parents) == [b, a]


@pytest.mark.spec("CAP2")
def test_parent_set_follows_branch_switches() -> None:
    """The parents are exactly the signals read by the latest run; dropped branches no longer
    trigger it."""
    which = atom("which", True)
    b = atom("b", 1)
    c = atom("c", 2)
    runs: list[int] = []

    def effect(_epoch: int) -> None:
        runs.append(1)
        if which.get():
            b.get()
        else:
            c.get()

    stop = react("r", effect)
    assert len(runs) == 1

    c.set(3)  # not a parent yet
    assert len(runs) == 1

    which.set(False)
    assert len(runs) == 2

    b.set(10)  # no longer a parent
    assert len(runs) == 2
    assert list(b.children) == []

    c.set(4)  # now it is
    assert len(runs) == 3
    stop()


@pytest.mark.spec("CAP2", "CAP7")
def test_computed_branch_switch_rewires_a_listening_computed() -> None:
    """A listening computed that switches branches detaches from the dropped parent and attaches to
    the new one."""
    which = atom("which", True)
    b = atom("b", 1)
    c = atom("c", 2)
    pick = computed("pick", lambda _prev, _epoch: b.get() if which.get() else c.get())
    stop, seen = react_recording(pick.get)

    assert list(pick.parents) == [which, b]
    assert list(b.children) == [pick]
    assert list(c.children) == []

    which.set(False)
    assert seen == [1, 2]
    assert list(pick.parents) == [which, c]
    assert list(b.children) == []
    assert list(c.children) == [pick]

    b.set(100)
    assert seen == [1, 2]
    c.set(3)
    assert seen == [1, 2, 3]
    stop()


@pytest.mark.spec("CAP4")
def test_capture_frames_nest() -> None:
    """An effect's parents are [computed] and the computed's parents are [atom]."""
    a = atom("a", 1)
    double = computed("double", lambda _prev, _epoch: a.get() * 2)
    r = reactor("r", lambda _e: double.get())
    r.start()

    assert list(r.scheduler.parents) == [double]
    assert list(double.parents) == [a]
    r.stop()


@pytest.mark.spec("CAP4")
def test_reads_after_a_nested_computed_go_to_the_outer_frame() -> None:
    """After a computed derives inside an effect, the effect's later reads are still captured by the
    effect."""
    a = atom("a", 1)
    b = atom("b", 2)
    double = computed("double", lambda _prev, _epoch: a.get() * 2)

    def effect(_epoch: int) -> None:
        double.get()
        b.get()

    r = reactor("r", effect)
    r.start()
    assert list(r.scheduler.parents) == [double, b]
    assert list(double.parents) == [a]
    r.stop()


@pytest.mark.spec("CAP7")
def test_liveness_propagates_transitively() -> None:
    """A lazy get attaches nothing; an effect attaches the whole chain; stopping it detaches it
    all."""
    a = atom("a", 1)
    c = computed("c", lambda _prev, _epoch: a.get())
    d = computed("d", lambda _prev, _epoch: c.get() + 1)

    assert d.get() == 2
    assert list(a.children) == []
    assert list(c.children) == []
    assert list(d.children) == []

    r = reactor("r", lambda _e: d.get())
    r.start()
    assert list(a.children) == [c]
    assert list(c.children) == [d]
    assert list(d.children) == [r.scheduler]

    r.stop()
    assert list(a.children) == []
    assert list(c.children) == []
    assert list(d.children) == []


@pytest.mark.spec("CAP7")
def test_shared_computed_stays_attached_while_any_listener_remains() -> None:
    """A computed read by two effects stays attached until the last one stops."""
    a = atom("a", 1)
    c = computed("c", lambda _prev, _epoch: a.get())
    stop1 = react("r1", lambda _e: c.get())
    stop2 = react("r2", lambda _e: c.get())
    assert len(c.children) == 2
    assert list(a.children) == [c]

    stop1()
    assert len(c.children) == 1
    assert list(a.children) == [c]

    stop2()
    assert list(c.children) == []
    assert list(a.children) == []


@pytest.mark.spec("CAP6")
def test_reads_outside_a_context_capture_nothing() -> None:
    """Reading signals outside any computed or effect records nothing and does not raise."""
    a = atom("a", 1)
    c = computed("c", lambda _prev, _epoch: a.get())
    assert a.get() == 1
    assert c.get() == 1
    a.get_diff_since(0)
    assert list(a.children) == []
    assert list(c.children) == []

    r = reactor("r", lambda _e: None)
    r.start()
    a.get()
    assert list(r.scheduler.parents) == []
    r.stop()


def _assert_follows_a_and_b_but_not_c(
    a: Atom[int, Any], b: Atom[int, Any], c: Atom[int, Any], values: list[int]
) -> None:
    """``values`` records an effect on a + b + c (all 1) that read c without capture: setting each
    atom to 2 in turn re-runs it for a and b, but not for c."""
    assert values == [3]

    a.set(2)
    assert values == [3, 4]

    b.set(2)
    assert values == [3, 4, 5]

    c.set(2)
    assert values == [3, 4, 5]


@pytest.mark.spec("CAP5")
def test_without_capture_inside_a_computed() -> None:
    """Reads inside unsafe_without_capture in a computed do not subscribe it."""
    a = atom("a", 1)
    b = atom("b", 1)
    c = atom("c", 1)
    child = computed(
        "child", lambda _prev, _epoch: a.get() + b.get() + unsafe_without_capture(c.get)
    )
    stop, values = react_recording(child.get)
    _assert_follows_a_and_b_but_not_c(a, b, c, values)
    assert list(child.parents) == [a, b]
    stop()


@pytest.mark.spec("CAP5")
def test_without_capture_inside_an_effect() -> None:
    """Reads inside unsafe_without_capture in an effect do not subscribe it."""
    a = atom("a", 1)
    b = atom("b", 1)
    c = atom("c", 1)
    stop, values = react_recording(lambda: a.get() + b.get() + unsafe_without_capture(c.get))
    _assert_follows_a_and_b_but_not_c(a, b, c, values)
    stop()


@pytest.mark.spec("CAP5")
def test_without_capture_returns_the_result() -> None:
    """unsafe_without_capture returns fn's result, and works outside any context."""
    a = atom("a", 41)
    assert unsafe_without_capture(lambda: a.get() + 1) == 42


@pytest.mark.spec("CAP5")
def test_without_capture_restores_the_frame_after_a_raise() -> None:
    """Capture is restored after fn raises: a read after the caught error still subscribes the
    effect."""
    a = atom("a", 1)
    runs: list[int] = []

    def boom() -> None:
        raise RuntimeError("oops")

    def effect(_epoch: int) -> None:
        runs.append(1)
        with contextlib.suppress(RuntimeError):
            unsafe_without_capture(boom)
        a.get()

    stop = react("r", effect)
    assert len(runs) == 1

    a.set(2)
    assert len(runs) == 2
    stop()


def _reading_in_order(
    signals: dict[str, Atom[int, Any]], order: list[str]
) -> EffectScheduler[None]:
    """A scheduler whose effect reads the named signals in the order ``order`` holds at each run."""

    def effect(_epoch: int) -> None:
        for key in order:
            signals[key].get()

    return EffectScheduler("s", effect)


def _assert_parents(scheduler: EffectScheduler[None], parents: list[Atom[int, Any]]) -> None:
    """The scheduler's parents are exactly ``parents``, and parent_epochs is aligned with them."""
    assert list(scheduler.parents) == parents
    assert list(scheduler.parent_epochs) == [parent.last_changed_epoch for parent in parents]


@pytest.mark.spec("CAP8")
def test_parents_reorder_and_parent_epochs_follow() -> None:
    """Parents are re-recorded in each run's read order, and parent_epochs stays aligned with
    parents."""
    a = atom("a", 1)
    atom("tick", 0).set(1)
    b = atom("b", 1)
    atom("tick", 0).set(1)
    c = atom("c", 1)
    order: list[str] = ["a", "b", "c"]
    scheduler = _reading_in_order({"a": a, "b": b, "c": c}, order)
    scheduler.execute()
    _assert_parents(scheduler, [a, b, c])
    assert a.last_changed_epoch < b.last_changed_epoch < c.last_changed_epoch

    order[:] = ["b", "a", "c"]
    scheduler.execute()
    _assert_parents(scheduler, [b, a, c])

    order[:] = ["a", "c", "b"]
    scheduler.execute()
    _assert_parents(scheduler, [a, c, b])


@pytest.mark.spec("CAP8")
def test_parents_shrink_to_what_was_read() -> None:
    """Parents and parent_epochs shrink when fewer signals are read, down to none, and grow
    again."""
    a = atom("a", 1)
    b = atom("b", 1)
    c = atom("c", 1)
    order: list[str] = ["a", "b", "c"]
    scheduler = attach_and_run(_reading_in_order({"a": a, "b": b, "c": c}, order))
    assert list(scheduler.parents) == [a, b, c]

    order[:] = ["b", "a"]
    scheduler.execute()
    _assert_parents(scheduler, [b, a])
    assert list(c.children) == []

    order[:] = []
    scheduler.execute()
    _assert_parents(scheduler, [])
    assert list(a.children) == []
    assert list(b.children) == []

    c.set(2)
    order[:] = ["c"]
    scheduler.execute()
    assert list(scheduler.parents) == [c]
    assert list(scheduler.parent_epochs) == [get_global_epoch()]
    assert list(c.children) == [scheduler]
    scheduler.detach()


@pytest.mark.spec("CAP8")
def test_parents_and_children_are_tuple_snapshots() -> None:
    """parents, parent_epochs and children are tuples: snapshots that later runs do not mutate."""
    a = atom("a", 1)
    b = atom("b", 1)
    read_b: list[bool] = [False]

    def effect(_epoch: int) -> None:
        a.get()
        if read_b[0]:
            b.get()

    scheduler = attach_and_run(EffectScheduler("s", effect))
    parents = scheduler.parents
    epochs = scheduler.parent_epochs
    children = a.children
    assert isinstance(parents, tuple)
    assert isinstance(epochs, tuple)
    assert isinstance(children, tuple)

    read_b[0] = True
    scheduler.execute()
    assert list(scheduler.parents) == [a, b]
    assert list(parents) == [a]
    assert len(epochs) == 1
    scheduler.detach()
    assert list(children) == [scheduler]
    assert list(a.children) == []


@pytest.mark.spec("A5", "CAP5")
def test_computed_unsafe_get_without_capture_does_not_subscribe() -> None:
    """Reading a computed with unsafe_get_without_capture inside an effect does not subscribe."""
    a = atom("a", 1)
    c = computed("c", lambda _prev, _epoch: a.get() + 1)
    stop, seen = react_recording(c.unsafe_get_without_capture)
    assert seen == [2]
    assert list(c.children) == []

    a.set(2)
    assert seen == [2]
    assert c.get() == 3
    stop()
