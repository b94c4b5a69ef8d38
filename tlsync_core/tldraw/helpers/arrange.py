"""Arranging shapes as tldraw 5.4.2's editor does: z-order, groups, layout, copies, rotation.

Each function is one store operation (one diff, one push) and leaves the records the editor's
method of the same name would (``bringToFront``, ``groupShapes``, ``alignShapes``...):

* z-order works among siblings: shapes with different parents move within their own parents.
  ``bring_forward``/``send_backward`` hop over the next sibling whose page bounds touch one of
  the moving shapes (tldraw's overlap rule), so a shape stays put when nothing overlaps it.
* layout (``align``, ``distribute``, ``stack``) moves *clusters*: the given shapes joined by
  arrows (both ends among them) move as one, by their common page bounds.
* ``rotate`` turns the shapes about the center of their common bounds (the bounds along their
  shared rotation, when they all have the same one) and adds the angle to each one's rotation.

Missing ids are skipped, as the editor does; an operation with too few shapes does nothing.
Locked shapes are arranged all the same (a bot means it).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any, Final, Literal

from tlsync_core.store.index_keys import get_index_between, get_indices_between
from tlsync_core.store.records import Record
from tlsync_core.store.store import Store
from tlsync_core.tldraw.helpers._common import one_operation
from tlsync_core.tldraw.helpers.geometry import (
    Box,
    Transform,
    bounding_box,
    clamp_radians,
    local_transform,
    union,
)
from tlsync_core.tldraw.helpers.query import page_bounds
from tlsync_core.tldraw.helpers.reparenting import (
    dissolve_thin_groups,
    move_into,
    settle_arrows,
    tl_rotation,
)
from tlsync_core.tldraw.helpers.shape_geometry import shape_bounds, shape_parts
from tlsync_core.tldraw.helpers.shapes import build_shape
from tlsync_core.tldraw.helpers.tree import (
    ancestors,
    child_ids,
    children,
    current_page_id,
    descendant_ids,
    get_shape,
    page_transform,
    parent_transform,
    sorted_by_index,
)
from tlsync_core.tldraw.ids import create_binding_id, create_shape_id, is_shape_id

__all__ = [
    "align",
    "bring_forward",
    "bring_to_front",
    "distribute",
    "duplicate",
    "group",
    "frame_around",
    "rotate",
    "send_backward",
    "send_to_back",
    "stack",
    "ungroup",
]

Alignment = Literal["left", "center-horizontal", "right", "top", "center-vertical", "bottom"]
Axis = Literal["horizontal", "vertical"]

# the editor's adjacentShapeMargin: stack's default gap
_STACK_GAP: Final = 10.0


def _ids(shape_ids: str | Iterable[str]) -> list[str]:
    return [shape_ids] if isinstance(shape_ids, str) else list(shape_ids)


def _existing(store: Store, shape_ids: str | Iterable[str]) -> list[Record]:
    """The shapes among ``shape_ids`` still in the store, in the order given, once each."""
    seen: dict[str, Record] = {}
    for shape_id in _ids(shape_ids):
        shape = store.get(shape_id) if is_shape_id(shape_id) else None
        if shape is not None:
            seen.setdefault(shape_id, shape)
    return list(seen.values())


def _put(store: Store, shape: Record, **fields: Any) -> None:
    store.put([{**shape, **fields}])


# -- z-order -------------------------------------------------------------------------------------


def _by_parent(store: Store, shapes: list[Record]) -> dict[str, tuple[set[str], list[Record]]]:
    """Per parent: the moving ids and all the parent's children in index order."""
    groups: dict[str, tuple[set[str], list[Record]]] = {}
    for shape in shapes:
        parent = shape["parentId"]
        if parent not in groups:
            groups[parent] = (set(), children(store, parent))
        groups[parent][0].add(shape["id"])
    return groups


