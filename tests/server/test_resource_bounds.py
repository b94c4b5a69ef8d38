"""Resource bounds (issue 14): what one client can make the server hold is bounded.

* A ping flood from a client that never reads its pongs: the server stops reading from it once
  its unread pongs pass a small backlog, so a real ``tlsync serve`` process stays small however
  much the client tries to send.
* One memory budget for the whole server: a message whose parse would not fit is refused
  before it is parsed (1009), sessions that do not read are cut off largest first (1013), and
  snapshots nobody reads are refused (503) once they would not fit; the budget's count never
  passes its limit and reading clients are untouched.
* Symmetric limits: a presence record as deep as the server accepts reaches a Python client,
  in its connect answer and in patches, and the client stays connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from raw_messages import connect_request
from serve_process import free_port, memory_kb, start_serve, stop_serve
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tlsync_client import connect as connect_room
from tlsync_client.sync_client import ClientState
from tlsync_core.demo_schema import SHAPE, create_demo_schema
from tlsync_core.protocol.codec import (
    MAX_SERVER_MESSAGE_DEPTH,
    parse_client_message,
    serialize_message,
)
from tlsync_core.protocol.errors import ProtocolError
from tlsync_core.protocol.validation import MAX_NESTING_DEPTH
from tlsync_core.server import ServerLimits, SQLitePersistence, TLSyncServer
from tlsync_core.tldraw import create_tldraw_schema

DEMO = create_demo_schema()
MB = 1024 * 1024
Message = dict[str, Any]
OVER_BUDGET = "message would exceed the server's memory budget"


def connect_message(schema: Any) -> str:
    return serialize_message(connect_request(schema))


async def join(url: str, schema: Any = None, **options: Any) -> tuple[ClientConnection, Message]:
    """A raw protocol-8 session: the socket and its connect answer."""
    ws = await connect(url, max_size=None, **options)
    await ws.send(connect_message(schema or DEMO.serialize()))
    return ws, orjson.loads(await ws.recv())


async def join_retrying(url: str) -> tuple[ClientConnection, Message]:
    """:func:`join`, again after a 1013 (try again later) close, as clients reconnect."""
    for _ in range(50):
        ws = await connect(url, max_size=None)
        await ws.send(connect_message(DEMO.serialize()))
        try:
            return ws, orjson.loads(await ws.recv())
        except ConnectionClosed:
            if ws.close_code != 1013:
                raise
        await asyncio.sleep(0.2)
    raise AssertionError("never joined")


async def closed(ws: ClientConnection) -> tuple[int | None, str | None]:
    """Read until the server closes (at most 30 s): its close code and reason."""
    with contextlib.suppress(ConnectionClosed, TimeoutError):
        async with asyncio.timeout(30):
            while True:
                await ws.recv()
    return ws.close_code, ws.close_reason


async def until(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def push_and_wait(ws: ClientConnection, n: int, size: int) -> None:
    record = SHAPE.create(id=f"shape:{n}", props={"text": "x" * size})
    await ws.send(
        serialize_message(
            {"type": "push", "clientClock": n, "diff": {record["id"]: ["put", record]}}
        )
    )
    async with asyncio.timeout(30):
        while True:
            message = orjson.loads(await ws.recv())
            events = message["data"] if message["type"] == "data" else [message]
            if any(e["type"] == "push_result" and e.get("clientClock") == n for e in events):
                return


# --------------------------------------------------------------------------------------------
# ping flood

PING = b"\x89\xfd\x00\x00\x00\x00" + b"p" * 125  # a masked ping, 125 bytes of payload


@pytest.mark.spec("LIM1")
async def test_a_ping_flood_from_a_client_that_never_reads_is_bounded(tmp_path: Path) -> None:
    """A client floods a real ``tlsync serve`` with pings and never reads a pong (it offers up
    to 300 MB, as fast as the server takes them): the server stops reading from it, so its
    peak RSS grows by less than 64 MB (the issue measured 1.45 GB for 1.5 GB offered), and it
    still serves another client."""
    port = free_port()
    with (tmp_path / "serve.log").open("wb") as log:
        process = await start_serve(port, tmp_path / "rooms.sqlite", log)
        try:
            url = f"ws://127.0.0.1:{port}/connect/flood"
            probe, _ = await join(url)
            await push_and_wait(probe, 0, 100)
            before, _ = memory_kb(process.pid)
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
            flooder = await connect(url, sock=sock, ping_interval=None)
            flooder.transport.pause_reading()  # never read a pong
            burst = PING * 8000  # ~1 MB
            offered, stuck_since = 0, None
            while offered < 300 * MB:
                if flooder.transport.get_write_buffer_size() < 4 * MB:
                    flooder.transport.write(burst)
                    offered += len(burst)
                    stuck_since = None
                elif stuck_since is None:
                    stuck_since = time.monotonic()
                elif time.monotonic() - stuck_since > 2:
                    break  # the server stopped reading from us
                await asyncio.sleep(0.001)
            _, peak = memory_kb(process.pid)
            flooder.transport.abort()
            await push_and_wait(probe, 1, 100)  # the server serves on
            await probe.close()
            print(
                f"ping flood: offered {offered / MB:.0f} MB, server RSS {before / 1024:.0f} MB"
                f" before, peak {peak / 1024:.0f} MB"
            )
            assert (peak - before) * 1024 < 64 * MB
        finally:
            await stop_serve(process)


# --------------------------------------------------------------------------------------------
# the memory budget


@pytest.mark.spec("LIM2")
async def test_a_message_whose_parse_would_not_fit_is_refused_before_parsing(
    tmp_path: Path,
) -> None:
    """With a 256 MiB budget, one 16 MiB frame of ``[{},{},…]`` and a 60 MiB chunked message
    are refused with 1009 before they are parsed (a parse would take ~35 times their size):
    the real server process's peak RSS grows by less than 400 MB (parsing them took 0.57 GB
    and 2.2 GB in the issue), and another client is still served."""
    port = free_port()
    with (tmp_path / "serve.log").open("wb") as log:
        process = await start_serve(port, tmp_path / "rooms.sqlite", log, "--memory-budget", "256")
        try:
            url = f"ws://127.0.0.1:{port}/connect/bomb"
            probe, _ = await join(url)
            before, _ = memory_kb(process.pid)
            bomb = '{"type":"push","clientClock":1,"diff":{},"x":[' + ",".join(["{}"] * 5_500_000)
            bomb += "]}"
            assert 15 * MB < len(bomb) < 16 * MB
            attacker, _ = await join(url)
            await attacker.send(bomb)
            assert await closed(attacker) == (
                1009,
                "message would exceed the server's memory budget",
            )
            chunked, _ = await join(url)
            piece = bomb[: 12 * MB]
            for remaining in range(4, -1, -1):
                await chunked.send(f"{remaining}_{piece}")
            assert await closed(chunked) == (
                1009,
                "message would exceed the server's memory budget",
            )
            _, peak = memory_kb(process.pid)
            await push_and_wait(probe, 1, 100)
            await probe.close()
            print(
                f"amplification: server RSS {before / 1024:.0f} MB before, peak"
                f" {peak / 1024:.0f} MB after a 16 MiB frame and a 60 MiB chunked message"
            )
            assert (peak - before) * 1024 < 400 * MB
        finally:
            await stop_serve(process)


async def _stalled(url: str, *, read_answer: bool = True) -> ClientConnection:
    """A session that joined (and read its connect answer, or not), then never reads again
    (tiny receive buffer)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(
        sock, tuple(url[5:].split("/", maxsplit=1)[0].split(":"))
    )
    ws = await connect(url, sock=sock, max_size=None, max_queue=1, ping_interval=None)
    if not read_answer:
        ws.transport.pause_reading()
    await ws.send(connect_message(DEMO.serialize()))
    if read_answer:
        await ws.recv()
    ws.transport.pause_reading()
    return ws


