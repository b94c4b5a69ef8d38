"""The simple record types of tldraw's schema and their migrations (``records/*.ts``).

Document, page, camera, pointer, user, instance page state and instance presence. The instance
record (whose validator depends on the shapes' styles) is in :mod:`.instance`; shapes,
bindings and assets in :mod:`.shape`, :mod:`.bindings` and :mod:`.assets`.
"""

from __future__ import annotations

from typing import Any, Final

from tlsync_core.store.jsvalue import UNDEFINED
from tlsync_core.store.records import RecordType
from tlsync_core.store.validators import T
from tlsync_core.tldraw._migrators import (
    Step,
    adds,
    get,
    move,
    noop,
    put,
    record_sequence,
    removes,
)
from tlsync_core.tldraw.ids import TLDOCUMENT_ID, page_id_validator, shape_id_validator
from tlsync_core.tldraw.misc import (
    box_model_validator,
    cursor_type_validator,
    id_validator,
    scribble_validator,
)

__all__ = [
    "CameraRecordType",
    "DocumentRecordType",
    "InstancePageStateRecordType",
    "InstancePresenceRecordType",
    "PageRecordType",
    "PointerRecordType",
    "UserRecordType",
    "camera_migrations",
    "document_migrations",
    "instance_page_state_migrations",
    "instance_presence_migrations",
    "page_migrations",
    "pointer_migrations",
    "user_id_validator",
    "user_migrations",
]

_json: Final = T.json_value
_add_meta: Final[Step] = ("AddMeta", adds(meta=dict), None)

# document -----------------------------------------------------------------------------------

DocumentRecordType: Final = RecordType(
    "document",
    scope="document",
    validator=T.model(
        "document",
        T.object(
            {
                "typeName": T.literal("document"),
                "id": T.literal(TLDOCUMENT_ID),
                "gridSize": T.number,
                "name": T.string,
                "meta": _json,
            }
        ),
    ),
    default_properties=lambda: {"gridSize": 10, "name": "", "meta": {}},
)
document_migrations: Final = record_sequence(
    "com.tldraw.document",
    "document",
    [("AddName", adds(name=""), removes("name")), _add_meta],
)

# page ---------------------------------------------------------------------------------------

PageRecordType: Final = RecordType(
    "page",
    scope="document",
    validator=T.model(
        "page",
        T.object(
            {
                "typeName": T.literal("page"),
                "id": page_id_validator,
                "name": T.string,
                "index": T.index_key,
                "meta": _json,
            }
        ),
    ),
    default_properties=lambda: {"meta": {}},
)
page_migrations: Final = record_sequence("com.tldraw.page", "page", [_add_meta])

# camera -------------------------------------------------------------------------------------

CameraRecordType: Final = RecordType(
    "camera",
    scope="session",
    validator=T.model(
        "camera",
        T.object(
            {
                "typeName": T.literal("camera"),
                "id": id_validator("camera"),
                "x": T.number,
                "y": T.number,
                "z": T.number,
                "meta": _json,
            }
        ),
    ),
    default_properties=lambda: {"x": 0, "y": 0, "z": 1, "meta": {}},
)
camera_migrations: Final = record_sequence("com.tldraw.camera", "camera", [_add_meta])

# pointer ------------------------------------------------------------------------------------

PointerRecordType: Final = RecordType(
    "pointer",
    scope="session",
    validator=T.model(
        "pointer",
        T.object(
            {
                "typeName": T.literal("pointer"),
                "id": id_validator("pointer"),
                "x": T.number,
                "y": T.number,
                "lastActivityTimestamp": T.number,
                "meta": _json,
            }
        ),
    ),
    default_properties=lambda: {"x": 0, "y": 0, "lastActivityTimestamp": 0, "meta": {}},
)
pointer_migrations: Final = record_sequence("com.tldraw.pointer", "pointer", [_add_meta])

# user ---------------------------------------------------------------------------------------

user_id_validator: Final = id_validator("user")

UserRecordType: Final = RecordType(
    "user",
    scope="document",
    validator=T.model(
        "user",
        T.object(
            {
                "typeName": T.literal("user"),
                "id": user_id_validator,
                "name": T.string,
                "color": T.string,
                "imageUrl": T.string,
                "meta": _json,
            }
        ),
    ),
    default_properties=lambda: {"name": "", "color": "", "imageUrl": "", "meta": {}},
)
user_migrations: Final = record_sequence("com.tldraw.user", "user", [("Initial", noop, None)])

# instance_page_state ------------------------------------------------------------------------

