"""Figures for issue 14: server memory under attack, and storage faults (latency, recovery).

Every attack runs against a fresh ``tlsync serve`` subprocess (SQLite, demo schema), whose RSS
is read from ``/proc`` before the attack and as its peak (``VmHWM``) after it.  The storage
faults measure ``/healthz`` latency while another process holds SQLite's write lock, and how
long after the fault is lifted every held push is acknowledged and ``/healthz`` is 200 again
(the lock and a removed folder on the subprocess; a full disk in this process, through
SQLite's ``max_page_count`` on the server's connection).

    python -m bench.resource_bounds            # everything, about a minute
    python -m bench.resource_bounds --only ping,lock --memory-budget 256
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import socket
import sqlite3
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.processes import (
    TLSYNC,
    ServerProcess,
    geo_shape,
    open_session,
    peak_rss_kib,
    rss_kib,
    start_server,
)
from tlsync_core.demo_schema import create_demo_schema
from tlsync_core.server import ServerLimits, SQLitePersistence, TLSyncServer

MB = 1024 * 1024
PING = b"\x89\xfd\x00\x00\x00\x00" + b"p" * 125


def _shape(n: int, size: int) -> dict[str, object]:
    return {**geo_shape(f"shape:{n}"), "props": {"w": 1, "h": 1, "text": "x" * size}}


async def _push(ws: ClientConnection, n: int, size: int, *, wait: bool = True) -> None:
    shape = _shape(n, size)
    message = {"type": "push", "clientClock": n, "diff": {shape["id"]: ["put", shape]}}
    await ws.send(orjson.dumps(message), text=True)
    while wait:
        reply = orjson.loads(await ws.recv())
        events = reply["data"] if reply["type"] == "data" else [reply]
        if any(e["type"] == "push_result" and e["clientClock"] == n for e in events):
            return


async def _acknowledged(ws: ClientConnection, n: int) -> None:
    while True:
        reply = orjson.loads(await ws.recv())
        events = reply["data"] if reply["type"] == "data" else [reply]
        if any(e["type"] == "push_result" and e["clientClock"] == n for e in events):
            return


async def _stalled(server: ServerProcess, room: str) -> ClientConnection:
    """A session that joined a room and then never reads."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", server.port))
    ws = await connect(server.url(room), sock=sock, max_size=None, ping_interval=None)
    hello = {"type": "connect", "connectRequestId": "r", "protocolVersion": 8}
    hello |= {"lastServerClock": -1, "schema": {"schemaVersion": 2, "sequences": {}}}
    await ws.send(orjson.dumps(hello), text=True)
    ws.transport.pause_reading()
    return ws


async def _close_code(ws: ClientConnection) -> str:
    """How the server ended the session; or that it answered a push (it took the message)."""
    with contextlib.suppress(ConnectionClosed, TimeoutError):
        async with asyncio.timeout(30):
            while True:
                if b"push_result" in await ws.recv(decode=False):
                    return "parsed and answered (it fit the budget)"
    return f"closed {ws.close_code} {ws.close_reason}"


async def _http(url: str) -> tuple[int, float]:
    """Status and latency (ms) of a GET."""

    def fetch() -> int:
        try:
            with urllib.request.urlopen(url, timeout=30) as reply:
                reply.read()
                return int(reply.status)
        except urllib.error.HTTPError as error:
            error.close()
            return int(error.code)

    started = time.monotonic()
    status = await asyncio.to_thread(fetch)
    return status, (time.monotonic() - started) * 1000


# --------------------------------------------------------------------------------------------
# attacks on memory: each returns what happened (RSS is measured around it)


async def ping_flood(server: ServerProcess) -> str:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", server.port))
    ws = await connect(server.url("flood"), sock=sock, ping_interval=None)
    ws.transport.pause_reading()
    burst, offered, stuck = PING * 8000, 0, None
    while offered < 1500 * MB:
        if ws.transport.get_write_buffer_size() < 4 * MB:
            ws.transport.write(burst)
            offered += len(burst)
            stuck = None
        elif stuck is None:
            stuck = time.monotonic()
        elif time.monotonic() - stuck > 3:
            break
        await asyncio.sleep(0.001)
    ws.transport.abort()
    return f"offered {offered / MB:.0f} MB of pings before the server stopped reading"


