"""Test data for the default shapes: valid records, prop mutations and record canonicalization.

``shape_record(type, props)`` builds a complete shape record; :data:`DEFAULT_PROPS` holds valid
props for each of the 13 default shapes. :func:`prop_mutations` lists, per shape, records whose
props differ from the valid ones in one place (a wrong type, a bad enum value, a missing or
extra prop, zero and negative numbers, nested rich text, vector, crop, segment and point
variants). :func:`canonical` rewrites the parts of a migrated record that tldraw generates at
random (jittered line index keys, arrow binding ids) so that two runs can be compared.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any, Final

from tlsync_core.store.jsvalue import UNDEFINED
from tlsync_core.tldraw.misc import B64Vecs, to_rich_text
from tlsync_core.tldraw.shapes import DEFAULT_SHAPE_PROPS
from tlsync_core.tldraw.styles import EnumStyleProp

JsonDict = dict[str, Any]

SHAPE_TYPES: Final = tuple(DEFAULT_SHAPE_PROPS)

_RICH_TEXT: Final = to_rich_text("")

DEFAULT_PROPS: Final[dict[str, JsonDict]] = {
    "arrow": {
        "kind": "arc",
        "labelColor": "black",
        "color": "black",
        "fill": "none",
        "dash": "draw",
        "size": "m",
        "arrowheadStart": "none",
        "arrowheadEnd": "arrow",
        "font": "draw",
        "start": {"x": 0, "y": 0},
        "end": {"x": 100, "y": 100},
        "bend": 0,
        "richText": _RICH_TEXT,
        "labelPosition": 0.5,
        "scale": 1,
        "elbowMidPoint": 0.5,
    },
    "bookmark": {"w": 300, "h": 320, "assetId": None, "url": ""},
    "draw": {
        "color": "black",
        "fill": "none",
        "dash": "draw",
        "size": "m",
        "segments": [],
        "isComplete": False,
        "isClosed": False,
        "isPen": False,
        "scale": 1,
        "scaleX": 1,
        "scaleY": 1,
    },
    "embed": {"w": 300, "h": 300, "url": ""},
    "frame": {"w": 160, "h": 90, "name": "", "color": "black"},
    "geo": {
        "geo": "rectangle",
        "dash": "draw",
        "url": "",
        "w": 100,
        "h": 100,
        "growY": 0,
        "scale": 1,
        "flipX": False,
        "flipY": False,
        "labelColor": "black",
        "color": "black",
        "fill": "none",
        "size": "m",
        "font": "draw",
        "align": "middle",
        "verticalAlign": "middle",
        "richText": _RICH_TEXT,
    },
    "group": {},
    "highlight": {
        "color": "black",
        "size": "m",
        "segments": [],
        "isComplete": False,
        "isPen": False,
        "scale": 1,
        "scaleX": 1,
        "scaleY": 1,
    },
    "image": {
        "w": 100,
        "h": 100,
        "playing": True,
        "url": "",
        "assetId": None,
        "crop": None,
        "flipX": False,
        "flipY": False,
        "altText": "",
    },
    "line": {
        "color": "black",
        "dash": "draw",
        "size": "m",
        "spline": "line",
        "points": {
            "a1": {"id": "a1", "index": "a1", "x": 0, "y": 0},
            "a2": {"id": "a2", "index": "a2", "x": 100, "y": 50},
        },
        "scale": 1,
    },
    "note": {
        "color": "black",
        "labelColor": "black",
        "size": "m",
        "font": "draw",
        "fontSizeAdjustment": None,
        "align": "middle",
        "verticalAlign": "middle",
        "growY": 0,
        "url": "",
        "richText": _RICH_TEXT,
        "scale": 1,
        "textLastEditedBy": None,
    },
    "text": {
        "color": "black",
        "size": "m",
        "font": "draw",
        "textAlign": "start",
        "w": 8,
        "richText": _RICH_TEXT,
        "scale": 1,
        "autoSize": True,
    },
    "video": {
        "w": 100,
        "h": 100,
        "time": 0,
        "playing": False,
        "autoplay": True,
        "url": "",
        "assetId": None,
        "altText": "",
    },
}
"""Valid props for each default shape (tldraw's editor defaults, give or take a size)."""


def shape_record(shape_type: str, props: Any, **fields: Any) -> JsonDict:
    """A complete shape record of ``shape_type`` with ``props`` (copied)."""
    record: JsonDict = {
        "id": f"shape:{shape_type}1",
        "typeName": "shape",
        "type": shape_type,
        "x": 10,
        "y": 20,
        "rotation": 0,
        "index": "a1",
        "parentId": "page:page",
        "isLocked": False,
        "opacity": 1,
        "meta": {},
        "props": copy.deepcopy(props),
    }
    record.update(fields)
    return record


# ---------------------------------------------------------------------------------------------
# Prop mutations

GENERIC_VALUES: Final[tuple[Any, ...]] = (
    UNDEFINED,  # the prop is missing
    None,
    True,
    False,
    0,
    1,
    -1,
    0.5,
    -0.25,
    2,
    3,
    12345.5,
    1e300,
    "",
    "black",
    "zzz",
    "a1",
    "https://example.com/x",
    "javascript:alert(1)",
    "mailto:someone@example.com",
    "/relative/path",
    "asset:abc",
    "shape:abc",
    [],
    [1],
    {},
    {"x": 1, "y": 2},
)
"""Values every prop is set to in turn (UNDEFINED removes the prop)."""

_RICH_TEXT_VALUES: Final[tuple[Any, ...]] = (
    {"type": "doc", "content": []},
    {"type": "doc"},
    {"content": []},
    {"type": 1, "content": []},
    {"type": "doc", "content": "text"},
    {"type": "doc", "content": [], "attrs": {"dir": "rtl"}},
    {"type": "doc", "content": [], "attrs": None},
    {"type": "doc", "content": [], "extra": 1},
    {"type": "doc", "content": [{"anything": True}, None, 3]},
    to_rich_text("two\nlines"),
)
_VEC_VALUES: Final = (
    {"x": 1, "y": 2, "z": 3},
    {"x": 1},
    {"y": 1},
    {"x": "1", "y": 2},
    {"x": 1, "y": 2, "z": None},
    {"x": 1, "y": 2, "w": 0},
    {"x": -1.5, "y": 1e10},
)
_CROP_VALUES: Final = (
    {"topLeft": {"x": 0, "y": 0}, "bottomRight": {"x": 1, "y": 1}},
    {"topLeft": {"x": 0, "y": 0}, "bottomRight": {"x": 1, "y": 1}, "isCircle": True},
    {"topLeft": {"x": 0, "y": 0}, "bottomRight": {"x": 1, "y": 1}, "isCircle": "yes"},
    {"topLeft": {"x": 0, "y": 0}},
    {"topLeft": {"x": 0}, "bottomRight": {"x": 1, "y": 1}},
    {"topLeft": {"x": 0, "y": 0}, "bottomRight": {"x": 1, "y": 1}, "extra": 1},
)
_SEGMENT_VALUES: Final = (
    [{"type": "free", "path": ""}],
    [{"type": "straight", "path": "AAAA", "dim": 2}],
    [{"type": "free", "path": "AAAA", "dim": 3}],
    [{"type": "free", "path": "AAAA", "dim": 0}],
    [{"type": "free", "path": "AAAA", "dim": 4}],
    [{"type": "free", "path": "AAAA", "dim": "2"}],
    [{"type": "free", "path": "AAAA", "dim": None}],
    [{"type": "curvy", "path": ""}],
    [{"type": "free"}],
    [{"path": ""}],
    [{"type": "free", "path": 1}],
    [{"type": "free", "path": "", "points": []}],
    [{"type": "free", "path": ""}, None],
    [{"type": "free", "path": ""}, {"type": "straight", "path": "x", "dim": 5}],
)
_POINT: Final = {"id": "a1", "index": "a1", "x": 0, "y": 0}
_POINTS_VALUES: Final = (
    {"a1": _POINT},
    {"b": _POINT},
    {"a1": {**_POINT, "index": "!!"}},
    {"a1": {**_POINT, "index": "a0"}},
    {"a1": {**_POINT, "index": "a10"}},
    {"a1": {**_POINT, "id": 1}},
    {"a1": {"id": "a1", "index": "a1", "x": 0}},
    {"a1": {**_POINT, "extra": True}},
    {"a1": None},
    {"a1": _POINT, "a2": {**_POINT, "y": "0"}},
)
_ID_VALUES: Final = ("asset:", "asset:x y", "ASSET:x", "page:x")
_NUMBER_VALUES: Final = (-0.0, 1e-9, -1e-9, 100000)

EXTRA_VALUES: Final[dict[str, tuple[Any, ...]]] = {
    "richText": _RICH_TEXT_VALUES,
    "start": _VEC_VALUES,
    "end": _VEC_VALUES,
    "crop": _CROP_VALUES,
    "segments": _SEGMENT_VALUES,
    "points": _POINTS_VALUES,
    "assetId": _ID_VALUES,
    "textLastEditedBy": ("user:1",),
    "url": ("https://", "http://exa mple.com", "ftp://example.com", "./x", "HTTPS://EX.COM"),
}
"""Further values for the props of these names (structures tldraw checks in depth)."""


def values_for(shape_type: str, prop: str) -> list[Any]:
    """Every value ``prop`` of ``shape_type`` is tried with: the generic ones, the prop's
    structural variants, numbers near zero, and for a style prop (or frame's colour) each of
    its values plus one value of every other style."""
    values = [*GENERIC_VALUES, *EXTRA_VALUES.get(prop, ()), *_NUMBER_VALUES]
    props = DEFAULT_SHAPE_PROPS[shape_type].props
    assert isinstance(props, dict)
    style = props[prop]
    if isinstance(style, EnumStyleProp) or prop == "color":
        own = style.values if isinstance(style, EnumStyleProp) else []
        values += own
        for other in _all_enum_styles():
            values += [v for v in other.values if v not in own][:1]
    return values


def _all_enum_styles() -> list[EnumStyleProp]:
    styles: dict[int, EnumStyleProp] = {}
    for info in DEFAULT_SHAPE_PROPS.values():
        assert isinstance(info.props, dict)
        for validator in info.props.values():
            if isinstance(validator, EnumStyleProp):
                styles[id(validator)] = validator
    return list(styles.values())


def with_prop(shape_type: str, prop: str, value: Any) -> JsonDict:
    """The valid record of ``shape_type`` with ``prop`` set to ``value`` (UNDEFINED: removed)."""
    props = copy.deepcopy(DEFAULT_PROPS[shape_type])
    if value is UNDEFINED:
        props.pop(prop, None)
    else:
        props[prop] = copy.deepcopy(value)
    return shape_record(shape_type, props)


def prop_mutations(shape_type: str) -> Iterator[tuple[str, JsonDict]]:
    """``(label, record)`` for every mutation of ``shape_type``'s valid record."""
    yield "valid", shape_record(shape_type, DEFAULT_PROPS[shape_type])
    for prop in DEFAULT_PROPS[shape_type]:
        for value in values_for(shape_type, prop):
            yield f"{prop}={value!r}", with_prop(shape_type, prop, value)
    yield "extra prop", with_prop(shape_type, "extra", 1)
    yield "extra undefined-looking prop", with_prop(shape_type, "undefined", None)
    for label, props in (("null", None), ("array", []), ("string", "props"), ("empty", {})):
        yield f"props {label}", shape_record(shape_type, props)
    yield "no props", {k: v for k, v in shape_record(shape_type, {}).items() if k != "props"}


# ---------------------------------------------------------------------------------------------
# Canonical forms of migrated records


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-be", "surrogatepass")


def _rename_keys(table: JsonDict, rename_inside: bool) -> JsonDict:
    """``table``'s keys, in index order, renamed ``k0``, ``k1``...; inside each value, an
    ``id``/``index`` equal to its key is renamed too."""
    order = sorted(table, key=_utf16)
    names = {key: f"k{i}" for i, key in enumerate(order)}
    result: JsonDict = {}
    for key in order:
        value = table[key]
        if rename_inside and isinstance(value, dict):
            value = {
                k: names[v] if k in ("id", "index") and v == key else v for k, v in value.items()
            }
        result[names[key]] = value
    return result


def canonical_line_props(props: Any) -> Any:
    """A line's props (copied) with its points (``{index: point}``) and index-keyed handles
    (``{index: {x, y}}``) keyed ``k0``, ``k1``... in index order, and the indexes of full
    handles renamed likewise."""
    props = copy.deepcopy(props)
    if isinstance(props, dict):
        if isinstance(props.get("points"), dict):
            props["points"] = _rename_keys(props["points"], rename_inside=True)
        handles = props.get("handles")
        if isinstance(handles, dict) and all(isinstance(h, dict) for h in handles.values()):
            if all("id" not in h for h in handles.values()):
                props["handles"] = _rename_keys(handles, rename_inside=False)
            else:
                props["handles"] = _rename_handle_indexes(handles)
    return props


def _rename_handle_indexes(handles: JsonDict) -> JsonDict:
    """Full handles (``{id: {id, index, ...}}``): indexes renamed ``k0``... in order, and the
    ``handle:<index>`` ids with them."""
    indexes = sorted((h.get("index") for h in handles.values()), key=lambda i: _utf16(str(i)))
    names = {index: f"k{i}" for i, index in enumerate(indexes)}

    def rename_id(handle_id: str) -> str:
        prefix, _, index = handle_id.partition(":")
        return f"handle:{names[index]}" if prefix == "handle" and index in names else handle_id

    return {
        rename_id(key): {
            **handle,
            "id": rename_id(str(handle.get("id"))),
            "index": names.get(handle.get("index"), handle.get("index")),
        }
        for key, handle in handles.items()
    }


def canonical(value: Any) -> Any:
    """``value`` (a record, or an ``{id: record}`` map) with generated names made comparable:
    a line record's props as :func:`canonical_line_props` makes them, and ``binding:`` ids
    numbered in order of appearance."""
    if isinstance(value, dict) and value.get("typeName") == "shape" and value.get("type") == "line":
        return {**value, "props": canonical_line_props(value.get("props"))}
    if isinstance(value, dict) and any(str(k).startswith("binding:") for k in value):
        names = {
            key: f"binding:{i}"
            for i, key in enumerate(k for k in value if str(k).startswith("binding:"))
        }
        return {names.get(k, k): _renamed_ids(v, names) for k, v in value.items()}
    return value


def _renamed_ids(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _renamed_ids(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed_ids(v, names) for v in value]
    return names.get(value, value) if isinstance(value, str) else value


# ---------------------------------------------------------------------------------------------
# Records of older versions, and current ones that exercise the downs

_STYLES: Final = {"color": "black", "size": "m"}
LEGACY_PROPS: Final[dict[str, list[tuple[int, JsonDict]]]] = {
    "arrow": [
        (
            0,
            {
                **_STYLES,
                "fill": "none",
                "dash": "draw",
                "arrowheadStart": "none",
                "arrowheadEnd": "arrow",
                "font": "draw",
                "start": {"type": "point", "x": 0, "y": 0},
                "end": {
                    "type": "binding",
                    "boundShapeId": "shape:box",
                    "normalizedAnchor": {"x": 0.5, "y": 0.5},
                    "isExact": False,
                },
                "bend": 0,
                "text": "hi",
            },
        ),
        (
            4,
            {
                **_STYLES,
                "labelColor": "red",
                "fill": "none",
                "dash": "draw",
                "arrowheadStart": "none",
                "arrowheadEnd": "arrow",
                "font": "draw",
                "start": {"x": 0, "y": 0},
                "end": {"x": 10, "y": 5},
                "bend": 3,
                "text": "one\n\ntwo",
                "labelPosition": 0.25,
            },
        ),
    ],
    "bookmark": [(0, {"w": 300, "h": 320, "url": "not a url"})],
    "draw": [
        (
            0,
            {
                **_STYLES,
                "fill": "none",
                "dash": "draw",
                "segments": [
                    {
                        "type": "free",
                        "points": [{"x": 0, "y": 0, "z": 0.3}, {"x": 5, "y": 7.5, "z": 0.4}],
                    },
                    {"type": "straight", "points": [{"x": 5, "y": 7.5, "z": 0.5}]},
                ],
                "isComplete": True,
                "isClosed": False,
            },
        ),
        (
            3,
            {
                **_STYLES,
                "fill": "none",
                "dash": "draw",
                "segments": [
                    {
                        "type": "free",
                        "points": B64Vecs.legacy_encode_points(
                            [{"x": 1, "y": 2, "z": 0.5}, {"x": 3, "y": 4, "z": 0.25}]
                        ),
                    }
                ],
                "isComplete": True,
                "isClosed": False,
                "isPen": False,
                "scale": 1,
                "scaleX": 1,
                "scaleY": 1,
            },
        ),
    ],
    "embed": [
        (
            0,
            {
                "w": 300,
                "h": 200,
                "url": "https://www.youtube.com/embed/abc?start=3",
                "doesResize": True,
                "overridePermissions": {"allow-scripts": True},
            },
        ),
        (0, {"w": 300, "h": 200, "url": "nonsense"}),
    ],
    "frame": [(0, {"w": 100, "h": 100, "name": "Frame"})],
    "geo": [
        (
            0,
            {
                **_STYLES,
                "geo": "rectangle",
                "w": 100,
                "h": 50,
                "growY": 0,
                "fill": "none",
                "dash": "draw",
                "font": "draw",
                "text": "a\nb",
                "align": "justify",
            },
        ),
        (
            0,
            {**_STYLES, "geo": "ellipse", "w": 1, "h": 1, "growY": 0, "align": "end", "text": ""},
        ),
    ],
    "group": [(0, {})],
    "highlight": [
        (
            0,
            {
                **_STYLES,
                "segments": [{"type": "free", "points": [{"x": 1, "y": 2, "z": 0.5}]}],
                "isComplete": False,
                "isPen": True,
            },
        )
    ],
    "image": [(0, {"w": 10, "h": 10, "playing": True, "assetId": None})],
    "line": [
        (
            0,
            {
                **_STYLES,
                "dash": "draw",
                "spline": "cubic",
                "handles": {
                    "start": {
                        "id": "start",
                        "type": "vertex",
                        "canBind": False,
                        "index": "a1",
                        "x": 0,
                        "y": 0,
                    },
                    "handle:a1V": {
                        "id": "handle:a1V",
                        "type": "vertex",
                        "canBind": False,
                        "index": "a1V",
                        "x": 5,
                        "y": 5,
                    },
                    "end": {
                        "id": "end",
                        "type": "vertex",
                        "canBind": False,
                        "index": "a2",
                        "x": 10,
                        "y": 0,
                    },
                },
            },
        )
    ],
    "note": [
        (
            0,
            {**_STYLES, "font": "draw", "align": "end", "growY": 0, "text": "note"},
        ),
        (11, {**_STYLES, "fontSizeAdjustment": 14, "textFirstEditedBy": "user:1"}),
    ],
    "text": [
        (
            0,
            {**_STYLES, "font": "draw", "align": "justify", "w": 8, "text": "x", "autoSize": True},
        )
    ],
    "video": [(0, {"w": 10, "h": 10, "time": 0, "playing": False, "assetId": None})],
}
"""Per shape, ``(version, props)`` of records persisted at that version of its sequence."""

RICH_PROPS: Final[dict[str, list[JsonDict]]] = {
    "arrow": [{"richText": {**to_rich_text("x"), "attrs": {"a": 1}}, "kind": "elbow"}],
    "draw": [
        {
            "segments": [
                {"type": "free", "path": "AAAAAAAAAAAAAAAA", "dim": 3},
                {"type": "straight", "path": "AAAAAAAAAAA=", "dim": 2},
            ],
            "scaleX": -2,
        }
    ],
    "geo": [{"richText": {**to_rich_text("x"), "attrs": {"a": 1}}, "flipX": True}],
    "highlight": [{"segments": [{"type": "free", "path": "AAAAAAAAAAA=", "dim": 2}]}],
    "image": [{"crop": {"topLeft": {"x": 0, "y": 0}, "bottomRight": {"x": 1, "y": 1}}}],
    "line": [
        {
            "points": {
                "a1": {"id": "a1", "index": "a1", "x": 0, "y": 0},
                "b7": {"id": "b7", "index": "a1V", "x": 5, "y": 5},
                "a3": {"id": "a3", "index": "a3", "x": 9, "y": 1},
            }
        }
    ],
    "note": [{"fontSizeAdjustment": 0.75, "textLastEditedBy": "user:2"}],
    "text": [{"textAlign": "end", "richText": {**to_rich_text("t"), "attrs": None}}],
}
"""Per shape, props overrides giving current records whose downs have work to do."""


def current_records(shape_type: str) -> list[JsonDict]:
    """Valid current records of ``shape_type``: the default one and the rich ones."""
    base = DEFAULT_PROPS[shape_type]
    return [
        shape_record(shape_type, base),
        *(shape_record(shape_type, {**base, **rich}) for rich in RICH_PROPS.get(shape_type, [])),
    ]
