"""The store: records, diffs, schemas, migrations and the reactive Store (SPEC.md §2)."""

from tlsync_core.store.diff import (
    RecordsDiff,
    is_records_diff_empty,
    reverse_records_diff,
    squash_records_diffs,
    squash_records_diffs_mutable,
)
from tlsync_core.store.migrations import (
    Err,
    Migration,
    MigrationFailureReason,
    MigrationResult,
    MigrationSequence,
    Ok,
    SchemaFormatError,
    SerializedSchema,
    SerializedSchemaV1,
    SerializedSchemaV2,
    create_migration_ids,
    create_migration_sequence,
    create_record_migration_sequence,
    upgrade_schema,
)
from tlsync_core.store.queries import StoreQueries
from tlsync_core.store.records import (
    RECORD_SCOPES,
    Record,
    RecordScope,
    RecordType,
    type_name_of_id,
    unique_id,
)
from tlsync_core.store.schema import (
    IncompatibleSchemaError,
    MigrationFailedError,
    StoreSchema,
    ValidationFailure,
)
from tlsync_core.store.side_effects import ChangeSource, StoreSideEffects
from tlsync_core.store.store import (
    HistoryEntry,
    Store,
)
from tlsync_core.store.store_errors import RecordNotFoundError, StoreOperationError
from tlsync_core.store.validators import T, ValidationError, Validator

__all__ = [
    "RECORD_SCOPES",
    "ChangeSource",
    "Err",
    "HistoryEntry",
    "IncompatibleSchemaError",
    "Migration",
    "MigrationFailedError",
    "MigrationFailureReason",
    "MigrationResult",
    "MigrationSequence",
    "Ok",
    "Record",
    "RecordNotFoundError",
    "RecordScope",
    "RecordType",
    "RecordsDiff",
    "SchemaFormatError",
    "SerializedSchema",
    "SerializedSchemaV1",
    "SerializedSchemaV2",
    "Store",
    "StoreOperationError",
    "StoreQueries",
    "StoreSchema",
    "StoreSideEffects",
    "T",
    "ValidationError",
    "ValidationFailure",
    "Validator",
    "create_migration_ids",
    "create_migration_sequence",
    "create_record_migration_sequence",
    "is_records_diff_empty",
    "reverse_records_diff",
    "squash_records_diffs",
    "squash_records_diffs_mutable",
    "type_name_of_id",
    "unique_id",
    "upgrade_schema",
]
