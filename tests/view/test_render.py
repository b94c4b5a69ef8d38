"""``tlsync_core.views.render``: one page of tldraw records as SVG.

Each test parses the SVG and checks what a tldraw user would look for: the elements of each
shape kind, tldraw's colours and stroke widths, positions, and arrows ending on the outlines of
the shapes they are bound to.
"""

from __future__ import annotations

import math
import random
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from view_documents import (
    GEO_KINDS,
    arrow_props,
    binding,
    by_id,
    draw_props,
    encode_points,
    every_shape_document,
    frame_props,
    geo,
    highlight_props,
    image_asset,
    line_props,
    note_props,
    page,
    presence,
    random_document,
    rich,
    shape,
    text_props,
)

from tlsync_core.demo_schema import SHAPE, create_demo_schema
from tlsync_core.store import Store
from tlsync_core.testing.tldraw import tldraw_store
from tlsync_core.tldraw.helpers.arrow_geometry import arrow_body
from tlsync_core.tldraw.helpers.freehand import draw_outline
from tlsync_core.tldraw.helpers.geo_paths import geo_vertices, line_vertices
from tlsync_core.tldraw.helpers.text_layout import measure
from tlsync_core.tldraw.helpers.tree import page_transform
from tlsync_core.tldraw.theme import LABEL_FONT_SIZES, LABEL_PADDING, PALETTE, STROKE_SIZES
from tlsync_core.views.render import (
    SvgPicture,
    decode_points,
    display_store,
    fmt,
    render_svg,
    rich_text_lines,
    svg_of,
)

SVG = "{http://www.w3.org/2000/svg}"
Record = dict[str, Any]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def shape_el(root: ET.Element, shape_id: str) -> ET.Element:
    found = root.find(f".//{SVG}g[@data-shape-id='{shape_id}']")
    assert found is not None, f"{shape_id} is not drawn"
    return found


def texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}tspan")]


def view_box(root: ET.Element) -> tuple[float, ...]:
    return tuple(float(v) for v in root.attrib["viewBox"].split())


def draw(*records: Record, page_id: str | None = None) -> ET.Element:
    return parse(render_svg([page(), *records], page_id))


def path_numbers(d: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]


def xy(attribute: str) -> tuple[float, float]:
    x, y = attribute.split(",")
    return float(x), float(y)


# -- the document ---------------------------------------------------------------------------------


@pytest.mark.spec("VIEW1")
def test_svg_document_fits_the_content_with_padding() -> None:
    """The output is an SVG document whose viewBox (and size) is the page content's bounds plus
    32 units of padding, over a background in tldraw's canvas colour."""
    root = draw(geo("shape:a", x=10, y=20, w=100, h=50), geo("shape:b", x=300, y=-40))
    assert root.tag == f"{SVG}svg"
    assert view_box(root) == (10 - 32, -40 - 32, 390 + 64, 110 + 64)
    assert (root.attrib["width"], root.attrib["height"]) == ("454", "174")
    background = root.find(f"{SVG}rect")
    assert background is not None
    assert background.attrib["fill"] == "#f9fafb"


@pytest.mark.spec("VIEW1")
def test_an_empty_page_has_a_default_view() -> None:
    """A page without shapes still renders (a 640×480 view) and names its page."""
    root = draw()
    assert view_box(root) == (0, 0, 640, 480)
    assert root.attrib["data-page-id"] == "page:page"
    assert render_svg({}) == render_svg([])


@pytest.mark.spec("VIEW1")
def test_the_first_page_by_index_is_drawn_unless_another_is_asked_for() -> None:
    """Without ``page_id`` the first page by fractional index is drawn; shapes of other pages
    are left out."""
    records = [
        page("page:b", "B", "a2"),
        page("page:a", "A", "a1"),
        geo("shape:on-a") | {"parentId": "page:a"},
        geo("shape:on-b") | {"parentId": "page:b"},
    ]
    root = parse(render_svg(records))
    assert root.attrib["data-page-id"] == "page:a"
    assert [
        g.attrib["data-shape-id"] for g in root.iter(f"{SVG}g") if "data-shape-id" in g.attrib
    ] == ["shape:on-a"]
    other = parse(render_svg(records, "page:b"))
    assert shape_el(other, "shape:on-b") is not None


@pytest.mark.spec("VIEW8")
def test_output_is_deterministic_and_ordered_by_index() -> None:
    """The same records give the same bytes whatever their order, and siblings are drawn in
    fractional-index order (ties by id)."""
    records = list(random_document(7).values())
    first = render_svg(records)
    for seed in range(5):
        shuffled = records[:]
        random.Random(seed).shuffle(shuffled)
        assert render_svg(shuffled) == first
        assert render_svg({r["id"]: r for r in shuffled}) == first
    root = draw(geo("shape:c", index="a3"), geo("shape:a", index="a1"), geo("shape:b", index="a1"))
    order = [g.attrib["data-shape-id"] for g in root.iter(f"{SVG}g") if "data-shape-id" in g.attrib]
    assert order == ["shape:a", "shape:b", "shape:c"]


