"""A room's timer: :meth:`~tlsync_core.room.room.TLSyncRoom.tick` at the room's next deadline.

Theory of operation
===================

A room has deadlines (:meth:`~tlsync_core.room.room.TLSyncRoom.next_deadline`, in the rooms'
clock, :func:`room_clock`): a batch of data messages to flush 16 ms after its first message
went out, a session to prune.  The most frequent by far is the flush, and it is on every
client's round trip: a push's acknowledgement usually waits in its session's batch.  So the
timer is an event-loop timer that calls ``tick`` itself when it fires, not a task woken by one
(a task would run one loop turn later, a millisecond or more on a busy server, on every batch).

Anything that may bring a deadline forward (a message handled, a message released once durable,
a session gone) calls :meth:`RoomTimer.poke`.  Pokes are coalesced: the first of a loop turn
schedules one re-computation at the end of the turn (finding the next deadline scans the
room's sessions, which a push at a time would repeat for every push).  That delay cannot make a
batch late: a new batch's deadline is 16 ms away.  The timer is re-armed only when the next
deadline moved earlier; a timer that fires with nothing due just re-computes.

A few batches at a time.  A tick flushes at most :data:`FLUSHES_PER_TICK` batches; while more
are due, the timer is re-armed for now, and the event loop takes a turn (it reads the sockets
and runs what was ready, such as readers handling pushes) before the next chunk.  Flushing every
due batch of a room in one tick held the loop for the whole room (about 33 us a session: 2 ms
for 60, 33 ms for 1,000) with no socket read meanwhile; and as the first push handled after
that tick opened every session's next batch, all the room's sessions moved in lockstep, one
burst of batches per cycle.  A push handled between chunks opens the next batches of the
sessions already flushed, while the sessions still due take it into the batch they are about to
send: the batches spread over the cycle, as they do on Node, where each batch is its own timer.

Whole milliseconds.  The rooms' clock counts whole milliseconds, as tldraw's ``Date.now()``
and the clock Node's timers run on: a batch started at 10.9 ms is due at 26 ms, not 26.9 ms.
The timer is armed for the instant the clock reaches the deadline, on the exact clock.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

#: Batches one tick flushes at most; the timer fires again, after a loop turn, for the rest.
FLUSHES_PER_TICK = 16


def room_clock() -> float:
    """The rooms' ``now()``: whole monotonic milliseconds (deadlines are in it too)."""
    return float(time.monotonic_ns() // 1_000_000)


class Ticking(Protocol):
    """What the timer drives (a :class:`~tlsync_core.room.room.TLSyncRoom`)."""

    def next_deadline(self) -> float | None:
        """When :meth:`tick` next has something to do (a :func:`room_clock` value), or None."""

    def tick(self, max_flushes: int | None = None) -> None:
        """Do what is due, flushing at most ``max_flushes`` batches."""


class RoomTimer:
    """Ticks ``room`` at its deadlines on the running event loop (see the module docstring)."""

    __slots__ = ("_armed_at", "_cancelled", "_handle", "_loop", "_poked", "_room")

    def __init__(self, room: Ticking) -> None:
        self._room = room
        self._loop = asyncio.get_running_loop()
        self._handle: asyncio.TimerHandle | None = None
        self._armed_at = 0.0  # the room-clock deadline the handle is armed for
        self._poked: asyncio.Handle | None = None
        self._cancelled = False
        self.poke()

    def poke(self) -> None:
        """A deadline may have moved: re-compute it at the end of this loop turn."""
        if self._poked is None and not self._cancelled:
            self._poked = self._loop.call_soon(self._rearm)

    def cancel(self) -> None:
        """Stop for good (the room is unloaded): later pokes do nothing."""
        self._cancelled = True
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._poked is not None:
            self._poked.cancel()
            self._poked = None

    def _rearm(self) -> None:
        self._poked = None
        if self._cancelled:
            return  # (cancelled by what the last tick did)
        deadline = self._room.next_deadline()
        if deadline is None:
            if self._handle is not None:
                self._handle.cancel()
                self._handle = None
            return
        if self._handle is not None:
            if self._armed_at <= deadline:
                return  # (it fires first, finds nothing due, and re-computes)
            self._handle.cancel()
        delay = max(0.0, deadline / 1000.0 - time.monotonic())
        self._armed_at = deadline
        self._handle = self._loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        self._handle = None
        deadline = self._room.next_deadline()
        try:
            if deadline is not None and deadline <= room_clock():
                self._room.tick(FLUSHES_PER_TICK)
        finally:
            self._rearm()
