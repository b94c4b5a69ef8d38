"""The live view's files as they are served: ``static/liveview.js`` and a room's page
(``static/room.html`` with the room's id); the server's live routes hand out exactly these.

``liveview.js`` holds no copy of tldraw's colours and sizes nor of the renderer's own constants:
its line ``const TLDRAW = /*CONSTANTS*/ null`` receives :func:`constants_json` (generated from
:mod:`tlsync_core.tldraw.theme`, the tldraw helpers' constants and fonts' metrics, and the
renderer's modules) whenever the module is handed out, by the server at ``/static/liveview.js``
and to the notebook widget, so that Python and JavaScript draw with the same numbers.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

from tlsync_core.tldraw.generated_fonts import FONTS
from tlsync_core.tldraw.helpers.arrow_geometry import ARROW_CONSTANTS
from tlsync_core.tldraw.helpers.freehand import DOT_SAMPLES
from tlsync_core.tldraw.helpers.geo_paths import (
    ARC_MIN_VERTICES,
    ARC_SPACING,
    BEZIER_STEPS,
    BUMP_PROTRUSION,
    CLOUD_BUMP_SIZES,
    SPLINE_TENSION,
)
from tlsync_core.tldraw.helpers.text import MIN_TEXT_WIDTH
from tlsync_core.tldraw.theme import (
    ARROW_LABEL_FONT_SIZES,
    FONT_FAMILIES,
    FONT_SIZES,
    LABEL_FONT_SIZES,
    LABEL_PADDING,
    LINE_HEIGHT,
    NOTE_SIZE,
    PALETTE,
    STROKE_SIZES,
    THEME,
)
from tlsync_core.views.render import EMPTY_BOX, PADDING
from tlsync_core.views.source import MAX_NUMBER, PROP_RULES
from tlsync_core.views.text import CHAR_WIDTH

__all__ = ["constants_json", "liveview_module", "room_page", "static_file"]

_PLACEHOLDER = "/*CONSTANTS*/ null"


def constants_json() -> str:
    """The constants liveview.js draws with, as one JSON object (keys as in the module)."""
    return json.dumps(
        {
            "THEME": THEME,
            "PALETTE": PALETTE,
            "STROKE_SIZES": STROKE_SIZES,
            "FONT_SIZES": FONT_SIZES,
            "LABEL_FONT_SIZES": LABEL_FONT_SIZES,
            "ARROW_LABEL_FONT_SIZES": ARROW_LABEL_FONT_SIZES,
            "FONT_FAMILIES": FONT_FAMILIES,
            "LINE_HEIGHT": LINE_HEIGHT,
            "LABEL_PADDING": LABEL_PADDING,
            "NOTE_SIZE": NOTE_SIZE,
            "CHAR_WIDTH": CHAR_WIDTH,
            "PADDING": PADDING,
            "EMPTY_BOX": EMPTY_BOX,
            "PROP_RULES": PROP_RULES,
            "MAX_NUMBER": MAX_NUMBER,
            "ARROW": ARROW_CONSTANTS,
            "MIN_TEXT_WIDTH": MIN_TEXT_WIDTH,
            "DOT_SAMPLES": DOT_SAMPLES,
            "BEZIER_STEPS": BEZIER_STEPS,
            "ARC_SPACING": ARC_SPACING,
            "ARC_MIN_VERTICES": ARC_MIN_VERTICES,
            "CLOUD_BUMP_SIZES": CLOUD_BUMP_SIZES,
            "BUMP_PROTRUSION": BUMP_PROTRUSION,
            "SPLINE_TENSION": SPLINE_TENSION,
            "FONTS": FONTS,
        },
        sort_keys=True,
        separators=(",", ":"),
    )


@functools.cache
def liveview_module() -> str:
    """``liveview.js`` with its constants filled in: the ES module pages and widgets run."""
    source = resources.files(__name__.rpartition(".")[0]).joinpath("static", "liveview.js")
    return source.read_text(encoding="utf-8").replace(_PLACEHOLDER, constants_json(), 1)


def static_file(name: str) -> bytes:
    """A file of ``static/`` as served (``liveview.js`` with its constants filled in)."""
    if name == "liveview.js":
        return liveview_module().encode()
    return resources.files(__name__.rpartition(".")[0]).joinpath("static", name).read_bytes()


def room_page(room_id: str) -> bytes:
    """The live view page of ``room_id``: ``static/room.html`` with the id as a JSON string
    that cannot end the script element."""
    room = json.dumps(room_id).replace("<", "\\u003c").replace(">", "\\u003e")
    return static_file("room.html").replace(b"/*ROOM_ID*/", room.encode())
