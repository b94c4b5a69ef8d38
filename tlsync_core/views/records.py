"""Reading records as a room holds them: plain dicts, tolerating missing or odd props.

Each reader takes a value and a default (:func:`number`, :func:`string`, :func:`mapping`), or a
tldraw style and a theme table (:func:`sized`, :func:`color_of`, :func:`font_family`);
:func:`records_of` accepts a store, a mapping, a snapshot or an iterable of records.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from tlsync_core.tldraw.b64vecs import DIM_2D, B64Vecs
from tlsync_core.tldraw.helpers.freehand import segment_points
from tlsync_core.tldraw.theme import FONT_FAMILIES, PALETTE
from tlsync_core.views.geometry import Point

__all__ = [
    "Rec",
    "decode_points",
    "draw_points",
    "font_family",
    "line_points",
    "mapping",
    "number",
    "order_key",
    "color_of",
    "records_of",
    "sized",
    "string",
]

Rec = Mapping[str, Any]
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


def number(value: Any, default: float) -> float:
    """A finite number, else ``default``."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return default


def string(value: Any, default: str) -> str:
    """A string, else ``default``."""
    return value if isinstance(value, str) else default


def mapping(value: Any) -> Mapping[str, Any]:
    """A mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def sized(table: Mapping[str, float], size: Any) -> float:
    """A size style's entry of a size table (``m`` for an unknown size)."""
    return table[size] if isinstance(size, str) and size in table else table["m"]


def color_of(name: Any, variant: str) -> str:
    """A colour style's variant in the palette (a hex colour as is; black otherwise)."""
    if isinstance(name, str):
        entry = PALETTE.get(name)
        if entry is not None:
            return entry[variant]
        if _HEX.fullmatch(name):
            return name
    return PALETTE["black"][variant]


def font_family(font: Any) -> str:
    """A font style's CSS font family (``draw`` for an unknown font)."""
    if isinstance(font, str) and font in FONT_FAMILIES:
        return FONT_FAMILIES[font]
    return FONT_FAMILIES["draw"]


def records_of(source: Any) -> dict[str, Rec]:
    """Records by id from a Store (``all_records()``), a mapping of id to record, a room
    snapshot (``{"documents": [{"state": record}, ...]}``) or an iterable of records."""
    items: Iterable[Any]
    all_records = getattr(source, "all_records", None)
    if callable(all_records):
        items = all_records()
    elif isinstance(source, Mapping):
        documents = source.get("documents")
        if isinstance(documents, list):
            items = [mapping(doc).get("state") for doc in documents]
        else:
            items = source.values()
    else:
        items = source
    out: dict[str, Rec] = {}
    for record in items:
        if isinstance(record, Mapping) and isinstance(record.get("id"), str):
            out[record["id"]] = record
    return out


def order_key(record: Rec) -> tuple[str, str]:
    """How siblings are ordered: by fractional index, then id."""
    return (string(record.get("index"), ""), record["id"])


def line_points(props: Rec) -> list[Rec]:
    """A line shape's points in index order (the 5.x mapping or an older list)."""
    points = props.get("points")
    items: list[Rec] = []
    if isinstance(points, Mapping):
        for key in sorted(points):
            p = points[key]
            if isinstance(p, Mapping):
                items.append(p)
    elif isinstance(points, list):  # before 5.x: an array of points
        items = [p for p in points if isinstance(p, Mapping)]
        return items
    items.sort(key=lambda p: (string(p.get("index"), ""), string(p.get("id"), "")))
    return items


def draw_points(props: Rec) -> list[Point]:
    """A draw or highlight shape's points as tldraw strokes them (all segments joined, each
    through ``freehand.segment_points``), scaled by its ``scaleX`` and ``scaleY``."""
    segments = props.get("segments")
    if not isinstance(segments, list):
        return []
    sx = number(props.get("scaleX"), 1)
    sy = number(props.get("scaleY"), 1)
    return [
        p
        for segment in segments
        for p in segment_points(
            [(q[0] * sx, q[1] * sy) for q in decode_points(segment)],
            isinstance(segment, Mapping) and segment.get("type") == "straight",
        )
    ]


def decode_points(segment: Any) -> list[Point]:
    """The points of a draw/highlight segment: 5.4.2's ``path`` (base64: a float32 first point,
    then float16 deltas; ``dim`` 2 leaves out the pressure), or an older ``points`` list or
    legacy float16 string.  The base64 is decoded by tldraw's ``b64Vecs``
    (:class:`~tlsync_core.tldraw.b64vecs.B64Vecs`, lenient about characters); where it fails
    (truncated data) the segment has no points."""
    if not isinstance(segment, Mapping):
        return []
    path = segment.get("path")
    legacy = segment.get("points")
    if isinstance(legacy, list) and not isinstance(path, str):
        return [
            (number(p.get("x"), 0), number(p.get("y"), 0)) for p in legacy if isinstance(p, Mapping)
        ]
    try:
        if isinstance(path, str):
            vectors = B64Vecs.decode_points(path, DIM_2D if segment.get("dim") == DIM_2D else None)
        elif isinstance(legacy, str):
            vectors = B64Vecs.legacy_decode_points(legacy)
        else:
            return []
    except ValueError:
        return []
    return [(p["x"], p["y"]) for p in vectors]
