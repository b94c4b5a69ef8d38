"""A synchronous facade for scripts: ``with connect_sync(url) as room: room.put([...])``.

The room lives on an event loop in one background thread, shared by every synchronous room of
the process.  The signals graph has a single owner thread, so while a synchronous room is open
the graph belongs to that thread: the facade runs every store operation there and hands back
the result (records are immutable dicts, safe to read anywhere).  When the last synchronous
room closes, the loop stops and the graph is released to whichever thread writes next.
Use :func:`tlsync_client.connect` instead inside async code or Jupyter.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterable
from types import TracebackType
from typing import Any, TypeVar

from tlsync_client.connection import RoomConnection, connect
from tlsync_core.signals import bind_thread, transact
from tlsync_core.store import Record, Store

__all__ = ["SyncRoom", "connect_sync"]

T = TypeVar("T")


class _BackgroundLoop:
    """An event loop in a daemon thread, started for the first room, stopped after the last."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._users = 0

    def acquire(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    bind_thread()
                    loop.call_soon(ready.set)
                    loop.run_forever()

                self._thread = threading.Thread(target=run, name="tlsync-loop", daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            self._users += 1
            return self._loop

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users > 0 or self._loop is None:
                return
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        loop.call_soon_threadsafe(loop.stop)
        assert thread is not None
        thread.join()
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        bind_thread(0)


_BACKGROUND = _BackgroundLoop()


class SyncRoom:
    """A :class:`RoomConnection` driven from synchronous code (see the module docstring).

    Every method blocks until the loop thread has done the work; ``timeout`` arguments are in
    seconds (``TimeoutError`` when exceeded).
    """

    def __init__(self, room: RoomConnection, loop: asyncio.AbstractEventLoop) -> None:
        self._room = room
        self._loop = loop
        self._closed = False

    @property
    def room(self) -> RoomConnection:
        """The underlying asyncio room (use it only from the loop thread)."""
        return self._room

    def call(self, fn: Callable[[Store], T]) -> T:
        """Run ``fn(store)`` in one transaction on the loop thread and return its result."""
        store = self._room.store
        return self._run(_as_coroutine(lambda: transact(lambda: fn(store))))

    def get(self, record_id: str) -> Record | None:
        return self.call(lambda store: store.get(record_id))

    def records(self, type_name: str | None = None) -> list[Record]:
        """Every record (of ``type_name``, if given), sorted by id."""
        return self.call(
            lambda store: sorted(
                (r for r in store.all_records() if type_name in (None, r["typeName"])),
                key=lambda r: str(r["id"]),
            )
        )

    def put(self, records: Iterable[Record]) -> None:
        batch = list(records)
        self.call(lambda store: store.put(batch))

    def remove(self, ids: Iterable[str]) -> None:
        batch = list(ids)
        self.call(lambda store: store.remove(batch))

    def update(self, record_id: str, fn: Callable[[Record], Record]) -> None:
        self.call(lambda store: store.update(record_id, fn))

    def wait_for_sync(self, timeout: float | None = None) -> int:
        """Block until every local change so far is acknowledged by the server; returns how
        many pushes it refused meanwhile (see :meth:`RoomConnection.wait_for_sync`)."""
        return self._run(self._room.wait_for_sync(timeout))

    def wait_for(self, predicate: Callable[[Store], bool], timeout: float | None = None) -> None:
        """Block until ``predicate(store)`` (evaluated on the loop thread) is true."""
        self._run(self._room.wait_for(predicate, timeout))

    def close(self) -> None:
        """Close the room (idempotent); the last one stops the background loop."""
        if self._closed:
            return
        try:
            self._run(self._room.close())
        finally:
            self._closed = True
            _BACKGROUND.release()

    def __enter__(self) -> SyncRoom:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._closed:
            coroutine.close()
            raise RuntimeError("this room is closed")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()


async def _as_coroutine(fn: Callable[[], T]) -> T:
    return fn()


def connect_sync(url: str, **options: Any) -> SyncRoom:
    """Join the room at ``url`` from synchronous code; the options are :func:`connect`'s.

    Returns once the room is loaded; raises what :func:`connect` raises.
    """
    loop = _BACKGROUND.acquire()

    async def opening() -> RoomConnection:
        return await connect(url, **options)

    try:
        room = asyncio.run_coroutine_threadsafe(opening(), loop).result()
    except BaseException:
        _BACKGROUND.release()
        raise
    return SyncRoom(room, loop)
