"""Who may join a room: what the ``authorize`` hook sees, what it decides, and asking it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs

from tlsync_core.protocol.close_codes import TLSyncErrorCloseEventReason as Reason

logger = logging.getLogger("tlsync_core.server")


@attrs.frozen
class AuthRequest:
    """What the ``authorize`` hook sees of a connection or HTTP request."""

    room_id: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]

    @property
    def asks_readonly(self) -> bool:
        """Whether the client asks for read-only rights (:func:`asks_readonly`)."""
        return asks_readonly(self.query)


@attrs.frozen
class AuthDecision:
    """``allowed`` (optionally ``readonly``, with ``meta`` for the session), or refused."""

    allowed: bool
    readonly: bool = False
    reason: Reason | None = None
    meta: Any = None

    @classmethod
    def allow(cls, *, readonly: bool = False, meta: Any = None) -> AuthDecision:
        return cls(True, readonly, None, meta)

    @classmethod
    def refuse(cls, reason: Reason = Reason.FORBIDDEN) -> AuthDecision:
        return cls(False, False, reason)


def asks_readonly(query: Mapping[str, str]) -> bool:
    """Whether a request's query asks for read-only rights (``readonly=1`` or ``readonly=true``):
    a client may always give rights up, never take more."""
    return query.get("readonly") in ("1", "true")


Authorize = Callable[[AuthRequest], "AuthDecision | Awaitable[AuthDecision]"]
"""The hook: a decision, or an awaitable of one."""


async def decide(authorize: Authorize | None, request: AuthRequest) -> AuthDecision:
    """The hook's decision (allow when there is no hook; refuse when it fails)."""
    if authorize is None:
        return AuthDecision.allow()
    try:
        decision = authorize(request)
        if not isinstance(decision, AuthDecision):
            decision = await decision
    except Exception:
        logger.exception("the authorize hook failed; refusing the connection")
        return AuthDecision.refuse(Reason.UNKNOWN_ERROR)
    return decision
