import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convgif.backends.fonts import find_font, load
from convgif.backends.raster import RasterPainter
from convgif.backends.style import ROLES, STYLES
from convgif.errors import ConvGifError
from convgif.views.scene import Box, Line, Scene, Text


def make_scene(dynamic=()):
    static = (
        Box(10, 10, 40, 30, fill="input", edge="grid"),
        Box(60, 10, 40, 30, fill="pad", edge="grid", dashed=True),
        Box(110, 10, 40, 30, fill="weight", edge="grid", edge_width=2),
        Text(30, 25, "17", 14),
        Text(80, 25, "-3", 12, color="muted"),
        Text(10, 60, "Input shape : (3, 7, 7)", 16, anchor="la", bold=True),
        Line(30, 40, 130, 90, color="connector", width=2),
    )
    return Scene(200, 100, static, tuple(dynamic))


@pytest.mark.parametrize("scale", [1, 1.5, 2])
def test_size_and_box_fill(scale):
    painter = RasterPainter("default", scale=scale)
    frame = painter.paint(make_scene())
    assert frame.shape == (round(100 * scale), round(200 * scale))
    assert frame.dtype == np.uint8
    # the centre of the weight box (no text there) holds exactly its fill index
    assert frame[int(25 * scale), int(145 * scale)] == painter.index("weight")
    # outside every item: the background
    assert frame[int(95 * scale), int(195 * scale)] == painter.index("paper")
    # the box edge is drawn in the grid colour
    assert frame[int(25 * scale), int(10 * scale)] == painter.index("grid")


def test_dashed_edge_has_gaps_solid_edge_has_none():
    painter = RasterPainter("default", scale=2)
    frame = painter.paint(make_scene())
    grid = painter.index("grid")
    # top edge of the solid box (x 10..50) and of the dashed one (x 60..100), at y = 10
    solid = frame[20, 24:96]
    dashed = frame[20, 124:196]
    assert (solid == grid).all()
    assert (dashed == grid).any() and (dashed != grid).any()


def test_static_cache_matches_uncached_and_dynamic_overlays_static():
    painter = RasterPainter("default")
    highlight = Box(10, 10, 40, 30, fill="tap", edge="window", edge_width=3)
    scenes = [make_scene(), make_scene((highlight, Text(30, 25, "9", 14))), make_scene()]
    for scene in scenes:
        assert np.array_equal(painter.paint(scene), painter.paint_uncached(scene))
    lit = painter.paint(scenes[1])
    plain = painter.paint(scenes[0])
    # a point of the input box away from its text: input fill, then tap fill on top
    assert plain[15, 15] == painter.index("input")
    assert lit[15, 15] == painter.index("tap")
    assert lit[10, 30] == painter.index("window")
    # the dynamic layer did not leak into the cached static one
    assert np.array_equal(painter.paint(scenes[2]), plain)


def test_static_cache_is_reused_for_equal_tuples():
    painter = RasterPainter("default")
    a, b = make_scene(), make_scene()
    assert a.static is not b.static
    painter.paint(a)
    layer = painter._static_layer(b)
    assert layer is painter._static_layer(a)


def test_text_is_antialiased_with_intermediate_entries():
    painter = RasterPainter("default")
    scene = Scene(120, 40, (Box(0, 0, 120, 40, fill="input"), Text(60, 20, "y = 7", 18)))
    frame = painter.paint(scene)
    used = set(np.unique(frame).tolist())
    bg, ink = painter.index("input"), painter.index("ink")
    assert ink in used and bg in used
    blends = used - {bg, ink}
    assert len(blends) >= 3
    palette = np.array(painter.palette, dtype=float)
    lo, hi = np.minimum(palette[bg], palette[ink]), np.maximum(palette[bg], palette[ink])
    for index in blends:
        # every blend lies between the background and the text colour
        assert (palette[index] >= lo - 1).all() and (palette[index] <= hi + 1).all()
        assert not np.array_equal(palette[index], palette[bg])
        assert not np.array_equal(palette[index], palette[ink])


def test_text_colour_without_ramp_still_paints():
    painter = RasterPainter("default")
    scene = Scene(80, 30, (Text(40, 15, "88", 18, color="connector"),))
    frame = painter.paint(scene)
    assert (frame == painter.index("connector")).sum() > 20


def test_palette_fixed_small_and_shared():
    for name in STYLES:
        a, b = RasterPainter(name), RasterPainter(name, scale=2)
        assert len(a.palette) <= 256
        assert a.palette == b.palette
        for role in ROLES:
            assert a.palette[a.index(role)] == STYLES[name].rgb(role)


