"""A cluster of real ``tlsync serve`` processes on one PostgreSQL database, for fault tests.

:class:`Nodes` starts them (each on its own port, advertising it), signals them (``kill -9``,
SIGSTOP, SIGCONT, SIGTERM) and reads what PostgreSQL holds (leases, stored records).
:class:`Balancer` is a TCP load balancer in front of them (round robin, skipping a node that
refuses), and :class:`RawClient` a protocol-level client that sees acknowledgements and close
codes.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

import orjson
import psycopg
from serve_process import free_port, start_serve
from stored import stored_documents
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tlsync_core.demo_schema import SHAPE, create_demo_schema
from tlsync_core.protocol.codec import loads_frame, serialize_message
from tlsync_core.server.postgres import PostgresPersistence

SCHEMA = create_demo_schema()


class Nodes:
    """``count`` nodes of ``tlsync serve --db <url>`` (lease time to live ``ttl``)."""

    def __init__(self, url: str, log: IO[bytes], *, ttl: float) -> None:
        self.url = url
        self.log = log
        self.ttl = ttl
        self.ports: list[int] = []
        self.processes: list[asyncio.subprocess.Process] = []

    async def start(self, count: int) -> None:
        for _ in range(count):
            self.ports.append(free_port())
            self.processes.append(await self._spawn(self.ports[-1]))

    async def _spawn(self, port: int) -> asyncio.subprocess.Process:
        ttl = str(self.ttl)
        return await start_serve(
            port, self.url, self.log, "--lease-ttl", ttl, "--log-level", "INFO"
        )

    async def restart(self, index: int) -> None:
        """Start node ``index`` again (same port) after it died."""
        assert self.processes[index].returncode is not None
        self.processes[index] = await self._spawn(self.ports[index])

    def ws(self, index: int, room_id: str) -> str:
        return f"ws://127.0.0.1:{self.ports[index]}/connect/{room_id}"

    def index_of(self, address: str) -> int:
        return self.ports.index(int(address.rsplit(":", 1)[1]))

    def signal(self, index: int, sig: signal.Signals) -> None:
        self.processes[index].send_signal(sig)

    async def kill(self, index: int) -> None:
        self.signal(index, signal.SIGKILL)
        await self.processes[index].wait()

    def lease(self, room_id: str) -> tuple[str, int, bool] | None:
        """The room's lease: (address, epoch, live), or None."""
        with psycopg.connect(self.url) as conn:
            row = conn.execute(
                "SELECT address, epoch, expires_at > clock_timestamp() FROM tlsync.leases"
                " WHERE room_id = %s",
                (room_id,),
            ).fetchone()
        return None if row is None else (str(row[0]), int(row[1]), bool(row[2]))

    def stored_documents(self, room_id: str) -> dict[str, Any]:
        """The documents of ``room_id`` committed to PostgreSQL."""
        return stored_documents(PostgresPersistence(self.url), room_id)

    def stored_ids(self, room_id: str) -> set[str]:
        """The records of ``room_id`` committed to PostgreSQL (but the demo room's own)."""
        return set(self.stored_documents(room_id)) - {"document:document", "page:page"}

    async def close(self) -> None:
        """Kill every node still running (a frozen one is woken first, to die)."""
        for process in self.processes:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGCONT)
                    process.kill()
                await process.wait()


@contextlib.asynccontextmanager
async def running_nodes(
    url: str, tmp_path: Path, count: int, *, ttl: float
) -> AsyncIterator[Nodes]:
    """``count`` nodes on ``url`` (their log in ``tmp_path/nodes.log``), killed on exit."""
    with (tmp_path / "nodes.log").open("wb") as log:
        nodes = Nodes(url, log, ttl=ttl)
        try:
            await nodes.start(count)
            yield nodes
        finally:
            await nodes.close()


class Balancer:
    """A TCP load balancer on a free port: each connection goes to the next node in turn that
    accepts it (a killed node refuses, and is skipped)."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.port = 0
        self._turn = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def ws(self, room_id: str) -> str:
        return f"ws://127.0.0.1:{self.port}/connect/{room_id}"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._turn += 1
        for step in range(len(self.ports)):
            port = self.ports[(self._turn + step) % len(self.ports)]
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                continue
            pipes = [
                asyncio.create_task(_pipe(reader, up_writer)),
                asyncio.create_task(_pipe(up_reader, writer)),
            ]
            self._pipes.update(pipes)
            try:
                await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in pipes:
                    task.cancel()
                    self._pipes.discard(task)
                await asyncio.gather(*pipes, return_exceptions=True)
                up_writer.close()
            break
        writer.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()


class RawClient:
    """A protocol-level client of one room: pushes shapes, sees acknowledgements and closes."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.acknowledged: set[int] = set()
        self.documents: set[str] = set()

    @classmethod
    async def join(cls, url: str) -> RawClient:
        ws = await connect(url, max_size=None)
        hello = {
            "type": "connect",
            "connectRequestId": "r",
            "protocolVersion": 8,
            "lastServerClock": -1,
            "schema": SCHEMA.serialize(),
        }
        await ws.send(serialize_message(hello))
        client = cls(ws)
        client._read(loads_frame(await asyncio.wait_for(ws.recv(), 10)))
        return client

    def _read(self, message: dict[str, Any]) -> None:
        for event in message["data"] if message["type"] == "data" else [message]:
            if event["type"] == "push_result" and event["action"] == "commit":
                self.acknowledged.add(event["clientClock"])
            if event["type"] in ("patch", "connect"):
                self.documents.update(k for k in event["diff"] if k.startswith("shape:"))

    async def send_push(self, n: int) -> None:
        """Push the shape ``shape:<n>`` (client clock ``n``) without waiting for anything."""
        record = SHAPE.create(id=f"shape:{n}", x=n)
        push = {"type": "push", "clientClock": n, "diff": {f"shape:{n}": ["put", record]}}
        await self.ws.send(serialize_message(push))

    async def push(self, n: int) -> None:
        """Push ``shape:<n>`` and wait (bounded) for its acknowledgement (then it holds it)."""
        await self.send_push(n)
        async with asyncio.timeout(10):
            while n not in self.acknowledged:
                await self.read()
        self.documents.add(f"shape:{n}")

    async def read(self) -> None:
        """Read one frame."""
        self._read(loads_frame(await self.ws.recv()))

    async def until_closed(self, timeout: float) -> int | None:
        """Read everything until the server closes; its close code."""
        async with asyncio.timeout(timeout):
            with contextlib.suppress(ConnectionClosed):
                while True:
                    await self.read()
        return self.ws.close_code

    async def close(self) -> None:
        await self.ws.close()


def http_json(url: str) -> Any:
    """GET ``url``'s JSON body."""
    with urllib.request.urlopen(url, timeout=10) as reply:
        return orjson.loads(reply.read())
