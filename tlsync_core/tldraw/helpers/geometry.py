"""Plane geometry for the helpers: rigid transforms and boxes.

A shape's *local transform* (tldraw's ``getShapeLocalTransform``) rotates by its ``rotation``
and then translates by its ``(x, y)``; its *page transform* composes its ancestors' local
transforms with its own. Shapes are never scaled or skewed by their parents in tldraw, so a
:class:`Transform` is a rotation plus a translation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

__all__ = [
    "IDENTITY",
    "Box",
    "Point",
    "Transform",
    "circle_center",
    "clamp_radians",
    "local_transform",
    "union",
]

Point = tuple[float, float]


def circle_center(a: Point, b: Point, c: Point) -> Point | None:
    """tldraw's ``centerOfCircleFromThreePoints`` (None for collinear points)."""
    u = -2 * (a[0] * (b[1] - c[1]) - a[1] * (b[0] - c[0]) + b[0] * c[1] - c[0] * b[1])
    if u == 0:
        return None
    sa, sb, sc = (p[0] * p[0] + p[1] * p[1] for p in (a, b, c))
    x = (sa * (c[1] - b[1]) + sb * (a[1] - c[1]) + sc * (b[1] - a[1])) / u
    y = (sa * (b[0] - c[0]) + sb * (c[0] - a[0]) + sc * (a[0] - b[0])) / u
    return (x, y) if math.isfinite(x) and math.isfinite(y) else None


TAU: Final = 2 * math.pi


def clamp_radians(radians: float) -> float:
    """An angle in ``[0, 2π)`` (tldraw's ``clampRadians``)."""
    return (TAU + radians % TAU) % TAU


@attrs.frozen
class Transform:
    """Rotate by ``rotation`` (radians, clockwise on screen), then translate by ``(x, y)``."""

    x: float = 0.0
    y: float = 0.0
    rotation: float = 0.0

    def apply(self, x: float, y: float) -> tuple[float, float]:
        """Where this transform takes the point ``(x, y)``."""
        cos, sin = math.cos(self.rotation), math.sin(self.rotation)
        return (self.x + x * cos - y * sin, self.y + x * sin + y * cos)

    def rotate_vector(self, dx: float, dy: float) -> tuple[float, float]:
        """Where this transform's rotation takes the vector ``(dx, dy)`` (no translation)."""
        cos, sin = math.cos(self.rotation), math.sin(self.rotation)
        return (dx * cos - dy * sin, dx * sin + dy * cos)

    def then(self, inner: Transform) -> Transform:
        """``self ∘ inner``: first ``inner``, then ``self`` (a parent's transform ``then`` its
        child's local transform is the child's page transform)."""
        x, y = self.apply(inner.x, inner.y)
        return Transform(x, y, self.rotation + inner.rotation)

    def inverse(self) -> Transform:
        """The transform undoing this one."""
        back = Transform(0.0, 0.0, -self.rotation)
        x, y = back.apply(-self.x, -self.y)
        return Transform(x, y, -self.rotation)

    @property
    def page_rotation(self) -> float:
        """The rotation in ``[0, 2π)``, as tldraw reads it off a page transform."""
        return clamp_radians(self.rotation)


IDENTITY: Final = Transform()


def local_transform(shape: Mapping[str, Any]) -> Transform:
    """A shape's transform into its parent's space."""
    return Transform(float(shape["x"]), float(shape["y"]), float(shape["rotation"]))


@attrs.frozen
class Box:
    """An axis-aligned box ``(x, y, w, h)``."""

    x: float
    y: float
    w: float
    h: float

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)

    def at(self, nx: float, ny: float) -> tuple[float, float]:
        """The point at normalized coordinates ``(nx, ny)`` (``(0.5, 0.5)`` is the center)."""
        return (self.x + nx * self.w, self.y + ny * self.h)

    def corners(self) -> list[tuple[float, float]]:
        return [
            (self.x, self.y),
            (self.x + self.w, self.y),
            (self.x + self.w, self.y + self.h),
            (self.x, self.y + self.h),
        ]

    def transformed(self, transform: Transform) -> Box:
        """The axis-aligned bounds of this box moved by ``transform``."""
        return bounding_box(transform.apply(x, y) for x, y in self.corners())


def bounding_box(points: Iterable[tuple[float, float]]) -> Box:
    """The smallest box holding ``points`` (at least one)."""
    xs, ys = zip(*points, strict=True)
    return Box(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def union(boxes: Iterable[Box]) -> Box | None:
    """The smallest box holding every box, or None for none."""
    corners = [corner for box in boxes for corner in box.corners()]
    return bounding_box(corners) if corners else None
