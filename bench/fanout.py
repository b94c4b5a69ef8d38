"""Fan-out benchmark: our websocket server vs ``@tldraw/sync-core``'s ``TLSocketRoom``, one run.

Run from the repository root with the venv active::

    python -m bench.fanout                       # full run: N = 30 and 60, and idle RSS at 2,000
    python -m bench.fanout --quick               # smoke run: N = 4 and 8, few moves, 200 sessions
    python -m bench.fanout --markdown --servers tlsync,node --sizes 60 --sessions 0
    python -m bench.fanout --schema demo         # the small demo schema instead of tldraw's

The servers, each a subprocess started fresh for every measurement and stopped after it:

* ``tlsync``: ``python -m tlsync_core serve --port 0 --db <tmp>.sqlite`` (real SQLite: a push is
  acknowledged, and broadcast, only once its group commit is on disk);
* ``tlsync-memory``: the same server with ``MemoryPersistence`` (``python -m bench.fanout_server``);
* ``node``: ``node bench/node/fanout-server.mjs``: ``TLSocketRoom`` rooms of @tldraw/sync-core 5.4.2
  on the ``ws`` package, ``InMemorySyncStorage``, ``NODE_ENV=production``.

Every server hosts the same schema (``--schema``): ``tldraw`` (the default) is tldraw 5.4.2's
full schema, ``createTLSchema()`` on the node side, every record validated on both sides, and the
shapes are full tldraw geo shapes; ``demo`` is the small demo schema (document, page, shape,
instance_presence; no migrations; the node side validates nothing).

One load generator (this process: Python asyncio + ``websockets``) drives all of them the same way.
N clients join one fresh room over protocol 8; each creates its shape ``shape:c<i>``, and once
every client has seen every other client's shape, each moves its shape M times, closed loop (the
next push goes out after the previous ``push_result``). A move is a patch of ``x`` (the sender's
``time.monotonic()`` in ms: the send timestamp) and ``y`` (the move number). Every client counts
what it receives (``patch`` events inside ``data`` batches): each other client's move must arrive
exactly once and in order, and its delivery latency is the receive time minus ``x``.

Reported per server and size: committed pushes per second (N x M ÷ the time from the first move
to the last ``push_result``); deliveries per second (patch records received by all clients ÷ the
time from the first move to the last delivery); delivery latency p50 / p99 over every (move,
receiver) pair; and the CPU the server process and the generator used in that window (CPU seconds
÷ wall seconds: at 100% one of them is the bottleneck). Before the timed run each server gets an
untimed warm-up run (same N, M ÷ 10 moves, another room) in the same process.

Idle memory: 20 rooms get one session each (so rooms and code paths exist), then ``VmRSS`` of the
server process is read, then sessions are added up to 2,000 (100 per room), each completing its
handshake; after 2 s idle ``VmRSS`` is read again. Reported: the difference ÷ the added sessions.
Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import contextlib
import gc
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from bench.processes import (
    KILLED,
    LABELS,
    NODE,
    NODE_PACKAGE,
    PHASE_TIMEOUT_S,
    SCHEMAS,
    SERVERS,
    TLDRAW,
    TLSYNC,
    TLSYNC_MEMORY,
    BenchError,
    CpuWindow,
    ServerProcess,
    Session,
    geo_shape,
    now_ms,
    open_session,
    percentile,
    rss_kib,
    server_stderr,
    start_server,
)
from bench.runner import (
    TIMES,
    add_csv_option,
    add_output_options,
    cpython,
    prepare_node,
    print_header,
    print_notes,
    render_table,
    write_json,
)

#: default moves per client for each N: about 5-10 s per timed run on the 2-core machine
DEFAULT_MOVES = {30: 300, 60: 150}


# --------------------------------------------------------------------------------------------
# the load generator
# --------------------------------------------------------------------------------------------


class FanoutClient(Session):
    """One protocol-8 client of the fan-out run: it pushes its own shape and counts the rest."""

    def __init__(
        self, index: int, ws: ClientConnection, clients: int, schema: str = TLDRAW
    ) -> None:
        super().__init__(ws, f"client {index}", [])
        self.schema = schema
        self.index = index
        self.shape_id = f"shape:c{index}"
        self.clients = clients
        self.created = 0
        self.moves_received = 0
        self.expected_moves = 0
        self.last_move: dict[str, int] = {}
        self.latencies = array.array("d")
        self.last_receive = 0.0
        self.last_result = 0.0
        self.all_created = asyncio.Event()
        self.all_moves = asyncio.Event()
        # the closed loop of moves (move)
        self.moves_total = 0
        self.moves_sent = 0
        self.move_in_flight = False
        self.move_answered = False
        self.moves_done = asyncio.Event()

    @classmethod
    async def join(cls, url: str, index: int, clients: int, schema: str) -> FanoutClient:
        """Open the socket, do the protocol-8 handshake, and start reading."""
        ws = await open_session(url, f"fanout-{index}", f"client {index}", schema)
        client = cls(index, ws, clients, schema)
        client.start()
        return client

    async def commit(self, diff: dict[str, Any]) -> None:
        """Push ``diff`` and wait for its ``push_result``, which must be ``commit``."""
        result = await self.push(diff)
        if result.get("action") != "commit":
            self.errors.append(f"{self.who}: push answered {result!r:.200}")

    async def create(self) -> None:
        await self.commit({self.shape_id: ["put", geo_shape(self.shape_id, self.schema)]})

    async def move(self, moves: int) -> None:
        """Move the shape ``moves`` times, closed loop; ``x`` carries the send time.

        The reader sends each next move (:meth:`after_frame`) as soon as it has handled the frame
        that answered the previous one. The clients share this process's event loop: a move
        sent by another task (woken by the answer) waited until every other client's frame that
        arrived in the same loop turn had been handled, so the generator's own delay grew with
        how many batches the server sent at once, and it measured the server's timing through
        that delay."""
        self.moves_total = moves
        self.moves_sent = 0
        self.moves_done = asyncio.Event()
        await self._send_move()
        await self.moves_done.wait()

    async def _send_move(self) -> None:
        self.moves_sent += 1
        sent: float = round(now_ms(), 3)
        if sent.is_integer():
            sent = int(sent)  # as a JS client would send it
        self.move_in_flight = True
        await self.send_push(
            {self.shape_id: ["patch", {"x": ["put", sent], "y": ["put", self.moves_sent]}]}
        )

    def on_closed(self) -> None:
        super().on_closed()
        if self.moves_sent and not self.moves_done.is_set():
            self.errors.append(f"{self.who}: connection closed after {self.moves_sent} move(s)")
            self.moves_done.set()

    async def after_frame(self) -> None:
        if self.move_answered:
            self.move_answered = False
            if self.moves_sent < self.moves_total:
                await self._send_move()
            else:
                self.moves_done.set()

    def on_event(self, event: dict[str, Any], received: float) -> None:
        event_type = event.get("type")
        if event_type == "patch":
            for record_id, op in event["diff"].items():
                self._delivery(record_id, op, received)
        elif event_type == "push_result":
            self.last_result = received
            if self.move_in_flight:
                self.move_in_flight = False
                self.move_answered = True
                if event.get("action") != "commit":
                    self.errors.append(f"{self.who}: move answered {event!r:.200}")
            elif not self.resolve(event):
                self.errors.append(f"{self.who}: unexpected push_result")
        elif event_type != "pong":
            self.errors.append(f"{self.who}: unexpected {event!r:.200}")

    def _delivery(self, record_id: str, op: list[Any], received: float) -> None:
        if op[0] == "put" and record_id.startswith("shape:c"):
            self.created += 1
            if self.created == self.clients - 1:
                self.all_created.set()
            return
        if op[0] != "patch":
            self.errors.append(f"{self.who}: unexpected op {record_id} {op!r:.200}")
            return
        patch = op[1]
        move = patch["y"][1]
        previous = self.last_move.get(record_id, 0)
        if move != previous + 1:
            self.errors.append(f"{self.who}: {record_id} move {move} after {previous}")
        self.last_move[record_id] = move
        self.latencies.append(received - patch["x"][1])
        self.moves_received += 1
        self.last_receive = received
        if self.moves_received == self.expected_moves:
            self.all_moves.set()


@dataclass
class FanoutResult:
    """One timed fan-out run on one server."""

    server: str
    clients: int
    moves: int
    pushes: int = 0
    push_seconds: float = 0.0
    deliveries: int = 0
    delivery_seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    server_cpu: float = 0.0
    generator_cpu: float = 0.0
    error: str | None = None

    @property
    def pushes_per_s(self) -> float:
        return self.pushes / self.push_seconds if self.push_seconds > 0 else 0.0

    @property
    def deliveries_per_s(self) -> float:
        return self.deliveries / self.delivery_seconds if self.delivery_seconds > 0 else 0.0


async def _wait_all(events: Sequence[asyncio.Event], what: str) -> None:
    try:
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), PHASE_TIMEOUT_S)
    except TimeoutError:
        missing = sum(1 for e in events if not e.is_set())
        raise BenchError(f"{missing} client(s) timed out waiting for {what}") from None


@dataclass
class GroupReport:
    """What one group of clients saw in the timed window (picklable, for generator processes)."""

    moves_received: int
    last_result: float
    last_receive: float
    latencies: bytes  # array("d") of ms
    cpu_seconds: float
    errors: list[str]


class ClientGroup:
    """Some of the N clients (all of them, or one generator process's share), run in phases.

    The phases are the methods named in :data:`PHASES`; the driver runs each phase on every
    group and waits for all of them before the next, so the groups can live in other processes.
    """

    def __init__(
        self, url: str, indices: Sequence[int], clients: int, moves: int, schema: str
    ) -> None:
        self.url = url
        self.schema = schema
        self.indices = list(indices)
        self.clients = clients
        self.moves = moves
        self.peers: list[FanoutClient] = []
        self._cpu_start = 0.0
        self._cpu_seconds = 0.0

    async def join(self) -> None:
        joined = await asyncio.gather(
            *(FanoutClient.join(self.url, i, self.clients, self.schema) for i in self.indices),
            return_exceptions=True,
        )
        self.peers = [c for c in joined if isinstance(c, FanoutClient)]
        failures = [c for c in joined if isinstance(c, BaseException)]
        if failures:
            raise BenchError(f"{len(failures)} client(s) could not join: {failures[0]!r}")
        for peer in self.peers:
            peer.expected_moves = (self.clients - 1) * self.moves
            if peer.expected_moves == 0:
                peer.all_moves.set()

    async def create(self) -> None:
        await asyncio.wait_for(
            asyncio.gather(*(peer.create() for peer in self.peers)), PHASE_TIMEOUT_S
        )

    async def wait_created(self) -> None:
        if self.clients > 1:
            await _wait_all([p.all_created for p in self.peers], "the other clients' shapes")

    async def move(self) -> None:
        # The timed window runs without the cyclic collector (one collection just before it):
        # parsed frames are freed by reference counting, and a full collection of this process
        # took 20-36 ms, 6-15 times a run, stalling every client at once; those stalls were in
        # the generator's numbers, not in the servers'
        gc.collect()
        gc.disable()
        self._cpu_start = time.process_time()
        try:
            await asyncio.wait_for(
                asyncio.gather(*(peer.move(self.moves) for peer in self.peers)), PHASE_TIMEOUT_S
            )
        except BaseException:
            gc.enable()
            raise

    async def wait_moves(self) -> None:
        try:
            await _wait_all([p.all_moves for p in self.peers], "the other clients' moves")
        finally:
            gc.enable()
        self._cpu_seconds = time.process_time() - self._cpu_start

    def report(self) -> GroupReport:
        latencies = array.array("d")
        for peer in self.peers:
            latencies.extend(peer.latencies)
        return GroupReport(
            moves_received=sum(p.moves_received for p in self.peers),
            last_result=max((p.last_result for p in self.peers), default=0.0),
            last_receive=max((p.last_receive for p in self.peers), default=0.0),
            latencies=latencies.tobytes(),
            cpu_seconds=self._cpu_seconds,
            errors=[error for peer in self.peers for error in peer.errors],
        )

    async def close(self) -> None:
        gc.enable()  # (in case the run ended between move and wait_moves)
        await asyncio.gather(*(peer.close() for peer in self.peers))

    async def call(self, phase: str) -> Any:
        """Run one phase (a method name from :data:`PHASES`)."""
        if phase == "report":
            return self.report()
        await getattr(self, phase)()
        return None


PHASES = ("join", "create", "wait_created", "move", "wait_moves", "report", "close")


def _generator_process(
    conn: Connection, url: str, indices: list[int], clients: int, moves: int, *, schema: str
) -> None:
    """A generator process: runs one :class:`ClientGroup`, one phase per command from ``conn``."""

    async def serve() -> None:
        group = ClientGroup(url, indices, clients, moves, schema)
        try:
            while True:
                phase = await asyncio.to_thread(conn.recv)
                try:
                    conn.send(("ok", await group.call(phase)))
                except Exception as error:
                    conn.send(("error", f"{error}"))
                    phase = "close"
                if phase == "close":
                    return
        finally:
            await group.close()

    asyncio.run(serve())


class RemoteGroup:
    """A :class:`ClientGroup` in a generator process of its own."""

    def __init__(
        self, url: str, indices: Sequence[int], clients: int, moves: int, schema: str
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_generator_process,
            args=(child, url, list(indices), clients, moves),
            kwargs={"schema": schema},
            daemon=True,
        )
        self._process.start()
        child.close()
        self._closed = False

    async def call(self, phase: str) -> Any:
        if self._closed:
            return None
        self._conn.send(phase)
        status, value = await asyncio.to_thread(self._conn.recv)
        if phase == "close" or status != "ok":
            self._closed = True
            await asyncio.to_thread(self._process.join, 10)
        if status != "ok":
            raise BenchError(f"generator process: {value}")
        return value


Group = ClientGroup | RemoteGroup


async def run_fanout(
    url: str,
    clients: int,
    moves: int,
    *,
    server: str = "",
    server_pid: int | None = None,
    processes: int = 1,
    schema: str = TLDRAW,
) -> FanoutResult:
    """N clients in the room at ``url`` (hosting ``schema``): create, then ``moves`` closed-loop
    moves each.

    ``processes`` > 1 splits the clients between that many generator processes (round robin);
    1 runs them all in this process.
    """
    result = FanoutResult(server, clients, moves)
    shares = [list(range(clients))[p::processes] for p in range(max(1, processes))]
    groups: list[Group] = (
        [ClientGroup(url, shares[0], clients, moves, schema)]
        if processes <= 1
        else [RemoteGroup(url, share, clients, moves, schema) for share in shares if share]
    )

    async def phase(name: str) -> list[Any]:
        return await asyncio.gather(*(group.call(name) for group in groups))

    try:
        await phase("join")
        await phase("create")
        await phase("wait_created")
        server_cpu = CpuWindow(server_pid)
        started = now_ms()
        await phase("move")
        await phase("wait_moves")
        ended = now_ms()
        window = (ended - started) / 1000
        result.server_cpu = server_cpu.share(window)
        reports: list[GroupReport] = await phase("report")
    finally:
        await asyncio.gather(*(group.call("close") for group in groups), return_exceptions=True)

    result.generator_cpu = sum(r.cpu_seconds for r in reports) / window
    errors = [error for r in reports for error in r.errors]
    if errors:
        raise BenchError(f"{len(errors)} wrong message(s); first: {errors[0]}")
    result.pushes = clients * moves
    result.push_seconds = (max(r.last_result for r in reports) - started) / 1000
    result.deliveries = sum(r.moves_received for r in reports)
    if result.deliveries:
        result.delivery_seconds = (max(r.last_receive for r in reports) - started) / 1000
        latencies = array.array("d")
        for r in reports:
            latencies.frombytes(r.latencies)
        ordered = sorted(latencies)
        result.p50_ms = percentile(ordered, 0.50)
        result.p99_ms = percentile(ordered, 0.99)
        result.max_ms = ordered[-1]
    return result


@dataclass
class IdleResult:
    """Idle-session memory on one server."""

    server: str
    sessions: int
    rooms: int
    rss_before_kib: int = 0
    rss_after_kib: int = 0
    connect_seconds: float = 0.0
    error: str | None = None

    @property
    def kib_per_session(self) -> float:
        added = self.sessions - self.rooms
        return (self.rss_after_kib - self.rss_before_kib) / added if added > 0 else 0.0


async def measure_idle(
    server: ServerProcess,
    sessions: int,
    rooms: int,
    *,
    settle_s: float = 2.0,
) -> IdleResult:
    """RSS of ``server`` before and after ``sessions`` idle sessions join ``rooms`` rooms."""
    result = IdleResult(server.name, sessions, rooms)
    prefix = uuid.uuid4().hex[:8]
    urls = [server.url(f"idle-{prefix}-{r}") for r in range(rooms)]
    sockets: list[ClientConnection] = []
    limit = asyncio.Semaphore(50)

    async def join(index: int) -> None:
        async with limit:
            who = f"idle session {index}"
            ws = await open_session(urls[index % rooms], f"idle-{index}", who, server.schema)
            sockets.append(ws)

    async def keep_alive() -> None:
        # sessions that say nothing for 20 s are dropped by both servers: ping now and then
        ping = orjson.dumps({"type": "ping"})
        while True:
            await asyncio.sleep(8)
            for ws in list(sockets):
                with contextlib.suppress(ConnectionClosed):
                    await ws.send(ping, text=True)

    pinger = asyncio.get_running_loop().create_task(keep_alive())
    try:
        await asyncio.gather(*(join(i) for i in range(rooms)))
        await asyncio.sleep(settle_s)
        result.rss_before_kib = rss_kib(server.pid)
        started = time.monotonic()
        await asyncio.gather(*(join(i) for i in range(rooms, sessions)))
        result.connect_seconds = time.monotonic() - started
        await asyncio.sleep(settle_s)
        result.rss_after_kib = rss_kib(server.pid)
        if len(sockets) != sessions or any(ws.close_code is not None for ws in sockets):
            raise BenchError("some idle sessions were closed before the measurement ended")
    finally:
        pinger.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pinger
        await asyncio.gather(
            *(asyncio.wait_for(ws.close(), 10) for ws in sockets), return_exceptions=True
        )
    return result


# --------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------


@dataclass
class Settings:
    servers: list[str]
    sizes: list[int]
    moves: dict[int, int]
    sessions: int
    rooms: int
    warmup: bool = True
    processes: int = 1
    rounds: int = 1
    schema: str = TLDRAW
    results: list[FanoutResult] = field(default_factory=list)
    idle: list[IdleResult] = field(default_factory=list)


async def run_one_fanout(
    name: str,
    clients: int,
    moves: int,
    *,
    warmup: bool = True,
    processes: int = 1,
    schema: str = TLDRAW,
) -> FanoutResult:
    """A fresh server hosting ``schema``: an untimed warm-up run, then the timed run, each in its
    own room."""
    server = await start_server(name, schema=schema)
    try:
        prefix = uuid.uuid4().hex[:8]
        if warmup:
            warm_moves = max(5, moves // 10)
            await run_fanout(
                server.url(f"warmup-{prefix}"),
                clients,
                warm_moves,
                processes=processes,
                schema=schema,
            )
        return await run_fanout(
            server.url(f"fanout-{prefix}"),
            clients,
            moves,
            server=name,
            server_pid=server.pid,
            processes=processes,
            schema=schema,
        )
    except (BenchError, OSError, TimeoutError) as error:
        failed = FanoutResult(name, clients, moves)
        failed.error = f"{error} (server stderr: {server_stderr(server)})"
        return failed
    finally:
        await server.stop()


async def run_one_idle(name: str, sessions: int, rooms: int, schema: str) -> IdleResult:
    server = await start_server(name, schema=schema)
    try:
        return await measure_idle(server, sessions, rooms)
    except (BenchError, OSError, TimeoutError) as error:
        failed = IdleResult(name, sessions, rooms)
        failed.error = f"{error} (server stderr: {server_stderr(server)})"
        return failed
    finally:
        await server.stop()


async def run_all(settings: Settings) -> None:
    """Each round: every size on every server (reversed order on odd rounds); then idle memory."""
    warmup, processes, schema = settings.warmup, settings.processes, settings.schema
    for round_index in range(settings.rounds):
        order = settings.servers if round_index % 2 == 0 else settings.servers[::-1]
        for clients in settings.sizes:
            moves = settings.moves[clients]
            for name in order:
                _progress(
                    f"round {round_index + 1}/{settings.rounds}: fan-out N={clients} M={moves} "
                    f"on {LABELS[name]} ..."
                )
                one = run_one_fanout(
                    name, clients, moves, warmup=warmup, processes=processes, schema=schema
                )
                settings.results.append(await one)
    if settings.sessions > 0:
        for name in settings.servers:
            _progress(f"idle memory, {settings.sessions} sessions on {LABELS[name]} ...")
            settings.idle.append(
                await run_one_idle(name, settings.sessions, settings.rooms, settings.schema)
            )


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------------------------

FANOUT_HEADERS = [
    "server",
    "N",
    "M",
    "pushes/s",
    "deliveries/s",
    "latency p50 ms",
    "latency p99 ms",
    "server CPU",
    "generator CPU",
]
IDLE_HEADERS = [
    "server",
    "sessions",
    "rooms",
    "connect s",
    "RSS before MiB",
    "RSS after MiB",
    "KiB/session",
]


@dataclass
class Summary:
    """The medians over all rounds of one server at one size (a row of the table)."""

    server: str
    clients: int
    moves: int
    rounds: int
    pushes_per_s: float = 0.0
    deliveries_per_s: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    server_cpu: float = 0.0
    generator_cpu: float = 0.0
    spread: float = 0.0  # (max - min) / min of the rounds' deliveries/s
    error: str | None = None


def summarize(results: Sequence[FanoutResult]) -> list[Summary]:
    """One :class:`Summary` per (server, N), in the order they were first run."""
    groups: dict[tuple[str, int], list[FanoutResult]] = {}
    for r in results:
        groups.setdefault((r.server, r.clients), []).append(r)
    summaries: list[Summary] = []
    for (server, clients), runs in sorted(
        groups.items(), key=lambda item: (item[0][1], SERVERS.index(item[0][0]))
    ):
        summary = Summary(server, clients, runs[0].moves, len(runs))
        failed = [r.error for r in runs if r.error is not None]
        if failed:
            summary.error = failed[0]
        else:
            summary.pushes_per_s = statistics.median(r.pushes_per_s for r in runs)
            summary.deliveries_per_s = statistics.median(r.deliveries_per_s for r in runs)
            summary.p50_ms = statistics.median(r.p50_ms for r in runs)
            summary.p99_ms = statistics.median(r.p99_ms for r in runs)
            summary.server_cpu = statistics.median(r.server_cpu for r in runs)
            summary.generator_cpu = statistics.median(r.generator_cpu for r in runs)
            rates = [r.deliveries_per_s for r in runs]
            summary.spread = (max(rates) - min(rates)) / min(rates) if min(rates) > 0 else 0.0
        summaries.append(summary)
    return summaries


def fanout_rows(summaries: Sequence[Summary]) -> list[list[str]]:
    rows: list[list[str]] = []
    for r in summaries:
        head = [LABELS[r.server], str(r.clients), str(r.moves)]
        if r.error is not None:
            rows.append([*head, "FAILED", "", "", "", "", ""])
            continue
        rows.append(
            [
                *head,
                f"{r.pushes_per_s:,.0f}",
                f"{r.deliveries_per_s:,.0f}",
                f"{r.p50_ms:.1f}",
                f"{r.p99_ms:.1f}",
                f"{r.server_cpu:.0%}",
                f"{r.generator_cpu:.0%}",
            ]
        )
    return rows


def idle_rows(results: Sequence[IdleResult]) -> list[list[str]]:
    rows: list[list[str]] = []
    for r in results:
        head = [LABELS[r.server], f"{r.sessions:,}", str(r.rooms)]
        if r.error is not None:
            rows.append([*head, "FAILED", "", "", ""])
            continue
        rows.append(
            [
                *head,
                f"{r.connect_seconds:.1f}",
                f"{r.rss_before_kib / 1024:.1f}",
                f"{r.rss_after_kib / 1024:.1f}",
                f"{r.kib_per_session:.1f}",
            ]
        )
    return rows


def target_lines(summaries: Sequence[Summary]) -> list[str]:
    """The issue's targets, per size and per tlsync variant: met (✓) or missed (✗)."""
    lines: list[str] = []
    by_key = {(r.server, r.clients): r for r in summaries if r.error is None}
    for ours in (TLSYNC, TLSYNC_MEMORY):
        for clients in sorted({r.clients for r in summaries}):
            mine, theirs = by_key.get((ours, clients)), by_key.get((NODE, clients))
            if mine is None or theirs is None:
                continue
            ratio = mine.deliveries_per_s / theirs.deliveries_per_s
            p99 = mine.p99_ms / theirs.p99_ms if theirs.p99_ms > 0 else float("inf")
            lines.append(
                f"{LABELS[ours]} vs {LABELS[NODE]}, N={clients}: deliveries/s "
                f"{ratio:.2f}{TIMES} {'✓' if ratio >= 1 else '✗'} (target ≥ 1), p99 "
                f"{p99:.2f}{TIMES} {'✓' if p99 <= 1 else '✗'} (target ≤ 1)"
            )
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__)
    add_csv_option(parser, "--servers", SERVERS, "server")
    parser.add_argument(
        "--schema",
        choices=SCHEMAS,
        default=TLDRAW,
        help="the schema every server hosts: tldraw 5.4.2's (default, validated on both sides) "
        "or the small demo schema",
    )
    parser.add_argument(
        "--sizes",
        type=lambda v: [int(x) for x in v.split(",") if x.strip()],
        help="comma-separated client counts N (default 30,60; --quick: 4,8)",
    )
    parser.add_argument(
        "--moves", type=int, help="moves per client M (default: 300 at N=30, 150 at N=60)"
    )
    parser.add_argument(
        "--sessions", type=int, help="idle sessions for the RSS measurement, 0 to skip (2000)"
    )
    parser.add_argument("--rooms", type=int, default=20, help="rooms for the idle sessions (20)")
    parser.add_argument(
        "--generator-processes",
        type=int,
        default=1,
        help="split the N clients between this many generator processes (default 1: this one)",
    )
    parser.add_argument(
        "--rounds", type=int, help="rounds of every size on every server (default 2; --quick: 1)"
    )
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed warm-up runs")
    parser.add_argument("--quick", action="store_true", help="a smoke run: small N, M, sessions")
    add_output_options(parser)
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    sizes: list[int] = args.sizes or ([4, 8] if args.quick else [30, 60])
    moves = {
        n: args.moves if args.moves is not None else (10 if args.quick else _default_moves(n))
        for n in sizes
    }
    sessions = args.sessions if args.sessions is not None else (200 if args.quick else 2000)
    return Settings(
        servers=list(args.servers),
        sizes=sizes,
        moves=moves,
        sessions=sessions,
        rooms=max(1, min(args.rooms, sessions)) if sessions else args.rooms,
        warmup=not args.no_warmup,
        processes=max(1, args.generator_processes),
        rounds=max(1, args.rounds if args.rounds is not None else (1 if args.quick else 2)),
        schema=args.schema,
    )


