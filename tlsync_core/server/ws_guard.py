"""The native server's connections, guarded below the websocket layer.

Theory of operation
===================

``websockets`` does two things on its own, before any of our code sees a frame or a request:

* It answers every ping with a pong, straight from the bytes it reads.  A peer that floods
  pings and never reads makes the server write pongs that nobody takes: they pile up in the
  transport's write buffer, without bound.  Rate limits and outbox caps, which count messages,
  never see them.  :class:`GuardedConnection` measures the bytes that reading adds to the write
  buffer (pongs, close answers) and that are still waiting there (the buffer drains in order,
  so that backlog is at most the buffer's size), and once they pass
  :data:`CONTROL_BACKLOG_LIMIT` it stops reading from that peer until the buffer drained.  A
  peer that reads its pongs never gets near the limit; one that does not is no longer read, so
  its pings stop costing memory (and the keepalive ping, whose pong is not read either, ends
  the connection after its timeout).  Reading is never resumed while ``websockets`` itself
  holds it paused (its queue of received frames is full).
* It drops a request that is not a websocket handshake's ``GET`` with a body, without an
  answer.  The guard reads the request line first and answers any method but ``GET`` and
  ``HEAD`` with 405 and ``Allow: GET, HEAD``, as the ASGI front end does.
"""

from __future__ import annotations

from typing import Any

from websockets.asyncio.server import ServerConnection

#: Bytes of pongs (and other answers written while reading) that may wait for a peer to read
#: them before the server stops reading from it.
CONTROL_BACKLOG_LIMIT = 256 * 1024

_MAX_REQUEST_LINE = 8192  # websockets' own cap on a request line
_METHOD_NOT_ALLOWED = (
    b"HTTP/1.1 405 Method Not Allowed\r\n"
    b"Allow: GET, HEAD\r\n"
    b"Content-Type: text/plain\r\n"
    b"Content-Length: 19\r\n"
    b"Connection: close\r\n"
    b"\r\n"
    b"method not allowed\n"
)


class GuardedConnection(ServerConnection):
    """A ``websockets`` server connection with the guards of the module docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._request_line: bytes | None = b""  # None once the method was checked
        self._control_backlog = 0
        self._reading_paused = False

    def data_received(self, data: bytes) -> None:
        if self._request_line is not None:
            head = self._request_line + data
            if b"\n" not in head and len(head) <= _MAX_REQUEST_LINE:
                self._request_line = head
                return
            self._request_line = None
            if head.split(b" ", 1)[0] not in (b"GET", b"HEAD"):
                self.transport.write(_METHOD_NOT_ALLOWED)
                self.transport.close()
                return
            data = head
        before = self.transport.get_write_buffer_size()
        super().data_received(data)
        after = self.transport.get_write_buffer_size()
        self._control_backlog = min(self._control_backlog, before) + max(0, after - before)
        if self._control_backlog > CONTROL_BACKLOG_LIMIT and not self._reading_paused:
            self._reading_paused = True
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        super().resume_writing()
        self._control_backlog = min(self._control_backlog, self.transport.get_write_buffer_size())
        if self._reading_paused:
            self._reading_paused = False
            if not self.recv_messages.paused:
                self.transport.resume_reading()
