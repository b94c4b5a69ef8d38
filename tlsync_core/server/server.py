"""The server: rooms at ``ws://HOST:PORT/connect/<room-id>``, and its ``websockets`` front end.

Theory of operation
===================

Front ends.  :class:`TLSyncHost` is the whole server except the network: rooms, sessions,
frames in and out, group commit, the auth decision and the HTTP routes.  A front end accepts
websockets and hands each one to :meth:`TLSyncHost.serve_session` wrapped in a
:class:`SessionTransport` (receive a frame, send a text, close), and answers HTTP requests with
:meth:`TLSyncHost.handle_http`.  There are two: :class:`TLSyncServer` listens itself (on
``websockets``), and :class:`tlsync_core.server.asgi.TLSyncASGIApp` is an ASGI application for
uvicorn, Starlette or FastAPI.  Both behave the same (SPEC §5).

Each websocket is one session of one room.  The server authenticates the upgrade (an
``authorize`` hook that may allow, allow read-only, or refuse with a 4099 reason), finds or
loads the room (:class:`RoomForId`), and then only shuttles: frames in are reassembled (chunks),
parsed (anything malformed closes that session alone, never the server) and handed to the pure
:class:`TLSyncRoom`; messages out are serialised into a bounded per-session outbox drained by a
writer task, so a consumer that stops reading is disconnected instead of growing memory, and
catches up when it reconnects.  Each room has a timer task that sleeps until the room's next
deadline (a batch to flush, a session to prune) or until a message arrives.

Durability.  Rooms run with ``durable=False``: each committed transaction is queued for the
storage thread (:mod:`tlsync_core.server.storage_writer`, incremental writes, group commit) and
held back from clients; once the thread's commit returned, the rooms release their messages
with ``mark_durable``.  A push is therefore acknowledged only after its change is on disk, and a
``kill -9`` loses nothing that was acknowledged.  The event loop never waits on storage: a
commit that fails (disk full, a lock held by another process, a vanished file) holds every
acknowledgement, patch and connect answer of the rooms involved until a retry succeeds, a room
snapshot is served only once it is durable, and while storage fails the server stops reading
from clients (backpressure instead of memory ahead of disk).  ``/healthz`` reports storage.

Lifecycle.  Rooms are created on first connect (loaded on the storage thread; a new room is
stored before its first session is served), and unloaded a grace period after their last
session left, once everything they wrote is durable.  ``close()`` stops accepting, closes every
session with 1001 (going away: clients reconnect), commits, and closes the persistence.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any, Protocol, Self
from urllib.parse import parse_qs, unquote, urlsplit

import attrs
import orjson
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from tlsync_core.protocol.chunking import ChunkAssembler
from tlsync_core.protocol.close_codes import TLSyncErrorCloseEventCode, TLSyncErrorCloseEventReason
from tlsync_core.protocol.codec import loads_frame, parse_client_message, serialize_message
from tlsync_core.protocol.errors import ChunkError, ProtocolError
from tlsync_core.protocol.versions import negotiate_protocol_version
from tlsync_core.room.room import TLSyncRoom
from tlsync_core.room.session import RoomSession, SessionState
from tlsync_core.room.storage import ForwardDiff
from tlsync_core.schemas import SchemaLike, resolve_schema
from tlsync_core.server.memory_budget import (
    DEFAULT_MEMORY_BUDGET,
    MemoryBudget,
    parse_cost,
)
from tlsync_core.server.persistence import MemoryPersistence, RoomPersistence, dumps_json
from tlsync_core.server.storage_writer import StorageWriter
from tlsync_core.server.ws_guard import GuardedConnection
from tlsync_core.store import unique_id
from tlsync_core.views.files import static_file

logger = logging.getLogger("tlsync_core.server")

Reason = TLSyncErrorCloseEventReason
_CONNECT_PATH = re.compile(r"^/connect/([^/?#]+)$")
_SNAPSHOT_PATH = re.compile(r"^/rooms/([^/?#]+)/snapshot$")
_SCHEMA_PATH = re.compile(r"^/rooms/([^/?#]+)/schema$")  # the live view's connect schema
_ROOM_PAGE_PATH = re.compile(r"^/rooms/([^/?#]+)$")  # the live view (an HTML page)
_STATIC_FILES = {"/static/liveview.js": ("liveview.js", "text/javascript; charset=utf-8")}
GOING_AWAY = 1001
PROTOCOL_ERROR = 1002
MESSAGE_TOO_BIG = 1009
TRY_AGAIN_LATER = 1013


def _room_clock() -> float:
    """The rooms' ``now()``: monotonic milliseconds (deadlines are in it too)."""
    return time.monotonic() * 1000.0


@attrs.frozen
class AuthRequest:
    """What the ``authorize`` hook sees of a connection or HTTP request."""

    room_id: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]


@attrs.frozen
class AuthDecision:
    """``allowed`` (optionally ``readonly``, with ``meta`` for the session), or refused."""

    allowed: bool
    readonly: bool = False
    reason: Reason | None = None
    meta: Any = None

    @classmethod
    def allow(cls, *, readonly: bool = False, meta: Any = None) -> AuthDecision:
        return cls(True, readonly, None, meta)

    @classmethod
    def refuse(cls, reason: Reason = Reason.FORBIDDEN) -> AuthDecision:
        return cls(False, False, reason)


