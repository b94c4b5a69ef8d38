"""Views of a room: pictures of its pages, the live page and the notebook widget.

* :mod:`~tlsync_core.views.render`: one page of tldraw records as SVG (:func:`render_svg`,
  :func:`svg_of`);
* ``static/``: ``liveview.js``, the same renderer in JavaScript that follows a room live, and
  ``room.html``, the page the server serves at ``/rooms/<id>/view``;
* :mod:`~tlsync_core.views.editor_bundle`: the page the server serves at ``/rooms/<id>``,
  tldraw's own editor synced with the room (bundled into ``static/editor/`` by
  ``scripts/build-editor``);
* :mod:`~tlsync_core.views.widget`: ``LiveView``, a Jupyter widget (needs ``anywidget``, so it
  is imported on its own).

The views sit above the store and the tldraw package (LAY1): the store knows no pictures, so
importing this package sets :attr:`Store.picture <tlsync_core.store.Store.picture>` to the
renderer, and a store shows its first page in Jupyter.
"""

from tlsync_core.store import Store
from tlsync_core.views.render import render_svg, svg_of

__all__ = ["render_svg", "svg_of"]


def _store_picture(store: Store) -> str:
    """A store's first page as SVG for Jupyter, its ids unique to the picture."""
    return svg_of(store, unique_ids=True)


Store.picture = _store_picture
