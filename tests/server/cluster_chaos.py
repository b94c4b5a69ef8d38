"""The simulator's checker on a real cluster: three ``tlsync serve`` nodes on PostgreSQL under
``kill -9``, SIGSTOP/SIGCONT and SIGTERM restarts, real clients on random nodes.

Theory of operation
===================

:func:`run_chaos` starts three nodes (short leases) behind a :class:`~cluster_nodes.Balancer`
(each connection to the next node in turn that accepts it, so the clients' connections and
reconnections land on every node) and ``clients`` real clients (:func:`tlsync_client.connect`)
of one room.  Each step (seeded), a few clients edit their local store as the simulator's users
do (:mod:`sim.history`'s rules: every value names its edit): create a shape, move one (``x``
and ``y`` to values no other edit writes), delete one; the edits are recorded in a
:class:`~sim.history.History`.  One node at a time suffers a fault for a few steps: SIGKILL
(then a restart on the same port), SIGSTOP (then SIGCONT: it wakes fenced), or SIGTERM (then a
restart).

The room side of the history comes from an *observer*, a raw client that only reads: a node
sends a room's changes to its clients only once they are durable, so every change the observer
receives (a ``patch``, or the catch-up of a reconnect) is a durable commit, in the room's order.
At the end every node runs again, every client syncs, and the checker (``History.check``) reads
the durable log and the final documents from PostgreSQL: no lost write (acknowledged, then
missing though nothing overwrote it), no phantom (a value nobody wrote), and the log folds to
the final state; then every client's document must equal PostgreSQL's (no divergence).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import time
from typing import IO, Any

import attrs
from cluster_nodes import SCHEMA, Balancer, Nodes
from sim.history import Anomaly, CheckResult, Edit, History, fields_of
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tlsync_client import RoomConnection
from tlsync_client import connect as connect_room
from tlsync_client.sync_client import ClientState
from tlsync_core.demo_schema import SHAPE
from tlsync_core.protocol.codec import loads_frame, serialize_message
from tlsync_core.protocol.diff import apply_object_diff
from tlsync_core.room.storage import ForwardDiff

ROOM = "chaos"
FAULTS = ("kill", "stop", "term")
Record = dict[str, Any]


@attrs.define
class ChaosResult:
    """What a run found and did."""

    check: CheckResult
    history: History
    final: dict[str, Record]
    """The room as PostgreSQL holds it at the end."""
    divergent: list[str]
    faults: dict[str, int]
    failovers: int
    longest_unavailable: float
    """The longest time, in seconds, a client was not connected."""

    @property
    def anomalies(self) -> list[Anomaly]:
        return [*self.check.anomalies, *(Anomaly("divergence", d) for d in self.divergent)]

    def summary(self) -> str:
        check = self.check
        return (
            f"{check.writes} writes, {check.acknowledged} acknowledged, lost {len(check.lost)},"
            f" phantoms {len(check.phantoms)}, durability {len(check.durability)}, divergent"
            f" clients {len(self.divergent)}; faults {self.faults}, failovers {self.failovers},"
            f" longest unavailability of a client {self.longest_unavailable:.1f} s"
        )


class Observer:
    """A reading client of the room (reconnecting through ``url`` with its last clock): the
    room's first state is :attr:`defaults`; once :attr:`history` is set, every durable change
    it receives is recorded as a commit there."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.history: History | None = None
        self.documents: dict[str, Record] = {}
        self.clock = -1
        self.defaults: list[Record] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(OSError, TimeoutError, ConnectionClosed, InvalidHandshake):
                async with connect(self.url, max_size=None, open_timeout=2) as ws:
                    hello = {
                        "type": "connect",
                        "connectRequestId": "observer",
                        "protocolVersion": 8,
                        "lastServerClock": self.clock,
                        "schema": SCHEMA.serialize(),
                    }
                    await ws.send(serialize_message(hello))
                    pinging = asyncio.get_running_loop().create_task(_ping(ws))
                    try:
                        async for frame in ws:
                            self._read(loads_frame(frame))
                    finally:
                        pinging.cancel()
                        with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                            await pinging
            await asyncio.sleep(0.1)  # (reconnect backoff)

    def _read(self, message: dict[str, Any]) -> None:
        for event in message["data"] if message["type"] == "data" else [message]:
            if event["type"] == "connect":
                base = {} if event["hydrationType"] == "wipe_all" else self.documents
                self._commit(base, event["diff"], event["serverClock"])
            elif event["type"] == "patch":
                self._commit(self.documents, event["diff"], event["serverClock"])

    def _commit(self, base: dict[str, Record], diff: dict[str, Any], clock: int) -> None:
        after = dict(base)
        for record_id, op in diff.items():
            if record_id.startswith("instance_presence:"):
                continue
            if op[0] == "put":
                after[record_id] = op[1]
            elif op[0] == "patch":
                after[record_id] = apply_object_diff(after[record_id], op[1])
            else:
                after.pop(record_id, None)
        if self.history is None:  # (the new room's own records, before any edit)
            self.defaults = list(after.values())
        else:
            changes = ForwardDiff()
            for record_id, record in after.items():
                before = self.documents.get(record_id)
                if before is None:
                    changes.puts[record_id] = record
                elif before != record:
                    changes.puts[record_id] = (before, record)
            changes.deletes = [i for i in self.documents if i not in after]
            if changes:
                self.history.record_commit(None, clock, changes)
                self.history.make_durable()
        self.documents = after
        self.clock = clock

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def _ping(ws: ClientConnection) -> None:
    """Ping every 5 s, as tldraw's clients do (an idle session is pruned)."""
    while True:
        await asyncio.sleep(5)
        await ws.send(serialize_message({"type": "ping"}))


