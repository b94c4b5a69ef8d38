"""LoopbackNetwork and MemoryClientSocket against a real TLSyncRoom (rules TT10-TT21).

The sync client is not used here: the tests speak the protocol by hand through the sockets.
"""

from __future__ import annotations

from typing import Any

import pytest

from tlsync_core.client_socket import SocketStatusEvent, TLPersistentClientSocket
from tlsync_core.demo_schema import create_demo_schema
from tlsync_core.endpoint import EndpointLimits
from tlsync_core.protocol.close_codes import TLSyncErrorCloseEventReason as Reason
from tlsync_core.protocol.codec import parse_client_message
from tlsync_core.protocol.errors import ProtocolError
from tlsync_core.room.room import TLSyncRoom
from tlsync_core.room.session import (
    SESSION_IDLE_TIMEOUT,
    SESSION_REMOVAL_WAIT_TIME,
    SESSION_START_WAIT_TIME,
    SessionState,
    TLRoomSocket,
)
from tlsync_core.testing import (
    TO_CLIENT,
    TO_ROOM,
    FakeClock,
    FaultPlan,
    LoopbackNetwork,
    MemoryClientSocket,
    socket_pair,
)

SCHEMA = create_demo_schema()
Message = dict[str, Any]


class RecordingRoom(TLSyncRoom):
    """A real room that also keeps every message it handles, as (session id, message)."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(SCHEMA, now=clock)
        self.handled: list[tuple[str, Message]] = []

    def handle_message(self, session_id: str, message: Message) -> None:
        self.handled.append((session_id, message))
        super().handle_message(session_id, message)


class Peer:
    """A socket with what it received (data batches unwrapped) and its status events."""

    def __init__(self, socket: MemoryClientSocket) -> None:
        self.socket = socket
        self.received: list[Message] = []
        self.events: list[SocketStatusEvent] = []
        socket.on_receive_message(self._receive)
        socket.on_status_change(self.events.append)

    def _receive(self, message: Message) -> None:
        if message["type"] == "data":
            self.received.extend(message["data"])
        else:
            self.received.append(message)

    def status(self) -> str:
        return self.socket.connection_status

    def take(self) -> list[Message]:
        taken, self.received = self.received, []
        return taken

    def types(self) -> list[str]:
        return [m["type"] for m in self.take()]

    def send_connect(self, last_clock: int = -1) -> None:
        self.socket.send_message(
            {
                "type": "connect",
                "connectRequestId": f"req-{self.socket.session_id}",
                "protocolVersion": 8,
                "lastServerClock": last_clock,
                "schema": SCHEMA.serialize(),
            }
        )

    def push(self, clock: int, diff: Any = None, presence: Any = None) -> None:
        message: Message = {"type": "push", "clientClock": clock}
        if diff is not None:
            message["diff"] = diff
        if presence is not None:
            message["presence"] = presence
        self.socket.send_message(message)


def shape(suffix: str, x: float = 0) -> Message:
    return {
        "id": f"shape:{suffix}",
        "typeName": "shape",
        "type": "geo",
        "parentId": "page:page",
        "index": "a1",
        "x": x,
        "y": 0,
        "rotation": 0,
        "props": {},
        "meta": {},
    }


def presence(name: str) -> Message:
    return {
        "id": "instance_presence:ignored",
        "typeName": "instance_presence",
        "userName": name,
        "color": "#000000",
        "cursor": None,
    }


class World:
    """A recording room on a fake clock and a network with peers."""

    def __init__(
        self,
        *,
        seed: int = 0,
        faults: FaultPlan | None = None,
        limits: EndpointLimits | None = None,
    ) -> None:
        self.clock = FakeClock(1000.0)
        self.room = RecordingRoom(self.clock)
        self.network = LoopbackNetwork(
            self.room, self.clock, seed=seed, faults=faults, trace=True, limits=limits
        )

    def peer(self, session_id: str | None = None, **options: Any) -> Peer:
        return Peer(self.network.connect_socket(session_id, **options))

    def connected(self, session_id: str, **options: Any) -> Peer:
        peer = self.peer(session_id, **options)
        peer.send_connect()
        self.network.deliver_all()
        assert [m["type"] for m in peer.take()] == ["connect"]
        self.room.handled = []
        return peer

    def state(self, session_id: str) -> SessionState:
        return self.room.sessions[session_id].state

    def handled(self) -> list[tuple[str, Any]]:
        """(session id, type or push clock) of what the room handled, and forget it."""
        out = [
            (sid, m["clientClock"] if m["type"] == "push" else m["type"])
            for sid, m in self.room.handled
        ]
        self.room.handled = []
        return out


# ----------------------------------------------------------------------------------------------
# sockets


@pytest.mark.spec("TT10")
def test_an_auto_connected_socket_is_online_with_a_room_session() -> None:
    """connect_socket() returns an online socket (a TLPersistentClientSocket) whose room-side
    socket (a TLRoomSocket) is registered with the room under the socket's session id; ids
    are generated when not given and may not be shared by two open sockets."""
    w = World()
    socket = w.network.connect_socket("alice")
    protocol_view: TLPersistentClientSocket = socket
    room_view: TLRoomSocket | None = socket.room_socket
    assert protocol_view.connection_status == "online"
    assert room_view is not None and room_view.is_open
    session = w.room.sessions["alice"]
    assert session.socket is socket.room_socket
    assert session.state is SessionState.AWAITING_CONNECT_MESSAGE
    assert w.network.connect_socket().session_id == "session-2"
    with pytest.raises(ValueError, match="in use"):
        w.network.connect_socket("alice")
    later = w.network.connect_socket("bob", auto_connect=False)
    assert later.connection_status == "offline"
    assert "bob" not in w.room.sessions
    assert w.network.stats.connects == 2


@pytest.mark.spec("TT10")
def test_status_listeners_hear_real_changes_only_until_unsubscribed() -> None:
    """Status listeners get a SocketStatusEvent per actual change (a second disconnect, or a
    restart while offline, is not one); unsubscribing (idempotent) stops both kinds of
    listener."""
    w = World()
    a = w.peer("a")
    w.network.disconnect(a.socket)
    assert not w.network.disconnect(a.socket)
    w.network.reconnect(a.socket)
    assert a.events == [SocketStatusEvent("offline"), SocketStatusEvent("online")]
    statuses: list[SocketStatusEvent] = []
    messages: list[Message] = []
    stop_status = a.socket.on_status_change(statuses.append)
    stop_messages = a.socket.on_receive_message(messages.append)
    a.send_connect()
    w.network.deliver_all()
    assert [m["type"] for m in messages] == ["connect"]
    stop_status()
    stop_status()
    stop_messages()
    w.network.disconnect(a.socket)
    a.socket.restart()
    w.network.deliver_all()
    assert statuses == []
    assert [m["type"] for m in messages] == ["connect"]
    assert a.events == [SocketStatusEvent(s) for s in ("offline", "online", "offline", "online")]


# ----------------------------------------------------------------------------------------------
# the wire


@pytest.mark.spec("TT11")
def test_nothing_is_delivered_synchronously() -> None:
    """A sent message reaches the room only on a delivery call, and the room's answer reaches
    the client only on a later one."""
    w = World()
    a = w.peer("a")
    a.send_connect()
    assert w.room.handled == []
    assert w.network.pending(a.socket, TO_ROOM) == 1
    assert w.network.deliver_one()
    assert w.handled() == [("a", "connect")]
    assert a.received == []
    assert w.network.pending(a.socket, TO_CLIENT) == 1
    assert w.network.deliver_one()
    assert a.types() == ["connect"]
    assert not w.network.deliver_one()
    assert not w.network.step()


@pytest.mark.spec("TT11")
def test_messages_cross_as_wire_values() -> None:
    """Both directions go through serialize/parse: a tuple arrives as a list, 1.0 as the int 1,
    a later change to the sent dict is not seen, a value JSON cannot hold raises TypeError in
    the sender, and each client gets its own copy of a broadcast."""
    w = World()
    a, b = w.connected("a"), w.connected("b")
    message: Message = {
        "type": "push",
        "clientClock": 0,
        "diff": {"shape:s": ("put", shape("s", x=1.0))},
    }
    a.socket.send_message(message)
    message["diff"]["shape:s"] = ("remove",)
    w.network.run_until_quiet()
    ((_, handled),) = w.room.handled
    op = handled["diff"]["shape:s"]
    assert type(op) is list and op[0] == "put"
    assert type(op[1]["x"]) is int and op[1]["x"] == 1
    (patch,) = b.take()
    assert patch["type"] == "patch"
    assert patch["diff"] == {"shape:s": ["put", shape("s", x=1)]}
    assert patch["diff"]["shape:s"][1] is not w.room.storage.get("shape:s")
    with pytest.raises(TypeError):
        a.socket.send_message({"type": "ping", "bad": {1, 2}})
    assert w.network.pending() == 0


@pytest.mark.spec("TT11")
def test_an_invalid_client_message_rejects_the_session_like_the_server() -> None:
    """A frame that parse_client_message refuses makes the room reject the session with the
    error's close reason: the client ends in 'error' with that reason."""
    w = World()
    a = w.connected("a")
    bad = {"type": "push", "clientClock": "x"}
    with pytest.raises(ProtocolError) as caught:
        parse_client_message(str(bad).replace("'", '"'), dialect=8)
    a.socket.send_message(bad)
    w.network.deliver_all()
    assert a.status() == "error"
    assert a.events[-1] == SocketStatusEvent("error", caught.value.close_reason)
    assert "a" not in w.room.sessions


