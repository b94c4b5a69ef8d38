"""The board helpers against tldraw 5.4.2's real Editor in headless Chromium (``editor_lab``).

Random boards of every default shape the helpers make -- geo shapes of every kind with and
without labels, some flipped, notes, texts, lines (straight and cubic), strokes, frames
(rotated) holding shapes, groups, arrows bound to shapes (straight, bent, labelled, precise),
all rotated at random -- are built with the helpers, then loaded into the editor as a sync
client receives them. Compared:

* ``get_text``: exactly ``getShapeUtil(shape).getText(shape)``;
* ``page_bounds``: ``getShapePageBounds`` within 1 px, or within 3 % of the size of the text
  where the bounds depend on measured text (text shapes, labelled arrows, arrows bound to texts,
  what holds them);
* ``shapes_at_point``: ``getShapesAtPoint`` (ids and order) at random points, except points
  within 1.5 px of a shape's outline, where sampled curves may fall either side;
* each arranging helper against the editor's method on the same board (first adopting the
  arrows the editor settles when the records arrive): every shape's parent, its place among
  its siblings (arrows that land in one slot as a set), ``x``/``y`` and rotation (within 0.5),
  and the bindings;
* text measurement against the editor's within 3 %, and the sizes of new shapes with labels
  (``create_geo``'s ``growY``, a note's ``growY`` and ``fontSizeAdjustment``) within 3 % or
  one line of label.

Rules: ED1-ED9 (SPEC.md, "Reading and arranging a board (ED)").
"""

from __future__ import annotations

import math
import random
from collections.abc import AsyncIterator, Callable
from typing import Any, Final

import pytest
import pytest_asyncio
from editor_lab import EditorLab, running_lab

from tlsync_core.store.records import Record
from tlsync_core.store.store import Store
from tlsync_core.testing.tldraw import deterministic_ids, tldraw_store
from tlsync_core.tldraw import (
    ArrowTarget,
    align,
    bring_forward,
    bring_to_front,
    create_arrow,
    create_draw,
    create_frame,
    create_geo,
    create_line,
    create_note,
    create_text,
    delete,
    distribute,
    duplicate,
    frame_around,
    get_text,
    group,
    page_bounds,
    reparent,
    rotate,
    send_backward,
    send_to_back,
    shapes_at_point,
    stack,
    ungroup,
)
from tlsync_core.tldraw.helpers.geometry import Box
from tlsync_core.tldraw.helpers.shape_geometry import shape_parts
from tlsync_core.tldraw.helpers.sizing import label_font_size
from tlsync_core.tldraw.helpers.text_layout import line_height, measure
from tlsync_core.tldraw.helpers.tree import ancestors, page_transform, shapes_on_page

pytestmark = pytest.mark.asyncio(loop_scope="module")

BOARDS: Final = 48
POINTS: Final = 40
GEOS: Final = (
    "rectangle", "ellipse", "triangle", "diamond", "pentagon", "hexagon", "octagon", "star",
    "rhombus", "rhombus-2", "oval", "trapezoid", "arrow-right", "arrow-left", "arrow-up",
    "arrow-down", "x-box", "check-box", "heart", "cloud",
)  # fmt: skip
WORDS: Final = ("plan", "ship it", "python", "Review the board", "a long label that wraps", "42")
EXACT: Final = 1.0
TEXT_SHARE: Final = 0.03


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def lab(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EditorLab]:
    async with running_lab(tmp_path_factory, "the differential editor tests") as running:
        yield running


# -- random boards -------------------------------------------------------------------------------


def _rotation(rng: random.Random) -> float:
    return rng.choice([0.0, 0.0, rng.uniform(0, math.tau)])


def _label(rng: random.Random) -> str | None:
    return rng.choice([None, None, *WORDS])


