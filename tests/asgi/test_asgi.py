"""The ASGI front end (tlsync_core.server.asgi) under a real uvicorn, with our client.

Every test runs uvicorn in-process on a free loopback port and talks to it over real sockets.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest
from asgi_harness import (
    FAST,
    SCHEMA,
    Peer,
    http,
    shape,
    uvicorn_serving,
    ws_url,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

from tlsync_client import ClientState, RoomConnection, SyncError, connect
from tlsync_core.demo_schema import SHAPE
from tlsync_core.protocol.close_codes import TLSyncErrorCloseEventReason as Reason
from tlsync_core.server import (
    AuthDecision,
    AuthRequest,
    ServerLimits,
    SQLitePersistence,
    TLSyncServer,
)
from tlsync_core.server.asgi import Receive, Scope, Send, TLSyncASGIApp, create_asgi_app
from tlsync_core.store import Store


def shapes(store: Store) -> dict[str, Any]:
    return {r["id"]: r for r in store.all_records() if r["typeName"] == "shape"}


async def settled(*rooms: RoomConnection) -> None:
    """Wait until every room is synced and all stores agree (bounded)."""
    for _ in range(300):
        if all(r.is_synced.get() for r in rooms) and all(
            r.store.serialize() == rooms[0].store.serialize() for r in rooms
        ):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("rooms did not settle")


@pytest.mark.spec("ASGI1", "CA2")
async def test_two_bots_converge_through_the_asgi_app(tmp_path: Path) -> None:
    """Two bots (tlsync_client.connect) editing one room through the ASGI app under uvicorn,
    concurrently and on the same record, end with identical documents equal to the room's."""
    app = create_asgi_app(schema=SCHEMA, persistence=SQLitePersistence(tmp_path / "r.sqlite"))
    async with uvicorn_serving(app) as base:
        url = ws_url(base, "/connect/race")
        async with connect(url, **FAST) as alice, connect(url, **FAST) as bob:
            for n in range(20):
                alice.store.put([SHAPE.create(id=f"shape:a{n}", x=n)])
                bob.store.put([SHAPE.create(id=f"shape:b{n}", x=n)])
                alice.store.put([SHAPE.create(id="shape:both", x=n)])
                bob.store.put([SHAPE.create(id="shape:both", x=-n)])
                if n % 5 == 0:
                    await asyncio.sleep(0)
            await alice.wait_for_sync(timeout=5)
            await bob.wait_for_sync(timeout=5)
            await alice.wait_for(lambda s: len(shapes(s)) == 41, timeout=5)
            await bob.wait_for(lambda s: len(shapes(s)) == 41, timeout=5)
            await settled(alice, bob)
            snapshot = app.rooms["race"].room.get_snapshot()
            room_docs = {d["state"]["id"]: d["state"] for d in snapshot["documents"]}
            assert room_docs == alice.store.serialize() == bob.store.serialize()


@pytest.mark.spec("ASGI2", "CA4", "SRV3")
async def test_auth_hook_refuses_with_a_reason_and_grants_readonly() -> None:
    """The same hook as TLSyncServer's: it sees the room id, the path inside the app with its
    query, and the headers; a refusal reaches the client as SyncError with the reason, a
    read-only session cannot write, and the snapshot route uses the hook too (403)."""
    seen: list[AuthRequest] = []

    def authorize(request: AuthRequest) -> AuthDecision:
        seen.append(request)
        token = request.query.get("token") or request.headers.get("x-token")
        if token is None:
            return AuthDecision.refuse(Reason.NOT_AUTHENTICATED)
        if token == "viewer":
            return AuthDecision.allow(readonly=True)
        if token == "writer":
            return AuthDecision.allow()
        return AuthDecision.refuse(Reason.FORBIDDEN)

    app = create_asgi_app(schema=SCHEMA, authorize=authorize)
    async with uvicorn_serving(app) as base:
        url = ws_url(base, "/connect/private%20room")
        with pytest.raises(SyncError) as refused:
            await connect(url, **FAST)
        assert refused.value.reason == "NOT_AUTHENTICATED"
        with pytest.raises(SyncError) as forbidden:
            await connect(url + "?token=bad", **FAST)
        assert forbidden.value.reason == "FORBIDDEN"
        assert seen[0].room_id == "private room"
        assert seen[0].path.startswith("/connect/private%20room?")
        assert "sessionId" in seen[0].query and "user-agent" in seen[0].headers

        async with (
            connect(url, headers={"X-Token": "writer"}, **FAST) as writer,
            connect(url + "?token=viewer", **FAST) as viewer,
        ):
            assert viewer.connect_info is not None and viewer.connect_info.is_readonly
            writer.store.put([SHAPE.create(id="shape:w")])
            await writer.wait_for_sync(timeout=5)
            await viewer.wait_for(lambda s: s.has("shape:w"), timeout=5)
            viewer.store.put([SHAPE.create(id="shape:v")])
            await viewer.wait_for(lambda s: not s.has("shape:v"), timeout=5)  # discarded
        snapshot = f"{base}/rooms/private%20room/snapshot"
        assert (await http(snapshot))[:2] == (403, b"NOT_AUTHENTICATED")
        status, body, _ = await http(snapshot + "?token=viewer")
        assert status == 200
        assert "shape:w" in {d["state"]["id"] for d in orjson.loads(body)["documents"]}


