"""The editor page: tldraw's own ``<Tldraw>`` editor, served by the server at ``/rooms/<id>``
and synced with the room by ``@tldraw/sync``'s ``useSync``, in headless Chromium next to a
Python bot (:func:`tlsync_client.connect`) over real websockets on loopback.

The bundle is built by ``scripts/build-editor`` (skipped when up to date); the browser is the
machine's Chromium (see ``tests/chromium_driver.py``). Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import json
import re
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote, urljoin

import pytest
from chromium_driver import ROOT, Browser
from editor_page_harness import (
    built_bundle,
    chromium,
    foreign_requests,
    open_editor,
    page_value,
    screenshot,
)

from tlsync_client.connection import connect
from tlsync_client.demo_bot import run_demo_bot
from tlsync_core.server import AuthDecision, AuthRequest, SQLitePersistence, TLSyncServer
from tlsync_core.tldraw import create_geo
from tlsync_core.views import editor_bundle
from tlsync_core.views.editor_bundle import bundle_file

DRAG = 12  # mouse steps of a drag


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Browser]:
    async with chromium(tmp_path / "browser.log") as running:
        yield running


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TLSyncServer]:
    async with TLSyncServer(
        persistence=SQLitePersistence(str(tmp_path / "rooms.sqlite")), port=0
    ) as running:
        yield running


def base_url(server: TLSyncServer) -> str:
    return f"http://{server.host}:{server.port}"


async def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """An HTTP GET from a thread (the server runs on this loop): status, headers, body."""

    def fetch() -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(url, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()

    return await asyncio.to_thread(fetch)


def drag(start: tuple[float, float], *points: tuple[float, float]) -> list[dict[str, object]]:
    """Mouse steps: press at ``start``, move through ``points``, release."""
    moves: list[dict[str, object]] = [{"move": list(point)} for point in points]
    return [{"move": list(start)}, {"down": True}, *moves, {"up": True}]


async def assert_clean_page(browser: Browser, base: str) -> None:
    """Every request of the page went to the server at ``base``; no page error, no console
    error or warning."""
    requests = await browser.call("requests")
    assert requests, "the page made no request"
    assert foreign_requests(requests, base) == []
    assert await browser.call("errors") == []
    noisy = [m for m in await browser.call("console") if m["type"] in ("error", "warning")]
    assert noisy == []


@pytest.mark.spec("EDP1", "EDP2", "EDP3")
async def test_the_editor_page_and_a_bot_edit_one_room(
    server: TLSyncServer, browser: Browser
) -> None:
    """``/rooms/<id>`` mounts tldraw's editor (``window.editor``) synced with the room: a shape
    the bot creates appears in the editor and follows the bot's move; a shape the page creates
    through ``window.editor``, a rectangle dragged with the mouse and a freehand stroke reach
    the bot's store; every request of the page (scripts, styles, fonts, icons, translations,
    the websocket) went to the server itself; the page logs no error or warning."""
    base = base_url(server)
    await open_editor(browser, f"{base}/rooms/board")
    sockets = [url for url in await browser.call("requests") if url.startswith("ws:")]
    assert [url.split("?")[0] for url in sockets] == [f"ws://127.0.0.1:{server.port}/connect/board"]
    assert [s.is_readonly for s in server.rooms["board"].room.sessions.values()] == [False]

    async with connect(f"{server.url}/connect/board") as bot:
        box = create_geo(bot.store, x=120, y=120, w=200, h=120, text="from Python", color="blue")
        seen = await browser.wait_for(
            f"(s => s && {{type: s.type, x: s.x, w: s.props.w, color: s.props.color}})"
            f"(editor.getShape('{box['id']}'))"
        )
        assert seen == {"type": "geo", "x": 120, "w": 200, "color": "blue"}
        bot.store.update(box["id"], lambda record: {**record, "x": 160})
        await browser.wait_for(f"editor.getShape('{box['id']}').x === 160")

        await page_value(
            browser,
            "void editor.createShape({id: 'shape:from-page', type: 'geo', x: 420, y: 140,"
            " props: {w: 150, h: 90, color: 'red'}})",
        )
        await bot.wait_for(lambda store: store.has("shape:from-page"), timeout=10)
        from_page = bot.store.get("shape:from-page")
        assert from_page is not None and from_page["props"]["color"] == "red"

        await page_value(browser, "void editor.setCurrentTool('geo')")
        await browser.call("mouse", steps=drag((640, 420), (700, 470), (820, 540)))
        await bot.wait_for(
            lambda store: any(
                s["type"] == "geo" and s["id"] not in (box["id"], "shape:from-page")
                for s in store.query.exec("shape")
            ),
            timeout=10,
        )
        await page_value(browser, "void editor.setCurrentTool('draw')")
        points = [(200 + 20 * i, 520 + (30 if i % 2 else 0)) for i in range(DRAG)]
        await browser.call("mouse", steps=drag((200, 500), *points))
        await bot.wait_for(
            lambda store: any(s["type"] == "draw" for s in store.query.exec("shape")), timeout=10
        )
        await page_value(browser, "void editor.setCurrentTool('select')")
        ids_in_page = await page_value(browser, "[...editor.getCurrentPageShapeIds()].sort()")
        await bot.wait_for_sync(timeout=10)
        assert ids_in_page == sorted(s["id"] for s in bot.store.query.exec("shape"))
        path = await screenshot(browser, "editor-page")
        print(f"\neditor page screenshot: {path}")
    await assert_clean_page(browser, base)


@pytest.mark.spec("EDP1")
async def test_the_demo_bots_diagram_in_tldraws_editor(
    server: TLSyncServer, browser: Browser
) -> None:
    """What ``tlsync serve --demo`` draws (boxes joined by bound arrows, a note, its moves and
    its cursor) is taken by tldraw's editor as its own: every shape and binding arrives, the
    bot's cursor shows as a collaborator, and the page logs no error or warning."""
    base = base_url(server)
    reports: list[str] = []
    bot = asyncio.create_task(
        run_demo_bot(f"{server.url}/connect/demo", interval=0.05, report=reports.append)
    )
    try:
        await open_editor(browser, f"{base}/rooms/demo")
        await browser.wait_for(
            "editor.getCurrentPageShapeIds().size === 13"
            " && editor.store.query.records('binding').get().length > 0"
            " && editor.getCollaboratorsOnCurrentPage().length === 1"
        )
        places = "JSON.stringify(editor.getCurrentPageShapes().map(s => [s.id, s.x, s.y]))"
        await page_value(browser, f"void (window.placesBefore = {places})")
        await browser.wait_for(f"{places} !== window.placesBefore")  # (the bot's next move)
        await screenshot(browser, "editor-page-demo")
        assert any(line.startswith("demo bot: moved") for line in reports)
    finally:
        bot.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bot
    await assert_clean_page(browser, base)


