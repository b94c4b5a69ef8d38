"""Migrations: sequences, their order, schema versions, and applying them (SPEC.md §2b).

This module follows ``@tldraw/store`` 5.4.2 (``migrate.ts`` and the migration half of
``StoreSchema.ts``) but holds only values and pure functions; the schema object that owns a set
of sequences is built on top of it.  SPEC.md §2 "Store: migrations" states the rules (MG1…).

Vocabulary:

* A :class:`Migration` has an id ``"<sequenceId>/<n>"`` and a scope.  ``record`` migrations see
  one record dict at a time (optionally only those their ``filter`` accepts), ``store``
  migrations (legacy) see the whole ``{id: record}`` map, and ``storage`` migrations see a
  :class:`RecordStorage`.  ``record`` and ``store`` migrators may mutate their argument in place
  and return ``None``, or return a new value.
* A :class:`MigrationSequence` is a numbered run of migrations (``seq/1``, ``seq/2``, …).  When a
  persisted schema does not mention a sequence, a *retroactive* sequence applies in full and a
  non-retroactive one not at all.
* A serialized schema (:data:`SerializedSchema`) records the version reached in each sequence.
  The legacy V1 format is upgraded to V2 by :func:`upgrade_schema`, which is the one place that
  reads schemas coming from the network and so checks their shape.

Results are :class:`Ok` or :class:`Err` values rather than exceptions where tldraw returns a
result object (selection and per-record migration); programming errors in migration definitions
raise :class:`ValueError`.
"""

from __future__ import annotations

import copy
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from enum import StrEnum
from typing import (
    Any,
    ClassVar,
    Generic,
    Literal,
    NotRequired,
    Protocol,
    TypeAlias,
    TypedDict,
    TypeGuard,
    TypeVar,
    cast,
)

import attrs

from tlsync_core.store.jsvalue import js_equal, js_truthy

__all__ = [
    "DictRecordStorage",
    "Err",
    "Migration",
    "MigrationDirection",
    "MigrationFailureReason",
    "MigrationResult",
    "MigrationScope",
    "MigrationSequence",
    "Ok",
    "RecordStorage",
    "RecordVersionV1",
    "SchemaFormatError",
    "SerializedSchema",
    "SerializedSchemaV1",
    "SerializedSchemaV2",
    "StandaloneDependsOn",
    "UnknownRecord",
    "create_migration_ids",
    "create_migration_sequence",
    "create_record_migration_sequence",
    "get_migrations_since",
    "migrate_record",
    "migrate_storage",
    "parse_migration_id",
    "serialize_earliest_version",
    "serialize_sequences",
    "sort_migrations",
    "upgrade_schema",
    "validate_migrations",
]

_log = logging.getLogger(__name__)

T = TypeVar("T")
E = TypeVar("E")

UnknownRecord: TypeAlias = dict[str, Any]
"""A record as plain JSON data: at least ``id`` and ``typeName``."""

MigrationScope: TypeAlias = Literal["record", "store", "storage"]
MigrationDirection: TypeAlias = Literal["up", "down"]

_SCOPES: frozenset[str] = frozenset(("record", "store", "storage"))


# --------------------------------------------------------------------------------------------
# Results


@attrs.frozen
class Ok(Generic[T]):
    """A success carrying ``value``."""

    value: T
    ok: ClassVar[Literal[True]] = True


@attrs.frozen
class Err(Generic[E]):
    """A failure carrying ``error`` (a reason or a message) and, when known, the exception."""

    error: E
    cause: BaseException | None = attrs.field(default=None, eq=False, repr=False)
    ok: ClassVar[Literal[False]] = False


class MigrationFailureReason(StrEnum):
    """Why a record could not be migrated; the values (and ``str()``) are tldraw's strings."""

    IncompatibleSubtype = "incompatible-subtype"
    UnknownType = "unknown-type"
    TargetVersionTooNew = "target-version-too-new"
    TargetVersionTooOld = "target-version-too-old"
    MigrationError = "migration-error"
    UnrecognizedSubtype = "unrecognized-subtype"


