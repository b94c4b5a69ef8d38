"""``create_tldraw_schema()``: tldraw's ``createTLSchema`` (``createTLSchema.ts``).

With no arguments it is tldraw 5.4.2's default schema: the same record types, validators,
migrations and ``serialize()``. Shapes, bindings and assets may be replaced, and custom record
types and extra migration sequences added, as in tldraw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from tlsync_core.store.jsvalue import js_truthy
from tlsync_core.store.migrations import (
    Migration,
    MigrationSequence,
    UnknownRecord,
    create_migration_sequence,
)
from tlsync_core.store.records import RecordScope, RecordType
from tlsync_core.store.schema import StoreSchema
from tlsync_core.store.validators import Validator
from tlsync_core.tldraw.assets import (
    DEFAULT_ASSET_PROPS,
    asset_migrations,
    create_asset_record_type,
)
from tlsync_core.tldraw.bindings import DEFAULT_BINDING_PROPS, create_binding_record_type
from tlsync_core.tldraw.instance import create_instance_record_type, instance_migrations
from tlsync_core.tldraw.props import (
    PropsMigration,
    PropsMigrations,
    ShapeProps,
    get_shape_prop_keys_by_style,
    process_props_migrations,
)
from tlsync_core.tldraw.records import (
    CameraRecordType,
    DocumentRecordType,
    InstancePageStateRecordType,
    InstancePresenceRecordType,
    PageRecordType,
    PointerRecordType,
    UserRecordType,
    camera_migrations,
    document_migrations,
    instance_page_state_migrations,
    instance_presence_migrations,
    page_migrations,
    pointer_migrations,
    user_migrations,
)
from tlsync_core.tldraw.shape import create_shape_record_type, root_shape_migrations
from tlsync_core.tldraw.shapes import DEFAULT_SHAPE_PROPS
from tlsync_core.tldraw.store_migrations import store_migrations
from tlsync_core.tldraw.styles import StyleProp
from tlsync_core.tldraw.tlstore import create_integrity_checker, on_validation_failure

__all__ = ["BUILT_IN_TYPE_NAMES", "CustomRecordInfo", "create_tldraw_schema"]

BUILT_IN_TYPE_NAMES = frozenset(
    {
        "asset",
        "binding",
        "camera",
        "document",
        "instance",
        "instance_page_state",
        "page",
        "instance_presence",
        "pointer",
        "shape",
        "store",
        "user",
    }
)
"""Names a custom record type may not take."""


@attrs.frozen
class CustomRecordInfo:
    """A custom record type (tldraw's ``CustomRecordInfo``).

    ``migrations``: a sequence ``com.tldraw.<type name>`` or :class:`PropsMigrations` whose
    migrators receive the whole record (not just props); None for none.
    """

    scope: RecordScope
    validator: Validator[Any]
    migrations: MigrationSequence | PropsMigrations | None = None
    create_default_properties: Callable[[], Mapping[str, Any]] | None = None


def _styles_by_id(shapes: Mapping[str, ShapeProps]) -> dict[str, StyleProp[Any]]:
    styles: dict[str, StyleProp[Any]] = {}
    for info in shapes.values():
        if not isinstance(info.props, Mapping):
            continue
        for style in get_shape_prop_keys_by_style(info.props):
            if styles.get(style.id, style) is not style:
                raise ValueError(f"Multiple StyleProp instances with the same id: {style.id}")
            styles[style.id] = style
    return styles


def _whole_record(fn: Callable[[Any], Any]) -> Callable[[UnknownRecord], Any]:
    """A custom record migrator: ``fn``'s result replaces the record when it is truthy."""

    def migrate(record: UnknownRecord) -> Any:
        result = fn(record)
        return result if js_truthy(result) else None

    return migrate


def _custom_record_migrations(type_name: str, info: CustomRecordInfo) -> MigrationSequence:
    sequence_id = f"com.tldraw.{type_name}"
    migrations = info.migrations
    if migrations is None:
        return create_migration_sequence(sequence_id, [])
    if isinstance(migrations, MigrationSequence):
        if migrations.sequence_id != sequence_id:
            raise ValueError(
                f"sequenceId mismatch for {type_name} custom record migrations. "
                f"Expected '{sequence_id}', got '{migrations.sequence_id}'"
            )
        return migrations
    return create_migration_sequence(
        sequence_id,
        [
            Migration(
                m.id,
                "record",
                _whole_record(m.up),
                _whole_record(m.down) if callable(m.down) else None,
                filter=lambda r: r.get("typeName") == type_name,
                depends_on=m.depends_on,
            )
            if isinstance(m, PropsMigration)
            else m
            for m in migrations.sequence
        ],
    )


def create_tldraw_schema(
    *,
    shapes: Mapping[str, ShapeProps] | None = None,
    bindings: Mapping[str, ShapeProps] | None = None,
    assets: Mapping[str, ShapeProps] | None = None,
    records: Mapping[str, CustomRecordInfo] | None = None,
    migrations: Iterable[MigrationSequence] = (),
) -> StoreSchema:
    """tldraw's schema for these shapes, bindings and assets (tldraw's defaults when None),
    plus custom record types and extra migration sequences."""
    shapes = DEFAULT_SHAPE_PROPS if shapes is None else shapes
    bindings = DEFAULT_BINDING_PROPS if bindings is None else bindings
    assets = DEFAULT_ASSET_PROPS if assets is None else assets
    records = records or {}
    for type_name in records:
        if type_name in BUILT_IN_TYPE_NAMES:
            raise ValueError(
                f"Custom record type name '{type_name}' conflicts with tldraw's built-in record "
                "type of that name. Choose a different name instead."
            )
    types: list[RecordType] = [
        create_asset_record_type(assets),
        create_binding_record_type(bindings),
        CameraRecordType,
        DocumentRecordType,
        create_instance_record_type(_styles_by_id(shapes)),
        InstancePageStateRecordType,
        PageRecordType,
        InstancePresenceRecordType,
        PointerRecordType,
        create_shape_record_type(shapes),
        UserRecordType,
        *(
            RecordType(
                type_name,
                scope=info.scope,
                validator=info.validator,
                default_properties=info.create_default_properties,
            )
            for type_name, info in records.items()
        ),
    ]
    return StoreSchema.create(
        types,
        migrations=[
            store_migrations,
            asset_migrations,
            camera_migrations,
            document_migrations,
            instance_migrations,
            instance_page_state_migrations,
            page_migrations,
            instance_presence_migrations,
            pointer_migrations,
            root_shape_migrations,
            user_migrations,
            *process_props_migrations("asset", assets),
            *process_props_migrations("shape", shapes),
            *process_props_migrations("binding", bindings),
            *(_custom_record_migrations(name, info) for name, info in records.items()),
            *migrations,
        ],
        on_validation_failure=on_validation_failure,
        create_integrity_checker=create_integrity_checker,
    )
