"""Record validators against tldraw's (TLS5–TLS7): accept and reject the same records, with the
same message.

The records are valid records of every non-shape type (and a shape with base fields only), and
systematic mutations of them: each field (one level deep) removed, replaced by values of other
JSON types, an unknown field added, bad ids and types. Each case is validated alone and against
the valid record as the known-good version, in Python and by node's
``schema.validateRecord``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from node_peer import NodePeer
from tldraw_peer import node_ensure_store_is_usable, node_validate, py_validate
from tldraw_samples import SAMPLES

from tlsync_core.store.validators import ValidationError
from tlsync_core.tldraw import (
    create_binding_id,
    create_shape_id,
    create_tldraw_schema,
    to_rich_text,
)
from tlsync_core.tldraw.ids import is_shape, is_shape_id
from tlsync_core.tldraw.misc import id_validator

# values of every JSON kind that a field is replaced by
REPLACEMENTS: list[Any] = [None, "x", "shape:x", 1.5, -1, 0, True, [], {}, ["x"]]


def _variants(value: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``value`` with one field removed or replaced, or an unknown field added."""
    yield {**value, "unknownField": 1}
    for key in value:
        yield {k: v for k, v in value.items() if k != key}
        for replacement in REPLACEMENTS:
            yield {**value, key: replacement}


def mutations(record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The record, then its variants one level deep (nested objects included)."""
    yield record
    for variant in _variants(record):
        if isinstance(variant.get("typeName"), str):  # see test_unknown_type_names
            yield variant
    for key, item in record.items():
        if isinstance(item, dict) and item:
            for variant in _variants(item):
                yield {**record, key: variant}


@pytest.fixture(scope="module")
def valid_records(node_peer: NodePeer) -> list[dict[str, Any]]:
    """The records tldraw's integrity checker creates, plus SAMPLES."""
    return [*node_ensure_store_is_usable(node_peer, []), *SAMPLES]


@pytest.mark.spec("TLS5")
def test_validators_accept_and_reject_like_tldraw(
    node_peer: NodePeer, valid_records: list[dict[str, Any]]
) -> None:
    """For ~3,000 valid and mutated records of every type, validation succeeds or fails as in
    tldraw, with the same message, both alone and against the valid record as known good."""
    schema = create_tldraw_schema()
    cases: list[tuple[Any, Any]] = []
    for record in valid_records:
        for mutated in mutations(record):
            cases += [(mutated, None), (mutated, record)]
    theirs = node_validate(node_peer, cases)
    ours = [py_validate(schema, copy.deepcopy(r), before) for r, before in cases]
    mismatches = [(c, o, t) for c, o, t in zip(cases, ours, theirs, strict=True) if o != t]
    assert not mismatches, f"{len(mismatches)} of {len(cases)} differ, e.g. {mismatches[:3]}"
    rejected = sum(outcome[0] == "error" for outcome in ours)
    assert len(cases) > 2500 and rejected > len(cases) // 2


@pytest.mark.spec("TLS5")
def test_unknown_type_names(node_peer: NodePeer) -> None:
    """A record of an unknown type is "Missing definition for record type X" and an asset
    without object props fails in tldraw's error-report redaction, as in tldraw."""
    schema = create_tldraw_schema()
    cases: list[tuple[Any, Any]] = [
        ({"id": "nope:1", "typeName": "nope"}, None),
        ({"id": "asset:1", "typeName": "asset", "type": "image"}, None),
        ({"id": "asset:1", "typeName": "asset", "type": "image", "props": 1}, None),
        (None, None),
    ]
    ours = [py_validate(schema, r, before) for r, before in cases]
    assert ours == node_validate(node_peer, cases)


@pytest.mark.spec("TLS6")
def test_known_good_validation_returns_the_known_good_record() -> None:
    """Validating an equal copy against the stored record gives the stored record itself."""
    schema = create_tldraw_schema()
    for record in SAMPLES:
        validated = schema.validate_record(None, copy.deepcopy(record), "updateRecord", record)  # type: ignore[arg-type]
        assert validated is record


@pytest.mark.spec("TLS7")
def test_id_validators_report_like_tldraw() -> None:
    """An id of the wrong type is refused with tldraw's message, wrapped as a plain Error one
    level out."""
    with pytest.raises(Exception) as error:
        id_validator("page").validate("shape:a")
    assert str(error.value) == 'page ID must start with "page:"'
    schema = create_tldraw_schema()
    with pytest.raises(ValidationError) as info:
        schema.validate_record(None, {**SAMPLES[1], "id": "page:a"}, "createRecord", None)  # type: ignore[arg-type]
    assert str(info.value) == 'At user.id: Error: user ID must start with "user:"'


@pytest.mark.spec("TLS7")
def test_shape_and_binding_ids() -> None:
    """create_shape_id/create_binding_id prefix the given or a random id; is_shape_id and
    is_shape recognise them, as in tldraw."""
    assert create_shape_id("a") == "shape:a" and create_binding_id("b") == "binding:b"
    assert is_shape_id(create_shape_id()) and not is_shape_id("page:a") and not is_shape_id(None)
    assert create_shape_id() != create_shape_id()
    assert is_shape(SAMPLES[-1]) and not is_shape(SAMPLES[0])


@pytest.mark.spec("TLS7")
def test_to_rich_text_makes_one_paragraph_per_line() -> None:
    """to_rich_text is tldraw's toRichText (its own test cases)."""
    assert to_rich_text("Hello, world!\n\nThis is a test.") == {
        "type": "doc",
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Hello, world!"}]},
            {"type": "paragraph"},
            {"type": "paragraph", "content": [{"type": "text", "text": "This is a test."}]},
        ],
    }
