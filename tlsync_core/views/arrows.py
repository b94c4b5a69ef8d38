"""Arrows as SVG: bound ends stopped on the target's outline, straight, bent (an arc) or elbow
paths, arrowheads of every kind, and labels.
"""

from __future__ import annotations

import math
from typing import Any

from tlsync_core.tldraw.helpers.text_layout import text_width
from tlsync_core.tldraw.theme import ARROW_LABEL_FONT_SIZES, LINE_HEIGHT, STROKE_SIZES, THEME
from tlsync_core.views.geometry import (
    Matrix,
    Point,
    apply,
    first_crossing,
    invert,
    last_crossing,
    multiply,
    point_along,
    polyline_length,
    sub_polyline,
    unit,
)
from tlsync_core.views.page import Page
from tlsync_core.views.records import Rec, color_of, font_family, mapping, number, sized, string
from tlsync_core.views.svg import escape, fmt, line_d, polygon_d, pt, stroke_attrs
from tlsync_core.views.text import shape_lines, text_element

__all__ = ["arrow"]

ARC_SAMPLES = 32
"""Points sampled along a bent arrow's arc (to stop it on outlines and place its label)."""


def terminal(
    page: Page, arrow: Rec, name: str, point: Point, m: Matrix
) -> tuple[Point, list[Point] | None, bool]:
    """A terminal in the arrow's coordinates, with the bound shape's outline (or None)."""
    for binding in page.bindings.get(arrow["id"], []):
        props = mapping(binding.get("props"))
        if binding.get("type") != "arrow" or props.get("terminal") != name:
            continue
        target = page.shapes.get(string(binding.get("toId"), ""))
        if target is None or target["id"] == arrow["id"]:
            continue
        box = page.local_box(target)
        if props.get("isPrecise") is True:
            anchor = mapping(props.get("normalizedAnchor"))
            local = (
                box[0] + (box[2] - box[0]) * number(anchor.get("x"), 0.5),
                box[1] + (box[3] - box[1]) * number(anchor.get("y"), 0.5),
            )
        else:
            local = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        to_arrow = multiply(invert(m), page.page_matrix(target["id"]))
        outline = [apply(to_arrow, p) for p in page.outline(target)]
        return apply(to_arrow, local), outline, props.get("isExact") is True
    return point, None, False


