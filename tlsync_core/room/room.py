"""TLSyncRoom: the authoritative state machine of one sync room (SPEC.md §4).

Theory of operation
===================

Purity.  The room never touches the network or the event loop: it receives parsed messages and
lifecycle events from its host (``handle_new_session``, ``handle_message``, ``handle_close``),
reads the time from an injected ``now()`` (milliseconds), and talks back through each session's
:class:`TLRoomSocket` (``send_message``, ``close``).  Timers are the host's business: it calls
:meth:`TLSyncRoom.tick` at :meth:`TLSyncRoom.next_deadline` (or simply often), and the room then
flushes batched messages and prunes sessions whose time is up.

State.  The document lane is a :class:`RoomStorage` (records with clocks, tombstones, the
document clock); presence records live in memory only, keyed by the server-assigned presence id
of each session.  Sessions move through states as data (:class:`SessionState`):
awaiting-connect-message → connected → awaiting-removal → removed.  A cancelled session keeps
its presence for a grace period, so that a quick reconnect under the same session id keeps it.

Dialects.  A session speaks the dialect it connected with.  Protocol 3 (SPEC.md PR1) gets
top-level ``patch``/``push_result`` messages, the connect response without request id, and
``incompatibility_error`` on rejection.  Protocols 5–8 get the current tldraw dialect: data
messages batched into ``{"type": "data"}`` (the first at once, the rest 16 ms later together),
4099 closes with a reason, and the compatibility rules for 5/6 (legacy rejection) and 7 (no
string appends).  While any connected session cannot take string appends, no session is sent
any (tldraw's later SPEC behaviour; 5.4.2 still broadcast appends to everyone).

Handshake.  The client's schema must be migratable *down* from ours (every migration between
has a ``down``); its ``lastServerClock`` decides between ``wipe_all`` (full state) and
``wipe_presence`` (the changes since, and every other session's presence).

Pushes.  One push is one storage transaction.  Presence ops go to the session's own presence
record; document ops are gated (read-only sessions skip them), migrated up from the session's
schema, validated, and diffed against the stored record, so what is stored and broadcast is what
really changed.  Any validation or migration failure rolls back the whole push and rejects only
that session.  The pusher gets ``commit`` if the effect is exactly what it sent, ``discard`` if
nothing changed, and ``rebaseWithDiff`` with the actual effect otherwise; every other connected
session gets one ``patch``, migrated down to its schema.

Durability.  With ``durable=False`` (a host that persists asynchronously), messages about changes
are held back until the host calls :meth:`TLSyncRoom.mark_durable` with a clock at least as new as
theirs, so nothing is acknowledged before it is on disk.  That includes a connect answer that
shows changes not yet on disk: otherwise a client could learn a clock that a crash hands out
again, and miss the change that reuses it.  A held message belongs to the connection it was
sent on: a session that reconnected meanwhile catches up through its own connect answer.
Holding a message does not move its session's batches: a held data message is batched when it
is made, as if it went out then (it may open a batch, due 16 ms later), and on release it only
takes the place it was given; the one that opened a batch goes out as soon as it is released.
Were batches opened on release instead, every batch would start one disk commit late, and the
release of one group commit would open the batches of every session in the room at once.
``on_commit`` tells the host what each transaction changed, for incremental persistence.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Literal

from tlsync_core.protocol.close_codes import (
    TLSyncErrorCloseEventCode,
    TLSyncErrorCloseEventReason,
    legacy_incompatibility_reason,
)
from tlsync_core.protocol.dialects import dialect_rules
from tlsync_core.protocol.diff import apply_object_diff, diff_record, to_network_diff
from tlsync_core.protocol.versions import negotiate_protocol_version
from tlsync_core.room.session import (
    DATA_MESSAGE_DEBOUNCE_INTERVAL,
    SESSION_IDLE_TIMEOUT,
    SESSION_REMOVAL_WAIT_TIME,
    SESSION_START_WAIT_TIME,
    ObjectAccess,
    RoomSession,
    SessionState,
    TLRoomSocket,
)
from tlsync_core.room.storage import (
    ForwardDiff,
    RoomSnapshot,
    RoomStorage,
    StorageTransaction,
)
from tlsync_core.signals import Atom, atom
from tlsync_core.store import Err, RecordType, StoreSchema
from tlsync_core.store.jsvalue import js_equal
from tlsync_core.store.store import require_schema_object

logger = logging.getLogger("tlsync_core.room")

Record = dict[str, Any]
NetworkDiff = dict[str, list[Any]]
Message = dict[str, Any]
Reason = TLSyncErrorCloseEventReason


class TLSyncError(Exception):
    """A failure that rejects the session that caused it, with a close reason."""

    def __init__(self, message: str, reason: Reason) -> None:
        super().__init__(message)
        self.reason = reason


class _Effects:
    """What a push (or server edit) really changed: wire ops and the forward diff."""

    __slots__ = ("changes", "ops")

    def __init__(self) -> None:
        self.ops: NetworkDiff = {}
        self.changes = ForwardDiff()

    def put(self, record_id: str, record: Record) -> None:
        self.ops[record_id] = ["put", record]
        self.changes.puts[record_id] = record

    def patch(self, record_id: str, patch: Any, before: Record, after: Record) -> None:
        self.ops[record_id] = ["patch", patch]
        self.changes.puts[record_id] = (before, after)

    def remove(self, record_id: str) -> None:
        self.ops[record_id] = ["remove"]
        self.changes.deletes.append(record_id)


class RoomState:
    """The value of :attr:`TLSyncRoom.state`: the live documents and tombstones."""

    __slots__ = ("documents", "tombstones")

    def __init__(self, storage: RoomStorage) -> None:
        self.documents = storage.documents
        self.tombstones = storage.tombstones


class TLSyncRoom:
    """One room: documents, presence and sessions; see the module docstring."""

    def __init__(
        self,
        schema: StoreSchema,
        snapshot: Mapping[str, Any] | None = None,
        *,
        now: Callable[[], float],
        durable: bool = True,
        on_commit: Callable[[ForwardDiff, int], None] | None = None,
        log_event: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.schema = require_schema_object(schema, "TLSyncRoom")
        self.serialized_schema: dict[str, Any] = dict(schema.serialize())
        presence_types = [t for t in schema.types.values() if t.scope == "presence"]
        if len(presence_types) > 1:
            raise ValueError(f"a room schema may have at most one presence type: {presence_types}")
        self.presence_type: RecordType | None = presence_types[0] if presence_types else None
        self.document_types = frozenset(
            t.type_name for t in schema.types.values() if t.scope == "document"
        )
        self._now = now
        self._on_commit = on_commit
        self._log_event = log_event
        self.sessions: dict[str, RoomSession] = {}
        self.presence: dict[str, Record] = {}
        self._presence_ids: dict[str, str] = {}  # session id -> presence id (kept on reconnect)
        self.durable_clock = 0
        self._durable = durable
        # (clock, sessions, message): held for those very session objects, never for a later
        # session that reconnected under the same id (it catches up through its connect); a
        # broadcast is one entry for all its recipients; in clock order (the storage clock never
        # goes back), so what is durable is at the front
        self._held: deque[tuple[int, list[RoomSession], Message]] = deque()
        # whether every connected session takes string appends (None: ask the sessions again);
        # read on every push and broadcast, so it is kept until the sessions change
        self._string_append: bool | None = None
        self.storage = self._load(snapshot)
        self.durable_clock = self.storage.clock
        self.state: Atom[RoomState, Any] = atom("TLSyncRoom.state", RoomState(self.storage))

    # ------------------------------------------------------------------------------------------
    # loading and snapshots

    def _load(self, snapshot: Mapping[str, Any] | None) -> RoomStorage:
        if snapshot is None:
            storage = RoomStorage(schema=self.serialized_schema)
            self._ensure_defaults(storage)
            return storage
        storage = RoomStorage.from_snapshot(snapshot)
        persisted = storage.schema or self.schema.serialize_earliest_version()
        txn = storage.transaction()
        try:
            records = {rid: d.state for rid, d in storage.documents.items()}
            migrated = self.schema.migrate_store_snapshot({"store": records, "schema": persisted})
            for rid, record in list(migrated.items()):
                # only documents belong in a room, even when no migration ran (tldraw drops
                # them only then); an unknown type is corrupt data and raises
                if self.schema.get_type(record["typeName"]).scope != "document":
                    del migrated[rid]
            for rid in list(records):
                if rid not in migrated:
                    txn.delete(rid)
            for rid, record in migrated.items():
                if not js_equal(records.get(rid), record):
                    txn.put(record)
            txn.set_schema(self.serialized_schema)
        except BaseException:
            txn.rollback()
            raise
        txn.commit()
        return storage

    def _ensure_defaults(self, storage: RoomStorage) -> None:
        """A brand-new room: let the schema's integrity checker create its required records."""
        from tlsync_core.store import Store  # noqa: PLC0415 - only for new rooms

        store = Store(schema=self.schema)
        store.ensure_store_is_usable()
        documents = store.serialize("document")
        if documents:
            txn = storage.transaction()
            for record in documents.values():
                txn.put(record)
            txn.commit()
            # a new room's defaults are its history's beginning (tldraw: clock 0, history 0)
            for document in storage.documents.values():
                document.last_changed_clock = 0
            storage.clock = 0

    def get_snapshot(self) -> RoomSnapshot:
        """The persisted state: documents with clocks, tombstones, clock and schema."""
        return self.storage.get_snapshot()

    @property
    def clock(self) -> int:
        return self.storage.clock

    @property
    def tombstone_history_starts_at_clock(self) -> int:
        return self.storage.tombstone_history_starts_at_clock

    def prune_tombstones(self) -> None:
        self.storage.prune_tombstones()

    # ------------------------------------------------------------------------------------------
    # sessions

    def handle_new_session(
        self,
        session_id: str,
        socket: TLRoomSocket,
        *,
        is_readonly: bool = False,
        object_access: ObjectAccess = "write",
        meta: Any = None,
    ) -> RoomSession:
        """Register a socket; it must send ``connect`` within ``SESSION_START_WAIT_TIME``.

        Re-registering a session id (a reconnect) keeps its presence id.
        """
        presence_id = self._presence_ids.get(session_id)
        if presence_id is None and self.presence_type is not None:
            presence_id = self.presence_type.create_id()
        if presence_id is not None:
            self._presence_ids[session_id] = presence_id
        session = RoomSession(
            session_id,
            socket,
            presence_id,
            self._now(),
            is_readonly=is_readonly,
            object_access=object_access,
            meta=meta,
        )
        self.sessions[session_id] = session
        self._string_append = None
        self._event("session_started", session_id)
        return session

    def handle_close(self, session_id: str) -> None:
        """The socket closed or failed: cancel the session (presence kept for a grace period)."""
        self._cancel_session(session_id)

    def close_session(self, session_id: str, reason: Reason | str | None = None) -> None:
        """Disconnect a session now, with a fatal reason (the client stops) or none (it retries)."""
        if reason is None:
            self._remove_session(session_id)
        else:
            self._reject_session(session_id, reason)

    def _cancel_session(self, session_id: str) -> None:
        session = self.sessions.get(session_id)
        if session is None or session.state is SessionState.AWAITING_REMOVAL:
            return
        session.state = SessionState.AWAITING_REMOVAL
        self._string_append = None
        session.cancellation_time = self._now()
        session.outstanding.clear()
        session.flush_at = None
        if session.socket.is_open:
            session.socket.close()
        self._event("session_cancelled", session_id)

    def _remove_session(self, session_id: str, fatal_reason: Reason | str | None = None) -> None:
        session = self.sessions.pop(session_id, None)
        if session is None:
            return
        self._string_append = None
        if session.socket.is_open:
            if fatal_reason is None:
                session.socket.close()
            else:
                session.socket.close(TLSyncErrorCloseEventCode, str(fatal_reason))
        presence_id = session.presence_id
        if presence_id is not None and not any(
            s.presence_id == presence_id for s in self.sessions.values()
        ):
            self._presence_ids.pop(session_id, None)
            if self.presence.pop(presence_id, None) is not None:
                # the forward diff too: legacy and down-migrated sessions are sent diffs made
                # from it (with an empty one, they never heard of the removal)
                self._broadcast({presence_id: ["remove"]}, _forward({}, [presence_id]), source=None)
        self._event("session_removed", session_id)
        if not self.sessions:
            self._event("room_became_empty", None)

    def _reject_session(self, session_id: str, reason: Reason | str) -> None:
        session = self.sessions.get(session_id)
        if session is None:
            return
        if session.requires_legacy_rejection or dialect_rules(session.dialect).legacy_rejection:
            if session.socket.is_open:
                self._send_now(
                    session,
                    {
                        "type": "incompatibility_error",
                        "reason": legacy_incompatibility_reason(reason),
                    },
                )
            self._remove_session(session_id)
        else:
            self._remove_session(session_id, reason)

    def tick(self, max_flushes: int | None = None) -> None:
        """Flush due message batches and prune sessions whose time is up.

        With ``max_flushes``, at most that many batches go out (in session order) and the rest
        stay due: the host ticks again for them (SPEC.md SRV11).
        """
        now = self._now()
        # every due batch first: they were due before this instant, so (as with tldraw's
        # timers) they go out before anything the pruning sends (presence removals)
        flushed = 0
        for session in list(self.sessions.values()):
            if session.flush_at is not None and session.flush_at <= now:
                if flushed == max_flushes:
                    return  # (the pruning waits for the batches still due)
                self._flush(session)
                flushed += 1
        for session in list(self.sessions.values()):
            if session.state is SessionState.AWAITING_CONNECT_MESSAGE:
                if (
                    now - session.session_start_time > SESSION_START_WAIT_TIME
                    or not session.socket.is_open
                ):
                    self._remove_session(session.id)
            elif session.state is SessionState.CONNECTED:
                if (
                    now - session.last_interaction_time > SESSION_IDLE_TIMEOUT
                    or not session.socket.is_open
                ):
                    self._cancel_session(session.id)
            elif now - session.cancellation_time > SESSION_REMOVAL_WAIT_TIME:
                self._remove_session(session.id)

    def next_deadline(self) -> float | None:
        """When :meth:`tick` next has something to do (a ``now()`` value), or None."""
        deadlines: list[float] = []
        for session in self.sessions.values():
            if session.flush_at is not None:
                deadlines.append(session.flush_at)
            if session.state is SessionState.AWAITING_CONNECT_MESSAGE:
                deadlines.append(session.session_start_time + SESSION_START_WAIT_TIME)
            elif session.state is SessionState.CONNECTED:
                deadlines.append(session.last_interaction_time + SESSION_IDLE_TIMEOUT)
            else:
                deadlines.append(session.cancellation_time + SESSION_REMOVAL_WAIT_TIME)
        return min(deadlines) if deadlines else None

    # ------------------------------------------------------------------------------------------
    # messages in

    def handle_message(self, session_id: str, message: Message) -> None:
        """Handle one parsed client message.  Unknown sessions are ignored."""
        session = self.sessions.get(session_id)
        if session is None:
            return
        kind = message.get("type")
        try:
            if kind == "connect":
                self._handle_connect(session, message)
            elif kind == "push":
                self._handle_push(session, message)
            elif kind == "ping":
                if session.state is SessionState.CONNECTED:
                    session.last_interaction_time = self._now()
                    self._send_now(session, {"type": "pong"})
            else:
                raise TLSyncError(f"unknown message type {kind!r}", Reason.UNKNOWN_ERROR)
        except TLSyncError as error:
            logger.info("rejecting session %s: %s (%s)", session_id, error, error.reason)
            self._reject_session(session_id, error.reason)
        except Exception:
            logger.exception("error while handling a message from session %s", session_id)
            self._reject_session(session_id, Reason.UNKNOWN_ERROR)

    def _handle_connect(self, session: RoomSession, message: Message) -> None:
        if session.state is not SessionState.AWAITING_CONNECT_MESSAGE:
            # a second connect on the same socket restarts the handshake; as in tldraw (which
            # makes a new session object), the batch waiting for the old one is dropped: the
            # client ignores data until its new connect is answered
            session.state = SessionState.AWAITING_CONNECT_MESSAGE
            session.outstanding.clear()
            session.flush_at = None
        self._string_append = None
        negotiated = negotiate_protocol_version(message.get("protocolVersion"))
        session.requires_legacy_rejection = negotiated.requires_legacy_rejection
        session.supports_string_append = negotiated.supports_string_append
        if not negotiated.accepted or negotiated.dialect is None:
            assert negotiated.rejection is not None
            raise TLSyncError(negotiated.detail, negotiated.rejection)
        session.dialect = negotiated.dialect
        client_schema = message.get("schema")
        if client_schema is None:
            raise TLSyncError("the connect request has no schema", Reason.CLIENT_TOO_OLD)
        migrations = self.schema.get_migrations_since(client_schema)
        if isinstance(migrations, Err):
            raise TLSyncError(str(migrations.error), self._version_mismatch_reason(client_schema))
        if any(m.scope != "record" or m.down is None for m in migrations.value):
            raise TLSyncError("the client's schema cannot be served", Reason.CLIENT_TOO_OLD)
        same = js_equal(client_schema, self.serialized_schema)
        session.serialized_schema = self.serialized_schema if same else client_schema
        session.requires_down_migrations = bool(migrations.value)
        session.instance_id = message.get("instanceId")

        last_clock = message.get("lastServerClock", -1)
        changes = self.storage.changes_since(last_clock)
        presence_puts: dict[str, Record | tuple[Record, Record]] = {
            pid: record for pid, record in self.presence.items() if pid != session.presence_id
        }
        presence_diff = self._migrate_for(session, _forward(presence_puts, []))
        document_diff: NetworkDiff = {}
        if changes.puts or changes.deletes:
            document_diff = self._migrate_for(
                session, _forward({r["id"]: r for r in changes.puts}, changes.deletes)
            )
        rules = dialect_rules(session.dialect)
        response: Message = {
            "type": "connect",
            "hydrationType": "wipe_all" if changes.wipe_all else "wipe_presence",
            "protocolVersion": rules.protocol_version,
            "schema": self.serialized_schema,
            "serverClock": self.storage.clock,
            "diff": {**presence_diff, **document_diff},
        }
        if rules.connect_request_ids:
            response = {
                "type": "connect",
                "connectRequestId": message.get("connectRequestId"),
                **{k: v for k, v in response.items() if k != "type"},
                "isReadonly": session.is_readonly,
                "objectAccess": session.object_access,
            }
            if "connectRequestId" not in message:
                del response["connectRequestId"]  # as JSON drops tldraw's undefined
        session.state = SessionState.CONNECTED
        self._string_append = None
        session.last_interaction_time = self._now()
        self._flush(session)
        if not self._durable and self.storage.clock > self.durable_clock:
            # the answer shows changes that are not on disk yet: it waits for them like any data
            # message, so that no client learns a clock that a crash could hand out again
            self._held.append((self.storage.clock, [session], response))
        else:
            self._send_now(session, response)
        self._event("session_connected", session.id)

    def _version_mismatch_reason(self, client_schema: Any) -> Reason:
        ours = self.serialized_schema
        if not isinstance(client_schema, dict):
            return Reason.CLIENT_TOO_OLD
        version = client_schema.get("schemaVersion")
        if isinstance(version, int) and version > ours["schemaVersion"]:
            return Reason.SERVER_TOO_OLD
        theirs = client_schema.get("sequences")
        if version == 2 and isinstance(theirs, dict):
            for sequence_id, their_version in theirs.items():
                our_version = ours["sequences"].get(sequence_id)
                if our_version is None or (
                    isinstance(their_version, int) and their_version > our_version
                ):
                    return Reason.SERVER_TOO_OLD
        return Reason.CLIENT_TOO_OLD

    # ------------------------------------------------------------------------------------------
    # pushes

    def _handle_push(self, session: RoomSession, message: Message) -> None:
        if session.state is not SessionState.CONNECTED:
            return
        session.last_interaction_time = self._now()
        legacy = not self._can_emit_string_append()
        documents = _Effects()
        presence = _Effects()
        txn = self.storage.transaction()
        try:
            presence_op = message.get("presence")
            if presence_op is not None and self.presence_type is not None and session.presence_id:
                self._push_presence(session, presence_op, legacy=legacy, effects=presence)
            diff = message.get("diff")
            if diff:
                for record_id, op in diff.items():
                    self._push_op(session, txn, record_id, op, legacy=legacy, effects=documents)
        except BaseException:
            txn.rollback()
            self._undo_presence(presence.changes)
            raise
        committed = txn.commit()
        if committed:
            self._committed(committed)
        clock = self.storage.clock
        # tldraw: isEqual(networkDiff, message.diff), networkDiff undefined when nothing
        # changed: so a push without a diff commits, but an empty (or null) diff that changed
        # nothing is a discard
        if documents.ops:
            committed_as_sent = js_equal(documents.ops, message.get("diff"))
        else:
            committed_as_sent = "diff" not in message
        if committed_as_sent:
            action: Any = "commit"
        elif not documents.ops:
            action = "discard"
        else:
            rebase = self._migrate_for(session, documents.changes, documents.ops)
            action = {"rebaseWithDiff": rebase}
        if session.id in self.sessions:
            result = {
                "type": "push_result",
                "clientClock": message.get("clientClock"),
                "serverClock": clock,
                "action": action,
            }
            if "clientClock" not in message:
                del result["clientClock"]  # as JSON drops tldraw's undefined
            self._send_data(session, result, clock)
        if documents.ops or presence.ops:
            merged = _forward(
                {**documents.changes.puts, **presence.changes.puts},
                [*documents.changes.deletes, *presence.changes.deletes],
            )
            self._broadcast({**documents.ops, **presence.ops}, merged, source=session.id)

    def _push_presence(
        self, session: RoomSession, op: list[Any], *, legacy: bool, effects: _Effects
    ) -> None:
        assert self.presence_type is not None and session.presence_id is not None
        presence_id = session.presence_id
        type_name = self.presence_type.type_name
        before = self.presence.get(presence_id)
        if op[0] == "put":
            record = {**op[1], "id": presence_id, "typeName": type_name}
            candidate = self._migrate_up(session, record)
        elif op[0] == "patch":
            if before is None:
                return
            patch = {**op[1], "id": ["put", presence_id], "typeName": ["put", type_name]}
            candidate = self._apply_patch(session, before, patch)
        else:
            raise TLSyncError(f"invalid presence op {op[0]!r}", Reason.INVALID_RECORD)
        if before is None:
            self._validate(candidate, None)
            self.presence[presence_id] = candidate
            effects.put(presence_id, candidate)
            return
        patch_diff = diff_record(before, candidate, legacy)
        if patch_diff is not None:
            self._validate(candidate, before)
            self.presence[presence_id] = candidate
            effects.patch(presence_id, patch_diff, before, candidate)

    def _undo_presence(self, changes: ForwardDiff) -> None:
        for presence_id, put in changes.puts.items():
            if isinstance(put, tuple):
                self.presence[presence_id] = put[0]
            else:
                self.presence.pop(presence_id, None)

    def _can_write(self, session: RoomSession | None) -> bool:
        return session is None or not session.is_readonly

    def _push_op(
        self,
        session: RoomSession | None,
        txn: StorageTransaction,
        record_id: str,
        op: list[Any],
        *,
        legacy: bool,
        effects: _Effects,
    ) -> None:
        kind = op[0]
        if kind == "put":
            record = op[1]
            if not self._can_write(session):
                return
            if record.get("typeName") not in self.document_types:
                raise TLSyncError(
                    f"cannot put a record of type {record.get('typeName')!r}", Reason.INVALID_RECORD
                )
            if record.get("id") != record_id:
                raise TLSyncError(
                    f"put of {record_id!r} carries id {record.get('id')!r}", Reason.INVALID_RECORD
                )
            stored = txn.get(record_id)
            if stored is not None and stored["typeName"] != record["typeName"]:
                # before the id check below: tldraw skips such a put (tests/room_diff)
                logger.warning("skipping a put that changes the typeName of %s", record_id)
                return
            if not record_id.startswith(record["typeName"] + ":") or not _well_formed(record_id):
                raise TLSyncError(
                    f"the id {record_id!r} is not an id of type {record['typeName']!r}",
                    Reason.INVALID_RECORD,
                )
            candidate = self._migrate_up(session, record)
            if stored is None:
                self._validate(candidate, None)
                txn.put(candidate)
                effects.put(record_id, candidate)
            else:
                patch = diff_record(stored, candidate, False)
                self._store_change(txn, stored, candidate, patch, effects)
        elif kind == "patch":
            stored = txn.get(record_id)
            if stored is None or not self._can_write(session):
                return
            candidate = self._apply_patch(session, stored, op[1])
            if candidate is not stored:
                if (
                    candidate.get("id") != record_id
                    or candidate.get("typeName") != stored["typeName"]
                ):
                    raise TLSyncError(
                        f"a patch may not change the id or typeName of {record_id!r}",
                        Reason.INVALID_RECORD,
                    )
                patch = diff_record(stored, candidate, legacy)
                self._store_change(txn, stored, candidate, patch, effects)
        elif kind == "remove":
            if txn.get(record_id) is None or not self._can_write(session):
                return
            txn.delete(record_id)
            effects.remove(record_id)
        else:
            raise TLSyncError(f"invalid record op {kind!r}", Reason.INVALID_RECORD)

    def _store_change(
        self,
        txn: StorageTransaction,
        stored: Record,
        candidate: Record,
        patch: Any,
        effects: _Effects,
    ) -> None:
        """Store ``candidate`` over ``stored`` if ``patch`` (their diff) says it changed."""
        if patch is None:
            return
        self._validate(candidate, stored)
        txn.put(candidate)
        effects.patch(candidate["id"], patch, stored, candidate)

    def _apply_patch(self, session: RoomSession | None, stored: Record, patch: Any) -> Record:
        """``patch`` (in the session's schema) applied to ``stored`` (in ours)."""
        if session is None or not session.requires_down_migrations:
            return _patched(stored, patch)
        down = self._migrate(session, stored, "down")
        if down is stored:
            return _patched(stored, patch)
        return self._migrate_up(session, _patched(down, patch))

    def _migrate_up(self, session: RoomSession | None, record: Record) -> Record:
        if session is None:
            return record
        return self._migrate(session, record, "up")

    def _migrate(
        self, session: RoomSession, record: Record, direction: Literal["up", "down"]
    ) -> Record:
        if not session.requires_down_migrations:
            return record
        result = self.schema.migrate_persisted_record(record, session.serialized_schema, direction)
        if isinstance(result, Err):
            raise TLSyncError(
                f"cannot migrate {record.get('id')}: {result.error}", Reason.CLIENT_TOO_OLD
            )
        return result.value

    def _validate(self, record: Record, before: Record | None) -> None:
        record_type = self.schema.types.get(record.get("typeName", ""))
        if record_type is None:
            raise TLSyncError(
                f"unknown record type {record.get('typeName')!r}", Reason.INVALID_RECORD
            )
        try:
            record_type.validate(record, before)
        except Exception as error:
            raise TLSyncError(str(error), Reason.INVALID_RECORD) from error

    def _can_emit_string_append(self) -> bool:
        if self._string_append is None:
            self._string_append = all(
                s.supports_string_append
                for s in self.sessions.values()
                if s.state is SessionState.CONNECTED
            )
        return self._string_append

    # ------------------------------------------------------------------------------------------
    # server-side edits

    def update_store(self, updater: Callable[[StoreContext], None]) -> None:
        """Edit the documents in one isolated transaction; every session sees it as a patch."""
        txn = self.storage.transaction()
        context = StoreContext(self, txn)
        try:
            updater(context)
        except BaseException:
            txn.rollback()
            raise
        committed = txn.commit()
        if not committed:
            return
        self._committed(committed)
        self._broadcast(context.effects.ops, committed, source=None)

    # ------------------------------------------------------------------------------------------
    # messages out

    def send_custom_message(self, session_id: str, data: Any) -> None:
        """Send an application message to a connected (v8) session."""
        session = self.sessions.get(session_id)
        if session is None or session.state is not SessionState.CONNECTED:
            logger.warning("custom message to %s, which is not connected, dropped", session_id)
            return
        self._flush(session)
        self._send_now(session, {"type": "custom", "data": data})

    def broadcast_patch(self, diff: NetworkDiff, source_session_id: str | None = None) -> None:
        """Send a patch of document changes to every connected session but the source."""
        forward = ForwardDiff()
        for record_id, op in diff.items():
            if op[0] == "remove":
                forward.deletes.append(record_id)
            else:
                current = self.storage.get(record_id) or self.presence.get(record_id)
                if current is not None:
                    forward.puts[record_id] = current
        self._broadcast(diff, forward, source=source_session_id)

    def _broadcast(self, ops: NetworkDiff, forward: ForwardDiff, source: str | None) -> None:
        clock = self.storage.clock
        legacy = not self._can_emit_string_append()  # once per broadcast, not per recipient
        # sessions on our schema all get the very same message object (hosts may serialise it
        # once); sessions on older schemas get their own, migrated down
        shared: Message | None = None
        shared_to: list[RoomSession] = []
        for session in list(self.sessions.values()):
            if session.id == source or session.state is not SessionState.CONNECTED:
                continue
            if not session.socket.is_open:
                self._cancel_session(session.id)
                continue
            if session.requires_down_migrations:
                try:
                    diff = self._migrate_for(session, forward, ops, legacy=legacy)
                except TLSyncError as error:
                    self._reject_session(session.id, error.reason)
                    continue
                message: Message = {"type": "patch", "diff": diff, "serverClock": clock}
            else:
                if shared is None:
                    diff = to_network_diff(forward.puts, forward.deletes, legacy) if legacy else ops
                    shared = {"type": "patch", "diff": diff, "serverClock": clock}
                if shared["diff"]:
                    shared_to.append(session)
                continue
            # a session on an older schema gets the patch even when the change is invisible
            # in its schema (an empty diff), as in tldraw: it still learns the new clock
            self._send_data(session, message, clock)
        if shared_to:
            assert shared is not None
            if not self._durable and clock > self.durable_clock:
                for session in shared_to:
                    self._batch_held(session, shared)
                self._held.append((clock, shared_to, shared))
            else:
                for session in shared_to:
                    self._deliver_data(session, shared)

    def migrate_diff_for_client(self, session: RoomSession, forward: ForwardDiff) -> NetworkDiff:
        """The network diff of ``forward`` in ``session``'s schema (raises TLSyncError)."""
        return self._migrate_for(session, forward)

    def _migrate_for(
        self,
        session: RoomSession,
        forward: ForwardDiff,
        plain: NetworkDiff | None = None,
        *,
        legacy: bool | None = None,
    ) -> NetworkDiff:
        if legacy is None:
            legacy = not self._can_emit_string_append()
        if not session.requires_down_migrations:
            if plain is not None and not legacy:
                return plain
            return to_network_diff(forward.puts, forward.deletes, legacy)
        result: NetworkDiff = {}
        for record_id, put in forward.puts.items():
            if isinstance(put, tuple):
                before = self._migrate(session, put[0], "down")
                after = self._migrate(session, put[1], "down")
                patch = diff_record(before, after, legacy)
                if patch is not None:
                    result[record_id] = ["patch", patch]
            else:
                result[record_id] = ["put", self._migrate(session, put, "down")]
        for record_id in forward.deletes:
            result[record_id] = ["remove"]
        return result

    def send_message_to_client(self, session_id: str, message: Message) -> None:
        """Send a message to a session, batching data messages as its dialect wants."""
        session = self.sessions.get(session_id)
        if session is None:
            return
        if message.get("type") in ("patch", "push_result"):
            self._send_data(session, message, self.storage.clock)
        else:
            self._send_now(session, message)

    def _send_data(self, session: RoomSession, message: Message, clock: int) -> None:
        if not self._durable and clock > self.durable_clock:
            self._batch_held(session, message)
            self._held.append((clock, [session], message))
        else:
            self._deliver_data(session, message)

    def _batch_held(self, session: RoomSession, message: Message) -> None:
        """Batch a message that must wait for durability as it is made (SPEC.md DUR2): had it
        gone out at once, it opens the session's batch now and goes out when released."""
        if session.flush_at is None and dialect_rules(session.dialect).batched_data:
            session.flush_at = self._now() + DATA_MESSAGE_DEBOUNCE_INTERVAL
            session.openers.append(message)

    def _deliver_data(
        self, session: RoomSession, message: Message, *, released: bool = False
    ) -> None:
        """Send (or batch) a data message that may go out now (what it shows is durable).

        ``released``: a held message that just became durable; its batch was chosen when it was
        made (SPEC.md DUR2), so it opens none now.
        """
        if not session.socket.is_open:
            # as tldraw: a message for a dead socket ends the session, even one that would only
            # have joined the batch
            self._cancel_session(session.id)
        elif session.openers and session.openers[0] is message:
            # it opened its batch: out at once, after what waited (the deadline stays)
            session.openers.popleft()
            batch, session.outstanding = session.outstanding, []
            batch.append(message)
            self._send_now(session, {"type": "data", "data": batch})
        elif session.flush_at is not None:
            # (only batched dialects arm the debounce; the common case under load)
            session.outstanding.append(message)
        elif not dialect_rules(session.dialect).batched_data:
            self._send_now(session, message)
        else:
            self._send_now(session, {"type": "data", "data": [message]})
            if not released:  # (a released one follows a batch that went out without it)
                session.flush_at = self._now() + DATA_MESSAGE_DEBOUNCE_INTERVAL

    def _flush(self, session: RoomSession) -> None:
        # as tldraw: a flush ends the debounce, so the next data message goes out at once (were
        # the timer re-armed here, a message could wait in the batch while tldraw has sent it,
        # and be lost with the batch when the session ends: tests/room_diff found that)
        session.flush_at = None
        if session.outstanding:
            batch, session.outstanding = session.outstanding, []
            self._send_now(session, {"type": "data", "data": batch})

    def _send_now(self, session: RoomSession, message: Message) -> None:
        if not session.socket.is_open:
            self._cancel_session(session.id)
            return
        session.socket.send_message(message)

    def mark_durable(self, clock: int) -> None:
        """Everything up to ``clock`` is on disk: release the messages that waited for it."""
        self.durable_clock = max(self.durable_clock, clock)
        if not self._held:
            return
        held = self._held
        ready: list[tuple[int, list[RoomSession], Message]] = []
        while held and held[0][0] <= self.durable_clock:
            ready.append(held.popleft())
        sessions = self.sessions
        for _clock, recipients, message in ready:
            connect = message["type"] == "connect"
            for session in recipients:
                if sessions.get(session.id) is not session:
                    continue  # that session is over (a reconnection catches up by its connect)
                if session.state is not SessionState.CONNECTED:
                    continue
                if connect:
                    self._flush(session)
                    self._send_now(session, message)
                else:
                    self._deliver_data(session, message, released=True)

    def _committed(self, changes: ForwardDiff) -> None:
        self.state.set(RoomState(self.storage))
        if self._durable:
            self.durable_clock = self.storage.clock
        if changes.deletes:
            self.storage.prune_tombstones()
        if self._on_commit is not None:
            self._on_commit(changes, self.storage.clock)

    def _event(self, name: str, session_id: str | None) -> None:
        if self._log_event is not None:
            self._log_event({"type": name, "session_id": session_id})


