"""The server's editor page (``/rooms/<id>``: tldraw's own editor) in headless Chromium, for
the tests of ``tests/editor_page`` and of the ASGI app mounted under a prefix.

:func:`built_bundle` runs ``scripts/build-editor`` (idempotent: a stamp skips an up-to-date
bundle); :func:`open_editor` opens a room's page and waits until tldraw's editor is mounted
(``window.editor``) and its sync client is online; :func:`foreign_requests` lists what the
page asked of any other origin; :func:`screenshot` saves a picture under ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from chromium_driver import ROOT, Browser, BrowserError, require_browser

from tlsync_core.views.editor_bundle import bundle_version

ARTIFACTS = ROOT / "test-artifacts"
EDITOR_WAIT = 30_000  # ms: tldraw's first mount in a cold headless browser


def built_bundle() -> str:
    """Build the editor bundle when it is stale (``scripts/build-editor``); its version.
    Without npm the test is skipped (failed under CI, where npm is installed)."""
    if shutil.which("npm") is None:
        if os.environ.get("CI"):
            pytest.fail("the editor page tests need node and npm")
        pytest.skip("node and npm not installed: the editor bundle cannot be built")
    built = subprocess.run(
        [str(ROOT / "scripts" / "build-editor")],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if built.returncode != 0:
        raise BrowserError(f"scripts/build-editor failed:\n{built.stderr[-4000:]}")
    version = bundle_version()
    assert version is not None, "scripts/build-editor left no bundle"
    return version


@asynccontextmanager
async def chromium(log: Path) -> AsyncIterator[Browser]:
    """Headless Chromium with the editor bundle built (skips the test without a browser)."""
    executable = require_browser("the editor page test")
    built_bundle()
    browser = await Browser.start(executable, log)
    try:
        yield browser
    finally:
        await browser.close()


async def open_editor(browser: Browser, url: str) -> None:
    """Open the editor page at ``url``; return once ``window.editor`` is mounted and the page's
    sync client is online (the room's records are in its store)."""
    await browser.call("open", url=url, width=1200, height=800)
    await browser.wait_for(
        "window.editor?.store?.props.collaboration.status.get() === 'online'",
        timeout_ms=EDITOR_WAIT,
    )


async def page_value(browser: Browser, expression: str) -> Any:
    """The JSON value of a page expression."""
    return await browser.call("evaluate", expression=expression)


def foreign_requests(requests: list[str], base: str) -> list[str]:
    """The requests (URLs) that went anywhere but the server at ``base`` (its http and ws
    schemes alike); ``data:`` and ``blob:`` URLs are the page's own."""
    origin = urlsplit(base).netloc
    return [
        url
        for url in requests
        if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != origin
    ]


async def screenshot(browser: Browser, name: str) -> Path:
    """Save a PNG of the page as ``test-artifacts/<name>.png``; its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await browser.call("screenshot", path=str(path))
    assert path.stat().st_size > 1000
    return path