@pytest.mark.spec("VIEW8")
@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (-0.0, "0"),
        (-0.004, "0"),
        (1.005, "1"),
        (0.125, "0.13"),
        (-0.125, "-0.12"),
        (2.5, "2.5"),
        (12.345678, "12.35"),
        (-3.1, "-3.1"),
        (100, "100"),
        (1e-9, "0"),
        (float("nan"), "0"),
        (float("inf"), "0"),
    ],
)
def test_numbers_have_at_most_two_decimals(value: float, text: str) -> None:
    """Numbers are rounded half up (towards +∞) to two decimals, written without trailing zeros,
    never as ``-0``; non-finite numbers are 0."""
    assert fmt(value) == text


@pytest.mark.spec("VIEW1")
def test_every_document_is_well_formed_xml() -> None:
    """Every kind of shape, odd text (``<``, ``&``, quotes, control characters) and odd props
    give well-formed XML."""
    docs = [every_shape_document(), *(random_document(seed) for seed in range(20))]
    weird = geo("shape:w", w=400, richText=rich('a<b & "c"\x01'), color=42, fill=None, size="?")
    weird["props"]["geo"] = "no-such-kind"
    docs.append(by_id([page(), weird, shape("shape:x", "mystery", {"w": "wide"})]))
    for doc in docs:
        parse(render_svg(doc))
    root = parse(render_svg(docs[-1]))
    assert texts(shape_el(root, "shape:w")) == ['a<b & "c"']


# -- geo shapes -----------------------------------------------------------------------------------


@pytest.mark.spec("VIEW2")
@pytest.mark.parametrize("kind", GEO_KINDS)
def test_every_geo_kind_is_drawn_within_its_box(kind: str) -> None:
    """Each of the 20 geo kinds is a closed ``tl-geo`` path inside its w×h box, stroked in the
    shape's colour with its size's stroke width; x-box and check-box add their marks."""
    root = draw(geo("shape:g", geo=kind, w=120, h=80, color="blue", size="l"))
    element = shape_el(root, "shape:g")
    assert element.attrib["data-geo"] == kind
    outline = element.find(f"{SVG}path")
    assert outline is not None
    assert outline.attrib["class"] == "tl-geo"
    assert outline.attrib["d"].endswith("Z")
    assert outline.attrib["stroke"] == PALETTE["blue"]["solid"] == "#4465e9"
    assert outline.attrib["stroke-width"] == "5"
    numbers = path_numbers(outline.attrib["d"])
    if kind != "cloud":  # (its wiggled bumps may pass the box, as in tldraw)
        xs, ys = numbers[0::2], numbers[1::2]
        assert min(xs) >= -0.01 and max(xs) <= 120.01, kind
        assert min(ys) >= -0.01 and max(ys) <= 80.01, kind
    marks = element.findall(f"{SVG}path")
    assert len(marks) == (2 if kind in ("x-box", "check-box") else 1)


@pytest.mark.spec("VIEW2")
def test_geo_polygons_have_tldraw_vertices() -> None:
    """The straight-edged kinds have tldraw's vertices (a triangle's apex at the top middle,
    a diamond's at the edge midpoints, a regular hexagon fitted to its box, a 10-point star)."""

    def vertices(kind: str) -> list[float]:
        element = shape_el(draw(geo("shape:g", geo=kind, w=100, h=80)), "shape:g")
        outline = element.find(f"{SVG}path")
        assert outline is not None
        return path_numbers(outline.attrib["d"])

    assert vertices("triangle") == [50, 0, 100, 80, 0, 80]
    assert vertices("diamond") == [50, 0, 100, 40, 50, 80, 0, 40]
    assert vertices("rectangle") == [0, 0, 100, 0, 100, 80, 0, 80]
    assert vertices("rhombus") == [30.4, 0, 100, 0, 69.6, 80, 0, 80]
    hexagon = vertices("hexagon")
    assert len(hexagon) == 12 and min(hexagon[0::2]) == 0 and max(hexagon[0::2]) == 100
    assert len(vertices("star")) == 20
    assert vertices("arrow-right")[6:8] == [100, 40]  # the tip, mid-height on the right


