"""connect_sync(): the synchronous facade, from a plain thread, against a real server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tlsync_client.sync_api import connect_sync
from tlsync_core.server.demo_schema import SHAPE, create_demo_schema
from tlsync_core.signals import atom

SCHEMA = create_demo_schema()


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    """`tlsync serve` in a subprocess, as a script's user would run it (the signals graph has
    one owner thread per process, and here it belongs to the synchronous rooms)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "tlsync_core",
        "serve",
        "--port",
        str(port),
        "--schema",
        "demo",
    ]
    command += ["--db", str(tmp_path / "rooms.sqlite")]
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