@pytest.mark.spec("LIM2")
async def test_sessions_that_do_not_read_are_cut_off_largest_first(tmp_path: Path) -> None:
    """Budget 32 MiB, per-session outbox caps far above it: ten sessions stop reading while a
    writer pushes 256 KB shapes.  After every push the budget's count is under 32 MiB; stalled
    sessions are closed with 1013 and a reason that names the budget; the writer and a reader
    that keeps reading get every push."""
    # (the cut-off sessions read again only at the end: their closes wait for them)
    limits = ServerLimits(
        memory_budget_bytes=32 * MB, max_outbox_bytes=64 * MB, shed_close_timeout=30
    )
    persistence = SQLitePersistence(tmp_path / "rooms.sqlite")
    async with TLSyncServer(schema=DEMO, persistence=persistence, port=0, limits=limits) as server:
        url = f"{server.url}/connect/budget"
        stalled = [await _stalled(f"{url}?sessionId=s{i}") for i in range(10)]
        reader, _ = await join(url)
        seen: set[str] = set()

        async def read() -> None:
            with contextlib.suppress(ConnectionClosed):
                async for frame in reader:
                    message = orjson.loads(frame)
                    for event in message["data"] if message["type"] == "data" else [message]:
                        if event["type"] == "patch":
                            seen.update(event["diff"])

        reading = asyncio.get_running_loop().create_task(read())
        writer, _ = await join(url)
        peak = 0
        for n in range(60):
            await push_and_wait(writer, n, 256 * 1024)
            peak = max(peak, server.budget.used)
        await until(lambda: len(seen) == 60, "the reader to see every push")
        assert reader.close_code is None and writer.close_code is None
        assert peak <= 32 * MB and server.budget.evictions >= 1
        connections = server.rooms["budget"].endpoint.connections
        cut = [
            ws
            for i, ws in enumerate(stalled)
            if f"s{i}" not in connections or not connections[f"s{i}"].socket.is_open
        ]
        assert cut
        for ws in stalled:
            ws.transport.resume_reading()
        codes = {await closed(ws) for ws in cut}
        assert codes == {(1013, "server over its memory budget: reconnect later")}
        for ws in stalled:
            ws.transport.abort()
        print(f"never-reading sessions: budget peak {peak / MB:.1f} MiB, {len(cut)} of 10 cut")
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading
        await reader.close()
        await writer.close()


