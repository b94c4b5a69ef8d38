"""tlschema 5.4.2's ``src/migrations.test.ts`` cases for the default shapes, as data.

Each :class:`Case` runs one migration (``up`` or ``down``) on a value, as tlschema's
``getTestMigration`` does (no filter, on a copy), and states the expected result: an exact
value, or for the base64 segment cases a check of the decoded points (tldraw's
``toBeCloseTo(x, 0)``: within 0.5). Line cases that create index keys expect tldraw's
deterministic test-mode keys (``a1``, ``a2``...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Literal

import attrs

from tlsync_core.tldraw.misc import B64Vecs, to_rich_text
from tlsync_core.tldraw.shapes.arrow import arrow_shape_versions as arrow
from tlsync_core.tldraw.shapes.bookmark import bookmark_shape_versions as bookmark
from tlsync_core.tldraw.shapes.draw import draw_shape_versions as draw
from tlsync_core.tldraw.shapes.embed import embed_shape_versions as embed
from tlsync_core.tldraw.shapes.frame import frame_shape_versions as frame
from tlsync_core.tldraw.shapes.geo import geo_shape_versions as geo
from tlsync_core.tldraw.shapes.highlight import highlight_shape_versions as highlight
from tlsync_core.tldraw.shapes.image import image_shape_versions as image
from tlsync_core.tldraw.shapes.line import line_shape_versions as line
from tlsync_core.tldraw.shapes.note import note_shape_versions as note
from tlsync_core.tldraw.shapes.text import text_shape_versions as text
from tlsync_core.tldraw.shapes.video import video_shape_versions as video

Direction = Literal["up", "down"]
Check = Callable[[Any], None]


@attrs.frozen
class Case:
    """``migration`` run ``direction`` on ``before`` gives ``after`` (or passes ``check``)."""

    label: str
    migration: str
    direction: Direction
    before: Any
    after: Any = None
    check: Check | None = None


def _props(**props: Any) -> dict[str, Any]:
    return {"props": props}


def _same(label: str, migration: str, direction: Direction, value: Any) -> Case:
    return Case(label, migration, direction, value, value)


CASES: list[Case] = []

# --- adding props: up adds the value, down (where there is one) removes it --------------------
_ADDED: Final[list[tuple[str, dict[str, Any], bool]]] = [
    (video["AddUrlProp"], {"url": ""}, False),
    (note["AddUrlProp"], {"url": ""}, False),
    (geo["AddUrlProp"], {"url": ""}, False),
    (image["AddUrlProp"], {"url": ""}, False),
    (bookmark["NullAssetId"], {"assetId": None}, False),
    (arrow["AddLabelPosition"], {"labelPosition": 0.5}, True),
    (note["AddFontSizeAdjustment"], {"fontSizeAdjustment": 0}, True),
    (draw["AddScale"], {"scale": 1}, True),
    (highlight["AddScale"], {"scale": 1}, True),
    (geo["AddScale"], {"scale": 1}, True),
    (arrow["AddScale"], {"scale": 1}, True),
    (note["AddScale"], {"scale": 1}, True),
    (line["AddScale"], {"scale": 1}, True),
    (image["AddFlipProps"], {"flipX": False, "flipY": False}, True),
    (geo["AddFlipProps"], {"flipX": False, "flipY": False}, True),
    (note["AddLabelColor"], {"labelColor": "black"}, True),
    (frame["AddColorProp"], {"color": "black"}, True),
    (arrow["AddElbow"], {"kind": "arc", "elbowMidPoint": 0.5}, True),
    (video["AddAutoplay"], {"autoplay": True}, True),
    (note["AddFirstEditedBy"], {"textFirstEditedBy": None}, True),
]
for _id, _added, _has_down in _ADDED:
    CASES.append(Case(f"{_id} adds {list(_added)}", _id, "up", _props(), _props(**_added)))
    if _has_down:
        CASES.append(Case(f"{_id} down removes them", _id, "down", _props(**_added), _props()))

CASES += [
    Case("image alt text up", image["AddAltText"], "up", _props(), _props(altText="")),
    Case("image alt text down", image["AddAltText"], "down", _props(altText="yo"), _props()),
    Case("video alt text up", video["AddAltText"], "up", _props(), _props(altText="")),
    Case("video alt text down", video["AddAltText"], "down", _props(altText="yo"), _props()),
    Case("image crop up", image["AddCropProp"], "up", _props(w=100), _props(w=100, crop=None)),
    Case("image crop down", image["AddCropProp"], "down", _props(w=100, crop=None), _props(w=100)),
    Case(
        "arrow elbow down (arc)",
        arrow["AddElbow"],
        "down",
        _props(kind="arc", elbowMidPoint=0.5, wow=True),
        _props(wow=True),
    ),
    Case(
        "arrow elbow down (elbow)",
        arrow["AddElbow"],
        "down",
        _props(kind="elbow", elbowMidPoint=0.5, wow=True),
        _props(wow=True),
    ),
]
for _id in (arrow["AddLabelColor"], geo["AddLabelColor"]):
    CASES.append(
        Case(
            f"{_id} label colour",
            _id,
            "up",
            _props(color="red"),
            _props(color="red", labelColor="black"),
        )
    )

# --- embed -----------------------------------------------------------------------------------
CASES += [
    Case(
        "embed: codepen embed URL back to the pen",
        embed["GenOriginalUrlInEmbed"],
        "up",
        _props(url="https://codepen.io/Rplus/embed/PWZYRM"),
        _props(
            url="https://codepen.io/Rplus/pen/PWZYRM",
            tmpOldUrl="https://codepen.io/Rplus/embed/PWZYRM",
        ),
    ),
    Case(
        "embed: unknown site",
        embed["GenOriginalUrlInEmbed"],
        "up",
        _props(url="https://example.com"),
        _props(url="", tmpOldUrl="https://example.com"),
    ),
    Case(
        "embed: doesResize removed",
        embed["RemoveDoesResize"],
        "up",
        _props(url="https://tldraw.com", doesResize=True),
        _props(url="https://tldraw.com"),
    ),
    Case(
        "embed: tmpOldUrl removed",
        embed["RemoveTmpOldUrl"],
        "up",
        _props(url="https://tldraw.com", tmpOldUrl="https://tldraw.com"),
        _props(url="https://tldraw.com"),
    ),
    Case(
        "embed: overridePermissions removed",
        embed["RemovePermissionOverrides"],
        "up",
        _props(url="https://tldraw.com", overridePermissions={"display": "maybe"}),
        _props(url="https://tldraw.com"),
    ),
]

# --- draw: isPen -----------------------------------------------------------------------------
for _z, _is_pen in (((0.5, 0.5), False), ((0.2315, 0.2421), True)):
    _segments = [
        {"type": "free", "points": [{"x": 0, "y": 0, "z": _z[0]}, {"x": 1, "y": 1, "z": _z[1]}]}
    ]
    CASES.append(
        Case(
            f"draw isPen from pressure {_z}",
            draw["AddInPen"],
            "up",
            _props(segments=_segments),
            _props(isPen=_is_pen, segments=_segments),
        )
    )

# --- alignment -------------------------------------------------------------------------------
for _id in (text["RemoveJustify"], note["RemoveJustify"], geo["RemoveJustify"]):
    CASES.append(Case(f"{_id} justify", _id, "up", _props(align="justify"), _props(align="start")))
    CASES.append(_same(f"{_id} end stays", _id, "up", _props(align="end")))
CASES += [
    _same("geo check-box is a no-op", geo["AddCheckBox"], "up", _props(geo="rectangle")),
    _same("geo cloud is a no-op", geo["AddCloud"], "up", _props(geo="rectangle")),
    Case(
        "geo vertical align",
        geo["AddVerticalAlign"],
        "up",
        _props(type="ellipse"),
        _props(type="ellipse", verticalAlign="middle"),
    ),
    Case(
        "note vertical align",
        note["AddVerticalAlign"],
        "up",
        _props(color="red"),
        _props(color="red", verticalAlign="middle"),
    ),
]
for _align in ("start", "middle", "end"):
    CASES.append(
        Case(
            f"geo legacy align {_align}",
            geo["MigrateLegacyAlign"],
            "up",
            _props(align=_align, type="ellipse"),
            _props(align=f"{_align}-legacy", type="ellipse"),
        )
    )
    CASES.append(
        Case(
            f"note legacy align {_align}",
            note["MigrateLegacyAlign"],
            "up",
            _props(align=_align, color="red"),
            _props(align=f"{_align}-legacy", color="red"),
        )
    )
CASES += [
    Case(
        "text align up",
        text["AddTextAlign"],
        "up",
        _props(align="middle"),
        _props(textAlign="middle"),
    ),
    Case(
        "text align down",
        text["AddTextAlign"],
        "down",
        _props(textAlign="middle"),
        _props(align="middle"),
    ),
]

# --- line handles and points -----------------------------------------------------------------
_OLD_HANDLES: Final = {
    "start": {"id": "start", "type": "vertex", "canBind": False, "index": "a1", "x": 0, "y": 0},
    "end": {
        "id": "end",
        "type": "vertex",
        "canBind": False,
        "index": "a2",
        "x": 100.66015625,
        "y": -22.07421875,
    },
}
_FULL_HANDLES: Final = {
    "start": {
        "id": "start",
        "type": "vertex",
        "canBind": False,
        "canSnap": True,
        "index": "a1",
        "x": 0,
        "y": 0,
    },
    "end": {
        "id": "end",
        "type": "vertex",
        "canBind": False,
        "canSnap": True,
        "index": "a2",
        "x": 190,
        "y": -62,
    },
    "handle:a1V": {
        "id": "handle:a1V",
        "type": "vertex",
        "canBind": False,
        "canSnap": True,
        "index": "a1V",
        "x": 76,
        "y": 60,
    },
}
_INDEXED_HANDLES: Final = {
    "a1": {"x": 0, "y": 0},
    "a1V": {"x": 76, "y": 60},
    "a2": {"x": 190, "y": -62},
}
_POINTS: Final = [{"x": 0, "y": 0}, {"x": 76, "y": 60}, {"x": 190, "y": -62}]
CASES += [
    Case(
        "line handles can snap",
        line["AddSnapHandles"],
        "up",
        _props(handles=_OLD_HANDLES),
        _props(handles={k: {**v, "canSnap": True} for k, v in _OLD_HANDLES.items()}),
    ),
    Case(
        "line handles keyed by index",
        line["RemoveExtraHandleProps"],
        "up",
        _props(
            handles={
                **{k: v for k, v in _FULL_HANDLES.items() if k != "handle:a1V"},
                "handle:a1V": {
                    k: v for k, v in _FULL_HANDLES["handle:a1V"].items() if k != "canSnap"
                },
            }
        ),
        _props(handles=_INDEXED_HANDLES),
    ),
    Case(
        "line handles back to full handles",
        line["RemoveExtraHandleProps"],
        "down",
        _props(handles=_INDEXED_HANDLES),
        _props(handles=_FULL_HANDLES),
    ),
    Case(
        "line handles to points",
        line["HandlesToPoints"],
        "up",
        _props(handles=_INDEXED_HANDLES),
        _props(points=_POINTS),
    ),
    Case(
        "line points to handles",
        line["HandlesToPoints"],
        "down",
        _props(points=_POINTS),
        _props(handles={"a1": _POINTS[0], "a2": _POINTS[1], "a3": _POINTS[2]}),
    ),
    Case(
        "line points keyed by index",
        line["PointIndexIds"],
        "up",
        _props(points=_POINTS),
        _props(
            points={
                key: {"id": key, "index": key, **point}
                for key, point in zip(("a1", "a2", "a3"), _POINTS, strict=True)
            }
        ),
    ),
    Case(
        "line indexed points back to a list",
        line["PointIndexIds"],
        "down",
        _props(
            points={
                "a1": {"id": "a1", "index": "a1", "x": 0, "y": 0},
                "a3": {"id": "a3", "index": "a3", "x": 190, "y": -62},
                "a2": {"id": "a2", "index": "a2", "x": 76, "y": 60},
            }
        ),
        _props(points=_POINTS),
    ),
]

# --- arrows ----------------------------------------------------------------------------------
_POINT_TERMINAL: Final = {"type": "point"}


def _bound(x: float, **extra: Any) -> dict[str, Any]:
    return {"type": "binding", "normalizedAnchor": {"x": x, "y": x}, **extra}


CASES += [
    Case(
        "arrow centred binding is not precise",
        arrow["AddIsPrecise"],
        "up",
        _props(start=_POINT_TERMINAL, end=_bound(0.5)),
        _props(start=_POINT_TERMINAL, end=_bound(0.5, isPrecise=False)),
    ),
    Case(
        "arrow off-centre binding is precise",
        arrow["AddIsPrecise"],
        "up",
        _props(start=_POINT_TERMINAL, end=_bound(0.15)),
        _props(start=_POINT_TERMINAL, end=_bound(0.15, isPrecise=True)),
    ),
    Case(
        "arrow precise down keeps the anchor (centre)",
        arrow["AddIsPrecise"],
        "down",
        _props(start=_POINT_TERMINAL, end=_bound(0.5, isPrecise=True)),
        _props(start=_POINT_TERMINAL, end=_bound(0.5)),
    ),
    Case(
        "arrow precise down keeps the anchor",
        arrow["AddIsPrecise"],
        "down",
        _props(start=_POINT_TERMINAL, end=_bound(0.25, isPrecise=True)),
        _props(start=_POINT_TERMINAL, end=_bound(0.25)),
    ),
    Case(
        "arrow imprecise down centres the anchor",
        arrow["AddIsPrecise"],
        "down",
        _props(start=_bound(0.5, isPrecise=False), end=_bound(0.15, isPrecise=False)),
        _props(start=_bound(0.5), end=_bound(0.5)),
    ),
]

# --- urls and rich text ----------------------------------------------------------------------
for _id in (
    bookmark["MakeUrlsValid"],
    geo["MakeUrlsValid"],
    image["MakeUrlsValid"],
    note["MakeUrlsValid"],
    video["MakeUrlsValid"],
):
    CASES.append(
        Case(f"{_id} empties a bad url", _id, "up", _props(url="invalid-url"), _props(url=""))
    )
    CASES.append(_same(f"{_id} down is a no-op", _id, "down", _props(url="invalid-url")))

_HELLO: Final = to_rich_text("hello, world")
_HELLO_ATTRS: Final = {**to_rich_text("hello, world"), "attrs": {"test": "value"}}
for _rich, _attrs in (
    (text["AddRichText"], text["AddRichTextAttrs"]),
    (geo["AddRichText"], geo["AddRichTextAttrs"]),
    (note["AddRichText"], note["AddRichTextAttrs"]),
    (arrow["AddRichText"], arrow["AddRichTextAttrs"]),
):
    CASES += [
        Case(
            f"{_rich} text to rich text",
            _rich,
            "up",
            _props(text="hello, world"),
            _props(richText=_HELLO),
        ),
        _same(f"{_attrs} up is a no-op", _attrs, "up", _props(richText=_HELLO)),
        _same(f"{_attrs} up keeps attrs", _attrs, "up", _props(richText=_HELLO_ATTRS)),
        Case(
            f"{_attrs} down drops attrs",
            _attrs,
            "down",
            _props(richText=_HELLO_ATTRS),
            _props(richText=_HELLO),
        ),
        _same(f"{_attrs} down without attrs", _attrs, "down", _props(richText=_HELLO)),
    ]

# --- notes -----------------------------------------------------------------------------------
CASES += [
    Case(
        "note font size 0 becomes ratio 1",
        note["MakeFontSizeAdjustmentRatio"],
        "up",
        _props(fontSizeAdjustment=0),
        _props(fontSizeAdjustment=1),
    ),
    Case(
        "note absolute font size becomes null",
        note["MakeFontSizeAdjustmentRatio"],
        "up",
        _props(fontSizeAdjustment=18),
        _props(fontSizeAdjustment=None),
    ),
    Case(
        "note font size ratio down",
        note["MakeFontSizeAdjustmentRatio"],
        "down",
        _props(fontSizeAdjustment=None),
        _props(fontSizeAdjustment=0),
    ),
]
for _value in ("user:1", None):
    CASES += [
        Case(
            f"note first editor {_value!r} renamed",
            note["RenameFirstEditedByToLast"],
            "up",
            _props(textFirstEditedBy=_value),
            _props(textLastEditedBy=_value),
        ),
        Case(
            f"note last editor {_value!r} renamed back",
            note["RenameFirstEditedByToLast"],
            "down",
            _props(textLastEditedBy=_value),
            _props(textFirstEditedBy=_value),
        ),
    ]


# --- draw and highlight segments -------------------------------------------------------------
def _close(actual: float, expected: float, digits: int = 0) -> None:
    """jest's ``toBeCloseTo(expected, digits)``."""
    assert abs(actual - expected) < 10**-digits / 2, (actual, expected)


