"""A small built-in schema (`tlsync serve --schema demo`): a few record types for tests and demos.

Documents, pages and shapes with free-form props, and a presence record: enough for bots and
tests to sync real data through a real server.
"""

from __future__ import annotations

from collections.abc import Callable

from tlsync_core.store import RecordType, Store, StoreSchema, T

_json = T.json_value

DOCUMENT = RecordType(
    "document",
    validator=T.model(
        "document",
        T.object(
            {"id": T.string, "typeName": T.literal("document"), "name": T.string, "meta": _json}
        ),
    ),
    default_properties=lambda: {"name": "", "meta": {}},
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
                "meta": _json,
            }
        ),
    ),
    default_properties=lambda: {"name": "Page", "index": "a1", "meta": {}},
)
SHAPE = RecordType(
    "shape",
    validator=T.model(
        "shape",
        T.object(
            {
                "id": T.string,
                "typeName": T.literal("shape"),
                "type": T.string,
                "parentId": T.string,
                "index": T.string,
                "x": T.number,
                "y": T.number,
                "rotation": T.number,
                "props": T.dict(T.string, _json),
                "meta": _json,
            }
        ),
    ),
    default_properties=lambda: {
        "type": "geo",
        "parentId": "page:page",
        "index": "a1",
        "x": 0,
        "y": 0,
        "rotation": 0,
        "props": {},
        "meta": {},
    },
    subtype_key="type",
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
                "cursor": T.nullable(T.object({"x": T.number, "y": T.number})),
            }
        ),
    ),
    default_properties=lambda: {"userName": "", "color": "#000000", "cursor": None},
)


def _integrity_checker(store: Store) -> Callable[[], None]:
    def check() -> None:
        if not store.has("document:document"):
            store.put([DOCUMENT.create(id="document:document")])
        if not store.query.exec("page"):
            store.put([PAGE.create(id="page:page", name="Page 1")])

    return check


def create_demo_schema() -> StoreSchema:
    """The built-in schema: document, page, shape and instance_presence."""
    return StoreSchema.create(
        [DOCUMENT, PAGE, SHAPE, PRESENCE], create_integrity_checker=_integrity_checker
    )
