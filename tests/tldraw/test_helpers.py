"""The bot helpers (``tlsync_core.tldraw.helpers``) write what tldraw 5.4.2's editor would.

Rules (TLH*):

- TLH1 Default props are tldraw's ``getDefaultProps()``: every prop of each default shape, and
  style props at their style's default.
- TLH2 Every helper's records pass tldraw's own validators (node) and ours, unchanged.
- TLH3 A new shape gets tldraw's base fields, parent (current page) and an index above the
  parent's top child; keyword arguments map to camelCase props, ``props=`` passes through, and
  the instance's ``stylesForNextShape`` / ``opacityForNextShape`` apply.
- TLH4 Each helper call is one store operation: one history entry, nothing written on error.
- TLH5 ``create_arrow`` makes the arrow and its arrow bindings as tldraw's editor does (ids,
  ``fromId``/``toId``, props ``terminal``, ``normalizedAnchor``, ``isExact``, ``isPrecise``,
  ``snap``), positioned and parented as tldraw's ``reparentArrow`` leaves them.
- TLH6 ``reparent`` keeps a shape's page position and rotation across (rotated, nested) frames.
- TLH7 ``delete`` removes descendants and bindings, keeps bound arrows pointing where they did,
  skips locked shapes unless forced, and cleans page states.
- TLH8 Indices are ordered: successive shapes and pages stack up, ``shapes_on_page`` paints
  depth first; page names increment as in tldraw.
- TLH9 Two stores adding "on top" at once get distinct indices.
- TLH10 ``move``/``translate``/``resize``/``set_text``/``update_props`` change what they say.
- TLH11 ``presence_record`` builds a valid collaborator presence.
- TLH12 Strokes (draw, highlight) and lines encode points as tldraw does (b64 segments, index
  keys).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import pytest
from node_peer import NodePeer
from tldraw_peer import node_validate, py_validate

from tlsync_core.store.records import Record
from tlsync_core.store.store import HistoryEntry, Store
from tlsync_core.tldraw import create_tldraw_schema
from tlsync_core.tldraw.b64vecs import B64Vecs
from tlsync_core.tldraw.helpers import (
    SHAPE_DEFAULT_PROPS,
    ArrowTarget,
    arrow_bindings,
    children,
    create_arrow,
    create_draw,
    create_frame,
    create_geo,
    create_highlight,
    create_line,
    create_note,
    create_page,
    create_shape,
    create_text,
    current_page_id,
    default_props,
    delete,
    move,
    page_transform,
    presence_record,
    reparent,
    resize,
    set_text,
    shapes_on_page,
    translate,
    update_props,
)
from tlsync_core.tldraw.helpers.geometry import clamp_radians
from tlsync_core.tldraw.helpers.pages import incremented_name
from tlsync_core.tldraw.misc import to_rich_text
from tlsync_core.tldraw.shapes import DEFAULT_SHAPE_PROPS
from tlsync_core.tldraw.styles import StyleProp

SCHEMA = create_tldraw_schema()


@pytest.fixture
def store() -> Iterator[Store]:
    """A usable tldraw store: document, pointer, ``page:page``, instance, page state, camera."""
    result = Store(schema=SCHEMA)
    result.ensure_store_is_usable()
    yield result
    result.dispose()


def _page_pose(store: Store, shape_id: str) -> tuple[float, float, float]:
    transform = page_transform(store, shape_id)
    return (transform.x, transform.y, clamp_radians(transform.rotation))


def _assert_same_pose(a: tuple[float, float, float], b: tuple[float, float, float]) -> None:
    assert a[0] == pytest.approx(b[0], abs=1e-9)
    assert a[1] == pytest.approx(b[1], abs=1e-9)
    turn = (a[2] - b[2]) % (2 * math.pi)
    assert min(turn, 2 * math.pi - turn) == pytest.approx(0, abs=1e-9)


def _scene(store: Store) -> dict[str, Record]:
    """One of everything the helpers make."""
    frame = create_frame(store, x=400, y=0, w=300, h=200, name="Ideas", rotation=0.3)
    box = create_geo(store, x=0, y=0, text="box", color="blue", fill="solid", geo="cloud")
    ellipse = create_geo(store, x=20, y=30, w=80, h=40, geo="ellipse", parent=frame["id"])
    return {
        "frame": frame,
        "box": box,
        "ellipse": ellipse,
        "text": create_text(store, x=10, y=300, text="two\nlines", text_align="middle"),
        "fixed_text": create_text(store, x=10, y=400, text="wide", w=250),
        "note": create_note(store, x=-300, y=0, text="sticky", color="yellow"),
        "line": create_line(store, points=[(0, 500), (50, 550), (100, 500)], spline="cubic"),
        "draw": create_draw(store, points=[(0, 600), (3, 604.5), (10, 612)], is_closed=False),
        "pen": create_draw(store, points=[(0, 700, 0.2), (5, 705, 0.9), (9, 701)]),
        "highlight": create_highlight(store, points=[(0, 800), (80, 800)], color="green"),
        "arrow": create_arrow(store, start=box["id"], end=ellipse["id"], text="to"),
        "precise": create_arrow(
            store, start=ArrowTarget(box["id"], (0, 0.5), exact=True), end=(900, 900)
        ),
        "free": create_arrow(store, start=(-50, -50), end=(-10, -90), kind="elbow"),
        "custom": create_shape(store, "group"),
        "page": create_page(store, "Second"),
    }


@pytest.mark.spec("TLH1")
@pytest.mark.parametrize("shape_type", sorted(DEFAULT_SHAPE_PROPS))
def test_default_props_are_tldraws(shape_type: str) -> None:
    """Each default shape's defaults name every prop its schema validates (as
    ``getDefaultProps()`` does), and each style prop defaults to its style's default value, so
    the editor's style-for-next-shape fallback gives the same props."""
    validators = DEFAULT_SHAPE_PROPS[shape_type].props
    assert isinstance(validators, dict)
    defaults = default_props(shape_type)
    assert set(defaults) == set(validators)
    for prop, validator in validators.items():
        if isinstance(validator, StyleProp):
            assert defaults[prop] == validator.default_value, prop
    assert set(SHAPE_DEFAULT_PROPS) == set(DEFAULT_SHAPE_PROPS)


