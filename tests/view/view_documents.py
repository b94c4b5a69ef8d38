"""Documents for the view tests: tldraw 5.4.2 records with every shape kind.

The records are built the way tldraw stores them (default props of each shape util, TipTap rich
text, base64 draw paths), without the schema, so the renderer is tested on what rooms hold.
"""

from __future__ import annotations

import itertools
import math
import random
import struct
from base64 import b64encode
from typing import Any, Final

from tlsync_core.store.index_keys import get_indices_between
from tlsync_core.tldraw.generated import STYLES
from tlsync_core.tldraw.helpers import default_props

Record = dict[str, Any]

PAGE_ID = "page:page"
GEO_KINDS = list(STYLES["tldraw:geo"]["values"])
COLORS = list(STYLES["tldraw:color"]["values"])
FILLS = list(STYLES["tldraw:fill"]["values"])
DASHES = [dash for dash in STYLES["tldraw:dash"]["values"] if dash != "none"]  # the drawn ones
SIZES = list(STYLES["tldraw:size"]["values"])
FONTS = list(STYLES["tldraw:font"]["values"])
ARROWHEADS = list(STYLES["tldraw:arrowheadStart"]["values"])


def rich(text: str) -> dict[str, Any]:
    """``toRichText(text)``: one paragraph per line."""
    return {
        "type": "doc",
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": line}]}
            if line
            else {"type": "paragraph"}
            for line in text.split("\n")
        ],
    }


def page(page_id: str = PAGE_ID, name: str = "Page 1", index: str = "a1") -> Record:
    return {"id": page_id, "typeName": "page", "name": name, "index": index, "meta": {}}


def shape(
    shape_id: str,
    kind: str,
    props: dict[str, Any],
    *,
    x: float = 0,
    y: float = 0,
    rotation: float = 0,
    parent: str = PAGE_ID,
    index: str = "a1",
    opacity: float = 1,
) -> Record:
    return {
        "id": shape_id,
        "typeName": "shape",
        "type": kind,
        "x": x,
        "y": y,
        "rotation": rotation,
        "index": index,
        "parentId": parent,
        "isLocked": False,
        "opacity": opacity,
        "props": props,
        "meta": {},
    }


def geo_props(**overrides: Any) -> dict[str, Any]:
    """tldraw's default geo props with ``overrides``."""
    return {**default_props("geo"), **overrides}


def geo(shape_id: str, *, x: float = 0, y: float = 0, index: str = "a1", **props: Any) -> Record:
    return shape(shape_id, "geo", geo_props(**props), x=x, y=y, index=index)


def text_props(text: str, **overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "color": "black",
        "size": "m",
        "font": "draw",
        "textAlign": "start",
        "w": 8,
        "richText": rich(text),
        "scale": 1,
        "autoSize": True,
    }
    props.update(overrides)
    return props


def note_props(text: str, **overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "color": "yellow",
        "labelColor": "black",
        "size": "m",
        "font": "draw",
        "fontSizeAdjustment": None,
        "align": "middle",
        "verticalAlign": "middle",
        "growY": 0,
        "url": "",
        "richText": rich(text),
        "scale": 1,
        "textLastEditedBy": None,
    }
    props.update(overrides)
    return props


def frame_props(name: str, w: float = 400, h: float = 300, color: str = "black") -> dict[str, Any]:
    return {"w": w, "h": h, "name": name, "color": color}


def line_props(points: list[tuple[float, float]], **overrides: Any) -> dict[str, Any]:
    keyed = {
        f"p{i}": {"id": f"p{i}", "index": f"a{i + 1}", "x": x, "y": y}
        for i, (x, y) in enumerate(points)
    }
    props: dict[str, Any] = {
        "color": "black",
        "dash": "draw",
        "size": "m",
        "spline": "line",
        "points": keyed,
        "scale": 1,
    }
    props.update(overrides)
    return props


