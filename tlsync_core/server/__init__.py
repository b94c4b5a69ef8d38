"""The server side: rooms behind websockets, with their storage.

The public API, by role:

* :class:`TLSyncServer`: the server on its own ``websockets`` listener (``async with
  TLSyncServer(...) as server``), the usual way to run one; it implements :class:`TLServer`,
  the original API's abstract server (a registry of :class:`RoomForId` and hooks).
* :class:`TLSyncHost`: the same server without a network, for another front end: the ASGI app
  (:func:`tlsync_core.server.asgi.create_asgi_app`) serves one, and a custom front end hands it
  each accepted websocket as a :class:`SessionTransport` and each HTTP request as an
  :class:`HttpRequest` (answered with an :class:`HttpResponse`).
* Configuration: :class:`ServerLimits`; the ``authorize`` hook, which sees an
  :class:`AuthRequest` and answers an :class:`AuthDecision`; persistence
  (:class:`RoomPersistence`: :class:`SQLitePersistence`, :class:`MemoryPersistence`).

A cluster (``tlsync serve --db postgresql://...``, several nodes or ``--workers N``) hosts each
room on one node under a lease (:mod:`tlsync_core.server.leases`, :mod:`tlsync_core.server.
cluster`); the other nodes relay its clients there (:mod:`tlsync_core.server.relay`);
:mod:`tlsync_core.server.workers` runs N processes on one port.

The frame → room step every front end shares is :class:`tlsync_core.endpoint.SessionEndpoint`.
The ``tlsync serve`` command is :mod:`tlsync_core.server.cli`.
"""

from tlsync_core.server.auth import AuthDecision, AuthRequest
from tlsync_core.server.host import RoomForId, TLSyncHost
from tlsync_core.server.http_routes import HttpRequest, HttpResponse
from tlsync_core.server.limits import ServerLimits
from tlsync_core.server.persistence import MemoryPersistence, RoomPersistence, SQLitePersistence
from tlsync_core.server.transport import SessionTransport
from tlsync_core.server.websockets_server import TLServer, TLSyncServer

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
