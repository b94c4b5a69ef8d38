"""StoreSchema: record types, validation hooks, versions and migration of records and snapshots."""

from __future__ import annotations

from typing import Any

import pytest

from tlsync_core.store import (
    Err,
    Migration,
    MigrationFailedError,
    MigrationFailureReason,
    Ok,
    RecordType,
    Store,
    StoreSchema,
    ValidationFailure,
    create_migration_sequence,
    create_record_migration_sequence,
)

Record = dict[str, Any]


def rename_label(record: Record) -> None:
    record["label"] = record.pop("name")


def unrename_label(record: Record) -> None:
    record["name"] = record.pop("label")


def add_size(record: Record) -> None:
    record["size"] = 1


def drop_size(record: Record) -> None:
    del record["size"]


Box = RecordType("box", scope="document")
Pointer = RecordType("pointer", scope="session")
BOX_SEQUENCE = create_record_migration_sequence(
    "com.example.box",
    "box",
    [
        Migration(id="com.example.box/1", scope="record", up=rename_label, down=unrename_label),
        Migration(id="com.example.box/2", scope="record", up=add_size, down=drop_size),
    ],
)
ONE_WAY = create_migration_sequence(
    "com.example.flag",
    [Migration(id="com.example.flag/1", scope="record", up=lambda r: {**r, "flag": True})],
    retroactive=False,
)


def schema(**kwargs: Any) -> StoreSchema:
    return StoreSchema.create([Box, Pointer], migrations=[BOX_SEQUENCE, ONE_WAY], **kwargs)


def v2(box: int, flag: int | None = None) -> dict[str, Any]:
    sequences: dict[str, int] = {"com.example.box": box}
    if flag is not None:
        sequences["com.example.flag"] = flag
    return {"schemaVersion": 2, "sequences": sequences}


@pytest.mark.spec("SC1")
def test_serialize_gives_every_sequence_its_latest_version() -> None:
    """serialize() is the V2 format with each sequence's last migration number."""
    assert schema().serialize() == v2(2, 1)
    assert schema().serialize_earliest_version() == v2(0, 0)


@pytest.mark.spec("SC2")
def test_types_are_registered_once_each() -> None:
    """Duplicate types, mismatched names and duplicate sequences are refused."""
    with pytest.raises(ValueError, match="duplicate record type"):
        StoreSchema.create([Box, Box])
    with pytest.raises(ValueError, match="registered as"):
        StoreSchema.create({"crate": Box})
    with pytest.raises(ValueError, match="Duplicate migration sequenceId"):
        StoreSchema.create([Box], migrations=[BOX_SEQUENCE, BOX_SEQUENCE])
    with pytest.raises(KeyError, match="Missing definition for record type ghost"):
        schema().get_type("ghost")


@pytest.mark.spec("SC3")
def test_migrating_a_current_record_returns_the_same_object() -> None:
    """With nothing to migrate, the very same record comes back."""
    record = {"id": "box:a", "typeName": "box", "label": "x", "size": 1}
    result = schema().migrate_persisted_record(record, v2(2, 1))
    assert isinstance(result, Ok)
    assert result.value is record


@pytest.mark.spec("SC3")
def test_records_migrate_up_and_back_down() -> None:
    """A v0 record migrates up to the current shape, and down again to the v0 shape."""
    old = {"id": "box:a", "typeName": "box", "name": "x"}
    up = schema().migrate_persisted_record(old, v2(0, 1))
    assert up == Ok({"id": "box:a", "typeName": "box", "label": "x", "size": 1})
    assert old == {"id": "box:a", "typeName": "box", "name": "x"}
    assert isinstance(up, Ok)
    down = schema().migrate_persisted_record(up.value, v2(0, 1), "down")
    assert down == Ok(old)


@pytest.mark.spec("SC3")
def test_a_newer_peer_or_a_missing_down_is_refused() -> None:
    """Versions we do not have fail; a down through an up-only migration fails."""
    record = {"id": "box:a", "typeName": "box", "label": "x", "size": 1}
    assert schema().migrate_persisted_record(record, v2(3, 1)) == Err(
        MigrationFailureReason.MigrationError
    )
    assert schema().migrate_persisted_record(record, v2(2, 0), "down") == Err(
        MigrationFailureReason.TargetVersionTooOld
    )


