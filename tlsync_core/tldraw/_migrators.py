"""Building blocks of the ported migrations (internal).

:func:`record_sequence` builds a record migration sequence from a table of named steps and
checks its length against the generated data (so a tldraw update that adds a migration fails at
import until it is ported).

The other helpers give JavaScript's semantics, which tldraw's migrators are written against:
reading a missing property gives ``undefined``, assigning ``undefined`` leaves a key that JSON
drops, ``{...x}`` copies whatever ``x`` is, and ``Number(x)`` converts strings. On JSON dicts
they give tldraw's results, so that a migration of an odd old record does what tldraw's does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from tlsync_core.store.jsvalue import UNDEFINED, string_to_number, to_string
from tlsync_core.store.migrations import (
    Migration,
    MigrationSequence,
    UnknownRecord,
    create_record_migration_sequence,
)
from tlsync_core.tldraw.generated import SCHEMA_SEQUENCES

Migrator = Callable[[UnknownRecord], Any]
Step = tuple[str, Migrator, Migrator | None]
"""A migration as tldraw names it: (name, up, down or None)."""


def record_sequence(
    sequence_id: str,
    record_type: str,
    steps: list[Step],
    *,
    filter: Callable[[UnknownRecord], bool] | None = None,
) -> MigrationSequence:
    """The record migrations ``<sequence_id>/1``, ``/2``… of ``record_type`` records, one per step.

    Raises AssertionError if tldraw's schema has another number of them.
    """
    expected = SCHEMA_SEQUENCES.get(sequence_id)
    if expected != len(steps):
        raise AssertionError(
            f"{sequence_id} has {len(steps)} migrations here but {expected} in tldraw: "
            "port the new ones (see scripts/gen-tldraw-data)"
        )
    return create_record_migration_sequence(
        sequence_id,
        record_type,
        [
            Migration(f"{sequence_id}/{n}", "record", up, down)
            for n, (_, up, down) in enumerate(steps, 1)
        ],
        filter=filter,
    )


def get(obj: Any, key: str) -> Any:
    """``obj[key]``: UNDEFINED when absent; a TypeError on ``null``/``undefined``, as in JS."""
    if obj is None or obj is UNDEFINED:
        raise TypeError(f"Cannot read properties of {to_string(obj)} (reading '{key}')")
    return obj.get(key, UNDEFINED) if isinstance(obj, dict) else UNDEFINED


def put(obj: Any, key: str, value: Any) -> None:
    """``obj[key] = value``; assigning UNDEFINED removes the key (JSON would drop it)."""
    if not isinstance(obj, dict):
        raise TypeError(f"Cannot set properties of {to_string(obj)} (setting '{key}')")
    if value is UNDEFINED:
        obj.pop(key, None)
    else:
        obj[key] = value


def delete(obj: Any, key: str) -> None:
    """``delete obj[key]`` (a TypeError on ``null``/``undefined``)."""
    if obj is None or obj is UNDEFINED:
        raise TypeError(f"Cannot convert undefined or null to object (deleting '{key}')")
    if isinstance(obj, dict):
        obj.pop(key, None)


def move(obj: Any, source: str, target: str) -> None:
    """``obj[target] = obj[source]; delete obj[source]``."""
    put(obj, target, get(obj, source))
    delete(obj, source)


def spread(value: Any) -> dict[str, Any]:
    """The own enumerable properties ``{...value}`` copies."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list | str):
        return {str(i): item for i, item in enumerate(value)}
    return {}


def to_number(value: Any) -> float:
    """JavaScript's ``Number(value)`` for JSON values."""
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        return string_to_number(value)
    if value is None:
        return 0
    if isinstance(value, list):
        return string_to_number(to_string(value))
    return math.nan  # undefined, and objects ("[object Object]")


def adds(**values: Any) -> Callable[[UnknownRecord], None]:
    """A migrator that sets these fields; a callable value (``dict``, ``list``) is a factory."""

    def migrate(record: UnknownRecord) -> None:
        for key, value in values.items():
            record[key] = value() if callable(value) else value

    return migrate


def chain(*migrators: Callable[[UnknownRecord], None]) -> Callable[[UnknownRecord], None]:
    """A migrator that runs these in turn."""

    def migrate(record: UnknownRecord) -> None:
        for migrator in migrators:
            migrator(record)

    return migrate


def removes(*keys: str) -> Callable[[UnknownRecord], None]:
    """A migrator that deletes ``keys`` from the record."""

    def migrate(record: UnknownRecord) -> None:
        for key in keys:
            record.pop(key, None)

    return migrate


def noop(_record: UnknownRecord) -> None:
    """A migrator that changes nothing."""
