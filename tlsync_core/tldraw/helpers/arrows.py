"""Arrows and their bindings, as tldraw 5.4.2's editor makes them when you draw an arrow.

An arrow end is a point or a shape. An end on a shape is an *arrow binding* record
(``type`` "arrow", ``fromId`` the arrow, ``toId`` the shape) whose props say where on the shape
it points (``ArrowShapeUtil.onTerminalHandleDrag`` and ``updateArrowTargetState``):

* imprecise (the default, what a quick drag gives): ``normalizedAnchor`` (0.5, 0.5),
  ``isPrecise`` False, ``isExact`` False, ``snap`` "center" -- the arrow aims at the center
  and stops at the outline;
* precise (an ``anchor`` given): that ``normalizedAnchor`` (0..1 across the shape's bounds),
  ``isPrecise`` True, ``snap`` "none";
* exact (``exact=True``): precise, and the arrow runs into the shape up to the anchor.

Both ends on the same shape with the same anchor: the end's anchor moves right by 0.05, as in
tldraw. The arrow's parent and index are where tldraw's ``reparentArrow`` would put them (so a
client re-running it changes nothing): bound at both ends, the closest common ancestor of the two
shapes (a frame holding the other shape is that ancestor), else the page; bound at one end, the
parent asked for if the shape shares it, else the page; then just above the higher of the bound
shapes, unless only arrows are above it.

The arrow sits at its start: ``x``/``y`` is the start point (an anchor's position on a shape),
``start`` (0, 0) and ``end`` relative, in the arrow's space. tldraw draws bound ends from the
bindings; these stored points are where the ends stay if a binding goes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Unpack

import attrs

from tlsync_core.store.index_keys import get_index_between
from tlsync_core.store.records import Record
from tlsync_core.store.store import Store
from tlsync_core.tldraw.helpers._common import TextLike, named_props, one_operation
from tlsync_core.tldraw.helpers.geometry import Transform
from tlsync_core.tldraw.helpers.shape_geometry import shape_bounds
from tlsync_core.tldraw.helpers.shapes import ShapeOptions, build_shape, resolve_parent
from tlsync_core.tldraw.helpers.tree import (
    ancestors,
    children,
    get_shape,
    index_above_top,
    page_id_of,
    page_transform,
    parent_transform,
)
from tlsync_core.tldraw.ids import create_binding_id

__all__ = [
    "ArrowEnd",
    "ArrowTarget",
    "anchor_page_point",
    "arrow_binding_props",
    "arrow_bindings",
    "arrow_parent",
    "bindings_involving",
    "create_arrow",
    "nearest_sibling",
]

_CENTER = (0.5, 0.5)
_SAME_ANCHOR_NUDGE = 0.05


@attrs.frozen
class ArrowTarget:
    """An arrow end bound to a shape.

    ``anchor``: where on the shape, normalized to its bounds ((0, 0) top left, (1, 1) bottom
    right); None for an imprecise binding to the center. ``exact``: the arrow goes into the
    shape right up to the anchor instead of stopping at the outline.
    """

    shape_id: str
    anchor: tuple[float, float] | None = None
    exact: bool = False


ArrowEnd = str | tuple[float, float] | ArrowTarget
"""An arrow end: a shape id (imprecise binding), an :class:`ArrowTarget`, or a point."""


def arrow_binding_props(terminal: str, target: ArrowTarget) -> dict[str, Any]:
    """The props of the binding tldraw's editor makes for ``terminal`` bound to ``target``."""
    precise = target.anchor is not None or target.exact
    anchor = target.anchor or _CENTER
    return {
        "terminal": terminal,
        "normalizedAnchor": {"x": anchor[0], "y": anchor[1]},
        "isPrecise": precise,
        "isExact": target.exact,
        "snap": "none" if precise else "center",
    }


