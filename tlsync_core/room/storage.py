"""The document lane of a room: records with clocks, tombstones, transactions (SPEC.md SS*).

Every record carries the clock at which it last changed; every deleted id leaves a tombstone with
the clock of its deletion.  The document clock advances exactly once per *writing* transaction,
the first time it writes, so all the writes of one push share one clock value.  That is what lets
a reconnecting client ask for "everything since clock L": the records changed after L as full
puts, the tombstones after L as removes, or everything (``wipe_all``) when L is older than the
tombstone history or newer than the clock.

A transaction keeps an undo log and either commits (the changes are returned as a
:class:`ForwardDiff`, for broadcasting and for persistence) or rolls back, leaving nothing
behind.  Tombstones are pruned once there are more than ``MAX_TOMBSTONES``, never splitting one
clock value, and the history start moves up accordingly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NotRequired, TypedDict, TypeGuard

Record = dict[str, Any]

MAX_TOMBSTONES = 5000
TOMBSTONE_PRUNE_BUFFER_SIZE = 1000


class DocumentEntry(TypedDict):
    state: Record
    lastChangedClock: int


class RoomSnapshot(TypedDict):
    """A room's persisted state; v3 snapshots have ``clock``, current ones ``documentClock``."""

    documents: list[DocumentEntry]
    clock: NotRequired[int]
    documentClock: NotRequired[int]
    tombstones: NotRequired[dict[str, int]]
    tombstoneHistoryStartsAtClock: NotRequired[int]
    schema: NotRequired[dict[str, Any]]


class DocumentState:
    """One stored record and the clock of its last change."""

    __slots__ = ("last_changed_clock", "state")

    def __init__(self, state: Record, last_changed_clock: int) -> None:
        self.state = state
        self.last_changed_clock = last_changed_clock

    def __repr__(self) -> str:
        return f"DocumentState({self.state!r}, {self.last_changed_clock})"


class ForwardDiff:
    """What a transaction did: ``puts`` (id → record, or ``(before, after)`` for changes) and
    ``deletes`` (ids), in the order they happened."""

    __slots__ = ("deletes", "puts")

    def __init__(self) -> None:
        self.puts: dict[str, Record | tuple[Record, Record]] = {}
        self.deletes: list[str] = []

    def __bool__(self) -> bool:
        return bool(self.puts or self.deletes)


class ChangesSince:
    """The answer to "what changed since clock L": full records, deleted ids, or everything."""

    __slots__ = ("deletes", "puts", "wipe_all")

    def __init__(self, puts: list[Record], deletes: list[str], wipe_all: bool) -> None:
        self.puts = puts
        self.deletes = deletes
        self.wipe_all = wipe_all