@pytest.mark.spec("VIEW2")
@pytest.mark.parametrize("kind", ["ellipse", "oval", "heart", "cloud"])
def test_curved_geo_kinds_are_tldraws_sampled_outlines(kind: str) -> None:
    """A curved kind is drawn as the outline of the tldraw helpers (``geo_vertices``, tested
    against tldraw's editor): its arcs and Béziers sampled as tldraw samples them, a cloud's
    bumps from the shape's id, size and scale; a growing label (``growY``) makes it taller."""
    curvy = geo("shape:curvy", geo=kind, w=130, h=90, growY=20, size="l", scale=1.5)
    element = shape_el(draw(curvy), "shape:curvy")
    outline = element.find(f"{SVG}path")
    assert outline is not None
    expected = geo_vertices(kind, 130, 110, shape_id="shape:curvy", size="l", scale=1.5)
    assert len(expected) > 20
    flat = [c for p in expected for c in p]
    assert path_numbers(outline.attrib["d"]) == pytest.approx(flat, abs=0.006)


@pytest.mark.spec("VIEW2")
@pytest.mark.parametrize(
    ("fill", "expected"),
    [
        ("none", "none"),
        ("semi", "#fcfffe"),
        ("solid", PALETTE["red"]["semi"]),
        ("fill", PALETTE["red"]["solid"]),
        ("lined-fill", PALETTE["red"]["linedFill"]),
        ("pattern", "url(#tl-pattern-red)"),
    ],
)
def test_fills_use_tldraws_palette(fill: str, expected: str) -> None:
    """Fills as tldraw paints them: none, semi (the theme's solid white), solid (the colour's
    semi tint), fill, lined-fill, and pattern (a hatch in the colour's pattern tint)."""
    root = draw(geo("shape:g", color="red", fill=fill))
    outline = shape_el(root, "shape:g").find(f"{SVG}path")
    assert outline is not None
    assert outline.attrib["fill"] == expected
    pattern = root.find(f".//{SVG}pattern[@id='tl-pattern-red']")
    assert (pattern is not None) == (fill == "pattern")
    if pattern is not None:
        hatch = pattern.find(f"{SVG}path")
        assert hatch is not None
        assert hatch.attrib["stroke"] == PALETTE["red"]["pattern"]


@pytest.mark.spec("VIEW2")
@pytest.mark.parametrize(("size", "width"), [("s", 2), ("m", 3.5), ("l", 5), ("xl", 10)])
def test_stroke_widths_follow_the_size_style(size: str, width: float) -> None:
    """Stroke widths are tldraw's STROKE_SIZES (s/m/l/xl = 2/3.5/5/10) times the shape's
    scale."""
    assert STROKE_SIZES[size] == width
    for scale in (1, 2):
        outline = shape_el(draw(geo("shape:g", size=size, scale=scale)), "shape:g").find(
            f"{SVG}path"
        )
        assert outline is not None
        assert float(outline.attrib["stroke-width"]) == width * scale


@pytest.mark.spec("VIEW2")
def test_dash_styles() -> None:
    """Dashed and dotted strokes get dash arrays scaled by the stroke width; draw and solid are
    continuous; dash none leaves the outline unstroked."""

    def outline(dash: str) -> dict[str, str]:
        element = shape_el(draw(geo("shape:g", dash=dash, size="m")), "shape:g").find(f"{SVG}path")
        assert element is not None
        return element.attrib

    assert outline("dashed")["stroke-dasharray"] == "7 7"
    assert outline("dotted")["stroke-dasharray"] == "0 7"
    assert "stroke-dasharray" not in outline("solid")
    assert "stroke-dasharray" not in outline("draw")
    assert outline("none")["stroke"] == "none"


@pytest.mark.spec("VIEW2")
def test_unknown_colours_fall_back_and_hex_colours_pass_through() -> None:
    """A colour name outside the palette is drawn black; a hex colour (a custom palette entry)
    is used as it is."""
    odd = shape_el(draw(geo("shape:g", color="chartreuse")), "shape:g").find(f"{SVG}path")
    hexed = shape_el(draw(geo("shape:g", color="#123abc")), "shape:g").find(f"{SVG}path")
    assert odd is not None and hexed is not None
    assert odd.attrib["stroke"] == "#1d1d1d"
    assert hexed.attrib["stroke"] == "#123abc"


@pytest.mark.spec("VIEW2")
def test_flipped_geo_mirrors_its_outline_not_its_label() -> None:
    """flipX/flipY mirror the outline inside the shape's box; the label stays readable."""
    element = shape_el(draw(geo("shape:g", geo="triangle", flipY=True, richText=rich("up"))),
                       "shape:g")  # fmt: skip
    mirror = element.find(f"{SVG}g")
    assert mirror is not None
    assert mirror.attrib["transform"] == "matrix(1 0 0 -1 0 100)"
    assert texts(element) == ["up"]


# -- text -----------------------------------------------------------------------------------------


