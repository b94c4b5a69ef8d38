"""``tlsync serve``: run a room server (SQLite by default), optionally with a demo bot."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import random
import signal
from collections.abc import Sequence

from tlsync_core.room.room import StoreContext
from tlsync_core.server.demo_schema import SHAPE, create_demo_schema
from tlsync_core.server.persistence import SQLitePersistence
from tlsync_core.server.server import TLSyncServer
from tlsync_core.store import StoreSchema

logger = logging.getLogger("tlsync_core.server")


def _load_schema(spec: str | None) -> StoreSchema:
    """``module:function`` returning a StoreSchema, or the built-in schema."""
    if not spec:
        return create_demo_schema()
    module_name, _, attribute = spec.partition(":")
    factory = getattr(importlib.import_module(module_name), attribute or "create_schema")
    schema = factory() if callable(factory) else factory
    if not isinstance(schema, StoreSchema):
        raise SystemExit(f"--schema {spec} did not give a StoreSchema")
    return schema


async def _demo_bot(server: TLSyncServer, room_id: str, interval: float) -> None:
    """Keep drawing in ``room_id`` from the server side, so there is always something to see."""
    rng = random.Random()
    colors = ["black", "blue", "green", "orange", "red", "violet"]
    step = 0
    while True:
        step += 1
        entry = server.get_room_for_id(room_id) or server._room(room_id)
        shape_id = f"shape:demo-{step % 6}"
        color = rng.choice(colors)
        x, y = rng.randint(0, 800), rng.randint(0, 500)

        def draw(
            store: StoreContext,
            shape_id: str = shape_id,
            color: str = color,
            position: tuple[int, int] = (x, y),
        ) -> None:
            base = store.get(shape_id) or SHAPE.create(id=shape_id, props={"w": 120, "h": 80})
            store.put(
                {
                    **base,
                    "x": position[0],
                    "y": position[1],
                    "props": {**base["props"], "color": color},
                }
            )

        entry.room.update_store(draw)
        sessions = len(entry.room.sessions)
        print(
            f"demo bot: {shape_id} -> ({x}, {y}) {color}; room clock {entry.room.clock},"
            f" {sessions} session(s) connected",
            flush=True,
        )
        await asyncio.sleep(interval)


async def serve(args: argparse.Namespace) -> None:
    server = TLSyncServer(
        schema=_load_schema(args.schema),
        persistence=SQLitePersistence(args.db),
        host=args.host,
        port=args.port,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await server.start()
    print(f"tlsync server on {server.url}/connect/<room-id> (SQLite: {args.db})", flush=True)
    print(f"health: http://{args.host}:{server.port}/healthz", flush=True)
    bot: asyncio.Task[None] | None = None
    if args.demo:
        print(f"demo room: {server.url}/connect/{args.demo}", flush=True)
        print(
            f"its snapshot: http://{args.host}:{server.port}/rooms/{args.demo}/snapshot", flush=True
        )
        bot = asyncio.create_task(_demo_bot(server, args.demo, args.demo_interval))
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


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="tlsync", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="run a room server")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=5858)
    serve_parser.add_argument(
        "--db", default="tlsync.sqlite", help="SQLite file (created if missing)"
    )
    serve_parser.add_argument("--schema", help="module:function giving a StoreSchema")
    serve_parser.add_argument("--demo", metavar="ROOM", help="run a demo bot drawing in ROOM")
    serve_parser.add_argument("--demo-interval", type=float, default=1.0)
    serve_parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    asyncio.run(serve(args))  # the application entry point owns its event loop


if __name__ == "__main__":
    main()
