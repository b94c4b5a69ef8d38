"""Shapes' geometry in their own space, as tldraw 5.4.2's ``getShapeGeometry`` builds it.

A shape's geometry is a list of :class:`Part` s: polygons (closed) or polylines (open). A
shape's bounds are those of the points of the parts counted in bounds (tldraw's
``boundsVertices``); hit tests use the parts that are not labels. What each default shape is:

* geo: its outline (:mod:`.geo_paths`), mirrored across its box when flipped, filled unless
  ``fill`` is "none"; its label never counts;
* note: its paper, ``200 x (200 + growY)`` times ``scale``, filled;
* frame: its ``w x h`` rectangle, not filled (its heading is a label outside the bounds);
* text: its text box (:func:`~tlsync_core.tldraw.helpers.text.text_size`), filled;
* image, video, embed, bookmark: their ``w x h`` rectangle, filled;
* line: its path through its points, straight or a cubic spline (:mod:`.geo_paths`);
* draw: its streamlined stroke (:mod:`.freehand`; a closed draw is a polygon, a dot a circle);
* highlight: the polyline through its points (tldraw's is the outline of the whole stroke,
  half its width wider);
* arrow: its body where tldraw draws it, from its bindings, and its label's box (a label, in
  the bounds) (:mod:`.arrow_geometry`);
* group: its children's parts, each moved by the child's local transform.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence

import attrs

from tlsync_core.store.records import Record
from tlsync_core.tldraw.helpers.freehand import draw_outline, raw_points
from tlsync_core.tldraw.helpers.geo_paths import geo_vertices, line_vertices
from tlsync_core.tldraw.helpers.geometry import Box, Transform, bounding_box, local_transform
from tlsync_core.tldraw.helpers.text import text_size
from tlsync_core.tldraw.helpers.tree import Records, ancestors, children, page_transform
from tlsync_core.tldraw.theme import NOTE_SIZE

__all__ = [
    "Part",
    "edges",
    "frame_clips",
    "nearest_on_edges",
    "point_in_polygon",
    "segment_hits",
    "shape_bounds",
    "shape_parts",
]

Point = tuple[float, float]


@attrs.frozen
class Part:
    """One piece of a shape's geometry: ``points`` in the shape's space."""

    points: tuple[Point, ...]
    closed: bool
    filled: bool
    in_bounds: bool = True
    label: bool = False

    def moved(self, transform: Transform) -> Part:
        return attrs.evolve(self, points=tuple(transform.apply(*p) for p in self.points))

    def hit(self, point: Point, margin: float, hit_inside: bool) -> bool:
        """tldraw's ``Geometry2d.hitTestPoint``: inside a closed filled part (or any closed part
        with ``hit_inside``), or within ``margin`` of its edges."""
        if self.closed and (self.filled or hit_inside) and point_in_polygon(point, self.points):
            return True
        return _distance_to_edges(point, self.points, self.closed) <= margin


def _rect(w: float, h: float, *, filled: bool, x: float = 0.0, y: float = 0.0) -> Part:
    return Part(((x, y), (x + w, y), (x + w, y + h), (x, y + h)), closed=True, filled=filled)


def point_in_polygon(point: Point, polygon: Sequence[Point]) -> bool:
    """Whether ``point`` is inside ``polygon`` (even-odd rule, as tldraw's ``pointInPolygon``)."""
    x, y = point
    inside = False
    n = len(polygon)
    for i in range(n):
        (ax, ay), (bx, by) = polygon[i], polygon[(i - 1) % n]
        if (ay > y) != (by > y) and x < (bx - ax) * (y - ay) / (by - ay) + ax:
            inside = not inside
    return inside


def edges(points: Sequence[Point], closed: bool) -> list[tuple[Point, Point]]:
    """The segments joining ``points`` in order (and back to the first when ``closed``)."""
    pairs = list(itertools.pairwise(points))
    if closed and len(points) > 2:
        pairs.append((points[-1], points[0]))
    return pairs


def _distance_to_segment(p: Point, a: Point, b: Point) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    t = (
        0.0
        if length2 == 0
        else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2))
    )
    return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)


def _distance_to_edges(p: Point, points: Sequence[Point], closed: bool) -> float:
    if len(points) == 1:
        return math.hypot(p[0] - points[0][0], p[1] - points[0][1])
    return min(_distance_to_segment(p, a, b) for a, b in edges(points, closed))


