"""The migrations of tldraw's records against tldraw's own (TLS8–TLS11).

Single migrations run on the inputs of tlschema's ``migrations.test.ts`` (ported for every
migration that is not a shape's props migration, plus odd inputs), whole records migrate down
to every older version and back up, and old snapshots migrate, all compared with node.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from node_peer import NodePeer
from tldraw_peer import (
    Direction,
    node_ensure_store_is_usable,
    node_migrate,
    node_run_migrations,
    py_migrate,
    py_run_migration,
)
from tldraw_samples import SAMPLES

from tlsync_core.store.migrations import SerializedSchemaV2
from tlsync_core.tldraw import create_tldraw_schema
from tlsync_core.tldraw.generated import SCHEMA_SEQUENCES

_SCRIBBLE: dict[str, Any] = {
    "points": [{"x": 0, "y": 0}],
    "size": 4,
    "color": "black",
    "opacity": 1,
}
_PRESENCE: dict[str, Any] = {
    "lastActivityTimestamp": 123,
    "followingUserId": None,
    "color": "#FF0000",
    "camera": {"x": 1, "y": 2, "z": 3},
    "cursor": {"type": "default", "x": 1, "y": 2, "rotation": 3},
    "screenBounds": {"x": 0, "y": 0, "w": 1, "h": 1},
    "selectedShapeIds": [],
    "brush": None,
    "scribbles": [],
    "chatMessage": "",
    "meta": {},
}
_PAGE_STATE_NEW: dict[str, Any] = {
    "selectedShapeIds": [],
    "hintingShapeIds": [],
    "erasingShapeIds": [],
    "hoveredShapeId": None,
    "editingShapeId": None,
    "croppingShapeId": None,
    "focusedGroupId": None,
    "meta": {"name": "hallo"},
}
_PAGE_STATE_OLD: dict[str, Any] = {
    "selectedIds": [],
    "hintingIds": [],
    "erasingIds": [],
    "hoveredId": None,
    "editingId": None,
    "croppingId": None,
    "focusLayerId": None,
    "meta": {"name": "hallo"},
}


def _shape(shape_id: str, shape_type: str, index: str = "a1", **props: Any) -> dict[str, Any]:
    return {
        "id": shape_id,
        "typeName": "shape",
        "type": shape_type,
        "parentId": "page:any",
        "index": index,
        "props": props,
    }


def _records(*records: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in records}


def _media(prefix: str) -> list[tuple[str, Direction, Any]]:
    """The image/video asset cases (the migrations they share)."""
    seq = f"com.tldraw.asset.{prefix}"
    return [
        (f"{seq}/1", "up", {"type": prefix, "props": {"src": "https://a.b/c", "width": 1}}),
        (f"{seq}/1", "down", {"props": {"isAnimated": False}}),
        (f"{seq}/2", "up", {"props": {"width": 100, "height": 100}}),
        (f"{seq}/2", "up", {"props": {}}),
        (f"{seq}/2", "down", {"props": {"w": 100, "h": 100}}),
        (f"{seq}/3", "up", {"props": {"src": "not a url"}}),
        (f"{seq}/3", "up", {"props": {"src": "https://a.b/c"}}),
        (f"{seq}/3", "up", {"props": {}}),
        (f"{seq}/3", "down", {"props": {"src": "not a url"}}),
        (f"{seq}/4", "up", {"props": {}}),
        (f"{seq}/4", "down", {"props": {"fileSize": 5}}),
        (f"{seq}/5", "up", {"props": {"fileSize": -1}}),
        (f"{seq}/5", "up", {"props": {"fileSize": 0}}),
        (f"{seq}/5", "down", {"props": {}}),
        (f"{seq}/5", "down", {"props": {"fileSize": 1}}),
        (f"{seq}/5", "down", {}),
    ]


# (migration id, direction, input): tlschema's test inputs, then odd ones
CASES: list[tuple[str, Direction, Any]] = [
    (
        "com.tldraw.store/1",
        "up",
        _records(
            _shape("shape:a", "icon", name="a"),
            _shape("shape:c", "code", name="c"),
            _shape("shape:g", "geo", geo="rectangle"),
            {"id": "page:p", "typeName": "page"},
        ),
    ),
    ("com.tldraw.store/2", "up", {}),
    (
        "com.tldraw.store/3",
        "up",
        _records(
            {"id": "user:123", "typeName": "user"},
            {"id": "user_presence:123", "typeName": "user_presence"},
            {"id": "instance:123", "typeName": "instance"},
        ),
    ),
    (
        "com.tldraw.store/4",
        "up",
        _records(
            {"id": "user_document:123", "typeName": "user_document"},
            {"id": "instance:123", "typeName": "instance"},
        ),
    ),
    ("com.tldraw.store/5", "up", _shape("shape:1", "geo", "a0")),
    ("com.tldraw.store/5", "up", _shape("shape:3", "geo", "a111")),
    ("com.tldraw.store/5", "up", {"typeName": "page", "index": "a1"}),
    ("com.tldraw.store/5", "up", {"typeName": "camera", "index": "a10"}),
    ("com.tldraw.store/5", "down", _shape("shape:1", "geo", "a00")),
    ("com.tldraw.asset/1", "up", {}),
    ("com.tldraw.camera/1", "up", {}),
    ("com.tldraw.document/1", "up", {}),
    ("com.tldraw.document/1", "down", {"name": ""}),
    ("com.tldraw.document/2", "up", {}),
    ("com.tldraw.instance/1", "up", {}),
    ("com.tldraw.instance/2", "up", {"dialog": None}),
    ("com.tldraw.instance/3", "up", {"isToolLocked": True}),
    ("com.tldraw.instance/4", "up", {"propsForNextShape": {"color": "red", "unknown": "gone"}}),
    ("com.tldraw.instance/4", "up", {}),
    ("com.tldraw.instance/5", "up", {"propsForNextShape": {"color": "red"}}),
    ("com.tldraw.instance/5", "up", {}),
    ("com.tldraw.instance/6", "up", {}),
    ("com.tldraw.instance/7", "up", {"propsForNextShape": {"color": "black", "align": "justify"}}),
    ("com.tldraw.instance/7", "up", {"propsForNextShape": {"color": "black", "align": "end"}}),
    ("com.tldraw.instance/7", "up", {"propsForNextShape": {"color": "black"}}),
    ("com.tldraw.instance/7", "up", {"propsForNextShape": None}),
    ("com.tldraw.instance/8", "up", {}),
    ("com.tldraw.instance/9", "up", {"propsForNextShape": {"color": "red"}}),
    ("com.tldraw.instance/10", "up", {"scribble": None}),
    ("com.tldraw.instance/10", "up", {"scribble": {**_SCRIBBLE, "state": "starting"}}),
    ("com.tldraw.instance/10", "up", {}),
    ("com.tldraw.instance/11", "up", {"id": "instance:1", "typeName": "instance", "userId": "u"}),
    ("com.tldraw.instance/12", "up", {"id": "instance:1", "typeName": "instance"}),
    (
        "com.tldraw.instance/13",
        "up",
        {"isToolLocked": True, "propsForNextShape": {"color": "black", "opacity": "0.5"}},
    ),
    ("com.tldraw.instance/13", "up", {"propsForNextShape": {}}),
    ("com.tldraw.instance/13", "up", {"propsForNextShape": {"opacity": None}}),
    ("com.tldraw.instance/13", "up", {"propsForNextShape": {"opacity": " 0.25 "}}),
    ("com.tldraw.instance/14", "up", {}),
    ("com.tldraw.instance/15", "up", {}),
    (
        "com.tldraw.instance/16",
        "up",
        {"isToolLocked": True, "propsForNextShape": {"color": "red", "size": "m"}},
    ),
    ("com.tldraw.instance/17", "up", {}),
    (
        "com.tldraw.instance/18",
        "up",
        {"cursor": {"type": "default", "rotation": 0.1, "color": "b"}},
    ),
    ("com.tldraw.instance/19", "up", {}),
    ("com.tldraw.instance/20", "up", {"isReadOnly": False}),
    ("com.tldraw.instance/20", "up", {}),
    ("com.tldraw.instance/21", "up", {}),
    ("com.tldraw.instance/22", "up", {"scribble": None}),
    ("com.tldraw.instance/23", "up", {}),
    ("com.tldraw.instance/23", "down", {"insets": [False, False, False, False]}),
    ("com.tldraw.instance/24", "up", {}),
    ("com.tldraw.instance/24", "down", {"duplicateProps": None}),
    ("com.tldraw.instance/25", "up", {"canMoveCamera": True}),
    ("com.tldraw.instance/25", "down", {}),
    ("com.tldraw.instance/26", "up", {}),
    ("com.tldraw.instance/26", "down", {"cameraState": "idle"}),
    ("com.tldraw.instance_page_state/1", "up", {}),
    (
        "com.tldraw.instance_page_state/2",
        "up",
        {"id": "i:1", "instanceId": "instance:1", "cameraId": "camera:1", "selectedShapeIds": []},
    ),
    ("com.tldraw.instance_page_state/3", "up", {}),
    ("com.tldraw.instance_page_state/4", "up", _PAGE_STATE_NEW),
    ("com.tldraw.instance_page_state/4", "down", _PAGE_STATE_NEW),
    ("com.tldraw.instance_page_state/5", "up", _PAGE_STATE_OLD),
    ("com.tldraw.instance_page_state/5", "up", {**_PAGE_STATE_OLD, "croppingShapeId": "shape:a"}),
    ("com.tldraw.instance_page_state/5", "up", {"meta": {}}),
    ("com.tldraw.instance_page_state/5", "down", _PAGE_STATE_NEW),
    ("com.tldraw.page/1", "up", {}),
    ("com.tldraw.instance_presence/1", "up", {"scribble": None}),
    ("com.tldraw.instance_presence/1", "up", {"scribble": {**_SCRIBBLE, "state": "starting"}}),
    ("com.tldraw.instance_presence/1", "up", {}),
    ("com.tldraw.instance_presence/2", "up", {"instanceId": "i", "selectedShapeIds": []}),
    ("com.tldraw.instance_presence/3", "up", {}),
    ("com.tldraw.instance_presence/4", "up", {}),
    ("com.tldraw.instance_presence/5", "up", {"selectedShapeIds": []}),
    ("com.tldraw.instance_presence/6", "up", _PRESENCE),
    ("com.tldraw.instance_presence/6", "down", _PRESENCE),
    (
        "com.tldraw.instance_presence/6",
        "down",
        {
            **_PRESENCE,
            "camera": None,
            "lastActivityTimestamp": None,
            "cursor": None,
            "screenBounds": None,
        },
    ),
    ("com.tldraw.pointer/1", "up", {}),
    ("com.tldraw.shape/1", "up", {}),
    ("com.tldraw.shape/1", "down", {"isLocked": False}),
    (
        "com.tldraw.shape/2",
        "up",
        {"type": "s", "x": 0, "props": {"color": "red", "opacity": "0.5"}},
    ),
    ("com.tldraw.shape/2", "up", {"props": {}}),
    *(
        ("com.tldraw.shape/2", "down", {"opacity": opacity, "props": {"color": "red"}})
        for opacity in (0.5, 0.6, 0.1, 0.2, 0.9, 1, None, "0.3")
    ),
    ("com.tldraw.shape/2", "down", {"props": {}}),
    ("com.tldraw.shape/3", "up", {}),
    ("com.tldraw.shape/4", "up", {"props": {"color": "white"}}),
    ("com.tldraw.shape/4", "down", {"props": {"color": "white"}}),
    ("com.tldraw.shape/4", "down", {"props": {"color": "red"}}),
    (
        "com.tldraw.user/1",
        "up",
        {"id": "user:123", "name": "Test", "color": "#000", "imageUrl": "", "meta": {}},
    ),
    *_media("image"),
    ("com.tldraw.asset.image/6", "up", {"props": {"w": 100, "h": 100}}),
    ("com.tldraw.asset.image/6", "down", {"props": {"w": 100, "h": 100, "pixelRatio": 2}}),
    *_media("video"),
    ("com.tldraw.asset.bookmark/1", "up", {"props": {"src": "not a url"}}),
    ("com.tldraw.asset.bookmark/1", "down", {"props": {"src": "not a url"}}),
    ("com.tldraw.asset.bookmark/2", "up", {"props": {}}),
    ("com.tldraw.asset.bookmark/2", "up", {"props": {"favicon": "https://a.b/f.ico"}}),
    ("com.tldraw.asset.bookmark/2", "down", {"props": {"favicon": "https://a.b/f.ico"}}),
    ("com.tldraw.binding.arrow/1", "up", {"props": {}}),
    ("com.tldraw.binding.arrow/1", "down", {"props": {"snap": "edge"}}),
]

_SHAPE_PROPS_SEQUENCE = re.compile(r"com\.tldraw\.shape\.")


@pytest.mark.spec("TLS8")
def test_single_migrations_match_tldraws(node_peer: NodePeer) -> None:
    """Each migration (up, and down where tldraw has one) turns tlschema's test inputs, and
    odd inputs (missing fields, nulls), into what tldraw's turns them into, or fails too."""
    schema = create_tldraw_schema()
    theirs = node_run_migrations(node_peer, CASES)
    for case, expected in zip(CASES, theirs, strict=True):
        assert py_run_migration(schema, *case) == expected, case