@pytest.mark.spec("TLH2")
def test_every_helper_output_passes_tldraw_validation(store: Store, node_peer: NodePeer) -> None:
    """Every record the helpers write (shapes, bindings, pages) and a presence record validate
    in tldraw's schema in node and in ours, unchanged."""
    _scene(store)
    records = [r for r in store.all_records() if r["typeName"] in ("shape", "binding", "page")]
    records.append(presence_record(store, user_id="bot", name="Bot", color="#00aa00"))
    assert {r["typeName"] for r in records} == {
        "shape",
        "binding",
        "page",
        "instance_presence",
    }
    assert {r["type"] for r in records if r["typeName"] == "shape"} >= {
        "geo",
        "frame",
        "text",
        "note",
        "line",
        "draw",
        "highlight",
        "arrow",
        "group",
    }
    expected = [("ok", r) for r in records]
    assert node_validate(node_peer, [(r, None) for r in records]) == expected
    assert [py_validate(SCHEMA, r) for r in records] == expected
    store.validate()


@pytest.mark.spec("TLH3")
def test_new_shape_base_fields_and_props(store: Store) -> None:
    """A geo shape gets x/y as given, rotation 0, not locked, opacity 1, meta {}, the current
    page as parent, an index above a0; its props are the defaults with the keyword arguments
    in camelCase and ``props=`` on top (a ``growY`` its label does not need goes back to 0, as
    tldraw's editor sizes a new geo shape to its label)."""
    shape = create_geo(
        store,
        x=12.5,
        y=-4,
        vertical_align="start",
        label_color="red",
        text="hi",
        props={"url": "https://example.com", "growY": 3},
    )
    assert shape["id"].startswith("shape:")
    assert {k: shape[k] for k in ("x", "y", "rotation", "isLocked", "opacity", "meta")} == {
        "x": 12.5,
        "y": -4,
        "rotation": 0,
        "isLocked": False,
        "opacity": 1,
        "meta": {},
    }
    assert shape["parentId"] == current_page_id(store) == "page:page"
    assert shape["index"] > "a1"
    assert shape["index"] < "a2"
    assert shape["props"] == {
        **default_props("geo"),
        "verticalAlign": "start",
        "labelColor": "red",
        "richText": to_rich_text("hi"),
        "url": "https://example.com",
        "growY": 0,
    }
    options = create_note(
        store, id="shape:mine", rotation=1, opacity=0.5, is_locked=True, meta={"by": "bot"}
    )
    assert options["id"] == "shape:mine"
    assert (options["rotation"], options["opacity"], options["isLocked"]) == (1, 0.5, True)
    assert options["meta"] == {"by": "bot"}
    with pytest.raises(ValueError, match="already exists"):
        create_note(store, id="shape:mine")
    with pytest.raises(LookupError):
        create_note(store, parent="page:nope")


