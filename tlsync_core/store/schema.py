"""StoreSchema: the record types of a store and the migrations between their versions.

The schema validates every record a store accepts (through its record type's validator), says
which version of every migration sequence the data is at (``serialize()``, the V2 format peers
exchange on connect), and brings data from older schemas up (or, for records, down) to ours with
the functions of :mod:`tlsync_core.store.migrations` (SPEC.md §2b).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from tlsync_core.store.migrations import (
    DictRecordStorage,
    Err,
    Migration,
    MigrationFailureReason,
    MigrationResult,
    MigrationSequence,
    Ok,
    RecordStorage,
    SerializedSchemaV2,
    get_migrations_since,
    migrate_record,
    migrate_storage,
    serialize_earliest_version,
    serialize_sequences,
    sort_migrations,
    validate_migrations,
)
from tlsync_core.store.records import Record, RecordType, validate_by_type_name

if TYPE_CHECKING:
    from tlsync_core.store.store import Store, ValidationPhase


class IncompatibleSchemaError(ValueError):
    """Data written under a schema this one cannot migrate from (e.g. a newer one)."""


class MigrationFailedError(ValueError):
    """A snapshot or record could not be migrated; ``reason`` says why."""

    def __init__(self, message: str, reason: MigrationFailureReason | str) -> None:
        super().__init__(message)
        self.reason = reason


class ValidationFailure:
    """What ``on_validation_failure`` receives when a record does not validate."""

    __slots__ = ("error", "phase", "record", "record_before", "store")

    def __init__(
        self,
        *,
        error: Exception,
        store: Store,
        record: object,
        phase: ValidationPhase,
        record_before: Record | None,
    ) -> None:
        self.error = error
        self.store = store
        self.record = record
        self.phase: ValidationPhase = phase
        self.record_before = record_before


OnValidationFailure = Callable[[ValidationFailure], Record]
IntegrityCheckerFactory = Callable[["Store"], "Callable[[], None] | None"]


class StoreSchema:
    """Record types plus migration sequences; create with :meth:`StoreSchema.create`."""

    def __init__(
        self,
        types: Mapping[str, RecordType],
        migrations: Iterable[MigrationSequence] = (),
        on_validation_failure: OnValidationFailure | None = None,
        create_integrity_checker: IntegrityCheckerFactory | None = None,
    ) -> None:
        self.types: dict[str, RecordType] = dict(types)
        self.migrations: dict[str, MigrationSequence] = {}
        for sequence in migrations:
            if sequence.sequence_id in self.migrations:
                raise ValueError(f"Duplicate migration sequenceId {sequence.sequence_id}")
            validate_migrations(sequence)
            self.migrations[sequence.sequence_id] = sequence
        everything = [m for s in self.migrations.values() for m in s.migrations]
        # (also refuses cycles and dependencies on missing migrations, in tldraw's order)
        self.sorted_migrations: tuple[Migration, ...] = tuple(sort_migrations(everything))
        #: the hook whose result stands in for a record that does not validate (None: raise)
        self.on_validation_failure = on_validation_failure
        self._create_integrity_checker = create_integrity_checker
        self._since_cache: dict[str, Ok[list[Migration]] | Err[str]] = {}

    @classmethod
    def create(
        cls,
        types: Mapping[str, RecordType] | Iterable[RecordType],
        *,
        migrations: Iterable[MigrationSequence] = (),
        on_validation_failure: OnValidationFailure | None = None,
        create_integrity_checker: IntegrityCheckerFactory | None = None,
    ) -> StoreSchema:
        """A schema of these record types (a mapping by type name, or just the types)."""
        if isinstance(types, Mapping):
            by_name = dict(types)
            for name, record_type in by_name.items():
                if name != record_type.type_name:
                    raise ValueError(f"type {record_type.type_name!r} registered as {name!r}")
        else:
            by_name = {}
            for record_type in types:
                if record_type.type_name in by_name:
                    raise ValueError(f"duplicate record type {record_type.type_name!r}")
                by_name[record_type.type_name] = record_type
        return cls(by_name, migrations, on_validation_failure, create_integrity_checker)

    # types and validation -----------------------------------------------------------------------

    def get_type(self, type_name: str) -> RecordType:
        record_type = self.types.get(type_name)
        if record_type is None:
            raise KeyError(f"Missing definition for record type {type_name}")
        return record_type

    def validate_record(
        self,
        store: Store,
        record: object,
        phase: ValidationPhase,
        record_before: Record | None,
    ) -> Record:
        """The validated record (``record_before`` itself if equal); raises if invalid.

        With ``on_validation_failure``, its result is used instead of raising.
        """
        try:
            return validate_by_type_name(self.types, record, record_before)
        except Exception as error:
            if self.on_validation_failure is None:
                raise
            return self.on_validation_failure(
                ValidationFailure(
                    error=error,
                    store=store,
                    record=record,
                    phase=phase,
                    record_before=record_before,
                )
            )

    def create_integrity_checker(self, store: Store) -> Callable[[], None] | None:
        return (
            None
            if self._create_integrity_checker is None
            else self._create_integrity_checker(store)
        )

    # versions and migrations --------------------------------------------------------------------

    def serialize(self) -> SerializedSchemaV2:
        """The version of every migration sequence (what peers compare on connect)."""
        return serialize_sequences(self.migrations)

    def serialize_earliest_version(self) -> SerializedSchemaV2:
        return serialize_earliest_version(self.migrations)

    def get_migrations_since(self, persisted: object) -> Ok[list[Migration]] | Err[str]:
        """The migrations from ``persisted`` (a serialized schema) up to this one, in order."""
        key = _cache_key(persisted)
        cached = self._since_cache.get(key) if key is not None else None
        if cached is not None:
            return cached
        result = get_migrations_since(
            self.migrations, persisted, sorted_migrations=self.sorted_migrations
        )
        if key is not None:
            self._since_cache[key] = result
        return result

    def migrate_persisted_record(
        self,
        record: Record,
        persisted: object,
        direction: Literal["up", "down"] = "up",
    ) -> MigrationResult[Record]:
        """``record`` (written under ``persisted``) migrated up to us, or down to them.

        Returns the very same object when no migration applies.
        """
        migrations = self.get_migrations_since(persisted)
        if isinstance(migrations, Err):
            return Err(MigrationFailureReason.MigrationError)
        return migrate_record(record, migrations.value, direction)

    def migrate_storage(self, storage: RecordStorage, persisted: object) -> None:
        """Migrate every record of ``storage`` from ``persisted`` up to this schema, in place,
        then drop the records that are not document-scoped.

        The caller stores ``serialize()`` as the storage's new schema.  A record of a type this
        schema does not know makes it raise (``KeyError``), as tldraw does.
        """
        migrations = self.get_migrations_since(persisted)
        if isinstance(migrations, Err):
            raise IncompatibleSchemaError(migrations.error)
        if migrations.value:
            migrate_storage(storage, migrations.value, is_document_type=self._is_document_type)

    def migrate_store_snapshot(self, snapshot: Mapping[str, Any]) -> dict[str, Record]:
        """The records of ``{"store": ..., "schema": ...}`` migrated up to this schema.

        Raises :class:`MigrationFailedError` when the snapshot's schema cannot be migrated.
        """
        records = snapshot["store"]
        if not isinstance(records, Mapping):
            raise MigrationFailedError("snapshot 'store' must be a mapping of id to record", "")
        migrations = self.get_migrations_since(snapshot["schema"])
        if isinstance(migrations, Err):
            raise MigrationFailedError(
                f"Failed to migrate snapshot: {migrations.error}",
                MigrationFailureReason.MigrationError,
            )
        result = dict(records)
        if migrations.value:
            try:
                migrate_storage(
                    DictRecordStorage(result),
                    migrations.value,
                    is_document_type=self._is_document_type,
                )
            except Exception as error:
                raise MigrationFailedError(
                    f"Failed to migrate snapshot: {error}", MigrationFailureReason.MigrationError
                ) from error
        return result

    def _is_document_type(self, type_name: str) -> bool:
        return self.get_type(type_name).scope == "document"


def _cache_key(persisted: object) -> str | None:
    """A hashable key for a serialized schema (None if it is not plain JSON)."""
    try:
        import orjson  # noqa: PLC0415 - keeps the module importable for type checking alone

        return orjson.dumps(persisted, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:
        return None
