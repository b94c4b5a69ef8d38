"""The outlines of geo shapes as tldraw 5.4.2 builds them (``getGeoShapePath``), and the paths
of line shapes (``getPathForLineShape``), sampled into vertices the way tldraw's path geometry
samples them.

Straight-edged kinds are their corners. Curves are cubic Bézier segments sampled at eleven
points each (ten steps); an elliptical arc is first split into at most four Béziers, one per
quarter turn, each sampled with ``ceil(max(8, ceil(length / 20)) / segments)`` steps. The
``x-box`` and ``check-box`` kinds are their rectangle (their inner strokes are internal lines,
never part of the outline). A cloud is circular bumps between points spaced around a stadium,
wiggled by tldraw's seeded random generator (seeded with the shape's id). A line is its points
in index order, joined straight or, with the "cubic" spline, by Béziers whose handles follow
the neighbouring points.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

from tlsync_core.tldraw.helpers.geometry import Point, circle_center

__all__ = [
    "ARC_MIN_VERTICES",
    "ARC_SPACING",
    "BEZIER_STEPS",
    "BUMP_PROTRUSION",
    "CLOUD_BUMP_SIZES",
    "SPLINE_TENSION",
    "geo_vertices",
    "line_vertices",
    "polygon_vertices",
    "seeded_random",
    "star_vertices",
    "straight_vertices",
]

BEZIER_STEPS: Final = 10
ARC_SPACING: Final = 20.0
ARC_MIN_VERTICES: Final = 8
SPLINE_TENSION: Final = 1.25
# getCloudPath: the bump size per size style, and how far bumps stick out
CLOUD_BUMP_SIZES: Final = {"s": 50.0, "m": 70.0, "l": 100.0, "xl": 130.0}
BUMP_PROTRUSION: Final = 0.2


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
    if (bw == w and bh == h) or bw == 0 or bh == 0:  # (nothing to stretch, or no area)
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
    steps = math.ceil(max(ARC_MIN_VERTICES, math.ceil(length / ARC_SPACING)) / segments)

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
        *_bezier((cx, h), (o * 1.5, k * 3), (0, k * 2.5), (0, k * 1.2), BEZIER_STEPS),
        *_bezier((0, k * 1.2), (0, -k * 0.32), (o * 1.85, -k * 0.32), (cx, k * 0.9), BEZIER_STEPS),
        *_bezier((cx, k * 0.9), (o * 2.15, -k * 0.32), (w, -k * 0.32), (w, k * 1.2), BEZIER_STEPS),
        *_bezier((w, k * 1.2), (w, k * 2.5), (o * 2.5, k * 3), (cx, h), BEZIER_STEPS),
    ]


def straight_vertices(geo: str, w: float, h: float) -> list[Point] | None:
    """The corners of a straight-edged kind, or of the rectangle for kinds tldraw does not have
    (None for the curved ones)."""
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


def _int32(value: int) -> int:
    return ((value & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000


def seeded_random(seed: str) -> Callable[[], float]:
    """tldraw's ``rng(seed)``: a xorshift generator of numbers in (-1, 1), in JavaScript's
    32-bit integer arithmetic, fed the UTF-16 code units of ``seed`` (``charCodeAt``)."""
    encoded = seed.encode("utf-16-le", "surrogatepass")
    units = [int.from_bytes(encoded[i : i + 2], "little") for i in range(0, len(encoded), 2)]
    state = [0, 0, 0, 0]

    def step() -> float:
        x, y, z, w = state
        t = _int32(x ^ _int32(x << 11))
        mixed = (((w & 0xFFFFFFFF) >> 19) ^ t ^ ((t & 0xFFFFFFFF) >> 8)) & 0xFFFFFFFF
        w = _int32(w ^ mixed)
        state[:] = [y, z, state[3], w]
        return w / 0x100000000 * 2

    for k in range(len(units) + 64):
        state[0] = _int32(state[0] ^ (units[k] if k < len(units) else 0))
        step()
    return step


def _stadium_perimeter(w: float, h: float) -> float:
    if w > h:
        return (math.pi * (h / 2) + (w - h)) * 2
    return (math.pi * (w / 2) + (h - w)) * 2


def _pill_points(width: float, height: float, count: int) -> list[Point]:
    """``getPillPoints``: ``count`` points evenly spaced around a stadium, clockwise from the
    start of its top (or right) straight side."""
    radius = min(width, height) / 2
    long_side = max(width, height) - radius * 2
    spacing = (math.pi * radius * 2 + 2 * long_side) / count
    # sections: ("line", start, direction) or ("arc", center, start angle)
    sections: list[tuple[str, Point, Point | float]]
    if width > height:
        sections = [
            ("line", (radius, 0.0), (1.0, 0.0)),
            ("arc", (width - radius, radius), -math.pi / 2),
            ("line", (width - radius, height), (-1.0, 0.0)),
            ("arc", (radius, radius), math.pi / 2),
        ]
    else:
        sections = [
            ("line", (width, radius), (0.0, 1.0)),
            ("arc", (radius, height - radius), 0.0),
            ("line", (0.0, height - radius), (0.0, -1.0)),
            ("arc", (radius, radius), math.pi),
        ]
    offset = 0.0
    points: list[Point] = []
    for _ in range(count):
        kind, origin, along = sections[0]
        if kind == "line":
            assert isinstance(along, tuple)
            points.append((origin[0] + along[0] * offset, origin[1] + along[1] * offset))
        else:
            assert isinstance(along, float)
            angle = along + offset / radius
            points.append(
                (origin[0] + math.cos(angle) * radius, origin[1] + math.sin(angle) * radius)
            )
        offset += spacing
        length = long_side if sections[0][0] == "line" else math.pi * radius
        while offset > length:
            offset -= length
            sections.append(sections.pop(0))
            length = long_side if sections[0][0] == "line" else math.pi * radius
    return points


def _cloud(width: float, height: float, seed: str, size: str, scale: float) -> list[Point]:
    """``getCloudPath``'s vertices."""
    random = seeded_random(seed)
    perimeter = _stadium_perimeter(width, height)
    bumps = max(
        math.ceil(perimeter / CLOUD_BUMP_SIZES.get(size, CLOUD_BUMP_SIZES["m"])),
        6,
        math.ceil(perimeter / min(width, height)),
    )
    protrusion = perimeter / bumps * BUMP_PROTRUSION
    inner_w, inner_h = max(width - protrusion * 2, 1), max(height - protrusion * 2, 1)
    spacing = _stadium_perimeter(inner_w, inner_h) / bumps
    pad_x, pad_y = (width - inner_w) / 2, (height - inner_h) / 2
    base = [(x + pad_x, y + pad_y) for x, y in _pill_points(inner_w, inner_h, bumps)]
    wiggle_x = 0 if width < 20 else protrusion * 0.3
    wiggle_y = 0 if height < 20 else protrusion * 0.3
    wiggled = list(base)
    for i in range(bumps // 2):
        for j in (i, bumps - i - 1):
            dx = random() * wiggle_x * scale
            dy = random() * wiggle_y * scale
            wiggled[j] = (wiggled[j][0] + dx, wiggled[j][1] + dy)
    vertices: list[Point] = []
    for i in range(bumps):
        j = 0 if i == bumps - 1 else i + 1
        left, right = base[i], base[j]
        apart = math.hypot(right[0] - left[0], right[1] - left[1])
        curvature = spacing - apart
        wiggle_apart = math.hypot(wiggled[j][0] - wiggled[i][0], wiggled[j][1] - wiggled[i][1])
        reach = (max(pad_x, pad_y) + curvature) * (wiggle_apart / apart)
        ux, uy = (right[0] - left[0]) / apart, (right[1] - left[1]) / apart
        apex = ((left[0] + right[0]) / 2 + uy * reach, (left[1] + right[1]) / 2 - ux * reach)
        apex = (min(max(apex[0], 0.0), width), min(max(apex[1], 0.0), height))
        center = circle_center(wiggled[i], wiggled[j], apex)
        if center is None:
            center = ((wiggled[i][0] + wiggled[j][0]) / 2, (wiggled[i][1] + wiggled[j][1]) / 2)
        radius = math.hypot(center[0] - wiggled[i][0], center[1] - wiggled[i][1])
        vertices.extend(_arc(wiggled[i], radius, radius, wiggled[j], True))
    return vertices


def geo_vertices(
    geo: str, w: float, h: float, *, shape_id: str = "", size: str = "m", scale: float = 1.0
) -> list[Point]:
    """The outline of a geo kind of ``w`` x ``h`` (at least 1 x 1), as tldraw samples it (a
    cloud's bumps depend on the shape's id, size and scale)."""
    w, h = max(1.0, w), max(1.0, h)
    straight = straight_vertices(geo, w, h)
    if straight is not None:
        return straight
    if geo == "ellipse":
        cx, cy = w / 2, h / 2
        top = _arc((0, cy), cx, cy, (w, cy), True)
        return _dedupe([*top, *_arc((w, cy), cx, cy, (0, cy), True)])
    if geo == "oval":
        return _dedupe(_stadium(w, h))
    if geo == "heart":
        return _dedupe(_heart(w, h))
    return _dedupe(_cloud(w, h, shape_id, size, scale))


def line_vertices(points: list[Point], spline: str) -> list[Point]:
    """A line's path through ``points``: straight segments, or ``cubicSplineThroughPoints``."""
    if spline != "cubic" or len(points) < 2:
        return points
    k = SPLINE_TENSION
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
        vertices.extend(_bezier(p1, cp1, cp2, p2, BEZIER_STEPS))
    return _dedupe(vertices)
