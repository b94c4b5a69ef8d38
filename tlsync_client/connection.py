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
from websockets.asyncio.client import ClientConnection

from tlsync_client.errors import RoomUnreachableError, SyncError
from tlsync_client.loop_timers import LoopTimers
from tlsync_client.sync_client import ClientState, ConnectInfo, PresenceMode, TLSyncClient
from tlsync_client.websocket import (
    ClientWebSocketAdapter,
    check_socket_options,
    describe_connect_error,
    is_permanent_connect_error,
    redacted_uri,
)
from tlsync_core.protocol.versions import CURRENT_PROTOCOL_VERSION, Dialect
from tlsync_core.schemas import SchemaLike, resolve_schema
from tlsync_core.signals import Signal, atom, react, to_observable, transact
from tlsync_core.store import Record, Store, unique_id

__all__ = [
    "DEFAULT_LOAD_TIMEOUT",
    "DEFAULT_SYNC_TIMEOUT",
    "RoomConnection",
    "RoomUnreachableError",
    "SyncError",
    "connect",
]

T = TypeVar("T")

DEFAULT_LOAD_TIMEOUT = 30.0
"""Seconds :func:`connect` waits for the room to load before giving up."""
DEFAULT_SYNC_TIMEOUT = 30.0
"""Seconds :meth:`RoomConnection.wait_for_sync` waits by default (``None``: no limit)."""