_TWO_POINTS: Final = [{"x": 0, "y": 0, "z": 0.5}, {"x": 10, "y": 10, "z": 0.6}]


def _decoded(result: Any, index: int = 0, dim: int | None = None) -> list[dict[str, Any]]:
    segment = result["props"]["segments"][index]
    assert "points" not in segment
    assert isinstance(segment["path"], str)
    return B64Vecs.decode_points(segment["path"], dim)


def _check_xs(*xs: float, index: int = 0) -> Check:
    def check(result: Any) -> None:
        points = _decoded(result, index)
        assert len(points) == len(xs)
        for point, x in zip(points, xs, strict=True):
            _close(point["x"], x)

    return check


def _check_base64_up(result: Any) -> None:
    assert result["props"]["scaleX"] == 1
    assert result["props"]["scaleY"] == 1
    _check_xs(0, 10)(result)


def _check_base64_down(result: Any) -> None:
    props = result["props"]
    assert "scaleX" not in props
    assert "scaleY" not in props
    segment = props["segments"][0]
    assert "path" not in segment
    assert isinstance(segment["points"], list)
    assert len(segment["points"]) == 2


def _check_scales(x: float, y: float) -> Check:
    def check(result: Any) -> None:
        assert result["props"]["scaleX"] == x
        assert result["props"]["scaleY"] == y

    return check