@pytest.mark.spec("SC4")
def test_v1_schemas_are_upgraded_before_comparing() -> None:
    """A V1 schema (storeVersion / recordVersions) is read as its V2 equivalent."""
    v1 = {
        "schemaVersion": 1,
        "storeVersion": 0,
        "recordVersions": {"box": {"version": 1}},
    }
    migrations = schema().get_migrations_since(v1)
    assert isinstance(migrations, Ok)
    # com.tldraw.* names do not match our sequences: ours are all retroactive or not
    assert [m.id for m in migrations.value] == ["com.example.box/1", "com.example.box/2"]
    bad = schema().get_migrations_since({"schemaVersion": 9})
    assert isinstance(bad, Err)
    assert "Bad schema version" in bad.error


@pytest.mark.spec("SC5")
def test_snapshots_migrate_and_lose_non_document_records() -> None:
    """A snapshot is migrated record by record, and session records are dropped."""
    snapshot = {
        "store": {
            "box:a": {"id": "box:a", "typeName": "box", "name": "x"},
            "pointer:p": {"id": "pointer:p", "typeName": "pointer"},
        },
        "schema": v2(0, 1),
    }
    migrated = schema().migrate_store_snapshot(snapshot)
    assert migrated == {"box:a": {"id": "box:a", "typeName": "box", "label": "x", "size": 1}}
    store = Store(schema=schema())
    store.load_snapshot(snapshot)
    assert store.serialize("all") == migrated


@pytest.mark.spec("SC5")
def test_snapshots_that_cannot_migrate_raise_clear_errors() -> None:
    """Newer schemas, unknown record types and malformed snapshots raise MigrationFailedError."""
    newer = {"store": {}, "schema": v2(5, 1)}
    with pytest.raises(MigrationFailedError, match="Incompatible schema"):
        schema().migrate_store_snapshot(newer)
    unknown = {
        "store": {"ghost:a": {"id": "ghost:a", "typeName": "ghost"}},
        "schema": v2(0, 1),
    }
    with pytest.raises(MigrationFailedError, match="ghost"):
        schema().migrate_store_snapshot(unknown)
    with pytest.raises(MigrationFailedError, match="mapping"):
        schema().migrate_store_snapshot({"store": [], "schema": v2(2, 1)})
    with pytest.raises(ValueError, match="'store' and 'schema'"):
        Store(schema=schema()).load_snapshot({"records": {}})


@pytest.mark.spec("SC6")
def test_validation_failures_can_be_repaired_by_the_schema() -> None:
    """on_validation_failure gets the error, record and phase, and its record is used."""
    failures: list[ValidationFailure] = []

    class Strict:
        def validate(self, value: object) -> Any:
            if not isinstance(value, dict) or not isinstance(value.get("label"), str):
                raise ValueError("At box.label: Expected string")
            return value

        def validate_using_known_good_version(self, known_good: Any, new_value: object) -> Any:
            return known_good if known_good == new_value else self.validate(new_value)

    def repair(failure: ValidationFailure) -> Record:
        failures.append(failure)
        assert isinstance(failure.record, dict)
        return {**failure.record, "label": "repaired"}

    strict = RecordType("box", validator=Strict())
    store = Store(schema=StoreSchema.create([strict], on_validation_failure=repair))
    store.put([{"id": "box:a", "typeName": "box", "label": 3}])
    assert store.get("box:a") == {"id": "box:a", "typeName": "box", "label": "repaired"}
    assert [(f.phase, str(f.error)) for f in failures] == [
        ("createRecord", "At box.label: Expected string")
    ]
    unrepaired = Store(schema=StoreSchema.create([strict]))
    with pytest.raises(ValueError, match=r"At box\.label"):
        unrepaired.put([{"id": "box:a", "typeName": "box", "label": 3}])


@pytest.mark.spec("SC7")
def test_record_type_helpers() -> None:
    """create fills defaults and the type; ids are made, recognised and parsed."""
    note = RecordType("note", default_properties=lambda: {"text": "", "tags": []})
    made = note.create(text="hi")
    assert made["typeName"] == "note"
    assert made["text"] == "hi"
    assert made["tags"] == []
    assert note.is_id(made["id"])
    assert len(note.parse_id(made["id"])) == 21
    assert note.create_id("x") == "note:x"
    assert not note.is_id("notes:x")
    with pytest.raises(ValueError, match='is not a valid ID for type "note"'):
        note.parse_id("box:x")
    with pytest.raises(ValueError, match="not a valid note id"):
        note.create(id="box:x")
    first, second = note.create(), note.create()
    assert first["tags"] is not second["tags"]
    clone = note.clone(made)
    assert clone["id"] != made["id"] and clone["text"] == "hi"
