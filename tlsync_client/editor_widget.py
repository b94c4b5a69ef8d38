"""Draw together in Jupyter: ``EditorWidget(room)`` is tldraw's own editor, synced with the room.

::

    from tlsync_client import connect
    from tlsync_client.editor_widget import EditorWidget

    room = await connect("ws://127.0.0.1:5858/connect/demo")
    EditorWidget(room)  # the last expression of a cell: the editor, live

The widget is an `anywidget <https://anywidget.dev>`_ whose front end is tldraw 5.4.2's
``<Tldraw>`` synced by ``useSync``.  Its transport is the kernel: the page's tldraw client
speaks the sync protocol over the widget's comm and the kernel relays each frame to the room on
a websocket opened by ``room`` (:mod:`tlsync_client.kernel_relay`), so the page needs no route
to the room's server — a remote kernel works — and joins with the room handle's URL and
credentials.  The person in the widget is one more session of the room: their edits reach
``room.store`` (and every bot) through the room; the bots' edits and cursors appear in the
widget; their cursor is seen by the bots as an ``instance_presence`` record.

``readonly=True`` joins read-only (the server refuses the page's changes; the editor is in
readonly mode).  :class:`~tlsync_core.views.widget.LiveView` stays the lightweight viewer.

The kernel relays while it is idle: a cell that runs (say, a bot's loop awaited in the cell)
holds the widget's messages until it ends, as it holds every widget's.  Run long bots as tasks
(``asyncio.create_task(bot())``) and the widget stays live.

The front end is a bundle built from npm (``editor/``, by ``scripts/build-editor``); every asset
tldraw needs (fonts, icons, translations) is inside it, so the widget fetches nothing.
:class:`~tlsync_core.views.editor_bundle.EditorBundleMissing` says how to build it when missing.
anywidget is an optional dependency: ``pip install 'tlsync[notebook]'``.
"""

from __future__ import annotations

import os
from typing import Any

try:
    import anywidget
    import traitlets
except ImportError as error:  # pragma: no cover - exercised by a test that hides anywidget
    raise ImportError(
        "tlsync_client.editor_widget.EditorWidget needs anywidget: pip install 'tlsync[notebook]'"
    ) from error

from tlsync_client.connection import RoomConnection
from tlsync_client.kernel_relay import KernelRelay
from tlsync_core.views.editor_bundle import bundle_text

__all__ = ["EditorWidget"]


class EditorWidget(anywidget.AnyWidget):
    """tldraw's editor bound to ``room`` (a :class:`~tlsync_client.RoomConnection`).

    Construct it on the room's event loop (a notebook cell).  ``height``: of the editor (CSS);
    ``readonly``: join read-only; ``license_key``: tldraw's license key (default
    ``$TLDRAW_LICENSE_KEY``; without one tldraw shows its license notice).  :meth:`aclose`
    (or :meth:`close`) ends the relay; closing the room ends it too.  Raises
    :class:`~tlsync_core.views.editor_bundle.EditorBundleMissing` when the front end has not
    been built, ``TypeError`` for anything but a room connection.
    """

    height = traitlets.Unicode("600px").tag(sync=True)
    readonly = traitlets.Bool(False).tag(sync=True)
    license_key = traitlets.Unicode("").tag(sync=True)
    _relay: KernelRelay | None = None  # (set once constructed)

    def __init__(
        self,
        room: RoomConnection,
        *,
        height: str = "600px",
        readonly: bool = False,
        license_key: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(room, RoomConnection):
            raise TypeError(
                "EditorWidget needs a RoomConnection (from `await connect(url)`), not "
                f"{type(room).__name__}; for a SyncRoom pass its .room"
            )
        license_key = license_key or os.environ.get("TLDRAW_LICENSE_KEY")
        self._esm = bundle_text("widget.js")
        self._css = bundle_text("tldraw.css")
        super().__init__(height=height, readonly=readonly, license_key=license_key or "", **kwargs)
        self.room = room
        self._relay = KernelRelay(room, self.send, readonly=readonly)
        self.on_msg(self._on_page_message)

    async def aclose(self) -> None:
        """Close the page's links and the widget.  Idempotent."""
        if self._relay is not None:
            await self._relay.aclose()
        super().close()

    def close(self) -> None:
        """Close the widget; its links close in the background (await :meth:`aclose` to wait).
        Safe from any thread, and on a widget whose construction failed."""
        if self._relay is not None:
            self._relay.close()
        super().close()

    def _on_page_message(self, _widget: object, content: Any, _buffers: object) -> None:
        if self._relay is not None:
            self._relay.receive(content)
