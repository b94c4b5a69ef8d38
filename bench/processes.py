"""What the server benchmarks share: server subprocesses, /proc measurements and raw sessions.

``bench.fanout`` and ``bench.load`` start the server under test as a subprocess, fresh for every
measurement (``tlsync``: ``python -m tlsync_core serve`` on a SQLite file; ``tlsync-memory``:
``python -m bench.fanout_server``; ``node``: ``node bench/node/fanout-server.mjs``, the
``TLSocketRoom`` of @tldraw/sync-core 5.4.2). The server's CPU time and RSS are its own, read from
``/proc/<pid>``. The load comes from raw protocol-8 websocket sessions in the benchmark's
process (:class:`Session`): ``websockets`` and ``orjson``, no sync client. Everything listens on
127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.records import geo_props, shape_record
from bench.runner import NODE_DIR
from tlsync_core.schemas import resolve_schema

TLSYNC = "tlsync"
TLSYNC_MEMORY = "tlsync-memory"
NODE = "node"
SERVERS = (TLSYNC, TLSYNC_MEMORY, NODE)
LABELS = {
    TLSYNC: "tlsync (SQLite)",
    TLSYNC_MEMORY: "tlsync (memory)",
    NODE: "@tldraw/sync-core",
}
NODE_PACKAGE = "@tldraw/sync-core"
TLDRAW = "tldraw"
DEMO = "demo"
#: the schemas a server can host: tldraw 5.4.2's full schema (validated on both sides), or the
#: demo schema (document, page, shape, instance_presence; the node side validates nothing)
SCHEMAS = (TLDRAW, DEMO)
#: the longest wait for one phase of a run (a handshake, a push result, every delivery)
PHASE_TIMEOUT_S = 60.0
#: servers that had to be killed (printed as notes)
KILLED: list[str] = []


class BenchError(Exception):
    """A run went wrong (a server did not start, a client saw a wrong message, a timeout)."""


def now_ms() -> float:
    """The clock of send timestamps and receive times (CLOCK_MONOTONIC, shared by processes)."""
    return time.monotonic() * 1000.0


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of sorted values."""
    if not ordered:
        return 0.0
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


# --------------------------------------------------------------------------------------------
# the servers
# --------------------------------------------------------------------------------------------


@dataclass
class ServerProcess:
    """A running server subprocess: where it listens and its pid (for CPU time and RSS)."""

    name: str
    process: asyncio.subprocess.Process
    port: int
    stderr: IO[bytes]
    workdir: tempfile.TemporaryDirectory[str]
    schema: str = DEMO

    @property
    def pid(self) -> int:
        return self.process.pid

    def url(self, room: str) -> str:
        return f"ws://127.0.0.1:{self.port}/connect/{room}"

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit within 5 s (noted in :data:`KILLED`).

        It first waits half a second, so that the server has handled the clients' closes:
        ``TLSyncServer.close()`` can hang when a session closes while it shuts down (its room
        timer's ``asyncio.wait_for`` swallows the cancellation on Python 3.11; see
        bench/README.md).
        """
        if self.process.returncode is None:
            await asyncio.sleep(0.5)
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 5)
            except TimeoutError:
                KILLED.append(f"{LABELS[self.name]} did not exit on SIGTERM within 5 s: killed")
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        self.stderr.close()
        self.workdir.cleanup()


_PORT_LINE = re.compile(r"ws://[^:/]+:(\d+)/|\"port\":\s*(\d+)")


async def start_server(name: str, *options: str, schema: str = DEMO) -> ServerProcess:
    """Start one server on a free port of 127.0.0.1 hosting ``schema`` (one of :data:`SCHEMAS`)
    and wait until it says where it listens (``options``: more options of ``tlsync serve``)."""
    workdir = tempfile.TemporaryDirectory(prefix="tlsync-fanout-")
    env = dict(os.environ)
    if name == TLSYNC:
        db = Path(workdir.name) / "rooms.sqlite"
        command = [sys.executable, "-m", "tlsync_core", "serve", "--port", "0", "--db", str(db)]
        command += ["--schema", schema, *options]
        cwd = None
    elif name == TLSYNC_MEMORY:
        command = [sys.executable, "-m", "bench.fanout_server", "--port", "0", "--schema", schema]
        cwd = None
    elif name == NODE:
        node = shutil.which("node") or "node"
        command = [node, "fanout-server.mjs", "--port", "0", "--schema", schema]
        cwd = str(NODE_DIR)
        env["NODE_ENV"] = "production"
    else:
        raise ValueError(f"unknown server {name!r}")
    stderr = (Path(workdir.name) / "stderr.log").open("w+b")
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
    )
    server = ServerProcess(name, process, 0, stderr, workdir, schema)
    assert process.stdout is not None
    try:
        deadline = time.monotonic() + 30
        while True:
            line = await asyncio.wait_for(process.stdout.readline(), deadline - time.monotonic())
            if not line:
                raise BenchError(f"{name} exited before listening: {server_stderr(server)}")
            match = _PORT_LINE.search(line.decode(errors="replace"))
            if match:
                server.port = int(match.group(1) or match.group(2))
                break
    except (TimeoutError, BenchError):
        await server.stop()
        raise
    # the rest of its stdout (a line at shutdown) must not fill the pipe
    asyncio.get_running_loop().create_task(_drain(process.stdout))
    return server


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.read(65536):
        pass


def server_stderr(server: ServerProcess) -> str:
    """The last lines the server wrote to stderr (for error messages)."""
    server.stderr.flush()
    server.stderr.seek(0)
    lines = server.stderr.read().decode(errors="replace").strip().splitlines()
    return " | ".join(lines[-5:]) or "(no stderr)"


# --------------------------------------------------------------------------------------------
# /proc measurements
# --------------------------------------------------------------------------------------------

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (``/proc/<pid>/stat``)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def rss_kib(pid: int) -> int:
    """The process's resident set size, ``VmRSS`` in ``/proc/<pid>/status``, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise BenchError(f"no VmRSS for pid {pid}")


