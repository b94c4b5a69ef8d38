"""The text of shapes, as tldraw 5.4.2's ``getShapeUtil(shape).getText(shape)`` gives it, and
the size of a text shape's text (measured by :mod:`.text_layout`).

Rich text becomes plain text as TipTap's ``generateText`` does with tldraw's options: the text
of every text node in document order, ``"\\n"`` for a hard break, and ``"\\n"`` before every block
node (paragraph, heading, list, list item...) except the document's first one -- so a list item
holding a paragraph adds two. A rich text holding one empty paragraph is ``""``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

from tlsync_core.store.store import Store
from tlsync_core.tldraw.helpers.text_layout import measure
from tlsync_core.tldraw.helpers.tree import get_shape
from tlsync_core.tldraw.theme import FONT_SIZES

__all__ = [
    "MIN_TEXT_WIDTH",
    "get_text",
    "is_empty",
    "paragraphs",
    "plain_text",
    "text_box_size",
    "text_size",
    "text_wrap_width",
]

# TipTap's inline node types in tldraw's default extensions; every other node is a block
_INLINE: Final = frozenset({"text", "hardBreak"})

# tldraw's text shape font sizes (FONT_SIZES x the theme's 16 px) and narrowest text
MIN_TEXT_WIDTH: Final = 16.0


def is_empty(rich: Mapping[str, Any]) -> bool:
    """tldraw's ``isEmptyRichText``: no block, or one block without content."""
    content = rich.get("content") or []
    return not content or (len(content) == 1 and not content[0].get("content"))


def plain_text(rich: Mapping[str, Any]) -> str:
    """A rich text document as plain text (see the module docstring)."""
    if is_empty(rich):
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


def _shape_text(shape: Mapping[str, Any]) -> str:
    props = shape["props"]
    if shape["type"] == "frame":
        return str(props["name"])
    rich = props.get("richText")
    return plain_text(rich) if isinstance(rich, Mapping) else ""


def get_text(store: Store, shape_id: str) -> str:
    """The text of a shape: its label or text (geo, text, note, arrow), a frame's name, ""
    for shapes without text. LookupError for a missing shape."""
    return _shape_text(get_shape(store, shape_id))


def paragraphs(rich: Mapping[str, Any]) -> list[str]:
    """The lines a rich text starts on its own: one per text block (paragraph, heading, code
    block, list item's paragraph), split at hard breaks."""
    lines: list[str] = []

    def visit(node: Mapping[str, Any]) -> bool:
        """Collect ``node``'s blocks; whether it holds inline content."""
        inline = [c for c in node.get("content") or () if c.get("type") in _INLINE]
        blocks = [c for c in node.get("content") or () if c.get("type") not in _INLINE]
        if inline or (not blocks and node.get("type") not in (None, "doc")):
            text = "".join(
                str(c.get("text", "")) if c.get("type") == "text" else "\n" for c in inline
            )
            lines.extend(text.split("\n"))
        for block in blocks:
            visit(block)
        return bool(inline)

    visit(rich)
    return lines or [""]


def text_wrap_width(w: float, auto_size: bool) -> float | None:
    """The width a text shape's lines wrap to (None: they do not wrap), before its ``scale``:
    ``w``, at least 16 and whole, unless the text sizes itself."""
    return None if auto_size else max(MIN_TEXT_WIDTH, math.floor(w))


def text_box_size(
    lines: Sequence[str], font: str, font_size: float, w: float, auto_size: bool
) -> tuple[float, float]:
    """The width and height of a text shape's text box holding ``lines`` before its ``scale``,
    as tldraw's ``TextShapeUtil`` measures it: an auto-size text is one pixel wider than its
    widest line, a fixed one is its wrap width (:func:`text_wrap_width`) and wraps; at least
    16 wide and one font size tall."""
    fixed = text_wrap_width(w, auto_size)
    box = measure(lines, font, font_size, max_width=fixed)
    width = fixed if fixed is not None else max(MIN_TEXT_WIDTH, box.w + 1)
    return (width, max(font_size, box.h))


def text_size(shape: Mapping[str, Any]) -> tuple[float, float]:
    """:func:`text_box_size` of a text shape's paragraphs, in its font and size."""
    props = shape["props"]
    font_size = FONT_SIZES.get(props["size"], FONT_SIZES["m"])
    lines = paragraphs(props["richText"])
    return text_box_size(lines, props["font"], font_size, props["w"], props["autoSize"])
