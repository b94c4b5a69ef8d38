"""The server as an ASGI 3 application: rooms inside Starlette or FastAPI, under uvicorn.

::

    from tlsync_core.server.asgi import create_asgi_app

    app = create_asgi_app(schema=schema, persistence=SQLitePersistence("rooms.sqlite"))
    # uvicorn mymodule:app   ->   ws://HOST:PORT/connect/<room-id>

The application is a thin front end over :class:`~tlsync_core.server.TLSyncHost`, the
same room host as :class:`~tlsync_core.server.TLSyncServer`: the same auth hook,
persistence, limits, room lifecycle and HTTP routes (``GET /healthz``,
``GET /rooms/<id>/snapshot`` and the others of :meth:`TLSyncHost.handle_http`).  It depends on
no framework: a plain ASGI 3 callable that a framework can mount.

* websocket ``/connect/<room-id>``: accepted, then served by
  :meth:`TLSyncHost.serve_session` (a refusal of the auth hook closes with 4099 and the
  reason); any other websocket path is denied (404 where the server supports denial
  responses, else 403);
* HTTP ``GET``/``HEAD``: the shared routes; other methods 405;
* lifespan: startup has nothing to start (rooms load on first connect); shutdown sends
  every session away (1001), commits and closes the persistence
  (:meth:`TLSyncASGIApp.close`).  (uvicorn closes its websockets itself before the lifespan
  shutdown, with 1012: clients reconnect either way.)

The auth hook's :class:`~tlsync_core.server.AuthRequest` has the path inside the app
(``/connect/<room-id>?...``, without the mount prefix), so one hook works mounted or not.

Mounted (``Mount("/sync", app)`` in Starlette), paths are relative to the mount point
(``scope["root_path"]``) and the rooms are at ``/sync/connect/<room-id>``.  Frameworks do not
pass lifespan events to mounted apps: give the outer app :meth:`TLSyncASGIApp.lifespan`
(``Starlette(routes=..., lifespan=sync.lifespan)``), or ``await sync.close()`` yourself.

The app runs on asyncio (uvicorn, hypercorn with asyncio), not trio.  The ASGI server's own
frame cap (uvicorn's ``ws_max_size``, 16 MiB by default) must be at least the limits'
``max_frame_bytes`` for the latter to be the one that applies.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from http import HTTPStatus
from typing import Any, TypeAlias
from urllib.parse import quote

from tlsync_core.schemas import SchemaLike
from tlsync_core.server.auth import Authorize, AuthRequest
from tlsync_core.server.host import RoomForId, TLSyncHost
from tlsync_core.server.http_routes import (
    CONNECT_PATH,
    HttpRequest,
    HttpResponse,
    query_params,
    room_id_from_path,
)
from tlsync_core.server.limits import ServerLimits
from tlsync_core.server.persistence import RoomPersistence
from tlsync_core.server.transport import FrameTooLarge, TransportClosed

__all__ = ["ASGIApp", "Receive", "Scope", "Send", "TLSyncASGIApp", "create_asgi_app"]

logger = logging.getLogger("tlsync_core.server")

Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]
ASGIApp: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]

POLICY_VIOLATION = 1008


class TLSyncASGIApp:
    """An ASGI 3 application serving the rooms of ``host`` (see the module docstring).

    Made by :func:`create_asgi_app`; ``TLSyncASGIApp(server)`` also serves the rooms of an
    existing :class:`~tlsync_core.server.TLSyncServer` (the same rooms on both).
    """

    def __init__(self, host: TLSyncHost) -> None:
        self.host = host

    @property
    def rooms(self) -> Mapping[str, RoomForId]:
        """The loaded rooms by id (as :attr:`TLSyncServer.rooms`)."""
        return self.host.rooms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "websocket":
            await self._websocket(scope, receive, send)
        elif kind == "http":
            await self._http(scope, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        else:
            raise ValueError(f"tlsync's ASGI app does not handle {kind!r} connections")

    async def close(self) -> None:
        """Send every session away (1001: clients reconnect), commit and close the storage
        (idempotent; what lifespan shutdown does)."""
        await self.host.close()

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: object = None) -> AsyncIterator[None]:
        """A lifespan for the app this one is mounted in: ``Starlette(..., lifespan=
        sync.lifespan)`` or ``FastAPI(lifespan=sync.lifespan)``; closes the host at shutdown."""
        try:
            yield
        finally:
            await self.host.close()

    # lifespan ---------------------------------------------------------------------------------

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # (nothing to start: rooms load on their first connection)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await self.host.close()
                except Exception as error:
                    logger.exception("tlsync ASGI app: shutdown failed")
                    await send({"type": "lifespan.shutdown.failed", "message": str(error)})
                    return
                await send({"type": "lifespan.shutdown.complete"})
                return

    # HTTP -------------------------------------------------------------------------------------

    async def _http(self, scope: Scope, send: Send) -> None:
        method = scope.get("method", "GET")
        response: HttpResponse | None
        if method not in ("GET", "HEAD"):
            response = HttpResponse(
                HTTPStatus.METHOD_NOT_ALLOWED,
                b"method not allowed\n",
                headers=(("allow", "GET, HEAD"),),
            )
        else:
            response = await self.host.handle_http(_http_request(scope))
            if response is None:  # a websocket route asked for over plain HTTP
                response = HttpResponse(
                    HTTPStatus.UPGRADE_REQUIRED,
                    b"websocket upgrade expected",
                    headers=(("upgrade", "websocket"),),
                )
        headers = [
            (b"content-type", response.content_type.encode("latin-1")),
            *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers),
        ]
        if response.status != HTTPStatus.NOT_MODIFIED:  # (a 304's length would be the 200's)
            headers.append((b"content-length", str(len(response.body)).encode("latin-1")))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        body = b"" if method == "HEAD" else response.body
        try:
            await send({"type": "http.response.body", "body": body})
        finally:
            if response.charge is not None:
                response.charge.sent()

    # websockets -------------------------------------------------------------------------------

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        path = _route_path(scope)
        match = CONNECT_PATH.match(path)
        room_id = None if match is None else room_id_from_path(match.group(1))
        if room_id is None:
            await _deny(scope, send)
            return
        await send({"type": "websocket.accept"})
        query_string = _query_string(scope)
        target = f"{path}?{query_string}" if query_string else path
        request = AuthRequest(
            room_id=room_id,
            path=target,
            query=query_params(target),
            headers=_headers(scope),
        )
        transport = _ASGITransport(receive, send, self.host.limits.max_frame_bytes)
        await self.host.serve_session(transport, request)


def create_asgi_app(
    *,
    schema: SchemaLike = "tldraw",
    persistence: RoomPersistence | None = None,
    authorize: Authorize | None = None,
    limits: ServerLimits | None = None,
    tldraw_license_key: str | None = None,
) -> TLSyncASGIApp:
    """An ASGI app hosting rooms of ``schema`` (a schema or its name; arguments as for
    ``TLSyncServer``: in-memory persistence by default; the ``authorize`` hook sees room id,
    path, query and headers; the editor page hands ``tldraw_license_key`` to tldraw)."""
    host = TLSyncHost(schema=schema, persistence=persistence, authorize=authorize, limits=limits)
    host.tldraw_license_key = tldraw_license_key
    return TLSyncASGIApp(host)


class _ASGITransport:
    """An accepted ASGI websocket as a :class:`~tlsync_core.server.SessionTransport`."""

    __slots__ = ("_closed", "_max_frame_bytes", "_receive", "_send")

    def __init__(self, receive: Receive, send: Send, max_frame_bytes: int) -> None:
        self._receive = receive
        self._send = send
        self._max_frame_bytes = max_frame_bytes
        self._closed = False

    async def receive(self) -> str | bytes | None:
        while True:
            message = await self._receive()
            kind = message["type"]
            if kind == "websocket.disconnect":
                self._closed = True
                return None
            if kind != "websocket.receive":
                continue
            text = message.get("text")
            frame: str | bytes | None = text if text is not None else message.get("bytes")
            if frame is None:
                continue
            if _too_large(frame, self._max_frame_bytes):
                raise FrameTooLarge(f"a frame over {self._max_frame_bytes} bytes")
            return frame

    def send_now(self, text: str) -> bool:
        return False  # (an ASGI send is a coroutine of the server's: the writer awaits it)

    async def send(self, text: str) -> None:
        if self._closed:
            raise TransportClosed
        try:
            await self._send({"type": "websocket.send", "text": text})
        except OSError as error:  # (ASGI servers raise an OSError once the client is gone)
            self._closed = True
            raise TransportClosed from error

    async def close(self, code: int, reason: str) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            await self._send({"type": "websocket.close", "code": code, "reason": reason})


def _too_large(frame: str | bytes, limit: int) -> bool:
    size = len(frame)
    if size > limit:
        return True
    if isinstance(frame, str) and size * 4 > limit:  # (UTF-8 takes up to 4 bytes a character)
        return len(frame.encode()) > limit
    return False


async def _deny(scope: Scope, send: Send) -> None:
    """Refuse a websocket handshake to an unknown path: 404 when the server can say so."""
    if "websocket.http.response" in scope.get("extensions", {}):
        body = b"not found"
        headers = [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(body))]
        await send({"type": "websocket.http.response.start", "status": 404, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": POLICY_VIOLATION})


def _route_path(scope: Scope) -> str:
    """The percent-encoded path inside the app: without the mount prefix (``root_path``)."""
    root_path: str = scope.get("root_path", "")
    path: str = scope["path"]
    if not root_path:
        raw = scope.get("raw_path")
        if raw:
            return bytes(raw).decode("latin-1").partition("?")[0]
    elif path.startswith(root_path):  # (Starlette keeps the prefix in path; older ASGI did not)
        path = path[len(root_path) :] or "/"
    return quote(path, safe="/")


def _query_string(scope: Scope) -> str:
    return bytes(scope.get("query_string", b"")).decode("latin-1")


def _headers(scope: Scope) -> dict[str, str]:
    return {
        bytes(name).decode("latin-1").lower(): bytes(value).decode("latin-1")
        for name, value in scope.get("headers", ())
    }


def _http_request(scope: Scope) -> HttpRequest:
    return HttpRequest(
        path=_route_path(scope),
        query_string=_query_string(scope),
        headers=_headers(scope),
        method=scope.get("method", "GET"),
        root_path=scope.get("root_path", ""),
    )
