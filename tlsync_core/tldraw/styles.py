"""Style props: shape props that the editor shares between shapes (``styles/StyleProp.ts``).

A :class:`StyleProp` is a validator with a unique ``id`` (``"tldraw:color"``) and a
``default_value``; :class:`EnumStyleProp` accepts one of its ``values``. Every style prop of
tldraw 5.4.2's default shapes is defined here (the geo, arrow and line styles too), so that
shape modules only import them. Their ids, defaults and values come from
:mod:`tlsync_core.tldraw.generated`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from tlsync_core.store.validators import T, Validator
from tlsync_core.tldraw.generated import STYLES

__all__ = [
    "ArrowShapeArrowheadEndStyle",
    "ArrowShapeArrowheadStartStyle",
    "ArrowShapeKindStyle",
    "DefaultColorStyle",
    "DefaultDashStyle",
    "DefaultFillStyle",
    "DefaultFontStyle",
    "DefaultHorizontalAlignStyle",
    "DefaultLabelColorStyle",
    "DefaultSizeStyle",
    "DefaultTextAlignStyle",
    "DefaultVerticalAlignStyle",
    "EnumStyleProp",
    "GeoShapeGeoStyle",
    "LineShapeSplineStyle",
    "StyleProp",
    "default_style_props",
]

_T = TypeVar("_T")


class StyleProp(Validator[_T], Generic[_T]):
    """A style: validates like its ``type`` and carries an ``id`` and a ``default_value``.

    Style props compare by identity, as in tldraw (a shape may use each one once).
    """

    __slots__ = ("default_value", "id", "type")

    def __init__(self, style_id: str, default_value: _T, type: Validator[_T]) -> None:
        self.id = style_id
        self.default_value = default_value
        self.type = type

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.id!r})"

    @staticmethod
    def define(
        unique_id: str, *, default_value: Any, type: Validator[Any] = T.any
    ) -> StyleProp[Any]:
        """A style prop validated by ``type`` (anything by default)."""
        return StyleProp(unique_id, default_value, type)

    @staticmethod
    def define_enum(unique_id: str, *, default_value: Any, values: Iterable[Any]) -> EnumStyleProp:
        """A style prop that is one of ``values``."""
        return EnumStyleProp(unique_id, default_value, values)

    def set_default_value(self, value: _T) -> None:
        self.default_value = value

    def validate(self, value: object) -> _T:
        return self.type.validate(value)

    def validate_using_known_good_version(self, known_good: _T, new_value: object) -> _T:
        return self.type.validate_using_known_good_version(known_good, new_value)


class EnumStyleProp(StyleProp[Any]):
    """A style prop that is one of ``values`` (tldraw's ``T.literalEnum`` of them)."""

    __slots__ = ("values",)

    def __init__(self, style_id: str, default_value: Any, values: Iterable[Any]) -> None:
        self.values: list[Any] = list(values)
        super().__init__(style_id, default_value, T.literal_enum(*self.values))

    def add_values(self, *new_values: Any) -> None:
        """Accept these values too (already known ones are skipped)."""
        self.values.extend(v for v in dict.fromkeys(new_values) if v not in self.values)
        self.type = T.literal_enum(*self.values)

    def remove_values(self, *values_to_remove: Any) -> None:
        """Stop accepting these values."""
        self.values = [v for v in self.values if v not in values_to_remove]
        self.type = T.literal_enum(*self.values)


def _enum_style(style_id: str) -> EnumStyleProp:
    """The enum style ``style_id`` with tldraw's default and values (from the generated data)."""
    data = STYLES[style_id]
    return StyleProp.define_enum(style_id, default_value=data["default"], values=data["values"])


DefaultColorStyle = _enum_style("tldraw:color")
DefaultLabelColorStyle = _enum_style("tldraw:labelColor")
DefaultDashStyle = _enum_style("tldraw:dash")
DefaultFillStyle = _enum_style("tldraw:fill")
DefaultFontStyle = _enum_style("tldraw:font")
DefaultHorizontalAlignStyle = _enum_style("tldraw:horizontalAlign")
DefaultVerticalAlignStyle = _enum_style("tldraw:verticalAlign")
DefaultSizeStyle = _enum_style("tldraw:size")
DefaultTextAlignStyle = _enum_style("tldraw:textAlign")
GeoShapeGeoStyle = _enum_style("tldraw:geo")
ArrowShapeKindStyle = _enum_style("tldraw:arrowKind")
ArrowShapeArrowheadStartStyle = _enum_style("tldraw:arrowheadStart")
ArrowShapeArrowheadEndStyle = _enum_style("tldraw:arrowheadEnd")
LineShapeSplineStyle = _enum_style("tldraw:spline")


def default_style_props() -> dict[str, EnumStyleProp]:
    """Every style prop of tldraw's default shapes, by id."""
    return {
        style.id: style
        for style in (
            DefaultColorStyle,
            DefaultLabelColorStyle,
            DefaultDashStyle,
            DefaultFillStyle,
            DefaultFontStyle,
            DefaultHorizontalAlignStyle,
            DefaultVerticalAlignStyle,
            DefaultSizeStyle,
            DefaultTextAlignStyle,
            GeoShapeGeoStyle,
            ArrowShapeKindStyle,
            ArrowShapeArrowheadStartStyle,
            ArrowShapeArrowheadEndStyle,
            LineShapeSplineStyle,
        )
    }
