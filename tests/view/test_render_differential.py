"""The live view (``tlsync_core/views/static/liveview.js``) against render.py and tldraw.

The browser renders rooms with a JavaScript port of ``render.py``; these tests run it under node
(``tests/view/render_node.mjs``) and require the same SVG byte for byte on documents with every
shape kind. Its diff application is checked against ``@tldraw/sync-core`` 5.4.2's
``applyObjectDiff`` and against our own ``apply_object_diff``, and its draw-path decoding against
``@tldraw/tlschema``'s ``b64Vecs``.

Without node the tests skip, except under CI (``CI`` set), where that is an error.
"""

from __future__ import annotations

import copy
import json
import math
import os
import random
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from view_documents import (
    FONTS,
    by_id,
    encode_points,
    every_shape_document,
    geo,
    line_props,
    note_props,
    odd_bindings_document,
    page,
    random_document,
    rich,
    shape,
)

from tlsync_core.protocol.diff import apply_object_diff, diff_record
from tlsync_core.views.files import constants_json, liveview_module
from tlsync_core.views.render import decode_points, render_svg

SCRIPT = Path(__file__).resolve().parent / "render_node.mjs"
ROOT = Path(__file__).resolve().parents[2]


def ensure_node_modules() -> None:
    """Install tests/node's @tldraw packages when missing or stale (``scripts/npm-ensure``)."""
    result = subprocess.run(
        [str(ROOT / "scripts" / "npm-ensure"), str(ROOT / "tests" / "node")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"npm ci in tests/node failed:\n{result.stderr[-4000:]}"


def run_node(request: dict[str, Any]) -> dict[str, Any]:
    """Run ``render_node.mjs`` on one request (see its header) and return its answer."""
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        if os.environ.get("CI"):
            pytest.fail("node and npm are needed for the live view's differential tests")
        pytest.skip("node and npm are not installed: live view differential tests skipped")
    ensure_node_modules()
    with tempfile.TemporaryDirectory() as directory:
        module = Path(directory) / "liveview.mjs"
        module.write_text(liveview_module(), encoding="utf-8")
        result = subprocess.run(
            [node, str(SCRIPT), str(module)],
            input=json.dumps(request, allow_nan=False),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stderr[-4000:]
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def first_difference(a: str, b: str) -> str:
    at = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    start = max(0, at - 120)
    return f"at {at}:\n  python: {a[start : at + 80]}\n  js:     {b[start : at + 80]}"


def odd_documents() -> list[dict[str, Any]]:
    """Documents with edge cases: no pages, odd props, cycles, unicode, empty content."""
    cyclic = geo("shape:loop", x=5) | {"parentId": "shape:loop"}
    unicode = geo("shape:u", w=90, richText=rich("héllo wörld 🎨 emoji and ✓ marks\n\nend"))
    degenerate = [
        shape("shape:dot", "line", {"points": {"a": {"id": "a", "index": "a1", "x": 3, "y": 4}}}),
        shape("shape:nothing", "draw", {"segments": []}),
        shape("shape:zero", "arrow", {"start": {"x": 1, "y": 1}, "end": {"x": 1, "y": 1}}),
        shape("shape:bare", "geo", {}),
        shape("shape:odd", "text", {"richText": {"type": "doc", "content": "nope"}, "w": -5}),
    ]
    return [
        {},
        by_id([geo("shape:orphan") | {"parentId": "page:none"}]),
        by_id([page(), cyclic, unicode, *degenerate]),
        by_id([page(), geo("shape:tiny", w=0.001, h=0.001, geo="cloud")]),
        by_id(  # (flat polygons: no area to stretch them into)
            [page()] + [geo(f"shape:{k}{w}", w=w, h=50 - w, geo=k) for k in FLAT for w in (0, 50)]
        ),
        by_id([page(), *clouds_and_texts()]),
        odd_bindings_document(),
    ]


def clouds_and_texts() -> list[dict[str, Any]]:
    """Shapes for the ports of the tldraw helpers: clouds seeded by ids beyond ASCII (one
    outside the BMP), of every size, scale and proportion; curves tall and wide; a spline;
    labels in every font that break after hyphens (before letters of any script), at runs of
    spaces and inside words longer than the shape."""
    ids = ["shape:c", "shape:ćłöüd", "shape:☁🎈", "shape:" + "x" * 40]
    text = "well-known über-ängstlich  spaced   out — words-123 Supercalifragilistic 𝒜𝒷𝒸-𝒹"
    sizes = [(300, 120, "s", 1), (80, 260, "xl", 0.5), (19, 21, "l", 2)]
    shapes = [
        geo(f"{sid}-{n}", geo="cloud", w=w, h=h, size=size, scale=scale, x=i * 300, y=n * 300)
        for i, sid in enumerate(ids)
        for n, (w, h, size, scale) in enumerate(sizes)
    ]
    shapes += [
        geo(f"shape:{kind}-{w}", geo=kind, w=w, h=200 - w, y=1000)
        for kind in ("ellipse", "oval", "heart")
        for w in (30, 170)
    ]
    shapes += [
        geo(f"shape:label-{font}", w=130, h=200, font=font, richText=rich(text), y=1300)
        for font in [*FONTS, "unknown"]
    ]
    points: list[tuple[float, float]] = [(0, 0), (40, 90), (120, -30), (200, 60), (210, 0)]
    shapes.append(shape("shape:spline", "line", line_props(points, spline="cubic"), y=1600))
    return shapes


FLAT = ("pentagon", "hexagon", "octagon", "star", "triangle")


@pytest.mark.spec("VIEW9")
def test_javascript_renders_the_same_svg_as_python() -> None:
    """liveview.js's ``renderSvg`` gives exactly render.py's SVG for a document with every
    shape kind, 150 random documents (all geo kinds, styles, rotations, frames, groups,
    bindings, presence) and edge cases, and for a chosen page."""
    documents = [every_shape_document(), *odd_documents()]
    documents += [random_document(seed) for seed in range(150)]
    requests: list[dict[str, Any]] = [{"records": doc} for doc in documents]
    requests.append({"records": random_document(3), "pageId": "page:two"})
    answer = run_node({"render": requests})
    assert len(answer["render"]) == len(requests)
    for request, js in zip(requests, answer["render"], strict=True):
        python = render_svg(request["records"], request.get("pageId"))
        assert python == js, first_difference(python, js)


@pytest.mark.spec("VIEW16")
@pytest.mark.parametrize(
    ("size", "adjustment", "scale", "font_size"),
    [
        ("m", None, 1, "22"),
        ("m", 1, 1, "22"),
        ("m", 0.5, 1, "11"),
        ("xl", 0.75, 1, "24"),
        ("s", 0.5, 2, "18"),
        ("l", 0, 1, "26"),
    ],
)
def test_note_labels_are_sized_as_tldraw_sizes_them(
    size: str, adjustment: float | None, scale: float, font_size: str
) -> None:
    """A note's label is drawn at the label font size of its ``size`` times its
    ``fontSizeAdjustment`` (a ratio; null, or anything not positive, counts as 1) times its
    ``scale``, in Python and in liveview.js alike."""
    note = shape(
        "shape:n",
        "note",
        note_props("sticky", size=size, fontSizeAdjustment=adjustment, scale=scale),
    )
    svg = render_svg(by_id([page(), note]))
    label = ET.fromstring(svg).find(".//{http://www.w3.org/2000/svg}text[@class='tl-label']")
    assert label is not None
    assert label.attrib["font-size"] == font_size
    assert run_node({"render": [{"records": by_id([page(), note])}]})["render"] == [svg]


def mutate(rng: random.Random, record: dict[str, Any]) -> dict[str, Any]:
    """A changed copy of a record: moved, restyled, text appended or replaced, points added."""
    changed = copy.deepcopy(record)
    props = changed.get("props", {})
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(6)
        if choice == 0:
            changed["x"] = changed.get("x", 0) + rng.randint(-50, 50)
        elif choice == 1 and "color" in props:
            props["color"] = rng.choice(["red", "blue", "green"])
        elif choice == 2 and "richText" in props:
            props["richText"] = rich(rng.choice(["new", "longer text", ""]))
        elif choice == 3 and isinstance(props.get("segments"), list):
            props["segments"] = [*props["segments"], {"type": "straight", "path": "AAAAAAAAAAA="}]
        elif choice == 4:
            changed["meta"] = {"note": rng.choice(["a", "ab", "abc"]), "n": rng.randint(0, 3)}
        elif choice == 5 and "name" in props:
            props["name"] = str(props["name"]) + " and more"
    return changed


@pytest.mark.spec("VIEW9")
def test_javascript_applies_diffs_as_tldraw_does() -> None:
    """liveview.js's ``applyObjectDiff`` gives @tldraw/sync-core's result and ours for the diffs
    ``diff_record`` makes between random records and their edits (puts, patches, string and
    array appends), and for hand-made corner cases (stale appends, patches of missing keys,
    deletes)."""
    rng = random.Random(9)
    cases: list[dict[str, Any]] = []
    expected: list[Any] = []
    records = [r for r in random_document(1).values() if r["typeName"] == "shape"]
    for record in records * 3:
        changed = mutate(rng, record)
        diff = diff_record(record, changed)
        if diff is None:
            continue
        cases.append({"object": record, "diff": diff})
        expected.append(changed)
    corner: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"a": "hello"}, {"a": ["append", " world", 5]}),
        ({"a": "hello"}, {"a": ["append", " world", 4]}),
        ({"a": [1, 2]}, {"a": ["append", [3], 2]}),
        ({"a": [1, 2]}, {"a": ["append", [3], 1]}),
        ({"a": 1}, {"b": ["patch", {"c": ["put", 1]}]}),
        ({"a": {"b": 1}}, {"a": ["patch", {"b": ["delete"]}]}),
        ({"a": [1, {"b": 2}]}, {"a": ["patch", {"1": ["patch", {"b": ["put", 3]}]}]}),
        ({"a": 1, "b": 2}, {"a": ["delete"], "c": ["put", None]}),
        ({"a": {"x": 1}}, {"a": ["put", {"x": 1}]}),
    ]
    for obj, diff in corner:
        cases.append({"object": obj, "diff": diff})
        expected.append(apply_object_diff(copy.deepcopy(obj), diff))
    answer = run_node({"applyObjectDiff": cases})
    for case, want, got in zip(cases, expected, answer["applyObjectDiff"], strict=True):
        assert got["live"] == got["tldraw"], case
        assert got["live"] == want, case
        assert apply_object_diff(copy.deepcopy(case["object"]), case["diff"]) == want