@pytest.mark.spec("TLH3")
def test_instance_styles_for_next_shape_apply(store: Store) -> None:
    """Like tldraw's editor, a new shape takes the instance's ``stylesForNextShape`` for its
    style props and ``opacityForNextShape`` for its opacity; keyword arguments still win."""
    instance = store.get("instance:instance")
    assert instance is not None
    store.put(
        [
            {
                **instance,
                "stylesForNextShape": {"tldraw:color": "violet", "tldraw:dash": "dotted"},
                "opacityForNextShape": 0.25,
            }
        ]
    )
    geo = create_geo(store, dash="solid")
    assert (geo["props"]["color"], geo["props"]["dash"], geo["opacity"]) == (
        "violet",
        "solid",
        0.25,
    )
    assert create_frame(store)["props"]["color"] == "black"  # a frame's color is no style


@pytest.mark.spec("TLH4")
def test_each_helper_is_one_operation(store: Store) -> None:
    """An arrow with two bindings arrives as one history entry (one push); a helper that fails
    validation writes nothing."""
    a, b = create_geo(store), create_geo(store, x=200)
    entries: list[HistoryEntry] = []
    stop = store.listen(entries.append, scope="document")
    try:
        arrow = create_arrow(store, start=a["id"], end=b["id"])
        assert len(entries) == 1
        assert set(entries[0].changes.added) == {
            arrow["id"],
            *(binding["id"] for binding in arrow_bindings(store, arrow["id"]).values()),
        }
        before = store.serialize()
        with pytest.raises(Exception, match="w"):
            create_geo(store, w=0)
        with pytest.raises(LookupError):
            create_arrow(store, start=a["id"], end="shape:missing")
        assert store.serialize() == before
        assert len(entries) == 1
    finally:
        stop()