def peak_rss_kib(pid: int) -> int:
    """The process's peak resident set size so far, ``VmHWM``, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise BenchError(f"no VmHWM for pid {pid}")


class CpuWindow:
    """The CPU a process uses from now on, as CPU seconds / wall seconds of a window (``pid``
    None: no process, a share of 0)."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.start = cpu_seconds(pid) if pid else 0.0

    def share(self, wall_s: float) -> float:
        """The CPU seconds since the start of the window, divided by its ``wall_s``."""
        return (cpu_seconds(self.pid) - self.start) / wall_s if self.pid else 0.0


# --------------------------------------------------------------------------------------------
# the sessions
# --------------------------------------------------------------------------------------------


@functools.cache
def client_schema(schema: str) -> dict[str, Any]:
    """The serialized schema every session announces for ``schema`` (both servers serialize
    theirs to exactly this)."""
    return dict(resolve_schema(schema).serialize())


def geo_shape(shape_id: str, schema: str = DEMO) -> dict[str, Any]:
    """The shape a session creates: a geo shape at 0, 0 (on the tldraw schema a full tldraw
    5.4.2 record, every prop present; on the demo schema, whose props nobody validates, w and h).
    """
    if schema == TLDRAW:
        return shape_record(shape_id, "geo", geo_props(100, 100), x=0, y=0, index="a1")
    return {
        "id": shape_id,
        "typeName": "shape",
        "type": "geo",
        "parentId": "page:page",
        "index": "a1",
        "x": 0,
        "y": 0,
        "rotation": 0,
        "props": {"w": 100, "h": 100},
        "meta": {},
    }


async def open_session(url: str, request_id: str, who: str, schema: str = DEMO) -> ClientConnection:
    """Open a websocket to ``url`` and do the protocol-8 handshake announcing ``schema`` (``who``
    names the session in errors); the socket is closed again if the handshake fails."""
    ws = await connect(url, max_size=None, compression=None, ping_interval=None)
    try:
        await ws.send(
            orjson.dumps(
                {
                    "type": "connect",
                    "connectRequestId": request_id,
                    "protocolVersion": 8,
                    "lastServerClock": -1,
                    "schema": client_schema(schema),
                }
            ),
            text=True,
        )
        hello = orjson.loads(await asyncio.wait_for(ws.recv(), PHASE_TIMEOUT_S))
        if hello.get("type") != "connect" or hello.get("protocolVersion") != 8:
            raise BenchError(f"{who}: unexpected handshake reply {hello!r:.200}")
    except BaseException:
        await ws.close()
        raise
    return ws


class Session:
    """A raw protocol-8 session after its handshake: its push clock, the push awaiting its
    result, and a reader (:meth:`start`) that hands every event the server sends, with its
    receive time, to :meth:`on_event`. ``who`` names it in ``errors``."""

    def __init__(self, ws: ClientConnection, who: str, errors: list[str]) -> None:
        self.ws = ws
        self.who = who
        self.errors = errors
        self.clock = 0
        self.pending: asyncio.Future[dict[str, Any]] | None = None
        self.closing = False
        self.tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start reading."""
        self.tasks.append(asyncio.get_running_loop().create_task(self._read()))

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(orjson.dumps(message), text=True)

    async def send_push(self, diff: dict[str, Any]) -> None:
        """Push ``diff`` with the next client clock (not waiting for its result)."""
        message = {"type": "push", "clientClock": self.clock, "diff": diff}
        self.clock += 1
        await self.send(message)

    async def push(self, diff: dict[str, Any]) -> dict[str, Any]:
        """Push ``diff`` and wait for its ``push_result``."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending = future
        await self.send_push(diff)
        return await future

    def resolve(self, event: dict[str, Any]) -> bool:
        """Hand a ``push_result`` to the push awaiting it (False if none is)."""
        future, self.pending = self.pending, None
        if future is None:
            return False
        if not future.done():
            future.set_result(event)
        return True

    def on_event(self, event: dict[str, Any], received: float) -> None:
        """One event from the server (a ``data`` message's events come one by one)."""
        raise NotImplementedError

    async def after_frame(self) -> None:
        """Called by the reader once a frame's events are handled, before it reads the next
        frame: a subclass may send from here without a task switch. Does nothing by default."""

    def on_closed(self) -> None:
        """The reader stopped: a push still waiting fails."""
        if self.pending is not None and not self.pending.done():
            self.pending.set_exception(BenchError(f"{self.who}: connection closed"))

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                received = now_ms()
                message = orjson.loads(frame)
                events = message["data"] if message.get("type") == "data" else [message]
                for event in events:
                    self.on_event(event, received)
                await self.after_frame()
        except ConnectionClosed:
            pass
        except Exception as error:  # a bug here must fail the run, not vanish
            self.errors.append(f"{self.who}: {error!r}")
        finally:
            self.on_closed()

    async def close(self) -> None:
        """Stop the session's tasks, then close its socket (waiting at most 5 s)."""
        self.closing = True
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 5)
