"""A cluster of ``tlsync serve`` processes on one PostgreSQL database (issue 18, CLUSTER1-5).

Real processes, real faults: a node frozen with SIGSTOP past its lease is fenced when it wakes
(its writes refused, its sessions dropped); any node serves any room by relaying to its host;
SIGTERM hands the rooms over at once; ``kill -9`` of a room's host under load loses nothing
acknowledged, and the clients (behind a load balancer) resume on another node.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from pathlib import Path

import pytest
from cluster_nodes import SCHEMA, Balancer, Nodes, RawClient, http_json, running_nodes
from postgres_fixture import postgres_url
from shape_writers import ShapeWriters
from waiting import until
from websockets.asyncio.server import ServerConnection

from tlsync_client import connect as connect_room
from tlsync_core.demo_schema import SHAPE
from tlsync_core.server import ServerLimits, TLSyncServer
from tlsync_core.server.cluster import LeaseKeeper
from tlsync_core.server.leases import Lease, RoomLeases
from tlsync_core.server.postgres import PostgresPersistence

__all__ = ["postgres_url"]  # (the fixture)

GOING_AWAY = 1001
ROOM_MOVED = 1012


@pytest.mark.spec("CLUSTER1", "CLUSTER3", "LEASE3")
@pytest.mark.parametrize("push_while_frozen", [True, False], ids=["write-fenced", "renewal-lost"])
async def test_a_frozen_host_is_fenced_when_it_wakes_and_drops_its_sessions(
    postgres_url: str, tmp_path: Path, push_while_frozen: bool
) -> None:
    """Node A hosts a room (a client's push acknowledged); A is frozen (SIGSTOP), the client
    sending another push meanwhile or not; once A's lease expired on PostgreSQL's clock, node B
    takes the room (epoch 2) with the acknowledged record, and serves writes.  On SIGCONT, A is
    fenced (by its refused write, or by its failed renewal): the push it read is never
    acknowledged nor stored, the client's session is closed with 1012 (it reconnects), and a new
    client of A for the room is relayed to B."""
    async with running_nodes(postgres_url, tmp_path, 2, ttl=1.0) as nodes:
        frozen = await RawClient.join(nodes.ws(0, "fence"))
        await frozen.push(1)
        assert nodes.lease("fence") == (f"ws://127.0.0.1:{nodes.ports[0]}", 1, True)

        nodes.signal(0, signal.SIGSTOP)
        if push_while_frozen:
            await frozen.send_push(2)  # (A reads it once it wakes)
        await until(lambda: not _live(nodes, "fence"), 10)
        async with connect_room(nodes.ws(1, "fence"), schema=SCHEMA) as other:
            assert other.store.get("shape:1") is not None
            assert nodes.lease("fence") == (f"ws://127.0.0.1:{nodes.ports[1]}", 2, True)
            other.store.put([SHAPE.create(id="shape:3", x=3)])
            await other.wait_for_sync(timeout=10)

            nodes.signal(0, signal.SIGCONT)
            assert await frozen.until_closed(timeout=10) == ROOM_MOVED
            assert 2 not in frozen.acknowledged
            assert nodes.stored_ids("fence") == {"shape:1", "shape:3"}

            relayed = await RawClient.join(nodes.ws(0, "fence"))
            assert relayed.documents == {"shape:1", "shape:3"}
            await relayed.push(4)
            await other.wait_for(lambda store: store.get("shape:4") is not None, timeout=10)
            await relayed.close()
        assert nodes.processes[0].returncode is None
        assert nodes.stored_ids("fence") == {"shape:1", "shape:3", "shape:4"}


def _live(nodes: Nodes, room_id: str) -> bool:
    lease = nodes.lease(room_id)
    return lease is not None and lease[2]


@pytest.mark.spec("CLUSTER2", "CLUSTER3", "LEASE4")
async def test_any_node_relays_to_the_host_and_sigterm_hands_the_room_over(
    postgres_url: str, tmp_path: Path
) -> None:
    """A client of node B for a room node A hosts is relayed to A: its push is acknowledged
    and a client of A sees it, and A's edits reach it; B's snapshot route answers what
    PostgreSQL committed.  SIGTERM to A closes A's sessions with 1001, which the relay passes
    on with the same code; A releases the lease as it stops (a 60 s time to live could not have
    expired), and B takes the room (epoch 2) with everything acknowledged."""
    async with running_nodes(postgres_url, tmp_path, 2, ttl=60.0) as nodes:
        async with connect_room(nodes.ws(0, "relay"), schema=SCHEMA) as direct:
            relayed = await RawClient.join(nodes.ws(1, "relay"))
            assert nodes.lease("relay") == (f"ws://127.0.0.1:{nodes.ports[0]}", 1, True)
            await relayed.push(1)
            await direct.wait_for(lambda store: store.get("shape:1") is not None, timeout=10)
            direct.store.put([SHAPE.create(id="shape:2", x=2)])
            await direct.wait_for_sync(timeout=10)
            async with asyncio.timeout(10):
                while "shape:2" not in relayed.documents:
                    await relayed.read()
            snapshot = await asyncio.to_thread(
                http_json, f"http://127.0.0.1:{nodes.ports[1]}/rooms/relay/snapshot"
            )
            stored = {d["state"]["id"] for d in snapshot["documents"]}
            assert {"shape:1", "shape:2"} <= stored

            nodes.signal(0, signal.SIGTERM)
            assert await relayed.until_closed(timeout=10) == GOING_AWAY
            await nodes.processes[0].wait()
        lease = nodes.lease("relay")
        assert lease is not None and not lease[2]  # released, long before its expiry
        taker = await RawClient.join(nodes.ws(1, "relay"))
        assert nodes.lease("relay") == (f"ws://127.0.0.1:{nodes.ports[1]}", 2, True)
        assert taker.documents == {"shape:1", "shape:2"}
        await taker.close()


@pytest.mark.spec("CLUSTER3", "DUR1")
async def test_kill_9_of_the_host_loses_nothing_and_clients_resume_on_another_node(
    postgres_url: str, tmp_path: Path
) -> None:
    """Three nodes behind a load balancer, three real clients (spread over the nodes by it)
    pushing shapes in a closed loop on ``wait_for_sync``.  The room's host is killed with
    SIGKILL: every acknowledged shape is already in PostgreSQL; the clients reconnect by
    themselves through the balancer, another node takes the room once the lease expired
    (epoch 2), and the pushes resume within 10 s.  The killed node restarts and rejoins; in the
    end every acknowledged shape is stored and every client converged on the same documents."""
    async with running_nodes(postgres_url, tmp_path, 3, ttl=2.0) as nodes:
        balancer = Balancer(nodes.ports)
        writers = ShapeWriters([])
        acknowledged = writers.acknowledged
        try:
            await balancer.start()
            for _ in range(3):
                room = await connect_room(
                    balancer.ws("crash"), schema=SCHEMA, min_delay_ms=50, max_delay_ms=200
                )
                writers.clients.append(room)
            writers.start()
            await until(lambda: len(acknowledged) >= 60, 30)

            lease = nodes.lease("crash")
            assert lease is not None
            host = nodes.index_of(lease[0])
            await nodes.kill(host)
            killed_at = time.monotonic()
            at_kill = list(acknowledged)
            assert set(at_kill) <= nodes.stored_ids("crash")
            await until(lambda: len(acknowledged) > len(at_kill), 10)  # (resumes within 10 s)
            await until(lambda: len(acknowledged) >= len(at_kill) + 60, 30)
            resumed = next(t - killed_at for t in writers.ack_times if t > killed_at)
            new_lease = nodes.lease("crash")
            assert new_lease is not None and new_lease[1] == 2 and new_lease[0] != lease[0]

            await nodes.restart(host)
            await until(lambda: len(acknowledged) >= len(at_kill) + 120, 30)
            await writers.finish()
            for room in writers.clients:
                await room.wait_for_sync(timeout=30)
            assert set(acknowledged) <= nodes.stored_ids("crash")
            assert len(acknowledged) == len(set(acknowledged))
            print(
                f"kill -9 of the host: {len(acknowledged)} shapes acknowledged, lost 0;"
                f" the room resumed on another node {resumed:.1f} s after the kill"
                f" (lease time to live {nodes.ttl} s)"
            )
            documents = writers.clients[0].store.serialize("document")
            for room in writers.clients:
                await room.wait_for(
                    lambda store: store.serialize("document") == documents, timeout=10
                )
        finally:
            await writers.close()
            await balancer.close()


@pytest.mark.spec("CLUSTER6", "CLUSTER2")
async def test_a_relaying_node_stops_cleanly_and_the_host_keeps_the_room(
    postgres_url: str, tmp_path: Path
) -> None:
    """SIGTERM to a node that relays a client to the room's host: the relayed client is sent
    away with 1001 and the node exits cleanly (it used to wait for its relays forever); the host
    keeps the room (same lease) and its own client goes on."""
    async with running_nodes(postgres_url, tmp_path, 2, ttl=60.0) as nodes:
        async with connect_room(nodes.ws(0, "stay"), schema=SCHEMA) as direct:
            relayed = await RawClient.join(nodes.ws(1, "stay"))
            await relayed.push(1)
            nodes.signal(1, signal.SIGTERM)
            assert await relayed.until_closed(timeout=10) == GOING_AWAY
            assert await asyncio.wait_for(nodes.processes[1].wait(), 15) == 0
            assert nodes.lease("stay") == (f"ws://127.0.0.1:{nodes.ports[0]}", 1, True)
            direct.store.put([SHAPE.create(id="shape:2", x=2)])
            await direct.wait_for_sync(timeout=10)
        assert nodes.stored_ids("stay") == {"shape:1", "shape:2"}


class HangingLeases(RoomLeases):
    """Leases whose renewals do not answer until ``answer`` is set (PostgreSQL cut off)."""

    answer = threading.Event()

    def renew(self, leases: list[Lease]) -> list[Lease]:
        self.answer.wait(timeout=30)
        return super().renew(leases)


@pytest.mark.spec("CLUSTER1")
async def test_renewals_that_never_answer_lose_the_leases_after_one_ttl(postgres_url: str) -> None:
    """A node holds a room's lease and its renewals stop answering: once a whole time to live
    passed since the last renewal began, the room is reported lost (its host closes it), even
    though no renewal ever failed outright."""
    keeper = LeaseKeeper(HangingLeases(postgres_url, node="a", address="ws://a:1", ttl=0.3))
    lost: list[str] = []
    try:
        assert keeper.take_and_load("room", lambda: "loaded") == "loaded"
        keeper.start(lost.append)
        await until(lambda: lost == ["room"], 10)
        assert keeper.fence("room") is None
    finally:
        HangingLeases.answer.set()
        await keeper.close()


@pytest.mark.spec("CLUSTER1", "LEASE4")
async def test_a_room_that_fails_to_load_is_not_kept_under_lease(postgres_url: str) -> None:
    """Loading a room under its fresh lease fails: the error reaches the caller, this node no
    longer writes the room, and its lease is released (another node takes it at once)."""
    keeper = LeaseKeeper(RoomLeases(postgres_url, node="a", address="ws://a:1", ttl=60))
    other = RoomLeases(postgres_url, node="b", address="ws://b:2", ttl=60)

    def broken_load() -> None:
        raise OSError("storage unavailable")

    try:
        with pytest.raises(OSError, match="storage unavailable"):
            keeper.take_and_load("room", broken_load)
        assert keeper.fence("room") is None
        assert other.acquire("room") == Lease("room", "b", 2)
    finally:
        other.close()
        await keeper.close()


class RecordingNode(TLSyncServer):
    """A node that records the close code of each of its sessions' websockets."""

    closes: list[int | None]

    async def handle_connection(self, ws: ServerConnection, room_id: str) -> None:
        await super().handle_connection(ws, room_id)
        await ws.wait_closed()
        self.closes.append(ws.close_code)


def _node(url: str, name: str, limits: ServerLimits | None = None) -> RecordingNode:
    """An in-process cluster node on ``url``."""
    keeper = LeaseKeeper(RoomLeases(url, node=name, address="", ttl=60))
    persistence = PostgresPersistence(url, fence=keeper.fence)
    node = RecordingNode(
        schema=SCHEMA, persistence=persistence, port=0, limits=limits, cluster=keeper
    )
    node.closes = []
    return node


@pytest.mark.spec("CLUSTER2")
async def test_a_relayed_clients_close_code_reaches_the_host(postgres_url: str) -> None:
    """A relayed client closes with its own code (4001): the host's side of the relayed
    websocket is closed with the same code."""
    async with _node(postgres_url, "a") as a, _node(postgres_url, "b") as b:
        for server in (a, b):
            assert server.cluster is not None
            server.cluster.leases.address = server.url
        async with connect_room(f"{a.url}/connect/codes", schema=SCHEMA):
            relayed = await RawClient.join(f"{b.url}/connect/codes")
            await relayed.push(1)
            await relayed.ws.close(4001, "bye")
            await until(lambda: 4001 in a.closes, 10)


@pytest.mark.spec("CLUSTER2")
async def test_a_relay_passes_host_messages_larger_than_the_client_frame_cap(
    postgres_url: str,
) -> None:
    """Clients' frames are capped at 64 KiB on both nodes, and a room grows to about 200 KB in
    32 KB pushes: a client relayed to its host still receives the whole room in its ``connect``
    message (the cap applies to clients, not to the host's messages)."""
    limits = ServerLimits(max_frame_bytes=64 * 1024)
    async with _node(postgres_url, "a", limits) as a, _node(postgres_url, "b", limits) as b:
        for server in (a, b):
            assert server.cluster is not None
            server.cluster.leases.address = server.url
        async with connect_room(f"{a.url}/connect/big", schema=SCHEMA) as direct:
            for n in range(6):
                direct.store.put([SHAPE.create(id=f"shape:{n}", props={"text": "x" * 32_000})])
                await direct.wait_for_sync(timeout=10)
            relayed = await RawClient.join(f"{b.url}/connect/big")
            assert relayed.documents == {f"shape:{n}" for n in range(6)}
            await relayed.close()