# ----------------------------------------------------------------------------------------------
# ordering


def _pushes(seed: int) -> list[tuple[str, Any]]:
    w = World(seed=seed)
    peers = [w.connected(name) for name in ("a", "b", "c")]
    for clock in range(5):
        for peer in peers:
            peer.push(clock)
    w.network.deliver_all()
    return w.handled()


@pytest.mark.spec("TT12")
def test_step_is_fifo_per_channel_random_across_channels_and_seeded() -> None:
    """step() keeps each connection's order but interleaves connections at random; the same
    seed gives the same interleaving and different seeds give different ones."""
    runs = {seed: _pushes(seed) for seed in range(8)}
    for order in runs.values():
        for name in ("a", "b", "c"):
            assert [c for sid, c in order if sid == name] == [0, 1, 2, 3, 4]
    assert _pushes(3) == runs[3]
    assert len({tuple(order) for order in runs.values()}) > 1


@pytest.mark.spec("TT12")
def test_answers_come_back_in_order() -> None:
    """Push results come back to the pusher in the order of its pushes, even with random
    latency (FIFO is kept per direction)."""
    w = World(seed=5, faults=FaultPlan(min_latency_ms=1, max_latency_ms=40))
    a = w.peer("a")
    a.send_connect()
    w.network.run_until_quiet()
    assert a.types() == ["connect"]
    for clock in range(10):
        a.push(clock)
    elapsed = w.network.run_until_quiet()
    assert elapsed > 0
    results = a.take()
    assert [m["clientClock"] for m in results] == list(range(10))


