"""Pictures of a room's page made by tldraw itself: :func:`export_svg` and :func:`export_png`.

The room's editor page (``/rooms/<room-id>`` of a tlsync server, tldraw's own editor) is opened
read-only in headless Chromium, driven by Playwright; once it is synced, tldraw's editor exports
the shapes of the page (``Editor.getSvgString``, ``Editor.toImage``), with its own fonts, as
the tldraw app's "export as SVG / PNG" does::

    svg = await export_svg("http://127.0.0.1:5858/rooms/demo")
    png = await export_png("ws://127.0.0.1:5858/connect/demo", scale=2)

Needs the ``export`` extra (``pip install 'tlsync[export]'``: the ``playwright`` package) and a
Chromium on the machine (Debian's ``chromium``; ``chromium=`` or ``TLSYNC_CHROMIUM`` names
another): Playwright's own browser downloads are never used. :func:`tlsync_core.views.render_svg`
draws without a browser, in pure Python, close to tldraw's picture but not tldraw's own.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["ExportError", "editor_page_url", "export_png", "export_svg"]

_ROOM_PATH: Final = re.compile(r"^(?P<prefix>.*)/(?P<route>rooms|connect)/(?P<room>[^/]+)/?$")
_CHROMIUM_NAMES: Final = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_CHROMIUM_ARGS: Final = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_READY: Final = "window.editor?.store?.props.collaboration.status.get() === 'online'"
_EXPORT: Final = """async ({format, pageId, background, scale, padding}) => {
    const editor = window.editor
    if (pageId !== null) {
        if (!editor.getPage(pageId)) return {error: `the room has no page ${pageId}`}
        editor.setCurrentPage(pageId)
    }
    const ids = [...editor.getCurrentPageShapeIds()]
    if (ids.length === 0) return {error: 'the page has no shapes: nothing to export'}
    const options = {background, padding}
    if (format === 'svg') {
        const result = await editor.getSvgString(ids, options)
        return {svg: result.svg}
    }
    const {blob} = await editor.toImage(ids, {...options, format: 'png', scale, pixelRatio: 1})
    const bytes = new Uint8Array(await blob.arrayBuffer())
    let text = ''
    for (let i = 0; i < bytes.length; i += 0x8000) {
        text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
    }
    return {png: btoa(text)}
}"""


class ExportError(RuntimeError):
    """An export could not be made: no Playwright, no Chromium, no editor page, no shapes."""


def editor_page_url(room_url: str) -> str:
    """The read-only editor page of the room at ``room_url``: its page
    (``http(s)://HOST[/PREFIX]/rooms/<room-id>``) or its websocket
    (``ws(s)://HOST[/PREFIX]/connect/<room-id>``); the query (an auth token) is kept and
    ``readonly=1`` added. ValueError for anything else."""
    parts = urlsplit(room_url)
    scheme = {"http": "http", "https": "https", "ws": "http", "wss": "https"}.get(parts.scheme)
    found = _ROOM_PATH.match(parts.path)
    expected = "rooms" if parts.scheme in ("http", "https") else "connect"
    if scheme is None or not parts.netloc or found is None or found["route"] != expected:
        raise ValueError(
            f"not a room URL: {room_url!r} (expected http(s)://HOST[/PREFIX]/rooms/<room-id> "
            "or ws(s)://HOST[/PREFIX]/connect/<room-id>)"
        )
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "readonly"]
    path = f"{found['prefix']}/rooms/{found['room']}"
    return urlunsplit((scheme, parts.netloc, path, urlencode([*query, ("readonly", "1")]), ""))


def find_chromium(chromium: str | os.PathLike[str] | None = None) -> str:
    """The Chromium to run: ``chromium`` when given, else ``TLSYNC_CHROMIUM``, else the first
    of chromium / chromium-browser / google-chrome on the PATH; ExportError when there is none."""
    named = chromium or os.environ.get("TLSYNC_CHROMIUM")
    if named:
        if not Path(named).is_file():
            raise ExportError(f"no Chromium at {os.fspath(named)!r}")
        return os.fspath(named)
    for name in _CHROMIUM_NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise ExportError(
        "exporting needs Chromium and none was found (looked for "
        f"{', '.join(_CHROMIUM_NAMES)} on the PATH): install it (Debian: apt-get install "
        "chromium), or name it with chromium=PATH or TLSYNC_CHROMIUM"
    )


async def export_svg(
    room_url: str,
    *,
    page_id: str | None = None,
    background: bool = True,
    padding: float = 32,
    chromium: str | os.PathLike[str] | None = None,
    timeout: float = 60,
) -> str:
    """The SVG tldraw's editor exports of the shapes of a room's page (its first page, or
    ``page_id``), fonts embedded. ``room_url`` as for :func:`editor_page_url`; ``timeout``
    seconds for the page to load and sync. Raises ExportError when it cannot be made."""
    options = {"format": "svg", "pageId": page_id, "background": background, "padding": padding}
    result = await _export(room_url, options, chromium=chromium, timeout=timeout)
    return str(result["svg"])


async def export_png(
    room_url: str,
    *,
    page_id: str | None = None,
    background: bool = True,
    padding: float = 32,
    scale: float = 1,
    chromium: str | os.PathLike[str] | None = None,
    timeout: float = 60,
) -> bytes:
    """The PNG tldraw's editor exports of the shapes of a room's page, ``scale`` pixels a page
    unit (arguments as for :func:`export_svg`)."""
    if not scale > 0:
        raise ValueError(f"scale must be positive, not {scale!r}")
    options = {"format": "png", "pageId": page_id, "background": background, "padding": padding}
    options["scale"] = scale
    result = await _export(room_url, options, chromium=chromium, timeout=timeout)
    return base64.b64decode(result["png"])


async def _export(
    room_url: str,
    options: dict[str, Any],
    *,
    chromium: str | os.PathLike[str] | None,
    timeout: float,
) -> dict[str, Any]:
    """Open the room's editor page and run the export script with ``options`` (the script's
    argument: format, pageId, background, padding, and scale for a PNG)."""
    page_url = editor_page_url(room_url)
    executable = find_chromium(chromium)
    try:
        from playwright.async_api import Error as PlaywrightError  # noqa: PLC0415
        from playwright.async_api import async_playwright  # noqa: PLC0415
    except ImportError:
        raise ExportError("exporting needs Playwright: pip install 'tlsync[export]'") from None
    async with async_playwright() as playwright:
        try:
            browser = await playwright.chromium.launch(
                executable_path=executable, headless=True, args=_CHROMIUM_ARGS
            )
        except PlaywrightError as error:
            raise ExportError(f"could not start Chromium ({executable}): {error}") from error
        try:
            page = await browser.new_page()
            response = await page.goto(page_url, timeout=timeout * 1000)
            if response is None or response.status != 200:
                status = "no response" if response is None else f"HTTP {response.status}"
                hint = " (the server's editor bundle is not built: scripts/build-editor)"
                missing = response is not None and response.status == 503
                raise ExportError(f"{page_url}: {status}{hint if missing else ''}")
            await page.wait_for_function(_READY, timeout=timeout * 1000)
            result: dict[str, Any] = await page.evaluate(_EXPORT, {"scale": 1, **options})
        except PlaywrightError as error:
            raise ExportError(f"exporting {page_url} failed: {error}") from error
        finally:
            await browser.close()
    if "error" in result:
        raise ExportError(f"{page_url}: {result['error']}")
    return result
