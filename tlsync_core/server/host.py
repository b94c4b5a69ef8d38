"""The room host: the whole server but its network (rooms, sessions, storage, HTTP routes).

Theory of operation
===================

Roles.  :class:`TLSyncHost` keeps the rooms (a registry of :class:`RoomForId`, each room loaded
once however many sessions ask for it, and unloaded a grace period after its last session left)
and serves sessions handed to it by a front end: the ``websockets`` server
(:class:`~tlsync_core.server.websockets_server.TLSyncServer`) or the ASGI app
(:class:`~tlsync_core.server.asgi.TLSyncASGIApp`).  A front end wraps each accepted websocket in
a :class:`~tlsync_core.server.transport.SessionTransport` and calls :meth:`TLSyncHost.
serve_session`, and answers HTTP with :meth:`TLSyncHost.handle_http` (the route table of
:mod:`~tlsync_core.server.http_routes`).  Both front ends therefore behave the same (SPEC §5).

A session.  The host asks the auth hook, finds or loads the room, checks the room's capacity,
and opens the session on the room's :class:`~tlsync_core.endpoint.SessionEndpoint` with a
:class:`~tlsync_core.server.outbox.SessionOutbox` as its socket.  Then it only shuttles: every
frame goes to the endpoint (which assembles, parses, rate-limits and hands it to the pure
:class:`~tlsync_core.room.room.TLSyncRoom`); the room's messages go out through the outbox.  Each
room has a :class:`~tlsync_core.server.room_timer.RoomTimer` that ticks it at its next deadline
(a batch to flush, a session to prune).

Durability.  Rooms run with ``durable=False``: each committed transaction is queued for the
storage thread (:mod:`tlsync_core.server.storage_writer`, incremental writes, group commit) and
held back from clients; once the thread's commit returned, the rooms release their messages
with ``mark_durable``.  A push is therefore acknowledged only after its change is on disk, and a
``kill -9`` loses nothing that was acknowledged.  The event loop never waits on storage: a
commit that fails (disk full, a lock held by another process, a vanished file) holds every
acknowledgement, patch and connect answer of the rooms involved until a retry succeeds, a room
snapshot is served only once it is durable, and while storage fails the host stops reading
from clients (backpressure instead of memory ahead of disk).  ``/healthz`` reports storage.

Cluster.  With a :class:`~tlsync_core.server.cluster.LeaseKeeper` (PostgreSQL, ``tlsync
serve --db postgresql://...``) a room is loaded only under its lease, and a room whose lease is
held by another node is served there (:meth:`TLSyncHost.serve_elsewhere`: the front end relays).
A room whose lease is lost, or whose write was fenced, is closed at once: its sessions are sent
away with 1012 (they reconnect, and reach the room's new host), its unacknowledged writes are
dropped, nothing is retried.  An unloaded room's lease is released, and :meth:`TLSyncHost.close`
releases them all once storage is committed.

Lifecycle.  A new room is stored before its first session is served.  :meth:`TLSyncHost.close`
closes every session with 1001 (going away: clients reconnect), waits for them at most the
limits' ``close_timeout``, lets the front end stop accepting, commits, and closes the
persistence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any, Self

import attrs

from tlsync_core.endpoint import MESSAGE_TOO_BIG, FrameOutcome, SessionEndpoint
from tlsync_core.protocol.close_codes import TLSyncErrorCloseEventCode
from tlsync_core.protocol.close_codes import TLSyncErrorCloseEventReason as Reason
from tlsync_core.room.room import TLSyncRoom
from tlsync_core.room.session import SessionState
from tlsync_core.room.storage import ForwardDiff
from tlsync_core.schemas import SchemaLike, resolve_schema
from tlsync_core.server.auth import AuthDecision, Authorize, AuthRequest, decide
from tlsync_core.server.cluster import HeldElsewhere, LeaseKeeper
from tlsync_core.server.http_routes import HttpRequest, HttpResponse, handle_http
from tlsync_core.server.leases import FencedError, Holder
from tlsync_core.server.limits import ServerLimits
from tlsync_core.server.memory_budget import MemoryBudget
from tlsync_core.server.outbox import BroadcastEncoder, SessionOutbox
from tlsync_core.server.persistence import MemoryPersistence, RoomPersistence
from tlsync_core.server.room_timer import RoomTimer, room_clock
from tlsync_core.server.storage_writer import StorageWriter
from tlsync_core.server.transport import (
    GOING_AWAY,
    ROOM_MOVED,
    TRY_AGAIN_LATER,
    FrameTooLarge,
    SessionTransport,
    discard_frames,
)
from tlsync_core.store import unique_id

logger = logging.getLogger("tlsync_core.server")


class RoomForId:
    """A loaded room and its bookkeeping (``RoomForId`` in the original API, SPEC.md PR1): the
    room, the endpoint its sessions' frames go through, its unload timer and its deadline timer."""

    def __init__(self, room_id: str, room: TLSyncRoom, endpoint: SessionEndpoint) -> None:
        self.id = room_id
        self.room = room
        self.endpoint = endpoint
        self.timeout: asyncio.TimerHandle | None = None
        self.timer: RoomTimer | None = None

    def poke(self) -> None:
        """The room's next deadline may have moved (a message came or went)."""
        if self.timer is not None:
            self.timer.poke()


