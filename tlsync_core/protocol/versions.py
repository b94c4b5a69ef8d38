"""Protocol versions: which ones we speak, how a server reads an announced one, and which one a
client announces.

Two **dialects** exist on the wire (SPEC.md PR1):

* **3**, the original ``@tldraw/tlsync`` API's (:data:`TLSYNC_PROTOCOL_VERSION`): ``instanceId``
  in ``connect``, pushes with either a diff or a presence op, top-level ``patch`` and
  ``push_result``, the ``error`` message, fatal errors as ``incompatibility_error``, appends of
  arrays only.
* **8**, ``@tldraw/sync-core`` 5.4.2's (:data:`CURRENT_PROTOCOL_VERSION`): ``connectRequestId``,
  ``data`` batches, ``custom`` messages, string appends, close code 4099. Clients announcing 5,
  6 or 7 speak it too, with the handicaps that :func:`negotiate_protocol_version` records.

Server side, :func:`negotiate_protocol_version` follows 5.4.2 (SPEC.md PR2): 5 counts as 6; 6
needs legacy rejection (``incompatibility_error`` instead of a 4099 close) and is then treated
as 7; 7 cannot take string appends and is then treated as 8. **Deliberate difference:** our
server also accepts 3 as a dialect of its own, because it hosts v3 clients; 5.4.2 closes such a
client with ``CLIENT_TOO_OLD``. ``negotiate_protocol_version(v, dialects={8})`` is exactly
5.4.2's decision.

Client side, :func:`client_protocol_version` gives the version to announce and
:func:`fallback_protocol_version` the one to retry with: a modern client refused as too new
(``SERVER_TOO_OLD`` close, or ``serverTooOld`` from a v3 server) tries again in protocol 3.
"""

from __future__ import annotations

import math
from collections.abc import Set
from dataclasses import dataclass
from typing import Final, Literal

from tlsync_core.protocol.close_codes import (
    TLIncompatibilityReason,
    TLSyncErrorCloseEventReason,
)

__all__ = [
    "CURRENT_PROTOCOL_VERSION",
    "DIALECTS",
    "V3_DIALECT",
    "SPOKEN_PROTOCOL_VERSIONS",
    "TLDRAW_PROTOCOL_VERSIONS",
    "TLSYNC_PROTOCOL_VERSION",
    "Dialect",
    "VersionNegotiation",
    "client_protocol_version",
    "fallback_protocol_version",
    "negotiate_protocol_version",
]

#: Protocol 3: the dialect of the original ``@tldraw/tlsync`` API (SPEC.md PR1).
TLSYNC_PROTOCOL_VERSION: Final = 3
#: The protocol version of ``@tldraw/sync-core`` 5.4.2, the modern dialect.
CURRENT_PROTOCOL_VERSION: Final = 8

Dialect = Literal[3, 8]
#: The v3 dialect (an alias of :data:`TLSYNC_PROTOCOL_VERSION` typed as a :data:`Dialect`).
V3_DIALECT: Final[Dialect] = 3
#: The dialects our server speaks by default.
DIALECTS: Final[frozenset[Dialect]] = frozenset({3, 8})
#: The announced versions our server accepts by default: 3 and 5–8 (modern).
SPOKEN_PROTOCOL_VERSIONS: Final = frozenset({3, 5, 6, 7, 8})
#: The announced versions a 5.4.2 server accepts.
TLDRAW_PROTOCOL_VERSIONS: Final = frozenset({5, 6, 7, 8})


@dataclass(frozen=True, slots=True)
class VersionNegotiation:
    """A server's decision about the ``protocolVersion`` a client announced.

    * ``accepted``: whether the session may go on; if not, ``rejection`` is the close reason
      (``CLIENT_TOO_OLD`` or ``SERVER_TOO_OLD``) and ``detail`` says why in words.
    * ``dialect``: 3 or 8, the dialect of every later message of the session (``None`` when
      rejected).
    * ``requires_legacy_rejection``: fatal errors must reach this client as an
      ``incompatibility_error`` message followed by a close without code (protocol 3, 5 and 6),
      not as a 4099 close.
    * ``supports_string_append``: whether ``["append", "<string>", offset]`` may be sent to it
      (only protocol 8).
    """

    announced: object
    accepted: bool
    dialect: Dialect | None
    requires_legacy_rejection: bool
    supports_string_append: bool
    rejection: TLSyncErrorCloseEventReason | None = None
    detail: str = ""


