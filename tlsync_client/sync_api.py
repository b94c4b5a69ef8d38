"""A synchronous facade for scripts: ``with connect_sync(url) as room: create_geo(room.store)``.

The room lives on an event loop in one background thread, shared by every synchronous room of
the process.  The signals graph has a single owner thread, so while a synchronous room is open
the graph belongs to that thread: the facade runs every store operation there and hands back
the result (records are immutable dicts, safe to read anywhere).  ``room.store`` is a proxy of
the room's store that does exactly that for each call, so the tldraw helpers take it as they
take a store (``create_geo(room.store, ...)``: the helper's single transaction runs on the loop
thread); callbacks given to it (``room.store.listen``) run on the loop thread.  When the last
synchronous room closes, the loop stops and the graph is released to whichever thread writes
next.  Use :func:`tlsync_client.connect` instead inside async code or Jupyter.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import threading
from collections.abc import Callable, Coroutine, Iterable
from types import TracebackType
from typing import Any, TypeVar, cast

from tlsync_client.connection import DEFAULT_SYNC_TIMEOUT, RoomConnection, connect
from tlsync_client.sync_client import ClientState
from tlsync_core.signals import Signal, bind_thread, transact
from tlsync_core.store import Record, Store
from tlsync_core.store.queries import StoreQueries
from tlsync_core.store.side_effects import StoreSideEffects

__all__ = ["SyncRoom", "connect_sync"]

T = TypeVar("T")


class _BackgroundLoop:
    """An event loop in a daemon thread, started for the first room, stopped after the last."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._users = 0

    def acquire(self) -> tuple[asyncio.AbstractEventLoop, int]:
        """The loop (started if need be) and its thread's id; pair with :meth:`release`."""
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
            assert self._thread is not None and self._thread.ident is not None
            return self._loop, self._thread.ident

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


# objects of the room that hold signals: reached through the proxy, they are proxied too
_LIVE_TYPES: tuple[type, ...] = (Store, StoreQueries, StoreSideEffects, Signal)


class _LoopThreadProxy:
    """``target`` usable from any thread: attribute reads and calls run on the loop thread
    (directly when already there), and objects holding signals come back proxied too."""

    __slots__ = ("_run", "_target")

    def __init__(self, target: object, run: Callable[[Callable[[], Any]], Any]) -> None:
        self._target = target
        self._run = run

    def __getattr__(self, name: str) -> Any:
        value = self._run(lambda: getattr(self._target, name))
        if callable(value):
            return functools.partial(self._call, value)
        return self._wrap(value)

    def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self._wrap(self._run(lambda: method(*args, **kwargs)))

    def _wrap(self, value: Any) -> Any:
        return _LoopThreadProxy(value, self._run) if isinstance(value, _LIVE_TYPES) else value

    def __len__(self) -> int:
        return cast(int, self._run(lambda: len(cast(Store, self._target))))

    def __contains__(self, item: object) -> bool:
        return cast(bool, self._run(lambda: item in cast(Store, self._target)))

    def __repr__(self) -> str:
        return f"<loop-thread proxy of {self._target!r}>"


class SyncRoom:
    """A :class:`RoomConnection` driven from synchronous code (see the module docstring).

    Every method blocks until the loop thread has done the work; ``timeout`` arguments are in
    seconds (``TimeoutError`` when exceeded).
    """

    def __init__(
        self, room: RoomConnection, loop: asyncio.AbstractEventLoop, loop_thread: int
    ) -> None:
        self._room = room
        self._loop = loop
        self._loop_thread = loop_thread
        self._closed = False
        self._store = cast(Store, _LoopThreadProxy(room.store, self._on_loop))

    @property
    def room(self) -> RoomConnection:
        """The underlying asyncio room (use it only from the loop thread)."""
        return self._room

    @property
    def store(self) -> Store:
        """The room's store, usable from this thread: each call runs on the loop thread (the
        tldraw helpers take it: ``create_geo(room.store, x=10, y=10)``)."""
        return self._store

    @property
    def url(self) -> str:
        """The room's URL (without its query)."""
        return self._room.url

    @property
    def status(self) -> ClientState:
        """The client's state now (``CONNECTED``, ``OFFLINE``...)."""
        return self._on_loop(self._room.status.get)

    def call(self, fn: Callable[[Store], T]) -> T:
        """Run ``fn(store)`` in one transaction on the loop thread and return its result."""
        store = self._room.store
        return self._on_loop(lambda: transact(lambda: fn(store)))

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

    def wait_for_sync(self, timeout: float | None = DEFAULT_SYNC_TIMEOUT) -> int:
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

    def _on_loop(self, fn: Callable[[], T]) -> T:
        """``fn()`` on the loop thread: directly when called there (a helper calling back into
        the proxy), else handed over and waited for."""
        if threading.get_ident() == self._loop_thread:
            return fn()
        if self._closed:
            raise RuntimeError("this room is closed")
        result: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                result.set_result(fn())
            except BaseException as error:
                result.set_exception(error)

        self._loop.call_soon_threadsafe(run)
        return result.result()

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._closed:
            coroutine.close()
            raise RuntimeError("this room is closed")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()


def connect_sync(url: str, **options: Any) -> SyncRoom:
    """Join the room at ``url`` from synchronous code; the options are :func:`connect`'s.

    Returns once the room is loaded; raises what :func:`connect` raises.
    """
    loop, loop_thread = _BACKGROUND.acquire()

    async def opening() -> RoomConnection:
        return await connect(url, **options)

    try:
        room = asyncio.run_coroutine_threadsafe(opening(), loop).result()
    except BaseException:
        _BACKGROUND.release()
        raise
    return SyncRoom(room, loop, loop_thread)
