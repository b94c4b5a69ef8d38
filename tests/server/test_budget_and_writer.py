"""The memory budget's choices, and the storage thread's retries, each on its own.

The budget is driven with plain holders (no sockets): who is cut off when bytes do not fit.  The
storage writer runs a real thread over a persistence whose commits fail a given number of
times: nothing is reported durable until a commit succeeded, the same writes are retried, and
health says what happens meanwhile.
"""

from __future__ import annotations

import asyncio

import pytest

from tlsync_core.room.storage import ForwardDiff
from tlsync_core.server.leases import FencedError
from tlsync_core.server.memory_budget import MemoryBudget
from tlsync_core.server.persistence import MemoryPersistence
from tlsync_core.server.storage_writer import StorageWriter


class Holder:
    """A budget holder that lets go of everything when cut off (or keeps it, like a socket
    whose last frame is still in its transport)."""

    def __init__(self, budget: MemoryBudget, name: str, *, lets_go: bool = True) -> None:
        self.budget = budget
        self.name = name
        self.lets_go = lets_go
        self.evicted = False

    def evict(self) -> None:
        self.evicted = True
        if self.lets_go:
            self.budget.release_all(self)

    def __repr__(self) -> str:
        return self.name


@pytest.mark.spec("LIM2")
def test_the_largest_other_holder_is_cut_off_first() -> None:
    """Over the limit, the largest holder goes first, then the next, until the bytes fit; the
    asker itself, when it would be the largest, is refused and nothing is charged."""
    budget = MemoryBudget(100)
    small, big, asker = (Holder(budget, n) for n in ("small", "big", "asker"))
    assert budget.reserve(small, 20) and budget.reserve(big, 50)
    assert budget.reserve(asker, 40)  # 110 > 100: "big" (50) is cut, not "small"
    assert (big.evicted, small.evicted, budget.used) == (True, False, 60)
    assert not budget.reserve(asker, 50)  # asker (90) would be the largest: refused
    assert (small.evicted, budget.used, budget.charged(asker)) == (False, 60, 40)
    assert not budget.reserve(small, 101)  # larger than the whole budget


@pytest.mark.spec("LIM2")
def test_a_parse_is_compared_by_what_its_holder_holds_besides() -> None:
    """A transient charge (a parse) cuts off holders that hold more than the asker does
    already, even when the parse itself is larger than each of them."""
    budget = MemoryBudget(100)
    stalled = [Holder(budget, f"stalled{i}") for i in range(3)]
    for holder in stalled:
        assert budget.reserve(holder, 30)
    writer = Holder(budget, "writer")
    assert budget.reserve(writer, 60, transient=True)
    assert sum(h.evicted for h in stalled) == 2 and budget.used == 90
    budget.release(writer, 60)
    assert budget.used == 30


@pytest.mark.spec("LIM2")
def test_what_a_cut_off_holder_still_holds_stays_counted() -> None:
    """A holder that cannot let go at once stays charged (the count bounds what is held) and
    is not cut off twice; once it is gone, its bytes are free."""
    budget = MemoryBudget(100)
    slow = Holder(budget, "slow", lets_go=False)
    other = Holder(budget, "other")
    assert budget.reserve(slow, 70)
    assert not budget.reserve(other, 40)  # slow was cut off, but still holds its 70
    assert slow.evicted and budget.used == 70 and budget.evictions == 1
    assert not budget.reserve(other, 40)  # and is not cut off again
    assert budget.evictions == 1
    budget.release_all(slow)
    assert budget.reserve(other, 40)


class FlakyPersistence(MemoryPersistence):
    """Memory storage whose first ``failures`` commits raise (staged writes are rolled back)."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.attempts = 0
        self.staged: list[int] = []
        self.durable: list[int] = []

    def stage(self, room_id: str, changes: ForwardDiff, **fields: object) -> None:
        clock = fields["clock"]
        assert isinstance(clock, int)
        self.staged.append(clock)

    def commit(self) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise OSError("disk full")
        self.durable.extend(self.staged)
        self.staged = []

    def rollback(self) -> None:
        self.staged = []


@pytest.mark.spec("STO2", "STO3", "STO4")
async def test_failed_commits_are_retried_and_nothing_is_durable_before() -> None:
    """Three commits fail: the writer reports failing (health not ok, with the error) and
    reports nothing durable; the fourth attempt commits the same writes, all of them, once;
    health is ok again."""
    persistence = FlakyPersistence(failures=3)
    durable: list[dict[str, int]] = []
    writer = StorageWriter(persistence, on_durable=durable.append, retry_min=0.01)
    try:
        for clock in (1, 2):
            writer.stage(
                "r", ForwardDiff(), clock=clock, tombstone_history_starts_at_clock=0, schema=None
            )
        while not writer.failing:
            await asyncio.sleep(0.005)
        health = writer.health
        assert not health.ok and health.pending == 2 and health.error == "OSError: disk full"
        assert durable == [] and persistence.durable == []
        await asyncio.wait_for(writer.durable(writer.last_seq("r")), 30)
        assert durable == [{"r": 2}] and persistence.durable == [1, 2]
        assert persistence.attempts == 4
        assert writer.health.ok and not writer.pending_for("r")
    finally:
        await writer.close()


class FencingPersistence(FlakyPersistence):
    """Memory storage that refuses every write of the rooms in ``fenced`` (FencedError)."""

    def __init__(self, fenced: set[str]) -> None:
        super().__init__(failures=0)
        self.fenced = fenced

    def stage(self, room_id: str, changes: ForwardDiff, **fields: object) -> None:
        if room_id in self.fenced:
            raise FencedError(room_id, f"room {room_id!r}: fenced")
        super().stage(room_id, changes, **fields)


@pytest.mark.spec("CLUSTER1")
async def test_a_fenced_rooms_writes_are_dropped_and_the_rest_commit_at_once() -> None:
    """Writes of a fenced room and of another room: the fenced room's writes are dropped (never
    durable, nothing of it reported durable), ``on_fenced`` names the room, the other room's
    writes commit, and waiters of the dropped writes resume (settled); the writer stays healthy
    and holds nothing pending."""
    persistence = FencingPersistence({"lost"})
    durable: list[dict[str, int]] = []
    fenced: list[str] = []
    writer = StorageWriter(persistence, on_durable=durable.append, on_fenced=fenced.append)
    try:
        for room_id, clock in (("kept", 1), ("lost", 2), ("kept", 3), ("lost", 4)):
            writer.stage(
                room_id,
                ForwardDiff(),
                clock=clock,
                tombstone_history_starts_at_clock=0,
                schema=None,
            )
        await asyncio.wait_for(writer.durable(writer.last_seq("lost")), 30)
        assert persistence.durable == [1, 3]
        assert all(set(marks) == {"kept"} for marks in durable) and durable[-1] == {"kept": 3}
        assert fenced and set(fenced) == {"lost"}
        assert writer.health.ok
        assert not writer.pending_for("lost") and not writer.pending_for("kept")
    finally:
        await writer.close()
