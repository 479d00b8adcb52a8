"""Text measured with the font's real metrics: the views' width table matches the font,
every value written in a cell fits that cell as the font draws it, no text leaves the
page, and a frame put on a 1280 x 720 slide keeps its values at 10 px or more."""

from __future__ import annotations

import functools

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import ImageFont
from test_render import conv_layers, pool_layers, transposed_layers

import convgif
from convgif.api import render
from convgif.api.overlap import OverlapPicture
from convgif.api.stack import picture as stack_picture
from convgif.backends.fonts import find_font
from convgif.views import metrics
from convgif.views.layout import slide_scale
from convgif.views.scene import Box, Text
from convgif.views.text import MIN_VALUE_SIZE, text_width


@functools.lru_cache(maxsize=256)
def _font(bold: bool, size: float):
    return ImageFont.truetype(find_font(None, bold=bold), size)


def _ink_width(text: Text) -> float:
    left, _, right, _ = _font(text.bold, text.size).getbbox(text.text)
    return right - left


@pytest.mark.parametrize("bold", [False, True])
def test_the_width_table_is_the_fonts(bold):
    font = _font(bold, 1000)
    ascii_ = metrics.ASCII_BOLD if bold else metrics.ASCII_REGULAR
    other = metrics.OTHER_BOLD if bold else metrics.OTHER_REGULAR
    for i, width in enumerate(ascii_):
        assert width == round(font.getlength(chr(32 + i))), chr(32 + i)
    for ch, width in zip(metrics.OTHER, other, strict=True):
        assert width == round(font.getlength(ch)), ch


@pytest.mark.parametrize("text", ["\u221236", "\u2212714", "w\u2032[0, 1]", "y[0, 2, 1] = 2\u00b72",
                                  "Input shape: (3, 7, 7)", "x\u00b9\u2080\u2082"])
@pytest.mark.parametrize("size", [8, 10, 10.5, 13, 16, 19])
def test_planned_widths_hold_the_drawn_text(text, size):
    """The width a layout plans with is never less than the width the font draws."""
    drawn = _font(False, size).getlength(text)
    assert drawn <= text_width(text, size)