InstancePageStateRecordType: Final = RecordType(
    "instance_page_state",
    scope="session",
    validator=T.model(
        "instance_page_state",
        T.object(
            {
                "typeName": T.literal("instance_page_state"),
                "id": id_validator("instance_page_state"),
                "pageId": page_id_validator,
                "selectedShapeIds": T.array_of(shape_id_validator),
                "hintingShapeIds": T.array_of(shape_id_validator),
                "erasingShapeIds": T.array_of(shape_id_validator),
                "hoveredShapeId": shape_id_validator.nullable(),
                "editingShapeId": shape_id_validator.nullable(),
                "croppingShapeId": shape_id_validator.nullable(),
                "focusedGroupId": shape_id_validator.nullable(),
                "meta": _json,
            }
        ),
    ),
    default_properties=lambda: {
        "editingShapeId": None,
        "croppingShapeId": None,
        "selectedShapeIds": [],
        "hoveredShapeId": None,
        "erasingShapeIds": [],
        "hintingShapeIds": [],
        "focusedGroupId": None,
        "meta": {},
    },
    ephemeral_keys=(
        "editingShapeId",
        "hintingShapeIds",
        "erasingShapeIds",
        "hoveredShapeId",
        "focusedGroupId",
    ),
)

# (old name, new name) of the page state's fields, renamed by RenamePropertiesAgain
_PAGE_STATE_RENAMES: Final = (
    ("selectedIds", "selectedShapeIds"),
    ("hintingIds", "hintingShapeIds"),
    ("erasingIds", "erasingShapeIds"),
    ("hoveredId", "hoveredShapeId"),
    ("editingId", "editingShapeId"),
    ("croppingId", "croppingShapeId"),
    ("focusLayerId", "focusedGroupId"),
)


def _rename_page_state_fields_up(record: dict[str, Any]) -> None:
    cropping = get(record, "croppingShapeId")
    if cropping is None or cropping is UNDEFINED:
        cropping = get(record, "croppingId")
    for old, new in _PAGE_STATE_RENAMES:
        move(record, old, new)
    put(record, "croppingShapeId", None if cropping is UNDEFINED else cropping)


def _rename_page_state_fields_down(record: dict[str, Any]) -> None:
    for old, new in _PAGE_STATE_RENAMES:
        move(record, new, old)


instance_page_state_migrations: Final = record_sequence(
    "com.tldraw.instance_page_state",
    "instance_page_state",
    [
        ("AddCroppingId", adds(croppingShapeId=None), None),
        ("RemoveInstanceIdAndCameraId", removes("instanceId", "cameraId"), None),
        _add_meta,
        ("RenameProperties", noop, noop),
        ("RenamePropertiesAgain", _rename_page_state_fields_up, _rename_page_state_fields_down),
    ],
)

# instance_presence --------------------------------------------------------------------------

InstancePresenceRecordType: Final = RecordType(
    "instance_presence",
    scope="presence",
    validator=T.model(
        "instance_presence",
        T.object(
            {
                "typeName": T.literal("instance_presence"),
                "id": id_validator("instance_presence"),
                "userId": user_id_validator,
                "userName": T.string,
                "lastActivityTimestamp": T.number.nullable(),
                "followingUserId": user_id_validator.nullable(),
                "cursor": T.object(
                    {
                        "x": T.number,
                        "y": T.number,
                        "type": cursor_type_validator,
                        "rotation": T.number,
                    }
                ).nullable(),
                "color": T.string,
                "camera": T.object({"x": T.number, "y": T.number, "z": T.number}).nullable(),
                "screenBounds": box_model_validator.nullable(),
                "selectedShapeIds": T.array_of(id_validator("shape")),
                "currentPageId": id_validator("page"),
                "brush": box_model_validator.nullable(),
                "scribbles": T.array_of(scribble_validator),
                "chatMessage": T.string,
                "meta": _json,
            }
        ),
    ),
    default_properties=lambda: {
        "lastActivityTimestamp": None,
        "followingUserId": None,
        "color": "#FF0000",
        "camera": None,
        "cursor": None,
        "screenBounds": None,
        "selectedShapeIds": [],
        "brush": None,
        "scribbles": [],
        "chatMessage": "",
        "meta": {},
    },
)


def _add_presence_scribble_delay(record: dict[str, Any]) -> None:
    scribble = get(record, "scribble")
    if scribble is not None:
        put(scribble, "delay", 0)


# NullableCameraCursor down: the non-null stand-ins for fields that became nullable
_PRESENCE_NULL_STAND_INS: Final = (
    ("camera", lambda: {"x": 0, "y": 0, "z": 1}),
    ("lastActivityTimestamp", lambda: 0),
    ("cursor", lambda: {"type": "default", "x": 0, "y": 0, "rotation": 0}),
    ("screenBounds", lambda: {"x": 0, "y": 0, "w": 1, "h": 1}),
)


def _presence_fields_not_null(record: dict[str, Any]) -> None:
    for key, stand_in in _PRESENCE_NULL_STAND_INS:
        if key in record and record[key] is None:
            record[key] = stand_in()


instance_presence_migrations: Final = record_sequence(
    "com.tldraw.instance_presence",
    "instance_presence",
    [
        ("AddScribbleDelay", _add_presence_scribble_delay, None),
        ("RemoveInstanceId", removes("instanceId"), None),
        ("AddChatMessage", adds(chatMessage=""), None),
        _add_meta,
        ("RenameSelectedShapeIds", noop, None),
        ("NullableCameraCursor", noop, _presence_fields_not_null),
    ],
)
