"""Where tldraw 5.4.2 draws an arrow: its body from its bindings (``getArrowInfo``).

An arrow's ends are its *handles*: a free end is its stored point; a bound end is the binding's
anchor on the bound shape's bounds (its center for an imprecise binding, unless both ends are on
the same shape or one bound shape's bounds hold the other's). The body then stops where it meets
the bound shape's outline (not for an exact binding) and backs off 10 units plus half the
strokes for an arrowhead.

* straight (``bend`` under 8 units either way, or an elbow arrow, whose routing is not
  modelled): the segment between the ends (``getStraightArrowInfo``);
* bent: the circular arc through the two handles and the bend point (the handles' midpoint
  moved ``bend`` units sideways), cut where it meets each bound shape's outline, the cuts
  backed off along the arc (``getCurvedArrowInfo``).

:func:`arrow_body` gives the body's points in the arrow's space: two for a straight arrow, the
arc's vertices for a bent one (as tldraw's ``Arc2d`` samples it: one vertex per 20 units of
length, at least 8 segments). :func:`arrow_label` gives a label's box: its measured text
(squeezed to wrap on a short arrow) centred on the body at ``labelPosition``, kept clear of the
ends that have an arrowhead or a binding.
"""

from __future__ import annotations

import itertools
import math
from typing import Final

import attrs

from tlsync_core.store.records import Record
from tlsync_core.tldraw.helpers.geometry import (
    Box,
    Point,
    Transform,
    bounding_box,
    circle_center,
)
from tlsync_core.tldraw.helpers.query import page_bounds
from tlsync_core.tldraw.helpers.shape_geometry import (
    Part,
    edges,
    frame_clips,
    nearest_on_edges,
    point_in_polygon,
    segment_hits,
    shape_bounds,
    shape_parts,
)
from tlsync_core.tldraw.helpers.text import is_empty, paragraphs
from tlsync_core.tldraw.helpers.text_layout import measure
from tlsync_core.tldraw.helpers.tree import Records, page_transform
from tlsync_core.tldraw.theme import ARROW_LABEL_FONT_SIZES, STROKE_SIZES

__all__ = ["ARROW_CONSTANTS", "ARROW_LABEL_PADDING", "arrow_body", "arrow_label"]


# ArrowShapeUtil (shared.ts): how far a bound end stays off its shape, the shortest arrow
BOUND_ARROW_OFFSET: Final = 10.0
MIN_ARROW_LENGTH: Final = 10.0
WAY_TOO_BIG_BEND: Final = 10.0
MIN_BEND: Final = 8.0
TEXT_ARROW_PADDING: Final = 10.0
# Arc2d's vertices: one per 20 units of arc length, at least 8 segments
ARC_BODY_SPACING: Final = 20.0
ARC_BODY_MIN_SEGMENTS: Final = 8
# labels: ARROW_LABEL_FONT_SIZES x 16 px, ARROW_LABEL_PADDING, LABEL_TO_ARROW_PADDING, and the
# room kept for arrowheads on a label squeezed onto a short arrow
ARROW_LABEL_PADDING: Final = 4.25
LABEL_TO_ARROW: Final = 20.0
LABEL_MARGIN: Final = 64.0

ARROW_CONSTANTS: Final = {
    "BOUND_ARROW_OFFSET": BOUND_ARROW_OFFSET,
    "MIN_ARROW_LENGTH": MIN_ARROW_LENGTH,
    "WAY_TOO_BIG_BEND": WAY_TOO_BIG_BEND,
    "MIN_BEND": MIN_BEND,
    "TEXT_ARROW_PADDING": TEXT_ARROW_PADDING,
    "ARC_BODY_SPACING": ARC_BODY_SPACING,
    "ARC_BODY_MIN_SEGMENTS": ARC_BODY_MIN_SEGMENTS,
    "ARROW_LABEL_PADDING": ARROW_LABEL_PADDING,
    "LABEL_TO_ARROW": LABEL_TO_ARROW,
    "LABEL_MARGIN": LABEL_MARGIN,
}
"""These sizes by name (for ports of this module)."""


