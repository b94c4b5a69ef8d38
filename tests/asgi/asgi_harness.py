"""Helpers for the ASGI tests: uvicorn in-process on a free port, raw protocol peers, HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import orjson
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tlsync_core.demo_schema import SHAPE, create_demo_schema
from tlsync_core.server.asgi import ASGIApp

SCHEMA = create_demo_schema()
#: options of our test bots: quick reconnects, and the demo schema the test servers use
FAST: dict[str, Any] = {"min_delay_ms": 20.0, "max_delay_ms": 100.0, "schema": SCHEMA}


def shape(suffix: str, x: float = 0) -> dict[str, Any]:
    return SHAPE.create(id=f"shape:{suffix}", x=x)


@contextlib.asynccontextmanager
async def uvicorn_serving(app: ASGIApp, **options: Any) -> AsyncIterator[str]:
    """Run ``app`` under uvicorn on this event loop; yields ``http://127.0.0.1:<port>``.

    Stops it on exit (uvicorn closes its websockets, then sends lifespan shutdown).
    """
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_config=None, log_level="warning", **options
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        if not server.started:
            raise RuntimeError("uvicorn did not start")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def ws_url(base: str, path: str) -> str:
    return base.replace("http://", "ws://", 1) + path


class Peer:
    """A raw protocol-8 client over a real websocket."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.clock = 0

    @classmethod
    async def join(cls, url: str) -> tuple[Peer, dict[str, Any]]:
        peer = cls(await connect(url, max_size=None))
        await peer.send(
            {
                "type": "connect",
                "connectRequestId": "r",
                "protocolVersion": 8,
                "lastServerClock": -1,
                "schema": SCHEMA.serialize(),
            }
        )
        return peer, await peer.recv()

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(orjson.dumps(message).decode())

    async def recv(self, timeout: float = 5) -> dict[str, Any]:
        message: dict[str, Any] = orjson.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        return message

    async def push(self, diff: dict[str, Any]) -> dict[str, Any]:
        await self.send({"type": "push", "clientClock": self.clock, "diff": diff})
        self.clock += 1
        while True:
            message = await self.recv()
            events = message["data"] if message["type"] == "data" else [message]
            for event in events:
                if event["type"] == "push_result":
                    return event

    async def closed(self) -> tuple[int | None, str | None]:
        with contextlib.suppress(ConnectionClosed, TimeoutError):
            while True:
                await asyncio.wait_for(self.ws.recv(), 5)
        return self.ws.close_code, self.ws.close_reason


async def http(url: str, method: str = "GET") -> tuple[int, bytes, dict[str, str]]:
    """An HTTP request from a thread (the server runs on this loop): status, body, headers
    (status 0 when nothing listens)."""

    def fetch() -> tuple[int, bytes, dict[str, str]]:
        request = urllib.request.Request(url, method=method)
        try:
            with urllib.request.urlopen(request, timeout=5) as reply:
                headers = {k.lower(): v for k, v in reply.headers.items()}
                return int(reply.status), bytes(reply.read()), headers
        except urllib.error.HTTPError as error:
            headers = {k.lower(): v for k, v in error.headers.items()}
            body = bytes(error.read())
            error.close()
            return int(error.code), body, headers
        except urllib.error.URLError:  # nothing listens there
            return 0, b"", {}

    return await asyncio.to_thread(fetch)
