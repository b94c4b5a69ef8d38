"""What a sync client needs of its connection: ``TLPersistentClientSocket`` in the original API
(SPEC.md PR1).

A persistent socket reconnects by itself; the client only sees a status and messages:

* ``connection_status``: ``"online"``, ``"offline"`` or ``"error"``;
* ``send_message(message)``: send one client message (a protocol dict) if online;
* ``on_receive_message(cb)``: ``cb(message)`` for every parsed server message; returns an
  unsubscribe callable (``SubscribingFn`` in the original API);
* ``on_status_change(cb)``: ``cb(event)`` with a :class:`SocketStatusEvent` on every change of
  status; returns an unsubscribe callable;
* ``restart()``: drop the current connection and connect again.

An ``"error"`` status is final for the session: its ``reason`` is the close reason of a 4099
close (``TLSyncErrorCloseEventReason``).  Implementations: the websocket adapter
(:class:`tlsync_client.ClientWebSocketAdapter`) and the in-memory sockets of
:mod:`tlsync_core.testing`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, Literal, Protocol, TypeAlias, TypeVar

import attrs

TLPersistentClientSocketStatus: TypeAlias = Literal["online", "offline", "error"]

C = TypeVar("C", bound=Callable[..., Any])


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


class Listeners(Generic[C]):
    """The callbacks subscribed to one kind of event of a socket (``SubscribingFn``).

    ``add(callback)`` returns an idempotent unsubscribe callable.  Iterating yields the
    callbacks subscribed when the iteration began, skipping any unsubscribed before its turn,
    so a callback may (un)subscribe others, or itself, while an event is delivered.
    """

    def __init__(self) -> None:
        self._callbacks: dict[int, C] = {}
        self._next_key = 0

    def add(self, callback: C) -> Callable[[], None]:
        key = self._next_key
        self._next_key += 1
        self._callbacks[key] = callback

        def unsubscribe() -> None:
            self._callbacks.pop(key, None)

        return unsubscribe

    def __iter__(self) -> Iterator[C]:
        for key in list(self._callbacks):
            callback = self._callbacks.get(key)
            if callback is not None:
                yield callback

    def __len__(self) -> int:
        return len(self._callbacks)

    def clear(self) -> None:
        self._callbacks.clear()