@pytest.mark.spec("TT13")
def test_deliver_one_follows_global_send_order() -> None:
    """deliver_one() always takes the oldest deliverable frame of the whole network."""
    w = World()
    a, b = w.connected("a"), w.connected("b")
    a.push(0)
    b.push(0)
    a.push(1)
    while w.network.deliver_one():
        pass
    assert w.handled() == [("a", 0), ("b", 0), ("a", 1)]


# ----------------------------------------------------------------------------------------------
# explicit faults


@pytest.mark.spec("TT14")
def test_drop_next_loses_exactly_the_next_message() -> None:
    """drop_next(socket, direction) loses the next message in that direction only; the one
    after it arrives; stats.dropped counts it."""
    w = World()
    a = w.connected("a")
    w.network.drop_next(a.socket, TO_ROOM)
    a.push(0)
    a.push(1)
    w.network.deliver_all()
    assert w.handled() == [("a", 1)]
    w.network.drop_next(a.socket, TO_CLIENT)
    a.socket.send_message({"type": "ping"})
    a.socket.send_message({"type": "ping"})
    w.network.deliver_all()
    pongs = [m for m in a.take() if m["type"] == "pong"]
    assert len(pongs) == 1
    assert w.network.stats.dropped == 2


@pytest.mark.spec("TT14")
def test_duplicate_next_delivers_a_message_twice() -> None:
    """duplicate_next(socket, direction) delivers the next message twice in a row, and nothing
    else twice; stats.duplicated counts the copy."""
    w = World()
    a = w.connected("a")
    w.network.duplicate_next(a.socket, TO_ROOM)
    a.push(0, presence=["put", presence("x")])
    a.push(1)
    w.network.run_until_quiet()
    assert w.handled() == [("a", 0), ("a", 0), ("a", 1)]
    assert w.network.stats.duplicated == 1
    w.network.duplicate_next(a.socket, TO_CLIENT)
    a.socket.send_message({"type": "ping"})
    w.network.run_until_quiet()
    assert [m["type"] for m in a.take()].count("pong") == 2


