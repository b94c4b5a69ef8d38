"""The editor widget for real: JupyterLab (from PyPI) started by the test, a notebook opened in
headless Chromium, the widget cell run in a real kernel; a person draws with the mouse in the
widget and a bot in another process sees it, and the bot's shape and cursor appear in the
widget.  The browser reaches only JupyterLab: the kernel relays the widget's sync traffic to
the room (the sync server is on this process's loopback port, which the page never opens).

Screenshots are saved under ``test-artifacts/``.  Without Chromium or node the test skips,
except under CI, where that is an error.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from chromium_driver import Browser, BrowserError
from editor_page_harness import ARTIFACTS, chromium, foreign_requests
from jupyterlab import cell_output, jupyterlab, notebook, open_notebook, run_cell

from tlsync_client.connection import connect
from tlsync_core.server import SQLitePersistence, TLSyncServer
from tlsync_core.signals import Atom, atom
from tlsync_core.store import Record
from tlsync_core.tldraw import create_geo, presence_record, shapes_on_page

ROOM = "jupyter-room"
WAIT = 20.0

WIDGET_CELL = """\
from tlsync_client import connect
from tlsync_client.editor_widget import EditorWidget

room = await connect({url!r})
widget = EditorWidget(room, height="560px")
widget
"""

CHECK_CELL = """\
def has_drawing(store):
    return any(r.get("type") == "draw" for r in store.all_records() if r["typeName"] == "shape")

await room.wait_for(has_drawing, 30)
print("the kernel's room.store holds the drawing")
"""


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Browser]:
    async with chromium(tmp_path / "browser.log") as running:  # (the bundle built, too)
        yield running


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TLSyncServer]:
    async with TLSyncServer(
        schema="tldraw", persistence=SQLitePersistence(tmp_path / "rooms.sqlite"), port=0
    ) as running:
        yield running


async def explain(browser: Browser, cell: int) -> str:
    """What the page shows when a wait failed: a screenshot, the cell's output, the errors."""
    await browser.call("screenshot", path=str(ARTIFACTS / "editor-widget-failure.png"))
    output = await browser.call("evaluate", expression=cell_output(cell))
    return f"cell {cell} shows {output!r}; errors: {await browser.call('errors')}"


def shape_ids_of_type(store_records: list[Record], shape_type: str) -> list[str]:
    return [r["id"] for r in store_records if r["typeName"] == "shape" and r["type"] == shape_type]


@pytest.mark.spec("JW3")
async def test_a_person_and_a_bot_draw_together_in_jupyterlab(
    tmp_path: Path, server: TLSyncServer, browser: Browser
) -> None:
    """In JupyterLab, the widget cell shows tldraw's editor synced through the kernel: a bot's
    shape and cursor appear in it; a stroke drawn with the mouse reaches the bot and the
    kernel's ``room.store``; the person's cursor reaches the bot as presence."""
    ARTIFACTS.mkdir(exist_ok=True)
    url = f"ws://127.0.0.1:{server.port}/connect/{ROOM}"
    root = tmp_path / "lab"
    root.mkdir()
    cells = [WIDGET_CELL.format(url=url), CHECK_CELL]
    (root / "together.ipynb").write_text(notebook(cells), encoding="utf-8")

    me: Atom[Record | None, Any] = atom("bot presence", None)
    async with (
        jupyterlab(root, tmp_path / "jupyterlab.log") as lab,
        connect(url, presence=me) as bot,
    ):
        me.set(presence_record(bot.store, user_id="bot", name="Robo", cursor=(300, 200)))
        shape = create_geo(bot.store, x=80, y=60, w=160, h=100, text="bot", color="blue")
        await bot.wait_for_sync()

        await open_notebook(browser, lab, "together.ipynb")
        await run_cell(browser, 0)
        try:
            await browser.wait_for(
                f"!!(window.editor && window.editor.getShape({json.dumps(shape['id'])}))",
                timeout_ms=60_000,
            )
        except BrowserError as error:
            raise BrowserError(f"{error}; {await explain(browser, 0)}") from None
        collaborators = await browser.wait_for(
            "window.editor.getCollaborators().map((c) => c.userName).join(',') || null"
        )
        assert collaborators == "Robo"

        # draw a stroke with the mouse, in screen space, over the widget's canvas
        await browser.call("evaluate", expression="(window.editor.setCurrentTool('draw'), true)")
        box = await browser.call(
            "evaluate",
            expression=(
                "(() => { const r = document.querySelector('.tlsync-editor-widget')"
                ".getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height} })()"
            ),
        )
        x0, y0 = box["x"] + box["w"] * 0.45, box["y"] + box["h"] * 0.55
        await browser.call(
            "mouse",
            steps=[
                {"move": [x0, y0]},
                {"down": True},
                {"move": [x0 + 80, y0 + 30]},
                {"move": [x0 + 160, y0 - 20]},
                {"up": True},
                {"move": [x0 + 200, y0 + 40]},
            ],
        )
        await bot.wait_for(
            lambda store: bool(shape_ids_of_type(shapes_on_page(store), "draw")), WAIT
        )
        await bot.wait_for(
            lambda store: any(
                r["typeName"] == "instance_presence" and r["cursor"]["x"] != 0
                for r in store.all_records()
            ),
            WAIT,
        )
        await browser.call("screenshot", path=str(ARTIFACTS / "editor-widget-jupyterlab.png"))

        await run_cell(browser, 1)
        output = await browser.wait_for(cell_output(1) + " || null", timeout_ms=40_000)
        assert "the kernel's room.store holds the drawing" in output
        errors = await browser.call("errors")
        assert [e for e in errors if "tlsync" in e or "tldraw" in e] == []
        # the page reached JupyterLab only: never the sync server, never another host
        assert foreign_requests(await browser.call("requests"), lab) == []
