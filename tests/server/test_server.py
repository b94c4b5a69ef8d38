"""The websocket server over real loopback sockets and a real SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tlsync_core.demo_schema import SHAPE, create_demo_schema
from tlsync_core.protocol.close_codes import TLSyncErrorCloseEventReason as Reason
from tlsync_core.protocol.codec import serialize_message
from tlsync_core.server import (
    AuthDecision,
    AuthRequest,
    ServerLimits,
    SQLitePersistence,
    TLSyncServer,
)
from tlsync_core.server.outbox import BroadcastEncoder

SCHEMA = create_demo_schema()


def shape(suffix: str, x: float = 0) -> dict[str, Any]:
    return SHAPE.create(id=f"shape:{suffix}", x=x)


class Peer:
    """A raw protocol-8 client over a real websocket."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.clock = 0

    @classmethod
    async def join(cls, url: str, last_clock: int = -1) -> tuple[Peer, dict[str, Any]]:
        ws = await connect(url, max_size=None)
        peer = cls(ws)
        await peer.send(
            {
                "type": "connect",
                "connectRequestId": "r",
                "protocolVersion": 8,
                "lastServerClock": last_clock,
                "schema": SCHEMA.serialize(),
            }
        )
        return peer, await peer.recv()

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(orjson.dumps(message).decode())

    async def recv(self, timeout: float = 5) -> dict[str, Any]:
        message: dict[str, Any] = orjson.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        return message

    async def events(self, count: int) -> list[dict[str, Any]]:
        """The next ``count`` data events (unwrapping ``data`` batches)."""
        found: list[dict[str, Any]] = []
        while len(found) < count:
            message = await self.recv()
            found.extend(message["data"] if message["type"] == "data" else [message])
        return found

    async def push(self, diff: dict[str, Any]) -> dict[str, Any]:
        await self.send({"type": "push", "clientClock": self.clock, "diff": diff})
        self.clock += 1
        while True:
            for event in await self.events(1):
                if event["type"] == "push_result":
                    return event

    async def closed(self) -> tuple[int | None, str | None]:
        with contextlib.suppress(ConnectionClosed, TimeoutError):
            while True:
                await asyncio.wait_for(self.ws.recv(), 5)
        return self.ws.close_code, self.ws.close_reason


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TLSyncServer]:
    async with TLSyncServer(
        schema=SCHEMA, persistence=SQLitePersistence(tmp_path / "rooms.sqlite"), port=0
    ) as running:
        yield running


@pytest.mark.spec("SRV1")
async def test_two_clients_see_each_others_changes(server: TLSyncServer) -> None:
    """Over real websockets, one client's push commits and reaches the other as a patch."""
    url = f"{server.url}/connect/room1"
    alice, hello = await Peer.join(url)
    bob, _ = await Peer.join(url)
    assert hello["type"] == "connect" and hello["hydrationType"] == "wipe_all"
    assert set(hello["diff"]) == {"document:document", "page:page"}
    result = await alice.push({"shape:a": ["put", shape("a", 10)]})
    assert result["action"] == "commit"
    (patch,) = await bob.events(1)
    assert patch["diff"] == {"shape:a": ["put", shape("a", 10)]}
    await alice.ws.close()
    await bob.ws.close()


@pytest.mark.spec("SRV2")
async def test_restart_keeps_everything_committed(tmp_path: Path) -> None:
    """A server restarted on the same SQLite file has every committed record."""
    db = tmp_path / "rooms.sqlite"
    async with TLSyncServer(schema=SCHEMA, persistence=SQLitePersistence(db), port=0) as first:
        peer, _ = await Peer.join(f"{first.url}/connect/keep")
        for n in range(20):
            assert (await peer.push({f"shape:{n}": ["put", shape(str(n), n)]}))[
                "action"
            ] == "commit"
        assert (await peer.push({"shape:3": ["remove"]}))["action"] == "commit"
        clock = first.rooms["keep"].room.clock
        await peer.ws.close()
    async with TLSyncServer(schema=SCHEMA, persistence=SQLitePersistence(db), port=0) as second:
        peer, hello = await Peer.join(f"{second.url}/connect/keep")
        shapes = {k for k in hello["diff"] if k.startswith("shape:")}
        assert shapes == {f"shape:{n}" for n in range(20)} - {"shape:3"}
        assert hello["serverClock"] == clock
        again, since = await Peer.join(f"{second.url}/connect/keep", last_clock=clock - 1)
        assert since["hydrationType"] == "wipe_presence"
        assert since["diff"] == {"shape:3": ["remove"]}
        await peer.ws.close()
        await again.ws.close()