@pytest.mark.spec("TT15")
def test_hold_stalls_a_channel_until_released() -> None:
    """hold(socket, direction) keeps that direction's frames queued (in order) while the other
    flows; release() lets them through."""
    w = World()
    a = w.peer("a")
    w.network.hold(a.socket, TO_CLIENT)
    a.send_connect()
    a.socket.send_message({"type": "ping"})
    w.network.deliver_all()
    assert w.handled() == [("a", "connect"), ("a", "ping")]
    assert a.received == []
    assert w.network.pending(a.socket, TO_CLIENT) == 2
    assert w.network.run_until_quiet() == 0
    w.network.release(a.socket)
    w.network.deliver_all()
    assert a.types() == ["connect", "pong"]


@pytest.mark.spec("TT15")
def test_a_timed_hold_delays_delivery() -> None:
    """hold(..., for_ms=) releases by itself: run_until_quiet waits for it, so the frame
    arrives that much later."""
    w = World()
    a = w.connected("a")
    w.network.hold(a.socket, for_ms=250)
    a.socket.send_message({"type": "ping"})
    w.network.deliver_all()
    assert w.room.handled == []
    assert w.network.run_until_quiet() == 250
    assert a.types() == ["pong"]


@pytest.mark.spec("TT16")
def test_disconnect_drops_in_flight_and_closes_both_ends() -> None:
    """disconnect(): the client is offline at once, frames in flight both ways are lost, the
    room gets handle_close (the session awaits removal), and sends while offline are dropped
    and counted."""
    w = World()
    a = w.peer("a")
    a.send_connect()
    w.network.deliver_one()  # the room answered: its connect is now in flight
    a.push(0)  # and so is this push
    assert w.network.pending(a.socket) == 2
    assert w.network.disconnect(a.socket)
    assert a.status() == "offline"
    assert a.socket.room_socket is None
    assert w.network.pending() == 0
    assert w.network.stats.discarded_in_flight == 2
    assert w.network.stats.disconnects == 1
    assert w.state("a") is SessionState.AWAITING_REMOVAL
    a.socket.send_message({"type": "ping"})
    assert a.socket.dropped_while_offline == 1
    assert w.network.stats.dropped_offline == 1
    w.network.run_until_quiet()
    assert a.received == []
    assert w.handled() == [("a", "connect")]


@pytest.mark.spec("TT16")
def test_reconnect_opens_a_new_session_under_the_same_id() -> None:
    """reconnect(): online again at once, with a fresh room session on a new room socket under
    the same session id, which keeps its presence id over the quick reconnect."""
    w = World()
    a = w.connected("a")
    old_socket = a.socket.room_socket
    presence_id = w.room.sessions["a"].presence_id
    w.network.disconnect(a.socket)
    w.network.reconnect(a.socket)
    assert a.status() == "online"
    session = w.room.sessions["a"]
    assert session.state is SessionState.AWAITING_CONNECT_MESSAGE
    assert session.socket is a.socket.room_socket is not old_socket
    assert old_socket is not None and not old_socket.is_open
    assert session.presence_id == presence_id
    a.send_connect()
    w.network.deliver_all()
    assert a.types() == ["connect"]
    assert a.socket.connections == 2


