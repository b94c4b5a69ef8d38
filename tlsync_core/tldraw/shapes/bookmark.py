"""The bookmark shape (``shapes/TLBookmarkShape.ts``): a link card backed by a bookmark asset."""

from __future__ import annotations

from typing import Any, Final

from tlsync_core.store.validators import T, Validator
from tlsync_core.tldraw.ids import asset_id_validator
from tlsync_core.tldraw.props import (
    PropsMigration,
    PropsMigrations,
    create_shape_props_migration_ids,
    create_shape_props_migration_sequence,
)
from tlsync_core.tldraw.shapes.common import Props, make_urls_valid

__all__ = ["bookmark_shape_migrations", "bookmark_shape_props", "bookmark_shape_versions"]

bookmark_shape_props: Final[dict[str, Validator[Any]]] = {
    "w": T.non_zero_number,
    "h": T.non_zero_number,
    "assetId": asset_id_validator.nullable(),
    "url": T.link_url,
}
"""The validators of a bookmark shape's props, in tldraw's order."""

bookmark_shape_versions: Final = create_shape_props_migration_ids(
    "bookmark", {"NullAssetId": 1, "MakeUrlsValid": 2}
)
"""Migration name -> ``com.tldraw.shape.bookmark/<n>``."""


def _null_asset_id(props: Props) -> None:
    """An absent ``assetId`` becomes null."""
    if "assetId" not in props:
        props["assetId"] = None


bookmark_shape_migrations: Final[PropsMigrations] = create_shape_props_migration_sequence(
    [
        PropsMigration(bookmark_shape_versions["NullAssetId"], _null_asset_id, "retired"),
        make_urls_valid(bookmark_shape_versions["MakeUrlsValid"]),
    ]
)
"""The bookmark shape's props migrations (sequence ``com.tldraw.shape.bookmark``)."""
