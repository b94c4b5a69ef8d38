"""Peers on an older tldraw schema: our server and a real tldraw server serve them the same
down-migrated records, and take their old-format pushes the same way."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from interop_peers import node_room_server
from test_bot_on_tldraw_server import geo
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from tlsync_client import connect
from tlsync_core.protocol import diff_record
from tlsync_core.server import SQLitePersistence, TLSyncServer
from tlsync_core.store import StoreSchema
from tlsync_core.tldraw import create_tldraw_schema
from tlsync_core.tldraw.props import PropsMigrations, ShapeProps
from tlsync_core.tldraw.shapes import DEFAULT_SHAPE_PROPS

SCHEMA = create_tldraw_schema()
#: geo 12 (the last geo migration) has a down: a peer announcing 11 gets records without it
OLD_SCHEMA: dict[str, Any] = {
    **SCHEMA.serialize(),
    "sequences": {**SCHEMA.serialize()["sequences"], "com.tldraw.shape.geo": 11},
}


async def _join(url: str, schema: dict[str, Any]) -> tuple[ClientConnection, dict[str, Any]]:
    ws = await ws_connect(url, max_size=None)
    await ws.send(
        json.dumps(
            {
                "type": "connect",
                "connectRequestId": "old",
                "lastServerClock": -1,
                "protocolVersion": 8,
                "schema": schema,
            }
        )
    )
    return ws, json.loads(await asyncio.wait_for(ws.recv(), 10))


async def _next_event(ws: ClientConnection, kind: str) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        events = message["data"] if message["type"] == "data" else [message]
        for event in events:
            if event["type"] == kind:
                return dict(event)


@asynccontextmanager
async def _our_server(tmp_path: Path) -> AsyncIterator[str]:
    persistence = SQLitePersistence(tmp_path / "rooms.sqlite")
    async with TLSyncServer(schema=SCHEMA, persistence=persistence, port=0) as server:
        yield server.url


@asynccontextmanager
async def _tldraw_server(_tmp_path: Path) -> AsyncIterator[str]:
    async with node_room_server() as server:
        yield server.url


Servers = Callable[[Path], AbstractAsyncContextManager[str]]


async def _old_peer_transcript(base: str) -> dict[str, Any]:
    """What an old-schema peer sees and what the room stores, for a fixed scenario."""
    url = f"{base}/connect/versions"
    async with connect(url, schema=SCHEMA) as bot:
        bot.store.put([geo("shape:new", color="red")])
        await bot.wait_for_sync(timeout=10)
        old, hello = await _join(url, OLD_SCHEMA)
        try:
            bot.store.update("shape:new", lambda r: {**r, "x": 77})
            patch = await _next_event(old, "patch")
            old_record = hello["diff"]["shape:new"][1]
            moved = {**old_record, "y": 5}
            await old.send(
                json.dumps(
                    {
                        "type": "push",
                        "clientClock": 0,
                        "diff": {"shape:new": ["patch", diff_record(old_record, moved)]},
                    }
                )
            )
            result = await _next_event(old, "push_result")
            await bot.wait_for(lambda s: (s.get("shape:new") or {}).get("y") == 5, timeout=10)
            return {
                "hello": hello["diff"],
                "patch": patch["diff"],
                "result": result["action"],
                "stored": bot.store.get("shape:new"),
            }
        finally:
            await old.close()


@pytest.mark.spec("INT5")
async def test_old_schema_peers_are_served_alike_by_our_server_and_tldraws(
    tmp_path: Path,
) -> None:
    """A peer announcing geo version 11 gets down-migrated records and patches, and its
    old-format push is migrated up and committed: identically on our server and on
    @tldraw/sync-core's, and the old records lack what geo/12 added."""
    ours = await _old_peer_transcript_on(_our_server, tmp_path / "ours")
    theirs = await _old_peer_transcript_on(_tldraw_server, tmp_path / "theirs")
    assert ours == theirs
    new_props = set(geo("shape:x")["props"])
    assert set(ours["hello"]["shape:new"][1]["props"]) != new_props
    assert ours["stored"]["y"] == 5 and set(ours["stored"]["props"]) == new_props


async def _old_peer_transcript_on(servers: Servers, tmp_path: Path) -> dict[str, Any]:
    tmp_path.mkdir()
    async with servers(tmp_path) as base:
        return await _old_peer_transcript(base)


def _schema_before_flip_props() -> StoreSchema:
    """tldraw's schema as it was before geo/12 (AddFlipProps): no flipX/flipY on geo shapes."""
    geo = DEFAULT_SHAPE_PROPS["geo"]
    assert isinstance(geo.migrations, PropsMigrations) and isinstance(geo.props, Mapping)
    old_geo = ShapeProps(
        props={k: v for k, v in geo.props.items() if k not in ("flipX", "flipY")},
        migrations=PropsMigrations(sequence=geo.migrations.sequence[:-1]),
    )
    return create_tldraw_schema(shapes={**DEFAULT_SHAPE_PROPS, "geo": old_geo})


@pytest.mark.spec("INT5")
async def test_our_client_on_an_older_schema_joins_a_tldraw_server() -> None:
    """A bot whose store is on geo version 11 is accepted by @tldraw/sync-core's server: a
    current client's geo shape reaches it without the flip props, and the bot's old-format
    shape reaches the current client migrated up (with them)."""
    old_schema = _schema_before_flip_props()
    assert old_schema.serialize()["sequences"]["com.tldraw.shape.geo"] == 11
    async with node_room_server() as server:
        url = server.room_url("old-bot")
        async with connect(url, schema=SCHEMA) as current, connect(url, schema=old_schema) as old:
            new_box = geo("shape:new")
            current.store.put([new_box])
            await old.wait_for(lambda s: s.has("shape:new"), timeout=10)
            seen = old.store.get("shape:new")
            assert seen is not None and "flipX" not in seen["props"]
            old_box = geo("shape:old")
            old_box["props"] = {
                k: v for k, v in old_box["props"].items() if k not in ("flipX", "flipY")
            }
            old.store.put([old_box])
            await old.wait_for_sync(timeout=10)
            await current.wait_for(lambda s: s.has("shape:old"), timeout=10)
            migrated = current.store.get("shape:old")
            assert migrated is not None and migrated["props"]["flipX"] is False