def _to_end(store: Store, shape_ids: str | Iterable[str], front: bool) -> None:
    for moving, kids in _by_parent(store, _existing(store, shape_ids)).values():
        if len(moving) == len(kids):
            continue
        ordered = kids[::-1] if front else kids
        edge: str | None = None
        beyond: str | None = None
        rest = set(moving)
        for kid in ordered:
            if kid["id"] in rest:
                edge = kid["index"]
                rest.discard(kid["id"])
            else:
                beyond = kid["index"]
                break
        if not rest:
            continue
        below, above = (beyond, edge) if front else (edge, beyond)
        to_move = sorted_by_index([k for k in kids if k["id"] in rest])
        for kid, index in zip(
            to_move, get_indices_between(below, above, len(to_move)), strict=True
        ):
            _put(store, kid, index=index)
        settle_arrows(store, [k["id"] for k in to_move], reparented=False)


def bring_to_front(store: Store, shape_ids: str | Iterable[str]) -> None:
    """Put shapes above all their siblings (``bringToFront``)."""
    one_operation(store, lambda: _to_end(store, shape_ids, front=True))


def send_to_back(store: Store, shape_ids: str | Iterable[str]) -> None:
    """Put shapes below all their siblings (``sendToBack``)."""
    one_operation(store, lambda: _to_end(store, shape_ids, front=False))


def _overlaps(a: Box, b: Box) -> bool:
    return not (a.x + a.w < b.x or a.x > b.x + b.w or a.y + a.h < b.y or a.y > b.y + b.h)


def _step(store: Store, shape_ids: str | Iterable[str], forward: bool) -> None:
    changes: list[tuple[Record, str]] = []
    for moving, kids in _by_parent(store, _existing(store, shape_ids)).values():
        if len(moving) == len(kids):
            continue
        boxes = [page_bounds(store, i) for i in moving]

        def overlaps(kid: Record, boxes: list[Box] = boxes) -> bool:
            box = page_bounds(store, kid["id"])
            return any(_overlaps(other, box) for other in boxes)

        order = range(len(kids)) if forward else range(len(kids) - 1, -1, -1)
        selecting: int | None = None
        for i in order:
            is_moving = kids[i]["id"] in moving
            if selecting is None:
                if is_moving:
                    selecting = i
                continue
            if is_moving or not overlaps(kids[i]):
                continue
            if forward:
                above = kids[i + 1]["index"] if i + 1 < len(kids) else None
                run = kids[selecting:i]
                indices = get_indices_between(kids[i]["index"], above, i - selecting)
            else:
                below = kids[i - 1]["index"] if i > 0 else None
                run = kids[i + 1 : selecting + 1]
                indices = get_indices_between(below, kids[i]["index"], selecting - i)
            changes.extend(
                (kid, index) for kid, index in zip(run, indices, strict=True) if kid["id"] in moving
            )
            selecting = None
    for kid, index in changes:
        _put(store, kid, index=index)
    settle_arrows(store, [kid["id"] for kid, _ in changes], reparented=False)


def bring_forward(store: Store, shape_ids: str | Iterable[str]) -> None:
    """Move shapes above the next overlapping sibling (``bringForward``)."""
    one_operation(store, lambda: _step(store, shape_ids, forward=True))


def send_backward(store: Store, shape_ids: str | Iterable[str]) -> None:
    """Move shapes below the previous overlapping sibling (``sendBackward``)."""
    one_operation(store, lambda: _step(store, shape_ids, forward=False))


# -- groups --------------------------------------------------------------------------------------


def _common_ancestor(store: Store, shapes: list[Record]) -> str | None:
    """tldraw's ``findCommonAncestor``: the deepest shape above all of ``shapes``."""
    chains = [[a["id"] for a in ancestors(store, s["id"])] for s in shapes]
    shared = set(chains[0]).intersection(*map(set, chains[1:]))
    return next((i for i in chains[0] if i in shared), None)


