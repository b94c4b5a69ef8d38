"""The note shape (``shapes/TLNoteShape.ts``): a sticky note."""

from __future__ import annotations

from typing import Any, Final

from tlsync_core.store.jsvalue import UNDEFINED, strict_equals
from tlsync_core.store.validators import T, Validator
from tlsync_core.tldraw.misc import rich_text_validator
from tlsync_core.tldraw.props import (
    PropsMigration,
    PropsMigrations,
    create_shape_props_migration_ids,
    create_shape_props_migration_sequence,
)
from tlsync_core.tldraw.shapes.common import (
    Props,
    add_props,
    add_rich_text,
    add_rich_text_attrs,
    make_urls_valid,
    migrate_legacy_align,
    remove_justify,
    rename_prop,
)
from tlsync_core.tldraw.styles import (
    DefaultColorStyle,
    DefaultFontStyle,
    DefaultHorizontalAlignStyle,
    DefaultLabelColorStyle,
    DefaultSizeStyle,
    DefaultVerticalAlignStyle,
)

__all__ = ["note_shape_migrations", "note_shape_props", "note_shape_versions"]

note_shape_props: Final[dict[str, Validator[Any]]] = {
    "color": DefaultColorStyle,
    "labelColor": DefaultLabelColorStyle,
    "size": DefaultSizeStyle,
    "font": DefaultFontStyle,
    "fontSizeAdjustment": T.positive_number.nullable(),
    "align": DefaultHorizontalAlignStyle,
    "verticalAlign": DefaultVerticalAlignStyle,
    "growY": T.positive_number,
    "url": T.link_url,
    "richText": rich_text_validator,
    "scale": T.non_zero_number,
    "textLastEditedBy": T.string.nullable(),
}
"""The validators of a note shape's props, in tldraw's order."""

note_shape_versions: Final = create_shape_props_migration_ids(
    "note",
    {
        "AddUrlProp": 1,
        "RemoveJustify": 2,
        "MigrateLegacyAlign": 3,
        "AddVerticalAlign": 4,
        "MakeUrlsValid": 5,
        "AddFontSizeAdjustment": 6,
        "AddScale": 7,
        "AddLabelColor": 8,
        "AddRichText": 9,
        "AddRichTextAttrs": 10,
        "AddFirstEditedBy": 11,
        "MakeFontSizeAdjustmentRatio": 12,
        "RenameFirstEditedByToLast": 13,
    },
)
"""Migration name -> ``com.tldraw.shape.note/<n>``."""


def _font_size_adjustment_to_ratio(props: Props) -> None:
    """0 (no adjustment) becomes the ratio 1; an absolute size becomes null (recomputed)."""
    adjustment = props.get("fontSizeAdjustment", UNDEFINED)
    props["fontSizeAdjustment"] = 1 if strict_equals(adjustment, 0) else None


def _font_size_adjustment_to_absolute(props: Props) -> None:
    props["fontSizeAdjustment"] = 0


_V = note_shape_versions

note_shape_migrations: Final[PropsMigrations] = create_shape_props_migration_sequence(
    [
        add_props(_V["AddUrlProp"], {"url": ""}, retired=True),
        remove_justify(_V["RemoveJustify"]),
        migrate_legacy_align(_V["MigrateLegacyAlign"]),
        add_props(_V["AddVerticalAlign"], {"verticalAlign": "middle"}, retired=True),
        make_urls_valid(_V["MakeUrlsValid"]),
        add_props(_V["AddFontSizeAdjustment"], {"fontSizeAdjustment": 0}),
        add_props(_V["AddScale"], {"scale": 1}),
        add_props(_V["AddLabelColor"], {"labelColor": "black"}),
        add_rich_text(_V["AddRichText"]),
        add_rich_text_attrs(_V["AddRichTextAttrs"]),
        add_props(_V["AddFirstEditedBy"], {"textFirstEditedBy": None}),
        PropsMigration(
            _V["MakeFontSizeAdjustmentRatio"],
            _font_size_adjustment_to_ratio,
            _font_size_adjustment_to_absolute,
        ),
        rename_prop(
            _V["RenameFirstEditedByToLast"], "textFirstEditedBy", "textLastEditedBy", missing=None
        ),
    ]
)
"""The note shape's props migrations (sequence ``com.tldraw.shape.note``, retroactive)."""