@attrs.define
class _End:
    """An arrow end in the arrow's space: its handle, and the shape it is bound to."""

    handle: Point
    shape: Record | None = None
    exact: bool = False
    to_target: Transform | None = None
    did_intersect: bool = False
    arrowhead: bool = True

    def outline(self, store: Records) -> list[Part]:
        """The bound shape's outline an arrow end meets: a text is 10 units wider on each side
        for an end without an arrowhead (``extraArrowHorizontalPadding``)."""
        assert self.shape is not None
        parts = [part for part in shape_parts(store, self.shape) if not part.label]
        if self.shape["type"] != "text" or self.arrowhead:
            return parts
        pad = TEXT_ARROW_PADDING * self.shape["props"]["scale"]
        box = bounding_box(p for part in parts for p in part.points)
        left, right = box.x - pad, box.x + box.w + pad
        top, bottom = box.y, box.y + box.h
        points = ((left, top), (right, top), (right, bottom), (left, bottom))
        return [Part(points, closed=True, filled=True)]

    def closed(self, store: Records) -> bool:
        """tldraw's ``geometry.isClosed`` of the bound shape."""
        assert self.shape is not None
        if self.shape["type"] in ("line", "draw", "highlight"):
            return all(part.closed for part in shape_parts(store, self.shape))
        return True


def _contains(a: Box, b: Box) -> bool:
    """tldraw's ``Box.Contains``: ``b`` strictly inside ``a``."""
    return a.x < b.x and a.y < b.y and b.x + b.w < a.x + a.w and b.y + b.h < a.y + a.h


def _relationship(store: Records, start: Record | None, end: Record | None) -> str:
    """``getBoundShapeRelationships``: "safe", "double-bound", or whose page bounds contain
    the other's."""
    if start is None or end is None:
        return "safe"
    if start["id"] == end["id"]:
        return "double-bound"
    start_box, end_box = page_bounds(store, start["id"]), page_bounds(store, end["id"])
    if _contains(start_box, end_box):
        return "start-contains-end"
    if _contains(end_box, start_box):
        return "end-contains-start"
    return "safe"


def _bound_targets(store: Records, arrow: Record) -> dict[str, tuple[Record, Record]]:
    """The arrow's ends bound to a shape still in the store: terminal -> (binding, shape)."""
    result: dict[str, tuple[Record, Record]] = {}
    for binding in store.query.exec("binding", {"fromId": arrow["id"]}):
        target = store.get(binding["toId"])
        if binding["type"] == "arrow" and target is not None:
            result[binding["props"]["terminal"]] = (binding, target)
    return result


def _end(
    store: Records, arrow: Record, terminal: str, bound: tuple[Record, Record] | None, precise: bool
) -> _End:
    if bound is None:
        point = arrow["props"][terminal]
        return _End((float(point["x"]), float(point["y"])))
    binding, target = bound
    head = arrow["props"]["arrowheadStart" if terminal == "start" else "arrowheadEnd"]
    anchor = binding["props"]["normalizedAnchor"]
    if not (binding["props"]["isPrecise"] or precise):
        anchor = {"x": 0.5, "y": 0.5}
    nx, ny = (min(1.0, max(0.0, float(anchor[k]))) for k in ("x", "y"))
    box = shape_bounds(store, target)
    target_page = page_transform(store, target["id"])
    arrow_page = page_transform(store, arrow["id"])
    handle = arrow_page.inverse().apply(*target_page.apply(box.x + nx * box.w, box.y + ny * box.h))
    to_target = target_page.inverse().then(arrow_page)
    exact = bool(binding["props"]["isExact"])
    return _End(handle, target, exact, to_target, arrowhead=head != "none")


def _same(p: Point, q: Point) -> bool:
    """tldraw's ``Vec.Equals``: equal within 0.0001 on each axis."""
    return abs(p[0] - q[0]) < 0.0001 and abs(p[1] - q[1]) < 0.0001


def _unit(dx: float, dy: float) -> Point:
    length = math.hypot(dx, dy)
    return (dx / length, dy / length) if length else (dx, dy)


