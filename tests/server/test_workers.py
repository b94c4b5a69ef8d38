"""``tlsync serve --workers N`` (CLUSTER4): worker processes sharing one port through the
cluster's leases and relays; PostgreSQL required."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from cluster_nodes import SCHEMA, RawClient
from postgres_fixture import postgres_url
from serve_process import free_port, start_serve, stop_serve
from waiting import until

from tlsync_client import connect as connect_room
from tlsync_core.demo_schema import SHAPE

__all__ = ["postgres_url"]  # (the fixture)


def _hosts(url: str, rooms: list[str]) -> set[str]:
    """The addresses hosting ``rooms``, as their leases say."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT DISTINCT address FROM tlsync.leases WHERE room_id = ANY(%s)", (rooms,)
        ).fetchall()
    return {str(row[0]) for row in rows}


def _workers(pid: int) -> list[int]:
    """The supervisor's worker processes (its children)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def _live_leases(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT room_id FROM tlsync.leases WHERE expires_at > clock_timestamp()"
        ).fetchall()
    return [str(row[0]) for row in rows]


@pytest.mark.spec("CLUSTER4", "CLUSTER2")
async def test_workers_share_the_port_and_relay_to_each_other(
    postgres_url: str, tmp_path: Path
) -> None:
    """Two workers listen on one port: the connections to it land on both (rooms are hosted by
    two workers, each under its own private address, not the shared port); clients of one room
    see each other's pushes whichever worker they reached.  A worker killed with SIGKILL is
    replaced by the supervisor and the room is served on (everything acknowledged in it).
    SIGTERM to the supervisor stops every worker cleanly and releases their leases."""
    port = free_port()
    with (tmp_path / "serve.log").open("wb") as log:
        process = await start_serve(port, postgres_url, log, "--workers", "2", "--lease-ttl", "1")
        clients: list[RawClient] = []
        try:
            rooms: list[str] = []
            while len(_hosts(postgres_url, rooms)) < 2:  # (each connection: 1/2 per worker)
                assert len(rooms) < 40, "every connection reached the same worker"
                rooms.append(f"room{len(rooms)}")
                clients.append(await RawClient.join(f"ws://127.0.0.1:{port}/connect/{rooms[-1]}"))
            assert f"ws://127.0.0.1:{port}" not in _hosts(postgres_url, rooms)

            shared = [
                await RawClient.join(f"ws://127.0.0.1:{port}/connect/shared") for _ in range(6)
            ]
            clients.extend(shared)
            for n, client in enumerate(shared):
                await client.push(n)
            async with asyncio.timeout(10):
                for client in shared:
                    while not {f"shape:{n}" for n in range(6)} <= client.documents:
                        await client.read()
            for client in clients:
                await client.close()
            clients = []

            # a worker killed: the supervisor starts another, and the port serves on
            killed = _workers(process.pid)[0]
            os.kill(killed, signal.SIGKILL)
            await until(lambda: len(set(_workers(process.pid)) - {killed}) == 2, 30)
            for n in range(4):  # (whichever worker they reach; retrying until it serves)
                url = f"ws://127.0.0.1:{port}/connect/shared"
                async with connect_room(url, schema=SCHEMA, min_delay_ms=50) as again:
                    assert all(again.store.get(f"shape:{k}") for k in range(6))
                    again.store.put([SHAPE.create(id=f"shape:{10 + n}")])
                    await again.wait_for_sync(timeout=10)

            await stop_serve(process)
            assert process.returncode == 0
            assert not _live_leases(postgres_url)  # (released by the workers as they stopped)
        finally:
            for client in clients:
                await client.close()
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert (tmp_path / "serve.log").read_text().count("Traceback") == 0


@pytest.mark.spec("CLUSTER4", "CLUSTER2")
@pytest.mark.parametrize(
    ("options", "error"),
    [
        (["--workers", "2", "--db", "x.sqlite"], "--workers N needs PostgreSQL"),
        (["--workers", "2", "--port", "0", "--db", "postgresql://x@h/x"], "share one port"),
        (["--advertise", "http://node:1"], "--advertise must be ws://HOST:PORT"),
        (["--lease-ttl", "0"], "--lease-ttl must be positive"),
    ],
)
def test_bad_cluster_options_end_the_command_with_a_clear_error(
    tmp_path: Path, options: list[str], error: str
) -> None:
    """Cluster options that cannot work end ``tlsync serve`` at once with exit status 2 and a
    message saying why: ``--workers`` with SQLite or without a fixed port, an ``--advertise``
    that is not a websocket address, a lease time to live that is not positive."""
    done = subprocess.run(
        [sys.executable, "-m", "tlsync_core", "serve", *options],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert error in done.stderr
