"""The server side: persistence, the websocket server and the ``tlsync serve`` command."""

from tlsync_core.server.persistence import MemoryPersistence, RoomPersistence, SQLitePersistence
from tlsync_core.server.server import (
    AuthDecision,
    AuthRequest,
    RoomForId,
    ServerLimits,
    TLServer,
    TLSyncServer,
)

__all__ = [
    "AuthDecision",
    "AuthRequest",
    "MemoryPersistence",
    "RoomForId",
    "RoomPersistence",
    "SQLitePersistence",
    "ServerLimits",
    "TLServer",
    "TLSyncServer",
]