def group(store: Store, shape_ids: Iterable[str], *, group_id: str | None = None) -> str | None:
    """Group shapes (``groupShapes``): a group in their closest common ancestor (else the
    page), at the top left of their common page bounds, taking the index of the topmost shape
    that is a direct child there; the shapes move into it keeping their page positions.
    Returns the group's id; None (nothing done) for fewer than two shapes."""

    def run() -> str | None:
        shapes = sorted_by_index(_existing(store, shape_ids))
        if len(shapes) < 2:
            return None
        common = union(page_bounds(store, s["id"]) for s in shapes)
        assert common is not None
        parent = _common_ancestor(store, shapes) or current_page_id(store)
        direct = [s for s in shapes if s["parentId"] == parent]
        new_id = group_id or create_shape_id()
        store.put(
            [
                {
                    "id": new_id,
                    "typeName": "shape",
                    "type": "group",
                    "parentId": parent,
                    "index": direct[-1]["index"] if direct else get_index_between(None, None),
                    "x": common.x,
                    "y": common.y,
                    "rotation": 0,
                    "isLocked": False,
                    "opacity": 1,
                    "props": {},
                    "meta": {},
                }
            ]
        )
        move_into(store, [s["id"] for s in shapes], new_id)
        # as in tldraw: arrows settle first, groups left thin dissolve at the end
        settle_arrows(store, [s["id"] for s in shapes], reparented=True)
        dissolve_thin_groups(store, [s["parentId"] for s in shapes])
        return new_id

    return one_operation(store, run)


def ungroup(store: Store, group_ids: str | Iterable[str]) -> list[str]:
    """Dissolve groups (``ungroupShapes``): each group's children move to the group's parent,
    just above the group's index, keeping their page positions; the groups are deleted.
    Returns the ids of the freed children; shapes that are not groups are left alone."""

    def run() -> list[str]:
        freed: list[str] = []
        groups = [s for s in _existing(store, group_ids) if s["type"] == "group"]
        for grp in groups:
            kids = child_ids(store, grp["id"])
            move_into(store, kids, grp["parentId"], grp["index"])
            freed.extend(kids)
        store.remove([g["id"] for g in groups])
        settle_arrows(store, freed, reparented=True)
        return freed

    return one_operation(store, run)


# -- layout --------------------------------------------------------------------------------------


def _clusters(store: Store, shapes: list[Record]) -> list[tuple[list[Record], Box]]:
    """``getShapeClusters``: the shapes joined through arrow bindings among them move as one."""
    wanted = {s["id"]: s for s in shapes}
    visited: set[str] = set()
    clusters: list[tuple[list[Record], Box]] = []

    def collect(bindings: list[Record], members: list[Record]) -> None:
        for binding in bindings:
            for other in (binding["fromId"], binding["toId"]):
                if other in wanted and other not in visited:
                    visited.add(other)
                    members.append(wanted[other])
                    involving = [
                        b
                        for b in store.query.exec("binding")
                        if b["type"] == "arrow" and other in (b["fromId"], b["toId"])
                    ]
                    collect(involving, members)

    for shape in shapes:
        if shape["id"] in visited:
            continue
        visited.add(shape["id"])
        members = [shape]
        collect(store.query.exec("binding", {"toId": shape["id"], "type": "arrow"}), members)
        box = union(page_bounds(store, m["id"]) for m in members)
        assert box is not None
        clusters.append((members, box))
    return clusters


def _translate_page(store: Store, shape: Record, dx: float, dy: float) -> None:
    """Move a shape by a page vector (turned into its parent's space)."""
    current = get_shape(store, shape["id"])
    ddx, ddy = Transform(0, 0, -tl_rotation(parent_transform(store, shape["parentId"]))).apply(
        dx, dy
    )
    _put(store, current, x=shape["x"] + ddx, y=shape["y"] + ddy)


def _move_cluster(store: Store, members: list[Record], dx: float, dy: float) -> None:
    for member in members:
        _translate_page(store, member, dx, dy)


