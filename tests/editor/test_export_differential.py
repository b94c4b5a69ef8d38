"""``render_svg`` against tldraw 5.4.2's own SVG export, in headless Chromium (``editor_lab``).

Random documents with every shape kind (``view_documents.tldraw_document``: geo shapes of every
kind, text, notes, a frame holding shapes, a group, lines, draw and highlight strokes, arrows
straight, bent and elbow, bound and free, labelled or not, media and embeds) are loaded into
tldraw's real Editor as a sync client receives them; both sides then draw what the editor
holds. tldraw exports each shape on its own (``getSvgString`` without padding: the export's
box is the shape's page bounds, cut by the frames holding it); ours is drawn once and laid
out by the same browser, each shape's box being that of its own drawn elements (an outline,
a body, a text, a label's background), cut by the frames that clip it. Compared, for every
shape of the page that tldraw's export shows: ours draws it, and the boxes' edges agree within
:data:`TOLERANCE`, except where a difference is deliberate (:func:`allowance`, :func:`text_fits`;
elbow arrows, whose routing is not modelled, are drawn straight and not compared).

Rule: VIEW17 (SPEC.md).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any, Final

import pytest
import pytest_asyncio
from editor_lab import EditorLab, running_lab
from view_documents import tldraw_document

from tlsync_core.tldraw.helpers.text import paragraphs
from tlsync_core.tldraw.theme import ARROW_LABEL_FONT_SIZES, FONT_SIZES, LINE_HEIGHT
from tlsync_core.views.render import render_svg

pytestmark = pytest.mark.asyncio(loop_scope="module")

DOCUMENTS: Final = 24
TOLERANCE: Final = 1.0
"""How far (page units) an edge of our box may be from the same edge of tldraw's."""
DRAWN: Final = [
    "tl-geo",
    "tl-note",
    "tl-text",
    "tl-frame",
    "tl-line",
    "tl-draw",
    "tl-highlight",
    "tl-arrow-line",
    "tl-arrow-label-bg",
    "tl-placeholder",
]
"""The classes of the elements that make a shape's box in our SVG (not its label, shadow,
arrowheads or a frame's name, which tldraw's bounds leave out too)."""

Box = dict[str, float]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def lab(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EditorLab]:
    async with running_lab(tmp_path_factory, "the export differential tests") as running:
        yield running


def clipped(box: Box, clip: Box) -> Box:
    """``box`` cut to ``clip`` (a frame's box)."""
    x0, y0 = max(box["x"], clip["x"]), max(box["y"], clip["y"])
    x1 = min(box["x"] + box["w"], clip["x"] + clip["w"])
    y1 = min(box["y"] + box["h"], clip["y"] + clip["h"])
    return {"x": x0, "y": y0, "w": max(0.0, x1 - x0), "h": max(0.0, y1 - y0)}


def frames_above(records: dict[str, Any], shape_id: str) -> list[str]:
    """The frames holding a shape, innermost first."""
    frames: list[str] = []
    parent = records[shape_id]["parentId"]
    while parent in records and len(frames) < 64:
        if records[parent]["type"] == "frame":
            frames.append(parent)
        parent = records[parent]["parentId"]
    return frames


def allowance(shape: dict[str, Any]) -> float:
    """How far a shape's edges may be from tldraw's beyond :data:`TOLERANCE`, by design:

    * a highlighter stroke's, which tldraw bounds by the outline of the wide stroke around its
      streamlined points (half a width out, the streamlining in) and we by the curve through
      its points: its stroke's width;
    * a labelled arrow's, whose label box is measured (about 1 % off in the draw font) and
      placed along the sampled arc of a bent arrow rather than the arc itself: a twentieth of
      the label's font size."""
    props = shape["props"]
    scale = float(props.get("scale", 1))
    if shape["type"] == "highlight":
        return FONT_SIZES[props["size"]] * 1.12 * scale
    if shape["type"] == "arrow" and paragraphs(props["richText"]) != [""]:
        return ARROW_LABEL_FONT_SIZES[props["size"]] * scale / 20
    return 0.0


