"""Protocol-8 messages as raw test clients send them (before any encoding)."""

from __future__ import annotations

from typing import Any


def connect_request(
    schema: Any, *, last_server_clock: int = -1, request_id: str = "r"
) -> dict[str, Any]:
    """A v8 ``connect`` request announcing ``schema`` (a serialized schema)."""
    return {
        "type": "connect",
        "connectRequestId": request_id,
        "protocolVersion": 8,
        "lastServerClock": last_server_clock,
        "schema": schema,
    }