def align(store: Store, shape_ids: Iterable[str], alignment: Alignment) -> None:
    """Line shapes up along an edge or center of their common bounds (``alignShapes``)."""
    if alignment not in ("left", "center-horizontal", "right", "top", "center-vertical", "bottom"):
        raise ValueError(f"unknown alignment {alignment!r}")

    def run() -> None:
        clusters = _clusters(store, _existing(store, shape_ids))
        if len(clusters) < 2:
            return
        common = union(box for _, box in clusters)
        assert common is not None
        moves = []
        for members, box in clusters:
            dx = dy = 0.0
            if alignment == "left":
                dx = common.x - box.x
            elif alignment == "center-horizontal":
                dx = common.x + common.w / 2 - box.x - box.w / 2
            elif alignment == "right":
                dx = common.x + common.w - box.x - box.w
            elif alignment == "top":
                dy = common.y - box.y
            elif alignment == "center-vertical":
                dy = common.y + common.h / 2 - box.y - box.h / 2
            else:
                dy = common.y + common.h - box.y - box.h
            moves.append((members, dx, dy))
        for members, dx, dy in moves:
            _move_cluster(store, members, dx, dy)

    one_operation(store, run)


def _axis(box: Box, horizontal: bool) -> tuple[float, float]:
    """A box's start and size along an axis."""
    return (box.x, box.w) if horizontal else (box.y, box.h)


def _shift(horizontal: bool, amount: float) -> tuple[float, float]:
    return (amount, 0.0) if horizontal else (0.0, amount)


def distribute(store: Store, shape_ids: Iterable[str], axis: Axis) -> None:
    """Space shapes evenly between the first and the last along an axis
    (``distributeShapes``; at least three clusters)."""
    if axis not in ("horizontal", "vertical"):
        raise ValueError(f"unknown axis {axis!r}")
    horizontal = axis == "horizontal"
    ids = _ids(shape_ids)

    def run(ids: list[str]) -> None:
        clusters = _clusters(store, _existing(store, ids))
        if len(clusters) < 3:
            return
        first = min(clusters, key=lambda c: _axis(c[1], horizontal)[0])
        last = max(clusters, key=lambda c: sum(_axis(c[1], horizontal)))
        if first is last:
            excluded = {m["id"] for m in first[0]}
            run([i for i in ids if i not in excluded])
            return
        middle = sorted(
            (c for c in clusters if c is not first and c is not last),
            key=lambda c: (_axis(c[1], horizontal)[0], c[0][0]["id"]),
        )
        first_end = sum(_axis(first[1], horizontal))
        last_start, last_size = _axis(last[1], horizontal)
        gap = (last_start - first_end - sum(_axis(c[1], horizontal)[1] for c in middle)) / (
            len(middle) + 1
        )
        v = first_end + gap
        moves = []
        for members, box in middle:
            start, size = _axis(box, horizontal)
            delta = v - start
            if v + size > last_start + last_size - 1:
                delta = last_start + last_size - (start + size) - 1
            moves.append((members, *_shift(horizontal, delta)))
            v += size + gap
        for members, dx, dy in moves:
            _move_cluster(store, members, dx, dy)

    one_operation(store, lambda: run(ids))


