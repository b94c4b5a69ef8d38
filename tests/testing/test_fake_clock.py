"""FakeClock: a Timers whose time moves only when a test says so (rules TT1-TT6)."""

from __future__ import annotations

import pytest

from tlsync_core.testing import FakeClock, FakeTimer
from tlsync_core.timers import TimerHandle, Timers


@pytest.mark.spec("TT1")
def test_reading_the_time() -> None:
    """now() and calling the clock give the same time, which moves only by advance/advance_to
    and never backwards; the clock is a Timers (checked statically by mypy)."""
    clock = FakeClock(1000.0)
    timers: Timers = clock
    handle: TimerHandle = timers.call_later(1, lambda: None)
    assert handle is not None
    assert clock.now() == clock() == 1000.0
    assert clock.advance(5) == 1005.0
    assert clock.advance_to(1010.0) == 1010.0
    assert clock.now() == clock() == 1010.0
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance_to(1009.0)
    with pytest.raises(ValueError):
        clock.advance(float("nan"))
    with pytest.raises(ValueError):
        clock.advance(float("inf"))
    assert clock.now() == 1010.0


@pytest.mark.spec("TT2")
def test_timers_run_in_due_order_at_their_due_time() -> None:
    """advance runs every due timer earliest first, ties in scheduling order, with now() equal
    to the timer's due time while it runs; then the clock is at the target."""
    clock = FakeClock(100.0)
    ran: list[tuple[str, float]] = []

    def timer(name: str) -> None:
        ran.append((name, clock.now()))

    clock.call_later(30, lambda: timer("c"))
    clock.call_later(10, lambda: timer("a1"))
    clock.call_later(10, lambda: timer("a2"))
    clock.call_later(20, lambda: timer("b"))
    clock.call_later(50, lambda: timer("late"))
    assert clock.advance(40) == 140.0
    assert ran == [("a1", 110.0), ("a2", 110.0), ("b", 120.0), ("c", 130.0)]
    assert clock.now() == 140.0
    assert clock.pending_timers == 1
    assert clock.next_timer_at() == 150.0


@pytest.mark.spec("TT3")
def test_timers_scheduled_by_timers_run_if_due_within_the_span() -> None:
    """A timer scheduled by a callback runs in the same advance when it is due by the target
    (in due order with the others); one due later stays pending."""
    clock = FakeClock()
    ran: list[tuple[str, float]] = []

    def first() -> None:
        ran.append(("first", clock.now()))
        clock.call_later(5, lambda: ran.append(("child", clock.now())))
        clock.call_later(0, lambda: ran.append(("now", clock.now())))
        clock.call_later(100, lambda: ran.append(("too late", clock.now())))

    clock.call_later(10, first)
    clock.call_later(12, lambda: ran.append(("other", clock.now())))
    clock.advance(20)
    assert ran == [("first", 10.0), ("now", 10.0), ("other", 12.0), ("child", 15.0)]
    assert clock.pending_timers == 1
    assert clock.next_timer_at() == 110.0


@pytest.mark.spec("TT4")
def test_call_later_is_never_synchronous() -> None:
    """A zero (or negative, clamped to zero) delay runs only on advance(0) or run_due(), never
    inside call_later; a NaN delay is refused."""
    clock = FakeClock(7.0)
    ran: list[str] = []
    clock.call_later(0, lambda: ran.append("zero"))
    clock.call_later(-5, lambda: ran.append("negative"))
    assert ran == []
    assert clock.next_timer_at() == 7.0
    assert clock.advance(0) == 7.0
    assert ran == ["zero", "negative"]
    clock.call_later(0, lambda: ran.append("again"))
    assert clock.run_due() == 1
    assert ran == ["zero", "negative", "again"]
    assert clock.run_due() == 0
    with pytest.raises(ValueError, match="NaN"):
        clock.call_later(float("nan"), lambda: None)


@pytest.mark.spec("TT5")
def test_cancel() -> None:
    """cancel() keeps a timer from running, is idempotent and harmless after the timer ran;
    pending_timers and next_timer_at ignore cancelled timers."""
    clock = FakeClock()
    ran: list[str] = []
    a = clock.call_later(10, lambda: ran.append("a"))
    b = clock.call_later(20, lambda: ran.append("b"))
    assert clock.pending_timers == 2
    a.cancel()
    a.cancel()
    assert a.cancelled and not a.pending
    assert clock.pending_timers == 1
    assert clock.next_timer_at() == 20.0
    clock.advance(30)
    assert ran == ["b"]
    b.cancel()
    assert not b.cancelled and not b.pending
    assert clock.pending_timers == 0
    assert clock.next_timer_at() is None


@pytest.mark.spec("TT5")
def test_a_timer_can_cancel_a_later_one_due_at_the_same_time() -> None:
    """A callback that cancels another timer due in the same advance stops it from running."""
    clock = FakeClock()
    ran: list[str] = []
    handles: dict[str, FakeTimer] = {}

    def cancel_second() -> None:
        handles["second"].cancel()

    clock.call_later(5, cancel_second)
    handles["second"] = clock.call_later(5, lambda: ran.append("second"))
    clock.advance(5)
    assert ran == []
    assert clock.pending_timers == 0


@pytest.mark.spec("TT6")
def test_a_failing_callback_stops_the_advance_where_it_failed() -> None:
    """An exception from a callback propagates; the clock stays at that timer's due time and
    later timers stay scheduled (a later advance runs them)."""
    clock = FakeClock()
    ran: list[float] = []

    def boom() -> None:
        raise KeyError("boom")

    clock.call_later(10, boom)
    clock.call_later(20, lambda: ran.append(clock.now()))
    with pytest.raises(KeyError):
        clock.advance(30)
    assert clock.now() == 10.0
    assert clock.pending_timers == 1
    clock.advance_to(30)
    assert ran == [20.0]


@pytest.mark.spec("TT6")
def test_callbacks_cannot_move_the_clock() -> None:
    """A callback that calls advance (or run_due) gets RuntimeError."""
    clock = FakeClock()

    def advance() -> None:
        clock.advance(1)

    def run_due() -> None:
        clock.run_due()

    clock.call_later(1, advance)
    with pytest.raises(RuntimeError, match="cannot advance"):
        clock.advance(1)
    clock.call_later(0, run_due)
    with pytest.raises(RuntimeError, match="cannot advance"):
        clock.run_due()


@pytest.mark.spec("TT6")
def test_a_zero_delay_loop_is_reported_not_hung() -> None:
    """A callback that keeps rescheduling itself with delay 0 makes the clock raise
    RuntimeError after livelock_limit runs at one instant instead of hanging."""
    clock = FakeClock(livelock_limit=50)
    count = 0

    def again() -> None:
        nonlocal count
        count += 1
        clock.call_later(0, again)

    clock.call_later(0, again)
    with pytest.raises(RuntimeError, match="rescheduling"):
        clock.run_due()
    assert count == 50
    assert clock.pending_timers == 1


@pytest.mark.spec("TT6")
def test_many_timers_over_time_are_not_a_livelock() -> None:
    """A periodic timer that reschedules itself with a delay runs any number of times."""
    clock = FakeClock(livelock_limit=10)
    ticks: list[float] = []

    def tick() -> None:
        ticks.append(clock.now())
        clock.call_later(1, tick)

    clock.call_later(1, tick)
    clock.advance(100)
    assert len(ticks) == 100
    assert ticks[-1] == 100.0
