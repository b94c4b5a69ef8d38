"""The caps that keep one client from hurting a room or the server (:class:`ServerLimits`)."""

from __future__ import annotations

import attrs

from tlsync_core.endpoint import EndpointLimits
from tlsync_core.server.memory_budget import DEFAULT_MEMORY_BUDGET


@attrs.frozen
class ServerLimits:
    """Caps that keep one client from hurting a room or the server."""

    max_sessions_per_room: int = 200
    max_frame_bytes: int = 16 * 1024 * 1024
    max_message_bytes: int = 64 * 1024 * 1024
    max_chunks: int = 4096
    messages_per_second: float = 200.0
    message_burst: float = 1000.0
    max_outbox_messages: int = 5000
    max_outbox_bytes: int = 64 * 1024 * 1024
    room_unload_grace_seconds: float = 10.0
    #: Seconds a closing connection may take to deliver its last frames and the close frame;
    #: a peer that does not read them in time is cut off (its TCP connection aborted).  The
    #: server's ``close()`` waits as long for the sessions it sent away.
    close_timeout: float = 10.0
    #: The same for a session closed to shed load (1013: its outbox over a cap, or cut off by
    #: the memory budget): it is behind already, and what it holds should be freed soon.
    shed_close_timeout: float = 1.0
    #: Seconds a snapshot request waits for the room's pending writes to become durable
    #: before it is answered 503.
    snapshot_durable_timeout: float = 5.0
    #: Bytes the server may hold for its clients, all sessions together (outboxes, messages
    #: being assembled and parsed, snapshots being sent): see :mod:`.memory_budget`.
    memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET

    @property
    def endpoint(self) -> EndpointLimits:
        """The caps a room's session endpoint applies to each session's frames."""
        return EndpointLimits(
            max_message_bytes=self.max_message_bytes,
            max_chunks=self.max_chunks,
            messages_per_second=self.messages_per_second,
            message_burst=self.message_burst,
        )
