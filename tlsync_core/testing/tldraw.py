"""Ready tldraw rooms and stores for tests, and replayable ids.

* :func:`tldraw_room`: a :class:`~tlsync_core.room.TLSyncRoom` on tldraw's schema, holding the
  document and a page from the start (what tldraw's server gives a new room), timed by a clock;
* :func:`tldraw_store`: a detached store on tldraw's schema with the records an editor needs
  (document, page, instance...), for exercising the tldraw helpers without any room;
* :func:`deterministic_ids`: inside its block, every id (``unique_id``, helper-made shape and
  binding ids, session ids) and every jittered index key comes from ``random.Random(seed)``, so a
  run that makes the same calls in the same order makes the same records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tlsync_core.room.room import TLSyncRoom
from tlsync_core.store import Store
from tlsync_core.store.randomness import seeded as deterministic_ids
from tlsync_core.tldraw import create_tldraw_schema

__all__ = ["deterministic_ids", "tldraw_room", "tldraw_store"]


def tldraw_room(now: Callable[[], float], snapshot: Mapping[str, Any] | None = None) -> TLSyncRoom:
    """A room on tldraw's schema timed by ``now`` (a :class:`FakeClock` works), with a document
    and at least one page (``snapshot``, if given, is loaded and completed the same way)."""
    return TLSyncRoom(create_tldraw_schema(), snapshot, now=now)


def tldraw_store() -> Store:
    """A store on tldraw's schema holding the records tldraw's editor needs (a document, the
    page ``page:page``, the instance, its page state and camera)."""
    store = Store(schema=create_tldraw_schema())
    store.ensure_store_is_usable()
    return store
