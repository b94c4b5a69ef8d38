"""The simulator on tldraw's own schema (``tlsync_core.tldraw``), edited through its helpers.

Users edit as tldraw's editor would, through :mod:`tlsync_core.tldraw.helpers` (geo, text and
frame shapes, arrows with their bindings, moves, resizes, re-parenting, deletes, rich-text
labels, pages, presence); what an edit wrote is read from the store's diff, so values the
helpers compute (arrow geometry, bindings, index keys, positions relative to a new parent) are
part of the history too.  Texts are rich text, put whole (no string appends).

Versions: tldraw's sequences at their latest, plus ``com.tlsync.sim.meta``: version 1 renames a
shape's ``meta.label`` to ``meta.note`` (down: back), so version-0 clients are served
down-migrated records.
"""

from __future__ import annotations

import functools
import random
from typing import TYPE_CHECKING, Any, Final

from tlsync_core.store import (
    Migration,
    Record,
    StoreSchema,
    create_record_migration_sequence,
)
from tlsync_core.tldraw import create_tldraw_schema
from tlsync_core.tldraw import helpers as h

from .schema import COLORS, GEOS
from .simulator import Action, Change, EditMaker, Flavor

if TYPE_CHECKING:
    from .simulator import SimClient, Simulator

META_SEQUENCE: Final = "com.tlsync.sim.meta"


def _rename_up(record: Record) -> None:
    meta = record["meta"]
    if "label" in meta:
        meta["note"] = meta.pop("label")


def _rename_down(record: Record) -> None:
    meta = record["meta"]
    if "note" in meta:
        meta["label"] = meta.pop("note")


_MIGRATIONS: Final = (
    Migration(id=f"{META_SEQUENCE}/1", scope="record", up=_rename_up, down=_rename_down),
)


@functools.cache
def tldraw_sim_schema(version: int = 1) -> StoreSchema:
    """tldraw's schema plus the simulator's meta sequence at ``version`` (0 or 1)."""
    sequence = create_record_migration_sequence(META_SEQUENCE, "shape", _MIGRATIONS[:version])
    return create_tldraw_schema(migrations=[sequence])


def _of_type(store: Any, type_name: str) -> list[Record]:
    return sorted(
        (r for r in store.all_records() if r["typeName"] == type_name), key=lambda r: r["id"]
    )


def _pick(rng: random.Random, items: list[Record]) -> Record:
    if len(items) > 3 and rng.random() < 0.5:
        return items[rng.randrange(3)]
    return items[rng.randrange(len(items))]


def _shapes(c: SimClient, *types: str) -> list[Record]:
    return [s for s in _of_type(c.store, "shape") if not types or s["type"] in types]


def _page_of(c: SimClient, shape: Record) -> str | None:
    parent = shape["parentId"]
    seen: set[str] = set()
    while parent.startswith("shape:") and parent not in seen:
        seen.add(parent)
        record = c.store.unsafe_get_without_capture(parent)
        if record is None:
            return None
        parent = record["parentId"]
    return parent if c.store.unsafe_get_without_capture(parent) is not None else None