Authorize = Callable[[AuthRequest], "AuthDecision | Awaitable[AuthDecision]"]


@attrs.frozen
class ServerLimits:
    """Caps that keep one client from hurting a room or the server."""

    max_sessions_per_room: int = 200
    max_frame_bytes: int = 16 * 1024 * 1024
    max_message_bytes: int = 64 * 1024 * 1024
    max_chunks: int = 4096
    messages_per_second: float = 200.0
    message_burst: float = 1000.0
    max_outbox_messages: int = 5000
    max_outbox_bytes: int = 64 * 1024 * 1024
    room_unload_grace_seconds: float = 10.0
    #: Seconds a closing connection may take to deliver its last frames and the close frame;
    #: a peer that does not read them in time is cut off (its TCP connection aborted).
    close_timeout: float = 10.0
    #: The same for a session closed to shed load (1013: its outbox over a cap, or cut off by
    #: the memory budget): it is behind already, and what it holds should be freed soon.
    shed_close_timeout: float = 1.0
    #: Seconds a snapshot request waits for the room's pending writes to become durable
    #: before it is answered 503.
    snapshot_durable_timeout: float = 5.0
    #: Bytes the server may hold for its clients, all sessions together (outboxes, messages
    #: being assembled and parsed, snapshots being sent): see :mod:`.memory_budget`.
    memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET


class RoomForId:
    """A loaded room and its bookkeeping (``RoomForId`` in the original API, SPEC.md PR1)."""

    def __init__(self, room_id: str, room: TLSyncRoom) -> None:
        self.id = room_id
        self.room = room
        self.clients: dict[str, _Socket] = {}
        self.timeout: asyncio.TimerHandle | None = None
        self.wake = asyncio.Event()
        self.timer: asyncio.Task[None] | None = None


class TLServer(abc.ABC):
    """The original API's abstract server: where rooms are kept, how connections reach them."""

    @abc.abstractmethod
    def get_room_for_id(self, room_id: str) -> RoomForId | None: ...

    @abc.abstractmethod
    def set_room_for_id(self, room_id: str, room_for_id: RoomForId) -> None: ...

    @abc.abstractmethod
    def delete_room_for_id(self, room_id: str) -> None: ...

    @abc.abstractmethod
    async def handle_connection(self, ws: ServerConnection, room_id: str) -> None: ...

    def load_from_database(self, room_id: str) -> Any:
        """The stored snapshot of a room, or None (override to load from elsewhere)."""
        return None

    def persist_to_database(self, room_id: str) -> None:
        """Persist a room (called when it is unloaded); nothing by default."""
        return None

    def log_event(self, event: Mapping[str, Any]) -> None:
        """Room and session lifecycle events (``logging`` at INFO by default)."""
        logger.info("%s", dict(event))


class TransportClosed(Exception):
    """Raised by :meth:`SessionTransport.send` once the connection is gone."""


class FrameTooLarge(Exception):
    """Raised by :meth:`SessionTransport.receive` for a frame over the size cap (closes 1009)."""


class SessionTransport(Protocol):
    """One accepted websocket as :meth:`TLSyncHost.serve_session` sees it.

    A front end implements it over its connection type.  Only the session's own coroutine
    calls :meth:`receive`; only its writer task calls :meth:`send` and :meth:`close` (the
    session's coroutine closes it before a writer exists, to refuse it).
    """

    async def receive(self) -> str | bytes | None:
        """The next frame, or None once the peer closed or the connection dropped."""

    async def send(self, text: str) -> None:
        """Send a text frame; raises :class:`TransportClosed` once the connection is gone."""

    async def close(self, code: int, reason: str) -> None:
        """Close with ``code`` and ``reason`` (a connection already gone is left alone)."""


@attrs.frozen
class HttpRequest:
    """An HTTP request as the shared routes (:meth:`TLSyncHost.handle_http`) see it.

    ``path`` is the percent-encoded path inside the application (without the query string and
    without the prefix it is mounted under, which is ``root_path``); ``headers`` have
    lower-case names.
    """

    path: str
    query_string: str = ""
    headers: Mapping[str, str] = attrs.field(factory=dict)
    method: str = "GET"
    root_path: str = ""

    @property
    def target(self) -> str:
        """The path with its query string, as the auth hook sees it."""
        return f"{self.path}?{self.query_string}" if self.query_string else self.path

    @property
    def query(self) -> dict[str, str]:
        return _query(self.target)


@attrs.frozen
class HttpResponse:
    """What a shared route answers; each front end writes it in its own way."""

    status: int
    body: bytes
    content_type: str = "text/plain"
    headers: tuple[tuple[str, str], ...] = ()
    #: The body's charge to the memory budget (a large body), which the front end releases
    #: once the body is sent (:meth:`SentBody.sent`) and lets the budget cut off.
    charge: SentBody | None = None


class SentBody:
    """An HTTP body being sent, charged to the memory budget until :meth:`sent`; evicting it
    aborts its connection (through :attr:`abort`, set by the front end)."""

    def __init__(self, budget: MemoryBudget) -> None:
        self._budget = budget
        self.abort: Callable[[], None] | None = None

    def evict(self) -> None:
        logger.warning("aborting an HTTP response: the server is over its memory budget")
        if self.abort is not None:
            self.abort()
        self.sent()

    def sent(self) -> None:
        self._budget.release_all(self)