def _shape(store: Store, rng: random.Random, parent: str) -> Record:
    x, y = rng.uniform(-300, 600), rng.uniform(-300, 500)
    if parent.startswith("shape:"):
        x, y = rng.uniform(0, 250), rng.uniform(0, 200)
    common: dict[str, Any] = {"parent": parent, "rotation": _rotation(rng)}
    kind = rng.choice(["geo", "geo", "geo", "note", "text", "line", "draw"])
    if kind == "geo":
        made = create_geo(
            store,
            x=x,
            y=y,
            w=rng.uniform(40, 220),
            h=rng.uniform(40, 160),
            geo=rng.choice(GEOS),
            text=_label(rng),
            fill=rng.choice(["none", "solid", "semi"]),
            size=rng.choice(["s", "m", "l"]),
            **common,
        )
        # (flipped as resizing through the shape flips it, from its id: the board's rng untouched)
        flips = random.Random(made["id"]).choice([{}, {}, {"flipX": True}, {"flipY": True}])
        if flips:
            made = {**made, "props": {**made["props"], **flips}}
            store.put([made])
        return made
    if kind == "note":
        return create_note(store, x=x, y=y, text=_label(rng), **common)
    if kind == "text":
        return create_text(
            store, x=x, y=y, text=rng.choice(WORDS), font=rng.choice(["draw", "sans"]), **common
        )
    points = [(x + rng.uniform(-80, 80), y + rng.uniform(-80, 80)) for _ in range(4)]
    if kind == "line":
        return create_line(store, points=points, spline=rng.choice(["line", "cubic"]), **common)
    return create_draw(store, points=points, **common)


def random_board(seed: int) -> tuple[Store, random.Random]:
    """A board of every default shape kind, made with the helpers, ids seeded by ``seed``."""
    rng = random.Random(seed)
    store = tldraw_store()
    with deterministic_ids(seed):
        frames = [
            create_frame(
                store,
                x=rng.uniform(-200, 400),
                y=rng.uniform(-200, 300),
                w=rng.uniform(300, 450),
                h=rng.uniform(250, 350),
                name=rng.choice(["", "Ideas", "Done"]),
                rotation=_rotation(rng),
            )
            for _ in range(rng.randint(0, 2))
        ]
        parents = ["page:page", "page:page", *[f["id"] for f in frames]]
        shapes = [_shape(store, rng, rng.choice(parents)) for _ in range(rng.randint(6, 11))]
        siblings = [s for s in shapes if s["parentId"] == "page:page"]
        if len(siblings) >= 3 and rng.random() < 0.6:
            group(store, rng.sample([s["id"] for s in siblings], 2))
        targets = [s for s in shapes if s["type"] in ("geo", "note", "text")] + frames
        for _ in range(rng.randint(1, 4)):
            if len(targets) < 2:
                break
            a, b = rng.sample(targets, 2)
            start: Any = a["id"]
            if rng.random() < 0.3:
                start = ArrowTarget(a["id"], (rng.random(), rng.random()))
            create_arrow(
                store,
                start=start,
                end=b["id"] if rng.random() < 0.85 else (rng.uniform(0, 500), 0.0),
                bend=rng.choice([0.0, 0.0, rng.uniform(-60, 60)]),
                text=rng.choice([None, None, "yes"]),
            )
    return store, rng


def board_records(store: Store) -> list[Record]:
    return [*store.query.exec("page"), *store.query.exec("shape"), *store.query.exec("binding")]


def copy_board(records: list[Record]) -> Store:
    """A store holding a board's records."""
    store = tldraw_store()
    store.put(records)
    return store


# -- comparisons ---------------------------------------------------------------------------------


def text_dependent(store: Store, shape: Record) -> bool:
    """Whether a shape's bounds depend on measured text."""
    if shape["type"] == "text":
        return True
    if shape["type"] == "arrow":
        labelled = get_text(store, shape["id"]) != ""
        bound_to_text = any(
            (target := store.get(b["toId"])) is not None and target["type"] == "text"
            for b in store.query.exec("binding", {"fromId": shape["id"]})
        )
        return labelled or bound_to_text
    if shape["type"] == "group":
        return any(
            text_dependent(store, kid)
            for kid in store.query.exec("shape", {"parentId": shape["id"]})
        )
    return False