MigrationResult: TypeAlias = Ok[T] | Err[MigrationFailureReason]
"""The outcome of migrating one value: ``Ok(value)`` or ``Err(reason)``."""


# --------------------------------------------------------------------------------------------
# Storage


class RecordStorage(Protocol):
    """Synchronous record storage that ``storage``-scope migrations read and write.

    The Python counterpart of tldraw's ``SynchronousRecordStorage``.  :class:`DictRecordStorage`
    adapts a plain ``dict``; a database-backed storage may return live iterators, which is why
    :func:`migrate_storage` never writes while iterating ``entries()``.
    """

    def get(self, record_id: str) -> UnknownRecord | None: ...

    def set(self, record_id: str, record: UnknownRecord) -> None: ...

    def delete(self, record_id: str) -> None: ...

    def keys(self) -> Iterable[str]: ...

    def values(self) -> Iterable[UnknownRecord]: ...

    def entries(self) -> Iterable[tuple[str, UnknownRecord]]: ...


class DictRecordStorage:
    """:class:`RecordStorage` over a mutable mapping of id → record (changes go to the mapping)."""

    __slots__ = ("records",)

    def __init__(self, records: MutableMapping[str, UnknownRecord] | None = None) -> None:
        self.records: MutableMapping[str, UnknownRecord] = {} if records is None else records

    def get(self, record_id: str) -> UnknownRecord | None:
        return self.records.get(record_id)

    def set(self, record_id: str, record: UnknownRecord) -> None:
        self.records[record_id] = record

    def delete(self, record_id: str) -> None:
        self.records.pop(record_id, None)

    def keys(self) -> Iterator[str]:
        return iter(self.records.keys())

    def values(self) -> Iterator[UnknownRecord]:
        return iter(self.records.values())

    def entries(self) -> Iterator[tuple[str, UnknownRecord]]:
        return iter(self.records.items())


# --------------------------------------------------------------------------------------------
# Migrations and sequences


