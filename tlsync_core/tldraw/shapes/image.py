"""The image shape (``shapes/TLImageShape.ts`` and ``ShapeWithCrop.ts``)."""

from __future__ import annotations

from typing import Any, Final

from tlsync_core.store.validators import ObjectValidator, T, Validator
from tlsync_core.tldraw.ids import asset_id_validator
from tlsync_core.tldraw.misc import vec_model_validator
from tlsync_core.tldraw.props import (
    PropsMigrations,
    create_shape_props_migration_ids,
    create_shape_props_migration_sequence,
)
from tlsync_core.tldraw.shapes.common import add_props, make_urls_valid

__all__ = [
    "image_shape_crop",
    "image_shape_migrations",
    "image_shape_props",
    "image_shape_versions",
]

image_shape_crop: Final[ObjectValidator] = T.object(
    {
        "topLeft": vec_model_validator,
        "bottomRight": vec_model_validator,
        "isCircle": T.boolean.optional(),
    }
)
"""tldraw's ``ImageShapeCrop``: the visible part of the asset (``TLShapeCrop``), corners in
0..1 of the asset's size, and whether it is cropped to a circle."""

image_shape_props: Final[dict[str, Validator[Any]]] = {
    "w": T.non_zero_number,
    "h": T.non_zero_number,
    "playing": T.boolean,
    "url": T.link_url,
    "assetId": asset_id_validator.nullable(),
    "crop": image_shape_crop.nullable(),
    "flipX": T.boolean,
    "flipY": T.boolean,
    "altText": T.string,
}
"""The validators of an image shape's props, in tldraw's order."""

image_shape_versions: Final = create_shape_props_migration_ids(
    "image",
    {"AddUrlProp": 1, "AddCropProp": 2, "MakeUrlsValid": 3, "AddFlipProps": 4, "AddAltText": 5},
)
"""Migration name -> ``com.tldraw.shape.image/<n>``."""

_V = image_shape_versions

image_shape_migrations: Final[PropsMigrations] = create_shape_props_migration_sequence(
    [
        add_props(_V["AddUrlProp"], {"url": ""}, retired=True),
        add_props(_V["AddCropProp"], {"crop": None}),
        make_urls_valid(_V["MakeUrlsValid"]),
        add_props(_V["AddFlipProps"], {"flipX": False, "flipY": False}),
        add_props(_V["AddAltText"], {"altText": ""}),
    ]
)
"""The image shape's props migrations (sequence ``com.tldraw.shape.image``, retroactive)."""