@pytest.mark.spec("VIEW3")
def test_rich_text_becomes_plain_lines() -> None:
    """TipTap JSON becomes text lines: paragraphs and headings, hard breaks, empty paragraphs,
    bullet and ordered lists (with their start and nesting); a plain string splits on
    newlines."""
    doc = {
        "type": "doc",
        "content": [
            {"type": "heading", "attrs": {"level": 1},
             "content": [{"type": "text", "text": "Title"}]},
            {"type": "paragraph", "content": [
                {"type": "text", "text": "one "},
                {"type": "text", "marks": [{"type": "bold"}], "text": "bold"},
                {"type": "hardBreak"},
                {"type": "text", "text": "two"},
            ]},
            {"type": "paragraph"},
            {"type": "bulletList", "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": [
                    {"type": "text", "text": "apples"}]}]},
                {"type": "listItem", "content": [
                    {"type": "paragraph", "content": [{"type": "text", "text": "pears"}]},
                    {"type": "orderedList", "attrs": {"start": 3}, "content": [
                        {"type": "listItem", "content": [{"type": "paragraph", "content": [
                            {"type": "text", "text": "conference"}]}]},
                    ]},
                ]},
            ]},
        ],
    }  # fmt: skip
    assert rich_text_lines(doc) == [
        "Title",
        "one bold",
        "two",
        "",
        "• apples",
        "• pears",
        "  3. conference",
    ]
    assert rich_text_lines("a\nb") == ["a", "b"]
    assert rich_text_lines(None) == []


@pytest.mark.spec("VIEW3")
def test_geo_labels_use_label_font_sizes_alignment_and_label_colour() -> None:
    """A geo label is drawn in the label colour at tldraw's label font size for the shape's
    size, anchored by ``align`` and centred vertically by default."""
    element = shape_el(
        draw(geo("shape:g", w=200, h=100, richText=rich("hi\nthere"), size="xl",
                 labelColor="green", align="start", font="mono")),
        "shape:g",
    )  # fmt: skip
    label = element.find(f"{SVG}text")
    assert label is not None
    assert label.attrib["font-size"] == "32"
    assert label.attrib["fill"] == PALETTE["green"]["solid"]
    assert label.attrib["text-anchor"] == "start"
    assert label.attrib["x"] == "16"
    assert "tldraw_mono" in label.attrib["font-family"]
    lines = element.findall(f".//{SVG}tspan")
    assert [t.text for t in lines] == ["hi", "there"]
    centre = (float(lines[0].attrib["y"]) + float(lines[1].attrib["y"])) / 2
    assert centre == pytest.approx(50)


@pytest.mark.spec("VIEW3")
def test_long_labels_wrap_inside_the_shape() -> None:
    """Label lines longer than the shape's inner width wrap at spaces."""
    words = "a rather long label that cannot fit on one line"
    element = shape_el(draw(geo("shape:g", w=150, h=200, richText=rich(words))), "shape:g")
    lines = texts(element)
    assert len(lines) > 1
    assert " ".join(lines) == words


@pytest.mark.spec("VIEW3")
def test_labels_wrap_as_tldraw_lays_out_their_font() -> None:
    """Labels wrap where tldraw's text layout (``text_layout.measure``, tldraw's font metrics)
    breaks them for the label's font, so the same words wrap differently in a narrow font and a
    wide one, and a word too long for the shape breaks between characters."""
    words = "iiii iiii iiii iiii iiii iiii mmmm mmmm mmmm Supercalifragilisticexpialidocious"

    def lines(font: str) -> list[str]:
        label = geo("shape:g", w=160, h=300, font=font, richText=rich(words))
        return texts(shape_el(draw(label), "shape:g"))

    def expected(font: str) -> list[str]:
        room = 160 - LABEL_PADDING * 2
        box = measure([words], font, LABEL_FONT_SIZES["m"], max_width=room)
        return [line.rstrip(" ") for line in box.lines]

    assert lines("sans") == expected("sans")
    assert lines("mono") == expected("mono")
    assert lines("sans") != lines("mono")
    assert "Supercalifragilisticexpialidocious" not in lines("mono")


@pytest.mark.spec("VIEW3")
def test_text_shapes() -> None:
    """A text shape draws its lines in its colour at tldraw's font size for its size (times
    scale), from its top-left corner; fixed-width text wraps, auto-sized text does not."""
    root = draw(
        shape("shape:t", "text", text_props("Hello\nworld", color="violet", size="l"), x=5, y=6),
        shape("shape:w", "text", text_props("one two three four", autoSize=False, w=60)),
    )
    element = shape_el(root, "shape:t")
    assert element.attrib["transform"] == "translate(5 6)"
    text_el = element.find(f"{SVG}text")
    assert text_el is not None
    assert text_el.attrib["font-size"] == "36"
    assert text_el.attrib["fill"] == PALETTE["violet"]["solid"]
    assert texts(element) == ["Hello", "world"]
    assert len(texts(shape_el(root, "shape:w"))) > 1