def _check_both(*checks: Check) -> Check:
    def check(result: Any) -> None:
        for each in checks:
            each(result)

    return check


def _legacy(points: list[dict[str, Any]], segment_type: str = "free") -> dict[str, Any]:
    return {"type": segment_type, "points": B64Vecs.legacy_encode_points(points)}


def _check_single_point(result: Any) -> None:
    (point,) = _decoded(result)
    _close(point["x"], 100)
    _close(point["y"], 200)
    _close(point["z"], 0.75, 1)


def _check_finite_three(result: Any) -> None:
    points = _decoded(result)
    assert len(points) == 3
    assert all(abs(p["x"]) < float("inf") for p in points)


_DELTA_PATH: Final = B64Vecs.encode_points(
    [{"x": 100, "y": 200, "z": 0.5}, {"x": 101, "y": 201, "z": 0.6}]
)
_DELTA_PATH_2: Final = B64Vecs.encode_points(_TWO_POINTS)


def _check_2d_reencoded(length: int, last_x: float | None = None) -> Check:
    def check(result: Any) -> None:
        segment = result["props"]["segments"][0]
        assert "dim" not in segment
        points = B64Vecs.decode_points(segment["path"])
        assert len(points) == length
        assert points[0]["z"] == 0.5
        if last_x is not None:
            _close(points[-1]["x"], last_x)

    return check