# ----------------------------------------------------------------------------------------------
# closes from the room side


@pytest.mark.spec("TT17")
def test_a_4099_close_from_the_room_becomes_error_after_earlier_frames() -> None:
    """When the room closes with 4099, frames it sent before still arrive, then the close: the
    client's status is 'error' with the close reason; messages sent towards the closed room
    are lost."""
    w = World()
    a = w.peer("a")
    a.send_connect()
    w.network.deliver_one()  # the room's connect answer is in flight
    w.room.close_session("a", Reason.FORBIDDEN)
    a.socket.send_message({"type": "ping"})  # the room has closed: nobody reads this
    assert a.status() == "online"
    w.network.deliver_one()
    assert a.types() == ["connect"]
    assert a.status() == "online"
    w.network.deliver_one()
    assert a.status() == "error"
    assert a.socket.error_reason == "FORBIDDEN"
    assert a.events[-1] == SocketStatusEvent("error", "FORBIDDEN")
    assert w.network.stats.error_closes == 1
    assert w.network.stats.discarded_in_flight == 1
    assert w.handled() == [("a", "connect")]


@pytest.mark.spec("TT17")
def test_a_room_rejection_reaches_the_client_as_its_reason() -> None:
    """A push the room refuses (an invalid record) ends the pusher in 'error' with the room's
    reason, INVALID_RECORD; other sessions are untouched."""
    w = World()
    a, b = w.connected("a"), w.connected("b")
    a.push(0, diff={"shape:bad": ["put", {**shape("bad"), "x": "not a number"}]})
    w.network.run_until_quiet()
    assert a.events[-1] == SocketStatusEvent("error", "INVALID_RECORD")
    assert b.status() == "online"
    assert b.take() == []


@pytest.mark.spec("TT17")
def test_a_close_without_4099_becomes_offline() -> None:
    """A room-side close with no code (a plain removal) reaches the client as 'offline'."""
    w = World()
    a = w.connected("a")
    w.room.close_session("a")
    assert a.status() == "online"
    w.network.deliver_all()
    assert a.status() == "offline"
    assert a.events[-1] == SocketStatusEvent("offline")
    assert w.network.stats.room_closes == 1
    assert w.network.stats.error_closes == 0


@pytest.mark.spec("TT17")
def test_close_with_error() -> None:
    """close_with_error(socket, reason): the room sees the close at once, frames towards it are
    lost, frames towards the client still arrive, then the client is in 'error' with reason."""
    w = World()
    a = w.connected("a")
    a.socket.send_message({"type": "ping"})
    w.network.deliver_one()  # the pong is in flight
    a.socket.send_message({"type": "ping"})  # in flight towards the room
    w.network.close_with_error(a.socket, "RATE_LIMITED")
    assert w.state("a") is SessionState.AWAITING_REMOVAL
    assert w.network.stats.discarded_in_flight == 1
    w.network.deliver_all()
    assert a.types() == ["pong"]
    assert a.status() == "error"
    assert a.socket.error_reason == "RATE_LIMITED"
    with pytest.raises(ValueError, match="no open connection"):
        w.network.close_with_error(a.socket, "RATE_LIMITED")


# ----------------------------------------------------------------------------------------------
# reconnection


@pytest.mark.spec("TT18")
def test_restart_reconnects_on_a_later_step_not_inside_restart() -> None:
    """restart(): 'offline' at once; the new connection opens on a later network step (so a
    client calling restart from a listener is not re-entered), then 'online' again."""
    w = World()
    a = w.connected("a")
    seen_inside: list[str] = []

    def on_status(event: SocketStatusEvent) -> None:
        if event.status == "offline":
            seen_inside.append(a.socket.connection_status)

    a.socket.on_status_change(on_status)
    a.socket.restart()
    assert seen_inside == ["offline"]
    assert a.status() == "offline"
    assert a.socket.reconnecting
    assert w.state("a") is SessionState.AWAITING_REMOVAL
    assert w.network.step()
    assert a.status() == "online"
    assert w.state("a") is SessionState.AWAITING_CONNECT_MESSAGE
    assert a.events[-2:] == [SocketStatusEvent("offline"), SocketStatusEvent("online")]


