"""Where rooms live between runs: a storage interface and its SQLite default.

Writes are incremental: each committed room transaction stages only the records it put, the
records it deleted (as tombstones), the clock, the tombstone history start and the schema.
Staged writes accumulate in one open SQLite transaction until :meth:`commit`.  The server never
calls a persistence on its event loop: its storage thread (:mod:`tlsync_core.server.
storage_writer`) stages whatever accumulated while the previous commit ran and commits it all
at once (group commit), and only then is any of it acknowledged.  A commit that fails is rolled
back (:meth:`RoomPersistence.rollback`) and the same writes are staged again on the next try.

A database file that vanished while open (unlinked, or its folder removed) is a storage failure:
a commit into a file nobody can open again is not durable.  :class:`SQLitePersistence` compares
the identity (device and inode) of the file it opened with the file at its path after every
commit, and before the next transaction it restores the database at its path from the open
connection (which still reads the vanished file), so that nothing committed earlier is lost.
A different file at the path is never overwritten: that stays a failure until an operator acts.

SQLite runs in WAL mode with ``synchronous=NORMAL``: a committed transaction survives the
process being killed (``kill -9``); it may be lost only if the machine loses power.  Use
``synchronous="FULL"`` to survive that too, at the price of an fsync per commit.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal, Protocol

import orjson

from tlsync_core.protocol.codec import serialize_message
from tlsync_core.room.storage import ForwardDiff, RoomSnapshot

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS rooms (
    room_id TEXT PRIMARY KEY,
    document_clock INTEGER NOT NULL,
    tombstone_history_starts_at_clock INTEGER NOT NULL,
    schema TEXT
);
CREATE TABLE IF NOT EXISTS documents (
    room_id TEXT NOT NULL,
    id TEXT NOT NULL,
    state BLOB NOT NULL,
    last_changed_clock INTEGER NOT NULL,
    PRIMARY KEY (room_id, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tombstones (
    room_id TEXT NOT NULL,
    id TEXT NOT NULL,
    clock INTEGER NOT NULL,
    PRIMARY KEY (room_id, id)
) WITHOUT ROWID;
"""


def dumps_json(value: Any) -> bytes:
    """``value`` as JSON bytes, lone surrogates included.

    orjson refuses strings that are not valid UTF-8, but a record may hold a lone surrogate
    (JavaScript strings can, and ``JSON.parse`` reads ``"\\ud800"``): those rare values are
    written as ``JSON.stringify`` writes them (:func:`~tlsync_core.protocol.codec.
    serialize_message`: escaped as ``\\ud800``), so that what a room holds in memory is what a
    restart loads.
    """
    try:
        return orjson.dumps(value)
    except TypeError:
        return serialize_message(value).encode()


def loads_json(data: bytes | str) -> Any:
    """The value of :func:`dumps_json` output (lone surrogate escapes included)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


Rows = list[tuple[Any, ...]]
#: A write as SQL statements, each with the rows to run it on (``?`` placeholders).
Plan = list[tuple[str, Rows]]

_UPSERT_ROOM = (
    "INSERT INTO rooms (room_id, document_clock, tombstone_history_starts_at_clock, schema)"
    " VALUES (?, ?, ?, ?) ON CONFLICT (room_id) DO UPDATE SET"
    " document_clock = excluded.document_clock,"
    " tombstone_history_starts_at_clock = excluded.tombstone_history_starts_at_clock,"
    " schema = excluded.schema"
)
_UPSERT_DOCUMENT = (
    "INSERT INTO documents (room_id, id, state, last_changed_clock) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (room_id, id) DO UPDATE SET state = excluded.state,"
    " last_changed_clock = excluded.last_changed_clock"
)
_UPSERT_TOMBSTONE = (
    "INSERT INTO tombstones (room_id, id, clock) VALUES (?, ?, ?)"
    " ON CONFLICT (room_id, id) DO UPDATE SET clock = excluded.clock"
)


def _room_row(
    room_id: str, clock: int, history: int, schema: dict[str, Any] | None
) -> tuple[Any, ...]:
    return (room_id, clock, history, None if schema is None else dumps_json(schema).decode())


def stage_plan(
    room_id: str,
    changes: ForwardDiff,
    clock: int,
    tombstone_history_starts_at_clock: int,
    schema: dict[str, Any] | None,
) -> Plan:
    """The statements that store one committed room transaction (every engine runs these)."""
    plan: Plan = [
        (_UPSERT_ROOM, [_room_row(room_id, clock, tombstone_history_starts_at_clock, schema)])
    ]
    puts: Rows = []
    for record_id, put in changes.puts.items():
        record = put[1] if isinstance(put, tuple) else put
        puts.append((room_id, record_id, dumps_json(record), clock))
    if puts:
        plan.append((_UPSERT_DOCUMENT, puts))
        plan.append(
            ("DELETE FROM tombstones WHERE room_id = ? AND id = ?", [(room_id, p[1]) for p in puts])
        )
    if changes.deletes:
        gone = [(room_id, record_id) for record_id in changes.deletes]
        plan.append(("DELETE FROM documents WHERE room_id = ? AND id = ?", gone))
        plan.append((_UPSERT_TOMBSTONE, [(*row, clock) for row in gone]))
    plan.append(
        (
            "DELETE FROM tombstones WHERE room_id = ? AND clock < ?",
            [(room_id, tombstone_history_starts_at_clock)],
        )
    )
    return plan


def snapshot_clocks(snapshot: RoomSnapshot) -> tuple[int, int]:
    """A snapshot's document clock and the clock its tombstone history starts at."""
    clock = snapshot.get("documentClock", snapshot.get("clock", 0))
    return clock, snapshot.get("tombstoneHistoryStartsAtClock", clock)