def test_painting_is_deterministic_and_to_rgb():
    scene = make_scene((Text(150, 80, "1·2 + 0·(−1) = 7", 10),))
    a = RasterPainter("dark").paint(scene)
    b = RasterPainter("dark").paint(scene)
    assert np.array_equal(a, b)
    painter = RasterPainter("dark")
    rgb = painter.to_rgb(a)
    assert rgb.shape == a.shape + (3,) and rgb.dtype == np.uint8
    assert tuple(rgb[99, 0]) == STYLES["dark"].rgb("paper")


def test_items_outside_the_canvas_are_clipped():
    painter = RasterPainter("default")
    scene = Scene(
        50,
        50,
        (
            Box(-20, -20, 100, 30, fill="input", edge="grid", edge_width=3, dashed=True),
            Text(-5, 48, "clipped text", 20, anchor="ls"),
            Line(-100, -100, 200, 200, width=3, dashed=True),
        ),
    )
    frame = painter.paint(scene)
    assert frame.shape == (50, 50)
    assert frame[5, 25] == painter.index("input")


def test_fonts():
    regular, bold = find_font(), find_font(bold=True)
    assert regular.endswith("DejaVuSans.ttf") and bold.endswith("DejaVuSans-Bold.ttf")
    assert find_font(regular) == regular
    assert find_font("DejaVuSans.ttf") == regular
    assert load(regular, 12) is load(regular, 12)
    with pytest.raises(ConvGifError, match="font="):
        find_font("/no/such/font.ttf")
    with pytest.raises(ConvGifError, match="font="):
        find_font("NoSuchFontAnywhere.ttf")


