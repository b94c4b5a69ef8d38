"""tldraw's real Editor in headless Chromium, for the differential editor tests.

``tests/editor/lab.mjs`` (the editor and a small API, ``window.lab``) is bundled with esbuild from
the npm packages of ``tests/editor`` (tldraw 5.4.2, pinned by its package-lock.json) into the
gitignored ``tests/editor/build``, and served from loopback with tldraw's stylesheet and its own
fonts (``@tldraw/assets``): nothing is fetched from the internet. :class:`EditorLab` opens the
page, waits for the fonts and runs the lab's functions.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from chromium_driver import Browser, BrowserError, npm_ensure, require_browser

EDITOR_DIR = Path(__file__).resolve().parent
BUILD_DIR = EDITOR_DIR / "build"
FONTS_DIR = EDITOR_DIR / "node_modules" / "@tldraw" / "assets" / "fonts"
FONT_FILES = {
    "/tldraw_draw": "Shantell_Sans-Informal_Regular.woff2",
    "/tldraw_sans": "IBMPlexSans-Medium.woff2",
    "/tldraw_serif": "IBMPlexSerif-Medium.woff2",
    "/tldraw_mono": "IBMPlexMono-Medium.woff2",
}
"""tldraw's font families, at the addresses its editor names them by (a bare editor's fonts are
at their families' names: the lab loads them from there, and exports embed them from there)."""

_PAGE = """<!doctype html>
<html>
<head><meta charset="utf-8"><title>tldraw editor lab</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/tldraw.css"></head>
<body>
<div id="editor" class="tl-container" style="position: relative; width: 1080px; height: 720px">
</div>
<script src="/lab.js"></script>
</body>
</html>
"""


def build() -> Path:
    """Install ``tests/editor``'s packages when stale and bundle the lab into BUILD_DIR."""
    npm_ensure(EDITOR_DIR)
    BUILD_DIR.mkdir(exist_ok=True)
    bundled = subprocess.run(
        [
            str(EDITOR_DIR / "node_modules" / ".bin" / "esbuild"),
            "lab.mjs",
            "--bundle",
            "--format=iife",
            "--log-level=error",
            f"--outfile={BUILD_DIR / 'lab.js'}",
            '--define:process.env.NODE_ENV="production"',
        ],
        cwd=EDITOR_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if bundled.returncode != 0:
        raise BrowserError(f"esbuild failed:\n{bundled.stderr[-4000:]}")
    shutil.copyfile(EDITOR_DIR / "node_modules" / "tldraw" / "tldraw.css", BUILD_DIR / "tldraw.css")
    (BUILD_DIR / "index.html").write_text(_PAGE, encoding="utf-8")
    return BUILD_DIR


class _Handler(http.server.SimpleHTTPRequestHandler):
    """The build directory, and tldraw's fonts (:data:`FONT_FILES`)."""

    def translate_path(self, path: str) -> str:
        if path in FONT_FILES:
            return str(FONTS_DIR / FONT_FILES[path])
        return super().translate_path(path)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on loopback for the block; its URL."""
    handler = functools.partial(_Handler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class EditorLab:
    """The lab page in a browser: each method calls ``window.lab``'s function of that name."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser

    async def open(self, url: str) -> None:
        await self.browser.call("open", url=url, width=1200, height=800)
        await self.browser.wait_for("!!window.lab")
        loaded = await self.browser.call("evaluate", expression="window.lab.ready()")
        if not all(loaded):
            raise BrowserError(f"tldraw's fonts did not load: {loaded}")

    async def _call(self, name: str, *args: Any) -> Any:
        arguments = ", ".join(json.dumps(arg) for arg in args)
        return await self.browser.call("evaluate", expression=f"window.lab.{name}({arguments})")

    async def load(self, records: list[dict[str, Any]]) -> int:
        """A fresh editor holding ``records``; how many shapes its current page has."""
        return int(await self._call("load", records))

    async def records(self) -> list[dict[str, Any]]:
        """Every shape and binding record the editor holds."""
        result: list[dict[str, Any]] = await self._call("records")
        return result

    async def read(
        self, ids: list[str], points: list[dict[str, float]], margin: float, hit_inside: bool
    ) -> dict[str, Any]:
        """Texts and page bounds of ``ids``; the shapes at each point."""
        result: dict[str, Any] = await self._call("read", ids, points, margin, hit_inside)
        return result

    async def apply(self, op: str, ids: list[str], args: dict[str, Any]) -> dict[str, Any]:
        """Run an arranging method: ``records`` (every shape and binding afterwards) and
        ``selected`` (the shapes it selected)."""
        result: dict[str, Any] = await self._call("apply", op, ids, args)
        return result

    async def create(self, partial: dict[str, Any]) -> dict[str, Any]:
        """Create a shape through the editor; the record it stored."""
        result: dict[str, Any] = await self._call("create", partial)
        return result

    async def measure(
        self, texts: list[str], font: str, font_size: float, max_width: float | None
    ) -> list[dict[str, float]]:
        """The editor's measurements of plain texts (``textMeasure.measureText``)."""
        result: list[dict[str, float]] = await self._call(
            "measure", texts, font, font_size, max_width
        )
        return result

    async def exported(self, ids: list[str]) -> dict[str, dict[str, float] | None]:
        """Each shape exported alone by the editor (``getSvgString``, no padding): the page
        box of its export, or None when the export holds nothing of it."""
        result: dict[str, dict[str, float] | None] = await self._call("exported", ids)
        return result

    async def drawn(self, svg: str, classes: list[str]) -> dict[str, dict[str, float] | None]:
        """The page box of each shape's own elements of ``classes`` in an SVG of ours, as the
        browser lays it out; None for a shape without any."""
        result: dict[str, dict[str, float] | None] = await self._call("drawn", svg, classes)
        return result


@asynccontextmanager
async def running_lab(tmp: pytest.TempPathFactory, what: str) -> AsyncIterator[EditorLab]:
    """The lab open in a new headless Chromium for the block (skipping ``what`` without one);
    the page must have raised no error by the end."""
    executable = require_browser(what)
    directory = build()
    with serve(directory) as url:
        browser = await Browser.start(executable, tmp.mktemp("editor-lab") / "browser.log")
        try:
            running = EditorLab(browser)
            await running.open(url)
            yield running
            errors = await browser.call("errors")
            assert errors == [], errors
        finally:
            await browser.close()