def _to_id_tuple(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError(f"depends_on must be a collection of migration ids, not {value!r}")
    return tuple(value)


@attrs.frozen
class Migration:
    """One migration step.

    ``up``/``down`` receive a record dict (``record`` scope), the whole ``{id: record}`` map
    (``store`` scope) or a :class:`RecordStorage` (``storage`` scope, which has no ``down``).
    ``record`` and ``store`` migrators may mutate their argument and return ``None`` or return a
    new value.  ``filter`` (``record`` scope only) limits the records a migration touches.
    ``depends_on`` lists migration ids, of any sequence, that must run first.
    """

    id: str
    scope: MigrationScope
    up: Callable[[Any], Any]
    down: Callable[[Any], Any] | None = None
    filter: Callable[[UnknownRecord], bool] | None = None
    depends_on: tuple[str, ...] = attrs.field(default=(), converter=_to_id_tuple)

    def __attrs_post_init__(self) -> None:
        if self.scope not in _SCOPES:
            raise ValueError(
                f"Migration '{self.id}' has scope {self.scope!r}; "
                "expected 'record', 'store' or 'storage'"
            )
        if self.scope == "storage" and self.down is not None:
            raise ValueError(f"Migration '{self.id}': a storage-scope migration has no down")
        if self.scope != "record" and self.filter is not None:
            raise ValueError(f"Migration '{self.id}': only record-scope migrations take a filter")


@attrs.frozen
class StandaloneDependsOn:
    """A sequence entry that is not a migration: its ids join the next migration's depends_on."""

    depends_on: tuple[str, ...] = attrs.field(converter=_to_id_tuple)


def _to_migrations(value: Iterable[Migration]) -> tuple[Migration, ...]:
    migrations = tuple(value)
    for m in migrations:
        if not isinstance(m, Migration):
            hint = (
                " (use create_migration_sequence for standalone depends-on entries)"
                if isinstance(m, StandaloneDependsOn)
                else ""
            )
            raise TypeError(f"a MigrationSequence holds Migration objects, got {m!r}{hint}")
    return migrations


@attrs.frozen
class MigrationSequence:
    """A run of migrations numbered ``seq/1``, ``seq/2``, …; see :func:`validate_migrations`.

    ``retroactive``: when a persisted schema lacks this sequence, apply all of it (``True``) or
    none of it (``False``, for sequences whose record types are new to that data).
    """

    sequence_id: str
    retroactive: bool = True
    migrations: tuple[Migration, ...] = attrs.field(default=(), converter=_to_migrations)

    def __attrs_post_init__(self) -> None:
        validate_migrations(self)

    @property
    def version(self) -> int:
        """The number of the last migration, or 0 for an empty sequence."""
        return parse_migration_id(self.migrations[-1].id)[1] if self.migrations else 0


_MIGRATION_ID = re.compile(r"([^/]+)/(0|[1-9][0-9]*)")


def parse_migration_id(migration_id: str) -> tuple[str, int]:
    """Split ``"<sequenceId>/<n>"`` into ``(sequenceId, n)``.

    The sequence id must be non-empty without ``/``, and ``n`` a decimal number without leading
    zeros; anything else raises ``ValueError("Invalid migration id: '…'")``.
    """
    match = _MIGRATION_ID.fullmatch(migration_id) if isinstance(migration_id, str) else None
    if match is None:
        shown = f"'{migration_id}'" if isinstance(migration_id, str) else repr(migration_id)
        raise ValueError(f"Invalid migration id: {shown}")
    return match.group(1), int(match.group(2))


def validate_migrations(sequence: MigrationSequence) -> None:
    """Check a sequence's ids: a valid sequence id, and ids ``seq/1``, ``seq/2``, … in order.

    Raises ``ValueError`` with tldraw's wording.  :class:`MigrationSequence` runs this on
    construction, so it only fails here for objects built around that check.
    """
    sequence_id = sequence.sequence_id
    if "/" in sequence_id:
        raise ValueError(f"sequenceId cannot contain a '/', got {sequence_id}")
    if not sequence_id:
        raise ValueError("sequenceId must be a non-empty string")
    expected = 1
    for migration in sequence.migrations:
        migration_id = migration.id
        if not isinstance(migration_id, str) or not migration_id.startswith(sequence_id + "/"):
            raise ValueError(
                f"Every migration in sequence '{sequence_id}' must have an id starting with "
                f"'{sequence_id}/'. Got invalid id: '{migration_id}'"
            )
        version = parse_migration_id(migration_id)[1]
        if version != expected:
            if expected == 1:
                raise ValueError(
                    f"Expected the first migrationId to be '{sequence_id}/1' "
                    f"but got '{migration_id}'"
                )
            raise ValueError(
                "Migration id numbers must increase in increments of 1, "
                f"expected {sequence_id}/{expected} but got '{migration_id}'"
            )
        expected += 1


def create_migration_sequence(
    sequence_id: str,
    migrations: Iterable[Migration | StandaloneDependsOn],
    *,
    retroactive: bool = True,
) -> MigrationSequence:
    """Build and validate a sequence.

    A :class:`StandaloneDependsOn` entry adds its ids in front of the next migration's
    ``depends_on`` (consecutive entries keep their order); with no migration after it, it is
    dropped.
    """
    result: list[Migration] = []
    pending: list[str] = []
    for entry in migrations:
        if isinstance(entry, StandaloneDependsOn):
            pending.extend(entry.depends_on)
        elif isinstance(entry, Migration):
            if pending:
                result.append(attrs.evolve(entry, depends_on=(*pending, *entry.depends_on)))
                pending = []
            else:
                result.append(entry)
        else:
            raise TypeError(f"expected a Migration or StandaloneDependsOn, got {entry!r}")
    return MigrationSequence(sequence_id, retroactive, tuple(result))


def create_migration_ids(sequence_id: str, versions: Mapping[str, int]) -> dict[str, str]:
    """Name → ``"<sequence_id>/<version>"`` for each entry of ``versions``."""
    return {name: f"{sequence_id}/{version}" for name, version in versions.items()}


def create_record_migration_sequence(
    sequence_id: str,
    record_type: str,
    migrations: Iterable[Migration],
    *,
    filter: Callable[[UnknownRecord], bool] | None = None,
    retroactive: bool = True,
) -> MigrationSequence:
    """A sequence of record migrations that only touch records of ``record_type``.

    Each migration runs on a record when its ``typeName`` is ``record_type``, then its own
    filter (if any) accepts it, then ``filter`` (if any) does, checked in that order.
    """
    wrapped: list[Migration] = []
    for migration in migrations:
        if not isinstance(migration, Migration):
            raise TypeError(f"expected a Migration, got {migration!r}")
        if migration.scope != "record":
            raise ValueError(
                f"Migration '{migration.id}' has scope '{migration.scope}'; "
                "a record migration sequence holds record-scope migrations only"
            )
        wrapped.append(
            attrs.evolve(migration, filter=_type_filter(record_type, migration.filter, filter))
        )
    return MigrationSequence(sequence_id, retroactive, tuple(wrapped))


def _type_filter(
    record_type: str,
    own: Callable[[UnknownRecord], bool] | None,
    extra: Callable[[UnknownRecord], bool] | None,
) -> Callable[[UnknownRecord], bool]:
    def accepts(record: UnknownRecord) -> bool:
        return (
            record.get("typeName") == record_type
            and (own is None or bool(own(record)))
            and (extra is None or bool(extra(record)))
        )

    return accepts


# --------------------------------------------------------------------------------------------
# Global order


# The ASCII characters in the order of the Unicode root collation that JavaScript's
# String.prototype.localeCompare uses (checked against node 20 / ICU); letters pair a lowercase
# and an uppercase form that differ only at the tertiary (case) level.
_ASCII_PUNCTUATION_ORDER = "\t\n\x0b\x0c\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"
_ASCII_COLLATION_ORDER = (
    _ASCII_PUNCTUATION_ORDER
    + "0123456789"
    + "".join(c + c.upper() for c in "abcdefghijklmnopqrstuvwxyz")
)
_ASCII_PRIMARY: dict[str, int] = {}
for _c in _ASCII_COLLATION_ORDER:
    _ASCII_PRIMARY[_c] = _ASCII_PRIMARY.get(_c.lower(), len(_ASCII_PRIMARY) + 1)
del _c
_NON_ASCII_PRIMARY_BASE = 1000


def _collation_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """A sort key matching JS ``a.localeCompare(b)`` (ICU root collation) for ASCII text.

    Primary weights (base characters: punctuation < digits < letters, case-blind), then
    secondary (accents), then tertiary (lowercase before uppercase).  Control characters are
    ignored, as ICU does.  Beyond ASCII this is an approximation: accented Latin letters sort by
    their base letter then their accent; other characters after ``z`` by code point.
    """
    primary: list[int] = []
    secondary: list[int] = []
    tertiary: list[int] = []
    for char in unicodedata.normalize("NFD", text) if not text.isascii() else text:
        weight = _ASCII_PRIMARY.get(char)
        if weight is None:
            if unicodedata.combining(char):
                secondary.append(1 + ord(char))
                continue
            if unicodedata.category(char) in ("Cc", "Cf"):
                continue  # ignorable (ASCII controls other than whitespace included)
            lower = char.lower()
            weight = _NON_ASCII_PRIMARY_BASE + ord(lower if len(lower) == 1 else char)
        primary.append(weight)
        secondary.append(0)
        tertiary.append(1 if char.isupper() else 0)
    return tuple(primary), tuple(secondary), tuple(tertiary)


def sort_migrations(
    migrations: Iterable[Migration], *, ignore_missing: bool = False
) -> list[Migration]:
    """tldraw's global migration order.

    A topological order in which ``seq/n`` follows ``seq/n-1`` (when that is in the input) and
    every id in its ``depends_on``.  Among the migrations ready at each step, the one whose
    pending dependents need it most goes first: +1 for each pending dependent and +100 more for
    each that names it in ``depends_on``; ties go to the id that sorts first by JS
    ``localeCompare``.  This schedules a dependent right after what it depends on.

    Raises ``ValueError`` for duplicate ids, for a cycle ("Circular dependency in migrations:
    <id>", naming the first migration of the input left over), and, unless ``ignore_missing``,
    for a ``depends_on`` id that is not in the input ("Migration 'a' depends on missing migration
    'b'"; a cycle is reported first).  With ``ignore_missing`` such ids are skipped, as tldraw's
    ``sortMigrations`` does.
    """
    items = list(migrations)
    by_id: dict[str, Migration] = {}
    for m in items:
        if m.id in by_id:
            raise ValueError(f"Duplicate migration id '{m.id}'")
        by_id[m.id] = m
    if not items:
        return []

    # Insertion-ordered sets (dict keys) so that the order in which migrations become ready, and
    # so the result, never depends on hashing.
    dependents: dict[str, dict[str, None]] = {m.id: {} for m in items}
    explicit: dict[str, set[str]] = {m.id: set() for m in items}
    in_degree: dict[str, int] = dict.fromkeys(by_id, 0)
    for m in items:
        sequence_id, version = parse_migration_id(m.id)
        previous = f"{sequence_id}/{version - 1}"
        if previous in by_id:
            dependents[previous][m.id] = None
            in_degree[m.id] += 1
        for dep in m.depends_on:
            if dep not in by_id:
                continue
            explicit[m.id].add(dep)
            # an edge already present (the implicit predecessor, or a repeated id) counts once
            if m.id in dependents[dep]:
                continue
            dependents[dep][m.id] = None
            in_degree[m.id] += 1

    ready = [m for m in items if in_degree[m.id] == 0]
    result: list[Migration] = []
    done: set[str] = set()
    keys: dict[str, tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]] = {}
    while ready:
        best: Migration | None = None
        best_score = -1
        best_key: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]] | None = None
        for m in ready:
            score = 0
            for dependent in dependents[m.id]:
                if dependent not in done:
                    score += 101 if m.id in explicit[dependent] else 1
            key = keys.get(m.id)
            if key is None:
                key = keys[m.id] = _collation_key(m.id)
            if score > best_score or (
                score == best_score and best_key is not None and key < best_key
            ):
                best, best_score, best_key = m, score, key
        assert best is not None
        ready.remove(best)
        result.append(best)
        done.add(best.id)
        for dependent in dependents[best.id]:
            if dependent not in done:
                in_degree[dependent] -= 1
                if in_degree[dependent] == 0:
                    ready.append(by_id[dependent])

    if len(result) != len(items):
        first = next(m for m in items if m.id not in done)
        raise ValueError(f"Circular dependency in migrations: {first.id}")
    if not ignore_missing:
        for m in result:
            for dep in m.depends_on:
                if dep not in by_id:
                    raise ValueError(f"Migration '{m.id}' depends on missing migration '{dep}'")
    return result


