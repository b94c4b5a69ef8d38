"""Run the same tldraw-schema operation in Python and in node, in a comparable form.

Each ``*_outcomes`` pair returns one :data:`Outcome` per case: ``("ok", value)`` or
``("error", detail)``, where the detail is the error message (validation), the failure reason
(record migrations) or only the fact of an exception (single migrators). Node runs the real
``@tldraw/tlschema`` 5.4.2 default schema through ``tests/node/ops/tldraw.mjs``; the Python
side runs ``create_tldraw_schema()``. The shapes tests use these helpers too.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, Literal

from node_peer import NodePeer

from tlsync_core.store.migrations import DictRecordStorage, Err
from tlsync_core.store.schema import StoreSchema
from tlsync_core.store.store import Store

Outcome = tuple[Literal["ok", "error"], Any]
Direction = Literal["up", "down"]

# errors of single migrators are compared by kind only: JavaScript's TypeError messages are not
# reproduced
MIGRATOR_FAILED = "migrator threw"


def py_validate(schema: StoreSchema, record: Any, record_before: Any = None) -> Outcome:
    """``schema.validate_record`` in the ``createRecord`` phase, as an outcome."""
    try:
        return ("ok", schema.validate_record(None, record, "createRecord", record_before))  # type: ignore[arg-type]
    except Exception as error:
        return ("error", str(error))


def node_validate(peer: NodePeer, cases: Sequence[tuple[Any, Any]]) -> list[Outcome]:
    """tldraw's ``schema.validateRecord`` for each ``(record, record_before)``."""
    answers = peer.call(
        "tldrawValidateRecords",
        cases=[{"record": r, "recordBefore": before} for r, before in cases],
    )
    return [("ok", a["ok"]) if "ok" in a else ("error", a["error"]) for a in answers]


def py_migrate(schema: StoreSchema, record: Any, from_schema: Any, direction: Direction) -> Outcome:
    """``schema.migrate_persisted_record`` as an outcome (errors by reason)."""
    result = schema.migrate_persisted_record(record, from_schema, direction)
    if isinstance(result, Err):
        return ("error", str(result.error))
    return ("ok", result.value)


def node_migrate(peer: NodePeer, cases: Sequence[tuple[Any, Any, Direction]]) -> list[Outcome]:
    """tldraw's ``schema.migratePersistedRecord`` for each ``(record, from_schema, direction)``."""
    answers = peer.call(
        "tldrawMigrateRecords",
        cases=[{"record": r, "fromSchema": s, "direction": d} for r, s, d in cases],
    )
    return [
        ("ok", a["value"]) if a["type"] == "success" else ("error", a.get("reason", a.get("error")))
        for a in answers
    ]


def py_run_migration(
    schema: StoreSchema, migration_id: str, direction: Direction, value: Any
) -> Outcome:
    """One migration run as tlschema's tests run it (no filter; storage on a dict copy)."""
    migration = next(m for m in schema.sorted_migrations if m.id == migration_id)
    fn = migration.up if direction == "up" else migration.down
    if fn is None:
        return ("error", MIGRATOR_FAILED)
    value = copy.deepcopy(value)
    try:
        if migration.scope == "storage":
            fn(DictRecordStorage(value))
            return ("ok", value)
        result = fn(value)
    except Exception:
        return ("error", MIGRATOR_FAILED)
    return ("ok", value if result is None else result)


def node_run_migrations(
    peer: NodePeer, cases: Sequence[tuple[str, Direction, Any]]
) -> list[Outcome]:
    answers = peer.call(
        "tldrawRunMigrations",
        cases=[{"id": i, "direction": d, "value": v} for i, d, v in cases],
    )
    return [("ok", a["ok"]) if "ok" in a else ("error", MIGRATOR_FAILED) for a in answers]


def py_ensure_store_is_usable(
    schema: StoreSchema, records: Sequence[dict[str, Any]], default_name: str = ""
) -> list[dict[str, Any]]:
    """The records of a store holding ``records`` once tldraw's integrity checker ran."""
    store = Store(schema=schema, props={"defaultName": default_name})
    try:
        store.merge_remote_changes(lambda: store.put(records) if records else None)
        store.ensure_store_is_usable()
        return sorted(store.all_records(), key=lambda r: str(r["id"]))
    finally:
        store.dispose()


def node_ensure_store_is_usable(
    peer: NodePeer, records: Sequence[dict[str, Any]], default_name: str = ""
) -> list[dict[str, Any]]:
    return list(
        peer.call("tldrawEnsureStoreIsUsable", records=list(records), defaultName=default_name)
    )