for _shape, _versions in (("draw", draw), ("highlight", highlight)):
    CASES += [
        Case(
            f"{_shape} base64 up",
            _versions["Base64"],
            "up",
            _props(segments=[{"type": "free", "points": _TWO_POINTS}]),
            check=_check_base64_up,
        ),
        Case(
            f"{_shape} base64 down",
            _versions["Base64"],
            "down",
            _props(scaleX=1, scaleY=1, segments=[{"type": "free", "path": _DELTA_PATH_2}]),
            check=_check_base64_down,
        ),
        Case(
            f"{_shape} base64 keeps scales",
            _versions["Base64"],
            "up",
            _props(segments=[{"type": "free", "points": _TWO_POINTS}], scaleX=1.5, scaleY=2.0),
            check=_check_scales(1.5, 2.0),
        ),
        Case(
            f"{_shape} legacy points to path",
            _versions["LegacyPointsConversion"],
            "up",
            _props(segments=[_legacy(_TWO_POINTS)]),
            check=_check_xs(0, 10),
        ),
        Case(
            f"{_shape} legacy points, two segments",
            _versions["LegacyPointsConversion"],
            "up",
            _props(
                segments=[
                    _legacy(_TWO_POINTS),
                    _legacy(
                        [{"x": 20, "y": 20, "z": 0.5}, {"x": 30, "y": 30, "z": 0.7}], "straight"
                    ),
                ]
            ),
            check=_check_both(_check_xs(0, 10), _check_xs(20, 30, index=1)),
        ),
        Case(
            f"{_shape} legacy empty points",
            _versions["LegacyPointsConversion"],
            "up",
            _props(segments=[{"type": "free", "points": ""}]),
            _props(segments=[{"type": "free", "path": ""}]),
        ),
        Case(
            f"{_shape} legacy single point",
            _versions["LegacyPointsConversion"],
            "up",
            _props(segments=[_legacy([{"x": 100, "y": 200, "z": 0.75}])]),
            check=_check_single_point,
        ),
        _same(
            f"{_shape} converted path stays",
            _versions["LegacyPointsConversion"],
            "up",
            _props(segments=[{"type": "free", "path": _DELTA_PATH}]),
        ),
        _same(
            f"{_shape} legacy down is a no-op",
            _versions["LegacyPointsConversion"],
            "down",
            _props(segments=[{"type": "free", "path": _DELTA_PATH_2}]),
        ),
        Case(
            f"{_shape} legacy large coordinates",
            _versions["LegacyPointsConversion"],
            "up",
            _props(
                segments=[
                    _legacy(
                        [
                            {"x": 10000, "y": 10000, "z": 0.5},
                            {"x": 10001, "y": 10001, "z": 0.5},
                            {"x": 10002, "y": 10002, "z": 0.6},
                        ]
                    )
                ]
            ),
            check=_check_finite_three,
        ),
    ]