def text_fits(ours: Box, theirs: Box, shape: dict[str, Any]) -> bool:
    """Whether the glyphs we draw for a text shape lie in tldraw's text box, give or take 3 %
    of its width across and one line down and up: our box is that of the glyphs the browser
    draws, tldraw's the box of its text layout, and we measure text in the draw font about 1 %
    wider than tldraw does (its contextual alternates), so a line may break at another place
    and the line count of a wrapping text in that font may differ (its height is not
    compared)."""
    props = shape["props"]
    across = theirs["w"] * 0.03 + TOLERANCE
    down = FONT_SIZES[props["size"]] * LINE_HEIGHT * float(props["scale"]) + TOLERANCE
    if props["font"] == "draw" and not props["autoSize"]:
        down = math.inf
    return (
        ours["x"] >= theirs["x"] - across
        and ours["x"] + ours["w"] <= theirs["x"] + theirs["w"] + across
        and ours["y"] >= theirs["y"] - down
        and ours["y"] + ours["h"] <= theirs["y"] + theirs["h"] + down
    )


def edge_error(ours: Box, theirs: Box) -> float:
    """The largest distance between corresponding edges of two boxes."""
    return max(
        abs(ours["x"] - theirs["x"]),
        abs(ours["y"] - theirs["y"]),
        abs(ours["x"] + ours["w"] - theirs["x"] - theirs["w"]),
        abs(ours["y"] + ours["h"] - theirs["y"] - theirs["h"]),
    )


@pytest.mark.spec("VIEW17")
async def test_render_svg_draws_what_tldraw_exports_where_it_exports_it(lab: EditorLab) -> None:
    """On 24 random documents with every shape kind: every shape of the page tldraw's export
    shows is drawn by ``render_svg``, and its box is within 1 page unit of tldraw's on every
    edge (highlighter strokes: plus their width; labelled arrows: plus a twentieth of the
    label's font size; texts: their glyphs inside tldraw's box, see :func:`text_fits`; elbow
    arrows, drawn straight, are not compared)."""
    compared: dict[str, int] = {}
    for seed in range(DOCUMENTS):
        document = tldraw_document(seed)
        await lab.load(list(document.values()))
        held = {record["id"]: record for record in await lab.records()}
        pages = {k: r for k, r in document.items() if r["typeName"] == "page"}
        records = {**pages, **held}
        svg = render_svg(records, presence=False)
        page_id = min(pages.values(), key=lambda r: (r["index"], r["id"]))["id"]
        on_page = [i for i, r in held.items() if r["typeName"] == "shape" and on(held, i, page_id)]
        theirs = await lab.exported(on_page)
        ours = await lab.drawn(svg, DRAWN)
        for shape_id in on_page:
            exported = theirs[shape_id]
            if exported is None:
                continue
            drawn = ours.get(shape_id)
            assert drawn is not None, f"{shape_id} is in tldraw's export, not in ours"
            for frame in frames_above(held, shape_id):
                frame_box = ours[frame]
                assert frame_box is not None
                drawn = clipped(drawn, frame_box)
            shape = held[shape_id]
            where = (
                f"document {seed}: {shape_id} ({shape['type']}) ours {drawn} tldraw's {exported}"
            )
            if shape["type"] == "text":
                assert text_fits(drawn, exported, shape), where
            elif not (shape["type"] == "arrow" and shape["props"]["kind"] == "elbow"):
                assert edge_error(drawn, exported) <= TOLERANCE + allowance(shape), where
            compared[shape["type"]] = compared.get(shape["type"], 0) + 1
    assert set(compared) >= {"geo", "text", "note", "frame", "group", "line", "draw"}
    assert set(compared) >= {"highlight", "arrow", "image", "video", "bookmark", "embed"}


def on(records: dict[str, Any], shape_id: str, page_id: str) -> bool:
    """Whether a shape hangs (through its parents) from the page."""
    parent = records[shape_id]["parentId"]
    for _ in range(64):
        if parent == page_id:
            return True
        if parent not in records:
            return False
        parent = records[parent]["parentId"]
    return False
