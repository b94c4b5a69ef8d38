"""Hosting rooms under leases: the asyncio side of :mod:`tlsync_core.server.leases`.

Theory of operation
===================

In a cluster (``tlsync serve --db postgresql://...``) a node hosts a room only under its lease.
A :class:`LeaseKeeper` holds this node's leases and works them:

* **Take.**  The host loads a room with :meth:`LeaseKeeper.take_and_load`, on its storage
  thread: it acquires the lease first and loads the room only under it.  When another node holds
  a live lease, it raises :class:`HeldElsewhere` naming the holder (the front end relays the
  client there).  Running on the storage thread orders it after every write queued before:
  the host first waits until the room's earlier writes settled (committed, or dropped as
  fenced), so no write of a former hosting period can pass the fence of a new one.
* **Renew.**  A background task renews every held lease each third of the time to live; the
  expiry is PostgreSQL's clock.  A lease that fails to renew is lost: ``on_lost(room_id)`` (the
  host closes the room: its sessions go away and reconnect, its unacknowledged writes are
  dropped).  When renewals keep failing or do not answer (PostgreSQL unreachable) for a whole
  time to live since the last successful one started, every lease is taken as lost: another
  node may hold them.
* **Fence.**  :meth:`LeaseKeeper.fence` is the lease source of
  :class:`~tlsync_core.server.postgres.PostgresPersistence`: a write of a room this node no
  longer holds is refused in its own transaction.
* **Release.**  An unloaded room's lease is released (:meth:`LeaseKeeper.release`, on the
  storage thread once its writes are durable), and :meth:`LeaseKeeper.close` releases them all
  when the server stops, so other nodes take the rooms over at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from tlsync_core.server.leases import Holder, Lease, RoomLeases

logger = logging.getLogger("tlsync_core.server.cluster")

__all__ = ["HeldElsewhere", "LeaseKeeper"]


class HeldElsewhere(Exception):
    """Another node hosts the room (``holder``): relay its clients there."""

    def __init__(self, holder: Holder) -> None:
        super().__init__(f"room {holder.room_id!r} is hosted by {holder.node} at {holder.address}")
        self.holder = holder


class LeaseKeeper:
    """This node's room leases (see the module docstring); ``leases`` is owned from now on."""

    def __init__(self, leases: RoomLeases) -> None:
        self.leases = leases
        self._held: dict[str, Lease] = {}
        self._on_lost: Callable[[str], None] | None = None
        self._renewing: asyncio.Task[None] | None = None

    @property
    def address(self) -> str:
        """Where other nodes relay this node's rooms' clients (``--advertise``)."""
        return self.leases.address

    def start(self, on_lost: Callable[[str], None]) -> None:
        """Start renewing (once), on the running loop; ``on_lost(room_id)`` for a lost lease."""
        if self._renewing is None:
            self._on_lost = on_lost
            self._renewing = asyncio.get_running_loop().create_task(self._renew_forever())

    def fence(self, room_id: str) -> Lease | None:
        """The lease this node writes ``room_id`` under (None: it must not write it)."""
        return self._held.get(room_id)

    def take_and_load(self, room_id: str, load: Callable[[], Any]) -> Any:
        """Acquire the room's lease, then ``load()`` it (on the storage thread); raises
        :class:`HeldElsewhere` when another node holds it."""
        got = self.leases.acquire(room_id)
        if isinstance(got, Holder):
            raise HeldElsewhere(got)
        self._held[room_id] = got
        try:
            return load()
        except BaseException:
            # a room that did not load is not hosted here (unrenewed, its lease expires anyway)
            with contextlib.suppress(Exception):
                self.release(room_id)
            raise

    def forget(self, room_id: str) -> None:
        """This node stops writing ``room_id`` (its lease was lost or fenced)."""
        self._held.pop(room_id, None)

    def release(self, room_id: str) -> None:
        """Give up the room's lease at once (on the storage thread, its writes durable)."""
        lease = self._held.pop(room_id, None)
        if lease is not None:
            self.leases.release(lease)

    async def _renew_forever(self) -> None:
        ttl = self.leases.ttl
        last_ok = time.monotonic()
        renewal: asyncio.Future[list[Lease]] | None = None
        held: list[Lease] = []
        started = last_ok
        try:
            while True:
                if renewal is None:
                    await asyncio.sleep(ttl / 3)
                    held = list(self._held.values())
                    started = time.monotonic()
                    renewal = asyncio.ensure_future(asyncio.to_thread(self.leases.renew, held))
                # (a renewal that hangs, PostgreSQL unreachable, counts as failing meanwhile)
                await asyncio.wait({renewal}, timeout=ttl / 3)
                if renewal.done():
                    done, renewal = renewal, None
                    try:
                        lost = done.result()
                    except Exception as error:
                        logger.warning("renewing %d room leases failed: %s", len(held), error)
                    else:
                        last_ok = started
                        self._lose(lost)
                        continue
                if time.monotonic() - last_ok >= ttl:
                    self._lose(held)
        finally:
            if renewal is not None:  # (the thread's answer is not waited for)
                renewal.cancel()

    def _lose(self, leases: list[Lease]) -> None:
        """Close the rooms whose ``leases`` are lost (unless they are held anew since)."""
        for lease in leases:
            if self._held.get(lease.room_id) == lease:
                logger.warning("lost the lease of room %r: closing it", lease.room_id)
                del self._held[lease.room_id]
                assert self._on_lost is not None
                self._on_lost(lease.room_id)

    async def close(self) -> None:
        """Stop renewing and release every lease still held (the rooms hand over at once)."""
        if self._renewing is not None:
            self._renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewing
        held, self._held = list(self._held.values()), {}

        def release_all() -> None:
            try:
                for lease in held:
                    self.leases.release(lease)
            finally:
                self.leases.close()

        try:
            await asyncio.to_thread(release_all)
        except Exception as error:
            logger.warning("releasing %d room leases failed (they expire): %s", len(held), error)
