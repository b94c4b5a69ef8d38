"""Creating shapes the way tldraw 5.4.2's editor does (``Editor.createShapes``).

Every ``create_*`` helper writes one shape (the arrow helper: an arrow and its bindings) in one
store operation and returns the record as stored. A new shape gets:

* the base fields ``x``, ``y`` (in its parent's space), ``rotation`` 0, ``isLocked`` False,
  ``opacity`` (the instance's ``opacityForNextShape``, else 1) and ``meta`` ``{}``;
* ``parentId``: the ``parent`` option (a page or shape in the store), else the current page
  (:func:`~tlsync_core.tldraw.helpers.tree.current_page_id`). Unlike tldraw's pointer tools, a
  shape is never dropped into a frame under its position: pass ``parent`` for that;
* ``index``: the ``index`` option, else a jittered index above the parent's top child, so two
  bots adding "on top" at once rarely pick the same index;
* props: tldraw's defaults (:mod:`.defaults`), then the instance's ``stylesForNextShape``, then
  the helper's keyword arguments (snake_case names of tldraw's props; None means "default"),
  then the ``props`` option as given (tldraw's camelCase names, for anything else).

A geo shape or note with a label is sized to it as tldraw's editor sizes the shapes it creates
(``growY``, a note's ``fontSizeAdjustment``; :mod:`.sizing`). The store validates the record:
invalid props raise the schema's validation error and nothing
is written.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, Unpack

from tlsync_core.store.records import Record
from tlsync_core.store.store import Store
from tlsync_core.tldraw.b64vecs import DIM_2D, B64Vecs
from tlsync_core.tldraw.helpers._common import TextLike, named_props, one_operation
from tlsync_core.tldraw.helpers.defaults import (
    BASE_SHAPE_DEFAULTS,
    SHAPE_DEFAULT_PROPS,
    default_props,
    line_points,
    opacity_for_next_shape,
    styles_for_next_shape,
)
from tlsync_core.tldraw.helpers.sizing import fit_geo, fit_note
from tlsync_core.tldraw.helpers.tree import current_page_id, get_page, get_shape, index_above_top
from tlsync_core.tldraw.ids import create_shape_id, is_shape_id

__all__ = [
    "Point",
    "ShapeOptions",
    "build_shape",
    "create_draw",
    "create_frame",
    "create_geo",
    "create_highlight",
    "create_line",
    "create_note",
    "create_shape",
    "create_text",
    "resolve_parent",
]

Point = tuple[float, float] | tuple[float, float, float]
"""A point ``(x, y)``, or ``(x, y, pressure)`` for pen strokes."""


class ShapeOptions(TypedDict, total=False):
    """Options of every ``create_*`` helper (all optional; see the module docstring)."""

    parent: str | None
    """The page or shape to create the shape in (default: the current page)."""
    id: str | None
    """The new shape's id (default: ``create_shape_id()``); it must not exist yet."""
    index: str | None
    """Its index among its siblings (default: above the top one, jittered)."""
    rotation: float
    """Its rotation in radians, relative to its parent (default 0)."""
    opacity: float | None
    """Its opacity in [0, 1] (default: the instance's ``opacityForNextShape``, else 1)."""
    is_locked: bool
    """Whether it is locked (default False)."""
    meta: Mapping[str, Any] | None
    """Its ``meta`` (default ``{}``)."""
    props: Mapping[str, Any] | None
    """tldraw props applied last, as given (camelCase names)."""


def resolve_parent(store: Store, parent: str | None) -> str:
    """The parent id to use: ``parent`` (which must be a page or shape of the store) or the
    current page. Raises LookupError for a missing parent."""
    if parent is None:
        return current_page_id(store)
    if is_shape_id(parent):
        get_shape(store, parent)
    else:
        get_page(store, parent)
    return parent


