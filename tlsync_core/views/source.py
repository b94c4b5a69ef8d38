"""A page's records as the tldraw helpers read them.

The geometry helpers (``tlsync_core.tldraw.helpers.shape_geometry`` and ``arrow_geometry``)
read records that tldraw's schema accepts; a picture draws whatever a room holds. A
:class:`PageSource` hands the helpers every shape and binding made readable (:func:`readable`):

* a prop of a default shape that is missing, of another JSON kind than its default (numbers
  finite), or a style outside the style's values, is the default (``helpers.defaults``);
  a shape of another kind has just its ``w`` and ``h`` (100 by default);
* a rich text is rebuilt from the lines the views read in it (one paragraph a line);
* a line's points are its points as the views order them; a stroke keeps the segments whose
  ``path`` decodes;
* a number is at most :data:`MAX_NUMBER` in magnitude (else missing);
* ``x``, ``y`` and ``rotation`` are numbers (0 by default); a shape whose parents lead back to
  itself hangs from the page;
* a binding is an arrow's binding with a start or end terminal, its anchor numbers.

``liveview.js`` ports the same rules (its ``readable``), with :data:`PROP_RULES` handed over
with its constants.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from tlsync_core.store.jsvalue import type_to_string
from tlsync_core.store.queries import Where
from tlsync_core.store.records import Record
from tlsync_core.tldraw.helpers.defaults import SHAPE_DEFAULT_PROPS
from tlsync_core.tldraw.props import get_shape_prop_keys_by_style
from tlsync_core.tldraw.shapes import DEFAULT_SHAPE_PROPS
from tlsync_core.tldraw.styles import EnumStyleProp
from tlsync_core.views.records import Rec, decode_points, line_points, mapping, string
from tlsync_core.views.text import shape_lines

__all__ = ["MAX_NUMBER", "PROP_RULES", "PageSource", "readable"]


def _rules() -> dict[str, dict[str, dict[str, Any]]]:
    rules: dict[str, dict[str, dict[str, Any]]] = {}
    for kind, defaults in SHAPE_DEFAULT_PROPS.items():
        validators = DEFAULT_SHAPE_PROPS[kind].props
        assert isinstance(validators, Mapping)
        styles = {
            key: list(style.values)
            for style, key in get_shape_prop_keys_by_style(validators).items()
            if isinstance(style, EnumStyleProp)
        }
        rules[kind] = {
            key: {"default": default, "values": styles.get(key)}
            for key, default in defaults.items()
        }
    return rules


PROP_RULES: Final = _rules()
"""Shape type -> prop -> its default and, for a style, its values (None for other props)."""


MAX_NUMBER: Final = 1e9
"""Numbers larger (in magnitude) are read as missing: no board reaches them, and the helpers'
arithmetic on them would overflow."""


def _kind(value: Any) -> str:
    """A JSON value's kind as tldraw names it (``a number``: at most :data:`MAX_NUMBER` in
    magnitude, so finite)."""
    kind = type_to_string(value)
    return "bad" if kind == "a number" and not abs(value) <= MAX_NUMBER else kind


def _number(value: Any, fallback: float) -> float:
    return float(value) if _kind(value) == "a number" else fallback


def _prop(value: Any, rule: Mapping[str, Any]) -> Any:
    default = rule["default"]
    values = rule["values"]
    if _kind(value) != _kind(default) or (values is not None and value not in values):
        return default
    if isinstance(default, Mapping):  # (an arrow's start and end: points)
        return {key: _number(value.get(key), fallback) for key, fallback in default.items()}
    return value


def _rich_text(lines: list[str]) -> dict[str, Any]:
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]}
        if line
        else {"type": "paragraph"}
        for line in lines
    ]
    return {"type": "doc", "content": paragraphs}


def _segments(props: Rec) -> list[dict[str, Any]]:
    segments = props.get("segments")
    kept = []
    for segment in segments if isinstance(segments, list) else []:
        path = segment.get("path") if isinstance(segment, Mapping) else None
        if isinstance(path, str) and decode_points(segment):
            straight = segment.get("type") == "straight"
            kept.append(
                {"type": "straight" if straight else "free", "path": path, "dim": segment["dim"]}
                if segment.get("dim") == 2
                else {"type": "straight" if straight else "free", "path": path}
            )
    return kept


def readable(shape: Rec, parent_id: str) -> Record:
    """A shape as the helpers read it (see the module docstring), hanging from ``parent_id``."""
    kind = string(shape.get("type"), "")
    props = mapping(shape.get("props"))
    rules = PROP_RULES.get(kind)
    if rules is None:
        clean: dict[str, Any] = {
            "w": _number(props.get("w"), 100),
            "h": _number(props.get("h"), 100),
        }
    else:
        clean = {key: _prop(props.get(key), rule) for key, rule in rules.items()}
        if "richText" in rules:
            clean["richText"] = _rich_text(shape_lines(props))
    if kind == "line":
        clean["points"] = {
            f"p{i}": {
                "id": f"p{i}",
                "index": f"a{i:06d}",
                "x": _number(p.get("x"), 0),
                "y": _number(p.get("y"), 0),
            }
            for i, p in enumerate(line_points(props))
        }
    if kind in ("draw", "highlight"):
        clean["segments"] = _segments(props)
    return {
        "id": shape["id"],
        "typeName": "shape",
        "type": kind,
        "x": _number(shape.get("x"), 0),
        "y": _number(shape.get("y"), 0),
        "rotation": _number(shape.get("rotation"), 0),
        "parentId": parent_id,
        "index": string(shape.get("index"), ""),
        "props": clean,
    }


def _readable_binding(binding: Rec) -> Record | None:
    props = mapping(binding.get("props"))
    terminal = props.get("terminal")
    if binding.get("type") != "arrow" or terminal not in ("start", "end"):
        return None
    anchor = mapping(props.get("normalizedAnchor"))
    return {
        "id": binding["id"],
        "typeName": "binding",
        "type": "arrow",
        "fromId": string(binding.get("fromId"), ""),
        "toId": string(binding.get("toId"), ""),
        "props": {
            "terminal": terminal,
            "normalizedAnchor": {
                "x": _number(anchor.get("x"), 0.5),
                "y": _number(anchor.get("y"), 0.5),
            },
            "isPrecise": props.get("isPrecise") is True,
            "isExact": props.get("isExact") is True,
        },
    }


class PageSource:
    """The shapes and bindings of a picture's records, readable (``tree.Records``)."""

    def __init__(
        self,
        shapes: Mapping[str, Rec],
        children: Mapping[str, list[Rec]],
        bindings: Mapping[str, list[Rec]],
        page_id: str,
    ) -> None:
        self._shapes = shapes
        self._children = children
        self._bindings = bindings
        self._page_id = page_id
        self._readable: dict[str, Record] = {}

    @property
    def query(self) -> PageSource:
        return self

    def get(self, record_id: str) -> Record | None:
        """The readable shape ``record_id`` (None for anything else)."""
        cached = self._readable.get(record_id)
        if cached is None and record_id in self._shapes:
            shape = self._shapes[record_id]
            cached = readable(shape, self._parent(shape))
            self._readable[record_id] = cached
        return cached

    def _parent(self, shape: Rec) -> str:
        """A shape's parent, or the page when its parents lead back to it."""
        parent = string(shape.get("parentId"), "")
        seen = {shape["id"]}
        current = parent
        while current in self._shapes:
            if current in seen:
                return self._page_id
            seen.add(current)
            current = string(self._shapes[current].get("parentId"), "")
        return parent

    def exec(self, type_name: str, where: Where = None) -> list[Record]:
        """An arrow's bindings (``{"fromId": id}``) or a shape's children (``{"parentId":
        id}``), readable; nothing else is asked."""
        wanted = dict(where) if isinstance(where, Mapping) else {}
        if type_name == "binding" and set(wanted) == {"fromId"}:
            found = (_readable_binding(b) for b in self._bindings.get(wanted["fromId"], []))
            return [b for b in found if b is not None]
        if type_name == "shape" and set(wanted) == {"parentId"}:
            kids = (self.get(kid["id"]) for kid in self._children.get(wanted["parentId"], []))
            return [
                kid for kid in kids if kid is not None and kid["parentId"] == wanted["parentId"]
            ]
        raise NotImplementedError(f"a picture's records answer no query {type_name} {where!r}")
