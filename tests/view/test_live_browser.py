"""The live view in a real browser: headless Chromium shows a room while a bot edits it.

A :class:`TLSyncServer` (SQLite in a temporary directory) serves ``/rooms/<id>/view``; Chromium,
driven by ``tests/browser/drive.mjs`` (playwright-core), opens it; a bot
(:func:`tlsync_client.connect`) draws, moves and deletes shapes and moves its cursor; the page's
DOM must follow within a bounded time. A screenshot is saved under ``test-artifacts/``.

The browser is the machine's Chromium (``/usr/bin/chromium``, or ``TLSYNC_CHROMIUM``): nothing is
downloaded. Without it (or without node) the test skips, except under CI (``CI`` set), where
that is an error: CI installs it with ``apt-get install -y chromium``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from chromium_driver import Browser, require_browser
from view_documents import arrow_props, geo_props, note_props, rich

from tlsync_client.connection import connect
from tlsync_core.demo_schema import PRESENCE, SHAPE, create_demo_schema
from tlsync_core.server import SQLitePersistence, TLSyncServer
from tlsync_core.signals import Atom, atom
from tlsync_core.store import Record

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Browser]:
    executable = require_browser("the browser test")
    running = await Browser.start(executable, tmp_path / "browser.log")
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TLSyncServer]:
    async with TLSyncServer(
        schema=create_demo_schema(),
        persistence=SQLitePersistence(str(tmp_path / "rooms.sqlite")),
        port=0,
    ) as running:
        yield running


def selector(shape_id: str) -> str:
    return f"document.querySelector('#view [data-shape-id=\"{shape_id}\"]')"


def geo_shape(shape_id: str, x: float, y: float, **props: Any) -> Record:
    return SHAPE.create(id=shape_id, type="geo", x=x, y=y, props=geo_props(**props))


@pytest.mark.spec("VIEW12")
async def test_the_live_page_follows_a_bot(server: TLSyncServer, browser: Browser) -> None:
    """The page at ``/rooms/<id>/view`` joins the room read-only and redraws as a bot edits it: a
    shape the bot creates appears, moves when the bot moves it and disappears when it is
    deleted, each within 10 s; the bot's cursor appears with its name and colour and goes away
    when the bot leaves; the page's records match the bot's; dropped by the server, the page
    reconnects and catches up; the page logs no errors."""
    room_id = "browser-room"
    await browser.call("open", url=f"http://{server.host}:{server.port}/rooms/{room_id}/view")
    await browser.wait_for("document.getElementById('view').dataset.status === 'connected'")
    viewers = server.rooms[room_id].room.sessions.values()
    assert [session.is_readonly for session in viewers] == [True]

    me = PRESENCE.create(id="instance_presence:bot", userName="Robo", color="#e03131")
    presence: Atom[Record | None, Any] = atom("bot presence", me)
    async with connect(
        f"{server.url}/connect/{room_id}", schema=create_demo_schema(), presence=presence
    ) as bot:
        bot.store.put(
            [
                geo_shape("shape:box", 100, 100, w=160, h=100, color="blue", fill="solid",
                          richText=rich("hello")),
                geo_shape("shape:ring", 500, 300, geo="ellipse", w=140, h=100, color="green",
                          fill="pattern"),
                SHAPE.create(id="shape:note", type="note", x=-150, y=250,
                             props=note_props("from a bot")),
            ]
        )  # fmt: skip
        await bot.wait_for_sync(timeout=10)
        await browser.wait_for(f"!!{selector('shape:box')}")
        assert await browser.call(
            "evaluate", expression=f"{selector('shape:box')}.textContent"
        ) == ("hello")

        bot.store.update("shape:box", lambda record: {**record, "x": 300, "y": 40})
        await browser.wait_for(
            f"{selector('shape:box')}.getAttribute('transform') === 'translate(300 40)'"
        )

        bot.store.put(
            [
                SHAPE.create(id="shape:arrow", type="arrow", x=0, y=260,
                             props=arrow_props((0, 0), (280, -120), bend=30, color="red",
                                               richText=rich("to do"))),
            ]
        )  # fmt: skip
        await browser.wait_for(f"!!{selector('shape:arrow')}")

        presence.set({**me, "cursor": {"x": 420, "y": 260}})
        cursor = "document.querySelector('#view .tl-cursor[data-user-name=\"Robo\"]')"
        transform = await browser.wait_for(f"{cursor} && {cursor}.getAttribute('transform')")
        assert transform.startswith("translate(420 260)")
        fill = await browser.call(
            "evaluate", expression=f"{cursor}.querySelector('path').getAttribute('fill')"
        )
        assert fill == "#e03131"

        shapes_in_page = await browser.call(
            "evaluate",
            expression="JSON.stringify(Object.values(window.tlsyncLive.records)"
            ".filter(r => r.typeName === 'shape').sort((a, b) => a.id < b.id ? -1 : 1))",
        )
        bot_shapes = sorted(bot.store.query.exec("shape"), key=lambda r: r["id"])
        assert json.loads(shapes_in_page) == bot_shapes

        ARTIFACTS.mkdir(exist_ok=True)
        screenshot = ARTIFACTS / "live-view.png"
        await browser.call("screenshot", path=str(screenshot))
        assert screenshot.stat().st_size > 1000
        print(f"\nlive view screenshot: {screenshot}")

        bot.store.remove(["shape:box"])
        await browser.wait_for(f"!{selector('shape:box')}")
        await browser.wait_for(f"!!{selector('shape:ring')}")

        # the server drops the viewer: it reconnects (catching up from its last clock)
        entry = server.rooms[room_id]
        viewer_id = next(sid for sid, s in entry.room.sessions.items() if s.is_readonly)
        entry.room.sessions[viewer_id].socket.close(1001, "going away")
        await browser.wait_for("window.tlsyncLive.status !== 'connected'")
        bot.store.update("shape:ring", lambda record: {**record, "x": 620})
        await bot.wait_for_sync(timeout=10)
        await browser.wait_for(
            f"{selector('shape:ring')}?.getAttribute('transform') === 'translate(620 300)'"
        )
        assert await browser.call("evaluate", expression="window.tlsyncLive.status") == (
            "connected"
        )
    await browser.wait_for(f"!{cursor}", timeout_ms=15_000)  # (removed 5 s after it left)
    assert await browser.call("errors") == []
