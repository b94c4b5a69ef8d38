"""A fake clock: time that moves only when a test says so, with timers that run on it.

Theory of operation
===================

:class:`FakeClock` is a :class:`tlsync_core.timers.Timers`: ``now()`` reads the time (ms) and
``call_later(delay_ms, callback)`` schedules a callback.  Nothing ever runs by itself: time moves
only by :meth:`FakeClock.advance` / :meth:`FakeClock.advance_to`, and timers run only inside
those calls or :meth:`FakeClock.run_due`.

Timers are kept in a heap ordered by (due time, scheduling order).  Advancing to ``t`` runs,
one by one, every timer due at or before ``t``, earliest first (ties in the order they were
scheduled), with the clock set to that timer's due time while its callback runs; a timer
scheduled by a callback runs in the same call if it is due by ``t``.  Then the clock is set to
``t``.  A timer scheduled with delay 0 is due *now* but never runs inside ``call_later``: it
runs on the next ``advance(0)`` / ``run_due()`` (``call_later`` is never synchronous).

An exception raised by a callback propagates out of ``advance``/``run_due``; the clock then
stays at that timer's due time and later timers stay scheduled.  A callback must not advance
the clock itself (that raises ``RuntimeError``).  A callback that keeps scheduling zero-delay
timers would never let time move on: after ``livelock_limit`` callbacks at one instant the
clock raises ``RuntimeError`` instead of hanging.

The instance is also callable (``clock()`` is ``clock.now()``), so it can be passed wherever
tlsync takes a ``now`` callable: ``TLSyncRoom(schema, now=clock)``.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

__all__ = ["FakeClock", "FakeTimer"]


class FakeTimer:
    """A timer of a :class:`FakeClock` (a :class:`tlsync_core.timers.TimerHandle`)."""

    __slots__ = ("_callback", "_clock", "_state", "when")

    def __init__(self, clock: FakeClock, when: float, callback: Callable[[], None]) -> None:
        self._clock = clock
        self._callback: Callable[[], None] | None = callback
        self._state = "pending"
        #: The clock time at which the timer is due.
        self.when = when

    @property
    def pending(self) -> bool:
        """Whether the timer will still run (neither run nor cancelled)."""
        return self._state == "pending"

    @property
    def cancelled(self) -> bool:
        return self._state == "cancelled"

    def cancel(self) -> None:
        """Make sure the timer will not run; idempotent, and harmless after it ran."""
        if self._state == "pending":
            self._state = "cancelled"
            self._callback = None
            self._clock._pending -= 1

    def __repr__(self) -> str:
        return f"FakeTimer(when={self.when!r}, {self._state})"


class FakeClock:
    """Milliseconds that move only when told to, and timers that run on them.

    See the module docstring.  ``start`` is the initial time; ``livelock_limit`` is how many
    callbacks may run at one instant before the clock gives up with ``RuntimeError``.
    """

    def __init__(self, start: float = 0.0, *, livelock_limit: int = 100_000) -> None:
        if not math.isfinite(start):
            raise ValueError(f"the start time must be finite, got {start!r}")
        self._now = float(start)
        self._heap: list[tuple[float, int, FakeTimer]] = []
        self._sequence = 0
        self._pending = 0
        self._running = False
        self.livelock_limit = livelock_limit

    # ------------------------------------------------------------------------------------------
    # reading the time

    def now(self) -> float:
        """The current time in milliseconds."""
        return self._now

    def __call__(self) -> float:
        return self._now

    # ------------------------------------------------------------------------------------------
    # timers

    def call_later(self, delay_ms: float, callback: Callable[[], None]) -> FakeTimer:
        """Run ``callback`` once, ``delay_ms`` from now (a negative delay counts as 0, as in
        asyncio); never synchronously, even with delay 0."""
        if math.isnan(delay_ms):
            raise ValueError("a timer delay cannot be NaN")
        timer = FakeTimer(self, self._now + max(0.0, delay_ms), callback)
        heapq.heappush(self._heap, (timer.when, self._sequence, timer))
        self._sequence += 1
        self._pending += 1
        return timer

    @property
    def pending_timers(self) -> int:
        """How many timers are scheduled and not cancelled."""
        return self._pending

    def next_timer_at(self) -> float | None:
        """The due time of the earliest scheduled timer, or None."""
        self._discard_cancelled()
        return self._heap[0][0] if self._heap else None

    def _discard_cancelled(self) -> None:
        heap = self._heap
        while heap and not heap[0][2].pending:
            heapq.heappop(heap)

    # ------------------------------------------------------------------------------------------
    # moving time

    def advance(self, ms: float) -> float:
        """Move time forward by ``ms``, running the timers due on the way; the new time."""
        if not ms >= 0:
            raise ValueError(f"time does not go backwards (advance by {ms!r})")
        return self.advance_to(self._now + ms)

    def advance_to(self, when: float) -> float:
        """Move time forward to ``when``, running the timers due on the way; the new time."""
        if not math.isfinite(when):
            raise ValueError(f"cannot advance to {when!r}")
        if when < self._now:
            raise ValueError(f"time does not go backwards ({when!r} < {self._now!r})")
        self._run_until(when)
        self._now = when
        return when

    def run_due(self) -> int:
        """Run the timers due now (and those they schedule for now); how many ran."""
        return self._run_until(self._now)

    def _run_until(self, limit: float) -> int:
        if self._running:
            raise RuntimeError("a timer callback cannot advance the clock or run timers")
        self._running = True
        ran = 0
        at_instant = 0
        try:
            heap = self._heap
            while True:
                self._discard_cancelled()
                if not heap or heap[0][0] > limit:
                    return ran
                when, _, timer = heap[0]
                if when > self._now:
                    self._now = when
                    at_instant = 0
                if at_instant >= self.livelock_limit:
                    raise RuntimeError(
                        f"{at_instant} timers ran at t={when!r}: "
                        "a callback keeps rescheduling itself without delay"
                    )
                heapq.heappop(heap)
                at_instant += 1
                callback = timer._callback
                assert callback is not None
                timer._state = "done"
                timer._callback = None
                self._pending -= 1
                ran += 1
                callback()
        finally:
            self._running = False

    def __repr__(self) -> str:
        return f"FakeClock(now={self._now!r}, pending_timers={self._pending})"
