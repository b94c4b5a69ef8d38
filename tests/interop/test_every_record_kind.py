"""Every default shape type, an arrow binding, a page and an asset, made by our helpers, through
a real tldraw server into a real tldraw client's validating store, and back."""

from __future__ import annotations

from typing import Any

import pytest
from interop_peers import NodeSyncClient, node_room_server, node_sync_client

from tlsync_client import RoomConnection, connect
from tlsync_core.store import Store
from tlsync_core.tldraw import (
    create_arrow,
    create_draw,
    create_frame,
    create_geo,
    create_highlight,
    create_line,
    create_note,
    create_page,
    create_shape,
    create_text,
    create_tldraw_schema,
    delete,
    move,
    set_text,
    update_props,
)

SCHEMA = create_tldraw_schema()
IMAGE_ASSET: dict[str, Any] = {
    "id": "asset:photo",
    "typeName": "asset",
    "type": "image",
    "props": {
        "name": "photo.png",
        "src": "https://example.com/photo.png",
        "w": 640,
        "h": 480,
        "mimeType": "image/png",
        "isAnimated": False,
        "fileSize": 1234,
    },
    "meta": {},
}


def draw_everything(store: Store) -> dict[str, str]:
    """One shape of every default type (arrow bound to two shapes), a page and an asset."""
    store.put([IMAGE_ASSET])
    box = create_geo(store, x=0, y=0, w=120, h=80, text="box", color="blue")
    frame = create_frame(store, x=400, y=0, w=300, h=200, name="frame")
    inside = create_geo(store, x=20, y=20, geo="ellipse", parent=frame["id"])
    made = {
        "geo": box["id"],
        "frame": frame["id"],
        "inside": inside["id"],
        "text": create_text(store, x=0, y=200, text="hello")["id"],
        "note": create_note(store, x=200, y=200, text="note")["id"],
        "line": create_line(store, points=[(0, 0), (50, 30), (90, 0)])["id"],
        "draw": create_draw(store, points=[(0, 0), (5, 5), (10, 2)])["id"],
        "highlight": create_highlight(store, points=[(0, 0), (40, 0)])["id"],
        "arrow": create_arrow(store, start=box["id"], end=inside["id"], text="to")["id"],
        "page": create_page(store, "Second page")["id"],
    }
    for shape_type in ("bookmark", "embed", "image", "video", "group"):
        made[shape_type] = create_shape(store, shape_type, x=900, y=100)["id"]
    update_props(store, made["image"], {"assetId": IMAGE_ASSET["id"], "w": 64, "h": 48})
    return made


def edit_everything(store: Store, made: dict[str, str]) -> None:
    """Update every kind of record, then delete some (the arrow's target among them)."""
    for name in ("geo", "text", "note", "line", "draw", "bookmark", "embed", "video"):
        move(store, made[name], 33, 44)
    set_text(store, made["geo"], "renamed")
    store.update(made["page"], lambda page: {**page, "name": "Renamed page"})
    store.update(IMAGE_ASSET["id"], lambda a: {**a, "props": {**a["props"], "w": 320}})
    delete(store, [made["inside"], made["highlight"], made["group"]])


async def _same(bot: RoomConnection, client: NodeSyncClient) -> dict[str, dict[str, Any]]:
    await bot.wait_for_sync(timeout=10)
    ours = bot.store.serialize()
    return await client.wait_for_documents(lambda theirs: theirs == ours)


@pytest.mark.spec("INT6")
async def test_every_record_kind_from_a_bot_reaches_a_tldraw_client() -> None:
    """A bot creates, updates and deletes every default shape type, a bound arrow, a page and
    an asset in a room of tldraw's TLSocketRoom (which validates each push); a real tldraw
    client (validation on) ends with exactly the bot's documents after each stage."""
    async with node_room_server() as server:
        url = server.room_url("everything")
        async with connect(url, schema=SCHEMA) as bot, node_sync_client(url) as tldraw:
            made = draw_everything(bot.store)
            documents = await _same(bot, tldraw)
            types = {r["type"] for r in documents.values() if r["typeName"] == "shape"}
            assert types == {
                "arrow", "bookmark", "draw", "embed", "frame", "geo", "group",
                "highlight", "image", "line", "note", "text", "video",
            }  # fmt: skip
            assert any(r["typeName"] == "binding" for r in documents.values())
            edit_everything(bot.store, made)
            documents = await _same(bot, tldraw)
            assert documents[made["geo"]]["x"] == 33
            assert made["inside"] not in documents
            bindings = [r for r in documents.values() if r["typeName"] == "binding"]
            assert [b["toId"] for b in bindings] == [made["geo"]]  # the other end's went
            assert await server.documents("everything") == bot.store.serialize()


@pytest.mark.spec("INT7")
async def test_every_record_kind_from_a_tldraw_client_reaches_the_bot() -> None:
    """The reverse: the records a bot would make, put by the TypeScript client (through its
    own validation), arrive in the bot's store, which validates them too."""
    async with node_room_server() as server:
        url = server.room_url("reverse-everything")
        scratch = Store(schema=SCHEMA)
        scratch.ensure_store_is_usable()
        draw_everything(scratch)
        records = list(scratch.serialize().values())
        async with connect(url, schema=SCHEMA) as bot, node_sync_client(url) as tldraw:
            await tldraw.call("put", records=records)
            await tldraw.synced()
            theirs = await tldraw.documents()
            await bot.wait_for(lambda s: s.serialize() == theirs, timeout=10)
            bot.store.validate()
            assert len([r for r in theirs.values() if r["typeName"] == "shape"]) == 14
