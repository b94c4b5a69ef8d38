"""Reading a tldraw store as tldraw's editor sees it: pages, the shape tree and transforms.

A shape's ``parentId`` is a page or another shape; following parents always ends at a page.
Siblings are ordered by ``index`` (ties by id, so the order is total), and a page's shapes paint
depth first in that order (tldraw's ``getCurrentPageShapesSorted``). These functions only read;
they raise :class:`LookupError` for ids that are not in the store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Final, Protocol

from tlsync_core.store.index_keys import ZERO_INDEX_KEY, get_indices_between
from tlsync_core.store.queries import Where
from tlsync_core.store.records import Record
from tlsync_core.store.store import Store
from tlsync_core.tldraw.helpers.geometry import IDENTITY, Transform, local_transform
from tlsync_core.tldraw.ids import TLINSTANCE_ID, is_shape_id

__all__ = [
    "RecordQuery",
    "Records",
    "ancestors",
    "child_ids",
    "children",
    "current_page_id",
    "descendant_ids",
    "get_page",
    "get_shape",
    "index_above_top",
    "indices_above_top",
    "page_id_of",
    "page_transform",
    "parent_transform",
    "shapes_on_page",
    "sorted_by_index",
]

_MAX_DEPTH: Final = 10_000


class RecordQuery(Protocol):
    def exec(self, type_name: str, where: Where = None) -> list[Record]:
        """The records of a type matching ``where`` (as :meth:`StoreQueries.exec`)."""
        ...


class Records(Protocol):
    """What reading shapes' geometry needs: a :class:`Store`, or any holder of tldraw records
    that answers ``get`` and ``query.exec`` as a store does (the views' pictures)."""

    def get(self, record_id: str) -> Record | None:
        """The record ``record_id``, or None."""
        ...

    @property
    def query(self) -> RecordQuery:
        """Records by type and props."""
        ...


def get_shape(store: Records, shape_id: str) -> Record:
    """The shape ``shape_id``; LookupError if there is none."""
    shape = store.get(shape_id) if is_shape_id(shape_id) else None
    if shape is None:
        raise LookupError(f"no shape {shape_id!r} in the store")
    return shape


def get_page(store: Store, page_id: str) -> Record:
    """The page ``page_id``; LookupError if there is none."""
    page = store.get(page_id) if page_id.startswith("page:") else None
    if page is None:
        raise LookupError(f"no page {page_id!r} in the store")
    return page


def _index_key(record: Record) -> tuple[str, str]:
    return (str(record["index"]), str(record["id"]))


def sorted_by_index(records: list[Record]) -> list[Record]:
    """Records in index order (tldraw's ``sortByIndex``; ties by id)."""
    return sorted(records, key=_index_key)


def current_page_id(store: Store) -> str:
    """The page the store's instance shows, else the page with the lowest index.

    Raises LookupError when the store has no page.
    """
    instance = store.get(TLINSTANCE_ID)
    if instance is not None and store.get(instance["currentPageId"]) is not None:
        return str(instance["currentPageId"])
    pages = sorted_by_index(store.query.exec("page"))
    if not pages:
        raise LookupError("the store has no page")
    return str(pages[0]["id"])


def ancestors(store: Records, shape_id: str) -> list[Record]:
    """The shapes above ``shape_id``, its parent first (not the page).

    The chain stops at a parent that is not in the store: concurrent editing can leave a shape
    whose frame another client deleted, and its space is then taken as the page's.
    """
    result: list[Record] = []
    parent_id = get_shape(store, shape_id)["parentId"]
    while is_shape_id(parent_id):
        if len(result) > _MAX_DEPTH:
            raise ValueError(f"the parents of {shape_id!r} form a cycle")
        parent = store.get(parent_id)
        if parent is None:
            break
        result.append(parent)
        parent_id = parent["parentId"]
    return result


def page_id_of(store: Store, record_id: str) -> str:
    """The page a shape is on (a page id is its own page)."""
    if not is_shape_id(record_id):
        return str(get_page(store, record_id)["id"])
    chain = ancestors(store, record_id)
    top = chain[-1] if chain else get_shape(store, record_id)
    if is_shape_id(top["parentId"]):
        raise LookupError(f"{record_id!r} hangs from {top['parentId']!r}, which is gone")
    return str(top["parentId"])


def _children_by_parent(store: Store) -> dict[str, list[Record]]:
    by_parent: dict[str, list[Record]] = defaultdict(list)
    for shape in store.query.exec("shape"):
        by_parent[shape["parentId"]].append(shape)
    return {parent: sorted_by_index(kids) for parent, kids in by_parent.items()}


def children(store: Records, parent_id: str) -> list[Record]:
    """The shapes whose parent is ``parent_id`` (a page or shape), in index order."""
    return sorted_by_index(store.query.exec("shape", {"parentId": parent_id}))


def child_ids(store: Store, parent_id: str) -> list[str]:
    """The ids of :func:`children`."""
    return [str(shape["id"]) for shape in children(store, parent_id)]


def _depth_first(by_parent: dict[str, list[Record]], parent_id: str) -> Iterator[Record]:
    for shape in by_parent.get(parent_id, ()):
        yield shape
        yield from _depth_first(by_parent, shape["id"])


def descendant_ids(store: Store, record_id: str) -> list[str]:
    """Every shape below a page or shape, depth first in index order (not itself)."""
    return [str(s["id"]) for s in _depth_first(_children_by_parent(store), record_id)]


def shapes_on_page(store: Store, page_id: str | None = None) -> list[Record]:
    """Every shape on a page (default: :func:`current_page_id`) in paint order: depth first,
    siblings by index, so later shapes are drawn on top of earlier ones."""
    page = get_page(store, current_page_id(store) if page_id is None else page_id)
    return list(_depth_first(_children_by_parent(store), page["id"]))


def index_above_top(store: Store, parent_id: str) -> str:
    """A jittered index above every child of ``parent_id`` (tldraw's
    ``getHighestIndexForParent``: above ``a0`` when it has no children)."""
    return indices_above_top(store, parent_id, 1)[0]


def indices_above_top(store: Store, parent_id: str, n: int) -> list[str]:
    """``n`` ordered, jittered indices above every child of ``parent_id``."""
    kids = children(store, parent_id)
    return get_indices_between(kids[-1]["index"] if kids else ZERO_INDEX_KEY, None, n)


def page_transform(store: Records, shape_id: str) -> Transform:
    """The transform from a shape's space to its page's."""
    transform = local_transform(get_shape(store, shape_id))
    for ancestor in ancestors(store, shape_id):
        transform = local_transform(ancestor).then(transform)
    return transform


def parent_transform(store: Store, parent_id: str) -> Transform:
    """The transform from the space of a parent (page: the identity) to its page's."""
    return page_transform(store, parent_id) if is_shape_id(parent_id) else IDENTITY