@pytest.mark.spec("LIM2")
async def test_sessions_joining_a_big_room_and_never_reading_stay_within_the_budget(
    tmp_path: Path,
) -> None:
    """A real ``tlsync serve`` with a 128 MiB budget holds a 12 MB room; 30 sessions join it
    and never read their connect answers (the issue measured ~17 MB each, over 500 MB): the
    budget cuts the largest off, so the process's peak RSS grows by less than 450 MB and it
    still serves the room."""
    port = free_port()
    with (tmp_path / "serve.log").open("wb") as log:
        process = await start_serve(port, tmp_path / "rooms.sqlite", log, "--memory-budget", "128")
        try:
            url = f"ws://127.0.0.1:{port}/connect/big"
            writer, _ = await join(url)
            for n in range(48):
                await push_and_wait(writer, n, 256 * 1024)
            before, _ = memory_kb(process.pid)
            stalled = [await _stalled(url, read_answer=False) for _ in range(30)]
            newcomer, hello = await join_retrying(url)  # a reading client still hydrates
            assert len([k for k in hello["diff"] if k.startswith("shape:")]) == 48
            _, peak = memory_kb(process.pid)
            for ws in stalled:
                ws.transport.abort()
            await push_and_wait(writer, 48, 100)
            await newcomer.close()
            await writer.close()
            print(
                f"30 never-reading joiners of a 12 MB room: RSS {before / 1024:.0f} MB before,"
                f" peak {peak / 1024:.0f} MB"
            )
            assert (peak - before) * 1024 < 450 * MB
        finally:
            await stop_serve(process)


