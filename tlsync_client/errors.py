"""The client's errors, each naming the room's URL, the cause and what to do.

* :class:`SyncError`: the room refused this client or ended its session for good (a close with
  code 4099, or a fatal incompatibility); ``reason`` is tldraw's reason string.
* :class:`RoomUnreachableError`: ``connect()`` could not open a websocket for a reason that
  retrying cannot fix (an HTTP error status on the upgrade, a host that does not resolve...).

Timeouts are plain ``TimeoutError``\\ s whose message says what was still awaited and why.
"""

from __future__ import annotations

from typing import Final

from tlsync_core.protocol.close_codes import TLSyncErrorCloseEventReason as Reason
from tlsync_core.store import StoreSchema

__all__ = [
    "RoomUnreachableError",
    "SyncError",
    "describe_schema",
    "describe_serialized_schema",
]

_WHAT_TO_DO: Final[dict[str, str]] = {
    Reason.NOT_FOUND: "the server has no such room: check the room id in the URL",
    Reason.FORBIDDEN: (
        "the server's authorization refused this client: check the token or headers it needs"
    ),
    Reason.NOT_AUTHENTICATED: (
        "the server needs credentials: pass them as it expects (headers=, or a token in the URL)"
    ),
    Reason.RATE_LIMITED: "the server limits how fast a client may send: send less, then retry",
    Reason.ROOM_FULL: "the room has as many sessions as the server allows: retry later",
    Reason.INVALID_RECORD: "the server rejected a record this client sent as invalid",
    Reason.UNKNOWN_ERROR: "the server ended the session with an error (see the server's log)",
}


class SyncError(Exception):
    """The room refused this client or ended its session for good.

    ``reason`` is the close reason (``FORBIDDEN``, ``NOT_FOUND``, ``CLIENT_TOO_OLD``...);
    ``url`` the room's URL without its query; ``detail`` what the client knows beyond the
    reason (used as the explanation when given).  ``schema`` (the client's) lets the message of
    a version refusal say what this client has.
    """

    def __init__(
        self,
        reason: str,
        *,
        url: str | None = None,
        detail: str | None = None,
        schema: StoreSchema | None = None,
    ) -> None:
        self.reason = reason
        self.url = url
        self.detail = detail
        explanation = detail or _explain(reason, schema)
        where = f"{url}: " if url else ""
        super().__init__(f"{where}the sync room ended the session: {reason}: {explanation}")


class RoomUnreachableError(ConnectionError):
    """``connect()`` gave up at once: opening the websocket failed for good (``cause``)."""

    def __init__(self, url: str, cause: str) -> None:
        super().__init__(f"cannot join the room at {url}: {cause}")
        self.url = url
        self.cause = cause


def _explain(reason: str, schema: StoreSchema | None) -> str:
    if reason == Reason.CLIENT_TOO_OLD:
        return (
            "the server's schema has record types or migrations that this client's schema"
            f" lacks (this client: {describe_schema(schema)}); connect with the server's"
            " schema: schema='tldraw' (the default) for tldraw rooms and tldraw's servers"
        )
    if reason == Reason.SERVER_TOO_OLD:
        return (
            "this client's schema is newer than the server's, or has record types it does not"
            f" know (this client: {describe_schema(schema)}); connect with the server's schema,"
            " or upgrade the server"
        )
    return _WHAT_TO_DO.get(reason, "the server ended the session (see the server's log)")


def describe_schema(schema: StoreSchema | None) -> str:
    """``schema='tldraw'``, ``schema='demo'``, or the record types of another schema."""
    if schema is None:
        return "unknown schema"
    return describe_serialized_schema(schema.serialize()) or (
        "a schema of record types " + ", ".join(sorted(schema.types))
    )


def describe_serialized_schema(serialized: object) -> str | None:
    """``schema='tldraw'`` or ``schema='demo'`` when ``serialized`` is one of those, else None."""
    from tlsync_core.schemas import resolve_schema  # noqa: PLC0415 - only on error paths

    for name in ("tldraw", "demo"):
        if serialized == resolve_schema(name).serialize():
            return f"schema={name!r}"
    return None
