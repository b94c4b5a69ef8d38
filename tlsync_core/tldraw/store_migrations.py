"""The store-wide migrations of tldraw's schema, ``com.tldraw.store`` (``store-migrations.ts``).

Four storage migrations that delete records of retired types, then ``FixIndexKeys``, a record
migration that replaces fractional index keys ending in ``0`` (invalid since then) by the same
key with three random base-62 digits instead of the ``0``, as tldraw does. The sequence is not
retroactive: data whose schema lacks it gets none of them.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any, Final

from tlsync_core.store.migrations import (
    Migration,
    MigrationScope,
    RecordStorage,
    create_migration_sequence,
)
from tlsync_core.tldraw._migrators import Migrator, get, noop
from tlsync_core.tldraw.generated import SCHEMA_SEQUENCES

__all__ = ["store_migrations"]

_SEQUENCE_ID: Final = "com.tldraw.store"
_BASE_62_DIGITS_WITHOUT_ZERO: Final = (
    "123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)


def _delete_where(storage: RecordStorage, doomed: Callable[[dict[str, Any]], object]) -> None:
    for record_id, record in list(storage.entries()):
        if doomed(record):
            storage.delete(record_id)


def _remove_code_and_icon_shapes(storage: RecordStorage) -> None:
    _delete_where(
        storage,
        lambda r: r.get("typeName") == "shape" and r.get("type", None) in ("icon", "code"),
    )


def _remove_user_and_presence(storage: RecordStorage) -> None:
    _delete_where(storage, lambda r: re.fullmatch("user|user_presence", r["typeName"]))


def _remove_user_document(storage: RecordStorage) -> None:
    _delete_where(storage, lambda r: re.search("user_document", r["typeName"]))


def _fixed_index(index: Any) -> Any:
    """``index`` with a random ending instead of a final ``0`` (``a0`` stays)."""
    if index.endswith("0") and index != "a0":
        digits = "".join(secrets.choice(_BASE_62_DIGITS_WITHOUT_ZERO) for _ in range(3))
        return index[:-1] + digits
    return index


def _fix_index_keys(record: dict[str, Any]) -> None:
    if record.get("typeName") not in ("shape", "page") or "index" not in record:
        return
    record["index"] = _fixed_index(record["index"])
    if record["typeName"] == "shape" and record.get("type") == "line":
        points = get(get(record, "props"), "points")
        for point in points.values() if isinstance(points, dict) else points:
            point["index"] = _fixed_index(point["index"])


_MIGRATIONS: Final[list[tuple[str, MigrationScope, Callable[[Any], Any], Migrator | None]]] = [
    ("RemoveCodeAndIconShapeTypes", "storage", _remove_code_and_icon_shapes, None),
    ("AddInstancePresenceType", "storage", noop, None),
    ("RemoveTLUserAndPresenceAndAddPointer", "storage", _remove_user_and_presence, None),
    ("RemoveUserDocument", "storage", _remove_user_document, None),
    ("FixIndexKeys", "record", _fix_index_keys, noop),
]
if len(_MIGRATIONS) != SCHEMA_SEQUENCES[_SEQUENCE_ID]:
    raise AssertionError("tldraw has other store migrations: port them")

store_migrations: Final = create_migration_sequence(
    _SEQUENCE_ID,
    [
        Migration(f"{_SEQUENCE_ID}/{n}", scope, up, down)
        for n, (_, scope, up, down) in enumerate(_MIGRATIONS, 1)
    ],
    retroactive=False,
)
