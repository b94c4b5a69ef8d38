"""The highlight shape (``shapes/TLHighlightShape.ts``): highlighter strokes, stored like draw
shapes' segments."""

from __future__ import annotations

from typing import Any, Final

from tlsync_core.store.validators import T, Validator
from tlsync_core.tldraw.props import (
    PropsMigrations,
    create_shape_props_migration_ids,
    create_shape_props_migration_sequence,
)
from tlsync_core.tldraw.shapes.common import (
    add_props,
    legacy_points_conversion,
    omit_non_pressure_z,
    segments_to_base64,
)
from tlsync_core.tldraw.shapes.draw import draw_shape_segment
from tlsync_core.tldraw.styles import DefaultColorStyle, DefaultSizeStyle

__all__ = ["highlight_shape_migrations", "highlight_shape_props", "highlight_shape_versions"]

highlight_shape_props: Final[dict[str, Validator[Any]]] = {
    "color": DefaultColorStyle,
    "size": DefaultSizeStyle,
    "segments": T.array_of(draw_shape_segment),
    "isComplete": T.boolean,
    "isPen": T.boolean,
    "scale": T.non_zero_number,
    "scaleX": T.non_zero_finite_number,
    "scaleY": T.non_zero_finite_number,
}
"""The validators of a highlight shape's props, in tldraw's order."""

highlight_shape_versions: Final = create_shape_props_migration_ids(
    "highlight", {"AddScale": 1, "Base64": 2, "LegacyPointsConversion": 3, "OmitNonPressureZ": 4}
)
"""Migration name -> ``com.tldraw.shape.highlight/<n>``."""

_V = highlight_shape_versions

highlight_shape_migrations: Final[PropsMigrations] = create_shape_props_migration_sequence(
    [
        add_props(_V["AddScale"], {"scale": 1}),
        segments_to_base64(_V["Base64"]),
        legacy_points_conversion(_V["LegacyPointsConversion"]),
        omit_non_pressure_z(_V["OmitNonPressureZ"]),
    ]
)
"""The highlight shape's props migrations (sequence ``com.tldraw.shape.highlight``)."""
