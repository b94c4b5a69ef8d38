"""Real tldraw peers for the interop tests, run under node from tests/node/interop:

* :class:`NodeRoomServer`: @tldraw/sync-core's ``TLSocketRoom`` with tldraw's default schema;
* :class:`NodeSyncClient`: a headless @tldraw/sync-core ``TLSyncClient`` (with its
  ``ClientWebSocketAdapter``) on a validating @tldraw/store ``Store``, driven by commands.

Both skip the test when node or the npm packages are missing, except under CI (where that is an
error), like :mod:`node_peer`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import socket
import sys
import urllib.request
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
INTEROP_DIR = NODE_DIR / "interop"


def _require_node() -> str:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "@tldraw" / "sync-core").is_dir():
        message = "node and tests/node's npm packages are needed (scripts/npm-ensure tests/node)"
        if os.environ.get("CI"):
            raise RuntimeError(message)
        pytest.skip(message)
    return node


class NodeRoomServer:
    """A running ``room-server.mjs``; ``url`` is its ``ws://`` base."""

    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.port = port
        self.url = f"ws://127.0.0.1:{port}"

    def room_url(self, room_id: str) -> str:
        return f"{self.url}/connect/{room_id}"

    async def snapshot(self, room_id: str) -> dict[str, Any]:
        """The room's ``getCurrentSnapshot()``."""
        url = f"http://127.0.0.1:{self.port}/rooms/{room_id}/snapshot"

        def fetch() -> dict[str, Any]:
            with urllib.request.urlopen(url, timeout=5) as response:
                data: dict[str, Any] = json.loads(response.read())
                return data

        return await asyncio.to_thread(fetch)

    async def documents(self, room_id: str) -> dict[str, dict[str, Any]]:
        """The room's live document records, by id."""
        snapshot = await self.snapshot(room_id)
        return {d["state"]["id"]: d["state"] for d in snapshot["documents"]}


@contextlib.asynccontextmanager
async def node_room_server() -> AsyncIterator[NodeRoomServer]:
    """Start a real tldraw room server; stopped (SIGTERM) on exit."""
    node = _require_node()
    process = await asyncio.create_subprocess_exec(
        node,
        str(INTEROP_DIR / "room-server.mjs"),
        cwd=NODE_DIR,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 20)
        if not line:
            raise RuntimeError("the node room server exited before listening")
        yield NodeRoomServer(process, json.loads(line)["port"])
    finally:
        await _stop(process)


class NodeSyncClient:
    """A running ``sync-client.mjs``: ``await call(op, **payload)`` runs a command."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self._ids = itertools.count()
        self._lock = asyncio.Lock()

    async def call(self, op: str, /, **payload: Any) -> Any:
        """Run ``op``; raises ``RuntimeError`` with the client's message if it failed."""
        assert self.process.stdin is not None and self.process.stdout is not None
        request_id = next(self._ids)
        async with self._lock:
            line = json.dumps({"id": request_id, "op": op, **payload}) + "\n"
            self.process.stdin.write(line.encode())
            await self.process.stdin.drain()
            answer = await asyncio.wait_for(self.process.stdout.readline(), 20)
        if not answer:
            raise RuntimeError("the node sync client exited")
        response = json.loads(answer)
        assert response["id"] == request_id
        if "error" in response:
            raise RuntimeError(response["error"])
        return response["result"]

    async def documents(self) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = await self.call("documents")
        return result

    async def wait_until(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10
    ) -> dict[str, Any]:
        """Poll the client's status until ``predicate(status)`` (node runs in another process,
        so there is nothing to subscribe to)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            status: dict[str, Any] = await self.call("status")
            if predicate(status):
                return status
            if loop.time() > deadline:
                raise TimeoutError(f"node client status stayed {status}")
            await asyncio.sleep(0.05)

    async def wait_for_documents(
        self, predicate: Callable[[dict[str, dict[str, Any]]], bool], timeout: float = 10
    ) -> dict[str, dict[str, Any]]:
        """Poll the client's documents until ``predicate(documents)``; returns them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            documents = await self.documents()
            if predicate(documents):
                return documents
            if loop.time() > deadline:
                raise TimeoutError("the tldraw client never saw the expected documents")
            await asyncio.sleep(0.05)

    async def synced(self, timeout: float = 10) -> None:
        """Wait until the client is connected with nothing unacknowledged."""
        await self.wait_until(
            lambda s: s["connected"] and s["pending"] == 0 and s["speculative"] == 0, timeout
        )


@contextlib.asynccontextmanager
async def node_sync_client(url: str) -> AsyncIterator[NodeSyncClient]:
    """Start a real tldraw client on the room at ``url`` and wait until it has loaded."""
    node = _require_node()
    process = await asyncio.create_subprocess_exec(
        node,
        str(INTEROP_DIR / "sync-client.mjs"),
        url,
        cwd=NODE_DIR,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    client = NodeSyncClient(process)
    try:
        await client.wait_until(lambda s: s["loaded"] and s["connected"])
        yield client
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.call("close"), 2)
        await _stop(process)


@contextlib.asynccontextmanager
async def tlsync_serve(port: int, db: Path) -> AsyncIterator[str]:
    """``tlsync serve`` (tldraw's schema) as a subprocess on ``port`` with the SQLite file
    ``db``; yields its ``ws://`` base URL once it listens; SIGTERM on exit."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tlsync",
        "serve",
        "--port",
        str(port),
        "--db",
        str(db),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        if "tlsync server on" not in line:
            raise RuntimeError(f"tlsync serve did not start: {line!r}")
        yield f"ws://127.0.0.1:{port}"
    finally:
        await _stop(process)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            await process.wait()
    if process.stdin is not None:
        process.stdin.close()
