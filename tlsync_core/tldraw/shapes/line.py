"""The line shape (``shapes/TLLineShape.ts``): a polyline whose points are keyed by index.

Two migrations generate index keys with tldraw's ``getIndices``, which outside tldraw's own
tests jitters the keys at random; :func:`get_indices` here does the same, so only the first
key (``a1``) and the order of the keys are predictable.
"""

from __future__ import annotations

import functools
from typing import Any, Final

from tlsync_core.store.index_keys import get_indices
from tlsync_core.store.jsvalue import UNDEFINED, to_string
from tlsync_core.store.validators import T, Validator
from tlsync_core.tldraw.props import (
    PropsMigration,
    PropsMigrations,
    create_shape_props_migration_ids,
    create_shape_props_migration_sequence,
)
from tlsync_core.tldraw.shapes.common import (
    Props,
    add_props,
    as_object,
    js_entries,
    js_object,
    js_property,
    js_values,
)
from tlsync_core.tldraw.styles import (
    DefaultColorStyle,
    DefaultDashStyle,
    DefaultSizeStyle,
    LineShapeSplineStyle,
)

__all__ = [
    "line_shape_migrations",
    "line_shape_point",
    "line_shape_props",
    "line_shape_versions",
]

line_shape_point: Final = T.object(
    {"id": T.string, "index": T.index_key, "x": T.number, "y": T.number}
)
"""One point of a line (``TLLineShapePoint``): its id, its index key and its position."""

line_shape_props: Final[dict[str, Validator[Any]]] = {
    "color": DefaultColorStyle,
    "dash": DefaultDashStyle,
    "size": DefaultSizeStyle,
    "spline": LineShapeSplineStyle,
    "points": T.dict(T.string, line_shape_point),
    "scale": T.non_zero_number,
}
"""The validators of a line shape's props, in tldraw's order."""

line_shape_versions: Final = create_shape_props_migration_ids(
    "line",
    {
        "AddSnapHandles": 1,
        "RemoveExtraHandleProps": 2,
        "HandlesToPoints": 3,
        "PointIndexIds": 4,
        "AddScale": 5,
    },
)
"""Migration name -> ``com.tldraw.shape.line/<n>``."""


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-be", "surrogatepass")


def _index_order(a: object, b: object) -> int:
    """tldraw's ``sortByIndex``: compares ``index`` with JavaScript's ``<`` on strings."""
    left = js_property(a, "index")
    right = js_property(b, "index")
    if not isinstance(left, str) or not isinstance(right, str):
        left, right = to_string(left), to_string(right)
    if _utf16(left) < _utf16(right):
        return -1
    if _utf16(left) > _utf16(right):
        return 1
    return 0


def _sorted_by_index(items: list[Any]) -> list[Any]:
    return sorted(items, key=functools.cmp_to_key(_index_order))


def _xy(point: object) -> Props:
    return js_object({"x": js_property(point, "x"), "y": js_property(point, "y")})


def _add_snap_handles(props: Props) -> None:
    for handle in js_values(props.get("handles", UNDEFINED)):
        as_object(handle)["canSnap"] = True


def _handles_by_index(props: Props) -> None:
    """``{id: handle}`` -> ``{index: {x, y}}``."""
    props["handles"] = {
        to_string(js_property(handle, "index")): _xy(handle)
        for handle in js_values(props.get("handles", UNDEFINED))
    }


def _handles_by_id(props: Props) -> None:
    """``{index: {x, y}}`` -> full handles keyed ``start``, ``handle:<index>``..., ``end``."""
    handles = _sorted_by_index(
        [{"index": index, **as_object(h)} for index, h in js_entries(props.get("handles"))]
    )
    result: Props = {}
    for i, handle in enumerate(handles):
        index = handle["index"]
        handle_id = (
            "start" if i == 0 else "end" if i == len(handles) - 1 else f"handle:{to_string(index)}"
        )
        result[handle_id] = js_object(
            {
                "id": handle_id,
                "type": "vertex",
                "canBind": False,
                "canSnap": True,
                "index": index,
                "x": handle.get("x", UNDEFINED),
                "y": handle.get("y", UNDEFINED),
            }
        )
    props["handles"] = result


def _handles_to_points(props: Props) -> None:
    """``{index: {x, y}}`` -> ``points: [{x, y}]`` in index order."""
    handles = [
        js_object({**_xy(h), "index": index}) for index, h in js_entries(props.get("handles"))
    ]
    props["points"] = [_xy(h) for h in _sorted_by_index(handles)]
    props.pop("handles", None)


def _points_to_handles(props: Props) -> None:
    points = props.get("points", UNDEFINED)
    if not isinstance(points, list):
        raise TypeError("Cannot read properties of points")
    indices = get_indices(len(points))
    props["handles"] = {indices[i]: _xy(point) for i, point in enumerate(points)}
    props.pop("points", None)


def _points_by_index(props: Props) -> None:
    """``points: [{x, y}]`` -> ``{index: {id: index, index, x, y}}`` with fresh index keys."""
    points = props.get("points", UNDEFINED)
    if not isinstance(points, list):
        raise TypeError("props.points.map is not a function")
    indices = get_indices(len(points))
    props["points"] = {
        indices[i]: js_object({"id": indices[i], "index": indices[i], **_xy(point)})
        for i, point in enumerate(points)
    }


def _points_to_list(props: Props) -> None:
    points = _sorted_by_index(js_values(props.get("points", UNDEFINED)))
    props["points"] = [_xy(point) for point in points]


_V = line_shape_versions

line_shape_migrations: Final[PropsMigrations] = create_shape_props_migration_sequence(
    [
        PropsMigration(_V["AddSnapHandles"], _add_snap_handles, "retired"),
        PropsMigration(_V["RemoveExtraHandleProps"], _handles_by_index, _handles_by_id),
        PropsMigration(_V["HandlesToPoints"], _handles_to_points, _points_to_handles),
        PropsMigration(_V["PointIndexIds"], _points_by_index, _points_to_list),
        add_props(_V["AddScale"], {"scale": 1}),
    ]
)
"""The line shape's props migrations (sequence ``com.tldraw.shape.line``, retroactive)."""
