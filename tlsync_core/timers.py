"""Injected time: what a pure state machine needs to read the clock and to be woken later.

The room and the client never import an event loop.  They take a :class:`Timers` and call
``now()`` (milliseconds, any origin, never going backwards) and ``call_later(ms, callback)``.
:class:`tlsync_core.testing.FakeClock` implements it for deterministic tests; the asyncio layer
(:class:`tlsync_client.LoopTimers`) implements it on an event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class TimerHandle(Protocol):
    """A scheduled callback; ``cancel()`` makes sure it will not run (idempotent)."""

    def cancel(self) -> None: ...


class Timers(Protocol):
    """A millisecond clock that can run a callback later."""

    def now(self) -> float:
        """The current time in milliseconds."""
        ...

    def call_later(self, delay_ms: float, callback: Callable[[], None]) -> TimerHandle:
        """Run ``callback`` once, ``delay_ms`` (>= 0) from now, never synchronously."""
        ...
