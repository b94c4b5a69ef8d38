"""Bindings: the binding record type and the arrow binding (``records/TLBinding.ts``,
``bindings/*.ts``).

Like shapes, bindings are one record type, ``binding``, whose ``type`` picks the props
validator; an arrow binding ties an end of an arrow shape (``fromId``) to a shape (``toId``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from tlsync_core.store.migrations import StandaloneDependsOn
from tlsync_core.store.records import RecordType
from tlsync_core.store.validators import T, Validator
from tlsync_core.tldraw.misc import vec_model_validator
from tlsync_core.tldraw.props import (
    PropsMigration,
    ShapeProps,
    create_binding_props_migration_ids,
    create_binding_props_migration_sequence,
    create_binding_validator,
    create_shape_props_migration_ids,
    create_subtyped_record_type,
)

__all__ = [
    "DEFAULT_BINDING_PROPS",
    "ElbowArrowSnap",
    "arrow_binding_migrations",
    "arrow_binding_props",
    "arrow_binding_versions",
    "create_binding_record_type",
]


def create_binding_record_type(bindings: Mapping[str, ShapeProps]) -> RecordType:
    """The ``binding`` record type for these binding types (a union on ``type``)."""
    return create_subtyped_record_type("binding", bindings, create_binding_validator, {"meta": {}})


ElbowArrowSnap: Final = T.literal_enum("center", "edge-point", "edge", "none")

arrow_binding_props: Final[dict[str, Validator[Any]]] = {
    "terminal": T.literal_enum("start", "end"),
    "normalizedAnchor": vec_model_validator,
    "isExact": T.boolean,
    "isPrecise": T.boolean,
    "snap": ElbowArrowSnap,
}

arrow_binding_versions: Final = create_binding_props_migration_ids("arrow", {"AddSnap": 1})
_ARROW_EXTRACT_BINDINGS: Final = create_shape_props_migration_ids("arrow", {"ExtractBindings": 4})


def _add_snap(props: dict[str, Any]) -> None:
    props["snap"] = "none"


def _remove_snap(props: dict[str, Any]) -> None:
    props.pop("snap", None)


arrow_binding_migrations: Final = create_binding_props_migration_sequence(
    [
        StandaloneDependsOn([_ARROW_EXTRACT_BINDINGS["ExtractBindings"]]),
        PropsMigration(arrow_binding_versions["AddSnap"], _add_snap, _remove_snap),
    ]
)

DEFAULT_BINDING_PROPS: Final = {"arrow": ShapeProps(arrow_binding_props, arrow_binding_migrations)}
"""tldraw's ``defaultBindingSchemas``."""
