"""Shared validators and helpers of the tldraw schema (``misc/*.ts``).

Geometry (``vec_model_validator``, ``box_model_validator``), opacity, cursors, canvas UI
colours, scribbles, handles, rich text and record-id validators. The b64 point encoding of draw
and highlight shapes lives in :mod:`tlsync_core.tldraw.b64vecs` and is re-exported here.
"""

from __future__ import annotations

from typing import Any, Final

from tlsync_core.store.validators import T, Validator
from tlsync_core.tldraw.b64vecs import DIM_2D, DIM_3D, B64Vecs

__all__ = [
    "DIM_2D",
    "DIM_3D",
    "TL_CANVAS_UI_COLOR_TYPES",
    "TL_CURSOR_TYPES",
    "TL_HANDLE_TYPES",
    "TL_SCRIBBLE_STATES",
    "B64Vecs",
    "Error",
    "box_model_validator",
    "canvas_ui_color_type_validator",
    "cursor_type_validator",
    "cursor_validator",
    "id_validator",
    "opacity_validator",
    "rich_text_validator",
    "scribble_validator",
    "to_rich_text",
    "vec_model_validator",
]


class Error(Exception):
    """JavaScript's plain ``Error``, as thrown by tldraw's refinements.

    Validators report it as ``Error: <message>`` one level out, as tldraw does.
    """


# geometry-types.ts
vec_model_validator: Final = T.object({"x": T.number, "y": T.number, "z": T.number.optional()})
"""A point ``{x, y, z?}``."""

box_model_validator: Final = T.object({"x": T.number, "y": T.number, "w": T.number, "h": T.number})
"""A box ``{x, y, w, h}``."""

# TLOpacity.ts
opacity_validator: Final = T.unit_interval
"""An opacity: a number in [0, 1]."""

# TLColor.ts
TL_CANVAS_UI_COLOR_TYPES: Final = (
    "accent",
    "white",
    "black",
    "selection-stroke",
    "selection-fill",
    "laser",
    "muted-1",
)
canvas_ui_color_type_validator: Final = T.set_enum(TL_CANVAS_UI_COLOR_TYPES)

# TLCursor.ts
TL_CURSOR_TYPES: Final = (
    "none",
    "default",
    "pointer",
    "cross",
    "comment",
    "grab",
    "rotate",
    "grabbing",
    "resize-edge",
    "resize-corner",
    "text",
    "move",
    "ew-resize",
    "ns-resize",
    "nesw-resize",
    "nwse-resize",
    "nesw-rotate",
    "nwse-rotate",
    "swne-rotate",
    "senw-rotate",
    "zoom-in",
    "zoom-out",
)
cursor_type_validator: Final = T.set_enum(TL_CURSOR_TYPES)
cursor_validator: Final = T.object({"type": cursor_type_validator, "rotation": T.number})
"""A cursor ``{type, rotation}``."""

# TLHandle.ts (tldraw defines the handle type only; handles are not stored in records)
TL_HANDLE_TYPES: Final = ("vertex", "virtual", "create", "clone")

# TLScribble.ts
TL_SCRIBBLE_STATES: Final = ("starting", "paused", "active", "complete", "stopping")
scribble_validator: Final = T.object(
    {
        "id": T.string,
        "points": T.array_of(vec_model_validator),
        "size": T.positive_number,
        "color": canvas_ui_color_type_validator,
        "opacity": T.number,
        "state": T.set_enum(TL_SCRIBBLE_STATES),
        "delay": T.number,
        "shrink": T.number,
        "taper": T.boolean,
    }
)

# TLRichText.ts
rich_text_validator: Final = T.object(
    {"type": T.string, "content": T.array_of(T.unknown), "attrs": T.any.optional()}
)
"""A TipTap document ``{type, content, attrs?}`` (its content is not checked further)."""


def to_rich_text(text: str) -> dict[str, Any]:
    """Plain text as a TipTap document: one paragraph per line, empty lines without content."""
    return {
        "type": "doc",
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": line}]}
            if line
            else {"type": "paragraph"}
            for line in text.split("\n")
        ],
    }


# id-validator.ts
def id_validator(prefix: str) -> Validator[str]:
    """A string starting with ``"<prefix>:"``; otherwise ``<prefix> ID must start with ...``."""

    def check(record_id: str) -> str:
        if not record_id.startswith(f"{prefix}:"):
            raise Error(f'{prefix} ID must start with "{prefix}:"')
        return record_id

    return T.string.refine(check)
