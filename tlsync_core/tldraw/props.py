"""Records with props: shapes, bindings and assets (``recordsWithProps.ts`` and friends).

A shape, binding or asset type is described by a :class:`ShapeProps` (tldraw's
``SchemaPropsInfo``): validators for its ``props`` (and optionally ``meta``) and its props
migrations. Props migrations (:class:`PropsMigration`) receive and may return the record's
``props`` only; :func:`process_props_migrations` turns them into ordinary record migration
sequences ``com.tldraw.<type>.<subtype>`` that touch records of that type and subtype only.

Also here: :func:`create_shape_validator` / :func:`create_binding_validator` /
:func:`create_asset_validator` (the base record validators of ``TLBaseShape.ts``,
``TLBaseBinding.ts`` and ``TLBaseAsset.ts``) and :func:`get_shape_prop_keys_by_style`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, TypeAlias

import attrs

from tlsync_core.store.jsvalue import js_truthy
from tlsync_core.store.migrations import (
    Migration,
    MigrationSequence,
    StandaloneDependsOn,
    UnknownRecord,
    create_migration_sequence,
)
from tlsync_core.store.records import RecordType
from tlsync_core.store.validators import ObjectValidator, T, Validator
from tlsync_core.tldraw.ids import (
    asset_id_validator,
    binding_id_validator,
    parent_id_validator,
    shape_id_validator,
)
from tlsync_core.tldraw.misc import opacity_validator
from tlsync_core.tldraw.styles import StyleProp

__all__ = [
    "PropsMigration",
    "PropsMigrations",
    "ShapeProps",
    "StandaloneDependsOn",
    "create_asset_validator",
    "create_binding_props_migration_ids",
    "create_binding_props_migration_sequence",
    "create_binding_validator",
    "create_props_migration",
    "create_shape_props_migration_ids",
    "create_shape_props_migration_sequence",
    "create_shape_validator",
    "get_shape_prop_keys_by_style",
    "process_props_migrations",
]

PropsDown: TypeAlias = Callable[[Any], Any] | Literal["none", "retired"] | None
"""A props migration's down: a function, or ``"none"``/``"retired"``/None for no down."""


