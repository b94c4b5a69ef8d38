"""Ready-made ``schedule_effect`` hooks: run effects later, on an event loop or a frame tick."""

from __future__ import annotations

from collections.abc import Callable

Execute = Callable[[], None]


def coalesce_on(call_soon: Callable[[Execute], object]) -> Callable[[Execute], None]:
    """A ``schedule_effect`` hook that defers each effect to ``call_soon``, at most once at a time.

    ``call_soon`` is anything that calls a function later: ``loop.call_soon`` of an asyncio loop
    (the usual choice in notebooks and bots), a frame-tick queue's ``append``, and so on.  While
    an effect's run is pending, further changes do not queue it again: the run reads the latest
    values anyway.  One hook may serve many effects.
    """
    pending: set[Execute] = set()

    def schedule(execute: Execute) -> None:
        if execute in pending:
            return
        pending.add(execute)

        def run() -> None:
            pending.discard(execute)
            execute()

        call_soon(run)

    return schedule
