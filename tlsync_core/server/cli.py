"""``tlsync serve``: run a room server (SQLite by default), optionally with a demo bot.

The demo bot is a client, and the server package never imports the client package: the
``tlsync`` command (:mod:`tlsync_client.cli`) passes it in as ``demo_bot``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import signal
import sqlite3
import sys
import uuid
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

from tlsync_core.schemas import resolve_schema
from tlsync_core.server.cluster import LeaseKeeper
from tlsync_core.server.leases import RoomLeases
from tlsync_core.server.limits import ServerLimits
from tlsync_core.server.memory_budget import DEFAULT_MEMORY_BUDGET
from tlsync_core.server.persistence import RoomPersistence, SQLitePersistence
from tlsync_core.server.postgres import PostgresPersistence, is_postgres_url
from tlsync_core.server.websockets_server import TLSyncServer
from tlsync_core.server.workers import WORKER_FLAG, run_workers
from tlsync_core.store import StoreSchema
from tlsync_core.views.editor_bundle import bundle_version

logger = logging.getLogger("tlsync_core.server")


class DemoBot(Protocol):
    """What ``--demo`` runs: joins the room at ``url`` and draws until cancelled."""

    def __call__(
        self, url: str, *, interval: float, report: Callable[[str], None]
    ) -> Coroutine[Any, Any, None]: ...


def _load_schema(spec: str | None) -> StoreSchema:
    """The ``--schema`` option's schema; a bad one ends the command with its reason."""
    try:
        return resolve_schema(spec)
    except (ValueError, TypeError) as error:
        raise SystemExit(f"tlsync serve --schema: {error}") from None


def _open_storage(args: argparse.Namespace) -> tuple[RoomPersistence, LeaseKeeper | None, str]:
    """The ``--db`` option's storage, the cluster's leases (PostgreSQL only; their address is
    set once the server listens: :func:`_advertised`) and how to name the storage: a
    ``postgresql://`` URL is PostgreSQL, anything else a SQLite file.  A database it cannot
    open ends the command with the reason."""
    db: str = args.db
    if not is_postgres_url(db):
        try:
            return SQLitePersistence(db), None, f"SQLite: {db}"
        except (sqlite3.Error, OSError) as error:
            raise SystemExit(
                f"tlsync serve --db: cannot open the SQLite database {db}: {error}"
                " (does its directory exist, and may this user write there?)"
            ) from None
    parts = urlsplit(db)
    shown = db if parts.password is None else db.replace(f":{parts.password}@", ":***@", 1)
    try:
        node = f"{args.host} {uuid.uuid4().hex[:12]}"
        leases = RoomLeases(db, node=node, address=args.advertise or "", ttl=args.lease_ttl)
        keeper = LeaseKeeper(leases)
        persistence = PostgresPersistence(
            db, fence=keeper.fence, idle_in_transaction_timeout=args.lease_ttl
        )
        return persistence, keeper, f"PostgreSQL: {shown}"
    except ImportError as error:
        raise SystemExit(f"tlsync serve --db: {error}") from None
    except Exception as error:  # (psycopg's errors; psycopg is an optional dependency)
        reason = str(error).strip() or type(error).__name__
        raise SystemExit(
            f"tlsync serve --db: cannot reach PostgreSQL at {shown}: {reason}"
        ) from None


def _advertised(args: argparse.Namespace, server: TLSyncServer) -> str:
    """Where the other nodes relay this node's rooms' clients: ``--advertise``, else where it
    listens; a worker of ``--workers N`` gives its private port (the shared one reaches any)."""
    if server.private_port is None:
        return str(args.advertise or server.url)
    host = urlsplit(args.advertise).hostname if args.advertise else args.host
    return f"ws://{host}:{server.private_port}"


