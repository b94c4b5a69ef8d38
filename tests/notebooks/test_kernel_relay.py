"""The editor widget's kernel relay (tlsync_client.kernel_relay) against a real server on
loopback: a page's link is one more session of the room, frames pass unchanged both ways, and
closes are reported with their codes.  The page is played here by the test, speaking the sync
protocol as tldraw's client does; tests/notebooks/test_editor_widget_browser.py runs the real
one in JupyterLab."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from raw_messages import connect_request
from waiting import until

from tlsync_client.connection import RoomConnection, connect
from tlsync_client.kernel_relay import KernelRelay, LinkState
from tlsync_core.server import SQLitePersistence, TLSyncServer
from tlsync_core.tldraw import create_geo, create_tldraw_schema

WAIT = 10.0


class Page:
    """The page's side of the relay: what the kernel sent it, in order."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def send(self, message: dict[str, Any]) -> None:
        self.received.put_nowait(message)

    async def next(self, kind: str) -> dict[str, Any]:
        """The next message of type ``kind`` (messages of other types before it are dropped)."""
        while True:
            message = await asyncio.wait_for(self.received.get(), WAIT)
            if message["type"] == kind:
                return message

    async def next_frame(self, frame_type: str) -> dict[str, Any]:
        """The next relayed protocol message of type ``frame_type``, parsed."""
        while True:
            parsed: dict[str, Any] = json.loads((await self.next("frame"))["data"])
            if parsed["type"] == frame_type:
                return parsed


def connect_frame() -> str:
    return json.dumps(connect_request(create_tldraw_schema().serialize(), request_id="page"))


@pytest.fixture
async def room(tmp_path: Path) -> AsyncIterator[tuple[TLSyncServer, RoomConnection]]:
    async with (
        TLSyncServer(
            schema="tldraw", persistence=SQLitePersistence(tmp_path / "rooms.sqlite"), port=0
        ) as server,
        connect(f"ws://127.0.0.1:{server.port}/connect/jupyter") as bot,
    ):
        yield server, bot


@pytest.mark.spec("JW1")
async def test_a_link_is_a_session_of_the_room(
    room: tuple[TLSyncServer, RoomConnection],
) -> None:
    """A page's link opens a websocket from the kernel to the room: the page's connect gets the
    room's records, its push reaches the bot's store, the bot's edit reaches the page."""
    _server, bot = room
    page = Page()
    relay = KernelRelay(bot, page.send)
    try:
        relay.receive({"type": "open", "link": 1, "sessionId": "page-s", "storeId": "page-t"})
        await page.next("opened")
        assert relay.links == {1: LinkState.OPEN}
        relay.receive({"type": "frame", "link": 1, "data": connect_frame()})
        answer = await page.next_frame("connect")
        assert answer["hydrationType"] == "wipe_all"
        ids = set(answer["diff"])
        assert any(record_id.startswith("page:") for record_id in ids)

        shape = create_geo(bot.store, x=10, y=20, text="from the bot")
        seen = await page.next_frame("data")
        assert any(
            shape["id"] in message.get("diff", {})
            for message in seen["data"]
            if message["type"] == "patch"
        )

        page_shape = {**shape, "id": "shape:from-the-page", "index": "a9"}
        push = {
            "type": "push",
            "clientClock": 0,
            "diff": {page_shape["id"]: ["put", page_shape]},
        }
        relay.receive({"type": "frame", "link": 1, "data": json.dumps(push)})
        await bot.wait_for(lambda store: store.get("shape:from-the-page") is not None, WAIT)
    finally:
        await relay.aclose()
    assert relay.links == {}


@pytest.mark.spec("JW2")
async def test_closes_are_reported_with_their_codes(
    room: tuple[TLSyncServer, RoomConnection],
) -> None:
    """A link the room closes is reported to the page with the close code (4099 with the
    reason for a refusal); a link the page closes is closed without a report; a link that
    cannot open is reported with the cause and no code."""
    server, bot = room
    page = Page()
    relay = KernelRelay(bot, page.send)
    try:
        relay.receive({"type": "open", "link": 1, "sessionId": "s1", "storeId": "t1"})
        await page.next("opened")
        too_old = json.dumps({**json.loads(connect_frame()), "protocolVersion": 1})
        relay.receive({"type": "frame", "link": 1, "data": too_old})
        closed = await page.next("closed")
        assert closed["link"] == 1
        assert closed["code"] == 4099
        assert closed["reason"] == "CLIENT_TOO_OLD"

        relay.receive({"type": "open", "link": 2, "sessionId": "s2", "storeId": "t2"})
        await page.next("opened")
        relay.receive({"type": "close", "link": 2})
        relay.receive({"type": "open", "link": 3, "sessionId": "s3", "storeId": "t3"})
        await page.next("opened")  # (link 3's: link 2 reported nothing)
        await server.close()
        closed = await page.next("closed")
        assert closed["link"] == 3
        assert closed["code"] == 1001  # going away

        relay.receive({"type": "open", "link": 4, "sessionId": "s4", "storeId": "t4"})
        failed = await page.next("closed")
        assert failed == {
            "type": "closed",
            "link": 4,
            "code": None,
            "reason": failed["reason"],
        }
        assert "refused" in failed["reason"]
    finally:
        await relay.aclose()


@pytest.mark.spec("JW2")
async def test_bad_messages_from_the_page_are_dropped(
    room: tuple[TLSyncServer, RoomConnection], caplog: pytest.LogCaptureFixture
) -> None:
    """Malformed messages from the page are logged and dropped; the relay keeps working."""
    _server, bot = room
    page = Page()
    relay = KernelRelay(bot, page.send)
    try:
        for bad in (None, "x", {"type": "open"}, {"type": "nope", "link": 1}):
            relay.receive(bad)
        relay.receive({"type": "open", "link": 1})
        assert (await page.next("closed"))["reason"] == "the widget sent no sessionId/storeId"
        relay.receive({"type": "open", "link": 2, "sessionId": "s", "storeId": "t"})
        await page.next("opened")
        relay.receive({"type": "frame", "link": 2, "data": 42})
        relay.receive({"type": "frame", "link": 2, "data": connect_frame()})
        assert (await page.next_frame("connect"))["type"] == "connect"
    finally:
        await relay.aclose()
    assert "malformed message" in caplog.text
    assert "non-text frame" in caplog.text


@pytest.mark.spec("JW2")
async def test_closing_the_room_closes_its_links(
    room: tuple[TLSyncServer, RoomConnection],
) -> None:
    """When the room handle closes, the page's links close with it, and no new one opens."""
    _server, bot = room
    page = Page()
    relay = KernelRelay(bot, page.send)
    relay.receive({"type": "open", "link": 1, "sessionId": "s", "storeId": "t"})
    await page.next("opened")
    await bot.close()
    await until(lambda: not relay.links, WAIT)
    with pytest.raises(RuntimeError, match="closed RoomConnection"):
        await bot.open_websocket({"sessionId": "x"})