def _head_offset(arrow: Record, end: _End) -> float:
    """Half the arrow's stroke plus half the bound shape's: how far past the 10-unit gap an end
    with an arrowhead backs off, before scaling."""
    assert end.shape is not None
    size = end.shape["props"].get("size")
    shape_stroke = STROKE_SIZES.get(size, 0.0) if isinstance(size, str) else 0.0
    return STROKE_SIZES[arrow["props"]["size"]] / 2 + shape_stroke / 2


def _clamp_to_frames(store: Records, arrow: Record, end: _End, point: Point) -> Point:
    """``clampArrowTerminalToMask``: an end outside the frames clipping its bound shape moves
    back to the nearest frame edge, along the line from its handle."""
    if end.shape is None:
        return point
    to_page = page_transform(store, arrow["id"])
    page_point = to_page.apply(*point)
    for clip in frame_clips(store, end.shape["id"]):
        if point_in_polygon(page_point, clip):
            continue
        anchor = to_page.apply(*end.handle)
        ux, uy = _unit(anchor[0] - page_point[0], anchor[1] - page_point[1])
        extended = (anchor[0] + ux, anchor[1] + uy)
        hits = segment_hits(extended, page_point, clip, closed=True)
        if hits:
            closest = min(
                hits, key=lambda h: (h[0] - page_point[0]) ** 2 + (h[1] - page_point[1]) ** 2
            )
            return to_page.inverse().apply(*closest)
        return point
    return point


# -- straight arrows -----------------------------------------------------------------------------


def _meet_outline(store: Records, end: _End, opposite: Point, point: Point) -> Point | None:
    """Where the arrow from ``opposite`` to ``point`` meets the bound shape's outline (in the
    arrow's space), or None to leave the end at its handle."""
    if end.shape is None or end.exact or end.to_target is None:
        return None
    from_ = end.to_target.apply(*opposite)
    to = end.to_target.apply(*point)
    parts = end.outline(store)
    hits = [hit for part in parts for hit in segment_hits(from_, to, part.points, part.closed)]
    if hits:
        meet = min(hits, key=lambda h: (h[0] - from_[0]) ** 2 + (h[1] - from_[1]) ** 2)
    else:
        nearest = [nearest_on_edges(to, part.points, part.closed) for part in parts]
        meet = min(nearest, key=lambda q: math.hypot(q[0] - to[0], q[1] - to[1]))
        if math.hypot(meet[0] - to[0], meet[1] - to[1]) >= 1:
            return None
    end.did_intersect = True
    return end.to_target.inverse().apply(*meet)


def _straight(store: Records, arrow: Record, start: _End, end: _End, relation: str) -> list[Point]:
    """``getStraightArrowInfo``'s start and end points."""
    props = arrow["props"]
    scale = props["scale"]
    shortest = MIN_ARROW_LENGTH * scale
    a, b = start.handle, end.handle
    if _same(a, b):
        return [a, b]
    u_ab = _unit(b[0] - a[0], b[1] - a[1])
    b = _meet_outline(store, end, start.handle, b) or b
    a = _meet_outline(store, start, end.handle, a) or a
    b = _clamp_to_frames(store, arrow, end, b)
    a = _clamp_to_frames(store, arrow, start, a)
    both = start.shape is not None and end.shape is not None
    self_bound = (
        both
        and start.shape is not None
        and end.shape is not None
        and (start.shape["id"] == end.shape["id"])
    )
    if relation == "safe" and both and not self_bound and not start.exact and not end.exact:
        if end.did_intersect and not start.did_intersect:
            if start.closed(store):
                a = (b[0] + u_ab[0] * shortest, b[1] + u_ab[1] * shortest)
        elif not end.did_intersect and end.closed(store):
            b = (a[0] - u_ab[0] * shortest, a[1] - u_ab[1] * shortest)
    u = _unit(b[0] - a[0], b[1] - a[1])
    flip = 1.0 if _same(u, u_ab) else -1.0
    offset_a = offset_b = 0.0
    min_length = shortest
    if not self_bound:
        if (
            relation != "start-contains-end"
            and start.shape is not None
            and props["arrowheadStart"] != "none"
            and not start.exact
        ):
            stroke = _head_offset(arrow, start)
            offset_a = (BOUND_ARROW_OFFSET + stroke) * scale
            min_length += stroke * scale
        if (
            relation != "end-contains-start"
            and end.shape is not None
            and props["arrowheadEnd"] != "none"
            and not end.exact
        ):
            stroke = _head_offset(arrow, end)
            offset_b = (BOUND_ARROW_OFFSET + stroke) * scale
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
    if flip < 0 and both:
        b = (a[0] - u[0] * shortest, a[1] - u[1] * shortest)
    return [a, b]


