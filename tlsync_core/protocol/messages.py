"""The messages of the sync protocol, in both dialects, as ``TypedDict`` s (SPEC.md PR5, PR9).

A message is the plain ``dict`` that its JSON parses to, in memory as on the wire: keys are the
protocol's camelCase ones and ops are JSON lists. Nothing is converted, because rooms and clients
handle thousands of messages a second. :func:`~tlsync_core.protocol.codec.serialize_message`
writes them and :func:`~tlsync_core.protocol.codec.parse_client_message` /
:func:`~tlsync_core.protocol.codec.parse_server_message` check and return them.

Naming: the modern (v8, 5.4.2) shapes have the original API's names (``TLConnectRequest``,
``TLPushRequest``...; SPEC.md PR1); v3-only shapes end in ``V3``. Messages that are the same in both
dialects (``ping``, ``pong``, ``patch``, ``push_result``, ``incompatibility_error``) exist once.

=========================  ======================================  ==========================
direction                  v3                                      v8 (5.4.2)
=========================  ======================================  ==========================
client → server            connect (``instanceId``), push          connect
                           (diff **xor** presence), ping           (``connectRequestId``),
                                                                   push (diff and/or
                                                                   presence), ping
server → client            connect, patch, push_result, pong,      connect (+``connectRequest
                           error, incompatibility_error            Id``, ``isReadonly``,
                                                                   ``objectAccess``), data,
                                                                   custom, pong, patch,
                                                                   push_result,
                                                                   incompatibility_error
=========================  ======================================  ==========================

The constructors (``make_*``) build messages with their keys in the order tldraw writes them,
so that :func:`~tlsync_core.protocol.codec.serialize_message` gives the bytes tldraw would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypeAlias, TypedDict

if TYPE_CHECKING:
    from tlsync_core.protocol.diff import NetworkDiff
    from tlsync_core.store.migrations import SerializedSchema

__all__ = [
    "ClientMessage",
    "HydrationType",
    "ObjectAccess",
    "PresenceOp",
    "PushResultAction",
    "ServerMessage",
    "TLConnectEvent",
    "TLConnectEventV3",
    "TLConnectRequest",
    "TLConnectRequestV3",
    "TLCustomEvent",
    "TLDataEvent",
    "TLErrorEvent",
    "TLIncompatibilityErrorEvent",
    "TLPatchEvent",
    "TLPingRequest",
    "TLPongEvent",
    "TLPushDiffRequestV3",
    "TLPushPresenceRequestV3",
    "TLPushRequest",
    "TLPushRequestV3",
    "TLPushResultEvent",
    "TLRebaseAction",
    "TLSocketClientSentEvent",
    "TLSocketClientSentEventV3",
    "TLSocketServerSentDataEvent",
    "TLSocketServerSentEvent",
    "TLSocketServerSentEventV3",
    "make_connect_event",
    "make_data_event",
    "make_patch_event",
    "make_push_result",
]

HydrationType: TypeAlias = Literal["wipe_all", "wipe_presence"]
ObjectAccess: TypeAlias = Literal["read", "write"]
#: ``["put", record]`` or ``["patch", ObjectDiff]``: a presence change never removes.
PresenceOp: TypeAlias = list[Any]


# --------------------------------------------------------------------------------------------
# client → server


class TLConnectRequest(TypedDict):
    """v8 ``connect``: the first message on a socket. ``connectRequestId`` is fresh for every
    attempt and echoed by the answer; ``lastServerClock`` is -1 before any contact."""

    type: Literal["connect"]
    connectRequestId: str
    lastServerClock: int
    protocolVersion: int
    schema: SerializedSchema


class TLConnectRequestV3(TypedDict):
    """v3 ``connect``: no request id; ``instanceId`` is the client's TLInstance id."""

    type: Literal["connect"]
    lastServerClock: int
    protocolVersion: int
    schema: SerializedSchema
    instanceId: str


class TLPushRequest(TypedDict):
    """v8 ``push``: a document diff and/or a presence op (either may be absent);
    ``clientClock`` goes up by one per push and only matches results to requests."""

    type: Literal["push"]
    clientClock: int
    diff: NotRequired[NetworkDiff]
    presence: NotRequired[PresenceOp]


class TLPushDiffRequestV3(TypedDict):
    """v3 ``push`` of document changes."""

    type: Literal["push"]
    clientClock: int
    diff: NetworkDiff


class TLPushPresenceRequestV3(TypedDict):
    """v3 ``push`` of a presence change."""

    type: Literal["push"]
    clientClock: int
    presence: PresenceOp


TLPushRequestV3: TypeAlias = TLPushDiffRequestV3 | TLPushPresenceRequestV3


class TLPingRequest(TypedDict):
    """``ping`` (both dialects); connected sessions get a ``pong``."""

    type: Literal["ping"]


TLSocketClientSentEvent: TypeAlias = TLConnectRequest | TLPushRequest | TLPingRequest
TLSocketClientSentEventV3: TypeAlias = TLConnectRequestV3 | TLPushRequestV3 | TLPingRequest
#: Anything a client may send, in either dialect.
ClientMessage: TypeAlias = (
    TLConnectRequest
    | TLConnectRequestV3
    | TLPushRequest
    | TLPushDiffRequestV3
    | TLPushPresenceRequestV3
    | TLPingRequest
)


