"""The session endpoint alone: frames in, room calls, frames out, on a fake clock (SRV8).

The room is real; the sockets are the room's sockets of a host, recording what they were sent.
"""

from __future__ import annotations

from typing import Any

import pytest

from tlsync_core.demo_schema import create_demo_schema
from tlsync_core.endpoint import EndpointLimits, FrameOutcome, SessionEndpoint, parse_cost
from tlsync_core.protocol.chunking import split_message
from tlsync_core.protocol.close_codes import TLSyncErrorCloseEventCode
from tlsync_core.protocol.codec import serialize_message
from tlsync_core.room.room import TLSyncRoom
from tlsync_core.server.memory_budget import MemoryBudget
from tlsync_core.testing import FakeClock

SCHEMA = create_demo_schema()
Message = dict[str, Any]


class RecordingSocket:
    """A room socket that keeps what it was sent and how it was closed."""

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.closed: tuple[int | None, str | None] | None = None

    @property
    def is_open(self) -> bool:
        return self.closed is None

    def send_message(self, message: Any) -> None:
        if self.is_open:
            self.sent.extend(message["data"] if message["type"] == "data" else [message])

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        if self.closed is None:
            self.closed = (code, reason)

    def evict(self) -> None:
        self.close(1013, "evicted")

    def types(self) -> list[str]:
        return [m["type"] for m in self.sent]


def connect_frame(**fields: Any) -> str:
    return serialize_message(
        {
            "type": "connect",
            "connectRequestId": "r",
            "protocolVersion": 8,
            "lastServerClock": -1,
            "schema": SCHEMA.serialize(),
            **fields,
        }
    )


PING = '{"type":"ping"}'


def endpoint(clock: FakeClock, **limits: Any) -> SessionEndpoint:
    return SessionEndpoint(
        TLSyncRoom(SCHEMA, now=clock), now=clock, limits=EndpointLimits(**limits)
    )


@pytest.mark.spec("SRV8", "CH1")
def test_chunks_are_assembled_into_one_message() -> None:
    """Every chunk but the last is HANDLED without reaching the room; the last completes the
    connect request, which the room answers."""
    clock = FakeClock()
    ep = endpoint(clock)
    socket = RecordingSocket()
    connection = ep.open("a", socket)
    chunks = split_message(connect_frame(), 40)
    assert len(chunks) > 2
    for chunk in chunks[:-1]:
        assert ep.receive(connection, chunk) is FrameOutcome.HANDLED
        assert socket.sent == []
    assert ep.receive(connection, chunks[-1]) is FrameOutcome.HANDLED
    assert socket.types() == ["connect"]


@pytest.mark.spec("SRV8", "SRV4")
def test_a_bad_chunk_sequence_cancels_the_session_with_1002() -> None:
    """A whole message where a chunk was due ends the session: closed 1002, the room's session
    cancelled (the client may retry), and later frames are ignored."""
    clock = FakeClock()
    ep = endpoint(clock)
    socket = RecordingSocket()
    connection = ep.open("a", socket)
    assert ep.receive(connection, "1_half") is FrameOutcome.HANDLED
    assert ep.receive(connection, PING) is FrameOutcome.ENDED
    assert socket.closed is not None and socket.closed[0] == 1002
    assert ep.receive(connection, PING) is FrameOutcome.IGNORED


@pytest.mark.spec("SRV8", "SRV4")
def test_the_rate_limit_reads_the_injected_clock() -> None:
    """The token bucket refills with the injected time alone: a burst passes, the frame after
    it passes only once the clock moved, and one over the rate ends the session RATE_LIMITED."""
    clock = FakeClock()
    ep = endpoint(clock, messages_per_second=2.0, message_burst=2.0)
    socket = RecordingSocket()
    connection = ep.open("a", socket)
    assert ep.receive(connection, connect_frame()) is FrameOutcome.HANDLED
    assert ep.receive(connection, PING) is FrameOutcome.HANDLED
    clock.advance(500)  # (one token back)
    assert ep.receive(connection, PING) is FrameOutcome.HANDLED
    assert ep.receive(connection, PING) is FrameOutcome.ENDED
    assert socket.closed == (TLSyncErrorCloseEventCode, "RATE_LIMITED")


@pytest.mark.spec("SRV8", "HS2")
def test_an_old_client_whose_connect_fails_is_refused_the_old_way() -> None:
    """A protocol 6 connect that cannot be parsed (its schema unreadable) still tells the
    endpoint how that client takes a refusal: an ``incompatibility_error``, then a close
    without 4099."""
    clock = FakeClock()
    ep = endpoint(clock)
    socket = RecordingSocket()
    connection = ep.open("old", socket)
    frame = connect_frame(protocolVersion=6, schema={"schemaVersion": 3})
    assert ep.receive(connection, frame) is FrameOutcome.ENDED
    assert socket.sent == [{"type": "incompatibility_error", "reason": "serverTooOld"}]
    assert socket.closed is not None and socket.closed[0] != TLSyncErrorCloseEventCode


@pytest.mark.spec("SRV8", "SRV4")
def test_a_message_that_is_not_the_protocol_rejects_its_session() -> None:
    """An unparsable message from a current client closes its session with 4099 and the
    parser's reason."""
    clock = FakeClock()
    ep = endpoint(clock)
    socket = RecordingSocket()
    connection = ep.open("a", socket)
    assert ep.receive(connection, "{not json") is FrameOutcome.ENDED
    assert socket.closed is not None and socket.closed[0] == TLSyncErrorCloseEventCode


@pytest.mark.spec("SRV8", "SRV1")
def test_a_newer_connection_takes_the_session_over() -> None:
    """Opening a session id that has a connection closes the older one (1000); its frames are
    ignored, and its late close does not cancel the newer session."""
    clock = FakeClock()
    ep = endpoint(clock)
    old, new = RecordingSocket(), RecordingSocket()
    first = ep.open("a", old)
    assert ep.receive(first, connect_frame()) is FrameOutcome.HANDLED
    second = ep.open("a", new)
    assert old.closed == (1000, "replaced by a newer connection with the same sessionId")
    assert ep.receive(first, PING) is FrameOutcome.IGNORED
    ep.closed(first)
    assert ep.room.sessions["a"].socket is new and ep.connections["a"] is second
    assert ep.receive(second, connect_frame()) is FrameOutcome.HANDLED
    assert new.types() == ["connect"]
    ep.closed(second)
    assert "a" not in ep.connections


@pytest.mark.spec("SRV8", "LIM2")
def test_a_message_over_the_budget_is_refused_before_it_is_parsed() -> None:
    """A message whose parse would not fit the memory budget ends its session with 1009
    before it is parsed (the room never sees it); one that fits goes through, and the budget
    is back to empty once it was parsed."""
    frame = connect_frame()
    clock = FakeClock()
    room = TLSyncRoom(SCHEMA, now=clock)
    budget = MemoryBudget(parse_cost(len(frame)) - 1)
    ep = SessionEndpoint(room, now=clock, budget=budget)
    socket = RecordingSocket()
    connection = ep.open("a", socket)
    assert ep.receive(connection, frame) is FrameOutcome.ENDED
    assert socket.closed == (1009, "message would exceed the server's memory budget")
    assert socket.sent == []

    roomy = SessionEndpoint(room, now=clock, budget=MemoryBudget(parse_cost(len(frame))))
    fits = RecordingSocket()
    assert roomy.receive(roomy.open("b", fits), frame) is FrameOutcome.HANDLED
    assert fits.types() == ["connect"]
