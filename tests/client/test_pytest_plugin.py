"""The pytest plugin's fixtures, used the way a user's test agent would."""

from __future__ import annotations

import pytest

from tlsync_client.pytest_plugin import ConnectFactory
from tlsync_core.server import SQLitePersistence, TLSyncServer
from tlsync_core.tldraw import create_geo


@pytest.mark.spec("CA8", "CA13")
async def test_fixtures_give_a_server_and_connected_bots(
    tlsync_server: TLSyncServer, tlsync_connect: ConnectFactory
) -> None:
    """tlsync_connect joins rooms of tlsync_server (persisted in SQLite); a change by one bot
    reaches another and the server's room."""
    alice = await tlsync_connect()
    bob = await tlsync_connect()
    box = create_geo(alice.store, x=5, y=5, text="hello")
    await alice.wait_for_sync(timeout=5)
    await bob.wait_for(lambda store: store.get(box["id"]) is not None, timeout=5)
    assert tlsync_server.rooms["test-room"].room.clock >= 1
    persistence = tlsync_server.persistence
    assert isinstance(persistence, SQLitePersistence)
    assert persistence.path.endswith("tlsync.sqlite")
