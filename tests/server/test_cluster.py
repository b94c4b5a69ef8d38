"""A cluster of ``tlsync serve`` processes on one PostgreSQL database (issue 18, CLUSTER1-5).

Real processes, real faults: a node frozen with SIGSTOP past its lease is fenced when it wakes
(its writes refused, its sessions dropped); any node serves any room by relaying to its host;
SIGTERM hands the rooms over at once; ``kill -9`` of a room's host under load loses nothing
acknowledged, and the clients (behind a load balancer) resume on another node.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from cluster_nodes import SCHEMA, Nodes, RawClient, until
from postgres_fixture import postgres_url

from tlsync_client import connect as connect_room
from tlsync_core.demo_schema import SHAPE

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
    log_path = tmp_path / "nodes.log"
    with log_path.open("wb") as log:
        nodes = Nodes(postgres_url, log, ttl=1.0)
        try:
            await nodes.start(2)
            frozen = await RawClient.join(nodes.ws(0, "fence"))
            await frozen.push(1)
            assert nodes.lease("fence") == (f"ws://127.0.0.1:{nodes.ports[0]}", 1, True)

            nodes.signal(0, signal.SIGSTOP)
            if push_while_frozen:
                await frozen.send_push(2)  # (A reads it once it wakes)
            await until(lambda: not _live(nodes, "fence"), 10, "A's lease to expire")
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
        finally:
            await nodes.close()


def _live(nodes: Nodes, room_id: str) -> bool:
    lease = nodes.lease(room_id)
    return lease is not None and lease[2]