def text_size_of(store: Store, shape: Record) -> float:
    """The largest extent of the measured text a shape's bounds depend on (its own, or that of
    the texts its arrow ends are bound to)."""
    box = page_bounds(store, shape["id"])
    sizes = [max(box.w, box.h)]
    for binding in store.query.exec("binding", {"fromId": shape["id"]}):
        target = store.get(binding["toId"])
        if target is not None and target["type"] == "text":
            bound = page_bounds(store, target["id"])
            sizes.append(max(bound.w, bound.h))
    return max(sizes)


def assert_box_close(ours: Box, theirs: dict[str, float], allowed: float, what: str) -> None:
    for name in ("x", "y", "w", "h"):
        assert abs(getattr(ours, name) - theirs[name]) <= allowed, (what, name, ours, theirs)


def near_outline(store: Store, point: tuple[float, float], margin: float) -> bool:
    """Whether a point is within ``margin`` of some shape's outline on the page."""
    for shape in shapes_on_page(store):
        local = page_transform(store, shape["id"]).inverse().apply(*point)
        for part in shape_parts(store, shape):
            if part.hit(local, margin, hit_inside=False):
                return True
    return False


@pytest.mark.spec("ED1", "ED2", "ED3")
async def test_reading_matches_the_editor(lab: EditorLab) -> None:
    """On 48 random boards: ``get_text`` equals the editor's ``getText`` for every shape;
    ``page_bounds`` is within 1 px of ``getShapePageBounds`` (3 % of the text's size where text
    is measured);
    ``shapes_at_point`` gives the same ids in the same order as ``getShapesAtPoint`` at 40
    random points per board (those within 1.5 px of an outline aside)."""
    counts = {"shapes": 0, "exact": 0, "text": 0, "points": 0}
    for seed in range(BOARDS):
        store, rng = random_board(seed)
        await lab.load(board_records(store))
        ids = [s["id"] for s in shapes_on_page(store)]
        points: list[tuple[float, float]] = []
        while len(points) < POINTS:
            point = (rng.uniform(-400, 900), rng.uniform(-400, 800))
            if not near_outline(store, point, 1.5):
                points.append(point)
        theirs = await lab.read(ids, [{"x": x, "y": y} for x, y in points], 0, True)
        for shape_id in ids:
            shape = store.get(shape_id)
            assert shape is not None
            assert get_text(store, shape_id) == theirs["texts"][shape_id], shape_id
            loose = text_dependent(store, shape)
            assert_box_close(
                page_bounds(store, shape_id),
                theirs["bounds"][shape_id],
                max(EXACT, TEXT_SHARE * text_size_of(store, shape) if loose else 0.0),
                f"board {seed} {shape['type']} {shape_id}",
            )
            counts["text" if loose else "exact"] += 1
        for (x, y), hits in zip(points, theirs["hits"], strict=True):
            assert shapes_at_point(store, x, y) == hits, (seed, x, y)
        counts["shapes"] += len(ids)
        counts["points"] += len(points)
    assert counts["shapes"] > BOARDS * 6


# -- arranging -----------------------------------------------------------------------------------

Op = Callable[[Store, list[str], random.Random], tuple[str, list[str], dict[str, Any]]]


def _pick(store: Store, rng: random.Random, n: int, same_parent: bool = True) -> list[str]:
    movable = [s for s in shapes_on_page(store) if s["type"] != "arrow"]
    if same_parent:
        parent = rng.choice(movable)["parentId"]
        movable = [s for s in movable if s["parentId"] == parent]
    picked = {s["id"] for s in rng.sample(movable, min(n, len(movable)))}
    # as the editor's selection: never a shape together with a shape inside it
    return [
        i
        for i in (s["id"] for s in movable)
        if i in picked and not any(a["id"] in picked for a in ancestors(store, i))
    ]


def op_z(store: Store, rng: random.Random) -> tuple[str, list[str], dict[str, Any]]:
    name, fn = rng.choice(
        [
            ("bring_to_front", bring_to_front),
            ("send_to_back", send_to_back),
            ("bring_forward", bring_forward),
            ("send_backward", send_backward),
        ]
    )
    ids = _pick(store, rng, rng.randint(1, 2))
    fn(store, ids)
    return name, ids, {}


def op_group(store: Store, rng: random.Random) -> tuple[str, list[str], dict[str, Any]]:
    ids = _pick(store, rng, 3)
    group_id = f"shape:group{rng.randrange(10**6)}"
    group(store, ids, group_id=group_id)
    return "group", ids, {"id": group_id}


