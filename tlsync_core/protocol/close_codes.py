"""How a sync session ends badly: the close code, its reasons, and the legacy reasons.

Two generations of fatal-error delivery exist (SPEC.md PR4):

* **Close code 4099** (v7 and later): the server closes the WebSocket with code
  :data:`TLSyncErrorCloseEventCode` and one of :class:`TLSyncErrorCloseEventReason` as the close
  reason (a host may use its own strings too). A client that sees this code stops for good.
* **``incompatibility_error`` messages** (protocol 3, and 5.4.2 towards protocol 5/6
  clients): ``{"type": "incompatibility_error", "reason": <TLIncompatibilityReason>}``, then a
  close without a code.

:func:`legacy_incompatibility_reason` turns a close reason into the legacy reason the way 5.4.2
does for its protocol 5/6 sessions; :func:`close_reason_for_incompatibility` goes the other way,
so that a client can report both kinds of failure with one vocabulary.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

__all__ = [
    "TLIncompatibilityReason",
    "TLSyncErrorCloseEventCode",
    "TLSyncErrorCloseEventReason",
    "close_reason_for_incompatibility",
    "close_reason_or_default",
    "legacy_incompatibility_reason",
]

#: The WebSocket close code of a fatal sync error; the close reason says which one.
TLSyncErrorCloseEventCode: Final = 4099


class TLSyncErrorCloseEventReason(StrEnum):
    """The close reasons tldraw defines for code 4099 (members equal their wire strings).

    The room itself produces ``CLIENT_TOO_OLD``, ``SERVER_TOO_OLD``, ``INVALID_RECORD`` and
    ``UNKNOWN_ERROR``; the others come from host code (authentication, routing, rate limits).
    """

    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    UNKNOWN_ERROR = "UNKNOWN_ERROR"
    CLIENT_TOO_OLD = "CLIENT_TOO_OLD"
    SERVER_TOO_OLD = "SERVER_TOO_OLD"
    INVALID_RECORD = "INVALID_RECORD"
    RATE_LIMITED = "RATE_LIMITED"
    ROOM_FULL = "ROOM_FULL"


class TLIncompatibilityReason(StrEnum):
    """The ``reason`` of an ``incompatibility_error`` message.

    The first four are protocol 3's; ``roomNotFound`` and ``forbidden`` were added in protocol 6
    (SPEC.md PR4), so a parser must accept them from servers of that era.
    """

    ClientTooOld = "clientTooOld"
    ServerTooOld = "serverTooOld"
    InvalidRecord = "invalidRecord"
    InvalidOperation = "invalidOperation"
    RoomNotFound = "roomNotFound"
    Forbidden = "forbidden"


_LEGACY_REASONS: Final[dict[str, TLIncompatibilityReason]] = {
    TLSyncErrorCloseEventReason.CLIENT_TOO_OLD: TLIncompatibilityReason.ClientTooOld,
    TLSyncErrorCloseEventReason.SERVER_TOO_OLD: TLIncompatibilityReason.ServerTooOld,
    TLSyncErrorCloseEventReason.INVALID_RECORD: TLIncompatibilityReason.InvalidRecord,
}

_CLOSE_REASONS: Final[dict[str, TLSyncErrorCloseEventReason]] = {
    TLIncompatibilityReason.ClientTooOld: TLSyncErrorCloseEventReason.CLIENT_TOO_OLD,
    TLIncompatibilityReason.ServerTooOld: TLSyncErrorCloseEventReason.SERVER_TOO_OLD,
    TLIncompatibilityReason.InvalidRecord: TLSyncErrorCloseEventReason.INVALID_RECORD,
    TLIncompatibilityReason.RoomNotFound: TLSyncErrorCloseEventReason.NOT_FOUND,
    TLIncompatibilityReason.Forbidden: TLSyncErrorCloseEventReason.FORBIDDEN,
}


def legacy_incompatibility_reason(close_reason: str) -> TLIncompatibilityReason:
    """The ``incompatibility_error`` reason a legacy session gets for ``close_reason``.

    As in 5.4.2: the three version/record reasons map to their legacy twins and every other
    reason (``NOT_FOUND`` and ``FORBIDDEN`` included, and custom host strings) becomes
    ``invalidOperation``.
    """
    return _LEGACY_REASONS.get(close_reason, TLIncompatibilityReason.InvalidOperation)


def close_reason_for_incompatibility(reason: str) -> TLSyncErrorCloseEventReason:
    """The close reason that means the same as a legacy ``incompatibility_error`` reason.

    Ours (tldraw has no such mapping): it lets a client report a legacy rejection like a 4099
    close. ``roomNotFound`` and ``forbidden`` map to ``NOT_FOUND`` and ``FORBIDDEN``;
    ``invalidOperation`` and anything unknown to ``UNKNOWN_ERROR``.
    """
    return _CLOSE_REASONS.get(reason, TLSyncErrorCloseEventReason.UNKNOWN_ERROR)


def close_reason_or_default(reason: str | None) -> str:
    """The reason a client reports for a 4099 close: the close reason, or ``UNKNOWN_ERROR`` when
    it is empty (as tldraw's socket adapter does)."""
    return reason or TLSyncErrorCloseEventReason.UNKNOWN_ERROR
