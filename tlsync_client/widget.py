"""A live view of a room in Jupyter: ``LiveView(room)`` draws the room and follows its edits.

::

    from tlsync_client.widget import LiveView

    room = await connect(url, schema=schema)
    LiveView(room)  # the last expression of a cell: displayed, redrawn on every change

How it works.  :class:`LiveView` is an `anywidget <https://anywidget.dev>`_ widget.  Its
front end is the ES module ``tlsync_core/tldraw/static/liveview.js`` (whose ``render(el,
records)`` draws a page as SVG and ``applyDiff(records, diff)`` applies a protocol
``NetworkDiff`` in place), followed by a few lines of glue that are the widget's default
export (liveview.js's own default export, a widget driven by traitlets, is set aside).  The
kernel sends the room's records once (``{"type": "records", "seq": n, "records": {id:
record}}``) and then one message per batch of store changes, from :meth:`Store.listen
<tlsync_core.store.Store.listen>`, as a ``NetworkDiff`` (``{"type": "diff", "seq": n,
"diff": {id: ["put", record] | ["patch", objectDiff] | ["remove"]}}``, what the sync protocol
sends); the view applies each diff and redraws.  A view that opens asks for the records
(``{"type": "ready"}``), and asks again when it sees a gap in the numbering.

anywidget is an optional dependency: ``pip install 'tlsync[notebook]'``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:
    import anywidget
    import traitlets
except ImportError as error:  # pragma: no cover - exercised by a test that hides anywidget
    raise ImportError(
        "tlsync_client.widget.LiveView needs anywidget: pip install 'tlsync[notebook]'"
    ) from error

from tlsync_client.connection import RoomConnection
from tlsync_core.protocol.diff import get_network_diff
from tlsync_core.store import HistoryEntry, Record, Store
from tlsync_core.store.store import ScopeFilter

__all__ = ["LIVEVIEW_JS", "LiveView", "liveview_esm"]

LIVEVIEW_JS = Path(__file__).resolve().parent.parent / "tlsync_core/tldraw/static/liveview.js"
"""The drawing module: ``render(el, records)`` and ``applyDiff(records, diff)``."""

_FALLBACK_JS = """
// (tlsync_core/tldraw/static/liveview.js is not installed: a plain list of the shapes)
function __tlsyncPatch(object, diff) {
  const next = Array.isArray(object) ? [...object] : { ...object };
  for (const [key, op] of Object.entries(diff)) {
    if (op[0] === "put") next[key] = op[1];
    else if (op[0] === "delete") delete next[key];
    else if (op[0] === "patch") next[key] = __tlsyncPatch(next[key], op[1]);
    else if (op[0] === "append") next[key] = next[key].concat(op[1]);
  }
  return next;
}
export function applyDiff(records, diff) {
  for (const [id, op] of Object.entries(diff ?? {})) {
    if (op[0] === "put") records[id] = op[1];
    else if (op[0] === "patch" && id in records) records[id] = __tlsyncPatch(records[id], op[1]);
    else if (op[0] === "remove") delete records[id];
  }
  return true;
}
export function render(el, records) {
  const shapes = Object.values(records).filter((r) => r.typeName === "shape");
  const lines = shapes.map((s) => `${s.id} ${s.type} at (${s.x}, ${s.y})`);
  el.textContent = `${shapes.length} shape(s)\\n` + lines.join("\\n");
  el.style.whiteSpace = "pre";
}
"""

_GLUE_JS = """
// tlsync LiveView: the kernel sends the records, then diffs; each one redraws the view.
export default {
  render({ model, el }) {
    let __tlsyncRecords = {};
    let __tlsyncSeq = -1;
    const __tlsyncView = document.createElement("div");
    __tlsyncView.className = "tlsync-liveview";
    const __tlsyncSize = () => {
      __tlsyncView.style.height = model.get("height");
    };
    __tlsyncSize();
    el.appendChild(__tlsyncView);
    const __tlsyncDraw = () => render(__tlsyncView, __tlsyncRecords);
    const __tlsyncOnMessage = (message) => {
      if (message.type === "records") {
        __tlsyncRecords = { ...message.records };
        __tlsyncSeq = message.seq;
        __tlsyncDraw();
      } else if (message.type === "diff" && __tlsyncSeq >= 0) {
        // (a diff before the records is ignored: the records include it)
        if (message.seq !== __tlsyncSeq + 1) {
          __tlsyncSeq = -1; // a gap: ask for everything again
          model.send({ type: "ready" });
          return;
        }
        __tlsyncSeq = message.seq;
        if (applyDiff(__tlsyncRecords, message.diff)) __tlsyncDraw(); // (in place)
      }
    };
    model.on("msg:custom", __tlsyncOnMessage);
    model.on("change:height", __tlsyncSize);
    model.send({ type: "ready" });
    return () => {
      model.off("msg:custom", __tlsyncOnMessage);
      model.off("change:height", __tlsyncSize);
    };
  },
};
"""


_DEFAULT_EXPORT = re.compile(r"^export default ", re.MULTILINE)


def liveview_esm() -> str:
    """The widget's ES module: ``liveview.js`` (or a plain fallback), its own default export
    kept as a constant, then the glue (the default export)."""
    try:
        drawing = LIVEVIEW_JS.read_text(encoding="utf-8")
    except OSError:
        drawing = _FALLBACK_JS
    drawing = _DEFAULT_EXPORT.sub("const __tlsyncLiveviewDefault = ", drawing)
    return drawing + "\n" + _GLUE_JS


class LiveView(anywidget.AnyWidget):
    """A widget that draws ``room`` (a :class:`~tlsync_client.RoomConnection` or a
    :class:`~tlsync_core.store.Store`) and redraws on each change of its records.

    ``scope``: the records sent (``"all"`` by default: documents, and presence for
    collaborators' cursors).  ``height``: of the view (CSS).  :meth:`close` stops following the
    room.
    """

    _esm = liveview_esm()
    height = traitlets.Unicode("480px").tag(sync=True)

    def __init__(
        self, room: RoomConnection | Store, *, scope: ScopeFilter = "all", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._store: Store = room.store if isinstance(room, RoomConnection) else room
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