_PATH_3D: Final = B64Vecs.encode_points([{"x": 1, "y": 2, "z": 0.6}, {"x": 3, "y": 4, "z": 0.7}])
_PATH_2D: Final = B64Vecs.encode_points(
    [{"x": 0, "y": 0, "z": 0.5}, {"x": 10, "y": 10, "z": 0.5}], 2
)
_THREE_2D: Final = B64Vecs.encode_points(
    [{"x": 5, "y": 6, "z": 0.5}, {"x": 12, "y": 9, "z": 0.5}, {"x": 20, "y": 4, "z": 0.5}], 2
)
_TWO_2D: Final = B64Vecs.encode_points([{"x": 5, "y": 6, "z": 0.5}, {"x": 7, "y": 8, "z": 0.5}], 2)


def _check_mixed(result: Any) -> None:
    first, second = result["props"]["segments"]
    assert first == {"type": "free", "path": _PATH_3D}
    assert "dim" not in second
    assert len(B64Vecs.decode_points(second["path"])) == 2


CASES += [
    _same(
        "draw pressure z: 3D up is a no-op",
        draw["OmitNonPressureZ"],
        "up",
        _props(segments=[{"type": "free", "path": _DELTA_PATH_2}]),
    ),
    _same(
        "draw pressure z: 2D up is a no-op",
        draw["OmitNonPressureZ"],
        "up",
        _props(segments=[{"type": "free", "path": _PATH_2D, "dim": 2}]),
    ),
    Case(
        "draw pressure z: 2D down re-encodes",
        draw["OmitNonPressureZ"],
        "down",
        _props(segments=[{"type": "free", "path": _THREE_2D, "dim": 2}]),
        check=_check_2d_reencoded(3, 20),
    ),
    _same(
        "draw pressure z: 3D down stays",
        draw["OmitNonPressureZ"],
        "down",
        _props(segments=[{"type": "free", "path": _DELTA_PATH_2}]),
    ),
    Case(
        "draw pressure z: dim 3 down drops the field",
        draw["OmitNonPressureZ"],
        "down",
        _props(segments=[{"type": "free", "path": _PATH_3D, "dim": 3}]),
        _props(segments=[{"type": "free", "path": _PATH_3D}]),
    ),
    Case(
        "draw pressure z: mixed segments down",
        draw["OmitNonPressureZ"],
        "down",
        _props(
            segments=[
                {"type": "free", "path": _PATH_3D},
                {"type": "straight", "path": _TWO_2D, "dim": 2},
            ]
        ),
        check=_check_mixed,
    ),
    _same(
        "highlight pressure z: up is a no-op",
        highlight["OmitNonPressureZ"],
        "up",
        _props(segments=[{"type": "free", "path": _PATH_2D, "dim": 2}]),
    ),
    Case(
        "highlight pressure z: 2D down re-encodes",
        highlight["OmitNonPressureZ"],
        "down",
        _props(segments=[{"type": "free", "path": _TWO_2D, "dim": 2}]),
        check=_check_2d_reencoded(2),
    ),
]