@pytest.mark.spec("TLH5")
def test_arrow_bindings_are_tldraws(store: Store) -> None:
    """Arrow bindings have tldraw's fields: a new binding id, type arrow, fromId the arrow,
    toId the target, meta {} and props terminal / normalizedAnchor / isPrecise / isExact / snap
    as the editor sets them for a quick drag (center, imprecise, snap center), a precise anchor
    (snap none) and an exact one."""
    a = create_geo(store, x=0, y=0, w=100, h=50)
    b = create_geo(store, x=300, y=100, w=100, h=100)
    arrow = create_arrow(store, start=a["id"], end=ArrowTarget(b["id"], (0.25, 1)))
    bindings = arrow_bindings(store, arrow["id"])
    assert set(bindings) == {"start", "end"}
    for terminal, target, props in [
        (
            "start",
            a["id"],
            {"normalizedAnchor": {"x": 0.5, "y": 0.5}, "isPrecise": False, "snap": "center"},
        ),
        (
            "end",
            b["id"],
            {"normalizedAnchor": {"x": 0.25, "y": 1}, "isPrecise": True, "snap": "none"},
        ),
    ]:
        binding = bindings[terminal]
        assert binding["id"].startswith("binding:")
        assert {k: binding[k] for k in ("typeName", "type", "fromId", "toId", "meta")} == {
            "typeName": "binding",
            "type": "arrow",
            "fromId": arrow["id"],
            "toId": target,
            "meta": {},
        }
        assert binding["props"] == {"terminal": terminal, "isExact": False, **props}
    # the arrow sits on the start anchor; its end is the end anchor, relative
    assert (arrow["x"], arrow["y"]) == (50, 25)
    assert arrow["props"]["start"] == {"x": 0, "y": 0}
    assert arrow["props"]["end"] == {"x": 275, "y": 175}
    exact = create_arrow(store, start=(0, 0), end=ArrowTarget(a["id"], exact=True))
    (only,) = arrow_bindings(store, exact["id"]).values()
    assert only["props"] == {
        "terminal": "end",
        "normalizedAnchor": {"x": 0.5, "y": 0.5},
        "isPrecise": True,
        "isExact": True,
        "snap": "none",
    }
    loop = create_arrow(store, start=a["id"], end=a["id"])
    anchors = {
        t: b["props"]["normalizedAnchor"] for t, b in arrow_bindings(store, loop["id"]).items()
    }
    assert anchors == {"start": {"x": 0.5, "y": 0.5}, "end": {"x": 0.55, "y": 0.5}}
    assert arrow_bindings(store, create_arrow(store, start=(0, 0), end=(5, 5))["id"]) == {}


@pytest.mark.spec("TLH5")
def test_arrow_parent_and_index_follow_reparent_arrow(store: Store) -> None:
    """As ``reparentArrow`` leaves it: an arrow between two shapes of one frame goes in the
    frame; between frames, on the page; bound to a frame and a shape in it, in that frame; it
    sits just above the higher bound shape, below the next non-arrow shape."""
    left = create_frame(store, x=0, y=0)
    right = create_frame(store, x=500, y=0, rotation=0.2)
    a = create_geo(store, x=10, y=10, parent=left["id"])
    b = create_geo(store, x=150, y=10, parent=left["id"])
    c = create_geo(store, x=10, y=10, parent=right["id"])
    inside = create_arrow(store, start=a["id"], end=b["id"])
    assert inside["parentId"] == left["id"]
    assert b["index"] < inside["index"]
    across = create_arrow(store, start=a["id"], end=c["id"])
    assert across["parentId"] == "page:page"
    # above the right frame (the higher bound ancestor), the top of the page
    assert across["index"] > right["index"]
    to_frame = create_arrow(store, start=right["id"], end=c["id"])
    assert to_frame["parentId"] == right["id"]
    # a shape above the bound ones: the arrow goes between
    top = create_geo(store, x=900, y=900)
    between = create_arrow(store, start=left["id"], end=(1000, 1000))
    page_order = [s["id"] for s in children(store, "page:page")]
    assert page_order.index(left["id"]) < page_order.index(between["id"])
    assert (
        page_order.index(between["id"])
        < page_order.index(right["id"])
        < page_order.index(top["id"])
    )
    # point ends are in the parent's space: in the rotated frame, page positions follow
    framed = create_arrow(store, start=(0, 0), end=(100, 0), parent=right["id"])
    assert framed["parentId"] == right["id"]
    assert (framed["x"], framed["y"]) == pytest.approx((0, 0))
    assert framed["props"]["end"]["x"] == pytest.approx(100)
    assert framed["props"]["end"]["y"] == pytest.approx(0)
    turned = create_arrow(store, start=(10, 20), end=(110, 20), rotation=math.pi / 2)
    tip = page_transform(store, turned["id"]).apply(
        turned["props"]["end"]["x"], turned["props"]["end"]["y"]
    )
    assert tip == pytest.approx((110, 20))
    elsewhere = create_page(store)
    with pytest.raises(ValueError, match="page"):
        create_arrow(store, start=a["id"], end=(0, 0), parent=elsewhere["id"])


