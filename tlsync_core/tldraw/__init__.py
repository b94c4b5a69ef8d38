"""tldraw 5.4.2's record schema (``@tldraw/tlschema``) in Python.

``create_tldraw_schema()`` is tldraw's default schema: the same record types, validators
(with tldraw's error messages), default properties, migrations and ``serialize()``.

Modules: :mod:`~tlsync_core.tldraw.schema` (``create_tldraw_schema``),
:mod:`~tlsync_core.tldraw.styles` (style props), :mod:`~tlsync_core.tldraw.misc` (shared
validators), :mod:`~tlsync_core.tldraw.ids` (record ids), :mod:`~tlsync_core.tldraw.props`
(shapes, bindings and assets: props validators and props migrations),
:mod:`~tlsync_core.tldraw.records`, :mod:`~tlsync_core.tldraw.instance`,
:mod:`~tlsync_core.tldraw.shape`, :mod:`~tlsync_core.tldraw.assets`,
:mod:`~tlsync_core.tldraw.bindings`, :mod:`~tlsync_core.tldraw.store_migrations` (record types
and migrations), :mod:`~tlsync_core.tldraw.tlstore` (integrity checker),
:mod:`~tlsync_core.tldraw.shapes` (the default shapes) and :mod:`~tlsync_core.tldraw.generated`
(data read from tldraw itself by ``scripts/gen-tldraw-data``).
"""

from tlsync_core.tldraw.ids import (
    TLDOCUMENT_ID,
    TLINSTANCE_ID,
    TLPOINTER_ID,
    create_binding_id,
    create_shape_id,
)
from tlsync_core.tldraw.misc import to_rich_text
from tlsync_core.tldraw.props import ShapeProps
from tlsync_core.tldraw.schema import CustomRecordInfo, create_tldraw_schema
from tlsync_core.tldraw.styles import StyleProp

__all__ = [
    "TLDOCUMENT_ID",
    "TLINSTANCE_ID",
    "TLPOINTER_ID",
    "CustomRecordInfo",
    "ShapeProps",
    "StyleProp",
    "create_binding_id",
    "create_shape_id",
    "create_tldraw_schema",
    "to_rich_text",
]
