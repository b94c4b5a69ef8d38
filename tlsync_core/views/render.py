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

Records are plain dicts (``{"id", "typeName", ...}``): this module reads them without the
tldraw schema, so it draws whatever a room holds, tolerating missing or odd props.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib
import math
import re
import struct
from collections.abc import Iterable, Mapping
from typing import Any

from tlsync_core.tldraw.theme import (
    ARROW_LABEL_FONT_SIZES,
    FONT_FAMILIES,
    FONT_SIZES,
    LABEL_FONT_SIZES,
    LABEL_PADDING,
    LINE_HEIGHT,
    NOTE_SIZE,
    PALETTE,
    STROKE_SIZES,
    THEME,
)

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

Point = tuple[float, float]
Matrix = tuple[float, float, float, float, float, float]
Box = tuple[float, float, float, float]
Rec = Mapping[str, Any]

CHAR_WIDTH = 0.55  # average glyph width / font size, for wrapping without font metrics
PADDING = 32  # around the content, in page units
EMPTY_BOX: Box = (0, 0, 640, 480)
ARC_SAMPLES = 32
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_NOT_ID = re.compile(r"[^A-Za-z0-9_-]")


# -- small helpers (each mirrored in liveview.js) ------------------------------------------------


def fmt(value: float) -> str:
    """A number as SVG text: rounded half up to two decimals, no trailing zeros, never ``-0``."""
    if not isinstance(value, int | float) or not math.isfinite(value):
        return "0"
    k = math.floor(value * 100 + 0.5)
    if k == 0:
        return "0"
    sign = "-" if k < 0 else ""
    a = -k if k < 0 else k
    whole = a // 100
    frac = a - whole * 100
    if frac == 0:
        return f"{sign}{whole}"
    if frac % 10 == 0:
        return f"{sign}{whole}.{frac // 10}"
    return f"{sign}{whole}.{frac:02d}"