# -- bent arrows ---------------------------------------------------------------------------------


def _angle(center: Point, point: Point) -> float:
    return math.atan2(point[1] - center[1], point[0] - center[0])


def _canonical(angle: float) -> float:
    return angle % math.tau


def _clockwise(a0: float, a1: float) -> float:
    """tldraw's ``clockwiseAngleDist``."""
    a0, a1 = _canonical(a0), _canonical(a1)
    if a0 > a1:
        a1 += math.tau
    return a1 - a0


def _counter_clockwise(a0: float, a1: float) -> float:
    return math.tau - _clockwise(a0, a1)


def _on_circle(center: Point, radius: float, angle: float) -> Point:
    return (center[0] + math.cos(angle) * radius, center[1] + math.sin(angle) * radius)


@attrs.frozen
class _Arc:
    center: Point
    radius: float
    size: float
    length: float
    large_arc: int
    sweep: int


def _arc_info(a: Point, b: Point, c: Point) -> _Arc:
    """tldraw's ``getArcInfo``: the arc from ``a`` through ``c`` to ``b``."""
    center = circle_center(a, b, c) or ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
    radius = math.hypot(center[0] - a[0], center[1] - a[1])
    sweep = int((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1]) < 0)
    ab = math.hypot(a[0] - b[0], a[1] - b[1])
    bc = math.hypot(b[0] - c[0], b[1] - c[1])
    ca = math.hypot(c[0] - a[0], c[1] - a[1])
    cosine = (bc * bc + ca * ca - ab * ab) / (2 * bc * ca) if bc and ca else math.nan
    theta = math.acos(cosine) * 2 if -1 <= cosine <= 1 else math.nan
    size = (math.tau - theta) * (1 if sweep else -1)
    return _Arc(center, radius, size, size * radius, int(math.pi > theta), sweep)


def _circle_hits(center: Point, radius: float, part: Part) -> list[Point]:
    """Where a circle crosses a part's edges (tldraw's ``intersectLineSegmentCircle``)."""
    hits: list[Point] = []
    for p, q in edges(part.points, part.closed):
        dx, dy = q[0] - p[0], q[1] - p[1]
        ox, oy = p[0] - center[0], p[1] - center[1]
        qa = dx * dx + dy * dy
        qb = 2 * (dx * ox + dy * oy)
        qc = ox * ox + oy * oy - radius * radius
        determinant = qb * qb - 4 * qa * qc
        if determinant <= 0 or qa == 0:
            continue
        root = math.sqrt(determinant)
        for t in ((-qb + root) / (2 * qa), (-qb - root) / (2 * qa)):
            if 0 <= t <= 1:
                hits.append((p[0] + dx * t, p[1] + dy * t))
    return hits


