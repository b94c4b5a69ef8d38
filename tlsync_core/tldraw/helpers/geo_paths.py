"""The outlines of geo shapes as tldraw 5.4.2 builds them (``getGeoShapePath``), and the paths
of line shapes (``getPathForLineShape``), sampled into vertices the way tldraw's path geometry
samples them.

Straight-edged kinds are their corners. Curves are cubic Bézier segments sampled at eleven
points each (ten steps); an elliptical arc is first split into at most four Béziers, one per
quarter turn, each sampled with ``ceil(max(8, ceil(length / 20)) / segments)`` steps. The
``x-box`` and ``check-box`` kinds are their rectangle (their inner strokes are internal lines,
never part of the outline). The cloud's bumps depend on the shape's id and are approximated
(the renderer's outline). A line is its points in index order, joined straight or, with the
"cubic" spline, by Béziers whose handles follow the neighbouring points.
"""

from __future__ import annotations

import math
from typing import Final

from tlsync_core.tldraw.render import geo_outline as approximate_outline

__all__ = ["geo_vertices", "line_vertices", "polygon_vertices", "star_vertices"]

Point = tuple[float, float]
_BEZIER_STEPS: Final = 10
_ARC_SPACING: Final = 20.0
_ARC_MIN_VERTICES: Final = 8
_SPLINE_TENSION: Final = 1.25


def polygon_vertices(w: float, h: float, sides: int) -> list[Point]:
    """tldraw's ``getPolygonVertices``: a regular polygon, top vertex first, stretched to fill
    ``w`` x ``h``."""
    cx, cy = w / 2, h / 2
    points = [
        (cx + cx * math.cos(-math.pi / 2 + i * math.tau / sides),
         cy + cy * math.sin(-math.pi / 2 + i * math.tau / sides))
        for i in range(sides)
    ]  # fmt: skip
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    bw, bh = max(xs) - min(xs), max(ys) - min(ys)
    if bw == w and bh == h:
        return points
    return [((x - min(xs)) / bw * w, (y - min(ys)) / bh * h) for x, y in points]


def star_vertices(w: float, h: float) -> list[Point]:
    """tldraw's five-pointed star filling ``w`` x ``h``."""
    sides = 5
    step = math.tau / sides / 2
    right, left, bottom = 2, 8, 4
    max_x = math.cos(-math.pi / 2 + right * step) * w / 2
    min_x = math.cos(-math.pi / 2 + left * step) * w / 2
    min_y = math.sin(-math.pi / 2) * h / 2
    max_y = math.sin(-math.pi / 2 + bottom * step) * h / 2
    diff_x, diff_y = w - abs(max_x - min_x), h - abs(max_y - min_y)
    offset_x = w / 2 + min_x - (w / 2 - max_x)
    offset_y = h / 2 + min_y - (h / 2 - max_y)
    cx, cy = (w - offset_x) / 2, (h - offset_y) / 2
    ox, oy = (w + diff_x) / 2, (h + diff_y) / 2
    return [
        (
            cx + (ox / 2 if i % 2 else ox) * math.cos(-math.pi / 2 + i * step),
            cy + (oy / 2 if i % 2 else oy) * math.sin(-math.pi / 2 + i * step),
        )
        for i in range(sides * 2)
    ]


def _bezier(a: Point, b: Point, c: Point, d: Point, steps: int) -> list[Point]:
    """tldraw's ``CubicBezier2d`` vertices: ``steps + 1`` points from ``a`` to ``d``."""
    result = []
    for i in range(steps + 1):
        t = i / steps
        u = 1 - t
        result.append(
            (
                u * u * u * a[0] + 3 * u * u * t * b[0] + 3 * u * t * t * c[0] + t * t * t * d[0],
                u * u * u * a[1] + 3 * u * u * t * b[1] + 3 * u * t * t * c[1] + t * t * t * d[1],
            )
        )
    return result


def _arc(start: Point, rx: float, ry: float, end: Point, sweep: bool) -> list[Point]:
    """``PathBuilder.arcTo`` (no rotation, small arc) as its Bézier approximation's vertices."""
    x1, y1 = start
    x2, y2 = end
    dx, dy = (x1 - x2) / 2, (y1 - y2) / 2
    rx, ry = abs(rx), abs(ry)
    scale = (dx * dx) / (rx * rx) + (dy * dy) / (ry * ry)
    if scale > 1:
        rx, ry = rx * math.sqrt(scale), ry * math.sqrt(scale)
    sign = 1 if sweep else -1  # a small arc
    term = rx * rx * ry * ry - rx * rx * dy * dy - ry * ry * dx * dx
    radicand = max(0.0, term / (rx * rx * dy * dy + ry * ry * dx * dx))
    coef = sign * math.sqrt(radicand)
    cxp, cyp = coef * (rx * dy / ry), coef * (-(ry * dx) / rx)
    cx, cy = cxp + (x1 + x2) / 2, cyp + (y1 + y2) / 2
    begin = math.atan2((dy - cyp) / ry, (dx - cxp) / rx)
    finish = math.atan2((-dy - cyp) / ry, (-dx - cxp) / rx)
    if not sweep and finish > begin:
        finish -= math.tau
    elif sweep and finish < begin:
        finish += math.tau
    turn = finish - begin
    segments = min(4, math.ceil(abs(turn) / (math.pi / 2)))
    length = max(rx, ry) * abs(turn)
    steps = math.ceil(max(_ARC_MIN_VERTICES, math.ceil(length / _ARC_SPACING)) / segments)

    def at(angle: float) -> Point:
        return (cx + rx * math.cos(angle), cy + ry * math.sin(angle))

    def slope(angle: float) -> Point:
        return (-rx * math.sin(angle), ry * math.cos(angle))

    points: list[Point] = []
    for i in range(segments):
        t1 = begin + i * turn / segments
        t2 = begin + (i + 1) * turn / segments
        handle = 4 / 3 * math.tan((t2 - t1) / 4)
        p1, p2, d1, d2 = at(t1), at(t2), slope(t1), slope(t2)
        points.extend(
            _bezier(
                p1,
                (p1[0] + handle * d1[0], p1[1] + handle * d1[1]),
                (p2[0] - handle * d2[0], p2[1] - handle * d2[1]),
                p2,
                steps,
            )
        )
    return points


