"""Faults of the process (issue 8): a ``kill -9`` under load, and readers that stop reading.

* ``tlsync serve`` (a real subprocess on a SQLite file) is killed with SIGKILL while three of
  our real clients (:func:`tlsync_client.connect`) keep pushing; it is restarted on the same
  file and port.  Every change a client saw acknowledged (``wait_for_sync`` returned) is on
  disk, the clients reconnect by themselves, push what they edited offline, and converge: every
  store equals the server's snapshot.
* A raw client that stops reading is closed once its outbox cap is hit (1013, SRV4), and
  catches up without loss by reconnecting with the last ``serverClock`` it read; one that never
  reads again is cut off after the close timeout instead of pinning its connection forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from raw_messages import connect_request
from serve_process import free_port, start_serve
from shape_writers import ShapeWriters
from stored import stored_documents
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tlsync_client import connect as connect_room
from tlsync_client.sync_client import ClientState
from tlsync_core.demo_schema import SHAPE, create_demo_schema
from tlsync_core.protocol.codec import loads_frame, serialize_message
from tlsync_core.protocol.diff import apply_object_diff
from tlsync_core.server import ServerLimits, SQLitePersistence, TLSyncServer
from tlsync_core.store import Store

SCHEMA = create_demo_schema()
Message = dict[str, Any]


# --------------------------------------------------------------------------------------------
# kill -9


async def _until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def _stored_ids(db: Path, room_id: str) -> set[str]:
    """The documents of ``room_id`` committed to ``db`` (read by a connection of our own)."""
    return set(stored_documents(SQLitePersistence(db), room_id))


def _http_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as reply:
        return orjson.loads(reply.read())


@pytest.mark.spec("SRV6", "DUR1", "CA5", "CA2")
async def test_kill_9_under_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    """Three real clients push shapes (two per push, closed loop on ``wait_for_sync``) into
    ``tlsync serve``; SIGKILL mid-stream: every acknowledged shape is already on disk.  On a
    restart (same file, same port) the clients reconnect by themselves (50-200 ms backoff), push
    their offline edits, keep going, and converge: every store equals the server's snapshot,
    which holds every acknowledged shape."""
    db = tmp_path / "rooms.sqlite"
    port = free_port()
    url = f"ws://127.0.0.1:{port}/connect/crash"
    writers = ShapeWriters([])
    acknowledged = writers.acknowledged
    clients = writers.clients
    with (tmp_path / "serve.log").open("wb") as log:
        process = await start_serve(port, db, log)
        try:
            for _ in range(3):
                room = await connect_room(url, schema=SCHEMA, min_delay_ms=50, max_delay_ms=200)
                clients.append(room)
            writers.start()
            await _until(lambda: len(acknowledged) >= 90, 30, "90 acknowledged shapes")

            process.send_signal(signal.SIGKILL)
            await process.wait()
            at_kill = list(acknowledged)
            # nothing acknowledged is missing from the file the dead server left behind
            assert set(at_kill) <= _stored_ids(db, "crash")
            await _until(
                lambda: all(c.status.get() is not ClientState.CONNECTED for c in clients),
                10,
                "the clients to notice",
            )
            await asyncio.sleep(0.3)  # they keep editing offline meanwhile

            process = await start_serve(port, db, log)
            await _until(
                lambda: (
                    len(acknowledged) >= len(at_kill) + 60
                    and all(c.status.get() is ClientState.CONNECTED for c in clients)
                ),
                30,
                "the clients to reconnect and push on",
            )
            await writers.finish()
            for room in clients:
                await room.wait_for_sync(timeout=30)

            snapshot = await asyncio.to_thread(
                _http_json, f"http://127.0.0.1:{port}/rooms/crash/snapshot"
            )
            documents = {d["state"]["id"]: d["state"] for d in snapshot["documents"]}
            assert set(acknowledged) <= set(documents)
            print(
                f"kill -9: {len(at_kill)} shapes acknowledged before the kill, all on disk;"
                f" {len(acknowledged)} acknowledged in all, all in the snapshot, lost 0"
            )
            assert len(acknowledged) == len(set(acknowledged)) >= len(at_kill) + 60
            for room in clients:

                def converged(store: Store) -> bool:
                    return store.serialize("document") == documents

                await room.wait_for(converged, timeout=10)
        finally:
            await writers.close()
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 10)
                except TimeoutError:
                    process.kill()
                    await process.wait()


# --------------------------------------------------------------------------------------------
# stalled readers


STALL_LIMITS = ServerLimits(
    max_outbox_messages=8, max_outbox_bytes=256 * 1024, close_timeout=2.0, shed_close_timeout=2.0
)


async def _stalling_socket(url: str) -> ClientConnection:
    """A websocket whose reading side holds almost nothing: a small kernel receive buffer and
    a one-frame queue, so that the server's writes back up as soon as we stop reading."""
    host, port = url.removeprefix("ws://").split("/", 1)[0].split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
    return await connect(url, sock=sock, max_size=None, max_queue=1, ping_interval=None)


def connect_message(last_server_clock: int = -1) -> Message:
    return connect_request(SCHEMA.serialize(), last_server_clock=last_server_clock)


