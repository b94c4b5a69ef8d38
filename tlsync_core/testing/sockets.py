"""In-memory sockets for driving a room without a network."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson


class RecordingSocket:
    """A :class:`~tlsync_core.room.session.TLRoomSocket` that keeps what the room sends.

    Messages are stored as they would arrive after a JSON round trip (so a test sees exactly
    the wire value, and the room cannot change a message after sending it).  ``close`` records
    the code and reason and makes the socket closed.
    """

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.is_open = True
        self.close_code: int | None = None
        self.close_reason: str | None = None

    def send_message(self, message: Mapping[str, Any]) -> None:
        if not self.is_open:
            raise RuntimeError("send on a closed socket")
        self.messages.append(orjson.loads(orjson.dumps(message)))

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        if self.is_open:
            self.is_open = False
            self.close_code = code
            self.close_reason = reason

    def take(self) -> list[dict[str, Any]]:
        """The messages received since the last ``take`` (data batches unwrapped)."""
        taken: list[dict[str, Any]] = []
        for message in self.messages:
            if message.get("type") == "data":
                taken.extend(message["data"])
            else:
                taken.append(message)
        self.messages = []
        return taken