@pytest.mark.spec("ASGI4", "SRV2", "SRV6")
async def test_lifespan_shutdown_commits_and_a_restart_keeps_everything(tmp_path: Path) -> None:
    """Under uvicorn, shutdown ends the sessions (the client goes offline and tries to
    reconnect), lifespan shutdown commits and closes the SQLite file; an app started again on
    that file has every acknowledged record and the same clock."""
    db = tmp_path / "rooms.sqlite"
    first = create_asgi_app(schema=SCHEMA, persistence=SQLitePersistence(db))
    async with uvicorn_serving(first) as base:
        bot = await connect(ws_url(base, "/connect/keep"), **FAST)
        for n in range(10):
            bot.store.put([shape(str(n), n)])
        await bot.wait_for_sync(timeout=5)
        clock = first.rooms["keep"].room.clock
    assert first.host.closing and first.rooms == {}
    await bot.wait_for(lambda _s: bot.status.get() is not ClientState.CONNECTED, timeout=5)
    await bot.close()

    second = create_asgi_app(schema=SCHEMA, persistence=SQLitePersistence(db))
    async with (
        uvicorn_serving(second) as base,
        connect(ws_url(base, "/connect/keep"), **FAST) as again,
    ):
        assert set(shapes(again.store)) == {f"shape:{n}" for n in range(10)}
        assert second.rooms["keep"].room.clock == clock


class PrefixRouter:
    """A hand-written ASGI router: ``/sync/...`` goes to ``inner`` with the prefix moved from
    ``path`` to ``root_path`` (the older ASGI convention); lifespan goes to ``inner`` too."""

    def __init__(self, prefix: str, inner: TLSyncASGIApp) -> None:
        self.prefix = prefix
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.inner(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(self.prefix + "/"):
            inner_scope = dict(scope)
            inner_scope["path"] = path[len(self.prefix) :]
            inner_scope["root_path"] = scope.get("root_path", "") + self.prefix
            inner_scope.pop("raw_path", None)
            await self.inner(inner_scope, receive, send)
        elif scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"host app"})
        else:
            await send({"type": "websocket.close", "code": 1008})