async def serve(args: argparse.Namespace, demo_bot: DemoBot | None = None) -> None:
    persistence, cluster, storage_name = _open_storage(args)
    server = TLSyncServer(
        schema=_load_schema(args.schema),
        persistence=persistence,
        host=args.host,
        port=args.port,
        limits=ServerLimits(memory_budget_bytes=args.memory_budget * 1024 * 1024),
        cluster=cluster,
        reuse_port=args.worker,
        private_port=0 if args.worker else None,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    server.tldraw_license_key = args.tldraw_license_key or None
    await server.start()
    # what exists now (modules, the schema and its validators) lives as long as the process:
    # frozen, the collector's full passes stop re-scanning it (each was a ~20 ms stall of every
    # session at once on a fresh server; bench/README.md, "Fan-out benchmark")
    gc.collect()
    gc.freeze()
    if cluster is not None:
        cluster.leases.address = _advertised(args, server)
        storage_name += f", advertised as {cluster.address}"
        if urlsplit(cluster.address).hostname in ("0.0.0.0", "::"):
            logger.warning(
                "other nodes cannot reach %s: give --advertise ws://<this node's address>:PORT",
                cluster.address,
            )
    print(f"tlsync server on {server.url}/connect/<room-id> ({storage_name})", flush=True)
    print(f"health: http://{args.host}:{server.port}/healthz", flush=True)
    bot: asyncio.Task[None] | None = None
    if args.demo and demo_bot is not None:
        http = f"http://{args.host}:{server.port}"
        missing = "" if bundle_version() else " (not built: run scripts/build-editor)"
        print(f"demo room, tldraw editor: {http}/rooms/{args.demo}{missing}", flush=True)
        print(f"demo room, SVG live view: {http}/rooms/{args.demo}/view", flush=True)
        print(
            f"demo room, websocket for a tldraw app: {server.url}/connect/{args.demo}", flush=True
        )
        print(f"demo room, snapshot: {http}/rooms/{args.demo}/snapshot", flush=True)
        url = f"{server.url}/connect/{args.demo}"
        bot = asyncio.create_task(demo_bot(url, interval=args.demo_interval, report=_print_flushed))
    try:
        await stop.wait()
    finally:
        print("shutting down...", flush=True)
        if bot is not None:
            bot.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await bot
        await server.close()
        print("stopped.", flush=True)


def _print_flushed(line: str) -> None:
    print(line, flush=True)


def main(argv: Sequence[str] | None = None, *, demo_bot: DemoBot | None = None) -> None:
    """Parse the command line and serve until SIGINT or SIGTERM (``--demo`` needs ``demo_bot``)."""
    parser = argparse.ArgumentParser(prog="tlsync", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="run a room server")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=5858)
    serve_parser.add_argument(
        "--db",
        default="tlsync.sqlite",
        help="SQLite file (created if missing), or a postgresql://USER@HOST:PORT/DB URL",
    )
    serve_parser.add_argument(
        "--schema", help="tldraw (default), demo, or module:function giving a StoreSchema"
    )
    serve_parser.add_argument(
        "--tldraw-license-key",
        default=os.environ.get("TLDRAW_LICENSE_KEY"),
        metavar="KEY",
        help="the tldraw license key the editor page (/rooms/<id>) hands to tldraw "
        "(default: $TLDRAW_LICENSE_KEY; without one tldraw shows its license notice)",
    )
    serve_parser.add_argument(
        "--memory-budget",
        type=int,
        default=DEFAULT_MEMORY_BUDGET // (1024 * 1024),
        metavar="MIB",
        help="MiB the server may hold for its clients, all together (default %(default)s)",
    )
    serve_parser.add_argument(
        "--advertise",
        metavar="ws://HOST:PORT",
        help="with PostgreSQL: where the other nodes relay this node's rooms' clients"
        " (default ws://HOST:PORT from --host and --port)",
    )
    serve_parser.add_argument(
        "--lease-ttl",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="with PostgreSQL: a room's lease time to live; a frozen node's rooms move after it"
        " (default %(default)s)",
    )
    serve_parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="run N server processes sharing the port (SO_REUSEPORT); needs PostgreSQL",
    )
    serve_parser.add_argument(WORKER_FLAG, action="store_true", help=argparse.SUPPRESS)
    serve_parser.add_argument("--demo", metavar="ROOM", help="run a demo bot drawing in ROOM")
    serve_parser.add_argument("--demo-interval", type=float, default=1.0)
    serve_parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    if args.demo and demo_bot is None:
        parser.error("--demo: no demo bot here; run the tlsync command (python -m tlsync_client)")
    if args.lease_ttl <= 0:
        parser.error(f"--lease-ttl must be positive, not {args.lease_ttl}")
    if args.advertise is not None:
        parts = urlsplit(args.advertise)
        if parts.scheme not in ("ws", "wss") or not parts.hostname or parts.path not in ("", "/"):
            parser.error(f"--advertise must be ws://HOST:PORT (or wss://), not {args.advertise!r}")
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, not {args.workers}")
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    if args.workers > 1:
        if not is_postgres_url(args.db):
            parser.error(
                "--workers N needs PostgreSQL (--db postgresql://...): the workers"
                " share rooms through its leases; SQLite serves one process"
            )
        if args.demo:
            parser.error("--demo runs in a single process: leave out --workers")
        if args.port == 0:
            parser.error("--workers N share one port: give it (--port 0 would give each its own)")
        # (reach the database once here, to fail with the reason rather than N times)
        persistence, cluster, _name = _open_storage(args)
        persistence.close()
        assert cluster is not None
        cluster.leases.close()
        asyncio.run(run_workers(sys.argv[1:] if argv is None else list(argv), args.workers))
        return
    asyncio.run(serve(args, demo_bot))  # the application entry point owns its event loop
