"""Pictures of a room: one page of tldraw records as SVG.

:func:`render_svg` draws a page the way a tldraw user would recognise it: geo shapes of every
kind, text, notes, frames (with their names, clipping their children), lines (straight or
cubic splines), draw and highlight strokes (5.4.2's base64 point paths decoded), arrows with
their bindings (a bound end sits on the bound shape's outline) and labels, image/video/bookmark/
embed placeholders, groups, and collaborators' cursors, in tldraw 5.4.2's default light theme
(colours, fills, dash styles, stroke widths and font sizes).

The output is deterministic: shapes are ordered by their ``index`` (then id) under each parent,
every number is written with at most two decimals (rounded half up, never ``-0``), and nothing
depends on dict order or the clock, so two renders of the same records are equal byte for byte.
``tlsync_core/views/static/liveview.js`` is a line-by-line port that renders the same SVG in a
browser; the two are kept in lockstep (``tests/view/test_render_differential.py``).

Records are plain dicts (``{"id", "typeName", ...}``), read without the tldraw schema
(:mod:`~tlsync_core.views.records`), so a picture shows whatever a room holds, tolerating
missing or odd props.  The modules: :mod:`~tlsync_core.views.page` (the records of a page,
indexed, and the geometry of any shape), :mod:`~tlsync_core.views.shapes` (a table of drawing
functions by shape type), :mod:`~tlsync_core.views.arrows`, :mod:`~tlsync_core.views.text`,
:mod:`~tlsync_core.views.geometry`, :mod:`~tlsync_core.views.svg` and
:mod:`~tlsync_core.views.source` (the records as the tldraw helpers read them); this one draws
the SVG document (background, shapes, cursors) and is the public API.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Mapping
from typing import Any

from tlsync_core.tldraw.theme import FONT_FAMILIES, THEME
from tlsync_core.views.geometry import IDENTITY, Box, Point, bounds_of
from tlsync_core.views.page import Page
from tlsync_core.views.records import (
    Rec,
    color_of,
    decode_points,
    mapping,
    number,
    records_of,
    string,
)
from tlsync_core.views.shapes import draw_shape
from tlsync_core.views.svg import escape, fmt
from tlsync_core.views.text import CHAR_WIDTH, code_points, rich_text_lines, truncate

__all__ = [
    "SvgPicture",
    "decode_points",
    "display_store",
    "fmt",
    "records_of",
    "render_svg",
    "rich_text_lines",
    "svg_of",
]

PADDING = 32
"""Around the content, in page units."""
EMPTY_BOX: Box = (0, 0, 640, 480)


def page_svg(page: Page, padding: float, with_presence: bool) -> str:
    """The SVG document of a page: background, shapes, cursors, viewBox fitted with ``padding``."""
    body = ""
    for shape in page.children.get(page.page_id, []):
        body += draw_shape(page, shape, IDENTITY, 0)
    cursor_points: list[Point] = []
    cursors: list[Rec] = []
    if with_presence:
        for record in page.presence:
            cursor = record.get("cursor")
            on_page = record.get("currentPageId")
            if not isinstance(cursor, Mapping) or (
                isinstance(on_page, str) and on_page != page.page_id
            ):
                continue
            cursors.append(record)
            cursor_points.append((number(cursor.get("x"), 0), number(cursor.get("y"), 0)))
    box = bounds_of([*page.points, *cursor_points])
    if box is None:
        view = EMPTY_BOX
    else:
        view = (box[0] - padding, box[1] - padding, box[2] + padding, box[3] + padding)
    vw = view[2] - view[0]
    vh = view[3] - view[1]
    cursor_scale = max(1, max(vw, vh) / 1200)
    overlay = ""
    for record in cursors:
        overlay += draw_cursor(record, cursor_scale)
    defs = ""
    for color in sorted(page.patterns):
        defs += page.pattern(color)
    out = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tl-room"'
        f' viewBox="{fmt(view[0])} {fmt(view[1])} {fmt(vw)} {fmt(vh)}"'
        f' width="{fmt(vw)}" height="{fmt(vh)}" data-page-id="{escape(page.page_id)}">'
    )
    if defs:
        out += f"<defs>{defs}</defs>"
    out += (
        f'<rect class="tl-background" x="{fmt(view[0])}" y="{fmt(view[1])}" width="{fmt(vw)}"'
        f' height="{fmt(vh)}" fill="{THEME["background"]}"/>'
    )
    out += f'<g class="tl-shapes">{body}</g>'
    out += f'<g class="tl-cursors">{overlay}</g>'
    return out + "</svg>"


def draw_cursor(record: Rec, scale: float) -> str:
    """A collaborator's cursor and name, drawn at ``scale``."""
    cursor = mapping(record.get("cursor"))
    x = number(cursor.get("x"), 0)
    y = number(cursor.get("y"), 0)
    color = color_of(record.get("color"), "solid")
    name = string(record.get("userName"), "")
    out = (
        f'<g class="tl-cursor" data-presence-id="{escape(record["id"])}"'
        f' data-user-name="{escape(name)}" transform="translate({fmt(x)} {fmt(y)})'
        f' scale({fmt(scale)})">'
        f'<path d="M0 0 L0 17 L4.5 12.5 L7.5 19 L10.5 17.8 L7.6 11.3 L13 11.3 Z"'
        f' fill="{color}" stroke="#ffffff" stroke-width="1.5" stroke-linejoin="round"/>'
    )
    if name:
        label = truncate(name, 32)
        width = code_points(label) * 12 * CHAR_WIDTH + 12
        out += (
            f'<rect x="12" y="18" width="{fmt(width)}" height="20" rx="4" fill="{color}"/>'
            f'<text x="18" y="28" font-size="12" font-family="{FONT_FAMILIES["sans"]}"'
            f' fill="#ffffff" dominant-baseline="central">{escape(label)}</text>'
        )
    return out + "</g>"