def _create_shape(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Action | None:
    pages = _of_type(c.store, "page")
    if not pages:
        return None
    page = _pick(rng, pages)["id"]
    u = sim.next_edit_value
    frames = [s for s in _shapes(c, "frame") if s["parentId"] == page]
    parent = rng.choice(frames)["id"] if frames and rng.random() < 0.4 else page
    kind = rng.choice(("geo", "geo", "text", "frame"))
    store = c.store
    if kind == "geo":
        return "create_shape", lambda: h.create_geo(
            store,
            x=u(eid, 1),
            y=u(eid, 2),
            w=u(eid, 3),
            h=u(eid, 4),
            geo=rng.choice(GEOS),
            color=rng.choice(COLORS),
            text=f"label #{eid:06d}",
            parent=parent,
        )
    if kind == "text":
        return "create_shape", lambda: h.create_text(
            store, x=u(eid, 1), y=u(eid, 2), text=f"text #{eid:06d}", parent=parent
        )
    return "create_shape", lambda: h.create_frame(
        store, x=u(eid, 1), y=u(eid, 2), w=u(eid, 3), h=u(eid, 4), name=f"Frame #{eid:06d}"
    )


def _move(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Action | None:
    shapes = _shapes(c)
    if not shapes:
        return None
    shape = _pick(rng, shapes)["id"]
    u = sim.next_edit_value
    return "move", lambda: h.move(c.store, shape, u(eid, 1), u(eid, 2))


def _resize(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Action | None:
    shapes = _shapes(c, "geo", "frame")
    if not shapes:
        return None
    shape = _pick(rng, shapes)["id"]
    u = sim.next_edit_value
    return "resize", lambda: h.resize(c.store, shape, u(eid, 3), u(eid, 4))


def _set_text(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Action | None:
    shapes = _shapes(c, "geo", "text", "arrow")
    if not shapes:
        return None
    shape = _pick(rng, shapes)["id"]
    return "set_text", lambda: h.set_text(c.store, shape, f"text #{eid:06d} 😀")


def _restyle(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Action | None:
    shapes = _shapes(c, "geo", "text", "arrow")
    if not shapes:
        return None
    shape = _pick(rng, shapes)["id"]
    return "restyle", lambda: h.update_props(c.store, shape, {"color": rng.choice(COLORS)})


def _delete_shape(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Action | None:
    shapes = _shapes(c)
    if not shapes:
        return None
    shape = _pick(rng, shapes)["id"]
    return "delete_shape", lambda: h.delete(c.store, [shape])


def _reparent(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Action | None:
    shapes = _shapes(c, "geo", "text")
    if not shapes:
        return None
    shape = _pick(rng, shapes)
    page = _page_of(c, shape)
    if page is None:
        return None
    targets = [page] + [s["id"] for s in _shapes(c, "frame") if s["parentId"] == page]
    targets = [t for t in targets if t != shape["parentId"]]
    if not targets:
        return None
    target = rng.choice(targets)
    return "reparent", lambda: h.reparent(c.store, shape["id"], target)


def _create_arrow(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Action | None:
    pages = _of_type(c.store, "page")
    if not pages:
        return None
    page = _pick(rng, pages)["id"]
    targets = [s["id"] for s in _shapes(c, "geo", "text") if _page_of(c, s) == page]
    u = sim.next_edit_value
    start: h.ArrowEnd = rng.choice(targets) if targets else (u(eid, 1), u(eid, 2))
    end: h.ArrowEnd = (u(eid, 3), u(eid, 4))
    if len(targets) > 1 and rng.random() < 0.7:
        end = rng.choice([t for t in targets if t != start])
    return "create_arrow", lambda: h.create_arrow(c.store, start=start, end=end, parent=page)


def _create_page(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Action | None:
    return "create_page", lambda: h.create_page(c.store, f"Page #{eid:06d}")


def _rename_page(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Change | None:
    pages = _of_type(c.store, "page")
    if not pages:
        return None
    return "rename_page", [{**_pick(rng, pages), "name": f"Page #{eid:06d}"}], []


def _delete_page(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Action | None:
    pages = _of_type(c.store, "page")
    if len(pages) < 2:
        return None
    page = _pick(rng, pages)["id"]
    store = c.store

    def delete() -> None:
        on_page = [s["id"] for s in _shapes(c) if _page_of(c, s) == page]
        if on_page:
            h.delete(store, on_page, force=True)
        store.remove([page])

    return "delete_page", delete


def _edit_meta(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Change | None:
    shapes = _shapes(c)
    if not shapes:
        return None
    shape = _pick(rng, shapes)
    key = "label" if c.version == 0 else "note"
    meta = {**shape["meta"], key: sim.next_edit_value(eid, 1)}
    return "edit_meta", [{**shape, "meta": meta}], []


def _presence(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Change | None:
    u = sim.next_edit_value
    pages = _of_type(c.store, "page")
    if not pages:
        return None
    shapes = _shapes(c)
    selected = sorted({_pick(rng, shapes)["id"] for _ in range(rng.randrange(3))} if shapes else [])
    c.presence.set(
        h.presence_record(
            c.store,
            user_id=f"user{c.index}",
            name=f"user {c.index}",
            cursor=(u(eid, 1), u(eid, 2)),
            page_id=_pick(rng, pages)["id"],
            selected_shape_ids=selected,
            timestamp=sim.clock.now(),
        )
    )
    return "presence", [], []


_EDITS: Final[dict[str, EditMaker]] = {
    "create_shape": _create_shape,
    "move": _move,
    "resize": _resize,
    "set_text": _set_text,
    "restyle": _restyle,
    "delete_shape": _delete_shape,
    "reparent": _reparent,
    "create_arrow": _create_arrow,
    "create_page": _create_page,
    "rename_page": _rename_page,
    "delete_page": _delete_page,
    "edit_meta": _edit_meta,
    "presence": _presence,
}

TLDRAW_FLAVOR: Final = Flavor(
    name="tldraw",
    latest=1,
    schema_for=tldraw_sim_schema,
    edits=_EDITS,
    weights={
        "create_shape": 12,
        "move": 20,
        "resize": 8,
        "set_text": 10,
        "restyle": 4,
        "delete_shape": 5,
        "reparent": 6,
        "create_arrow": 8,
        "create_page": 3,
        "rename_page": 2,
        "delete_page": 2,
        "edit_meta": 6,
        "presence": 10,
    },
    text_paths=frozenset(),
    type_defaults={},
)