@pytest.mark.spec("VIEW9")
def test_javascript_applies_network_diffs_to_its_records() -> None:
    """``applyDiff`` puts, patches and removes records by id (a patch of a missing record and a
    remove of a missing one are skipped) and says whether anything changed."""
    records = {"shape:a": {"id": "shape:a", "x": 1}, "shape:b": {"id": "shape:b", "x": 2}}
    diff = {
        "shape:a": ["patch", {"x": ["put", 5]}],
        "shape:b": ["remove"],
        "shape:c": ["put", {"id": "shape:c", "x": 3}],
        "shape:missing": ["patch", {"x": ["put", 9]}],
        "shape:gone": ["remove"],
    }
    unchanged = {"shape:a": ["put", {"id": "shape:a", "x": 1}]}
    answer = run_node(
        {"applyDiff": [{"records": records, "diff": diff}, {"records": records, "diff": unchanged}]}
    )
    first, second = answer["applyDiff"]
    assert first == {
        "records": {"shape:a": {"id": "shape:a", "x": 5}, "shape:c": {"id": "shape:c", "x": 3}},
        "changed": True,
    }
    assert second == {"records": records, "changed": False}


@pytest.mark.spec("VIEW9", "VIEW5")
def test_draw_paths_decode_as_tldraw_decodes_them() -> None:
    """liveview.js and render.py decode draw segments' base64 paths (with and without pressure)
    to the points @tldraw/tlschema's ``b64Vecs.decodePoints`` gives."""
    rng = random.Random(5)
    segments = []
    for i in range(30):
        points = [(rng.uniform(-500, 500), rng.uniform(-500, 500))]
        for _ in range(rng.randint(0, 40)):
            points.append(
                (points[-1][0] + rng.uniform(-30, 30), points[-1][1] + rng.uniform(-30, 30))
            )
        dim = 2 if i % 2 else 3
        segment: dict[str, Any] = {"type": "free", "path": encode_points(points, dim)}
        if dim == 2:
            segment["dim"] = 2
        segments.append(segment)
    answer = run_node({"decodePoints": segments})
    for segment, got in zip(segments, answer["decodePoints"], strict=True):
        assert got["live"] == got["tldraw"]
        assert [(p["x"], p["y"]) for p in got["live"]] == decode_points(segment)


