"""Pictures of a page made by tldraw itself: :func:`export_svg` and :func:`export_png`.

Two sources.  A room's URL: the room's editor page (``/rooms/<room-id>`` of a tlsync server,
tldraw's own editor) is opened read-only in headless Chromium, driven by Playwright, and once
it is synced, tldraw's editor exports the shapes of the page.  A store (or a bot's room: any
tldraw server): its document goes into a tldraw editor in a blank page of its own (the bundle's
``export.js``, every asset inside it), no server involved.  Either way the picture is the
editor's own (``Editor.getSvgString``, ``Editor.toImage``), with its fonts, as the tldraw app's
"export as SVG / PNG" makes it::

    svg = await export_svg("http://127.0.0.1:5858/rooms/demo")
    png = await export_png("ws://127.0.0.1:5858/connect/demo", scale=2)
    png = await export_png(bot)  # a bot's room, for a vision model

Needs the ``export`` extra (``pip install 'tlsync[export]'``: the ``playwright`` package) and a
Chromium on the machine (Debian's ``chromium``; ``chromium=`` or ``TLSYNC_CHROMIUM`` names
another): Playwright's own browser downloads are never used.  The store's export needs the
editor bundle (``scripts/build-editor``).  :func:`tlsync_core.views.render_svg` draws without a
browser, in pure Python, close to tldraw's picture but not tldraw's own.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from pathlib import Path
from typing import Any, Final, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tlsync_core.store import Record, Store
from tlsync_core.views.editor_bundle import bundle_text

__all__ = ["ExportError", "Source", "editor_page_url", "export_png", "export_svg"]

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
_EXPORT_PAGE: Final = "(options) => window.tlsyncExportPage(options)"
_EXPORT_RECORDS: Final = "([records, options]) => window.tlsyncExportRecords(records, options)"
_EXPORT_PAGE_HTML: Final = (
    '<!doctype html><html><head><meta charset="utf-8"></head><body style="margin: 0">'
    '<div id="tldraw-export" style="position: relative; width: 1200px; height: 800px"></div>'
    "</body></html>"
)
_DOCUMENT_TYPES: Final = frozenset({"document", "page", "shape", "binding", "asset"})


class _HasStore(Protocol):
    @property
    def store(self) -> Store: ...


Source = str | Store | _HasStore
"""What can be exported: a room's URL, a store, or anything with a ``.store`` (a room
connection, a ``SyncRoom``)."""


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
    source: Source,
    *,
    page_id: str | None = None,
    background: bool = True,
    padding: float = 32,
    chromium: str | os.PathLike[str] | None = None,
    timeout: float = 60,
) -> str:
    """The SVG tldraw's editor exports of the shapes of a page (the first page, or
    ``page_id``), fonts embedded.  ``source``: a room's URL (as for :func:`editor_page_url`:
    its editor page is opened and synced) or a store (or anything with a ``.store``: a bot's
    room, on any tldraw server; its document goes into a tldraw editor in a page of its own,
    no server needed).  ``timeout``: seconds for the page to load.  Raises ExportError when
    it cannot be made."""
    options = {"format": "svg", "pageId": page_id, "background": background, "padding": padding}
    result = await _export(source, options, chromium=chromium, timeout=timeout)
    return str(result["svg"])


async def export_png(
    source: Source,
    *,
    page_id: str | None = None,
    background: bool = True,
    padding: float = 32,
    scale: float = 1,
    chromium: str | os.PathLike[str] | None = None,
    timeout: float = 60,
) -> bytes:
    """The PNG tldraw's editor exports of the shapes of a page, ``scale`` pixels a page unit
    (arguments as for :func:`export_svg`)."""
    if not scale > 0:
        raise ValueError(f"scale must be positive, not {scale!r}")
    options = {"format": "png", "pageId": page_id, "background": background, "padding": padding}
    options["scale"] = scale
    result = await _export(source, options, chromium=chromium, timeout=timeout)
    return base64.b64decode(result["png"])


def _document_of(source: Store | _HasStore) -> list[Record]:
    store = source if isinstance(source, Store) else getattr(source, "store", None)
    if store is None:
        raise TypeError(
            "export needs a room URL, a Store or something with a .store (a room), not "
            f"{type(source).__name__}"
        )
    return [r for r in store.all_records() if r["typeName"] in _DOCUMENT_TYPES]


async def _export(
    source: Source,
    options: dict[str, Any],
    *,
    chromium: str | os.PathLike[str] | None,
    timeout: float,
) -> dict[str, Any]:
    """Open the room's editor page (a URL) or the export page (a store) and run its export
    with ``options`` (format, pageId, background, padding, and scale for a PNG)."""
    if isinstance(source, str):
        where = editor_page_url(source)
        records = None
    else:
        where = "the store"
        records = _document_of(source)
        script = bundle_text("export.js")  # (EditorBundleMissing says how to build it)
    options = {"scale": 1, **options}
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
            if records is None:
                await _open_room_page(page, where, timeout)
                result: dict[str, Any] = await page.evaluate(_EXPORT_PAGE, options)
            else:
                await page.set_content(_EXPORT_PAGE_HTML)
                await page.add_script_tag(content=script, type="module")
                await page.wait_for_function("!!window.tlsyncExportRecords", timeout=timeout * 1000)
                result = await page.evaluate(_EXPORT_RECORDS, [records, options])
        except PlaywrightError as error:
            raise ExportError(f"exporting {where} failed: {error}") from error
        finally:
            await browser.close()
    if "error" in result:
        raise ExportError(f"{where}: {result['error']}")
    return result


async def _open_room_page(page: Any, page_url: str, timeout: float) -> None:
    """Open a room's editor page and wait until it is synced."""
    response = await page.goto(page_url, timeout=timeout * 1000)
    if response is None or response.status != 200:
        status = "no response" if response is None else f"HTTP {response.status}"
        hint = " (the server's editor bundle is not built: scripts/build-editor)"
        missing = response is not None and response.status == 503
        raise ExportError(f"{page_url}: {status}{hint if missing else ''}")
    await page.wait_for_function(_READY, timeout=timeout * 1000)