def _esc(text: str) -> str:
    text = _CONTROL.sub("", text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _num(value: Any, default: float) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return default


def _str(value: Any, default: str) -> str:
    return value if isinstance(value, str) else default


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _size(table: Mapping[str, float], size: Any) -> float:
    return table[size] if isinstance(size, str) and size in table else table["m"]


def _color(name: Any, variant: str) -> str:
    if isinstance(name, str):
        entry = PALETTE.get(name)
        if entry is not None:
            return entry[variant]
        if _HEX.fullmatch(name):
            return name
    return PALETTE["black"][variant]


def _font(font: Any) -> str:
    if isinstance(font, str) and font in FONT_FAMILIES:
        return FONT_FAMILIES[font]
    return FONT_FAMILIES["draw"]


def _cp_len(text: str) -> int:
    return len(text)


def _pt(p: Point) -> str:
    return f"{fmt(p[0])} {fmt(p[1])}"


def _dash_attrs(dash: Any, stroke_width: float) -> str:
    if dash == "dashed":
        return f' stroke-dasharray="{fmt(stroke_width * 2)} {fmt(stroke_width * 2)}"'
    if dash == "dotted":
        return f' stroke-dasharray="0 {fmt(stroke_width * 2)}"'
    return ""


def _stroke_attrs(color: str, stroke_width: float, dash: Any) -> str:
    if dash == "none":
        return ' stroke="none"'
    return (
        f' stroke="{color}" stroke-width="{fmt(stroke_width)}" stroke-linecap="round"'
        f' stroke-linejoin="round"{_dash_attrs(dash, stroke_width)}'
    )


# -- matrices ------------------------------------------------------------------------------------

IDENTITY: Matrix = (1, 0, 0, 1, 0, 0)


def _mul(m: Matrix, n: Matrix) -> Matrix:
    return (
        m[0] * n[0] + m[2] * n[1],
        m[1] * n[0] + m[3] * n[1],
        m[0] * n[2] + m[2] * n[3],
        m[1] * n[2] + m[3] * n[3],
        m[0] * n[4] + m[2] * n[5] + m[4],
        m[1] * n[4] + m[3] * n[5] + m[5],
    )


def _apply(m: Matrix, p: Point) -> Point:
    return (m[0] * p[0] + m[2] * p[1] + m[4], m[1] * p[0] + m[3] * p[1] + m[5])


def _invert(m: Matrix) -> Matrix:
    det = m[0] * m[3] - m[1] * m[2]
    if det == 0:
        return IDENTITY
    return (
        m[3] / det,
        -m[1] / det,
        -m[2] / det,
        m[0] / det,
        (m[2] * m[5] - m[3] * m[4]) / det,
        (m[1] * m[4] - m[0] * m[5]) / det,
    )


def _local_matrix(shape: Rec) -> Matrix:
    x = _num(shape.get("x"), 0)
    y = _num(shape.get("y"), 0)
    rotation = _num(shape.get("rotation"), 0)
    if rotation == 0:
        return (1, 0, 0, 1, x, y)
    c = math.cos(rotation)
    s = math.sin(rotation)
    return (c, s, -s, c, x, y)


def _transform_attr(shape: Rec) -> str:
    out = f"translate({fmt(_num(shape.get('x'), 0))} {fmt(_num(shape.get('y'), 0))})"
    rotation = _num(shape.get("rotation"), 0)
    if rotation != 0:
        out += f" rotate({fmt(rotation * 180 / math.pi)})"
    return out


# -- rich text -----------------------------------------------------------------------------------


def rich_text_lines(rich: Any) -> list[str]:
    """TipTap JSON (``props.richText``) as plain text lines: one per paragraph or heading,
    hard breaks split lines, list items get ``• `` or ``1. `` markers (nested lists indent).
    A plain string is split on newlines."""
    if isinstance(rich, str):
        return rich.split("\n")
    lines: list[str] = []
    if isinstance(rich, Mapping):
        _block(rich, "", lines, 0)
    return lines


def _children(node: Rec) -> list[Rec]:
    content = node.get("content")
    if not isinstance(content, list):
        return []
    return [child for child in content if isinstance(child, Mapping)]


def _inline_text(node: Rec, depth: int) -> str:
    kind = node.get("type")
    if kind == "text":
        return _str(node.get("text"), "")
    if kind == "hardBreak":
        return "\n"
    if depth > 64:
        return ""
    return "".join(_inline_text(child, depth + 1) for child in _children(node))


def _block(node: Rec, prefix: str, lines: list[str], depth: int) -> None:
    if depth > 64:
        return
    kind = node.get("type")
    indent = " " * len(prefix)
    if kind in ("paragraph", "heading", "codeBlock", "text", "hardBreak"):
        parts = _inline_text(node, depth).split("\n")
        for i, part in enumerate(parts):
            lines.append((prefix if i == 0 else indent) + part)
        return
    if kind in ("bulletList", "orderedList"):
        start = _obj(node.get("attrs")).get("start")
        first = start if isinstance(start, int) and not isinstance(start, bool) else 1
        for i, item in enumerate(_children(node)):
            marker = "• " if kind == "bulletList" else f"{first + i}. "
            _block(item, (prefix if i == 0 else indent) + marker, lines, depth + 1)
        return
    for i, child in enumerate(_children(node)):
        _block(child, prefix if i == 0 else indent, lines, depth + 1)


def _shape_lines(props: Rec) -> list[str]:
    if "richText" in props:
        lines = rich_text_lines(props.get("richText"))
    else:
        lines = rich_text_lines(_str(props.get("text"), ""))
    for line in lines:
        if line != "":
            return lines
    return []


def _wrap_line(line: str, max_chars: int) -> list[str]:
    if _cp_len(line) <= max_chars:
        return [line]
    out: list[str] = []
    current = ""
    started = False
    for word in line.split(" "):
        candidate = word if not started else current + " " + word
        if not started or _cp_len(candidate) <= max_chars:
            current = candidate
            started = True
        else:
            out.append(current)
            current = word
    out.append(current)
    return out


def _wrap(lines: list[str], font_size: float, width: float | None) -> list[str]:
    if width is None:
        return lines
    max_chars = max(1, math.floor(width / (font_size * CHAR_WIDTH)))
    out: list[str] = []
    for line in lines:
        out.extend(_wrap_line(line, max_chars))
    return out


def _longest(lines: list[str]) -> int:
    best = 0
    for line in lines:
        best = max(best, _cp_len(line))
    return best


def _text(
    lines: list[str],
    *,
    x: float,
    top: float,
    font_size: float,
    family: str,
    fill: str,
    anchor: str,
    cls: str,
) -> str:
    lh = font_size * LINE_HEIGHT
    out = (
        f'<text class="{cls}" x="{fmt(x)}" font-size="{fmt(font_size)}" font-family="{family}"'
        f' fill="{fill}" text-anchor="{anchor}" dominant-baseline="central">'
    )
    for i, line in enumerate(lines):
        if line == "":
            continue
        out += f'<tspan x="{fmt(x)}" y="{fmt(top + lh * i + lh / 2)}">{_esc(line)}</tspan>'
    return out + "</text>"


def _truncate(text: str, max_chars: int) -> str:
    if _cp_len(text) <= max_chars:
        return text
    if max_chars <= 1:
        return "…"
    return text[: max_chars - 1] + "…"


# -- draw shape points (5.4.2 b64 paths) ---------------------------------------------------------


def _b64_bytes(text: str) -> bytes:
    try:
        return base64.b64decode(text)
    except (binascii.Error, ValueError):
        return b""


def decode_points(segment: Any) -> list[Point]:
    """The points of a draw/highlight segment: 5.4.2's ``path`` (base64: a float32 first point,
    then float16 deltas; ``dim`` 2 leaves out the pressure), or an older ``points`` list or
    legacy float16 string."""
    if not isinstance(segment, Mapping):
        return []
    path = segment.get("path")
    points: list[Point] = []
    if isinstance(path, str):
        data = _b64_bytes(path)
        two_d = segment.get("dim") == 2
        first = 8 if two_d else 12
        step = 4 if two_d else 6
        if len(data) < first:
            return []
        x: float = struct.unpack_from("<f", data, 0)[0]
        y: float = struct.unpack_from("<f", data, 4)[0]
        points.append((x, y))
        offset = first
        while offset + 4 <= len(data):
            x += struct.unpack_from("<e", data, offset)[0]
            y += struct.unpack_from("<e", data, offset + 2)[0]
            points.append((x, y))
            offset += step
        return points
    legacy = segment.get("points")
    if isinstance(legacy, str):
        data = _b64_bytes(legacy)
        offset = 0
        while offset + 6 <= len(data):
            points.append(
                (
                    struct.unpack_from("<e", data, offset)[0],
                    struct.unpack_from("<e", data, offset + 2)[0],
                )
            )
            offset += 6
        return points
    if isinstance(legacy, list):
        for p in legacy:
            if isinstance(p, Mapping):
                points.append((_num(p.get("x"), 0), _num(p.get("y"), 0)))
    return points


# -- geometry ------------------------------------------------------------------------------------


def _polygon_vertices(w: float, h: float, sides: int) -> list[Point]:
    cx = w / 2
    cy = h / 2
    points: list[Point] = []
    min_x = math.inf
    max_x = -math.inf
    min_y = math.inf
    max_y = -math.inf
    for i in range(sides):
        t = -math.pi / 2 + i * (math.pi * 2 / sides)
        x = cx + cx * math.cos(t)
        y = cy + cy * math.sin(t)
        min_x = min(min_x, x)
        max_x = max(max_x, x)
        min_y = min(min_y, y)
        max_y = max(max_y, y)
        points.append((x, y))
    bw = max_x - min_x
    bh = max_y - min_y
    if bw == 0 or bh == 0:
        return points
    return [((p[0] - min_x) / bw * w, (p[1] - min_y) / bh * h) for p in points]


def _star_vertices(w: float, h: float) -> list[Point]:
    sides = 5
    step = math.pi * 2 / sides / 2
    right = math.floor(sides / 4) * 2
    left = sides * 2 - right
    bottom = math.floor(sides / 2) * 2
    max_x = math.cos(-math.pi / 2 + right * step) * w / 2
    min_x = math.cos(-math.pi / 2 + left * step) * w / 2
    min_y = math.sin(-math.pi / 2) * h / 2
    max_y = math.sin(-math.pi / 2 + bottom * step) * h / 2
    diff_x = w - abs(max_x - min_x)
    diff_y = h - abs(max_y - min_y)
    offset_x = w / 2 + min_x - (w / 2 - max_x)
    offset_y = h / 2 + min_y - (h / 2 - max_y)
    cx = (w - offset_x) / 2
    cy = (h - offset_y) / 2
    ox = (w + diff_x) / 2
    oy = (h + diff_y) / 2
    ix = ox / 2
    iy = oy / 2
    points: list[Point] = []
    for i in range(sides * 2):
        theta = -math.pi / 2 + i * step
        rx = ix if i % 2 == 1 else ox
        ry = iy if i % 2 == 1 else oy
        points.append((cx + rx * math.cos(theta), cy + ry * math.sin(theta)))
    return points


def _geo_polygon(geo: str, w: float, h: float) -> list[Point] | None:
    """The outline of a straight-edged geo kind (None for the curved ones)."""
    if geo == "triangle":
        return [(w / 2, 0), (w, h), (0, h)]
    if geo == "diamond":
        return [(w / 2, 0), (w, h / 2), (w / 2, h), (0, h / 2)]
    if geo == "pentagon":
        return _polygon_vertices(w, h, 5)
    if geo == "hexagon":
        return _polygon_vertices(w, h, 6)
    if geo == "octagon":
        return _polygon_vertices(w, h, 8)
    if geo == "star":
        return _star_vertices(w, h)
    if geo in ("rhombus", "rhombus-2", "trapezoid"):
        o = min(w * 0.38, h * 0.38)
        if geo == "rhombus":
            return [(o, 0), (w, 0), (w - o, h), (0, h)]
        if geo == "rhombus-2":
            return [(0, 0), (w - o, 0), (w, h), (o, h)]
        return [(o, 0), (w - o, 0), (w, h), (0, h)]
    if geo in ("arrow-right", "arrow-left"):
        ox = min(w, h) * 0.38
        oy = h * 0.16
        if geo == "arrow-right":
            return [
                (0, oy),
                (w - ox, oy),
                (w - ox, 0),
                (w, h / 2),
                (w - ox, h),
                (w - ox, h - oy),
                (0, h - oy),
            ]
        return [(ox, 0), (ox, oy), (w, oy), (w, h - oy), (ox, h - oy), (ox, h), (0, h / 2)]
    if geo in ("arrow-up", "arrow-down"):
        ox = w * 0.16
        oy = min(w, h) * 0.38
        if geo == "arrow-up":
            return [(w / 2, 0), (w, oy), (w - ox, oy), (w - ox, h), (ox, h), (ox, oy), (0, oy)]
        return [
            (ox, 0),
            (w - ox, 0),
            (w - ox, h - oy),
            (w, h - oy),
            (w / 2, h),
            (0, h - oy),
            (ox, h - oy),
        ]
    if geo in ("ellipse", "oval", "cloud", "heart"):
        return None
    return [(0, 0), (w, 0), (w, h), (0, h)]


def _ellipse_points(w: float, h: float, n: int) -> list[Point]:
    return [
        (
            w / 2 + w / 2 * math.cos(i * math.pi * 2 / n),
            h / 2 + h / 2 * math.sin(i * math.pi * 2 / n),
        )
        for i in range(n)
    ]


def _oval_points(w: float, h: float) -> list[Point]:
    points: list[Point] = []
    n = 12
    if w >= h:
        r = h / 2
        for i in range(n + 1):
            a = -math.pi / 2 + i * math.pi / n
            points.append((w - r + r * math.cos(a), r + r * math.sin(a)))
        for i in range(n + 1):
            a = math.pi / 2 + i * math.pi / n
            points.append((r + r * math.cos(a), r + r * math.sin(a)))
        return points
    r = w / 2
    for i in range(n + 1):
        a = math.pi + i * math.pi / n
        points.append((r + r * math.cos(a), r + r * math.sin(a)))
    for i in range(n + 1):
        a = i * math.pi / n
        points.append((r + r * math.cos(a), h - r + r * math.sin(a)))
    return points


def _heart_curves(w: float, h: float) -> list[tuple[Point, Point, Point, Point]]:
    o = w / 4
    k = h / 4
    center: Point = (w / 2, h)
    top: Point = (w / 2, k * 1.1)
    left: Point = (0, k * 1.2)
    right: Point = (w, k * 1.2)
    return [
        (center, (o * 1.5, k * 3), (0, k * 2.5), left),
        (left, (0, k * -0.32), (o * 1.85, k * -0.32), top),
        (top, (o * 2.15, k * -0.32), (w, k * -0.32), right),
        (right, (w, k * 2.5), (o * 2.5, k * 3), center),
    ]


def _cubic_at(c: tuple[Point, Point, Point, Point], t: float) -> Point:
    u = 1 - t
    a = u * u * u
    b = 3 * u * u * t
    d = 3 * u * t * t
    e = t * t * t
    return (
        a * c[0][0] + b * c[1][0] + d * c[2][0] + e * c[3][0],
        a * c[0][1] + b * c[1][1] + d * c[2][1] + e * c[3][1],
    )


def _heart_points(w: float, h: float) -> list[Point]:
    points: list[Point] = []
    for curve in _heart_curves(w, h):
        for i in range(12):
            points.append(_cubic_at(curve, i / 12))
    return points


def _cloud_points(w: float, h: float) -> list[Point]:
    """The base points of the cloud's bumps (on an ellipse inset by the bump height)."""
    n = math.floor((w + h) / 40)
    n = max(8, min(24, n))
    m = min(w, h) * 0.1
    rx = w / 2 - m
    ry = h / 2 - m
    if rx <= 0 or ry <= 0:
        return _ellipse_points(w, h, 8)
    return [
        (
            w / 2 + rx * math.cos(-math.pi / 2 + i * math.pi * 2 / n),
            h / 2 + ry * math.sin(-math.pi / 2 + i * math.pi * 2 / n),
        )
        for i in range(n)
    ]


def _geo_outline(geo: str, w: float, h: float) -> list[Point]:
    """A polygon for a geo kind (curves sampled), for arrow binding intersections."""
    polygon = _geo_polygon(geo, w, h)
    if polygon is not None:
        return polygon
    if geo == "oval":
        return _oval_points(w, h)
    if geo == "heart":
        return _heart_points(w, h)
    if geo == "cloud":
        return _cloud_points(w, h)
    return _ellipse_points(w, h, 48)


def _polygon_d(points: list[Point]) -> str:
    if not points:
        return ""
    return "M" + " L".join(_pt(p) for p in points) + " Z"


def _geo_path(geo: str, w: float, h: float) -> str:
    polygon = _geo_polygon(geo, w, h)
    if polygon is not None:
        return _polygon_d(polygon)
    if geo == "ellipse":
        rx = fmt(w / 2)
        ry = fmt(h / 2)
        return (
            f"M0 {fmt(h / 2)} A{rx} {ry} 0 1 1 {fmt(w)} {fmt(h / 2)}"
            f" A{rx} {ry} 0 1 1 0 {fmt(h / 2)} Z"
        )
    if geo == "oval":
        if w >= h:
            r = h / 2
            return (
                f"M{fmt(r)} 0 L{fmt(w - r)} 0 A{fmt(r)} {fmt(r)} 0 0 1 {fmt(w - r)} {fmt(h)}"
                f" L{fmt(r)} {fmt(h)} A{fmt(r)} {fmt(r)} 0 0 1 {fmt(r)} 0 Z"
            )
        r = w / 2
        return (
            f"M0 {fmt(r)} A{fmt(r)} {fmt(r)} 0 0 1 {fmt(w)} {fmt(r)} L{fmt(w)} {fmt(h - r)}"
            f" A{fmt(r)} {fmt(r)} 0 0 1 0 {fmt(h - r)} Z"
        )
    if geo == "heart":
        curves = _heart_curves(w, h)
        d = f"M{_pt(curves[0][0])}"
        for c in curves:
            d += f" C{_pt(c[1])} {_pt(c[2])} {_pt(c[3])}"
        return d + " Z"
    # cloud: an arc bump between each pair of neighbouring base points
    points = _cloud_points(w, h)
    d = f"M{_pt(points[0])}"
    for i in range(len(points)):
        a = points[i]
        b = points[(i + 1) % len(points)]
        r = math.sqrt((b[0] - a[0]) * (b[0] - a[0]) + (b[1] - a[1]) * (b[1] - a[1])) * 0.6
        d += f" A{fmt(r)} {fmt(r)} 0 0 1 {_pt(b)}"
    return d + " Z"


def _flip_points(
    points: list[Point], w: float, h: float, flip_x: bool, flip_y: bool
) -> list[Point]:
    if not flip_x and not flip_y:
        return points
    return [(w - p[0] if flip_x else p[0], h - p[1] if flip_y else p[1]) for p in points]


def _segment_hits(p1: Point, p2: Point, outline: list[Point]) -> list[float]:
    """Where segment p1→p2 crosses the closed polygon ``outline``, as fractions of p1→p2."""
    hits: list[float] = []
    rx = p2[0] - p1[0]
    ry = p2[1] - p1[1]
    count = len(outline)
    for j in range(count):
        q1 = outline[j]
        q2 = outline[(j + 1) % count]
        sx = q2[0] - q1[0]
        sy = q2[1] - q1[1]
        denom = rx * sy - ry * sx
        if denom == 0:
            continue
        qx = q1[0] - p1[0]
        qy = q1[1] - p1[1]
        t = (qx * sy - qy * sx) / denom
        u = (qx * ry - qy * rx) / denom
        if 0 <= t <= 1 and 0 <= u <= 1:
            hits.append(t)
    return hits


def _lerp(a: Point, b: Point, t: float) -> Point:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def _first_crossing(points: list[Point], outline: list[Point]) -> float | None:
    """Where the polyline first crosses ``outline``, in segments from its start (or None)."""
    for i in range(len(points) - 1):
        hits = _segment_hits(points[i], points[i + 1], outline)
        if hits:
            return i + min(hits)
    return None


def _last_crossing(points: list[Point], outline: list[Point]) -> float | None:
    """Where the polyline last crosses ``outline``, in segments from its start (or None)."""
    for i in range(len(points) - 1, 0, -1):
        hits = _segment_hits(points[i - 1], points[i], outline)
        if hits:
            return i - 1 + max(hits)
    return None


def _point_at(points: list[Point], position: float) -> Point:
    i = math.floor(position)
    if i >= len(points) - 1:
        return points[len(points) - 1]
    return _lerp(points[i], points[i + 1], position - i)


def _sub_polyline(points: list[Point], start: float, end: float) -> list[Point]:
    """The part of the polyline between two positions (in segments from its start)."""
    out = [_point_at(points, start)]
    k = math.floor(start) + 1
    while k < end:
        out.append(points[k])
        k += 1
    out.append(_point_at(points, end))
    return out


def _polyline_length(points: list[Point]) -> float:
    total = 0.0
    for i in range(1, len(points)):
        dx = points[i][0] - points[i - 1][0]
        dy = points[i][1] - points[i - 1][1]
        total += math.sqrt(dx * dx + dy * dy)
    return total


def _point_along(points: list[Point], fraction: float) -> Point:
    total = _polyline_length(points)
    if total == 0:
        return points[0]
    target = total * fraction
    walked = 0.0
    for i in range(1, len(points)):
        dx = points[i][0] - points[i - 1][0]
        dy = points[i][1] - points[i - 1][1]
        seg = math.sqrt(dx * dx + dy * dy)
        if seg > 0 and walked + seg >= target:
            return _lerp(points[i - 1], points[i], (target - walked) / seg)
        walked += seg
    return points[len(points) - 1]


def _unit(dx: float, dy: float) -> Point:
    length = math.sqrt(dx * dx + dy * dy)
    if length == 0:
        return (1, 0)
    return (dx / length, dy / length)


def _smooth_d(points: list[Point]) -> str:
    n = len(points)
    if n == 0:
        return ""
    if n == 1:
        return f"M{_pt(points[0])} L{_pt(points[0])}"
    if n == 2:
        return f"M{_pt(points[0])} L{_pt(points[1])}"
    d = f"M{_pt(points[0])}"
    for i in range(1, n - 1):
        a = points[i]
        b = points[i + 1]
        d += f" Q{_pt(a)} {_pt(((a[0] + b[0]) / 2, (a[1] + b[1]) / 2))}"
    return d + f" L{_pt(points[n - 1])}"


def _line_d(points: list[Point]) -> str:
    if not points:
        return ""
    if len(points) == 1:
        return f"M{_pt(points[0])} L{_pt(points[0])}"
    return "M" + " L".join(_pt(p) for p in points)


def _cubic_spline_d(points: list[Point]) -> str:
    n = len(points)
    if n < 3:
        return _line_d(points)
    k = 1.2
    last = n - 2
    d = f"M{_pt(points[0])}"
    for i in range(n - 1):
        p0 = points[0] if i == 0 else points[i - 1]
        p1 = points[i]
        p2 = points[i + 1]
        p3 = p2 if i == last else points[i + 2]
        cp1 = p0 if i == 0 else (p1[0] + (p2[0] - p0[0]) / 6 * k, p1[1] + (p2[1] - p0[1]) / 6 * k)
        cp2 = (
            p2 if i == last else (p2[0] - (p3[0] - p1[0]) / 6 * k, p2[1] - (p3[1] - p1[1]) / 6 * k)
        )
        d += f" C{_pt(cp1)} {_pt(cp2)} {_pt(p2)}"
    return d


def _bounds_of(points: Iterable[Point]) -> Box | None:
    min_x = math.inf
    min_y = math.inf
    max_x = -math.inf
    max_y = -math.inf
    for p in points:
        min_x = min(min_x, p[0])
        min_y = min(min_y, p[1])
        max_x = max(max_x, p[0])
        max_y = max(max_y, p[1])
    if min_x == math.inf:
        return None
    return (min_x, min_y, max_x, max_y)


def _box_points(box: Box) -> list[Point]:
    return [(box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3])]


