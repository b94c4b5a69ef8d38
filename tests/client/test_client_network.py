"""Real TLSyncClients and a real TLSyncRoom over the fault-injecting loopback network."""

from __future__ import annotations

import random

import pytest
from client_harness import SCHEMA, shape

from tlsync_client.sync_client import ClientState, TLSyncClient
from tlsync_core.room.room import TLSyncRoom
from tlsync_core.store import Store
from tlsync_core.testing import FakeClock, FaultPlan, LoopbackNetwork


def _clients(network: LoopbackNetwork, clock: FakeClock, count: int) -> list[TLSyncClient]:
    return [
        TLSyncClient(
            store=Store(schema=SCHEMA),
            socket=network.connect_socket(reconnect_delay_ms=500),
            instance_id=f"instance:{n}",
            timers=clock,
        )
        for n in range(count)
    ]


def _room_documents(room: TLSyncRoom) -> dict[str, object]:
    return {d["state"]["id"]: d["state"] for d in room.get_snapshot()["documents"]}


def _edit_at_random(
    network: LoopbackNetwork, clock: FakeClock, clients: list[TLSyncClient], seed: int
) -> None:
    """150 random edits of six shared shapes, with a few network steps and ms between them."""
    rng = random.Random(seed)
    for _ in range(150):
        client = rng.choice(clients)
        target = f"shape:{rng.randrange(6)}"
        store = client.store
        if rng.random() < 0.2:
            store.remove([target])
        elif store.has(target):
            store.update(target, lambda r: {**r, "x": rng.randrange(1000)})
        else:
            store.put([shape(target, y=rng.randrange(100))])
        for _ in range(rng.randrange(4)):
            network.step()
        clock.advance(rng.randrange(20))


def _assert_converged(
    network: LoopbackNetwork, room: TLSyncRoom, clients: list[TLSyncClient]
) -> None:
    expected = _room_documents(room)
    assert any(k.startswith("shape:") for k in expected) or network.stats.dropped > 0
    for client in clients:
        assert client.state is ClientState.CONNECTED
        assert client.store.serialize() == expected
        assert client.is_synced.get()


@pytest.mark.spec("CR9")
@pytest.mark.parametrize("seed", range(40))
def test_clients_converge_with_the_room_under_faults(seed: int) -> None:
    """Three clients edit the same records at random while messages are dropped,
    duplicated, delayed and connections cut; once the faults stop and the network is quiet,
    every client's document equals the room's."""
    clock = FakeClock()
    room = TLSyncRoom(SCHEMA, now=clock)
    faults = FaultPlan(
        drop=0.02, duplicate=0.02, hold=0.05, disconnect=0.02, reconnect=0.3, max_latency_ms=40
    )
    network = LoopbackNetwork(room, clock, seed=seed, faults=faults)
    clients = _clients(network, clock, 3)
    _edit_at_random(network, clock, clients, seed)
    network.faults = FaultPlan()
    for socket in network.sockets:
        if socket.connection_status == "offline" and not socket.reconnecting:
            network.reconnect(socket)
    # longer than the client's connect timeout, so a lost handshake is retried too
    network.run_for(30_000)
    _assert_converged(network, room, clients)
    assert network.stats.disconnects > 0 and network.stats.delivered > 100


@pytest.mark.spec("CR9", "CR10", "CR11", "CR12")
@pytest.mark.parametrize("seed", range(40))
def test_clients_repair_dropped_messages_by_themselves(seed: int) -> None:
    """Only drops (5% of the messages), no connection is ever cut by the network: the clients
    notice what they lost (clocks, unanswered pushes, probes) and resync by themselves, so once
    the drops stop and the probes have run, every client's document equals the room's."""
    clock = FakeClock()
    room = TLSyncRoom(SCHEMA, now=clock)
    network = LoopbackNetwork(room, clock, seed=seed, faults=FaultPlan(drop=0.05))
    clients = _clients(network, clock, 3)
    _edit_at_random(network, clock, clients, seed)
    network.faults = FaultPlan()
    network.run_for(30_000)  # a probe goes out 10-20 s after the last message
    _assert_converged(network, room, clients)
    assert network.stats.dropped > 0