def _arc_meet(
    store: Records, end: _End, arc: _Arc, *, a: Point, b: Point, share: float, clockwise: bool
) -> Point | None:
    """Where a bent arrow from ``a`` to ``b`` meets a bound end's outline (arrow space)."""
    assert end.to_target is not None
    dist = _clockwise if clockwise else _counter_clockwise
    local_a, local_b = end.to_target.apply(*a), end.to_target.apply(*b)
    center = end.to_target.apply(*arc.center)
    parts = end.outline(store)
    hits = [h for part in parts for h in _circle_hits(center, arc.radius, part)]
    point: Point | None = None
    if hits:
        to_a, to_b = _angle(center, local_a), _angle(center, local_b)
        span = dist(to_a, to_b)
        hits = [h for h in hits if dist(to_a, _angle(center, h)) <= span]
        closed = end.closed(store)
        if hits:
            target = span * share
            point = min(
                hits,
                key=(
                    (lambda h: abs(dist(to_a, _angle(center, h)) - target))
                    if closed
                    else (lambda h: dist(to_a, _angle(center, h)))
                ),
            )
    if point is None:
        if end.closed(store):
            near = local_a if share < 0.5 else local_b
            nearest = min(
                (nearest_on_edges(near, part.points, part.closed) for part in parts),
                key=lambda q: math.hypot(q[0] - near[0], q[1] - near[1]),
            )
            if math.hypot(nearest[0] - near[0], nearest[1] - near[1]) < 1:
                point = nearest
        else:
            point = local_a if share < 0.5 else local_b
    if point is None:
        return None
    end.did_intersect = True
    return end.to_target.inverse().apply(*point)


def _along(arc: _Arc, angle: float, turn: float) -> Point:
    """The point ``turn`` radians from ``angle`` on the arc's circle."""
    return _on_circle(arc.center, arc.radius, angle + turn)


def _bent(
    store: Records, arrow: Record, start: _End, end: _End, relation: str
) -> list[Point] | None:
    """``getCurvedArrowInfo``: the body arc's vertices, or None to draw it straight."""
    props = arrow["props"]
    scale, bend = props["scale"], props["bend"]
    a, b = start.handle, end.handle
    ux, uy = _unit(b[0] - a[0], b[1] - a[1])
    c = ((a[0] + b[0]) / 2 - uy * bend, (a[1] + b[1]) / 2 + ux * bend)
    if _same(a, b):
        return [a, b]
    clockwise = bend < 0
    dist = _clockwise if clockwise else _counter_clockwise
    handle = _arc_info(a, b, c)
    handle_a, handle_b = _angle(handle.center, a), _angle(handle.center, b)
    handle_span = dist(handle_a, handle_b)
    if not handle.length or not handle.size or not math.isfinite(handle.length):
        return None
    temp_a, temp_b, temp_c = a, b, c
    offset_a = offset_b = 0.0
    min_length = MIN_ARROW_LENGTH * scale
    for end_, is_start in ((start, True), (end, False)):
        if end_.shape is None or end_.exact:
            continue
        met = _arc_meet(
            store,
            end_,
            handle,
            a=temp_a,
            b=temp_b,
            share=0.25 if is_start else 0.75,
            clockwise=clockwise,
        )
        if met is None:
            continue
        if is_start:
            temp_a = met
        else:
            temp_b = met
        head = props["arrowheadStart" if is_start else "arrowheadEnd"]
        if head != "none":
            stroke = _head_offset(arrow, end_)
            if is_start:
                offset_a = (BOUND_ARROW_OFFSET + stroke) * scale
            else:
                offset_b = (BOUND_ARROW_OFFSET + stroke) * scale
            min_length += stroke * scale
    temp_a = _clamp_to_frames(store, arrow, start, temp_a)
    temp_b = _clamp_to_frames(store, arrow, end, temp_b)
    angle_a, angle_b = _angle(handle.center, temp_a), _angle(handle.center, temp_b)
    span = dist(angle_a, angle_b)
    length = span * handle.radius
    turn = 1.0 if clockwise else -1.0
    ta = _along(handle, angle_a, span * offset_a / length * turn) if offset_a else temp_a
    tb = _along(handle, angle_b, -span * offset_b / length * turn) if offset_b else temp_b
    if math.hypot(ta[0] - tb[0], ta[1] - tb[1]) < min_length:
        if offset_a and offset_b:
            offset_a, offset_b = offset_a * -1.5, offset_b * -1.5
        elif offset_a:
            offset_a *= -2
        elif offset_b:
            offset_b *= -2
        offset_a = max(offset_a, 0.1 - dist(handle_a, angle_a) * handle.radius)
        offset_b = max(offset_b, 0.1 - dist(angle_b, handle_b) * handle.radius)
    if offset_a:
        temp_a = _along(handle, angle_a, span * offset_a / length * turn)
    if offset_b:
        temp_b = _along(handle, angle_b, -span * offset_b / length * turn)
    if start.shape is not None and end.shape is not None and not start.exact and not end.exact:
        angle_a, angle_b = _angle(handle.center, temp_a), _angle(handle.center, temp_b)
        span = dist(angle_a, angle_b)
        length = span * handle.radius
        if relation == "double-bound" and length < 30:
            temp_a, temp_b, temp_c = a, b, c
        elif relation == "safe":
            if not start.did_intersect:
                temp_a = a
            if not end.did_intersect or dist(handle_a, angle_a) > dist(handle_a, angle_b):
                share = min(0.9, MIN_ARROW_LENGTH * scale / length) if length else 0.9
                temp_b = _on_circle(handle.center, handle.radius, angle_a + span * share * turn)
    temp_a, temp_b, temp_c = _place_middle(handle, temp_a, temp_b, handle_span, clockwise)
    if temp_a == temp_b:
        temp_a, temp_b = (temp_c[0] + 1, temp_c[1] + 1), (temp_c[0] - 1, temp_c[1] - 1)
    return _arc_vertices(_arc_info(temp_a, temp_b, temp_c), temp_a, temp_b)