def stack(store: Store, shape_ids: Iterable[str], axis: Axis, gap: float | None = None) -> None:
    """Put shapes one after the other along an axis, ``gap`` apart (``stackShapes``; default
    10; a gap of 0 uses the most common gap between them)."""
    if axis not in ("horizontal", "vertical"):
        raise ValueError(f"unknown axis {axis!r}")
    horizontal = axis == "horizontal"
    wanted_gap = _STACK_GAP if gap is None else gap

    def run() -> None:
        clusters = _clusters(store, _existing(store, shape_ids))
        if (wanted_gap == 0 and len(clusters) < 3) or len(clusters) < 2:
            return
        clusters.sort(key=lambda c: _axis(c[1], horizontal)[0])
        shape_gap = wanted_gap
        if wanted_gap == 0:
            gaps: dict[float, int] = {}
            for (_, a), (_, b) in itertools.pairwise(clusters):
                between = _axis(b, horizontal)[0] - sum(_axis(a, horizontal))
                gaps[between] = gaps.get(between, 0) + 1
            top = max(gaps.values())
            if top > 1:
                shape_gap = next(g for g, count in gaps.items() if count == top)
            else:
                shape_gap = sum(g * c for g, c in gaps.items()) / sum(gaps.values())
        v = sum(_axis(clusters[0][1], horizontal))
        moves = []
        for members, box in clusters[1:]:
            start, size = _axis(box, horizontal)
            moves.append((members, *_shift(horizontal, v + shape_gap - start)))
            v += size + shape_gap
        for members, dx, dy in moves:
            _move_cluster(store, members, dx, dy)

    one_operation(store, run)


# -- copies and rotation -------------------------------------------------------------------------


def duplicate(
    store: Store, shape_ids: Iterable[str], offset: tuple[float, float] = (0.0, 0.0)
) -> list[str]:
    """Copy shapes with everything below them (``duplicateShapes``), each copy just above its
    original; the copies of the given shapes move by ``offset`` on the page. Bindings between
    copied shapes are copied too; an arrow's binding to a shape not copied is not (the copy's
    end stays where it pointed). Returns the copies' ids, in the order of ``shape_ids``."""

    def run() -> list[str]:
        roots = _existing(store, shape_ids)
        all_ids: dict[str, None] = {}
        for root in roots:
            all_ids.setdefault(root["id"])
            for below in descendant_ids(store, root["id"]):
                all_ids.setdefault(below)
        new_ids = {old: create_shape_id() for old in all_ids}
        root_ids = {r["id"] for r in roots}
        copies = []
        for old in all_ids:
            shape = get_shape(store, old)
            x, y = shape["x"], shape["y"]
            if old in root_ids and shape["parentId"] not in all_ids:
                rotation = tl_rotation(parent_transform(store, shape["parentId"]))
                ox, oy = Transform(0, 0, -rotation).apply(*offset)
                x, y = x + ox, y + oy
            siblings = children(store, shape["parentId"])
            position = next(i for i, s in enumerate(siblings) if s["id"] == old)
            above = siblings[position + 1]["index"] if position + 1 < len(siblings) else None
            copies.append(
                {
                    **shape,
                    "id": new_ids[old],
                    "x": x,
                    "y": y,
                    "parentId": new_ids.get(shape["parentId"], shape["parentId"]),
                    "index": get_index_between(shape["index"], above),
                }
            )
        kept = []
        for binding in store.query.exec("binding"):
            if binding["fromId"] in new_ids and binding["toId"] in new_ids:
                kept.append(
                    {
                        **binding,
                        "id": create_binding_id(),
                        "fromId": new_ids[binding["fromId"]],
                        "toId": new_ids[binding["toId"]],
                    }
                )
        store.put(copies)
        if kept:
            store.put(kept)
            settle_arrows(store, [b["fromId"] for b in kept], reparented=False)
        return [new_ids[r["id"]] for r in roots]

    return one_operation(store, run)


def _shared_rotation(store: Store, shapes: list[Record]) -> float:
    rotations = {tl_rotation(page_transform(store, s["id"])) for s in shapes}
    return rotations.pop() if len(rotations) == 1 else 0.0


def _rotation_center(store: Store, shapes: list[Record]) -> tuple[float, float]:
    """The center of the shapes' rotated page bounds (``getRotationSnapshot``)."""
    rotation = _shared_rotation(store, shapes)
    if rotation == 0:
        box = union(page_bounds(store, s["id"]) for s in shapes)
        assert box is not None
        return box.center
    turn = Transform(0, 0, rotation)
    if len(shapes) == 1:
        local = shape_bounds(store, shapes[0])
        corner = page_transform(store, shapes[0]["id"]).apply(local.x, local.y)
        box = Box(corner[0], corner[1], local.w, local.h)
    else:
        back = Transform(0, 0, -rotation)
        box = bounding_box(
            back.apply(*page_transform(store, s["id"]).apply(*corner))
            for s in shapes
            for corner in shape_bounds(store, s).corners()
        )
        x, y = turn.apply(box.x, box.y)
        box = Box(x, y, box.w, box.h)
    cx, cy = box.center
    dx, dy = turn.apply(cx - box.x, cy - box.y)
    return (box.x + dx, box.y + dy)


