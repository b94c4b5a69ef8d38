"""The websocket server: rooms at ``ws://HOST:PORT/connect/<room-id>`` (the only network code
of the server side).

Theory of operation
===================

Each websocket is one session of one room.  The server authenticates the upgrade (an
``authorize`` hook that may allow, allow read-only, or refuse with a 4099 reason), finds or
loads the room (:class:`RoomForId`), and then only shuttles: frames in are reassembled (chunks),
parsed (anything malformed closes that session alone, never the server) and handed to the pure
:class:`TLSyncRoom`; messages out are serialised into a bounded per-session outbox drained by a
writer task, so a consumer that stops reading is disconnected instead of growing memory, and
catches up when it reconnects.  Each room has a timer task that sleeps until the room's next
deadline (a batch to flush, a session to prune) or until a message arrives.

Durability.  Rooms run with ``durable=False``: each committed transaction is staged into the
persistence (incremental writes) and held back from clients; once per event-loop turn the server
commits everything staged (group commit) and releases the rooms' messages with
``mark_durable``.  A push is therefore acknowledged only after its change is on disk, and a
``kill -9`` loses nothing that was acknowledged.

Lifecycle.  Rooms are created on first connect (from persistence when stored), and unloaded a
grace period after their last session left.  ``close()`` stops accepting, closes every session
with 1001 (going away: clients reconnect), commits, and closes the persistence.
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
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import attrs
import orjson
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from tlsync_core.protocol.chunking import ChunkAssembler
from tlsync_core.protocol.close_codes import TLSyncErrorCloseEventCode, TLSyncErrorCloseEventReason
from tlsync_core.protocol.codec import parse_client_message, serialize_message
from tlsync_core.protocol.errors import ChunkError, ProtocolError
from tlsync_core.room.room import TLSyncRoom
from tlsync_core.room.session import SessionState
from tlsync_core.room.storage import ForwardDiff
from tlsync_core.server.persistence import MemoryPersistence, RoomPersistence
from tlsync_core.store import StoreSchema, unique_id

logger = logging.getLogger("tlsync_core.server")

Reason = TLSyncErrorCloseEventReason
_CONNECT_PATH = re.compile(r"^/connect/([^/?#]+)$")
_SNAPSHOT_PATH = re.compile(r"^/rooms/([^/?#]+)/snapshot$")
GOING_AWAY = 1001
TRY_AGAIN_LATER = 1013


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


class RoomForId:
    """A loaded room and its bookkeeping (the seed's ``RoomForId``)."""

    def __init__(self, room_id: str, room: TLSyncRoom) -> None:
        self.id = room_id
        self.room = room
        self.clients: dict[str, _Socket] = {}
        self.timeout: asyncio.TimerHandle | None = None
        self.wake = asyncio.Event()
        self.timer: asyncio.Task[None] | None = None


class TLServer(abc.ABC):
    """The seed's abstract server: where rooms are kept, and how connections reach them."""

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


class _Socket:
    """A session's connection as the room sees it: a bounded outbox drained by a writer task."""

    def __init__(self, ws: ServerConnection, limits: ServerLimits) -> None:
        self._ws = ws
        self._limits = limits
        self._outbox: deque[str] = deque()
        self._outbox_bytes = 0
        self._ready = asyncio.Event()
        self._close: tuple[int, str] | None = None
        self._open = True
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
        self._outbox.append(text)
        self._outbox_bytes += len(text)
        if (
            len(self._outbox) > self._limits.max_outbox_messages
            or self._outbox_bytes > self._limits.max_outbox_bytes
        ):
            logger.warning("disconnecting a session that stopped reading (outbox full)")
            self._outbox.clear()
            self._outbox_bytes = 0
            self.close(TRY_AGAIN_LATER, "outbox full: reconnect to catch up")
            return
        self._ready.set()

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        if self._close is None:
            self._close = (1000 if code is None else code, reason or "")
            self._ready.set()

    async def _write(self) -> None:
        try:
            while True:
                await self._ready.wait()
                self._ready.clear()
                while self._outbox:
                    text = self._outbox.popleft()
                    self._outbox_bytes -= len(text)
                    await self._ws.send(text)
                    del text  # an idle session must not keep its last (maybe huge) frame
                if self._close is not None:
                    await self._ws.close(*self._close)
                    return
        except ConnectionClosed:
            pass
        finally:
            self._open = False

    def lost(self) -> None:
        """The connection is gone: stop writing."""
        self._open = False
        self._ready.set()
        if self._close is None:
            self._close = (1000, "")


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


class TLSyncServer(TLServer):
    """A concrete server on ``websockets``: run it, or embed it in an asyncio application.

    ``async with TLSyncServer(schema=..., persistence=SQLitePersistence("rooms.sqlite")) as
    server:`` listens (``port=0`` picks a free port; see :attr:`port`).
    """

    def __init__(
        self,
        *,
        schema: StoreSchema,
        persistence: RoomPersistence | None = None,
        host: str = "127.0.0.1",
        port: int = 5858,
        authorize: Authorize | None = None,
        limits: ServerLimits | None = None,
    ) -> None:
        self.schema = schema
        self.persistence: RoomPersistence = persistence or MemoryPersistence()
        self.host = host
        self.port = port
        self.authorize = authorize
        self.limits = limits or ServerLimits()
        self._rooms: dict[str, RoomForId] = {}
        self._server: Server | None = None
        self._dirty: set[str] = set()
        self._commit_scheduled = False
        self._closing = False

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
        return self.persistence.load(room_id)

    def persist_to_database(self, room_id: str) -> None:
        self._commit()

    def _room(self, room_id: str) -> RoomForId:
        entry = self.get_room_for_id(room_id)
        if entry is not None:
            if entry.timeout is not None:
                entry.timeout.cancel()
                entry.timeout = None
            return entry
        snapshot = self.load_from_database(room_id)

        def on_commit(changes: ForwardDiff, clock: int) -> None:
            self._stage(room_id, changes, clock)

        room = TLSyncRoom(
            self.schema,
            snapshot,
            now=lambda: time.monotonic() * 1000.0,
            durable=False,
            on_commit=on_commit,
            log_event=lambda event: self._room_event(room_id, event),
        )
        entry = RoomForId(room_id, room)
        self.set_room_for_id(room_id, entry)
        if snapshot is None:
            self.persistence.save(room_id, room.get_snapshot())
            self._schedule_commit(room_id)
        entry.timer = asyncio.get_running_loop().create_task(self._run_timers(entry))
        self.log_event({"type": "room_loaded", "room_id": room_id})
        return entry

    def _stage(self, room_id: str, changes: ForwardDiff, clock: int) -> None:
        entry = self._rooms.get(room_id)
        storage = entry.room.storage if entry is not None else None
        self.persistence.stage(
            room_id,
            changes,
            clock=clock,
            tombstone_history_starts_at_clock=(
                storage.tombstone_history_starts_at_clock if storage else 0
            ),
            schema=storage.schema if storage else None,
        )
        self._schedule_commit(room_id)

    def _schedule_commit(self, room_id: str) -> None:
        self._dirty.add(room_id)
        if not self._commit_scheduled:
            self._commit_scheduled = True
            asyncio.get_running_loop().call_soon(self._commit)

    def _commit(self) -> None:
        """Group commit: everything staged this turn becomes durable, then is acknowledged."""
        self._commit_scheduled = False
        self.persistence.commit()
        dirty, self._dirty = self._dirty, set()
        for room_id in dirty:
            entry = self._rooms.get(room_id)
            if entry is not None:
                entry.room.mark_durable(entry.room.clock)
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
        self.persist_to_database(room_id)
        self.delete_room_for_id(room_id)
        self.log_event({"type": "room_unloaded", "room_id": room_id})

    async def _run_timers(self, entry: RoomForId) -> None:
        room = entry.room
        while True:
            deadline = room.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline / 1000.0 - time.monotonic())
            # (asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await entry.wake.wait()
            entry.wake.clear()
            room.tick()

    # connections ----------------------------------------------------------------------------

    async def handle_connection(self, ws: ServerConnection, room_id: str) -> None:
        """Serve one websocket as a session of ``room_id`` until it closes."""
        request = ws.request
        assert request is not None
        decision = await self._authorize(room_id, request)
        if not decision.allowed:
            await ws.close(TLSyncErrorCloseEventCode, str(decision.reason or Reason.FORBIDDEN))
            return
        if self._closing:
            await ws.close(GOING_AWAY, "server shutting down")
            return
        entry = self._room(room_id)
        room = entry.room
        live = sum(
            1 for s in room.sessions.values() if s.state is not SessionState.AWAITING_REMOVAL
        )
        if live >= self.limits.max_sessions_per_room:
            await ws.close(TLSyncErrorCloseEventCode, str(Reason.ROOM_FULL))
            self._maybe_unload_soon(room_id)
            return
        query = _query(request.path)
        session_id = query.get("sessionId") or unique_id()
        socket = _Socket(ws, self.limits)
        entry.clients[session_id] = socket
        room.handle_new_session(
            session_id, socket, is_readonly=decision.readonly, meta=decision.meta
        )
        assembler = ChunkAssembler(
            max_chunks=self.limits.max_chunks, max_size=self.limits.max_message_bytes
        )
        limiter = _RateLimiter(self.limits.messages_per_second, self.limits.message_burst)
        try:
            async for frame in ws:
                if not limiter.allow():
                    room.close_session(session_id, Reason.RATE_LIMITED)
                    break
                if not self._handle_frame(entry, session_id, assembler, frame):
                    break
                entry.wake.set()
        except ConnectionClosed:
            pass
        finally:
            socket.lost()
            current = room.sessions.get(session_id)
            if current is not None and current.socket is socket:
                room.handle_close(session_id)
            if entry.clients.get(session_id) is socket:
                del entry.clients[session_id]
            entry.wake.set()
            with contextlib.suppress(Exception):
                await socket.writer

    def _handle_frame(
        self, entry: RoomForId, session_id: str, assembler: ChunkAssembler, frame: str | bytes
    ) -> bool:
        """Handle one frame; False when the session is over."""
        room = entry.room
        session = room.sessions.get(session_id)
        if session is None or session.state is SessionState.AWAITING_REMOVAL:
            return False
        try:
            text = assembler.handle_frame(frame)
            if text is None:
                return True
            dialect = session.dialect if session.state is SessionState.CONNECTED else None
            message = parse_client_message(text, dialect=dialect)  # type: ignore[arg-type]
        except ChunkError as error:
            logger.info("session %s sent a bad chunk sequence: %s", session_id, error)
            room.handle_close(session_id)
            return False
        except ProtocolError as error:
            logger.info("session %s sent an invalid message: %s", session_id, error)
            room.close_session(session_id, error.close_reason)
            return False
        room.handle_message(session_id, dict(message))
        return session_id in room.sessions

    def _maybe_unload_soon(self, room_id: str) -> None:
        entry = self._rooms.get(room_id)
        if entry is not None and not entry.room.sessions and entry.timeout is None:
            entry.timeout = asyncio.get_running_loop().call_later(
                self.limits.room_unload_grace_seconds, self._unload, room_id
            )

    async def _authorize(self, room_id: str, request: Request) -> AuthDecision:
        if self.authorize is None:
            return AuthDecision.allow()
        auth = AuthRequest(
            room_id=room_id,
            path=request.path,
            query=_query(request.path),
            headers={k.lower(): v for k, v in request.headers.raw_items()},
        )
        try:
            decision = self.authorize(auth)
            if not isinstance(decision, AuthDecision):
                decision = await decision
        except Exception:
            logger.exception("the authorize hook failed; refusing the connection")
            return AuthDecision.refuse(Reason.UNKNOWN_ERROR)
        return decision

    # HTTP -----------------------------------------------------------------------------------

    async def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        path = urlsplit(request.path).path
        if path == "/healthz":
            return _respond(connection, HTTPStatus.OK, b'{"ok":true}', "application/json")
        match = _SNAPSHOT_PATH.match(path)
        if match:
            room_id = unquote(match.group(1))
            decision = await self._authorize(room_id, request)
            if not decision.allowed:
                return _respond(
                    connection, HTTPStatus.FORBIDDEN, str(decision.reason).encode(), "text/plain"
                )
            entry = self._rooms.get(room_id)
            snapshot = entry.room.get_snapshot() if entry else self.persistence.load(room_id)
            if snapshot is None:
                return _respond(connection, HTTPStatus.NOT_FOUND, b"no such room", "text/plain")
            return _respond(connection, HTTPStatus.OK, orjson.dumps(snapshot), "application/json")
        if _CONNECT_PATH.match(path):
            return None
        return _respond(connection, HTTPStatus.NOT_FOUND, b"not found", "text/plain")

    async def _handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        match = _CONNECT_PATH.match(urlsplit(ws.request.path).path)
        if match is None:  # (refused in _process_request already)
            await ws.close(1008, "bad path")
            return
        await self.handle_connection(ws, unquote(match.group(1)))

    # running --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start listening."""
        self._server = await serve(
            self._handler,
            self.host,
            self.port,
            process_request=self._process_request,
            max_size=self.limits.max_frame_bytes,
            ping_interval=20,
            ping_timeout=20,
            compression=None,
        )
        sockets = self._server.sockets
        if sockets:
            self.port = sockets[0].getsockname()[1]
        logger.info("tlsync server listening on ws://%s:%s/connect/<room-id>", self.host, self.port)

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    async def close(self) -> None:
        """Stop accepting, send everyone away (they reconnect), commit and close storage."""
        if self._closing:
            return
        self._closing = True
        for entry in list(self._rooms.values()):
            for socket in list(entry.clients.values()):
                socket.close(GOING_AWAY, "server shutting down")
        if self._server is not None:
            self._server.close(close_connections=False)
            await asyncio.sleep(0)
            self._server.close()
            await self._server.wait_closed()
        for room_id in list(self._rooms):
            entry = self._rooms[room_id]
            if entry.timeout is not None:
                entry.timeout.cancel()
            self.delete_room_for_id(room_id)
            if entry.timer is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await entry.timer
        self._commit()
        self.persistence.close()

    async def __aenter__(self) -> TLSyncServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def _query(path: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(path).query).items()}


def _respond(
    connection: ServerConnection, status: HTTPStatus, body: bytes, content_type: str
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
    return Response(response.status_code, response.reason_phrase, headers, body)
