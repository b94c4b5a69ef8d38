"""tlsync client: the Python peer of a tldraw sync room.

* :func:`connect` / :class:`RoomConnection`: the asyncio API for bots and notebooks;
* :func:`connect_sync` / :class:`SyncRoom`: the same from synchronous scripts;
* :class:`TLSyncClient`: the client state machine (pure: no event loop, no network);
* :class:`ClientWebSocketAdapter`: the reconnecting websocket (``TLPersistentClientSocket``);
* :class:`LoopTimers`: injected time on an asyncio loop;
* :mod:`tlsync_client.export` (imported on its own: the ``export`` extra): tldraw's own SVG and
  PNG of a room's page, made in headless Chromium.

Importing the client imports :mod:`tlsync_core.views`, so that a room connection (its store)
draws itself in notebooks.
"""

import tlsync_core.views  # noqa: F401  (registers the store's picture)
from tlsync_client.connection import RoomConnection, SyncError, connect
from tlsync_client.loop_timers import LoopTimers
from tlsync_client.sync_api import SyncRoom, connect_sync
from tlsync_client.sync_client import (
    ClientState,
    ConnectInfo,
    PendingPush,
    PresenceMode,
    SyncProtocolViolation,
    TLSyncClient,
)
from tlsync_client.websocket import ClientWebSocketAdapter
from tlsync_core.client_socket import (
    SocketStatusEvent,
    TLPersistentClientSocket,
    TLPersistentClientSocketStatus,
)

__all__ = [
    "ClientState",
    "ClientWebSocketAdapter",
    "ConnectInfo",
    "LoopTimers",
    "PendingPush",
    "PresenceMode",
    "RoomConnection",
    "SocketStatusEvent",
    "SyncError",
    "SyncProtocolViolation",
    "SyncRoom",
    "TLPersistentClientSocket",
    "TLPersistentClientSocketStatus",
    "TLSyncClient",
    "connect",
    "connect_sync",
]
