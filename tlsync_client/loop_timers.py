""":class:`LoopTimers`: the :class:`~tlsync_core.timers.Timers` of an asyncio event loop.

The pure state machines of :mod:`tlsync_core` (room, sync client) read the clock and ask to be
woken through a ``Timers``; this adapter maps that onto one event loop:

* ``now()`` is ``loop.time()`` in milliseconds (monotonic, arbitrary origin);
* ``call_later(delay_ms, callback)`` is ``loop.call_later`` with the delay clamped at 0, so the
  callback always runs on a later turn of the loop, never synchronously.

A callback that raises does not take the loop down and does not vanish: the exception is logged
(with its traceback) on the ``"tlsync_client"`` logger and the loop goes on.  Like the loop
itself, a ``LoopTimers`` is not thread-safe: use it from the loop's thread only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

__all__ = ["LoopTimers"]

logger = logging.getLogger("tlsync_client")


class LoopTimers:
    """Millisecond clock and timers on an asyncio event loop (implements ``Timers``).

    ``loop``: the loop to use; ``None`` means the running loop at construction (so constructing
    without a loop argument outside a running loop raises ``RuntimeError``).
    """

    __slots__ = ("loop",)

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.loop: asyncio.AbstractEventLoop = (
            loop if loop is not None else (asyncio.get_running_loop())
        )

    def now(self) -> float:
        """The loop's clock in milliseconds (never goes backwards)."""
        return self.loop.time() * 1000.0

    def call_later(self, delay_ms: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        """Run ``callback`` once, ``max(0, delay_ms)`` ms from now, on a later loop turn.

        Returns the loop's handle; ``cancel()`` on it (idempotent) keeps the callback from
        running.  An exception raised by ``callback`` is logged on ``"tlsync_client"``.
        """
        return self.loop.call_later(max(0.0, delay_ms) / 1000.0, _run_logged, callback)


def _run_logged(callback: Callable[[], None]) -> None:
    try:
        callback()
    except Exception:
        logger.exception("timer callback %r raised", callback)
