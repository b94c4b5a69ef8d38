"""Plane geometry of pictures: affine matrices, points and boxes.

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
    "multiply",
    "polyline_length",
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


def polyline_length(points: list[Point]) -> float:
    """The length of a polyline."""
    total = 0.0
    for i in range(1, len(points)):
        dx = points[i][0] - points[i - 1][0]
        dy = points[i][1] - points[i - 1][1]
        total += math.sqrt(dx * dx + dy * dy)
    return total


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
