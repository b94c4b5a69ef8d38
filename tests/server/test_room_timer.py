"""The room timer on a real event loop: it ticks a room at its deadlines, straight from the
loop's timer, and re-computes them once per loop turn however often it is poked."""

from __future__ import annotations

import asyncio

import pytest

from tlsync_core.server.room_timer import FLUSHES_PER_TICK, RoomTimer, room_clock


class Deadlines:
    """A room as the timer sees it: one deadline (room-clock ms), and a record of its ticks."""

    def __init__(self, deadline: float | None) -> None:
        self.deadline = deadline
        self.ticks: list[float] = []
        self.computed = 0
        self.ticked = asyncio.Event()

    def next_deadline(self) -> float | None:
        self.computed += 1
        return self.deadline

    def tick(self, max_flushes: int | None = None) -> None:
        now = room_clock()
        self.ticks.append(now)
        if self.deadline is not None and self.deadline <= now:
            self.deadline = None  # (done: as a flushed batch)
        self.ticked.set()


def in_ms(delay: float) -> float:
    return room_clock() + delay


@pytest.mark.spec("SRV11")
async def test_a_room_is_ticked_at_its_deadline_and_not_before() -> None:
    """The timer calls ``tick`` once the deadline passed, never before it, then stops (no
    deadline left)."""
    room = Deadlines(in_ms(20))
    due = room.deadline
    timer = RoomTimer(room)
    await asyncio.wait_for(room.ticked.wait(), 2)
    assert due is not None and len(room.ticks) == 1 and room.ticks[0] >= due
    await asyncio.sleep(0.05)
    assert len(room.ticks) == 1
    timer.cancel()


@pytest.mark.spec("SRV11")
async def test_the_room_clock_counts_whole_milliseconds() -> None:
    """The rooms' clock reads whole milliseconds, as tldraw's ``Date.now()`` and Node's timer
    clock: a batch started mid-millisecond is due at a whole one, as on Node."""
    readings = [room_clock() for _ in range(1000)]
    await asyncio.sleep(0.002)
    readings.append(room_clock())
    assert all(reading.is_integer() for reading in readings)
    assert readings[-1] >= readings[0] + 2


@pytest.mark.spec("SRV11")
async def test_pokes_in_one_loop_turn_recompute_the_deadline_once() -> None:
    """A hundred pokes in one loop turn (a hundred messages handled) scan the room's deadlines
    once, at the end of the turn."""
    room = Deadlines(None)
    timer = RoomTimer(room)
    await asyncio.sleep(0)
    computed = room.computed
    for _ in range(100):
        timer.poke()
    assert room.computed == computed
    await asyncio.sleep(0)
    assert room.computed == computed + 1
    timer.cancel()


@pytest.mark.spec("SRV11")
async def test_an_earlier_deadline_rearms_the_timer() -> None:
    """Armed for a deadline a minute away, the timer is moved forward by a poke that brings a
    deadline 10 ms away (a batch to flush), and ticks then, not a minute later."""
    room = Deadlines(in_ms(60_000))
    timer = RoomTimer(room)
    await asyncio.sleep(0.01)
    room.deadline = in_ms(10)
    timer.poke()
    await asyncio.wait_for(room.ticked.wait(), 2)
    timer.cancel()


@pytest.mark.spec("SRV11")
async def test_a_timer_that_finds_nothing_due_waits_for_the_later_deadline() -> None:
    """When the deadline moved later without a poke (a batch went out early), the timer fires
    at the old time, finds nothing due, does not tick, and ticks at the new deadline."""
    room = Deadlines(in_ms(10))
    timer = RoomTimer(room)
    await asyncio.sleep(0)
    room.deadline = later = in_ms(60)
    await asyncio.sleep(0.03)
    assert room.ticks == []
    await asyncio.wait_for(room.ticked.wait(), 2)
    assert room.ticks[0] >= later
    timer.cancel()


@pytest.mark.spec("SRV11")
async def test_a_cancelled_timer_never_ticks() -> None:
    """After ``cancel`` (the room unloaded) neither a due deadline nor a poke ticks the room."""
    room = Deadlines(in_ms(10))
    timer = RoomTimer(room)
    timer.cancel()
    timer.cancel()
    timer.poke()
    await asyncio.sleep(0.05)
    assert room.ticks == []


@pytest.mark.spec("SRV11")
async def test_a_timer_cancelled_by_its_own_tick_stops() -> None:
    """A tick that unloads its room (cancelling the timer) while deadlines remain is the last:
    the timer does not re-arm after it."""
    room = Deadlines(in_ms(5))
    timer = RoomTimer(room)
    tick = room.tick

    def tick_and_unload(max_flushes: int | None = None) -> None:
        tick(max_flushes)
        room.deadline = in_ms(5)  # (something still due soon)
        timer.cancel()

    room.tick = tick_and_unload  # type: ignore[method-assign]
    await asyncio.wait_for(room.ticked.wait(), 2)
    await asyncio.sleep(0.05)
    assert len(room.ticks) == 1


class DueBatches:
    """A room with ``due`` batches due now; a tick flushes at most ``max_flushes`` of them and
    records, with ``loop_turns``, whether the loop turned since the last tick."""

    def __init__(self, due: int) -> None:
        self.due = due
        self.flushed: list[int] = []
        self.events: list[str] = []
        self.done = asyncio.Event()

    def next_deadline(self) -> float | None:
        return room_clock() - 1 if self.due else None

    def tick(self, max_flushes: int | None = None) -> None:
        flushed = self.due if max_flushes is None else min(self.due, max_flushes)
        self.due -= flushed
        self.flushed.append(flushed)
        self.events.append("tick")
        asyncio.get_running_loop().call_soon(self.events.append, "turn")
        if not self.due:
            self.done.set()


@pytest.mark.spec("SRV11")
async def test_a_tick_flushes_a_few_batches_and_the_loop_turns_before_the_next() -> None:
    """With 40 batches due, the timer ticks the room for 16, 16, then 8, and the event loop
    takes a turn between two ticks (a callback scheduled by one tick runs before the next)."""
    room = DueBatches(40)
    timer = RoomTimer(room)
    await asyncio.wait_for(room.done.wait(), 2)
    await asyncio.sleep(0)
    assert room.flushed == [FLUSHES_PER_TICK, FLUSHES_PER_TICK, 40 - 2 * FLUSHES_PER_TICK]
    assert room.events == ["tick", "turn"] * 3
    timer.cancel()
