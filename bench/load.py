"""Load benchmark: thousands of idle sessions held open, and the fan-out latency among them.

Run from the repository root with the venv active::

    python -m bench.load                                   # 2,000 sessions, 20 rooms, 60 s
    python -m bench.load --sessions 200 --rooms 4 --hold 10
    python -m bench.load --markdown --json bench/results/load.json

The server is ``python -m tlsync serve --schema demo --port 0 --db <tmp>/rooms.sqlite`` (a
real SQLite file: a push is acknowledged, and broadcast, only once it is on disk), started as a
subprocess; the clients run in this process, so the server's memory and CPU are its own:
``VmRSS`` from ``/proc/<pid>/status`` and user + system time from ``/proc/<pid>/stat``.

The clients are lightweight: a raw ``websockets`` connection each, the protocol-8 handshake,
then a ``ping`` every ``--ping-interval`` seconds (5, as tldraw's client; each starts at a random
offset so that the pings are spread out) and a reader that parses every frame.  ``--sessions``
are spread evenly over ``--rooms``; each room's first session also *probes*: it created the
shape ``shape:probe``, and every ``--probe-interval`` seconds one room, in turn, patches it with
a fresh sequence number.  The fan-out latency of a probe is the time from its send until the
last of the other sessions of its room has received the patch (every one of them must, exactly
once, or the run fails).

Reported: the time to connect every session; the server's RSS before any session, with every
session connected, and its maximum while they are held; the added KiB per session; the server's
CPU (CPU seconds / wall seconds of the hold) and this process's; and p50 / p99 / max fan-out
latency over the probes.  Raise the open-files limit if needed (we raise the soft limit to the
hard one, which the server subprocess inherits).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection

from bench.processes import (
    PHASE_TIMEOUT_S,
    TLSYNC,
    BenchError,
    CpuWindow,
    ServerProcess,
    Session,
    geo_shape,
    now_ms,
    open_session,
    percentile,
    rss_kib,
    start_server,
)
from bench.runner import add_output_options, cpython, print_header, render_table, write_json

PROBE_ID = "shape:probe"
PROBE_SHAPE = geo_shape(PROBE_ID)


@dataclass
class LoadSettings:
    """What to run: ``sessions`` over ``rooms``, held ``hold_s`` seconds."""

    sessions: int = 2000
    rooms: int = 20
    hold_s: float = 60.0
    ping_interval_s: float = 5.0
    probe_interval_s: float = 0.25
    connect_concurrency: int = 50


@dataclass
class LoadResult:
    """What one run measured (times in ms, memory in KiB)."""

    sessions: int
    rooms: int
    hold_s: float
    connect_s: float = 0.0
    rss_empty_kib: int = 0
    rss_connected_kib: int = 0
    rss_max_kib: int = 0
    server_cpu: float = 0.0
    generator_cpu: float = 0.0
    pings: int = 0
    pongs: int = 0
    probes: int = 0
    deliveries: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def kib_per_session(self) -> float:
        if not self.sessions:
            return 0.0
        return (self.rss_connected_kib - self.rss_empty_kib) / self.sessions


@dataclass
class Probe:
    """One probe patch: when it was sent, and who got it."""

    sent: float
    expected: int
    received: int = 0
    last: float = 0.0

    @property
    def complete(self) -> bool:
        return self.received >= self.expected


class LoadClient(Session):
    """One idle session: handshake, pings, and a reader that notes probe arrivals."""

    def __init__(self, ws: ClientConnection, room: LoadRoom, index: int) -> None:
        super().__init__(ws, f"session {index}", room.errors)
        self.room = room
        self.index = index
        self.pings = 0
        self.pongs = 0

    @classmethod
    async def join(cls, url: str, room: LoadRoom, index: int) -> LoadClient:
        client = cls(await open_session(url, f"load-{index}", f"session {index}"), room, index)
        client.start()
        return client

    def start_pinging(self, interval: float) -> None:
        self.tasks.append(asyncio.get_running_loop().create_task(self._ping(interval)))

    async def _ping(self, interval: float) -> None:
        await asyncio.sleep(random.uniform(0, interval))
        while True:
            await self.ws.send('{"type":"ping"}')
            self.pings += 1
            await asyncio.sleep(interval)

    def on_event(self, event: dict[str, Any], received: float) -> None:
        kind = event.get("type")
        if kind == "pong":
            self.pongs += 1
        elif kind == "patch":
            op = event["diff"].get(PROBE_ID)
            if op is not None:
                self.room.arrived(self, op, received)
        elif kind == "push_result":
            self.resolve(event)  # a probe's result (nobody waits for it) is dropped

    def on_closed(self) -> None:
        super().on_closed()
        if not self.closing:
            self.errors.append(f"{self.who}: the server closed the connection")


class LoadRoom:
    """A room's sessions, its probing session (the first) and its probes."""

    def __init__(self, name: str, errors: list[str]) -> None:
        self.name = name
        self.clients: list[LoadClient] = []
        self.probes: dict[int, Probe] = {}
        self.seq = 0
        self.errors = errors
        self.created = 0

    @property
    def prober(self) -> LoadClient:
        return self.clients[0]

    def arrived(self, client: LoadClient, op: list[Any], received: float) -> None:
        if op[0] == "put":
            self.created += 1
            return
        seq = op[1]["y"][1]
        probe = self.probes.get(seq)
        if probe is None:
            self.errors.append(f"{self.name}: session {client.index} got unknown probe {seq}")
            return
        probe.received += 1
        probe.last = max(probe.last, received)
        if probe.received > probe.expected:
            self.errors.append(f"{self.name}: probe {seq} delivered more than once")

    async def probe(self) -> None:
        """Patch the probe shape with the next sequence number (not waiting for the result)."""
        self.seq += 1
        seq = self.seq
        self.probes[seq] = Probe(sent=now_ms(), expected=len(self.clients) - 1)
        await self.prober.send_push({PROBE_ID: ["patch", {"x": ["put", seq], "y": ["put", seq]}]})


