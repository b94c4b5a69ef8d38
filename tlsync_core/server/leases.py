"""Room leases in PostgreSQL: which node hosts a room, and a fencing token for its writes.

Theory of operation
===================

In a cluster every node can serve every room, but exactly one node at a time *hosts* a room
(runs its :class:`~tlsync_core.room.TLSyncRoom` and writes it).  Hosting is a lease, one row
per room in the ``leases`` table: the holder (``node``), the address other nodes relay to
(``address``), an ``epoch`` and an expiry time read from PostgreSQL's own clock (so the nodes'
clocks never matter).

* **Acquire.**  A node takes a room's lease when there is none, when the current one has
  expired, or when it already holds it.  Each acquisition by a new holder increases the epoch,
  so the epoch is a fencing token: it names one hosting period of one node.  When another node
  holds a live lease, :meth:`RoomLeases.acquire` returns that holder instead (to relay to it).
* **Renew.**  The holder renews its leases well inside their time to live (a third of it is a
  sane period); a renewal only succeeds while node *and* epoch still match.  A room whose
  renewal fails is lost: its host must close it at once.
* **Release.**  On shutdown the holder releases its leases (expires them), so another node can
  take them without waiting.
* **Fencing.**  A node that was paused or cut off past its lease's expiry may wake up still
  believing it hosts the room.  It cannot write anything: every write transaction of a room
  begins with :meth:`RoomLeases.check_fence_sql`, which locks the lease row (``FOR SHARE``) and
  requires the same node, the same epoch and an unexpired lease.  The lock orders a write and
  a takeover: a takeover waits for a write in progress to commit (and then loads the room with
  it), and a write after a takeover finds another epoch and fails with :class:`FencedError`.

Leases are kept on a connection of their own (autocommit), so a renewal never waits behind a
slow commit or a storage retry.  Its statements wait at most a third of the time to live for a
row lock (``lock_timeout``): a lease row stays locked by a write in progress, and a host frozen
in the middle of one must not stall the node that takes over (PostgreSQL ends the frozen
host's transaction: see ``idle_in_transaction_timeout`` of
:class:`~tlsync_core.server.postgres.PostgresPersistence`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from tlsync_core.server.pg_connection import connect_in_schema

if TYPE_CHECKING:
    import psycopg

__all__ = ["FencedError", "Holder", "Lease", "RoomLeases"]

LEASES_SQL = """
CREATE TABLE IF NOT EXISTS leases (
    room_id TEXT PRIMARY KEY,
    node TEXT NOT NULL,
    address TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
"""

#: The first statement of every write transaction of a room hosted under a lease (see the
#: module docstring): one row when the lease is still this node's, none when it is not.
FENCE_SQL = (
    "SELECT 1 FROM leases WHERE room_id = %s AND node = %s AND epoch = %s"
    " AND expires_at > clock_timestamp() FOR SHARE"
)


class FencedError(Exception):
    """This node no longer holds the lease of ``room_id``: its writes are refused, for good."""

    def __init__(self, room_id: str, message: str) -> None:
        super().__init__(message)
        self.room_id = room_id


@attrs.frozen
class Lease:
    """This node hosts ``room_id`` in hosting period ``epoch``."""

    room_id: str
    node: str
    epoch: int


@attrs.frozen
class Holder:
    """Another node hosts the room: relay to ``address``."""

    room_id: str
    node: str
    address: str


class RoomLeases:
    """The leases of one node (``node``, reachable at ``address``) in the database at ``url``.

    ``ttl`` is the leases' time to live in seconds.
    """

    def __init__(
        self, url: str, *, node: str, address: str, ttl: float = 10.0, schema: str = "tlsync"
    ) -> None:
        if ttl <= 0:
            raise ValueError(f"a lease's time to live must be positive, not {ttl!r}")
        self.node = node
        self.address = address
        self.ttl = ttl
        self._conn: psycopg.Connection[Any] = connect_in_schema(
            url, schema, LEASES_SQL, autocommit=True
        )
        lock_timeout = f"{max(1, round(ttl * 1000 / 3))}ms"
        self._conn.execute("SELECT set_config('lock_timeout', %s, false)", (lock_timeout,))

    def acquire(self, room_id: str) -> Lease | Holder:
        """Take (or keep) the room's lease, or name the node that holds it."""
        row = self._conn.execute(
            "INSERT INTO leases AS l (room_id, node, address, epoch, expires_at)"
            " VALUES (%(room)s, %(node)s, %(address)s, 1,"
            "  clock_timestamp() + make_interval(secs => %(ttl)s))"
            " ON CONFLICT (room_id) DO UPDATE SET"
            "  node = excluded.node, address = excluded.address,"
            "  epoch = CASE WHEN l.node = excluded.node AND l.expires_at > clock_timestamp()"
            "   THEN l.epoch ELSE l.epoch + 1 END,"
            "  expires_at = excluded.expires_at"
            " WHERE l.node = excluded.node OR l.expires_at <= clock_timestamp()"
            " RETURNING epoch",
            {"room": room_id, "node": self.node, "address": self.address, "ttl": self.ttl},
        ).fetchone()
        if row is not None:
            return Lease(room_id, self.node, int(row[0]))
        holder = self._conn.execute(
            "SELECT node, address FROM leases WHERE room_id = %s", (room_id,)
        ).fetchone()
        if holder is None:  # (released between the two statements: try again)
            return self.acquire(room_id)
        return Holder(room_id, str(holder[0]), str(holder[1]))

    def renew(self, leases: list[Lease]) -> list[Lease]:
        """Extend ``leases``; returns those that could not be renewed (they are lost)."""
        if not leases:
            return []
        rows = self._conn.execute(
            "UPDATE leases SET expires_at = clock_timestamp() + make_interval(secs => %s)"
            " WHERE node = %s AND expires_at > clock_timestamp()"
            " AND (room_id, epoch) IN (SELECT * FROM unnest(%s::text[], %s::bigint[]))"
            " RETURNING room_id",
            (
                self.ttl,
                self.node,
                [lease.room_id for lease in leases],
                [lease.epoch for lease in leases],
            ),
        ).fetchall()
        renewed = {str(row[0]) for row in rows}
        return [lease for lease in leases if lease.room_id not in renewed]

    def release(self, lease: Lease) -> None:
        """Give the room up at once (another node may take it without waiting)."""
        self._conn.execute(
            "UPDATE leases SET expires_at = clock_timestamp()"
            " WHERE room_id = %s AND node = %s AND epoch = %s",
            (lease.room_id, lease.node, lease.epoch),
        )

    def close(self) -> None:
        self._conn.close()
