"""The editor page of the ASGI app mounted under a prefix, in headless Chromium: its URLs come
from the page's own location, so the page, its bundle and its websocket all live under the
mount (see ``tests/editor_page`` for the page itself)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from asgi_harness import uvicorn_serving, ws_url
from editor_page_harness import chromium, foreign_requests, open_editor, page_value, screenshot
from starlette.applications import Starlette
from starlette.routing import Mount

from tlsync_client import connect
from tlsync_core.server import SQLitePersistence
from tlsync_core.server.asgi import create_asgi_app
from tlsync_core.tldraw import create_note

KEY = "tldraw-test/W10=.c2lnbmF0dXJl"  # (well-formed, signed by nobody: tldraw refuses it)


@pytest.mark.spec("EDP2", "EDP5", "ASGI3")
async def test_the_editor_page_works_under_a_mount_prefix(tmp_path: Path) -> None:
    """Mounted at ``/tools/sync`` in Starlette under uvicorn, ``/tools/sync/rooms/<id>`` loads
    its bundle from ``/tools/sync/static/editor/`` and syncs over
    ``/tools/sync/connect/<id>``: a note from a bot appears in the editor, a shape from the
    editor reaches the bot; every request stayed under the prefix on the same origin; the
    app's tldraw license key reaches tldraw (which finds it invalid, and says so in the
    console)."""
    sync = create_asgi_app(
        persistence=SQLitePersistence(tmp_path / "mounted.sqlite"),
        tldraw_license_key=KEY,
    )
    app = Starlette(routes=[Mount("/tools/sync", app=sync)], lifespan=sync.lifespan)
    async with chromium(tmp_path / "browser.log") as browser, uvicorn_serving(app) as base:
        await open_editor(browser, f"{base}/tools/sync/rooms/mounted")
        config = "JSON.parse(document.getElementById('tlsync-editor-config').textContent)"
        assert (await page_value(browser, config))["licenseKey"] == KEY
        async with connect(ws_url(base, "/tools/sync/connect/mounted")) as bot:
            note = create_note(bot.store, x=200, y=150, text="mounted")
            await browser.wait_for(f"!!editor.getShape('{note['id']}')")
            await page_value(
                browser, "void editor.createShape({id: 'shape:up', type: 'geo', x: 500, y: 150})"
            )
            await bot.wait_for(lambda store: store.has("shape:up"), timeout=10)
        await screenshot(browser, "editor-page-mounted")
        requests = await browser.call("requests")
        assert foreign_requests(requests, base) == []
        paths = {urlsplit(url).path for url in requests if not url.startswith(("data:", "blob:"))}
        assert all(path.startswith("/tools/sync/") for path in paths), paths
        assert "/tools/sync/connect/mounted" in paths
        assert "/tools/sync/static/editor/editor.js" in paths
        assert await browser.call("errors") == []
        logged = [message["text"] for message in await browser.call("console")]
        assert any(text.startswith("%cInvalid tldraw license key") for text in logged), logged
