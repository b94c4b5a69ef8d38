"""Relaying a browser's sync connections through the kernel: the editor widget's transport.

Theory of operation.  The Jupyter editor widget runs tldraw's own sync client in the page, but
the page may not reach the room's server (a remote kernel, a server on the kernel's loopback).
So the page's client speaks the sync protocol to the kernel over the widget's comm, and the
kernel forwards every frame, unchanged, on a websocket of its own to the room: the page is one
more session of the room, with its own session id, presence and speculative changes, exactly
as if it had connected directly.  The kernel's websocket is opened by the room handle
(:meth:`RoomConnection.open_websocket <tlsync_client.connection.RoomConnection.open_websocket>`)
so it carries the same URL, credentials and options as the handle's own connection.

One relayed websocket is a *link*, numbered by the page.  Messages, as dicts:

* page → kernel: ``{"type": "open", "link": n, "sessionId": s, "storeId": t}`` opens a link;
  ``{"type": "frame", "link": n, "data": text}`` sends a text frame on it;
  ``{"type": "close", "link": n}`` closes it.
* kernel → page: ``{"type": "opened", "link": n}`` once the websocket is open;
  ``{"type": "frame", "link": n, "data": text}`` for each frame from the room;
  ``{"type": "closed", "link": n, "code": c, "reason": r}`` when it closed or could not open
  (``code`` is the websocket close code, ``None`` when it never opened; ``reason`` says why).

States of a link, as data (:class:`LinkState`): ``OPENING`` (dialling; frames from the page are
refused, since the page sends only once told ``opened``) → ``OPEN`` (frames flow both ways, in
order: one writer task per link) → ``CLOSED`` (reported once to the page, unless the page
closed it itself).  Reconnecting is the page's business, as it is a websocket client's: a
closed link is never reopened; the page opens a new one.

Message order matches a websocket's: frames from the page are written in the order received,
frames from the room are sent to the page in the order read.  A malformed message from the page
is logged and dropped (the page is our own code: a bug, never a reason to break the room).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable, Mapping
from typing import Any

import attrs
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tlsync_client.connection import RoomConnection
from tlsync_client.websocket import describe_connect_error

__all__ = ["KernelRelay", "LinkState"]

logger = logging.getLogger("tlsync_client.kernel_relay")

SendToPage = Callable[[dict[str, Any]], None]


class LinkState(enum.Enum):
    """Where a relayed websocket is in its life."""

    OPENING = "opening"
    OPEN = "open"
    CLOSED = "closed"


@attrs.define
class _Link:
    number: int
    state: LinkState = LinkState.OPENING
    outbox: asyncio.Queue[str] = attrs.field(factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None
    closed_by_page: bool = False


class KernelRelay:
    """The kernel's side of the page's links to ``room``: :meth:`receive` takes the page's
    messages, ``send`` delivers the kernel's (it must be callable from the event loop's
    thread).  Construct and use it on the room's event loop; :meth:`aclose` closes every
    link."""

    def __init__(self, room: RoomConnection, send: SendToPage, *, readonly: bool = False) -> None:
        self._room = room
        self._send = send
        self._readonly = readonly
        self._loop = asyncio.get_running_loop()
        self._links: dict[int, _Link] = {}
        self._closed = False
        self._closing: asyncio.Task[None] | None = None
        # (the room's socket completes its observables when the room closes: so do the links)
        self._watch_room = room.socket.status_changes.subscribe(on_completed=self._start_closing)

    @property
    def links(self) -> Mapping[int, LinkState]:
        """The page's links that are not closed yet, with their states."""
        return {number: link.state for number, link in self._links.items()}

    def receive(self, message: object) -> None:
        """Handle one message from the page (see the module's docstring)."""
        if self._closed:
            return
        if not isinstance(message, Mapping) or not isinstance(message.get("link"), int):
            logger.warning("ignoring a malformed message from the editor widget: %.200r", message)
            return
        kind, number = message.get("type"), message["link"]
        if kind == "open":
            self._open(number, message.get("sessionId"), message.get("storeId"))
        elif kind == "frame":
            self._frame(number, message.get("data"))
        elif kind == "close":
            self._close_from_page(number)
        else:
            logger.warning("ignoring an editor widget message of type %.50r", kind)

    async def aclose(self) -> None:
        """Close every link (the page is not told: it is going away too).  Idempotent."""
        self._closed = True
        self._watch_room.dispose()  # (a closed relay no longer follows its room)
        tasks = [link.task for link in self._links.values() if link.task is not None]
        for link in self._links.values():
            link.closed_by_page = True
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        self._links.clear()

    def close(self) -> None:
        """Close every link in the background (await :meth:`aclose` to wait).  Safe from any
        thread; idempotent; nothing once the loop is closed."""
        if not self._closed and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._start_closing)

    def _start_closing(self) -> None:
        if not self._closed and self._closing is None:
            self._closing = self._loop.create_task(self.aclose(), name="tlsync-widget-relay-close")

    def _open(self, number: int, session_id: object, store_id: object) -> None:
        if number in self._links:
            logger.warning("the editor widget reopened link %d; ignored", number)
            return
        if not isinstance(session_id, str) or not isinstance(store_id, str):
            self._send(_closed(number, None, "the widget sent no sessionId/storeId"))
            return
        link = _Link(number)
        self._links[number] = link
        link.task = self._loop.create_task(
            self._run(link, session_id, store_id), name=f"tlsync-widget-link-{number}"
        )

    def _frame(self, number: int, data: object) -> None:
        link = self._links.get(number)
        if link is None or link.state is not LinkState.OPEN:
            return  # (a frame racing the link's close: the page learns of the close)
        if not isinstance(data, str):
            logger.warning("ignoring a non-text frame from the editor widget on link %d", number)
            return
        link.outbox.put_nowait(data)

    def _close_from_page(self, number: int) -> None:
        link = self._links.get(number)
        if link is None:
            return
        link.closed_by_page = True
        if link.task is not None:
            link.task.cancel()

    async def _run(self, link: _Link, session_id: str, store_id: str) -> None:
        code: int | None = None
        reason = ""
        ws: ClientConnection | None = None
        try:
            try:
                query = {"sessionId": session_id, "storeId": store_id}
                if self._readonly:
                    query["readonly"] = "1"
                ws = await self._room.open_websocket(query)
            except Exception as error:  # (any failure to open is reported to the page)
                reason = describe_connect_error(error)
                logger.info("editor widget link %d could not open: %s", link.number, reason)
                return
            link.state = LinkState.OPEN
            self._send({"type": "opened", "link": link.number})
            writer = self._loop.create_task(_write(ws, link.outbox))
            try:
                async for frame in ws:
                    text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
                    self._send({"type": "frame", "link": link.number, "data": text})
            except ConnectionClosed:
                pass
            finally:
                writer.cancel()
                await asyncio.wait([writer])
            code, reason = ws.close_code, ws.close_reason or ""
        finally:
            link.state = LinkState.CLOSED
            self._links.pop(link.number, None)
            if ws is not None:
                await asyncio.shield(ws.close())
            if not link.closed_by_page:
                self._send(_closed(link.number, code, reason))


async def _write(ws: ClientConnection, outbox: asyncio.Queue[str]) -> None:
    """Send the page's frames on ``ws`` in order, until it closes."""
    try:
        while True:
            await ws.send(await outbox.get())
    except ConnectionClosed:
        return


def _closed(number: int, code: int | None, reason: str) -> dict[str, Any]:
    return {"type": "closed", "link": number, "code": code, "reason": reason}
