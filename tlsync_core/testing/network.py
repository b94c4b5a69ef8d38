"""An in-memory, deterministic, fault-injecting network between client sockets and a room.

Theory of operation
===================

Pieces.  A :class:`LoopbackNetwork` connects one :class:`~tlsync_core.room.room.TLSyncRoom` to
any number of :class:`MemoryClientSocket` s (each a
:class:`~tlsync_core.client_socket.TLPersistentClientSocket`, what a sync client talks to).  Each
time a client socket goes online the network opens a *connection*: a fresh
:class:`MemoryRoomSocket` (the room's :class:`~tlsync_core.room.session.TLRoomSocket`),
registered with ``room.handle_new_session(session_id, ...)``, and two FIFO queues, one per
direction (``"to_room"`` and ``"to_client"``).  A socket keeps its session id across
reconnections, as tldraw clients do, so the room keeps its presence over a quick reconnect.

The wire.  Nothing is delivered synchronously.  ``send_message`` serialises the message at
once with :func:`~tlsync_core.protocol.codec.serialize_message` (so a value JSON cannot hold
raises ``TypeError`` in the sender, and later mutation of the dict changes nothing) and queues
the text, a client's cut into chunks as the websocket adapter cuts it
(:func:`~tlsync_core.protocol.chunking.split_message`, ``max_message_size``).  Frames reach the
room through the server's own :class:`~tlsync_core.endpoint.SessionEndpoint`: chunk assembly,
parsing in the session's dialect, the rate limit (on the fake clock), legacy rejection and
takeover are the real server's; a frame for a session that is over is ignored.  Frames to a
client are parsed with :func:`~tlsync_core.protocol.codec.parse_server_message`, so every side
sees exactly the wire value (tuples arrive as lists, ``1.0`` as ``1``); one from the room that
is not the protocol raises ``ProtocolError`` out of the delivering call: the room is ours, so
that is a bug the test must see.  The network counts no memory (the endpoint's budget never
refuses).

Time and order.  Everything runs on one :class:`~tlsync_core.testing.clock.FakeClock`; there are
no threads, no event loop and no real time.  The driving calls are:

* :meth:`LoopbackNetwork.deliver_one`: the oldest deliverable event of the whole network (global
  send order), no random faults;
* :meth:`LoopbackNetwork.step`: one event of a channel (connection and direction) chosen at
  random with the network's seeded ``random.Random``: random interleaving across channels,
  FIFO within one; the :class:`FaultPlan` applies here;
* :meth:`LoopbackNetwork.deliver_all`: ``step`` until nothing is deliverable, time standing still;
* :meth:`LoopbackNetwork.run_for` and :meth:`LoopbackNetwork.run_until_quiet`: the whole world:
  deliver, run the clock's due timers (the clients'), ``room.tick()`` when
  ``room.next_deadline()`` is due, and advance the clock to the next thing that will happen.

The room is also ticked after every frame it receives, as the real server wakes its timer loop
after every frame.  Given the same seed, fault plan and sequence of calls, a run is exactly
reproducible.

Connections end in four ways, mirroring a websocket host:

* the network cuts it (:meth:`LoopbackNetwork.disconnect`, a random fault,
  :meth:`MemoryClientSocket.restart`, :meth:`MemoryClientSocket.close`): both ends see the close
  at once, every frame in flight is lost both ways, the client's status becomes ``"offline"``
  and the room gets ``handle_close(session_id)``;
* the room closes its socket (``socket.close(code, reason)``, e.g. when it rejects a session):
  frames towards the room are lost, frames already sent to the client still arrive, then the
  close; code 4099 becomes status ``"error"`` with the reason (``UNKNOWN_ERROR`` if empty),
  any other code ``"offline"`` — exactly what the websocket adapter does;
* the host closes it with an error (:meth:`LoopbackNetwork.close_with_error`): the same as a
  room-side 4099 close, and the room gets ``handle_close``;
* :meth:`LoopbackNetwork.replace_room` (a server restart): every connection is cut.

``handle_close`` is only ever called for the session whose current socket is that connection's
(as the real server checks), so a late close never cancels a newer session of the same id.

Reconnection.  A socket created with ``auto_connect=True`` is online when
:meth:`LoopbackNetwork.connect_socket` returns.  :meth:`LoopbackNetwork.reconnect` opens a new
connection at once.  :meth:`MemoryClientSocket.restart` goes offline at once and queues the new
connection as a network event, opened by a later ``deliver_one``/``step``/``run_*`` call, never
inside ``restart()`` (a client calling ``restart`` from a status listener is not re-entered).
With ``reconnect_delay_ms`` set, a socket that went offline (not ``"error"``, not closed) queues
a reconnection that many ms later, like a persistent websocket adapter; by default it stays
offline until told.

Faults.  Explicit ones for tests: :meth:`~LoopbackNetwork.drop_next`,
:meth:`~LoopbackNetwork.duplicate_next`, :meth:`~LoopbackNetwork.hold` /
:meth:`~LoopbackNetwork.release`, :meth:`~LoopbackNetwork.disconnect`,
:meth:`~LoopbackNetwork.reconnect`, :meth:`~LoopbackNetwork.close_with_error`.  Random ones in
a :class:`FaultPlan` (probabilities per :meth:`~LoopbackNetwork.step`, and a latency range).
Dropping or duplicating a frame of a live websocket is something TCP never does: those faults
test robustness beyond the protocol's assumptions.  Everything is counted in
:attr:`LoopbackNetwork.stats`.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, NamedTuple, TypeAlias

import attrs

from tlsync_core.client_socket import (
    Listeners,
    SocketStatusEvent,
    TLPersistentClientSocketStatus,
)
from tlsync_core.endpoint import EndpointConnection, EndpointLimits, SessionEndpoint
from tlsync_core.protocol.chunking import MAX_SAFE_MESSAGE_SIZE, split_message
from tlsync_core.protocol.close_codes import TLSyncErrorCloseEventCode, close_reason_or_default
from tlsync_core.protocol.codec import parse_server_message, serialize_message
from tlsync_core.room.room import TLSyncRoom
from tlsync_core.room.session import ObjectAccess
from tlsync_core.testing.clock import FakeClock, FakeTimer

__all__ = [
    "TO_CLIENT",
    "TO_ROOM",
    "Direction",
    "FaultPlan",
    "LoopbackNetwork",
    "MemoryClientSocket",
    "MemoryRoomSocket",
    "NetworkStats",
    "SocketPair",
    "socket_pair",
]

Direction: TypeAlias = Literal["to_room", "to_client"]
TO_ROOM: Final = "to_room"
TO_CLIENT: Final = "to_client"
_DIRECTIONS: Final[tuple[Direction, Direction]] = ("to_room", "to_client")

NORMAL_CLOSURE: Final = 1000
"""The close code of a room-side ``close()`` without a code (as the real server sends)."""

_TRACE_TEXT_LIMIT: Final = 200


def _probability(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be a probability in [0, 1], got {value!r}")


def _duration(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value < math.inf:
        raise ValueError(f"{attribute.name} must be a finite duration >= 0, got {value!r}")


@attrs.frozen
class FaultPlan:
    """Random faults of :meth:`LoopbackNetwork.step`, each a probability per step, and latency.

    * ``drop``: the picked message is lost (the connection stays up);
    * ``duplicate``: the picked message is delivered twice in a row;
    * ``hold``: instead of delivering, the picked channel stalls for up to ``hold_ms``;
    * ``disconnect``: an online socket chosen at random is disconnected (as
      :meth:`LoopbackNetwork.disconnect`);
    * ``reconnect``: a socket with status ``"offline"`` (not ``"error"``, not closed, not
      already reconnecting) chosen at random reconnects (as :meth:`LoopbackNetwork.reconnect`);
    * ``min_latency_ms``/``max_latency_ms``: each frame becomes deliverable a uniformly random
      time after it is sent, never before the frame ahead of it (FIFO is kept).

    Close frames and connection openings are never dropped, duplicated or stalled at random.
    """

    drop: float = attrs.field(default=0.0, validator=_probability)
    duplicate: float = attrs.field(default=0.0, validator=_probability)
    hold: float = attrs.field(default=0.0, validator=_probability)
    hold_ms: float = attrs.field(default=100.0, validator=_duration)
    disconnect: float = attrs.field(default=0.0, validator=_probability)
    reconnect: float = attrs.field(default=0.0, validator=_probability)
    min_latency_ms: float = attrs.field(default=0.0, validator=_duration)
    max_latency_ms: float = attrs.field(default=0.0, validator=_duration)

    def __attrs_post_init__(self) -> None:
        if self.max_latency_ms < self.min_latency_ms:
            raise ValueError("max_latency_ms must be >= min_latency_ms")


NO_FAULTS: Final = FaultPlan()


@attrs.define
class NetworkStats:
    """What happened on a :class:`LoopbackNetwork` (counters only grow)."""

    sent: int = 0
    """Messages queued on a connection (both directions)."""
    delivered_to_room: int = 0
    delivered_to_client: int = 0
    dropped: int = 0
    """Messages lost by fault injection (``drop_next`` or ``FaultPlan.drop``)."""
    duplicated: int = 0
    """Extra copies delivered by fault injection."""
    held: int = 0
    """Random stalls of a channel (``FaultPlan.hold``)."""
    discarded_in_flight: int = 0
    """Messages lost because their connection closed (or was closed on the room side)."""
    dropped_offline: int = 0
    """Messages a client socket dropped because it was not online."""
    connects: int = 0
    """Connections opened (room sessions started)."""
    disconnects: int = 0
    """Connections cut by the network side (``disconnect``, random faults, ``restart``,
    ``close``, ``replace_room``)."""
    room_closes: int = 0
    """Connections closed by the room side (the room, or ``close_with_error``)."""
    error_closes: int = 0
    """Closes delivered to a client as status ``"error"`` (code 4099)."""

    @property
    def delivered(self) -> int:
        return self.delivered_to_room + self.delivered_to_client


@attrs.define(eq=False)
class _Frame:
    seq: int
    ready_at: float
    text: str | None  # None: a close frame
    close_code: int | None = None
    close_reason: str | None = None
    copy: bool = False  # a duplicate made by fault injection (exempt from further faults)


class _Connection:
    """One connection of a client socket: the room's socket and a queue per direction."""

    __slots__ = ("endpoint", "live", "queues", "room_notified", "room_socket", "socket")

    def __init__(self, network: LoopbackNetwork, socket: MemoryClientSocket) -> None:
        self.socket = socket
        self.room_socket = MemoryRoomSocket(network, self)
        self.queues: dict[Direction, deque[_Frame]] = {"to_room": deque(), "to_client": deque()}
        self.live = True
        self.room_notified = False
        self.endpoint: EndpointConnection | None = None  # (set once the endpoint opened it)


