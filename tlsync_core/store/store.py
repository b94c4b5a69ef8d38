"""The Store: a reactive collection of records (the semantics of ``@tldraw/store``).

Theory of operation
===================

Records live in atoms.  Each id maps to an atom holding its record (or None once removed), so a
computed that reads record X depends on X alone, and a signals rollback restores records,
membership and pending history together, with no bookkeeping of our own.  Reading a *missing* id
inside a computed depends on ``_membership``, which ticks when a new id appears.  Atoms of removed
records are dropped once nothing listens to them and no transaction is open (a rollback could
still need them).  Queries over many records depend on the ``history`` atom and update
incrementally from its diffs.

Writes.  ``put`` and ``remove`` run inside :meth:`Store.atomic`, which is a signals transaction
(so effects, queries and listeners never see half of an operation) plus the bookkeeping of
side-effect handlers: ``before`` handlers run as each record is written, ``after`` handlers run
once the operation's own writes are done, and may write more (up to 100 rounds).  Each write is
validated by the schema against the previous version; a record that validates to the very same
object is a no-op, so no-op puts produce no diff.  An exception escaping an operation (or a
rollback of an enclosing ``transaction``) restores every record it wrote.

History.  Every effective change is appended to the ``history`` atom as a :class:`RecordsDiff`
(its history buffer keeps the last 1000) and to an accumulator of ``(changes, source)`` entries,
the source being ``"remote"`` inside :meth:`Store.merge_remote_changes` and ``"user"`` otherwise
(the accumulator is an atom too, so rolled-back changes are never delivered).
A reactor on ``history`` flushes the accumulator to listeners after the outermost transaction,
squashing consecutive entries of the same source, and filtering by source and scope per listener.
By default this happens synchronously when the transaction ends; a ``flush_scheduler`` (e.g.
``coalesce_on(loop.call_soon)``) defers it, and :meth:`Store.flush_history` forces it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, cast

import reactivex
from reactivex import abc
from reactivex.disposable import Disposable

from tlsync_core.signals import (
    Atom,
    Computed,
    atom,
    computed,
    is_capturing,
    is_in_transaction,
    reactor,
    transact,
)
from tlsync_core.signals.history import RESET_VALUE
from tlsync_core.store.diff import (
    RecordsDiff,
    is_records_diff_empty,
    squash_records_diffs,
)
from tlsync_core.store.queries import StoreQueries
from tlsync_core.store.records import (
    RECORD_SCOPES,
    Record,
    RecordScope,
    type_name_of_id,
    validate_by_type_name,
)
from tlsync_core.store.side_effects import ChangeSource, StoreSideEffects
from tlsync_core.store.store_errors import RecordNotFoundError, StoreOperationError

if TYPE_CHECKING:
    from tlsync_core.store.schema import StoreSchema

T = TypeVar("T")

logger = logging.getLogger("tlsync_core.store")

SourceFilter = Literal["user", "remote", "all"]
ScopeFilter = Literal["document", "session", "presence", "all"]
ValidationPhase = Literal["initialize", "createRecord", "updateRecord", "tests"]
MAX_AFTER_EVENT_ROUNDS = 100


def require_schema_object(schema: StoreSchema, owner: str) -> StoreSchema:
    """``schema``, or a ``TypeError`` saying how to turn a schema's name into one (the store
    and the room sit below the schemas they could name, so they take only the object)."""
    if isinstance(schema, str):
        raise TypeError(
            f"{owner} takes a StoreSchema, not the name {schema!r}: pass"
            f" tlsync_core.schemas.resolve_schema({schema!r})"
        )
    return schema


class HistoryEntry:
    """One batch of changes and where it came from."""

    __slots__ = ("changes", "source")

    def __init__(self, changes: RecordsDiff, source: ChangeSource) -> None:
        self.changes = changes
        self.source: ChangeSource = source

    def __repr__(self) -> str:
        return f"HistoryEntry(source={self.source!r}, changes={self.changes!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HistoryEntry):
            return NotImplemented
        return self.source == other.source and self.changes == other.changes

    __hash__ = None  # type: ignore[assignment]


StoreListener = Callable[[HistoryEntry], None]


class _Listener:
    __slots__ = ("callback", "scope", "source")

    def __init__(self, callback: StoreListener, source: SourceFilter, scope: ScopeFilter) -> None:
        self.callback = callback
        self.source = source
        self.scope = scope


class Store:
    """A reactive collection of records validated and migrated by a :class:`StoreSchema`."""

    #: How a store draws itself for Jupyter (:meth:`_repr_svg_`).  The store knows no pictures:
    #: the layer that knows what its records look like sets this (importing
    #: :mod:`tlsync_core.tldraw` sets tldraw's renderer); while it is ``None`` there is none.
    picture: ClassVar[Callable[[Store], str] | None] = None

    def __init__(
        self,
        *,
        schema: StoreSchema,
        props: Any = None,
        initial_data: Mapping[str, Record] | None = None,
        flush_scheduler: Callable[[Callable[[], None]], object] | None = None,
    ) -> None:
        self.schema = require_schema_object(schema, "Store")
        self.props = props
        self.side_effects = StoreSideEffects()
        self.history: Atom[int, RecordsDiff] = atom("history", 0, history_length=1000)
        self._atoms: dict[str, Atom[Record | None, Any]] = {}
        self._removed_ids: set[str] = set()
        self._membership: Atom[int, Any] = atom("store.membership", 0)
        self._listeners: list[_Listener] = []
        self._pending: Atom[tuple[HistoryEntry, ...], Any] = atom("store.pending_history", ())
        self._interceptors: list[Callable[[HistoryEntry], None]] = []
        self._in_atomic = False
        self._merging_remote = False
        self._after_events: dict[str, list[Record | None]] | None = None
        self._integrity_checker: Callable[[], None] | None = None
        self.scoped_types: dict[RecordScope, frozenset[str]] = {
            scope: frozenset(t.type_name for t in schema.types.values() if t.scope == scope)
            for scope in RECORD_SCOPES
        }
        self._history_reactor = reactor(
            "Store.history_reactor",
            self._on_history_changed,
            schedule_effect=flush_scheduler,
        )
        self.query = StoreQueries(self)
        if initial_data:
            for record in initial_data.values():
                record_id = _checked_id(record)
                validated = self._validate(record, "initialize", None)
                self._atoms[record_id] = atom(record_id, validated)

    # reading ----------------------------------------------------------------------------------

    def get(self, record_id: str) -> Record | None:
        """The record with this id, or None; inside a computed, a dependency on it."""
        signal = self._atoms.get(record_id)
        if signal is None:
            if is_capturing():
                self._membership.get()
            return None
        return signal.get()

    def unsafe_get_without_capture(self, record_id: str) -> Record | None:
        signal = self._atoms.get(record_id)
        return None if signal is None else signal.unsafe_get_without_capture()

    def has(self, record_id: str) -> bool:
        return self.get(record_id) is not None

    def all_records(self) -> list[Record]:
        """Every record; inside a computed, a dependency on any change."""
        if is_capturing():
            self.history.get()
        return list(self._iter_records())

    def _iter_records(self) -> Iterable[Record]:
        for signal in self._atoms.values():
            record = signal.unsafe_get_without_capture()
            if record is not None:
                yield record

    def __len__(self) -> int:
        return sum(1 for _ in self._iter_records())

    def __contains__(self, record_id: object) -> bool:
        return isinstance(record_id, str) and self.has(record_id)

    def serialize(self, scope: ScopeFilter = "document") -> dict[str, Record]:
        """The records of one scope (or all), by id; inside a computed, a dependency on any
        change."""
        if is_capturing():
            self.history.get()
        if scope == "all":
            return {r["id"]: r for r in self._iter_records()}
        types = self.scoped_types[scope]
        return {r["id"]: r for r in self._iter_records() if r["typeName"] in types}

    def get_snapshot(self, scope: ScopeFilter = "document") -> dict[str, Any]:
        """``{"store": records by id, "schema": the serialized schema}``."""
        return {"store": self.serialize(scope), "schema": self.schema.serialize()}

    def migrate_snapshot(self, snapshot: Mapping[str, Any]) -> dict[str, Any]:
        """A snapshot of an older (or equal) schema brought up to this store's schema."""
        return {"store": self._migrated_records(snapshot), "schema": self.schema.serialize()}

    def load_snapshot(self, snapshot: Mapping[str, Any]) -> None:
        """Replace every record with the (migrated) snapshot's, without side effects."""
        records = self._migrated_records(snapshot)
        enabled = self.side_effects.enabled
        self.side_effects.enabled = False
        try:

            def load() -> None:
                self.clear()
                self.put(list(records.values()))
                self.ensure_store_is_usable()

            self.atomic(load, run_callbacks=False)
        finally:
            self.side_effects.enabled = enabled

    def _migrated_records(self, snapshot: Mapping[str, Any]) -> dict[str, Record]:
        if not isinstance(snapshot, Mapping) or "store" not in snapshot or "schema" not in snapshot:
            raise ValueError("a store snapshot is a mapping with 'store' and 'schema'")
        return self.schema.migrate_store_snapshot(snapshot)

    # writing ----------------------------------------------------------------------------------

    def put(self, records: Iterable[Record], phase: ValidationPhase | None = None) -> None:
        """Create or replace records (validated); equal records are left alone."""
        self.atomic(lambda: self._put(records, phase))

    def _put(
        self, records: Iterable[Record], phase: ValidationPhase | None, validate: bool = True
    ) -> None:
        added: dict[str, Record] = {}
        updated: dict[str, tuple[Record, Record]] = {}
        source = self._source()
        side_effects = self.side_effects
        # (items are checked by _checked_id: compiled, a loop variable typed Record would
        # refuse a non-dict with mypyc's own TypeError first)
        for item in cast(Iterable[object], records):
            record_id = _checked_id(item)
            incoming = cast(Record, item)
            before = self.unsafe_get_without_capture(record_id)
            if before is not None:
                changed = side_effects.before_change(before, incoming, source)
                validated = (
                    self._validate(changed, phase or "updateRecord", before)
                    if validate
                    else changed
                )
                if validated is before:
                    continue
                self._write(record_id, validated)
                updated[record_id] = (before, validated)
                self._after_event(record_id, before, validated)
            else:
                created = side_effects.before_create(incoming, source)
                validated = (
                    self._validate(created, phase or "createRecord", None) if validate else created
                )
                self._write(record_id, validated)
                added[record_id] = validated
                self._after_event(record_id, None, validated)
        if added or updated:
            self._record_history(RecordsDiff(added=added, updated=updated))

    def remove(self, ids: Iterable[str]) -> None:
        """Delete records by id; absent ids are ignored."""
        self.atomic(lambda: self._remove(ids))

    def _remove(self, ids: Iterable[str]) -> None:
        source = self._source()
        removed: dict[str, Record] = {}
        for record_id in ids:
            record = self.unsafe_get_without_capture(record_id)
            if record is None or record_id in removed:
                continue
            if not self.side_effects.before_delete(record, source):
                continue
            self._write(record_id, None)
            removed[record_id] = record
            self._after_event(record_id, record, None)
        if removed:
            self._record_history(RecordsDiff(removed=removed))

    def update(self, record_id: str, fn: Callable[[Record], Record]) -> None:
        """Replace a record by ``fn(record)``; raises RecordNotFoundError if it is absent."""
        existing = self.unsafe_get_without_capture(record_id)
        if existing is None:
            raise RecordNotFoundError(f"no record with id {record_id!r} to update")
        self.put([fn(existing)])

    def clear(self) -> None:
        """Remove every record."""
        self.remove([r["id"] for r in self._iter_records()])

    def apply_diff(
        self,
        diff: RecordsDiff,
        *,
        run_callbacks: bool = True,
        ignore_ephemeral_keys: bool = False,
        validate: bool = True,
    ) -> None:
        """Put every added and updated record, then remove every removed id, atomically.

        ``validate=False`` is for records this store validated before (e.g. undoing its own
        changes with a reversed diff); anything else must be validated.
        """

        def apply() -> None:
            to_put = list(diff.added.values())
            for _, to in diff.updated.values():
                to_put.append(self._keeping_ephemeral(to) if ignore_ephemeral_keys else to)
            if to_put:
                self._put(to_put, None, validate)
            if diff.removed:
                self._remove(list(diff.removed))

        self.atomic(apply, run_callbacks=run_callbacks)

    def _keeping_ephemeral(self, incoming: Record) -> Record:
        """``incoming`` with the existing values of its type's ephemeral keys."""
        ephemeral = self.schema.get_type(incoming["typeName"]).ephemeral_keys
        existing = self.unsafe_get_without_capture(incoming["id"])
        if not ephemeral or existing is None:
            return incoming
        result = {k: v for k, v in incoming.items() if k not in ephemeral}
        for key in ephemeral:
            if key in existing:
                result[key] = existing[key]
        return result

    def merge_remote_changes(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` as one atomic operation whose changes have source ``"remote"``.

        Afterwards the schema's integrity checker runs (outside the remote marking).
        """
        if self._merging_remote:
            return fn()
        if self._in_atomic:
            raise StoreOperationError("Cannot merge remote changes while in atomic operation")
        try:
            return self.atomic(fn, merging_remote=True)
        finally:
            self.ensure_store_is_usable()

    def extracting_changes(self, fn: Callable[[], object]) -> RecordsDiff:
        """Run ``fn`` in a transaction and return the squashed diff of what it changed."""
        changes: list[RecordsDiff] = []
        remove = self._add_interceptor(lambda entry: changes.append(entry.changes))
        try:
            transact(fn)
            return squash_records_diffs(changes)
        finally:
            remove()

    def ensure_store_is_usable(self) -> None:
        """Run the schema's integrity checker (which may create missing records)."""

        def check() -> None:
            if self._integrity_checker is None:
                self._integrity_checker = self.schema.create_integrity_checker(self)
            if self._integrity_checker is not None:
                self._integrity_checker()

        self.atomic(check)

    def validate(self, phase: ValidationPhase = "tests") -> None:
        """Validate every record (raises on the first invalid one)."""
        for record in list(self._iter_records()):
            self._validate(record, phase, None)

    # atomic operations ------------------------------------------------------------------------

    def atomic(
        self,
        fn: Callable[[], T],
        *,
        run_callbacks: bool = True,
        merging_remote: bool = False,
    ) -> T:
        """Run ``fn`` as one operation: one transaction, side effects after, all or nothing."""
        if self._in_atomic:
            if merging_remote:
                raise StoreOperationError("cannot merge remote changes while in atomic operation")
            enabled = self.side_effects.enabled
            if not run_callbacks:
                self.side_effects.enabled = False
            try:
                return fn()
            finally:
                self.side_effects.enabled = enabled
        try:
            return transact(lambda: self._outermost_atomic(fn, run_callbacks, merging_remote))
        finally:
            if self._removed_ids and not is_in_transaction():
                self._drop_dead_atoms()

    def _outermost_atomic(self, fn: Callable[[], T], run_callbacks: bool, remote: bool) -> T:
        enabled = self.side_effects.enabled
        self.side_effects.enabled = run_callbacks and enabled
        self._in_atomic = True
        self._merging_remote = remote
        self._after_events = {}
        try:
            result = fn()
            self._merging_remote = False
            self._flush_after_events("remote" if remote else "user")
            return result
        finally:
            self._after_events = None
            self.side_effects.enabled = enabled
            self._in_atomic = False
            self._merging_remote = False

    def _drop_dead_atoms(self) -> None:
        """Forget the atoms of removed records that nothing listens to."""
        for record_id in self._removed_ids:
            signal = self._atoms.get(record_id)
            if (
                signal is not None
                and signal.unsafe_get_without_capture() is None
                and not signal.children
            ):
                del self._atoms[record_id]
        self._removed_ids.clear()

    def _flush_after_events(self, source: ChangeSource) -> None:
        rounds = 0
        while self._after_events:
            events = self._after_events
            self._after_events = {}
            if not self.side_effects.enabled:
                continue
            rounds += 1
            if rounds > MAX_AFTER_EVENT_ROUNDS:
                raise StoreOperationError("Maximum store update depth exceeded, bailing out")
            for before, after in events.values():
                if before is not None and after is not None:
                    # (the records are compared only when a handler would see them)
                    if (
                        before is not after
                        and self.side_effects.has_after_change_handlers(after["typeName"])
                        and before != after
                    ):
                        self.side_effects.after_change(before, after, source)
                elif before is not None:
                    self.side_effects.after_delete(before, source)
                elif after is not None:
                    self.side_effects.after_create(after, source)
            if not self._after_events:
                self.side_effects.operation_complete(source)
            source = "user"

    def _after_event(self, record_id: str, before: Record | None, after: Record | None) -> None:
        events = self._after_events
        if events is None or before is after:
            return
        existing = events.get(record_id)
        if existing is None:
            events[record_id] = [before, after]
        else:
            existing[1] = after

    def _write(self, record_id: str, record: Record | None) -> None:
        signal = self._atoms.get(record_id)
        if signal is None:
            # created empty, then set: a rollback then knows to empty it again
            signal = self._atoms[record_id] = atom(record_id, None)
            self._membership.set(self._membership.unsafe_get_without_capture() + 1)
            self._removed_ids.add(record_id)  # dropped again if a rollback empties it
        signal.set(record)
        if record is None:
            self._removed_ids.add(record_id)

    def _source(self) -> ChangeSource:
        return "remote" if self._merging_remote else "user"

    def _validate(self, record: object, phase: ValidationPhase, before: Record | None) -> Record:
        schema = self.schema
        if schema.on_validation_failure is None:
            # what StoreSchema.validate_record does then, without its interpreted frame
            return validate_by_type_name(schema.types, record, before)
        return schema.validate_record(self, record, phase, before)

    # history and listeners --------------------------------------------------------------------

    def _record_history(self, changes: RecordsDiff) -> None:
        entry = HistoryEntry(changes, self._source())
        if self._interceptors:
            for interceptor in list(self._interceptors):
                interceptor(entry)
        if self._listeners:
            self._pending.set((*self._pending.unsafe_get_without_capture(), entry))
        self.history.set(self.history.unsafe_get_without_capture() + 1, changes)

    def _add_interceptor(self, fn: Callable[[HistoryEntry], None]) -> Callable[[], None]:
        self._interceptors.append(fn)
        return lambda: self._interceptors.remove(fn) if fn in self._interceptors else None

    def _on_history_changed(self, _last_epoch: int) -> None:
        self.history.get()
        self.flush_history()

    def flush_history(self) -> None:
        """Deliver the pending changes to listeners now (normally automatic)."""
        pending = self._pending.unsafe_get_without_capture()
        if not pending:
            return
        entries = pending if len(pending) == 1 else _squash_by_source(pending)
        self._pending.set(())
        listeners = tuple(self._listeners)
        for entry in entries:
            scoped: dict[str, RecordsDiff | None] = {}
            for listener in listeners:
                if listener.source not in ("all", entry.source):
                    continue
                if listener.scope == "all":
                    listener.callback(entry)
                    continue
                if listener.scope not in scoped:
                    scoped[listener.scope] = self.filter_changes_by_scope(
                        entry.changes, listener.scope
                    )
                changes = scoped[listener.scope]
                if changes is entry.changes:
                    listener.callback(entry)  # every change is in scope
                elif changes is not None:
                    listener.callback(HistoryEntry(changes, entry.source))

    def filter_changes_by_scope(
        self, changes: RecordsDiff, scope: RecordScope
    ) -> RecordsDiff | None:
        """The part of ``changes`` about records of ``scope``, or None if nothing is left
        (``changes`` itself when every record in it is of ``scope``)."""
        types = self.scoped_types[scope]
        if _all_of_types(changes, types):
            return None if is_records_diff_empty(changes) else changes
        result = RecordsDiff(
            added={k: r for k, r in changes.added.items() if r["typeName"] in types},
            updated={k: u for k, u in changes.updated.items() if u[1]["typeName"] in types},
            removed={k: r for k, r in changes.removed.items() if r["typeName"] in types},
        )
        return None if is_records_diff_empty(result) else result

    def listen(
        self,
        callback: StoreListener,
        *,
        source: SourceFilter = "all",
        scope: ScopeFilter = "all",
    ) -> Callable[[], None]:
        """Call ``callback(entry)`` for each batch of changes; returns an unsubscribe function.

        Batches are delivered after the outermost transaction (or by the ``flush_scheduler``),
        never in the middle of one.
        """
        if source not in ("user", "remote", "all"):
            raise ValueError(f"source must be 'user', 'remote' or 'all', not {source!r}")
        if scope != "all" and scope not in RECORD_SCOPES:
            raise ValueError(f"scope must be one of {(*RECORD_SCOPES, 'all')}, not {scope!r}")
        self.flush_history()
        listener = _Listener(callback, source, scope)
        if not self._history_reactor.scheduler.is_actively_listening:
            self._history_reactor.start()
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)
            if not self._listeners:
                self._history_reactor.stop()
                self._pending.set(())

        return unsubscribe

    def _repr_svg_(self) -> str | None:
        """The store as a picture for Jupyter, drawn by :attr:`picture` (``None``: no picture)."""
        draw = Store.picture
        return None if draw is None else draw(self)

    def changes(
        self, *, source: SourceFilter = "all", scope: ScopeFilter = "all"
    ) -> reactivex.Observable[HistoryEntry]:
        """The change batches as an observable (a :meth:`listen` per subscription)."""

        def subscribe(
            observer: abc.ObserverBase[HistoryEntry], _scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            return Disposable(self.listen(observer.on_next, source=source, scope=scope))

        return reactivex.create(subscribe)

    def dispose(self) -> None:
        """Stop delivering changes to listeners."""
        self._listeners.clear()
        self._pending.set(())
        self._history_reactor.stop()

    # reactive helpers -------------------------------------------------------------------------

    def computed_for(
        self, name: str, record_id: str, derive: Callable[[Record | None], T]
    ) -> Computed[T, Any]:
        """A computed of one record (re-derived only when that record changes)."""
        return computed(f"{name}:{record_id}", lambda _prev, _epoch: derive(self.get(record_id)))

    def diff_since(self, epoch: int) -> RecordsDiff | None:
        """The squashed changes since ``epoch`` of the history atom, or None if unknown."""
        diffs = self.history.get_diff_since(epoch)
        if diffs is RESET_VALUE:
            return None
        return squash_records_diffs(diffs)


def _checked_id(record: object) -> str:
    if not isinstance(record, dict):
        raise TypeError(f"a record is a dict, got {type(record).__name__}")
    record_id = record.get("id")
    type_name = record.get("typeName")
    if not isinstance(record_id, str) or not isinstance(type_name, str):
        raise ValueError(f"a record needs string 'id' and 'typeName', got {record_id!r}")
    # ("<typeName>:<suffix>" is recognized without slicing the id into new strings)
    n = len(type_name)
    if not (n and record_id.find(":") == n and record_id.startswith(type_name)):
        type_name_of_id(record_id)  # (raises if it is no record id at all)
        raise ValueError(f"record id {record_id!r} does not match its typeName {type_name!r}")
    return record_id


def _all_of_types(changes: RecordsDiff, types: frozenset[str]) -> bool:
    """Whether every record that ``changes`` adds, updates or removes has one of ``types``."""
    return (
        all(r["typeName"] in types for r in changes.added.values())
        and all(u[1]["typeName"] in types for u in changes.updated.values())
        and all(r["typeName"] in types for r in changes.removed.values())
    )


def _squash_by_source(entries: Iterable[HistoryEntry]) -> list[HistoryEntry]:
    """Consecutive entries of the same source become one entry with their squashed changes."""
    result: list[HistoryEntry] = []
    run: list[HistoryEntry] = []
    for entry in entries:
        if run and run[0].source != entry.source:
            result.append(_squash_run(run))
            run = []
        run.append(entry)
    if run:
        result.append(_squash_run(run))
    return result


def _squash_run(run: list[HistoryEntry]) -> HistoryEntry:
    if len(run) == 1:
        return run[0]
    return HistoryEntry(squash_records_diffs(e.changes for e in run), run[0].source)
