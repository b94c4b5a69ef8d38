"""Pages: creating one as tldraw 5.4.2's editor does (``Editor.createPage``), and finding the
current page and its shapes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from tlsync_core.store.index_keys import get_index_above
from tlsync_core.store.records import Record
from tlsync_core.store.store import Store
from tlsync_core.tldraw.helpers._common import one_operation
from tlsync_core.tldraw.helpers.tree import current_page_id, shapes_on_page, sorted_by_index

__all__ = ["create_page", "current_page_id", "incremented_name", "shapes_on_page"]

_DEFAULT_PAGE_NAME: Final = "Page 1"
_TRAILING_NUMBER: Final = re.compile(r"\d+$")


def incremented_name(name: str, others: Iterable[str]) -> str:
    """``name``, or if taken its first free successor: a trailing number goes up
    (``Page 1`` -> ``Page 2``), else `` 1`` is appended (tldraw's ``getIncrementedName``)."""
    taken = set(others)
    while name in taken:
        match = _TRAILING_NUMBER.search(name)
        name = f"{name[: match.start()]}{int(match.group()) + 1}" if match else f"{name} 1"
    return name


def create_page(store: Store, name: str | None = None, *, id: str | None = None) -> Record:
    """Create a page after the last one (index above the highest, jittered) and return it.

    Its name is ``name`` (default "Page 1"), incremented while another page has it, as tldraw
    does. Nothing else is created: the store's integrity checker adds the page's camera and page
    state when it runs (tldraw's editor adds them at once). Raises ValueError for an id in use.
    """

    def run() -> Record:
        page_type = store.schema.get_type("page")
        if id is not None and store.get(id) is not None:
            raise ValueError(f"a record {id!r} already exists")
        pages = sorted_by_index(store.query.exec("page"))
        page = page_type.create(
            id=id,
            name=incremented_name(name or _DEFAULT_PAGE_NAME, (p["name"] for p in pages)),
            index=get_index_above(pages[-1]["index"] if pages else None),
            meta={},
        )
        store.put([page])
        stored = store.get(page["id"])
        assert stored is not None
        return stored

    return one_operation(store, run)
