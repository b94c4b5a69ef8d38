"""Reading a board as tldraw 5.4.2's editor does: bounds, hit tests, connections, frames.

* :func:`page_bounds` is ``editor.getShapePageBounds``: the axis-aligned box of the shape's
  geometry (:mod:`.shape_geometry`) moved to the page -- rotations and parents (frames, groups)
  included, an arrow's ends where its bindings put them now.
* :func:`shapes_at_point` is ``editor.getShapesAtPoint``: the shapes of the current page whose
  geometry is hit (inside a closed outline when filled or with ``hit_inside``, or within
  ``margin`` of an edge), the topmost first; a shape inside frames is hit only inside them
  (frames clip what they hold).
* :func:`shapes_in_bounds`: the shapes whose page bounds touch a box, in paint order.
* :func:`connections`: what each arrow joins; :func:`frame_of` and :func:`frame_members`.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from tlsync_core.store.store import Store
from tlsync_core.tldraw.helpers.geometry import Box
from tlsync_core.tldraw.helpers.shape_geometry import (
    frame_clips,
    point_in_polygon,
    shape_bounds,
    shape_parts,
)
from tlsync_core.tldraw.helpers.tree import (
    Records,
    ancestors,
    descendant_ids,
    get_shape,
    page_transform,
    shapes_on_page,
)

__all__ = [
    "Connection",
    "connections",
    "frame_members",
    "frame_of",
    "page_bounds",
    "shapes_at_point",
    "shapes_in_bounds",
]


def page_bounds(store: Records, shape_id: str) -> Box:
    """A shape's axis-aligned bounds on its page. LookupError for a missing shape."""
    shape = get_shape(store, shape_id)
    transform = page_transform(store, shape_id)
    points = [
        transform.apply(*p)
        for part in shape_parts(store, shape)
        if part.in_bounds
        for p in part.points
    ]
    if not points:
        return shape_bounds(store, shape).transformed(transform)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return Box(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def _inside_frames(store: Store, shape_id: str, point: tuple[float, float]) -> bool:
    return all(point_in_polygon(point, clip) for clip in frame_clips(store, shape_id))


def shapes_at_point(
    store: Store,
    x: float,
    y: float,
    *,
    margin: float = 0.0,
    hit_inside: bool = True,
    page_id: str | None = None,
) -> list[str]:
    """The ids of the shapes at page point ``(x, y)`` on a page (default: the current page),
    the topmost first (see the module docstring)."""
    hits: list[str] = []
    for shape in reversed(shapes_on_page(store, page_id)):
        if not _inside_frames(store, shape["id"], (x, y)):
            continue
        local = page_transform(store, shape["id"]).inverse().apply(x, y)
        parts = [part for part in shape_parts(store, shape) if not part.label]
        if any(part.hit(local, margin, hit_inside) for part in parts):
            hits.append(str(shape["id"]))
    return hits


def _touches(a: Box, b: Box) -> bool:
    return a.x <= b.x + b.w and b.x <= a.x + a.w and a.y <= b.y + b.h and b.y <= a.y + a.h


def shapes_in_bounds(store: Store, box: Box, *, page_id: str | None = None) -> list[str]:
    """The ids of the shapes of a page (default: the current page) whose page bounds touch
    ``box`` (tldraw's ``getShapeIdsInsideBounds``), in paint order."""
    return [
        str(shape["id"])
        for shape in shapes_on_page(store, page_id)
        if _touches(page_bounds(store, shape["id"]), box)
    ]


@attrs.frozen
class Connection:
    """An arrow and the shapes its ends are bound to (None: a free end)."""

    arrow_id: str
    start_id: str | None
    end_id: str | None


def connections(store: Store, shape_ids: Iterable[str] | None = None) -> list[Connection]:
    """Every arrow with a bound end, in paint order of the current page -- or, given
    ``shape_ids``, only the arrows bound to one of them. Bindings to shapes no longer in the
    store are not connections."""
    wanted = None if shape_ids is None else set(shape_ids)
    result: list[Connection] = []
    for shape in shapes_on_page(store):
        if shape["type"] != "arrow":
            continue
        ends: dict[str, str] = {}
        for binding in store.query.exec("binding", {"fromId": shape["id"]}):
            if binding["type"] == "arrow" and store.get(binding["toId"]) is not None:
                ends[binding["props"]["terminal"]] = str(binding["toId"])
        if not ends or (wanted is not None and not wanted & set(ends.values())):
            continue
        result.append(Connection(str(shape["id"]), ends.get("start"), ends.get("end")))
    return result


def frame_of(store: Store, shape_id: str) -> str | None:
    """The innermost frame holding a shape, or None."""
    return next((str(a["id"]) for a in ancestors(store, shape_id) if a["type"] == "frame"), None)


def frame_members(store: Store, frame_id: str) -> list[str]:
    """Every shape inside a frame (nested ones too), in paint order."""
    return descendant_ids(store, frame_id)
