"""Changing and deleting shapes as tldraw 5.4.2's editor does.

Each helper is one store operation (one diff, one push) and returns what it wrote; a change of
text, font or size resizes the shape as tldraw's editor would (:mod:`.sizing`); a missing
shape raises LookupError, a change the schema rejects raises its validation error (and nothing is
written). Locked shapes are changed all the same (tldraw's editor refuses to; a bot means it),
except by :func:`delete`, which skips them unless ``force`` (as ``deleteShapes`` does).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, Final

from tlsync_core.store.records import Record
from tlsync_core.store.store import Store
from tlsync_core.tldraw.helpers._common import TextLike, one_operation, rich_text
from tlsync_core.tldraw.helpers.arrows import anchor_page_point, bindings_involving
from tlsync_core.tldraw.helpers.reparenting import (
    dissolve_thin_groups,
    move_into,
    settle_arrows,
)
from tlsync_core.tldraw.helpers.sizing import fit_geo, fit_note, fit_text
from tlsync_core.tldraw.helpers.tree import (
    ancestors,
    descendant_ids,
    get_shape,
    page_id_of,
    page_transform,
    parent_transform,
)
from tlsync_core.tldraw.ids import is_shape_id

__all__ = [
    "delete",
    "move",
    "remove_dangling_bindings",
    "reparent",
    "resize",
    "set_text",
    "translate",
    "update_props",
]

# an instance page state's fields naming shapes, cleared / filtered when those shapes go
# (Editor's cleanupInstancePageState)
_PAGE_STATE_SHAPE_FIELDS: Final = (
    "hoveredShapeId",
    "editingShapeId",
    "croppingShapeId",
    "focusedGroupId",
)
_PAGE_STATE_SHAPE_LISTS: Final = ("selectedShapeIds", "erasingShapeIds", "hintingShapeIds")


def _refit(shape: Record, updated: Record) -> Record:
    """``updated`` sized to its text as tldraw's shape utils do on an edit (:mod:`.sizing`)."""
    props = updated["props"]
    if updated["type"] == "geo":
        return {**updated, "props": fit_geo(props, shape["props"])}
    if updated["type"] == "note" and any(
        props[k] != shape["props"][k] for k in ("richText", "font", "size")
    ):
        return {**updated, "props": fit_note(props)}
    if updated["type"] == "text":
        return fit_text(shape, props) if shape["props"]["autoSize"] else updated
    return updated


def _update(store: Store, shape_id: str, **fields: Any) -> Record:
    """Write ``fields`` over the shape (``props``: merged into its props), sized to its text."""
    shape = get_shape(store, shape_id)
    props = fields.pop("props", None)
    updated = {**shape, **fields}
    if props is not None:
        updated = _refit(shape, {**updated, "props": {**shape["props"], **props}})
    store.put([updated])
    return get_shape(store, shape_id)


def update_props(store: Store, shape_id: str, props: Mapping[str, Any]) -> Record:
    """Set some of a shape's props (tldraw's names), keeping the others."""
    return one_operation(store, lambda: _update(store, shape_id, props=dict(props)))


def move(store: Store, shape_id: str, x: float, y: float) -> Record:
    """Put a shape's origin at ``(x, y)`` in its parent's space."""
    return one_operation(store, lambda: _update(store, shape_id, x=x, y=y))


def translate(store: Store, shape_id: str, dx: float, dy: float) -> Record:
    """Move a shape by ``(dx, dy)`` on the page (converted into its parent's space, so a
    shape in a rotated frame moves along the page's axes too)."""

    def run() -> Record:
        shape = get_shape(store, shape_id)
        to_parent = parent_transform(store, shape["parentId"]).inverse()
        ddx, ddy = to_parent.rotate_vector(dx, dy)
        return _update(store, shape_id, x=shape["x"] + ddx, y=shape["y"] + ddy)

    return one_operation(store, run)


def resize(store: Store, shape_id: str, w: float, h: float | None = None) -> Record:
    """Set the size of a shape that has ``w`` (and ``h``) props; its origin stays.

    ``h`` None keeps the height. A new ``h`` includes any grown label space (``growY`` goes back
    to 0, as tldraw's geo resize does). Text shapes take only ``w`` (h must be None) and stop
    sizing themselves (``autoSize`` False), as when you drag a text's side in tldraw. Other
    shapes (notes, lines, arrows, draw...) raise ValueError.
    """

    def run() -> Record:
        shape = get_shape(store, shape_id)
        props = shape["props"]
        if shape["type"] == "text":
            if h is not None:
                raise ValueError("text shapes take a width only")
            return _update(store, shape_id, props={"w": w, "autoSize": False})
        if "w" not in props or "h" not in props:
            raise ValueError(f"{shape['type']} shapes have no w/h to resize")
        changes: dict[str, Any] = {"w": w}
        if h is not None:
            changes["h"] = h
            if "growY" in props:
                changes["growY"] = 0
        return _update(store, shape_id, props=changes)

    return one_operation(store, run)


def set_text(store: Store, shape_id: str, text: TextLike) -> Record:
    """Set the text of a shape with rich text (geo, text, note, arrow): plain text (one
    paragraph per line) or a rich text document. Other shapes raise ValueError."""

    def run() -> Record:
        shape = get_shape(store, shape_id)
        if "richText" not in shape["props"]:
            raise ValueError(f"{shape['type']} shapes have no text")
        return _update(store, shape_id, props={"richText": rich_text(text)})

    return one_operation(store, run)


