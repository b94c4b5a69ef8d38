"""Reading and arranging a board with the helpers, without a browser (rules ED1-ED9; the
differential tests against tldraw's Editor are in tests/editor).

These pin the behaviours a bot relies on: what ``get_text`` returns, that bounds follow arrows'
targets and measure text, hit-test order and frame clipping, that every arranging helper is one
store operation, and the arrow and group housekeeping tldraw does after a change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import pytest

from tlsync_core.store.records import Record
from tlsync_core.store.store import HistoryEntry, Store
from tlsync_core.testing.tldraw import tldraw_store
from tlsync_core.tldraw import (
    Box,
    Connection,
    align,
    bring_forward,
    bring_to_front,
    connections,
    create_arrow,
    create_frame,
    create_geo,
    create_note,
    create_text,
    delete,
    distribute,
    duplicate,
    frame_around,
    frame_members,
    frame_of,
    get_text,
    group,
    move,
    page_bounds,
    remove_dangling_bindings,
    reparent,
    rotate,
    send_backward,
    send_to_back,
    set_text,
    shapes_at_point,
    shapes_in_bounds,
    stack,
    ungroup,
)
from tlsync_core.tldraw.b64vecs import B64Vecs
from tlsync_core.tldraw.helpers.freehand import raw_points
from tlsync_core.tldraw.helpers.shape_geometry import shape_parts
from tlsync_core.tldraw.helpers.tree import child_ids


@pytest.fixture
def store() -> Iterator[Store]:
    result = tldraw_store()
    yield result
    result.dispose()


def ids_on_page(store: Store) -> list[str]:
    return child_ids(store, "page:page")


@pytest.mark.spec("ED1")
def test_get_text_is_the_plain_text_tldraw_gives(store: Store) -> None:
    """Labels and texts come back as plain text (paragraphs and hard breaks as newlines, list
    items after TipTap's block separators), a frame gives its name, shapes without text ""."""
    box = create_geo(store, text="two\nlines")
    frame = create_frame(store, name="Ideas")
    listed = create_text(
        store,
        text={
            "type": "doc",
            "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "todo"}]},
                {
                    "type": "bulletList",
                    "content": [
                        {
                            "type": "listItem",
                            "content": [
                                {
                                    "type": "paragraph",
                                    "content": [
                                        {"type": "text", "text": "a"},
                                        {"type": "hardBreak"},
                                        {"type": "text", "text": "b"},
                                    ],
                                }
                            ],
                        }
                    ],
                },
            ],
        },
    )
    assert get_text(store, box["id"]) == "two\nlines"
    assert get_text(store, frame["id"]) == "Ideas"
    assert get_text(store, listed["id"]) == "todo\n\n\na\nb"
    assert get_text(store, create_geo(store)["id"]) == ""
    assert get_text(store, create_arrow(store, start=(0, 0), end=(9, 9), text="go")["id"]) == "go"
    with pytest.raises(LookupError):
        get_text(store, "shape:missing")


@pytest.mark.spec("ED2")
def test_page_bounds_follow_rotation_parents_and_arrow_targets(store: Store) -> None:
    """A rotated shape's bounds hold its rotated outline; a shape in a frame is offset by it; a
    group's bounds hold its children; a bound arrow's bounds follow its target when the target
    moves (the stored points are stale); an auto-size text is as wide as its measured text."""
    square = create_geo(store, x=0, y=0, w=100, h=100, rotation=math.pi / 4)
    diagonal = 100 * math.sqrt(2)
    assert page_bounds(store, square["id"]).w == pytest.approx(diagonal)
    frame = create_frame(store, x=500, y=500, w=300, h=300)
    inner = create_geo(store, x=10, y=20, w=50, h=40, parent=frame["id"])
    assert page_bounds(store, inner["id"]) == Box(510, 520, 50, 40)
    a, b = create_geo(store, x=0, y=300), create_geo(store, x=400, y=300)
    grouped = group(store, [a["id"], b["id"]])
    assert grouped is not None
    assert page_bounds(store, grouped) == Box(0, 300, 500, 100)
    arrow = create_arrow(store, start=a["id"], end=b["id"])
    before = page_bounds(store, arrow["id"])
    move(store, b["id"], 400, 900)
    after = page_bounds(store, arrow["id"])
    assert after.h > before.h + 400
    short, long = create_text(store, text="hi"), create_text(store, text="hi " * 20)
    assert page_bounds(store, long["id"]).w > 10 * page_bounds(store, short["id"]).w


