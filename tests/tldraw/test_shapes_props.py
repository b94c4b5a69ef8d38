"""The default shapes' props validators against tldraw 5.4.2's, run in node (TLSH1, TLSH2).

Every default shape's valid record and thousands of one-place mutations of it (tests/tldraw/
shapes_data.py) go through ``create_tldraw_schema().validate_record`` and through tldraw's
``schema.validateRecord``: both must accept the same records and reject the others with the
same message, with and without a known-good previous record. NaN and the infinities cannot
travel as JSON; their messages are derived from node's answer for a finite number.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from node_peer import NodePeer
from shapes_data import DEFAULT_PROPS, SHAPE_TYPES, prop_mutations, shape_record, with_prop
from tldraw_peer import Outcome, node_validate, py_validate

from tlsync_core.store.schema import StoreSchema
from tlsync_core.tldraw import create_tldraw_schema
from tlsync_core.tldraw.shapes import DEFAULT_SHAPE_PROPS
from tlsync_core.tldraw.shapes.frame import FrameColorValidator
from tlsync_core.tldraw.styles import DefaultColorStyle, StyleProp


@pytest.fixture(scope="module")
def schema() -> StoreSchema:
    return create_tldraw_schema()


@pytest.fixture(scope="module")
def tldraw_info(node_peer: NodePeer) -> dict[str, Any]:
    info: dict[str, Any] = node_peer.call("tldrawInfo")
    return info


def _describe(validator: object) -> str:
    """Python's side of tldraw.mjs's ``describeValidator``, for style props only."""
    return f"style:{validator.id}" if isinstance(validator, StyleProp) else "other"


@pytest.mark.spec("TLSH1")
def test_default_shapes_are_tldraws(tldraw_info: dict[str, Any]) -> None:
    """DEFAULT_SHAPE_PROPS lists tldraw's 13 default shapes in defaultShapeSchemas' order, each
    with tldraw's prop names in tldraw's order (which decides which bad prop is reported), and
    the same style props (by id) in the same places: a style in tldraw is the same style here,
    and a plain validator (frame's colour) is no style here."""
    expected = tldraw_info["shapeProps"]
    assert list(DEFAULT_SHAPE_PROPS) == list(expected)
    for shape_type, info in DEFAULT_SHAPE_PROPS.items():
        assert isinstance(info.props, dict)
        assert list(info.props) == list(expected[shape_type]), shape_type
        ours = {k: _describe(v) for k, v in info.props.items()}
        theirs = {
            k: v if v.startswith("style:") else "other" for k, v in expected[shape_type].items()
        }
        assert ours == theirs, shape_type


@pytest.mark.spec("TLSH1")
def test_default_props_cover_every_prop() -> None:
    """The test data's valid props name every prop of every shape, so the mutations reach
    every validator."""
    for shape_type, info in DEFAULT_SHAPE_PROPS.items():
        assert isinstance(info.props, dict)
        assert list(DEFAULT_PROPS[shape_type]) == list(info.props), shape_type


def _mismatches(
    labels: list[str], ours: list[Outcome], theirs: list[Outcome]
) -> list[tuple[str, Outcome, Outcome]]:
    return [(lab, a, b) for lab, a, b in zip(labels, ours, theirs, strict=True) if a != b]


@pytest.mark.spec("TLSH2")
@pytest.mark.parametrize("shape_type", SHAPE_TYPES)
def test_props_validate_like_tldraw(
    node_peer: NodePeer, schema: StoreSchema, shape_type: str
) -> None:
    """Each mutation of a valid ``shape_type`` record (wrong types, bad enum values, missing
    and extra props, zero and negative sizes, rich text, vector, crop, segment and point
    variants) is accepted by us exactly when tldraw accepts it, with tldraw's error message;
    the same holds when the valid record is given as the known-good previous version."""
    cases = list(prop_mutations(shape_type))
    labels = [label for label, _ in cases]
    valid = shape_record(shape_type, DEFAULT_PROPS[shape_type])
    records = [record for _, record in cases]
    theirs = node_validate(node_peer, [(r, None) for r in records] + [(r, valid) for r in records])
    ours = [py_validate(schema, r) for r in records] + [
        py_validate(schema, r, valid) for r in records
    ]
    both_labels = labels + [f"{label} (known good)" for label in labels]
    assert _mismatches(both_labels, ours, theirs) == []
    assert ours[0] == ("ok", valid)  # the valid record is valid
    assert any(outcome[0] == "error" for outcome in ours) or shape_type == "group"


_NON_FINITE = (math.nan, math.inf, -math.inf)


def _stand_in(value: float) -> float:
    """A finite number that the validators treat as they treat ``value`` (same sign)."""
    return -12345.5 if value < 0 else 12345.5


def _non_finite_message(stand_in: Outcome, value: float) -> str:
    """The message tldraw gives for ``value`` where it gave ``stand_in`` for the finite
    stand-in (of the same sign): a validator that rejects the stand-in says the same of
    ``value`` (its type or sign check comes first), naming the value; a number validator that
    accepts it rejects NaN as such and the infinities as not finite."""
    if stand_in[0] == "error":
        return str(stand_in[1]).replace(str(_stand_in(value)), _js_number(value))
    return (
        "Expected a number, got NaN"
        if math.isnan(value)
        else f"Expected a finite number, got {_js_number(value)}"
    )


def _js_number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


# nested places where a number goes: (shape, prop, props value with a placeholder None)
_NESTED_NUMBERS: tuple[tuple[str, str, Any, str], ...] = (
    ("arrow", "start", {"x": None, "y": 0}, "start.x"),
    ("arrow", "end", {"x": 0, "y": 0, "z": None}, "end.z"),
    (
        "image",
        "crop",
        {"topLeft": {"x": 0, "y": None}, "bottomRight": {"x": 1, "y": 1}},
        "crop.topLeft.y",
    ),
    ("line", "points", {"a1": {"id": "a1", "index": "a1", "x": None, "y": 0}}, "points.a1.x"),
)


@pytest.mark.spec("TLSH2")
def test_non_finite_numbers_are_rejected_like_tldraw(
    node_peer: NodePeer, schema: StoreSchema
) -> None:
    """NaN, Infinity and -Infinity in any prop (and in nested vectors, crops and line points)
    are rejected with tldraw's message: the message node gives for a finite stand-in, with the
    value named, or for number props tldraw's 'Expected a number, got NaN' / 'Expected a
    finite number, got Infinity' at the same path."""
    places = [(t, p, v) for t in SHAPE_TYPES for p in DEFAULT_PROPS[t] for v in _NON_FINITE]
    stand_ins = node_validate(
        node_peer, [(with_prop(t, p, _stand_in(v)), None) for t, p, v in places]
    )
    for (shape_type, prop, value), stand_in in zip(places, stand_ins, strict=True):
        outcome = py_validate(schema, with_prop(shape_type, prop, value))
        expected = _non_finite_message(stand_in, value)
        if stand_in[0] == "ok":
            expected = f"At shape(type = {shape_type}).props.{prop}: {expected}"
        assert outcome == ("error", expected), (shape_type, prop, value)
    for shape_type, prop, template, path in _NESTED_NUMBERS:
        for value in _NON_FINITE:
            props = _fill(template, value)
            outcome = py_validate(schema, with_prop(shape_type, prop, props))
            expected = _non_finite_message(("ok", None), value)
            assert outcome == ("error", f"At shape(type = {shape_type}).props.{path}: {expected}")


def _fill(template: Any, value: float) -> Any:
    if isinstance(template, dict):
        return {k: _fill(v, value) for k, v in template.items()}
    return value if template is None else template


@pytest.mark.spec("TLSH2")
def test_frame_color_follows_the_color_style() -> None:
    """Frame's colour validates like DefaultColorStyle at the time of the call (so colours a
    theme adds are accepted) without being a style prop itself."""
    validator = DEFAULT_SHAPE_PROPS["frame"].props
    assert isinstance(validator, dict)
    color = validator["color"]
    assert isinstance(color, FrameColorValidator)
    assert not isinstance(color, StyleProp)
    assert not color.is_valid("brand-purple")
    DefaultColorStyle.add_values("brand-purple")
    try:
        assert color.validate("brand-purple") == "brand-purple"
    finally:
        DefaultColorStyle.remove_values("brand-purple")
    assert not color.is_valid("brand-purple")
