"""What the default shapes share: JavaScript-faithful helpers and props migration factories.

tldraw writes many props migrations that differ only in names and values (``AddScale``,
``AddUrlProp``, ``MakeUrlsValid``, ``AddRichText``...). Each factory here builds one such
:class:`~tlsync_core.tldraw.props.PropsMigration` with the up and down functions of the
TypeScript original; shape modules only list their migration ids and factories.

Migrators work on a ``props`` dict as JavaScript would on the object: reading a missing key gives
``undefined`` (:data:`~tlsync_core.store.jsvalue.UNDEFINED`), and an object literal built from
``undefined`` values leaves those keys out, as they are once the record is JSON again. Operations
that throw in JavaScript (``text.split`` on a non-string, ``'attrs' in 'a string'``) raise here
too, so that the record migration reports ``migration-error`` like tldraw does.

``down="retired"`` mirrors tldraw's retired downs: the record migration has no down, so
migrating a record down across it is ``target-version-too-old``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from tlsync_core.store.jsvalue import (
    UNDEFINED,
    get_own,
    is_array_index,
    js_truthy,
    own_keys,
    strict_equals,
    to_string,
)
from tlsync_core.store.validators import T
from tlsync_core.tldraw.misc import DIM_2D, B64Vecs, to_rich_text
from tlsync_core.tldraw.props import PropsMigration

__all__ = [
    "Props",
    "add_props",
    "add_rich_text",
    "add_rich_text_attrs",
    "as_object",
    "js_entries",
    "js_object",
    "js_property",
    "js_values",
    "legacy_points_conversion",
    "make_urls_valid",
    "migrate_legacy_align",
    "noop_retired",
    "omit_non_pressure_z",
    "remove_justify",
    "remove_props",
    "rename_prop",
    "segments_to_base64",
]

Props = dict[str, Any]
"""A shape's ``props`` as a migrator sees it (a JSON object)."""


def _noop(_props: Props) -> None:
    """A migrator that changes nothing (tldraw's ``(_props) => {}``)."""


# ---------------------------------------------------------------------------------------------
# JavaScript object helpers


def js_object(pairs: Mapping[str, object]) -> Props:
    """An object literal: the pairs in order, leaving out ``undefined`` values."""
    return {key: value for key, value in pairs.items() if value is not UNDEFINED}


def js_values(value: object) -> list[Any]:
    """``Object.values(value)`` (JavaScript key order); throws like JavaScript for null and
    undefined."""
    if value is None or value is UNDEFINED:
        raise TypeError("Cannot convert undefined or null to object")
    return [get_own(value, key) for key in own_keys(value)]


def js_entries(value: object) -> list[tuple[str, Any]]:
    """``Object.entries(value)``: ``[key, value]`` pairs in JavaScript key order."""
    if value is None or value is UNDEFINED:
        raise TypeError("Cannot convert undefined or null to object")
    return [(str(key), get_own(value, key)) for key in own_keys(value)]


def js_property(value: object, key: str) -> Any:
    """``value[key]`` for a JSON value: own properties only (a string's are its ``length`` and
    its UTF-16 code units); throws on null and undefined."""
    if value is None or value is UNDEFINED:
        raise TypeError(f"Cannot read properties of {to_string(value)} (reading '{key}')")
    if isinstance(value, str):
        units = value.encode("utf-16-le", "surrogatepass")
        if key == "length":
            return len(units) // 2
        if is_array_index(key) and int(key) < len(units) // 2:
            start = int(key) * 2
            return units[start : start + 2].decode("utf-16-le", "surrogatepass")
        return UNDEFINED
    return get_own(value, key)


def as_object(value: object) -> Props:
    """``value`` as an object to spread or destructure; anything but a JSON object raises
    (where JavaScript would spread a string or an array index by index)."""
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {to_string(value)}")
    return value


def _text_to_rich_text(text: object) -> Props:
    """``toRichText(text)``: JavaScript throws unless ``text`` is a string."""
    if not isinstance(text, str):
        raise TypeError("text.split is not a function")
    return to_rich_text(text)


# ---------------------------------------------------------------------------------------------
# Props migration factories


def add_props(
    migration_id: str, values: Mapping[str, object], *, retired: bool = False
) -> PropsMigration:
    """Up sets each of ``values``; down deletes those keys, or is ``retired``."""

    def up(props: Props) -> None:
        props.update(values)

    def down(props: Props) -> None:
        for key in values:
            props.pop(key, None)

    return PropsMigration(migration_id, up, "retired" if retired else down)


def remove_props(migration_id: str, *names: str) -> PropsMigration:
    """Up deletes the ``names``; the down is retired."""

    def up(props: Props) -> None:
        for name in names:
            props.pop(name, None)

    return PropsMigration(migration_id, up, "retired")


def noop_retired(migration_id: str) -> PropsMigration:
    """A migration whose up does nothing and whose down is retired (``AddCheckBox``...)."""
    return PropsMigration(migration_id, _noop, "retired")


def rename_prop(
    migration_id: str, old: str, new: str, *, missing: object = UNDEFINED
) -> PropsMigration:
    """Up moves ``old`` to ``new``, down moves it back. ``missing`` is what a nullish value
    becomes: ``UNDEFINED`` (plain assignment: an absent value stays absent) or ``None`` (the
    original's ``?? null``)."""

    def move(source: str, target: str) -> Callable[[Props], None]:
        def migrate(props: Props) -> None:
            value = props.get(source, UNDEFINED)
            if missing is not UNDEFINED and (value is None or value is UNDEFINED):
                value = missing
            if value is UNDEFINED:
                props.pop(target, None)
            else:
                props[target] = value
            props.pop(source, None)

        return migrate

    return PropsMigration(migration_id, move(old, new), move(new, old))