@pytest.mark.spec("EDP4")
async def test_a_readonly_editor_page_cannot_change_the_room(
    server: TLSyncServer, browser: Browser
) -> None:
    """``/rooms/<id>?readonly=1`` joins as a read-only session (the server says so) and puts the
    editor in read-only mode: the bot's shapes still appear, the editor refuses to create one,
    and a record forced into the page's store is pushed, discarded by the server and rolled
    back in the page: the room never holds it."""
    base = base_url(server)
    await open_editor(browser, f"{base}/rooms/shown?readonly=1")
    assert await page_value(browser, "editor.getIsReadonly()") is True
    assert [s.is_readonly for s in server.rooms["shown"].room.sessions.values()] == [True]
    async with connect(f"{server.url}/connect/shown") as bot:
        box = create_geo(bot.store, x=100, y=100, text="look, don't touch")
        await browser.wait_for(f"!!editor.getShape('{box['id']}')")
        created = await page_value(
            browser,
            "(editor.createShape({id: 'shape:refused', type: 'geo', x: 300, y: 300}),"
            " !!editor.getShape('shape:refused'))",
        )
        assert created is False
        forced = await page_value(
            browser,
            """(() => {
                const shape = editor.store.schema.types.shape.create({
                    id: 'shape:forced', type: 'geo', x: 400, y: 100, index: 'a9',
                    parentId: editor.getCurrentPageId(),
                    props: {...editor.getShapeUtil('geo').getDefaultProps(), w: 80, h: 80},
                })
                editor.store.put([shape])
                return !!editor.store.get('shape:forced')
            })()""",
        )
        assert forced is True
        await browser.wait_for("!editor.store.get('shape:forced')")  # (the server's discard)
        await bot.wait_for_sync(timeout=10)
        room = server.rooms["shown"].room
        documents = room.get_snapshot()["documents"]
        assert not any(d["state"]["id"] == "shape:forced" for d in documents)
        assert not bot.store.has("shape:forced")
        await screenshot(browser, "editor-page-readonly")
    await assert_clean_page(browser, base)