# --------------------------------------------------------------------------------------------
# server → client


class TLConnectEvent(TypedDict):
    """v8 answer to ``connect``: the server's schema and clock, the diff that brings the client
    up to date, and the session's permissions (``objectAccess`` may be absent: read it as
    ``"write"``)."""

    type: Literal["connect"]
    connectRequestId: str
    hydrationType: HydrationType
    protocolVersion: int
    schema: SerializedSchema
    serverClock: int
    diff: NetworkDiff
    isReadonly: bool
    objectAccess: NotRequired[ObjectAccess]


class TLConnectEventV3(TypedDict):
    """v3 answer to ``connect``."""

    type: Literal["connect"]
    hydrationType: HydrationType
    protocolVersion: int
    schema: SerializedSchema
    diff: NetworkDiff
    serverClock: int


class TLPatchEvent(TypedDict):
    """Changes made by others; ``serverClock`` is the document clock after them."""

    type: Literal["patch"]
    diff: NetworkDiff
    serverClock: int


class TLRebaseAction(TypedDict):
    """A push applied differently from how the client applied it: undo the push, apply this."""

    rebaseWithDiff: NetworkDiff


PushResultAction: TypeAlias = Literal["commit", "discard"] | TLRebaseAction


class TLPushResultEvent(TypedDict):
    """The outcome of the push numbered ``clientClock``."""

    type: Literal["push_result"]
    clientClock: int
    serverClock: int
    action: PushResultAction


TLSocketServerSentDataEvent: TypeAlias = TLPatchEvent | TLPushResultEvent


class TLDataEvent(TypedDict):
    """v8 batch of data events, in order."""

    type: Literal["data"]
    data: list[TLSocketServerSentDataEvent]


class TLCustomEvent(TypedDict):
    """v8 host application message (``data`` is any JSON; absent when the host sent
    ``undefined``)."""

    type: Literal["custom"]
    data: NotRequired[Any]


class TLPongEvent(TypedDict):
    """Answer to ``ping``."""

    type: Literal["pong"]


class TLErrorEvent(TypedDict):
    """v3 server-side exception report (``error`` is any JSON, or absent)."""

    type: Literal["error"]
    error: NotRequired[Any]


class TLIncompatibilityErrorEvent(TypedDict):
    """Fatal error in the legacy style (protocol 3; 5.4.2 to protocol 5/6 clients), followed
    by a close without a code. ``reason`` is a ``TLIncompatibilityReason`` value."""

    type: Literal["incompatibility_error"]
    reason: str


TLSocketServerSentEvent: TypeAlias = (
    TLConnectEvent
    | TLIncompatibilityErrorEvent
    | TLPongEvent
    | TLDataEvent
    | TLCustomEvent
    | TLPatchEvent
    | TLPushResultEvent
)
TLSocketServerSentEventV3: TypeAlias = (
    TLConnectEventV3
    | TLPatchEvent
    | TLPushResultEvent
    | TLPongEvent
    | TLErrorEvent
    | TLIncompatibilityErrorEvent
)
#: Anything a server may send, in either dialect.
ServerMessage: TypeAlias = TLSocketServerSentEvent | TLConnectEventV3 | TLErrorEvent


# --------------------------------------------------------------------------------------------
# constructors (keys in tldraw's order)


def make_push_result(
    client_clock: int, server_clock: int, action: PushResultAction
) -> TLPushResultEvent:
    """``{"type": "push_result", "clientClock", "serverClock", "action"}``; ``action`` is
    ``"commit"``, ``"discard"`` or ``{"rebaseWithDiff": diff}``."""
    return {
        "type": "push_result",
        "clientClock": client_clock,
        "serverClock": server_clock,
        "action": action,
    }


def make_patch_event(diff: NetworkDiff, server_clock: int) -> TLPatchEvent:
    """``{"type": "patch", "diff", "serverClock"}``."""
    return {"type": "patch", "diff": diff, "serverClock": server_clock}


def make_data_event(events: list[TLSocketServerSentDataEvent]) -> TLDataEvent:
    """``{"type": "data", "data": events}`` (v8)."""
    return {"type": "data", "data": events}


def make_connect_event(
    *,
    connect_request_id: str,
    hydration_type: HydrationType,
    protocol_version: int,
    schema: SerializedSchema,
    server_clock: int,
    diff: NetworkDiff,
    is_readonly: bool,
    object_access: ObjectAccess | None = "write",
) -> TLConnectEvent:
    """The v8 answer to ``connect``, keys in 5.4.2's order; ``object_access=None`` leaves
    ``objectAccess`` out (as servers without an object lane do)."""
    event: TLConnectEvent = {
        "type": "connect",
        "connectRequestId": connect_request_id,
        "hydrationType": hydration_type,
        "protocolVersion": protocol_version,
        "schema": schema,
        "serverClock": server_clock,
        "diff": diff,
        "isReadonly": is_readonly,
    }
    if object_access is not None:
        event["objectAccess"] = object_access
    return event
