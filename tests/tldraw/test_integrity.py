"""The integrity checker makes a store usable exactly as tldraw's does (TLS11)."""

from __future__ import annotations

from typing import Any

import pytest
from node_peer import NodePeer
from tldraw_peer import node_ensure_store_is_usable, py_ensure_store_is_usable
from tldraw_samples import SAMPLES

from tlsync_core.tldraw import create_tldraw_schema

_GROUP = SAMPLES[-1]  # a group shape on page:page


def _page(page_id: str, index: str) -> dict[str, Any]:
    return {"id": page_id, "typeName": "page", "name": page_id, "index": index, "meta": {}}


def _page_state(page_id: str, **fields: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "id": f"instance_page_state:{page_id}",
        "typeName": "instance_page_state",
        "pageId": page_id,
        "editingShapeId": None,
        "croppingShapeId": None,
        "selectedShapeIds": [],
        "hoveredShapeId": None,
        "erasingShapeIds": [],
        "hintingShapeIds": [],
        "focusedGroupId": None,
        "meta": {},
    }
    return {**state, **fields}


STORES: dict[str, list[dict[str, Any]]] = {
    "empty": [],
    "pages without instance": [_page("page:b", "a2"), _page("page:a", "a3"), _page("page:c", "a1")],
    "instance on a missing page": [
        _page("page:x", "a1"),
        _page("page:y", "a0"),
        {
            "id": "instance:instance",
            "typeName": "instance",
            "currentPageId": "page:gone",
            **create_tldraw_schema().types["instance"].default_properties(),
        },
    ],
    "page states pointing at missing things": [
        _page("page:page", "a1"),
        _GROUP,
        _page_state(
            "page:page",
            croppingShapeId="shape:gone",
            focusedGroupId="shape:gone",
            hoveredShapeId="shape:gone",
            selectedShapeIds=["shape:gone", _GROUP["id"]],
            hintingShapeIds=["shape:gone"],
            erasingShapeIds=[_GROUP["id"], "shape:gone"],
        ),
        _page_state("page:gone"),
    ],
}


@pytest.mark.spec("TLS11")
@pytest.mark.parametrize("name", list(STORES))
def test_integrity_checker_matches_tldraw(node_peer: NodePeer, name: str) -> None:
    """From the same records, tldraw's and our integrity checker leave the same store: a
    document (named by the store's defaultName), a pointer, a page, the instance on the page
    with the lowest index, a page state and a camera per page, and page states cleared of
    missing shapes and pages."""
    records = STORES[name]
    schema = create_tldraw_schema()
    ours = py_ensure_store_is_usable(schema, records, default_name="Doc")
    assert ours == node_ensure_store_is_usable(node_peer, records, default_name="Doc")
    assert py_ensure_store_is_usable(schema, ours, default_name="Doc") == ours
