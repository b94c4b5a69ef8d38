"""Helpers so a bot writes only what it cares about: shapes, arrows, pages and presence made
the way tldraw 5.4.2's editor makes them.

Every writing helper takes a :class:`~tlsync_core.store.store.Store` with the tldraw schema,
does its work in one store operation (one diff, so one push of a sync client) and returns what
it wrote. Keyword arguments use tldraw's prop names in snake_case (``vertical_align`` for
``verticalAlign``); ``props=`` passes any prop as tldraw names it. Ids come from
``create_shape_id()`` & co. and indices are jittered, so bots writing at once do not collide.

Modules: :mod:`.shapes` (``create_geo``, ``create_text``, ``create_note``, ``create_frame``,
``create_line``, ``create_draw``, ``create_highlight``, ``create_shape``), :mod:`.arrows`
(``create_arrow`` and its bindings), :mod:`.edit` (``move``, ``translate``, ``resize``,
``reparent``, ``delete``, ``set_text``, ``update_props``, ``remove_dangling_bindings``),
:mod:`.arrange` (z-order, ``group``/``ungroup``, ``align``, ``distribute``, ``stack``,
``duplicate``, ``rotate``, ``frame_around``), :mod:`.query` (``page_bounds``,
``shapes_at_point``, ``shapes_in_bounds``, ``connections``, ``frame_of``, ``frame_members``),
:mod:`.text` (``get_text``), :mod:`.pages` (``create_page``, ``current_page_id``,
``shapes_on_page``), :mod:`.presence` (``presence_record``), :mod:`.defaults` (tldraw's
default props), :mod:`.tree`, :mod:`.geometry`, :mod:`.shape_geometry`, :mod:`.geo_paths`,
:mod:`.freehand`, :mod:`.arrow_geometry` and :mod:`.reparenting` (the shape tree, transforms,
shapes' geometry as tldraw computes it, moving between parents), :mod:`.text_layout` and
:mod:`.sizing` (text measured with tldraw's fonts, shapes sized to their text).
"""

from tlsync_core.tldraw.helpers.arrange import (
    align,
    bring_forward,
    bring_to_front,
    distribute,
    duplicate,
    frame_around,
    group,
    rotate,
    send_backward,
    send_to_back,
    stack,
    ungroup,
)
from tlsync_core.tldraw.helpers.arrows import (
    ArrowEnd,
    ArrowTarget,
    arrow_bindings,
    bindings_involving,
    create_arrow,
)
from tlsync_core.tldraw.helpers.defaults import SHAPE_DEFAULT_PROPS, default_props
from tlsync_core.tldraw.helpers.edit import (
    delete,
    move,
    remove_dangling_bindings,
    reparent,
    resize,
    set_text,
    translate,
    update_props,
)
from tlsync_core.tldraw.helpers.geometry import Box, Transform
from tlsync_core.tldraw.helpers.pages import create_page, current_page_id, shapes_on_page
from tlsync_core.tldraw.helpers.presence import presence_record
from tlsync_core.tldraw.helpers.query import (
    Connection,
    connections,
    frame_members,
    frame_of,
    page_bounds,
    shapes_at_point,
    shapes_in_bounds,
)
from tlsync_core.tldraw.helpers.shapes import (
    Point,
    ShapeOptions,
    create_draw,
    create_frame,
    create_geo,
    create_highlight,
    create_line,
    create_note,
    create_shape,
    create_text,
)
from tlsync_core.tldraw.helpers.text import get_text
from tlsync_core.tldraw.helpers.tree import children, page_id_of, page_transform

__all__ = [
    "SHAPE_DEFAULT_PROPS",
    "ArrowEnd",
    "ArrowTarget",
    "Box",
    "Connection",
    "Point",
    "ShapeOptions",
    "Transform",
    "align",
    "arrow_bindings",
    "bindings_involving",
    "bring_forward",
    "bring_to_front",
    "children",
    "connections",
    "create_arrow",
    "create_draw",
    "create_frame",
    "create_geo",
    "create_highlight",
    "create_line",
    "create_note",
    "create_page",
    "create_shape",
    "create_text",
    "current_page_id",
    "default_props",
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
    "page_id_of",
    "page_transform",
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
    "translate",
    "ungroup",
    "update_props",
]