def render_svg(
    records: Any,
    page_id: str | None = None,
    *,
    padding: float = PADDING,
    presence: bool = True,
    id_prefix: str = "tl",
) -> str:
    """One page of a room as an SVG document (a string).

    ``records``: a Store, a mapping of id to record, a room snapshot, or an iterable of
    records. ``page_id``: the page to draw (default: the first page by index). ``presence``:
    draw collaborators' cursors (``instance_presence`` records on this page) with their names.
    ``id_prefix`` prefixes the ids of the SVG's pattern and clip-path definitions.
    The viewBox fits the content plus ``padding``.
    """
    return page_svg(Page(records_of(records), page_id, id_prefix), padding, presence)


def svg_of(store: Any, page_id: str | None = None, *, unique_ids: bool = False) -> str:
    """The SVG of a Store's (or a RoomConnection's, or records') current page.

    ``unique_ids`` names the SVG's pattern and clip-path definitions after a hash of the
    picture, so that several pictures in one HTML document (a notebook) cannot take each other's
    definitions; without it the output is :func:`render_svg`'s.
    """
    source = getattr(store, "store", store)
    records = records_of(source)
    svg = render_svg(records, page_id)
    if not unique_ids:
        return svg
    digest = hashlib.sha1(svg.encode(), usedforsecurity=False).hexdigest()[:10]
    return render_svg(records, page_id, id_prefix=f"tl{digest}")


class SvgPicture:
    """An SVG that Jupyter displays (``_repr_svg_``)."""

    def __init__(self, svg: str) -> None:
        self.svg = svg

    def _repr_svg_(self) -> str:
        return self.svg

    def __str__(self) -> str:
        return self.svg


def display_store(store: Any, page_id: str | None = None) -> SvgPicture:
    """Show a Store's page in Jupyter (when running under IPython) and return the picture."""
    picture = SvgPicture(svg_of(store, page_id, unique_ids=True))
    try:
        ipython = importlib.import_module("IPython")
    except ImportError:
        return picture
    if ipython.get_ipython() is not None:  # (in a kernel or shell, not a plain process)
        ipython.display.display(picture)
    return picture