def build_shape(
    store: Store,
    shape_type: str,
    *,
    x: float = 0,
    y: float = 0,
    named: Mapping[str, Any] | None = None,
    **options: Unpack[ShapeOptions],
) -> Record:
    """The record :func:`create_shape` would write (not written): ``named`` are props from
    keyword arguments (camelCase), applied before ``options["props"]``.

    Raises ValueError for an id already in the store, LookupError for a missing parent.
    """
    shape_id = options.get("id") or create_shape_id()
    if store.get(shape_id) is not None:
        raise ValueError(f"a record {shape_id!r} already exists")
    parent_id = resolve_parent(store, options.get("parent"))
    props = default_props(shape_type) if shape_type in SHAPE_DEFAULT_PROPS else {}
    props.update(styles_for_next_shape(store, shape_type))
    props.update(copy.deepcopy(dict(named or {})))
    props.update(copy.deepcopy(dict(options.get("props") or {})))
    given = {
        "rotation": options.get("rotation"),
        "isLocked": options.get("is_locked"),
        "opacity": options.get("opacity"),
        "meta": copy.deepcopy(dict(meta)) if (meta := options.get("meta")) is not None else None,
    }
    if shape_type == "geo":
        props = fit_geo(props)
    elif shape_type == "note":
        props = fit_note(props)
    return {
        **copy.deepcopy(dict(BASE_SHAPE_DEFAULTS)),
        "opacity": opacity_for_next_shape(store),
        **{field: value for field, value in given.items() if value is not None},
        "id": shape_id,
        "typeName": "shape",
        "type": shape_type,
        "x": x,
        "y": y,
        "parentId": parent_id,
        "index": options.get("index") or index_above_top(store, parent_id),
        "props": props,
    }


def _put_new(store: Store, record: Record) -> Record:
    store.put([record])
    stored = store.get(record["id"])
    assert stored is not None
    return stored


def create_shape(
    store: Store,
    shape_type: str,
    *,
    x: float = 0,
    y: float = 0,
    **options: Unpack[ShapeOptions],
) -> Record:
    """Create a shape of any type (tldraw's default props for the default types; a custom
    type gets only ``props``) and return it as stored."""
    return one_operation(
        store, lambda: _put_new(store, build_shape(store, shape_type, x=x, y=y, **options))
    )


def _create(
    store: Store,
    shape_type: str,
    *,
    x: float,
    y: float,
    named: Mapping[str, Any],
    options: ShapeOptions,
) -> Record:
    return one_operation(
        store,
        lambda: _put_new(store, build_shape(store, shape_type, x=x, y=y, named=named, **options)),
    )


def create_geo(
    store: Store,
    *,
    x: float = 0,
    y: float = 0,
    w: float | None = None,
    h: float | None = None,
    geo: str | None = None,
    text: TextLike | None = None,
    color: str | None = None,
    fill: str | None = None,
    dash: str | None = None,
    size: str | None = None,
    font: str | None = None,
    align: str | None = None,
    vertical_align: str | None = None,
    label_color: str | None = None,
    url: str | None = None,
    **options: Unpack[ShapeOptions],
) -> Record:
    """A geo shape (rectangle by default; ``geo`` is one of tldraw's geo styles: ellipse,
    triangle, star, cloud...) of ``w`` x ``h`` (default 100 x 100) with an optional label."""
    named = named_props(
        w=w,
        h=h,
        geo=geo,
        text=text,
        color=color,
        fill=fill,
        dash=dash,
        size=size,
        font=font,
        align=align,
        vertical_align=vertical_align,
        label_color=label_color,
        url=url,
    )
    return _create(store, "geo", x=x, y=y, named=named, options=options)


def create_text(
    store: Store,
    *,
    x: float = 0,
    y: float = 0,
    text: TextLike = "",
    color: str | None = None,
    size: str | None = None,
    font: str | None = None,
    text_align: str | None = None,
    w: float | None = None,
    auto_size: bool | None = None,
    **options: Unpack[ShapeOptions],
) -> Record:
    """A text shape. By default it sizes itself to its text (``autoSize``, as tldraw's text
    tool makes them); giving ``w`` fixes its width (``autoSize`` False unless given)."""
    if w is not None and auto_size is None:
        auto_size = False
    named = named_props(
        text=text,
        color=color,
        size=size,
        font=font,
        text_align=text_align,
        w=w,
        auto_size=auto_size,
    )
    return _create(store, "text", x=x, y=y, named=named, options=options)


def create_note(
    store: Store,
    *,
    x: float = 0,
    y: float = 0,
    text: TextLike | None = None,
    color: str | None = None,
    size: str | None = None,
    font: str | None = None,
    align: str | None = None,
    vertical_align: str | None = None,
    label_color: str | None = None,
    url: str | None = None,
    **options: Unpack[ShapeOptions],
) -> Record:
    """A sticky note (200 x 200 at scale 1; its position is its top left corner)."""
    named = named_props(
        text=text,
        color=color,
        size=size,
        font=font,
        align=align,
        vertical_align=vertical_align,
        label_color=label_color,
        url=url,
    )
    return _create(store, "note", x=x, y=y, named=named, options=options)


