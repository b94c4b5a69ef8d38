"""Waiting in tests for a state that another task or process brings about."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``predicate`` until it holds (fails the test after ``timeout`` seconds).

    For end states that nothing announces (a server noticing a close); it waits for something
    to become true, never to show that something did not happen.
    """
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)
