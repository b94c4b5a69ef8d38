"""The live view's server side: the page, its module, the schema endpoint, read-only viewers.

A real :class:`TLSyncServer` on a loopback port with SQLite in a temporary directory.
"""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from tlsync_client.connection import SyncError, connect
from tlsync_core.demo_schema import PRESENCE, SHAPE, create_demo_schema
from tlsync_core.server import AuthDecision, AuthRequest, SQLitePersistence, TLSyncServer
from tlsync_core.views.files import static_file


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TLSyncServer]:
    async with TLSyncServer(
        schema=create_demo_schema(),
        persistence=SQLitePersistence(str(tmp_path / "rooms.sqlite")),
        port=0,
    ) as running:
        yield running


async def get(server: TLSyncServer, path: str) -> tuple[int, str, bytes]:
    """GET ``path``: status, content type and body."""

    def fetch() -> tuple[int, str, bytes]:
        url = f"http://{server.host}:{server.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                return reply.status, reply.headers["Content-Type"], reply.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers["Content-Type"], error.read()

    return await asyncio.to_thread(fetch)


@pytest.mark.spec("VIEW10")
async def test_the_room_page_loads_the_live_view_module(server: TLSyncServer) -> None:
    """``GET /rooms/<id>/view`` is an HTML page that imports ``../../static/liveview.js``
    (relative, so the server can be mounted under a prefix) and joins that room;
    ``GET /static/liveview.js`` serves the module from the package data."""
    status, content_type, body = await get(server, "/rooms/team%20board/view")
    assert status == 200
    assert content_type.startswith("text/html")
    page = body.decode()
    assert "import { connectLive } from '../../static/liveview.js'" in page
    assert 'const roomId = "team board"' in page
    status, content_type, body = await get(server, "/static/liveview.js")
    assert status == 200
    assert content_type.startswith("text/javascript")
    assert body == static_file("liveview.js")
    assert b"export function connectLive" in body
    status, _, _ = await get(server, "/static/nothing.js")
    assert status == 404


@pytest.mark.spec("VIEW10")
async def test_the_room_id_cannot_break_out_of_the_page_script(server: TLSyncServer) -> None:
    """A room id is written into the page as a JSON string with ``<`` and ``>`` escaped, so a
    hostile id cannot close the script element or inject markup."""
    status, _, body = await get(server, "/rooms/%3C%2Fscript%3E%3Cimg%20onerror%3Dx%3E/view")
    assert status == 200
    page = body.decode()
    assert page.count("</script>") == 1
    assert "<img" not in page
    assert 'const roomId = "\\u003c/script\\u003e\\u003cimg onerror=x\\u003e"' in page


@pytest.mark.spec("VIEW10", "SRV3")
async def test_the_schema_endpoint_answers_with_the_servers_schema(tmp_path: Path) -> None:
    """``GET /rooms/<id>/schema`` is the server's serialized schema (what the live view sends
    in its connect); the auth hook guards it like the snapshot endpoint (403)."""

    def authorize(request: AuthRequest) -> AuthDecision:
        if request.query.get("token") == "ok":
            return AuthDecision.allow(readonly=True)
        return AuthDecision.refuse()

    async with TLSyncServer(
        schema=create_demo_schema(),
        persistence=SQLitePersistence(str(tmp_path / "rooms.sqlite")),
        port=0,
        authorize=authorize,
    ) as guarded:
        status, content_type, body = await get(guarded, "/rooms/r/schema?token=ok")
        assert (status, content_type) == (200, "application/json")
        assert orjson.loads(body) == guarded.schema.serialize()
        status, _, body = await get(guarded, "/rooms/r/schema")
        assert (status, body) == (403, b"FORBIDDEN")


@pytest.mark.spec("VIEW11", "RP9")
async def test_readonly_flag_makes_a_session_read_only(server: TLSyncServer) -> None:
    """``?readonly=1`` on the websocket URL makes the server treat the session as read-only:
    it is told so in the connect answer, its document changes are discarded (the room keeps
    nothing of them), its presence still reaches others."""
    url = f"{server.url}/connect/ro"
    async with connect(url, schema=create_demo_schema()) as writer:
        writer.store.put([SHAPE.create(id="shape:kept", x=1)])
        await writer.wait_for_sync(timeout=10)
        viewer_presence = PRESENCE.create(id="instance_presence:v", userName="viewer")
        async with connect(
            f"{url}?readonly=1", schema=create_demo_schema(), presence=viewer_presence
        ) as viewer:
            assert viewer.connect_info is not None
            assert viewer.connect_info.is_readonly is True
            assert writer.connect_info is not None
            assert writer.connect_info.is_readonly is False
            viewer.store.put([SHAPE.create(id="shape:sneaky", x=2)])
            await viewer.wait_for(lambda s: not s.has("shape:sneaky"), timeout=10)
            await writer.wait_for(
                lambda s: any(r["userName"] == "viewer" for r in s.query.exec("instance_presence")),
                timeout=10,
            )
            room = server.rooms["ro"].room
            assert {s.is_readonly for s in room.sessions.values()} == {True, False}
        writer.store.put([SHAPE.create(id="shape:after", x=3)])
        await writer.wait_for_sync(timeout=10)
        assert not writer.store.has("shape:sneaky")
    snapshot = server.rooms["ro"].room.get_snapshot()
    ids = {doc["state"]["id"] for doc in snapshot["documents"]}
    assert {"shape:kept", "shape:after"} <= ids
    assert "shape:sneaky" not in ids


@pytest.mark.spec("VIEW11", "SRV3")
async def test_readonly_flag_cannot_add_rights(tmp_path: Path) -> None:
    """The flag only takes rights away: a session the auth hook made read-only stays read-only
    with ``?readonly=0``, and a refused one stays refused."""

    def authorize(request: AuthRequest) -> AuthDecision:
        if request.query.get("user") == "banned":
            return AuthDecision.refuse()
        return AuthDecision.allow(readonly=True)

    async with TLSyncServer(
        schema=create_demo_schema(),
        persistence=SQLitePersistence(str(tmp_path / "rooms.sqlite")),
        port=0,
        authorize=authorize,
    ) as guarded:
        async with connect(
            f"{guarded.url}/connect/r?readonly=0", schema=create_demo_schema()
        ) as client:
            assert client.connect_info is not None
            assert client.connect_info.is_readonly is True
        with pytest.raises(SyncError) as refused:
            await connect(
                f"{guarded.url}/connect/r?readonly=1&user=banned", schema=create_demo_schema()
            )
        assert refused.value.reason == "FORBIDDEN"
