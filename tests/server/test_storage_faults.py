"""Storage faults (issue 14): the server fails closed and heals by itself.

Each test runs a real server on a real SQLite file, breaks the storage under it the way it
breaks in production, and keeps real websockets pushing through the outage:

* the disk is full (SQLite's ``max_page_count`` on the server's connection, as a full
  filesystem fails: ``database or disk is full``), then grows;
* another process holds the write lock (a second connection in ``BEGIN IMMEDIATE``), then lets
  go;
* the database file, or its whole folder, is removed while the server runs.

A watcher reads every frame the server sends and checks, the moment each frame arrives, that
the clock it carries is already in the file (read by a connection of its own): nothing that is
not durable is acknowledged, broadcast or in a connect answer.  A snapshot asked for during the
outage is refused (503) rather than served from memory ahead of disk.  Once storage works
again, without a restart, every push is acknowledged, every acknowledged write is in the file,
the file holds nothing nobody pushed, a newcomer that connected during the outage hydrates
exactly the stored room, and after shutdown the file still holds exactly that room.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from stored import stored_documents
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tlsync_core.demo_schema import SHAPE, create_demo_schema
from tlsync_core.protocol.codec import loads_frame, serialize_message
from tlsync_core.server import ServerLimits, SQLitePersistence, TLSyncServer

SCHEMA = create_demo_schema()
ROOM = "faults"
LIMITS = ServerLimits(snapshot_durable_timeout=0.3)
Message = dict[str, Any]


def stored_clock(db: Path, room_id: str) -> int:
    """The room's clock in the file at ``db`` right now (-1 when there is no such room)."""
    if not db.exists():
        return -1
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        query = "SELECT document_clock FROM rooms WHERE room_id = ?"
        row = conn.execute(query, (room_id,)).fetchone()
    return -1 if row is None else int(row[0])


def sqlite_documents(db: Path) -> dict[str, Any]:
    return stored_documents(SQLitePersistence(db), ROOM)


async def http_get(url: str) -> tuple[int, bytes]:
    """GET ``url`` from a thread (the server runs on this loop): status and body."""

    def fetch() -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(url, timeout=10) as reply:
                return int(reply.status), bytes(reply.read())
        except urllib.error.HTTPError as error:
            with contextlib.closing(error):
                return int(error.code), bytes(error.read())

    return await asyncio.to_thread(fetch)


