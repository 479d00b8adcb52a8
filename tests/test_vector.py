"""The vector backend: SVG / PDF stills and drawing into a user's Axes."""

import io
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter

import numpy as np
import pytest

import convgif
from convgif.api import render
from convgif.errors import ConvGifError
from convgif.views.scene import Box, Line, Scene, Text
from convgif.views.text import fmt

pytest.importorskip("matplotlib")

from convgif.backends import vector  # noqa: E402

SHAPE = (3, 7, 7)
FRAME = 6  # as the counter writes it ("frame 6/20"): the scene of index 5
SVG_NS = "{http://www.w3.org/2000/svg}"


def layer():
    return convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)


@pytest.fixture(scope="module")
def scene():
    return render.picture(layer(), input_shape=SHAPE).scene(FRAME - 1)


def svg_texts(path) -> list[str]:
    root = ET.parse(path).getroot()
    return ["".join(node.itertext()) for node in root.iter(SVG_NS + "text")]


def test_svg_keeps_every_text_of_the_scene_as_text(tmp_path, scene):
    path = tmp_path / "frame.svg"
    layer().still(path, frame=FRAME, input_shape=SHAPE)
    texts = svg_texts(path)
    assert Counter(texts) == Counter(t for t in scene.texts() if t)
    title = next(t for t in texts if t.startswith("Input shape"))
    assert "(3, 7, 7)" in title and "(2, 3, 3)" in title
    (caption,) = [t for t in texts if re.match(r"y\[\d, \d, \d\] = ", t)]
    # the running equation ends in the output value it computes
    index = tuple(int(i) for i in re.match(r"y\[(\d), (\d), (\d)\]", caption).groups())
    output = layer().trace(layer().example_input(SHAPE)).output
    assert caption.endswith("= " + fmt(output[index]))
    assert "font-family: 'DejaVu Sans'" in path.read_text(encoding="utf-8")
    # runs of spaces (the subtitle's "  ·  ") are kept, not collapsed by viewers
    assert any("  " in t for t in texts)
    assert ET.parse(path).getroot().get("{http://www.w3.org/XML/1998/namespace}space") == (
        "preserve"
    )


def test_svg_size_and_colours_follow_the_scene_and_style(tmp_path, scene):
    path = tmp_path / "dark.svg"
    render.still(path, layer(), frame=FRAME, input_shape=SHAPE, style="dark", scale=2)
    root = ET.parse(path).getroot()
    # one layout unit is one pixel at 100 dpi times the scale: 0.72 pt per unit at scale 1
    assert float(root.get("width").removesuffix("pt")) == pytest.approx(scene.width * 1.44)
    assert float(root.get("height").removesuffix("pt")) == pytest.approx(scene.height * 1.44)
    text = path.read_text(encoding="utf-8")
    assert "fill: #1c1d22" in text  # the dark paper
    assert "fill: #f3f3f3" in text  # the dark style's ink


def pdf_pages(data: bytes) -> int:
    try:
        import pypdf
    except ImportError:
        return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def test_pdf_still_is_one_page_with_the_font_embedded(tmp_path, scene):
    path = tmp_path / "frame.pdf"
    layer().still(path, frame=FRAME, input_shape=SHAPE)
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert pdf_pages(data) == 1
    # TrueType (Type 42) embedded, regular and bold faces, not drawn as outlines
    assert b"/FontFile2" in data
    fonts = set(re.findall(rb"/BaseFont /(?:[A-Z]{6}\+)?([\w-]+)", data))
    assert {b"DejaVuSans", b"DejaVuSans-Bold"} <= fonts
    box = re.search(rb"/MediaBox \[ 0 0 ([\d.]+) ([\d.]+) \]", data)
    assert float(box[1]) == pytest.approx(scene.width * 0.72)
    assert float(box[2]) == pytest.approx(scene.height * 0.72)


