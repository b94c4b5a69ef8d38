"""One accepted websocket as the host sees it, whichever front end accepted it.

A front end implements :class:`SessionTransport` over its connection type (``websockets``'
connection, an ASGI ``receive``/``send`` pair) and hands it to
:meth:`~tlsync_core.server.host.TLSyncHost.serve_session`.
"""

from __future__ import annotations

from typing import Final, Protocol

GOING_AWAY: Final = 1001
"""The close code of a session sent away by a server that stops (clients reconnect)."""
ROOM_MOVED: Final = 1012
"""The close code of a session whose room this node no longer hosts (clients reconnect)."""
TRY_AGAIN_LATER: Final = 1013
"""The close code of a session shed to free resources (clients reconnect later)."""


class TransportClosed(Exception):
    """Raised by :meth:`SessionTransport.send` once the connection is gone."""


class FrameTooLarge(Exception):
    """Raised by :meth:`SessionTransport.receive` for a frame over the size cap (closes 1009)."""


class SessionTransport(Protocol):
    """One accepted websocket as :meth:`~tlsync_core.server.host.TLSyncHost.serve_session`
    sees it.

    Only the session's own coroutine calls :meth:`receive`; only its writer task calls
    :meth:`send` and :meth:`close` (the session's coroutine closes it before a writer exists,
    to refuse it); the outbox calls :meth:`send_now` only while the writer has nothing queued
    and is not sending, so frames keep their order.
    """

    async def receive(self) -> str | bytes | None:
        """The next frame, or None once the peer closed or the connection dropped."""

    def send_now(self, text: str) -> bool:
        """Send a text frame at once if that needs no waiting (the connection is open and its
        write buffer below its high-water mark); False when the caller must :meth:`send` it."""

    async def send(self, text: str) -> None:
        """Send a text frame; raises :class:`TransportClosed` once the connection is gone."""

    async def close(self, code: int, reason: str) -> None:
        """Close with ``code`` and ``reason`` (a connection already gone is left alone)."""


async def discard_frames(transport: SessionTransport) -> None:
    """Receive and drop frames until the connection is closed."""
    while await transport.receive() is not None:
        pass
