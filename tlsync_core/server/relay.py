"""Relaying a client's websocket to the node that hosts its room (a cluster's non-owners).

Any node of a cluster serves any room: a client connected to a node that does not host its room
is relayed to the room's host (the address its lease advertises), never redirected.  The relay
opens a websocket to ``<address><path>`` with the client's own headers (so the host's auth hook
sees the same request) plus :data:`RELAYED_HEADER`, and then passes frames through both ways
until one side closes; the other side is closed with the same code and reason.  Frames from
the client are capped by this node's own listener (``max_frame_bytes``), frames from the host
are not (another node of the cluster; its ``connect`` message carries a whole room).  A host that
vanished without a close (killed, cut off) closes the client with 1012, a host that cannot be
reached with 1013: either way the client reconnects, and by then another node may host the
room.

A relayed connection is never relayed again: a node that receives one for a room it does not
host sends it away (1013), so a stale lease can never make two nodes relay to each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.connection import Connection
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from tlsync_core.server.transport import ROOM_MOVED, TRY_AGAIN_LATER

logger = logging.getLogger("tlsync_core.server.relay")

__all__ = ["RELAYED_HEADER", "relay_websocket"]

RELAYED_HEADER: Final = "x-tlsync-relayed"
"""The header that marks a relayed connection (its value: the relaying node's address)."""

#: Headers of the client's handshake that are the handshake itself, not the request's.
_HANDSHAKE_HEADERS: Final = frozenset(
    {
        "host",
        "upgrade",
        "connection",
        "content-length",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-accept",
        RELAYED_HEADER,
    }
)
#: Close codes a peer may not send (1005: none given, 1006: dropped, 1015: TLS failed).
_UNSENDABLE: Final = frozenset({1005, 1006, 1015})


async def relay_websocket(
    client: Connection,
    upstream_url: str,
    headers: list[tuple[str, str]],
    *,
    relayed_by: str,
    open_timeout: float = 5.0,
) -> None:
    """Pass ``client``'s frames to a websocket opened at ``upstream_url`` and back, until one
    side closes (see the module docstring); returns once both are closed."""
    forwarded = [(k, v) for k, v in headers if k.lower() not in _HANDSHAKE_HEADERS]
    forwarded.append((RELAYED_HEADER, relayed_by))
    try:
        upstream = await connect(
            upstream_url,
            additional_headers=forwarded,
            open_timeout=open_timeout,
            max_size=None,  # (a host's messages are as large as rooms: a connect hydrates one)
            compression=None,
            ping_interval=20,
            ping_timeout=20,
            user_agent_header=None,
        )
    except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as error:
        logger.warning("relay to %s failed: %s", upstream_url, error)
        await client.close(TRY_AGAIN_LATER, "room host unreachable: try again later")
        return
    try:
        await _pump_both_ways(client, upstream)
    finally:
        await upstream.close()
        await client.close()


async def _pump_both_ways(client: Connection, upstream: ClientConnection) -> None:
    loop = asyncio.get_running_loop()
    up = loop.create_task(_pump(client, upstream))
    down = loop.create_task(_pump(upstream, client))
    try:
        done, _pending = await asyncio.wait((up, down), return_when=asyncio.FIRST_COMPLETED)
        if up in done:  # the client closed: so does the relay, with its code
            await _close_like(upstream, client, fallback=1000)
        else:  # the host closed (or vanished: the client reconnects)
            await _close_like(client, upstream, fallback=ROOM_MOVED)
        await asyncio.wait((up, down))
    finally:
        for task in (up, down):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _pump(source: Connection, sink: Connection) -> None:
    """Send ``source``'s frames to ``sink`` until either closes."""
    with contextlib.suppress(ConnectionClosed):
        async for frame in source:
            await sink.send(frame)


async def _close_like(target: Connection, closed: Connection, *, fallback: int) -> None:
    """Close ``target`` with the code and reason ``closed`` was closed with."""
    code = closed.close_code
    if code is None or code in _UNSENDABLE:
        await target.close(fallback, "relay: the other side went away")
    else:
        await target.close(code, closed.close_reason or "")