@pytest.mark.spec("VIEW3")
def test_notes() -> None:
    """A note is a 200×200 sticky (plus growY, times scale) in the colour's note fill with its
    label in the note text colour."""
    element = shape_el(
        draw(shape("shape:n", "note", note_props("sticky", color="blue", growY=50))), "shape:n"
    )
    body = element.find(f"{SVG}rect[@class='tl-note']")
    assert body is not None
    assert (body.attrib["width"], body.attrib["height"]) == ("200", "250")
    assert body.attrib["fill"] == PALETTE["blue"]["noteFill"] == "#8AA3FF"
    label = element.find(f"{SVG}text")
    assert label is not None
    assert label.attrib["fill"] == PALETTE["blue"]["noteText"]
    assert label.attrib["font-size"] == "22"
    assert texts(element) == ["sticky"]


@pytest.mark.spec("VIEW3", "VIEW4")
def test_frames_show_their_name_and_clip_their_children() -> None:
    """A frame is a rectangle in the colour's frame fill and stroke, with its name above it
    ("Frame" when unnamed); its children are drawn inside it, relative to it, clipped to it."""
    root = draw(
        shape("shape:f", "frame", frame_props("Sprint <1>", 300, 200, "red"), x=100, y=50),
        geo("shape:child", x=10, y=20, w=40, h=40) | {"parentId": "shape:f"},
        shape("shape:unnamed", "frame", frame_props("", 100, 100), x=600),
    )
    frame = shape_el(root, "shape:f")
    rect = frame.find(f"{SVG}rect")
    assert rect is not None
    assert rect.attrib["fill"] == PALETTE["red"]["frameFill"]
    assert rect.attrib["stroke"] == PALETTE["red"]["frameStroke"]
    heading = frame.find(f"{SVG}text")
    assert heading is not None
    assert heading.text == "Sprint <1>"
    clip = frame.find(f"{SVG}clipPath")
    assert clip is not None
    clipped = frame.find(f"{SVG}g[@clip-path='url(#{clip.attrib['id']})']")
    assert clipped is not None
    child = shape_el(clipped, "shape:child")
    assert child.attrib["transform"] == "translate(10 20)"
    unnamed = shape_el(root, "shape:unnamed").find(f"{SVG}text")
    assert unnamed is not None
    assert unnamed.text == "Frame"


@pytest.mark.spec("VIEW3")
def test_media_are_labelled_placeholders() -> None:
    """Images, videos, bookmarks, embeds and unknown shape types are labelled placeholders of
    their size (an image named after its asset, a bookmark after its URL)."""
    root = draw(
        image_asset("asset:i", "cat.png"),
        shape("shape:i", "image", {"w": 200, "h": 100, "assetId": "asset:i", "altText": ""}),
        shape("shape:v", "video", {"w": 200, "h": 100, "assetId": None, "altText": "demo"}),
        shape("shape:b", "bookmark", {"w": 300, "h": 100, "url": "https://tldraw.dev"}),
        shape("shape:e", "embed", {"w": 300, "h": 100, "url": "https://example.com"}),
        shape("shape:c", "my-widget", {}),
    )
    labels = {
        key: shape_el(root, key).find(f"{SVG}text")
        for key in ("shape:i", "shape:v", "shape:b", "shape:e", "shape:c")
    }
    assert {key: (el.text if el is not None else None) for key, el in labels.items()} == {
        "shape:i": "Image: cat.png",
        "shape:v": "Video: demo",
        "shape:b": "Bookmark: https://tldraw.dev",
        "shape:e": "Embed: https://example.com",
        "shape:c": "my-widget",
    }
    rect = shape_el(root, "shape:i").find(f"{SVG}rect")
    assert rect is not None
    assert (rect.attrib["width"], rect.attrib["height"]) == ("200", "100")


# -- transforms -----------------------------------------------------------------------------------


@pytest.mark.spec("VIEW4")
def test_position_rotation_and_opacity() -> None:
    """A shape's group carries ``translate(x y) rotate(degrees)`` and its opacity."""
    record = geo("shape:g", x=12.5, y=-7) | {"rotation": math.pi / 2, "opacity": 0.5}
    element = shape_el(draw(record), "shape:g")
    assert element.attrib["transform"] == "translate(12.5 -7) rotate(90)"
    assert element.attrib["opacity"] == "0.5"
    plain = shape_el(draw(geo("shape:p")), "shape:p")
    assert plain.attrib["transform"] == "translate(0 0)"
    assert "opacity" not in plain.attrib


