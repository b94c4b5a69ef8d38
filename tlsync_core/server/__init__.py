"""The server side: persistence, the room host with its two front ends (the websocket server
and the ASGI app, :mod:`tlsync_core.server.asgi`) and the ``tlsync serve`` command."""

from tlsync_core.server.persistence import MemoryPersistence, RoomPersistence, SQLitePersistence
from tlsync_core.server.server import (
    AuthDecision,
    AuthRequest,
    HttpRequest,
    HttpResponse,
    RoomForId,
    ServerLimits,
    SessionTransport,
    TLServer,
    TLSyncHost,
    TLSyncServer,
)

__all__ = [
    "AuthDecision",
    "AuthRequest",
    "HttpRequest",
    "HttpResponse",
    "MemoryPersistence",
    "RoomForId",
    "RoomPersistence",
    "SQLitePersistence",
    "ServerLimits",
    "SessionTransport",
    "TLServer",
    "TLSyncHost",
    "TLSyncServer",
]
