"""Shapes sized to their text as tldraw 5.4.2's shape utils size them when the editor creates
or edits one (``onBeforeCreate`` / ``onBeforeUpdate``); text measured by :mod:`.text_layout`.

* geo: a label taller than the shape grows it by ``growY`` (and a label that fits again takes
  ``growY`` back to 0); a first label on an empty shape widens and heightens it to fit, and a
  shape smaller than 51 in both directions becomes a square;
* note: ``growY`` is how much taller than 200 its label is, and a word too wide for the note
  shrinks the font one pixel at a time (``fontSizeAdjustment``, down to 14 px);
* text: an auto-size text whose text changes takes its measured width as ``w`` and keeps its
  anchor: a centered one keeps its center, a right-aligned one its right edge.

tldraw's clients never resize shapes that arrive from the server, so a bot must size what it
writes itself; the helpers of :mod:`.shapes` and :mod:`.edit` call these functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from tlsync_core.tldraw.helpers.geometry import Transform
from tlsync_core.tldraw.helpers.text import is_empty, paragraphs, text_size
from tlsync_core.tldraw.helpers.text_layout import line_height, measure
from tlsync_core.tldraw.theme import LABEL_FONT_SIZES, NOTE_SIZE, STROKE_SIZES

__all__ = ["fit_geo", "fit_note", "fit_text", "label_font_size"]

# LABEL_FONT_SIZES x the theme's 16 px; GEO_SHAPE_MIN_WIDTHS; LABEL_PADDING
_GEO_MIN_WIDTHS: Final = {"s": 12.0, "m": 14.0, "l": 16.0, "xl": 20.0}
_PADDING: Final = 16.0
_MIN_SIZE_WITH_LABEL: Final = (_PADDING + 1) * 3
_NOTE_FUZZ: Final = 1.0
_NOTE_SMALLEST_FONT: Final = 14.0

Props = Mapping[str, Any]


def label_font_size(size: str) -> float:
    """The font size of a geo or note label."""
    return LABEL_FONT_SIZES.get(size, LABEL_FONT_SIZES["m"])


def _geo_label_size(props: Props) -> tuple[float, float]:
    """``measureUnscaledLabelSize``: the label's box with its padding, before ``scale``."""
    size = props["size"]
    min_width = _GEO_MIN_WIDTHS.get(size, _GEO_MIN_WIDTHS["m"])
    max_width = max(
        0.0,
        math.ceil(min_width + STROKE_SIZES.get(size, STROKE_SIZES["m"])),
        math.ceil(props["w"] / props["scale"] - _PADDING * 2),
    )
    box = measure(
        paragraphs(props["richText"]),
        props["font"],
        label_font_size(size),
        max_width=max_width,
        min_width=min_width,
    )
    return (box.w + _PADDING * 2, box.h + _PADDING * 2)


def _grow_y(shape_h: float, label_h: float, grow_y: float) -> float | None:
    """``calculateGrowY``: the new growY, or None to keep it."""
    if label_h > shape_h:
        return label_h - shape_h
    if grow_y > 0:
        return 0.0
    return None


def fit_geo(props: Props, before: Props | None = None) -> dict[str, Any]:
    """A geo shape's props fitted to its label: as created (``before`` None) or after an edit
    from ``before``."""
    fitted = dict(props)
    scale = props["scale"]
    if is_empty(props["richText"]):
        fitted["growY"] = 0
        return fitted
    if before is not None and (
        before["richText"] == props["richText"]
        and before["font"] == props["font"]
        and before["size"] == props["size"]
    ):
        return fitted
    label_w, label_h = _geo_label_size(props)
    if before is None:
        grow = _grow_y(props["h"] / scale, label_h, props["growY"] / scale)
        if grow is not None:
            fitted["growY"] = grow * scale
        return fitted
    w, h = before["w"] / scale, before["h"] / scale
    if is_empty(before["richText"]):
        w, h = max(w, label_w), max(h, label_h)
        if (
            before["w"] / scale < _MIN_SIZE_WITH_LABEL
            and before["h"] / scale < _MIN_SIZE_WITH_LABEL
        ):
            w = h = max(w, h, _MIN_SIZE_WITH_LABEL)
        fitted.update(w=w * scale, h=h * scale, growY=0)
        return fitted
    grow = _grow_y(h, label_h, before["growY"] / scale)
    if grow is not None or label_w > props["w"] / scale:
        fitted["growY"] = (before["growY"] / scale if grow is None else grow) * scale
        fitted["w"] = max(props["w"] / scale, label_w) * scale
    return fitted


def fit_note(props: Props) -> dict[str, Any]:
    """A note's props with the ``growY`` and ``fontSizeAdjustment`` tldraw gives its label."""
    base = label_font_size(props["size"])
    if is_empty(props["richText"]):
        label_h = line_height(base) + _PADDING * 2
        return {**props, "growY": max(0.0, label_h - NOTE_SIZE), "fontSizeAdjustment": 1}
    lines = paragraphs(props["richText"])
    room = NOTE_SIZE - _PADDING * 2 - _NOTE_FUZZ
    font_size = base
    for step in range(51):
        font_size = min(base, base - step)
        box = measure(lines, props["font"], font_size, max_width=room, break_words=False)
        if font_size <= _NOTE_SMALLEST_FONT:
            box = measure(lines, props["font"], font_size, max_width=room)
            break
        if not box.overflows:
            break
    label_h = box.h + _PADDING * 2
    adjustment = 1 if font_size == base else font_size / base
    return {**props, "growY": max(0.0, label_h - NOTE_SIZE), "fontSizeAdjustment": adjustment}


def fit_text(shape: Mapping[str, Any], props: Props) -> dict[str, Any]:
    """``shape`` with ``props``, as ``TextShapeUtil.onBeforeUpdate`` leaves an auto-size text:
    ``w`` its measured width, moved so that its alignment anchor stays (along its rotation)."""
    updated = {**shape, "props": dict(props)}
    before = shape["props"]
    if not props["autoSize"]:
        return updated
    style_changed = (
        before["size"] != props["size"]
        or before["textAlign"] != props["textAlign"]
        or before["font"] != props["font"]
        or (before["scale"] != 1 and props["scale"] == 1)
    )
    text_changed = before["richText"] != props["richText"]
    if not style_changed and not text_changed:
        return updated
    w_a, h_a = (v * before["scale"] for v in text_size(shape))
    w_b, h_b = (v * props["scale"] for v in text_size(updated))
    updated["props"]["w"] = w_b
    dy = 0.0 if text_changed else (h_b - h_a) / 2
    if props["textAlign"] == "middle":
        delta: tuple[float, float] | None = ((w_b - w_a) / 2, dy)
    elif props["textAlign"] == "end":
        delta = (w_b - w_a, dy)
    else:
        delta = None if text_changed else (0.0, dy)
    if delta is not None:
        dx, dy = Transform(0, 0, shape["rotation"]).apply(*delta)
        updated["x"], updated["y"] = shape["x"] - dx, shape["y"] - dy
    return updated
