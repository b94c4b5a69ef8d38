"""Deferred effects on an asyncio loop through the coalesce_on hook."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from tlsync_core.signals import atom, coalesce_on, computed, react


@pytest.mark.spec("E6")
async def test_effects_run_on_the_loop_once_per_burst() -> None:
    """Changes made in one loop turn run a deferred effect once, later, with the final values."""
    loop = asyncio.get_running_loop()
    a = atom("a", 1)
    double = computed("double", lambda _p, _e: a.get() * 2)
    seen: list[int] = []
    stop = react(
        "watch", lambda _e: seen.append(double.get()), schedule_effect=coalesce_on(loop.call_soon)
    )
    assert seen == []
    await asyncio.sleep(0)
    assert seen == [2]
    a.set(2)
    a.set(3)
    a.set(4)
    assert seen == [2]
    await asyncio.sleep(0)
    assert seen == [2, 8]
    stop()
    a.set(5)
    await asyncio.sleep(0)
    assert seen == [2, 8]


@pytest.mark.spec("E6", "E7")
def test_one_hook_serves_several_effects_and_skips_stopped_ones() -> None:
    """A shared hook queues each effect once; an effect stopped before its turn does not run."""
    queue: list[Callable[[], None]] = []
    hook = coalesce_on(queue.append)
    a = atom("a", 0)
    first: list[int] = []
    second: list[int] = []
    stop_first = react("first", lambda _e: first.append(a.get()), schedule_effect=hook)
    stop_second = react("second", lambda _e: second.append(a.get()), schedule_effect=hook)
    a.set(1)
    assert len(queue) == 2
    stop_second()
    for run in queue:
        run()
    queue.clear()
    assert first == [1]
    assert second == []
    a.set(2)
    assert len(queue) == 1
    queue.pop()()
    assert first == [1, 2]
    stop_first()
