"""A fake clock: time that moves only when a test says so."""

from __future__ import annotations


class FakeClock:
    """Milliseconds that advance by :meth:`advance` only; call the instance to read it.

    Pass it wherever tlsync takes a ``now`` callable (``TLSyncRoom(now=clock)``).
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, ms: float) -> float:
        """Move time forward by ``ms`` milliseconds; returns the new time."""
        if ms < 0:
            raise ValueError("time does not go backwards")
        self.now += ms
        return self.now
