"""A client socket whose server is the test: it records what the client sends and delivers
what the test says, so a test can play the room message by message."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from tlsync_core.client_socket import Listeners, SocketStatusEvent, TLPersistentClientSocketStatus
from tlsync_core.protocol.codec import parse_client_message, parse_server_message, serialize_message

__all__ = ["ScriptedClientSocket"]


class ScriptedClientSocket:
    """A :class:`~tlsync_core.client_socket.TLPersistentClientSocket` driven by hand.

    * What the client sends is checked as a client message of the protocol and kept in
      :attr:`sent` as its wire value (a JSON round trip); :meth:`take` returns and clears it.
    * :meth:`deliver` serialises a server message, parses it back (so only valid wire
      messages reach the client) and hands it to the client.
    * :meth:`go_online`, :meth:`go_offline` and :meth:`fail` change the status; ``restart()``
      (called by the client) counts in :attr:`restarts` and goes offline, then online again at
      once when ``reconnect_on_restart`` is true.
    * Sending while not online is dropped and counted in :attr:`dropped`, as the websocket
      adapter does.
    """

    def __init__(
        self,
        status: TLPersistentClientSocketStatus = "online",
        *,
        reconnect_on_restart: bool = False,
    ) -> None:
        self._status: TLPersistentClientSocketStatus = status
        self.reconnect_on_restart = reconnect_on_restart
        self.sent: list[dict[str, Any]] = []
        self.dropped = 0
        self.restarts = 0
        self._message_listeners: Listeners[Callable[[dict[str, Any]], None]] = Listeners()
        self._status_listeners: Listeners[Callable[[SocketStatusEvent], None]] = Listeners()

    # the TLPersistentClientSocket protocol ---------------------------------------------------

    @property
    def connection_status(self) -> TLPersistentClientSocketStatus:
        return self._status

    def send_message(self, message: Mapping[str, Any]) -> None:
        text = serialize_message(message)
        parse_client_message(text)
        if self._status != "online":
            self.dropped += 1
            return
        self.sent.append(orjson.loads(text))

    def on_receive_message(self, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        return self._message_listeners.add(callback)

    def on_status_change(self, callback: Callable[[SocketStatusEvent], None]) -> Callable[[], None]:
        return self._status_listeners.add(callback)

    def restart(self) -> None:
        self.restarts += 1
        self.go_offline()
        if self.reconnect_on_restart:
            self.go_online()

    # the test's side -------------------------------------------------------------------------

    @property
    def listener_count(self) -> int:
        """How many message and status listeners are subscribed (0 once a client closed)."""
        return len(self._message_listeners) + len(self._status_listeners)

    def take(self) -> list[dict[str, Any]]:
        """The messages sent since the last ``take``."""
        taken, self.sent = self.sent, []
        return taken

    def deliver(self, message: Mapping[str, Any]) -> None:
        """Hand a server message to the client, as it would arrive over the wire."""
        parsed = parse_server_message(serialize_message(message))
        for callback in self._message_listeners:
            callback(dict(parsed))

    def go_online(self) -> None:
        self._set(SocketStatusEvent("online"))

    def go_offline(self) -> None:
        self._set(SocketStatusEvent("offline"))

    def fail(self, reason: str) -> None:
        """A 4099 close with ``reason``: status ``"error"``."""
        self._set(SocketStatusEvent("error", reason))

    def _set(self, event: SocketStatusEvent) -> None:
        if event.status == self._status:
            return
        self._status = event.status
        for callback in self._status_listeners:
            callback(event)
