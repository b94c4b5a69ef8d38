"""The session endpoint: a room's websocket frames in, room calls, frames out.

Theory of operation
===================

Between a websocket and a :class:`~tlsync_core.room.room.TLSyncRoom` sits one step that every
host must take the same way: reassemble chunked messages, parse each message in the dialect of
its session, limit how fast a session may send, refuse what does not fit the memory budget,
and let a newer connection take a session over.  :class:`SessionEndpoint` is that step, for
one room, as a state machine without I/O: no event loop, no network, no clock of its own
(time is injected, in the room's milliseconds).  The server's front ends (``websockets``, ASGI)
and the test network (:class:`~tlsync_core.testing.network.LoopbackNetwork`) all drive it;
none of them parses a frame or assembles a chunk itself.

State.  The endpoint knows, per session id, the current :class:`EndpointConnection`: the
room-side socket of one accepted websocket, its :class:`~tlsync_core.protocol.chunking.
ChunkAssembler` and its :class:`TokenBucket`.  A host calls:

* :meth:`SessionEndpoint.open` when a websocket is accepted (after its own auth and capacity
  checks): a connection under an id that has one already *takes it over* (the older one is
  closed with 1000; what it still sends is ignored), and the room starts the session;
* :meth:`SessionEndpoint.receive` for every frame, which says what became of it
  (:class:`FrameOutcome`): ``HANDLED`` (read on), ``IGNORED`` (the connection is no longer its
  session's: stop reading it) or ``ENDED`` (this frame ended the session: stop reading it);
* :meth:`SessionEndpoint.closed` once the websocket is gone: the room cancels the session if
  this connection is still its current one (a late close never cancels a newer connection).

A frame goes through, in order: is its connection current and its session alive (else
``IGNORED``); the token bucket (over the rate: the session is closed ``RATE_LIMITED``); chunk
assembly (a bad sequence cancels the session with 1002, so the client may retry); the budget
(what a partial message holds is charged to its socket; a message is charged
:func:`parse_cost` of its size while it is parsed, and refused *before* parsing, with 1009,
when that does not fit); parsing in the session's dialect (a message that is not the protocol
rejects the session with the error's close reason; a connect request that failed its checks
still says how its client takes a refusal, so an old client is refused the old way); the room.

Budget.  The host's budget (:class:`FrameBudget`) charges bytes to a holder, here the
connection's socket; the test network has none (:data:`NO_BUDGET`).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

import attrs

from tlsync_core.protocol.chunking import ChunkAssembler
from tlsync_core.protocol.close_codes import TLSyncErrorCloseEventReason as Reason
from tlsync_core.protocol.codec import loads_frame, parse_client_message
from tlsync_core.protocol.errors import ChunkError, ProtocolError
from tlsync_core.protocol.versions import negotiate_protocol_version
from tlsync_core.room.room import TLSyncRoom
from tlsync_core.room.session import ObjectAccess, RoomSession, SessionState, TLRoomSocket

__all__ = [
    "MESSAGE_TOO_BIG",
    "NO_BUDGET",
    "EndpointConnection",
    "EndpointLimits",
    "FrameBudget",
    "FrameOutcome",
    "SessionEndpoint",
    "TokenBucket",
    "parse_cost",
]

logger = logging.getLogger("tlsync_core.server")

NORMAL_CLOSURE: Final = 1000
PROTOCOL_ERROR: Final = 1002
MESSAGE_TOO_BIG: Final = 1009
"""The close code of a frame or message over a size cap (or the memory budget)."""

#: How many bytes of Python objects one byte of JSON may become while parsed (measured: up to
#: 36 for ``[{},{},…]``; about 20 for tldraw pushes; 13 for one big string).
PARSE_COST_PER_BYTE: Final = 40


def parse_cost(size: int) -> int:
    """The bytes a message of ``size`` bytes is charged while it is parsed."""
    return size * PARSE_COST_PER_BYTE


class FrameBudget(Protocol):
    """What the endpoint needs of a memory budget: charge bytes to a holder, or refuse."""

    def reserve(self, holder: Any, size: int, *, transient: bool = False) -> bool: ...

    def release(self, holder: Any, size: int) -> None: ...


class _NoBudget:
    """A budget that never refuses (hosts that do not count memory)."""

    def reserve(self, holder: Any, size: int, *, transient: bool = False) -> bool:
        return True

    def release(self, holder: Any, size: int) -> None:
        return None


NO_BUDGET: Final[FrameBudget] = _NoBudget()


@attrs.frozen
class EndpointLimits:
    """The per-session caps the endpoint applies (the server takes them from its limits)."""

    max_message_bytes: int = 64 * 1024 * 1024
    max_chunks: int = 4096
    messages_per_second: float = 200.0
    message_burst: float = 1000.0


class TokenBucket:
    """``allow(now)`` is False once a sender goes faster than ``rate`` per second beyond a
    ``burst``; ``now`` is in milliseconds, from whatever clock the host runs on."""

    __slots__ = ("_burst", "_last", "_rate", "_tokens")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self._rate = rate
        self._burst = burst
        self._tokens = burst
        self._last = now

    def allow(self, now: float) -> bool:
        elapsed = max(0.0, now - self._last) / 1000.0
        self._tokens = min(self._burst, self._tokens + elapsed * self._rate)
        self._last = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class FrameOutcome(enum.Enum):
    """What became of a frame (see the module docstring)."""

    HANDLED = "handled"
    IGNORED = "ignored"
    ENDED = "ended"


class EndpointConnection:
    """One accepted websocket of a session: its room-side socket and its frame state."""

    __slots__ = ("assembler", "bucket", "session_id", "socket")

    def __init__(
        self, session_id: str, socket: TLRoomSocket, limits: EndpointLimits, now: float
    ) -> None:
        self.session_id = session_id
        self.socket = socket
        self.assembler = ChunkAssembler(
            max_chunks=limits.max_chunks, max_size=limits.max_message_bytes
        )
        self.bucket = TokenBucket(limits.messages_per_second, limits.message_burst, now)


class SessionEndpoint:
    """The frame → room step of one room (see the module docstring).

    ``now``: the current time in milliseconds (the room's clock); ``budget``: charged for what
    frames hold while assembled and parsed.
    """

    def __init__(
        self,
        room: TLSyncRoom,
        *,
        now: Callable[[], float],
        limits: EndpointLimits | None = None,
        budget: FrameBudget = NO_BUDGET,
    ) -> None:
        self.room = room
        self.limits = EndpointLimits() if limits is None else limits
        self._now = now
        self._budget = budget
        self._current: dict[str, EndpointConnection] = {}

    @property
    def connections(self) -> Mapping[str, EndpointConnection]:
        """The current connection of each session id."""
        return self._current

    def open(
        self,
        session_id: str,
        socket: TLRoomSocket,
        *,
        is_readonly: bool = False,
        object_access: ObjectAccess = "write",
        meta: Any = None,
    ) -> EndpointConnection:
        """A websocket accepted for ``session_id``: it takes over an older connection of that
        id (closed with 1000), and the room starts the session."""
        previous = self._current.get(session_id)
        if previous is not None:
            previous.socket.close(
                NORMAL_CLOSURE, "replaced by a newer connection with the same sessionId"
            )
        connection = EndpointConnection(session_id, socket, self.limits, self._now())
        self._current[session_id] = connection
        self.room.handle_new_session(
            session_id, socket, is_readonly=is_readonly, object_access=object_access, meta=meta
        )
        return connection

    def is_current(self, connection: EndpointConnection) -> bool:
        """Whether ``connection`` is still its session id's (not taken over, not closed)."""
        return self._current.get(connection.session_id) is connection

    def accepts(self, connection: EndpointConnection) -> bool:
        """Whether a frame of ``connection`` would reach the room: the connection is current
        and its session alive (else the frame is ignored)."""
        session = self.room.sessions.get(connection.session_id)
        return (
            self.is_current(connection)
            and session is not None
            and session.socket is connection.socket
            and session.state is not SessionState.AWAITING_REMOVAL
        )

    def receive(self, connection: EndpointConnection, frame: str | bytes) -> FrameOutcome:
        """One frame of ``connection``: handled, ignored, or the end of its session."""
        if not self.accepts(connection):
            return FrameOutcome.IGNORED
        session = self.room.sessions[connection.session_id]
        if not connection.bucket.allow(self._now()):
            self.room.close_session(connection.session_id, Reason.RATE_LIMITED)
            return FrameOutcome.ENDED
        if not self._deliver(connection, session, frame):
            return FrameOutcome.ENDED
        if connection.session_id in self.room.sessions:
            return FrameOutcome.HANDLED
        return FrameOutcome.ENDED

    def closed(self, connection: EndpointConnection) -> None:
        """``connection``'s websocket is gone: the room cancels its session if the connection
        was still the session's."""
        session = self.room.sessions.get(connection.session_id)
        if session is not None and session.socket is connection.socket:
            self.room.handle_close(connection.session_id)
        if self.is_current(connection):
            del self._current[connection.session_id]

    # the steps of a frame ------------------------------------------------------------------------

    def _deliver(
        self, connection: EndpointConnection, session: RoomSession, frame: str | bytes
    ) -> bool:
        """Assemble, charge, parse and hand one frame to the room; False when it ended the
        session."""
        room, budget, holder = self.room, self._budget, connection.socket
        session_id = connection.session_id
        assembler = connection.assembler
        text: str | None = None
        assembling = assembler.buffered
        try:
            text = assembler.handle_frame(frame)
            budget.release(holder, assembling)
            if text is None:
                return budget.reserve(holder, assembler.buffered) or self._refuse(connection)
            cost = parse_cost(len(text))
            if not budget.reserve(holder, cost, transient=True):
                return self._refuse(connection)
            try:
                dialect = session.dialect if session.state is SessionState.CONNECTED else None
                message = parse_client_message(text, dialect=dialect)
            finally:
                budget.release(holder, cost)
        except ChunkError as error:
            # the session is cancelled (not rejected), so the client may retry; the close says
            # why (1002, protocol error)
            logger.info("session %s sent a bad chunk sequence: %s", session_id, error)
            session.socket.close(PROTOCOL_ERROR, _close_reason(str(error)))
            room.handle_close(session_id)
            return False
        except ProtocolError as error:
            logger.info("session %s sent an invalid message: %s", session_id, error)
            if session.state is SessionState.AWAITING_CONNECT_MESSAGE and text is not None:
                _note_legacy_rejection(session, text)
            room.close_session(session_id, error.close_reason)
            return False
        room.handle_message(session_id, dict(message))
        return True

    def _refuse(self, connection: EndpointConnection) -> bool:
        """A message that cannot fit the memory budget: refused (before it is parsed) with
        1009, and its session ended."""
        logger.warning(
            "refusing a message of session %s: over the memory budget", connection.session_id
        )
        connection.socket.close(MESSAGE_TOO_BIG, "message would exceed the server's memory budget")
        self.room.handle_close(connection.session_id)
        return False


def _close_reason(text: str) -> str:
    """``text`` cut to fit a close frame (at most 123 bytes of UTF-8)."""
    data = text.encode("utf-8", "replace")
    if len(data) <= 123:
        return text
    return data[:120].decode("utf-8", "ignore") + "..."


def _note_legacy_rejection(session: RoomSession, text: str) -> None:
    """A connect request that failed its checks still says how its client takes a refusal.

    The room learns a session's protocol version from its connect; one that never reached the
    room (a bad schema, a missing field) from a protocol 3, 5 or 6 client must be refused with
    an ``incompatibility_error`` all the same.
    """
    try:
        value = loads_frame(text)
    except ProtocolError:
        return
    if type(value) is dict and value.get("type") == "connect":
        negotiation = negotiate_protocol_version(value.get("protocolVersion"))
        session.requires_legacy_rejection = negotiation.requires_legacy_rejection
