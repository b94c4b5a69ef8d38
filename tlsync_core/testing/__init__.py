"""Public helpers for testing sync code (like ``trio.testing``): a fake clock with timers,
recording and in-memory sockets, and a deterministic, fault-injecting loopback network."""

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
    "socket_pair",
]