def _frames(view) -> list[int]:
    n = len(view)
    return sorted({0, n // 2, n - 2, n - 1} & set(range(n)))


def _items(scene) -> list:
    return [*scene.static, *scene.settled, *scene.dynamic]


def check_text_fits(view) -> None:
    """Every value centred on a cell fits inside the cell's outline as the font draws it;
    every text starts and ends on the page."""
    for i in _frames(view):
        scene = view.scene(i)
        items = _items(scene)
        cells = {(round(b.x + b.w / 2, 2), round(b.y + b.h / 2, 2)): b
                 for b in items if isinstance(b, Box) and b.w <= 200}
        for t in items:
            if not isinstance(t, Text):
                continue
            width = _ink_width(t)
            box = cells.get((round(t.x, 2), round(t.y, 2))) if t.anchor == "mm" else None
            if box is not None:
                assert width <= box.w - (2 * box.edge_width if box.edge else 0), (t, box)
                assert t.size <= box.h, (t, box)
            left = {"l": t.x, "m": t.x - width / 2, "r": t.x - width}[t.anchor[0]]
            assert -0.5 <= left and left + width <= scene.width + 0.5, (t, scene.width)


def check_legible_on_a_slide(view) -> None:
    """Put on a 1280 x 720 slide, every text is 10 px or more, the title 16 px or more; the
    frame (the view painted ``zoom`` times its size) is landscape and at most 1920 x 1080,
    its cells 5 px or more unless the frame is that large."""
    width, height = view.width * view.zoom, view.height * view.zoom
    scale = view.zoom * slide_scale(width, height)  # from layout units to the slide
    assert width >= height and width <= 1920 and height <= 1080
    assert view.layout.cell * view.zoom >= 5 or max(width / 1920, height / 1080) > 0.999
    for i in _frames(view):
        for t in _items(view.scene(i)):
            if isinstance(t, Text):
                assert t.size * scale >= (16 if t.bold and t.y < 60 else 10) - 1e-9, t


def check_legible_values(view) -> None:
    """Values are written at 10 px or more once the frame is put on a slide, or not at all
    and the cells shaded by value instead."""
    scale = slide_scale(view.width, view.height)
    if getattr(view, "show_values", False):
        assert view.value_size * scale >= MIN_VALUE_SIZE - 1e-9
    elif hasattr(view, "shades") and view.options.values is None:
        # left out for legibility: the cells are shaded by value instead
        assert {"input", "output"} <= set(view.shades), view.shades


SETTINGS = settings(max_examples=25, suppress_health_check=list(HealthCheck), deadline=None)


@SETTINGS
@given(st.one_of(conv_layers(), transposed_layers(), pool_layers()),
       st.sampled_from(["gather", "scatter", "matrix"]))
def test_text_fits_in_every_view(layer_shape, view_name):
    layer, shape = layer_shape
    if view_name == "scatter" and not layer.spec.transposed:
        view_name = "gather"
    if view_name == "matrix" and "Pool" in layer.spec.name:
        view_name = "gather"
    view = render.picture(layer, input_shape=shape, view=view_name)
    check_text_fits(view)
    check_legible_values(view)


@st.composite
def covered_layers(draw):
    """Layers the legibility rule covers: up to 8 input and 16 output channels, inputs
    up to 16 x 16 (1-d: 64; 3-d: 4 x 8 x 8)."""
    nd = draw(st.sampled_from([1, 2, 2, 3]))
    spatial = {1: (draw(st.integers(4, 64)),),
               2: tuple(draw(st.integers(4, 16)) for _ in range(2)),
               3: (draw(st.integers(3, 4)), *(draw(st.integers(4, 8)) for _ in range(2)))}[nd]
    k = draw(st.integers(1, 3))
    g = draw(st.sampled_from([1, 1, 2]))
    c_in = g * draw(st.integers(1, 8 // g))
    c_out = g * draw(st.integers(1, 16 // g))
    cls = (convgif.Conv1d, convgif.Conv2d, convgif.Conv3d)[nd - 1]
    layer = cls(c_in, c_out, k, stride=draw(st.integers(1, 2)), padding=draw(st.integers(0, 1)),
                groups=g, seed=draw(st.integers(0, 9)))
    return layer, (c_in, *spatial)


@SETTINGS
@given(covered_layers())
def test_text_fits_on_layers_users_bring(layer_shape):
    layer, shape = layer_shape
    view = render.picture(layer, input_shape=shape)
    check_text_fits(view)
    check_legible_values(view)


@st.composite
def rule_layers(draw):
    """Every kind of layer in the rule's range: convolutions (grouped too) and transposed
    ones up to 8 input and 16 output channels, pools up to 8 channels; inputs up to
    16 x 16 (1-d: 64; 3-d: 4 x 8 x 8). One exception: a 1-d transposed layer's grid has
    the zeros it inserts, twice as long at stride 2; with more than 4 input channels it
    reads on a slide up to 32 long."""
    kind = draw(st.sampled_from(["conv", "conv", "transposed", "pool"]))
    if kind == "conv":
        return draw(covered_layers())
    nd = draw(st.sampled_from([1, 2]))
    c_in = draw(st.integers(1, 8))
    spatial = ((draw(st.integers(4, 64 if c_in <= 4 else 32)),) if nd == 1
               else tuple(draw(st.integers(4, 16)) for _ in range(2)))
    if kind == "pool":
        cls = draw(st.sampled_from([convgif.MaxPool2d, convgif.AvgPool2d]))
        return cls(2, stride=draw(st.integers(1, 2))), (c_in, *tuple(
            draw(st.integers(4, 16)) for _ in range(2)))
    cls = (convgif.ConvTranspose1d, convgif.ConvTranspose2d)[nd - 1]
    layer = cls(c_in, draw(st.integers(1, 16)), draw(st.integers(1, 3)),
                stride=draw(st.integers(1, 2)), seed=draw(st.integers(0, 9)))
    return layer, (c_in, *spatial)


@settings(max_examples=60, suppress_health_check=list(HealthCheck), deadline=None)
@given(rule_layers())
def test_frames_read_on_a_slide(layer_shape):
    layer, shape = layer_shape
    check_legible_on_a_slide(render.picture(layer, input_shape=shape))


@pytest.mark.parametrize("layer, shape", [
    # the largest of each kind: every channel of eight drawn, on a frame that reads
    (convgif.Conv1d(8, 16, 3, padding=1), (8, 64)),
    (convgif.Conv3d(8, 16, 3, padding=1), (8, 4, 8, 8)),
    (convgif.Conv3d(8, 8, 3), (8, 4, 8, 8)),
    (convgif.Conv2d(8, 16, 3, padding=1, groups=2), (8, 16, 16)),
    (convgif.ConvTranspose1d(8, 16, 3, stride=2), (8, 32)),
    (convgif.ConvTranspose2d(8, 16, 3, stride=2), (8, 16, 16)),
])
def test_largest_layers_read_on_a_slide(layer, shape):
    view = render.picture(layer, input_shape=shape)
    check_legible_on_a_slide(view)
    assert len(view.layout.inputs) == 8


@SETTINGS
@given(st.one_of(conv_layers(), transposed_layers()))
def test_text_fits_in_the_overlap_view(layer_shape):
    layer, shape = layer_shape
    assume(len(shape) <= 3)  # the overlap view draws 1-d and 2-d layers
    view = OverlapPicture(layer, shape)
    check_text_fits(view)


@pytest.mark.parametrize("layers, shape", [
    ("Conv2d(1, 2, 3) MaxPool2d(2)", (1, 8, 8)),
    ("Conv2d(1, 6, 5) MaxPool2d(2) Conv2d(6, 16, 5) MaxPool2d(2)", (1, 32, 32)),
    ("Conv2d(3, 3, 3, groups=3, padding=1) Conv2d(3, 8, 1)", (3, 8, 8)),
])
def test_text_fits_in_the_stack_view(layers, shape):
    view = stack_picture(layers, shape)
    check_text_fits(view)
    for i in range(len(view)):  # its captions wrap into the room it has, never cut short
        assert not any(t.text.endswith("\u2026") for t in view.scene(i).dynamic
                       if isinstance(t, Text) and t.fleeting), i
