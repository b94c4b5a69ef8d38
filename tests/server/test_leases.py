"""Room leases with fencing in a real PostgreSQL (LEASE1-LEASE4): one host per room, epochs that
grow with each new host, a paused host's writes refused, release for a quick hand-over."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from postgres_fixture import postgres_url

from tlsync_core.room.storage import ForwardDiff
from tlsync_core.server.leases import FencedError, Holder, Lease, RoomLeases
from tlsync_core.server.postgres import PostgresPersistence

__all__ = ["postgres_url"]  # (the fixture)

TTL = 0.5


@pytest.fixture
def nodes(postgres_url: str) -> Iterator[tuple[RoomLeases, RoomLeases]]:
    """Two nodes' leases on one database."""
    a = RoomLeases(postgres_url, node="a", address="ws://a:1", ttl=TTL)
    b = RoomLeases(postgres_url, node="b", address="ws://b:2", ttl=TTL)
    yield a, b
    a.close()
    b.close()


def _wait_past_expiry() -> None:
    time.sleep(TTL * 1.5)  # (the lease's expiry is the point of the test, read from PostgreSQL)


def _put(n: int) -> ForwardDiff:
    diff = ForwardDiff()
    diff.puts[f"shape:{n}"] = {"id": f"shape:{n}", "typeName": "shape", "x": n}
    return diff


@pytest.mark.spec("LEASE1")
def test_one_node_hosts_a_room_and_others_are_told_where(
    nodes: tuple[RoomLeases, RoomLeases],
) -> None:
    """The first node to ask gets the lease (epoch 1); another node is told who holds it and
    where to relay; the holder asking again keeps the same epoch."""
    a, b = nodes
    assert a.acquire("room") == Lease("room", "a", 1)
    assert b.acquire("room") == Holder("room", "a", "ws://a:1")
    assert a.acquire("room") == Lease("room", "a", 1)
    assert b.acquire("other") == Lease("other", "b", 1)


@pytest.mark.spec("LEASE2")
def test_renewal_keeps_a_lease_and_expiry_hands_it_over_with_a_new_epoch(
    nodes: tuple[RoomLeases, RoomLeases],
) -> None:
    """Renewed leases stay with their node past their first expiry; an expired one goes to the
    next node that asks, with the epoch increased, and its old holder's renewal fails."""
    a, b = nodes
    lease = a.acquire("room")
    assert isinstance(lease, Lease)
    for _ in range(3):
        time.sleep(TTL / 3)
        assert a.renew([lease]) == []
    assert isinstance(b.acquire("room"), Holder)
    _wait_past_expiry()
    taken = b.acquire("room")
    assert taken == Lease("room", "b", lease.epoch + 1)
    assert a.renew([lease]) == [lease]
    assert isinstance(a.acquire("room"), Holder)


@pytest.mark.spec("LEASE3")
def test_a_host_paused_past_its_lease_can_never_write_again(
    postgres_url: str, nodes: tuple[RoomLeases, RoomLeases]
) -> None:
    """Fencing: node a writes under its lease; it 'pauses' past the expiry and b takes the room;
    when a wakes, its writes are refused (FencedError) and nothing of them is stored, while b's
    writes under the new epoch go through."""
    a, b = nodes
    held_by_a: dict[str, Lease] = {}
    held_by_b: dict[str, Lease] = {}
    store_a = PostgresPersistence(postgres_url, fence=held_by_a.get)
    store_b = PostgresPersistence(postgres_url, fence=held_by_b.get)
    lease_a = a.acquire("room")
    assert isinstance(lease_a, Lease)
    held_by_a["room"] = lease_a
    store_a.stage("room", _put(1), clock=1, tombstone_history_starts_at_clock=0, schema=None)
    store_a.commit()
    _wait_past_expiry()  # a is paused (SIGSTOP, a GC, a partition)
    lease_b = b.acquire("room")
    assert lease_b == Lease("room", "b", lease_a.epoch + 1)
    held_by_b["room"] = lease_b
    with pytest.raises(FencedError, match="no longer a's"):
        store_a.stage("room", _put(2), clock=2, tombstone_history_starts_at_clock=0, schema=None)
    store_a.rollback()
    store_b.stage("room", _put(3), clock=2, tombstone_history_starts_at_clock=0, schema=None)
    store_b.commit()
    snapshot = store_b.load("room")
    assert snapshot is not None
    assert {d["state"]["id"] for d in snapshot["documents"]} == {"shape:1", "shape:3"}
    with pytest.raises(FencedError, match="holds no lease"):
        store_b.stage(
            "unleased", _put(4), clock=1, tombstone_history_starts_at_clock=0, schema=None
        )
    store_b.rollback()
    store_a.close()
    store_b.close()


@pytest.mark.spec("LEASE4")
def test_release_hands_a_room_over_at_once(nodes: tuple[RoomLeases, RoomLeases]) -> None:
    """A released lease (SIGTERM) is taken by the next node at once, with a new epoch; a
    release by a node that no longer holds the lease changes nothing."""
    a, b = nodes
    lease = a.acquire("room")
    assert isinstance(lease, Lease)
    a.release(lease)
    taken = b.acquire("room")
    assert taken == Lease("room", "b", lease.epoch + 1)
    a.release(lease)
    assert isinstance(a.acquire("room"), Holder)
