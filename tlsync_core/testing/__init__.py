"""Public helpers for testing sync code (like ``trio.testing``): a fake clock with timers,
recording and in-memory sockets, a deterministic, fault-injecting loopback network, ready
tldraw rooms and stores, and replayable ids (:func:`deterministic_ids`)."""

from tlsync_core.testing.clock import FakeClock, FakeTimer
from tlsync_core.testing.network import (
    TO_CLIENT,
    TO_ROOM,
    Direction,
    FaultPlan,
    LoopbackNetwork,
    MemoryClientSocket,
    MemoryRoomSocket,
    NetworkStats,
    SocketPair,
    socket_pair,
)
from tlsync_core.testing.scripted_socket import ScriptedClientSocket
from tlsync_core.testing.sockets import RecordingSocket
from tlsync_core.testing.tldraw import deterministic_ids, tldraw_room, tldraw_store

__all__ = [
    "TO_CLIENT",
    "TO_ROOM",
    "Direction",
    "FakeClock",
    "FakeTimer",
    "FaultPlan",
    "LoopbackNetwork",
    "MemoryClientSocket",
    "MemoryRoomSocket",
    "NetworkStats",
    "RecordingSocket",
    "ScriptedClientSocket",
    "SocketPair",
    "deterministic_ids",
    "socket_pair",
    "tldraw_room",
    "tldraw_store",
]