def starlette_app(sync: TLSyncASGIApp) -> Starlette:
    async def home(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("host app")

    return Starlette(
        routes=[Route("/", home), Mount("/sync", app=sync)],
        lifespan=sync.lifespan,
    )


@pytest.mark.spec("ASGI3", "ASGI4")
@pytest.mark.parametrize("framework", ["starlette", "hand-written router"])
async def test_mounted_under_a_prefix(tmp_path: Path, framework: str) -> None:
    """Mounted at /sync (a Starlette Mount with ``lifespan=sync.lifespan``, or a hand-written
    router that sets root_path), rooms are at /sync/connect/<id> and the HTTP routes (the
    live view page and script included) at /sync/...; the host app's own routes still
    answer; shutting the host app down closes the rooms' storage (committed)."""
    sync = create_asgi_app(schema=SCHEMA, persistence=SQLitePersistence(tmp_path / "m.sqlite"))
    outer: Any = starlette_app(sync) if framework == "starlette" else PrefixRouter("/sync", sync)
    async with uvicorn_serving(outer) as base:
        assert (await http(base + "/"))[:2] == (200, b"host app")
        status, body = (await http(base + "/sync/healthz"))[:2]
        assert (status, orjson.loads(body)["ok"]) == (200, True)
        url = ws_url(base, "/sync/connect/mounted")
        async with connect(url, **FAST) as alice, connect(url, **FAST) as bob:
            alice.store.put([shape("m", 7)])
            await alice.wait_for_sync(timeout=5)
            await bob.wait_for(lambda s: s.has("shape:m"), timeout=5)
        status, body, _ = await http(base + "/sync/rooms/mounted/snapshot")
        assert status == 200 and b"shape:m" in body
        assert (await http(base + "/sync/nope"))[0] == 404
        status, page, headers = await http(base + "/sync/rooms/mounted/view")  # the live view
        assert status == 200 and headers["content-type"].startswith("text/html")
        assert b"../../static/liveview.js" in page and b"../../connect/" in page  # (relative)
        status, script, _ = await http(base + "/sync/static/liveview.js")
        assert status == 200 and b"export function render" in script
    assert sync.host.closing
    stored = SQLitePersistence(tmp_path / "m.sqlite")
    snapshot = stored.load("mounted")
    stored.close()
    assert snapshot is not None and "shape:m" in {d["state"]["id"] for d in snapshot["documents"]}


@pytest.mark.spec("ASGI5", "SRV5")
async def test_http_routes_are_the_websocket_servers(tmp_path: Path) -> None:
    """The ASGI app answers every HTTP path exactly as TLSyncServer does for the same rooms
    (both serve one host: the shared routes, live view pages included once they exist); only
    GET and HEAD are allowed (405), a websocket route over plain HTTP is 426, and a websocket
    to an unknown path is denied with 404."""
    async with TLSyncServer(schema=SCHEMA, port=0) as server:
        app = TLSyncASGIApp(server)
        async with uvicorn_serving(app, lifespan="off") as base:
            peer, _ = await Peer.join(f"{server.url}/connect/shared")
            assert (await peer.push({"shape:s": ["put", shape("s")]}))["action"] == "commit"
            paths = [
                "/healthz",
                "/rooms/shared/snapshot",
                "/rooms/none/snapshot",
                "/rooms/shared/schema",
                "/nope",
                "/rooms/shared",
                "/rooms/shared/view",
                "/static/liveview.js",
                "/static/editor/tldraw.css",
                "/static/editor/assets/nope.svg",
                "/static/editor/%2e%2e/files.py",
                "/static/nope.js",
            ]
            for path in paths:
                ours = await http(base + path)
                theirs = await http(f"http://127.0.0.1:{server.port}{path}")
                assert ours[:2] == theirs[:2], path
                for header in ("content-type", "cache-control"):
                    assert ours[2].get(header) == theirs[2].get(header), (path, header)
            assert (await http(base + "/healthz", "HEAD"))[:2] == (200, b"")
            status, _, headers = await http(base + "/healthz", "POST")
            assert (status, headers["allow"]) == (405, "GET, HEAD")
            assert (await http(base + "/connect/shared"))[0] == 426
            with pytest.raises(InvalidStatus) as denied:
                await ws_connect(ws_url(base, "/elsewhere"))
            assert denied.value.response.status_code == 404
            await peer.ws.close()


@pytest.mark.spec("ASGI6", "SRV4")
async def test_limits_and_bad_input_as_the_websocket_server() -> None:
    """The limits apply as in TLSyncServer: a frame over max_frame_bytes closes 1009, a full
    room refuses with ROOM_FULL, and malformed or invalid input closes only its session."""
    limits = ServerLimits(max_frame_bytes=10_000, max_sessions_per_room=2)
    app = create_asgi_app(schema=SCHEMA, limits=limits)
    async with uvicorn_serving(app) as base:
        url = ws_url(base, "/connect/small")
        big, _ = await Peer.join(url)
        await big.ws.send("x" * 20_000)
        assert (await big.closed())[0] == 1009
        wide, _ = await Peer.join(url)
        await wide.ws.send("é" * 6_000)  # 6,000 characters, 12,000 bytes in UTF-8
        assert (await wide.closed())[0] == 1009
        good, _ = await Peer.join(url)
        other, _ = await Peer.join(url)
        full = Peer(await ws_connect(url))
        assert await full.closed() == (4099, "ROOM_FULL")
        await other.ws.close()
        garbage, _ = await Peer.join(url)
        await garbage.ws.send("{not json")
        assert await garbage.closed() == (4099, "UNKNOWN_ERROR")
        invalid, _ = await Peer.join(url)
        await invalid.send(
            {
                "type": "push",
                "clientClock": 0,
                "diff": {"shape:x": ["put", {**shape("x"), "x": "a"}]},
            }
        )
        assert await invalid.closed() == (4099, "INVALID_RECORD")
        assert (await good.push({"shape:ok": ["put", shape("ok")]}))["action"] == "commit"
        await good.ws.close()


@pytest.mark.spec("ASGI7")
async def test_one_host_served_by_both_front_ends(tmp_path: Path) -> None:
    """TLSyncASGIApp(server) serves the rooms of a running TLSyncServer: a bot on the
    websockets listener and a bot through uvicorn are sessions of one room and see each
    other's edits; the ASGI lifespan leaves the running listener as it is (one listener)."""
    persistence = SQLitePersistence(tmp_path / "both.sqlite")
    async with (
        TLSyncServer(schema=SCHEMA, persistence=persistence, port=0) as server,
        uvicorn_serving(TLSyncASGIApp(server)) as base,  # (lifespan: start() is idempotent)
        connect(f"{server.url}/connect/both", **FAST) as direct,
        connect(ws_url(base, "/connect/both"), **FAST) as mounted,
    ):
        assert len(server.rooms["both"].room.sessions) == 2
        direct.store.put([shape("d", 1)])
        mounted.store.put([shape("a", 2)])
        await direct.wait_for_sync(timeout=5)
        await mounted.wait_for_sync(timeout=5)
        await settled(direct, mounted)
        assert set(shapes(direct.store)) == {"shape:d", "shape:a"}
        port = server.port
    assert server.closing and (await http(f"http://127.0.0.1:{port}/healthz"))[0] == 0