@pytest.mark.spec("TLH6")
def test_reparent_into_rotated_frame_keeps_page_position(store: Store) -> None:
    """Moving a shape into a rotated frame, into a nested rotated frame and back onto the page
    keeps its page position and rotation; it goes on top of its new siblings, children move
    with it."""
    outer = create_frame(store, x=100, y=50, w=600, h=400, rotation=0.7)
    inner = create_frame(store, x=40, y=30, rotation=-1.9, parent=outer["id"])
    shape = create_geo(store, x=230, y=-80, rotation=0.4)
    create_text(store, x=5, y=5, parent=shape["id"], text="child")
    create_geo(store, parent=outer["id"])  # a sibling to go above
    pose = _page_pose(store, shape["id"])
    for parent in (outer["id"], inner["id"], "page:page", inner["id"]):
        moved = reparent(store, shape["id"], parent)
        assert moved["parentId"] == parent
        _assert_same_pose(_page_pose(store, shape["id"]), pose)
        assert children(store, parent)[-1]["id"] == shape["id"]
    (child,) = children(store, shape["id"])
    assert child["parentId"] == shape["id"]
    with pytest.raises(ValueError, match="into itself"):
        reparent(store, outer["id"], inner["id"])
    with pytest.raises(ValueError, match="into itself"):
        reparent(store, shape["id"], shape["id"])


@pytest.mark.spec("TLH6")
def test_reparent_to_another_page_unbinds_arrows(store: Store) -> None:
    """A shape moved to another page loses the bindings that would cross pages; the arrow keeps
    its end where it pointed."""
    a, b = create_geo(store, x=0, y=0), create_geo(store, x=300, y=0)
    arrow = create_arrow(store, start=a["id"], end=b["id"])
    other = create_page(store)
    reparent(store, b["id"], other["id"])
    assert set(arrow_bindings(store, arrow["id"])) == {"start"}
    kept = store.get(arrow["id"])
    assert kept is not None
    assert kept["props"]["end"] == pytest.approx({"x": 300, "y": 0})


@pytest.mark.spec("TLH7")
def test_delete_removes_children_and_bindings(store: Store) -> None:
    """Deleting a frame deletes what is inside it (nested too) and every binding from or to a
    deleted shape; arrows that stay keep their ends; locked shapes stay unless forced; page
    states forget deleted shapes."""
    frame = create_frame(store, x=0, y=0)
    inner = create_geo(store, x=10, y=10, parent=frame["id"])
    label = create_text(store, parent=inner["id"], text="in")
    outside = create_geo(store, x=500, y=0)
    arrow = create_arrow(store, start=outside["id"], end=inner["id"])
    inner_arrow = create_arrow(store, start=inner["id"], end=(50, 50), parent=frame["id"])
    state = store.get("instance_page_state:page:page")
    assert state is not None
    store.put(
        [{**state, "selectedShapeIds": [inner["id"], outside["id"]], "hoveredShapeId": inner["id"]}]
    )
    deleted = delete(store, frame["id"])
    assert deleted[0] == frame["id"]
    assert set(deleted) == {frame["id"], inner["id"], label["id"], inner_arrow["id"]}
    assert not any(store.has(i) for i in deleted)
    assert store.query.exec("binding", {"toId": inner["id"]}) == []
    assert set(arrow_bindings(store, arrow["id"])) == {"start"}
    kept = store.get(arrow["id"])
    assert kept is not None
    # the arrow's end stays on the deleted shape's center (60, 60): relative to its start (550, 50)
    assert kept["props"]["end"] == pytest.approx({"x": -490, "y": 10})
    state = store.get("instance_page_state:page:page")
    assert state is not None
    assert (state["selectedShapeIds"], state["hoveredShapeId"]) == ([outside["id"]], None)
    locked = create_geo(store, is_locked=True)
    assert delete(store, [locked["id"], "shape:missing"]) == []
    assert delete(store, [locked["id"]], force=True) == [locked["id"]]
    assert store.query.exec("binding") == list(arrow_bindings(store, arrow["id"]).values())