def bindings_involving(store: Store, shape_ids: Iterable[str]) -> list[Record]:
    """Every binding from or to one of ``shape_ids`` (by id)."""
    ids = set(shape_ids)
    return [b for b in store.query.exec("binding") if b["fromId"] in ids or b["toId"] in ids]


def arrow_bindings(store: Store, arrow_id: str) -> dict[str, Record]:
    """The arrow bindings of an arrow, by terminal (``"start"``/``"end"``; absent: unbound)."""
    return {
        b["props"]["terminal"]: b
        for b in store.query.exec("binding", {"fromId": arrow_id})
        if b["type"] == "arrow"
    }


def anchor_page_point(store: Store, shape_id: str, anchor: dict[str, Any]) -> tuple[float, float]:
    """The page position of a normalized anchor on a shape (0..1 across its geometry's
    bounds)."""
    local = shape_bounds(store, get_shape(store, shape_id)).at(anchor["x"], anchor["y"])
    return page_transform(store, shape_id).apply(*local)


def _common_parent(store: Store, start: Record, end: Record, page_id: str) -> str:
    """``reparentArrow``'s parent for an arrow bound to ``start`` and ``end``."""
    start_above = ancestors(store, start["id"])
    end_above = ancestors(store, end["id"])
    holder: Record | None = None
    if start["id"] == end["id"]:
        holder = start
    elif any(a["id"] == end["id"] for a in start_above):
        holder = end
    elif any(a["id"] == start["id"] for a in end_above):
        holder = start
    if holder is not None and holder["type"] == "frame":
        return str(holder["id"])
    end_ids = {a["id"] for a in end_above}
    return next((str(a["id"]) for a in start_above if a["id"] in end_ids), page_id)


def arrow_parent(
    store: Store, wanted: str, page_id: str, start: Record | None, end: Record | None
) -> str:
    """``reparentArrow``'s parent for an arrow in (or wanted in) ``wanted`` bound to ``start``
    and/or ``end``: the closest common ancestor of both (a frame holding the other one), else
    the page; with one end bound, ``wanted`` if the shape is in it too, else the page."""
    if start is not None and end is not None:
        return _common_parent(store, start, end, page_id)
    bound = start or end
    if bound is None or bound["parentId"] == wanted:
        return wanted
    return page_id


def nearest_sibling(store: Store, parent_id: str, shape: Record | None) -> Record | None:
    """``getShapeNearestSibling``: ``shape`` or its ancestor that is a child of ``parent_id``."""
    if shape is None:
        return None
    chain = [shape, *ancestors(store, shape["id"])]
    return next((s for s in chain if s["parentId"] == parent_id), None)


def _arrow_index(store: Store, parent_id: str, start: Record | None, end: Record | None) -> str:
    """``reparentArrow``'s index: above the higher bound shape (or its ancestor among the
    arrow's siblings), below the next non-arrow shape; on top when only arrows are above."""
    near = [s for s in (nearest_sibling(store, parent_id, t) for t in (start, end)) if s]
    if not near:
        return index_above_top(store, parent_id)
    highest = max(near, key=lambda s: str(s["index"]))
    above = [s for s in children(store, parent_id) if s["index"] > highest["index"]]
    if all(s["type"] == "arrow" for s in above):
        return index_above_top(store, parent_id)
    return get_index_between(highest["index"], above[0]["index"])


@attrs.frozen
class _Terminal:
    """One end of an arrow being made: the shape it is bound to and the binding's props, or
    None for both at a point end."""

    shape: Record | None
    binding: dict[str, Any] | None


def _terminal(store: Store, name: str, end: ArrowEnd) -> _Terminal:
    if isinstance(end, tuple):
        return _Terminal(None, None)
    target = end if isinstance(end, ArrowTarget) else ArrowTarget(end)
    return _Terminal(get_shape(store, target.shape_id), arrow_binding_props(name, target))


