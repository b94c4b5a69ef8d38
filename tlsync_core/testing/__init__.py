"""Public helpers for testing sync code: fake clocks and in-memory sockets."""

from tlsync_core.testing.clock import FakeClock
from tlsync_core.testing.sockets import RecordingSocket

__all__ = ["FakeClock", "RecordingSocket"]