def rotate(
    store: Store,
    shape_ids: Iterable[str],
    radians: float,
    *,
    center: tuple[float, float] | None = None,
) -> None:
    """Turn shapes by ``radians`` (clockwise on screen) about ``center`` (default: the center
    of their bounds), as ``rotateShapesBy`` does."""

    def run() -> None:
        shapes = _existing(store, shape_ids)
        if not shapes:
            return
        cx, cy = center or _rotation_center(store, shapes)
        spin = Transform(0, 0, radians)
        moves = []
        for shape in shapes:
            pose = page_transform(store, shape["id"])
            dx, dy = spin.apply(pose.x - cx, pose.y - cy)
            local = parent_transform(store, shape["parentId"]).inverse().apply(cx + dx, cy + dy)
            moves.append((shape, local, clamp_radians(shape["rotation"] + radians)))
        for shape, (x, y), rotation in moves:
            _put(store, get_shape(store, shape["id"]), x=x, y=y, rotation=rotation)

    one_operation(store, run)


# -- frames --------------------------------------------------------------------------------------

_FRAME_PADDING: Final = 25.0


def frame_around(
    store: Store,
    shape_ids: Iterable[str],
    *,
    name: str = "",
    padding: float = _FRAME_PADDING,
    frame_id: str | None = None,
) -> str | None:
    """Put shapes in a new frame fitted around them (tldraw's "frame selection" action at zoom
    1): the frame goes on top of their closest common ancestor (else the page), the shapes move
    into it keeping their page positions, and it is fitted to their outlines plus ``padding``.
    Returns the frame's id; None (nothing done) for fewer than two shapes."""

    def run() -> str | None:
        shapes = _existing(store, shape_ids)
        if len(shapes) < 2:
            return None
        common = union(page_bounds(store, s["id"]) for s in shapes)
        assert common is not None
        parent = _common_ancestor(store, shapes) or current_page_id(store)
        frame = build_shape(
            store,
            "frame",
            x=common.x,
            y=common.y,
            named={"w": common.w, "h": common.h, "name": name},
            parent=parent,
            id=frame_id,
        )
        store.put([frame])
        move_into(store, [s["id"] for s in shapes], frame["id"])
        _fit_frame(store, frame["id"], padding)
        settle_arrows(store, [s["id"] for s in sorted_by_index(shapes)], reparented=True)
        dissolve_thin_groups(store, [s["parentId"] for s in shapes])
        return str(frame["id"])

    return one_operation(store, run)


def _fit_frame(store: Store, frame_id: str, padding: float) -> None:
    """``fitFrameToContent``: the frame wraps its children's outlines plus ``padding``."""
    frame = get_shape(store, frame_id)
    kids = children(store, frame_id)
    box = bounding_box(
        local_transform(kid).apply(*p)
        for kid in kids
        for part in shape_parts(store, kid)
        if not part.label
        for p in part.points
    )
    dx, dy = padding - box.x, padding - box.y
    w, h = box.w + 2 * padding, box.h + 2 * padding
    store.put([{**kid, "x": kid["x"] + dx, "y": kid["y"] + dy} for kid in kids])
    ddx, ddy = Transform(0, 0, frame["rotation"]).apply(dx, dy)
    store.put(
        [
            {
                **frame,
                "x": frame["x"] - ddx,
                "y": frame["y"] - ddy,
                "props": {**frame["props"], "w": w, "h": h},
            }
        ]
    )
