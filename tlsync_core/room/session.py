"""Sessions of a room: one per connected socket, with its dialect, schema, state and outbox."""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Mapping
from typing import Any, Literal, Protocol

from tlsync_core.protocol.versions import Dialect

ObjectAccess = Literal["read", "write"]

SESSION_START_WAIT_TIME = 10_000.0
"""ms an awaiting-connect session may wait for its connect message."""
SESSION_IDLE_TIMEOUT = 20_000.0
"""ms a connected session may stay silent (no ping, no push) before it is cancelled."""
SESSION_REMOVAL_WAIT_TIME = 5_000.0
"""ms a cancelled session keeps its presence (a grace period for reconnects)."""
DATA_MESSAGE_DEBOUNCE_INTERVAL = 16.0
"""ms between two ``data`` batches to one session (the first message goes out at once).

tldraw asks ``setTimeout`` for 1000/60 ms, and Node truncates a timer's delay to whole
milliseconds: its batches go out 16 ms apart, and so do ours."""


class TLRoomSocket(Protocol):
    """What the room needs of a connection: whether it is open, send, and close."""

    @property
    def is_open(self) -> bool: ...

    def send_message(self, message: Mapping[str, Any]) -> None: ...

    def close(self, code: int | None = None, reason: str | None = None) -> None: ...


class SessionState(enum.Enum):
    """A session's life: waiting for its connect message, connected, or awaiting removal."""

    AWAITING_CONNECT_MESSAGE = "awaiting-connect-message"
    CONNECTED = "connected"
    AWAITING_REMOVAL = "awaiting-removal"


class RoomSession:
    """One session of a room (``RoomClient`` in the original API, SPEC.md PR1: ``id``, ``socket``,
    ``serialized_schema``), with what the room must remember about it."""

    __slots__ = (
        "cancellation_time",
        "dialect",
        "flush_at",
        "id",
        "instance_id",
        "is_readonly",
        "last_interaction_time",
        "meta",
        "object_access",
        "openers",
        "outstanding",
        "presence_id",
        "requires_down_migrations",
        "requires_legacy_rejection",
        "serialized_schema",
        "session_start_time",
        "socket",
        "state",
        "supports_string_append",
    )

    def __init__(
        self,
        session_id: str,
        socket: TLRoomSocket,
        presence_id: str | None,
        now: float,
        *,
        is_readonly: bool = False,
        object_access: ObjectAccess = "write",
        meta: Any = None,
    ) -> None:
        self.id = session_id
        self.socket = socket
        self.presence_id = presence_id
        self.state = SessionState.AWAITING_CONNECT_MESSAGE
        self.is_readonly = is_readonly
        self.object_access: ObjectAccess = object_access
        self.meta = meta
        self.session_start_time = now
        self.last_interaction_time = now
        self.cancellation_time = 0.0
        # set by the handshake
        self.dialect: Dialect = 8
        self.instance_id: str | None = None
        self.serialized_schema: dict[str, Any] | None = None
        self.requires_down_migrations = False
        self.requires_legacy_rejection = False
        self.supports_string_append = True
        # batching of data messages (v8): what waits, and when it may go
        self.outstanding: list[dict[str, Any]] = []
        self.flush_at: float | None = None
        # held messages (durable=False) that opened a batch when they were made: each goes out
        # as soon as it is released (SPEC.md DUR2)
        self.openers: deque[dict[str, Any]] = deque()

    def __repr__(self) -> str:
        return f"RoomSession({self.id!r}, {self.state.value}, dialect={self.dialect})"