@pytest.mark.parametrize("suffix", [".svg", ".pdf"])
def test_same_call_writes_the_same_bytes(tmp_path, suffix):
    first, second = tmp_path / ("a" + suffix), tmp_path / ("b" + suffix)
    render.still(first, layer(), frame=FRAME, input_shape=SHAPE)
    render.still(second, layer(), frame=FRAME, input_shape=SHAPE)
    assert first.read_bytes() == second.read_bytes()
    # and in a fresh interpreter (no state carried over, e.g. hash salts or font caches)
    third = tmp_path / ("c" + suffix)
    code = (
        "import convgif; "
        "convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)"
        f".still({str(third)!r}, frame={FRAME}, input_shape={SHAPE})"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert third.read_bytes() == first.read_bytes()


@pytest.mark.parametrize("ax", [None, "axes", 3])
def test_draw_refuses_what_is_not_an_axes(ax):
    with pytest.raises(ConvGifError, match=r"^ax=.* must be a matplotlib Axes"):
        convgif.draw(ax, layer(), input_shape=SHAPE)


def test_draw_into_a_users_axes(scene):
    from matplotlib.figure import Figure

    ax = Figure(figsize=(8, 6)).subplots()
    returned = convgif.draw(ax, layer(), input_shape=SHAPE, frame=FRAME)
    assert returned is ax
    boxes = [i for i in scene.items if isinstance(i, Box) and (i.fill or i.edge)]
    texts = [i for i in scene.items if isinstance(i, Text) and i.text]
    lines = [i for i in scene.items if isinstance(i, Line)]
    assert len(ax.patches) == len(boxes) + 1  # and the paper behind them
    assert len(ax.texts) == len(texts)
    assert len(ax.lines) == len(lines)
    assert [t.get_text() for t in ax.texts] == [t.text for t in texts]
    assert ax.get_xlim() == (0, scene.width)
    assert ax.get_ylim() == (scene.height, 0)  # y grows downwards
    assert ax.get_aspect() == 1.0 and not ax.axison
    # display-list order survives matplotlib's drawing by z-order
    zorders = [a.get_zorder() for a in ax.patches[1:]]
    assert zorders == sorted(zorders)
    # a 6-inch tall axes shows the 716-unit scene smaller than 0.72 pt per unit
    ppu = min(
        ax.get_position().width * 8 / scene.width, ax.get_position().height * 6 / scene.height
    )
    title = next(t for t in ax.texts if t.get_text().startswith("Input shape"))
    assert title.get_fontsize() == pytest.approx(19 * ppu * 72)


def test_vector_matches_the_raster_picture(scene):
    """Rasterised at 100 dpi, the vector frame's shapes land where the raster one's do.

    Texts are left out of the comparison: the raster backend hints glyph advances to
    whole pixels (FreeType's basic layout), matplotlib does not, so a bold title ends
    up to 5 % further right; the texts themselves are compared as text above."""

    import matplotlib as mpl
    from PIL import Image

    from convgif.backends.raster import RasterPainter

    def shapes(items):
        return tuple(item for item in items if not isinstance(item, Text))

    scene = scene._replace(static=shapes(scene.static),
                                dynamic=shapes(scene.dynamic), settled=shapes(scene.settled))
    painter = RasterPainter("default")
    raster = painter.to_rgb(painter.paint(scene)).mean(axis=2)
    with mpl.rc_context(vector.RC):
        buffer = io.BytesIO()
        vector.figure(scene).savefig(buffer, format="png", dpi=100)
    drawn = np.asarray(Image.open(buffer).convert("RGB"), dtype=np.float64).mean(axis=2)
    assert drawn.shape == raster.shape

    def blur(a, n=7):
        kernel = np.ones(n) / n
        for axis in (0, 1):
            a = np.apply_along_axis(lambda m: np.convolve(m, kernel, "same"), axis, a)
        return a

    # anti-aliasing differs pixel by pixel; shapes and colours must not
    difference = np.abs(blur(raster) - blur(drawn))
    assert (difference > 20).mean() < 0.01
    assert difference.max() < 80


def test_box_dashes_restart_at_each_corner_as_in_the_raster():
    from convgif.backends.shapes import box_dash

    def dash(length, width):
        return box_dash(length, width, scale=1.0)
    for w, h in [(13, 13), (26, 26), (30, 17), (5, 40)]:
        offset, runs = vector._box_dashes(Box(0, 0, w, h, edge="grid", dashed=True))
        assert sum(runs) == pytest.approx(2 * (w + h))
        # expand to one flag per unit along the outline, starting at the top-left corner
        flags = []
        for i, run in enumerate(runs):
            flags += [i % 2 == 0] * round(run)
        flags = flags[round(offset) :] + flags[: round(offset)]
        top, right = flags[:w], flags[w : w + h]
        bottom, left = flags[w + h : 2 * w + h], flags[2 * w + h :]
        assert top == list(dash(w, 1)) and right == list(dash(h, 1))
        assert bottom[::-1] == list(dash(w, 1)) and left[::-1] == list(dash(h, 1))


def test_text_anchors_put_the_baseline_where_pillow_does():
    from PIL import ImageFont

    from convgif.backends.fonts import find_font

    path = find_font(None)
    font = ImageFont.truetype(path, 100)
    for anchor in ("la", "lm", "ls", "ld", "mm", "rm", "ra"):
        top = font.getbbox("H", anchor=anchor)[1]
        baseline_below_anchor = top - font.getbbox("H", anchor="ls")[1]
        assert vector._baseline_offset(anchor, path) * 100 == pytest.approx(
            baseline_below_anchor, abs=1
        )


def test_unknown_extension_names_path(tmp_path):
    with pytest.raises(convgif.ConvGifError, match=r"path='.*frame\.jpg'"):
        render.still(tmp_path / "frame.jpg", layer(), frame=FRAME, input_shape=SHAPE)
    with pytest.raises(convgif.ConvGifError, match=r"not '\.png'"):
        vector.encode(Scene(10, 10, ()), ".png")
    assert not list(tmp_path.iterdir())


def test_png_still_is_still_the_raster_one(tmp_path):
    from PIL import Image

    path = tmp_path / "frame.png"
    render.still(path, layer(), frame=FRAME, input_shape=SHAPE)
    with Image.open(path) as image:
        assert image.format == "PNG" and image.mode == "P"


def test_import_convgif_does_not_import_matplotlib():
    code = (
        "import sys, convgif\n"
        "convgif.Conv2d(3, 2, 3)\n"
        "assert callable(convgif.draw)\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
        "try:\n"
        "    convgif.nothing\n"
        "except AttributeError:\n"
        "    pass\n"
        "else:\n"
        "    raise SystemExit('convgif.nothing should not exist')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_vector_picture_of_too_many_shapes_is_refused_before_drawing(tmp_path):
    """The shape bound of every SVG / PDF (a contact sheet, a stack, an overlap map), beside
    the cell estimate the views check first: a scene one shape over it is refused, one at
    it is not."""
    boxes = tuple(Box(0, 0, 1, 1) for _ in range(render.MAX_VECTOR_ITEMS))
    render.check_vector_items(tmp_path / "ok.svg", Scene(10, 10, boxes))
    with pytest.raises(ConvGifError, match=r"has 30,001 \(limit 30,000"):
        render.check_vector_items(tmp_path / "big.svg", Scene(10, 10, boxes, (Box(0, 0, 1, 1),)))
    assert not list(tmp_path.iterdir())
