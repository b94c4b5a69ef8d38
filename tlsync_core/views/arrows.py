"""Arrows as SVG: their bodies and labels where tldraw places them (the tldraw helpers'
``arrow_geometry``, reading the page's records through its ``source``), and arrowheads of
every kind.
"""

from __future__ import annotations

import math
from typing import Any

from tlsync_core.tldraw.helpers.arrow_geometry import ARROW_LABEL_PADDING, arrow_body, arrow_label
from tlsync_core.tldraw.theme import ARROW_LABEL_FONT_SIZES, LINE_HEIGHT, STROKE_SIZES, THEME
from tlsync_core.views.geometry import Matrix, Point, apply, polyline_length, unit
from tlsync_core.views.page import Page
from tlsync_core.views.records import Rec, color_of, font_family, sized
from tlsync_core.views.svg import escape, fmt, line_d, polygon_d, pt, stroke_attrs
from tlsync_core.views.text import shape_lines, text_element, wrap

__all__ = ["arrow"]


def arrow(page: Page, shape: Rec, props: Rec, m: Matrix) -> str:
    """An arrow: its body where tldraw draws it (``arrow_geometry.arrow_body``: stopped on the
    outlines of the shapes it is bound to, bent along an arc), its arrowheads, and its label in
    the box tldraw gives it (``arrow_geometry.arrow_label``)."""
    record = page.source.get(shape["id"])
    assert record is not None  # (every shape drawn is in the page's source)
    body = arrow_body(page.source, record)
    label_box = arrow_label(page.source, record, body)
    scale = record["props"]["scale"]
    sw = sized(STROKE_SIZES, props.get("size")) * scale
    color = color_of(props.get("color"), "solid")
    page.extend(m, body)
    first = body[0]
    last = body[len(body) - 1]
    out = (
        f'<path class="tl-arrow-line" d="{line_d(body)}" fill="none"'
        f"{stroke_attrs(color, sw, props.get('dash'))}/>"
    )
    length = polyline_length(body)
    head = min(sw * 2.5 + 10, length * 0.4)
    if head > 0:
        before_end = body[len(body) - 2]
        end_dir = unit(last[0] - before_end[0], last[1] - before_end[1])
        start_dir = unit(first[0] - body[1][0], first[1] - body[1][1])
        start_kind = props.get("arrowheadStart", "none")
        end_kind = props.get("arrowheadEnd", "arrow")
        out += arrowhead(start_kind, first, start_dir, length=head, sw=sw, color=color)
        out += arrowhead(end_kind, last, end_dir, length=head, sw=sw, color=color)
    if label_box is not None:
        font_size = sized(ARROW_LABEL_FONT_SIZES, props.get("size")) * scale
        pad = ARROW_LABEL_PADDING * scale
        lines = wrap(shape_lines(props), props.get("font"), font_size, label_box.w - pad * 2)
        top = label_box.y + label_box.h / 2 - len(lines) * font_size * LINE_HEIGHT / 2
        out += (
            f'<rect class="tl-arrow-label-bg" x="{fmt(label_box.x)}" y="{fmt(label_box.y)}"'
            f' width="{fmt(label_box.w)}" height="{fmt(label_box.h)}" rx="4"'
            f' fill="{THEME["background"]}" fill-opacity="0.9"/>'
        )
        out += text_element(
            lines,
            x=label_box.x + label_box.w / 2,
            top=top,
            font_size=font_size,
            family=font_family(props.get("font")),
            fill=color_of(props.get("labelColor"), "solid"),
            anchor="middle",
            cls="tl-arrow-label",
        )
        page.extend(m, label_box.corners())
    page_first = apply(m, first)
    page_last = apply(m, last)
    return (
        f'<g class="tl-arrow" data-start="{fmt(page_first[0])},{fmt(page_first[1])}"'
        f' data-end="{fmt(page_last[0])},{fmt(page_last[1])}">{out}</g>'
    )


def arrowhead(
    kind: Any, tip: Point, direction: Point, *, length: float, sw: float, color: str
) -> str:
    """An arrowhead at ``tip`` pointing along ``direction`` (a unit vector)."""
    if kind in (None, "none") or not isinstance(kind, str):
        return ""
    dx, dy = direction
    nx, ny = -dy, dx
    cos30 = math.cos(math.pi / 6)
    sin30 = math.sin(math.pi / 6)
    half = length * sin30 / cos30
    back = (tip[0] - dx * length, tip[1] - dy * length)
    left = (back[0] + nx * half, back[1] + ny * half)
    right = (back[0] - nx * half, back[1] - ny * half)
    stroke = (
        f' stroke="{color}" stroke-width="{fmt(sw)}" stroke-linecap="round" stroke-linejoin="round"'
    )
    cls = f'class="tl-arrowhead" data-arrowhead="{escape(kind)}"'
    if kind == "arrow":
        return f'<path {cls} d="M{pt(left)} L{pt(tip)} L{pt(right)}" fill="none"{stroke}/>'
    if kind == "triangle":
        return f'<path {cls} d="M{pt(left)} L{pt(tip)} L{pt(right)} Z" fill="{color}"{stroke}/>'
    if kind == "inverted":
        a = (tip[0] + nx * half, tip[1] + ny * half)
        b = (tip[0] - nx * half, tip[1] - ny * half)
        return f'<path {cls} d="M{pt(a)} L{pt(back)} L{pt(b)} Z" fill="{color}"{stroke}/>'
    if kind == "diamond":
        mid = (tip[0] - dx * length / 2, tip[1] - dy * length / 2)
        a = (mid[0] + nx * half / 2, mid[1] + ny * half / 2)
        b = (mid[0] - nx * half / 2, mid[1] - ny * half / 2)
        return (
            f'<path {cls} d="M{pt(tip)} L{pt(a)} L{pt(back)} L{pt(b)} Z" fill="{color}"{stroke}/>'
        )
    if kind == "square":
        s = sw * 1.5 + 3
        corners = [
            (tip[0] + (dx + nx) * s, tip[1] + (dy + ny) * s),
            (tip[0] + (dx - nx) * s, tip[1] + (dy - ny) * s),
            (tip[0] + (-dx - nx) * s, tip[1] + (-dy - ny) * s),
            (tip[0] + (-dx + nx) * s, tip[1] + (-dy + ny) * s),
        ]
        return f'<path {cls} d="{polygon_d(corners)}" fill="{color}"{stroke}/>'
    if kind == "dot":
        return (
            f'<circle {cls} cx="{fmt(tip[0])}" cy="{fmt(tip[1])}" r="{fmt(sw * 1.5 + 2)}"'
            f' fill="{color}"/>'
        )
    if kind in ("pipe", "bar"):
        a = (tip[0] + nx * half, tip[1] + ny * half)
        b = (tip[0] - nx * half, tip[1] - ny * half)
        return f'<path {cls} d="M{pt(a)} L{pt(b)}" fill="none"{stroke}/>'
    return ""