class _Socket:
    """A session's connection as the room sees it: a bounded outbox drained by a writer task.

    Everything it holds is charged to the server's memory budget (a :class:`BudgetHolder`):
    each queued message until the transport took it, and what the session's frames cost while
    they are assembled and parsed (charged by :meth:`TLSyncHost._handle_frame`).
    """

    def __init__(
        self, transport: SessionTransport, limits: ServerLimits, budget: MemoryBudget
    ) -> None:
        self._transport = transport
        self._limits = limits
        self._budget = budget
        self._outbox: deque[str] = deque()
        self._outbox_bytes = 0
        self._ready = asyncio.Event()
        self._close: tuple[int, str] | None = None
        self._open = True
        self._sending = False  # the writer waits for a send (for the peer to read)
        self._stalled = False  # the writer was told to stop waiting (see _unstick)
        self._deadline: asyncio.TimerHandle | None = None
        self.writer = asyncio.get_running_loop().create_task(self._write())

    @property
    def is_open(self) -> bool:
        return self._open and self._close is None

    def send_message(self, message: Mapping[str, Any]) -> None:
        if not self.is_open:
            return
        if message.get("type") == "data":
            text = '{"type":"data","data":[' + ",".join(map(_encode_event, message["data"])) + "]}"
        else:
            text = serialize_message(message)
        if not self._budget.reserve(self, len(text)):
            logger.warning("disconnecting the largest holder of the server's memory budget")
            self.evict()
            return
        self._outbox.append(text)
        self._outbox_bytes += len(text)
        # the caps bound a backlog: one message alone (a big room's connect answer) always goes
        if len(self._outbox) > 1 and (
            len(self._outbox) > self._limits.max_outbox_messages
            or self._outbox_bytes > self._limits.max_outbox_bytes
        ):
            logger.warning("disconnecting a session that stopped reading (outbox full)")
            self._cut_off("outbox full: reconnect to catch up")
            return
        self._ready.set()

    def evict(self) -> None:
        """Cut this session off to free the server's memory budget (it may reconnect)."""
        self._cut_off("server over its memory budget: reconnect later")

    def _cut_off(self, reason: str) -> None:
        """Drop the backlog and close with 1013 (try again later) and ``reason``."""
        self._drop_outbox()
        self.close(TRY_AGAIN_LATER, reason)
        self._unstick()  # the writer may wait for this very peer to read: stop waiting now

    def _drop_outbox(self) -> None:
        self._budget.release(self, self._outbox_bytes)
        self._outbox.clear()
        self._outbox_bytes = 0

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        if self._close is None:
            self._close = (1000 if code is None else code, reason or "")
            self._ready.set()
            self._arm_deadline()

    def _arm_deadline(self) -> None:
        """A close waits behind the frames still being sent, but not forever: after the close
        timeout the writer stops waiting for the peer to read them."""
        if self._deadline is None and not self.writer.done():
            loop = asyncio.get_running_loop()
            self._deadline = loop.call_later(self._limits.close_timeout, self._unstick)

    def _unstick(self) -> None:
        """Stop waiting for a peer that does not read: the writer skips what is left and closes
        (the close frame goes after the frames already buffered; the transport's close aborts
        the connection if the peer does not read that either)."""
        if self._sending and not self.writer.done():
            self._stalled = True
            self.writer.cancel()

    async def _write(self) -> None:
        try:
            while True:
                await self._ready.wait()
                self._ready.clear()
                await self._send_outbox()
                if self._close is not None:
                    await self._transport.close(*self._close)
                    return
        except TransportClosed:
            pass
        finally:
            self._open = False
            self._drop_outbox()
            self._budget.release_all(self)  # (the connection is closed: its frames are gone)
            if self._deadline is not None:
                self._deadline.cancel()

    async def _send_outbox(self) -> None:
        try:
            while self._outbox:
                text = self._outbox.popleft()
                size = len(text)
                self._outbox_bytes -= size
                # (while it is written, the encoded frame is held too)
                frame = size if self._budget.reserve(self, size) else 0
                self._sending = True
                try:
                    await self._transport.send(text)
                finally:
                    self._sending = False
                # (a send cut short leaves its frame in the transport: it stays charged until
                # the connection is gone, when the writer ends)
                self._budget.release(self, size + frame)
                del text  # an idle session must not keep its last (maybe huge) frame
        except asyncio.CancelledError:
            if not self._stalled:
                raise
            self._stalled = False
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            self._drop_outbox()

    def lost(self) -> None:
        """The connection is gone: stop writing."""
        self._open = False
        self._ready.set()
        if self._close is None:
            self._close = (1000, "")
            self._arm_deadline()


_encoded: dict[int, tuple[object, str]] = {}


def _encode_event(event: Mapping[str, Any]) -> str:
    """``serialize_message(event)``, once per event object per event-loop turn.

    A broadcast hands the same patch object to every session on the room's schema; encoding it
    once instead of once per recipient is what keeps fan-out to large rooms cheap.  The cache
    holds the object itself (so its id cannot be reused) and is emptied at the end of the turn.
    """
    hit = _encoded.get(id(event))
    if hit is not None and hit[0] is event:
        return hit[1]
    text = serialize_message(event)
    if not _encoded:
        asyncio.get_running_loop().call_soon(_encoded.clear)
    _encoded[id(event)] = (event, text)
    return text


