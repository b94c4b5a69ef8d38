"""Real tldraw clients (@tldraw/sync-core's TLSyncClient under node) on our server, with the
tldraw schema and a real SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest
from interop_peers import NodeSyncClient, free_port, node_sync_client, tlsync_serve
from test_bot_on_tldraw_server import geo

from tlsync_client import connect
from tlsync_core.server import SQLitePersistence, TLSyncServer
from tlsync_core.tldraw import create_tldraw_schema

SCHEMA = create_tldraw_schema()


async def _converged(bot: Any, *clients: NodeSyncClient, timeout: float = 15) -> None:
    """Wait until the bot and every tldraw client hold the same documents, all synced."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        await bot.wait_for_sync(timeout=timeout)
        for client in clients:
            await client.synced(timeout=timeout)
        ours = bot.store.serialize()
        theirs = [await c.documents() for c in clients]
        if all(t == ours for t in theirs):
            return
        if loop.time() > deadline:
            raise AssertionError("the peers did not converge")
        await asyncio.sleep(0.05)


@pytest.mark.spec("INT3")
async def test_tldraw_clients_and_a_bot_converge_on_our_server(tmp_path: Path) -> None:
    """Two TypeScript clients and one bot edit the same room concurrently (creates, updates
    of the same record, deletes); every peer ends with the server's documents."""
    persistence = SQLitePersistence(tmp_path / "rooms.sqlite")
    async with TLSyncServer(schema=SCHEMA, persistence=persistence, port=0) as server:
        url = f"{server.url}/connect/mixed"
        async with (
            connect(url, schema=SCHEMA) as bot,
            node_sync_client(url) as alice,
            node_sync_client(url) as bob,
        ):
            for n in range(5):
                await alice.call("put", records=[geo(f"shape:a{n}", color="red")])
                await bob.call("put", records=[geo(f"shape:b{n}", color="green")])
                bot.store.put([geo(f"shape:c{n}", color="violet")])
            await _converged(bot, alice, bob)
            await alice.call("update", id_="shape:b0", changes={"x": 1})
            await bob.call("update", id_="shape:b0", changes={"x": 2})
            bot.store.update("shape:b0", lambda r: {**r, "y": 3})
            await bob.call("remove", ids=["shape:a1"])
            bot.store.remove(["shape:b2"])
            await _converged(bot, alice, bob)
            stored = server.rooms["mixed"].room.get_snapshot()
            documents = {d["state"]["id"]: d["state"] for d in stored["documents"]}
            assert documents == bot.store.serialize()
            assert {"shape:a1", "shape:b2"}.isdisjoint(documents)
            assert len([k for k in documents if k.startswith("shape:")]) == 13


@pytest.mark.spec("INT4")
async def test_a_tldraw_client_reconnects_after_tlsync_serve_restarts(tmp_path: Path) -> None:
    """`tlsync serve` (a subprocess, tldraw's schema by default) stops and starts again on the
    same port and SQLite file: the TypeScript client reconnects by itself, keeps what was
    acknowledged and pushes what it did meanwhile."""
    db = tmp_path / "rooms.sqlite"
    port = free_port()
    async with contextlib.AsyncExitStack() as first:
        base = await first.enter_async_context(tlsync_serve(port, db))
        url = f"{base}/connect/restart"
        async with node_sync_client(url) as client:
            await client.call("put", records=[geo("shape:before")])
            await client.synced()
            await first.aclose()  # SIGTERM: sessions are sent away, the server stops
            await client.wait_until(lambda s: not s["connected"])
            await client.call("put", records=[geo("shape:offline")])
            async with tlsync_serve(port, db):
                await client.synced(timeout=20)
                async with connect(url, schema=SCHEMA) as bot:
                    assert {"shape:before", "shape:offline"} <= set(bot.store.serialize())