def _default_moves(clients: int) -> int:
    if clients in DEFAULT_MOVES:
        return DEFAULT_MOVES[clients]
    return max(10, 6000 // max(1, clients))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = settings_from(args)
    node_note = ""
    if NODE in settings.servers:
        info = prepare_node(NODE_PACKAGE)
        if info.unavailable is not None:
            print(f"node server not run: {info.unavailable}", file=sys.stderr)
            settings.servers.remove(NODE)
        else:
            node_note = f"; {NODE_PACKAGE} 5.4.2 on node {info.node_version.lstrip('v')}"
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    asyncio.run(run_all(settings))
    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()[0]
    summaries = summarize(settings.results)

    generators = (
        "one generator process (this one)"
        if settings.processes == 1
        else f"{settings.processes} generator processes"
    )
    print_header(
        f"fan-out benchmark, {settings.schema} schema, on {os.cpu_count()} CPU(s), "
        f"{settings.rounds} round(s), "
        f"{elapsed:.0f} s; {cpython()}{node_note}; {generators}; "
        f"1-min load average {load_before:.2f} before, {load_after:.2f} after",
        "N clients in one room, each moving its shape M times closed loop; deliveries = patch "
        "records received by all clients; latency = send to receive of each move at each other "
        "client; CPU = CPU seconds / wall seconds of the timed window; medians over the rounds",
    )
    print(render_table(FANOUT_HEADERS, fanout_rows(summaries), args.markdown))
    if settings.idle:
        print()
        print_header(
            f"idle sessions: RSS (VmRSS) after one session in each of the {settings.rooms} rooms, "
            f"then after the rest joined and idled 2 s; KiB/session = the difference / the added "
            "sessions"
        )
        print(render_table(IDLE_HEADERS, idle_rows(settings.idle), args.markdown))
    extra = target_lines(summaries)
    extra += [
        f"FAILED {LABELS[r.server]} N={r.clients}: {r.error}"
        for r in settings.results
        if r.error is not None
    ]
    extra += [f"FAILED {LABELS[r.server]} idle: {r.error}" for r in settings.idle if r.error]
    extra += KILLED
    spread = [r for r in summaries if r.error is None and r.rounds > 1]
    if spread:
        worst = max(spread, key=lambda r: r.spread)
        extra.append(
            f"the rounds' deliveries/s agreed within {worst.spread:.0%} "
            f"(worst: {LABELS[worst.server]} at N={worst.clients})"
        )
    print_notes(extra, args.markdown)
    payload = {
        "summary": [asdict(r) for r in summaries],
        "fanout": [
            {**asdict(r), "pushes_per_s": r.pushes_per_s, "deliveries_per_s": r.deliveries_per_s}
            for r in settings.results
        ],
        "idle": [{**asdict(r), "kib_per_session": r.kib_per_session} for r in settings.idle],
    }
    write_json(args.json, payload)
    failed = any(r.error is not None for r in settings.results) or any(
        r.error is not None for r in settings.idle
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