def _unbind(store: Store, bindings: Iterable[Record], going: Collection[str] = frozenset()) -> None:
    """Remove bindings; first, each bound arrow that is not ``going`` gets its stored end at the
    anchor it was bound to, so it stays where it pointed (tldraw's ``onBeforeIsolateFromShape``
    puts it where the arrow met the outline)."""
    bindings = list(bindings)
    for binding in bindings:
        arrow_id = binding["fromId"]
        if binding["type"] != "arrow" or arrow_id in going or store.get(arrow_id) is None:
            continue
        anchor = anchor_page_point(store, binding["toId"], binding["props"]["normalizedAnchor"])
        x, y = page_transform(store, arrow_id).inverse().apply(*anchor)
        _update(store, arrow_id, props={binding["props"]["terminal"]: {"x": x, "y": y}})
    store.remove([b["id"] for b in bindings])


def reparent(store: Store, shape_id: str, parent_id: str) -> Record:
    """Move a shape (with its descendants) into another parent -- a page or a shape -- keeping
    where it is on the page: its position and rotation are converted from the old parent's space
    to the new one's (frames' offsets and rotations included), as ``reparentShapes`` does. It
    goes on top of its new siblings.

    A group left with one child or none is dissolved (tldraw's groups do that). Arrows bound to
    the moved shapes then go where tldraw's arrow bindings put them (the
    closest common ancestor of their two shapes: two connected boxes moved into a frame take
    their arrow along). Bindings that would join shapes on different pages are removed (what
    tldraw clients do on seeing it). Raises ValueError for a parent that is the shape or inside
    it.
    """

    def run() -> Record:
        get_shape(store, shape_id)
        if parent_id == shape_id or (
            is_shape_id(parent_id) and any(a["id"] == shape_id for a in ancestors(store, parent_id))
        ):
            raise ValueError(f"cannot move {shape_id} into itself")
        old_parent = get_shape(store, shape_id)["parentId"]
        move_into(store, [shape_id], parent_id)
        _unbind(
            store,
            (
                b
                for b in bindings_involving(store, [shape_id, *descendant_ids(store, shape_id)])
                if page_id_of(store, b["fromId"]) != page_id_of(store, b["toId"])
            ),
        )
        settle_arrows(store, [shape_id], reparented=True)
        dissolve_thin_groups(store, [old_parent])
        return get_shape(store, shape_id)

    return one_operation(store, run)


def _clean_page_states(store: Store, gone: set[str]) -> None:
    for state in store.query.exec("instance_page_state"):
        cleaned = dict(state)
        for field in _PAGE_STATE_SHAPE_FIELDS:
            if cleaned[field] in gone:
                cleaned[field] = None
        for field in _PAGE_STATE_SHAPE_LISTS:
            cleaned[field] = [i for i in cleaned[field] if i not in gone]
        if cleaned != state:
            store.put([cleaned])


def delete(
    store: Store,
    shape_ids: str | Iterable[str],
    *,
    force: bool = False,
    with_arrows: bool = False,
) -> list[str]:
    """Delete shapes with everything below them, as ``deleteShapes`` does, and return the ids
    deleted (descendants after their shape). ``with_arrows``: the arrows bound to a deleted
    shape go too. A group left with one child or none is dissolved.

    Locked shapes among ``shape_ids`` are skipped unless ``force`` (their descendants go with
    an unlocked ancestor regardless). Bindings from or to a deleted shape are removed; an arrow
    that stays keeps its end where it pointed. Page states forget the deleted shapes
    (selection, hover, editing...). Missing ids are ignored.
    """
    wanted = [shape_ids] if isinstance(shape_ids, str) else list(shape_ids)

    def run() -> list[str]:
        roots = [
            s["id"]
            for s in (store.get(i) for i in wanted if is_shape_id(i))
            if s is not None and (force or not s["isLocked"])
        ]
        if with_arrows:
            area = {i for root in roots for i in [root, *descendant_ids(store, root)]}
            roots.extend(
                b["fromId"]
                for b in bindings_involving(store, area)
                if b["type"] == "arrow" and b["toId"] in area and store.get(b["fromId"])
            )
        doomed: dict[str, None] = {}
        for root in roots:
            doomed.setdefault(root)
            for below in descendant_ids(store, root):
                doomed.setdefault(below)
        gone = set(doomed)
        parents = [get_shape(store, root)["parentId"] for root in roots]
        _unbind(store, bindings_involving(store, gone), going=gone)
        store.remove(list(doomed))
        dissolve_thin_groups(store, parents)
        _clean_page_states(store, gone)
        return list(doomed)

    return one_operation(store, run)


def remove_dangling_bindings(store: Store) -> list[str]:
    """Remove the bindings from or to a shape no longer in the store (another client deleted
    it while this one bound an arrow to it); the arrow keeps its stored end there. Returns the
    ids of the bindings removed; one operation."""

    def run() -> list[str]:
        dangling = [
            b
            for b in store.query.exec("binding")
            if store.get(b["fromId"]) is None or store.get(b["toId"]) is None
        ]
        store.remove([b["id"] for b in dangling])
        return [str(b["id"]) for b in dangling]

    return one_operation(store, run)