@pytest.mark.spec("LIM2")
async def test_snapshots_nobody_reads_are_refused_once_over_the_budget(tmp_path: Path) -> None:
    """Budget 16 MiB, a room of about 3 MB: snapshot requests whose answers are never read are
    charged until their connections close; once the next would not fit it is answered 503, so
    the budget's count stays under its limit; when they are gone, a snapshot is served again."""
    limits = ServerLimits(memory_budget_bytes=16 * MB)
    persistence = SQLitePersistence(tmp_path / "rooms.sqlite")
    async with TLSyncServer(schema=DEMO, persistence=persistence, port=0, limits=limits) as server:
        writer, _ = await join(f"{server.url}/connect/big")
        for n in range(12):
            await push_and_wait(writer, n, 256 * 1024)
        request = b"GET /rooms/big/snapshot HTTP/1.1\r\nHost: x\r\n\r\n"
        holders: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        statuses: list[bytes] = []
        for _ in range(8):
            reader, stream = await asyncio.open_connection("127.0.0.1", server.port, limit=1024)
            stream.transport.pause_reading()  # type: ignore[attr-defined]
            stream.write(request)
            holders.append((reader, stream))
        await until(lambda: server.budget.used > 8 * MB, "the snapshots to be charged")
        for reader, stream in holders:
            stream.transport.resume_reading()  # type: ignore[attr-defined]
            statuses.append((await reader.readline()).split()[1])
        assert b"503" in statuses and b"200" in statuses
        assert server.budget.used <= 16 * MB
        for _, stream in holders:
            stream.close()
        await until(lambda: server.budget.used == 0, "the charges to be released")
        reader, stream = await asyncio.open_connection("127.0.0.1", server.port)
        stream.write(request)
        assert (await reader.readline()).split()[1] == b"200"
        stream.close()
        await writer.close()


# --------------------------------------------------------------------------------------------
# symmetric limits


def _deep(levels: int) -> Any:
    value: Any = {}
    for _ in range(levels):
        value = {"a": value}
    return value


def _presence_push(levels: int, clock: int) -> str:
    record = {
        "id": "instance_presence:x",
        "typeName": "instance_presence",
        "userId": "user:x",
        "userName": "deep",
        "lastActivityTimestamp": None,
        "followingUserId": None,
        "cursor": None,
        "color": "#ff0000",
        "camera": None,
        "screenBounds": None,
        "selectedShapeIds": [],
        "currentPageId": "page:page",
        "brush": None,
        "scribbles": [],
        "chatMessage": "",
        "meta": _deep(levels),
    }
    return serialize_message({"type": "push", "clientClock": clock, "presence": ["put", record]})


def _deepest_accepted() -> int:
    """The deepest ``meta`` the server's parser accepts in a presence push."""
    levels = 0
    while True:
        try:
            parse_client_message(_presence_push(levels + 1, 0))
        except ProtocolError:
            return levels
        levels += 1


@pytest.mark.spec("LIM3")
async def test_the_deepest_presence_the_server_accepts_reaches_a_python_client(
    tmp_path: Path,
) -> None:
    """A read-only peer sets a presence exactly as deep as the server accepts (one level more
    is refused): a Python client that joins afterwards gets it in its connect answer (one
    level deeper), loads the room and stays connected; when the peer changes it, the client's
    patch (three levels deeper than the push) arrives too.  The bound holds by construction:
    the server reads at most 128 levels, a client at most 1000."""
    assert MAX_NESTING_DEPTH + 3 <= MAX_SERVER_MESSAGE_DEPTH
    levels = _deepest_accepted()
    schema = create_tldraw_schema()
    persistence = SQLitePersistence(tmp_path / "rooms.sqlite")
    async with TLSyncServer(schema=schema, persistence=persistence, port=0) as server:
        url = f"{server.url}/connect/deep"
        peer, _ = await join(f"{url}?readonly=1", schema.serialize())
        await peer.send(_presence_push(levels, 1))
        await until(
            lambda: any("meta" in p for p in server.rooms["deep"].room.presence.values()),
            "the presence to be stored",
        )
        room = await connect_room(url, schema=schema)
        try:
            presences = room.store.serialize("presence")
            (theirs,) = presences.values()
            assert theirs["meta"] == _deep(levels)
            await peer.send(_presence_push(levels, 2).replace('"deep"', '"deeper"'))
            await room.wait_for(
                lambda store: any(
                    p["userName"] == "deeper" for p in store.serialize("presence").values()
                ),
                timeout=10,
            )
            assert room.status.get() is ClientState.CONNECTED
        finally:
            await room.close()
        await peer.send(_presence_push(levels + 1, 3))
        assert (await closed(peer))[0] == 4099
