"""``tlsync serve --workers N``: N server processes on one machine, sharing one port.

Each worker is ``python -m tlsync_core serve`` with the same options, listening on the shared
port with ``SO_REUSEPORT`` (the kernel spreads the connections over them) and on a private
port of its own, which it advertises with its room leases.  The workers are nodes of a cluster
like any other (:mod:`tlsync_core.server.cluster`): whichever worker a client reaches relays it
to the worker hosting its room.  That needs the leases, hence PostgreSQL.

The supervisor (this module) starts the workers, restarts one that dies (after a second: its
rooms move to the others once their leases expire, or at once when it stopped cleanly), and on
SIGINT or SIGTERM stops them all with SIGTERM (each hands its rooms over) and waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence

logger = logging.getLogger("tlsync_core.server.workers")

__all__ = ["WORKER_FLAG", "run_workers"]

#: The (hidden) option that makes ``tlsync serve`` one worker of ``--workers N``.
WORKER_FLAG = "--worker"

#: How long the supervisor waits before restarting a worker that died.
RESTART_DELAY = 1.0


async def run_workers(argv: Sequence[str], count: int) -> None:
    """Run ``count`` workers of ``tlsync serve`` with the options ``argv`` until SIGINT or
    SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    processes: dict[int, asyncio.subprocess.Process] = {}

    async def keep(index: int) -> None:
        while not stop.is_set():
            process = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "tlsync_core", *argv, "--workers", "1", WORKER_FLAG),
                stdin=asyncio.subprocess.DEVNULL,
            )
            processes[index] = process
            if stop.is_set():  # (stopped while it started: the others are terminated already)
                process.terminate()
            code = await process.wait()
            if stop.is_set():
                return
            logger.warning("worker %d exited with %s; restarting it", index, code)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RESTART_DELAY):
                    await stop.wait()

    keepers = [loop.create_task(keep(index)) for index in range(count)]
    try:
        await stop.wait()
    finally:
        for process in processes.values():
            if process.returncode is None:
                process.terminate()
        await asyncio.gather(*keepers, return_exceptions=True)
        for process in processes.values():
            await process.wait()
