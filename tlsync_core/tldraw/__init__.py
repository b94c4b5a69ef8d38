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

:mod:`~tlsync_core.tldraw.theme` holds the default theme's colours and sizes.  Pictures of the
records are drawn by :mod:`tlsync_core.views`, a layer above this one.
"""

from tlsync_core.tldraw.helpers import (
    ArrowTarget,
    Box,
    Connection,
    align,
    bring_forward,
    bring_to_front,
    connections,
    create_arrow,
    create_draw,
    create_frame,
    create_geo,
    create_highlight,
    create_line,
    create_note,
    create_page,
    create_shape,
    create_text,
    current_page_id,
    delete,
    distribute,
    duplicate,
    frame_around,
    frame_members,
    frame_of,
    get_text,
    group,
    move,
    page_bounds,
    presence_record,
    remove_dangling_bindings,
    reparent,
    resize,
    rotate,
    send_backward,
    send_to_back,
    set_text,
    shapes_at_point,
    shapes_in_bounds,
    shapes_on_page,
    stack,
    translate,
    ungroup,
    update_props,
)
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
    "ArrowTarget",
    "Box",
    "Connection",
    "CustomRecordInfo",
    "ShapeProps",
    "StyleProp",
    "align",
    "bring_forward",
    "bring_to_front",
    "connections",
    "create_arrow",
    "create_binding_id",
    "create_draw",
    "create_frame",
    "create_geo",
    "create_highlight",
    "create_line",
    "create_note",
    "create_page",
    "create_shape",
    "create_shape_id",
    "create_text",
    "create_tldraw_schema",
    "current_page_id",
    "delete",
    "distribute",
    "duplicate",
    "frame_around",
    "frame_members",
    "frame_of",
    "get_text",
    "group",
    "move",
    "page_bounds",
    "presence_record",
    "remove_dangling_bindings",
    "reparent",
    "resize",
    "rotate",
    "send_backward",
    "send_to_back",
    "set_text",
    "shapes_at_point",
    "shapes_in_bounds",
    "shapes_on_page",
    "stack",
    "to_rich_text",
    "translate",
    "ungroup",
    "update_props",
]