@pytest.mark.spec("VIEW4")
def test_groups_nest_their_children_and_the_view_uses_page_coordinates() -> None:
    """Children of a group are drawn inside it, relative to it; the view box is computed from
    page coordinates (parent transforms applied, rotation included)."""
    root = draw(
        shape("shape:grp", "group", {}, x=1000, y=1000, rotation=math.pi),
        geo("shape:kid", x=0, y=0, w=100, h=50) | {"parentId": "shape:grp"},
    )
    group = shape_el(root, "shape:grp")
    assert shape_el(group, "shape:kid").attrib["transform"] == "translate(0 0)"
    # the child covers page x 900..1000, y 950..1000 once the group's half-turn is applied
    assert view_box(root) == (900 - 32, 950 - 32, 100 + 64, 50 + 64)


# -- lines and strokes ----------------------------------------------------------------------------


@pytest.mark.spec("VIEW5")
def test_lines_follow_their_points_by_index() -> None:
    """A line goes through its points in index order; a cubic spline through them along the
    path of the tldraw helpers (``line_vertices``: tldraw's spline, sampled)."""
    props = line_props([(0, 0), (50, 50), (100, 0)])
    props["points"]["p0"]["index"] = "a9"  # now the last point
    root = draw(
        shape("shape:l", "line", props),
        shape("shape:s", "line", line_props([(0, 0), (50, 50), (100, 0)], spline="cubic")),
    )
    line = shape_el(root, "shape:l").find(f"{SVG}path")
    spline = shape_el(root, "shape:s").find(f"{SVG}path")
    assert line is not None and spline is not None
    assert line.attrib["d"] == "M50 50 L100 0 L0 0"
    expected = line_vertices([(0, 0), (50, 50), (100, 0)], "cubic")
    assert len(expected) > 3
    flat = [c for p in expected for c in p]
    assert path_numbers(spline.attrib["d"]) == pytest.approx(flat, abs=0.006)
    assert spline.attrib["fill"] == "none"


@pytest.mark.spec("VIEW5")
def test_draw_paths_decode_tldraw_base64_points() -> None:
    """5.4.2 draw segments store base64 paths (a float32 first point, float16 deltas, with or
    without pressure): they decode to the drawn points."""
    points = [(10.0, 20.0), (12.5, 24.0), (20.0, 30.0), (18.25, 29.5)]
    for dim in (2, 3):
        segment = {"type": "free", "path": encode_points(points, dim)} | (
            {"dim": 2} if dim == 2 else {}
        )
        assert decode_points(segment) == points
    assert decode_points({"type": "free", "points": [{"x": 1, "y": 2, "z": 0.5}]}) == [(1, 2)]
    assert decode_points({"type": "free", "path": "!!"}) == []
    assert decode_points({"type": "free", "path": ""}) == []


@pytest.mark.spec("VIEW5")
def test_draw_and_highlight_strokes() -> None:
    """A draw shape is a stroke through the points of tldraw's geometry of it (its points
    scaled by scaleX/scaleY and streamlined, ``freehand.draw_outline``), closed and filled when
    closed with a fill; a highlighter stroke is wide and in the colour's highlight tint."""
    stroke = [(0.0, 0.0), (10.0, 10.0), (20.0, 0.0), (30.0, 10.0)]
    props = draw_props(stroke, color="green", scaleX=2)
    root = draw(
        shape("shape:d", "draw", props),
        shape("shape:c", "draw", draw_props(stroke, isClosed=True, fill="solid")),
        shape("shape:h", "highlight", highlight_props(stroke, color="yellow", size="s")),
    )
    path = shape_el(root, "shape:d").find(f"{SVG}path")
    assert path is not None
    assert path.attrib["stroke"] == PALETTE["green"]["solid"]
    outline, closed_outline = draw_outline(props)
    assert not closed_outline
    assert path.attrib["d"] == "M" + " L".join(f"{fmt(x)} {fmt(y)}" for x, y in outline)
    assert path.attrib["d"].endswith("L60 10")
    closed = shape_el(root, "shape:c").find(f"{SVG}path")
    assert closed is not None
    assert closed.attrib["d"].endswith("Z")
    assert closed.attrib["fill"] == PALETTE["black"]["semi"]
    highlight = shape_el(root, "shape:h").find(f"{SVG}path")
    assert highlight is not None
    assert highlight.attrib["stroke"] == PALETTE["yellow"]["highlightSrgb"]
    assert float(highlight.attrib["stroke-width"]) == pytest.approx(18 * 1.12)


# -- arrows ---------------------------------------------------------------------------------------


def arrow_ends(root: ET.Element, arrow_id: str) -> tuple[tuple[float, float], tuple[float, float]]:
    group = shape_el(root, arrow_id).find(f"{SVG}g[@class='tl-arrow']")
    assert group is not None
    return xy(group.attrib["data-start"]), xy(group.attrib["data-end"])


