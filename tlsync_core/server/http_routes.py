"""The server's HTTP routes, one table shared by both front ends.

A front end turns its request into an :class:`HttpRequest`, calls :func:`handle_http` and
writes the :class:`HttpResponse` its own way (None: the path is the websocket route, to be
upgraded).  The routes are :data:`FIXED_ROUTES` (a path), :data:`ROOM_ROUTES` (a pattern
whose one group is a percent-encoded room id; a room id that does not decode to UTF-8 is
answered 400 on every room route) and the editor bundle's files under :data:`EDITOR_STATIC`.

A room's page, ``/rooms/<id>``, is tldraw's editor synced with the room (``?readonly=1``: a
read-only session; 503 with a page saying how to build the bundle when it was not built); its
SVG live view is ``/rooms/<id>/view``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, unquote, urlsplit

import attrs
import orjson

from tlsync_core.server.auth import AuthDecision, AuthRequest, asks_readonly, decide
from tlsync_core.server.memory_budget import MemoryBudget
from tlsync_core.server.persistence import dumps_json
from tlsync_core.views.editor_bundle import (
    bundle_file,
    bundle_version,
    editor_page,
    missing_bundle_page,
)
from tlsync_core.views.files import room_page, static_file

if TYPE_CHECKING:
    from tlsync_core.server.host import TLSyncHost

logger = logging.getLogger("tlsync_core.server")

CONNECT_PATH: Final = re.compile(r"^/connect/([^/?#]+)$")
"""The websocket route: ``/connect/<room-id>``."""
NO_CACHE: Final = (("Cache-Control", "no-cache"),)
EDITOR_STATIC: Final = "/static/editor/"
"""Where the editor bundle's files are served (:func:`tlsync_core.views.editor_bundle.
bundle_file`): revalidated on every use (``no-cache``) against the build's entity tag."""
HTML: Final = "text/html; charset=utf-8"


@attrs.frozen
class HttpRequest:
    """An HTTP request as the shared routes see it.

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
        return query_params(self.target)


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


def query_params(target: str) -> dict[str, str]:
    """The query parameters of a request target (the last value of a repeated name)."""
    return {k: v[-1] for k, v in parse_qs(urlsplit(target).query).items()}


def room_id_from_path(segment: str) -> str | None:
    """The room id a percent-encoded path segment names; None when it does not decode to UTF-8
    (``%ff`` and ``%fe`` must not both name the room ``\ufffd``)."""
    try:
        return unquote(segment, errors="strict")
    except UnicodeDecodeError:
        return None


# routes ---------------------------------------------------------------------------------------

FixedRoute = Callable[["TLSyncHost", HttpRequest], Awaitable[HttpResponse]]
RoomRoute = Callable[["TLSyncHost", HttpRequest, str], Awaitable["HttpResponse | None"]]


async def _healthz(host: TLSyncHost, _request: HttpRequest) -> HttpResponse:
    health = host.storage.health
    status = HTTPStatus.OK if health.ok else HTTPStatus.SERVICE_UNAVAILABLE
    memory = {
        "used": host.budget.used,
        "limit": host.budget.limit,
        "evictions": host.budget.evictions,
    }
    body = orjson.dumps({"ok": health.ok, "storage": health.as_json(), "memory": memory})
    return HttpResponse(status, body, "application/json", NO_CACHE)


async def _live_view_script(_host: TLSyncHost, _request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        HTTPStatus.OK, static_file("liveview.js"), "text/javascript; charset=utf-8", NO_CACHE
    )


async def _upgrade(_host: TLSyncHost, _request: HttpRequest, _room_id: str) -> None:
    """The websocket route: the front end upgrades the connection."""
    return None


async def _snapshot(host: TLSyncHost, request: HttpRequest, room_id: str) -> HttpResponse:
    decision = await _authorize(host, request, room_id)
    if not decision.allowed:
        return HttpResponse(HTTPStatus.FORBIDDEN, str(decision.reason).encode())
    try:
        snapshot = await _durable_snapshot(host, room_id)
    except (TimeoutError, Exception) as error:
        logger.warning("snapshot of room %r unavailable: %s", room_id, error)
        return HttpResponse(HTTPStatus.SERVICE_UNAVAILABLE, b"storage unavailable: try again later")
    if snapshot is None:
        return HttpResponse(HTTPStatus.NOT_FOUND, b"no such room")
    body = dumps_json(snapshot)
    del snapshot
    charge = SentBody(host.budget)
    # (the body, and its copy in the response the front end writes)
    if not host.budget.reserve(charge, 2 * len(body)):
        return HttpResponse(
            HTTPStatus.SERVICE_UNAVAILABLE, b"server over its memory budget: try again"
        )
    return HttpResponse(HTTPStatus.OK, body, "application/json", charge=charge)


async def _schema(host: TLSyncHost, request: HttpRequest, room_id: str) -> HttpResponse:
    """The schema the live view connects with."""
    decision = await _authorize(host, request, room_id)
    if not decision.allowed:
        return HttpResponse(HTTPStatus.FORBIDDEN, str(decision.reason).encode())
    return HttpResponse(HTTPStatus.OK, orjson.dumps(host.schema.serialize()), "application/json")


async def _live_view_page(_host: TLSyncHost, _request: HttpRequest, room_id: str) -> HttpResponse:
    """The SVG live view of a room (:func:`tlsync_core.views.files.room_page`)."""
    return HttpResponse(HTTPStatus.OK, room_page(room_id), HTML, NO_CACHE)


async def _editor_page(host: TLSyncHost, request: HttpRequest, room_id: str) -> HttpResponse:
    """tldraw's editor synced with a room; how to build it when the bundle is missing."""
    if bundle_version() is None:
        page = missing_bundle_page(room_id)
        return HttpResponse(HTTPStatus.SERVICE_UNAVAILABLE, page, HTML, NO_CACHE)
    page = editor_page(
        room_id, readonly=asks_readonly(request.query), license_key=host.tldraw_license_key
    )
    return HttpResponse(HTTPStatus.OK, page, HTML, NO_CACHE)


async def _editor_file(request: HttpRequest) -> HttpResponse:
    """A file of the editor bundle, or 404; 304 when the client's copy is the build's."""
    try:
        relative = unquote(request.path.removeprefix(EDITOR_STATIC), errors="strict")
    except UnicodeDecodeError:
        relative = ""
    found = await asyncio.to_thread(bundle_file, relative)
    if found is None:
        return HttpResponse(HTTPStatus.NOT_FOUND, b"not found")
    headers = (*NO_CACHE, ("ETag", found.etag))
    client_tags = request.headers.get("if-none-match", "")
    if found.etag in (tag.strip() for tag in client_tags.split(",")):
        return HttpResponse(HTTPStatus.NOT_MODIFIED, b"", found.content_type, headers)
    return HttpResponse(HTTPStatus.OK, found.body, found.content_type, headers)


FIXED_ROUTES: Final[Mapping[str, FixedRoute]] = {
    "/healthz": _healthz,
    "/static/liveview.js": _live_view_script,
}
ROOM_ROUTES: Final[tuple[tuple[re.Pattern[str], RoomRoute], ...]] = (
    (CONNECT_PATH, _upgrade),
    (re.compile(r"^/rooms/([^/?#]+)/snapshot$"), _snapshot),
    (re.compile(r"^/rooms/([^/?#]+)/schema$"), _schema),
    (re.compile(r"^/rooms/([^/?#]+)/view$"), _live_view_page),
    (re.compile(r"^/rooms/([^/?#]+)$"), _editor_page),
)


async def handle_http(host: TLSyncHost, request: HttpRequest) -> HttpResponse | None:
    """Answer ``request`` from the route table; None for the websocket route (upgrade)."""
    fixed = FIXED_ROUTES.get(request.path)
    if fixed is not None:
        return await fixed(host, request)
    if request.path.startswith(EDITOR_STATIC):
        return await _editor_file(request)
    for pattern, route in ROOM_ROUTES:
        match = pattern.match(request.path)
        if match is None:
            continue
        room_id = room_id_from_path(match.group(1))
        if room_id is None:
            return HttpResponse(HTTPStatus.BAD_REQUEST, b"the room id is not UTF-8")
        return await route(host, request, room_id)
    return HttpResponse(HTTPStatus.NOT_FOUND, b"not found")


# helpers --------------------------------------------------------------------------------------


async def _authorize(host: TLSyncHost, request: HttpRequest, room_id: str) -> AuthDecision:
    auth = AuthRequest(
        room_id=room_id, path=request.target, query=request.query, headers=request.headers
    )
    return await decide(host.authorize, auth)


async def _durable_snapshot(host: TLSyncHost, room_id: str) -> Any:
    """The room's snapshot as stored: a loaded room's state once its writes so far are
    durable (at most ``snapshot_durable_timeout`` seconds), else read from storage."""
    entry = host.rooms.get(room_id)
    if entry is None:
        return await host.storage.run(lambda: host.persistence.load(room_id))
    snapshot = entry.room.get_snapshot()  # (records are never mutated: this stays as is)
    async with asyncio.timeout(host.limits.snapshot_durable_timeout):
        await host.storage.durable(host.storage.last_seq(room_id))
    if host.rooms.get(room_id) is not entry:
        raise RuntimeError("the room was closed before its snapshot was durable")
    return snapshot