# -- the renderer --------------------------------------------------------------------------------


def records_of(source: Any) -> dict[str, Rec]:
    """Records by id from a Store (``all_records()``), a mapping of id to record, a room
    snapshot (``{"documents": [{"state": record}, ...]}``) or an iterable of records."""
    items: Iterable[Any]
    all_records = getattr(source, "all_records", None)
    if callable(all_records):
        items = all_records()
    elif isinstance(source, Mapping):
        documents = source.get("documents")
        if isinstance(documents, list):
            items = [_obj(doc).get("state") for doc in documents]
        else:
            items = source.values()
    else:
        items = source
    out: dict[str, Rec] = {}
    for record in items:
        if isinstance(record, Mapping) and isinstance(record.get("id"), str):
            out[record["id"]] = record
    return out


def _order_key(record: Rec) -> tuple[str, str]:
    return (_str(record.get("index"), ""), record["id"])


class _Renderer:
    def __init__(self, records: Mapping[str, Rec], page_id: str | None, id_prefix: str) -> None:
        self.records = records
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
            if kind == "shape":
                self.shapes[record_id] = record
                parent = _str(record.get("parentId"), "")
                self.children.setdefault(parent, []).append(record)
            elif kind == "binding":
                self.bindings.setdefault(_str(record.get("fromId"), ""), []).append(record)
            elif kind == "asset":
                self.assets[record_id] = record
            elif kind == "page":
                pages.append(record)
            elif kind == "instance_presence":
                presence.append(record)
        for siblings in self.children.values():
            siblings.sort(key=_order_key)
        pages.sort(key=_order_key)
        self.presence = presence
        if page_id is None:
            if pages:
                page_id = pages[0]["id"]
            else:
                roots = sorted(p for p in self.children if p not in self.shapes)
                page_id = roots[0] if roots else "page:page"
        self.page_id: str = page_id
        self.matrices: dict[str, Matrix] = {}
        self.points: list[Point] = []
        self.patterns: set[str] = set()

    # geometry of any shape -----------------------------------------------------------------

    def page_matrix(self, shape_id: str) -> Matrix:
        cached = self.matrices.get(shape_id)
        if cached is not None:
            return cached
        chain: list[Rec] = []
        seen: set[str] = set()
        current: str | None = shape_id
        while current is not None and current in self.shapes and current not in seen:
            seen.add(current)
            shape = self.shapes[current]
            chain.append(shape)
            current = _str(shape.get("parentId"), "") or None
        m = IDENTITY
        for shape in reversed(chain):
            m = _mul(m, _local_matrix(shape))
        self.matrices[shape_id] = m
        return m

    def local_box(self, shape: Rec, depth: int = 0) -> Box:
        """The shape's extent in its own coordinates."""
        kind = shape.get("type")
        props = _obj(shape.get("props"))
        scale = _num(props.get("scale"), 1)
        if kind == "geo":
            return (
                0,
                0,
                _num(props.get("w"), 100),
                _num(props.get("h"), 100) + _num(props.get("growY"), 0),
            )
        if kind == "note":
            return (0, 0, NOTE_SIZE * scale, (NOTE_SIZE + _num(props.get("growY"), 0)) * scale)
        if kind == "text":
            return (0, 0, _num(props.get("w"), 8) * scale, self.text_height(props))
        if kind in ("line", "draw", "highlight", "arrow"):
            box = _bounds_of(self.local_points(shape))
            return box if box is not None else (0, 0, 1, 1)
        if kind == "group":
            points: list[Point] = []
            if depth < 32:
                for child in self.children.get(shape["id"], []):
                    m = _local_matrix(child)
                    points.extend(
                        _apply(m, p) for p in _box_points(self.local_box(child, depth + 1))
                    )
            box = _bounds_of(points)
            return box if box is not None else (0, 0, 1, 1)
        return (0, 0, _num(props.get("w"), 100), _num(props.get("h"), 100))

    def local_points(self, shape: Rec) -> list[Point]:
        kind = shape.get("type")
        props = _obj(shape.get("props"))
        if kind == "line":
            return [(_num(p.get("x"), 0), _num(p.get("y"), 0)) for p in _line_points(props)]
        if kind in ("draw", "highlight"):
            sx = _num(props.get("scaleX"), 1)
            sy = _num(props.get("scaleY"), 1)
            return [(p[0] * sx, p[1] * sy) for p in _draw_points(props)]
        if kind == "arrow":
            start = _obj(props.get("start"))
            end = _obj(props.get("end"))
            return [
                (_num(start.get("x"), 0), _num(start.get("y"), 0)),
                (_num(end.get("x"), 0), _num(end.get("y"), 0)),
            ]
        return _box_points(self.local_box(shape))

    def outline(self, shape: Rec) -> list[Point]:
        """The shape's outline polygon in its own coordinates."""
        props = _obj(shape.get("props"))
        if shape.get("type") == "geo":
            box = self.local_box(shape)
            points = _geo_outline(_str(props.get("geo"), "rectangle"), box[2], box[3])
            return _flip_points(
                points, box[2], box[3], props.get("flipX") is True, props.get("flipY") is True
            )
        return _box_points(self.local_box(shape))

    def text_height(self, props: Rec) -> float:
        font_size = _size(FONT_SIZES, props.get("size")) * _num(props.get("scale"), 1)
        lines = self.text_lines(props)
        return max(1, len(lines)) * font_size * LINE_HEIGHT

    def text_lines(self, props: Rec) -> list[str]:
        scale = _num(props.get("scale"), 1)
        font_size = _size(FONT_SIZES, props.get("size")) * scale
        width = None if props.get("autoSize") is not False else _num(props.get("w"), 8) * scale
        return _wrap(_shape_lines(props), font_size, width)

    def extend(self, m: Matrix, points: Iterable[Point]) -> None:
        for p in points:
            self.points.append(_apply(m, p))

    # rendering -----------------------------------------------------------------------------

    def render(self, padding: float, with_presence: bool) -> str:
        body = ""
        for shape in self.children.get(self.page_id, []):
            body += self.shape(shape, IDENTITY, 0)
        cursor_points: list[Point] = []
        cursors: list[Rec] = []
        if with_presence:
            for record in self.presence:
                cursor = record.get("cursor")
                page = record.get("currentPageId")
                if not isinstance(cursor, Mapping) or (
                    isinstance(page, str) and page != self.page_id
                ):
                    continue
                cursors.append(record)
                cursor_points.append((_num(cursor.get("x"), 0), _num(cursor.get("y"), 0)))
        box = _bounds_of([*self.points, *cursor_points])
        if box is None:
            view = EMPTY_BOX
        else:
            view = (box[0] - padding, box[1] - padding, box[2] + padding, box[3] + padding)
        vw = view[2] - view[0]
        vh = view[3] - view[1]
        cursor_scale = max(1, max(vw, vh) / 1200)
        overlay = ""
        for record in cursors:
            overlay += self.cursor(record, cursor_scale)
        defs = ""
        for color in sorted(self.patterns):
            defs += self.pattern(color)
        out = (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="tl-room"'
            f' viewBox="{fmt(view[0])} {fmt(view[1])} {fmt(vw)} {fmt(vh)}"'
            f' width="{fmt(vw)}" height="{fmt(vh)}" data-page-id="{_esc(self.page_id)}">'
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

    def pattern(self, color: str) -> str:
        return (
            f'<pattern id="{self.prefix}-pattern-{_NOT_ID.sub("_", color)}" width="8" height="8"'
            f' patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="{THEME["solid"]}"/>'
            f'<path d="M0 8 L8 0 M-2 2 L2 -2 M6 10 L10 6" stroke="{_color(color, "pattern")}"'
            f' stroke-width="1.5"/></pattern>'
        )

    def fill(self, color: Any, fill: Any) -> str:
        if fill == "semi":
            return THEME["solid"]
        if fill == "solid":
            return _color(color, "semi")
        if fill == "fill":
            return _color(color, "solid")
        if fill == "lined-fill":
            return _color(color, "linedFill")
        if fill == "pattern":
            name = color if isinstance(color, str) else "black"
            self.patterns.add(name)
            return f"url(#{self.prefix}-pattern-{_NOT_ID.sub('_', name)})"
        return "none"

    def shape(self, shape: Rec, parent: Matrix, depth: int) -> str:
        if depth > 32:
            return ""
        m = _mul(parent, _local_matrix(shape))
        self.matrices[shape["id"]] = m
        kind = _str(shape.get("type"), "")
        opacity = _num(shape.get("opacity"), 1)
        head = (
            f'<g data-shape-id="{_esc(shape["id"])}" data-shape-type="{_esc(kind)}"'
            f' transform="{_transform_attr(shape)}"'
        )
        if opacity != 1:
            head += f' opacity="{fmt(opacity)}"'
        props = _obj(shape.get("props"))
        if kind == "geo":
            head += f' data-geo="{_esc(_str(props.get("geo"), "rectangle"))}"'
            inner = self.geo(shape, props, m)
        elif kind == "text":
            inner = self.text_shape(shape, props, m)
        elif kind == "note":
            inner = self.note(shape, props, m)
        elif kind == "frame":
            inner = self.frame(shape, props, m, depth)
        elif kind == "group":
            inner = ""
            for child in self.children.get(shape["id"], []):
                inner += self.shape(child, m, depth + 1)
        elif kind == "line":
            inner = self.line(shape, props, m)
        elif kind in ("draw", "highlight"):
            inner = self.draw(shape, props, m, kind == "highlight")
        elif kind == "arrow":
            inner = self.arrow(shape, props, m)
        else:
            inner = self.placeholder(shape, props, m, kind)
        if kind not in ("frame", "group"):
            for child in self.children.get(shape["id"], []):
                inner += self.shape(child, m, depth + 1)
        return f"{head}>{inner}</g>"

    def label(
        self, props: Rec, *, w: float, h: float, font_size: float, fill: str, scale: float
    ) -> str:
        lines = _shape_lines(props)
        if not lines:
            return ""
        pad = LABEL_PADDING * scale
        lines = _wrap(lines, font_size, w - pad * 2)
        align = props.get("align")
        if align in ("start", "start-legacy"):
            x = pad
            anchor = "start"
        elif align in ("end", "end-legacy"):
            x = w - pad
            anchor = "end"
        else:
            x = w / 2
            anchor = "middle"
        block = len(lines) * font_size * LINE_HEIGHT
        vertical = props.get("verticalAlign")
        if vertical == "start":
            top = pad
        elif vertical == "end":
            top = h - pad - block
        else:
            top = (h - block) / 2
        family = _font(props.get("font"))
        return _text(
            lines,
            x=x,
            top=top,
            font_size=font_size,
            family=family,
            fill=fill,
            anchor=anchor,
            cls="tl-label",
        )

    def geo(self, shape: Rec, props: Rec, m: Matrix) -> str:
        box = self.local_box(shape)
        w = box[2]
        h = box[3]
        self.extend(m, _box_points(box))
        geo = _str(props.get("geo"), "rectangle")
        scale = _num(props.get("scale"), 1)
        color = props.get("color")
        sw = _size(STROKE_SIZES, props.get("size")) * scale
        stroke = _stroke_attrs(_color(color, "solid"), sw, props.get("dash"))
        fill = self.fill(color, props.get("fill"))
        flip_x = props.get("flipX") is True
        flip_y = props.get("flipY") is True
        out = ""
        if flip_x or flip_y:
            out += (
                f'<g transform="matrix({-1 if flip_x else 1} 0 0 {-1 if flip_y else 1}'
                f' {fmt(w) if flip_x else 0} {fmt(h) if flip_y else 0})">'
            )
        out += f'<path class="tl-geo" d="{_geo_path(geo, w, h)}" fill="{fill}"{stroke}/>'
        if geo == "x-box":
            out += f'<path d="M0 0 L{_pt((w, h))} M{fmt(w)} 0 L0 {fmt(h)}" fill="none"{stroke}/>'
        elif geo == "check-box":
            size = min(w, h) * 0.82
            ox = (w - size) / 2
            oy = (h - size) / 2
            check = [
                (ox + size * 0.25, oy + size * 0.52),
                (ox + size * 0.45, oy + size * 0.82),
                (ox + size * 0.82, oy + size * 0.22),
            ]
            out += f'<path d="{_line_d(check)}" fill="none"{stroke}/>'
        if flip_x or flip_y:
            out += "</g>"
        font_size = _size(LABEL_FONT_SIZES, props.get("size")) * scale
        fill_text = _color(props.get("labelColor"), "solid")
        return out + self.label(props, w=w, h=h, font_size=font_size, fill=fill_text, scale=scale)

    def text_shape(self, shape: Rec, props: Rec, m: Matrix) -> str:
        box = self.local_box(shape)
        self.extend(m, _box_points(box))
        scale = _num(props.get("scale"), 1)
        font_size = _size(FONT_SIZES, props.get("size")) * scale
        lines = self.text_lines(props)
        align = props.get("textAlign")
        if align == "middle":
            x = box[2] / 2
            anchor = "middle"
        elif align == "end":
            x = box[2]
            anchor = "end"
        else:
            x = 0
            anchor = "start"
        family = _font(props.get("font"))
        fill = _color(props.get("color"), "solid")
        return _text(
            lines,
            x=x,
            top=0,
            font_size=font_size,
            family=family,
            fill=fill,
            anchor=anchor,
            cls="tl-text",
        )

    def note(self, shape: Rec, props: Rec, m: Matrix) -> str:
        box = self.local_box(shape)
        w = box[2]
        h = box[3]
        self.extend(m, _box_points(box))
        scale = _num(props.get("scale"), 1)
        color = props.get("color")
        out = (
            f'<rect class="tl-note-shadow" x="0" y="{fmt(2 * scale)}" width="{fmt(w)}"'
            f' height="{fmt(h)}" rx="{fmt(2 * scale)}" fill="#000000" fill-opacity="0.1"/>'
            f'<rect class="tl-note" width="{fmt(w)}" height="{fmt(h)}" rx="{fmt(2 * scale)}"'
            f' fill="{_color(color, "noteFill")}"/>'
        )
        adjustment = _num(props.get("fontSizeAdjustment"), 0)
        base = adjustment if adjustment > 0 else _size(LABEL_FONT_SIZES, props.get("size"))
        label_color = props.get("labelColor")
        fill = (
            _color(color, "noteText")
            if label_color in (None, "black")
            else (_color(label_color, "solid"))
        )
        return out + self.label(props, w=w, h=h, font_size=base * scale, fill=fill, scale=scale)

    def frame(self, shape: Rec, props: Rec, m: Matrix, depth: int) -> str:
        w = _num(props.get("w"), 100)
        h = _num(props.get("h"), 100)
        self.extend(m, [(0, -24), (w, -24), (w, h), (0, h)])
        color = props.get("color")
        name = _str(props.get("name"), "") or "Frame"
        clip = f"{self.prefix}-clip-{_NOT_ID.sub('_', shape['id'])}"
        max_chars = max(1, math.floor(w / (12 * CHAR_WIDTH)))
        out = (
            f'<rect class="tl-frame" width="{fmt(w)}" height="{fmt(h)}"'
            f' fill="{_color(color, "frameFill")}" stroke="{_color(color, "frameStroke")}"'
            f' stroke-width="1"/>'
            f'<text class="tl-frame-heading" x="0" y="-8" font-size="12"'
            f' font-family="{FONT_FAMILIES["sans"]}" fill="{_color(color, "frameText")}">'
            f"{_esc(_truncate(name, max_chars))}</text>"
            f'<clipPath id="{clip}"><rect width="{fmt(w)}" height="{fmt(h)}"/></clipPath>'
            f'<g clip-path="url(#{clip})">'
        )
        for child in self.children.get(shape["id"], []):
            out += self.shape(child, m, depth + 1)
        return out + "</g>"

    def line(self, shape: Rec, props: Rec, m: Matrix) -> str:
        points = self.local_points(shape)
        self.extend(m, points)
        sw = _size(STROKE_SIZES, props.get("size")) * _num(props.get("scale"), 1)
        d = _cubic_spline_d(points) if props.get("spline") == "cubic" else _line_d(points)
        stroke = _stroke_attrs(_color(props.get("color"), "solid"), sw, props.get("dash"))
        return f'<path class="tl-line" d="{d}" fill="none"{stroke}/>'

    def draw(self, shape: Rec, props: Rec, m: Matrix, highlight: bool) -> str:
        points = self.local_points(shape)
        self.extend(m, points)
        scale = _num(props.get("scale"), 1)
        color = props.get("color")
        d = _smooth_d(points)
        if highlight:
            sw = _size(FONT_SIZES, props.get("size")) * 1.12 * scale
            return (
                f'<path class="tl-highlight" d="{d}" fill="none"'
                f' stroke="{_color(color, "highlightSrgb")}" stroke-width="{fmt(sw)}"'
                f' stroke-linecap="round" stroke-linejoin="round" stroke-opacity="0.7"/>'
            )
        sw = _size(STROKE_SIZES, props.get("size")) * scale
        fill = "none"
        if props.get("isClosed") is True and len(points) > 2:
            fill = self.fill(color, props.get("fill"))
            if fill != "none":
                d += " Z"
        stroke = _stroke_attrs(_color(color, "solid"), sw, props.get("dash"))
        return f'<path class="tl-draw" d="{d}" fill="{fill}"{stroke}/>'

    def placeholder(self, shape: Rec, props: Rec, m: Matrix, kind: str) -> str:
        w = _num(props.get("w"), 100)
        h = _num(props.get("h"), 100)
        self.extend(m, [(0, 0), (w, 0), (w, h), (0, h)])
        asset = self.assets.get(_str(props.get("assetId"), ""))
        asset_props = _obj(asset.get("props")) if asset is not None else {}
        if kind == "image":
            title = "Image"
            detail = _str(props.get("altText"), "") or _str(asset_props.get("name"), "")
        elif kind == "video":
            title = "Video"
            detail = _str(props.get("altText"), "") or _str(asset_props.get("name"), "")
        elif kind == "bookmark":
            title = "Bookmark"
            detail = _str(asset_props.get("title"), "") or _str(props.get("url"), "")
        elif kind == "embed":
            title = "Embed"
            detail = _str(props.get("url"), "")
        else:
            title = kind or "shape"
            detail = ""
        text = f"{title}: {detail}" if detail else title
        font_size = 14
        max_chars = max(1, math.floor((w - 16) / (font_size * CHAR_WIDTH)))
        return (
            f'<rect class="tl-placeholder" width="{fmt(w)}" height="{fmt(h)}" rx="4"'
            f' fill="{_color("grey", "semi")}" stroke="{_color("grey", "solid")}"'
            f' stroke-width="1.5" stroke-dasharray="6 4"/>'
            f'<text class="tl-placeholder-label" x="{fmt(w / 2)}" y="{fmt(h / 2)}"'
            f' font-size="{font_size}" font-family="{FONT_FAMILIES["sans"]}"'
            f' fill="{_color("black", "solid")}" text-anchor="middle"'
            f' dominant-baseline="central">{_esc(_truncate(text, max_chars))}</text>'
        )

    # arrows --------------------------------------------------------------------------------

    def terminal(
        self, arrow: Rec, name: str, point: Point, m: Matrix
    ) -> tuple[Point, list[Point] | None, bool]:
        """A terminal in the arrow's coordinates, with the bound shape's outline (or None)."""
        for binding in self.bindings.get(arrow["id"], []):
            props = _obj(binding.get("props"))
            if binding.get("type") != "arrow" or props.get("terminal") != name:
                continue
            target = self.shapes.get(_str(binding.get("toId"), ""))
            if target is None or target["id"] == arrow["id"]:
                continue
            box = self.local_box(target)
            if props.get("isPrecise") is True:
                anchor = _obj(props.get("normalizedAnchor"))
                local = (
                    box[0] + (box[2] - box[0]) * _num(anchor.get("x"), 0.5),
                    box[1] + (box[3] - box[1]) * _num(anchor.get("y"), 0.5),
                )
            else:
                local = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
            to_arrow = _mul(_invert(m), self.page_matrix(target["id"]))
            outline = [_apply(to_arrow, p) for p in self.outline(target)]
            return _apply(to_arrow, local), outline, props.get("isExact") is True
        return point, None, False

    def arrow(self, shape: Rec, props: Rec, m: Matrix) -> str:
        start_prop = _obj(props.get("start"))
        end_prop = _obj(props.get("end"))
        a, start_outline, start_exact = self.terminal(
            shape, "start", (_num(start_prop.get("x"), 0), _num(start_prop.get("y"), 0)), m
        )
        b, end_outline, end_exact = self.terminal(
            shape, "end", (_num(end_prop.get("x"), 0), _num(end_prop.get("y"), 0)), m
        )
        scale = _num(props.get("scale"), 1)
        sw = _size(STROKE_SIZES, props.get("size")) * scale
        color = _color(props.get("color"), "solid")
        bend = _num(props.get("bend"), 0)
        label_position = _num(props.get("labelPosition"), 0.5)
        circle: tuple[float, float, float, float, float] | None = None
        if props.get("kind") == "elbow":
            mid = _num(props.get("elbowMidPoint"), 0.5)
            mid_x = a[0] + (b[0] - a[0]) * mid
            path = [a, (mid_x, a[1]), (mid_x, b[1]), b]
        else:
            circle = _arc_circle(a, b, bend)
            if circle is None:
                path = [a, b]
            else:
                cx, cy, r, a0, sweep = circle
                path = [a]
                for i in range(1, ARC_SAMPLES):
                    theta = a0 + sweep * i / ARC_SAMPLES
                    path.append((cx + r * math.cos(theta), cy + r * math.sin(theta)))
                path.append(b)
        segments = len(path) - 1
        t_start: float = 0
        t_end: float = segments
        if start_outline is not None and not start_exact:
            crossing = _first_crossing(path, start_outline)
            if crossing is not None:
                t_start = crossing
        if end_outline is not None and not end_exact:
            crossing = _last_crossing(path, end_outline)
            if crossing is not None:
                t_end = crossing
        if t_end <= t_start:
            t_start = 0
            t_end = segments
        path = _sub_polyline(path, t_start, t_end)
        first = path[0]
        last = path[len(path) - 1]
        if circle is not None:
            cx, cy, r, a0, sweep = circle
            span = sweep * (t_end - t_start) / segments
            d = (
                f"M{_pt(first)} A{fmt(r)} {fmt(r)} 0 {1 if abs(span) > math.pi else 0}"
                f" {1 if sweep > 0 else 0} {_pt(last)}"
            )
        else:
            d = _line_d(path)
        self.extend(m, path)
        out = (
            f'<path class="tl-arrow-line" d="{d}" fill="none"'
            f"{_stroke_attrs(color, sw, props.get('dash'))}/>"
        )
        length = _polyline_length(path)
        head = min(sw * 2.5 + 10, length * 0.4)
        if len(path) >= 2 and head > 0:
            before_end = path[len(path) - 2]
            end_dir = _unit(last[0] - before_end[0], last[1] - before_end[1])
            start_dir = _unit(first[0] - path[1][0], first[1] - path[1][1])
            start_kind = props.get("arrowheadStart", "none")
            end_kind = props.get("arrowheadEnd", "arrow")
            out += _arrowhead(start_kind, first, start_dir, length=head, sw=sw, color=color)
            out += _arrowhead(end_kind, last, end_dir, length=head, sw=sw, color=color)
        lines = _shape_lines(props)
        if lines:
            font_size = _size(ARROW_LABEL_FONT_SIZES, props.get("size")) * scale
            if circle is not None:
                cx, cy, r, a0, sweep = circle
                t = t_start + (t_end - t_start) * label_position
                theta = a0 + sweep * t / segments
                at = (cx + r * math.cos(theta), cy + r * math.sin(theta))
            else:
                at = _point_along(path, label_position)
            lh = font_size * LINE_HEIGHT
            bw = _longest(lines) * font_size * CHAR_WIDTH + 8 * scale
            bh = len(lines) * lh
            out += (
                f'<rect class="tl-arrow-label-bg" x="{fmt(at[0] - bw / 2)}"'
                f' y="{fmt(at[1] - bh / 2)}" width="{fmt(bw)}" height="{fmt(bh)}" rx="4"'
                f' fill="{THEME["background"]}" fill-opacity="0.9"/>'
            )
            out += _text(
                lines,
                x=at[0],
                top=at[1] - bh / 2,
                font_size=font_size,
                family=_font(props.get("font")),
                fill=_color(props.get("labelColor"), "solid"),
                anchor="middle",
                cls="tl-arrow-label",
            )
            self.extend(m, [(at[0] - bw / 2, at[1] - bh / 2), (at[0] + bw / 2, at[1] + bh / 2)])
        page_first = _apply(m, first)
        page_last = _apply(m, last)
        return (
            f'<g class="tl-arrow" data-start="{fmt(page_first[0])},{fmt(page_first[1])}"'
            f' data-end="{fmt(page_last[0])},{fmt(page_last[1])}">{out}</g>'
        )

    def cursor(self, record: Rec, scale: float) -> str:
        cursor = _obj(record.get("cursor"))
        x = _num(cursor.get("x"), 0)
        y = _num(cursor.get("y"), 0)
        color = _color(record.get("color"), "solid")
        name = _str(record.get("userName"), "")
        out = (
            f'<g class="tl-cursor" data-presence-id="{_esc(record["id"])}"'
            f' data-user-name="{_esc(name)}" transform="translate({fmt(x)} {fmt(y)})'
            f' scale({fmt(scale)})">'
            f'<path d="M0 0 L0 17 L4.5 12.5 L7.5 19 L10.5 17.8 L7.6 11.3 L13 11.3 Z"'
            f' fill="{color}" stroke="#ffffff" stroke-width="1.5" stroke-linejoin="round"/>'
        )
        if name:
            label = _truncate(name, 32)
            width = _cp_len(label) * 12 * CHAR_WIDTH + 12
            out += (
                f'<rect x="12" y="18" width="{fmt(width)}" height="20" rx="4" fill="{color}"/>'
                f'<text x="18" y="28" font-size="12" font-family="{FONT_FAMILIES["sans"]}"'
                f' fill="#ffffff" dominant-baseline="central">{_esc(label)}</text>'
            )
        return out + "</g>"


def _line_points(props: Rec) -> list[Rec]:
    points = props.get("points")
    items: list[Rec] = []
    if isinstance(points, Mapping):
        for key in sorted(points):
            p = points[key]
            if isinstance(p, Mapping):
                items.append(p)
    elif isinstance(points, list):  # before 5.x: an array of points
        items = [p for p in points if isinstance(p, Mapping)]
        return items
    items.sort(key=lambda p: (_str(p.get("index"), ""), _str(p.get("id"), "")))
    return items


def _draw_points(props: Rec) -> list[Point]:
    segments = props.get("segments")
    points: list[Point] = []
    if not isinstance(segments, list):
        return points
    for segment in segments:
        for p in decode_points(segment):
            if points and points[len(points) - 1] == p:
                continue
            points.append(p)
    return points


def _arc_circle(a: Point, b: Point, bend: float) -> tuple[float, float, float, float, float] | None:
    """The circle through a, b and the point ``bend`` off their middle: (cx, cy, r, start
    angle, signed sweep), or None when the arrow is straight."""
    if abs(bend) < 0.01:
        return None
    dx = b[0] - a[0]
    dy = b[1] - a[1]
    u = _unit(dx, dy)
    if dx == 0 and dy == 0:
        return None
    mx = (a[0] + b[0]) / 2 - u[1] * bend
    my = (a[1] + b[1]) / 2 + u[0] * bend
    ax, ay, bx, by = a[0], a[1], b[0], b[1]
    d = 2 * (ax * (my - by) + mx * (by - ay) + bx * (ay - my))
    if abs(d) < 1e-9:
        return None
    a2 = ax * ax + ay * ay
    m2 = mx * mx + my * my
    b2 = bx * bx + by * by
    cx = (a2 * (my - by) + m2 * (by - ay) + b2 * (ay - my)) / d
    cy = (a2 * (bx - mx) + m2 * (ax - bx) + b2 * (mx - ax)) / d
    r = math.sqrt((ax - cx) * (ax - cx) + (ay - cy) * (ay - cy))
    a0 = math.atan2(ay - cy, ax - cx)
    am = math.atan2(my - cy, mx - cx)
    a1 = math.atan2(by - cy, bx - cx)
    to_mid = _positive_angle(am - a0)
    to_end = _positive_angle(a1 - a0)
    sweep = to_end if to_mid < to_end else to_end - math.pi * 2
    return (cx, cy, r, a0, sweep)


def _positive_angle(angle: float) -> float:
    tau = math.pi * 2
    while angle < 0:
        angle += tau
    while angle >= tau:
        angle -= tau
    return angle


def _arrowhead(
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
    cls = f'class="tl-arrowhead" data-arrowhead="{_esc(kind)}"'
    if kind == "arrow":
        return f'<path {cls} d="M{_pt(left)} L{_pt(tip)} L{_pt(right)}" fill="none"{stroke}/>'
    if kind == "triangle":
        return f'<path {cls} d="M{_pt(left)} L{_pt(tip)} L{_pt(right)} Z" fill="{color}"{stroke}/>'
    if kind == "inverted":
        a = (tip[0] + nx * half, tip[1] + ny * half)
        b = (tip[0] - nx * half, tip[1] - ny * half)
        return f'<path {cls} d="M{_pt(a)} L{_pt(back)} L{_pt(b)} Z" fill="{color}"{stroke}/>'
    if kind == "diamond":
        mid = (tip[0] - dx * length / 2, tip[1] - dy * length / 2)
        a = (mid[0] + nx * half / 2, mid[1] + ny * half / 2)
        b = (mid[0] - nx * half / 2, mid[1] - ny * half / 2)
        return (
            f'<path {cls} d="M{_pt(tip)} L{_pt(a)} L{_pt(back)} L{_pt(b)} Z" fill="{color}"'
            f"{stroke}/>"
        )
    if kind == "square":
        s = sw * 1.5 + 3
        corners = [
            (tip[0] + (dx + nx) * s, tip[1] + (dy + ny) * s),
            (tip[0] + (dx - nx) * s, tip[1] + (dy - ny) * s),
            (tip[0] + (-dx - nx) * s, tip[1] + (-dy - ny) * s),
            (tip[0] + (-dx + nx) * s, tip[1] + (-dy + ny) * s),
        ]
        return f'<path {cls} d="{_polygon_d(corners)}" fill="{color}"{stroke}/>'
    if kind == "dot":
        return (
            f'<circle {cls} cx="{fmt(tip[0])}" cy="{fmt(tip[1])}" r="{fmt(sw * 1.5 + 2)}"'
            f' fill="{color}"/>'
        )
    if kind in ("pipe", "bar"):
        a = (tip[0] + nx * half, tip[1] + ny * half)
        b = (tip[0] - nx * half, tip[1] - ny * half)
        return f'<path {cls} d="M{_pt(a)} L{_pt(b)}" fill="none"{stroke}/>'
    return ""


# -- public API ----------------------------------------------------------------------------------


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
    renderer = _Renderer(records_of(records), page_id, id_prefix)
    return renderer.render(padding, presence)


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
