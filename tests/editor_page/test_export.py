"""tldraw's own export of a room's page (:mod:`tlsync_client.export`): the editor page served by
the server, opened read-only in the machine's headless Chromium through Playwright."""

from __future__ import annotations

import re
import struct
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from chromium_driver import require_browser
from editor_page_harness import ARTIFACTS, built_bundle

from tlsync_client.connection import connect
from tlsync_client.export import (
    ExportError,
    editor_page_url,
    export_png,
    export_svg,
    find_chromium,
)
from tlsync_core.server import SQLitePersistence, TLSyncServer
from tlsync_core.store import Store
from tlsync_core.testing import tldraw_store
from tlsync_core.tldraw import create_geo, create_note, create_page, create_tldraw_schema
from tlsync_core.views import editor_bundle

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TLSyncServer]:
    require_browser("the export test")
    built_bundle()
    async with TLSyncServer(
        persistence=SQLitePersistence(str(tmp_path / "rooms.sqlite")), port=0
    ) as running:
        yield running


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", png[16:24])
    return width, height


@pytest.mark.spec("EXP1")
async def test_tldraw_exports_a_rooms_page_as_svg_and_png(server: TLSyncServer) -> None:
    """With shapes drawn by a bot, ``export_svg`` returns tldraw's SVG of the page (its shapes,
    its fonts embedded) and ``export_png`` a PNG whose size follows the shapes' bounds and
    ``scale``; a websocket URL works as well as the page's, and ``page_id`` picks a page."""
    async with connect(f"{server.url}/connect/pictured") as bot:
        create_geo(bot.store, x=0, y=0, w=300, h=200, text="tldraw drew this", color="violet")
        create_note(bot.store, x=360, y=0, text="a note")
        second = create_page(bot.store, name="Second")
        create_geo(bot.store, x=0, y=0, w=100, h=100, geo="ellipse", parent=second["id"])
        await bot.wait_for_sync(timeout=10)
    page = f"http://127.0.0.1:{server.port}/rooms/pictured"
    svg = await export_svg(page)
    assert svg.startswith("<svg") and "tldraw drew this" in svg and "a note" in svg
    assert "@font-face" in svg  # (tldraw embeds the fonts its text uses)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "export.svg").write_text(svg, encoding="utf-8")

    png = await export_png(f"{server.url}/connect/pictured")
    (ARTIFACTS / "export.png").write_bytes(png)
    width, height = png_size(png)
    double = await export_png(page, scale=2)
    assert png_size(double) == (2 * width, 2 * height)

    ellipse = await export_svg(page, page_id=second["id"], padding=0)
    assert "tldraw drew this" not in ellipse
    assert 'width="100"' in ellipse  # (the ellipse's bounds)


@pytest.mark.spec("EXP3")
async def test_tldraw_exports_a_store_without_a_server(server: TLSyncServer) -> None:
    """A store (a bot's room, or a plain store) is exported by tldraw's editor in a page of its
    own: the same picture as the room's page gives, from the bot's records alone; a store
    without shapes is a clear error, a non-store a TypeError."""
    async with connect(f"{server.url}/connect/offline-picture") as bot:
        create_geo(bot.store, x=0, y=0, w=240, h=120, text="from the store", color="green")
        create_note(bot.store, x=300, y=0, text="a note")
        await bot.wait_for_sync(timeout=10)
        from_room = await export_svg(f"http://127.0.0.1:{server.port}/rooms/offline-picture")
        from_bot = await export_svg(bot)
        png = await export_png(bot.store, scale=2)
    assert "from the store" in from_bot and "@font-face" in from_bot
    viewbox = re.compile(r'viewBox="([^"]+)"')
    assert viewbox.findall(from_bot)[:1] == viewbox.findall(from_room)[:1]
    assert png_size(png)[0] > 2 * 540
    (ARTIFACTS / "export-store.png").write_bytes(png)

    for empty in (Store(schema=create_tldraw_schema()), tldraw_store()):
        with pytest.raises(ExportError, match="no shapes"):
            await export_svg(empty)
    with pytest.raises(TypeError, match="a room URL, a Store"):
        await export_svg(42)  # type: ignore[arg-type]


@pytest.mark.spec("EXP2")
async def test_exports_fail_with_clear_errors(
    server: TLSyncServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bad input and missing pieces are clear errors: a URL that names no room (ValueError),
    no Chromium at the given path, a page with no shapes, a page that does not exist, a server
    without the editor bundle (naming ``scripts/build-editor``)."""
    base = f"http://127.0.0.1:{server.port}"
    for bad in ["ftp://h/rooms/r", "http://h/connect/r", "ws://h/rooms/r", "/rooms/r", "http:///"]:
        with pytest.raises(ValueError, match="not a room URL"):
            editor_page_url(bad)
    assert editor_page_url("wss://h:1/sync/connect/a%20b?token=t&readonly=0") == (
        "https://h:1/sync/rooms/a%20b?token=t&readonly=1"
    )
    with pytest.raises(ExportError, match="no Chromium at"):
        await export_svg(f"{base}/rooms/empty", chromium=tmp_path / "no-such-browser")
    with pytest.raises(ExportError, match="no shapes"):
        await export_svg(f"{base}/rooms/empty")
    with pytest.raises(ExportError, match="no page page:nowhere"):
        await export_png(f"{base}/rooms/empty", page_id="page:nowhere")
    with pytest.raises(ValueError, match="scale"):
        await export_png(f"{base}/rooms/empty", scale=0)
    monkeypatch.setattr(editor_bundle, "BUNDLE_DIR", tmp_path / "never-built")
    with pytest.raises(ExportError, match=r"503 \(the server's editor bundle is not built"):
        await export_svg(f"{base}/rooms/empty")


@pytest.mark.spec("EXP2")
async def test_without_chromium_or_playwright_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no Chromium on the PATH (and none named), or without Playwright, exporting fails
    at once with an error saying what to install."""
    monkeypatch.delenv("TLSYNC_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ExportError, match="apt-get install chromium"):
        find_chromium()
    with pytest.raises(ExportError, match="needs Chromium"):
        await export_svg("http://127.0.0.1:1/rooms/r")
    fake = tmp_path / "chromium"
    fake.write_text("")
    monkeypatch.setitem(sys.modules, "playwright.async_api", None)  # (import fails)
    with pytest.raises(ExportError, match=r"pip install 'tlsync\[export\]'"):
        await export_png("http://127.0.0.1:1/rooms/r", chromium=fake)