class RoomStorage:
    """An in-memory document lane: documents, tombstones, the clock and the stored schema."""

    def __init__(
        self,
        documents: Mapping[str, DocumentState] | None = None,
        tombstones: Mapping[str, int] | None = None,
        clock: int = 0,
        tombstone_history_starts_at_clock: int = 0,
        schema: dict[str, Any] | None = None,
    ) -> None:
        self.documents: dict[str, DocumentState] = dict(documents or {})
        self.tombstones: dict[str, int] = dict(tombstones or {})
        self.clock = clock
        self.tombstone_history_starts_at_clock = tombstone_history_starts_at_clock
        self.schema: dict[str, Any] | None = schema
        self._txn: StorageTransaction | None = None

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> RoomStorage:
        """Load a room snapshot (either format) or a plain store snapshot ``{store, schema}``.

        The clock is clamped up to the newest record or tombstone; the history start is clamped
        down to the clock; with no usable history the tombstones are dropped.  Duplicate ids:
        the last one wins.  Raises ``ValueError`` on a malformed snapshot.
        """
        if "documents" not in snapshot and "store" in snapshot:
            store = snapshot["store"]
            if not isinstance(store, Mapping):
                raise ValueError("a store snapshot's 'store' must map ids to records")
            snapshot = {
                "documents": [{"state": r, "lastChangedClock": 0} for r in store.values()],
                "documentClock": 0,
                "schema": snapshot.get("schema"),
            }
        entries = snapshot.get("documents")
        if not isinstance(entries, list):
            raise ValueError("a room snapshot needs a 'documents' list")
        documents: dict[str, DocumentState] = {}
        newest = 0
        for index, entry in enumerate(entries):
            if not isinstance(entry, Mapping):
                raise ValueError(f"documents[{index}] is not an object")
            state, changed = entry.get("state"), entry.get("lastChangedClock")
            if not isinstance(state, dict) or not isinstance(state.get("id"), str):
                raise ValueError(f"documents[{index}].state is not a record with an id")
            if not _is_clock(changed):
                raise ValueError(f"documents[{index}].lastChangedClock is not a clock")
            documents[state["id"]] = DocumentState(state, changed)
            newest = max(newest, changed)
        raw_tombstones = snapshot.get("tombstones") or {}
        if not isinstance(raw_tombstones, Mapping) or not all(
            isinstance(k, str) and _is_clock(v) for k, v in raw_tombstones.items()
        ):
            raise ValueError("'tombstones' must map ids to clocks")
        tombstones = dict(raw_tombstones)
        declared = snapshot.get("documentClock", snapshot.get("clock", 0))
        if not _is_clock(declared):
            raise ValueError("'documentClock' / 'clock' is not a clock")
        clock = max([newest, declared, *tombstones.values()])
        history = snapshot.get("tombstoneHistoryStartsAtClock", clock)
        if not _is_clock(history):
            raise ValueError("'tombstoneHistoryStartsAtClock' is not a clock")
        history = min(history, clock)
        if history == clock:
            tombstones = {}
        schema = snapshot.get("schema")
        if schema is not None and not isinstance(schema, dict):
            raise ValueError("'schema' must be a serialized schema object")
        return cls(documents, tombstones, clock, history, schema)

    def get_snapshot(self) -> RoomSnapshot:
        """The current snapshot (``documentClock`` format, plus protocol 3's ``clock``)."""
        snapshot: RoomSnapshot = {
            "tombstoneHistoryStartsAtClock": self.tombstone_history_starts_at_clock,
            "documentClock": self.clock,
            "clock": self.clock,
            "documents": [
                {"state": d.state, "lastChangedClock": d.last_changed_clock}
                for d in self.documents.values()
            ],
            "tombstones": dict(self.tombstones),
        }
        if self.schema is not None:
            snapshot["schema"] = self.schema
        return snapshot

    # reading ---------------------------------------------------------------------------------

    def get(self, record_id: str) -> Record | None:
        document = self.documents.get(record_id)
        return None if document is None else document.state

    def changes_since(self, since: int) -> ChangesSince:
        """Full records changed after ``since`` and ids deleted after it, or everything."""
        if since == self.clock:
            return ChangesSince([], [], False)
        if since > self.clock:
            since = -1
        wipe_all = since < self.tombstone_history_starts_at_clock
        puts = [
            d.state for d in self.documents.values() if wipe_all or d.last_changed_clock > since
        ]
        deletes = [] if wipe_all else [i for i, c in self.tombstones.items() if c > since]
        return ChangesSince(puts, deletes, wipe_all)

    # writing ---------------------------------------------------------------------------------

    def transaction(self) -> StorageTransaction:
        """Start the (only) open transaction."""
        if self._txn is not None:
            raise RuntimeError("a storage transaction is already open")
        self._txn = StorageTransaction(self)
        return self._txn

    def _end(self, txn: StorageTransaction) -> None:
        if self._txn is txn:
            self._txn = None

    def prune_tombstones(self) -> bool:
        """Drop the oldest tombstones beyond ``MAX_TOMBSTONES``; True if any were dropped."""
        count = len(self.tombstones)
        if count <= MAX_TOMBSTONES:
            return False
        ordered = sorted(self.tombstones.items(), key=lambda item: item[1])
        cutoff = TOMBSTONE_PRUNE_BUFFER_SIZE + count - MAX_TOMBSTONES
        while cutoff < count and ordered[cutoff - 1][1] == ordered[cutoff][1]:
            cutoff += 1
        for record_id, _ in ordered[:cutoff]:
            del self.tombstones[record_id]
        survivors = ordered[cutoff:]
        self.tombstone_history_starts_at_clock = survivors[0][1] if survivors else self.clock
        return True