class Replica:
    """The documents a raw client holds: it applies what it reads, as a client would."""

    def __init__(self) -> None:
        self.documents: dict[str, Message] = {}
        self.server_clock = -1

    def apply_connect(self, hello: Message) -> None:
        assert hello["type"] == "connect", hello
        if hello["hydrationType"] == "wipe_all":
            self.documents = {}
        self.apply_diff(hello["diff"])
        self.server_clock = hello["serverClock"]

    def apply_frame(self, message: Message) -> None:
        for event in message["data"] if message["type"] == "data" else [message]:
            if event["type"] == "patch":
                self.apply_diff(event["diff"])
                self.server_clock = event["serverClock"]

    def apply_diff(self, diff: Message) -> None:
        for record_id, op in diff.items():
            if record_id.startswith("instance_presence:"):
                continue
            if op[0] == "put":
                self.documents[record_id] = op[1]
            elif op[0] == "patch":
                self.documents[record_id] = apply_object_diff(self.documents[record_id], op[1])
            else:
                self.documents.pop(record_id, None)


async def _writer(url: str) -> tuple[ClientConnection, Callable[[int], Awaitable[None]]]:
    """A raw writer and its ``push(n)``: a 32 KB shape ``shape:<n>``, acknowledged."""
    ws = await connect(url, max_size=None)
    await ws.send(serialize_message(connect_message()))
    assert loads_frame(await ws.recv())["type"] == "connect"

    async def push(n: int) -> None:
        record = SHAPE.create(id=f"shape:{n}", props={"text": "x" * 32_000})
        diff = {f"shape:{n}": ["put", record]}
        await ws.send(serialize_message({"type": "push", "clientClock": n, "diff": diff}))
        while True:
            message = loads_frame(await asyncio.wait_for(ws.recv(), 5))
            events = message["data"] if message["type"] == "data" else [message]
            if any(e["type"] == "push_result" and e["clientClock"] == n for e in events):
                return

    return ws, push


async def _stall(server: TLSyncServer, push: Callable[[int], Awaitable[None]]) -> int:
    """Push until the staller's session is cut off (its outbox over the cap); the pushes made."""
    room = server.rooms["stall"].room
    for n in range(1000):
        await push(n)
        if room.sessions["staller"].state.value != "connected":
            return n + 1
    raise AssertionError("the staller was never disconnected")


@pytest.mark.spec("SRV4", "SEC4")
async def test_a_stalled_reader_is_closed_1013_and_catches_up(tmp_path: Path) -> None:
    """A client that stops reading is disconnected once its outbox is over the cap: when it
    reads again it finds the frames already on their way, then a 1013 close; reconnecting with
    the last ``serverClock`` it read, it gets exactly what it missed (``wipe_presence``), so its
    documents equal the room's, and it is live again."""
    persistence = SQLitePersistence(tmp_path / "rooms.sqlite")
    async with TLSyncServer(
        schema=SCHEMA, persistence=persistence, port=0, limits=STALL_LIMITS
    ) as server:
        url = f"{server.url}/connect/stall"
        staller = await _stalling_socket(f"{url}?sessionId=staller")
        replica = Replica()
        await staller.send(serialize_message(connect_message()))
        replica.apply_connect(loads_frame(await staller.recv()))
        writer, push = await _writer(f"{url}?sessionId=writer")
        try:
            pushes = await _stall(server, push)
            # the staller reads again: the frames on their way, then the close
            with contextlib.suppress(ConnectionClosed):
                while True:
                    replica.apply_frame(loads_frame(await asyncio.wait_for(staller.recv(), 5)))
            assert (staller.close_code, staller.close_reason) == (
                1013,
                "outbox full: reconnect to catch up",
            )
            room = server.rooms["stall"].room
            missed = set(room.storage.documents) - set(replica.documents)
            assert missed, "the close came before the staller had everything"
            # reconnect with the last clock read: exactly the rest
            again = await connect(f"{url}?sessionId=staller", max_size=None)
            try:
                await again.send(serialize_message(connect_message(replica.server_clock)))
                hello = loads_frame(await again.recv())
                assert hello["hydrationType"] == "wipe_presence"
                assert set(hello["diff"]) == missed
                replica.apply_connect(hello)
                assert replica.documents == {k: d.state for k, d in room.storage.documents.items()}
                await push(pushes)
                replica.apply_frame(loads_frame(await asyncio.wait_for(again.recv(), 5)))
                assert f"shape:{pushes}" in replica.documents
            finally:
                await again.close()
        finally:
            await writer.close()
            staller.transport.abort()


@pytest.mark.spec("SRV4", "SEC4")
async def test_a_reader_that_never_reads_again_is_cut_off(tmp_path: Path) -> None:
    """A client that stops reading for good does not pin its connection: once its outbox is
    over the cap the server gives it ``close_timeout`` to take the close, then aborts the
    connection; the room goes on and the server still shuts down promptly."""
    persistence = SQLitePersistence(tmp_path / "rooms.sqlite")
    server = TLSyncServer(schema=SCHEMA, persistence=persistence, port=0, limits=STALL_LIMITS)
    await server.start()
    staller: ClientConnection | None = None
    writer: ClientConnection | None = None
    try:
        url = f"{server.url}/connect/stall"
        staller = await _stalling_socket(f"{url}?sessionId=staller")
        await staller.send(serialize_message(connect_message()))
        await staller.recv()
        writer, push = await _writer(f"{url}?sessionId=writer")
        pushes = await _stall(server, push)
        cut_at = time.monotonic()
        entry = server.rooms["stall"]
        connections = entry.endpoint.connections
        await _until(lambda: "staller" not in connections, 10, "the staller to be cut off")
        assert time.monotonic() - cut_at < STALL_LIMITS.close_timeout + 1.5
        await push(pushes)  # the room goes on
    finally:
        if writer is not None:
            await writer.close()
        started = time.monotonic()
        await server.close()
        assert time.monotonic() - started < 5
        if staller is not None:
            staller.transport.abort()
            with contextlib.suppress(Exception):
                await staller.wait_closed()