@pytest.mark.spec("TT18")
def test_auto_reconnect_after_a_delay_but_not_after_an_error() -> None:
    """With reconnect_delay_ms, a socket that went offline reconnects that much later by
    itself; after an 'error' it waits for restart()."""
    w = World()
    a = w.connected("a", reconnect_delay_ms=500)
    w.network.disconnect(a.socket)
    w.network.run_for(499)
    assert a.status() == "offline"
    w.network.run_for(1)
    assert a.status() == "online"
    assert w.clock.now() == 1500.0
    w.network.close_with_error(a.socket, "NOT_FOUND")
    w.network.run_for(5000)
    assert a.status() == "error"
    a.socket.restart()
    w.network.deliver_all()
    assert a.status() == "online"


@pytest.mark.spec("TT18")
def test_close_is_final() -> None:
    """close(): offline, the room sees the close, no reconnection; sending and restarting
    raise; the session id may then be used by a new socket."""
    w = World()
    a = w.connected("a", reconnect_delay_ms=10)
    a.socket.close()
    a.socket.close()
    assert a.socket.is_closed
    assert a.status() == "offline"
    assert w.state("a") is SessionState.AWAITING_REMOVAL
    w.network.run_for(100)
    assert a.status() == "offline"
    with pytest.raises(RuntimeError):
        a.socket.send_message({"type": "ping"})
    with pytest.raises(RuntimeError):
        a.socket.restart()
    with pytest.raises(RuntimeError):
        w.network.reconnect(a.socket)
    again = w.network.connect_socket("a")
    assert w.room.sessions["a"].socket is again.room_socket


# ----------------------------------------------------------------------------------------------
# time


@pytest.mark.spec("TT19")
def test_run_until_quiet_ticks_the_room_to_flush_batches() -> None:
    """The room sends the first data message at once and batches the next for 16 ms:
    deliver_all (time standing still) leaves it queued in the room; run_until_quiet advances
    the clock to the room's deadline and ticks it, so it arrives."""
    w = World()
    a, b = w.connected("a"), w.connected("b")
    a.push(0, diff={"shape:1": ["put", shape("1")]})
    a.push(1, diff={"shape:2": ["put", shape("2")]})
    w.network.deliver_all()
    assert [m["clientClock"] for m in a.take()] == [0]
    assert [m["type"] for m in b.take()] == ["patch"]
    start = w.clock.now()
    w.network.run_until_quiet()
    assert w.clock.now() > start
    assert [m["clientClock"] for m in a.take()] == [1]
    assert [list(m["diff"]) for m in b.take()] == [["shape:2"]]


@pytest.mark.spec("TT19")
def test_run_for_drives_the_room_timeouts() -> None:
    """run_for() moves the clock by exactly the given time, ticking the room when due: a
    socket that never sends connect is removed after SESSION_START_WAIT_TIME; a silent
    connected session is cancelled after SESSION_IDLE_TIMEOUT and removed after the grace
    period; each client sees its socket close."""
    w = World()
    silent = w.peer("silent")
    idle = w.connected("idle")
    start = w.clock.now()
    w.network.run_for(SESSION_START_WAIT_TIME + 1)
    assert w.clock.now() == start + SESSION_START_WAIT_TIME + 1
    assert "silent" not in w.room.sessions
    assert silent.status() == "offline"
    assert idle.status() == "online"
    w.network.run_for(SESSION_IDLE_TIMEOUT - SESSION_START_WAIT_TIME)
    assert w.state("idle") is SessionState.AWAITING_REMOVAL
    assert idle.status() == "offline"
    w.network.run_for(SESSION_REMOVAL_WAIT_TIME + 1)
    assert w.room.sessions == {}


