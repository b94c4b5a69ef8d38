"""Presence: the ``instance_presence`` record that makes a bot show up in tldraw as a
collaborator (a named, coloured cursor on a page).

tldraw clients draw a collaborator's cursor at ``cursor`` (page coordinates) when its
``currentPageId`` is the page they look at and it was active recently: ``lastActivityTimestamp``
(ms since the epoch) within the last minute, else it is hidden (unless followed); a missing or
zero timestamp counts as "active now". The fields not given take what
``getDefaultUserPresence`` would give a fresh session.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any, Final

from tlsync_core.store.records import Record
from tlsync_core.store.schema import StoreSchema
from tlsync_core.store.store import Store
from tlsync_core.tldraw.helpers.tree import current_page_id

__all__ = ["presence_record"]

_DEFAULT_PAGE_ID: Final = "page:page"
# the instance's default screen bounds (TLInstance.ts)
_SCREEN_BOUNDS: Final = {"x": 0, "y": 0, "w": 1080, "h": 720}


def _prefixed(value: str, prefix: str) -> str:
    return value if value.startswith(f"{prefix}:") else f"{prefix}:{value}"


def presence_record(
    store_or_schema: Store | StoreSchema,
    *,
    user_id: str,
    name: str,
    color: str = "#FF0000",
    cursor: tuple[float, float] | None = (0.0, 0.0),
    cursor_type: str = "default",
    page_id: str | None = None,
    selected_shape_ids: Iterable[str] = (),
    chat_message: str = "",
    camera: Mapping[str, float] | None = None,
    screen_bounds: Mapping[str, float] | None = None,
    following_user_id: str | None = None,
    timestamp: float | None = None,
    id: str | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Record:
    """A validated ``instance_presence`` record for a collaborator (not written anywhere: hand
    it to a sync client as its presence).

    ``user_id``: ``"user:<x>"`` (the prefix is added when missing); ``name`` and ``color`` (CSS)
    label the cursor. ``cursor``: page coordinates, None for no cursor. ``page_id``: the page it
    is on (default: the store's current page, or ``page:page`` given a schema). ``timestamp``:
    last activity in ms since the epoch (default: now, in whole ms like ``Date.now()``).
    ``camera`` defaults to ``{x: 0, y: 0, z: 1}`` and ``screen_bounds`` to tldraw's default
    1080 x 720 screen. ``id`` defaults to ``instance_presence:<user id's suffix>``, stable
    across updates.
    """
    schema = store_or_schema.schema if isinstance(store_or_schema, Store) else store_or_schema
    if page_id is None:
        page_id = (
            current_page_id(store_or_schema)
            if isinstance(store_or_schema, Store)
            else _DEFAULT_PAGE_ID
        )
    user_id = _prefixed(user_id, "user")
    presence_type = schema.get_type("instance_presence")
    return presence_type.create(
        id=id or presence_type.create_id(user_id.split(":", 1)[1]),
        userId=user_id,
        userName=name,
        color=color,
        cursor=None
        if cursor is None
        else {"x": cursor[0], "y": cursor[1], "type": cursor_type, "rotation": 0},
        currentPageId=page_id,
        camera=dict(camera) if camera is not None else {"x": 0, "y": 0, "z": 1},
        screenBounds=dict(screen_bounds) if screen_bounds is not None else dict(_SCREEN_BOUNDS),
        selectedShapeIds=list(selected_shape_ids),
        chatMessage=chat_message,
        followingUserId=None if following_user_id is None else _prefixed(following_user_id, "user"),
        lastActivityTimestamp=round(time.time() * 1000) if timestamp is None else timestamp,
        brush=None,
        scribbles=[],
        meta=dict(meta or {}),
    )
