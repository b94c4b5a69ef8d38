"""The storage thread: a room persistence worked off the event loop, failing closed.

Theory of operation
===================

The server's event loop never waits on storage.  Every call into the persistence happens on
one thread owned by a :class:`StorageWriter`: reads (loading a room) are handed over and their
result comes back as an awaitable; writes (a room's committed transaction, a new room's
snapshot) are queued with a sequence number and return at once.

Group commit.  The thread takes every write queued since its last commit, stages them all and
commits once.  Only after that commit returned does the loop learn, through ``on_durable``,
the newest clock of each room in the batch (so the rooms release what they held for it:
acknowledgements, patches, connect answers) and the batch's last sequence number (so
:meth:`StorageWriter.durable` waiters resume).

Failing closed.  A batch whose staging or commit raises is rolled back and kept whole: nothing
of it is reported durable, so nothing of it reaches a client.  The thread retries the same
writes (plus whatever was queued meanwhile) with exponential backoff, from ``retry_min`` up to
``retry_max`` seconds, until a commit succeeds; then everything held is released at once.  A
write is idempotent (it puts records and tombstones at their clocks), so a retry that repeats
part of a commit that did land is harmless.  While the last attempt failed the writer reports
itself failing (:attr:`StorageWriter.health`), and the host stops reading frames from clients
(:meth:`StorageWriter.wait_healthy`), which bounds what piles up in memory during an outage.

Fenced writes.  In a cluster a write may raise :class:`~tlsync_core.server.leases.FencedError`:
this node lost the room's lease (:mod:`tlsync_core.server.leases`).  Retrying cannot help, so
the batch is rolled back, every write of that room is dropped from it (none was acknowledged),
``on_fenced`` tells the loop (the host closes the room) and the rest of the batch is committed
at once.  Dropped writes count as settled: :meth:`StorageWriter.durable` waiters resume, and
who waited for a write of a fenced room must check that it still hosts it.

Closing.  :meth:`StorageWriter.close` makes one last attempt at whatever is queued, closes the
persistence and ends the thread; writes that still fail are logged and dropped (none of them
was acknowledged).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from tlsync_core.room.storage import ForwardDiff, RoomSnapshot
from tlsync_core.server.leases import FencedError
from tlsync_core.server.persistence import RoomPersistence, snapshot_clocks

logger = logging.getLogger("tlsync_core.server.storage")

T = TypeVar("T")


@attrs.frozen
class StorageHealth:
    """What ``/healthz`` reports of storage."""

    #: False while the last commit failed, or while a write has waited over the stall time.
    ok: bool
    #: Writes queued or being committed (not yet durable).
    pending: int
    #: The last commit's error while failing, else None.
    error: str | None
    #: Seconds the oldest pending write has waited (0 when none).
    oldest_pending_seconds: float

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "pending": self.pending,
            "error": self.error,
            "oldestPendingSeconds": round(self.oldest_pending_seconds, 3),
        }


@attrs.define
class _Write:
    seq: int
    room_id: str
    clock: int
    apply: Callable[[RoomPersistence], None]


class StorageWriter:
    """A persistence on its own thread (see the module docstring)."""

    def __init__(
        self,
        persistence: RoomPersistence,
        *,
        on_durable: Callable[[dict[str, int]], None],
        on_fenced: Callable[[str], None] | None = None,
        retry_min: float = 0.05,
        retry_max: float = 2.0,
        stall_seconds: float = 5.0,
    ) -> None:
        self.persistence = persistence
        self._on_durable = on_durable
        self._on_fenced = on_fenced
        self._retry_min = retry_min
        self._retry_max = retry_max
        self._stall_seconds = stall_seconds
        # shared with the thread, under _lock; but the loop queues a write without the lock (a
        # deque takes appends and pops from two threads), and notifies only a thread that is
        # idle: the thread marks itself idle before it looks at the queue, so a write queued
        # after that look sees the mark (a lock taken per push made the loop wait for the
        # thread, which waits for the GIL, on every push)
        self._lock = threading.Condition()
        self._queue: deque[_Write] = deque()
        self._reads: list[Callable[[], None]] = []
        self._closing = False
        self._idle = False
        # the loop's side
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._done: asyncio.Future[None] | None = None
        self._seq = 0
        self._durable_seq = 0
        self._room_seq: dict[str, int] = {}
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._oldest_pending_at: float | None = None
        self._error: str | None = None
        self._healthy = asyncio.Event()
        self._healthy.set()

    # the loop's side ---------------------------------------------------------------------------

    def _start(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._done = self._loop.create_future()
            self._thread = threading.Thread(target=self._main, name="tlsync-storage", daemon=True)
            self._thread.start()
        return self._loop

    async def run(self, read: Callable[[], T]) -> T:
        """``read()`` on the storage thread (e.g. loading a room); raises what it raises."""
        loop = self._start()
        future: asyncio.Future[T] = loop.create_future()

        def call() -> None:
            try:
                value = read()
            except BaseException as error:  # (handed to the awaiting coroutine)
                self._post(_fail, future, error)
            else:
                self._post(_resolve, future, value)

        with self._lock:
            if self._closing:
                raise RuntimeError("the storage writer is closed")
            self._reads.append(call)
            self._lock.notify()
        return await future

    def stage(
        self,
        room_id: str,
        changes: ForwardDiff,
        *,
        clock: int,
        tombstone_history_starts_at_clock: int,
        schema: dict[str, Any] | None,
    ) -> int:
        """Queue a room's committed transaction; returns its sequence number."""

        def apply(persistence: RoomPersistence) -> None:
            persistence.stage(
                room_id,
                changes,
                clock=clock,
                tombstone_history_starts_at_clock=tombstone_history_starts_at_clock,
                schema=schema,
            )

        return self._queue_write(room_id, clock, apply)

    def save(self, room_id: str, snapshot: RoomSnapshot) -> int:
        """Queue a whole room snapshot (a new room); returns its sequence number."""
        clock, _history = snapshot_clocks(snapshot)
        return self._queue_write(room_id, clock, lambda p: p.save(room_id, snapshot))

    def _queue_write(
        self, room_id: str, clock: int, apply: Callable[[RoomPersistence], None]
    ) -> int:
        self._start()
        if self._closing:  # (set by close(), on the loop too)
            raise RuntimeError("the storage writer is closed")
        self._seq += 1
        self._queue.append(_Write(self._seq, room_id, clock, apply))
        if self._idle:
            with self._lock:
                self._lock.notify()
        self._room_seq[room_id] = self._seq
        if self._oldest_pending_at is None:
            self._oldest_pending_at = time.monotonic()
        return self._seq

    def pending_for(self, room_id: str) -> bool:
        """True while some write of ``room_id`` is not durable yet."""
        return self._room_seq.get(room_id, 0) > self._durable_seq

    def last_seq(self, room_id: str) -> int:
        """The sequence number of ``room_id``'s newest write (0 for none)."""
        return self._room_seq.get(room_id, 0)

    async def durable(self, seq: int) -> None:
        """Return once the write ``seq`` (and every one before it) is durable."""
        if seq <= self._durable_seq:
            return
        future: asyncio.Future[None] = self._start().create_future()
        self._waiters.append((seq, future))
        await future

    @property
    def failing(self) -> bool:
        """True while the last commit attempt failed."""
        return self._error is not None

    @property
    def health(self) -> StorageHealth:
        pending = self._seq - self._durable_seq
        age = 0.0
        if pending and self._oldest_pending_at is not None:
            age = time.monotonic() - self._oldest_pending_at
        ok = self._error is None and age < self._stall_seconds
        return StorageHealth(ok, pending, self._error, age)

    async def wait_healthy(self, timeout: float) -> None:
        """Wait until storage works again (or ``timeout`` seconds)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._healthy.wait()

    async def close(self) -> None:
        """One last commit of what is queued, then close the persistence and the thread."""
        if self._loop is None:
            self.persistence.close()
            return
        with self._lock:
            self._closing = True
            self._lock.notify()
        assert self._done is not None and self._thread is not None
        await self._done
        self._thread.join()

    def _post(self, callback: Callable[..., None], *args: Any) -> None:
        """Run ``callback(*args)`` on the loop (from the thread)."""
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # (the loop is closed: nobody is waiting)
            self._loop.call_soon_threadsafe(callback, *args)

    def _committed(self, marks: dict[str, int], seq: int) -> None:
        self._durable_seq = max(self._durable_seq, seq)
        self._oldest_pending_at = None if self._durable_seq == self._seq else time.monotonic()
        if self._error is not None:
            logger.warning("storage works again; everything held is durable now")
        self._error = None
        self._healthy.set()
        self._on_durable(marks)
        ready = [f for s, f in self._waiters if s <= self._durable_seq]
        self._waiters = [(s, f) for s, f in self._waiters if s > self._durable_seq]
        for future in ready:
            _resolve(future, None)

    def _fenced(self, room_id: str) -> None:
        if self._on_fenced is not None:
            self._on_fenced(room_id)

    def _failed(self, error: str) -> None:
        if self._error is None:
            logger.error("storage failed; holding every change until it works again: %s", error)
        self._error = error
        self._healthy.clear()

    # the thread's side -------------------------------------------------------------------------

    def _main(self) -> None:
        batch: list[_Write] = []
        delay = self._retry_min
        retry_at = 0.0
        while True:
            with self._lock:
                self._idle = True
                while not (
                    self._reads
                    or self._closing
                    or (batch and time.monotonic() >= retry_at)
                    or (self._queue and not batch)
                ):
                    self._lock.wait(max(0.0, retry_at - time.monotonic()) if batch else None)
                self._idle = False
                reads, self._reads = self._reads, []
                closing = self._closing
                if not batch or time.monotonic() >= retry_at or closing:
                    while self._queue:
                        batch.append(self._queue.popleft())
                    ready = True
                else:
                    ready = False
            for read in reads:
                read()
            if batch and ready:
                if self._commit(batch):
                    batch = []
                    delay = self._retry_min
                elif closing:
                    logger.error(
                        "closing with %d writes never stored (none acknowledged)", len(batch)
                    )
                    batch = []
                else:
                    retry_at = time.monotonic() + delay
                    delay = min(delay * 2, self._retry_max)
            if closing and not batch:
                with self._lock:
                    if self._queue or self._reads:
                        continue
                break
        try:
            self.persistence.close()
        except Exception:
            logger.exception("closing the persistence failed")
        finally:
            assert self._done is not None
            self._post(_resolve, self._done, None)

    def _commit(self, batch: list[_Write]) -> bool:
        """Stage and commit ``batch``; report the outcome to the loop; True when settled
        (durable, or dropped because its room was fenced)."""
        persistence = self.persistence
        last_seq = batch[-1].seq
        writes = batch
        while True:
            try:
                for write in writes:
                    write.apply(persistence)
                persistence.commit()
            except FencedError as error:
                self._rollback()
                logger.warning("dropping the unacknowledged writes of a fenced room: %s", error)
                writes = [write for write in writes if write.room_id != error.room_id]
                self._post(self._fenced, error.room_id)
                continue
            except Exception as error:
                self._rollback()
                self._post(self._failed, f"{type(error).__name__}: {error}")
                return False
            break
        marks: dict[str, int] = {}
        for write in writes:
            marks[write.room_id] = max(marks.get(write.room_id, write.clock), write.clock)
        self._post(self._committed, marks, last_seq)
        return True

    def _rollback(self) -> None:
        try:
            self.persistence.rollback()
        except Exception:
            logger.exception("rolling back a failed commit failed")


def _resolve(future: asyncio.Future[T], value: T) -> None:
    if not future.done():
        future.set_result(value)


def _fail(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