@pytest.mark.spec("ED2")
def test_flipped_outlines_and_straight_strokes_are_tldraws(store: Store) -> None:
    """A flipped geo's outline is mirrored across its box (tldraw flips the path, so arrows meet
    the mirrored outline); a straight draw segment is stroked through points eased between its
    first two points, whatever else it holds."""
    triangle = create_geo(store, geo="triangle", x=0, y=0, w=100, h=80)
    flipped = {**triangle, "props": {**triangle["props"], "flipY": True}}
    (upright,) = shape_parts(store, triangle)
    (mirrored,) = shape_parts(store, flipped)
    assert mirrored.points == tuple((x, 80 - y) for x, y in upright.points)
    vectors = [{"x": 0.0, "y": 0.0, "z": 0.5}, {"x": 64.0, "y": 0.0, "z": 0.5}]
    vectors.append({"x": 900.0, "y": 900.0, "z": 0.5})
    segment = {"type": "straight", "path": B64Vecs.encode_points(vectors)}
    points = raw_points({"segments": [segment], "scaleX": 1, "scaleY": 1})
    assert points[0] == (0, 0) and points[-1] == (64, 0)
    assert len(points) == 2 + 4 and all(0 <= x <= 64 and y == 0 for x, y in points)


@pytest.mark.spec("ED3")
def test_hits_come_topmost_first_and_frames_clip(store: Store) -> None:
    """``shapes_at_point`` lists the shapes under a point topmost first; a shape sticking out of
    its frame is not hit outside the frame; an unfilled outline is hit inside only with
    ``hit_inside``; ``shapes_in_bounds`` lists shapes touching a box in paint order."""
    low = create_geo(store, x=0, y=0, w=100, h=100)
    high = create_geo(store, x=50, y=50, w=100, h=100)
    assert shapes_at_point(store, 75, 75) == [high["id"], low["id"]]
    assert shapes_at_point(store, 75, 75, hit_inside=False) == []
    assert shapes_at_point(store, 100, 75, hit_inside=False, margin=1) == [low["id"]]
    frame = create_frame(store, x=300, y=0, w=100, h=100)
    poking = create_geo(store, x=50, y=10, w=100, h=50, parent=frame["id"], fill="solid")
    assert shapes_at_point(store, 380, 30) == [poking["id"], frame["id"]]
    assert shapes_at_point(store, 420, 30) == []
    assert shapes_in_bounds(store, Box(90, 90, 5, 5)) == [low["id"], high["id"]]


@pytest.mark.spec("ED4")
def test_each_arranging_helper_is_one_operation(store: Store) -> None:
    """Every arranging helper writes its changes as one history entry (one push)."""
    shapes = [create_geo(store, x=x, y=x / 10)["id"] for x in (0, 130, 350, 470)]
    entries: list[HistoryEntry] = []
    stop = store.listen(entries.append, scope="document")
    try:
        steps: list[Callable[[], object]] = [
            lambda: bring_to_front(store, shapes[:2]),
            lambda: send_to_back(store, shapes[:2]),
            lambda: align(store, shapes, "top"),
            lambda: distribute(store, shapes, "horizontal"),
            lambda: stack(store, shapes, "vertical", 20),
            lambda: rotate(store, shapes[:2], 0.5),
            lambda: duplicate(store, shapes[:1], (10, 10)),
            lambda: group(store, shapes[:2]),
            lambda: frame_around(store, shapes[2:]),
        ]
        for count, step in enumerate(steps, 1):
            step()
            assert len(entries) == count
    finally:
        stop()


@pytest.mark.spec("ED4")
def test_z_order_moves_among_siblings(store: Store) -> None:
    """To front / to back move shapes past all their siblings; forward / backward hop over the
    next overlapping sibling only."""
    a, b, c = (create_geo(store, x=i * 20)["id"] for i in range(3))
    far = create_geo(store, x=1000)["id"]
    bring_to_front(store, [a])
    assert ids_on_page(store) == [b, c, far, a]
    send_to_back(store, [a])
    assert ids_on_page(store) == [a, b, c, far]
    bring_forward(store, [a])
    assert ids_on_page(store) == [b, a, c, far]
    send_backward(store, [far])
    assert ids_on_page(store) == [b, a, c, far]  # nothing under it overlaps


@pytest.mark.spec("ED5")
def test_groups_keep_page_positions(store: Store) -> None:
    """Grouping and ungrouping keep every shape where it is on the page; ungrouping frees the
    children at the group's place; a group reduced to one child dissolves."""
    a = create_geo(store, x=10, y=10)
    b = create_geo(store, x=300, y=50, rotation=0.3)
    c = create_geo(store, x=600, y=0)
    before = {i: page_bounds(store, i) for i in (a["id"], b["id"], c["id"])}
    grouped = group(store, [a["id"], b["id"], c["id"]])
    assert grouped is not None
    rotate(store, [grouped], 0.0)
    assert {i: page_bounds(store, i) for i in before} == pytest.approx(before)
    assert sorted(ungroup(store, grouped)) == sorted(before)
    assert store.get(grouped) is None
    pair = group(store, [a["id"], b["id"]])
    assert pair is not None
    delete(store, a["id"])
    assert store.get(pair) is None
    assert _record(store, b["id"])["parentId"] == "page:page"