class MemoryRoomSocket:
    """The room's end of one connection (a :class:`~tlsync_core.room.session.TLRoomSocket`).

    ``send_message`` serialises and queues towards the client; after the socket closed it does
    nothing (as the real server's socket).  ``close(code, reason)`` closes it from the room
    side: see the module docstring.  ``close_code``/``close_reason`` record the room-side
    close (None while open or when the connection was cut by the network).
    """

    def __init__(self, network: LoopbackNetwork, connection: _Connection) -> None:
        self._network = network
        self._connection = connection
        self._open = True
        self.session_id = connection.socket.session_id
        self.close_code: int | None = None
        self.close_reason: str | None = None

    @property
    def is_open(self) -> bool:
        return self._open

    def send_message(self, message: Mapping[str, Any]) -> None:
        if not self._open:
            self._network.stats.discarded_in_flight += 1
            return
        self._network._enqueue(self._connection, "to_client", serialize_message(message))

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        if self._open:
            self._network._close_room_side(self._connection, code, reason)

    def __repr__(self) -> str:
        state = "open" if self._open else f"closed {self.close_code} {self.close_reason!r}"
        return f"MemoryRoomSocket({self.session_id!r}, {state})"


class MemoryClientSocket:
    """A client's socket on a :class:`LoopbackNetwork` (a ``TLPersistentClientSocket``).

    Create it with :meth:`LoopbackNetwork.connect_socket`.  ``connection_status`` starts
    ``"offline"``; status listeners are called only on real changes, with a
    :class:`~tlsync_core.client_socket.SocketStatusEvent` (``reason`` set for ``"error"``; an
    ``"error"`` while already ``"offline"`` is suppressed, as in the websocket adapter).
    ``send_message`` while not online drops the message silently (counted in
    :attr:`dropped_while_offline`).  ``restart()`` goes offline at once and reconnects on a
    later network step; ``close()`` ends the socket for good (then ``send_message`` and
    ``restart`` raise ``RuntimeError``).
    """

    def __init__(
        self,
        network: LoopbackNetwork,
        session_id: str,
        *,
        reconnect_delay_ms: float | None,
        max_message_size: int,
        session_options: dict[str, Any],
    ) -> None:
        self._network = network
        self.session_id = session_id
        self.reconnect_delay_ms = reconnect_delay_ms
        """ms after going offline before reconnecting by itself; None: stay offline."""
        self.max_message_size = max_message_size
        """Messages longer than this (UTF-16 units) are sent in chunks."""
        self._session_options = session_options
        self._status: TLPersistentClientSocketStatus = "offline"
        self._error_reason: str | None = None
        self._message_listeners: Listeners[Callable[[dict[str, Any]], None]] = Listeners()
        self._status_listeners: Listeners[Callable[[SocketStatusEvent], None]] = Listeners()
        self._connection: _Connection | None = None
        self._closed = False
        self._open_seq: int | None = None  # a queued (re)connection
        self._reconnect_timer: FakeTimer | None = None
        self._holds: dict[Direction, float] = {}
        self._drop_next: dict[Direction, int] = {"to_room": 0, "to_client": 0}
        self._duplicate_next: dict[Direction, int] = {"to_room": 0, "to_client": 0}
        self.dropped_while_offline = 0
        """Messages dropped by ``send_message`` because the socket was not online."""
        self.connections = 0
        """How many connections this socket has opened."""

    # ------------------------------------------------------------------------------------------
    # TLPersistentClientSocket

    @property
    def connection_status(self) -> TLPersistentClientSocketStatus:
        return self._status

    @property
    def error_reason(self) -> str | None:
        """The reason of the current ``"error"`` status, else None."""
        return self._error_reason

    def send_message(self, message: Mapping[str, Any]) -> None:
        """Serialise and queue ``message`` towards the room (in chunks when it is long) if
        online; else drop it."""
        connection = self._sending_connection("send_message")
        if connection is not None:
            for frame in split_message(serialize_message(message), self.max_message_size):
                self._network._enqueue(connection, "to_room", frame)

    def send_frame(self, frame: str) -> None:
        """Queue one frame towards the room as it is (a test's malformed input), if online;
        else drop it."""
        connection = self._sending_connection("send_frame")
        if connection is not None:
            self._network._enqueue(connection, "to_room", frame)

    def on_receive_message(self, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        return self._message_listeners.add(callback)

    def on_status_change(self, callback: Callable[[SocketStatusEvent], None]) -> Callable[[], None]:
        return self._status_listeners.add(callback)

    def restart(self) -> None:
        """Drop the connection (status ``"offline"`` now) and reconnect on a later step."""
        if self._closed:
            raise RuntimeError(f"restart on closed socket {self.session_id!r}")
        network = self._network
        network._cut(self, count=True)
        self._set_status("offline")
        self._cancel_reconnect_timer()
        network._queue_open(self)

    # ------------------------------------------------------------------------------------------
    # beyond the protocol

    def close(self) -> None:
        """Close for good: the room sees the close; no reconnection; sending raises."""
        if self._closed:
            return
        self._network._cut(self, count=True)
        self._closed = True
        self._open_seq = None
        self._cancel_reconnect_timer()
        self._set_status("offline")

    @property
    def is_closed(self) -> bool:
        return self._closed

    @property
    def room_socket(self) -> MemoryRoomSocket | None:
        """The room's socket of the current connection, or None when offline."""
        return None if self._connection is None else self._connection.room_socket

    @property
    def reconnecting(self) -> bool:
        """Whether a reconnection is queued or scheduled."""
        return self._open_seq is not None or self._reconnect_timer is not None

    def __repr__(self) -> str:
        return f"MemoryClientSocket({self.session_id!r}, {self._status})"

    # ------------------------------------------------------------------------------------------
    # internals

    def _set_status(
        self, status: TLPersistentClientSocketStatus, reason: str | None = None
    ) -> None:
        if status == self._status or (status == "error" and self._status == "offline"):
            return
        self._status = status
        self._error_reason = reason if status == "error" else None
        event = SocketStatusEvent(status, self._error_reason)
        for callback in self._status_listeners:
            callback(event)

    def _sending_connection(self, what: str) -> _Connection | None:
        """The connection to send on; None (the message dropped and counted) while offline."""
        if self._closed:
            raise RuntimeError(f"{what} on closed socket {self.session_id!r}")
        if self._connection is None:
            self.dropped_while_offline += 1
            self._network.stats.dropped_offline += 1
        return self._connection

    def _dispatch(self, message: dict[str, Any]) -> None:
        for callback in self._message_listeners:
            callback(message)

    def _cancel_reconnect_timer(self) -> None:
        if self._reconnect_timer is not None:
            self._reconnect_timer.cancel()
            self._reconnect_timer = None


class SocketPair(NamedTuple):
    """What :func:`socket_pair` returns."""

    socket: MemoryClientSocket
    network: LoopbackNetwork


_Candidate: TypeAlias = tuple[int, MemoryClientSocket, Direction | None]
"""A deliverable event: (sequence number, socket, direction; None for an opening)."""


class LoopbackNetwork:
    """Client sockets and a room on one fake clock; see the module docstring.

    ``room``: the room, or a factory called with the clock.  ``seed``: of :attr:`rng`, which
    every random choice uses.  ``faults``: the random faults (none by default; the attribute
    may be replaced at any time).  ``trace``: keep a human-readable :attr:`log` of events.
    ``limits``: the session endpoint's (the server's defaults unless given).
    """

    def __init__(
        self,
        room: TLSyncRoom | Callable[[FakeClock], TLSyncRoom],
        clock: FakeClock,
        *,
        seed: int = 0,
        faults: FaultPlan | None = None,
        trace: bool = False,
        limits: EndpointLimits | None = None,
    ) -> None:
        self.clock = clock
        self._limits = limits
        self._endpoint = self._new_endpoint(room if isinstance(room, TLSyncRoom) else room(clock))
        self.rng = random.Random(seed)
        self.faults = NO_FAULTS if faults is None else faults
        self.stats = NetworkStats()
        self.log: list[str] | None = [] if trace else None
        self._sockets: list[MemoryClientSocket] = []
        self._seq = 0
        self._last_tick_at: float | None = None

    @property
    def room(self) -> TLSyncRoom:
        return self._endpoint.room

    @property
    def endpoint(self) -> SessionEndpoint:
        """The session endpoint every frame to the room goes through."""
        return self._endpoint

    @property
    def sockets(self) -> tuple[MemoryClientSocket, ...]:
        """Every socket created on this network, in creation order."""
        return tuple(self._sockets)

    # ------------------------------------------------------------------------------------------
    # sockets

    def connect_socket(
        self,
        session_id: str | None = None,
        *,
        auto_connect: bool = True,
        reconnect_delay_ms: float | None = None,
        max_message_size: int = MAX_SAFE_MESSAGE_SIZE,
        is_readonly: bool = False,
        object_access: ObjectAccess = "write",
        meta: Any = None,
    ) -> MemoryClientSocket:
        """A new client socket; online at once with ``auto_connect`` (else offline until
        :meth:`reconnect` or ``restart()``).  Messages longer than ``max_message_size`` are
        sent in chunks.  ``is_readonly``, ``object_access`` and ``meta`` go to
        ``room.handle_new_session`` on every connection.  A session id may be reused
        only once the socket that had it is closed."""
        if session_id is None:
            number = len(self._sockets) + 1
            taken = {s.session_id for s in self._sockets}
            while f"session-{number}" in taken:
                number += 1
            session_id = f"session-{number}"
        elif any(s.session_id == session_id and not s.is_closed for s in self._sockets):
            raise ValueError(f"session id {session_id!r} is in use by an open socket")
        if reconnect_delay_ms is not None and not 0 <= reconnect_delay_ms < math.inf:
            raise ValueError("reconnect_delay_ms must be a finite delay >= 0 or None")
        socket = MemoryClientSocket(
            self,
            session_id,
            reconnect_delay_ms=reconnect_delay_ms,
            max_message_size=max_message_size,
            session_options={
                "is_readonly": is_readonly,
                "object_access": object_access,
                "meta": meta,
            },
        )
        self._sockets.append(socket)
        if auto_connect:
            self._open(socket)
        return socket

    # ------------------------------------------------------------------------------------------
    # explicit faults

    def disconnect(self, socket: MemoryClientSocket) -> bool:
        """Cut the socket's connection: both ends see a close now, every frame in flight is
        lost both ways, the client goes ``"offline"``, the room gets ``handle_close``.  False
        (and nothing happens) if the socket is not connected."""
        self._check(socket)
        if socket._connection is None:
            return False
        self._cut(socket, count=True)
        self._trace("disconnect", socket)
        socket._set_status("offline")
        self._schedule_reconnect(socket)
        return True

    def reconnect(self, socket: MemoryClientSocket) -> None:
        """Open a new connection now (cutting the current one first, if any): status
        ``"online"``, a new room session under the same session id."""
        self._check(socket)
        if socket.is_closed:
            raise RuntimeError(f"reconnect of closed socket {socket.session_id!r}")
        if socket._connection is not None:
            self.disconnect(socket)
        socket._open_seq = None
        socket._cancel_reconnect_timer()
        self._open(socket)

    def close_with_error(self, socket: MemoryClientSocket, reason: str) -> None:
        """The host closes the connection with code 4099 and ``reason``: frames to the room are
        lost, frames to the client still arrive, then the client's status becomes ``"error"``
        with that reason; the room gets ``handle_close`` now."""
        self._check(socket)
        connection = socket._connection
        if connection is None or not connection.room_socket.is_open:
            raise ValueError(f"socket {socket.session_id!r} has no open connection")
        self._close_room_side(connection, TLSyncErrorCloseEventCode, reason)
        self._notify_room_closed(connection)

    def drop_next(self, socket: MemoryClientSocket, direction: Direction, count: int = 1) -> None:
        """Lose the next ``count`` messages delivered in ``direction`` on this socket's
        connections (whatever is at the head of the queue first; it carries over to later
        connections until used up)."""
        self._check(socket)
        socket._drop_next[direction] += count

    def duplicate_next(
        self, socket: MemoryClientSocket, direction: Direction, count: int = 1
    ) -> None:
        """Deliver each of the next ``count`` messages in ``direction`` twice in a row."""
        self._check(socket)
        socket._duplicate_next[direction] += count

    def hold(
        self,
        socket: MemoryClientSocket,
        direction: Direction | None = None,
        *,
        for_ms: float | None = None,
    ) -> None:
        """Stall one direction (both if None) of this socket's traffic, until :meth:`release`
        or for ``for_ms``.  Frames queue up in order; a close frame waits behind them; the
        stall also applies to later connections of the socket."""
        self._check(socket)
        if for_ms is not None and not 0 <= for_ms < math.inf:
            raise ValueError(f"for_ms must be a finite duration >= 0, got {for_ms!r}")
        until = math.inf if for_ms is None else self.clock.now() + for_ms
        for d in _DIRECTIONS if direction is None else (direction,):
            socket._holds[d] = until

    def release(self, socket: MemoryClientSocket, direction: Direction | None = None) -> None:
        """End a :meth:`hold` of one direction (both if None)."""
        self._check(socket)
        for d in _DIRECTIONS if direction is None else (direction,):
            socket._holds.pop(d, None)

    def replace_room(self, room: TLSyncRoom) -> None:
        """A server restart: cut every connection (the old room is not told) and route every
        later connection to ``room``."""
        for socket in self._sockets:
            connection = socket._connection
            if connection is not None:
                connection.room_notified = True
                self._cut(socket, count=True)
                socket._set_status("offline")
                self._schedule_reconnect(socket)
        self._endpoint = self._new_endpoint(room)
        self._last_tick_at = None
        self._trace("replace_room", None)

    # ------------------------------------------------------------------------------------------
    # delivery

    def pending(
        self, socket: MemoryClientSocket | None = None, direction: Direction | None = None
    ) -> int:
        """How many frames are in flight (of one socket and/or direction), held ones included."""
        total = 0
        for s in self._sockets if socket is None else [socket]:
            connection = s._connection
            if connection is not None:
                for d in _DIRECTIONS if direction is None else (direction,):
                    total += len(connection.queues[d])
        return total

    def deliver_one(self) -> bool:
        """Deliver the oldest deliverable event (send order across the whole network), with
        explicit faults but no random ones; False if there was none."""
        candidates = self._candidates()
        if not candidates:
            return False
        self._deliver(min(candidates, key=lambda c: c[0]), random_faults=False)
        return True

    def step(self) -> bool:
        """One random step: maybe a random disconnect/reconnect (per :attr:`faults`), then the
        head event of a channel chosen at random among those with a deliverable event (random
        drop, duplicate or stall may apply).  False if nothing was deliverable."""
        candidates = self._candidates()
        if not candidates:
            return False
        faults, rng = self.faults, self.rng
        if faults.disconnect and rng.random() < faults.disconnect:
            online = [s for s in self._sockets if s._connection is not None]
            if online:
                self.disconnect(rng.choice(online))
                candidates = self._candidates()
        if faults.reconnect and rng.random() < faults.reconnect:
            offline = [
                s
                for s in self._sockets
                if s._status == "offline" and not s.is_closed and s._open_seq is None
            ]
            if offline:
                self.reconnect(rng.choice(offline))
                candidates = self._candidates()
        if candidates:
            self._deliver(rng.choice(candidates), random_faults=True)
        return True

    def deliver_all(self, *, max_steps: int = 10_000) -> int:
        """:meth:`step` until nothing is deliverable; the number of steps.  Time stands still:
        frames with latency or in a stalled channel wait, and no timer runs, not even a
        zero-delay one (:meth:`run_until_quiet` does all that).  ``RuntimeError`` after
        ``max_steps``."""
        steps = 0
        while self.step():
            steps += 1
            if steps >= max_steps and self._candidates():
                raise RuntimeError(f"network still busy after {steps} steps")
        return steps

    def run_due(self) -> bool:
        """Run the clock's due timers, then ``room.tick()`` if its deadline is due (once per
        instant); whether anything ran."""
        ran = self.clock.run_due() > 0
        deadline = self.room.next_deadline()
        now = self.clock.now()
        if deadline is not None and deadline <= now and self._last_tick_at != now:
            self._tick()
            ran = True
        return ran

    def run_for(self, ms: float, *, max_steps: int = 100_000) -> None:
        """Run the world for ``ms`` of fake time: deliver (random steps), run timers, tick the
        room, advance the clock; the clock ends at exactly now + ``ms``."""
        if not 0 <= ms < math.inf:
            raise ValueError(f"ms must be a finite duration >= 0, got {ms!r}")
        self._drive(self.clock.now() + ms, quiet_ms=None, max_steps=max_steps)

    def run_until_quiet(
        self, *, quiet_ms: float = 1_000.0, max_ms: float = 60_000.0, max_steps: int = 100_000
    ) -> float:
        """Run the world until it is quiet: nothing in flight (but in a channel held without
        a time limit), no queued connection, and no timer or room deadline within ``quiet_ms``
        (a client's periodic ping or the room's idle timeout do not keep it busy).  Returns the
        fake ms that passed; ``RuntimeError`` if not quiet within ``max_ms`` or ``max_steps``.
        """
        start = self.clock.now()
        if not self._drive(start + max_ms, quiet_ms=quiet_ms, max_steps=max_steps):
            raise RuntimeError(f"network not quiet after {max_ms} ms")
        return self.clock.now() - start

    # ------------------------------------------------------------------------------------------
    # internals: connections

    def _new_endpoint(self, room: TLSyncRoom) -> SessionEndpoint:
        return SessionEndpoint(room, now=self.clock.now, limits=self._limits)

    def _check(self, socket: MemoryClientSocket) -> None:
        if socket._network is not self:
            raise ValueError(f"{socket!r} belongs to another network")

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _open(self, socket: MemoryClientSocket) -> None:
        connection = _Connection(self, socket)
        socket._connection = connection
        socket.connections += 1
        self.stats.connects += 1
        self._trace("open", socket)
        connection.endpoint = self._endpoint.open(
            socket.session_id, connection.room_socket, **socket._session_options
        )
        socket._set_status("online")

    def _queue_open(self, socket: MemoryClientSocket) -> None:
        socket._reconnect_timer = None
        if not socket.is_closed and socket._connection is None and socket._open_seq is None:
            socket._open_seq = self._next_seq()

    def _schedule_reconnect(self, socket: MemoryClientSocket) -> None:
        delay = socket.reconnect_delay_ms
        if (
            delay is None
            or socket.is_closed
            or socket._connection is not None
            or socket._open_seq is not None
            or socket._reconnect_timer is not None
        ):
            return
        socket._reconnect_timer = self.clock.call_later(delay, lambda: self._queue_open(socket))

    def _cut(self, socket: MemoryClientSocket, *, count: bool) -> None:
        """End the socket's connection now, losing what is in flight; tell the room."""
        connection = socket._connection
        if connection is None:
            return
        if count:
            self.stats.disconnects += 1
        self._end(connection)
        room_socket = connection.room_socket
        room_socket._open = False
        self._notify_room_closed(connection)

    def _end(self, connection: _Connection) -> None:
        connection.live = False
        connection.socket._connection = None
        for queue in connection.queues.values():
            self.stats.discarded_in_flight += sum(1 for f in queue if f.text is not None)
            queue.clear()

    def _close_room_side(
        self, connection: _Connection, code: int | None, reason: str | None
    ) -> None:
        room_socket = connection.room_socket
        room_socket._open = False
        room_socket.close_code = NORMAL_CLOSURE if code is None else code
        room_socket.close_reason = reason or ""
        self.stats.room_closes += 1
        to_room = connection.queues["to_room"]
        self.stats.discarded_in_flight += len(to_room)
        to_room.clear()
        self._trace("room closes", connection.socket, detail=f"{code} {reason!r}")
        self._push(connection, "to_client", None, room_socket.close_code, room_socket.close_reason)

    def _notify_room_closed(self, connection: _Connection) -> None:
        if connection.room_notified:
            return
        connection.room_notified = True
        if connection.endpoint is not None:
            self._endpoint.closed(connection.endpoint)

    def _enqueue(self, connection: _Connection, direction: Direction, text: str) -> None:
        if direction == "to_room" and not connection.room_socket.is_open:
            self.stats.discarded_in_flight += 1  # the room side has closed: nobody reads
            return
        self.stats.sent += 1
        self._push(connection, direction, text)

    def _push(
        self,
        connection: _Connection,
        direction: Direction,
        text: str | None,
        code: int | None = None,
        reason: str | None = None,
    ) -> None:
        queue = connection.queues[direction]
        ready_at = self.clock.now()
        faults = self.faults
        if faults.max_latency_ms > 0:
            ready_at += self.rng.uniform(faults.min_latency_ms, faults.max_latency_ms)
        if queue:
            ready_at = max(ready_at, queue[-1].ready_at)
        queue.append(_Frame(self._next_seq(), ready_at, text, code, reason))

    # ------------------------------------------------------------------------------------------
    # internals: delivery

    def _candidates(self) -> list[_Candidate]:
        now = self.clock.now()
        found: list[_Candidate] = []
        for socket in self._sockets:
            if socket._open_seq is not None:
                found.append((socket._open_seq, socket, None))
            connection = socket._connection
            if connection is None:
                continue
            for direction in _DIRECTIONS:
                queue = connection.queues[direction]
                if queue and queue[0].ready_at <= now and not self._held(socket, direction):
                    found.append((queue[0].seq, socket, direction))
        return found

    def _held(self, socket: MemoryClientSocket, direction: Direction) -> bool:
        until = socket._holds.get(direction)
        if until is None:
            return False
        if until <= self.clock.now():
            del socket._holds[direction]
            return False
        return True

    def _deliver(self, candidate: _Candidate, *, random_faults: bool) -> None:
        _, socket, direction = candidate
        if direction is None:
            socket._open_seq = None
            self._open(socket)
            return
        connection = socket._connection
        assert connection is not None
        queue = connection.queues[direction]
        frame = queue[0]
        if frame.text is None:
            queue.popleft()
            self._deliver_close(connection, frame)
            return
        faults, rng = self.faults, self.rng
        duplicate = False
        if not frame.copy:
            if socket._drop_next[direction] > 0:
                socket._drop_next[direction] -= 1
                self._drop(queue, socket, direction)
                return
            if random_faults and faults.drop and rng.random() < faults.drop:
                self._drop(queue, socket, direction)
                return
            if random_faults and faults.hold and rng.random() < faults.hold:
                socket._holds[direction] = self.clock.now() + rng.uniform(0.0, faults.hold_ms)
                self.stats.held += 1
                self._trace("stall", socket, direction)
                return
            if socket._duplicate_next[direction] > 0:
                socket._duplicate_next[direction] -= 1
                duplicate = True
            elif random_faults and faults.duplicate and rng.random() < faults.duplicate:
                duplicate = True
        queue.popleft()
        if direction == "to_room":
            self._deliver_to_room(connection, frame.text)
        else:
            self._deliver_to_client(connection, frame.text)
        if (
            duplicate
            and connection.live
            and (direction == "to_client" or connection.room_socket.is_open)
        ):
            copy = _Frame(frame.seq, frame.ready_at, frame.text, copy=True)
            connection.queues[direction].appendleft(copy)
            self.stats.duplicated += 1

    def _drop(self, queue: deque[_Frame], socket: MemoryClientSocket, direction: Direction) -> None:
        frame = queue.popleft()
        self.stats.dropped += 1
        self._trace("drop", socket, direction, frame.text)

    def _deliver_to_room(self, connection: _Connection, text: str) -> None:
        endpoint = connection.endpoint
        if endpoint is None or not self._endpoint.accepts(endpoint):
            self.stats.discarded_in_flight += 1  # the session is over: the server ignores it
            return
        self.stats.delivered_to_room += 1
        self._trace("deliver", connection.socket, "to_room", text)
        self._endpoint.receive(endpoint, text)
        self._tick()

    def _deliver_to_client(self, connection: _Connection, text: str) -> None:
        self.stats.delivered_to_client += 1
        self._trace("deliver", connection.socket, "to_client", text)
        message = parse_server_message(text)
        connection.socket._dispatch(dict(message))

    def _deliver_close(self, connection: _Connection, frame: _Frame) -> None:
        socket = connection.socket
        self._end(connection)
        self._notify_room_closed(connection)
        self._trace("close", socket, "to_client", f"{frame.close_code} {frame.close_reason!r}")
        if frame.close_code == TLSyncErrorCloseEventCode:
            self.stats.error_closes += 1
            socket._set_status("error", close_reason_or_default(frame.close_reason))
        else:
            socket._set_status("offline")
            self._schedule_reconnect(socket)

    def _tick(self) -> None:
        self._last_tick_at = self.clock.now()
        self.room.tick()

    # ------------------------------------------------------------------------------------------
    # internals: running the world

    def _drive(self, until: float, *, quiet_ms: float | None, max_steps: int) -> bool:
        """Run until ``until`` (False) or, with ``quiet_ms``, until quiet (True)."""
        clock = self.clock
        steps = 0
        while True:
            while self.run_due() or self.step():
                steps += 1
                if steps > max_steps:
                    raise RuntimeError(f"network still busy after {max_steps} steps")
            now = clock.now()
            traffic, timers = self._next_wakes()
            if (
                quiet_ms is not None
                and traffic is None
                and (timers is None or timers > now + quiet_ms)
            ):
                return True
            wakes = [t for t in (traffic, timers) if t is not None]
            wake = min(wakes) if wakes else None
            if wake is None or wake > until:
                if now >= until:
                    return False
                clock.advance_to(until)
            else:
                clock.advance_to(wake)
            steps += 1
            if steps > max_steps:
                raise RuntimeError(f"network still busy after {max_steps} steps")

    def _next_wakes(self) -> tuple[float | None, float | None]:
        """When traffic next becomes deliverable, and when a timer or the room is next due."""
        now = self.clock.now()
        traffic: list[float] = []
        for socket in self._sockets:
            if socket._open_seq is not None:
                traffic.append(now)
            connection = socket._connection
            if connection is None:
                continue
            for direction in _DIRECTIONS:
                queue = connection.queues[direction]
                if not queue:
                    continue
                until = socket._holds.get(direction, -math.inf)
                if until < math.inf:
                    traffic.append(max(queue[0].ready_at, until))
        timers: list[float] = []
        timer = self.clock.next_timer_at()
        if timer is not None:
            timers.append(timer)
        deadline = self.room.next_deadline()
        if deadline is not None:
            if deadline > now:
                timers.append(deadline)
            elif self._last_tick_at == now:  # ticked at this instant: due just after it
                timers.append(math.nextafter(now, math.inf))
            else:
                timers.append(now)
        return (min(traffic) if traffic else None, min(timers) if timers else None)

    def _trace(
        self,
        what: str,
        socket: MemoryClientSocket | None,
        direction: Direction | None = None,
        detail: str | None = None,
    ) -> None:
        if self.log is None:
            return
        parts = [f"{self.clock.now():.3f}", what]
        if socket is not None:
            parts.append(socket.session_id)
        if direction is not None:
            parts.append(direction)
        if detail is not None:
            parts.append(detail[:_TRACE_TEXT_LIMIT])
        self.log.append(" ".join(parts))


def socket_pair(
    room: TLSyncRoom,
    clock: FakeClock,
    session_id: str = "session-1",
    *,
    seed: int = 0,
    **options: Any,
) -> SocketPair:
    """A fault-free network with one online socket: ``socket, network = socket_pair(room,
    clock)``.  ``options`` go to :meth:`LoopbackNetwork.connect_socket`."""
    network = LoopbackNetwork(room, clock, seed=seed)
    return SocketPair(network.connect_socket(session_id, **options), network)