@pytest.mark.spec("VIEW6")
def test_unbound_arrows_go_from_start_to_end() -> None:
    """An unbound arrow runs from its start to its end prop (in its own coordinates) with an
    arrowhead at the end by default."""
    root = draw(shape("shape:a", "arrow", arrow_props((0, 0), (100, 50)), x=10, y=10))
    assert arrow_ends(root, "shape:a") == ((10, 10), (110, 60))
    element = shape_el(root, "shape:a")
    line = element.find(f".//{SVG}path[@class='tl-arrow-line']")
    assert line is not None
    assert line.attrib["d"] == "M0 0 L100 50"
    heads = element.findall(f".//{SVG}path[@class='tl-arrowhead']")
    assert [h.attrib["data-arrowhead"] for h in heads] == ["arrow"]


def helper_ends(records: list[Record], arrow_id: str) -> tuple[tuple[float, float], ...]:
    """Where ``arrow_geometry.arrow_body`` ends an arrow on the page (2 decimals), the records
    in a tldraw store."""
    store = tldraw_store()
    store.put([page(), *records])
    arrow = store.get(arrow_id)
    assert arrow is not None
    body = arrow_body(store, arrow)
    transform = page_transform(store, arrow_id)
    ends = (transform.apply(*body[0]), transform.apply(*body[-1]))
    return tuple((float(fmt(x)), float(fmt(y))) for x, y in ends)


@pytest.mark.spec("VIEW6")
def test_arrows_bound_to_shapes_end_at_their_edges() -> None:
    """A bound terminal points at the target's centre and stops where tldraw stops it
    (``arrow_geometry``): on the target's outline, backed off from it for an arrowhead."""
    records = [
        geo("shape:box", x=0, y=0, w=100, h=100),
        geo("shape:ring", geo="ellipse", x=300, y=200, w=100, h=60),
        shape("shape:a", "arrow", arrow_props((0, 0), (1, 1))),
        binding("binding:s", "shape:a", "shape:box", "start"),
        binding("binding:e", "shape:a", "shape:ring", "end"),
    ]
    start, end = arrow_ends(draw(*records), "shape:a")
    assert (start, end) == helper_ends(records, "shape:a")
    # the ray from the box's centre (50, 50) to the ring's centre (350, 230), no arrowhead
    assert start[0] == pytest.approx(100, abs=0.01)
    assert start[1] == pytest.approx(50 + 180 * 50 / 300, abs=0.01)
    ellipse = ((end[0] - 350) / 50) ** 2 + ((end[1] - 230) / 30) ** 2
    assert ellipse > 1.1  # off the ring's near side, for the arrowhead
    assert end[0] < 350 and end[1] < 230


@pytest.mark.spec("VIEW6")
def test_bound_ends_follow_rotated_targets_and_arrow_transforms() -> None:
    """Binding geometry is computed in page space, as tldraw computes it: a rotated target's
    outline, an arrow inside a rotated, translated group."""
    target = geo("shape:t", x=400, y=0, w=100, h=100) | {"rotation": math.pi / 4}
    records = [
        target,
        shape("shape:grp", "group", {}, x=50, y=300, rotation=math.pi / 2),
        shape("shape:a", "arrow", arrow_props((0, 0), (0, 0)), parent="shape:grp"),
        binding("binding:e", "shape:a", "shape:t", "end", (0.5, 0.5)),
    ]
    start, end = arrow_ends(draw(*records), "shape:a")
    assert start == (50, 300)  # the group's origin: the arrow's unbound start
    assert (start, end) == helper_ends(records, "shape:a")


@pytest.mark.spec("VIEW6")
def test_precise_and_exact_bindings() -> None:
    """A precise binding aims at its normalized anchor and stops 10 units plus the strokes off
    the outline for an arrowhead; an exact one ends on the anchor itself, inside the shape."""
    root = draw(
        geo("shape:box", x=200, y=0, w=100, h=100),
        shape("shape:p", "arrow", arrow_props((0, 25), (0, 0))),
        binding("binding:p", "shape:p", "shape:box", "end", (0.5, 0.25), precise=True),
        shape("shape:x", "arrow", arrow_props((0, 25), (0, 0))),
        binding("binding:x", "shape:x", "shape:box", "end", (0.5, 0.25), precise=True,
                exact=True),
    )  # fmt: skip
    assert arrow_ends(root, "shape:p")[1] == (200 - 10 - STROKE_SIZES["m"], 25)
    assert arrow_ends(root, "shape:x")[1] == (250, 25)