# --------------------------------------------------------------------------------------------
# Serialized schemas


class RecordVersionV1(TypedDict):
    """A record type's entry in a V1 schema; subtypes (shape/asset props) when ``subTypeKey``."""

    version: int
    subTypeKey: NotRequired[str]
    subTypeVersions: NotRequired[dict[str, int]]


class SerializedSchemaV1(TypedDict):
    """The legacy schema format: a store version and per-record-type versions."""

    schemaVersion: Literal[1]
    storeVersion: int
    recordVersions: dict[str, RecordVersionV1]


class SerializedSchemaV2(TypedDict):
    """The current schema format: the version reached in each migration sequence."""

    schemaVersion: Literal[2]
    sequences: dict[str, int]


SerializedSchema: TypeAlias = SerializedSchemaV1 | SerializedSchemaV2


class SchemaFormatError(ValueError):
    """A serialized schema that cannot be read (the only error :func:`upgrade_schema` raises)."""


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _is_version(value: object) -> TypeGuard[int]:
    return type(value) is int and value >= 0


def _check_versions(value: object, where: str) -> dict[str, int]:
    if not isinstance(value, dict):
        raise SchemaFormatError(f"Bad schema: {where} must be an object, not {_kind(value)}")
    for key, version in value.items():
        if not isinstance(key, str):
            raise SchemaFormatError(f"Bad schema: {where} has a non-string key {key!r}")
        if not _is_version(version):
            raise SchemaFormatError(
                f"Bad schema: {where}[{key!r}] must be a non-negative integer, got {version!r}"
            )
    return value