def segment_hits(a: Point, b: Point, points: Sequence[Point], closed: bool) -> list[Point]:
    """Where the segment ``a``-``b`` crosses the edges through ``points``."""
    hits: list[Point] = []
    rx, ry = b[0] - a[0], b[1] - a[1]
    for c, d in edges(points, closed):
        sx, sy = d[0] - c[0], d[1] - c[1]
        denominator = rx * sy - ry * sx
        if denominator == 0:
            continue
        t = ((c[0] - a[0]) * sy - (c[1] - a[1]) * sx) / denominator
        u = ((c[0] - a[0]) * ry - (c[1] - a[1]) * rx) / denominator
        if 0 <= t <= 1 and 0 <= u <= 1:
            hits.append((a[0] + t * rx, a[1] + t * ry))
    return hits


def nearest_on_edges(p: Point, points: Sequence[Point], closed: bool) -> Point:
    best: Point = points[0]
    best_d = math.inf
    for a, b in edges(points, closed):
        dx, dy = b[0] - a[0], b[1] - a[1]
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2
        t = max(0.0, min(1.0, t))
        q = (a[0] + t * dx, a[1] + t * dy)
        d = math.hypot(p[0] - q[0], p[1] - q[1])
        if d < best_d:
            best, best_d = q, d
    return best


def _polyline(points: Iterable[Point], *, closed: bool = False, filled: bool = False) -> Part:
    pts = tuple(points) or ((0.0, 0.0),)
    return Part(pts, closed=closed, filled=filled)


def shape_parts(store: Records, shape: Record) -> list[Part]:
    """The geometry of ``shape`` in its own space (see the module docstring)."""
    props = shape["props"]
    kind = shape["type"]
    if kind == "geo":
        w, h = max(1.0, props["w"]), max(1.0, props["h"] + props["growY"])
        outline = geo_vertices(
            props["geo"], w, h, shape_id=shape["id"], size=props["size"], scale=props["scale"]
        )
        flip_x, flip_y = props["flipX"], props["flipY"]
        mirrored = tuple((w - x if flip_x else x, h - y if flip_y else y) for x, y in outline)
        return [Part(mirrored, closed=True, filled=props["fill"] != "none")]
    if kind == "note":
        scale = props["scale"]
        return [_rect(NOTE_SIZE * scale, (NOTE_SIZE + props["growY"]) * scale, filled=True)]
    if kind == "frame":
        return [_rect(props["w"], props["h"], filled=False)]
    if kind == "text":
        w, h = text_size(shape)
        return [_rect(w * props["scale"], h * props["scale"], filled=True)]
    if kind == "line":
        ordered = sorted(props["points"].values(), key=lambda p: (p["index"], p["id"]))
        points = [(float(p["x"]), float(p["y"])) for p in ordered]
        return [_polyline(line_vertices(points, props["spline"]))]
    if kind == "draw":
        points, closed = draw_outline(props)
        dot = closed and not props["isClosed"]
        filled = dot or (closed and props["fill"] != "none")
        return [_polyline(points, closed=closed, filled=filled)]
    if kind == "highlight":
        return [_polyline(raw_points(props))]
    if kind == "arrow":
        # arrow_geometry reads the bound shapes' geometry from this module
        from tlsync_core.tldraw.helpers.arrow_geometry import (  # noqa: PLC0415
            arrow_body,
            arrow_label,
        )

        body = arrow_body(store, shape)
        label = arrow_label(store, shape, body)
        if label is None:
            return [_polyline(body)]
        box = _rect(label.w, label.h, filled=True, x=label.x, y=label.y)
        return [_polyline(body), attrs.evolve(box, label=True)]
    if kind == "group":
        kids = children(store, shape["id"])
        if not kids:
            return [_rect(1, 1, filled=False)]
        return [
            attrs.evolve(part.moved(local_transform(kid)), label=False)
            for kid in kids
            for part in shape_parts(store, kid)
        ]
    if "w" in props and "h" in props:
        return [_rect(props["w"], props["h"], filled=True)]
    return [_rect(1, 1, filled=False)]


def frame_clips(store: Records, shape_id: str) -> list[list[Point]]:
    """The page outlines of the frames holding a shape, innermost first: a frame clips what it
    holds (tldraw's shape mask)."""
    clips = []
    for frame in ancestors(store, shape_id):
        if frame["type"] == "frame":
            transform = page_transform(store, frame["id"])
            w, h = frame["props"]["w"], frame["props"]["h"]
            clips.append([transform.apply(x, y) for x, y in ((0, 0), (w, 0), (w, h), (0, h))])
    return clips


def shape_bounds(store: Records, shape: Record) -> Box:
    """The bounds of a shape in its own space (tldraw's ``getShapeGeometry().bounds``)."""
    points = [p for part in shape_parts(store, shape) if part.in_bounds for p in part.points]
    return bounding_box(points) if points else Box(0, 0, 0, 0)