def _to_ids(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError(f"depends_on must be a collection of migration ids, not {value!r}")
    return tuple(value)


@attrs.frozen
class PropsMigration:
    """One props migration (tldraw's ``TLPropsMigration``).

    ``up(props)`` (and a callable ``down(props)``) mutate the props or return new ones; a
    falsy result (None) keeps the mutated props.
    """

    id: str
    up: Callable[[Any], Any]
    down: PropsDown = None
    depends_on: tuple[str, ...] = attrs.field(default=(), converter=_to_ids)


@attrs.frozen
class PropsMigrations:
    """A props migration sequence (tldraw's ``TLPropsMigrations``) before it gets its id."""

    sequence: tuple[PropsMigration | StandaloneDependsOn, ...]


PropsValidators: TypeAlias = Mapping[str, Validator[Any]]


@attrs.frozen
class ShapeProps:
    """A shape, binding or asset type: tldraw's ``SchemaPropsInfo``.

    ``props``: a validator per prop (None accepts any JSON value; an asset may also give one
    validator for the whole props). ``migrations``: its props migrations, a finished
    :class:`MigrationSequence` (whose id must be ``com.tldraw.<type>.<subtype>``) or None for
    an empty sequence. ``meta``: validators for ``meta`` (None accepts any JSON value).
    """

    props: PropsValidators | Validator[Any] | None
    migrations: PropsMigrations | MigrationSequence | None = None
    meta: PropsValidators | None = None


def create_shape_props_migration_sequence(
    sequence: Iterable[PropsMigration | StandaloneDependsOn],
) -> PropsMigrations:
    """A shape's props migrations (ids from :func:`create_shape_props_migration_ids`)."""
    return PropsMigrations(tuple(sequence))


create_binding_props_migration_sequence = create_shape_props_migration_sequence
"""A binding's props migrations (ids from :func:`create_binding_props_migration_ids`)."""


def create_shape_props_migration_ids(shape_type: str, ids: Mapping[str, int]) -> dict[str, str]:
    """Name -> ``"com.tldraw.shape.<shape_type>/<version>"``."""
    return {name: f"com.tldraw.shape.{shape_type}/{v}" for name, v in ids.items()}


def create_binding_props_migration_ids(binding_type: str, ids: Mapping[str, int]) -> dict[str, str]:
    """Name -> ``"com.tldraw.binding.<binding_type>/<version>"``."""
    return {name: f"com.tldraw.binding.{binding_type}/{v}" for name, v in ids.items()}


def _subtype_filter(type_name: str, sub_type: str) -> Callable[[UnknownRecord], bool]:
    def accepts(record: UnknownRecord) -> bool:
        return record.get("typeName") == type_name and record.get("type") == sub_type

    return accepts


def _on_props(fn: Callable[[Any], Any]) -> Callable[[UnknownRecord], None]:
    def migrate(record: UnknownRecord) -> None:
        result = fn(record["props"])
        if js_truthy(result):
            record["props"] = result

    return migrate


def create_props_migration(type_name: str, sub_type: str, m: PropsMigration) -> Migration:
    """The record migration that runs ``m`` on the props of ``type_name``/``sub_type`` records."""
    return Migration(
        m.id,
        "record",
        _on_props(m.up),
        _on_props(m.down) if callable(m.down) else None,
        filter=_subtype_filter(type_name, sub_type),
        depends_on=m.depends_on,
    )


def process_props_migrations(
    type_name: str, records: Mapping[str, ShapeProps]
) -> list[MigrationSequence]:
    """One sequence ``com.tldraw.<type_name>.<subtype>`` per subtype, in the given order."""
    result: list[MigrationSequence] = []
    for sub_type, info in records.items():
        sequence_id = f"com.tldraw.{type_name}.{sub_type}"
        migrations = info.migrations
        if migrations is None:
            result.append(create_migration_sequence(sequence_id, []))
        elif isinstance(migrations, MigrationSequence):
            if migrations.sequence_id != sequence_id:
                raise ValueError(
                    f"sequenceId mismatch for {sub_type} {type_name} migrations. "
                    f"Expected '{sequence_id}', got '{migrations.sequence_id}'"
                )
            result.append(migrations)
        else:
            result.append(
                create_migration_sequence(
                    sequence_id,
                    [
                        create_props_migration(type_name, sub_type, m)
                        if isinstance(m, PropsMigration)
                        else m
                        for m in migrations.sequence
                    ],
                )
            )
    return result


def _object_or_json(validators: PropsValidators | Validator[Any] | None) -> Validator[Any]:
    if validators is None:
        return T.json_value
    if isinstance(validators, Validator):
        return validators
    return T.object(validators)


def create_shape_validator(
    shape_type: str,
    props: PropsValidators | Validator[Any] | None = None,
    meta: PropsValidators | None = None,
) -> ObjectValidator:
    """The validator of a ``shape_type`` shape record (``TLBaseShape.ts``)."""
    return T.object(
        {
            "id": shape_id_validator,
            "typeName": T.literal("shape"),
            "x": T.number,
            "y": T.number,
            "rotation": T.number,
            "index": T.index_key,
            "parentId": parent_id_validator,
            "type": T.literal(shape_type),
            "isLocked": T.boolean,
            "opacity": opacity_validator,
            "props": _object_or_json(props),
            "meta": _object_or_json(meta),
        }
    )


def create_binding_validator(
    binding_type: str,
    props: PropsValidators | Validator[Any] | None = None,
    meta: PropsValidators | None = None,
) -> ObjectValidator:
    """The validator of a ``binding_type`` binding record (``TLBaseBinding.ts``)."""
    return T.object(
        {
            "id": binding_id_validator,
            "typeName": T.literal("binding"),
            "type": T.literal(binding_type),
            "fromId": shape_id_validator,
            "toId": shape_id_validator,
            "props": _object_or_json(props),
            "meta": _object_or_json(meta),
        }
    )


def create_asset_validator(
    asset_type: str,
    props: PropsValidators | Validator[Any] | None = None,
    meta: PropsValidators | None = None,
) -> ObjectValidator:
    """The validator of an ``asset_type`` asset record (``TLBaseAsset.ts``)."""
    return T.object(
        {
            "id": asset_id_validator,
            "typeName": T.literal("asset"),
            "type": T.literal(asset_type),
            "props": _object_or_json(props),
            "meta": _object_or_json(meta),
        }
    )


def get_shape_prop_keys_by_style(props: PropsValidators) -> dict[StyleProp[Any], str]:
    """Each style prop among ``props`` -> its prop name; a style used twice is an error."""
    keys: dict[StyleProp[Any], str] = {}
    for key, prop in props.items():
        if isinstance(prop, StyleProp):
            if prop in keys:
                raise ValueError(
                    f"Duplicate style prop {prop.id}. "
                    "Each style prop can only be used once within a shape."
                )
            keys[prop] = key
    return keys


SubtypeValidatorFactory: TypeAlias = Callable[
    [str, "PropsValidators | Validator[Any] | None", "PropsValidators | None"], Validator[Any]
]


def create_subtyped_record_type(
    type_name: str,
    subtypes: Mapping[str, ShapeProps],
    create_validator: SubtypeValidatorFactory,
    defaults: Mapping[str, Any],
) -> RecordType:
    """A document record type whose ``type`` picks the props validator of one of ``subtypes``
    (tldraw's shape, binding and asset record types); ``defaults`` are its default properties
    (copied for each record)."""
    return RecordType(
        type_name,
        scope="document",
        validator=T.model(
            type_name,
            T.union(
                "type",
                {
                    subtype: create_validator(subtype, info.props, info.meta)
                    for subtype, info in subtypes.items()
                },
            ),
        ),
        default_properties=lambda: copy.deepcopy(dict(defaults)),
    )
