"""The server on its own ``websockets`` listener: rooms at ``ws://HOST:PORT/connect/<room-id>``.

:class:`TLSyncServer` is a :class:`~tlsync_core.server.host.TLSyncHost` with a listener: each
accepted websocket becomes a :class:`WebsocketsTransport` served by the host, each plain HTTP
request is answered from the host's route table.  It also implements :class:`TLServer`, the
original API's abstract server (a registry of rooms, and a connection handler).
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, Self
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.protocol import State

from tlsync_core.schemas import SchemaLike
from tlsync_core.server.auth import Authorize, AuthRequest
from tlsync_core.server.cluster import LeaseKeeper
from tlsync_core.server.host import RoomForId, TLSyncHost
from tlsync_core.server.http_routes import (
    CONNECT_PATH,
    HttpRequest,
    HttpResponse,
    SentBody,
    query_params,
    room_id_from_path,
)
from tlsync_core.server.leases import Holder
from tlsync_core.server.limits import ServerLimits
from tlsync_core.server.persistence import RoomPersistence
from tlsync_core.server.relay import RELAYED_HEADER, relay_websocket
from tlsync_core.server.transport import (
    GOING_AWAY,
    TRY_AGAIN_LATER,
    SessionTransport,
    TransportClosed,
)
from tlsync_core.server.ws_guard import GuardedConnection

logger = logging.getLogger("tlsync_core.server")

POLICY_VIOLATION = 1008


class TLServer(abc.ABC):
    """The original API's abstract server: where rooms are kept, how connections reach them.

    :class:`TLSyncServer` implements it (with :class:`~tlsync_core.server.host.TLSyncHost`'s
    registry and hooks); a subclass may override the hooks.
    """

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


class TLSyncServer(TLSyncHost, TLServer):
    """The server on its own ``websockets`` listener: run it, or embed it in an asyncio app.

    ``async with TLSyncServer(schema=..., persistence=SQLitePersistence("rooms.sqlite")) as
    server:`` listens (``port=0`` picks a free port; see :attr:`port`).  In a cluster
    (``cluster``), a session of a room another node hosts is relayed there
    (:mod:`~tlsync_core.server.relay`).  ``reuse_port`` lets several processes listen on the
    same port (``SO_REUSEPORT``: ``tlsync serve --workers N``); such a process also listens on a
    port of its own, :attr:`private_port` (``private_port=0`` picks a free one), which is the
    one other nodes relay to (a shared port would reach any of the processes).
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
        cluster: LeaseKeeper | None = None,
        reuse_port: bool = False,
        private_port: int | None = None,
    ) -> None:
        super().__init__(
            schema=schema,
            persistence=persistence,
            authorize=authorize,
            limits=limits,
            cluster=cluster,
        )
        self.host = host
        self.port = port
        self.reuse_port = reuse_port
        self.private_port = private_port
        self._server: Server | None = None
        self._private: Server | None = None
        self._relayed: set[ServerConnection] = set()
        self._responses: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    async def start(self) -> None:
        """Start listening (once: a server already listening stays as it is)."""
        if self._server is not None:
            return
        self._server = await self._listen(self.port, reuse_port=self.reuse_port)
        sockets = self._server.sockets
        if sockets:
            self.port = sockets[0].getsockname()[1]
        if self.private_port is not None:
            self._private = await self._listen(self.private_port, reuse_port=False)
            self.private_port = self._private.sockets[0].getsockname()[1]
        logger.info("tlsync server listening on ws://%s:%s/connect/<room-id>", self.host, self.port)

    async def _listen(self, port: int, *, reuse_port: bool) -> Server:
        return await serve(
            self._handler,
            self.host,
            port,
            process_request=self._process_request,
            max_size=self.limits.max_frame_bytes,
            ping_interval=20,
            ping_timeout=20,
            compression=None,
            create_connection=GuardedConnection,
            # frames wait in websockets' queue only while a session is busy (or storage down)
            max_queue=2,
            reuse_port=reuse_port,
        )

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def handle_connection(self, ws: ServerConnection, room_id: str) -> None:
        """Serve one websocket as a session of ``room_id`` until it closes."""
        request = ws.request
        assert request is not None
        auth = AuthRequest(
            room_id=room_id,
            path=request.path,
            query=query_params(request.path),
            headers={k.lower(): v for k, v in request.headers.raw_items()},
        )
        limits = self.limits
        await self.serve_session(
            WebsocketsTransport(ws, limits.close_timeout, limits.shed_close_timeout), auth
        )

    async def serve_elsewhere(
        self, transport: SessionTransport, request: AuthRequest, holder: Holder
    ) -> None:
        """Relay the session to the room's host (never a relayed one again, never to itself)."""
        own = self.cluster.address if self.cluster is not None else None
        if (
            not isinstance(transport, WebsocketsTransport)
            or RELAYED_HEADER in request.headers
            or holder.address == own
        ):
            await super().serve_elsewhere(transport, request, holder)
            return
        ws = transport.connection
        self._relayed.add(ws)
        try:
            await relay_websocket(
                ws,
                holder.address.rstrip("/") + request.path,
                list(ws.request.headers.raw_items()) if ws.request is not None else [],
                relayed_by=own or self.url,
            )
        finally:
            self._relayed.discard(ws)

    async def _handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        match = CONNECT_PATH.match(urlsplit(ws.request.path).path)
        room_id = None if match is None else room_id_from_path(match.group(1))
        if room_id is None:  # (refused in _process_request already)
            await ws.close(POLICY_VIOLATION, "bad path")
            return
        await self.handle_connection(ws, room_id)

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
        return _respond(connection, response, head=request.method == "HEAD")

    async def _stop_accepting(self) -> None:
        # relayed sessions are no room's: sent away here (their relays close their upstreams)
        relayed = [ws.close(GOING_AWAY, "server shutting down") for ws in self._relayed]
        await asyncio.gather(*relayed, return_exceptions=True)
        servers = [server for server in (self._server, self._private) if server is not None]
        for server in servers:
            server.close(close_connections=False)
        await asyncio.sleep(0)
        for server in servers:
            server.close()
            await server.wait_closed()
        for task in list(self._responses):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class WebsocketsTransport:
    """A ``websockets`` server connection as a
    :class:`~tlsync_core.server.transport.SessionTransport` (its own listener caps frame sizes,
    with 1009)."""

    __slots__ = ("_close_timeout", "_shed_close_timeout", "_ws")

    def __init__(
        self, ws: ServerConnection, close_timeout: float, shed_close_timeout: float
    ) -> None:
        self._ws = ws
        self._close_timeout = close_timeout
        self._shed_close_timeout = shed_close_timeout

    @property
    def connection(self) -> ServerConnection:
        """The websocket (to relay it)."""
        return self._ws

    async def receive(self) -> str | bytes | None:
        try:
            return await self._ws.recv()
        except ConnectionClosed:
            return None

    def send_now(self, text: str) -> bool:
        # the sans-I/O protocol frames the message and the frame goes straight into the
        # socket's buffer: what ``send`` does, without a task switch, when it would not wait
        ws = self._ws
        transport = ws.transport
        if (
            ws.protocol.state is not State.OPEN
            or transport.is_closing()
            or transport.get_write_buffer_size() >= transport.get_write_buffer_limits()[1]
        ):
            return False
        ws.protocol.send_text(text.encode())
        for data in ws.protocol.data_to_send():
            transport.write(data)
        return True

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


async def _release_when_closed(connection: ServerConnection, charge: SentBody) -> None:
    """Release an HTTP body's budget once its connection closed (the body was sent)."""
    try:
        await connection.wait_closed()
    finally:
        charge.sent()


def _respond(connection: ServerConnection, response: HttpResponse, *, head: bool) -> Response:
    """``response`` as ``websockets`` writes it (no body for a HEAD request)."""
    base = connection.respond(response.status, "")
    headers = Headers(
        [
            (k, v)
            for k, v in base.headers.raw_items()
            if k.lower() not in ("content-type", "content-length")
        ]
    )
    headers["Content-Type"] = response.content_type
    if response.status != HTTPStatus.NOT_MODIFIED:  # (a 304's length would be the 200's)
        headers["Content-Length"] = str(len(response.body))
    for name, value in response.headers:
        headers[name] = value
    return Response(base.status_code, base.reason_phrase, headers, b"" if head else response.body)
