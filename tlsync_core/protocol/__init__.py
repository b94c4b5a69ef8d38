"""The wire protocol: diffs, messages, their codec and chunking (SPEC.md §3a, §3b).

One concept per module:

* :mod:`~tlsync_core.protocol.versions`: protocol versions, dialects (3 and 8, SPEC.md PR1)
  and the server's and client's version rules;
* :mod:`~tlsync_core.protocol.dialects`: what each dialect does differently, as one table;
* :mod:`~tlsync_core.protocol.close_codes`: close code 4099, its reasons and the legacy
  ``incompatibility_error`` reasons;
* :mod:`~tlsync_core.protocol.errors`: :class:`ProtocolError`, raised for anything that is not
  the protocol;
* :mod:`~tlsync_core.protocol.diff`: record and value ops, ``diff_record``,
  ``apply_object_diff``, ``get_network_diff``;
* :mod:`~tlsync_core.protocol.messages`: the messages of both dialects as ``TypedDict`` s;
* :mod:`~tlsync_core.protocol.validation`: structural checks of parsed messages;
* :mod:`~tlsync_core.protocol.codec`: ``serialize_message`` and the parsers;
* :mod:`~tlsync_core.protocol.chunking`: ``split_message`` and ``ChunkAssembler``.
"""

from tlsync_core.protocol.chunking import (
    DEFAULT_MAX_CHUNKS,
    MAX_SAFE_MESSAGE_SIZE,
    ChunkAssembler,
    split_message,
)
from tlsync_core.protocol.close_codes import (
    TLIncompatibilityReason,
    TLSyncErrorCloseEventCode,
    TLSyncErrorCloseEventReason,
    close_reason_for_incompatibility,
    close_reason_or_default,
    legacy_incompatibility_reason,
)
from tlsync_core.protocol.codec import (
    DEFAULT_MAX_MESSAGE_SIZE,
    loads_frame,
    parse_client_message,
    parse_server_message,
    serialize_message,
)
from tlsync_core.protocol.dialects import DIALECT_RULES, DialectRules, dialect_rules
from tlsync_core.protocol.diff import (
    NetworkDiff,
    ObjectDiff,
    RecordOp,
    RecordOpType,
    ValueOp,
    ValueOpType,
    apply_object_diff,
    diff_record,
    get_network_diff,
)
from tlsync_core.protocol.errors import (
    ChunkError,
    ProtocolError,
    UnsupportedProtocolVersionError,
)
from tlsync_core.protocol.messages import (
    ClientMessage,
    HydrationType,
    ObjectAccess,
    PresenceOp,
    PushResultAction,
    ServerMessage,
    TLConnectEvent,
    TLConnectEventV3,
    TLConnectRequest,
    TLConnectRequestV3,
    TLCustomEvent,
    TLDataEvent,
    TLErrorEvent,
    TLIncompatibilityErrorEvent,
    TLPatchEvent,
    TLPingRequest,
    TLPongEvent,
    TLPushDiffRequestV3,
    TLPushPresenceRequestV3,
    TLPushRequest,
    TLPushRequestV3,
    TLPushResultEvent,
    TLRebaseAction,
    TLSocketClientSentEvent,
    TLSocketClientSentEventV3,
    TLSocketServerSentDataEvent,
    TLSocketServerSentEvent,
    TLSocketServerSentEventV3,
    make_connect_event,
    make_data_event,
    make_patch_event,
    make_push_result,
)
from tlsync_core.protocol.validation import (
    MAX_NESTING_DEPTH,
    MAX_SAFE_INTEGER,
    validate_client_message,
    validate_server_message,
)
from tlsync_core.protocol.versions import (
    CURRENT_PROTOCOL_VERSION,
    DIALECTS,
    SPOKEN_PROTOCOL_VERSIONS,
    TLDRAW_PROTOCOL_VERSIONS,
    TLSYNC_PROTOCOL_VERSION,
    V3_DIALECT,
    Dialect,
    VersionNegotiation,
    client_protocol_version,
    fallback_protocol_version,
    negotiate_protocol_version,
)

__all__ = [
    "CURRENT_PROTOCOL_VERSION",
    "DEFAULT_MAX_CHUNKS",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DIALECTS",
    "DIALECT_RULES",
    "MAX_NESTING_DEPTH",
    "MAX_SAFE_INTEGER",
    "MAX_SAFE_MESSAGE_SIZE",
    "V3_DIALECT",
    "SPOKEN_PROTOCOL_VERSIONS",
    "TLDRAW_PROTOCOL_VERSIONS",
    "TLSYNC_PROTOCOL_VERSION",
    "ChunkAssembler",
    "ChunkError",
    "ClientMessage",
    "Dialect",
    "DialectRules",
    "HydrationType",
    "NetworkDiff",
    "ObjectAccess",
    "ObjectDiff",
    "PresenceOp",
    "ProtocolError",
    "PushResultAction",
    "RecordOp",
    "RecordOpType",
    "ServerMessage",
    "TLConnectEvent",
    "TLConnectEventV3",
    "TLConnectRequest",
    "TLConnectRequestV3",
    "TLCustomEvent",
    "TLDataEvent",
    "TLErrorEvent",
    "TLIncompatibilityErrorEvent",
    "TLIncompatibilityReason",
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
    "TLSyncErrorCloseEventCode",
    "TLSyncErrorCloseEventReason",
    "UnsupportedProtocolVersionError",
    "ValueOp",
    "ValueOpType",
    "VersionNegotiation",
    "apply_object_diff",
    "dialect_rules",
    "client_protocol_version",
    "close_reason_for_incompatibility",
    "close_reason_or_default",
    "diff_record",
    "fallback_protocol_version",
    "get_network_diff",
    "legacy_incompatibility_reason",
    "loads_frame",
    "make_connect_event",
    "make_data_event",
    "make_patch_event",
    "make_push_result",
    "negotiate_protocol_version",
    "parse_client_message",
    "parse_server_message",
    "serialize_message",
    "split_message",
    "validate_client_message",
    "validate_server_message",
]