class StoreContext:
    """The isolated view :meth:`TLSyncRoom.update_store` gives its updater."""

    def __init__(self, room: TLSyncRoom, txn: StorageTransaction) -> None:
        self._room = room
        self._txn = txn
        self.effects = _Effects()

    def get(self, record_id: str) -> Record | None:
        return self._txn.get(record_id)

    def all(self) -> list[Record]:
        return [d.state for d in self._room.storage.documents.values()]

    def put(self, record: Record) -> None:
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise ValueError("update_store: a record is a dict with a string id")
        self._apply(record["id"], ["put", record])

    def delete(self, record_id: str) -> None:
        self._apply(record_id, ["remove"])

    def _apply(self, record_id: str, op: list[Any]) -> None:
        self._room._push_op(None, self._txn, record_id, op, legacy=False, effects=self.effects)


def _well_formed(text: str) -> bool:
    """Whether ``text`` has no lone surrogate (ids are storage keys: they must be UTF-8)."""
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _patched(record: Record, patch: Any) -> Record:
    try:
        return apply_object_diff(record, patch)
    except ValueError as error:
        raise TLSyncError(str(error), Reason.INVALID_RECORD) from error


def _forward(puts: dict[str, Record | tuple[Record, Record]], deletes: list[str]) -> ForwardDiff:
    diff = ForwardDiff()
    diff.puts = puts
    diff.deletes = deletes
    return diff


__all__ = ["RoomState", "StoreContext", "TLSyncError", "TLSyncRoom"]