def _dedupe(points: list[Point]) -> list[Point]:
    """Consecutive equal vertices once (tldraw's ``Vec.Equals``, within 0.0001)."""
    result: list[Point] = []
    for point in points:
        if not result or (
            abs(result[-1][0] - point[0]) >= 0.0001 or abs(result[-1][1] - point[1]) >= 0.0001
        ):
            result.append(point)
    return result


def _stadium(w: float, h: float) -> list[Point]:
    if h > w:
        r = w / 2
        return [*_arc((0, r), r, r, (w, r), True), *_arc((w, h - r), r, r, (0, h - r), True)]
    r = h / 2
    return [*_arc((r, h), r, r, (r, 0), True), *_arc((w - r, 0), r, r, (w - r, h), True)]


def _heart(w: float, h: float) -> list[Point]:
    cx, o, k = w / 2, w / 4, h / 4
    return [
        *_bezier((cx, h), (o * 1.5, k * 3), (0, k * 2.5), (0, k * 1.2), _BEZIER_STEPS),
        *_bezier((0, k * 1.2), (0, -k * 0.32), (o * 1.85, -k * 0.32), (cx, k * 0.9), _BEZIER_STEPS),
        *_bezier((cx, k * 0.9), (o * 2.15, -k * 0.32), (w, -k * 0.32), (w, k * 1.2), _BEZIER_STEPS),
        *_bezier((w, k * 1.2), (w, k * 2.5), (o * 2.5, k * 3), (cx, h), _BEZIER_STEPS),
    ]


def _straight(geo: str, w: float, h: float) -> list[Point] | None:
    """The corners of a straight-edged kind (None for the curved ones)."""
    o = min(w * 0.38, h * 0.38)
    ox, oy = min(w, h) * 0.38, h * 0.16
    ux, uy = w * 0.16, min(w, h) * 0.38
    corners: dict[str, list[Point]] = {
        "triangle": [(w / 2, 0), (w, h), (0, h)],
        "diamond": [(w / 2, 0), (w, h / 2), (w / 2, h), (0, h / 2)],
        "rhombus": [(o, 0), (w, 0), (w - o, h), (0, h)],
        "rhombus-2": [(0, 0), (w - o, 0), (w, h), (o, h)],
        "trapezoid": [(o, 0), (w - o, 0), (w, h), (0, h)],
        "arrow-right": [
            (0, oy), (w - ox, oy), (w - ox, 0), (w, h / 2), (w - ox, h), (w - ox, h - oy),
            (0, h - oy),
        ],
        "arrow-left": [
            (ox, 0), (ox, oy), (w, oy), (w, h - oy), (ox, h - oy), (ox, h), (0, h / 2),
        ],
        "arrow-up": [
            (w / 2, 0), (w, uy), (w - ux, uy), (w - ux, h), (ux, h), (ux, uy), (0, uy),
        ],
        "arrow-down": [
            (ux, 0), (w - ux, 0), (w - ux, h - uy), (w, h - uy), (w / 2, h), (0, h - uy),
            (ux, h - uy),
        ],
    }  # fmt: skip
    if geo in corners:
        return corners[geo]
    sides = {"pentagon": 5, "hexagon": 6, "octagon": 8}
    if geo in sides:
        return polygon_vertices(w, h, sides[geo])
    if geo == "star":
        return star_vertices(w, h)
    if geo in ("ellipse", "oval", "heart", "cloud"):
        return None
    return [(0, 0), (w, 0), (w, h), (0, h)]


def geo_vertices(geo: str, w: float, h: float) -> list[Point]:
    """The outline of a geo kind of ``w`` x ``h`` (at least 1 x 1), as tldraw samples it."""
    w, h = max(1.0, w), max(1.0, h)
    straight = _straight(geo, w, h)
    if straight is not None:
        return straight
    if geo == "ellipse":
        cx, cy = w / 2, h / 2
        return _dedupe(
            [*_arc((0, cy), cx, cy, (w, cy), True), *_arc((w, cy), cx, cy, (0, cy), True)]
        )
    if geo == "oval":
        return _dedupe(_stadium(w, h))
    if geo == "heart":
        return _dedupe(_heart(w, h))
    return approximate_outline(geo, w, h)


def line_vertices(points: list[Point], spline: str) -> list[Point]:
    """A line's path through ``points``: straight segments, or ``cubicSplineThroughPoints``."""
    if spline != "cubic" or len(points) < 2:
        return points
    k = _SPLINE_TENSION
    last = len(points) - 2
    vertices: list[Point] = []
    for i in range(len(points) - 1):
        p0 = points[0] if i == 0 else points[i - 1]
        p1, p2 = points[i], points[i + 1]
        p3 = p2 if i == last else points[i + 2]
        cp1 = p0 if i == 0 else (p1[0] + (p2[0] - p0[0]) / 6 * k, p1[1] + (p2[1] - p0[1]) / 6 * k)
        cp2 = (
            p2 if i == last else (p2[0] - (p3[0] - p1[0]) / 6 * k, p2[1] - (p3[1] - p1[1]) / 6 * k)
        )
        vertices.extend(_bezier(p1, cp1, cp2, p2, _BEZIER_STEPS))
    return _dedupe(vertices)
