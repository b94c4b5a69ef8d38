"""connect(): bots on real websockets against our server on a real SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from waiting import until

from tlsync_client.connection import RoomConnection, SyncError, connect
from tlsync_client.sync_client import ClientState
from tlsync_core.demo_schema import PRESENCE, SHAPE, create_demo_schema
from tlsync_core.protocol.close_codes import TLSyncErrorCloseEventReason as Reason
from tlsync_core.server import AuthDecision, AuthRequest, SQLitePersistence, TLSyncServer
from tlsync_core.store import Store

SCHEMA = create_demo_schema()
FAST: dict[str, Any] = {"min_delay_ms": 20.0, "max_delay_ms": 100.0}


def shapes(store: Store) -> dict[str, Any]:
    return {r["id"]: r for r in store.all_records() if r["typeName"] == "shape"}


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TLSyncServer]:
    async with TLSyncServer(
        schema=SCHEMA, persistence=SQLitePersistence(tmp_path / "rooms.sqlite"), port=0
    ) as running:
        yield running


@pytest.mark.spec("CA1")
async def test_connect_returns_a_loaded_room_and_pushes_local_changes(
    server: TLSyncServer,
) -> None:
    """connect() returns once the room's records are in the store; a local put is
    acknowledged (wait_for_sync) and is in the server's room."""
    async with connect(f"{server.url}/connect/r1", schema=SCHEMA) as room:
        assert room.status.get() is ClientState.CONNECTED
        assert room.store.has("document:document") and room.store.has("page:page")
        room.store.put([SHAPE.create(id="shape:a", x=1)])
        assert room.is_synced.get() is False
        await room.wait_for_sync(timeout=5)
        assert room.is_synced.get() is True
        assert server.rooms["r1"].room.get_snapshot()["clock"] >= 1
        stored = {d["state"]["id"] for d in server.rooms["r1"].room.get_snapshot()["documents"]}
        assert "shape:a" in stored


@pytest.mark.spec("CA2")
async def test_two_bots_editing_concurrently_converge(server: TLSyncServer) -> None:
    """Two bots writing the same and different records at once end with identical
    documents, equal to the server's."""
    url = f"{server.url}/connect/race"
    async with connect(url, schema=SCHEMA) as alice, connect(url, schema=SCHEMA) as bob:
        for n in range(30):
            alice.store.put([SHAPE.create(id=f"shape:a{n}", x=n)])
            bob.store.put([SHAPE.create(id=f"shape:b{n}", x=n)])
            alice.store.put([SHAPE.create(id="shape:both", x=n)])
            bob.store.put([SHAPE.create(id="shape:both", x=-n)])
            if n % 7 == 0:
                await asyncio.sleep(0)
        await alice.wait_for_sync(timeout=5)
        await bob.wait_for_sync(timeout=5)
        want = 61
        await alice.wait_for(lambda s: len(shapes(s)) == want, timeout=5)
        await bob.wait_for(lambda s: len(shapes(s)) == want, timeout=5)
        await _settled(alice, bob)
        assert alice.store.serialize() == bob.store.serialize()
        snapshot = server.rooms["race"].room.get_snapshot()
        server_docs = {d["state"]["id"]: d["state"] for d in snapshot["documents"]}
        assert server_docs == alice.store.serialize()


async def _settled(*rooms: RoomConnection) -> None:
    """Wait until every room is synced and all stores agree (bounded)."""
    await until(
        lambda: (
            all(r.is_synced.get() for r in rooms)
            and all(r.store.serialize() == rooms[0].store.serialize() for r in rooms)
        )
    )


@pytest.mark.spec("CA3")
async def test_wait_for_is_reactive_and_raises_on_timeout(server: TLSyncServer) -> None:
    """wait_for resolves when another client's edit makes the predicate true, re-evaluating
    only when a record it read changes (another record arriving does not run it); it raises
    TimeoutError when nothing happens."""
    url = f"{server.url}/connect/watch"
    async with connect(url, schema=SCHEMA) as watcher, connect(url, schema=SCHEMA) as writer:
        calls = 0
        evaluated = asyncio.Event()

        def page_renamed(store: Store) -> bool:
            nonlocal calls
            calls += 1
            evaluated.set()
            return bool(store.get("page:page")["name"] == "renamed")  # type: ignore[index]

        waiting = asyncio.create_task(watcher.wait_for(page_renamed, timeout=5))
        await evaluated.wait()
        writer.store.put([SHAPE.create(id="shape:other")])
        await watcher.wait_for(lambda s: s.get("shape:other") is not None, timeout=5)
        assert calls == 1 and not waiting.done()  # shape:other is not what it read
        page = writer.store.get("page:page")
        assert page is not None
        writer.store.put([{**page, "name": "renamed"}])
        await waiting
        assert calls == 2
        with pytest.raises(TimeoutError):
            await watcher.wait_for(lambda s: s.get("shape:never") is not None, timeout=0.05)


