"""A live view of a room in Jupyter: ``LiveView(room)`` draws the room and follows its edits.

::

    from tlsync_core.views.widget import LiveView

    room = await connect(url, schema=schema)
    LiveView(room)  # the last expression of a cell: displayed, redrawn on every change

How it works.  :class:`LiveView` is an `anywidget <https://anywidget.dev>`_ widget whose front
end is ``static/liveview.js`` itself, as the server serves it to live pages: its
``render(el, records)`` draws a page as SVG, its ``applyDiff(records, diff)`` applies a protocol
``NetworkDiff`` in place, and its default export is this widget.  The kernel sends the room's
records once (``{"type": "records", "seq": n, "records": {id: record}}``) and then one message
per batch of store changes, from :meth:`Store.listen <tlsync_core.store.Store.listen>`, as a
``NetworkDiff`` (``{"type": "diff", "seq": n, "diff": {id: ["put", record] | ["patch",
objectDiff] | ["remove"]}}``, what the sync protocol sends); the view applies each diff and
redraws.  A view that opens asks for the records (``{"type": "ready"}``), and asks again when it
sees a gap in the numbering.

The widget takes a :class:`~tlsync_core.store.Store` or anything with a ``.store`` (a
``tlsync_client.RoomConnection``, a ``SyncRoom``): the views never import the client (LAY1).

anywidget is an optional dependency: ``pip install 'tlsync[notebook]'``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

try:
    import anywidget
    import traitlets
except ImportError as error:  # pragma: no cover - exercised by a test that hides anywidget
    raise ImportError(
        "tlsync_core.views.widget.LiveView needs anywidget: pip install 'tlsync[notebook]'"
    ) from error

from tlsync_core.protocol.diff import get_network_diff
from tlsync_core.store import HistoryEntry, Record, Store
from tlsync_core.store.store import ScopeFilter
from tlsync_core.views.files import liveview_module

__all__ = ["HasStore", "LiveView"]


class HasStore(Protocol):
    """Anything that holds a store: a room connection, a synchronous room."""

    @property
    def store(self) -> Store: ...


class LiveView(anywidget.AnyWidget):
    """A widget that draws ``room`` (a :class:`~tlsync_core.store.Store`, or anything with a
    ``.store`` such as a ``tlsync_client.RoomConnection``) and redraws on each change of its
    records.

    ``scope``: the records sent (``"all"`` by default: documents, and presence for
    collaborators' cursors).  ``height``: of the view (CSS).  :meth:`close` stops following the
    room.
    """

    _esm = liveview_module()  # (its default export is this widget's front end)
    height = traitlets.Unicode("480px").tag(sync=True)

    def __init__(
        self, room: Store | HasStore, *, scope: ScopeFilter = "all", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._store: Store = room if isinstance(room, Store) else room.store
        self._scope = scope
        self._seq = -1
        self._stop: Callable[[], None] | None = self._store.listen(self._on_change, scope=scope)
        self.on_msg(self._on_view_message)
        self._send_records()

    @property
    def store(self) -> Store:
        return self._store

    def records(self) -> dict[str, Record]:
        """The records the view gets (those of its scope), by id."""
        types = None if self._scope == "all" else self._store.scoped_types[self._scope]
        return {
            record["id"]: record
            for record in self._store.all_records()
            if types is None or record["typeName"] in types
        }

    def close(self) -> None:
        """Stop following the room and close the widget (idempotent)."""
        if self._stop is not None:
            self._stop()
            self._stop = None
        super().close()

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _send_records(self) -> None:
        self._store.flush_history()  # (pending changes go out first, as a diff)
        self.send({"type": "records", "seq": self._next_seq(), "records": self.records()})

    def _on_change(self, entry: HistoryEntry) -> None:
        diff = get_network_diff(entry.changes)
        if diff is not None:
            self.send({"type": "diff", "seq": self._next_seq(), "diff": diff})

    def _on_view_message(self, _widget: object, content: Any, _buffers: object) -> None:
        if isinstance(content, dict) and content.get("type") == "ready":
            self._send_records()
