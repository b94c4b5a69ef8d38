"""Cluster benchmark: ``tlsync serve --workers 2`` against one process, and a relayed client
against a direct one, as ratios of one run.

Run from the repository root with the venv active and PostgreSQL reachable::

    python -m bench.cluster                        # 8 rooms x 4 clients, 10 s per setup
    python -m bench.cluster --rooms 4 --clients 2 --seconds 3 --pings 50     # smoke run
    python -m bench.cluster --admin postgresql://postgres@127.0.0.1:5432/postgres

Every setup runs on a fresh PostgreSQL database (created on the ``--admin`` server, dropped
afterwards) with servers started as subprocesses (``python -m tlsync_core serve --schema demo
--db <it>``).

* **Capacity.**  ``--rooms`` rooms x ``--clients`` raw protocol-8 sessions each, all connected
  to one port; each session moves its own shape closed loop (the next push after the previous
  ``push_result``: committed to PostgreSQL) for ``--seconds``.  Reported: committed pushes per
  second, with ``--workers 1`` and ``--workers 2`` (whose sessions land on either worker; a
  room's sessions that reach the other worker are relayed), and their ratio.
* **Relay latency.**  Two single-process nodes on one database; one session joins a room on
  node A (A hosts it), another joins it on node B (relayed to A).  Each pushes ``--pings``
  times, closed loop, in blocks (four of each, in turn, so that no push waits for the other
  session's); a round trip includes the PostgreSQL commit and the room's broadcast batching.
  Reported: the median round trip of each, the relayed one's extra milliseconds and the ratio
  relayed / direct.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import psycopg

from bench.processes import (
    TLSYNC,
    BenchError,
    Session,
    geo_shape,
    open_session,
    start_server,
)

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
#: The relay latency's pushes come in this many blocks, direct and relayed in turn.
ROUNDS = 4


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mover(Session):
    """A session that moves its own shape and resolves each push with its result."""

    def on_event(self, event: dict[str, Any], received: float) -> None:
        if event.get("type") == "push_result":
            self.resolve(event)

    async def create(self, shape_id: str) -> None:
        await self.push({shape_id: ["put", geo_shape(shape_id)]})

    async def move(self, shape_id: str, n: int) -> None:
        result = await self.push({shape_id: ["patch", {"x": ["put", n + 1]}]})
        if result.get("action") != "commit":
            raise BenchError(f"{self.who}: push not committed: {result!r:.200}")


@contextlib.asynccontextmanager
async def fresh_database(admin: str) -> AsyncIterator[str]:
    """A new database on the ``admin`` server, dropped afterwards."""
    name = f"tlsync_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


async def join(url: str, who: str, errors: list[str]) -> Mover:
    session = Mover(await open_session(url, who, who), who, errors)
    session.start()
    return session


async def capacity(admin: str, workers: int, rooms: int, clients: int, seconds: float) -> float:
    """Committed pushes per second of ``rooms`` x ``clients`` movers on ``--workers N``."""
    async with fresh_database(admin) as db:
        port = free_port()
        server = await start_server(
            TLSYNC, "--db", db, "--port", str(port), "--workers", str(workers)
        )
        errors: list[str] = []
        sessions: list[Mover] = []
        try:
            for room in range(rooms):
                for client in range(clients):
                    who = f"r{room}c{client}"
                    sessions.append(await join(server.url(f"room{room}"), who, errors))
                    await sessions[-1].create(f"shape:{who}")
            counts = [0] * len(sessions)
            deadline = time.monotonic() + seconds

            async def run(index: int, session: Mover) -> None:
                while time.monotonic() < deadline:
                    await session.move(f"shape:{session.who}", counts[index])
                    counts[index] += 1

            started = time.monotonic()
            await asyncio.gather(*(run(i, s) for i, s in enumerate(sessions)))
            elapsed = time.monotonic() - started
        finally:
            for session in sessions:
                await session.close()
            await server.stop()
        if errors:
            raise BenchError("; ".join(errors[:5]))
        return sum(counts) / elapsed


async def relay_latency(admin: str, pings: int) -> tuple[float, float]:
    """Median push round trips (ms) of a direct and of a relayed session of one room."""
    async with fresh_database(admin) as db:
        host = await start_server(TLSYNC, "--db", db)
        other = await start_server(TLSYNC, "--db", db)
        errors: list[str] = []
        sessions: list[Mover] = []
        try:
            direct = await join(host.url("latency"), "direct", errors)
            sessions.append(direct)
            relayed = await join(other.url("latency"), "relayed", errors)
            sessions.append(relayed)
            times: dict[str, list[float]] = {"direct": [], "relayed": []}
            for session in sessions:
                await session.create(f"shape:{session.who}")
            block = max(1, pings // ROUNDS)
            for round_ in range(ROUNDS):  # (blocks in turn: one's pushes never wait on the other)
                for session in sessions if round_ % 2 == 0 else sessions[::-1]:
                    for n in range(block):
                        started = time.perf_counter()
                        await session.move(f"shape:{session.who}", round_ * block + n)
                        times[session.who].append((time.perf_counter() - started) * 1000)
        finally:
            for session in sessions:
                await session.close()
            await host.stop()
            await other.stop()
        if errors:
            raise BenchError("; ".join(errors[:5]))
        return statistics.median(times["direct"]), statistics.median(times["relayed"])


async def run(args: argparse.Namespace) -> None:
    shape = f"{args.rooms} rooms x {args.clients} clients, {args.seconds:g} s closed loop"
    one = await capacity(args.admin, 1, args.rooms, args.clients, args.seconds)
    two = await capacity(args.admin, 2, args.rooms, args.clients, args.seconds)
    print(f"capacity ({shape}): 1 process {one:.0f} pushes/s, --workers 2 {two:.0f} pushes/s,")
    print(f"  ratio workers 2 / 1 = {two / one:.2f}")
    direct, relayed = await relay_latency(args.admin, args.pings)
    print(f"push round trip, median of {args.pings}: direct {direct:.2f} ms,")
    print(f"  relayed {relayed:.2f} ms (+{relayed - direct:.2f} ms), ratio {relayed / direct:.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__)
    parser.add_argument("--admin", default=ADMIN_URL, help="PostgreSQL server (any database)")
    parser.add_argument("--rooms", type=int, default=8)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--pings", type=int, default=200)
    args = parser.parse_args(argv)
    try:
        asyncio.run(run(args))
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