@pytest.mark.spec("SRV3")
async def test_auth_hook_refuses_and_grants_readonly(tmp_path: Path) -> None:
    """Refused connections close with 4099 and the reason; read-only sessions cannot write."""

    def authorize(request: AuthRequest) -> AuthDecision:
        token = request.query.get("token")
        if token is None:
            return AuthDecision.refuse(Reason.NOT_AUTHENTICATED)
        if token == "viewer":
            return AuthDecision.allow(readonly=True)
        if token == "writer":
            return AuthDecision.allow()
        return AuthDecision.refuse(Reason.FORBIDDEN)

    async with TLSyncServer(schema=SCHEMA, authorize=authorize, port=0) as server:
        base = f"{server.url}/connect/private"
        for query, reason in (("", "NOT_AUTHENTICATED"), ("?token=bad", "FORBIDDEN")):
            ws = await connect(base + query)
            assert await Peer(ws).closed() == (4099, reason)
        viewer, hello = await Peer.join(base + "?token=viewer")
        assert hello["isReadonly"] is True
        assert (await viewer.push({"shape:v": ["put", shape("v")]}))["action"] == "discard"
        writer, _ = await Peer.join(base + "?token=writer")
        assert (await writer.push({"shape:w": ["put", shape("w")]}))["action"] == "commit"
        snapshot_url = f"http://127.0.0.1:{server.port}/rooms/private/snapshot"
        status, body = await http_get(snapshot_url + "?token=viewer")
        assert status == 200
        assert "shape:w" in {d["state"]["id"] for d in orjson.loads(body)["documents"]}
        assert (await http_get(snapshot_url))[0] == 403
        await viewer.ws.close()
        await writer.ws.close()


@pytest.mark.spec("SRV4")
async def test_bad_input_closes_only_the_offender(server: TLSyncServer) -> None:
    """Malformed JSON and invalid records close that session; others carry on untouched."""
    url = f"{server.url}/connect/bad"
    good, _ = await Peer.join(url)
    before = server.rooms["bad"].room.get_snapshot()
    garbage, _ = await Peer.join(url)
    await garbage.ws.send("{not json")
    code, reason = await garbage.closed()
    assert (code, reason) == (4099, "UNKNOWN_ERROR")
    invalid, _ = await Peer.join(url)
    await invalid.send(
        {"type": "push", "clientClock": 0, "diff": {"shape:x": ["put", {**shape("x"), "x": "far"}]}}
    )
    assert await invalid.closed() == (4099, "INVALID_RECORD")
    assert server.rooms["bad"].room.get_snapshot() == before
    assert (await good.push({"shape:ok": ["put", shape("ok")]}))["action"] == "commit"
    await good.ws.close()


@pytest.mark.spec("SRV4")
async def test_oversized_frames_and_room_limits(tmp_path: Path) -> None:
    """Frames over the cap close the session; a full room refuses with ROOM_FULL."""
    limits = ServerLimits(max_frame_bytes=10_000, max_sessions_per_room=2)
    async with TLSyncServer(schema=SCHEMA, limits=limits, port=0) as server:
        url = f"{server.url}/connect/small"
        big, _ = await Peer.join(url)
        await big.ws.send("x" * 20_000)
        code, _ = await big.closed()
        assert code == 1009
        first, _ = await Peer.join(url)
        second, _ = await Peer.join(url)
        third = Peer(await connect(url))
        assert await third.closed() == (4099, "ROOM_FULL")
        await first.ws.close()
        await second.ws.close()


@pytest.mark.spec("SRV5")
async def test_health_and_unknown_paths(server: TLSyncServer) -> None:
    """GET /healthz answers; other paths are 404."""
    status, body = await http_get(f"http://127.0.0.1:{server.port}/healthz")
    health = orjson.loads(body)
    assert (status, health["ok"], health["storage"]["pending"]) == (200, True, 0)
    assert health["memory"]["limit"] == server.limits.memory_budget_bytes
    assert (await http_get(f"http://127.0.0.1:{server.port}/nope"))[0] == 404