def negotiate_protocol_version(
    announced: object, *, dialects: Set[int] = DIALECTS
) -> VersionNegotiation:
    """Decide on the ``protocolVersion`` of a ``connect`` request (a pure function).

    ``dialects`` are the dialects this server speaks (a subset of {3, 8}; default both).
    The steps, after 5.4.2 (SPEC.md PR2):

    1. 3 is the v3 dialect: accepted if 3 is spoken, with legacy rejection and without
       string appends.
    2. 5 becomes 6; 6 sets legacy rejection and becomes 7; 7 clears string appends and becomes
       8; 8 is accepted if 8 is spoken.
    3. Anything else is refused: ``SERVER_TOO_OLD`` if it is above every spoken dialect,
       otherwise ``CLIENT_TOO_OLD``. A missing version (``None``) or one that is not a number
       is ``CLIENT_TOO_OLD`` too. (5.4.2 lets a string through by accident of JavaScript
       comparison; we refuse it.)

    A refusal is delivered the modern way (4099 close) unless the server does not speak 8:
    a v3-only server can only send ``incompatibility_error``, so ``requires_legacy_rejection``
    is set then.
    """
    if not dialects or not set(dialects) <= {3, 8}:
        raise ValueError(f"dialects must be a non-empty subset of {{3, 8}}, got {dialects!r}")
    version = _as_number(announced)
    if version is None:
        what = "missing" if announced is None else f"not a number ({type(announced).__name__})"
        return _refuse(announced, dialects, TLSyncErrorCloseEventReason.CLIENT_TOO_OLD, what)
    if version == 3 and 3 in dialects:
        return VersionNegotiation(announced, True, 3, True, False)
    legacy_rejection = False
    string_append = True
    if version == 5:
        version = 6
    if version == 6:
        legacy_rejection = True
        version = 7
    if version == 7:
        string_append = False
        version = 8
    if version == 8 and 8 in dialects:
        return VersionNegotiation(announced, True, 8, legacy_rejection, string_append)
    if version > max(dialects):
        reason = TLSyncErrorCloseEventReason.SERVER_TOO_OLD
    else:
        reason = TLSyncErrorCloseEventReason.CLIENT_TOO_OLD
    return _refuse(announced, dialects, reason, f"{announced!r} is not spoken here")


def _as_number(value: object) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _refuse(
    announced: object, dialects: Set[int], reason: TLSyncErrorCloseEventReason, what: str
) -> VersionNegotiation:
    spoken = ", ".join(str(v) for v in sorted(SPOKEN_PROTOCOL_VERSIONS) if _speaks(dialects, v))
    return VersionNegotiation(
        announced,
        False,
        None,
        8 not in dialects,
        False,
        rejection=reason,
        detail=f"protocol version {what}: this server speaks {spoken} ({reason})",
    )


def _speaks(dialects: Set[int], version: int) -> bool:
    return (version == 3 and 3 in dialects) or (version != 3 and 8 in dialects)


def client_protocol_version(dialect: Dialect = CURRENT_PROTOCOL_VERSION) -> int:
    """The ``protocolVersion`` a client of ``dialect`` announces: 8, or 3 in the v3 dialect."""
    if dialect not in (3, 8):
        raise ValueError(f"unknown dialect {dialect!r}")
    return dialect


_TOO_NEW: Final = frozenset(
    {TLSyncErrorCloseEventReason.SERVER_TOO_OLD, TLIncompatibilityReason.ServerTooOld}
)


def fallback_protocol_version(
    announced: int, reason: str, *, handshake_completed: bool = False
) -> int | None:
    """The version to retry with after the server refused ``announced``, or ``None``.

    A client that announced 8 and, before any completed handshake, is told the server is too
    old (a 4099 close with ``SERVER_TOO_OLD``, or an ``incompatibility_error`` with
    ``serverTooOld`` from a v3 server) retries once in protocol 3. Nothing else
    falls back: a v3 client has nowhere to go, and after a completed handshake such a
    reason is about the schema, not the protocol.

    A 5.4.2 server also says ``SERVER_TOO_OLD`` when only the client's *schema* is newer; the
    retry in 3 is then refused with ``CLIENT_TOO_OLD``, and the client should report the first
    reason, not the second.
    """
    if handshake_completed or announced != CURRENT_PROTOCOL_VERSION:
        return None
    return TLSYNC_PROTOCOL_VERSION if reason in _TOO_NEW else None
