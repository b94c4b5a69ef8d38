"""The smoothed points of a freehand stroke, as tldraw 5.4.2 computes a draw shape's geometry.

A draw shape's outline is not its raw points: a straight segment's points are eased between
its first two (:func:`segment_points`); tldraw then streamlines them (each point is pulled
toward the one before it), drops the points bunched near the start and the end of the stroke,
and skips the first few points of a stroke shorter than its width. :func:`draw_outline` does
the same for a draw shape's props (its geometry's ``Polyline2d``/``Polygon2d`` points, or a
dot's circle).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

from tlsync_core.tldraw.b64vecs import B64Vecs
from tlsync_core.tldraw.theme import STROKE_SIZES

__all__ = [
    "DOT_SAMPLES",
    "draw_outline",
    "freehand_outline",
    "raw_points",
    "segment_points",
    "stroke_points",
]

Point = tuple[float, float]
DOT_SAMPLES: Final = 25


def _ease_in_out_cubic(t: float) -> float:
    return 4 * t * t * t if t < 0.5 else (t - 1) * (2 * t - 2) * (2 * t - 2) + 1


def segment_points(points: Sequence[Point], straight: bool) -> list[Point]:
    """The points tldraw strokes one segment through (``getPointsFromDrawSegment``): a free
    segment's own; a straight one's first point, then points eased in and out between its
    first two points (moved a unit towards each other), one per 16 units and at least 4, then
    its second point."""
    if not straight or len(points) < 2:
        return list(points)
    a, d = points[0], points[1]
    dx, dy = d[0] - a[0], d[1] - a[1]
    dist = math.sqrt(dx * dx + dy * dy)
    if dist == 0:
        return [a]
    ux, uy = dx / dist, dy / dist
    nudge = min(1, math.floor(dist / 4))
    b = (a[0] + ux * nudge, a[1] + uy * nudge)
    c = (d[0] - ux * nudge, d[1] - uy * nudge)
    count = max(4, math.floor(dist / 16))
    between = []
    for i in range(count):
        t = _ease_in_out_cubic(i / (count - 1))
        between.append((b[0] + (c[0] - b[0]) * t, b[1] + (c[1] - b[1]) * t))
    return [a, *between, d]


def raw_points(props: Mapping[str, Any]) -> list[Point]:
    """A draw or highlight shape's points (:func:`segment_points` of each segment), its scale
    factors applied."""
    sx, sy = props.get("scaleX", 1), props.get("scaleY", 1)
    return [
        p
        for segment in props["segments"]
        for p in segment_points(
            [
                (v["x"] * sx, v["y"] * sy)
                for v in B64Vecs.decode_points(segment["path"], segment.get("dim"))
            ],
            segment["type"] == "straight",
        )
    ]


def _modulate(value: float, low: float, high: float, to_low: float, to_high: float) -> float:
    """tldraw's ``modulate`` with clamping."""
    result = to_low + (value - low) / (high - low) * (to_high - to_low)
    return max(min(result, to_high), to_low)


def stroke_points(raw: Sequence[Point], size: float, streamline: float, last: bool) -> list[Point]:
    """tldraw's ``getStrokePoints`` (without simulated pressure): the streamlined points."""
    if not raw:
        return []
    t = 0.15 + (1 - streamline) * 0.85
    min_dist2 = (size / 3) ** 2
    first = raw[0]
    start = 1
    while start < len(raw):
        dx, dy = raw[start][0] - first[0], raw[start][1] - first[1]
        if dx * dx + dy * dy > min_dist2:
            break
        start += 1
    staged = [(first[0], first[1]), *((p[0], p[1]) for p in raw[start:])]
    if len(staged) > 1:
        last_x, last_y = staged[-1]
        j = len(staged) - 2
        while j >= 0:
            dx, dy = staged[j][0] - last_x, staged[j][1] - last_y
            if dx * dx + dy * dy > min_dist2:
                break
            j -= 1
        if j < len(staged) - 2:
            staged = [*staged[: j + 1], (last_x, last_y)]
    if streamline > 0:
        staged.append(staged[-1])
    points = [staged[0]]
    total = 0.0
    prev_x, prev_y = staged[0]
    u = 1 - t
    for i in range(1, len(staged)):
        sx, sy = staged[i]
        if not t or (last and i == len(staged) - 1):
            x, y = sx, sy
        else:
            x, y = sx + (prev_x - sx) * u, sy + (prev_y - sy) * u
        if abs(prev_x - x) < 0.0001 and abs(prev_y - y) < 0.0001:
            continue
        total += math.hypot(x - prev_x, y - prev_y)
        if i < 4 and total < size:
            continue
        points.append((x, y))
        prev_x, prev_y = x, y
    return points


def _circle(x: float, y: float, radius: float) -> list[Point]:
    return [
        (
            x + radius + radius * math.cos(math.tau * i / DOT_SAMPLES),
            y + radius + radius * math.sin(math.tau * i / DOT_SAMPLES),
        )
        for i in range(DOT_SAMPLES)
    ]


def freehand_outline(
    raw: Sequence[Point],
    *,
    size: float,
    scale: float,
    segments: int,
    is_pen: bool,
    is_complete: bool,
    is_closed: bool,
) -> tuple[list[Point], bool]:
    """The geometry points of a freehand stroke through ``raw`` points (of ``segments``
    segments, drawn at stroke width ``size``) and whether they close: a polygon, or a dot's
    circle."""
    width = (size + 1) * scale
    if segments == 1 and raw:
        xs, ys = [p[0] for p in raw], [p[1] for p in raw]
        if max(xs) - min(xs) < width * 2 and max(ys) - min(ys) < width * 2:
            return (_circle(-width, -width, width), True)
    streamline = 0.62 if is_pen else _modulate(width, 9, 16, 0.64, 0.74)
    points = stroke_points(raw, width, streamline, is_complete or is_pen)
    if is_closed and len(points) > 2:
        return (points, True)
    if len(points) == 1:
        return (_circle(-width, -width, width), True)
    return (points, False)


def draw_outline(props: Mapping[str, Any]) -> tuple[list[Point], bool]:
    """A draw shape's geometry points in its space and whether they close
    (:func:`freehand_outline` of its points)."""
    return freehand_outline(
        raw_points(props),
        size=STROKE_SIZES[props["size"]],
        scale=props["scale"],
        segments=len(props["segments"]),
        is_pen=props["isPen"],
        is_complete=props["isComplete"],
        is_closed=props["isClosed"],
    )
