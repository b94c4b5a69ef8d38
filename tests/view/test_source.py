"""``tlsync_core.views.source``: the page's records as the tldraw helpers read them."""

from __future__ import annotations

import math

import pytest
from view_documents import geo, odd_bindings_document, rich, shape

from tlsync_core.tldraw.helpers.arrow_geometry import arrow_body
from tlsync_core.tldraw.helpers.defaults import SHAPE_DEFAULT_PROPS
from tlsync_core.views.page import Page
from tlsync_core.views.render import render_svg
from tlsync_core.views.source import readable


@pytest.mark.spec("VIEW18")
def test_odd_props_are_read_as_their_defaults() -> None:
    """A prop that is missing, of another JSON kind than its default, not finite or beyond
    MAX_NUMBER, or a style outside its values is read as the default; the others are kept; rich
    text is rebuilt from the lines the views read; base fields are numbers."""
    odd = shape(
        "shape:g",
        "geo",
        {
            "w": "wide",
            "h": math.inf,
            "geo": "blob",
            "size": "xl",
            "fill": 3,
            "richText": {"type": "doc", "content": "nope"},
        },
    ) | {"x": None, "y": -1e300, "rotation": "tilted"}
    record = readable(odd, "page:page")
    props = record["props"]
    defaults = SHAPE_DEFAULT_PROPS["geo"]
    assert (props["w"], props["h"], props["geo"]) == (defaults["w"], defaults["h"], "rectangle")
    assert (props["size"], props["fill"]) == ("xl", defaults["fill"])
    assert props["richText"] == {"type": "doc", "content": []}
    assert (record["x"], record["y"], record["rotation"]) == (0, 0, 0)
    assert record["parentId"] == "page:page"
    labelled = readable(geo("shape:l", richText=rich("one\n\ntwo")), "page:page")
    assert labelled["props"]["richText"]["content"] == [
        {"type": "paragraph", "content": [{"type": "text", "text": "one"}]},
        {"type": "paragraph"},
        {"type": "paragraph", "content": [{"type": "text", "text": "two"}]},
    ]
    assert readable(shape("shape:c", "my-widget", {"w": 5}), "p")["props"] == {"w": 5, "h": 100}


@pytest.mark.spec("VIEW18")
def test_arrows_bound_to_odd_shapes_are_placed() -> None:
    """Arrows bound to shapes with odd props, to a shape whose parents lead back to it, or to a
    missing shape are placed by the helpers (the cycle cut at the page) and drawn; a record of
    type shape whose id is not a shape id is not drawn."""
    records = odd_bindings_document()
    source = Page(records, None, "tl").source
    assert source.get("shape:loop") is not None
    body = arrow_body(source, source.get("shape:a") or {})
    assert body[0][0] < -100 and body[-1][0] > 200
    assert arrow_body(source, source.get("shape:b") or {}) == [(0, 0), (10, 10)]
    assert 'data-shape-id="shape:a"' in render_svg(records)
    not_a_shape_id = {**records["shape:odd"], "id": "odd"}
    assert 'data-shape-id="odd"' not in render_svg({**records, "odd": not_a_shape_id})
