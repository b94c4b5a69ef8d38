"""Each kind of shape as SVG: a table from the shape's ``type`` to the function that draws it.

A drawing function gets the :class:`~tlsync_core.views.page.Page`, the shape, its props and its
page matrix, and returns the shape's SVG in its own coordinates (it also records the points it
covers, for the viewBox).  Kinds not in :data:`SHAPES` (images, videos, bookmarks, embeds, and
custom shapes) are labelled placeholders.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from tlsync_core.tldraw.helpers.geo_paths import line_vertices
from tlsync_core.tldraw.theme import (
    FONT_FAMILIES,
    FONT_SIZES,
    LABEL_FONT_SIZES,
    LABEL_PADDING,
    LINE_HEIGHT,
    STROKE_SIZES,
)
from tlsync_core.views.arrows import arrow
from tlsync_core.views.geometry import (
    Matrix,
    box_points,
    multiply,
)
from tlsync_core.views.page import Page, local_matrix
from tlsync_core.views.records import (
    Rec,
    color_of,
    draw_points,
    font_family,
    line_points,
    mapping,
    number,
    sized,
    string,
)
from tlsync_core.views.svg import (
    NOT_ID,
    escape,
    fmt,
    line_d,
    polygon_d,
    pt,
    smooth_d,
    stroke_attrs,
)
from tlsync_core.views.text import CHAR_WIDTH, shape_lines, text_element, truncate, wrap

__all__ = ["SHAPES", "ShapeDrawing", "draw_shape"]

ShapeDrawing = Callable[[Page, Rec, Rec, Matrix, str], str]
"""Draws ``(page, shape, props, page matrix, the SVG of the shape's children)``."""


def draw_shape(page: Page, shape: Rec, parent: Matrix, depth: int) -> str:
    """A shape and its children as a ``<g>`` in the coordinates of ``parent``."""
    if depth > 32:
        return ""
    m = multiply(parent, local_matrix(shape))
    kind = string(shape.get("type"), "")
    opacity = number(shape.get("opacity"), 1)
    head = (
        f'<g data-shape-id="{escape(shape["id"])}" data-shape-type="{escape(kind)}"'
        f' transform="{transform_attr(shape)}"'
    )
    if opacity != 1:
        head += f' opacity="{fmt(opacity)}"'
    props = mapping(shape.get("props"))
    if kind == "geo":
        head += f' data-geo="{escape(string(props.get("geo"), "rectangle"))}"'
    children = "".join(
        draw_shape(page, child, m, depth + 1) for child in page.children.get(shape["id"], [])
    )
    return f"{head}>{SHAPES.get(kind, _PLACEHOLDER)(page, shape, props, m, children)}</g>"


def transform_attr(shape: Rec) -> str:
    """A shape's position and rotation in its parent, as an SVG ``transform``."""
    out = f"translate({fmt(number(shape.get('x'), 0))} {fmt(number(shape.get('y'), 0))})"
    rotation = number(shape.get("rotation"), 0)
    if rotation != 0:
        out += f" rotate({fmt(rotation * 180 / math.pi)})"
    return out


def label(props: Rec, *, w: float, h: float, font_size: float, fill: str, scale: float) -> str:
    """A shape's label: its rich text wrapped to the shape as tldraw lays it out, aligned as
    its props say."""
    lines = shape_lines(props)
    if not lines:
        return ""
    pad = LABEL_PADDING * scale
    lines = wrap(lines, props.get("font"), font_size, w - pad * 2)
    block = len(lines) * font_size * LINE_HEIGHT
    vertical = props.get("verticalAlign")
    if vertical == "start":
        top = pad
    elif vertical == "end":
        top = h - pad - block
    else:
        top = (h - block) / 2
    anchor = _anchor(props.get("align"), _LABEL_ANCHORS, "middle")
    return _aligned(
        props, lines, anchor, w=w, pad=pad, top=top, font_size=font_size, fill=fill, cls="tl-label"
    )


def geo(page: Page, shape: Rec, props: Rec, m: Matrix) -> str:
    """A geo shape: its outline (mirrored when flipped), fill, inner strokes and label."""
    box = page.local_box(shape)
    w = box[2]
    h = box[3]
    page.extend(m, box_points(box))
    geo = string(props.get("geo"), "rectangle")
    scale = number(props.get("scale"), 1)
    color = props.get("color")
    sw = sized(STROKE_SIZES, props.get("size")) * scale
    stroke = stroke_attrs(color_of(color, "solid"), sw, props.get("dash"))
    fill = page.fill(color, props.get("fill"))
    flip_x = props.get("flipX") is True
    flip_y = props.get("flipY") is True
    out = ""
    if flip_x or flip_y:
        out += (
            f'<g transform="matrix({-1 if flip_x else 1} 0 0 {-1 if flip_y else 1}'
            f' {fmt(w) if flip_x else 0} {fmt(h) if flip_y else 0})">'
        )
    out += f'<path class="tl-geo" d="{polygon_d(page.geo_vertices(shape))}" fill="{fill}"{stroke}/>'
    if geo == "x-box":
        out += f'<path d="M0 0 L{pt((w, h))} M{fmt(w)} 0 L0 {fmt(h)}" fill="none"{stroke}/>'
    elif geo == "check-box":
        size = min(w, h) * 0.82
        ox = (w - size) / 2
        oy = (h - size) / 2
        check = [
            (ox + size * 0.25, oy + size * 0.52),
            (ox + size * 0.45, oy + size * 0.82),
            (ox + size * 0.82, oy + size * 0.22),
        ]
        out += f'<path d="{line_d(check)}" fill="none"{stroke}/>'
    if flip_x or flip_y:
        out += "</g>"
    font_size = sized(LABEL_FONT_SIZES, props.get("size")) * scale
    fill_text = color_of(props.get("labelColor"), "solid")
    return out + label(props, w=w, h=h, font_size=font_size, fill=fill_text, scale=scale)


def text_shape(page: Page, shape: Rec, props: Rec, m: Matrix) -> str:
    """A text shape: its lines, aligned as ``textAlign`` says."""
    box = page.local_box(shape)
    page.extend(m, box_points(box))
    scale = number(props.get("scale"), 1)
    font_size = sized(FONT_SIZES, props.get("size")) * scale
    lines = page.text_lines(props)
    anchor = _anchor(props.get("textAlign"), _TEXT_ANCHORS, "start")
    fill = color_of(props.get("color"), "solid")
    return _aligned(
        props, lines, anchor, w=box[2], pad=0, top=0, font_size=font_size, fill=fill, cls="tl-text"
    )


# how a label's ``align`` and a text shape's ``textAlign`` anchor their lines (else the default)
_LABEL_ANCHORS = {"start": "start", "start-legacy": "start", "end": "end", "end-legacy": "end"}
_TEXT_ANCHORS = {"middle": "middle", "end": "end"}


def _anchor(align: Any, anchors: Mapping[str, str], default: str) -> str:
    return anchors.get(align, default) if isinstance(align, str) else default


def _aligned(
    props: Rec,
    lines: list[str],
    anchor: str,
    *,
    w: float,
    pad: float,
    top: float,
    font_size: float,
    fill: str,
    cls: str,
) -> str:
    """Lines anchored at the start, middle or end of a width ``w`` padded by ``pad``."""
    x = {"start": pad, "middle": w / 2, "end": w - pad}[anchor]
    family = font_family(props.get("font"))
    return text_element(
        lines, x=x, top=top, font_size=font_size, family=family, fill=fill, anchor=anchor, cls=cls
    )


def note(page: Page, shape: Rec, props: Rec, m: Matrix) -> str:
    """A sticky note: its shadow, its body and its label."""
    box = page.local_box(shape)
    w = box[2]
    h = box[3]
    page.extend(m, box_points(box))
    scale = number(props.get("scale"), 1)
    color = props.get("color")
    out = (
        f'<rect class="tl-note-shadow" x="0" y="{fmt(2 * scale)}" width="{fmt(w)}"'
        f' height="{fmt(h)}" rx="{fmt(2 * scale)}" fill="#000000" fill-opacity="0.1"/>'
        f'<rect class="tl-note" width="{fmt(w)}" height="{fmt(h)}" rx="{fmt(2 * scale)}"'
        f' fill="{color_of(color, "noteFill")}"/>'
    )
    # fontSizeAdjustment: the ratio tldraw shrank the label's font by to fit (null: 1)
    adjustment = number(props.get("fontSizeAdjustment"), 1)
    font_size = sized(LABEL_FONT_SIZES, props.get("size")) * (adjustment if adjustment > 0 else 1)
    label_color = props.get("labelColor")
    fill = (
        color_of(color, "noteText")
        if label_color in (None, "black")
        else (color_of(label_color, "solid"))
    )
    return out + label(props, w=w, h=h, font_size=font_size * scale, fill=fill, scale=scale)


def line(page: Page, shape: Rec, props: Rec, m: Matrix) -> str:
    """A line shape: its path (straight segments or tldraw's cubic spline, sampled as
    ``geo_paths.line_vertices`` samples it)."""
    handles = [(number(p.get("x"), 0), number(p.get("y"), 0)) for p in line_points(props)]
    points = line_vertices(handles, string(props.get("spline"), "line"))
    page.extend(m, points)
    sw = sized(STROKE_SIZES, props.get("size")) * number(props.get("scale"), 1)
    d = line_d(points)
    stroke = stroke_attrs(color_of(props.get("color"), "solid"), sw, props.get("dash"))
    return f'<path class="tl-line" d="{d}" fill="none"{stroke}/>'


def draw(page: Page, shape: Rec, props: Rec, m: Matrix) -> str:
    """A draw shape: its stroke through tldraw's geometry points (closed and filled when it
    is closed)."""
    points, closed = page.draw_stroke(props)
    page.extend(m, points)
    color = props.get("color")
    d = line_d(points) + (" Z" if closed else "")
    sw = sized(STROKE_SIZES, props.get("size")) * number(props.get("scale"), 1)
    fill = "none"
    if props.get("isClosed") is True and closed:
        fill = page.fill(color, props.get("fill"))
    stroke = stroke_attrs(color_of(color, "solid"), sw, props.get("dash"))
    return f'<path class="tl-draw" d="{d}" fill="{fill}"{stroke}/>'


def highlight(page: Page, shape: Rec, props: Rec, m: Matrix) -> str:
    """A highlighter stroke: wide and translucent."""
    points = draw_points(props)
    page.extend(m, points)
    sw = sized(FONT_SIZES, props.get("size")) * 1.12 * number(props.get("scale"), 1)
    return (
        f'<path class="tl-highlight" d="{smooth_d(points)}" fill="none"'
        f' stroke="{color_of(props.get("color"), "highlightSrgb")}" stroke-width="{fmt(sw)}"'
        f' stroke-linecap="round" stroke-linejoin="round" stroke-opacity="0.7"/>'
    )


def frame(page: Page, shape: Rec, props: Rec, m: Matrix, children: str) -> str:
    """A frame: its rectangle, its name, and its children clipped to it."""
    w = number(props.get("w"), 100)
    h = number(props.get("h"), 100)
    page.extend(m, [(0, -24), (w, -24), (w, h), (0, h)])
    color = props.get("color")
    name = string(props.get("name"), "") or "Frame"
    clip = f"{page.prefix}-clip-{NOT_ID.sub('_', shape['id'])}"
    max_chars = max(1, math.floor(w / (12 * CHAR_WIDTH)))
    out = (
        f'<rect class="tl-frame" width="{fmt(w)}" height="{fmt(h)}"'
        f' fill="{color_of(color, "frameFill")}" stroke="{color_of(color, "frameStroke")}"'
        f' stroke-width="1"/>'
        f'<text class="tl-frame-heading" x="0" y="-8" font-size="12"'
        f' font-family="{FONT_FAMILIES["sans"]}" fill="{color_of(color, "frameText")}">'
        f"{escape(truncate(name, max_chars))}</text>"
        f'<clipPath id="{clip}"><rect width="{fmt(w)}" height="{fmt(h)}"/></clipPath>'
        f'<g clip-path="url(#{clip})">'
    )
    return f"{out}{children}</g>"


def group(_page: Page, _shape: Rec, _props: Rec, _m: Matrix, children: str) -> str:
    """A group draws nothing but its children."""
    return children


# a placeholder's title, and where its detail comes from: the first non-empty of these
_PLACEHOLDER_LABELS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "image": ("Image", (("props", "altText"), ("asset", "name"))),
    "video": ("Video", (("props", "altText"), ("asset", "name"))),
    "bookmark": ("Bookmark", (("asset", "title"), ("props", "url"))),
    "embed": ("Embed", (("props", "url"),)),
}