def op_ungroup(store: Store, rng: random.Random) -> tuple[str, list[str], dict[str, Any]]:
    groups = [s["id"] for s in shapes_on_page(store) if s["type"] == "group"]
    ids = groups[:1] or _pick(store, rng, 1)
    ungroup(store, ids)
    return "ungroup", ids, {}


def op_align(store: Store, rng: random.Random) -> tuple[str, list[str], dict[str, Any]]:
    how = rng.choice(["left", "center-horizontal", "right", "top", "center-vertical", "bottom"])
    ids = _pick(store, rng, 3, same_parent=False)
    align(store, ids, how)  # type: ignore[arg-type]
    return "align", ids, {"how": how}


def op_distribute(store: Store, rng: random.Random) -> tuple[str, list[str], dict[str, Any]]:
    how = rng.choice(["horizontal", "vertical"])
    ids = _pick(store, rng, 4, same_parent=False)
    distribute(store, ids, how)  # type: ignore[arg-type]
    return "distribute", ids, {"how": how}


def op_stack(store: Store, rng: random.Random) -> tuple[str, list[str], dict[str, Any]]:
    how = rng.choice(["horizontal", "vertical"])
    gap = rng.choice([10.0, 24.0])
    ids = _pick(store, rng, 3, same_parent=False)
    stack(store, ids, how, gap)  # type: ignore[arg-type]
    return "stack", ids, {"how": how, "gap": gap}


def op_rotate(store: Store, rng: random.Random) -> tuple[str, list[str], dict[str, Any]]:
    radians = rng.uniform(-math.pi, math.pi)
    ids = _pick(store, rng, rng.randint(1, 3))
    rotate(store, ids, radians)
    return "rotate", ids, {"radians": radians}


def op_reparent(store: Store, rng: random.Random) -> tuple[str, list[str], dict[str, Any]]:
    frames = [s["id"] for s in shapes_on_page(store) if s["type"] == "frame"]
    parent = rng.choice([*frames, "page:page"])
    above = ancestors(store, parent) if parent != "page:page" else []
    holders = {parent, *(a["id"] for a in above)}
    ids = [i for i in _pick(store, rng, 1) if i not in holders]  # never a shape into itself
    for shape_id in ids:
        reparent(store, shape_id, parent)
    return "reparent", ids, {"parent": parent}


def op_delete(store: Store, rng: random.Random) -> tuple[str, list[str], dict[str, Any]]:
    ids = _pick(store, rng, 2, same_parent=False)
    area = {
        i for shape_id in ids for i in [shape_id, *(s["id"] for s in shapes_below(store, shape_id))]
    }
    arrows = [
        b["fromId"]
        for b in store.query.exec("binding")
        if b["toId"] in area and store.get(b["fromId"]) is not None
    ]
    delete(store, ids, with_arrows=True)
    return "delete", [*ids, *arrows], {}


def op_frame(store: Store, rng: random.Random) -> tuple[str, list[str], dict[str, Any]]:
    ids = _pick(store, rng, 2)
    frame_id = f"shape:frame{rng.randrange(10**6)}"
    frame_around(store, ids, frame_id=frame_id)
    return "frame_around", ids, {"id": frame_id}


OPS: Final = (
    op_z, op_z, op_group, op_ungroup, op_align, op_distribute, op_stack, op_rotate, op_reparent,
    op_delete, op_frame,
)  # fmt: skip


def sibling_orders(records: list[Record]) -> dict[str, list[str]]:
    by_parent: dict[str, list[Record]] = {}
    for record in records:
        if record["typeName"] == "shape":
            by_parent.setdefault(record["parentId"], []).append(record)
    return {
        parent: [r["id"] for r in sorted(kids, key=lambda r: (r["index"], r["id"]))]
        for parent, kids in by_parent.items()
    }