def _finite_or_none(value: float) -> float | None:
    """A coordinate as it crosses JSON from node (non-finite numbers become ``null``)."""
    return value if math.isfinite(value) else None


@pytest.mark.spec("VIEW5", "VIEW14")
def test_bad_draw_paths_decode_as_tldraw_decodes_them() -> None:
    """On bad base64 (characters outside the alphabet, missing or extra padding, truncated points,
    lengths that are not a multiple of four, legacy strings cut short) render.py and liveview.js
    give the points tldraw's ``b64Vecs`` decodes, and none where it throws."""
    good = encode_points([(10.0, 20.0), (12.5, 24.0), (20.0, 30.0)], 3)
    paths = [
        "!!",
        "A",
        "=",
        "==",
        "AAAA",
        "AAAAAAAAAAA=",
        "AAAAAAAAAAAAAAAA",
        good[:-4],
        good[:-2],
        good[:-1],
        good + "A",
        good + "AB",
        good.rstrip("="),
        good.replace("A", "!"),
        good.replace("A", "-"),
        "é" * 16,
    ]
    segments: list[dict[str, Any]] = [{"type": "free", "path": p} for p in paths]
    segments += [{"type": "free", "path": p, "dim": 2} for p in paths]
    segments += [{"type": "free", "points": p} for p in ["AAAA", "AAAAAAAA", "!!!!!!!!", "A="]]
    answer = run_node({"decodePoints": segments})
    for segment, got in zip(segments, answer["decodePoints"], strict=True):
        assert got["live"] == got["tldraw"], segment
        mine = [
            {"x": _finite_or_none(x), "y": _finite_or_none(y)} for x, y in decode_points(segment)
        ]
        assert mine == got["live"], segment


@pytest.mark.spec("VIEW15")
def test_liveview_js_has_no_copy_of_the_constants() -> None:
    """liveview.js as stored holds none of tldraw's colours, fonts or sizes: they arrive as one
    JSON object generated from Python when the module is served, so the two renderers cannot
    draw with different numbers."""
    stored = (Path(__file__).parents[2] / "tlsync_core/views/static/liveview.js").read_text()
    served = liveview_module()
    constants = json.loads(constants_json())
    colours = {c for variants in constants["PALETTE"].values() for c in variants.values()}
    colours |= set(constants["THEME"].values())
    colours -= {"#ffffff", "#FFFFFF", "#000000"}  # (also literals: a cursor's outline, a shadow)
    for text in [*colours, *constants["FONT_FAMILIES"].values()]:
        assert text not in stored
        assert text in served
    assert stored.count("/*CONSTANTS*/ null") == 1
    assert served == stored.replace("/*CONSTANTS*/ null", constants_json())
