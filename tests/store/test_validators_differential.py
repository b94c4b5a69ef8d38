"""Differential tests: tlsync's validators against @tldraw/validate 5.4.2 running in node.

Hypothesis draws validator trees (tests/store/validator_descriptions.py: leaves, literals,
enums, nullable, optional, arrays, objects, extend, dicts, unions, models, or) and values that
mostly fit them with noise at every level; both sides validate the same JSON and must agree on
acceptance, on the error message text, and on which object comes back (the input, or the
known-good value). The runs are derandomized, so every run checks the same cases.

NaN and the infinities cannot travel through JSON; test_validators.py covers them in Python.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from node_peer import NodePeer
from validator_descriptions import (
    INDEX_KEYS,
    JSON_VALUES,
    NUMBERS,
    URLS,
    Description,
    build_validator,
    comparable,
    descriptions,
    json_copy,
    run_python,
    values_for,
)

from tlsync_core.store.jsvalue import (
    UNDEFINED,
    json_stringify,
    own_keys,
    to_string,
    typeof,
    utf16_length,
)
from tlsync_core.store.url_parsing import parse_url_protocol

DIFFERENTIAL = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _payload(value: object) -> dict[str, Any]:
    return {} if value is UNDEFINED else {"value": value}


def _check_same_verdict(node_peer: NodePeer, description: Description, value: object) -> None:
    validator = build_validator(description)
    node = node_peer.call("validate", validator=description, **_payload(value))
    python = run_python(validator, json_copy(value))
    assert python == comparable(node), (description, value)


@DIFFERENTIAL
@given(data=st.data())
def test_validate_agrees_with_tldraw(node_peer: NodePeer, data: st.DataObject) -> None:
    """For random validator trees and values, validate() accepts exactly what tldraw accepts,
    fails with tldraw's exact message otherwise, and returns the input itself."""
    description = data.draw(descriptions(), label="validator")
    value = data.draw(values_for(description), label="value")
    _check_same_verdict(node_peer, description, value)


@DIFFERENTIAL
@given(data=st.data())
def test_validate_agrees_on_arbitrary_json(node_peer: NodePeer, data: st.DataObject) -> None:
    """Arbitrary JSON (not shaped after the validator) gets the same verdict and message."""
    description = data.draw(descriptions(), label="validator")
    value = data.draw(JSON_VALUES, label="value")
    _check_same_verdict(node_peer, description, value)


@DIFFERENTIAL
@given(data=st.data())
def test_known_good_validation_agrees_with_tldraw(node_peer: NodePeer, data: st.DataObject) -> None:
    """validate_using_known_good_version agrees with tldraw on the verdict, the message, and
    whether the known-good object itself comes back: for an equal copy, for a noisy variant
    of it, and for an unrelated value."""
    description = data.draw(descriptions(), label="validator")
    validator = build_validator(description)
    known_good = data.draw(values_for(description, noise=0), label="known good")
    kind = data.draw(st.sampled_from(["copy", "noisy", "other"]), label="new value kind")
    if kind == "copy":
        new_value = json_copy(known_good)
    elif kind == "noisy":
        new_value = data.draw(values_for(description, noise=4), label="new value")
    else:
        new_value = data.draw(JSON_VALUES, label="new value")
    if known_good is UNDEFINED:
        return  # the node side cannot tell an absent known-good value from none
    cases = [{"value": known_good}, {"knownGood": known_good, **_payload(new_value)}]
    node_first, node_second = node_peer.call("validateMany", validator=description, cases=cases)
    python_first = run_python(validator, json_copy(known_good))
    assert python_first == comparable(node_first), (description, known_good)
    if not node_first["ok"]:
        return  # a known-good value must be valid
    python_second = run_python(validator, json_copy(new_value), json_copy(known_good))
    assert python_second == comparable(node_second), (description, known_good, new_value)


@DIFFERENTIAL
@given(value=JSON_VALUES)
def test_js_view_of_values_agrees_with_node(node_peer: NodePeer, value: object) -> None:
    """typeof, String(v), JSON.stringify(v), key order and string length, as node computes them."""
    node = node_peer.call("jsView", value=value)
    python_value = json_copy(value)
    assert typeof(python_value) == node["typeof"]
    try:
        assert to_string(python_value) == node["string"]
    except TypeError as err:
        assert node["string"] == {"error": f"TypeError: {err}"}
    assert json_stringify(python_value) == node["json"]
    if isinstance(python_value, dict | list):
        assert list(own_keys(python_value)) == node["keys"]
    if isinstance(python_value, str):
        assert utf16_length(python_value) == node["length"]


@DIFFERENTIAL
@given(number=NUMBERS)
def test_number_formatting_agrees_with_node(node_peer: NodePeer, number: float) -> None:
    """Numbers print as JavaScript prints them (shortest digits, e+21 / e-7 thresholds)."""
    node = node_peer.call("jsView", value=number)
    assert to_string(json_copy(number)) == node["string"]


@DIFFERENTIAL
@given(texts=st.lists(URLS, min_size=1, max_size=20))
def test_url_parsing_agrees_with_node(node_peer: NodePeer, texts: list[str]) -> None:
    """new URL(text) succeeds or fails as parse_url_protocol says, with the same protocol,
    and likewise relative to http://example.com for the strings tldraw retries that way."""
    results = node_peer.call("parseUrls", texts=texts)
    for text, result in zip(texts, results, strict=True):
        assert parse_url_protocol(text) == result["protocol"], text
    relative = [text for text in texts if text.startswith(("/", "./"))]
    if relative:
        results = node_peer.call("parseUrls", texts=relative, base="http://example.com")
        for text, result in zip(relative, results, strict=True):
            assert parse_url_protocol(text, relative_to_http=True) == result["protocol"], text


@DIFFERENTIAL
@given(key=st.one_of(INDEX_KEYS, st.text(max_size=4)))
def test_index_keys_agree_with_tldraw(node_peer: NodePeer, key: str) -> None:
    """T.index_key accepts exactly the keys tldraw's validateIndexKey accepts."""
    _check_same_verdict(node_peer, "indexKey", key)


@pytest.mark.parametrize(
    "description",
    [
        {"kind": "literal", "value": 0},
        {"kind": "literalEnum", "values": [0, "a", None, True]},
        "number",
        "integer",
        {"kind": "union", "key": "type", "variants": {"1": "unknownObject", "0": "unknownObject"}},
    ],
)
@pytest.mark.parametrize(
    "value", [-0.0, 0, 1.0, True, None, "0", [], {}, [0], {"type": "2"}, {"1": 1, "0": 0, "a": 1}]
)
def test_edge_values_agree_with_tldraw(
    node_peer: NodePeer, description: Description, value: object
) -> None:
    """Hand-picked edge cases (signed zero, bool vs number, lists as objects, integer-like
    keys) get tldraw's verdict and message."""
    _check_same_verdict(node_peer, description, value)
