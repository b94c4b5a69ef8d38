"""Shapes' geometry in their own space, as tldraw 5.4.2's ``getShapeGeometry`` builds it.

A shape's geometry is a list of :class:`Part` s: polygons (closed) or polylines (open). A
shape's bounds are those of the points of the parts counted in bounds (tldraw's
``boundsVertices``); hit tests use the parts that are not labels. What each default shape is:

* geo: its outline (curves sampled), filled unless ``fill`` is "none"; its label never counts;
* note: its paper, ``200 x (200 + growY)`` times ``scale``, filled;
* frame: its ``w x h`` rectangle, not filled (its heading is a label outside the bounds);
* text: its text box (:func:`~tlsync_core.tldraw.helpers.text.text_size`), filled;
* image, video, embed, bookmark: their ``w x h`` rectangle, filled;
* line: the polyline through its points;
* draw: its streamlined stroke (:mod:`.freehand`; a closed draw is a polygon, a dot a circle);
* highlight: the polyline through its points (tldraw's is the outline of the whole stroke,
  half its width wider);
* arrow: the segment between its two ends, each end where tldraw draws it: a bound end at the
  bound shape's outline (its anchor when exact), backed off for its arrowhead; a bent arrow is
  the circular arc through its ends and its bend point;
* group: its children's parts, each moved by the child's local transform.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from typing import Final

import attrs

from tlsync_core.store.records import Record
from tlsync_core.store.store import Store
from tlsync_core.tldraw.helpers.freehand import draw_outline, raw_points
from tlsync_core.tldraw.helpers.geometry import Box, Transform, bounding_box, local_transform
from tlsync_core.tldraw.helpers.text import text_size
from tlsync_core.tldraw.helpers.tree import children, page_transform
from tlsync_core.tldraw.render import STROKE_SIZES, geo_outline

__all__ = [
    "Part",
    "point_in_polygon",
    "shape_bounds",
    "shape_parts",
]

Point = tuple[float, float]

_NOTE_SIZE: Final = 200.0
# ArrowShapeUtil (shared.ts): how far a bound end stays off its shape, and the shortest arrow
_BOUND_ARROW_OFFSET: Final = 10.0
_MIN_ARROW_LENGTH: Final = 10.0
_ARC_SAMPLES: Final = 64


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


def _edges(points: Sequence[Point], closed: bool) -> list[tuple[Point, Point]]:
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
    return min(_distance_to_segment(p, a, b) for a, b in _edges(points, closed))


def _segment_hits(a: Point, b: Point, points: Sequence[Point], closed: bool) -> list[Point]:
    """Where the segment ``a``-``b`` crosses the edges through ``points``."""
    hits: list[Point] = []
    rx, ry = b[0] - a[0], b[1] - a[1]
    for c, d in _edges(points, closed):
        sx, sy = d[0] - c[0], d[1] - c[1]
        denominator = rx * sy - ry * sx
        if denominator == 0:
            continue
        t = ((c[0] - a[0]) * sy - (c[1] - a[1]) * sx) / denominator
        u = ((c[0] - a[0]) * ry - (c[1] - a[1]) * rx) / denominator
        if 0 <= t <= 1 and 0 <= u <= 1:
            hits.append((a[0] + t * rx, a[1] + t * ry))
    return hits


def _nearest_on_edges(p: Point, points: Sequence[Point], closed: bool) -> Point:
    best: Point = points[0]
    best_d = math.inf
    for a, b in _edges(points, closed):
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


def shape_parts(store: Store, shape: Record) -> list[Part]:
    """The geometry of ``shape`` in its own space (see the module docstring)."""
    props = shape["props"]
    kind = shape["type"]
    if kind == "geo":
        w, h = max(1.0, props["w"]), max(1.0, props["h"] + props["growY"])
        outline = geo_outline(props["geo"], w, h)
        return [Part(tuple(outline), closed=True, filled=props["fill"] != "none")]
    if kind == "note":
        scale = props["scale"]
        return [_rect(_NOTE_SIZE * scale, (_NOTE_SIZE + props["growY"]) * scale, filled=True)]
    if kind == "frame":
        return [_rect(props["w"], props["h"], filled=False)]
    if kind == "text":
        w, h = text_size(shape)
        return [_rect(w * props["scale"], h * props["scale"], filled=True)]
    if kind == "line":
        ordered = sorted(props["points"].values(), key=lambda p: (p["index"], p["id"]))
        return [_polyline((p["x"] * props["scale"], p["y"] * props["scale"]) for p in ordered)]
    if kind == "draw":
        points, closed = draw_outline(props)
        dot = closed and not props["isClosed"]
        filled = dot or (closed and props["fill"] != "none")
        return [_polyline(points, closed=closed, filled=filled)]
    if kind == "highlight":
        return [_polyline((x, y) for x, y, _ in raw_points(props))]
    if kind == "arrow":
        return [_polyline(_arrow_body(store, shape))]
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


def shape_bounds(store: Store, shape: Record) -> Box:
    """The bounds of a shape in its own space (tldraw's ``getShapeGeometry().bounds``)."""
    points = [p for part in shape_parts(store, shape) if part.in_bounds for p in part.points]
    return bounding_box(points) if points else Box(0, 0, 0, 0)


# -- arrows ------------------------------------------------------------------------------------


@attrs.frozen
class _End:
    """An arrow end in the arrow's space: its handle, and the shape it is bound to."""

    handle: Point
    shape: Record | None = None
    exact: bool = False
    to_target: Transform | None = None


def _contains(a: Box, b: Box) -> bool:
    return a.x <= b.x and a.y <= b.y and b.x + b.w <= a.x + a.w and b.y + b.h <= a.y + a.h


def _page_box(store: Store, shape: Record) -> Box:
    return shape_bounds(store, shape).transformed(page_transform(store, shape["id"]))


def _relationship(store: Store, start: Record | None, end: Record | None) -> str:
    """``getBoundShapeRelationships``: "safe", "double-bound", or whose page bounds contain
    the other's."""
    if start is None or end is None:
        return "safe"
    if start["id"] == end["id"]:
        return "double-bound"
    start_box, end_box = _page_box(store, start), _page_box(store, end)
    if _contains(start_box, end_box):
        return "start-contains-end"
    if _contains(end_box, start_box):
        return "end-contains-start"
    return "safe"


def _bound_targets(store: Store, arrow: Record) -> dict[str, tuple[Record, Record]]:
    """The arrow's ends bound to a shape still in the store: terminal -> (binding, shape)."""
    result: dict[str, tuple[Record, Record]] = {}
    for binding in store.query.exec("binding", {"fromId": arrow["id"]}):
        target = store.get(binding["toId"])
        if binding["type"] == "arrow" and target is not None:
            result[binding["props"]["terminal"]] = (binding, target)
    return result


def _end(
    store: Store, arrow: Record, terminal: str, bound: tuple[Record, Record] | None, precise: bool
) -> _End:
    if bound is None:
        point = arrow["props"][terminal]
        return _End((float(point["x"]), float(point["y"])))
    binding, target = bound
    anchor = binding["props"]["normalizedAnchor"]
    if not (binding["props"]["isPrecise"] or precise):
        anchor = {"x": 0.5, "y": 0.5}
    nx, ny = (min(1.0, max(0.0, float(anchor[k]))) for k in ("x", "y"))
    box = shape_bounds(store, target)
    target_page = page_transform(store, target["id"])
    arrow_page = page_transform(store, arrow["id"])
    handle = arrow_page.inverse().apply(*target_page.apply(box.x + nx * box.w, box.y + ny * box.h))
    to_target = target_page.inverse().then(arrow_page)
    return _End(handle, target, bool(binding["props"]["isExact"]), to_target)


def _is_closed(store: Store, shape: Record) -> bool:
    if shape["type"] in ("line", "draw", "highlight"):
        return all(part.closed for part in shape_parts(store, shape))
    return True


def _meet_outline(store: Store, end: _End, opposite: Point, point: Point) -> Point | None:
    """Where the arrow from ``opposite`` to ``point`` meets the bound shape's outline (in the
    arrow's space), or None to leave the end at its handle."""
    if end.shape is None or end.exact or end.to_target is None:
        return None
    from_ = end.to_target.apply(*opposite)
    to = end.to_target.apply(*point)
    parts = [part for part in shape_parts(store, end.shape) if not part.label]
    hits = [hit for part in parts for hit in _segment_hits(from_, to, part.points, part.closed)]
    if hits:
        meet = min(hits, key=lambda h: (h[0] - from_[0]) ** 2 + (h[1] - from_[1]) ** 2)
    else:
        nearest = [_nearest_on_edges(to, part.points, part.closed) for part in parts]
        meet = min(nearest, key=lambda q: math.hypot(q[0] - to[0], q[1] - to[1]))
        if math.hypot(meet[0] - to[0], meet[1] - to[1]) >= 1:
            return None
    return end.to_target.inverse().apply(*meet)


def _same(p: Point, q: Point) -> bool:
    """tldraw's ``Vec.Equals``: equal within 0.0001 on each axis."""
    return abs(p[0] - q[0]) < 0.0001 and abs(p[1] - q[1]) < 0.0001


def _unit(dx: float, dy: float) -> Point:
    length = math.hypot(dx, dy)
    return (dx / length, dy / length) if length else (dx, dy)


def _head_offset(arrow: Record, end: _End) -> float:
    """How far a bound end with an arrowhead backs off its shape, before scaling."""
    assert end.shape is not None
    arrow_stroke = STROKE_SIZES[arrow["props"]["size"]]
    size = end.shape["props"].get("size")
    return arrow_stroke / 2 + (STROKE_SIZES.get(size, 0.0) / 2 if size is not None else 0.0)


def _straight_body(
    store: Store, arrow: Record, start: _End, end: _End, relation: str
) -> list[Point]:
    """``getStraightArrowInfo``'s start and end points."""
    props = arrow["props"]
    scale = props["scale"]
    a, b = start.handle, end.handle
    if _same(a, b):
        return [a, b]
    u_ab = _unit(b[0] - a[0], b[1] - a[1])
    met_b = _meet_outline(store, end, start.handle, b)
    met_a = _meet_outline(store, start, end.handle, a)
    b, a = met_b or b, met_a or a
    self_bound = (
        start.shape is not None and end.shape is not None and start.shape["id"] == end.shape["id"]
    )
    if (
        relation == "safe"
        and start.shape is not None
        and end.shape is not None
        and not self_bound
        and not start.exact
        and not end.exact
    ):
        if met_b is not None and met_a is None:
            if _is_closed(store, start.shape):
                a = (
                    b[0] + u_ab[0] * _MIN_ARROW_LENGTH * scale,
                    b[1] + u_ab[1] * _MIN_ARROW_LENGTH * scale,
                )
        elif met_b is None and _is_closed(store, end.shape):
            b = (
                a[0] - u_ab[0] * _MIN_ARROW_LENGTH * scale,
                a[1] - u_ab[1] * _MIN_ARROW_LENGTH * scale,
            )
    u = _unit(b[0] - a[0], b[1] - a[1])
    flip = 1.0 if _same(u, u_ab) else -1.0
    offset_a = offset_b = 0.0
    min_length = _MIN_ARROW_LENGTH * scale
    if not self_bound:
        if (
            relation != "start-contains-end"
            and start.shape is not None
            and props["arrowheadStart"] != "none"
            and not start.exact
        ):
            stroke = _head_offset(arrow, start)
            offset_a = (_BOUND_ARROW_OFFSET + stroke) * scale
            min_length += stroke * scale
        if (
            relation != "end-contains-start"
            and end.shape is not None
            and props["arrowheadEnd"] != "none"
            and not end.exact
        ):
            stroke = _head_offset(arrow, end)
            offset_b = (_BOUND_ARROW_OFFSET + stroke) * scale
            min_length += stroke * scale
    ta = (a[0] + u[0] * offset_a * flip, a[1] + u[1] * offset_a * flip)
    tb = (b[0] - u[0] * offset_b * flip, b[1] - u[1] * offset_b * flip)
    if math.hypot(ta[0] - tb[0], ta[1] - tb[1]) < min_length:
        if offset_a and offset_b:
            offset_a, offset_b = offset_a * -1.5, offset_b * -1.5
        elif offset_a:
            offset_a = -offset_a
        elif offset_b:
            offset_b = -offset_b
    a = (a[0] + u[0] * offset_a * flip, a[1] + u[1] * offset_a * flip)
    b = (b[0] - u[0] * offset_b * flip, b[1] - u[1] * offset_b * flip)
    if flip < 0 and start.shape is not None and end.shape is not None:
        b = (a[0] - u[0] * _MIN_ARROW_LENGTH * scale, a[1] - u[1] * _MIN_ARROW_LENGTH * scale)
    return [a, b]


def _arc_points(a: Point, m: Point, b: Point) -> list[Point] | None:
    """Points along the circular arc from ``a`` through ``m`` to ``b`` (None: collinear)."""
    d = 2 * (a[0] * (m[1] - b[1]) + m[0] * (b[1] - a[1]) + b[0] * (a[1] - m[1]))
    if abs(d) < 1e-9:
        return None
    sq = [p[0] ** 2 + p[1] ** 2 for p in (a, m, b)]
    cx = (sq[0] * (m[1] - b[1]) + sq[1] * (b[1] - a[1]) + sq[2] * (a[1] - m[1])) / d
    cy = (sq[0] * (b[0] - m[0]) + sq[1] * (a[0] - b[0]) + sq[2] * (m[0] - a[0])) / d
    r = math.hypot(a[0] - cx, a[1] - cy)
    t0, tm, t1 = (math.atan2(p[1] - cy, p[0] - cx) for p in (a, m, b))
    sweep = (t1 - t0) % math.tau
    if (tm - t0) % math.tau > sweep:
        sweep -= math.tau
    return [
        (
            cx + r * math.cos(t0 + sweep * i / _ARC_SAMPLES),
            cy + r * math.sin(t0 + sweep * i / _ARC_SAMPLES),
        )
        for i in range(_ARC_SAMPLES + 1)
    ]


def _clip_arc(store: Store, points: list[Point], start: _End, end: _End) -> list[Point]:
    """The arc cut where it leaves the start shape and where it enters the end shape."""
    first, last = 0, len(points) - 1
    for end_, forward in ((start, True), (end, False)):
        if end_.shape is None or end_.exact or end_.to_target is None:
            continue
        parts = [p for p in shape_parts(store, end_.shape) if not p.label]
        indices = range(first, last) if forward else range(last, first, -1)
        for i in indices:
            j = i + 1 if forward else i - 1
            p = end_.to_target.apply(*points[i])
            q = end_.to_target.apply(*points[j])
            hits = [h for part in parts for h in _segment_hits(p, q, part.points, part.closed)]
            if hits:
                hit = end_.to_target.inverse().apply(*hits[0])
                points[i] = hit
                if forward:
                    first = i
                else:
                    last = i
                break
    return points[first : last + 1]


def _arrow_body(store: Store, arrow: Record) -> list[Point]:
    """The points of an arrow's body in its space (see the module docstring)."""
    bound = _bound_targets(store, arrow)
    relation = _relationship(
        store,
        bound["start"][1] if "start" in bound else None,
        bound["end"][1] if "end" in bound else None,
    )
    start = _end(
        store,
        arrow,
        "start",
        bound.get("start"),
        relation in ("double-bound", "start-contains-end"),
    )
    end = _end(
        store, arrow, "end", bound.get("end"), relation in ("double-bound", "end-contains-start")
    )
    bend = float(arrow["props"]["bend"])
    a, b = start.handle, end.handle
    if arrow["props"]["kind"] == "arc" and abs(bend) > 1e-9:
        ux, uy = _unit(b[0] - a[0], b[1] - a[1])
        middle = ((a[0] + b[0]) / 2 - uy * bend, (a[1] + b[1]) / 2 + ux * bend)
        arc = _arc_points(a, middle, b)
        if arc is not None:
            return _clip_arc(store, arc, start, end)
    return _straight_body(store, arrow, start, end, relation)