@pytest.mark.spec("SRV7")
@pytest.mark.parametrize(
    ("method", "body"), [("POST", None), ("POST", b"{}"), ("PUT", b"x" * 100), ("DELETE", None)]
)
async def test_other_methods_get_405(server: TLSyncServer, method: str, body: bytes | None) -> None:
    """Methods other than GET and HEAD get 405 with ``Allow`` (as under ASGI), with or without
    a body, instead of a dropped connection; HEAD gets GET's headers and no body."""

    def fetch(method: str, data: bytes | None) -> tuple[int, str | None, bytes]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.port}/healthz", method=method, data=data
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as reply:
                return int(reply.status), reply.headers["Allow"], bytes(reply.read())
        except urllib.error.HTTPError as error:
            with contextlib.closing(error):
                return int(error.code), error.headers["Allow"], bytes(error.read())

    assert await asyncio.to_thread(fetch, method, body) == (
        405,
        "GET, HEAD",
        b"method not allowed\n",
    )
    assert (await asyncio.to_thread(fetch, "HEAD", None))[::2] == (200, b"")


@pytest.mark.spec("SRV7")
async def test_a_room_id_that_is_not_utf8_is_refused(server: TLSyncServer) -> None:
    """``%ff`` and ``%fe`` do not decode to UTF-8: both are 400 (for the snapshot and for the
    websocket upgrade) instead of naming the same room U+FFFD; ``%c3%a9`` is the room "é"."""
    base = f"http://127.0.0.1:{server.port}"
    for bad in ("%ff", "%fe", "a%c3"):
        assert (await http_get(f"{base}/rooms/{bad}/snapshot"))[0] == 400
        with pytest.raises(InvalidStatus) as refused:
            await connect(f"{server.url}/connect/{bad}")
        assert refused.value.response.status_code == 400
    peer, hello = await Peer.join(f"{server.url}/connect/%c3%a9")
    await peer.ws.close()
    assert hello["type"] == "connect" and "é" in server.rooms


async def http_get(url: str) -> tuple[int, bytes]:
    """GET ``url`` from a thread (the server runs on this event loop): status and body."""

    def fetch() -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                return int(reply.status), bytes(reply.read())
        except urllib.error.HTTPError as error:
            return int(error.code), b""

    return await asyncio.to_thread(fetch)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _wait_for_port(port: int) -> None:
    for _ in range(200):
        with contextlib.suppress(OSError):
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            await writer.wait_closed()
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


@pytest.mark.spec("SRV6", "DUR1")
async def test_kill_9_loses_nothing_acknowledged(tmp_path: Path) -> None:
    """Killing `tlsync serve` with SIGKILL mid-stream keeps every change it acknowledged."""
    db = tmp_path / "rooms.sqlite"
    port = _free_port()
    command = [sys.executable, "-m", "tlsync_core", "serve", "--port", str(port), "--db", str(db)]
    command += ["--schema", "demo"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    acknowledged: list[str] = []
    try:
        await _wait_for_port(port)
        writers = [await Peer.join(f"ws://127.0.0.1:{port}/connect/crash") for _ in range(3)]

        async def write(index: int, peer: Peer) -> None:
            for n in range(1000):
                record_id = f"shape:w{index}-{n}"
                result = await peer.push({record_id: ["put", shape(f"w{index}-{n}", n)]})
                if result["action"] == "commit":
                    acknowledged.append(record_id)

        tasks = [asyncio.create_task(write(i, peer)) for i, (peer, _) in enumerate(writers)]
        while len(acknowledged) < 150:
            await asyncio.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        process.kill()
        process.wait()
        assert process.stderr is not None
        process.stderr.close()
    persistence = SQLitePersistence(db)
    snapshot = persistence.load("crash")
    persistence.close()
    assert snapshot is not None
    stored = {d["state"]["id"] for d in snapshot["documents"]}
    missing = [record_id for record_id in acknowledged if record_id not in stored]
    assert len(acknowledged) >= 150
    assert missing == []


@pytest.mark.spec("SRV1")
async def test_shared_broadcast_events_encode_like_the_codec() -> None:
    """A data frame built from once-encoded shared events is byte-identical to the codec's."""
    shared = {
        "type": "patch",
        "diff": {"shape:a": ["patch", {"x": ["put", 1.5]}]},
        "serverClock": 3,
    }
    other = {"type": "push_result", "clientClock": 0, "serverClock": 3, "action": "commit"}
    for events in ([shared], [other, shared], [shared, shared]):
        frame = '{"type":"data","data":[' + ",".join(map(BroadcastEncoder().encode, events)) + "]}"
        assert frame == serialize_message({"type": "data", "data": events})
