"""tldraw 5.4.2's default shapes (``@tldraw/tlschema``'s ``shapes/``): props validators and
props migrations.

Each shape has its module (``arrow``, ``bookmark``, ``draw``, ``embed``, ``frame``, ``geo``,
``group``, ``highlight``, ``image``, ``line``, ``note``, ``text``, ``video``) exporting
``<type>_shape_props`` (a validator per prop, in tldraw's order, which decides the error
reported first), ``<type>_shape_versions`` (migration name -> id) and
``<type>_shape_migrations`` (a :class:`~tlsync_core.tldraw.props.PropsMigrations`, or for
arrows a finished, non-retroactive :class:`~tlsync_core.store.migrations.MigrationSequence`).
:data:`DEFAULT_SHAPE_PROPS` gathers them as tldraw's ``defaultShapeSchemas`` does.
"""

from __future__ import annotations

from typing import Final

from tlsync_core.tldraw.props import ShapeProps
from tlsync_core.tldraw.shapes.arrow import arrow_shape_migrations, arrow_shape_props
from tlsync_core.tldraw.shapes.bookmark import bookmark_shape_migrations, bookmark_shape_props
from tlsync_core.tldraw.shapes.draw import draw_shape_migrations, draw_shape_props
from tlsync_core.tldraw.shapes.embed import embed_shape_migrations, embed_shape_props
from tlsync_core.tldraw.shapes.frame import frame_shape_migrations, frame_shape_props
from tlsync_core.tldraw.shapes.geo import geo_shape_migrations, geo_shape_props
from tlsync_core.tldraw.shapes.group import group_shape_migrations, group_shape_props
from tlsync_core.tldraw.shapes.highlight import highlight_shape_migrations, highlight_shape_props
from tlsync_core.tldraw.shapes.image import image_shape_migrations, image_shape_props
from tlsync_core.tldraw.shapes.line import line_shape_migrations, line_shape_props
from tlsync_core.tldraw.shapes.note import note_shape_migrations, note_shape_props
from tlsync_core.tldraw.shapes.text import text_shape_migrations, text_shape_props
from tlsync_core.tldraw.shapes.video import video_shape_migrations, video_shape_props

__all__ = ["DEFAULT_SHAPE_PROPS"]

DEFAULT_SHAPE_PROPS: Final[dict[str, ShapeProps]] = {
    "arrow": ShapeProps(arrow_shape_props, arrow_shape_migrations),
    "bookmark": ShapeProps(bookmark_shape_props, bookmark_shape_migrations),
    "draw": ShapeProps(draw_shape_props, draw_shape_migrations),
    "embed": ShapeProps(embed_shape_props, embed_shape_migrations),
    "frame": ShapeProps(frame_shape_props, frame_shape_migrations),
    "geo": ShapeProps(geo_shape_props, geo_shape_migrations),
    "group": ShapeProps(group_shape_props, group_shape_migrations),
    "highlight": ShapeProps(highlight_shape_props, highlight_shape_migrations),
    "image": ShapeProps(image_shape_props, image_shape_migrations),
    "line": ShapeProps(line_shape_props, line_shape_migrations),
    "note": ShapeProps(note_shape_props, note_shape_migrations),
    "text": ShapeProps(text_shape_props, text_shape_migrations),
    "video": ShapeProps(video_shape_props, video_shape_migrations),
}
"""Shape type -> its props validators and migrations (tldraw's ``defaultShapeSchemas``)."""
