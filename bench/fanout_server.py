"""Our server with in-memory persistence, for the fan-out benchmark (``bench/fanout.py``).

``python -m bench.fanout_server [--port P] [--schema tldraw|demo]`` runs :class:`TLSyncServer`
on that schema (tldraw by default) with :class:`MemoryPersistence` (the same server as
``tlsync serve``, minus SQLite), prints
``{"port": P, "pid": ...}`` on one stdout line once listening, and stops on SIGTERM / SIGINT.
Like ``@tldraw/sync-core``'s default ``InMemorySyncStorage``, nothing is written to disk.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
from collections.abc import Sequence

from tlsync_core.schemas import resolve_schema
from tlsync_core.server import MemoryPersistence, TLSyncServer


async def serve(host: str, port: int, schema: str) -> None:
    """Run the server until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with TLSyncServer(
        schema=resolve_schema(schema), persistence=MemoryPersistence(), host=host, port=port
    ) as server:
        print(json.dumps({"port": server.port, "pid": os.getpid()}), flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout_server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--schema", choices=("tldraw", "demo"), default="tldraw")
    args = parser.parse_args(argv)
    logging.basicConfig(level="WARNING", format="%(asctime)s %(name)s %(message)s")
    asyncio.run(serve(args.host, args.port, args.schema))


if __name__ == "__main__":
    main()
