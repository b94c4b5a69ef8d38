"""Moving shapes between parents, and the arrows that follow them, as tldraw 5.4.2's editor
does (``reparentShapes`` and the arrow binding's ``reparentArrow``).

These functions write within the caller's store operation (they open none): the helpers that
rearrange shapes call :func:`move_into`, then :func:`settle_arrows` for the shapes whose parent
or index changed, as tldraw's arrow bindings react to such changes, and
:func:`dissolve_thin_groups` for the groups they took shapes from.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from tlsync_core.store.index_keys import get_index_above, get_index_between, get_indices_between
from tlsync_core.store.store import Store
from tlsync_core.tldraw.helpers.arrows import arrow_parent, nearest_sibling
from tlsync_core.tldraw.helpers.geometry import Transform
from tlsync_core.tldraw.helpers.tree import (
    children,
    descendant_ids,
    get_shape,
    page_id_of,
    page_transform,
    parent_transform,
    sorted_by_index,
)

__all__ = ["dissolve_thin_groups", "move_into", "settle_arrows", "tl_rotation"]


def tl_rotation(transform: Transform) -> float:
    """A transform's rotation as tldraw's ``Mat.rotation()`` reads it: in ``(-π, π]``."""
    return math.atan2(math.sin(transform.rotation), math.cos(transform.rotation))


def move_into(
    store: Store, shape_ids: Sequence[str], parent_id: str, insert_index: str | None = None
) -> None:
    """``reparentShapes``: move shapes (in index order) into ``parent_id`` keeping their page
    position and rotation, just above ``insert_index`` (below the next sibling), else on top of
    their new siblings. ValueError for a shape moved into itself."""
    if parent_id in shape_ids:
        raise ValueError(f"cannot move {parent_id} into itself")
    to_parent = parent_transform(store, parent_id)
    parent_rotation = tl_rotation(to_parent)
    siblings = children(store, parent_id)
    if insert_index is not None:
        above = next((s["index"] for s in siblings if s["index"] > insert_index), None)
        indices = get_indices_between(insert_index, above, len(shape_ids))
    else:
        top = siblings[-1]["index"] if siblings else None
        indices = get_indices_between(top, None, len(shape_ids))
    moving = sorted_by_index([get_shape(store, i) for i in shape_ids])
    poses = [page_transform(store, s["id"]) for s in moving]
    back = to_parent.inverse()
    store.put(
        [
            {
                **shape,
                "parentId": parent_id,
                "x": back.apply(pose.x, pose.y)[0],
                "y": back.apply(pose.x, pose.y)[1],
                "rotation": tl_rotation(pose) - parent_rotation,
                "index": index,
            }
            for shape, pose, index in zip(moving, poses, indices, strict=True)
        ]
    )


def _settle(store: Store, arrow_id: str) -> None:
    """``reparentArrow`` for one arrow."""
    arrow = store.get(arrow_id)
    if arrow is None:
        return
    ends = {
        b["props"]["terminal"]: store.get(b["toId"])
        for b in store.query.exec("binding", {"fromId": arrow_id})
        if b["type"] == "arrow"
    }
    start, end = ends.get("start"), ends.get("end")
    if start is None and end is None:
        return
    page_id = page_id_of(store, arrow_id)
    parent_id = arrow_parent(store, arrow["parentId"], page_id, start, end)
    if parent_id != arrow["parentId"]:
        move_into(store, [arrow_id], parent_id)
        arrow = get_shape(store, arrow_id)
    near = [s for s in (nearest_sibling(store, parent_id, t) for t in (start, end)) if s]
    if not near:
        return
    highest = max(near, key=lambda s: str(s["index"]))
    higher = [s for s in children(store, highest["parentId"]) if s["index"] > highest["index"]]
    if higher:
        next_solid = next((s for s in higher if s["type"] != "arrow"), None)
        if arrow["index"] > highest["index"] and (
            next_solid is None or arrow["index"] < next_solid["index"]
        ):
            return
        index = get_index_between(highest["index"], higher[0]["index"])
    else:
        index = get_index_above(highest["index"])
    if index != arrow["index"]:
        store.put([{**arrow, "index": index}])


def _bound_arrows(store: Store, shape_id: str) -> list[str]:
    """The arrows bound to a shape, or the shape itself if it is a bound arrow."""
    return [
        str(b["fromId"])
        for b in store.query.exec("binding")
        if b["type"] == "arrow" and shape_id in (b["fromId"], b["toId"])
    ]


def settle_arrows(store: Store, changed: Iterable[str], *, reparented: bool) -> None:
    """After shapes changed index, or parent (``reparented``) (``changed``, in the order they
    were written): ``reparentArrow`` for each arrow bound to one of them (or that is one of
    them) and, when they changed parent, to a shape below them -- in the order tldraw's
    bindings hear of the changes: shape by shape, its own bindings, then those below it."""
    for shape_id in changed:
        if store.get(shape_id) is None:
            continue
        descendants = descendant_ids(store, shape_id) if reparented else []
        for below in [shape_id, *descendants]:
            for arrow_id in _bound_arrows(store, below):
                _settle(store, arrow_id)


def dissolve_thin_groups(store: Store, parent_ids: Iterable[str]) -> None:
    """``GroupShapeUtil.onChildrenChange`` for groups that lost children: a group left with no
    child is deleted, one left with a single child gives it to its own parent (at the group's
    index; its arrows settle) and is deleted."""
    for parent_id in dict.fromkeys(parent_ids):
        group = store.get(parent_id) if parent_id.startswith("shape:") else None
        if group is None or group["type"] != "group":
            continue
        kids = [str(k["id"]) for k in children(store, parent_id)]
        if len(kids) > 1:
            continue
        if kids:
            move_into(store, kids, group["parentId"], group["index"])
        store.remove([parent_id])
        settle_arrows(store, kids, reparented=True)
        dissolve_thin_groups(store, [group["parentId"]])