class StorageTransaction:
    """Writes to a :class:`RoomStorage`, all committed together or all rolled back."""

    def __init__(self, storage: RoomStorage) -> None:
        self._storage = storage
        self._clock_before = storage.clock
        self._history_before = storage.tombstone_history_starts_at_clock
        self._schema_before = storage.schema
        self._wrote = False
        self._undo_documents: dict[str, DocumentState | None] = {}
        self._undo_tombstones: dict[str, int | None] = {}
        self.changes = ForwardDiff()
        self.open = True

    @property
    def clock(self) -> int:
        return self._storage.clock

    def get(self, record_id: str) -> Record | None:
        return self._storage.get(record_id)

    def keys(self) -> Iterator[str]:
        return iter(list(self._storage.documents))

    def _write_clock(self) -> int:
        if not self._wrote:
            self._wrote = True
            self._storage.clock += 1
        return self._storage.clock

    def put(self, record: Record) -> None:
        """Store ``record`` (a new dict; never mutated afterwards) at this transaction's clock."""
        storage = self._storage
        record_id = record["id"]
        before = storage.documents.get(record_id)
        if record_id not in self._undo_documents:
            self._undo_documents[record_id] = before
        if record_id in storage.tombstones:
            if record_id not in self._undo_tombstones:
                self._undo_tombstones[record_id] = storage.tombstones[record_id]
            del storage.tombstones[record_id]
        storage.documents[record_id] = DocumentState(record, self._write_clock())
        previous = self.changes.puts.get(record_id)
        if isinstance(previous, tuple):
            self.changes.puts[record_id] = (previous[0], record)
        elif previous is not None or before is None:
            self.changes.puts[record_id] = record
        else:
            self.changes.puts[record_id] = (before.state, record)
        if record_id in self.changes.deletes:
            self.changes.deletes.remove(record_id)

    def delete(self, record_id: str) -> None:
        """Delete a record (a tombstone at this transaction's clock); absent ids do nothing."""
        storage = self._storage
        before = storage.documents.get(record_id)
        if before is None:
            return
        if record_id not in self._undo_documents:
            self._undo_documents[record_id] = before
        if record_id not in self._undo_tombstones:
            self._undo_tombstones[record_id] = storage.tombstones.get(record_id)
        del storage.documents[record_id]
        storage.tombstones[record_id] = self._write_clock()
        self.changes.puts.pop(record_id, None)
        self.changes.deletes.append(record_id)

    def set_schema(self, schema: dict[str, Any]) -> None:
        self._storage.schema = schema

    def commit(self) -> ForwardDiff:
        """Keep the writes; returns what changed."""
        self.open = False
        self._storage._end(self)
        return self.changes

    def rollback(self) -> None:
        """Undo every write of this transaction."""
        storage = self._storage
        for record_id, document in self._undo_documents.items():
            if document is None:
                storage.documents.pop(record_id, None)
            else:
                storage.documents[record_id] = document
        for record_id, tombstone in self._undo_tombstones.items():
            if tombstone is None:
                storage.tombstones.pop(record_id, None)
            else:
                storage.tombstones[record_id] = tombstone
        storage.clock = self._clock_before
        storage.tombstone_history_starts_at_clock = self._history_before
        storage.schema = self._schema_before
        self.changes = ForwardDiff()
        self.open = False
        storage._end(self)


def _is_clock(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= -1
