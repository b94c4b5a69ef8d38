"""``tlsync serve --workers N`` (CLUSTER4): worker processes sharing one port through the
cluster's leases and relays; PostgreSQL required."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from cluster_nodes import RawClient
from postgres_fixture import postgres_url
from serve_process import free_port, start_serve, stop_serve

__all__ = ["postgres_url"]  # (the fixture)


def _hosts(url: str, rooms: list[str]) -> set[str]:
    """The addresses hosting ``rooms``, as their leases say."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT DISTINCT address FROM tlsync.leases WHERE room_id = ANY(%s)", (rooms,)
        ).fetchall()
    return {str(row[0]) for row in rows}


@pytest.mark.spec("CLUSTER4", "CLUSTER2")
async def test_workers_share_the_port_and_relay_to_each_other(
    postgres_url: str, tmp_path: Path
) -> None:
    """Two workers listen on one port: the connections to it land on both (rooms are hosted by
    two workers, each under its own private address, not the shared port); two clients of one
    room see each other's pushes whichever worker they reached; SIGTERM to the supervisor stops
    every worker cleanly and releases their leases."""
    port = free_port()
    with (tmp_path / "serve.log").open("wb") as log:
        process = await start_serve(port, postgres_url, log, "--workers", "2")
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
            await stop_serve(process)
            assert process.returncode == 0
        finally:
            for client in clients:
                await client.close()
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert (tmp_path / "serve.log").read_text().count("Traceback") == 0


@pytest.mark.spec("CLUSTER4")
def test_workers_need_postgresql(tmp_path: Path) -> None:
    """``--workers 2`` with a SQLite file ends at once with a clear error (exit status 2)."""
    done = subprocess.run(
        [sys.executable, "-m", "tlsync_core", "serve", "--workers", "2", "--db", "x.sqlite"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--workers N needs PostgreSQL" in done.stderr