@pytest.mark.spec("EDP2", "EDP9")
async def test_the_page_passes_its_query_to_the_auth_hook(tmp_path: Path, browser: Browser) -> None:
    """The page's query goes along to its websocket (but for the names useSync reserves), so an
    auth hook's token in the page's URL lets it in; refused, the page says why instead of
    showing an editor."""

    def authorize(request: AuthRequest) -> AuthDecision:
        if request.query.get("token") == "let-me-in":
            return AuthDecision.allow()
        return AuthDecision.refuse()

    async with TLSyncServer(
        persistence=SQLitePersistence(str(tmp_path / "r.sqlite")), port=0, authorize=authorize
    ) as server:
        base = base_url(server)
        await browser.call("open", url=f"{base}/rooms/guarded")
        refusal = await browser.wait_for(
            "document.body.dataset.editor === 'error'"
            " && document.getElementById('room-error').textContent"
        )
        assert "FORBIDDEN" in refusal and '"guarded"' in refusal
        await screenshot(browser, "editor-page-refused")
        # (useSync adds its own sessionId and storeId: the page's are left out)
        await open_editor(browser, f"{base}/rooms/guarded?token=let-me-in&sessionId=mine")
        async with connect(f"{server.url}/connect/guarded?token=let-me-in") as bot:
            box = create_geo(bot.store, x=50, y=50)
            await browser.wait_for(f"!!editor.getShape('{box['id']}')")


@pytest.mark.spec("EDP5")
async def test_the_page_hands_its_settings_to_the_editor(tmp_path: Path) -> None:
    """The page carries the room id, the read-only wish and the server's tldraw license key
    as JSON that no room id can break out of; its links are relative (``../static/editor/``),
    so that the page works under a mount prefix."""
    built_bundle()
    hostile = "</script><img src=x onerror=alert(1)>&"
    async with TLSyncServer(
        persistence=SQLitePersistence(str(tmp_path / "r.sqlite")), port=0
    ) as server:
        server.tldraw_license_key = "tldraw-test/key.sig"
        room = quote(hostile, safe="")
        status, headers, body = await get(f"{base_url(server)}/rooms/{room}?readonly=1")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-cache"
    page = body.decode()
    assert page.count("</script>") == 2 and "<img" not in page
    found = re.search(r'id="tlsync-editor-config">(.*?)</script>', page)
    assert found is not None
    config = json.loads(found.group(1))
    assert config == {"roomId": hostile, "readonly": True, "licenseKey": "tldraw-test/key.sig"}
    assert 'href="../static/editor/tldraw.css"' in page
    assert 'src="../static/editor/editor.js"' in page


