"""Rooms in a real PostgreSQL (PG1-PG4): the same records as SQLite, durable before
acknowledgement, healing after a lost connection, and ``tlsync serve --db postgresql://...``.

Each test gets a database of its own (``postgres_url``, see ``postgres_fixture.py``).
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from postgres_fixture import postgres_url

from tlsync_client import connect
from tlsync_core.room.storage import ForwardDiff
from tlsync_core.server import SQLitePersistence, TLSyncServer
from tlsync_core.server.persistence import MemoryPersistence, RoomPersistence, StorageError
from tlsync_core.server.postgres import PostgresPersistence
from tlsync_core.tldraw import create_geo, create_note, shapes_on_page

__all__ = ["postgres_url"]  # (the fixture)


def _record(n: int, x: int) -> dict[str, Any]:
    return {"id": f"shape:{n}", "typeName": "shape", "x": x, "text": "é\ud800" if n % 7 else ""}


def _random_transactions(seed: int, count: int) -> list[tuple[ForwardDiff, int, int]]:
    """Committed transactions of puts and deletes, with their clocks and history starts."""
    rng = random.Random(seed)
    out = []
    for clock in range(1, count + 1):
        diff = ForwardDiff()
        for _ in range(rng.randint(1, 6)):
            n = rng.randrange(30)
            if rng.random() < 0.25:
                diff.deletes.append(f"shape:{n}")
            else:
                diff.puts[f"shape:{n}"] = _record(n, rng.randrange(1000))
        out.append((diff, clock, max(0, clock - 20)))
    return out


def _store_all(
    persistence: RoomPersistence, transactions: list[tuple[ForwardDiff, int, int]]
) -> None:
    for k, (diff, clock, history) in enumerate(transactions):
        persistence.stage(
            "room", diff, clock=clock, tombstone_history_starts_at_clock=history, schema={"v": 1}
        )
        if k % 3 == 2:  # (group commits of a few transactions, as the storage thread does)
            persistence.commit()
    persistence.commit()


def _normalized(snapshot: Any) -> Any:
    documents = sorted(snapshot["documents"], key=lambda d: d["state"]["id"])
    return {**snapshot, "documents": documents}


@pytest.mark.spec("PG1")
def test_postgres_stores_what_sqlite_and_memory_store(postgres_url: str, tmp_path: Path) -> None:
    """The same committed transactions (puts, deletes, tombstone pruning, lone surrogates) load
    back from PostgreSQL exactly as from SQLite and from memory, also after reopening."""
    transactions = _random_transactions(seed=7, count=60)
    engines: list[RoomPersistence] = [
        PostgresPersistence(postgres_url),
        SQLitePersistence(tmp_path / "rooms.sqlite"),
        MemoryPersistence(),
    ]
    for engine in engines:
        _store_all(engine, transactions)
    pg, sqlite, memory = (_normalized(e.load("room")) for e in engines)
    assert pg == sqlite == memory
    assert pg["documentClock"] == 60 and pg["tombstones"]
    engines[0].close()
    reopened = PostgresPersistence(postgres_url)
    assert _normalized(reopened.load("room")) == pg
    assert reopened.load("missing") is None
    assert reopened.room_ids() == ["room"]
    reopened.close()


@pytest.mark.spec("PG2")
def test_a_broken_connection_loses_no_staged_write(postgres_url: str) -> None:
    """A connection killed by the server between stage and commit makes the commit fail (never a
    silent commit on a new connection); after the rollback the same writes go through a new
    connection, and nothing else was stored."""
    persistence = PostgresPersistence(postgres_url)
    (first, clock, history), (second, clock2, history2) = _random_transactions(seed=1, count=2)
    persistence.stage(
        "room", first, clock=clock, tombstone_history_starts_at_clock=history, schema=None
    )
    persistence.commit()
    persistence.stage(
        "room", second, clock=clock2, tombstone_history_starts_at_clock=history2, schema=None
    )
    with psycopg.connect(postgres_url, autocommit=True) as killer:
        killer.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    with pytest.raises((psycopg.OperationalError, StorageError)):
        persistence.commit()
    persistence.rollback()
    reader = PostgresPersistence(postgres_url)
    assert reader.load("room")["documentClock"] == clock  # type: ignore[index]
    persistence.stage(
        "room", second, clock=clock2, tombstone_history_starts_at_clock=history2, schema=None
    )
    persistence.commit()
    assert reader.load("room")["documentClock"] == clock2  # type: ignore[index]
    reader.close()
    persistence.close()


@pytest.mark.spec("PG3")
async def test_a_server_on_postgres_keeps_everything_acknowledged(postgres_url: str) -> None:
    """Two bots draw in a room of a server on PostgreSQL; a new server on the same database
    (another process could be it) serves every acknowledged shape."""
    async with TLSyncServer(
        schema="tldraw", persistence=PostgresPersistence(postgres_url), port=0
    ) as first:
        url = f"{first.url}/connect/board"
        async with connect(url) as alice, connect(url) as bob:
            for n in range(10):
                create_geo(alice.store, x=n * 10, y=0, text=f"a{n}")
                create_note(bob.store, x=n * 10, y=200, text=f"b{n}")
            await alice.wait_for_sync()
            await bob.wait_for_sync()
            expected = {s["id"] for s in shapes_on_page(alice.store)}
    assert len(expected) == 20
    async with (
        TLSyncServer(
            schema="tldraw", persistence=PostgresPersistence(postgres_url), port=0
        ) as second,
        connect(f"{second.url}/connect/board") as carol,
    ):
        assert {s["id"] for s in shapes_on_page(carol.store)} == expected


@pytest.mark.spec("PG4")
async def test_tlsync_serve_takes_a_postgres_url(postgres_url: str) -> None:
    """``tlsync serve --db postgresql://...`` serves from PostgreSQL; a database it cannot reach
    ends the command at once with the reason, not a traceback."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tlsync_core",
        "serve",
        "--port",
        "0",
        "--db",
        postgres_url,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert "(PostgreSQL: " in line, line
        base = line.split()[3].removesuffix("/connect/<room-id>")
        async with connect(f"{base}/connect/cli") as bot:
            create_geo(bot.store, x=1, y=2, text="stored")
            await bot.wait_for_sync()
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
    stored = PostgresPersistence(postgres_url)
    snapshot = stored.load("cli")
    stored.close()
    assert snapshot is not None and any(
        d["state"].get("type") == "geo" for d in snapshot["documents"]
    )
    unreachable = "postgresql://nobody@127.0.0.1:1/none"
    failed = subprocess.run(
        [sys.executable, "-m", "tlsync_core", "serve", "--port", "0", "--db", unreachable],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert failed.returncode != 0
    assert "tlsync serve --db: cannot reach PostgreSQL" in failed.stderr
    assert "Traceback" not in failed.stderr
