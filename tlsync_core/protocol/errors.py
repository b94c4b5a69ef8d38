"""The error raised for anything on the wire that is not the sync protocol.

Every parser of this package (:mod:`~tlsync_core.protocol.codec`,
:mod:`~tlsync_core.protocol.validation`, :mod:`~tlsync_core.protocol.chunking`) raises
:class:`ProtocolError` and nothing else for bad input: never a ``KeyError``, ``TypeError``,
``UnicodeDecodeError`` or JSON library error. The message names what was wrong and where, as a
path from the message type down, for example::

    push.diff["shape:a"][1].x: expected a value op (a list), got int

``close_reason`` is what a server should close the session with, following what 5.4.2 does
for the same input: ``UNKNOWN_ERROR`` for a malformed message, ``CLIENT_TOO_OLD`` or
``SERVER_TOO_OLD`` for an unsupported protocol version, ``INVALID_RECORD`` for a record that is
not a record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

from tlsync_core.protocol.close_codes import TLSyncErrorCloseEventReason

if TYPE_CHECKING:
    from tlsync_core.protocol.versions import VersionNegotiation

__all__ = [
    "ChunkError",
    "ProtocolError",
    "UnsupportedProtocolVersionError",
    "format_path",
]

_IDENTIFIER: Final = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")


def format_path(parts: Iterable[object]) -> str:
    """A JavaScript-style accessor path: ``push.diff["shape:a"][1].x``.

    The first part is the root name as is; later string parts are ``.name`` when they are
    identifiers and ``["..."]`` (JSON-quoted) otherwise; integers are ``[i]``; anything else
    (a non-string key of a dict built in memory) is ``[repr]``.
    """
    out: list[str] = []
    for index, part in enumerate(parts):
        if isinstance(part, bool) or not isinstance(part, str | int):
            out.append(f"[{part!r}]")
        elif isinstance(part, int):
            out.append(f"[{part}]")
        elif index == 0:
            out.append(part)
        elif _IDENTIFIER.match(part):
            out.append("." + part)
        else:
            out.append("[" + _quote(part) + "]")
    return "".join(out)


def _quote(text: str) -> str:
    # JSON quoting for the path only; lone surrogates are escaped so the message is printable
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    if escaped.isprintable():
        return '"' + escaped + '"'
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + '"'


class ProtocolError(ValueError):
    """Input that is not a message of the sync protocol (see the module docstring).

    ``problem`` says what was wrong, ``path`` where (empty for the frame as a whole), and
    ``close_reason`` how a server should end the session.
    """

    def __init__(
        self,
        problem: str,
        path: str = "",
        *,
        close_reason: str = TLSyncErrorCloseEventReason.UNKNOWN_ERROR,
    ) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.problem = problem
        self.path = path
        self.close_reason = close_reason


class ChunkError(ProtocolError):
    """A malformed chunk sequence (SPEC.md CH4, CH5).

    5.4.2 treats these as a socket error: the session is cancelled and the socket closed
    without a close code, rather than rejected with a reason.
    """


class UnsupportedProtocolVersionError(ProtocolError):
    """A ``connect`` request announcing a protocol version the server does not speak.

    ``negotiation`` holds the decision (:func:`~tlsync_core.protocol.versions.
    negotiate_protocol_version`); ``close_reason`` is ``CLIENT_TOO_OLD`` or ``SERVER_TOO_OLD``.
    """

    def __init__(self, negotiation: VersionNegotiation, path: str = "connect.protocolVersion"):
        assert negotiation.rejection is not None
        super().__init__(negotiation.detail, path, close_reason=negotiation.rejection)
        self.negotiation = negotiation