def save_plan(room_id: str, snapshot: RoomSnapshot) -> Plan:
    """The statements that replace a stored room by a whole snapshot."""
    clock, history = snapshot_clocks(snapshot)
    plan: Plan = [
        (_UPSERT_ROOM, [_room_row(room_id, clock, history, snapshot.get("schema"))]),
        ("DELETE FROM documents WHERE room_id = ?", [(room_id,)]),
        ("DELETE FROM tombstones WHERE room_id = ?", [(room_id,)]),
    ]
    documents: Rows = [
        (room_id, d["state"]["id"], dumps_json(d["state"]), d["lastChangedClock"])
        for d in snapshot["documents"]
    ]
    if documents:
        plan.append((_UPSERT_DOCUMENT, documents))
    tombstones: Rows = [(room_id, i, c) for i, c in (snapshot.get("tombstones") or {}).items()]
    if tombstones:
        plan.append((_UPSERT_TOMBSTONE, tombstones))
    return plan


def load_snapshot(
    query: Callable[[str, tuple[Any, ...]], Iterable[Any]], room_id: str
) -> RoomSnapshot | None:
    """A stored room read with ``query(sql, params)`` (``?`` placeholders), or None."""
    rows = list(
        query(
            "SELECT document_clock, tombstone_history_starts_at_clock, schema FROM rooms"
            " WHERE room_id = ?",
            (room_id,),
        )
    )
    if not rows:
        return None
    clock, history, schema = rows[0]
    documents = [
        {"state": loads_json(bytes(state)), "lastChangedClock": changed}
        for state, changed in query(
            "SELECT state, last_changed_clock FROM documents WHERE room_id = ?", (room_id,)
        )
    ]
    tombstones = {
        record_id: tombstone_clock
        for record_id, tombstone_clock in query(
            "SELECT id, clock FROM tombstones WHERE room_id = ?", (room_id,)
        )
    }
    snapshot: RoomSnapshot = {
        "documentClock": clock,
        "tombstoneHistoryStartsAtClock": history,
        "documents": documents,  # type: ignore[typeddict-item]
        "tombstones": tombstones,
    }
    if schema is not None:
        snapshot["schema"] = loads_json(schema)
    return snapshot


class RoomPersistence(Protocol):
    """Storage of rooms: load a room, stage a room's changes, make staged changes durable."""

    def load(self, room_id: str) -> RoomSnapshot | None:
        """The room's snapshot, or None if it was never stored."""
        ...

    def stage(
        self,
        room_id: str,
        changes: ForwardDiff,
        *,
        clock: int,
        tombstone_history_starts_at_clock: int,
        schema: dict[str, Any] | None,
    ) -> None:
        """Record a committed room transaction (not durable until :meth:`commit`)."""
        ...

    def save(self, room_id: str, snapshot: RoomSnapshot) -> None:
        """Replace the stored room by a whole snapshot (staged like :meth:`stage`)."""
        ...

    def commit(self) -> None:
        """Make everything staged so far durable; raises if it is not."""
        ...

    def rollback(self) -> None:
        """Forget everything staged since the last commit (after a commit failed)."""
        ...

    def close(self) -> None: ...


class StorageError(Exception):
    """The storage cannot make writes durable (the server retries them)."""