class _RateLimiter:
    """A token bucket: ``allow()`` is False once a session sends faster than its limit."""

    def __init__(self, rate: float, burst: float) -> None:
        self._rate = rate
        self._burst = burst
        self._tokens = burst
        self._last = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class TLSyncHost:
    """The server without its network: rooms, sessions, group commit, auth and HTTP routes.

    Front ends (:class:`TLSyncServer`, :class:`tlsync_core.server.asgi.TLSyncASGIApp`) accept
    websockets and call :meth:`serve_session`, and answer HTTP with :meth:`handle_http`; the
    hooks (:meth:`load_from_database`, :meth:`persist_to_database`, :meth:`log_event`) are
    overridable the same way under both.  Runs on the event loop of its first connection.
    """

    close_timeout = 5.0
    """Seconds :meth:`close` waits for the sessions it sent away to end."""

    def __init__(
        self,
        *,
        schema: SchemaLike = "tldraw",
        persistence: RoomPersistence | None = None,
        authorize: Authorize | None = None,
        limits: ServerLimits | None = None,
    ) -> None:
        self.schema = resolve_schema(schema)
        self.persistence: RoomPersistence = persistence or MemoryPersistence()
        self.authorize = authorize
        self.limits = limits or ServerLimits()
        self._rooms: dict[str, RoomForId] = {}
        self._loading: dict[str, asyncio.Task[RoomForId]] = {}
        self._sessions: set[asyncio.Task[Any]] = set()
        self.storage = StorageWriter(self.persistence, on_durable=self._on_durable)
        self.budget = MemoryBudget(self.limits.memory_budget_bytes)
        self._closing = False

    @property
    def closing(self) -> bool:
        """True once :meth:`close` was called (new sessions are sent away)."""
        return self._closing

    # rooms ----------------------------------------------------------------------------------

    def get_room_for_id(self, room_id: str) -> RoomForId | None:
        return self._rooms.get(room_id)

    def set_room_for_id(self, room_id: str, room_for_id: RoomForId) -> None:
        self._rooms[room_id] = room_for_id

    def delete_room_for_id(self, room_id: str) -> None:
        entry = self._rooms.pop(room_id, None)
        if entry is not None and entry.timer is not None:
            entry.timer.cancel()

    @property
    def rooms(self) -> Mapping[str, RoomForId]:
        return self._rooms

    def load_from_database(self, room_id: str) -> Any:
        """The stored snapshot of a room, or None (override to load from elsewhere).

        Called on the storage thread, never on the event loop."""
        return self.persistence.load(room_id)

    def persist_to_database(self, room_id: str) -> None:
        """Called when a room is unloaded, once all it wrote is durable; nothing by default."""

    def log_event(self, event: Mapping[str, Any]) -> None:
        """Room and session lifecycle events (``logging`` at INFO by default)."""
        logger.info("%s", dict(event))

    async def _room(self, room_id: str) -> RoomForId:
        """The room, loaded once however many sessions ask for it at the same time."""
        entry = self.get_room_for_id(room_id)
        if entry is not None:
            if entry.timeout is not None:
                entry.timeout.cancel()
                entry.timeout = None
            return entry
        loading = self._loading.get(room_id)
        if loading is None:
            loading = asyncio.get_running_loop().create_task(self._load_room(room_id))
            self._loading[room_id] = loading
            loading.add_done_callback(lambda task: self._loaded(room_id, task))
        return await asyncio.shield(loading)

    def _loaded(self, room_id: str, task: asyncio.Task[RoomForId]) -> None:
        if self._loading.get(room_id) is task:
            del self._loading[room_id]
        if not task.cancelled() and task.exception() is not None:
            logger.error("loading room %r failed: %s", room_id, task.exception())

    async def _load_room(self, room_id: str) -> RoomForId:
        snapshot = await self.storage.run(lambda: self.load_from_database(room_id))

        def on_commit(changes: ForwardDiff, clock: int) -> None:
            self._stage(room_id, changes, clock)

        room = TLSyncRoom(
            self.schema,
            snapshot,
            now=_room_clock,
            durable=False,
            on_commit=on_commit,
            log_event=lambda event: self._room_event(room_id, event),
        )
        if snapshot is None:
            # a new room is served once it is stored: a restart must not make it anew (with
            # other clocks) under clients that saw it
            await self.storage.durable(self.storage.save(room_id, room.get_snapshot()))
        entry = RoomForId(room_id, room)
        self.set_room_for_id(room_id, entry)
        entry.timer = asyncio.get_running_loop().create_task(self._run_timers(entry))
        self.log_event({"type": "room_loaded", "room_id": room_id})
        return entry

    def _stage(self, room_id: str, changes: ForwardDiff, clock: int) -> None:
        entry = self._rooms.get(room_id)
        storage = entry.room.storage if entry is not None else None
        self.storage.stage(
            room_id,
            changes,
            clock=clock,
            tombstone_history_starts_at_clock=(
                storage.tombstone_history_starts_at_clock if storage else 0
            ),
            schema=storage.schema if storage else None,
        )

    def _on_durable(self, clocks: dict[str, int]) -> None:
        """The storage thread committed: release what the rooms held for those clocks."""
        for room_id, clock in clocks.items():
            entry = self._rooms.get(room_id)
            if entry is not None:
                entry.room.mark_durable(clock)
                entry.wake.set()

    def _room_event(self, room_id: str, event: dict[str, Any]) -> None:
        self.log_event({**event, "room_id": room_id})
        if event["type"] == "room_became_empty":
            entry = self._rooms.get(room_id)
            if entry is not None and not self._closing:
                loop = asyncio.get_running_loop()
                entry.timeout = loop.call_later(
                    self.limits.room_unload_grace_seconds, self._unload, room_id
                )

    def _unload(self, room_id: str) -> None:
        entry = self._rooms.get(room_id)
        if entry is None or entry.room.sessions:
            return
        if self.storage.pending_for(room_id):
            # its memory is ahead of its storage: unloading now would load a stale room later
            entry.timeout = asyncio.get_running_loop().call_later(
                self.limits.room_unload_grace_seconds, self._unload, room_id
            )
            return
        entry.timeout = None
        self.persist_to_database(room_id)
        self.delete_room_for_id(room_id)
        self.log_event({"type": "room_unloaded", "room_id": room_id})

    async def _run_timers(self, entry: RoomForId) -> None:
        room = entry.room
        while True:
            deadline = room.next_deadline()
            timeout = None if deadline is None else max(0.0, (deadline - _room_clock()) / 1000.0)
            timed_out = False
            # (asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation)
            try:
                async with asyncio.timeout(timeout):
                    await entry.wake.wait()
            except TimeoutError:
                timed_out = True
            entry.wake.clear()
            # a wake-up (a message arrived) only means the deadline may have moved: the loop
            # recomputes it; ticking is for when something is due (a tick scans every session)
            if timed_out or (deadline is not None and deadline <= _room_clock()):
                room.tick()

    # connections ----------------------------------------------------------------------------

    async def serve_session(self, transport: SessionTransport, request: AuthRequest) -> None:
        """Serve one accepted websocket as a session of ``request.room_id`` until it is over.

        The auth hook decides first (a refusal closes with 4099 and the reason); then frames
        from ``transport`` go to the room and the room's messages back through a bounded
        outbox.  Returns once the session ended and its connection was closed.
        """
        task = asyncio.current_task()
        if task is not None:
            self._sessions.add(task)
        try:
            await self._serve_session(transport, request)
        finally:
            if task is not None:
                self._sessions.discard(task)

    async def _serve_session(self, transport: SessionTransport, request: AuthRequest) -> None:
        room_id = request.room_id
        decision = await self.authorize_request(request)
        if not decision.allowed:
            reason = str(decision.reason or Reason.FORBIDDEN)
            await transport.close(TLSyncErrorCloseEventCode, reason)
            return
        if request.query.get("readonly") in ("1", "true"):  # (can only take rights away)
            decision = attrs.evolve(decision, readonly=True)
        if self._closing:
            await transport.close(GOING_AWAY, "server shutting down")
            return
        try:
            entry = await self._room(room_id)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            # (close() cancelled the room's loading: this session is sent away like the rest)
            await transport.close(GOING_AWAY, "server shutting down")
            return
        except Exception as error:
            logger.warning(
                "session for room %r refused: its room could not load: %s", room_id, error
            )
            await transport.close(TRY_AGAIN_LATER, "storage unavailable: try again later")
            return
        if self._closing:
            await transport.close(GOING_AWAY, "server shutting down")
            return
        room = entry.room
        live = sum(
            1 for s in room.sessions.values() if s.state is not SessionState.AWAITING_REMOVAL
        )
        if live >= self.limits.max_sessions_per_room:
            await transport.close(TLSyncErrorCloseEventCode, str(Reason.ROOM_FULL))
            self._maybe_unload_soon(room_id)
            return
        session_id = request.query.get("sessionId") or unique_id()
        socket = _Socket(transport, self.limits, self.budget)
        previous = entry.clients.get(session_id)
        if previous is not None:
            # a newer connection takes the session over (a reconnect, usually); the older one
            # is closed, and nothing it still sends is handled as the newer one's
            previous.close(1000, "replaced by a newer connection with the same sessionId")
        entry.clients[session_id] = socket
        room.handle_new_session(
            session_id, socket, is_readonly=decision.readonly, meta=decision.meta
        )
        assembler = ChunkAssembler(
            max_chunks=self.limits.max_chunks, max_size=self.limits.max_message_bytes
        )
        limiter = _RateLimiter(self.limits.messages_per_second, self.limits.message_burst)
        try:
            while True:
                while self.storage.failing and not self._closing:
                    # backpressure: read nothing more while nothing can become durable
                    await self.storage.wait_healthy(timeout=1.0)
                frame = await transport.receive()
                if frame is None:
                    break
                if self._closing:  # (sent away already: leave the rest to the next session)
                    break
                if entry.clients.get(session_id) is not socket:
                    break  # taken over by a newer connection (see above)
                if not limiter.allow():
                    room.close_session(session_id, Reason.RATE_LIMITED)
                    break
                if not self._handle_frame(entry, session_id, socket, assembler, frame):
                    break
                entry.wake.set()
        except FrameTooLarge:
            socket.close(MESSAGE_TOO_BIG, "frame too large")
        finally:
            socket.lost()
            current = room.sessions.get(session_id)
            if current is not None and current.socket is socket:
                room.handle_close(session_id)
            if entry.clients.get(session_id) is socket:
                del entry.clients[session_id]
            entry.wake.set()
            # read (and drop) what the peer still sends while the writer closes: websockets
            # stops reading a connection whose frames nobody takes, and the peer's close frame
            # would wait behind them (a flooder's close took the whole close timeout)
            drain = asyncio.get_running_loop().create_task(_discard_frames(transport))
            try:
                with contextlib.suppress(Exception):
                    await socket.writer
            finally:
                drain.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await drain
                self.budget.release_all(socket)

    def _handle_frame(
        self,
        entry: RoomForId,
        session_id: str,
        socket: _Socket,
        assembler: ChunkAssembler,
        frame: str | bytes,
    ) -> bool:
        """Handle one frame; False when the session is over."""
        room = entry.room
        session = room.sessions.get(session_id)
        if session is None or session.state is SessionState.AWAITING_REMOVAL:
            return False
        text: str | None = None
        assembling = assembler.buffered
        try:
            text = assembler.handle_frame(frame)
            self.budget.release(socket, assembling)
            if text is None:
                if not self.budget.reserve(socket, assembler.buffered):
                    return self._refuse_for_budget(entry, session_id, socket)
                return True
            cost = parse_cost(len(text))
            if not self.budget.reserve(socket, cost, transient=True):
                return self._refuse_for_budget(entry, session_id, socket)
            try:
                dialect = session.dialect if session.state is SessionState.CONNECTED else None
                message = parse_client_message(text, dialect=dialect)
            finally:
                self.budget.release(socket, cost)
        except ChunkError as error:
            # as 5.4.2: the session is cancelled (not rejected), so the client may retry; the
            # close says why (1002, protocol error)
            logger.info("session %s sent a bad chunk sequence: %s", session_id, error)
            session.socket.close(PROTOCOL_ERROR, _close_reason(str(error)))
            room.handle_close(session_id)
            return False
        except ProtocolError as error:
            logger.info("session %s sent an invalid message: %s", session_id, error)
            if session.state is SessionState.AWAITING_CONNECT_MESSAGE and text is not None:
                _note_legacy_rejection(session, text)
            room.close_session(session_id, error.close_reason)
            return False
        room.handle_message(session_id, dict(message))
        return session_id in room.sessions

    def _refuse_for_budget(self, entry: RoomForId, session_id: str, socket: _Socket) -> bool:
        """A message that cannot fit the memory budget: refused (before it is parsed) with
        1009, and its session ended."""
        logger.warning("refusing a message of session %s: over the memory budget", session_id)
        socket.close(MESSAGE_TOO_BIG, "message would exceed the server's memory budget")
        entry.room.handle_close(session_id)
        return False

    def _maybe_unload_soon(self, room_id: str) -> None:
        entry = self._rooms.get(room_id)
        if entry is not None and not entry.room.sessions and entry.timeout is None:
            entry.timeout = asyncio.get_running_loop().call_later(
                self.limits.room_unload_grace_seconds, self._unload, room_id
            )

    async def authorize_request(self, auth: AuthRequest) -> AuthDecision:
        """The auth hook's decision (allow when there is no hook; refuse when it fails)."""
        if self.authorize is None:
            return AuthDecision.allow()
        try:
            decision = self.authorize(auth)
            if not isinstance(decision, AuthDecision):
                decision = await decision
        except Exception:
            logger.exception("the authorize hook failed; refusing the connection")
            return AuthDecision.refuse(Reason.UNKNOWN_ERROR)
        return decision

    # HTTP -----------------------------------------------------------------------------------

    async def handle_http(self, request: HttpRequest) -> HttpResponse | None:
        """Answer an HTTP request (both front ends); None for a websocket route (upgrade)."""
        path = request.path
        for route in (_CONNECT_PATH, _SNAPSHOT_PATH, _SCHEMA_PATH, _ROOM_PAGE_PATH):
            match = route.match(path)
            if match is not None and room_id_from_path(match.group(1)) is None:
                return HttpResponse(HTTPStatus.BAD_REQUEST, b"the room id is not UTF-8")
        if path == "/healthz":
            health = self.storage.health
            status = HTTPStatus.OK if health.ok else HTTPStatus.SERVICE_UNAVAILABLE
            memory = {
                "used": self.budget.used,
                "limit": self.budget.limit,
                "evictions": self.budget.evictions,
            }
            body = orjson.dumps({"ok": health.ok, "storage": health.as_json(), "memory": memory})
            return HttpResponse(status, body, "application/json", _NO_CACHE)
        match = _SNAPSHOT_PATH.match(path)
        if match:
            room_id = _decoded(match.group(1))
            decision = await self.authorize_request(_http_auth_request(room_id, request))
            if not decision.allowed:
                return HttpResponse(HTTPStatus.FORBIDDEN, str(decision.reason).encode())
            try:
                snapshot = await self._durable_snapshot(room_id)
            except (TimeoutError, Exception) as error:
                logger.warning("snapshot of room %r unavailable: %s", room_id, error)
                return HttpResponse(
                    HTTPStatus.SERVICE_UNAVAILABLE, b"storage unavailable: try again later"
                )
            if snapshot is None:
                return HttpResponse(HTTPStatus.NOT_FOUND, b"no such room")
            body = dumps_json(snapshot)
            del snapshot
            charge = SentBody(self.budget)
            # (the body, and its copy in the response the front end writes)
            if not self.budget.reserve(charge, 2 * len(body)):
                return HttpResponse(
                    HTTPStatus.SERVICE_UNAVAILABLE, b"server over its memory budget: try again"
                )
            return HttpResponse(HTTPStatus.OK, body, "application/json", charge=charge)
        match = _SCHEMA_PATH.match(path)
        if match:
            decision = await self.authorize_request(
                _http_auth_request(_decoded(match.group(1)), request)
            )
            if not decision.allowed:
                return HttpResponse(HTTPStatus.FORBIDDEN, str(decision.reason).encode())
            schema = orjson.dumps(self.schema.serialize())
            return HttpResponse(HTTPStatus.OK, schema, "application/json")
        match = _ROOM_PAGE_PATH.match(path)
        if match:
            page = _live_page(_decoded(match.group(1)))
            return HttpResponse(HTTPStatus.OK, page, "text/html; charset=utf-8", _NO_CACHE)
        if path in _STATIC_FILES:
            name, content_type = _STATIC_FILES[path]
            return HttpResponse(HTTPStatus.OK, _static_file(name), content_type, _NO_CACHE)
        if _CONNECT_PATH.match(path):
            return None
        return HttpResponse(HTTPStatus.NOT_FOUND, b"not found")

    async def _durable_snapshot(self, room_id: str) -> Any:
        """The room's snapshot as stored: a loaded room's state once its writes so far are
        durable (at most ``snapshot_durable_timeout`` seconds), else read from storage."""
        entry = self._rooms.get(room_id)
        if entry is None:
            return await self.storage.run(lambda: self.persistence.load(room_id))
        snapshot = entry.room.get_snapshot()  # (records are never mutated: this stays as is)
        async with asyncio.timeout(self.limits.snapshot_durable_timeout):
            await self.storage.durable(self.storage.last_seq(room_id))
        return snapshot

    # running --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start serving (nothing to do here: a front end starts its listener)."""

    async def close(self) -> None:
        """Stop accepting, send everyone away (they reconnect), commit and close storage."""
        if self._closing:
            return
        self._closing = True
        for entry in list(self._rooms.values()):
            for socket in list(entry.clients.values()):
                socket.close(GOING_AWAY, "server shutting down")
        await self._stop_accepting()
        current = asyncio.current_task()
        sessions = [task for task in self._sessions if task is not current and not task.done()]
        if sessions:
            await asyncio.wait(sessions, timeout=self.close_timeout)
        for loading in list(self._loading.values()):
            loading.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await loading
        for room_id in list(self._rooms):
            entry = self._rooms[room_id]
            if entry.timeout is not None:
                entry.timeout.cancel()
            self.delete_room_for_id(room_id)
            if entry.timer is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await entry.timer
        await self.storage.close()

    async def _stop_accepting(self) -> None:
        """A front end's hook in :meth:`close`, once every session was sent away: stop taking
        connections and end the open ones."""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class TLSyncServer(TLSyncHost, TLServer):
    """The server on its own ``websockets`` listener: run it, or embed it in an asyncio app.

    ``async with TLSyncServer(schema=..., persistence=SQLitePersistence("rooms.sqlite")) as
    server:`` listens (``port=0`` picks a free port; see :attr:`port`).
    """

    def __init__(
        self,
        *,
        schema: SchemaLike = "tldraw",
        persistence: RoomPersistence | None = None,
        host: str = "127.0.0.1",
        port: int = 5858,
        authorize: Authorize | None = None,
        limits: ServerLimits | None = None,
    ) -> None:
        super().__init__(schema=schema, persistence=persistence, authorize=authorize, limits=limits)
        self.host = host
        self.port = port
        self._server: Server | None = None
        self._responses: set[asyncio.Task[None]] = set()

    async def handle_connection(self, ws: ServerConnection, room_id: str) -> None:
        """Serve one websocket as a session of ``room_id`` until it closes."""
        request = ws.request
        assert request is not None
        await self.serve_session(
            _WebsocketsTransport(ws, self.limits.close_timeout, self.limits.shed_close_timeout),
            _ws_auth_request(room_id, request),
        )

    async def _authorize(self, room_id: str, request: Request) -> AuthDecision:
        return await self.authorize_request(_ws_auth_request(room_id, request))

    async def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        parts = urlsplit(request.path)
        response = await self.handle_http(
            HttpRequest(
                path=parts.path,
                query_string=parts.query,
                headers={k.lower(): v for k, v in request.headers.raw_items()},
                method=request.method,
            )
        )
        if response is None:
            return None
        if response.charge is not None:
            charge = response.charge
            charge.abort = connection.transport.abort
            task = asyncio.get_running_loop().create_task(_release_when_closed(connection, charge))
            self._responses.add(task)
            task.add_done_callback(self._responses.discard)
        return _respond(
            connection,
            response.status,
            response.body,
            response.content_type,
            response.headers,
            head=request.method == "HEAD",
        )

    async def _handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        match = _CONNECT_PATH.match(urlsplit(ws.request.path).path)
        if match is None:  # (refused in _process_request already)
            await ws.close(1008, "bad path")
            return
        await self.handle_connection(ws, _decoded(match.group(1)))

    async def start(self) -> None:
        """Start listening (once: a server already listening, e.g. also served by an ASGI app
        whose lifespan starts it, stays as it is)."""
        if self._server is not None:
            return
        self._server = await serve(
            self._handler,
            self.host,
            self.port,
            process_request=self._process_request,
            max_size=self.limits.max_frame_bytes,
            ping_interval=20,
            ping_timeout=20,
            compression=None,
            create_connection=GuardedConnection,
            # frames wait in websockets' queue only while a session is busy (or storage down)
            max_queue=2,
        )
        sockets = self._server.sockets
        if sockets:
            self.port = sockets[0].getsockname()[1]
        logger.info("tlsync server listening on ws://%s:%s/connect/<room-id>", self.host, self.port)

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    async def _stop_accepting(self) -> None:
        if self._server is not None:
            self._server.close(close_connections=False)
            await asyncio.sleep(0)
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._responses):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class _WebsocketsTransport:
    """A ``websockets`` server connection as a :class:`SessionTransport` (its own listener caps
    frame sizes, with 1009)."""

    __slots__ = ("_close_timeout", "_shed_close_timeout", "_ws")

    def __init__(
        self, ws: ServerConnection, close_timeout: float = 10.0, shed_close_timeout: float = 1.0
    ) -> None:
        self._ws = ws
        self._close_timeout = close_timeout
        self._shed_close_timeout = shed_close_timeout

    async def receive(self) -> str | bytes | None:
        try:
            return await self._ws.recv()
        except ConnectionClosed:
            return None

    async def send(self, text: str) -> None:
        try:
            await self._ws.send(text)
        except ConnectionClosed as error:
            raise TransportClosed from error

    async def close(self, code: int, reason: str) -> None:
        # websockets' close() first waits for the frames before the close frame to drain,
        # for as long as the peer does not read them; past the close timeout, cut it off
        try:
            shedding = code == TRY_AGAIN_LATER
            async with asyncio.timeout(
                self._shed_close_timeout if shedding else self._close_timeout
            ):
                await self._ws.close(code, reason)
        except TimeoutError:
            self._ws.transport.abort()
            await self._ws.wait_closed()