@pytest.mark.spec("TLH8")
def test_indices_and_paint_order(store: Store) -> None:
    """Each new shape is above the previous top one; ``shapes_on_page`` lists a page's shapes
    depth first by index; new pages go after the last with tldraw's incremented names."""
    made = [create_geo(store, x=i) for i in range(20)]
    indices = [s["index"] for s in made]
    assert indices == sorted(indices)
    assert len(set(indices)) == len(indices)
    frame = create_frame(store)
    inside = [create_note(store, parent=frame["id"]) for _ in range(3)]
    last = create_geo(store)
    assert [s["id"] for s in shapes_on_page(store)] == [
        *(s["id"] for s in made),
        frame["id"],
        *(s["id"] for s in inside),
        last["id"],
    ]
    pages = [create_page(store), create_page(store), create_page(store, "Plan")]
    assert [p["name"] for p in pages] == ["Page 2", "Page 3", "Plan"]
    assert create_page(store, "Plan")["name"] == "Plan 1"
    all_pages = sorted(store.query.exec("page"), key=lambda p: str(p["index"]))
    assert [p["id"] for p in all_pages][1:4] == [p["id"] for p in pages]
    assert shapes_on_page(store, pages[0]["id"]) == []
    assert incremented_name("Page 9", ["Page 9", "Page 10"]) == "Page 11"
    assert incremented_name("x", ["x", "x 1"]) == "x 2"


@pytest.mark.spec("TLH9")
def test_concurrent_creation_gets_distinct_indices() -> None:
    """Two stores holding the same page each add shapes "on top" at once: every index is above
    the old top one and no two collide, so merged they have a total order."""
    base = Store(schema=SCHEMA)
    base.ensure_store_is_usable()
    top = create_geo(base)
    snapshot = base.get_snapshot()
    stores = []
    for _ in range(2):
        peer = Store(schema=SCHEMA)
        peer.load_snapshot(snapshot)
        stores.append(peer)
    created = [create_geo(peer)["index"] for _ in range(25) for peer in stores]
    assert all(index > top["index"] for index in created)
    assert len(set(created)) == len(created)
    for peer in (base, *stores):
        peer.dispose()


@pytest.mark.spec("TLH10")
def test_move_translate_resize_set_text(store: Store) -> None:
    """``move`` sets the position in the parent's space; ``translate`` moves along the page's
    axes even in a rotated frame; ``resize`` sets w/h (text: w only, no more autoSize; geo:
    growY back to 0) and refuses shapes without a size; ``set_text`` writes rich text;
    ``update_props`` merges props."""
    frame = create_frame(store, x=0, y=0, rotation=math.pi / 2)
    shape = create_geo(store, x=10, y=10, parent=frame["id"], props={"growY": 20})
    moved = move(store, shape["id"], 30, 40)
    assert (moved["x"], moved["y"], moved["parentId"]) == (30, 40, frame["id"])
    before = _page_pose(store, shape["id"])
    translate(store, shape["id"], 5, -7)
    after = _page_pose(store, shape["id"])
    assert (after[0] - before[0], after[1] - before[1]) == pytest.approx((5, -7))
    resized = resize(store, shape["id"], 300, 120)
    assert {k: resized["props"][k] for k in ("w", "h", "growY")} == {"w": 300, "h": 120, "growY": 0}
    assert resize(store, shape["id"], 50)["props"]["h"] == 120
    text = create_text(store, text="grow")
    text_props = resize(store, text["id"], 200)["props"]
    assert (text_props["w"], text_props["autoSize"]) == (200, False)
    with pytest.raises(ValueError, match="width only"):
        resize(store, text["id"], 200, 10)
    with pytest.raises(ValueError, match="no w/h"):
        resize(store, create_note(store)["id"], 10, 10)
    assert set_text(store, shape["id"], "a\n\nb")["props"]["richText"] == to_rich_text("a\n\nb")
    doc = {"type": "doc", "content": [{"type": "paragraph"}]}
    assert set_text(store, text["id"], doc)["props"]["richText"] == doc
    with pytest.raises(ValueError, match="no text"):
        set_text(store, frame["id"], "x")
    assert update_props(store, frame["id"], {"name": "F"})["props"]["w"] == 320
    with pytest.raises(LookupError):
        move(store, "shape:missing", 0, 0)


