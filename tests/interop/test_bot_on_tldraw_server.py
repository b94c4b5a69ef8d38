"""Our client against real tldraw peers: a bot in a room of @tldraw/sync-core's TLSocketRoom
(tldraw's default schema, validation on), watched by a real headless TLSyncClient."""

from __future__ import annotations

from typing import Any

import pytest
from interop_peers import node_room_server, node_sync_client

from tlsync_client import connect
from tlsync_core.tldraw import create_tldraw_schema, to_rich_text
from tlsync_core.tldraw.helpers import default_props

SCHEMA = create_tldraw_schema()


def geo(shape_id: str, **props: Any) -> dict[str, Any]:
    """A blue geo shape record with tldraw's default props (``props`` override them)."""
    return {
        "id": shape_id,
        "typeName": "shape",
        "type": "geo",
        "parentId": "page:page",
        "index": "a1",
        "x": 10,
        "y": 20,
        "rotation": 0,
        "isLocked": False,
        "opacity": 1,
        "meta": {},
        "props": {
            **default_props("geo"),
            "w": 100,
            "h": 80,
            "color": "blue",
            "richText": to_rich_text("hello"),
            **props,
        },
    }


@pytest.mark.spec("INT1")
async def test_bot_edits_reach_a_real_tldraw_client_through_a_real_tldraw_server() -> None:
    """A bot's create, update and delete are committed by TLSocketRoom (which validates with
    tldraw's schema) and appear in a real TLSyncClient's validating store, equal to ours."""
    async with node_room_server() as server:
        url = server.room_url("interop")
        async with connect(url, schema=SCHEMA) as bot, node_sync_client(url) as tldraw:
            bot.store.put([geo("shape:bot")])
            await bot.wait_for_sync(timeout=10)
            documents = await tldraw.wait_for_documents(lambda d: "shape:bot" in d)
            assert documents["shape:bot"] == bot.store.get("shape:bot")
            bot.store.update(
                "shape:bot", lambda r: {**r, "x": 300, "props": {**r["props"], "color": "red"}}
            )
            await bot.wait_for_sync(timeout=10)
            await tldraw.wait_for_documents(lambda d: d.get("shape:bot", {}).get("x") == 300)
            bot.store.remove(["shape:bot"])
            await bot.wait_for_sync(timeout=10)
            await tldraw.wait_for_documents(lambda d: "shape:bot" not in d)
            assert await server.documents("interop") == bot.store.serialize()


@pytest.mark.spec("INT2")
async def test_a_real_tldraw_clients_edits_reach_the_bot() -> None:
    """What the TypeScript client puts (through its own validation) appears in the bot's store
    and passes our validation; the bot's update of it reaches the TypeScript client."""
    async with node_room_server() as server:
        url = server.room_url("reverse")
        async with connect(url, schema=SCHEMA) as bot, node_sync_client(url) as tldraw:
            await tldraw.call("put", records=[geo("shape:ts", color="green")])
            await tldraw.synced()
            await bot.wait_for(lambda s: s.get("shape:ts") is not None, timeout=10)
            record = bot.store.get("shape:ts")
            assert record is not None and record["props"]["color"] == "green"
            bot.store.update("shape:ts", lambda r: {**r, "y": 99})
            await bot.wait_for_sync(timeout=10)
            await tldraw.wait_for_documents(lambda d: d.get("shape:ts", {}).get("y") == 99)
