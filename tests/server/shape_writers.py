"""Real clients pushing shapes in a closed loop, for the kill -9 tests (one server, a cluster).

Each client puts two new shapes, waits for ``wait_for_sync`` (acknowledged: durable), records
them and goes on, until :meth:`ShapeWriters.finish`.
"""

from __future__ import annotations

import asyncio
import time

from tlsync_client import RoomConnection
from tlsync_core.demo_schema import SHAPE


class ShapeWriters:
    """``clients`` pushing shapes ``shape:c<i>-<n>`` closed loop (see the module docstring)."""

    def __init__(self, clients: list[RoomConnection]) -> None:
        self.clients = clients
        #: Every shape acknowledged, in order, and when (monotonic seconds) each push was.
        self.acknowledged: list[str] = []
        self.ack_times: list[float] = []
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._write(i, c)) for i, c in enumerate(self.clients)]

    async def _write(self, index: int, room: RoomConnection) -> None:
        n = 0
        while not self._stop.is_set():
            batch = [f"shape:c{index}-{n + k}" for k in range(2)]
            n += 2
            room.store.put([SHAPE.create(id=record_id, x=n) for record_id in batch])
            await room.wait_for_sync(timeout=30)
            self.acknowledged.extend(batch)
            self.ack_times.append(time.monotonic())

    async def finish(self) -> None:
        """Stop after the pushes in flight are acknowledged (raises what a writer raised)."""
        self._stop.set()
        await asyncio.gather(*self._tasks)

    async def close(self) -> None:
        """Stop at once and close the clients."""
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for room in self.clients:
            await room.close()