def placeholder(page: Page, shape: Rec, props: Rec, m: Matrix) -> str:
    """A labelled box for what a picture cannot show (media, embeds, custom shapes)."""
    w = number(props.get("w"), 100)
    h = number(props.get("h"), 100)
    page.extend(m, [(0, 0), (w, 0), (w, h), (0, h)])
    asset = page.assets.get(string(props.get("assetId"), ""))
    asset_props = mapping(asset.get("props")) if asset is not None else {}
    kind = string(shape.get("type"), "")
    title, detail_keys = _PLACEHOLDER_LABELS.get(kind, (kind or "shape", ()))
    sources = {"props": props, "asset": asset_props}
    detail = next(
        (value for source, key in detail_keys if (value := string(sources[source].get(key), ""))),
        "",
    )
    text = f"{title}: {detail}" if detail else title
    font_size = 14
    max_chars = max(1, math.floor((w - 16) / (font_size * CHAR_WIDTH)))
    return (
        f'<rect class="tl-placeholder" width="{fmt(w)}" height="{fmt(h)}" rx="4"'
        f' fill="{color_of("grey", "semi")}" stroke="{color_of("grey", "solid")}"'
        f' stroke-width="1.5" stroke-dasharray="6 4"/>'
        f'<text class="tl-placeholder-label" x="{fmt(w / 2)}" y="{fmt(h / 2)}"'
        f' font-size="{font_size}" font-family="{FONT_FAMILIES["sans"]}"'
        f' fill="{color_of("black", "solid")}" text-anchor="middle"'
        f' dominant-baseline="central">{escape(truncate(text, max_chars))}</text>'
    )


def _then_children(draw_one: Callable[[Page, Rec, Rec, Matrix], str]) -> ShapeDrawing:
    """A shape drawn under its children (for every kind but frames and groups)."""

    def drawing(page: Page, shape: Rec, props: Rec, m: Matrix, children: str) -> str:
        return draw_one(page, shape, props, m) + children

    return drawing


SHAPES: dict[str, ShapeDrawing] = {
    "geo": _then_children(geo),
    "text": _then_children(text_shape),
    "note": _then_children(note),
    "frame": frame,
    "group": group,
    "line": _then_children(line),
    "draw": _then_children(draw),
    "highlight": _then_children(highlight),
    "arrow": _then_children(arrow),
}
"""How each kind of shape is drawn, by ``type``."""
_PLACEHOLDER = _then_children(placeholder)