@pytest.mark.spec("EDP6")
async def test_without_a_bundle_the_page_says_how_to_build_it(
    server: TLSyncServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no bundle built, ``/rooms/<id>`` answers 503 with an HTML page naming
    ``scripts/build-editor`` and linking the room's SVG live view (which works); the bundle's
    files are 404."""
    monkeypatch.setattr(editor_bundle, "BUNDLE_DIR", tmp_path / "never-built")
    base = base_url(server)
    status, headers, body = await get(f"{base}/rooms/team%20board")
    assert status == 503 and headers["content-type"] == "text/html; charset=utf-8"
    page = body.decode()
    assert "scripts/build-editor" in page
    link = re.search(r'id="live-view" href="([^"]+)"', page)
    assert link is not None
    view = urljoin(f"{base}/rooms/team%20board", link.group(1))
    assert view == f"{base}/rooms/team%20board/view"
    assert (await get(view))[0] == 200
    assert (await get(f"{base}/static/editor/editor.js"))[0] == 404


@pytest.mark.spec("EDP7")
async def test_the_bundle_is_served_with_types_and_revalidation(server: TLSyncServer) -> None:
    """The bundle's files are served with their content type, ``Cache-Control: no-cache`` and
    the build's ETag (a matching ``If-None-Match`` gets 304 without a body or a length);
    paths that leave the bundle, hidden files and unknown kinds of file are 404."""
    version = built_bundle()
    base = f"{base_url(server)}/static/editor"
    kinds = {
        "editor.js": "text/javascript; charset=utf-8",
        "tldraw.css": "text/css; charset=utf-8",
        "assets/fonts/IBMPlexSans-Medium.woff2": "font/woff2",
        "assets/icons/icon/0_merged.svg": "image/svg+xml",
        "assets/translations/en.json": "application/json",
        "assets/embed-icons/youtube.png": "image/png",
    }
    for name, kind in kinds.items():
        status, headers, body = await get(f"{base}/{name}")
        assert (status, headers["content-type"]) == (200, kind), name
        assert (headers["cache-control"], headers["etag"]) == ("no-cache", f'"{version}"')
        assert body == (editor_bundle.BUNDLE_DIR / name).read_bytes()
    status, headers, body = await get(f"{base}/tldraw.css", {"If-None-Match": f'"{version}"'})
    assert (status, body, headers["etag"]) == (304, b"", f'"{version}"')
    assert "content-length" not in headers  # (it would have to be the 200's)
    refused = [
        "..%2Ffiles.py",
        "%2e%2e/files.py",
        "assets/..%2F..%2Ffiles.py",
        f".tlsync-built-{version}",
        "assets//fonts/IBMPlexSans-Medium.woff2",
        "assets/fonts/%00.woff2",
        "%ff.js",
        "nope.js",
        "assets",
    ]
    for name in refused:
        assert (await get(f"{base}/{name}"))[0] == 404, name


@pytest.mark.spec("EDP7")
async def test_a_reload_revalidates_the_bundle(server: TLSyncServer, browser: Browser) -> None:
    """Reloaded, the page revalidates the bundle's files (``no-cache``) with the build's ETag,
    the server confirms its copy (304: see the HTTP test above) and the editor mounts again
    from the browser's cache."""
    version = built_bundle()
    url = f"{base_url(server)}/rooms/again"
    await open_editor(browser, url)
    await browser.call("reload")
    await browser.wait_for("window.editor?.store?.props.collaboration.status.get() === 'online'")
    script = f"{base_url(server)}/static/editor/editor.js"
    fetched = [r for r in await browser.call("responses") if r["url"] == script]
    assert [r["ifNoneMatch"] for r in fetched] == [None, f'"{version}"']
    # Playwright reports a revalidated copy as 200 or as the wire's 304, depending on when
    # Chromium's extra-info event for the request arrives: either means "confirmed".
    assert fetched[0]["status"] == 200
    assert fetched[1]["status"] in (200, 304)
    assert await browser.call("errors") == []


@pytest.mark.spec("EDP7")
def test_bundle_files_never_leave_the_bundle(tmp_path: Path) -> None:
    """:func:`bundle_file` reads only plain files inside the bundle directory: no ``..``, no
    absolute path, no backslash, no hidden file, no unknown suffix, no symlink out of it."""
    bundle = tmp_path / "bundle"
    (bundle / "assets").mkdir(parents=True)
    (bundle / "editor.js").write_text("export {}")
    (bundle / ".tlsync-built-abc").touch()
    (tmp_path / "secret.js").write_text("secret")
    (bundle / "assets" / "escape.js").symlink_to(tmp_path / "secret.js")
    found = bundle_file("editor.js", bundle)
    assert found is not None and found.body == b"export {}" and found.etag == '"abc"'
    for bad in ["../secret.js", "/etc/passwd", "assets/escape.js", "assets\\..\\editor.js",
                ".tlsync-built-abc", "editor.js/", "", "assets/../editor.js"]:  # fmt: skip
        assert bundle_file(bad, bundle) is None, bad
    (bundle / ".tlsync-built-abc").unlink()
    assert bundle_file("editor.js", bundle) is None  # (an unfinished build is no bundle)


@pytest.mark.spec("EDP5")
def test_the_serve_command_takes_a_tldraw_license_key() -> None:
    """``tlsync serve --help`` offers ``--tldraw-license-key`` (default: the
    ``TLDRAW_LICENSE_KEY`` environment variable)."""
    shown = subprocess.run(
        [sys.executable, "-m", "tlsync_core", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "--tldraw-license-key" in shown and "TLDRAW_LICENSE_KEY" in shown


@pytest.mark.spec("EDP8")
def test_the_package_data_holds_the_whole_bundle() -> None:
    """The package data globs of pyproject.toml take in every file of a built bundle (its
    stamp included), so that a wheel built after ``scripts/build-editor`` serves the editor."""
    built_bundle()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package = ROOT / "tlsync_core"
    patterns = config["tool"]["setuptools"]["package-data"]["tlsync_core"]
    packaged = {
        name
        for pattern in patterns
        for name in glob.glob(pattern, root_dir=package, recursive=True, include_hidden=True)
        if (package / name).is_file()
    }
    bundle = editor_bundle.BUNDLE_DIR
    files = {str(path.relative_to(package)) for path in bundle.rglob("*") if path.is_file()}
    assert len(files) > 100 and files <= packaged
