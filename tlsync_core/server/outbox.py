"""A session's connection as the room sees it: a bounded outbox drained by a writer task.

Theory of operation
===================

The room calls :meth:`SessionOutbox.send_message` and :meth:`SessionOutbox.close` (it is the
room's :class:`~tlsync_core.room.session.TLRoomSocket`); neither waits.  A message is encoded at
once.  When nothing is queued or being sent and the connection can take it without waiting, it
goes straight to the session's :class:`~tlsync_core.server.transport.SessionTransport`
(``send_now``: no task switch per message, which is most of the cost of fanning a change out to
a large room); otherwise it is queued, and a writer task sends the queue, then the close frame.
A consumer that stops reading is cut off (1013, try again later) once its queue passes the
limits' caps, instead of growing memory: it catches up when it reconnects.  Everything queued
is charged to the server's :class:`~tlsync_core.server.memory_budget.MemoryBudget` until the
transport took it, and the budget may cut the session off (:meth:`SessionOutbox.evict`).

A close waits behind the frames still being sent, but at most the close timeout: a writer
stuck on a peer that does not read is told to stop waiting, skips what is left, and closes.

Broadcasts.  A room hands the same patch object to every session on its schema; a
:class:`BroadcastEncoder` (one per host) encodes it once per event-loop turn instead of once
per recipient, which keeps fan-out to large rooms cheap.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Mapping
from typing import Any

from tlsync_core.protocol.codec import serialize_message
from tlsync_core.server.limits import ServerLimits
from tlsync_core.server.memory_budget import MemoryBudget
from tlsync_core.server.transport import TRY_AGAIN_LATER, SessionTransport, TransportClosed

logger = logging.getLogger("tlsync_core.server")


class BroadcastEncoder:
    """``serialize_message(event)``, once per event object per event-loop turn.

    The cache holds the object itself (so its id cannot be reused while cached) and is emptied
    at the end of the turn in which it was filled.
    """

    def __init__(self) -> None:
        self._cache: dict[int, tuple[object, str]] = {}

    def encode(self, event: Mapping[str, Any]) -> str:
        hit = self._cache.get(id(event))
        if hit is not None and hit[0] is event:
            return hit[1]
        text = serialize_message(event)
        if not self._cache:
            asyncio.get_running_loop().call_soon(self._cache.clear)
        self._cache[id(event)] = (event, text)
        return text


class SessionOutbox:
    """One session's outbox and its writer task (see the module docstring).

    It is a :class:`~tlsync_core.server.memory_budget.BudgetHolder`: charged each queued
    message until the transport took it, and what the session's frames cost while they are
    assembled and parsed (charged by the session endpoint).
    """

    def __init__(
        self,
        transport: SessionTransport,
        limits: ServerLimits,
        budget: MemoryBudget,
        encoder: BroadcastEncoder,
    ) -> None:
        self._transport = transport
        self._limits = limits
        self._budget = budget
        self._encoder = encoder
        self._outbox: deque[str] = deque()
        self._outbox_bytes = 0
        self._ready = asyncio.Event()
        self._close: tuple[int, str] | None = None
        self._open = True
        self._sending = False  # the writer waits for a send (for the peer to read)
        self._stalled = False  # the writer was told to stop waiting (see _unstick)
        self._deadline: asyncio.TimerHandle | None = None
        self.writer = asyncio.get_running_loop().create_task(self._write())

    @property
    def is_open(self) -> bool:
        return self._open and self._close is None

    def send_message(self, message: Mapping[str, Any]) -> None:
        if not self.is_open:
            return
        if message.get("type") == "data":
            events = ",".join(map(self._encoder.encode, message["data"]))
            text = '{"type":"data","data":[' + events + "]}"
        else:
            text = serialize_message(message)
        if not (self._outbox or self._sending) and self._transport.send_now(text):
            return  # (nothing waits before it: it went straight into the socket's buffer)
        if not self._budget.reserve(self, len(text)):
            logger.warning("disconnecting the largest holder of the server's memory budget")
            self.evict()
            return
        self._outbox.append(text)
        self._outbox_bytes += len(text)
        # the caps bound a backlog: one message alone (a big room's connect answer) always goes
        if len(self._outbox) > 1 and (
            len(self._outbox) > self._limits.max_outbox_messages
            or self._outbox_bytes > self._limits.max_outbox_bytes
        ):
            logger.warning("disconnecting a session that stopped reading (outbox full)")
            self._cut_off("outbox full: reconnect to catch up")
            return
        self._ready.set()

    def evict(self) -> None:
        """Cut this session off to free the server's memory budget (it may reconnect)."""
        self._cut_off("server over its memory budget: reconnect later")

    def _cut_off(self, reason: str) -> None:
        """Drop the backlog and close with 1013 (try again later) and ``reason``."""
        self._drop_outbox()
        self.close(TRY_AGAIN_LATER, reason)
        self._unstick()  # the writer may wait for this very peer to read: stop waiting now

    def _drop_outbox(self) -> None:
        self._budget.release(self, self._outbox_bytes)
        self._outbox.clear()
        self._outbox_bytes = 0

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        if self._close is None:
            self._close = (1000 if code is None else code, reason or "")
            self._ready.set()
            self._arm_deadline()

    def _arm_deadline(self) -> None:
        """A close waits behind the frames still being sent, but not forever: after the close
        timeout the writer stops waiting for the peer to read them."""
        if self._deadline is None and not self.writer.done():
            loop = asyncio.get_running_loop()
            self._deadline = loop.call_later(self._limits.close_timeout, self._unstick)

    def _unstick(self) -> None:
        """Stop waiting for a peer that does not read: the writer skips what is left and closes
        (the close frame goes after the frames already buffered; the transport's close aborts
        the connection if the peer does not read that either)."""
        if self._sending and not self.writer.done():
            self._stalled = True
            self.writer.cancel()

    async def _write(self) -> None:
        try:
            while True:
                await self._ready.wait()
                self._ready.clear()
                await self._send_outbox()
                if self._close is not None:
                    await self._transport.close(*self._close)
                    return
        except TransportClosed:
            pass
        finally:
            self._open = False
            self._drop_outbox()
            self._budget.release_all(self)  # (the connection is closed: its frames are gone)
            if self._deadline is not None:
                self._deadline.cancel()

    async def _send_outbox(self) -> None:
        try:
            while self._outbox:
                text = self._outbox.popleft()
                size = len(text)
                self._outbox_bytes -= size
                # (while it is written, the encoded frame is held too)
                frame = size if self._budget.reserve(self, size) else 0
                self._sending = True
                try:
                    await self._transport.send(text)
                finally:
                    self._sending = False
                # (a send cut short leaves its frame in the transport: it stays charged until
                # the connection is gone, when the writer ends)
                self._budget.release(self, size + frame)
                del text  # an idle session must not keep its last (maybe huge) frame
        except asyncio.CancelledError:
            if not self._stalled:
                raise
            self._stalled = False
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            self._drop_outbox()

    def lost(self) -> None:
        """The connection is gone: stop writing."""
        self._open = False
        self._ready.set()
        if self._close is None:
            self._close = (1000, "")
            self._arm_deadline()