class SQLitePersistence:
    """Rooms in one SQLite file (the embedded default).

    ``busy_timeout`` is how long a write waits for another process's lock before the commit
    fails (and is retried by the server's storage thread).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
        busy_timeout: float = 5.0,
    ) -> None:
        self.path = str(path)
        self._synchronous = synchronous
        self._busy_timeout = busy_timeout
        # one thread at a time (the server's storage thread), but not always the creating one
        self._db = self._open()
        self._identity = _file_identity(self.path)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
        )
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={self._synchronous}")
        db.executescript(SCHEMA_SQL)
        return db

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection (for the storage thread's use only: tests set pragmas)."""
        return self._db

    def _begin(self) -> None:
        if not self._db.in_transaction:
            if _file_identity(self.path) != self._identity:
                self._restore()
            self._db.execute("BEGIN")

    def _restore(self) -> None:
        """Put the database back at its path after its file vanished (see the module doc)."""
        if self._identity is None or os.path.lexists(self.path):
            raise StorageError(
                f"the database file {self.path} was replaced by another file; not writing to it"
            )
        staging = f"{self.path}.restoring"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staging)
        try:
            copy = sqlite3.connect(staging)
            try:
                self._db.backup(copy)
            finally:
                copy.close()
        except sqlite3.Error as error:
            raise StorageError(f"the database file {self.path} vanished: {error}") from error
        os.replace(staging, self.path)  # (until this succeeds, the open file is kept)
        self._identity = _file_identity(self.path)
        self._db.close()  # (its WAL and shared-memory files belong to the vanished file)
        for leftover in (f"{self.path}-wal", f"{self.path}-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)
        self._db = self._open()

    def load(self, room_id: str) -> RoomSnapshot | None:
        return load_snapshot(self._db.execute, room_id)

    def stage(
        self,
        room_id: str,
        changes: ForwardDiff,
        *,
        clock: int,
        tombstone_history_starts_at_clock: int,
        schema: dict[str, Any] | None,
    ) -> None:
        self._begin()
        plan = stage_plan(room_id, changes, clock, tombstone_history_starts_at_clock, schema)
        for sql, rows in plan:
            self._db.executemany(sql, rows)

    def save(self, room_id: str, snapshot: RoomSnapshot) -> None:
        self._begin()
        for sql, rows in save_plan(room_id, snapshot):
            self._db.executemany(sql, rows)

    def commit(self) -> None:
        if self._db.in_transaction:
            self._db.execute("COMMIT")
            if _file_identity(self.path) != self._identity:
                # committed into a file that is gone: not durable (the writer retries the same
                # writes, and the next transaction restores the file first)
                raise StorageError(f"the database file {self.path} vanished")

    def rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def room_ids(self) -> Iterable[str]:
        return [row[0] for row in self._db.execute("SELECT room_id FROM rooms ORDER BY room_id")]

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self._db.close()


def _file_identity(path: str) -> tuple[int, int] | None:
    """The device and inode of the file at ``path`` (None when there is none)."""
    try:
        status = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return status.st_dev, status.st_ino


class _MemoryRoom:
    """One room of a :class:`MemoryPersistence`, kept as SQLite keeps it: rows by record id (the
    records and the schema as JSON, so that later changes to the objects staged do not reach
    the store)."""

    __slots__ = ("clock", "documents", "history", "schema", "tombstones")

    def __init__(self, clock: int, history: int, schema: bytes | None) -> None:
        self.clock = clock
        self.history = history
        self.schema = schema
        self.documents: dict[str, tuple[bytes, int]] = {}
        self.tombstones: dict[str, int] = {}

    def snapshot(self) -> RoomSnapshot:
        """The room as a snapshot of its own (nothing in it is shared with the store)."""
        snapshot: RoomSnapshot = {
            "documentClock": self.clock,
            "tombstoneHistoryStartsAtClock": self.history,
            "documents": [
                {"state": loads_json(state), "lastChangedClock": changed}
                for state, changed in self.documents.values()
            ],
            "tombstones": dict(self.tombstones),
        }
        if self.schema is not None:
            snapshot["schema"] = loads_json(self.schema)
        return snapshot


class MemoryPersistence:
    """Rooms kept in memory (for tests and throwaway servers); commits are instant.  A write
    costs what it changes, not the size of its room."""

    def __init__(self) -> None:
        self._rooms: dict[str, _MemoryRoom] = {}

    def load(self, room_id: str) -> RoomSnapshot | None:
        room = self._rooms.get(room_id)
        return None if room is None else room.snapshot()

    def stage(
        self,
        room_id: str,
        changes: ForwardDiff,
        *,
        clock: int,
        tombstone_history_starts_at_clock: int,
        schema: dict[str, Any] | None,
    ) -> None:
        room = self._rooms.get(room_id)
        if room is None:
            room = self._rooms[room_id] = _MemoryRoom(0, 0, None)
        for record_id, put in changes.puts.items():
            record = put[1] if isinstance(put, tuple) else put
            room.documents[record_id] = (dumps_json(record), clock)
            room.tombstones.pop(record_id, None)
        for record_id in changes.deletes:
            room.documents.pop(record_id, None)
            room.tombstones[record_id] = clock
        if tombstone_history_starts_at_clock > room.history:
            room.tombstones = {
                i: c for i, c in room.tombstones.items() if c >= tombstone_history_starts_at_clock
            }
        room.clock = clock
        room.history = tombstone_history_starts_at_clock
        if schema is not None:
            room.schema = dumps_json(schema)

    def save(self, room_id: str, snapshot: RoomSnapshot) -> None:
        schema = snapshot.get("schema")
        room = _MemoryRoom(
            *snapshot_clocks(snapshot), None if schema is None else dumps_json(schema)
        )
        for document in snapshot["documents"]:
            state = document["state"]
            room.documents[state["id"]] = (dumps_json(state), document["lastChangedClock"])
        room.tombstones = dict(snapshot.get("tombstones") or {})
        self._rooms[room_id] = room

    def commit(self) -> None:
        return None

    def rollback(self) -> None:
        return None  # (stage applies at once, and a commit never fails)

    def close(self) -> None:
        return None