_NO_CACHE = (("Cache-Control", "no-cache"),)


def _static_file(name: str) -> bytes:
    """A file of the live view (``tlsync_core/views/static``, package data)."""
    return static_file(name)


def _live_page(room_id: str) -> bytes:
    """The live view of a room: ``static/room.html`` with the room id (a JSON string that
    cannot end the script element)."""
    room = orjson.dumps(room_id).decode().replace("<", "\\u003c").replace(">", "\\u003e")
    return _static_file("room.html").replace(b"/*ROOM_ID*/", room.encode())


async def _release_when_closed(connection: ServerConnection, charge: SentBody) -> None:
    """Release an HTTP body's budget once its connection closed (the body was sent)."""
    try:
        await connection.wait_closed()
    finally:
        charge.sent()


async def _discard_frames(transport: SessionTransport) -> None:
    """Receive and drop frames until the connection is closed."""
    while await transport.receive() is not None:
        pass


def room_id_from_path(segment: str) -> str | None:
    """The room id a percent-encoded path segment names; None when it does not decode to UTF-8
    (``%ff`` and ``%fe`` must not both name the room ``\ufffd``)."""
    try:
        return unquote(segment, errors="strict")
    except UnicodeDecodeError:
        return None


def _decoded(segment: str) -> str:
    """:func:`room_id_from_path` of a segment :meth:`TLSyncHost.handle_http` let through."""
    room_id = room_id_from_path(segment)
    assert room_id is not None
    return room_id