def upgrade_schema(schema: object) -> SerializedSchemaV2:
    """Return ``schema`` as V2: a valid V2 schema is returned as is (the same object); V1 is
    converted (store version → ``com.tldraw.store``, each record type → ``com.tldraw.<type>``,
    and, for entries with a ``subTypeKey``, each subtype → ``com.tldraw.<type>.<subtype>``).

    Every problem raises :class:`SchemaFormatError`: "Bad schema version" for a ``schemaVersion``
    other than 1 or 2, and a message naming the field for any other malformation.  Versions must
    be non-negative integers (JSON numbers without a fraction; booleans are not numbers).
    """
    if not isinstance(schema, dict):
        raise SchemaFormatError(f"Bad schema: expected an object, not {_kind(schema)}")
    schema_version = schema.get("schemaVersion")
    if type(schema_version) is not int or schema_version not in (1, 2):
        raise SchemaFormatError("Bad schema version")
    if schema_version == 2:
        _check_versions(schema.get("sequences"), "sequences")
        return cast(SerializedSchemaV2, schema)
    store_version = schema.get("storeVersion")
    if not _is_version(store_version):
        raise SchemaFormatError(
            f"Bad schema: storeVersion must be a non-negative integer, got {store_version!r}"
        )
    record_versions = schema.get("recordVersions")
    if not isinstance(record_versions, dict):
        raise SchemaFormatError("Bad schema: recordVersions must be an object")
    sequences: dict[str, int] = {"com.tldraw.store": store_version}
    for type_name, entry in record_versions.items():
        if not isinstance(type_name, str) or not isinstance(entry, dict):
            raise SchemaFormatError(f"Bad schema: recordVersions[{type_name!r}] must be an object")
        version = entry.get("version")
        if not _is_version(version):
            raise SchemaFormatError(
                f"Bad schema: recordVersions[{type_name!r}].version must be a non-negative "
                f"integer, got {version!r}"
            )
        sequences[f"com.tldraw.{type_name}"] = version
        if "subTypeKey" in entry:
            where = f"recordVersions[{type_name!r}].subTypeVersions"
            sub_versions = _check_versions(entry.get("subTypeVersions"), where)
            for sub_type, sub_version in sub_versions.items():
                sequences[f"com.tldraw.{type_name}.{sub_type}"] = sub_version
    return {"schemaVersion": 2, "sequences": sequences}


