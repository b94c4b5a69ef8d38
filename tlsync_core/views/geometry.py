"""Plane geometry of pictures: affine matrices, polylines and their crossings.

Points are ``(x, y)`` tuples, boxes ``(min_x, min_y, max_x, max_y)``, matrices ``(a, b, c, d,
e, f)`` as in SVG.  Each function has a twin in ``static/liveview.js``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = [
    "IDENTITY",
    "Box",
    "Matrix",
    "Point",
    "apply",
    "bounds_of",
    "box_points",
    "first_crossing",
    "flip_points",
    "invert",
    "last_crossing",
    "multiply",
    "point_along",
    "polyline_length",
    "sub_polyline",
    "unit",
]

Point = tuple[float, float]
Matrix = tuple[float, float, float, float, float, float]
Box = tuple[float, float, float, float]


IDENTITY: Matrix = (1, 0, 0, 1, 0, 0)


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """The product ``m n``: ``n`` applied first, then ``m`` (as nested SVG transforms)."""
    return (
        m[0] * n[0] + m[2] * n[1],
        m[1] * n[0] + m[3] * n[1],
        m[0] * n[2] + m[2] * n[3],
        m[1] * n[2] + m[3] * n[3],
        m[0] * n[4] + m[2] * n[5] + m[4],
        m[1] * n[4] + m[3] * n[5] + m[5],
    )


def apply(m: Matrix, p: Point) -> Point:
    """A point through a matrix."""
    return (m[0] * p[0] + m[2] * p[1] + m[4], m[1] * p[0] + m[3] * p[1] + m[5])


def invert(m: Matrix) -> Matrix:
    """The inverse matrix (the identity for a singular one)."""
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


def flip_points(points: list[Point], w: float, h: float, flip_x: bool, flip_y: bool) -> list[Point]:
    """Points mirrored across the box's middle (``flipX``/``flipY``)."""
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


def first_crossing(points: list[Point], outline: list[Point]) -> float | None:
    """Where the polyline first crosses ``outline``, in segments from its start (or None)."""
    for i in range(len(points) - 1):
        hits = _segment_hits(points[i], points[i + 1], outline)
        if hits:
            return i + min(hits)
    return None


def last_crossing(points: list[Point], outline: list[Point]) -> float | None:
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


def sub_polyline(points: list[Point], start: float, end: float) -> list[Point]:
    """The part of the polyline between two positions (in segments from its start)."""
    out = [_point_at(points, start)]
    k = math.floor(start) + 1
    while k < end:
        out.append(points[k])
        k += 1
    out.append(_point_at(points, end))
    return out


def polyline_length(points: list[Point]) -> float:
    """The length of a polyline."""
    total = 0.0
    for i in range(1, len(points)):
        dx = points[i][0] - points[i - 1][0]
        dy = points[i][1] - points[i - 1][1]
        total += math.sqrt(dx * dx + dy * dy)
    return total


def point_along(points: list[Point], fraction: float) -> Point:
    """The point at ``fraction`` of a polyline's length."""
    total = polyline_length(points)
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


def unit(dx: float, dy: float) -> Point:
    """The unit vector of ``(dx, dy)`` (``(1, 0)`` for a zero vector)."""
    length = math.sqrt(dx * dx + dy * dy)
    if length == 0:
        return (1, 0)
    return (dx / length, dy / length)


def bounds_of(points: Iterable[Point]) -> Box | None:
    """The bounding box of points (None for none)."""
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


def box_points(box: Box) -> list[Point]:
    """A box's four corners."""
    return [(box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3])]
