"""The asyncio API for bots and notebooks: ``async with connect(url) as room: ...``.

:func:`connect` wires the three parts of a client together on the running event loop: a
:class:`~tlsync_core.store.Store`, a :class:`~tlsync_client.websocket.ClientWebSocketAdapter` and
the pure :class:`~tlsync_client.sync_client.TLSyncClient` (timed by
:class:`~tlsync_client.loop_timers.LoopTimers`), and returns a :class:`RoomConnection` once the
room is loaded.  Waiting is reactive: :meth:`RoomConnection.wait_for_sync` and
:meth:`RoomConnection.wait_for` resolve from signal reactions, never by polling.  Nothing here
calls ``asyncio.run``: it works inside a running loop (Jupyter, an application, a test).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator, Mapping
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import reactivex

from tlsync_client.loop_timers import LoopTimers
from tlsync_client.sync_client import ClientState, ConnectInfo, PresenceMode, TLSyncClient
from tlsync_client.websocket import ClientWebSocketAdapter
from tlsync_core.protocol.versions import CURRENT_PROTOCOL_VERSION, Dialect
from tlsync_core.signals import Signal, atom, react, to_observable, transact
from tlsync_core.store import Record, Store, StoreSchema, unique_id
from tlsync_core.tldraw import create_tldraw_schema

__all__ = ["RoomConnection", "SyncError", "connect"]

T = TypeVar("T")

DEFAULT_LOAD_TIMEOUT = 30.0
"""Seconds :func:`connect` waits for the room to load before giving up."""


class SyncError(Exception):
    """The room refused or ended this client for good (``reason`` is the close reason, e.g.
    ``FORBIDDEN``, ``NOT_FOUND``, ``CLIENT_TOO_OLD``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the sync room ended the session: {reason}")
        self.reason = reason


class RoomConnection:
    """A live room: ``store`` follows the room; local changes to it are pushed.

    Made by :func:`connect`.  ``status`` is a signal of the client's
    :class:`~tlsync_client.sync_client.ClientState` (also an observable: ``status_changes``);
    ``is_synced`` is true while every local change is acknowledged.
    """

    def __init__(self, store: Store, socket: ClientWebSocketAdapter, session_id: str) -> None:
        self.store = store
        self.socket = socket
        self.session_id = session_id
        self.connect_info: ConnectInfo | None = None
        self._loaded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._client: TLSyncClient | None = None
        self._closed = False

    @property
    def client(self) -> TLSyncClient:
        """The :class:`TLSyncClient` that keeps the store in sync."""
        assert self._client is not None, "the client is created by connect()"
        return self._client

    @property
    def status(self) -> Signal[ClientState, Any]:
        return self.client.status

    @property
    def status_changes(self) -> reactivex.Observable[ClientState]:
        """The client's state as an observable (the current one first)."""
        return to_observable(self.client.status)

    @property
    def is_synced(self) -> Signal[bool, Any]:
        return self.client.is_synced

    @property
    def presence(self) -> Signal[Record | None, Any]:
        return self.client.presence_state

    def _repr_svg_(self) -> str:
        """The room's first page as a picture, for Jupyter."""
        return self.store._repr_svg_()

    def transact(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in one transaction: its store changes are pushed together."""
        return transact(fn)

    async def wait_for_sync(self, timeout: float | None = None) -> int:
        """Wait until every local change made so far is acknowledged by the server; returns
        how many pushes the server refused meanwhile (``discard``, e.g. on a read-only
        session: their changes were undone locally), 0 when everything was committed.

        Raises :class:`SyncError` if the session ends for good, ``TimeoutError`` after
        ``timeout`` seconds.
        """
        discarded_before = self.client.discarded_pushes
        self.store.flush_history()
        await self._until(self.client.is_synced.get, timeout)
        return self.client.discarded_pushes - discarded_before

    async def wait_for(
        self, predicate: Callable[[Store], bool], timeout: float | None = None
    ) -> None:
        """Wait until ``predicate(store)`` is true.

        The predicate runs in a reaction: it is evaluated again whenever a record (or signal)
        it read changes, not by polling.  An exception it raises is raised here.
        """
        await self._until(lambda: predicate(self.store), timeout)

    async def _until(self, condition: Callable[[], bool], timeout: float | None) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def check(_epoch: int) -> None:
            self.client.status.get()  # wake up when the client closes too
            if self.client.is_closed:
                error = self.client.sync_error
                outcome: BaseException = SyncError(error) if error else SyncError("closed")
                if not done.done():
                    done.set_exception(outcome)
                return
            try:
                if condition() and not done.done():
                    done.set_result(None)
            except Exception as error:
                if not done.done():
                    done.set_exception(error)

        stop = react("RoomConnection.wait", check)
        try:
            await asyncio.wait_for(asyncio.shield(done), timeout)
        finally:
            stop()

    async def close(self) -> None:
        """Stop syncing and close the socket (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._client is not None:
            self._client.close()
        await self.socket.aclose()

    async def __aenter__(self) -> RoomConnection:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # wiring, used by connect() ----------------------------------------------------------------

    def _on_after_connect(self, _client: TLSyncClient, info: ConnectInfo) -> None:
        self.connect_info = info
        if not self._loaded.done():
            self._loaded.set_result(None)

    def _on_error(self, error: Exception | str) -> None:
        if not self._loaded.done():
            self._loaded.set_exception(SyncError(error) if isinstance(error, str) else error)


class _Connecting:
    """What :func:`connect` returns: awaitable, and an async context manager."""

    def __init__(self, opening: Callable[[], Awaitable[RoomConnection]]) -> None:
        self._opening = opening
        self._room: RoomConnection | None = None

    def __await__(self) -> Generator[Any, None, RoomConnection]:
        return self._opening().__await__()

    async def __aenter__(self) -> RoomConnection:
        self._room = await self._opening()
        return self._room

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._room is not None
        await self._room.close()


def connect(
    url: str,
    *,
    schema: StoreSchema | None = None,
    presence: Record | Signal[Record | None, Any] | None = None,
    presence_mode: Signal[PresenceMode, Any] | None = None,
    session_id: str | None = None,
    headers: Mapping[str, str] | None = None,
    dialect: Dialect = CURRENT_PROTOCOL_VERSION,
    load_timeout: float | None = DEFAULT_LOAD_TIMEOUT,
    on_custom_message: Callable[[Any], None] | None = None,
    **socket_options: Any,
) -> _Connecting:
    """Join the room at ``url`` (``ws(s)://`` or ``http(s)://``); returns once it is loaded.

    Use as ``async with connect(url) as room:`` (closed on exit) or ``room = await
    connect(url)`` (then ``await room.close()``).

    * ``schema``: the store's schema (default: tldraw's, :func:`create_tldraw_schema`);
    * ``presence``: this client's presence record, or a signal of it (pushed on change);
    * ``session_id``: sent as the ``sessionId`` query parameter, as tldraw clients do (default:
      a fresh id, kept across reconnects); ``headers``: extra HTTP headers (e.g. auth);
    * ``dialect``: 8 (tldraw 5.x, the default; falls back to 3 for seed servers) or 3;
    * ``socket_options``: passed to :class:`ClientWebSocketAdapter` (backoff, timeouts...).

    Raises :class:`SyncError` if the room refuses the client, ``TimeoutError`` if it does not
    load within ``load_timeout`` seconds.
    """

    async def opening() -> RoomConnection:
        store = Store(schema=schema or create_tldraw_schema())
        sid = session_id or unique_id()
        timers = LoopTimers()
        socket = ClientWebSocketAdapter(
            _with_session(url, sid, store_id=unique_id()),
            timers=timers,
            additional_headers=dict(headers) if headers else None,
            **socket_options,
        )
        room = RoomConnection(store, socket, sid)
        presence_signal: Signal[Record | None, Any] | None
        if presence is None or isinstance(presence, Signal):
            presence_signal = presence
        else:
            presence_signal = atom("RoomConnection.presence", presence)
        try:
            room._client = TLSyncClient(
                store=store,
                socket=socket,
                instance_id=f"instance:{sid}",
                timers=timers,
                on_load_error=room._on_error,
                on_sync_error=room._on_error,
                on_after_connect=room._on_after_connect,
                on_custom_message_received=on_custom_message,
                presence=presence_signal,
                presence_mode=presence_mode,
                dialect=dialect,
            )
            await asyncio.wait_for(asyncio.shield(room._loaded), load_timeout)
        except BaseException:
            await room.close()
            raise
        return room

    return _Connecting(opening)


def _with_session(url: str, session_id: str, *, store_id: str) -> str:
    """``url`` with ``sessionId`` and ``storeId`` query parameters (unless it has them)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.setdefault("sessionId", session_id)
    query.setdefault("storeId", store_id)
    return urlunsplit(parts._replace(query=urlencode(query)))