@pytest.mark.spec("VIEW6")
def test_bent_elbow_and_labelled_arrows() -> None:
    """A bent arrow is tldraw's arc through the bend point, sampled; an elbow arrow is drawn
    straight (its routing is not modelled); a label sits at labelPosition along the arrow over
    a background patch; arrowheads of each kind are drawn at their end."""
    root = draw(
        shape("shape:bent", "arrow", arrow_props((0, 0), (200, 0), bend=50)),
        shape("shape:elbow", "arrow", arrow_props((0, 0), (100, 80), kind="elbow")),
        shape("shape:label", "arrow", arrow_props((0, 0), (200, 0), richText=rich("yes"),
              arrowheadStart="dot", arrowheadEnd="triangle")),
    )  # fmt: skip
    bent = shape_el(root, "shape:bent").find(f".//{SVG}path[@class='tl-arrow-line']")
    assert bent is not None
    numbers = path_numbers(bent.attrib["d"])
    points = list(zip(numbers[0::2], numbers[1::2], strict=True))
    assert points[0] == (0, 0) and points[-1] == (200, 0) and (100, 50) in points
    # on the circle through (0,0), (100,50), (200,0): centre (100, -75), radius 125
    assert all(math.hypot(x - 100, y + 75) == pytest.approx(125, abs=0.01) for x, y in points)
    elbow = shape_el(root, "shape:elbow").find(f".//{SVG}path[@class='tl-arrow-line']")
    assert elbow is not None
    assert elbow.attrib["d"] == "M0 0 L100 80"
    labelled = shape_el(root, "shape:label")
    assert texts(labelled) == ["yes"]
    tspan = labelled.find(f".//{SVG}tspan")
    assert tspan is not None
    assert (tspan.attrib["x"], tspan.attrib["y"]) == ("100", "0")
    assert labelled.find(f".//{SVG}rect[@class='tl-arrow-label-bg']") is not None
    assert labelled.find(f".//{SVG}circle[@data-arrowhead='dot']") is not None
    assert labelled.find(f".//{SVG}path[@data-arrowhead='triangle']") is not None


# -- presence -------------------------------------------------------------------------------------


@pytest.mark.spec("VIEW7")
def test_collaborators_cursors_with_names() -> None:
    """Each collaborator with a cursor on this page is drawn at the cursor in their colour with
    their name; cursors on other pages, and presences without a cursor, are not."""
    root = draw(
        presence("instance_presence:a", "Alice", (120, 80), "#4465e9"),
        presence("instance_presence:b", "Bob", (5, 5), page_id="page:other"),
        presence("instance_presence:c", "Carol", None),
    )
    cursors = root.findall(f".//{SVG}g[@class='tl-cursor']")
    assert [c.attrib["data-user-name"] for c in cursors] == ["Alice"]
    assert cursors[0].attrib["transform"].startswith("translate(120 80)")
    pointer = cursors[0].find(f"{SVG}path")
    assert pointer is not None
    assert pointer.attrib["fill"] == "#4465e9"
    name = cursors[0].find(f"{SVG}text")
    assert name is not None
    assert name.text == "Alice"
    assert render_svg([page()], presence=False) == render_svg([page()])


# -- stores and notebooks -------------------------------------------------------------------------


@pytest.mark.spec("VIEW13")
def test_stores_snapshots_and_notebook_display() -> None:
    """``svg_of`` draws a Store (or anything with ``.store``), ``render_svg`` also takes a room
    snapshot, and ``display_store`` returns a picture Jupyter shows through ``_repr_svg_``."""
    store = Store(schema=create_demo_schema())
    store.put([SHAPE.create(id="shape:box", props=geo("shape:box", w=80, h=40)["props"])])
    svg = svg_of(store)
    assert shape_el(parse(svg), "shape:box").attrib["data-geo"] == "rectangle"

    class Room:
        def __init__(self, store: Store) -> None:
            self.store = store

    assert svg_of(Room(store)) == svg
    snapshot = {"documents": [{"state": r, "lastChangedClock": 0} for r in store.all_records()]}
    assert render_svg(snapshot) == svg
    picture = display_store(store)
    assert isinstance(picture, SvgPicture)
    assert picture._repr_svg_() == str(picture) == svg_of(store, unique_ids=True)


@pytest.mark.spec("VIEW13")
def test_notebook_pictures_name_their_definitions_uniquely() -> None:
    """With ``unique_ids`` the pattern and clip-path ids (and their references) carry a hash of
    the picture, so pictures of different states do not share ids in one notebook; the same
    state gives the same picture."""
    first = every_shape_document()
    second = random_document(4)
    a = svg_of(first, unique_ids=True)
    b = svg_of(second, unique_ids=True)
    ids_a = set(re.findall(r'id="(tl[^"]*)"', a))
    ids_b = set(re.findall(r'id="(tl[^"]*)"', b))
    assert ids_a and ids_b and not ids_a & ids_b
    for ref in re.findall(r"url\(#([^)]*)\)", a):
        assert ref in ids_a
    assert svg_of(first, unique_ids=True) == a
    assert svg_of(first) == render_svg(first)
