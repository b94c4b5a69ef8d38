"""The frame shape (``shapes/TLFrameShape.ts``): a named container."""

from __future__ import annotations

from typing import Any, Final

from tlsync_core.store.validators import T, Validator
from tlsync_core.tldraw.props import (
    PropsMigrations,
    create_shape_props_migration_ids,
    create_shape_props_migration_sequence,
)
from tlsync_core.tldraw.shapes.common import add_props
from tlsync_core.tldraw.styles import DefaultColorStyle

__all__ = [
    "FrameColorValidator",
    "frame_shape_migrations",
    "frame_shape_props",
    "frame_shape_versions",
]


class FrameColorValidator(Validator[str]):
    """Validates like :data:`DefaultColorStyle` (looked up at each call, so colours added to
    the style later count) without being a style prop: frame colours are opt-in in tldraw, so
    the editor must not treat ``color`` as the frame's style."""

    __slots__ = ()

    def validate(self, value: object) -> str:
        result: str = DefaultColorStyle.validate(value)
        return result


frame_shape_props: Final[dict[str, Validator[Any]]] = {
    "w": T.non_zero_number,
    "h": T.non_zero_number,
    "name": T.string,
    "color": FrameColorValidator(),
}
"""The validators of a frame shape's props, in tldraw's order."""

frame_shape_versions: Final = create_shape_props_migration_ids("frame", {"AddColorProp": 1})
"""Migration name -> ``com.tldraw.shape.frame/<n>``."""

frame_shape_migrations: Final[PropsMigrations] = create_shape_props_migration_sequence(
    [add_props(frame_shape_versions["AddColorProp"], {"color": "black"})]
)
"""The frame shape's props migrations (sequence ``com.tldraw.shape.frame``, retroactive)."""