def _f16(value: float) -> bytes:
    return struct.pack("<e", value)


def encode_points(points: list[tuple[float, float]], dim: int = 3) -> str:
    """tldraw's ``b64Vecs.encodePoints``: a float32 first point, then float16 deltas (the
    deltas are taken from the exact previous point, as tldraw does)."""
    if not points:
        return ""
    first = points[0]
    data = struct.pack("<ff", first[0], first[1])
    if dim == 3:
        data += struct.pack("<f", 0.5)
    for previous, point in itertools.pairwise(points):
        data += _f16(point[0] - previous[0]) + _f16(point[1] - previous[1])
        if dim == 3:
            data += _f16(0.0)
    return b64encode(data).decode()


def draw_props(
    points: list[tuple[float, float]], *, dim: int = 3, kind: str = "free", **overrides: Any
) -> dict[str, Any]:
    props: dict[str, Any] = {
        "color": "black",
        "fill": "none",
        "dash": "draw",
        "size": "m",
        "segments": [
            {"type": kind, "path": encode_points(points, dim), **({"dim": 2} if dim == 2 else {})}
        ],
        "isComplete": True,
        "isClosed": False,
        "isPen": False,
        "scale": 1,
        "scaleX": 1,
        "scaleY": 1,
    }
    props.update(overrides)
    return props


def highlight_props(points: list[tuple[float, float]], **overrides: Any) -> dict[str, Any]:
    props = draw_props(points, **{"color": "yellow", **overrides})
    for key in ("fill", "dash", "isClosed"):
        del props[key]
    return props


def arrow_props(
    start: tuple[float, float], end: tuple[float, float], **overrides: Any
) -> dict[str, Any]:
    props: dict[str, Any] = {
        "kind": "arc",
        "labelColor": "black",
        "color": "black",
        "fill": "none",
        "dash": "draw",
        "size": "m",
        "arrowheadStart": "none",
        "arrowheadEnd": "arrow",
        "font": "draw",
        "start": {"x": start[0], "y": start[1]},
        "end": {"x": end[0], "y": end[1]},
        "bend": 0,
        "richText": rich(""),
        "labelPosition": 0.5,
        "scale": 1,
        "elbowMidPoint": 0.5,
    }
    props.update(overrides)
    return props


def binding(
    binding_id: str,
    arrow_id: str,
    target_id: str,
    terminal: str,
    anchor: tuple[float, float] = (0.5, 0.5),
    *,
    precise: bool = False,
    exact: bool = False,
) -> Record:
    return {
        "id": binding_id,
        "typeName": "binding",
        "type": "arrow",
        "fromId": arrow_id,
        "toId": target_id,
        "props": {
            "terminal": terminal,
            "normalizedAnchor": {"x": anchor[0], "y": anchor[1]},
            "isExact": exact,
            "isPrecise": precise,
            "snap": "none",
        },
        "meta": {},
    }


def presence(
    presence_id: str,
    name: str,
    cursor: tuple[float, float] | None,
    color: str = "#e03131",
    page_id: str = PAGE_ID,
) -> Record:
    return {
        "id": presence_id,
        "typeName": "instance_presence",
        "userId": f"user:{name}",
        "userName": name,
        "lastActivityTimestamp": None,
        "color": color,
        "camera": None,
        "selectedShapeIds": [],
        "currentPageId": page_id,
        "brush": None,
        "scribbles": [],
        "screenBounds": None,
        "followingUserId": None,
        "cursor": None
        if cursor is None
        else {"x": cursor[0], "y": cursor[1], "type": "default", "rotation": 0},
        "chatMessage": "",
        "meta": {},
    }


def image_asset(asset_id: str, name: str) -> Record:
    return {
        "id": asset_id,
        "typeName": "asset",
        "type": "image",
        "props": {
            "name": name,
            "src": None,
            "w": 320,
            "h": 200,
            "mimeType": "image/png",
            "isAnimated": False,
        },
        "meta": {},
    }