def arrow(page: Page, shape: Rec, props: Rec, m: Matrix) -> str:
    """An arrow: its body between its (bound) ends, its arrowheads and its label."""
    start_prop = mapping(props.get("start"))
    end_prop = mapping(props.get("end"))
    a, start_outline, start_exact = terminal(
        page, shape, "start", (number(start_prop.get("x"), 0), number(start_prop.get("y"), 0)), m
    )
    b, end_outline, end_exact = terminal(
        page, shape, "end", (number(end_prop.get("x"), 0), number(end_prop.get("y"), 0)), m
    )
    scale = number(props.get("scale"), 1)
    sw = sized(STROKE_SIZES, props.get("size")) * scale
    color = color_of(props.get("color"), "solid")
    bend = number(props.get("bend"), 0)
    label_position = number(props.get("labelPosition"), 0.5)
    circle: tuple[float, float, float, float, float] | None = None
    if props.get("kind") == "elbow":
        mid = number(props.get("elbowMidPoint"), 0.5)
        mid_x = a[0] + (b[0] - a[0]) * mid
        path = [a, (mid_x, a[1]), (mid_x, b[1]), b]
    else:
        circle = arc_circle(a, b, bend)
        if circle is None:
            path = [a, b]
        else:
            cx, cy, r, a0, sweep = circle
            path = [a]
            for i in range(1, ARC_SAMPLES):
                theta = a0 + sweep * i / ARC_SAMPLES
                path.append((cx + r * math.cos(theta), cy + r * math.sin(theta)))
            path.append(b)
    segments = len(path) - 1
    t_start: float = 0
    t_end: float = segments
    if start_outline is not None and not start_exact:
        crossing = first_crossing(path, start_outline)
        if crossing is not None:
            t_start = crossing
    if end_outline is not None and not end_exact:
        crossing = last_crossing(path, end_outline)
        if crossing is not None:
            t_end = crossing
    if t_end <= t_start:
        t_start = 0
        t_end = segments
    path = sub_polyline(path, t_start, t_end)
    first = path[0]
    last = path[len(path) - 1]
    if circle is not None:
        cx, cy, r, a0, sweep = circle
        span = sweep * (t_end - t_start) / segments
        d = (
            f"M{pt(first)} A{fmt(r)} {fmt(r)} 0 {1 if abs(span) > math.pi else 0}"
            f" {1 if sweep > 0 else 0} {pt(last)}"
        )
    else:
        d = line_d(path)
    page.extend(m, path)
    out = (
        f'<path class="tl-arrow-line" d="{d}" fill="none"'
        f"{stroke_attrs(color, sw, props.get('dash'))}/>"
    )
    length = polyline_length(path)
    head = min(sw * 2.5 + 10, length * 0.4)
    if len(path) >= 2 and head > 0:
        before_end = path[len(path) - 2]
        end_dir = unit(last[0] - before_end[0], last[1] - before_end[1])
        start_dir = unit(first[0] - path[1][0], first[1] - path[1][1])
        start_kind = props.get("arrowheadStart", "none")
        end_kind = props.get("arrowheadEnd", "arrow")
        out += arrowhead(start_kind, first, start_dir, length=head, sw=sw, color=color)
        out += arrowhead(end_kind, last, end_dir, length=head, sw=sw, color=color)
    lines = shape_lines(props)
    if lines:
        font_size = sized(ARROW_LABEL_FONT_SIZES, props.get("size")) * scale
        if circle is not None:
            cx, cy, r, a0, sweep = circle
            t = t_start + (t_end - t_start) * label_position
            theta = a0 + sweep * t / segments
            at = (cx + r * math.cos(theta), cy + r * math.sin(theta))
        else:
            at = point_along(path, label_position)
        lh = font_size * LINE_HEIGHT
        font = string(props.get("font"), "draw")
        bw = max(text_width(line, font, font_size) for line in lines) + 8 * scale
        bh = len(lines) * lh
        out += (
            f'<rect class="tl-arrow-label-bg" x="{fmt(at[0] - bw / 2)}"'
            f' y="{fmt(at[1] - bh / 2)}" width="{fmt(bw)}" height="{fmt(bh)}" rx="4"'
            f' fill="{THEME["background"]}" fill-opacity="0.9"/>'
        )
        out += text_element(
            lines,
            x=at[0],
            top=at[1] - bh / 2,
            font_size=font_size,
            family=font_family(props.get("font")),
            fill=color_of(props.get("labelColor"), "solid"),
            anchor="middle",
            cls="tl-arrow-label",
        )
        page.extend(m, [(at[0] - bw / 2, at[1] - bh / 2), (at[0] + bw / 2, at[1] + bh / 2)])
    page_first = apply(m, first)
    page_last = apply(m, last)
    return (
        f'<g class="tl-arrow" data-start="{fmt(page_first[0])},{fmt(page_first[1])}"'
        f' data-end="{fmt(page_last[0])},{fmt(page_last[1])}">{out}</g>'
    )


def arc_circle(a: Point, b: Point, bend: float) -> tuple[float, float, float, float, float] | None:
    """The circle through a, b and the point ``bend`` off their middle: (cx, cy, r, start
    angle, signed sweep), or None when the arrow is straight."""
    if abs(bend) < 0.01:
        return None
    dx = b[0] - a[0]
    dy = b[1] - a[1]
    u = unit(dx, dy)
    if dx == 0 and dy == 0:
        return None
    mx = (a[0] + b[0]) / 2 - u[1] * bend
    my = (a[1] + b[1]) / 2 + u[0] * bend
    ax, ay, bx, by = a[0], a[1], b[0], b[1]
    d = 2 * (ax * (my - by) + mx * (by - ay) + bx * (ay - my))
    if abs(d) < 1e-9:
        return None
    a2 = ax * ax + ay * ay
    m2 = mx * mx + my * my
    b2 = bx * bx + by * by
    cx = (a2 * (my - by) + m2 * (by - ay) + b2 * (ay - my)) / d
    cy = (a2 * (bx - mx) + m2 * (ax - bx) + b2 * (mx - ax)) / d
    r = math.sqrt((ax - cx) * (ax - cx) + (ay - cy) * (ay - cy))
    a0 = math.atan2(ay - cy, ax - cx)
    am = math.atan2(my - cy, mx - cx)
    a1 = math.atan2(by - cy, bx - cx)
    to_mid = _positive_angle(am - a0)
    to_end = _positive_angle(a1 - a0)
    sweep = to_end if to_mid < to_end else to_end - math.pi * 2
    return (cx, cy, r, a0, sweep)