def _place_middle(
    handle: _Arc, a: Point, b: Point, original_span: float, clockwise: bool
) -> tuple[Point, Point, Point]:
    """``placeCenterHandle``: the body's middle point, halfway along the arc from a to b (and
    the ends swapped if the arc now runs the long way round)."""
    angle_a, angle_b = _angle(handle.center, a), _angle(handle.center, b)
    span = _clockwise(angle_a, angle_b)
    if not clockwise:
        span = math.tau - span
    c = _on_circle(handle.center, handle.radius, angle_a + span * 0.5 * (1 if clockwise else -1))
    if span > original_span:
        cx, cy = handle.center
        c = (2 * cx - c[0], 2 * cy - c[1])
        a, b = b, a
    return a, b, c


def _arc_vertices(arc: _Arc, a: Point, b: Point) -> list[Point]:
    """tldraw's ``Arc2d`` vertices of the arc from ``a`` to ``b``."""
    start, finish = _angle(arc.center, a), _angle(arc.center, b)
    turn = math.fmod(finish - start, math.tau)
    measure = math.fmod(2 * turn, math.tau) - turn
    if arc.large_arc:
        measure = (math.tau - abs(measure)) * (1 if arc.sweep else -1)
    count = max(ARC_BODY_MIN_SEGMENTS, math.ceil(abs(measure * arc.radius) / ARC_BODY_SPACING))
    return [
        _on_circle(arc.center, arc.radius, start + i / count * measure) for i in range(count + 1)
    ]


def arrow_body(store: Records, arrow: Record) -> list[Point]:
    """The points of an arrow's body in its space (see the module docstring)."""
    bound = _bound_targets(store, arrow)
    start_shape = bound["start"][1] if "start" in bound else None
    end_shape = bound["end"][1] if "end" in bound else None
    relation = _relationship(store, start_shape, end_shape)
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
    props = arrow["props"]
    straight = abs(props["bend"]) < MIN_BEND * props["scale"]
    too_big = abs(props["bend"]) > abs(props["bend"] * WAY_TOO_BIG_BEND * props["scale"])
    if props["kind"] == "arc" and not straight and not too_big:
        body = _bent(store, arrow, start, end, relation)
        if body is not None:
            return body
        start.did_intersect = end.did_intersect = False
    return _straight(store, arrow, start, end, relation)


# -- labels --------------------------------------------------------------------------------------


def _length(points: list[Point]) -> float:
    return sum(math.hypot(q[0] - p[0], q[1] - p[1]) for p, q in itertools.pairwise(points))