@pytest.mark.spec("TLH11")
def test_presence_record(store: Store, node_peer: NodePeer) -> None:
    """A presence record names the user (``user:`` added), shows a default cursor at the given
    page point on the current page, is active now by default, keeps a stable id per user, and
    validates in tldraw."""
    page = create_page(store)
    presence = presence_record(
        store,
        user_id="bot-1",
        name="Bot",
        color="#123456",
        cursor=(12, 34),
        page_id=page["id"],
        selected_shape_ids=[create_geo(store)["id"]],
        chat_message="hello",
        timestamp=1_700_000_000_000,
    )
    assert presence["id"] == "instance_presence:bot-1"
    assert (presence["userId"], presence["userName"], presence["color"]) == (
        "user:bot-1",
        "Bot",
        "#123456",
    )
    assert presence["cursor"] == {"x": 12, "y": 34, "type": "default", "rotation": 0}
    assert presence["currentPageId"] == page["id"]
    assert presence["lastActivityTimestamp"] == 1_700_000_000_000
    by_schema = presence_record(SCHEMA, user_id="user:bot-1", name="Bot", cursor=None)
    assert (by_schema["id"], by_schema["cursor"], by_schema["currentPageId"]) == (
        presence["id"],
        None,
        "page:page",
    )
    assert abs(by_schema["lastActivityTimestamp"] - time.time() * 1000) < 60_000
    assert node_validate(node_peer, [(presence, None), (by_schema, None)]) == [
        ("ok", presence),
        ("ok", by_schema),
    ]


def _b64(node_peer: NodePeer, calls: list[list[Any]]) -> list[Any]:
    answers = node_peer.call("tldrawB64Vecs", calls=calls)
    return [a["ok"] for a in answers]


@pytest.mark.spec("TLH12")
def test_strokes_and_lines_encode_points_as_tldraw(store: Store, node_peer: NodePeer) -> None:
    """A mouse stroke is one free 2D segment (``dim`` 2) starting at (0, 0) at the shape's
    origin; a pen stroke is 3D with its pressures; node's b64Vecs decodes them to the same
    points as ours. A line's points are keyed a1 and up, relative to its first point."""
    mouse = create_draw(store, points=[(10, 20), (14, 23), (30, 20)])
    pen = create_highlight(store, points=[(0, 0, 0.25), (2, 2)])
    assert (mouse["x"], mouse["y"], mouse["props"]["isPen"], mouse["props"]["isComplete"]) == (
        10,
        20,
        False,
        True,
    )
    (segment,) = mouse["props"]["segments"]
    assert (segment["type"], segment["dim"]) == ("free", 2)
    (pen_segment,) = pen["props"]["segments"]
    assert "dim" not in pen_segment
    assert pen["props"]["isPen"] is True
    ours = [
        B64Vecs.decode_points(segment["path"], 2),
        B64Vecs.decode_points(pen_segment["path"]),
    ]
    assert ours == _b64(
        node_peer, [["decodePoints", segment["path"], 2], ["decodePoints", pen_segment["path"]]]
    )
    assert [(p["x"], p["y"]) for p in ours[0]] == [(0, 0), (4, 3), (20, 0)]
    assert [p["z"] for p in ours[1]] == [0.25, 0.5]
    line = create_line(store, points=[(5, 5), (6, 9), (1, 1)])
    points = sorted(line["props"]["points"].values(), key=lambda p: str(p["index"]))
    assert points[0]["index"] == "a1"
    assert all(p["id"] == p["index"] for p in points)
    assert [(p["x"], p["y"]) for p in points] == [(0, 0), (1, 4), (-4, -4)]
    with pytest.raises(ValueError, match="at least 2"):
        create_line(store, points=[(0, 0)])
