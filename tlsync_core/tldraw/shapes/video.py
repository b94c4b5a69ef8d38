"""The video shape (``shapes/TLVideoShape.ts``)."""

from __future__ import annotations

from typing import Any, Final

from tlsync_core.store.validators import T, Validator
from tlsync_core.tldraw.ids import asset_id_validator
from tlsync_core.tldraw.props import (
    PropsMigrations,
    create_shape_props_migration_ids,
    create_shape_props_migration_sequence,
)
from tlsync_core.tldraw.shapes.common import add_props, make_urls_valid

__all__ = ["video_shape_migrations", "video_shape_props", "video_shape_versions"]

video_shape_props: Final[dict[str, Validator[Any]]] = {
    "w": T.non_zero_number,
    "h": T.non_zero_number,
    "time": T.number,
    "playing": T.boolean,
    "autoplay": T.boolean,
    "url": T.link_url,
    "assetId": asset_id_validator.nullable(),
    "altText": T.string,
}
"""The validators of a video shape's props, in tldraw's order."""

video_shape_versions: Final = create_shape_props_migration_ids(
    "video", {"AddUrlProp": 1, "MakeUrlsValid": 2, "AddAltText": 3, "AddAutoplay": 4}
)
"""Migration name -> ``com.tldraw.shape.video/<n>``."""

_V = video_shape_versions

video_shape_migrations: Final[PropsMigrations] = create_shape_props_migration_sequence(
    [
        add_props(_V["AddUrlProp"], {"url": ""}, retired=True),
        make_urls_valid(_V["MakeUrlsValid"]),
        add_props(_V["AddAltText"], {"altText": ""}),
        add_props(_V["AddAutoplay"], {"autoplay": True}),
    ]
)
"""The video shape's props migrations (sequence ``com.tldraw.shape.video``, retroactive)."""
