"""SVG text: numbers, escaped text, stroke attributes and path data.

Every number in a picture goes through :func:`fmt` (at most two decimals, rounded half up, never
``-0``), so that the Python and JavaScript renderers write the same bytes.
"""

from __future__ import annotations

import math
import re
from typing import Any

from tlsync_core.views.geometry import Point

__all__ = [
    "NOT_ID",
    "dash_attrs",
    "escape",
    "fmt",
    "line_d",
    "pt",
    "polygon_d",
    "smooth_d",
    "stroke_attrs",
]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
NOT_ID = re.compile(r"[^A-Za-z0-9_-]")
"""What may not appear in an SVG id (replaced by ``_``)."""


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


def escape(text: str) -> str:
    """Text for SVG: control characters dropped, markup characters escaped."""
    text = _CONTROL.sub("", text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def pt(p: Point) -> str:
    """A point as SVG text."""
    return f"{fmt(p[0])} {fmt(p[1])}"


def dash_attrs(dash: Any, stroke_width: float) -> str:
    """The dash array of a ``dash`` style."""
    if dash == "dashed":
        return f' stroke-dasharray="{fmt(stroke_width * 2)} {fmt(stroke_width * 2)}"'
    if dash == "dotted":
        return f' stroke-dasharray="0 {fmt(stroke_width * 2)}"'
    return ""


def stroke_attrs(color: str, stroke_width: float, dash: Any) -> str:
    """The stroke attributes of a colour, width and ``dash`` style."""
    if dash == "none":
        return ' stroke="none"'
    return (
        f' stroke="{color}" stroke-width="{fmt(stroke_width)}" stroke-linecap="round"'
        f' stroke-linejoin="round"{dash_attrs(dash, stroke_width)}'
    )


def polygon_d(points: list[Point]) -> str:
    """The path data of a closed polygon."""
    if not points:
        return ""
    return "M" + " L".join(pt(p) for p in points) + " Z"


def smooth_d(points: list[Point]) -> str:
    """The path data of a smooth stroke through points (quadratic midpoints)."""
    n = len(points)
    if n == 0:
        return ""
    if n == 1:
        return f"M{pt(points[0])} L{pt(points[0])}"
    if n == 2:
        return f"M{pt(points[0])} L{pt(points[1])}"
    d = f"M{pt(points[0])}"
    for i in range(1, n - 1):
        a = points[i]
        b = points[i + 1]
        d += f" Q{pt(a)} {pt(((a[0] + b[0]) / 2, (a[1] + b[1]) / 2))}"
    return d + f" L{pt(points[n - 1])}"


def line_d(points: list[Point]) -> str:
    """The path data of a polyline."""
    if not points:
        return ""
    if len(points) == 1:
        return f"M{pt(points[0])} L{pt(points[0])}"
    return "M" + " L".join(pt(p) for p in points)
