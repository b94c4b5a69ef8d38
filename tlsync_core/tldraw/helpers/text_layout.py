"""Text measured as a browser lays it out with tldraw's fonts (tldraw's ``TextManager``).

tldraw measures text by putting it in a hidden element (``white-space: pre-wrap``, a line height
of ``round(font size × 1.35)`` pixels, an optional ``max-width``) and reading its box. We do the
same arithmetic with the fonts' own metrics (:mod:`~tlsync_core.tldraw.generated_fonts`, made
from tldraw's font files by ``scripts/gen-font-metrics``):

* a line is as wide as the sum of its characters' advances plus the fonts' kerning, scaled from
  font units to the font size; characters the tables lack count as an average advance;
* each paragraph of the text is laid out on its own lines; a line breaks after a space (spaces
  at a line's end hang, they take no width) or after a hyphen, and with ``overflow-wrap:
  break-word`` a word longer than the line breaks between characters;
* the box is as wide as the widest paragraph unwrapped (``width: max-content``), at most
  ``max_width`` and at least ``min_width``, and as tall as its lines.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import attrs

from tlsync_core.tldraw.generated_fonts import FONTS
from tlsync_core.tldraw.theme import LINE_HEIGHT

__all__ = ["FontMetrics", "TextBox", "font_metrics", "line_height", "measure", "text_width"]


@attrs.frozen
class FontMetrics:
    """A font's advances and kerning in font units."""

    units_per_em: int
    advances: dict[str, int]
    kerning: dict[tuple[str, str], int]
    average: float


def font_metrics(style: str) -> FontMetrics:
    """The metrics of tldraw's font for a font style (``draw``, ``sans``, ``serif``, ``mono``;
    others fall back to ``draw``, as tldraw's default)."""
    return _parsed_metrics(style if style in FONTS else "draw")


@functools.cache
def _parsed_metrics(style: str) -> FontMetrics:
    """The metrics of one of the fonts (cached per font, never per unknown style)."""
    data = FONTS[style]
    advances = {
        chr(int(cp, 16)): int(width)
        for cp, width in (item.split(":") for item in str(data["advances"]).split())
    }
    kerning: dict[tuple[str, str], int] = {}
    for item in str(data["kerning"]).split():
        pair, value = item.split(":")
        first, second = pair.split(".")
        kerning[(chr(int(first, 16)), chr(int(second, 16)))] = int(value)
    letters = [advances[c] for c in "abcdefghijklmnopqrstuvwxyz" if c in advances]
    return FontMetrics(int(data["units_per_em"]), advances, kerning, sum(letters) / len(letters))


def line_height(font_size: float) -> int:
    """tldraw's line height in pixels for a font size (``resolveLineHeightPx``)."""
    return round(font_size * LINE_HEIGHT)


def text_width(text: str, style: str, font_size: float) -> float:
    """The width of ``text`` on one line."""
    metrics = font_metrics(style)
    units = 0.0
    previous = ""
    for char in text:
        units += metrics.advances.get(char, metrics.average)
        units += metrics.kerning.get((previous, char), 0)
        previous = char
    # browsers lay text out in 1/64 px units, rounding a run's width up
    return math.ceil(units * font_size / metrics.units_per_em * 64) / 64


@attrs.frozen
class TextBox:
    """A measured text: its box and its lines (each line's text, trailing spaces kept)."""

    w: float
    h: float
    lines: tuple[str, ...]
    overflows: bool
    """A word is wider than the box (only without ``break_words``)."""


def _pieces(text: str) -> list[str]:
    """``text`` cut at its break opportunities: after a run of spaces, after a hyphen followed
    by a letter."""
    pieces: list[str] = []
    start = 0
    for i, char in enumerate(text):
        following = text[i + 1] if i + 1 < len(text) else ""
        if (char == " " and following != " ") or (char == "-" and following.isalpha()):
            pieces.append(text[start : i + 1])
            start = i + 1
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _split_word(word: str, style: str, size: float, room: float) -> list[str]:
    """A word too long for a line, cut between characters (its trailing spaces hang at the end
    of its last piece)."""
    letters = word.rstrip(" ")
    parts: list[str] = []
    current = ""
    for char in letters:
        if current and text_width(current + char, style, size) > room:
            parts.append(current)
            current = char
        else:
            current += char
    return [*parts, current + word[len(letters) :]]


def _wrap(paragraph: str, style: str, size: float, room: float, break_words: bool) -> list[str]:
    """A paragraph's lines: greedy, breaking after spaces and hyphens; a word wider than the
    line on its own is cut between characters (``break_words``) and what follows its last piece
    may share that piece's line."""

    def fits(text: str) -> bool:
        return text_width(text.rstrip(" "), style, size) <= room

    lines: list[str] = []
    current = ""
    for piece in _pieces(paragraph):
        if fits(current + piece):
            current += piece
            continue
        if current:
            lines.append(current)
        if fits(piece) or not break_words:
            current = piece
            continue
        *full, current = _split_word(piece, style, size, room)
        lines.extend(full)
    lines.append(current)
    return lines


def measure(
    paragraphs: Sequence[str],
    style: str,
    font_size: float,
    *,
    max_width: float | None = None,
    min_width: float | None = None,
    break_words: bool = True,
) -> TextBox:
    """The box of text made of ``paragraphs`` (see the module docstring)."""
    room = math.inf if max_width is None else max_width
    lines = [
        line
        for paragraph in paragraphs or [""]
        for line in _wrap(paragraph, style, font_size, room, break_words)
    ]
    widest = max(text_width(line.rstrip(" "), style, font_size) for line in lines)
    natural = max(text_width(p.rstrip(" "), style, font_size) for p in paragraphs or [""])
    width = min(natural, room)
    if min_width is not None:
        width = max(width, min_width)
    height = len(lines) * line_height(font_size)
    return TextBox(width, float(height), tuple(lines), widest > room)
