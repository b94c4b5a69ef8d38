"""Rooms in PostgreSQL: the same incremental, group-committed writes as the SQLite default.

:class:`PostgresPersistence` runs the statements of :mod:`tlsync_core.server.persistence`
(:func:`stage_plan`, :func:`save_plan`, :func:`load_snapshot`) on one psycopg 3 connection,
on the server's storage thread.  psycopg rather than asyncpg: the persistence interface is
synchronous by design (the storage thread stages and commits while the event loop goes on), and
psycopg's blocking API fits it without a second event loop; its pipeline-free ``executemany``
sends a batch in one round trip.

Everything a room writes between two commits is one PostgreSQL transaction, committed with the
server's ``synchronous_commit`` (``on`` by default: durable once the commit returns, which is
when the server acknowledges).  A failed statement or commit leaves nothing behind: the server
rolls back and stages the same writes again.  A connection that broke (the server restarted, a
network cut) is replaced before the next transaction, so storage heals by itself once
PostgreSQL answers again.

The tables live in their own PostgreSQL schema (``tlsync`` by default), so a database shared
with other applications is safe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from tlsync_core.room.storage import ForwardDiff, RoomSnapshot
from tlsync_core.server.leases import FENCE_SQL, LEASES_SQL, FencedError, Lease
from tlsync_core.server.persistence import (
    Plan,
    StorageError,
    load_snapshot,
    save_plan,
    stage_plan,
)
from tlsync_core.server.pg_connection import connect_in_schema

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresPersistence", "is_postgres_url"]

_TABLES_SQL = """
CREATE TABLE IF NOT EXISTS rooms (
    room_id TEXT PRIMARY KEY,
    document_clock BIGINT NOT NULL,
    tombstone_history_starts_at_clock BIGINT NOT NULL,
    schema TEXT
);
CREATE TABLE IF NOT EXISTS documents (
    room_id TEXT NOT NULL,
    id TEXT NOT NULL,
    state BYTEA NOT NULL,
    last_changed_clock BIGINT NOT NULL,
    PRIMARY KEY (room_id, id)
);
CREATE TABLE IF NOT EXISTS tombstones (
    room_id TEXT NOT NULL,
    id TEXT NOT NULL,
    clock BIGINT NOT NULL,
    PRIMARY KEY (room_id, id)
);
"""


def is_postgres_url(text: str) -> bool:
    """Whether ``--db`` names a PostgreSQL database (``postgresql://`` or ``postgres://``)."""
    return text.startswith(("postgresql://", "postgres://"))


def _placeholders(sql: str) -> str:
    return sql.replace("?", "%s")


class PostgresPersistence:
    """Rooms in a PostgreSQL database given by a ``postgresql://`` URL (libpq's form).

    ``schema`` is the PostgreSQL schema that holds the tables (created if missing).  In a
    cluster, ``fence`` gives the lease under which this node writes a room (None: it holds
    none); every write of a room then first checks that lease in the same transaction and
    raises :class:`~tlsync_core.server.leases.FencedError` when it is no longer this node's
    (see :mod:`tlsync_core.server.leases`), and ``idle_in_transaction_timeout`` (seconds; the
    leases' time to live) lets PostgreSQL end a transaction left open that long: only a frozen
    node does (the storage thread commits what it stages at once), and its transaction must
    not hold the room's lease row locked against the node that takes over.  Raises
    ``ImportError`` naming the extra to install when psycopg is missing, and
    ``psycopg.OperationalError`` when the database cannot be reached at first.
    """

    def __init__(
        self,
        url: str,
        *,
        schema: str = "tlsync",
        connect_timeout: float = 10.0,
        fence: Callable[[str], Lease | None] | None = None,
        idle_in_transaction_timeout: float | None = None,
    ) -> None:
        self.url = url
        self.schema = schema
        self._connect_timeout = connect_timeout
        self._fence = fence
        self._idle_timeout = idle_in_transaction_timeout
        self._conn: psycopg.Connection[Any] | None = None
        #: Writes are staged on the open connection and not yet committed: it must not be
        #: replaced (they would be lost while a commit on a new connection succeeds).
        self._staged = False
        self._connection()  # fail at once when the database cannot be reached

    def _connection(self) -> psycopg.Connection[Any]:
        """The open connection, replacing one that broke between transactions."""
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return self._conn
        if self._staged:
            raise StorageError("the PostgreSQL connection broke with uncommitted writes")
        conn = connect_in_schema(
            self.url,
            self.schema,
            _TABLES_SQL + LEASES_SQL,
            autocommit=False,
            connect_timeout=self._connect_timeout,
        )
        if self._idle_timeout is not None:
            timeout = f"{max(1, round(self._idle_timeout * 1000))}ms"
            try:
                conn.execute(
                    "SELECT set_config('idle_in_transaction_session_timeout', %s, false)",
                    (timeout,),
                )
                conn.commit()
            except BaseException:
                conn.close()
                raise
        self._conn = conn
        return conn

    def _run(self, room_id: str, plan: Plan) -> None:
        conn = self._connection()
        self._staged = True
        with conn.cursor() as cursor:
            if self._fence is not None:
                lease = self._fence(room_id)
                if lease is None:
                    raise FencedError(
                        room_id, f"room {room_id!r}: this node holds no lease to write it"
                    )
                held = cursor.execute(FENCE_SQL, (room_id, lease.node, lease.epoch)).fetchone()
                if held is None:
                    raise FencedError(
                        room_id,
                        f"room {room_id!r}: the lease of epoch {lease.epoch} is no longer"
                        f" {lease.node}'s; its writes are refused",
                    )
            for sql, rows in plan:
                cursor.executemany(_placeholders(sql), rows)

    def load(self, room_id: str) -> RoomSnapshot | None:
        conn = self._connection()
        with conn.cursor() as cursor:

            def query(sql: str, params: tuple[Any, ...]) -> Iterable[Any]:
                return cursor.execute(_placeholders(sql), params).fetchall()

            snapshot = load_snapshot(query, room_id)
        self._end_read(conn)
        return snapshot

    def _end_read(self, conn: psycopg.Connection[Any]) -> None:
        """End the transaction a read opened, unless writes are staged in it."""
        if not self._staged:
            conn.rollback()

    def stage(
        self,
        room_id: str,
        changes: ForwardDiff,
        *,
        clock: int,
        tombstone_history_starts_at_clock: int,
        schema: dict[str, Any] | None,
    ) -> None:
        plan = stage_plan(room_id, changes, clock, tombstone_history_starts_at_clock, schema)
        self._run(room_id, plan)

    def save(self, room_id: str, snapshot: RoomSnapshot) -> None:
        self._run(room_id, save_plan(room_id, snapshot))

    def commit(self) -> None:
        if not self._staged:
            return
        self._connection().commit()  # (raises, rather than reconnecting, if it broke)
        self._staged = False

    def rollback(self) -> None:
        self._staged = False
        conn = self._conn
        if conn is None or conn.closed:
            return
        if conn.broken:
            conn.close()  # (replaced before the next transaction)
            return
        conn.rollback()

    def room_ids(self) -> list[str]:
        conn = self._connection()
        with conn.cursor() as cursor:
            rows = cursor.execute("SELECT room_id FROM rooms ORDER BY room_id").fetchall()
        self._end_read(conn)
        return [row[0] for row in rows]

    def close(self) -> None:
        conn = self._conn
        if conn is None or conn.closed:
            return
        try:
            self.commit()
        finally:
            conn.close()