@pytest.mark.spec("TLS8")
def test_every_record_migration_is_covered() -> None:
    """The cases above run every migration that is not a shape's props migration (those are
    the shapes' tests), up and, where it exists, down."""
    schema = create_tldraw_schema()
    covered = {(i, d) for i, d, _ in CASES}
    for migration in schema.sorted_migrations:
        if _SHAPE_PROPS_SEQUENCE.match(migration.id):
            continue
        assert (migration.id, "up") in covered, migration.id
        assert migration.down is None or (migration.id, "down") in covered, migration.id


@pytest.mark.spec("TLS8")
def test_fix_index_keys_replaces_a_final_zero_with_three_random_digits() -> None:
    """FixIndexKeys (random in tldraw too) replaces the final 0 of shape, page and line point
    indexes, except the key a0, by three base-62 digits other than 0."""
    schema = create_tldraw_schema()
    points = {"p1": {"id": "p1", "index": "a10", "x": 0, "y": 0}, "p2": {"index": "a0"}}
    shape = _shape("shape:l", "line", "a00", points=points)
    outcome, fixed = py_run_migration(schema, "com.tldraw.store/5", "up", shape)
    assert outcome == "ok"
    assert re.fullmatch(r"a0[1-9A-Za-z]{3}", fixed["index"])
    assert re.fullmatch(r"a1[1-9A-Za-z]{3}", fixed["props"]["points"]["p1"]["index"])
    assert fixed["props"]["points"]["p2"]["index"] == "a0"


