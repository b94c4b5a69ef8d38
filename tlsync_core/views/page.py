"""One page of records, indexed for drawing: shapes by parent, bindings by arrow, assets.

:class:`Page` answers the geometric questions a shape's drawing asks (the box of a geo, note
or text, a geo's outline, a draw shape's stroke), holds the page's records as the tldraw
helpers read them (``source``, for arrows), and collects what the SVG document needs besides
the shapes: the drawn points (for the viewBox) and the fill patterns used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from tlsync_core.tldraw.helpers.freehand import freehand_outline
from tlsync_core.tldraw.helpers.geo_paths import geo_vertices
from tlsync_core.tldraw.helpers.text import text_box_size, text_wrap_width
from tlsync_core.tldraw.theme import FONT_SIZES, NOTE_SIZE, STROKE_SIZES, THEME
from tlsync_core.views.geometry import (
    Box,
    Matrix,
    Point,
    apply,
)
from tlsync_core.views.records import (
    Rec,
    color_of,
    draw_points,
    mapping,
    number,
    order_key,
    sized,
    string,
)
from tlsync_core.views.source import PageSource
from tlsync_core.views.svg import NOT_ID
from tlsync_core.views.text import shape_lines, wrap

__all__ = ["Page", "local_matrix"]


def local_matrix(shape: Rec) -> Matrix:
    """A shape's matrix in its parent: its position and rotation."""
    x = number(shape.get("x"), 0)
    y = number(shape.get("y"), 0)
    rotation = number(shape.get("rotation"), 0)
    if rotation == 0:
        return (1, 0, 0, 1, x, y)
    c = math.cos(rotation)
    s = math.sin(rotation)
    return (c, s, -s, c, x, y)


class Page:
    def __init__(self, records: Mapping[str, Rec], page_id: str | None, id_prefix: str) -> None:
        self.prefix = id_prefix
        self.shapes: dict[str, Rec] = {}
        self.children: dict[str, list[Rec]] = {}
        self.bindings: dict[str, list[Rec]] = {}
        self.assets: dict[str, Rec] = {}
        pages: list[Rec] = []
        presence: list[Rec] = []
        for record_id in sorted(records):
            record = records[record_id]
            kind = record.get("typeName")
            if kind == "shape" and record_id.startswith("shape:"):
                self.shapes[record_id] = record
                parent = string(record.get("parentId"), "")
                self.children.setdefault(parent, []).append(record)
            elif kind == "binding":
                self.bindings.setdefault(string(record.get("fromId"), ""), []).append(record)
            elif kind == "asset":
                self.assets[record_id] = record
            elif kind == "page":
                pages.append(record)
            elif kind == "instance_presence":
                presence.append(record)
        for siblings in self.children.values():
            siblings.sort(key=order_key)
        pages.sort(key=order_key)
        self.presence = presence
        if page_id is None:
            if pages:
                page_id = pages[0]["id"]
            else:
                roots = sorted(p for p in self.children if p not in self.shapes)
                page_id = roots[0] if roots else "page:page"
        self.page_id: str = page_id
        self.source = PageSource(self.shapes, self.children, self.bindings, page_id)
        self.points: list[Point] = []
        self.patterns: set[str] = set()

    def local_box(self, shape: Rec) -> Box:
        """The box of a geo, note, text or media shape in its own coordinates."""
        kind = shape.get("type")
        props = mapping(shape.get("props"))
        scale = number(props.get("scale"), 1)
        if kind == "geo":
            return (
                0,
                0,
                number(props.get("w"), 100),
                number(props.get("h"), 100) + number(props.get("growY"), 0),
            )
        if kind == "note":
            return (0, 0, NOTE_SIZE * scale, (NOTE_SIZE + number(props.get("growY"), 0)) * scale)
        if kind == "text":
            w, h = text_box_size(
                shape_lines(props),
                string(props.get("font"), "draw"),
                sized(FONT_SIZES, props.get("size")),
                number(props.get("w"), 8),
                props.get("autoSize") is not False,
            )
            return (0, 0, w * scale, h * scale)
        return (0, 0, number(props.get("w"), 100), number(props.get("h"), 100))

    def geo_vertices(self, shape: Rec) -> list[Point]:
        """A geo shape's outline as tldraw samples it (``geo_paths.geo_vertices``: curves as
        vertices, a cloud's bumps from its id, size and scale), before any flip."""
        props = mapping(shape.get("props"))
        box = self.local_box(shape)
        return geo_vertices(
            string(props.get("geo"), "rectangle"),
            box[2],
            box[3],
            shape_id=string(shape.get("id"), ""),
            size=string(props.get("size"), "m"),
            scale=number(props.get("scale"), 1),
        )

    def draw_stroke(self, props: Rec) -> tuple[list[Point], bool]:
        """A draw shape's stroke as tldraw's geometry has it (``freehand.freehand_outline`` of
        its points) and whether it closes."""
        segments = props.get("segments")
        return freehand_outline(
            draw_points(props),
            size=sized(STROKE_SIZES, props.get("size")),
            scale=number(props.get("scale"), 1),
            segments=len(segments) if isinstance(segments, list) else 0,
            is_pen=props.get("isPen") is True,
            is_complete=props.get("isComplete") is True,
            is_closed=props.get("isClosed") is True,
        )

    def text_lines(self, props: Rec) -> list[str]:
        """A text shape's lines, wrapped as tldraw lays them out (``text_layout.measure``, at
        ``text.text_wrap_width``) unless it sizes itself."""
        width = text_wrap_width(number(props.get("w"), 8), props.get("autoSize") is not False)
        return wrap(
            shape_lines(props), props.get("font"), sized(FONT_SIZES, props.get("size")), width
        )

    def extend(self, m: Matrix, points: Iterable[Point]) -> None:
        """Note points (in the coordinates of ``m``) the picture must show."""
        for p in points:
            self.points.append(apply(m, p))

    def pattern(self, color: str) -> str:
        """The hatch pattern of a colour, as an SVG ``<pattern>``."""
        return (
            f'<pattern id="{self.prefix}-pattern-{NOT_ID.sub("_", color)}" width="8" height="8"'
            f' patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="{THEME["solid"]}"/>'
            f'<path d="M0 8 L8 0 M-2 2 L2 -2 M6 10 L10 6" stroke="{color_of(color, "pattern")}"'
            f' stroke-width="1.5"/></pattern>'
        )

    def fill(self, color: Any, fill: Any) -> str:
        """The SVG fill of a ``fill`` style in a colour (patterns are collected for ``<defs>``)."""
        if fill == "semi":
            return THEME["solid"]
        if fill == "solid":
            return color_of(color, "semi")
        if fill == "fill":
            return color_of(color, "solid")
        if fill == "lined-fill":
            return color_of(color, "linedFill")
        if fill == "pattern":
            name = color if isinstance(color, str) else "black"
            self.patterns.add(name)
            return f"url(#{self.prefix}-pattern-{NOT_ID.sub('_', name)})"
        return "none"
