"""What a storage holds for a room, read by a connection of the test's own."""

from __future__ import annotations

from typing import Any

from tlsync_core.server.persistence import RoomPersistence


def stored_documents(persistence: RoomPersistence, room_id: str) -> dict[str, Any]:
    """The documents of ``room_id`` in ``persistence`` by id ({} for no room); the persistence
    is closed afterwards."""
    try:
        snapshot = persistence.load(room_id)
    finally:
        persistence.close()
    if snapshot is None:
        return {}
    return {d["state"]["id"]: d["state"] for d in snapshot["documents"]}
