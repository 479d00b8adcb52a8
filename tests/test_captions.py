"""Captions a reader can check: the running equation's written numbers add up to the value
it states; pooling speaks of comparisons, sums and divisors; the scatter view adds the bias
in a frame of its own."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_render import check_frame, conv_layers, expected_scatter_roles, transposed_layers

import convgif
from convgif.api import render
from convgif.layers.info import describe, format_text
from convgif.views.equation import product_terms
from convgif.views.scene import Text

MINUS = "\u2212"


def _number(text: str) -> float:
    return float(text.strip().strip("()").replace(MINUS, "-"))


def check_equation(caption: str, bias: float) -> float:
    """The value a caption states, after checking that its written terms add up to it:
    ``a·b`` products, ``N more products (sum s)``, ``N products of 0`` and ``b``."""
    caption = caption.replace("   (so far)", "")
    _, body, value = caption.split(" = ")
    total = 0.0
    for term in body.split(" + "):
        assert "\u2026" not in term, caption  # nothing hidden in an ellipsis
        if term == "b":
            total += bias
        elif "\u00b7" in term:
            x, w = term.split("\u00b7")
            total += _number(x) * _number(w)
        elif (m := re.fullmatch(r"[\d,]+ more products? \(sum (\S+)\)", term)):
            total += _number(m.group(1))
        else:
            assert re.fullmatch(r"[\d,]+ products? of 0", term), (term, caption)
    assert total == _number(value), caption
    return _number(value)


def equation(view, index: int) -> str:
    """The first running equation of a frame's caption (not a panel's ``y[0]`` label),
    its lines joined where the caption wraps it to the page."""
    lines = [t.text for t in view.scene(index).dynamic
             if isinstance(t, Text) and t.fleeting and t.anchor == "la"]
    start = next(i for i, t in enumerate(lines) if t.startswith("y[") and " =" in t)
    text = lines[start]
    for more in lines[start + 1:]:
        if text.count(" = ") >= 2:
            break
        text += " " + more
    head, body, rest = text.split(" = ", 2)
    return f"{head} = {body} = {rest.split(' ')[0]}"


@st.composite
def wide_conv_layers(draw):
    """Conv2d / ConvTranspose2d with kernels up to 4 and up to 3 input channels a group:
    cells with many products, some zero (padding, inserted zeros, zero weights)."""
    k, s = draw(st.integers(2, 4)), draw(st.integers(1, 2))
    p = draw(st.integers(0, k - 1))
    g = draw(st.integers(1, 2))
    c_in, c_out = g * draw(st.integers(1, 3)), g * draw(st.integers(1, 2))
    transposed = draw(st.booleans())
    cls = convgif.ConvTranspose2d if transposed else convgif.Conv2d
    layer = cls(c_in, c_out, k, stride=s, padding=p if not transposed else min(p, (k - 1) // 2),
                groups=g, bias=draw(st.booleans()), seed=draw(st.integers(0, 50)))
    n = draw(st.integers(2, 4)) if transposed else draw(st.integers(max(k, 2 * p + 1), 8))
    return layer, (c_in, n, n)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(wide_conv_layers(), conv_layers(), transposed_layers()),
       st.sampled_from(["output", "channel"]), st.data())
def test_the_equation_adds_up_to_the_value(layer_shape, step, data):
    layer, shape = layer_shape
    view = render.picture(layer, input_shape=shape, step=step)
    t = view.trace
    index = data.draw(st.integers(1, len(view) - 2), label="frame")
    state = view.storyboard.frame(index)
    cell = state.cells[0]
    caption = equation(view, index)
    finished = cell.stop == cell.cell_stop
    value = check_equation(caption, float(t.bias[cell.out_channel]) if finished else 0.0)
    if finished:
        assert value == t.y[(state.n, cell.out_channel, *state.position)]
    assert ("b = " in caption) == (finished and t.spec.bias)


def test_the_issue_s_frame_shows_the_products_that_carry_the_value():
    """ConvTranspose2d(2, 2, 4, stride=2, padding=1) on 2×4×4, frame 66 (1-based): the two
    non-zero products were hidden behind an ellipsis of 0·w terms."""
    layer = convgif.ConvTranspose2d(2, 2, 4, stride=2, padding=1)
    view = render.picture(layer, input_shape=(2, 4, 4), step="output")  # the full walk
    caption = equation(view, 65)
    assert caption == "y[1, 0, 0] = 2\u00b72 + 3\u00b72 + 30 products of 0 + b = 8"


def test_many_nonzero_products_fold_into_their_count_and_sum():
    xs = np.array([1, 2, 0, 3, 4, 5, 6, 0, 7])
    ws = np.array([1, -1, 5, 2, 1, 1, 1, 3, -2])
    assert product_terms(xs, ws) == [
        "1\u00b71", "2\u00b7(\u22121)", "3\u00b72", "4\u00b71",
        "3 more products (sum \u22123)", "2 products of 0",
    ]
    # few terms: all of them, in order, zeros included
    assert product_terms(xs[:3], ws[:3]) == ["1\u00b71", "2\u00b7(\u22121)", "0\u00b75"]


def _last_caption(layer, shape) -> str:
    view = render.picture(layer, input_shape=shape)
    return " ".join(view.scene(-1).texts()[-3:])


def test_pools_speak_of_comparisons_and_of_a_sum_and_a_divisor():
    done = _last_caption(convgif.MaxPool2d(2), (1, 12, 12))
    assert ("Done: 36 windows gave the output (1, 6, 6), each a max over 4 values "
            "(3 comparisons).") in done
    assert "multiply" not in done
    done = _last_caption(convgif.AvgPool2d(3, stride=2, padding=1), (1, 7, 7))
    assert ("Done: 16 windows gave the output (1, 4, 4), each a sum of 9 values divided "
            "by 9.") in done
    done = _last_caption(convgif.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
                         (1, 7, 7))
    assert "a sum of up to 9 values divided by how many it counts" in done
    done = _last_caption(convgif.Conv2d(1, 1, 3), (1, 5, 5))
    assert "Done: 81 multiply-accumulates" in done


def test_info_gives_a_pool_s_comparisons_additions_and_divisions():
    text = format_text(describe(convgif.MaxPool2d(2), (1, 12, 12)))
    assert "comparisons 108: a max over 4 values (3 comparisons) in each of 36 windows" in text
    assert "MAC" not in text
    text = format_text(describe(convgif.AvgPool2d(3, stride=2, padding=1), (1, 7, 7)))
    assert ("additions 128 and divisions 16: a sum of 9 values and one division in each of "
            "16 windows") in text
    assert "MACs 486" in format_text(describe(convgif.Conv2d(3, 2, 3), (3, 5, 5)))


def _output_texts(view, index: int, oc: int) -> dict:
    """The values written in the real output cells (not the cropped border) of channel oc."""
    t, grid = view.trace, view.layout.outputs[oc]
    crop = [pb for pb, _ in t.pads]
    scene = view.scene(index)
    texts = {(round(i.x, 3), round(i.y, 3)): i.text for i in scene.settled + scene.dynamic
             if isinstance(i, Text)}
    values = {}
    for pos in np.ndindex(*t.out_spatial):
        x, y = grid.center(*(p + pb for p, pb in zip(pos, crop)))
        values[pos] = texts.get((round(x, 3), round(y, 3)))
    return values


def test_the_scatter_view_adds_the_bias_in_a_frame_of_its_own():
    layer = convgif.ConvTranspose2d(2, 2, 4, stride=2, padding=1)
    view = render.picture(layer, input_shape=(2, 4, 4), view="scatter", step="output",
                          values="numbers")
    t, board = view.trace, view.storyboard
    assert len(view) == board.stamps + 3  # open, the stamps, + b, done
    bias_frame = board.stamps + 1
    assert board.frame(bias_frame).phase == "bias"
    # lit: the bias cells, and no stamp (input, kernel cells) -- from the painted pixels
    check_frame(view, bias_frame, roles=expected_scatter_roles)
    check_frame(view, bias_frame - 1, roles=expected_scatter_roles)  # bias not lit before
    texts = view.scene(bias_frame).texts()
    assert "Then + b: every cell of each output channel adds its bias (the cropped border " \
           "takes none):" in texts
    assert "y[0] + 2, y[1] + (\u22122)." in texts
    for oc in range(2):
        before, after = (_output_texts(view, i, oc) for i in (bias_frame - 1, bias_frame))
        for pos, text in after.items():
            assert _number(text) == t.y[(0, oc, *pos)]
            assert _number(text) - _number(before[pos]) == t.bias[oc]
    assert _output_texts(view, -1, 0) == _output_texts(view, bias_frame, 0)
    assert "Done: 1,024 products stamped and the bias added give the output (2, 8, 8);" \
        in view.scene(-1).texts()


def test_no_bias_no_bias_frame():
    layer = convgif.ConvTranspose2d(1, 1, 3, stride=2, bias=False)
    view = render.picture(layer, input_shape=(1, 2, 2), view="scatter")
    assert len(view) == view.storyboard.stamps + 2
    assert {view.storyboard.frame(i).phase for i in range(len(view))} == {"open", "step", "close"}
    assert "Done: 36 products stamped give the output (1, 5, 5)." in view.scene(-1).texts()
