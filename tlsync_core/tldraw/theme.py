"""tldraw 5.4.2's default theme (light) and the sizes of its default shapes.

The colours of ``DEFAULT_THEME.colors.light``, the font families, and the sizes every default
shape uses (stroke widths, font sizes of text, labels and arrow labels, the line height, the
note's side, the label padding).  The geometry helpers, text layout and the views read them
from here, so each number is written once.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ARROW_LABEL_FONT_SIZES",
    "FONT_FAMILIES",
    "FONT_SIZES",
    "LABEL_FONT_SIZES",
    "LABEL_PADDING",
    "LINE_HEIGHT",
    "NOTE_SIZE",
    "PALETTE",
    "STROKE_SIZES",
    "THEME",
]

THEME: dict[str, str] = {"background": "#f9fafb", "solid": "#fcfffe", "text": "#000000"}

_VARIANTS = (
    "solid",
    "semi",
    "pattern",
    "linedFill",
    "frameHeadingStroke",
    "frameHeadingFill",
    "frameStroke",
    "frameFill",
    "frameText",
    "noteFill",
    "noteText",
    "highlightSrgb",
)
# fmt: off
_PALETTE_TABLE: dict[str, tuple[str, ...]] = {
    # solid (= fill), semi, pattern, linedFill, frameHeadingStroke, frameHeadingFill,
    # frameStroke, frameFill, frameText, noteFill, noteText, highlightSrgb
    "black": ("#1d1d1d", "#e8e8e8", "#494949", "#363636", "#717171", "#ffffff", "#717171",
              "#ffffff", "#000000", "#FCE19C", "#000000", "#fddd00"),
    "grey": ("#9fa8b2", "#eceef0", "#bcc3c9", "#bbc1c9", "#aaaaab", "#fbfcfc", "#aaaaab",
             "#fcfcfd", "#000000", "#C0CAD3", "#000000", "#cbe7f1"),
    "light-violet": ("#e085f4", "#f5eafa", "#e9acf8", "#e9abf7", "#e59bf5", "#fefaff",
                     "#e59bf5", "#fefbff", "#000000", "#DFB0F9", "#000000", "#ff88ff"),
    "violet": ("#ae3ec9", "#ecdcf2", "#bd63d3", "#be68d4", "#bc62d3", "#fcf7fd", "#bc62d3",
               "#fdf9fd", "#000000", "#DB91FD", "#000000", "#c77cff"),
    "blue": ("#4465e9", "#dce1f8", "#6681ee", "#6580ec", "#6681ec", "#f9fafe", "#6681ec",
             "#f9fafe", "#000000", "#8AA3FF", "#000000", "#10acff"),
    "light-blue": ("#4ba1f1", "#ddedfa", "#6fbbf8", "#7abaf5", "#6cb2f3", "#f8fbfe", "#6cb2f3",
                   "#fafcff", "#000000", "#9BC4FD", "#000000", "#00f4ff"),
    "yellow": ("#f1ac4b", "#f9f0e6", "#fecb92", "#f5c27a", "#f3bb6c", "#fefcf8", "#f3bb6c",
               "#fffdfa", "#000000", "#FED49A", "#000000", "#fddd00"),
    "orange": ("#e16919", "#f8e2d4", "#f78438", "#ea8643", "#e68544", "#fef9f6", "#e68544",
               "#fef9f6", "#000000", "#FAA475", "#000000", "#ffa500"),
    "green": ("#099268", "#d3e9e3", "#39a785", "#0bad7c", "#37a684", "#f8fcfa", "#37a684",
              "#f8fcfa", "#000000", "#6FC896", "#000000", "#00ffc8"),
    "light-green": ("#4cb05e", "#dbf0e0", "#65cb78", "#7ec88c", "#6dbe7c", "#f8fcf9",
                    "#6dbe7c", "#fafdfa", "#000000", "#98D08A", "#000000", "#65f641"),
    "light-red": ("#f87777", "#f4dadb", "#fe9e9e", "#f99a9a", "#f89090", "#fffafa", "#f89090",
                  "#fffbfb", "#000000", "#F7A5A1", "#000000", "#ff7fa3"),
    "red": ("#e03131", "#f4dadb", "#e55959", "#e75f5f", "#e55757", "#fef7f7", "#e55757",
            "#fef9f9", "#000000", "#FC8282", "#000000", "#ff636e"),
    "white": ("#FFFFFF", "#f5f5f5", "#f9f9f9", "#ffffff", "#7d7d7d", "#ffffff", "#7d7d7d",
              "#ffffff", "#000000", "#FFFFFF", "#000000", "#ffffff"),
}
# fmt: on
PALETTE: dict[str, dict[str, str]] = {
    name: dict(zip(_VARIANTS, values, strict=True)) for name, values in _PALETTE_TABLE.items()
}
"""``PALETTE[color][variant]``: tldraw's ``DEFAULT_THEME.colors.light`` (``fill`` is ``solid``)."""

STROKE_SIZES: Final[dict[str, float]] = {"s": 2.0, "m": 3.5, "l": 5.0, "xl": 10.0}
FONT_SIZES: Final[dict[str, float]] = {"s": 18.0, "m": 24.0, "l": 36.0, "xl": 44.0}
LABEL_FONT_SIZES: Final[dict[str, float]] = {"s": 18.0, "m": 22.0, "l": 26.0, "xl": 32.0}
ARROW_LABEL_FONT_SIZES: Final[dict[str, float]] = {"s": 18.0, "m": 20.0, "l": 24.0, "xl": 28.0}
FONT_FAMILIES: dict[str, str] = {
    "draw": "'tldraw_draw', 'Comic Sans MS', 'Segoe Print', cursive, sans-serif",
    "sans": "'tldraw_sans', 'Inter', 'Helvetica Neue', Arial, sans-serif",
    "serif": "'tldraw_serif', Georgia, 'Times New Roman', serif",
    "mono": "'tldraw_mono', 'IBM Plex Mono', Menlo, Consolas, monospace",
}
LINE_HEIGHT: Final = 1.35
LABEL_PADDING: Final = 16
NOTE_SIZE: Final = 200.0