def sibling_slots(records: list[Record]) -> dict[str, list[str | frozenset[str]]]:
    """Each parent's children in order, a run of adjacent arrows as one set: arrows that land
    in the same slot are ordered by tldraw's record map (a hash map), which we do not
    reproduce."""
    types = {r["id"]: r["type"] for r in records if r["typeName"] == "shape"}
    result: dict[str, list[str | frozenset[str]]] = {}
    for parent, kids in sibling_orders(records).items():
        slots: list[str | frozenset[str]] = []
        for kid in kids:
            if types[kid] == "arrow" and slots and isinstance(slots[-1], frozenset):
                slots[-1] = slots[-1] | {kid}
            else:
                slots.append(frozenset({kid}) if types[kid] == "arrow" else kid)
        result[parent] = slots
    return result


def assert_same_records(ours: list[Record], theirs: list[Record], slack: float, what: str) -> None:
    """The same shapes with the same parents, sibling order (arrows in the same slot as a set)
    and bindings; positions, rotations and the sizes of frames and geo shapes within 0.5 (or
    ``slack``, for text-dependent operations)."""
    mine = {r["id"]: r for r in ours if r["typeName"] == "shape"}
    other = {r["id"]: r for r in theirs if r["typeName"] == "shape"}
    assert sorted(mine) == sorted(other), what
    for shape_id, shape in mine.items():
        them = other[shape_id]
        assert shape["parentId"] == them["parentId"], (what, shape_id)
        for field in ("x", "y"):
            assert abs(shape[field] - them[field]) <= slack, (what, shape_id, field)
        turn = (shape["rotation"] - them["rotation"]) % math.tau
        assert min(turn, math.tau - turn) <= math.radians(0.5), (what, shape_id)
        if shape["type"] in ("frame", "geo", "note"):
            for prop in ("w", "h", "growY"):
                if prop in shape["props"]:
                    assert abs(shape["props"][prop] - them["props"][prop]) <= slack, (what, prop)
    assert sibling_slots(ours) == sibling_slots(theirs), what
    assert binding_ends(ours) == binding_ends(theirs), what


def binding_ends(records: list[Record]) -> set[tuple[str, str, str]]:
    return {
        (b["fromId"], b["toId"], b["props"]["terminal"])
        for b in records
        if b["typeName"] == "binding"
    }


def slack_for(store: Store, ids: list[str]) -> float:
    """0.5, or 3 % of the largest of the shapes when their bounds depend on measured text."""
    shapes = [s for i in ids if (s := store.get(i)) is not None]
    involved = [*shapes, *(k for s in shapes for k in shapes_below(store, s["id"]))]
    if not any(text_dependent(store, s) for s in involved):
        return 0.5
    sizes = [max(page_bounds(store, s["id"]).w, page_bounds(store, s["id"]).h) for s in involved]
    return max(0.5, TEXT_SHARE * max(sizes))


def shapes_below(store: Store, shape_id: str) -> list[Record]:
    kids = list(store.query.exec("shape", {"parentId": shape_id}))
    return [*kids, *(k for kid in kids for k in shapes_below(store, kid["id"]))]


@pytest.mark.spec("ED4", "ED5", "ED6", "ED7")
async def test_arranging_matches_the_editor(lab: EditorLab) -> None:
    """On 48 random boards, 4 arranging operations each (z-order, group, ungroup, align,
    distribute, stack, rotate, reparent, delete with bound arrows, frame around), applied by
    the helpers and by the editor's methods to the same board, leave the same shapes, each with
    the same parent, place among its siblings, x/y and rotation (within 0.5 px / 0.5°), sizes
    of frames and geo shapes, and the same bindings."""
    done: dict[str, int] = {}
    for seed in range(BOARDS):
        store, rng = random_board(1000 + seed)
        for _ in range(4):
            await lab.load(board_records(store))
            # the editor settles arrows left where a change did not concern them (its bindings
            # react to records arriving): start both from what it holds
            settled = [r for r in await lab.records() if r != store.get(r["id"])]
            if settled:
                store.put(settled)
            records = board_records(store)
            op = rng.choice(OPS)
            name, ids, args = op(store, rng)
            theirs = await lab.apply(name, ids, args)
            slack = slack_for(copy_board(records), ids)
            what = f"board {seed} {name} {ids}"
            assert_same_records(board_records(store), theirs["records"], slack, what)
            done[name] = done.get(name, 0) + 1
    assert len(done) >= 8, done