@pytest.mark.spec("TT19")
def test_run_until_quiet_runs_client_timers_and_ignores_far_ones() -> None:
    """Client timers on the clock run within the quiet window (a ping sent by a timer is
    answered); a timer further away than quiet_ms does not keep the network busy; a world
    that never goes quiet raises RuntimeError."""
    w = World()
    a = w.connected("a")
    w.clock.call_later(300, lambda: a.socket.send_message({"type": "ping"}))
    w.clock.call_later(10_000, lambda: None)
    elapsed = w.network.run_until_quiet(quiet_ms=1000)
    assert elapsed == 300
    assert a.types() == ["pong"]
    assert w.clock.pending_timers == 1

    def chatter() -> None:
        a.socket.send_message({"type": "ping"})
        w.clock.call_later(100, chatter)

    chatter()
    with pytest.raises(RuntimeError, match="not quiet"):
        w.network.run_until_quiet(max_ms=2000)


# ----------------------------------------------------------------------------------------------
# random faults


def _chaos(seed: int) -> tuple[list[str], Any]:
    faults = FaultPlan(
        drop=0.05,
        duplicate=0.05,
        hold=0.05,
        hold_ms=30,
        disconnect=0.02,
        reconnect=0.3,
        min_latency_ms=0,
        max_latency_ms=20,
    )
    w = World(seed=seed, faults=faults)
    peers = [w.peer(name, reconnect_delay_ms=100) for name in ("a", "b", "c")]
    for peer in peers:

        def reconnected(event: SocketStatusEvent, peer: Peer = peer) -> None:
            if event.status == "online":
                peer.send_connect()

        peer.socket.on_status_change(reconnected)
        peer.send_connect()
    for clock in range(20):
        for i, peer in enumerate(peers):
            peer.push(clock, diff={f"shape:{i}-{clock}": ["put", shape(f"{i}-{clock}")]})
        w.network.run_for(10)
    w.network.run_until_quiet()
    assert w.network.log is not None
    return w.network.log, w.network.stats


@pytest.mark.spec("TT20")
def test_random_faults_are_reproducible_and_counted() -> None:
    """With a FaultPlan, the same seed gives exactly the same run (event log and counters);
    another seed gives another run; every kind of fault is counted."""
    log, stats = _chaos(11)
    assert _chaos(11) == (log, stats)
    assert _chaos(12)[0] != log
    assert stats.dropped > 0
    assert stats.duplicated > 0
    assert stats.held > 0
    assert stats.disconnects > 0
    assert stats.connects > 3
    assert stats.delivered > 0


@pytest.mark.spec("TT20")
def test_random_reconnects_revive_offline_sockets_only() -> None:
    """FaultPlan.reconnect brings back sockets that are 'offline', never one in 'error' (that
    waits for restart()) nor a closed one."""
    w = World(faults=FaultPlan(reconnect=1.0))
    talker = w.connected("talker")
    offline, failed, closed = w.connected("offline"), w.connected("failed"), w.connected("closed")
    w.network.disconnect(offline.socket)
    w.network.close_with_error(failed.socket, "FORBIDDEN")
    w.network.deliver_all()
    closed.socket.close()
    assert failed.status() == "error"
    talker.socket.send_message({"type": "ping"})
    assert w.network.step()
    assert offline.status() == "online"
    for _ in range(5):
        talker.socket.send_message({"type": "ping"})
        w.network.deliver_all()
    assert failed.status() == "error"
    assert closed.status() == "offline"
    assert w.network.stats.connects == 5


@pytest.mark.spec("TT20")
def test_fault_plans_are_validated() -> None:
    """Probabilities must lie in [0, 1], durations be finite and non-negative, and the latency
    range be ordered."""
    with pytest.raises(ValueError, match="probability"):
        FaultPlan(drop=1.5)
    with pytest.raises(ValueError, match="duration"):
        FaultPlan(hold_ms=-1)
    with pytest.raises(ValueError, match="max_latency_ms"):
        FaultPlan(min_latency_ms=10, max_latency_ms=5)


# ----------------------------------------------------------------------------------------------
# room replacement and the convenience