class Editor:
    """The users: seeded edits on the clients' stores, recorded in ``history``."""

    def __init__(self, rng: random.Random, history: History) -> None:
        self.rng = rng
        self.history = history
        self.next_id = 0

    def edit(self, index: int, client: RoomConnection) -> None:
        self.next_id += 1
        eid = self.next_id
        store = client.store
        shapes = [r for r in store.all_records() if r["typeName"] == "shape"]
        kind = self.rng.choices(("create", "move", "delete"), (3, 6, 1))[0]
        if kind == "create" or not shapes:
            record = SHAPE.create(id=f"shape:e{eid}", x=eid + 1 / 8, y=eid + 2 / 8)
            edit = Edit(eid, index, "create", time.monotonic(), creates=[record["id"]])
            edit.writes = [(record["id"], path, v) for path, v in fields_of(record).items()]
            store.put([record])
        elif kind == "move":
            shape = self.rng.choice(shapes)
            x, y = eid + 3 / 8, eid + 5 / 8
            edit = Edit(eid, index, "move", time.monotonic())
            edit.writes = [(shape["id"], ("x",), x), (shape["id"], ("y",), y)]
            store.put([{**shape, "x": x, "y": y}])
        else:
            shape = self.rng.choice(shapes)
            edit = Edit(eid, index, "delete", time.monotonic(), deletes=[shape["id"]])
            store.remove([shape["id"]])
        self.history.record_edit(edit)


class Availability:
    """Samples the clients' status; the longest time one was not connected."""

    def __init__(self, clients: list[RoomConnection]) -> None:
        self.clients = clients
        self.down_since: dict[int, float] = {}
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._sample())

    async def _sample(self) -> None:
        while True:
            now = time.monotonic()
            for index, client in enumerate(self.clients):
                if client.status.get() is ClientState.CONNECTED:
                    since = self.down_since.pop(index, None)
                    if since is not None:
                        self.longest = max(self.longest, now - since)
                else:
                    self.down_since.setdefault(index, now)
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def run_chaos(
    url: str, log: IO[bytes], *, seed: int, steps: int, clients: int = 3, ttl: float = 1.0
) -> ChaosResult:
    """One seeded run on the database at ``url`` (see the module docstring)."""
    rng = random.Random(seed)
    nodes = Nodes(url, log, ttl=ttl)
    balancer = Balancer(nodes.ports)
    observer = Observer("")
    rooms: list[RoomConnection] = []
    availability = Availability(rooms)
    faults = dict.fromkeys(FAULTS, 0)
    try:
        await nodes.start(3)
        await balancer.start()
        observer.url = balancer.ws(ROOM)
        observer.start()
        async with asyncio.timeout(10):
            while observer.defaults is None:
                await asyncio.sleep(0.02)
        history = observer.history = History(observer.defaults, observer.defaults)
        for _ in range(clients):
            # (short timeouts: a frozen node is noticed in seconds, as a browser would)
            room = await connect_room(
                balancer.ws(ROOM),
                schema=SCHEMA,
                min_delay_ms=50,
                max_delay_ms=300,
                open_timeout=2,
                ping_interval=1,
                ping_timeout=2,
            )
            rooms.append(room)
        availability.start()
        editor = Editor(rng, history)
        broken: tuple[int, str, int] | None = None  # (node, fault, steps left)
        for _step in range(steps):
            for index, room in enumerate(rooms):
                if rng.random() < 0.5:
                    editor.edit(index, room)
            if broken is None and rng.random() < 0.08:
                broken = (rng.randrange(3), rng.choice(FAULTS), rng.randint(3, 15))
                faults[broken[1]] += 1
                await _inflict(nodes, broken[0], broken[1])
            elif broken is not None:
                node, fault, left = broken
                broken = None if left <= 1 else (node, fault, left - 1)
                if broken is None:
                    await _recover(nodes, node, fault)
            await asyncio.sleep(rng.uniform(0.05, 0.25))
        if broken is not None:
            await _recover(nodes, broken[0], broken[1])
        for room in rooms:
            await room.wait_for_sync(timeout=60)
        final = nodes.stored_documents(ROOM)
        async with asyncio.timeout(30):
            while observer.documents != final:
                await asyncio.sleep(0.05)
                final = nodes.stored_documents(ROOM)
        check = history.check(final, {}, text_paths=())
        divergent = []
        for index, room in enumerate(rooms):
            try:
                await room.wait_for(lambda s: s.serialize("document") == final, timeout=15)
            except TimeoutError:
                divergent.append(f"client {index} differs from the stored room")
        lease = nodes.lease(ROOM)
        return ChaosResult(
            check,
            history,
            final,
            divergent,
            faults,
            0 if lease is None else lease[1] - 1,
            availability.longest,
        )
    finally:
        await availability.close()
        for room in rooms:
            await room.close()
        await observer.close()
        await balancer.close()
        await nodes.close()


async def _inflict(nodes: Nodes, index: int, fault: str) -> None:
    if fault == "kill":
        await nodes.kill(index)
    elif fault == "stop":
        nodes.signal(index, signal.SIGSTOP)
    else:
        nodes.signal(index, signal.SIGTERM)
        await nodes.processes[index].wait()


async def _recover(nodes: Nodes, index: int, fault: str) -> None:
    if fault == "stop":
        nodes.signal(index, signal.SIGCONT)
    else:
        await nodes.restart(index)
