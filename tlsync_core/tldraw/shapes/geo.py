"""The geo shape (``shapes/TLGeoShape.ts``): rectangles, ellipses, stars... with a label."""

from __future__ import annotations

from typing import Any, Final

from tlsync_core.store.validators import T, Validator
from tlsync_core.tldraw.misc import rich_text_validator
from tlsync_core.tldraw.props import (
    PropsMigrations,
    create_shape_props_migration_ids,
    create_shape_props_migration_sequence,
)
from tlsync_core.tldraw.shapes.common import (
    add_props,
    add_rich_text,
    add_rich_text_attrs,
    make_urls_valid,
    migrate_legacy_align,
    noop_retired,
    remove_justify,
)
from tlsync_core.tldraw.styles import (
    DefaultColorStyle,
    DefaultDashStyle,
    DefaultFillStyle,
    DefaultFontStyle,
    DefaultHorizontalAlignStyle,
    DefaultLabelColorStyle,
    DefaultSizeStyle,
    DefaultVerticalAlignStyle,
    GeoShapeGeoStyle,
)

__all__ = ["geo_shape_migrations", "geo_shape_props", "geo_shape_versions"]

geo_shape_props: Final[dict[str, Validator[Any]]] = {
    "geo": GeoShapeGeoStyle,
    "dash": DefaultDashStyle,
    "url": T.link_url,
    "w": T.non_zero_number,
    "h": T.non_zero_number,
    "growY": T.positive_number,
    "scale": T.non_zero_number,
    "flipX": T.boolean,
    "flipY": T.boolean,
    # the label
    "labelColor": DefaultLabelColorStyle,
    "color": DefaultColorStyle,
    "fill": DefaultFillStyle,
    "size": DefaultSizeStyle,
    "font": DefaultFontStyle,
    "align": DefaultHorizontalAlignStyle,
    "verticalAlign": DefaultVerticalAlignStyle,
    "richText": rich_text_validator,
}
"""The validators of a geo shape's props, in tldraw's order (the first failing prop is
reported)."""

geo_shape_versions: Final = create_shape_props_migration_ids(
    "geo",
    {
        "AddUrlProp": 1,
        "AddLabelColor": 2,
        "RemoveJustify": 3,
        "AddCheckBox": 4,
        "AddVerticalAlign": 5,
        "MigrateLegacyAlign": 6,
        "AddCloud": 7,
        "MakeUrlsValid": 8,
        "AddScale": 9,
        "AddRichText": 10,
        "AddRichTextAttrs": 11,
        "AddFlipProps": 12,
    },
)
"""Migration name -> ``com.tldraw.shape.geo/<n>``."""

_V = geo_shape_versions

geo_shape_migrations: Final[PropsMigrations] = create_shape_props_migration_sequence(
    [
        add_props(_V["AddUrlProp"], {"url": ""}, retired=True),
        add_props(_V["AddLabelColor"], {"labelColor": "black"}, retired=True),
        remove_justify(_V["RemoveJustify"]),
        noop_retired(_V["AddCheckBox"]),
        add_props(_V["AddVerticalAlign"], {"verticalAlign": "middle"}, retired=True),
        migrate_legacy_align(_V["MigrateLegacyAlign"]),
        noop_retired(_V["AddCloud"]),
        make_urls_valid(_V["MakeUrlsValid"]),
        add_props(_V["AddScale"], {"scale": 1}),
        add_rich_text(_V["AddRichText"]),
        add_rich_text_attrs(_V["AddRichTextAttrs"]),
        add_props(_V["AddFlipProps"], {"flipX": False, "flipY": False}),
    ]
)
"""The geo shape's props migrations (sequence ``com.tldraw.shape.geo``, retroactive)."""
