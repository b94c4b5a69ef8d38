"""``python -m tlsync_core serve`` as a real subprocess, for tests that need a whole server
process: killing it, or reading its memory (RSS) from ``/proc``."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from pathlib import Path
from typing import IO


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def start_serve(
    port: int, db: Path | str, log: IO[bytes], *options: str
) -> asyncio.subprocess.Process:
    """``python -m tlsync_core serve`` (the demo schema, plus ``options``) on ``port`` and
    ``db`` (a SQLite file or a PostgreSQL URL), once it accepts connections."""
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "tlsync_core", "serve", "--schema", "demo"),
        *("--port", str(port), "--db", str(db), *options),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
    )
    for _ in range(200):
        with contextlib.suppress(OSError):
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            await writer.wait_closed()
            return process
        await asyncio.sleep(0.05)
    process.kill()
    await process.wait()
    raise TimeoutError(f"tlsync serve did not listen on {port}")


async def stop_serve(process: asyncio.subprocess.Process) -> None:
    """SIGTERM (a clean shutdown), SIGKILL if that takes over 10 s."""
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()


def memory_kb(pid: int) -> tuple[int, int]:
    """The process's resident memory now and its peak so far (``VmRSS``, ``VmHWM``), in kB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])
