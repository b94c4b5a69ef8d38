"""The draw shape (``shapes/TLDrawShape.ts``): freehand strokes stored as base64 segments."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from tlsync_core.store.jsvalue import js_truthy, strict_equals
from tlsync_core.store.validators import ObjectValidator, T, Validator
from tlsync_core.tldraw.misc import DIM_2D, DIM_3D, B64Vecs
from tlsync_core.tldraw.props import (
    PropsMigration,
    PropsMigrations,
    create_shape_props_migration_ids,
    create_shape_props_migration_sequence,
)
from tlsync_core.tldraw.shapes.common import (
    Props,
    add_props,
    js_property,
    legacy_points_conversion,
    omit_non_pressure_z,
    segments_to_base64,
)
from tlsync_core.tldraw.styles import (
    DefaultColorStyle,
    DefaultDashStyle,
    DefaultFillStyle,
    DefaultSizeStyle,
)

__all__ = [
    "compress_legacy_segments",
    "draw_shape_migrations",
    "draw_shape_props",
    "draw_shape_segment",
    "draw_shape_versions",
]

draw_shape_segment: Final[ObjectValidator] = T.object(
    {
        "type": T.literal_enum("free", "straight"),
        "path": T.string,
        "dim": T.literal_enum(DIM_2D, DIM_3D).optional(),
    }
)
"""tldraw's ``DrawShapeSegment``: a free or straight run of points, delta-encoded in ``path``
(3D with pressure unless ``dim`` is 2). Highlight shapes use it too."""

draw_shape_props: Final[dict[str, Validator[Any]]] = {
    "color": DefaultColorStyle,
    "fill": DefaultFillStyle,
    "dash": DefaultDashStyle,
    "size": DefaultSizeStyle,
    "segments": T.array_of(draw_shape_segment),
    "isComplete": T.boolean,
    "isClosed": T.boolean,
    "isPen": T.boolean,
    "scale": T.non_zero_number,
    "scaleX": T.non_zero_finite_number,
    "scaleY": T.non_zero_finite_number,
}
"""The validators of a draw shape's props, in tldraw's order."""

draw_shape_versions: Final = create_shape_props_migration_ids(
    "draw",
    {
        "AddInPen": 1,
        "AddScale": 2,
        "Base64": 3,
        "LegacyPointsConversion": 4,
        "OmitNonPressureZ": 5,
    },
)
"""Migration name -> ``com.tldraw.shape.draw/<n>``."""


def _is_mouse_pressure(point: object) -> bool:
    """A point whose pressure is what a mouse reports (0 or 0.5)."""
    z = js_property(point, "z")
    return strict_equals(z, 0) or strict_equals(z, 0.5)


def _add_is_pen(props: Props) -> None:
    """``isPen`` from the first segment's pressure: a pen unless its first two points have a
    mouse's pressure."""
    points = js_property(js_property(props.get("segments"), "0"), "points")
    if strict_equals(js_property(points, "length"), 0):
        props["isPen"] = False
        return
    is_pen = not _is_mouse_pressure(js_property(points, "0"))
    second = js_property(points, "1")
    if js_truthy(second):  # check the second point too, when there is one
        is_pen = is_pen and not _is_mouse_pressure(second)
    props["isPen"] = is_pen


_V = draw_shape_versions

draw_shape_migrations: Final[PropsMigrations] = create_shape_props_migration_sequence(
    [
        PropsMigration(_V["AddInPen"], _add_is_pen, "retired"),
        add_props(_V["AddScale"], {"scale": 1}),
        segments_to_base64(_V["Base64"]),
        legacy_points_conversion(_V["LegacyPointsConversion"]),
        omit_non_pressure_z(_V["OmitNonPressureZ"]),
    ]
)
"""The draw shape's props migrations (sequence ``com.tldraw.shape.draw``, retroactive)."""


def compress_legacy_segments(segments: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Segments ``{type, points: [{x, y, z?}]}`` as current ones ``{type, path}``."""
    return [
        {"type": segment["type"], "path": B64Vecs.encode_points(list(segment["points"]))}
        for segment in segments
    ]
