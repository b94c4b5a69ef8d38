"""The props tldraw 5.4.2's editor gives a new shape of each default type.

They are not in the schema (``@tldraw/tlschema``) but in each ShapeUtil's ``getDefaultProps()``
(package ``tldraw``: ``src/lib/shapes/*/*ShapeUtil.tsx``; the group's in ``@tldraw/editor``).
The editor then replaces each style prop by the instance's ``stylesForNextShape`` value for that
style, when it has one (:func:`styles_for_next_shape`), and the record's ``opacity`` by the
instance's ``opacityForNextShape``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, Final

from tlsync_core.store.index_keys import get_indices
from tlsync_core.store.records import Record
from tlsync_core.store.store import Store
from tlsync_core.tldraw.ids import TLINSTANCE_ID
from tlsync_core.tldraw.misc import to_rich_text
from tlsync_core.tldraw.props import get_shape_prop_keys_by_style
from tlsync_core.tldraw.shapes import DEFAULT_SHAPE_PROPS

__all__ = [
    "BASE_SHAPE_DEFAULTS",
    "SHAPE_DEFAULT_PROPS",
    "default_props",
    "line_points",
    "opacity_for_next_shape",
    "styles_for_next_shape",
]

_EMPTY_TEXT: Final = to_rich_text("")

# bookmarks.ts: BOOKMARK_WIDTH, BOOKMARK_HEIGHT
_BOOKMARK_W: Final = 300
_BOOKMARK_H: Final = 320

SHAPE_DEFAULT_PROPS: Final[Mapping[str, Mapping[str, Any]]] = {
    "arrow": {
        "kind": "arc",
        "elbowMidPoint": 0.5,
        "dash": "draw",
        "size": "m",
        "fill": "none",
        "color": "black",
        "labelColor": "black",
        "bend": 0,
        "start": {"x": 0, "y": 0},
        "end": {"x": 2, "y": 0},
        "arrowheadStart": "none",
        "arrowheadEnd": "arrow",
        "richText": _EMPTY_TEXT,
        "labelPosition": 0.5,
        "font": "draw",
        "scale": 1,
    },
    "bookmark": {"url": "", "w": _BOOKMARK_W, "h": _BOOKMARK_H, "assetId": None},
    "draw": {
        "segments": [],
        "color": "black",
        "fill": "none",
        "dash": "draw",
        "size": "m",
        "isComplete": False,
        "isClosed": False,
        "isPen": False,
        "scale": 1,
        "scaleX": 1,
        "scaleY": 1,
    },
    "embed": {"w": 300, "h": 300, "url": ""},
    "frame": {"w": 160 * 2, "h": 90 * 2, "name": "", "color": "black"},
    "geo": {
        "w": 100,
        "h": 100,
        "geo": "rectangle",
        "dash": "draw",
        "growY": 0,
        "url": "",
        "scale": 1,
        "flipX": False,
        "flipY": False,
        "color": "black",
        "labelColor": "black",
        "fill": "none",
        "size": "m",
        "font": "draw",
        "align": "middle",
        "verticalAlign": "middle",
        "richText": _EMPTY_TEXT,
    },
    "group": {},
    "highlight": {
        "segments": [],
        "color": "black",
        "size": "m",
        "isComplete": False,
        "isPen": False,
        "scale": 1,
        "scaleX": 1,
        "scaleY": 1,
    },
    "image": {
        "w": 100,
        "h": 100,
        "assetId": None,
        "playing": True,
        "url": "",
        "crop": None,
        "flipX": False,
        "flipY": False,
        "altText": "",
    },
    # "points" are made per shape: two points with fresh index keys (see default_props)
    "line": {"dash": "draw", "size": "m", "color": "black", "spline": "line", "scale": 1},
    "note": {
        "color": "black",
        "richText": _EMPTY_TEXT,
        "size": "m",
        "font": "draw",
        "align": "middle",
        "verticalAlign": "middle",
        "labelColor": "black",
        "growY": 0,
        "fontSizeAdjustment": 1,
        "url": "",
        "scale": 1,
        "textLastEditedBy": None,
    },
    "text": {
        "color": "black",
        "size": "m",
        "w": 8,
        "font": "draw",
        "textAlign": "start",
        "autoSize": True,
        "scale": 1,
        "richText": _EMPTY_TEXT,
    },
    "video": {
        "w": 100,
        "h": 100,
        "assetId": None,
        "autoplay": True,  # VideoShapeUtil's default options
        "url": "",
        "altText": "",
        "time": 0,
        "playing": True,
    },
}
"""Shape type -> ``getDefaultProps()`` (the line's ``points`` aside). Read-only: copy first."""

# line's default points: LineShapeUtil's (0, 0) and (0.1, 0.1)
_LINE_DEFAULT_POINTS: Final = ((0.0, 0.0), (0.1, 0.1))

BASE_SHAPE_DEFAULTS: Final[Mapping[str, Any]] = {
    "x": 0,
    "y": 0,
    "rotation": 0,
    "isLocked": False,
    "opacity": 1,
    "meta": {},
}
"""The fields every new shape starts with (the shape record type's default properties)."""


def line_points(points: Sequence[tuple[float, float]]) -> dict[str, dict[str, Any]]:
    """A line's ``points`` prop: ``{index: {id: index, index, x, y}}`` with index keys ``a1``
    and jittered keys above it, in the order of ``points``."""
    keys = get_indices(len(points) - 1) if points else []
    return {
        key: {"id": key, "index": key, "x": x, "y": y}
        for key, (x, y) in zip(keys, points, strict=True)
    }


def default_props(shape_type: str) -> dict[str, Any]:
    """A fresh copy of tldraw's default props for ``shape_type`` (KeyError if unknown)."""
    props = copy.deepcopy(dict(SHAPE_DEFAULT_PROPS[shape_type]))
    if shape_type == "line":
        props["points"] = line_points(_LINE_DEFAULT_POINTS)
    return props


def _instance(store: Store) -> Record | None:
    return store.get(TLINSTANCE_ID)


def styles_for_next_shape(store: Store, shape_type: str) -> dict[str, Any]:
    """The props the store's instance sets through ``stylesForNextShape`` for a new shape of
    ``shape_type`` (prop name -> value; empty without an instance record)."""
    instance = _instance(store)
    info = DEFAULT_SHAPE_PROPS.get(shape_type)
    if instance is None or info is None or not isinstance(info.props, Mapping):
        return {}
    styles = instance["stylesForNextShape"]
    return {
        prop: styles[style.id]
        for style, prop in get_shape_prop_keys_by_style(info.props).items()
        if style.id in styles
    }


def opacity_for_next_shape(store: Store) -> float:
    """The instance's ``opacityForNextShape`` (1 without an instance record)."""
    instance = _instance(store)
    if instance is None:
        return 1
    opacity: float = instance["opacityForNextShape"]
    return opacity