def _sequence_list(
    sequences: Mapping[str, MigrationSequence] | Iterable[MigrationSequence],
) -> list[MigrationSequence]:
    if isinstance(sequences, Mapping):
        return list(sequences.values())
    return list(sequences)


def serialize_sequences(
    sequences: Mapping[str, MigrationSequence] | Iterable[MigrationSequence],
) -> SerializedSchemaV2:
    """The V2 schema of a set of sequences: each sequence id → the number of its last migration
    (0 for an empty sequence), in the given order."""
    return {
        "schemaVersion": 2,
        "sequences": {s.sequence_id: s.version for s in _sequence_list(sequences)},
    }


def serialize_earliest_version(
    sequences: Mapping[str, MigrationSequence] | Iterable[MigrationSequence],
) -> SerializedSchemaV2:
    """Like :func:`serialize_sequences`, with every version 0 (data from before any migration)."""
    return {
        "schemaVersion": 2,
        "sequences": {s.sequence_id: 0 for s in _sequence_list(sequences)},
    }


# --------------------------------------------------------------------------------------------
# Selecting migrations


def get_migrations_since(
    sequences: Mapping[str, MigrationSequence],
    persisted: object,
    *,
    sorted_migrations: Sequence[Migration] | None = None,
) -> Ok[list[Migration]] | Err[str]:
    """The migrations that bring data written under ``persisted`` up to ``sequences``.

    ``sequences`` maps each sequence id to its sequence (ours).  ``persisted`` is their
    serialized schema, V1 or V2, straight from the network or disk.  A sequence is included
    when both sides have it, or when only we have it and it is retroactive; sequences only they
    have are ignored.  From an included sequence come all its migrations if their version is 0
    or absent, else every migration after ``seq/<their version>``.  The selection keeps the
    global order of all our migrations (``sorted_migrations``, computed with
    :func:`sort_migrations` when not given).

    Errors (never raised): "Incompatible schema?" when their version is not one of ours (they
    are newer, or the sequence was rewritten), or the :class:`SchemaFormatError` message when
    ``persisted`` cannot be read.
    """
    for key, sequence in sequences.items():
        if key != sequence.sequence_id:
            raise ValueError(f"sequence {sequence.sequence_id!r} is registered under {key!r}")
    try:
        theirs = upgrade_schema(persisted)["sequences"]
    except SchemaFormatError as error:
        return Err(str(error), error)

    included = [sequence_id for sequence_id in theirs if sequence_id in sequences]
    included += [
        sequence_id
        for sequence_id, sequence in sequences.items()
        if sequence_id not in theirs and sequence.retroactive
    ]
    if not included:
        return Ok([])

    wanted: set[str] = set()
    for sequence_id in included:
        migrations = sequences[sequence_id].migrations
        their_version = theirs.get(sequence_id)
        if their_version is None or their_version == 0:
            wanted.update(m.id for m in migrations)
            continue
        their_id = f"{sequence_id}/{their_version}"
        index = next((i for i, m in enumerate(migrations) if m.id == their_id), None)
        if index is None:
            return Err("Incompatible schema?")
        wanted.update(m.id for m in migrations[index + 1 :])

    if sorted_migrations is None:
        sorted_migrations = sort_migrations(m for s in sequences.values() for m in s.migrations)
    return Ok([m for m in sorted_migrations if m.id in wanted])


