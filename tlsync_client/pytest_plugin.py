"""A pytest plugin for users' test agents, opt-in (SPEC.md CA13).

Installing tlsync registers no plugin.  Install the ``pytest`` extra (``tlsync[pytest]``: pytest
and pytest-asyncio) and enable the plugin in the pytest configuration::

    [tool.pytest.ini_options]
    addopts = "-p tlsync_client.pytest_plugin"
    asyncio_mode = "auto"

(or ``pytest_plugins = ["tlsync_client.pytest_plugin"]`` in the top-level ``conftest.py``).

Fixtures:

* ``tlsync_schema``: the schema of the server and the clients (tldraw's; override the
  fixture in your ``conftest.py`` to use another);
* ``tlsync_server``: a :class:`~tlsync_core.server.TLSyncServer` on a free loopback port with a
  fresh SQLite file in ``tmp_path``, closed after the test;
* ``tlsync_connect``: ``await tlsync_connect(room_id="test-room", **options)`` joins a room of
  that server (options as :func:`tlsync_client.connect`); every room is closed after the test.

::

    async def test_bot_draws(tlsync_server, tlsync_connect):
        bot = await tlsync_connect()
        bot.store.put([...])
        await bot.wait_for_sync()
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeAlias

import pytest
import pytest_asyncio

from tlsync_client.connection import RoomConnection, connect
from tlsync_core.server import SQLitePersistence, TLSyncServer
from tlsync_core.store import StoreSchema
from tlsync_core.tldraw import create_tldraw_schema

__all__ = ["ConnectFactory", "tlsync_connect", "tlsync_schema", "tlsync_server"]

ConnectFactory: TypeAlias = Callable[..., Awaitable[RoomConnection]]


@pytest.fixture
def tlsync_schema() -> StoreSchema:
    """The schema of ``tlsync_server`` and ``tlsync_connect`` (override to change it)."""
    return create_tldraw_schema()


@pytest_asyncio.fixture
async def tlsync_server(tmp_path: Path, tlsync_schema: StoreSchema) -> AsyncIterator[TLSyncServer]:
    """A running server on a free port, persisting to a temporary SQLite file."""
    persistence = SQLitePersistence(tmp_path / "tlsync.sqlite")
    async with TLSyncServer(schema=tlsync_schema, persistence=persistence, port=0) as server:
        yield server


@pytest_asyncio.fixture
async def tlsync_connect(
    tlsync_server: TLSyncServer, tlsync_schema: StoreSchema
) -> AsyncIterator[ConnectFactory]:
    """Join rooms of ``tlsync_server``; all of them are closed after the test."""
    rooms: list[RoomConnection] = []

    async def join(room_id: str = "test-room", **options: Any) -> RoomConnection:
        options.setdefault("schema", tlsync_schema)
        room = await connect(f"{tlsync_server.url}/connect/{room_id}", **options)
        rooms.append(room)
        return room

    yield join
    for room in rooms:
        await room.close()
