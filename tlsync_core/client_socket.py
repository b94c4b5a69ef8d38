"""What a sync client needs of its connection: the seed's ``TLPersistentClientSocket``.

A persistent socket reconnects by itself; the client only sees a status and messages:

* ``connection_status``: ``"online"``, ``"offline"`` or ``"error"``;
* ``send_message(message)``: send one client message (a protocol dict) if online;
* ``on_receive_message(cb)``: ``cb(message)`` for every parsed server message; returns an
  unsubscribe callable (the seed's ``SubscribingFn``);
* ``on_status_change(cb)``: ``cb(event)`` with a :class:`SocketStatusEvent` on every change of
  status; returns an unsubscribe callable;
* ``restart()``: drop the current connection and connect again.

An ``"error"`` status is final for the session: its ``reason`` is the close reason of a 4099
close (``TLSyncErrorCloseEventReason``).  Implementations: the websocket adapter
(:class:`tlsync_client.ClientWebSocketAdapter`) and the in-memory sockets of
:mod:`tlsync_core.testing`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, Protocol, TypeAlias

import attrs

TLPersistentClientSocketStatus: TypeAlias = Literal["online", "offline", "error"]


@attrs.frozen
class SocketStatusEvent:
    """A change of a socket's status; ``reason`` is set for ``"error"`` only."""

    status: TLPersistentClientSocketStatus
    reason: str | None = None


class TLPersistentClientSocket(Protocol):
    """The client side of a connection to a room (see the module docstring)."""

    @property
    def connection_status(self) -> TLPersistentClientSocketStatus: ...

    def send_message(self, message: Mapping[str, Any]) -> None: ...

    def on_receive_message(
        self, callback: Callable[[dict[str, Any]], None]
    ) -> Callable[[], None]: ...

    def on_status_change(
        self, callback: Callable[[SocketStatusEvent], None]
    ) -> Callable[[], None]: ...

    def restart(self) -> None: ...