@pytest.mark.spec("CA4")
async def test_refused_auth_is_a_clear_sync_error(tmp_path: Path) -> None:
    """A refused connection raises SyncError with the server's reason, and leaves nothing
    running."""

    def authorize(request: AuthRequest) -> AuthDecision:
        if request.query.get("token") == "ok":
            return AuthDecision.allow()
        return AuthDecision.refuse(Reason.FORBIDDEN)

    async with TLSyncServer(schema=SCHEMA, authorize=authorize, port=0) as server:
        with pytest.raises(SyncError) as refused:
            await connect(f"{server.url}/connect/private?token=bad", schema=SCHEMA)
        assert refused.value.reason == "FORBIDDEN"
        room = await connect(f"{server.url}/connect/private?token=ok", schema=SCHEMA)
        await room.close()


@pytest.mark.spec("CA5")
async def test_server_restart_mid_session_loses_nothing_acknowledged(tmp_path: Path) -> None:
    """The server stops (closing every socket) and a new one starts on the same port and
    SQLite file: the bot reconnects by itself, everything acknowledged before is still
    there, and edits made while the server was down are pushed after the reconnect."""
    db = tmp_path / "rooms.sqlite"
    first = TLSyncServer(schema=SCHEMA, persistence=SQLitePersistence(db), port=0)
    await first.start()
    port = first.port
    async with connect(f"{first.url}/connect/keep", schema=SCHEMA, **FAST) as bot:
        for n in range(10):
            bot.store.put([SHAPE.create(id=f"shape:{n}", x=n)])
        await bot.wait_for_sync(timeout=5)
        await first.close()
        await bot.wait_for(lambda _s: bot.status.get() is not ClientState.CONNECTED, timeout=5)
        bot.store.put([SHAPE.create(id="shape:offline", x=99)])
        bot.store.remove(["shape:0"])
        second = TLSyncServer(schema=SCHEMA, persistence=SQLitePersistence(db), port=port)
        await second.start()
        try:
            await bot.wait_for(lambda _s: bot.status.get() is ClientState.CONNECTED, timeout=10)
            await bot.wait_for_sync(timeout=5)
            stored = {
                d["state"]["id"] for d in second.rooms["keep"].room.get_snapshot()["documents"]
            }
            expected = {f"shape:{n}" for n in range(1, 10)} | {"shape:offline"}
            assert {i for i in stored if i.startswith("shape:")} == expected
            assert set(shapes(bot.store)) == expected
        finally:
            await second.close()


@pytest.mark.spec("CA6")
async def test_presence_of_other_bots_appears_and_vanishes(server: TLSyncServer) -> None:
    """A bot's presence record reaches the other bots' stores, and is removed when it
    leaves."""
    url = f"{server.url}/connect/presence"
    async with connect(url, schema=SCHEMA) as watcher:
        visitor = await connect(
            url,
            schema=SCHEMA,
            presence=PRESENCE.create(id="instance_presence:v", userName="visitor"),
        )
        await watcher.wait_for(
            lambda s: any(r["userName"] == "visitor" for r in s.query.exec("instance_presence")),
            timeout=5,
        )
        await visitor.close()
        await watcher.wait_for(lambda s: not s.query.exec("instance_presence"), timeout=10)


@pytest.mark.spec("CA1")
async def test_wait_for_sync_reports_refused_changes(server: TLSyncServer) -> None:
    """On a read-only session a local put is refused: wait_for_sync returns 1 and the put is
    undone; on a writable session it returns 0."""
    url = f"{server.url}/connect/refusals"
    async with (
        connect(url, schema=SCHEMA) as writer,
        connect(url + "?readonly=1", schema=SCHEMA) as viewer,
    ):
        viewer.store.put([SHAPE.create(id="shape:v")])
        assert await viewer.wait_for_sync(timeout=5) == 1
        assert not viewer.store.has("shape:v")
        writer.store.put([SHAPE.create(id="shape:w")])
        assert await writer.wait_for_sync(timeout=5) == 0
