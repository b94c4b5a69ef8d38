"""tldraw 5.4.2 records for the protocol benchmarks (``bench.protocol_codec``,
``bench.protocol_diff`` and ``bench.client``).

Every prop is present, in the order tldraw 5.4.2 writes it, so the JSON texts both sides handle
are those a tldraw client would send. Each call builds fresh dicts.
"""

from __future__ import annotations

from typing import Any


def geo_props(w: float = 100, h: float = 80) -> dict[str, Any]:
    """A geo shape's props: a ``w`` x ``h`` rectangle, everything else the default."""
    return {
        "w": w,
        "h": h,
        "geo": "rectangle",
        "dash": "draw",
        "growY": 0,
        "url": "",
        "scale": 1,
        "color": "black",
        "labelColor": "black",
        "fill": "none",
        "size": "m",
        "font": "draw",
        "align": "middle",
        "verticalAlign": "middle",
        "richText": {"type": "doc", "content": [{"type": "paragraph"}]},
        "flipX": False,
        "flipY": False,
    }


def shape_record(
    shape_id: str, shape_type: str, props: dict[str, Any], *, x: float, y: float, index: str
) -> dict[str, Any]:
    """A shape record on the page ``page:page``, unrotated, unlocked and opaque."""
    return {
        "x": x,
        "y": y,
        "rotation": 0,
        "isLocked": False,
        "opacity": 1,
        "meta": {},
        "id": shape_id,
        "type": shape_type,
        "props": props,
        "parentId": "page:page",
        "index": index,
        "typeName": "shape",
    }
