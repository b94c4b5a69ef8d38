"""Text in pictures: rich text as plain lines, and ``<text>`` elements.

Lines wrap as tldraw lays text out, with its fonts' metrics
(:func:`tlsync_core.tldraw.helpers.text_layout.measure`, ported to ``liveview.js``); only names
cut to one line (frames', media placeholders', presences') count an average glyph width
(:data:`CHAR_WIDTH` of the font size).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tlsync_core.tldraw.helpers.text_layout import measure
from tlsync_core.tldraw.theme import LINE_HEIGHT
from tlsync_core.views.records import Rec, mapping, string
from tlsync_core.views.svg import escape, fmt

__all__ = [
    "CHAR_WIDTH",
    "code_points",
    "rich_text_lines",
    "shape_lines",
    "text_element",
    "truncate",
    "wrap",
]

CHAR_WIDTH = 0.55
"""Average glyph width / font size, for cutting names to one line."""


def rich_text_lines(rich: Any) -> list[str]:
    """TipTap JSON (``props.richText``) as plain text lines: one per paragraph or heading,
    hard breaks split lines, list items get ``• `` or ``1. `` markers (nested lists indent).
    A plain string is split on newlines."""
    if isinstance(rich, str):
        return rich.split("\n")
    lines: list[str] = []
    if isinstance(rich, Mapping):
        _block(rich, "", lines, 0)
    return lines


def _children(node: Rec) -> list[Rec]:
    content = node.get("content")
    if not isinstance(content, list):
        return []
    return [child for child in content if isinstance(child, Mapping)]


def _inline_text(node: Rec, depth: int) -> str:
    kind = node.get("type")
    if kind == "text":
        return string(node.get("text"), "")
    if kind == "hardBreak":
        return "\n"
    if depth > 64:
        return ""
    return "".join(_inline_text(child, depth + 1) for child in _children(node))


def _block(node: Rec, prefix: str, lines: list[str], depth: int) -> None:
    if depth > 64:
        return
    kind = node.get("type")
    indent = " " * len(prefix)
    if kind in ("paragraph", "heading", "codeBlock", "text", "hardBreak"):
        parts = _inline_text(node, depth).split("\n")
        for i, part in enumerate(parts):
            lines.append((prefix if i == 0 else indent) + part)
        return
    if kind in ("bulletList", "orderedList"):
        start = mapping(node.get("attrs")).get("start")
        first = start if isinstance(start, int) and not isinstance(start, bool) else 1
        for i, item in enumerate(_children(node)):
            marker = "• " if kind == "bulletList" else f"{first + i}. "
            _block(item, (prefix if i == 0 else indent) + marker, lines, depth + 1)
        return
    for i, child in enumerate(_children(node)):
        _block(child, prefix if i == 0 else indent, lines, depth + 1)


def shape_lines(props: Rec) -> list[str]:
    """A shape's text as lines (``richText``, or an older ``text``); none when all are empty."""
    if "richText" in props:
        lines = rich_text_lines(props.get("richText"))
    else:
        lines = rich_text_lines(string(props.get("text"), ""))
    for line in lines:
        if line != "":
            return lines
    return []


def code_points(text: str) -> int:
    """The length of text in code points (as JavaScript's ``[...text].length``)."""
    return len(text)


def wrap(lines: list[str], font: Any, font_size: float, width: float | None) -> list[str]:
    """Lines wrapped to ``width`` (None: not wrapped) as tldraw lays them out in the font of
    the ``font`` style (``text_layout.measure``), without the spaces that hang at their ends."""
    box = measure(lines, string(font, "draw"), font_size, max_width=width)
    return [line.rstrip(" ") for line in box.lines]


def text_element(
    lines: list[str],
    *,
    x: float,
    top: float,
    font_size: float,
    family: str,
    fill: str,
    anchor: str,
    cls: str,
) -> str:
    """A ``<text>`` of lines, one ``<tspan>`` each, from ``top`` down."""
    lh = font_size * LINE_HEIGHT
    out = (
        f'<text class="{cls}" x="{fmt(x)}" font-size="{fmt(font_size)}" font-family="{family}"'
        f' fill="{fill}" text-anchor="{anchor}" dominant-baseline="central">'
    )
    for i, line in enumerate(lines):
        if line == "":
            continue
        out += f'<tspan x="{fmt(x)}" y="{fmt(top + lh * i + lh / 2)}">{escape(line)}</tspan>'
    return out + "</text>"


def truncate(text: str, max_chars: int) -> str:
    """Text cut to ``max_chars`` with an ellipsis."""
    if code_points(text) <= max_chars:
        return text
    if max_chars <= 1:
        return "…"
    return text[: max_chars - 1] + "…"