# --------------------------------------------------------------------------------------------
# Applying migrations


def _clone(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars); other objects via ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clone(v) for v in value]
    if value is None or isinstance(value, str | int | float):
        return value
    return copy.deepcopy(value)


def migrate_record(
    record: UnknownRecord,
    migrations: Sequence[Migration],
    direction: MigrationDirection = "up",
) -> MigrationResult[UnknownRecord]:
    """Apply ``migrations`` (as selected by :func:`get_migrations_since`) to one record.

    * No migrations: ``Ok`` holding the very same ``record`` object (callers use identity to see
      that nothing changed).
    * Any migration that is not record-scoped: ``Err(TargetVersionTooNew)`` going up,
      ``Err(TargetVersionTooOld)`` going down.
    * Going down, every migration needs a ``down`` (else ``Err(TargetVersionTooOld)``), and
      they run in reverse order.
    * The migrators work on a deep copy, so ``record`` is never modified; each migration runs
      only if its filter accepts the record as it is at that point; a migrator's return value,
      when not ``None``, replaces the record (copied again).
    * An exception from a filter or migrator gives ``Err(MigrationError)`` with the exception as
      ``cause``.
    """
    if direction not in ("up", "down"):
        raise ValueError(f"direction must be 'up' or 'down', got {direction!r}")
    if not migrations:
        return Ok(record)
    if any(m.scope != "record" for m in migrations):
        return Err(
            MigrationFailureReason.TargetVersionTooOld
            if direction == "down"
            else MigrationFailureReason.TargetVersionTooNew
        )
    if direction == "down":
        downs = [m.down for m in migrations]
        if any(d is None for d in downs):
            return Err(MigrationFailureReason.TargetVersionTooOld)
        ordered = list(reversed(migrations))
    else:
        ordered = list(migrations)

    current: UnknownRecord = _clone(record)
    try:
        for migration in ordered:
            if migration.filter is not None and not migration.filter(current):
                continue
            step = migration.up if direction == "up" else migration.down
            assert step is not None
            result = step(current)
            if result is not None:
                current = _clone(result)
    except Exception as error:
        _log.error("Error migrating record %r", record.get("id"), exc_info=True)
        return Err(MigrationFailureReason.MigrationError, error)
    return Ok(current)