@pytest.mark.spec("TT21")
def test_replace_room_cuts_every_connection() -> None:
    """replace_room(): every connected socket goes offline (the old room is not told), and the
    next connections go to the new room."""
    w = World()
    a = w.connected("a")
    new_room = RecordingRoom(w.clock)
    w.network.replace_room(new_room)
    assert a.status() == "offline"
    assert w.state("a") is SessionState.CONNECTED
    assert w.network.room is new_room
    w.network.reconnect(a.socket)
    assert new_room.sessions["a"].socket is a.socket.room_socket


@pytest.mark.spec("TT21")
def test_socket_pair() -> None:
    """socket_pair(room, clock) gives an online socket on a fault-free network."""
    clock = FakeClock()
    room = TLSyncRoom(SCHEMA, now=clock)
    socket, network = socket_pair(room, clock, "solo")
    peer = Peer(socket)
    peer.send_connect()
    network.run_until_quiet()
    (connect,) = peer.take()
    assert connect["type"] == "connect" and connect["hydrationType"] == "wipe_all"
    assert set(connect["diff"]) == {"document:document", "page:page"}


# ----------------------------------------------------------------------------------------------
# the server's session endpoint on the loopback


@pytest.mark.spec("TT24", "CH1")
def test_long_client_messages_travel_in_chunks_and_are_assembled() -> None:
    """A socket cuts a message longer than its ``max_message_size`` into chunk frames, as the
    websocket adapter does; the room receives the one message, assembled by the endpoint."""
    w = World()
    a = w.connected("a", max_message_size=64)
    sent = w.network.stats.sent
    a.push(0, diff={"shape:long": ["put", shape("long")]})
    assert w.network.stats.sent - sent > 2  # (one message, several frames)
    w.network.deliver_all()
    assert [m["type"] for _, m in w.room.handled] == ["push"]
    assert w.room.storage.get("shape:long") is not None
    assert a.types() == ["push_result"]


@pytest.mark.spec("TT24", "SRV4")
def test_a_bad_chunk_sequence_cancels_the_session_on_the_loopback() -> None:
    """A frame that breaks a chunk sequence closes the connection with 1002 (protocol error),
    and the client goes offline, free to reconnect, as on the real server."""
    w = World()
    a = w.connected("a")
    room_socket = a.socket.room_socket
    assert room_socket is not None
    a.socket.send_frame("1_two chunks expected")
    a.socket.send_frame('{"type":"ping"}')
    w.network.deliver_all()
    assert room_socket.close_code == 1002
    assert a.status() == "offline"


@pytest.mark.spec("TT24", "HS2")
def test_an_old_client_is_refused_the_old_way_on_the_loopback() -> None:
    """A protocol 6 connect that fails its checks (an unreadable schema) is answered with an
    ``incompatibility_error`` and a close without 4099, as the real server answers it."""
    w = World()
    a = w.peer("old")
    a.socket.send_message(
        {
            "type": "connect",
            "connectRequestId": "r",
            "protocolVersion": 6,
            "lastServerClock": -1,
            "schema": {"schemaVersion": 3},
        }
    )
    w.network.deliver_all()
    assert a.take() == [{"type": "incompatibility_error", "reason": "serverTooOld"}]
    assert a.status() == "offline"
    assert w.network.stats.error_closes == 0


@pytest.mark.spec("TT24", "SRV4")
def test_the_rate_limit_runs_on_the_fake_clock() -> None:
    """Beyond its burst a session gets tokens back only as fake time passes: two pings at one
    instant pass, a third a second later passes, a fourth at that instant is over the rate
    (closed RATE_LIMITED, the client's status ``error``)."""
    w = World(limits=EndpointLimits(messages_per_second=1.0, message_burst=3.0))
    a = w.connected("a")  # (its connect took a token)
    for _ in range(2):
        a.socket.send_message({"type": "ping"})
    w.network.deliver_all()
    assert a.types() == ["pong", "pong"]
    w.clock.advance(1000)
    a.socket.send_message({"type": "ping"})
    w.network.deliver_all()
    assert a.types() == ["pong"] and a.status() == "online"
    a.socket.send_message({"type": "ping"})
    w.network.deliver_all()
    assert a.status() == "error"
    assert a.socket.error_reason == Reason.RATE_LIMITED
