"""The simulated documents: tldraw-shaped records, at three versions of one schema.

Record types (all strictly validated, as tldraw validates them):

* ``document`` (``document:document``) and ``page`` records; an integrity checker creates the
  document and a first page (``page:page``) when a store has none, as tldraw's does;
* ``shape`` records of four types, a union on ``type``: ``geo`` (box with a label),
  ``text``, ``arrow`` and ``frame`` (a parent for other shapes); ``parentId`` is a page or a
  frame;
* ``binding`` records (``type: "arrow"``) tying an arrow (``fromId``) to a shape (``toId``):
  records that reference other records;
* ``instance_presence``, the presence record (cursor, page, selection).

Versions (the ``com.tlsync.sim.shape`` migration sequence, geo shapes only):

* 0: a geo shape's text is ``props.label``;
* 1: ``props.label`` is renamed ``props.text`` (down: renamed back; lossless);
* 2: ``props.growY`` is added (up: ``0``; down: deleted, so an edit by a version-0/1 client
  resets it to ``0``, as tldraw's down migrations lose what older clients cannot hold).

The room always runs :data:`LATEST_VERSION`; clients may run an older one and are served
down-migrated records.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Final

from tlsync_core.store import (
    Migration,
    Record,
    RecordType,
    Store,
    StoreSchema,
    T,
    create_record_migration_sequence,
)

SHAPE_SEQUENCE: Final = "com.tlsync.sim.shape"
LATEST_VERSION: Final = 2
VERSIONS: Final = (0, 1, 2)

DOCUMENT_ID: Final = "document:document"
DEFAULT_PAGE_ID: Final = "page:page"
TEXT_PATH: Final = ("props", "text")
"""Where a shape's appendable text lives in the latest schema."""

COLORS: Final = ("black", "blue", "green", "red", "violet", "orange")
GEOS: Final = ("rectangle", "ellipse", "star", "diamond")

_vec = T.object({"x": T.number, "y": T.number})


def default_document() -> Record:
    return {"id": DOCUMENT_ID, "typeName": "document", "name": "", "gridSize": 10, "meta": {}}


def default_page() -> Record:
    return {"id": DEFAULT_PAGE_ID, "typeName": "page", "name": "Page 1", "index": "a1", "meta": {}}


DOCUMENT = RecordType(
    "document",
    validator=T.model(
        "document",
        T.object(
            {
                "id": T.string,
                "typeName": T.literal("document"),
                "name": T.string,
                "gridSize": T.number,
                "meta": T.json_dict(),
            }
        ),
    ),
)
PAGE = RecordType(
    "page",
    validator=T.model(
        "page",
        T.object(
            {
                "id": T.string,
                "typeName": T.literal("page"),
                "name": T.string,
                "index": T.string,
                "meta": T.json_dict(),
            }
        ),
    ),
)
BINDING = RecordType(
    "binding",
    validator=T.model(
        "binding",
        T.object(
            {
                "id": T.string,
                "typeName": T.literal("binding"),
                "type": T.literal("arrow"),
                "fromId": T.string,
                "toId": T.string,
                "props": T.object(
                    {
                        "terminal": T.literal_enum("start", "end"),
                        "normalizedAnchor": _vec,
                        "isExact": T.boolean,
                        "isPrecise": T.boolean,
                    }
                ),
                "meta": T.json_dict(),
            }
        ),
    ),
)
PRESENCE = RecordType(
    "instance_presence",
    scope="presence",
    validator=T.model(
        "instance_presence",
        T.object(
            {
                "id": T.string,
                "typeName": T.literal("instance_presence"),
                "userName": T.string,
                "color": T.string,
                "cursor": T.nullable(_vec),
                "currentPageId": T.string,
                "selectedShapeIds": T.array_of(T.string),
            }
        ),
    ),
)


def geo_text_key(version: int) -> str:
    """The name of a geo shape's text prop at ``version``."""
    return "label" if version == 0 else "text"


def _shape_props(version: int) -> dict[str, dict[str, Any]]:
    geo: dict[str, Any] = {
        "w": T.number,
        "h": T.number,
        "geo": T.string,
        "color": T.string,
        geo_text_key(version): T.string,
    }
    if version >= 2:
        geo["growY"] = T.number
    return {
        "geo": geo,
        "text": {"text": T.string, "w": T.number, "color": T.string},
        "arrow": {
            "start": _vec,
            "end": _vec,
            "color": T.string,
            "text": T.string,
            "bend": T.number,
        },
        "frame": {"w": T.number, "h": T.number, "name": T.string},
    }


def _shape_type(version: int) -> RecordType:
    variants = {
        name: T.object(
            {
                "id": T.string,
                "typeName": T.literal("shape"),
                "type": T.literal(name),
                "parentId": T.string,
                "index": T.string,
                "x": T.number,
                "y": T.number,
                "rotation": T.number,
                "isLocked": T.boolean,
                "opacity": T.number,
                "props": T.object(props),
                "meta": T.json_dict(),
            }
        )
        for name, props in _shape_props(version).items()
    }
    return RecordType(
        "shape", validator=T.model("shape", T.union("type", variants)), subtype_key="type"
    )


def _is_geo(record: Any) -> bool:
    return isinstance(record, dict) and record.get("type") == "geo"


def _rename_up(record: Record) -> None:
    record["props"]["text"] = record["props"].pop("label")


def _rename_down(record: Record) -> None:
    record["props"]["label"] = record["props"].pop("text")


def _grow_up(record: Record) -> None:
    record["props"]["growY"] = 0


def _grow_down(record: Record) -> None:
    del record["props"]["growY"]


_MIGRATIONS: Final = (
    Migration(
        id=f"{SHAPE_SEQUENCE}/1", scope="record", up=_rename_up, down=_rename_down, filter=_is_geo
    ),
    Migration(
        id=f"{SHAPE_SEQUENCE}/2", scope="record", up=_grow_up, down=_grow_down, filter=_is_geo
    ),
)


def _integrity_checker(store: Store) -> Callable[[], None]:
    def check() -> None:
        if not store.has(DOCUMENT_ID):
            store.put([default_document()])
        if not store.query.exec("page"):
            store.put([default_page()])

    return check


@functools.cache
def create_sim_schema(version: int = LATEST_VERSION) -> StoreSchema:
    """The simulated schema at ``version`` (0, 1 or 2); schemas are shared, never mutated."""
    if version not in VERSIONS:
        raise ValueError(f"no simulated schema version {version}")
    sequence = create_record_migration_sequence(
        SHAPE_SEQUENCE, "shape", list(_MIGRATIONS[:version])
    )
    return StoreSchema.create(
        [DOCUMENT, PAGE, _shape_type(version), BINDING, PRESENCE],
        migrations=[sequence],
        create_integrity_checker=_integrity_checker,
    )


TYPE_DEFAULTS: Final[dict[tuple[str, tuple[str, ...]], tuple[Any, ...]]] = {
    ("shape", ("props", "growY")): (0,),
}
"""Field values a migration may write by itself (not an edit): (typeName, path) -> values."""


def default_records() -> list[Record]:
    """The records an integrity checker creates (the room's and every client's)."""
    return [default_document(), default_page()]