def _close_reason(text: str) -> str:
    """``text`` cut to fit a close frame (at most 123 bytes of UTF-8)."""
    data = text.encode("utf-8", "replace")
    if len(data) <= 123:
        return text
    return data[:120].decode("utf-8", "ignore") + "..."


def _note_legacy_rejection(session: RoomSession, text: str) -> None:
    """A connect request that failed its checks still says how its client takes a refusal.

    The room learns a session's protocol version from its connect; one that never reached the
    room (a bad schema, a missing field) from a protocol 3, 5 or 6 client must be refused with
    an ``incompatibility_error`` all the same, as 5.4.2 refuses it.
    """
    try:
        value = loads_frame(text)
    except ProtocolError:
        return
    if type(value) is dict and value.get("type") == "connect":
        negotiation = negotiate_protocol_version(value.get("protocolVersion"))
        session.requires_legacy_rejection = negotiation.requires_legacy_rejection


def _query(path: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(path).query).items()}


def _ws_auth_request(room_id: str, request: Request) -> AuthRequest:
    return AuthRequest(
        room_id=room_id,
        path=request.path,
        query=_query(request.path),
        headers={k.lower(): v for k, v in request.headers.raw_items()},
    )


def _http_auth_request(room_id: str, request: HttpRequest) -> AuthRequest:
    return AuthRequest(
        room_id=room_id, path=request.target, query=request.query, headers=request.headers
    )


def _respond(
    connection: ServerConnection,
    status: int,
    body: bytes,
    content_type: str,
    extra_headers: tuple[tuple[str, str], ...] = (),
    *,
    head: bool = False,
) -> Response:
    response = connection.respond(status, "")
    headers = Headers(
        [
            (k, v)
            for k, v in response.headers.raw_items()
            if k.lower() not in ("content-type", "content-length")
        ]
    )
    headers["Content-Type"] = content_type
    headers["Content-Length"] = str(len(body))
    for name, value in extra_headers:
        headers[name] = value
    return Response(response.status_code, response.reason_phrase, headers, b"" if head else body)