def _positive_angle(angle: float) -> float:
    tau = math.pi * 2
    while angle < 0:
        angle += tau
    while angle >= tau:
        angle -= tau
    return angle


def arrowhead(
    kind: Any, tip: Point, direction: Point, *, length: float, sw: float, color: str
) -> str:
    """An arrowhead at ``tip`` pointing along ``direction`` (a unit vector)."""
    if kind in (None, "none") or not isinstance(kind, str):
        return ""
    dx, dy = direction
    nx, ny = -dy, dx
    cos30 = math.cos(math.pi / 6)
    sin30 = math.sin(math.pi / 6)
    half = length * sin30 / cos30
    back = (tip[0] - dx * length, tip[1] - dy * length)
    left = (back[0] + nx * half, back[1] + ny * half)
    right = (back[0] - nx * half, back[1] - ny * half)
    stroke = (
        f' stroke="{color}" stroke-width="{fmt(sw)}" stroke-linecap="round" stroke-linejoin="round"'
    )
    cls = f'class="tl-arrowhead" data-arrowhead="{escape(kind)}"'
    if kind == "arrow":
        return f'<path {cls} d="M{pt(left)} L{pt(tip)} L{pt(right)}" fill="none"{stroke}/>'
    if kind == "triangle":
        return f'<path {cls} d="M{pt(left)} L{pt(tip)} L{pt(right)} Z" fill="{color}"{stroke}/>'
    if kind == "inverted":
        a = (tip[0] + nx * half, tip[1] + ny * half)
        b = (tip[0] - nx * half, tip[1] - ny * half)
        return f'<path {cls} d="M{pt(a)} L{pt(back)} L{pt(b)} Z" fill="{color}"{stroke}/>'
    if kind == "diamond":
        mid = (tip[0] - dx * length / 2, tip[1] - dy * length / 2)
        a = (mid[0] + nx * half / 2, mid[1] + ny * half / 2)
        b = (mid[0] - nx * half / 2, mid[1] - ny * half / 2)
        return (
            f'<path {cls} d="M{pt(tip)} L{pt(a)} L{pt(back)} L{pt(b)} Z" fill="{color}"{stroke}/>'
        )
    if kind == "square":
        s = sw * 1.5 + 3
        corners = [
            (tip[0] + (dx + nx) * s, tip[1] + (dy + ny) * s),
            (tip[0] + (dx - nx) * s, tip[1] + (dy - ny) * s),
            (tip[0] + (-dx - nx) * s, tip[1] + (-dy - ny) * s),
            (tip[0] + (-dx + nx) * s, tip[1] + (-dy + ny) * s),
        ]
        return f'<path {cls} d="{polygon_d(corners)}" fill="{color}"{stroke}/>'
    if kind == "dot":
        return (
            f'<circle {cls} cx="{fmt(tip[0])}" cy="{fmt(tip[1])}" r="{fmt(sw * 1.5 + 2)}"'
            f' fill="{color}"/>'
        )
    if kind in ("pipe", "bar"):
        a = (tip[0] + nx * half, tip[1] + ny * half)
        b = (tip[0] - nx * half, tip[1] - ny * half)
        return f'<path {cls} d="M{pt(a)} L{pt(b)}" fill="none"{stroke}/>'
    return ""