def migrate_storage(
    storage: RecordStorage | MutableMapping[str, UnknownRecord],
    migrations: Sequence[Migration],
    *,
    is_document_type: Callable[[str], bool] | None = None,
) -> None:
    """Apply ``migrations`` (going up) to every record of ``storage``, in place.

    ``storage`` is a :class:`RecordStorage` or a plain mutable mapping of id → record (wrapped in
    a :class:`DictRecordStorage`, which is what ``storage``-scope migrators then receive).  With
    no migrations nothing happens at all.  Otherwise, in order:

    * ``record`` scope: each record its filter accepts (as stored) is migrated on a copy; the
      results that are not deep-equal (lodash-style) to the stored record are written back, all
      after the iteration over ``entries()``.
    * ``store`` scope: ``up`` gets a copy of the whole ``{id: record}`` map (and may return a
      new one); entries that changed or appeared are written, ids that disappeared (or whose
      value became falsy) are deleted.
    * ``storage`` scope: ``up(storage)``.

    Finally, when ``is_document_type`` is given, every record whose ``typeName`` it rejects is
    deleted (ids are collected before deleting).  Exceptions from migrators propagate; storing
    the new schema version is the caller's job.
    """
    if not migrations:
        return
    target: RecordStorage = (
        DictRecordStorage(storage) if isinstance(storage, MutableMapping) else storage
    )
    for migration in migrations:
        if migration.scope == "record":
            updates: list[tuple[str, UnknownRecord]] = []
            for record_id, state in target.entries():
                if migration.filter is not None and not migration.filter(state):
                    continue
                working = _clone(state)
                result = migration.up(working)
                migrated = working if result is None else result
                if not js_equal(migrated, state):
                    updates.append((record_id, migrated))
            for record_id, migrated in updates:
                target.set(record_id, migrated)
        elif migration.scope == "store":
            before = dict(target.entries())
            after: dict[str, Any] = _clone(before)
            returned = migration.up(after)
            if returned is not None:
                after = returned
            for record_id, state in after.items():
                if js_truthy(state) and not js_equal(state, before.get(record_id)):
                    target.set(record_id, state)
            for record_id in before:
                if not js_truthy(after.get(record_id)):
                    target.delete(record_id)
        elif migration.scope == "storage":
            migration.up(target)
        else:  # pragma: no cover - Migration checks its scope
            raise ValueError(f"unknown migration scope {migration.scope!r}")

    if is_document_type is not None:
        doomed: list[str] = []
        for record_id, state in target.entries():
            type_name = state.get("typeName") if isinstance(state, dict) else None
            if not isinstance(type_name, str):
                raise ValueError(f"record {record_id!r} has no string typeName")
            if not is_document_type(type_name):
                doomed.append(record_id)
        for record_id in doomed:
            target.delete(record_id)