def raise_open_files_limit(needed: int) -> int:
    """Raise the soft limit on open files towards the hard one; the resulting soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard == resource.RLIM_INFINITY else max(soft, min(hard, needed))
    if target != soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def _until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise BenchError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def run_load(settings: LoadSettings, server: ServerProcess | None = None) -> LoadResult:
    """Connect, hold and probe as ``settings`` say, against ``server`` (or a fresh
    ``tlsync serve``, stopped afterwards)."""
    rooms_count = max(1, min(settings.rooms, settings.sessions // 2))
    result = LoadResult(settings.sessions, rooms_count, settings.hold_s)
    limit = raise_open_files_limit(2 * settings.sessions + 256)
    if limit < settings.sessions + 64:
        result.errors.append(f"open-files limit {limit} is too low for {settings.sessions}")
        return result
    own_server = server is None
    if server is None:
        server = await start_server(TLSYNC)
    rooms = [LoadRoom(f"load-{r}", result.errors) for r in range(rooms_count)]
    clients: list[LoadClient] = []
    try:
        pid = server.pid
        result.rss_empty_kib = rss_kib(pid)
        gate = asyncio.Semaphore(settings.connect_concurrency)

        async def join(index: int) -> None:
            room = rooms[index % rooms_count]
            async with gate:
                client = await LoadClient.join(server.url(room.name), room, index)
            room.clients.append(client)
            clients.append(client)

        started = time.perf_counter()
        await asyncio.gather(*(join(i) for i in range(settings.sessions)))
        for room in rooms:
            room.clients.sort(key=lambda c: c.index)
            answer = await asyncio.wait_for(
                room.prober.push({PROBE_ID: ["put", PROBE_SHAPE]}), PHASE_TIMEOUT_S
            )
            if answer.get("action") != "commit":
                raise BenchError(f"{room.name}: creating the probe shape: {answer!r:.200}")
        await _until(
            lambda: all(r.created >= len(r.clients) - 1 for r in rooms),
            PHASE_TIMEOUT_S,
            "every session to see its room's probe shape",
        )
        result.connect_s = time.perf_counter() - started
        await asyncio.sleep(min(2.0, settings.hold_s / 10))  # let the handshakes' garbage settle
        result.rss_connected_kib = rss_kib(pid)
        result.rss_max_kib = result.rss_connected_kib

        for client in clients:
            client.start_pinging(settings.ping_interval_s)
        server_cpu, generator_start = CpuWindow(pid), time.process_time()
        wall_start = time.perf_counter()
        next_rss = wall_start + 1.0
        turn = 0
        while time.perf_counter() - wall_start < settings.hold_s:
            await rooms[turn % rooms_count].probe()
            turn += 1
            await asyncio.sleep(settings.probe_interval_s)
            if time.perf_counter() >= next_rss:
                result.rss_max_kib = max(result.rss_max_kib, rss_kib(pid))
                next_rss += 1.0
        all_probes = [p for r in rooms for p in r.probes.values()]
        with contextlib.suppress(BenchError):
            await _until(lambda: all(p.complete for p in all_probes), 10, "the last probes")
        wall = time.perf_counter() - wall_start
        result.server_cpu = server_cpu.share(wall)
        result.generator_cpu = (time.process_time() - generator_start) / wall
        result.rss_max_kib = max(result.rss_max_kib, rss_kib(pid))

        result.pings = sum(c.pings for c in clients)
        result.pongs = sum(c.pongs for c in clients)
        result.probes = len(all_probes)
        result.deliveries = sum(p.received for p in all_probes)
        incomplete = [p for p in all_probes if not p.complete]
        if incomplete:
            result.errors.append(f"{len(incomplete)} probe(s) did not reach every session")
        latencies = sorted(p.last - p.sent for p in all_probes if p.complete)
        if latencies:
            result.p50_ms = percentile(latencies, 0.50)
            result.p99_ms = percentile(latencies, 0.99)
            result.max_ms = latencies[-1]
        if result.pongs < result.pings - len(clients):
            result.errors.append(f"{result.pings} pings but {result.pongs} pongs")
    except (BenchError, OSError) as error:
        result.errors.append(str(error))
    finally:
        gate = asyncio.Semaphore(200)

        async def close(client: LoadClient) -> None:
            async with gate:
                await client.close()

        await asyncio.gather(*(close(c) for c in clients))
        if own_server:
            await server.stop()
    return result


HEADERS = [
    "sessions",
    "rooms",
    "hold s",
    "connect s",
    "server RSS empty MiB",
    "RSS connected MiB",
    "RSS max MiB",
    "KiB/session",
    "server CPU",
    "generator CPU",
    "probes",
    "fan-out p50 ms",
    "fan-out p99 ms",
    "max ms",
]


def row(result: LoadResult) -> list[str]:
    return [
        f"{result.sessions:,}",
        str(result.rooms),
        f"{result.hold_s:.0f}",
        f"{result.connect_s:.1f}",
        f"{result.rss_empty_kib / 1024:.1f}",
        f"{result.rss_connected_kib / 1024:.1f}",
        f"{result.rss_max_kib / 1024:.1f}",
        f"{result.kib_per_session:.1f}",
        f"{result.server_cpu:.1%}",
        f"{result.generator_cpu:.1%}",
        f"{result.probes:,}",
        f"{result.p50_ms:.1f}",
        f"{result.p99_ms:.1f}",
        f"{result.max_ms:.1f}",
    ]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    defaults = LoadSettings()
    parser.add_argument("--sessions", type=int, default=defaults.sessions)
    parser.add_argument("--rooms", type=int, default=defaults.rooms)
    parser.add_argument("--hold", type=float, default=defaults.hold_s, help="seconds (60)")
    parser.add_argument("--ping-interval", type=float, default=defaults.ping_interval_s)
    parser.add_argument("--probe-interval", type=float, default=defaults.probe_interval_s)
    add_output_options(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = LoadSettings(
        sessions=args.sessions,
        rooms=args.rooms,
        hold_s=args.hold,
        ping_interval_s=args.ping_interval,
        probe_interval_s=args.probe_interval,
    )
    load_before = os.getloadavg()[0]
    result = asyncio.run(run_load(settings))
    load_after = os.getloadavg()[0]
    print_header(
        f"load benchmark on {os.cpu_count()} CPU(s); {cpython()};"
        f" tlsync serve (SQLite) in its own process, the clients in this one;"
        f" 1-min load average {load_before:.2f} before, {load_after:.2f} after",
        f"idle sessions pinging every {settings.ping_interval_s:g} s; a probe patch every"
        f" {settings.probe_interval_s:g} s, rooms in turn; fan-out = send to the last receipt"
        " in the room; CPU = CPU seconds / wall seconds of the hold",
    )
    print(render_table(HEADERS, [row(result)], args.markdown))
    for error in result.errors[:20]:
        print(f"FAILED: {error}")
    write_json(args.json, {**asdict(result), "kib_per_session": result.kib_per_session})
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