def _page_point(
    store: Store, end: ArrowEnd, terminal: _Terminal, space: Transform
) -> tuple[float, float]:
    """Where an end is on the page: its anchor on the bound shape, or the point in ``space``."""
    if terminal.shape is None or terminal.binding is None:
        assert isinstance(end, tuple)
        return space.apply(end[0], end[1])
    return anchor_page_point(store, terminal.shape["id"], terminal.binding["normalizedAnchor"])


def _create_arrow(
    store: Store, start: ArrowEnd, end: ArrowEnd, named: dict[str, Any], options: ShapeOptions
) -> Record:
    head, tail = _terminal(store, "start", start), _terminal(store, "end", end)
    wanted = resolve_parent(store, options.get("parent"))
    page_id = page_id_of(store, wanted)
    for shape in (head.shape, tail.shape):
        if shape is not None and page_id_of(store, shape["id"]) != page_id:
            raise ValueError(f"{shape['id']} is not on the arrow's page {page_id}")
    if (
        head.shape is not None
        and tail.shape is not None
        and head.binding is not None
        and tail.binding is not None
        and head.shape["id"] == tail.shape["id"]
        and head.binding["normalizedAnchor"] == tail.binding["normalizedAnchor"]
    ):
        tail.binding["normalizedAnchor"]["x"] += _SAME_ANCHOR_NUDGE
    space = parent_transform(store, wanted)
    page_start = _page_point(store, start, head, space)
    page_end = _page_point(store, end, tail, space)
    parent_id = arrow_parent(store, wanted, page_id, head.shape, tail.shape)
    to_parent = parent_transform(store, parent_id).inverse()
    x, y = to_parent.apply(*page_start)
    end_x, end_y = to_parent.apply(*page_end)
    rotation = options.get("rotation", 0)
    local_end = Transform(rotation=rotation).inverse().apply(end_x - x, end_y - y)
    named = {"start": {"x": 0, "y": 0}, "end": {"x": local_end[0], "y": local_end[1]}, **named}
    arrow_options: ShapeOptions = {
        **options,
        "parent": parent_id,
        "index": options.get("index") or _arrow_index(store, parent_id, head.shape, tail.shape),
    }
    arrow = build_shape(store, "arrow", x=x, y=y, named=named, **arrow_options)
    bindings = [
        {
            "id": create_binding_id(),
            "typeName": "binding",
            "type": "arrow",
            "fromId": arrow["id"],
            "toId": terminal.shape["id"],
            "props": terminal.binding,
            "meta": {},
        }
        for terminal in (head, tail)
        if terminal.shape is not None
    ]
    store.put([arrow])
    if bindings:
        store.put(bindings)
    stored = store.get(arrow["id"])
    assert stored is not None
    return stored


def create_arrow(
    store: Store,
    *,
    start: ArrowEnd,
    end: ArrowEnd,
    text: TextLike | None = None,
    kind: str | None = None,
    color: str | None = None,
    label_color: str | None = None,
    fill: str | None = None,
    dash: str | None = None,
    size: str | None = None,
    font: str | None = None,
    arrowhead_start: str | None = None,
    arrowhead_end: str | None = None,
    bend: float | None = None,
    label_position: float | None = None,
    **options: Unpack[ShapeOptions],
) -> Record:
    """An arrow from ``start`` to ``end`` and a binding for each end on a shape (see the module
    docstring), in one operation; returns the arrow (its bindings: :func:`arrow_bindings`).

    Point ends are in the space of the ``parent`` option (the current page by default); shapes
    must be on that page (ValueError otherwise; LookupError for missing shapes).
    """
    named = named_props(
        text=text,
        kind=kind,
        color=color,
        label_color=label_color,
        fill=fill,
        dash=dash,
        size=size,
        font=font,
        arrowhead_start=arrowhead_start,
        arrowhead_end=arrowhead_end,
        bend=bend,
        label_position=label_position,
    )
    return one_operation(store, lambda: _create_arrow(store, start, end, named, options))