def _bomb(size: int) -> str:
    return '{"type":"push","clientClock":1,"diff":{},"x":[' + ",".join(["{}"] * (size // 3)) + "]}"


async def big_frame(server: ServerProcess) -> str:
    ws = await open_session(server.url("bomb"), "r", "bomb")
    await ws.send(_bomb(16 * MB - 64))
    return f"16 MiB [{{}},...] frame: {await _close_code(ws)}"


async def chunked(server: ServerProcess) -> str:
    ws = await open_session(server.url("bomb"), "r", "bomb")
    piece = _bomb(12 * MB)
    for remaining in range(4, -1, -1):
        await ws.send(f"{remaining}_{piece}")
    return f"60 MiB chunked [{{}},...]: {await _close_code(ws)}"


async def never_reading_pushes(server: ServerProcess) -> str:
    stalled = [await _stalled(server, "stall") for _ in range(20)]
    writer = await open_session(server.url("stall"), "w", "writer")
    refused = 0
    for n in range(6):
        try:
            await _push(writer, n, 4 * MB)
        except ConnectionClosed:  # (refused: the budget was full; a client reconnects)
            refused += 1
            writer = await open_session(server.url("stall"), "w", "writer")
    for ws in stalled:
        ws.transport.resume_reading()
    codes = [await _close_code(ws) for ws in stalled]
    cut = sum(code.startswith("closed 1013") for code in codes)
    await writer.close()
    return f"20 never-reading sessions, 6 pushes of 4 MB: {cut} cut off, {refused} pushes refused"


async def _twelve_mb_room(server: ServerProcess, room: str) -> ClientConnection:
    writer = await open_session(server.url(room), "w", "writer")
    for n in range(48):
        await _push(writer, n, 256 * 1024)
    return writer


async def joiners(server: ServerProcess) -> str:
    writer = await _twelve_mb_room(server, "big")
    stalled = [await _stalled(server, "big") for _ in range(30)]
    await asyncio.sleep(2)  # (their connect answers are on their way: let memory settle)
    for ws in stalled:
        ws.transport.abort()
    await writer.close()
    return "30 never-reading sessions joined a 12 MB room"


async def unread_snapshots(server: ServerProcess) -> str:
    writer = await _twelve_mb_room(server, "big")
    request = b"GET /rooms/big/snapshot HTTP/1.1\r\nHost: x\r\n\r\n"
    streams = []
    for _ in range(50):
        reader, stream = await asyncio.open_connection("127.0.0.1", server.port, limit=1024)
        stream.transport.pause_reading()  # type: ignore[attr-defined]
        stream.write(request)
        streams.append((reader, stream))
    await asyncio.sleep(2)  # (let the server answer them all)
    statuses = []
    for reader, stream in streams:
        stream.transport.resume_reading()  # type: ignore[attr-defined]
        statuses.append((await reader.readline()).split()[1].decode())
        stream.close()
    await writer.close()
    return f"50 unread snapshot GETs of a 12 MB room: {statuses.count('200')} x 200, " + (
        f"{statuses.count('503')} x 503"
    )


ATTACKS: dict[str, Callable[[ServerProcess], Awaitable[str]]] = {
    "ping": ping_flood,
    "frame": big_frame,
    "chunked": chunked,
    "stall": never_reading_pushes,
    "join": joiners,
    "snapshots": unread_snapshots,
}


async def attack(name: str, budget_mib: int | None) -> str:
    options = () if budget_mib is None else ("--memory-budget", str(budget_mib))
    server = await start_server(TLSYNC, *options)
    try:
        before = rss_kib(server.pid)
        outcome = await ATTACKS[name](server)
        peak = peak_rss_kib(server.pid)
        probe = await open_session(server.url("probe"), "p", "probe")
        await _push(probe, 1, 10)  # the server still serves
        await probe.close()
        return f"{outcome}; RSS {before / 1024:.0f} MB before, peak {peak / 1024:.0f} MB"
    finally:
        await server.stop()


# --------------------------------------------------------------------------------------------
# storage faults


async def _healthz(server_port: int) -> tuple[int, float]:
    return await _http(f"http://127.0.0.1:{server_port}/healthz")


async def _recovery(port: int, ws: ClientConnection, n: int) -> float:
    """Seconds until push ``n`` is acknowledged and /healthz is 200."""
    started = time.monotonic()
    await _acknowledged(ws, n)
    while (await _healthz(port))[0] != 200:
        await asyncio.sleep(0.01)
    return time.monotonic() - started


async def lock_held() -> str:
    server = await start_server(TLSYNC)
    try:
        ws = await open_session(server.url("lock"), "r", "writer")
        await _push(ws, 0, 10)
        holder = sqlite3.connect(Path(server.workdir.name) / "rooms.sqlite", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        await _push(ws, 1, 10, wait=False)
        samples: list[tuple[int, float]] = []
        until = time.monotonic() + 8
        while time.monotonic() < until:
            samples.append(await _healthz(server.port))
            await asyncio.sleep(0.05)
        holder.execute("COMMIT")
        holder.close()
        recovery = await _recovery(server.port, ws, 1)
        await ws.close()
        latencies = sorted(ms for _, ms in samples)
        codes = sorted({code for code, _ in samples})
        return (
            f"write lock held 8 s: /healthz {len(samples)} answers, median"
            f" {latencies[len(latencies) // 2]:.1f} ms, max {latencies[-1]:.1f} ms, statuses"
            f" {codes}; after release, acknowledged and healthy in {recovery * 1000:.0f} ms"
        )
    finally:
        await server.stop()


async def folder_removed() -> str:
    server = await start_server(TLSYNC)
    try:
        folder = Path(server.workdir.name)
        ws = await open_session(server.url("gone"), "r", "writer")
        for n in range(30):
            await _push(ws, n, 10)
        shutil.rmtree(folder)
        await _push(ws, 30, 10, wait=False)
        while (await _healthz(server.port))[0] != 503:
            await asyncio.sleep(0.01)
        folder.mkdir()
        recovery = await _recovery(server.port, ws, 30)
        await ws.close()
        stored = SQLitePersistence(folder / "rooms.sqlite")
        snapshot = stored.load("gone")
        stored.close()
        count = 0 if snapshot is None else len(snapshot["documents"]) - 2  # (document, page)
        return (
            f"folder removed: 503 while gone; recreated: acknowledged and healthy in"
            f" {recovery * 1000:.0f} ms; {count} of 31 shapes in the file at the path"
        )
    finally:
        folder.mkdir(exist_ok=True)
        await server.stop()


async def disk_full() -> str:
    with tempfile.TemporaryDirectory() as workdir:
        persistence = SQLitePersistence(Path(workdir) / "rooms.sqlite")
        async with TLSyncServer(
            schema=create_demo_schema(), persistence=persistence, port=0, limits=ServerLimits()
        ) as server:
            ws = await open_session(f"{server.url}/connect/full", "r", "writer")
            await _push(ws, 0, 10)

            def cap() -> None:
                (pages,) = persistence.connection.execute("PRAGMA page_count").fetchone()
                persistence.connection.execute(f"PRAGMA max_page_count = {pages}")

            def grow() -> None:
                persistence.connection.execute("PRAGMA max_page_count = 1073741823")

            await server.storage.run(cap)
            await _push(ws, 1, 200_000, wait=False)
            while not server.storage.failing:
                await asyncio.sleep(0.01)
            await server.storage.run(grow)
            recovery = await _recovery(server.port, ws, 1)
            await ws.close()
    return f"disk full, then grown: acknowledged and healthy in {recovery * 1000:.0f} ms"


STORAGE: dict[str, Callable[[], Awaitable[str]]] = {
    "lock": lock_held,
    "folder": folder_removed,
    "disk": disk_full,
}


async def run(only: Sequence[str], budget_mib: int | None) -> None:
    for name in only:
        if name in ATTACKS:
            print(f"{name}: {await attack(name, budget_mib)}", flush=True)
        else:
            print(f"{name}: {await STORAGE[name]()}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [*ATTACKS, *STORAGE]
    parser.add_argument("--only", default=",".join(names), help=f"some of {','.join(names)}")
    parser.add_argument(
        "--memory-budget", type=int, metavar="MIB", help="the server's budget (default: its own)"
    )
    args = parser.parse_args(argv)
    asyncio.run(run([name for name in args.only.split(",") if name], args.memory_budget))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