# --- arrow bindings (a storage migration; tldraw's ids are nanoid_1... in its tests) -----------
_TERMINAL_1: Final = {"x": 0.4383437225516159, "y": 0.5065334673177019}
_TERMINAL_2: Final = {"x": 0.5848167203201774, "y": 0.5766996080606552}


def _arrow(arrow_id: str, start: Any, end: Any) -> dict[str, Any]:
    return {
        "id": arrow_id,
        "type": "arrow",
        "props": {"start": start, "end": end},
        "typeName": "shape",
    }


def _binding(n: int, from_id: str, *, to: str, terminal: str, anchor: Any, precise: bool) -> Any:
    return {
        "fromId": from_id,
        "id": f"binding:nanoid_{n}",
        "meta": {},
        "props": {
            "isExact": False,
            "isPrecise": precise,
            "normalizedAnchor": anchor,
            "terminal": terminal,
        },
        "toId": to,
        "type": "arrow",
        "typeName": "binding",
    }


def _bound_to(shape: str, anchor: Any, precise: bool) -> dict[str, Any]:
    return {
        "type": "binding",
        "boundShapeId": shape,
        "normalizedAnchor": anchor,
        "isPrecise": precise,
        "isExact": False,
    }


_P1: Final = {"x": 174.75451263561803, "y": -1.4725753187527948}
_P2: Final = {"x": 68.25440152898136, "y": -1.0404886613512332}
_P3: Final = {"x": 68.25440152898136, "y": -1.0404886613512758}
EXTRACT_BINDINGS_BEFORE: Final = {
    "shape:arrow1": _arrow(
        "shape:arrow1",
        _bound_to("shape:box1", _TERMINAL_1, False),
        _bound_to("shape:box2", _TERMINAL_2, False),
    ),
    "shape:arrow2": _arrow(
        "shape:arrow2", _bound_to("shape:arrow2", _TERMINAL_1, False), {"type": "point", **_P1}
    ),
    "shape:arrow3": _arrow(
        "shape:arrow3", {"type": "point", **_P2}, _bound_to("shape:box3", _TERMINAL_2, True)
    ),
    "shape:arrow4": _arrow("shape:arrow4", {"type": "point", **_P3}, {"type": "point", **_P1}),
}
EXTRACT_BINDINGS_AFTER: Final = {
    "binding:nanoid_1": _binding(
        1, "shape:arrow1", to="shape:box1", terminal="start", anchor=_TERMINAL_1, precise=False
    ),
    "binding:nanoid_2": _binding(
        2, "shape:arrow1", to="shape:box2", terminal="end", anchor=_TERMINAL_2, precise=False
    ),
    "binding:nanoid_3": _binding(
        3, "shape:arrow2", to="shape:arrow2", terminal="start", anchor=_TERMINAL_1, precise=False
    ),
    "binding:nanoid_4": _binding(
        4, "shape:arrow3", to="shape:box3", terminal="end", anchor=_TERMINAL_2, precise=True
    ),
    "shape:arrow1": _arrow("shape:arrow1", {"x": 0, "y": 0}, {"x": 0, "y": 0}),
    "shape:arrow2": _arrow("shape:arrow2", {"x": 0, "y": 0}, _P1),
    "shape:arrow3": _arrow("shape:arrow3", _P2, {"x": 0, "y": 0}),
    "shape:arrow4": _arrow("shape:arrow4", _P3, _P1),
}
CASES.append(
    Case(
        "arrow bindings extracted",
        arrow["ExtractBindings"],
        "up",
        EXTRACT_BINDINGS_BEFORE,
        EXTRACT_BINDINGS_AFTER,
    )
)

JITTERED: Final = frozenset({(line["PointIndexIds"], "up"), (line["HandlesToPoints"], "down")})
"""Cases whose index keys tldraw jitters outside its tests."""
RANDOM_IDS: Final = frozenset({(arrow["ExtractBindings"], "up")})
"""Cases whose record ids are random outside tldraw's tests."""