async def until(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


class Peer:
    """A raw protocol-8 client that checks every frame against the file as it arrives."""

    def __init__(self, ws: ClientConnection, db: Path, room_id: str) -> None:
        self.ws = ws
        self.db = db
        self.room_id = room_id
        self.documents: dict[str, Any] = {}
        self.acknowledged: set[str] = set()
        self.violations: list[str] = []
        self.connected = asyncio.Event()
        self.reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def join(cls, url: str, db: Path) -> Peer:
        ws = await connect(url, max_size=None)
        peer = cls(ws, db, url.rsplit("/", 1)[1])
        await ws.send(
            serialize_message(
                {
                    "type": "connect",
                    "connectRequestId": "r",
                    "protocolVersion": 8,
                    "lastServerClock": -1,
                    "schema": SCHEMA.serialize(),
                }
            )
        )
        return peer

    async def push(self, n: int, size: int = 100) -> None:
        record = SHAPE.create(id=f"shape:{n}", props={"text": "x" * size})
        diff = {f"shape:{n}": ["put", record]}
        await self.ws.send(serialize_message({"type": "push", "clientClock": n, "diff": diff}))

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in self.ws:
                message = loads_frame(frame)
                events = message["data"] if message["type"] == "data" else [message]
                for event in events:
                    self._check_durable(event)
                    if event["type"] == "connect":
                        self.documents = {}
                        self._apply(event["diff"])
                        self.connected.set()
                    elif event["type"] == "patch":
                        self._apply(event["diff"])
                    elif event["type"] == "push_result":
                        assert event["action"] == "commit", event
                        shape_id = f"shape:{event['clientClock']}"
                        self.acknowledged.add(shape_id)
                        self.documents[shape_id] = None  # (our own write: the file has it)

    def _check_durable(self, event: Message) -> None:
        clock = event.get("serverClock")
        if clock is not None and clock > (on_disk := stored_clock(self.db, self.room_id)):
            self.violations.append(f"{event['type']} at clock {clock}, file at {on_disk}")

    def _apply(self, diff: Message) -> None:
        for record_id, op in diff.items():
            if record_id.startswith("shape:"):
                self.documents[record_id] = op[1] if op[0] == "put" else None

    async def close(self) -> None:
        await self.ws.close()
        await self.reader


@contextlib.asynccontextmanager
async def running(db: Path) -> AsyncIterator[tuple[TLSyncServer, SQLitePersistence]]:
    persistence = SQLitePersistence(db, busy_timeout=0.2)
    async with TLSyncServer(
        schema=SCHEMA, persistence=persistence, port=0, limits=LIMITS
    ) as server:
        yield server, persistence


async def health(server: TLSyncServer) -> tuple[int, Any]:
    status, body = await http_get(f"http://127.0.0.1:{server.port}/healthz")
    return status, orjson.loads(body)


async def outage(
    db: Path,
    break_storage: Callable[[TLSyncServer, SQLitePersistence], Any],
    heal_storage: Callable[[TLSyncServer, SQLitePersistence], Any],
    *,
    expect_failing: bool = True,
) -> None:
    """Push 10 shapes, break storage, push 20 more and let a newcomer join, heal: check it all
    (see the module docstring)."""
    async with running(db) as (server, persistence):
        url = f"{server.url}/connect/{ROOM}"
        watcher = await Peer.join(url, db)
        pusher = await Peer.join(url, db)
        await pusher.connected.wait()
        for n in range(10):
            await pusher.push(n)
        await until(lambda: len(pusher.acknowledged) == 10, "the first pushes")

        await break_storage(server, persistence)
        for n in range(10, 30):
            await pusher.push(n, size=20_000)
        if expect_failing:
            await until(lambda: server.storage.failing, "the storage to fail")
            status, report = await health(server)
            assert status == 503 and report["storage"]["pending"] > 0, report
            assert report["storage"]["error"], report
            status, _ = await http_get(f"http://127.0.0.1:{server.port}/rooms/{ROOM}/snapshot")
            assert status == 503
        newcomer = await Peer.join(url, db)
        founder = await Peer.join(f"{server.url}/connect/fresh", db)  # a room made meanwhile

        await heal_storage(server, persistence)
        healed = time.monotonic()
        await until(lambda: len(pusher.acknowledged) == 30, "every push to be acknowledged")
        recovery = time.monotonic() - healed
        print(f"{break_storage.__name__}: every push acknowledged {recovery:.3f} s after healing")
        await newcomer.connected.wait()
        await until(
            lambda: len(watcher.documents) == len(newcomer.documents) == 30,
            "the peers to see every shape",
        )
        status, report = await health(server)
        assert status == 200 and report["ok"], report

        stored = sqlite_documents(db)
        shapes = {k for k in stored if k.startswith("shape:")}
        assert shapes == pusher.acknowledged == {f"shape:{n}" for n in range(30)}
        assert set(newcomer.documents) == set(watcher.documents) == shapes
        room = server.rooms[ROOM].room
        assert {k: d.state for k, d in room.storage.documents.items()} == stored
        assert watcher.violations == pusher.violations == newcomer.violations == []
        await founder.connected.wait()  # served once the new room is stored
        stored_rooms = await server.storage.run(persistence.room_ids)
        assert "fresh" in stored_rooms and "fresh" in server.rooms
        for peer in (watcher, pusher, newcomer, founder):
            await peer.close()
    assert sqlite_documents(db) == stored  # (what a restart loads)


@pytest.mark.spec("STO1", "STO2", "STO3")
async def test_a_full_disk_holds_everything_then_heals(tmp_path: Path) -> None:
    """The disk fills up (no page may be added): commits fail, the server answers 503 on
    ``/healthz`` and for the room's snapshot, acknowledges nothing and broadcasts nothing; once
    the disk grows, every held push is stored and acknowledged without a restart, and nothing
    acknowledged is lost."""

    async def fill(server: TLSyncServer, persistence: SQLitePersistence) -> None:
        def cap() -> None:
            (pages,) = persistence.connection.execute("PRAGMA page_count").fetchone()
            persistence.connection.execute(f"PRAGMA max_page_count = {pages}")

        await server.storage.run(cap)

    async def grow(server: TLSyncServer, persistence: SQLitePersistence) -> None:
        def uncap() -> None:
            persistence.connection.execute("PRAGMA max_page_count = 1073741823")

        await server.storage.run(uncap)

    await outage(tmp_path / "rooms.sqlite", fill, grow)


@pytest.mark.spec("STO1", "STO2", "STO3", "STO4")
async def test_a_lock_held_by_another_process_holds_everything_then_heals(
    tmp_path: Path,
) -> None:
    """Another connection holds SQLite's write lock (``BEGIN IMMEDIATE``): the server's commits
    time out and are retried; meanwhile the event loop is free (``/healthz`` answers, 503 with
    the pending writes) and nothing is acknowledged; when the lock is released, everything is
    stored and acknowledged."""
    db = tmp_path / "rooms.sqlite"
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)

    async def lock(server: TLSyncServer, persistence: SQLitePersistence) -> None:
        holder.execute("BEGIN IMMEDIATE")

    async def unlock(server: TLSyncServer, persistence: SQLitePersistence) -> None:
        holder.execute("COMMIT")

    try:
        await outage(db, lock, unlock)
    finally:
        holder.close()


@pytest.mark.spec("STO1", "STO5")
@pytest.mark.parametrize("what", ["file", "file-and-wal", "folder"])
async def test_a_vanished_database_is_restored_not_lost(tmp_path: Path, what: str) -> None:
    """The database file (alone, or with its WAL) or its whole folder is removed while the
    server runs: the server notices (the file at the path is not the one it opened),
    acknowledges nothing written into the vanished file, and puts the database back at its path
    from its open connection as soon as it can (at once for a file; once the folder exists
    again), so every acknowledged write, before and after, is in the file a restart reads."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "rooms.sqlite"

    async def remove(server: TLSyncServer, persistence: SQLitePersistence) -> None:
        if what == "folder":
            shutil.rmtree(folder)
        else:
            for suffix in ("", "-wal", "-shm") if what == "file-and-wal" else ("",):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{db}{suffix}")

    async def recreate(server: TLSyncServer, persistence: SQLitePersistence) -> None:
        folder.mkdir(exist_ok=True)

    await outage(db, remove, recreate, expect_failing=what == "folder")