@pytest.mark.spec("ED6")
def test_layout_aligns_distributes_and_stacks(store: Store) -> None:
    """``align`` lines shapes up on an edge of their common bounds, ``distribute`` spaces them
    evenly between the outer two, ``stack`` puts them one after another ``gap`` apart."""
    shapes = [
        create_geo(store, x=x, y=y, w=50, h=50)["id"] for x, y in ((0, 0), (70, 40), (300, 90))
    ]
    align(store, shapes, "bottom")
    assert {page_bounds(store, i).y for i in shapes} == {90}
    distribute(store, shapes, "horizontal")
    xs = sorted(page_bounds(store, i).x for i in shapes)
    assert xs[1] - xs[0] == pytest.approx(xs[2] - xs[1])
    stack(store, shapes, "vertical", 20)
    ys = sorted(page_bounds(store, i).y for i in shapes)
    assert [ys[1] - ys[0], ys[2] - ys[1]] == pytest.approx([70, 70])


@pytest.mark.spec("ED6")
def test_duplicate_and_frame_around(store: Store) -> None:
    """``duplicate`` copies shapes (and the arrows between copied shapes) moved by the offset,
    each just above its original; ``frame_around`` puts shapes in a new frame fitted around
    them with 25 units of padding, keeping their page positions."""
    a, b = create_geo(store, x=0, y=0), create_geo(store, x=200, y=0)
    arrow = create_arrow(store, start=a["id"], end=b["id"])
    copies = duplicate(store, [a["id"], b["id"], arrow["id"]], (0, 300))
    assert [page_bounds(store, i).y for i in copies[:2]] == [300, 300]
    assert ids_on_page(store).index(copies[0]) == ids_on_page(store).index(a["id"]) + 1
    assert [c.end_id for c in connections(store) if c.arrow_id == copies[2]] == [copies[1]]
    framed = frame_around(store, [a["id"], b["id"]])
    assert framed is not None
    assert page_bounds(store, framed) == Box(-25, -25, 350, 150)
    assert page_bounds(store, a["id"]) == Box(0, 0, 100, 100)
    assert frame_of(store, a["id"]) == framed
    assert set(frame_members(store, framed)) >= {a["id"], b["id"]}


@pytest.mark.spec("ED7")
def test_reparent_carries_arrows_and_delete_takes_them(store: Store) -> None:
    """Moving two connected boxes into a frame moves their arrow in too (tldraw's
    ``reparentArrow``); ``delete(with_arrows=True)`` removes the arrows bound to what it
    deletes; bindings to shapes another client deleted are cleaned up on request."""
    frame = create_frame(store, x=0, y=0, w=600, h=400)
    a, b = create_geo(store, x=50, y=50), create_geo(store, x=300, y=50)
    arrow = create_arrow(store, start=a["id"], end=b["id"])
    reparent(store, a["id"], frame["id"])
    assert _record(store, arrow["id"])["parentId"] == "page:page"
    reparent(store, b["id"], frame["id"])
    assert _record(store, arrow["id"])["parentId"] == frame["id"]
    assert connections(store, [a["id"]]) == [Connection(arrow["id"], a["id"], b["id"])]
    assert set(delete(store, [b["id"]], with_arrows=True)) == {b["id"], arrow["id"]}
    other = create_arrow(store, start=a["id"], end=(900, 900))
    store.remove([a["id"]])  # as a concurrent delete from another client arrives
    gone = remove_dangling_bindings(store)
    assert len(gone) == 1
    assert connections(store) == []
    assert store.get(other["id"]) is not None


@pytest.mark.spec("ED9")
def test_shapes_are_sized_to_their_text(store: Store) -> None:
    """A geo shape created with a long label grows (``growY``), as tldraw's editor sizes new
    shapes; editing the label grows or shrinks it again; a note with a word too wide for it
    gets a smaller font (``fontSizeAdjustment``)."""
    box = create_geo(store, w=100, h=100, text="python " * 12)
    assert box["props"]["growY"] > 100
    shrunk = set_text(store, box["id"], "ok")
    assert shrunk["props"]["growY"] == 0
    assert create_geo(store, text="ok")["props"]["growY"] == 0
    note = create_note(store, text="Supercalifragilisticexpialidocious")
    assert 0 < note["props"]["fontSizeAdjustment"] < 1
    assert create_note(store, text="hi")["props"]["fontSizeAdjustment"] == 1


def _record(store: Store, shape_id: str) -> Record:
    record = store.get(shape_id)
    assert record is not None
    return record
