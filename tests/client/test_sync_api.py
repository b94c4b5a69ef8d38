"""connect_sync(): the synchronous facade, from a plain thread, against a real server."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tlsync_client.sync_api import connect_sync
from tlsync_core.demo_schema import SHAPE, create_demo_schema
from tlsync_core.signals import CrossThreadError, atom
from tlsync_core.store import HistoryEntry
from tlsync_core.tldraw import create_arrow, create_geo, delete, move

SCHEMA = create_demo_schema()


@contextlib.contextmanager
def _serving(tmp_path: Path, schema: str) -> Iterator[str]:
    """`tlsync serve` in a subprocess, as a script's user would run it (the signals graph has
    one owner thread per process, and here it belongs to the synchronous rooms)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "tlsync_core", "serve", "--port", str(port)]
    command += ["--schema", schema, "--db", str(tmp_path / "rooms.sqlite")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        yield f"ws://127.0.0.1:{port}"
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
        assert process.returncode == 0, stderr.decode()


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    """A server on the demo schema."""
    with _serving(tmp_path, "demo") as url:
        yield url


@pytest.fixture
def tldraw_url(tmp_path: Path) -> Iterator[str]:
    """A server on tldraw's schema."""
    with _serving(tmp_path, "tldraw") as url:
        yield url


@pytest.mark.spec("CA7")
def test_sync_rooms_edit_wait_and_close_from_plain_code(server_url: str) -> None:
    """Two synchronous rooms: a put in one is acknowledged (wait_for_sync) and seen by the
    other (wait_for); after close the graph is free for this thread again."""
    url = f"{server_url}/connect/sync"
    with connect_sync(url, schema=SCHEMA) as writer, connect_sync(url, schema=SCHEMA) as reader:
        writer.put([SHAPE.create(id="shape:s", x=3)])
        writer.wait_for_sync(timeout=5)
        reader.wait_for(lambda store: store.get("shape:s") is not None, timeout=5)
        assert reader.get("shape:s") == writer.get("shape:s")
        assert [r["id"] for r in reader.records("shape")] == ["shape:s"]
        writer.update("shape:s", lambda r: {**r, "x": 4})
        writer.remove(["shape:s"])
        writer.wait_for_sync(timeout=5)
        reader.wait_for(lambda store: store.get("shape:s") is None, timeout=5)
    with pytest.raises(RuntimeError, match="closed"):
        writer.get("shape:s")
    atom("mine", 0).set(1)  # the graph was released: this thread may write again


@pytest.mark.spec("CA7")
def test_errors_from_the_loop_thread_reach_the_caller(server_url: str) -> None:
    """An invalid record raises in the calling thread and leaves the room usable."""
    with connect_sync(f"{server_url}/connect/errors", schema=SCHEMA) as room:
        with pytest.raises(Exception, match="x"):
            room.put([{**SHAPE.create(id="shape:bad"), "x": "not a number"}])
        room.put([SHAPE.create(id="shape:good")])
        room.wait_for_sync(timeout=5)
        assert room.get("shape:bad") is None


@pytest.mark.spec("CA12")
def test_the_sync_store_takes_the_helpers_from_the_calling_thread(tldraw_url: str) -> None:
    """room.store works from the script's thread like a store: the tldraw helpers take it (one
    push each), reads and queries answer, len/in work, change callbacks fire (on the loop
    thread), and another room sees the result."""
    url = f"{tldraw_url}/connect/helpers"
    with connect_sync(url) as bot, connect_sync(url) as watcher:
        heard: list[HistoryEntry] = []
        stop = watcher.store.listen(heard.append, source="remote")
        a = create_geo(bot.store, x=0, y=0, text="a")
        b = create_geo(bot.store, x=300, y=0, text="b")
        arrow = create_arrow(bot.store, start=a["id"], end=b["id"])
        move(bot.store, a["id"], 0, 120)
        assert bot.wait_for_sync() == 0
        assert bot.store.get(a["id"]) == {**a, "y": 120}
        assert len(bot.store.query.records("shape").get()) == 3
        assert a["id"] in bot.store and len(bot.store) > 3
        watcher.wait_for(lambda store: store.has(arrow["id"]), timeout=5)
        assert watcher.store.get(a["id"]) == bot.store.get(a["id"])
        assert any(a["id"] in entry.changes.added for entry in heard)
        stop()
        delete(bot.store, [b["id"]])
        bot.wait_for_sync(timeout=5)
        watcher.wait_for(lambda store: not store.has(b["id"]), timeout=5)
        assert bot.status.value == "connected" and bot.url == url


@pytest.mark.spec("CA12")
def test_writing_to_the_loop_threads_store_directly_says_how_to_do_it(tldraw_url: str) -> None:
    """The asyncio room's store belongs to the loop thread: writing to it from the script's
    thread raises CrossThreadError naming room.store and room.call."""
    with connect_sync(f"{tldraw_url}/connect/wrong-thread") as bot:
        with pytest.raises(CrossThreadError, match=r"room\.store or room\.call\(\)"):
            create_geo(bot.room.store, x=1, y=1)
        create_geo(bot.store, x=1, y=1)
        assert bot.wait_for_sync(timeout=5) == 0