class RoomConnection:
    """A live room: ``store`` follows the room; local changes to it are pushed.

    Made by :func:`connect`.  ``status`` is a signal of the client's
    :class:`~tlsync_client.sync_client.ClientState` (also an observable: ``status_changes``);
    ``is_synced`` is true while every local change is acknowledged.
    """

    def __init__(
        self, store: Store, socket: ClientWebSocketAdapter, session_id: str, url: str
    ) -> None:
        self.store = store
        self.socket = socket
        self.session_id = session_id
        #: the room's URL without its query (where tokens live): error messages name it
        self.url = url
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

    def _repr_svg_(self) -> str | None:
        """The room's store as a picture, for Jupyter (see :attr:`Store.picture`)."""
        return self.store._repr_svg_()

    def transact(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in one transaction: its store changes are pushed together."""
        return transact(fn)

    async def wait_for_sync(self, timeout: float | None = DEFAULT_SYNC_TIMEOUT) -> int:
        """Wait until every local change made so far is acknowledged by the server (at once
        when there is none: writes that changed nothing included); returns how many pushes the
        server refused meanwhile (``discard``, e.g. on a read-only session: their changes were
        undone locally), 0 when everything was committed.

        Raises :class:`SyncError` if the session ends for good, ``TimeoutError`` (saying what is
        still unacknowledged) after ``timeout`` seconds (:data:`DEFAULT_SYNC_TIMEOUT`; ``None``
        waits as long as it takes).
        """
        discarded_before = self.client.discarded_pushes
        self.store.flush_history()
        await self._until(self.client.is_synced.get, timeout, self._unsynced_description)
        return self.client.discarded_pushes - discarded_before

    async def wait_for(
        self, predicate: Callable[[Store], bool], timeout: float | None = None
    ) -> None:
        """Wait until ``predicate(store)`` is true.

        The predicate runs in a reaction: it is evaluated again whenever a record (or signal)
        it read changes, not by polling.  An exception it raises is raised here.
        """
        name = getattr(predicate, "__name__", "the predicate")
        await self._until(lambda: predicate(self.store), timeout, lambda: f"{name} is still false")

    def _unsynced_description(self) -> str:
        client = self.client
        return (
            f"local changes still unacknowledged ({len(client.pending_push_requests)} push(es)"
            f" in flight; the client is {client.state.value})"
        )

    def _sync_error(self) -> SyncError:
        client = self.client
        return SyncError(
            client.sync_error or "closed",
            url=self.url,
            detail=client.sync_error_detail,
            schema=self.store.schema,
        )

    async def _until(
        self, condition: Callable[[], bool], timeout: float | None, waiting: Callable[[], str]
    ) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def check(_epoch: int) -> None:
            self.client.status.get()  # wake up when the client closes too
            if self.client.is_closed:
                if not done.done():
                    done.set_exception(self._sync_error())
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
        except TimeoutError:
            raise TimeoutError(f"{self.url}: after {timeout:g} s, {waiting()}") from None
        finally:
            stop()

    async def open_websocket(self, query: Mapping[str, str]) -> ClientConnection:
        """A new websocket to this room for another client (a relay, such as the Jupyter
        editor widget's): the same URL, headers and options, with ``query`` overriding its
        query parameters (give it its own ``sessionId`` and ``storeId``).  The caller closes
        it; it never reconnects.  Raises what the websocket's ``connect()`` raises (see
        :func:`~tlsync_client.websocket.describe_connect_error`)."""
        if self._closed:
            raise RuntimeError(f"{self.url}: open_websocket() on a closed RoomConnection")
        return await self.socket.dial(query)

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
            self._loaded.set_exception(self._sync_error() if isinstance(error, str) else error)

    def _on_attempt_failed(self, error: Exception) -> None:
        """Before the room loads, a failure that retrying cannot fix ends ``connect()``."""
        if not self._loaded.done() and is_permanent_connect_error(error):
            cause = describe_connect_error(error)
            self._loaded.set_exception(RoomUnreachableError(self.url, cause))
            self.socket.close()  # no retry: connect() is about to raise

    async def _load(self, timeout: float | None) -> None:
        """Wait for the first connect answer (see :func:`connect`)."""
        try:
            await asyncio.wait_for(asyncio.shield(self._loaded), timeout)
        except TimeoutError:
            error = self.socket.last_error
            if self.socket.connection_status == "online":
                why = "the websocket is open but the server sent no connect answer"
            elif error is not None:
                why = f"the last attempt failed: {describe_connect_error(error)}"
            else:
                why = "no websocket could be opened"
            raise TimeoutError(
                f"{self.url}: the room did not load within {timeout:g} s; {why}"
            ) from None


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
    schema: SchemaLike | None = None,
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

    * ``schema``: the store's schema, or its name (``"tldraw"``, the default; ``"demo"``;
      ``"module:function"``: see :func:`~tlsync_core.schemas.resolve_schema`);
    * ``presence``: this client's presence record, or a signal of it (pushed on change);
    * ``session_id``: sent as the ``sessionId`` query parameter, as tldraw clients do (default:
      a fresh id, kept across reconnects); ``headers``: extra HTTP headers (e.g. auth);
    * ``dialect``: 8 (tldraw 5.x, the default; falls back to 3 for v3 servers) or 3;
    * ``socket_options``: passed to :class:`ClientWebSocketAdapter` (backoff, timeouts...).

    Failing fast: a URL that is not ``ws``/``wss``/``http``/``https`` raises ``ValueError``, and
    a keyword that is none of these nor an option of the socket or of websockets' ``connect()``
    raises ``TypeError``, before anything is tried; what retrying cannot fix (an HTTP error
    status on the upgrade, a host that does not resolve) raises :class:`RoomUnreachableError`
    at the first attempt; a refusal by the room (4099: ``FORBIDDEN``, ``CLIENT_TOO_OLD``...)
    raises :class:`SyncError`.
    What may pass (connection refused or reset) is retried until ``load_timeout`` seconds,
    then ``TimeoutError``; every message names the URL and the cause.
    """
    _check_scheme(url)
    check_socket_options(socket_options)
    store_schema = resolve_schema(schema)

    async def opening() -> RoomConnection:
        store = Store(schema=store_schema)
        sid = session_id or unique_id()
        timers = LoopTimers()
        socket = ClientWebSocketAdapter(
            _with_session(url, sid, store_id=unique_id()),
            timers=timers,
            additional_headers=dict(headers) if headers else None,
            **socket_options,
        )
        room = RoomConnection(store, socket, sid, redacted_uri(url))
        stop_watching = socket.on_attempt_failed(room._on_attempt_failed)
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
            await room._load(load_timeout)
        except BaseException:
            await room.close()
            raise
        finally:
            stop_watching()
        return room

    return _Connecting(opening)


def _check_scheme(url: str) -> None:
    if not isinstance(url, str):
        raise TypeError(f"the room's URL must be a str, not {type(url).__name__}")
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("ws", "wss", "http", "https"):
        raise ValueError(
            f"not a room URL: {redacted_uri(url)!r} (expected ws://, wss://, http:// or https://,"
            " e.g. ws://127.0.0.1:5858/connect/my-room)"
        )


def _with_session(url: str, session_id: str, *, store_id: str) -> str:
    """``url`` with ``sessionId`` and ``storeId`` query parameters (unless it has them)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.setdefault("sessionId", session_id)
    query.setdefault("storeId", store_id)
    return urlunsplit(parts._replace(query=urlencode(query)))
