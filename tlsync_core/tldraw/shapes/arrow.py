"""The arrow shape (``shapes/TLArrowShape.ts``).

Arrows are the one default shape whose sequence is built by hand in tldraw: it is not
retroactive (documents older than the sequence get none of it) and its fourth migration,
``ExtractBindings``, is a storage migration that moves the arrows' bound terminals into
separate arrow binding records.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from tlsync_core.store.jsvalue import UNDEFINED, js_truthy, strict_equals
from tlsync_core.store.migrations import (
    Migration,
    MigrationSequence,
    RecordStorage,
    create_migration_sequence,
)
from tlsync_core.store.validators import T, Validator
from tlsync_core.tldraw.ids import create_binding_id
from tlsync_core.tldraw.misc import rich_text_validator, vec_model_validator
from tlsync_core.tldraw.props import (
    PropsMigration,
    create_props_migration,
    create_shape_props_migration_ids,
)
from tlsync_core.tldraw.shapes.common import (
    Props,
    add_props,
    add_rich_text,
    add_rich_text_attrs,
    as_object,
    js_object,
    js_property,
)
from tlsync_core.tldraw.styles import (
    ArrowShapeArrowheadEndStyle,
    ArrowShapeArrowheadStartStyle,
    ArrowShapeKindStyle,
    DefaultColorStyle,
    DefaultDashStyle,
    DefaultFillStyle,
    DefaultFontStyle,
    DefaultLabelColorStyle,
    DefaultSizeStyle,
)

__all__ = ["arrow_shape_migrations", "arrow_shape_props", "arrow_shape_versions"]

arrow_shape_props: Final[dict[str, Validator[Any]]] = {
    "kind": ArrowShapeKindStyle,
    "labelColor": DefaultLabelColorStyle,
    "color": DefaultColorStyle,
    "fill": DefaultFillStyle,
    "dash": DefaultDashStyle,
    "size": DefaultSizeStyle,
    "arrowheadStart": ArrowShapeArrowheadStartStyle,
    "arrowheadEnd": ArrowShapeArrowheadEndStyle,
    "font": DefaultFontStyle,
    "start": vec_model_validator,
    "end": vec_model_validator,
    "bend": T.number,
    "richText": rich_text_validator,
    "labelPosition": T.number,
    "scale": T.non_zero_number,
    "elbowMidPoint": T.number,
}
"""The validators of an arrow shape's props, in tldraw's order."""

arrow_shape_versions: Final = create_shape_props_migration_ids(
    "arrow",
    {
        "AddLabelColor": 1,
        "AddIsPrecise": 2,
        "AddLabelPosition": 3,
        "ExtractBindings": 4,
        "AddScale": 5,
        "AddElbow": 6,
        "AddRichText": 7,
        "AddRichTextAttrs": 8,
    },
)
"""Migration name -> ``com.tldraw.shape.arrow/<n>``."""

_TERMINALS: Final = ("start", "end")


def _is_binding(terminal: object) -> bool:
    return strict_equals(js_property(terminal, "type"), "binding")


def _is_centered(anchor: object) -> bool:
    return strict_equals(js_property(anchor, "x"), 0.5) and strict_equals(
        js_property(anchor, "y"), 0.5
    )


def _add_is_precise(props: Props) -> None:
    """A bound terminal is precise unless anchored at the centre of its shape."""
    terminals = [props.get(name, UNDEFINED) for name in _TERMINALS]  # destructured first
    for terminal in terminals:
        if _is_binding(terminal):
            as_object(terminal)["isPrecise"] = not _is_centered(
                js_property(terminal, "normalizedAnchor")
            )


def _remove_is_precise(props: Props) -> None:
    """An imprecise bound terminal goes back to the centre anchor; ``isPrecise`` goes."""
    terminals = [props.get(name, UNDEFINED) for name in _TERMINALS]
    for terminal in terminals:
        if _is_binding(terminal):
            bound = as_object(terminal)
            if not js_truthy(bound.get("isPrecise", UNDEFINED)):
                bound["normalizedAnchor"] = {"x": 0.5, "y": 0.5}
            bound.pop("isPrecise", None)


def _extract_bindings(storage: RecordStorage) -> None:
    """Each bound terminal of each arrow becomes an arrow binding record; the terminal becomes
    the point (0, 0), and point terminals lose their ``type``. Writes happen after the scan."""
    updates: list[tuple[str, dict[str, Any]]] = []
    for record in storage.values():
        if record.get("typeName") != "shape" or record.get("type") != "arrow":
            continue
        new_arrow = copy.deepcopy(record)
        props = js_property(record, "props")
        for terminal_name in _TERMINALS:
            terminal = js_property(props, terminal_name)
            if _is_binding(terminal):
                binding_id = create_binding_id()
                binding = {
                    "typeName": "binding",
                    "id": binding_id,
                    "type": "arrow",
                    "fromId": record["id"],
                    "toId": js_property(terminal, "boundShapeId"),
                    "meta": {},
                    "props": js_object(
                        {
                            "terminal": terminal_name,
                            "normalizedAnchor": js_property(terminal, "normalizedAnchor"),
                            "isExact": js_property(terminal, "isExact"),
                            "isPrecise": js_property(terminal, "isPrecise"),
                        }
                    ),
                }
                updates.append((binding_id, copy.deepcopy(js_object(binding))))
                new_arrow["props"][terminal_name] = {"x": 0, "y": 0}
            elif isinstance(new_arrow["props"][terminal_name], dict):
                new_arrow["props"][terminal_name].pop("type", None)
        updates.append((record["id"], new_arrow))
    for record_id, updated in updates:
        storage.set(record_id, updated)


def _props_migration(migration: PropsMigration) -> Migration:
    return create_props_migration("shape", "arrow", migration)


_V = arrow_shape_versions

arrow_shape_migrations: Final[MigrationSequence] = create_migration_sequence(
    "com.tldraw.shape.arrow",
    [
        _props_migration(add_props(_V["AddLabelColor"], {"labelColor": "black"}, retired=True)),
        _props_migration(PropsMigration(_V["AddIsPrecise"], _add_is_precise, _remove_is_precise)),
        _props_migration(add_props(_V["AddLabelPosition"], {"labelPosition": 0.5})),
        Migration(_V["ExtractBindings"], "storage", _extract_bindings),
        _props_migration(add_props(_V["AddScale"], {"scale": 1})),
        _props_migration(add_props(_V["AddElbow"], {"kind": "arc", "elbowMidPoint": 0.5})),
        _props_migration(add_rich_text(_V["AddRichText"])),
        _props_migration(add_rich_text_attrs(_V["AddRichTextAttrs"])),
    ],
    retroactive=False,
)
"""The arrow shape's migrations: sequence ``com.tldraw.shape.arrow``, not retroactive."""
