"""A store draws itself in notebooks through the picture a view layer registers (VIEW13)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tlsync_core.store import Store
from tlsync_core.testing import tldraw_store
from tlsync_core.tldraw import create_geo
from tlsync_core.views.render import svg_of


@pytest.fixture
def unregistered() -> Iterator[None]:
    """No picture registered for the duration of a test."""
    registered = Store.picture
    Store.picture = None
    yield
    Store.picture = registered


@pytest.mark.spec("VIEW13")
def test_the_views_package_registers_its_renderer() -> None:
    """Once the views package is imported, a store's ``_repr_svg_`` is tldraw's picture of its
    first page, with ids unique to the picture."""
    store = tldraw_store()
    create_geo(store, x=10, y=20, w=80, h=40)
    picture = store._repr_svg_()
    assert picture is not None and "<svg" in picture
    assert picture == svg_of(store, unique_ids=True)


@pytest.mark.spec("VIEW13")
@pytest.mark.usefixtures("unregistered")
def test_without_a_registered_picture_a_store_has_none() -> None:
    """With nothing registered, ``_repr_svg_`` is ``None``: Jupyter then shows the text repr."""
    assert tldraw_store()._repr_svg_() is None