def make_urls_valid(migration_id: str) -> PropsMigration:
    """Up empties a ``url`` that ``T.linkUrl`` rejects; down does nothing."""

    def up(props: Props) -> None:
        if not T.link_url.is_valid(props.get("url", UNDEFINED)):
            props["url"] = ""

    return PropsMigration(migration_id, up, _noop)


def remove_justify(migration_id: str) -> PropsMigration:
    """Up turns ``align: 'justify'`` into ``'start'``; the down is retired."""

    def up(props: Props) -> None:
        if props.get("align") == "justify":
            props["align"] = "start"

    return PropsMigration(migration_id, up, "retired")


_LEGACY_ALIGN: Final = {"start": "start-legacy", "end": "end-legacy"}


def migrate_legacy_align(migration_id: str) -> PropsMigration:
    """Up maps ``align`` start/end to their ``-legacy`` forms, anything else to
    ``middle-legacy``; the down is retired."""

    def up(props: Props) -> None:
        align = props.get("align", UNDEFINED)
        props["align"] = (
            _LEGACY_ALIGN.get(align, "middle-legacy")
            if isinstance(align, str)
            else ("middle-legacy")
        )

    return PropsMigration(migration_id, up, "retired")


def add_rich_text(migration_id: str) -> PropsMigration:
    """Up replaces ``text`` with its rich text; no down (tldraw forces old clients to update)."""

    def up(props: Props) -> None:
        props["richText"] = _text_to_rich_text(props.get("text", UNDEFINED))
        props.pop("text", None)

    return PropsMigration(migration_id, up, None)


def add_rich_text_attrs(migration_id: str) -> PropsMigration:
    """Up does nothing (``attrs`` is optional); down removes ``richText.attrs``."""

    def down(props: Props) -> None:
        rich_text = props.get("richText", UNDEFINED)
        if not js_truthy(rich_text):
            return
        if not isinstance(rich_text, dict | list):
            raise TypeError("Cannot use 'in' operator to search for 'attrs'")
        if isinstance(rich_text, dict):
            rich_text.pop("attrs", None)

    return PropsMigration(migration_id, _noop, down)


# ---------------------------------------------------------------------------------------------
# Draw and highlight segments


def _encode_legacy_segment(segment: object) -> object:
    """A segment with ``points`` (a point list, or legacy absolute base64) re-encoded as a
    delta ``path``; a segment that already has a path is returned as it is."""
    if js_property(segment, "path") is not UNDEFINED:
        return segment
    points = as_object(segment).get("points", UNDEFINED)
    rest = {key: value for key, value in as_object(segment).items() if key != "points"}
    vec_models = points if isinstance(points, list) else B64Vecs.legacy_decode_points(points)
    return {**rest, "path": B64Vecs.encode_points(vec_models)}


def _map_segments(props: Props, fn: Callable[[Any], object]) -> None:
    segments = props.get("segments", UNDEFINED)
    if not isinstance(segments, list):
        raise TypeError("props.segments.map is not a function")
    props["segments"] = [fn(segment) for segment in segments]


def segments_to_base64(migration_id: str) -> PropsMigration:
    """Up encodes point lists as delta ``path`` strings and defaults ``scaleX``/``scaleY`` to
    1; down decodes paths back to ``points`` lists and deletes the scales."""

    def up(props: Props) -> None:
        _map_segments(props, _encode_legacy_segment)
        for key in ("scaleX", "scaleY"):
            if props.get(key) is None:
                props[key] = 1

    def decode(segment: object) -> object:
        path = js_property(segment, "path")
        rest = {key: value for key, value in as_object(segment).items() if key != "path"}
        return {**rest, "points": B64Vecs.decode_points(path)}

    def down(props: Props) -> None:
        _map_segments(props, decode)
        props.pop("scaleX", None)
        props.pop("scaleY", None)

    return PropsMigration(migration_id, up, down)


def legacy_points_conversion(migration_id: str) -> PropsMigration:
    """Up converts segments still holding ``points`` (legacy absolute base64) to delta
    ``path``s; down does nothing (the previous migration's down decodes)."""

    def up(props: Props) -> None:
        _map_segments(props, _encode_legacy_segment)

    return PropsMigration(migration_id, up, _noop)


def omit_non_pressure_z(migration_id: str) -> PropsMigration:
    """Up does nothing (no ``dim`` reads as 3D); down drops ``dim``, re-encoding 2D paths as
    3D ones (pressure 0.5)."""

    def strip_dim(segment: object) -> object:
        dim = js_property(segment, "dim")
        if dim is UNDEFINED:
            return segment
        rest = {key: value for key, value in as_object(segment).items() if key != "dim"}
        if not strict_equals(dim, DIM_2D):
            return rest
        points = B64Vecs.decode_points(as_object(segment).get("path", UNDEFINED), DIM_2D)
        return {**rest, "path": B64Vecs.encode_points(points)}

    def down(props: Props) -> None:
        _map_segments(props, strip_dim)

    return PropsMigration(migration_id, _noop, down)
