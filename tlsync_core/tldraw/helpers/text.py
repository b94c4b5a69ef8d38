"""The text of shapes, as tldraw 5.4.2's ``getShapeUtil(shape).getText(shape)`` gives it, and
the size of a text shape's text.

Rich text becomes plain text as TipTap's ``generateText`` does with tldraw's options: the text
of every text node in document order, ``"\\n"`` for a hard break, and ``"\\n"`` before every block
node (paragraph, heading, list, list item...) except the document's first one -- so a list item
holding a paragraph adds two. A rich text holding one empty paragraph is ``""``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from tlsync_core.store.records import Record
from tlsync_core.store.store import Store
from tlsync_core.tldraw.helpers.tree import get_shape

__all__ = ["get_text", "plain_text", "text_size"]

# TipTap's inline node types in tldraw's default extensions; every other node is a block
_INLINE: Final = frozenset({"text", "hardBreak"})

# tldraw's text metrics (default-shape-constants.ts: FONT_SIZES, TEXT_PROPS.lineHeight) and an
# average glyph advance per font size unit, until text is measured with the fonts' own metrics
_FONT_SIZES: Final = {"s": 18.0, "m": 24.0, "l": 36.0, "xl": 44.0}
_LINE_HEIGHT: Final = 1.35
_AVERAGE_ADVANCE: Final = 0.55


def _is_empty(rich: Mapping[str, Any]) -> bool:
    content = rich.get("content") or []
    return len(content) == 1 and not content[0].get("content")


def plain_text(rich: Mapping[str, Any]) -> str:
    """A rich text document as plain text (see the module docstring)."""
    if _is_empty(rich):
        return ""
    parts: list[str] = []
    first = True

    def visit(node: Mapping[str, Any]) -> None:
        nonlocal first
        kind = node.get("type")
        if kind not in _INLINE and not first:
            parts.append("\n")
        first = False
        if kind == "text":
            parts.append(str(node.get("text", "")))
        elif kind == "hardBreak":
            parts.append("\n")
        for child in node.get("content") or ():
            visit(child)

    for top in rich.get("content") or ():
        visit(top)
    return "".join(parts)


def _shape_text(shape: Record) -> str:
    props = shape["props"]
    if shape["type"] == "frame":
        return str(props["name"])
    rich = props.get("richText")
    return plain_text(rich) if isinstance(rich, Mapping) else ""


def get_text(store: Store, shape_id: str) -> str:
    """The text of a shape: its label or text (geo, text, note, arrow), a frame's name, ""
    for shapes without text. LookupError for a missing shape."""
    return _shape_text(get_shape(store, shape_id))


def text_size(shape: Record) -> tuple[float, float]:
    """The width and height of a text shape's text box, before its ``scale``: an auto-size
    text is as wide as its longest line, a fixed one is ``w`` wide; the height is its lines at
    tldraw's line height. Glyph advances are estimated (an average per font size)."""
    props = shape["props"]
    font_size = _FONT_SIZES.get(props["size"], _FONT_SIZES["m"])
    lines = _shape_text(shape).split("\n")
    if props["autoSize"]:
        width = max(len(line) for line in lines) * font_size * _AVERAGE_ADVANCE
        return (max(width, 1.0), len(lines) * font_size * _LINE_HEIGHT)
    per_line = max(1, int(props["w"] // (font_size * _AVERAGE_ADVANCE)))
    wrapped = sum(max(1, -(-len(line) // per_line)) for line in lines)
    return (float(props["w"]), wrapped * font_size * _LINE_HEIGHT)
