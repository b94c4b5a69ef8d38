"""The text shape (``shapes/TLTextShape.ts``)."""

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
    add_rich_text,
    add_rich_text_attrs,
    remove_justify,
    rename_prop,
)
from tlsync_core.tldraw.styles import (
    DefaultColorStyle,
    DefaultFontStyle,
    DefaultSizeStyle,
    DefaultTextAlignStyle,
)

__all__ = ["text_shape_migrations", "text_shape_props", "text_shape_versions"]

text_shape_props: Final[dict[str, Validator[Any]]] = {
    "color": DefaultColorStyle,
    "size": DefaultSizeStyle,
    "font": DefaultFontStyle,
    "textAlign": DefaultTextAlignStyle,
    "w": T.non_zero_number,
    "richText": rich_text_validator,
    "scale": T.non_zero_number,
    "autoSize": T.boolean,
}
"""The validators of a text shape's props, in tldraw's order."""

text_shape_versions: Final = create_shape_props_migration_ids(
    "text", {"RemoveJustify": 1, "AddTextAlign": 2, "AddRichText": 3, "AddRichTextAttrs": 4}
)
"""Migration name -> ``com.tldraw.shape.text/<n>``."""

_V = text_shape_versions

text_shape_migrations: Final[PropsMigrations] = create_shape_props_migration_sequence(
    [
        remove_justify(_V["RemoveJustify"]),
        rename_prop(_V["AddTextAlign"], "align", "textAlign"),
        add_rich_text(_V["AddRichText"]),
        add_rich_text_attrs(_V["AddRichTextAttrs"]),
    ]
)
"""The text shape's props migrations (sequence ``com.tldraw.shape.text``, retroactive)."""