def create_frame(
    store: Store,
    *,
    x: float = 0,
    y: float = 0,
    w: float | None = None,
    h: float | None = None,
    name: str | None = None,
    color: str | None = None,
    **options: Unpack[ShapeOptions],
) -> Record:
    """A frame (default 320 x 180, no name). Shapes go in it with ``parent=<frame id>``, at
    positions relative to its top left corner (or moved in with
    :func:`~tlsync_core.tldraw.helpers.edit.reparent`)."""
    named = named_props(w=w, h=h, name=name, color=color)
    return _create(store, "frame", x=x, y=y, named=named, options=options)


def _relative(points: Sequence[Point], minimum: int, what: str) -> list[tuple[float, ...]]:
    """``points`` relative to the first one (which becomes the shape's position); a pressure
    stays as it is."""
    if len(points) < minimum:
        raise ValueError(f"{what} needs at least {minimum} point(s), got {len(points)}")
    x0, y0 = points[0][0], points[0][1]
    return [(p[0] - x0, p[1] - y0, *p[2:]) for p in points]


def create_line(
    store: Store,
    *,
    points: Sequence[tuple[float, float]],
    color: str | None = None,
    dash: str | None = None,
    size: str | None = None,
    spline: str | None = None,
    **options: Unpack[ShapeOptions],
) -> Record:
    """A line (``spline`` "line" or "cubic") through ``points`` (at least 2), given in the
    parent's space. The shape sits at the first point; its points are stored relative to it,
    keyed by index keys (``a1`` then jittered keys above it)."""
    relative = _relative(points, 2, "a line")
    named = named_props(
        color=color,
        dash=dash,
        size=size,
        spline=spline,
        points=line_points([(p[0], p[1]) for p in relative]),
    )
    return _create(store, "line", x=points[0][0], y=points[0][1], named=named, options=options)


def _stroke_props(points: Sequence[Point]) -> dict[str, Any]:
    """The ``segments`` and ``isPen`` of one finished freehand stroke through ``points``.

    As tldraw's draw tool records them: one ``free`` segment starting at (0, 0); mouse strokes
    (2D points) are encoded without pressure (``dim`` 2), pen strokes (any 3D point) with it
    (3D, 0.5 where a point has none).
    """
    relative = _relative(points, 1, "a stroke")
    is_pen = any(len(p) > 2 for p in points)
    vectors = [
        {"x": p[0], "y": p[1], **({"z": p[2] if len(p) > 2 else 0.5} if is_pen else {})}
        for p in relative
    ]
    segment: dict[str, Any]
    if is_pen:
        segment = {"type": "free", "path": B64Vecs.encode_points(vectors)}
    else:
        segment = {"type": "free", "path": B64Vecs.encode_points(vectors, DIM_2D), "dim": DIM_2D}
    return {"segments": [segment], "isPen": is_pen, "isComplete": True}


def create_draw(
    store: Store,
    *,
    points: Sequence[Point],
    color: str | None = None,
    fill: str | None = None,
    dash: str | None = None,
    size: str | None = None,
    is_closed: bool | None = None,
    **options: Unpack[ShapeOptions],
) -> Record:
    """A finished freehand stroke through ``points`` (in the parent's space; see
    :func:`_stroke_props` for the encoding). ``is_closed`` with ``fill`` makes a filled blob."""
    named = {
        **_stroke_props(points),
        **named_props(color=color, fill=fill, dash=dash, size=size, is_closed=is_closed),
    }
    return _create(store, "draw", x=points[0][0], y=points[0][1], named=named, options=options)


def create_highlight(
    store: Store,
    *,
    points: Sequence[Point],
    color: str | None = None,
    size: str | None = None,
    **options: Unpack[ShapeOptions],
) -> Record:
    """A finished highlighter stroke through ``points`` (encoded as for :func:`create_draw`)."""
    named = {**_stroke_props(points), **named_props(color=color, size=size)}
    return _create(store, "highlight", x=points[0][0], y=points[0][1], named=named, options=options)
