"""create_tldraw_schema(): the same schema as tldraw 5.4.2's createTLSchema() (TLS1–TLS4)."""

from __future__ import annotations

from typing import Any

import pytest
from node_peer import NodePeer

from tlsync_core.store.migrations import create_migration_sequence
from tlsync_core.store.validators import T
from tlsync_core.tldraw import CustomRecordInfo, ShapeProps, StyleProp, create_tldraw_schema
from tlsync_core.tldraw.generated import RECORD_TYPES, SORTED_MIGRATION_IDS, STYLES
from tlsync_core.tldraw.props import PropsMigration, PropsMigrations
from tlsync_core.tldraw.shapes import DEFAULT_SHAPE_PROPS
from tlsync_core.tldraw.styles import DefaultColorStyle, EnumStyleProp, default_style_props


@pytest.mark.spec("TLS1")
def test_serialize_equals_tldraws(node_peer: NodePeer) -> None:
    """serialize() is node's createTLSchema().serialize(), sequence order included."""
    ours = create_tldraw_schema().serialize()
    theirs = node_peer.call("tldrawSerializeSchema")
    assert ours == theirs
    assert list(ours["sequences"]) == list(theirs["sequences"])


@pytest.mark.spec("TLS1")
def test_migrations_run_in_tldraws_order() -> None:
    """All 134 migrations of the default schema sort into tldraw's order."""
    schema = create_tldraw_schema()
    assert [m.id for m in schema.sorted_migrations] == list(SORTED_MIGRATION_IDS)


@pytest.mark.spec("TLS2")
def test_record_types_have_tldraws_scopes_defaults_and_ephemeral_keys() -> None:
    """Every record type of tldraw's schema, and only those, with its scope, default
    properties and ephemeral keys (the generated data is node's)."""
    schema = create_tldraw_schema()
    assert sorted(schema.types) == sorted(RECORD_TYPES)
    for name, expected in RECORD_TYPES.items():
        record_type = schema.types[name]
        assert record_type.scope == expected["scope"], name
        assert record_type.default_properties() == expected["defaults"], name
        assert record_type.ephemeral_keys == frozenset(expected["ephemeral_keys"]), name


@pytest.mark.spec("TLS3")
def test_style_props_are_tldraws() -> None:
    """Every enum style prop has tldraw's id, default and values, in order."""
    styles = default_style_props()
    assert sorted(styles) == sorted(STYLES)
    for style_id, style in styles.items():
        assert style.default_value == STYLES[style_id]["default"]
        assert style.values == STYLES[style_id]["values"]


@pytest.mark.spec("TLS3")
def test_enum_style_props_validate_like_literal_enums() -> None:
    """A style prop validates its values and rejects others with T.literalEnum's message;
    values can be added and removed, and the validator follows."""
    style = StyleProp.define_enum("test:size", default_value="s", values=["s", "m"])
    assert isinstance(style, EnumStyleProp)
    assert style.validate("m") == "m"
    with pytest.raises(T.ValidationError, match='Expected "s" or "m", got l'):
        style.validate("l")
    style.add_values("l", "m")
    style.remove_values("s")
    assert style.values == ["m", "l"]
    assert style.validate("l") == "l"
    assert not style.is_valid("s")


@pytest.mark.spec("TLS4")
def test_custom_records_and_migrations_join_the_schema() -> None:
    """Custom record types get a sequence com.tldraw.<name> (props-style migrations receive
    the whole record) and extra sequences are appended, as createTLSchema does."""

    def up(record: dict[str, Any]) -> None:
        record["n"] = 1

    schema = create_tldraw_schema(
        records={
            "counter": CustomRecordInfo(
                scope="document",
                validator=T.object({"id": T.string, "typeName": T.string, "n": T.number}),
                migrations=PropsMigrations((PropsMigration("com.tldraw.counter/1", up),)),
            )
        },
        migrations=[create_migration_sequence("extra", [])],
    )
    sequences = schema.serialize()["sequences"]
    assert list(sequences)[-2:] == ["com.tldraw.counter", "extra"]
    assert sequences["com.tldraw.counter"] == 1
    record = {"id": "counter:a", "typeName": "counter"}
    migrated = schema.migrate_persisted_record(
        record, {"schemaVersion": 2, "sequences": {**sequences, "com.tldraw.counter": 0}}
    )
    assert migrated.ok and migrated.value == {**record, "n": 1}


@pytest.mark.spec("TLS4")
def test_custom_shapes_get_a_props_sequence_and_a_validator() -> None:
    """A shape type without migrations gets the empty sequence com.tldraw.shape.<type>, and
    its records are validated by the base shape validator with its props."""
    schema = create_tldraw_schema(
        shapes={**DEFAULT_SHAPE_PROPS, "mine": ShapeProps({"n": T.number})}
    )
    assert schema.serialize()["sequences"]["com.tldraw.shape.mine"] == 0
    shape = schema.types["shape"].create(
        id="shape:m", type="mine", index="a1", parentId="page:p", props={"n": 1}
    )
    assert shape["opacity"] == 1 and shape["props"] == {"n": 1}
    with pytest.raises(
        T.ValidationError, match=r"At shape\(type = mine\).props.n: Expected number"
    ):
        schema.types["shape"].validate({**shape, "props": {"n": "1"}})


@pytest.mark.spec("TLS4")
def test_schema_options_are_checked_as_in_tldraw() -> None:
    """Built-in type names are refused for custom records, two style props may not share an
    id, and a props sequence must be named com.tldraw.<type>.<subtype>."""
    with pytest.raises(ValueError, match="conflicts with tldraw's built-in record type"):
        create_tldraw_schema(records={"page": CustomRecordInfo("document", T.any)})
    impostor = StyleProp.define_enum("tldraw:color", default_value="x", values=["x"])
    with pytest.raises(ValueError, match="Multiple StyleProp instances with the same id"):
        create_tldraw_schema(shapes={**DEFAULT_SHAPE_PROPS, "mine": ShapeProps({"c": impostor})})
    with pytest.raises(ValueError, match="Duplicate style prop tldraw:color"):
        create_tldraw_schema(
            shapes={"mine": ShapeProps({"a": DefaultColorStyle, "b": DefaultColorStyle})},
            bindings={},
        )
    with pytest.raises(ValueError, match="sequenceId mismatch"):
        create_tldraw_schema(
            shapes={"mine": ShapeProps({}, create_migration_sequence("wrong", []))}, bindings={}
        )