def _relevant_sequences(record: dict[str, Any]) -> list[str]:
    names = {
        "com.tldraw.store",
        f"com.tldraw.{record['typeName']}",
        f"com.tldraw.{record['typeName']}.{record.get('type')}",
    }
    return [name for name in SCHEMA_SEQUENCES if name in names]


def _older_schemas(record: dict[str, Any]) -> list[SerializedSchemaV2]:
    """Our schema with one of the record's sequences at each older version, or absent."""
    current = create_tldraw_schema().serialize()
    schemas: list[SerializedSchemaV2] = []
    for name in _relevant_sequences(record):
        for version in range(SCHEMA_SEQUENCES[name]):
            schemas.append(
                {"schemaVersion": 2, "sequences": {**current["sequences"], name: version}}
            )
        without = {k: v for k, v in current["sequences"].items() if k != name}
        schemas.append({"schemaVersion": 2, "sequences": without})
    return schemas


@pytest.mark.spec("TLS9")
def test_records_migrate_down_and_back_up_like_tldraw(node_peer: NodePeer) -> None:
    """Every kind of record migrates down to each older version of its sequences (or fails
    with the same reason), and the result migrates back up, exactly as in tldraw."""
    schema = create_tldraw_schema()
    records = [*node_ensure_store_is_usable(node_peer, []), *SAMPLES]
    downs: list[tuple[Any, Any, Direction]] = [
        (record, old, "down") for record in records for old in _older_schemas(record)
    ]
    theirs_down = node_migrate(node_peer, downs)
    ours_down = [py_migrate(schema, *case) for case in downs]
    assert ours_down == theirs_down
    ups: list[tuple[Any, Any, Direction]] = [
        (outcome[1], case[1], "up")
        for case, outcome in zip(downs, ours_down, strict=True)
        if outcome[0] == "ok"
    ]
    assert len(ups) > 50
    assert [py_migrate(schema, *case) for case in ups] == node_migrate(node_peer, ups)