class TLSyncHost:
    """The server without its network (see the module docstring).

    The hooks (:meth:`load_from_database`, :meth:`persist_to_database`, :meth:`log_event`)
    are overridable the same way under both front ends.  Runs on the event loop of its first
    connection.  ``cluster`` hosts rooms under leases (see the module docstring).
    """

    #: The tldraw license key the editor page (``/rooms/<id>``) hands to tldraw, if any
    #: (``tlsync serve --tldraw-license-key``; set it before serving).
    tldraw_license_key: str | None = None

    def __init__(
        self,
        *,
        schema: SchemaLike = "tldraw",
        persistence: RoomPersistence | None = None,
        authorize: Authorize | None = None,
        limits: ServerLimits | None = None,
        cluster: LeaseKeeper | None = None,
    ) -> None:
        self.schema = resolve_schema(schema)
        self.persistence: RoomPersistence = persistence or MemoryPersistence()
        self.authorize = authorize
        self.limits = limits or ServerLimits()
        self._rooms: dict[str, RoomForId] = {}
        self._loading: dict[str, asyncio.Task[RoomForId]] = {}
        self._sessions: set[asyncio.Task[Any]] = set()
        self.cluster = cluster
        self._releases: set[asyncio.Task[None]] = set()
        self.storage = StorageWriter(
            self.persistence, on_durable=self._on_durable, on_fenced=self._fenced
        )
        self.budget = MemoryBudget(self.limits.memory_budget_bytes)
        self._encoder = BroadcastEncoder()
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
        error = None if task.cancelled() else task.exception()
        if error is not None and not isinstance(error, HeldElsewhere):
            logger.error("loading room %r failed: %s", room_id, error)

    async def _load_room(self, room_id: str) -> RoomForId:
        cluster = self.cluster
        if cluster is None:
            snapshot = await self.storage.run(lambda: self.load_from_database(room_id))
        else:
            cluster.start(self._evict)
            # the writes of a former hosting period settle first (see the cluster module)
            async with asyncio.timeout(self.limits.snapshot_durable_timeout):
                await self.storage.durable(self.storage.last_seq(room_id))
            snapshot = await self.storage.run(
                lambda: cluster.take_and_load(room_id, lambda: self.load_from_database(room_id))
            )

        def on_commit(changes: ForwardDiff, clock: int) -> None:
            self._stage(room_id, changes, clock)

        room = TLSyncRoom(
            self.schema,
            snapshot,
            now=room_clock,
            durable=False,
            on_commit=on_commit,
            log_event=lambda event: self._room_event(room_id, event),
        )
        if snapshot is None:
            # a new room is served once it is stored: a restart must not make it anew (with
            # other clocks) under clients that saw it
            await self.storage.durable(self.storage.save(room_id, room.get_snapshot()))
        if cluster is not None and cluster.fence(room_id) is None:
            raise FencedError(room_id, f"room {room_id!r}: its lease was lost while it loaded")
        endpoint = SessionEndpoint(
            room, now=room_clock, limits=self.limits.endpoint, budget=self.budget
        )
        entry = RoomForId(room_id, room, endpoint)
        self.set_room_for_id(room_id, entry)
        entry.timer = RoomTimer(room)
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
                entry.poke()

    def _fenced(self, room_id: str) -> None:
        """A write of the room was refused: another node hosts it now."""
        if self.cluster is not None:
            self.cluster.forget(room_id)
        self._evict(room_id)

    def _evict(self, room_id: str) -> None:
        """Close a room this node no longer holds the lease of: its sessions go away (1012, they
        reconnect to its new host) and what it held for durability is dropped with it."""
        entry = self._rooms.get(room_id)
        if entry is None:
            return
        for connection in list(entry.endpoint.connections.values()):
            connection.socket.close(ROOM_MOVED, "room moved to another node")
        if entry.timeout is not None:
            entry.timeout.cancel()
            entry.timeout = None
        self.delete_room_for_id(room_id)
        self.log_event({"type": "room_lost", "room_id": room_id})

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
        cluster = self.cluster
        if cluster is not None:
            release = asyncio.get_running_loop().create_task(
                self.storage.run(lambda: cluster.release(room_id))
            )
            self._releases.add(release)
            release.add_done_callback(self._releases.discard)

    def _maybe_unload_soon(self, room_id: str) -> None:
        entry = self._rooms.get(room_id)
        if entry is not None and not entry.room.sessions and entry.timeout is None:
            entry.timeout = asyncio.get_running_loop().call_later(
                self.limits.room_unload_grace_seconds, self._unload, room_id
            )

    # sessions -------------------------------------------------------------------------------

    async def authorize_request(self, request: AuthRequest) -> AuthDecision:
        """The auth hook's decision (allow when there is no hook; refuse when it fails)."""
        return await decide(self.authorize, request)

    async def serve_session(self, transport: SessionTransport, request: AuthRequest) -> None:
        """Serve one accepted websocket as a session of ``request.room_id`` until it is over.

        The auth hook decides first (a refusal closes with 4099 and the reason); then frames
        from ``transport`` go to the room's endpoint and the room's messages back through a
        bounded outbox.  Returns once the session ended and its connection was closed.
        """
        task = asyncio.current_task()
        if task is not None:
            self._sessions.add(task)
        try:
            await self._serve_session(transport, request)
        finally:
            if task is not None:
                self._sessions.discard(task)

    async def _admit(
        self, transport: SessionTransport, request: AuthRequest
    ) -> tuple[RoomForId, AuthDecision] | None:
        """The room a session joins and its rights; None once the session was refused."""
        decision = await self.authorize_request(request)
        if not decision.allowed:
            reason = str(decision.reason or Reason.FORBIDDEN)
            await transport.close(TLSyncErrorCloseEventCode, reason)
            return None
        if request.asks_readonly:  # (can only take rights away)
            decision = attrs.evolve(decision, readonly=True)
        if self._closing:
            await transport.close(GOING_AWAY, "server shutting down")
            return None
        try:
            entry = await self._room(request.room_id)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            # (close() cancelled the room's loading: this session is sent away like the rest)
            await transport.close(GOING_AWAY, "server shutting down")
            return None
        except HeldElsewhere as elsewhere:
            await self.serve_elsewhere(transport, request, elsewhere.holder)
            return None
        except Exception as error:
            logger.warning(
                "session for room %r refused: its room could not load: %s", request.room_id, error
            )
            await transport.close(TRY_AGAIN_LATER, "storage unavailable: try again later")
            return None
        if self._closing:
            await transport.close(GOING_AWAY, "server shutting down")
            return None
        live = sum(
            1 for s in entry.room.sessions.values() if s.state is not SessionState.AWAITING_REMOVAL
        )
        if live >= self.limits.max_sessions_per_room:
            await transport.close(TLSyncErrorCloseEventCode, str(Reason.ROOM_FULL))
            self._maybe_unload_soon(request.room_id)
            return None
        return entry, decision

    async def serve_elsewhere(
        self, transport: SessionTransport, request: AuthRequest, holder: Holder
    ) -> None:
        """Serve a session of a room another node hosts (``holder``); a front end that can
        relays it there, this one sends the client away to try again later."""
        del request, holder
        await transport.close(TRY_AGAIN_LATER, "room hosted by another node: try again later")

    async def _serve_session(self, transport: SessionTransport, request: AuthRequest) -> None:
        admitted = await self._admit(transport, request)
        if admitted is None:
            return
        entry, decision = admitted
        endpoint = entry.endpoint
        socket = SessionOutbox(transport, self.limits, self.budget, self._encoder)
        connection = endpoint.open(
            request.query.get("sessionId") or unique_id(),
            socket,
            is_readonly=decision.readonly,
            meta=decision.meta,
        )
        try:
            while True:
                while self.storage.failing and not self._closing:
                    # backpressure: read nothing more while nothing can become durable
                    await self.storage.wait_healthy(timeout=1.0)
                frame = await transport.receive()
                if frame is None:
                    break
                if self._closing or self._rooms.get(request.room_id) is not entry:
                    # sent away already (shutting down, or the room moved to another node: a
                    # frame must not change a room no longer hosted here): the next session
                    # takes the rest
                    break
                if endpoint.receive(connection, frame) is not FrameOutcome.HANDLED:
                    break
                entry.poke()
        except FrameTooLarge:
            socket.close(MESSAGE_TOO_BIG, "frame too large")
        finally:
            socket.lost()
            endpoint.closed(connection)
            entry.poke()
            # read (and drop) what the peer still sends while the writer closes: websockets
            # stops reading a connection whose frames nobody takes, and the peer's close frame
            # would wait behind them (a flooder's close took the whole close timeout)
            drain = asyncio.get_running_loop().create_task(discard_frames(transport))
            try:
                with contextlib.suppress(Exception):
                    await socket.writer
            finally:
                drain.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await drain
                self.budget.release_all(socket)

    # HTTP -----------------------------------------------------------------------------------

    async def handle_http(self, request: HttpRequest) -> HttpResponse | None:
        """Answer an HTTP request (both front ends); None for a websocket route (upgrade)."""
        return await handle_http(self, request)

    # running --------------------------------------------------------------------------------

    async def close(self) -> None:
        """Stop accepting, send everyone away (they reconnect), commit and close storage."""
        if self._closing:
            return
        self._closing = True
        for entry in list(self._rooms.values()):
            for connection in list(entry.endpoint.connections.values()):
                connection.socket.close(GOING_AWAY, "server shutting down")
        await self._stop_accepting()
        current = asyncio.current_task()
        sessions = [task for task in self._sessions if task is not current and not task.done()]
        if sessions:
            await asyncio.wait(sessions, timeout=self.limits.close_timeout)
        for loading in list(self._loading.values()):
            loading.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await loading
        for room_id in list(self._rooms):
            entry = self._rooms[room_id]
            if entry.timeout is not None:
                entry.timeout.cancel()
            self.delete_room_for_id(room_id)
        for release in list(self._releases):
            with contextlib.suppress(Exception):
                await release
        await self.storage.close()
        if self.cluster is not None:
            await self.cluster.close()

    async def _stop_accepting(self) -> None:
        """A front end's hook in :meth:`close`, once every session was sent away: stop taking
        connections and end the open ones."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
