"""The shape record type and the migrations of every shape (``records/TLShape.ts``).

Shapes are one record type, ``shape``, whose ``type`` field picks the props validator; the
root sequence ``com.tldraw.shape`` migrates the fields every shape has.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from tlsync_core.store.jsvalue import UNDEFINED
from tlsync_core.store.records import RecordType
from tlsync_core.tldraw._migrators import adds, get, noop, put, record_sequence, removes, to_number
from tlsync_core.tldraw.props import (
    ShapeProps,
    create_shape_validator,
    create_subtyped_record_type,
)

__all__ = ["create_shape_record_type", "root_shape_migrations"]


_SHAPE_DEFAULTS: Final = {
    "x": 0,
    "y": 0,
    "rotation": 0,
    "isLocked": False,
    "opacity": 1,
    "meta": {},
}


def create_shape_record_type(shapes: Mapping[str, ShapeProps]) -> RecordType:
    """The ``shape`` record type for these shape types (a union on ``type``)."""
    return create_subtyped_record_type("shape", shapes, create_shape_validator, _SHAPE_DEFAULTS)


def _hoist_opacity_up(record: dict[str, Any]) -> None:
    props = get(record, "props")
    opacity = get(props, "opacity")
    record["opacity"] = to_number("1" if opacity is None or opacity is UNDEFINED else opacity)
    props.pop("opacity", None)


# HoistOpacity down: the old opacity names, each for opacities below its bound
_OPACITY_NAMES: Final = ((0.175, "0.1"), (0.375, "0.25"), (0.625, "0.5"), (0.875, "0.75"))


def _hoist_opacity_down(record: dict[str, Any]) -> None:
    opacity = to_number(record.pop("opacity", UNDEFINED))
    name = next((name for bound, name in _OPACITY_NAMES if opacity < bound), "1")
    put(get(record, "props"), "opacity", name)


def _white_to_black(record: dict[str, Any]) -> None:
    props = get(record, "props")
    if get(props, "color") == "white":
        props["color"] = "black"


root_shape_migrations: Final = record_sequence(
    "com.tldraw.shape",
    "shape",
    [
        ("AddIsLocked", adds(isLocked=False), removes("isLocked")),
        ("HoistOpacity", _hoist_opacity_up, _hoist_opacity_down),
        ("AddMeta", adds(meta=dict), None),
        ("AddWhite", noop, _white_to_black),
    ],
)
