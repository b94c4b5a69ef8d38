"""How the server's messages reach a session's socket (SRV10): straight into the socket's
buffer while nothing waits before them, through the session's writer task once the peer falls
behind, and in order either way.  Real server, real loopback websockets, real SQLite."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest
from raw_messages import connect_request
from websockets.asyncio.client import connect

from tlsync_core.demo_schema import SHAPE, create_demo_schema
from tlsync_core.server import ServerLimits, SQLitePersistence, TLSyncServer
from tlsync_core.server.memory_budget import MemoryBudget
from tlsync_core.server.outbox import BroadcastEncoder, SessionOutbox
from tlsync_core.server.websockets_server import WebsocketsTransport

SCHEMA = create_demo_schema()
LONG_TEXT = "x" * 200_000  # a patch of about 200 KB: a few fill the sockets' buffers


def connect_message() -> str:
    return orjson.dumps(connect_request(SCHEMA.serialize())).decode()


def push(clock: int, record_id: str, x: int) -> str:
    record = SHAPE.create(id=record_id, x=x, props={"text": LONG_TEXT})
    return orjson.dumps(
        {"type": "push", "clientClock": clock, "diff": {record_id: ["put", record]}}
    ).decode()


def events(frame: str | bytes) -> list[dict[str, Any]]:
    message = orjson.loads(frame)
    found: list[dict[str, Any]] = message["data"] if message["type"] == "data" else [message]
    return found


@pytest.mark.spec("SRV10")
async def test_patches_reach_a_reader_that_fell_behind_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader stops reading while 30 pushes of 200 KB each are broadcast to it, then reads
    on while 30 more are: it gets every patch exactly once and in clock order.  Both send paths
    ran: frames went straight to its socket before its buffers filled, and through the writer
    task after, and none went straight past those still queued."""
    outcomes: list[bool] = []
    send_now = WebsocketsTransport.send_now

    def observed(self: WebsocketsTransport, text: str) -> bool:
        sent = send_now(self, text)
        outcomes.append(sent)
        return sent

    monkeypatch.setattr(WebsocketsTransport, "send_now", observed)
    async with TLSyncServer(
        schema=SCHEMA, persistence=SQLitePersistence(tmp_path / "rooms.sqlite"), port=0
    ) as server:
        url = f"{server.url}/connect/behind"
        # (a small queue and read buffer: the client stops reading from the socket early)
        async with (
            connect(url, max_size=None, max_queue=1) as reader,
            connect(url, max_size=None) as writer,
        ):
            await reader.send(connect_message())
            await writer.send(connect_message())
            assert events(await reader.recv())[0]["type"] == "connect"
            assert events(await writer.recv())[0]["type"] == "connect"
            seen: list[tuple[int, str]] = []

            async def read_all() -> None:
                while len(seen) < 60:
                    for event in events(await asyncio.wait_for(reader.recv(), 10)):
                        assert event["type"] == "patch"
                        seen.extend((event["serverClock"], rid) for rid in event["diff"])

            reader.transport.pause_reading()
            reading: asyncio.Task[None] | None = None
            for n in range(60):
                if n == 30:  # (the reader catches up while the rest is pushed)
                    assert False in outcomes  # (its buffers filled: frames were queued)
                    reader.transport.resume_reading()
                    reading = asyncio.create_task(read_all())
                await writer.send(push(n, f"shape:{n}", n))
                while not any(e["type"] == "push_result" for e in events(await writer.recv())):
                    pass
            assert reading is not None
            await reading
    assert [rid for _, rid in seen] == [f"shape:{n}" for n in range(60)]
    assert [clock for clock, _ in seen] == sorted(clock for clock, _ in seen)
    assert True in outcomes  # (and frames went straight to sockets that kept up)


@pytest.mark.spec("SRV10")
async def test_a_closed_connection_takes_nothing_straight_away(tmp_path: Path) -> None:
    """Once its peer closed, a session's transport refuses a direct send (the frame would go
    nowhere): the outbox leaves it to the writer, which finds the connection gone."""
    transports: list[WebsocketsTransport] = []
    async with TLSyncServer(
        schema=SCHEMA, persistence=SQLitePersistence(tmp_path / "rooms.sqlite"), port=0
    ) as server:
        serve = server.handle_connection

        async def handle(ws: Any, room_id: str) -> None:
            transports.append(WebsocketsTransport(ws, 1.0, 1.0))
            await serve(ws, room_id)

        server.handle_connection = handle  # type: ignore[method-assign]
        async with connect(f"{server.url}/connect/gone") as client:
            await client.send(connect_message())
            await client.recv()
            (transport,) = transports
            assert transport.send_now('{"type":"pong"}')
            assert (await client.recv()) == '{"type":"pong"}'
        await transport.connection.wait_closed()
        assert not transport.send_now('{"type":"pong"}')


class SlowPeer:
    """A session transport whose peer reads only when told: ``send_now`` takes a frame only
    while ``writable``; ``send`` waits for ``read``.  ``frames`` is what the peer got, in order."""

    def __init__(self) -> None:
        self.writable = True
        self.frames: list[str] = []
        self.read = asyncio.Event()

    def send_now(self, text: str) -> bool:
        if self.writable:
            self.frames.append(text)
        return self.writable

    async def send(self, text: str) -> None:
        await self.read.wait()
        self.frames.append(text)

    async def receive(self) -> str | bytes | None:
        return None

    async def close(self, code: int, reason: str) -> None:
        pass


@pytest.mark.spec("SRV10")
async def test_a_message_never_goes_straight_past_one_being_sent() -> None:
    """While the writer waits for the peer to take a queued message, a later message is queued
    behind it even though the transport could take it at once: the peer gets them in order."""
    peer = SlowPeer()
    outbox = SessionOutbox(peer, ServerLimits(), MemoryBudget(), BroadcastEncoder())
    outbox.send_message({"type": "pong"})  # (straight through)
    peer.writable = False
    outbox.send_message({"type": "custom", "data": 1})  # (queued: the writer sends it)
    await asyncio.sleep(0)  # (the writer is now waiting for the peer to read)
    peer.writable = True
    outbox.send_message({"type": "custom", "data": 2})
    peer.read.set()
    outbox.close()
    await asyncio.wait_for(outbox.writer, 2)
    assert [orjson.loads(f).get("data") for f in peer.frames] == [None, 1, 2]