def _interpolate(points: list[Point], t: float) -> Point:
    """The point a fraction ``t`` of the way along a polyline."""
    target = _length(points) * t
    for p, q in itertools.pairwise(points):
        step = math.hypot(q[0] - p[0], q[1] - p[1])
        if step and target <= step:
            return (p[0] + (q[0] - p[0]) * target / step, p[1] + (q[1] - p[1]) * target / step)
        target -= step
    return points[-1]


def _uninterpolate(points: list[Point], point: Point) -> float:
    """How far along a polyline (a fraction of its length) its point nearest ``point`` is."""
    total = _length(points) or 1.0
    best, best_d, walked = 0.0, math.inf, 0.0
    for p, q in itertools.pairwise(points):
        step = math.hypot(q[0] - p[0], q[1] - p[1])
        t = 0.0
        if step:
            t = ((point[0] - p[0]) * (q[0] - p[0]) + (point[1] - p[1]) * (q[1] - p[1])) / step**2
            t = max(0.0, min(1.0, t))
        d = math.hypot(p[0] + (q[0] - p[0]) * t - point[0], p[1] + (q[1] - p[1]) * t - point[1])
        if d < best_d:
            best, best_d = (walked + step * t) / total, d
        walked += step
    return best


def _label_size(arrow: Record, body: list[Point]) -> tuple[float, float]:
    props = arrow["props"]
    rich = props["richText"]
    lines = ["i"] if is_empty(rich) else paragraphs(rich)
    font_size = (
        ARROW_LABEL_FONT_SIZES.get(props["size"], ARROW_LABEL_FONT_SIZES["m"]) * props["scale"]
    )
    box = measure(lines, props["font"], font_size)
    width, height = box.w, box.h
    extent = bounding_box(body)
    squeeze: float | None = None
    if extent.w > extent.h:
        squeeze = max(min(box.w, LABEL_MARGIN), min(extent.w - LABEL_MARGIN, box.w))
    elif box.w > 16 * font_size:
        squeeze = 16 * font_size
    if squeeze is not None:
        squeezed = measure(lines, props["font"], font_size, max_width=squeeze)
        width, height = squeezed.w, squeezed.h
    padding = ARROW_LABEL_PADDING * 2 * props["scale"]
    return (width + padding, height + padding)


def _box_at(center: Point, size: tuple[float, float]) -> Box:
    return Box(center[0] - size[0] / 2, center[1] - size[1] / 2, size[0], size[1])


def _furthest_crossing(body: list[Point], box: Box, origin: Point) -> Point | None:
    crossings = [
        hit
        for p, q in itertools.pairwise(body)
        for hit in segment_hits(p, q, box.corners(), closed=True)
    ]
    if not crossings:
        return None
    return max(crossings, key=lambda h: (h[0] - origin[0]) ** 2 + (h[1] - origin[1]) ** 2)


def arrow_label(store: Records, arrow: Record, body: list[Point]) -> Box | None:
    """The box of an arrow's label in its space (None without a label or a body)."""
    props = arrow["props"]
    length = _length(body)
    if is_empty(props["richText"]) or length == 0:
        return None
    size = _label_size(arrow, body)
    stroke = STROKE_SIZES[props["size"]]
    padding = (
        LABEL_TO_ARROW
        + (stroke - STROKE_SIZES["s"]) * 2
        + (20 if stroke >= STROKE_SIZES["xl"] else 0)
    ) * props["scale"]
    relative = padding / length
    first = _furthest_crossing(body, _box_at(_interpolate(body, relative), size), body[0])
    last = _furthest_crossing(body, _box_at(_interpolate(body, 1 - relative), size), body[-1])
    low = _uninterpolate(body, first) if first is not None else 0.5
    high = _uninterpolate(body, last) if last is not None else 0.5
    if low > high:
        low = high = 0.5
    bound = _bound_targets(store, arrow)
    if props["arrowheadStart"] == "none" and "start" not in bound:
        low = 0.0
    if props["arrowheadEnd"] == "none" and "end" not in bound:
        high = 1.0
    position = min(max(props["labelPosition"], low), high)
    return _box_at(_interpolate(body, position), size)
