"""The instance record: one per editor session (``records/TLInstance.ts``).

Its ``stylesForNextShape`` holds an optional value for every style prop of the schema's
shapes, so the record type is built for a set of styles (:func:`create_instance_record_type`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from tlsync_core.store.records import RecordType
from tlsync_core.store.validators import T
from tlsync_core.tldraw._migrators import (
    adds,
    chain,
    get,
    put,
    record_sequence,
    removes,
    spread,
    to_number,
)
from tlsync_core.tldraw.generated import RECORD_TYPES
from tlsync_core.tldraw.ids import TLINSTANCE_ID, page_id_validator
from tlsync_core.tldraw.misc import (
    box_model_validator,
    cursor_validator,
    id_validator,
    opacity_validator,
    scribble_validator,
)
from tlsync_core.tldraw.records import user_id_validator
from tlsync_core.tldraw.styles import StyleProp

__all__ = ["TLINSTANCE_ID", "create_instance_record_type", "instance_migrations"]

# the fields that are not ephemeral (in tldraw's ephemeralKeys table, all others are)
_NOT_EPHEMERAL: Final = ("currentPageId", "meta")


def _default_properties() -> dict[str, Any]:
    """tldraw's defaults, from the generated data (``devicePixelRatio`` is 1 there, as in
    tldraw without a window)."""
    return copy.deepcopy(dict(RECORD_TYPES["instance"]["defaults"]))


def create_instance_record_type(styles_by_id: Mapping[str, StyleProp[Any]]) -> RecordType:
    """The instance record type, whose ``stylesForNextShape`` may hold these styles."""
    validator = T.model(
        "instance",
        T.object(
            {
                "typeName": T.literal("instance"),
                "id": id_validator("instance"),
                "currentPageId": page_id_validator,
                "followingUserId": user_id_validator.nullable(),
                "brush": box_model_validator.nullable(),
                "opacityForNextShape": opacity_validator,
                "stylesForNextShape": T.object(
                    {style_id: T.optional(style) for style_id, style in styles_by_id.items()}
                ),
                "cursor": cursor_validator,
                "scribbles": T.array_of(scribble_validator),
                "isFocusMode": T.boolean,
                "isDebugMode": T.boolean,
                "isToolLocked": T.boolean,
                "exportBackground": T.boolean,
                "screenBounds": box_model_validator,
                "insets": T.array_of(T.boolean),
                "zoomBrush": box_model_validator.nullable(),
                "isPenMode": T.boolean,
                "isGridMode": T.boolean,
                "chatMessage": T.string,
                "isChatting": T.boolean,
                "highlightedUserIds": T.array_of(user_id_validator),
                "isFocused": T.boolean,
                "devicePixelRatio": T.number,
                "isCoarsePointer": T.boolean,
                "isHoveringCanvas": T.boolean.nullable(),
                "openMenus": T.array_of(T.string),
                "isChangingStyle": T.boolean,
                "isReadonly": T.boolean,
                "meta": T.json_value,
                "duplicateProps": T.object(
                    {
                        "shapeIds": T.array_of(id_validator("shape")),
                        "offset": T.object({"x": T.number, "y": T.number}),
                    }
                ).nullable(),
                "cameraState": T.literal_enum("idle", "moving"),
            }
        ),
    )
    return RecordType(
        "instance",
        scope="session",
        validator=validator,
        default_properties=_default_properties,
        ephemeral_keys=[k for k in _default_properties() if k not in _NOT_EPHEMERAL],
    )


# migrations ---------------------------------------------------------------------------------

# the props that RemoveExtraPropsForNextShape keeps
_PROPS_FOR_NEXT_SHAPE: Final = frozenset(
    {
        "color",
        "labelColor",
        "dash",
        "fill",
        "size",
        "font",
        "align",
        "verticalAlign",
        "icon",
        "geo",
        "arrowheadStart",
        "arrowheadEnd",
        "spline",
    }
)


def _without(record: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in keys}


def _keep_known_props_for_next_shape(record: dict[str, Any]) -> dict[str, Any]:
    props = get(record, "propsForNextShape")
    if not isinstance(props, dict):
        raise TypeError("Cannot convert undefined or null to object")
    kept = {k: v for k, v in props.items() if k in _PROPS_FOR_NEXT_SHAPE}
    return {**_without(record, "propsForNextShape"), "propsForNextShape": kept}


def _set_prop_for_next_shape(key: str, value: Any) -> Any:
    def migrate(record: dict[str, Any]) -> dict[str, Any]:
        props = get(record, "propsForNextShape")
        return {
            **_without(record, "propsForNextShape"),
            "propsForNextShape": {**spread(props), key: value},
        }

    return migrate


def _remove_align_justify(record: dict[str, Any]) -> dict[str, Any]:
    props = get(record, "propsForNextShape")
    align = get(props, "align")
    result = {**spread(props)}
    put(result, "align", "start" if align == "justify" else align)
    return {**record, "propsForNextShape": result}


def _add_scribble_delay(record: dict[str, Any]) -> dict[str, Any]:
    scribble = get(record, "scribble")
    if scribble is not None:
        return {**record, "scribble": {**spread(scribble), "delay": 0}}
    return {**record}


def _hoist_opacity(record: dict[str, Any]) -> dict[str, Any]:
    props = spread(get(record, "propsForNextShape"))
    opacity = props.pop("opacity", None)
    return {
        **_without(record, "propsForNextShape"),
        "opacityForNextShape": to_number("1" if opacity is None else opacity),
        "propsForNextShape": props,
    }


def _replace_props_with_styles(record: dict[str, Any]) -> dict[str, Any]:
    return {**_without(record, "propsForNextShape"), "stylesForNextShape": {}}


def _remove_cursor_color(record: dict[str, Any]) -> dict[str, Any]:
    cursor = get(record, "cursor")
    if cursor is None:
        raise TypeError("Cannot destructure 'record.cursor' as it is null.")
    return {**record, "cursor": _without(spread(cursor), "color")}


def _add_lonely_properties(record: dict[str, Any]) -> dict[str, Any]:
    return {
        **record,
        "canMoveCamera": True,
        "isFocused": False,
        "devicePixelRatio": 1,
        "isCoarsePointer": False,
        "openMenus": [],
        "isChangingStyle": False,
        "isReadOnly": False,
    }


def _rename_read_only(record: dict[str, Any]) -> dict[str, Any]:
    result = _without(record, "isReadOnly")
    put(result, "isReadonly", get(record, "isReadOnly"))
    return result


instance_migrations: Final = record_sequence(
    "com.tldraw.instance",
    "instance",
    [
        ("AddTransparentExportBgs", adds(exportBackground=True), None),
        ("RemoveDialog", removes("dialog"), None),
        ("AddToolLockMode", adds(isToolLocked=False), None),
        ("RemoveExtraPropsForNextShape", _keep_known_props_for_next_shape, None),
        ("AddLabelColor", _set_prop_for_next_shape("labelColor", "black"), None),
        ("AddFollowingUserId", adds(followingUserId=None), None),
        ("RemoveAlignJustify", _remove_align_justify, None),
        ("AddZoom", adds(zoomBrush=None), None),
        ("AddVerticalAlign", _set_prop_for_next_shape("verticalAlign", "middle"), None),
        ("AddScribbleDelay", _add_scribble_delay, None),
        ("RemoveUserId", removes("userId"), None),
        ("AddIsPenModeAndIsGridMode", adds(isPenMode=False, isGridMode=False), None),
        ("HoistOpacity", _hoist_opacity, None),
        ("AddChat", adds(chatMessage="", isChatting=False), None),
        ("AddHighlightedUserIds", adds(highlightedUserIds=list), None),
        ("ReplacePropsForNextShapeWithStylesForNextShape", _replace_props_with_styles, None),
        ("AddMeta", adds(meta=dict), None),
        ("RemoveCursorColor", _remove_cursor_color, None),
        ("AddLonelyProperties", _add_lonely_properties, None),
        ("ReadOnlyReadonly", _rename_read_only, None),
        ("AddHoveringCanvas", adds(isHoveringCanvas=None), None),
        ("AddScribbles", chain(removes("scribble"), adds(scribbles=list)), None),
        ("AddInset", adds(insets=lambda: [False] * 4), removes("insets")),
        ("AddDuplicateProps", adds(duplicateProps=None), removes("duplicateProps")),
        ("RemoveCanMoveCamera", removes("canMoveCamera"), adds(canMoveCamera=True)),
        ("AddCameraState", adds(cameraState="idle"), removes("cameraState")),
    ],
)