@pytest.mark.spec("TLS10")
def test_old_snapshots_migrate_like_tldraw(node_peer: NodePeer) -> None:
    """A snapshot from the oldest schema (every sequence at 0) loses the records of retired
    types and brings the others up to date, as migrateStoreSnapshot does; a snapshot from a
    newer schema is refused by both."""
    schema = create_tldraw_schema()
    records = _records(
        {"id": "document:document", "typeName": "document", "gridSize": 10},
        {"id": "page:p", "typeName": "page", "name": "P", "index": "a1"},
        {"id": "user:1", "typeName": "user"},
        {"id": "user_document:1", "typeName": "user_document"},
        _shape("shape:i", "icon"),
        {**_shape("shape:s", "group"), "x": 0, "y": 0, "rotation": 0, "props": {"opacity": "0.5"}},
        {"id": "asset:a", "typeName": "asset", "type": "image", "props": {"width": 1}},
    )
    snapshot = {"store": records, "schema": schema.serialize_earliest_version()}
    theirs = node_peer.call("tldrawMigrateSnapshot", snapshot=snapshot)
    assert theirs["type"] == "success"
    assert schema.migrate_store_snapshot(snapshot) == theirs["value"]
    newer = {"schemaVersion": 2, "sequences": {"com.tldraw.page": 99}}
    theirs = node_peer.call("tldrawMigrateSnapshot", snapshot={"store": {}, "schema": newer})
    assert theirs["type"] == "error"
    with pytest.raises(ValueError, match="Failed to migrate snapshot"):
        schema.migrate_store_snapshot({"store": {}, "schema": newer})