@pytest.mark.spec("ED6")
async def test_duplicates_match_the_editor(lab: EditorLab) -> None:
    """``duplicate`` makes copies where ``duplicateShapes`` does: same parents (copied frames
    and groups hold the copies of their children), same places among siblings, positions moved
    by the offset, and bindings between copied shapes copied (12 random boards)."""
    for seed in range(12):
        store, rng = random_board(2000 + seed)
        await lab.load(board_records(store))
        ids = _pick(store, rng, 2)
        offset = (rng.uniform(-50, 50), rng.uniform(-50, 50))
        copies = duplicate(store, ids, offset)
        theirs = await lab.apply("duplicate", ids, {"offset": {"x": offset[0], "y": offset[1]}})
        ours = {r["id"]: r for r in board_records(store) if r["typeName"] != "page"}
        other = {r["id"]: r for r in theirs["records"]}
        assert len(ours) == len(other)
        assert len(binding_ends(list(ours.values()))) == len(binding_ends(theirs["records"]))
        for mine, them in zip(copies, theirs["selected"], strict=True):
            a, b = ours[mine], other[them]
            assert (a["x"], a["y"]) == pytest.approx((b["x"], b["y"]), abs=0.5)
            assert a["parentId"] == b["parentId"]
            order = sibling_orders(list(ours.values()))[a["parentId"]]
            their_order = sibling_orders(list(other.values()))[b["parentId"]]
            assert order.index(mine) == their_order.index(them)


@pytest.mark.spec("ED8")
async def test_text_is_measured_like_the_editor(lab: EditorLab) -> None:
    """Texts in each of tldraw's fonts and sizes, on one line and wrapped at a width, measure
    within 3 % of the editor's ``textMeasure`` (the same number of lines, so the same
    height)."""
    await lab.load([])
    rng = random.Random(7)
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6))) for _ in range(12)]
    for font in ("draw", "sans", "serif", "mono"):
        for size, max_width in ((18.0, None), (24.0, 180.0), (36.0, 300.0)):
            theirs = await lab.measure(texts, font, size, max_width)
            for text, box in zip(texts, theirs, strict=True):
                ours = measure([text], font, size, max_width=max_width)
                assert ours.h == box["h"], (font, size, max_width, text)
                assert abs(ours.w - box["w"]) <= max(1.0, TEXT_SHARE * box["w"]), (font, text)


@pytest.mark.spec("ED9")
async def test_new_shapes_are_sized_like_the_editor(lab: EditorLab) -> None:
    """Geo shapes and notes with labels made by ``create_geo``/``create_note`` (30, in every font
    and size) get the ``w``/``h``/``growY`` the editor's ``createShapes`` gives the same shape
    within 3 % or one line of their label (a word that wraps one way or the other), and the
    same ``fontSizeAdjustment``."""
    await lab.load([])
    rng = random.Random(11)
    store = tldraw_store()
    for i in range(30):
        text = " ".join(
            rng.choice([*WORDS, "Supercalifragilistic"]) for _ in range(rng.randint(1, 8))
        )
        size = rng.choice(["s", "m", "l", "xl"])
        font = rng.choice(["draw", "sans", "serif", "mono"])
        if i % 2:
            ours = create_note(store, text=text, size=size, font=font)
        else:
            ours = create_geo(store, text=text, size=size, font=font, w=rng.uniform(60, 240))
        partial = {
            "id": f"shape:sized{i}",
            "type": ours["type"],
            "props": {
                k: v for k, v in ours["props"].items() if k not in ("growY", "fontSizeAdjustment")
            },
        }
        theirs = await lab.create(partial)
        one_line = line_height(label_font_size(size))
        for prop in ("w", "h", "growY"):
            mine, other = (
                ours["props"].get(prop, 0),
                theirs["props"].get(prop, 0),
            )
            assert abs(mine - other) <= max(one_line, TEXT_SHARE * other), (i, prop, text)
        if ours["type"] == "note":
            assert ours["props"]["fontSizeAdjustment"] == pytest.approx(
                theirs["props"]["fontSizeAdjustment"], abs=0.05
            ), (i, text)