def test_import_does_not_import_matplotlib():
    code = (
        "import sys, convgif, convgif.backends.raster, convgif.io.writers, convgif.backends.fonts;"
        "convgif.backends.fonts.find_font();"
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.strip() == "False"


def stamp_scene():
    """Items that take every painting path: cells as one stamp, cells whose text leaves
    the box, dashed cells, clipped items, runs of disjoint and of overlapping texts."""
    static = (
        Box(0, 0, 300, 160, fill="paper"),
        Box(10, 10, 30, 30, fill="input", edge="grid"),
        Text(25, 25, "7", 12),
        Box(40, 10, 30, 30, fill="pad", edge="grid", dashed=True),
        Text(55, 25, "\u22121", 12, color="muted"),
        Box(70, 10, 12, 12, fill="weight", edge="grid"),
        Text(76, 16, "long value", 12),  # wider than its box: not one stamp
        Box(-8, 50, 30, 30, fill="tap", edge="window", edge_width=2.5),  # clipped cell
        Text(7, 65, "3", 12),
        Box(280, 140, 40, 40, fill="output", edge="grid", dashed=True),  # clipped, dashed
        Text(150, -3, "clipped at the top", 14),
        Line(0, 100, 310, 100, width=1.5),
        Line(100, 40, 100, 170, width=2, dashed=True),
        Text(200, 30, "", 12),
    )
    values = tuple(Text(120 + 14 * i, 60, str(i), 11) for i in range(8))  # disjoint run
    crowded = tuple(Text(120 + 3 * i, 80, "88", 14) for i in range(6))  # overlapping run
    dynamic = (
        *values,
        Box(150, 110, 24, 24, fill="output_active", edge="window", edge_width=2.5),
        Text(162, 122, "12", 10),
        *crowded,
        Text(260, 150, "x", 12, color="connector"),  # a colour without a ramp
        Box(200, 110, 40, 20, edge="window", dashed=True),
    )
    return Scene(300, 160, static, dynamic)


@pytest.mark.parametrize("scale", [0.75, 1, 1.5, 2])
@pytest.mark.parametrize("style", ["default", "dark"])
def test_stamped_painting_matches_direct_painting(scale, style):
    painter = RasterPainter(style, scale=scale)
    scene = stamp_scene()
    reference = painter.paint_uncached(scene)
    for _ in range(2):  # filling the caches, then from them
        assert np.array_equal(painter.paint(scene), reference)
    assert painter._stamps and painter._placed  # the stamp path was taken


def test_animation_frames_match_direct_painting():
    import convgif
    from convgif.api import render

    pic = render.picture(convgif.Conv2d(2, 2, 3, stride=2, padding=1), input_shape=(2, 5, 5))
    painter = RasterPainter()
    for i in range(len(pic)):
        scene = pic.scene(i)
        assert np.array_equal(painter.paint(scene), painter.paint_uncached(scene)), i


@pytest.mark.parametrize("anchor", ["mm", "la", "lm", "rm", "ra", "ls"])
def test_text_masks_are_what_pillow_draws(anchor):
    from PIL import Image, ImageDraw

    painter = RasterPainter()
    for text, size, bold in [
        ("7", 13.0, False),
        ("y[0, 1] = 1\u00b72 + \u2026 = 7", 15.25, False),
        ("Input shape: (3, 7, 7)", 22.0, True),
        ("x\u00b9\u2080\u2082", 9.5, False),
    ]:
        mask = painter._mask(text, size, bold, anchor)
        font = load(painter._font_bold if bold else painter._font_regular, size)
        # what Pillow draws with the anchor at a pixel of a large canvas, all of it
        # inside the mask's rectangle at its offset from that pixel
        ay, ax = 60, 300
        canvas = Image.new("L", (600, 120), 0)
        ImageDraw.Draw(canvas).text((ax, ay), text, fill=255, font=font, anchor=anchor)
        want = (np.asarray(canvas, dtype=np.uint16) * painter.levels + 127) // 255
        got = np.zeros_like(want)
        rows, cols = mask.levels.shape
        got[ay + mask.top : ay + mask.top + rows, ax + mask.left : ax + mask.left + cols] = (
            mask.levels)
        assert np.array_equal(got, want)
        # the mask is cut to the ink, within the box Pillow lays the text out in
        x0, y0, x1, y1 = font.getbbox(text, anchor=anchor)
        assert x0 <= mask.left and mask.left + cols <= x1
        assert y0 <= mask.top and mask.top + rows <= y1
        assert np.array_equal(mask.levels[mask.covered], mask.covered_levels)
        assert (mask.levels[mask.rows, mask.cols] > 0).all()
        assert mask.covered.sum() == len(mask.rows) == len(mask.cols)


def wcag_contrast(a, b) -> float:
    """WCAG 2 contrast ratio of two sRGB colours."""
    def luminance(rgb):
        linear = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
                  for v in (c / 255 for c in rgb)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# the fills values are written on in "ink", and those padding values and labels use "muted" on
INK_ON = ("paper", "input", "pad", "pad_copy", "inserted", "weight", "bias", "output_empty",
          "output", "tap", "kernel_active", "output_active", "winner")
MUTED_ON = ("paper", "pad", "pad_copy", "inserted", "output_empty")


@pytest.mark.parametrize("style", sorted(STYLES))
def test_every_style_writes_values_at_aa_contrast(style):
    """Text on every fill it is written on reaches WCAG AA for normal text (4.5:1): values
    in a lit cell of the dark style once sat at 2.8:1."""
    colors = STYLES[style]
    low = [(text, fill, round(wcag_contrast(colors.rgb(text), colors.rgb(fill)), 2))
           for text, fills in (("ink", INK_ON), ("muted", MUTED_ON)) for fill in fills
           if wcag_contrast(colors.rgb(text), colors.rgb(fill)) < 4.5]
    assert not low


CAPTION_WORDS = ["0", "1", "−2", "(−2)", "4·(−2)", "1·2", "+", "=", "b", "…", "y[1,", "0,",
                 "1]", "more", "products", "(sum", "−18)", "of", "0.25", "max", "Σ", "x[0,",
                 "2]·w[1,", "Wy", "−∞", "AVG", "Tap"]


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(st.sampled_from(CAPTION_WORDS), min_size=2, max_size=24),
    size=st.sampled_from([8.0, 9.5, 10.75, 12.0, 13.0, 16.0, 17.5, 24.0, 32.0]),
    bold=st.booleans(),
    anchor=st.sampled_from(["la", "lm", "ls"]),
)
def test_captions_put_together_from_words_are_what_pillow_draws_whole(words, size, bold,
                                                                      anchor):
    from convgif.backends.masks import composed_mask, drawn_mask

    text = " ".join(words)
    font = load(find_font(bold=bold), size)
    whole = drawn_mask(font, text, anchor, 8)
    composed = composed_mask(font, text, anchor, 8)
    if composed is None:  # a word would start between pixels: drawn whole instead
        return
    assert (composed.left, composed.top) == (whole.left, whole.top)
    assert np.array_equal(composed.levels, whole.levels)


def test_a_caption_is_put_together_from_words():
    from convgif.backends.masks import composed_mask

    font = load(find_font(), 16.0)
    caption = "y[1, 0, 2] = 4·2 + 1·(−2) + 4·2 + 2·(−2) + 4 more products (sum −7) + b = 5"
    assert composed_mask(font, caption, "la", 8) is not None