def by_id(records: list[Record]) -> dict[str, Record]:
    return {record["id"]: record for record in records}


def every_shape_document() -> dict[str, Record]:
    """One of everything: every geo kind, text, note, frame (with a child), lines, draw and
    highlight strokes, arrows (bound, bent, elbow, labelled), media placeholders, a group and a
    cursor."""
    records: list[Record] = [
        page(),
        {"id": "document:document", "typeName": "document", "gridSize": 10, "name": "", "meta": {}},
    ]
    for i, kind in enumerate(GEO_KINDS):
        records.append(
            geo(
                f"shape:geo-{kind}",
                x=(i % 5) * 160,
                y=(i // 5) * 140,
                index=f"a{i + 10}",
                geo=kind,
                w=120,
                h=100,
                color=COLORS[i % len(COLORS)],
                fill=FILLS[i % len(FILLS)],
                dash=DASHES[i % len(DASHES)],
                richText=rich(kind if i % 3 == 0 else ""),
            )
        )
    records += [
        shape(
            "shape:text",
            "text",
            text_props("Hello\nworld", color="blue", size="l"),
            x=820,
            y=0,
            index="b1",
        ),
        shape("shape:note", "note", note_props("a sticky note"), x=820, y=120, index="b2"),
        shape(
            "shape:frame", "frame", frame_props("Frame A", 300, 200, "blue"), x=0, y=600, index="b3"
        ),
        geo(
            "shape:in-frame",
            x=20,
            y=30,
            index="a1",
            geo="ellipse",
            w=80,
            h=60,
            fill="solid",
            color="red",
        )
        | {"parentId": "shape:frame"},
        shape(
            "shape:line", "line", line_props([(0, 0), (80, 40), (160, 0)]), x=350, y=600, index="b4"
        ),
        shape(
            "shape:spline",
            "line",
            line_props(
                [(0, 0), (80, 60), (160, 0), (240, 60)],
                spline="cubic",
                color="violet",
                dash="dashed",
            ),
            x=350,
            y=700,
            index="b5",
        ),
        shape(
            "shape:draw",
            "draw",
            draw_props([(0, 0), (10, 20), (30, 25), (60, 10)], color="green"),
            x=650,
            y=600,
            index="b6",
        ),
        shape(
            "shape:highlight",
            "highlight",
            highlight_props([(0, 0), (40, 5), (90, 0)]),
            x=650,
            y=700,
            index="b7",
        ),
        shape(
            "shape:arrow",
            "arrow",
            arrow_props(
                (0, 0), (100, 0), color="red", richText=rich("bound"), arrowheadStart="dot"
            ),
            x=0,
            y=0,
            index="b8",
        ),
        shape(
            "shape:bent",
            "arrow",
            arrow_props((0, 0), (200, 0), bend=40, arrowheadEnd="triangle"),
            x=0,
            y=900,
            index="b9",
        ),
        shape(
            "shape:elbow",
            "arrow",
            arrow_props((0, 0), (150, 100), kind="elbow", arrowheadEnd="diamond"),
            x=300,
            y=900,
            index="bA",
        ),
        shape(
            "shape:image",
            "image",
            {
                "w": 160,
                "h": 100,
                "playing": True,
                "url": "",
                "assetId": "asset:img",
                "crop": None,
                "flipX": False,
                "flipY": False,
                "altText": "",
            },
            x=1000,
            y=0,
            index="bB",
        ),
        shape(
            "shape:video",
            "video",
            {
                "w": 160,
                "h": 100,
                "time": 0,
                "playing": False,
                "autoplay": False,
                "url": "",
                "assetId": None,
                "altText": "clip",
            },
            x=1000,
            y=120,
            index="bC",
        ),
        shape(
            "shape:bookmark",
            "bookmark",
            {"w": 300, "h": 120, "assetId": None, "url": "https://tldraw.dev"},
            x=1000,
            y=240,
            index="bD",
        ),
        shape(
            "shape:embed",
            "embed",
            {"w": 300, "h": 160, "url": "https://example.com/e"},
            x=1000,
            y=380,
            index="bE",
        ),
        shape("shape:group", "group", {}, x=600, y=900, index="bF"),
        geo("shape:g1", x=0, y=0, index="a1", geo="star", w=60, h=60) | {"parentId": "shape:group"},
        geo("shape:g2", x=80, y=10, index="a2", geo="diamond", w=50, h=50, color="orange")
        | {"parentId": "shape:group"},
        image_asset("asset:img", "kitten.png"),
        binding("binding:a", "shape:arrow", "shape:geo-rectangle", "start"),
        binding("binding:b", "shape:arrow", "shape:geo-ellipse", "end", (0.5, 0.5)),
        presence("instance_presence:alice", "Alice", (500, 300)),
        presence("instance_presence:elsewhere", "Bob", (10, 10), page_id="page:other"),
    ]
    return by_id(records)


def random_document(seed: int) -> dict[str, Record]:
    """A random page with every shape kind, random styles, transforms, nesting and bindings."""
    rng = random.Random(seed)
    records: list[Record] = [page(), page("page:two", "Page 2", "a2")]
    ids: list[str] = []
    index = 0

    def next_index() -> str:
        nonlocal index
        index += 1
        return f"a{index:03d}"

    def place() -> dict[str, Any]:
        return {
            "x": rng.randint(-400, 800) + rng.choice([0, 0.5, 0.25]),
            "y": rng.randint(-300, 600),
            "index": next_index(),
        }

    for kind in GEO_KINDS:
        shape_id = f"shape:{kind}-{seed}"
        ids.append(shape_id)
        record = geo(
            shape_id,
            geo=kind,
            w=rng.randint(20, 300),
            h=rng.randint(20, 300),
            growY=rng.choice([0, 0, 24]),
            color=rng.choice(COLORS),
            labelColor=rng.choice(COLORS),
            fill=rng.choice(FILLS),
            dash=rng.choice(DASHES),
            size=rng.choice(SIZES),
            font=rng.choice(FONTS),
            align=rng.choice(["start", "middle", "end", "start-legacy", "middle-legacy"]),
            verticalAlign=rng.choice(["start", "middle", "end"]),
            flipX=rng.random() < 0.2,
            flipY=rng.random() < 0.2,
            scale=rng.choice([1, 1, 0.5, 2]),
            richText=rich(rng.choice(["", "label", "two words\nand a much longer line of text"])),
            **place(),
        )
        record["rotation"] = rng.choice([0, 0, 0, math.pi / 6, 1.0, -0.5])
        record["opacity"] = rng.choice([1, 1, 0.5])
        records.append(record)
    frame_id = f"shape:frame-{seed}"
    name = rng.choice(["", "Sprint & <plan>"])
    size = (rng.randint(200, 500), rng.randint(150, 400))
    props = frame_props(name, size[0], size[1], rng.choice(COLORS))
    records.append(shape(frame_id, "frame", props, **place()))
    group_id = f"shape:group-{seed}"
    records.append(shape(group_id, "group", {}, rotation=rng.choice([0, 0.3]), **place()))
    for i in range(3):
        parent = frame_id if i < 2 else group_id
        child = geo(
            f"shape:child{i}-{seed}",
            geo=rng.choice(GEO_KINDS),
            w=rng.randint(20, 120),
            h=rng.randint(20, 120),
            x=rng.randint(-20, 150),
            y=rng.randint(-20, 100),
            index=f"a{i + 1}",
            fill=rng.choice(FILLS),
        )
        child["parentId"] = parent
        records.append(child)
        ids.append(child["id"])
    records.append(
        shape(
            f"shape:text-{seed}",
            "text",
            text_props(
                rng.choice(["short", "a longer text that wraps in a narrow box", "x\n\ny"]),
                color=rng.choice(COLORS),
                size=rng.choice(SIZES),
                font=rng.choice(FONTS),
                textAlign=rng.choice(["start", "middle", "end"]),
                autoSize=rng.random() < 0.5,
                w=rng.randint(40, 300),
            ),
            **place(),
        )
    )
    records.append(
        shape(
            f"shape:note-{seed}",
            "note",
            note_props(
                rng.choice(["", "note", "a note with some longer text in it"]),
                color=rng.choice(COLORS),
                labelColor=rng.choice(["black", "red"]),
                growY=rng.choice([0, 40]),
                align=rng.choice(["start", "middle", "end"]),
                fontSizeAdjustment=rng.choice([None, 1, 0.75]),
            ),
            **place(),
        )
    )
    points = [(rng.randint(-50, 200) + 0.5, rng.randint(-50, 200) + 0.25) for _ in range(5)]
    records.append(
        shape(
            f"shape:line-{seed}",
            "line",
            line_props(
                points,
                spline=rng.choice(["line", "cubic"]),
                dash=rng.choice(DASHES),
                size=rng.choice(SIZES),
                color=rng.choice(COLORS),
            ),
            **place(),
        )
    )
    stroke: list[tuple[float, float]] = [(0.0, 0.0)]
    for _ in range(rng.randint(1, 12)):
        last = stroke[-1]
        stroke.append((last[0] + rng.uniform(-20, 20), last[1] + rng.uniform(-20, 20)))
    records.append(
        shape(
            f"shape:draw-{seed}",
            "draw",
            draw_props(
                stroke,
                dim=rng.choice([2, 3]),
                kind=rng.choice(["free", "straight"]),
                isClosed=rng.random() < 0.3,
                fill=rng.choice(FILLS),
                color=rng.choice(COLORS),
                dash=rng.choice(DASHES),
                size=rng.choice(SIZES),
                scaleX=rng.choice([1, 1.5]),
            ),
            **place(),
        )
    )
    records.append(
        shape(
            f"shape:highlight-{seed}",
            "highlight",
            highlight_props(stroke, color=rng.choice(COLORS), size=rng.choice(SIZES)),
            **place(),
        )
    )
    for i in range(4):
        arrow_id = f"shape:arrow{i}-{seed}"
        records.append(
            shape(
                arrow_id,
                "arrow",
                arrow_props(
                    (rng.randint(-100, 100), rng.randint(-100, 100)),
                    (rng.randint(100, 300), rng.randint(-100, 200)),
                    kind=rng.choice(["arc", "arc", "elbow"]),
                    bend=rng.choice([0, 0, 30, -60]),
                    arrowheadStart=rng.choice(ARROWHEADS),
                    arrowheadEnd=rng.choice(ARROWHEADS),
                    color=rng.choice(COLORS),
                    labelColor=rng.choice(COLORS),
                    dash=rng.choice(DASHES),
                    size=rng.choice(SIZES),
                    richText=rich(rng.choice(["", "label"])),
                    labelPosition=rng.choice([0.5, 0.25]),
                    elbowMidPoint=rng.choice([0.5, 0.3]),
                ),
                rotation=rng.choice([0, 0, 0.4]),
                **place(),
            )
        )
        for terminal in ("start", "end"):
            if rng.random() < 0.7:
                records.append(
                    binding(
                        f"binding:{i}-{terminal}-{seed}",
                        arrow_id,
                        rng.choice(ids),
                        terminal,
                        (rng.choice([0.5, 0.2, 0.9]), rng.choice([0.5, 0.1, 0.7])),
                        precise=rng.random() < 0.5,
                        exact=rng.random() < 0.2,
                    )
                )
    records.append(image_asset(f"asset:{seed}", "photo.png"))
    records += [
        shape(
            f"shape:image-{seed}",
            "image",
            {
                "w": 200,
                "h": 120,
                "assetId": f"asset:{seed}",
                "altText": "",
                "url": "",
                "crop": None,
                "flipX": False,
                "flipY": False,
                "playing": True,
            },
            **place(),
        ),
        shape(
            f"shape:video-{seed}",
            "video",
            {
                "w": 200,
                "h": 120,
                "assetId": None,
                "altText": "movie",
                "url": "",
                "time": 0,
                "playing": False,
                "autoplay": False,
            },
            **place(),
        ),
        shape(
            f"shape:bookmark-{seed}",
            "bookmark",
            {
                "w": 300,
                "h": 100,
                "assetId": None,
                "url": "https://example.com/a/very/long/path/that/is/truncated",
            },
            **place(),
        ),
        shape(
            f"shape:embed-{seed}",
            "embed",
            {"w": 320, "h": 180, "url": "https://example.com/embed"},
            **place(),
        ),
        shape(f"shape:custom-{seed}", "my-widget", {"w": 90, "h": 60}, **place()),
        shape(f"shape:other-page-{seed}", "geo", geo_props(), parent="page:two"),
        presence(
            f"instance_presence:a{seed}",
            "Ada <dev>",
            (rng.randint(0, 500), 40),
            rng.choice(["#4465e9", "#e03131", "red"]),
        ),
        presence(f"instance_presence:b{seed}", "", (100, 100)),
        presence(f"instance_presence:c{seed}", "Away", None),
    ]
    rng.shuffle(records)
    return by_id(records)


TLDRAW_SHAPES: Final = frozenset(
    {"geo", "text", "note", "frame", "group", "line", "draw", "highlight", "arrow"}
    | {"image", "video", "bookmark", "embed"}
)


def tldraw_document(seed: int) -> dict[str, Record]:
    """:func:`random_document` as tldraw's store accepts it: its pages, the shapes of tldraw's
    kinds with valid fractional indices (siblings in the same order) and the bindings between
    them; no presence, assets or custom shapes."""
    document = random_document(seed)
    pages = [r for r in document.values() if r["typeName"] == "page"]
    shapes = [
        r for r in document.values() if r["typeName"] == "shape" and r["type"] in TLDRAW_SHAPES
    ]
    siblings: dict[str, list[Record]] = {}
    for record in shapes:
        siblings.setdefault(record["parentId"], []).append(record)
    for group in siblings.values():
        group.sort(key=lambda r: (r["index"], r["id"]))
        for record, index in zip(
            group, get_indices_between(None, None, len(group), jitter=False), strict=True
        ):
            record["index"] = index
    ids = {r["id"] for r in shapes}
    bindings = [
        r
        for r in document.values()
        if r["typeName"] == "binding" and r["fromId"] in ids and r["toId"] in ids
    ]
    return by_id([*pages, *shapes, *bindings])


def odd_bindings_document() -> dict[str, Record]:
    """Arrows bound to a shape with odd props, to a shape whose parents lead back to it, to a
    shape that is not there; an arrow with an end too far for any board."""
    loop = geo("shape:loop", x=300, y=0) | {"parentId": "shape:loop2"}
    loop2 = geo("shape:loop2") | {"parentId": "shape:loop"}
    return by_id(
        [
            page(),
            shape("shape:odd", "geo", {"w": -4, "geo": 7}, x=-200),
            loop,
            loop2,
            shape("shape:a", "arrow", arrow_props((0, 0), (10, 10))),
            binding("binding:s", "shape:a", "shape:odd", "start"),
            binding("binding:e", "shape:a", "shape:loop", "end"),
            shape("shape:b", "arrow", arrow_props((0, 0), (10, 10))),
            binding("binding:m", "shape:b", "shape:missing", "end"),
            shape("shape:c", "arrow", arrow_props((0, 0), (1e300, 5), bend=40, richText=rich("a"))),
            binding("binding:h", "shape:c", "shape:odd", "start"),
        ]
    )
