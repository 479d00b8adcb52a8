"""The matrix view (y = C·x + b) and true convolution (flip=True).

C is checked as algebra against torch (C @ x + b is the layer's output; a
transposed layer's matrix is the transpose of its forward convolution's),
then as a picture: in each frame exactly one row of C is lit. Flip mode is
checked against explicit loops over the flipped kernel.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_oracle import F_CONV, F_CONV_T, F_PAD_MODE, conv_cases, conv_t_cases, ints, t

import convgif
from convgif.api import render
from convgif.api.kinds import parse_layer
from convgif.backends.raster import RasterPainter
from convgif.cli.main import main
from convgif.errors import ConvGifError
from convgif.simulate import matrix
from convgif.simulate.matrix import conv_matrix
from convgif.views.matrix import MatrixPicture
from convgif.views.scene import Box
from convgif.views.text import fmt

# --------------------------------------------------------------------------- the algebra


def forward_conv(layer, input_shape):
    """The forward convolution (with the weight) a transposed layer is the transpose of, and
    its input shape: ``conv_matrix(forward, shape) == conv_matrix(layer, input_shape).T``."""
    forward = matrix.forward_conv(layer.spec, layer.split_shape(input_shape).spatial)
    s = forward.spec
    kind = {1: convgif.Conv1d, 2: convgif.Conv2d, 3: convgif.Conv3d}[s.ndim]
    conv = kind(s.in_channels, s.out_channels, s.kernel_size, stride=s.stride,
                padding=forward.padding, dilation=s.dilation, groups=s.groups, bias=False)
    conv.weight = layer.weight
    return conv, forward.in_shape



@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([1, 2]).flatmap(conv_cases), st.booleans())
def test_c_times_x_is_the_layer_and_torch(case, floats):
    layer, _, _, fpad, shape, seed = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape[1:]) if floats else ints(rng, shape[1:])
    cm = conv_matrix(layer, x.shape)
    s = layer.spec
    assert cm.shape == (math.prod(layer.output_shape(x.shape)), x.size)
    bias = None if layer.bias is None else t(layer.bias)
    expected = F_CONV[s.ndim](F.pad(t(x[None]), fpad, mode=F_PAD_MODE[s.padding_mode]),
                              t(layer.weight), bias, stride=s.stride, dilation=s.dilation,
                              groups=s.groups).numpy()[0]
    y = cm.matrix @ x.reshape(-1) + cm.bias
    np.testing.assert_allclose(y, expected.reshape(-1), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(cm.apply(x), layer.trace(x).output, rtol=1e-12, atol=1e-9)
    # Groups: an output channel's rows never reach another group's input channels.
    per_out, per_in = cm.shape[0] // s.out_channels, cm.shape[1] // s.in_channels
    for oc in range(s.out_channels):
        g = oc // (s.out_channels // s.groups)
        rows = cm.count[oc * per_out : (oc + 1) * per_out]
        for ic in range(s.in_channels):
            if ic // (s.in_channels // s.groups) != g:
                assert not rows[:, ic * per_in : (ic + 1) * per_in].any()


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([1, 2]).flatmap(conv_t_cases))
def test_transposed_layer_is_c_transposed(case):
    layer, shape, seed = case
    x = ints(np.random.default_rng(seed), shape[1:])
    s = layer.spec
    expected = F_CONV_T[s.ndim](
        t(x[None]), t(layer.weight), None if layer.bias is None else t(layer.bias),
        stride=s.stride, padding=tuple(b for b, _ in s.padding),
        output_padding=s.output_padding, groups=s.groups, dilation=s.dilation,
    ).numpy()[0]
    m = conv_matrix(layer, x.shape)
    np.testing.assert_array_equal(m.apply(x), expected)
    try:
        forward, forward_shape = forward_conv(layer, x.shape)
    except ConvGifError:
        # Only an output_padding at or above the stride (dilation allows it) has no forward Conv.
        assert any(op >= st for op, st in zip(s.output_padding, s.stride, strict=True))
        return
    c = conv_matrix(forward, forward_shape)
    assert forward_shape == layer.output_shape(x.shape)
    bias = np.zeros(c.shape[1]) if layer.bias is None else np.repeat(
        layer.bias, c.shape[1] // s.out_channels)
    np.testing.assert_array_equal(c.matrix.T @ x.reshape(-1) + bias, expected.reshape(-1))
    np.testing.assert_array_equal(m.matrix, c.matrix.T)


def test_headline_transposed_layer():
    layer = convgif.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1)
    forward, shape = forward_conv(layer, (1, 3, 3))
    assert repr(forward) == "Conv2d(1, 1, kernel_size=3, stride=2, padding=1, bias=False)"
    assert shape == (1, 6, 6)
    m = conv_matrix(layer, (1, 3, 3))
    assert m.shape == (36, 9) and m.transposed
    np.testing.assert_array_equal(m.matrix, conv_matrix(forward, shape).matrix.T)


def test_reflect_padding_adds_weights_onto_the_source_column():
    # 1-d, K=3, padding 1 reflect on [a, b, c]: the grid is [b, a, b, c, b].
    layer = convgif.Conv1d(1, 1, 3, padding=1, padding_mode="reflect", bias=False)
    layer.weight = [[[1.0, 10.0, 100.0]]]
    m = conv_matrix(layer, (1, 3))
    # y0 = w0·b + w1·a + w2·b: b's column holds w0 + w2, counted twice.
    np.testing.assert_array_equal(m.matrix, [[10, 101, 0], [1, 10, 100], [0, 101, 10]])
    np.testing.assert_array_equal(m.count, [[1, 2, 0], [1, 1, 1], [0, 2, 1]])


def test_average_pool_and_refusals():
    pool = convgif.AvgPool2d(2, padding=1, count_include_pad=False)
    x = ints(np.random.default_rng(1), (1, 4, 5))
    np.testing.assert_allclose(conv_matrix(pool, x.shape).apply(x), pool.trace(x).output)
    with pytest.raises(ConvGifError, match="max pooling is not linear"):
        conv_matrix(convgif.MaxPool2d(2), (1, 4, 4))
    with pytest.raises(ConvGifError, match=r"input_shape=\(8, 32, 32\).*limit"):
        conv_matrix(convgif.Conv2d(8, 8, 3), (8, 32, 32))
    with pytest.raises(ConvGifError, match="step='output'"):
        render.picture(convgif.Conv2d(1, 1, 3), input_shape=(1, 5, 5), view="matrix",
                       step="mac")
    with pytest.raises(ConvGifError, match=r"^view='matrix' draws 1-d and 2-d layers, not "
                       r"Conv3d; use view='gather'$"):
        render.picture(convgif.Conv3d(1, 1, 2), input_shape=(1, 3, 3, 3), view="matrix")
    # a reflect-padded entry sums two weights: no single symbol names it
    layer = convgif.Conv2d(1, 1, 3, padding=1, padding_mode="reflect")
    cm = conv_matrix(layer, (1, 4, 4))
    w = layer.weight[0, 0]
    assert cm.matrix[0, 1 * 4 + 1] == w[0, 0] + w[0, 2] + w[2, 0] + w[2, 2]  # x[1, 1], 4 times
    with pytest.raises(ConvGifError, match=r"^values='symbols' is not available in "
                       r"view='matrix' \(.* an entry of C sums several weights\)"):
        render.picture(layer, input_shape=(1, 4, 4), view="matrix", values="symbols")


# --------------------------------------------------------------------------- the picture


def _pixel(grid, r, c):
    x, y, _, _ = grid.rect(r, c)
    return math.floor(y + 0.5) + 2, math.floor(x + 0.5) + 2


@pytest.mark.parametrize("layer, shape", [
    (convgif.Conv2d(1, 1, 3, bias=True), (1, 5, 5)),
    (convgif.Conv2d(2, 2, 3, padding=1, groups=2, padding_mode="reflect"), (2, 4, 4)),
    (convgif.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1), (1, 3, 3)),
    (convgif.Conv1d(2, 4, 2, stride=2, dilation=2, groups=2), (2, 7)),
])
def test_frame_k_lights_exactly_row_k(layer, shape):
    pic = render.picture(layer, input_shape=shape, view="matrix")
    assert isinstance(pic, MatrixPicture)
    cm, lay = pic.cm, pic.layout
    assert len(pic) == cm.shape[0] + 2
    paint = RasterPainter("default", 1.0)
    idx = {role: paint.index(role) for role in ("kernel_active", "weight", "pad_copy", "paper",
                                               "tap", "input", "output_active", "output",
                                               "output_empty")}
    for k in sorted({1, 2, len(pic) // 2, len(pic) - 2}):
        frame = paint.paint(pic.scene(k))
        row = k - 1
        for r in range(cm.shape[0]):
            for c in range(cm.shape[1]):
                got = frame[_pixel(lay.matrix, r, c)]
                if cm.count[r, c] == 0:
                    want = idx["paper"]
                elif r == row:
                    want = idx["kernel_active"]
                else:
                    want = idx["pad_copy"] if cm.count[r, c] > 1 else idx["weight"]
                assert got == want, (k, r, c)
            y_want = "output_active" if r == row else ("output" if r < row else "output_empty")
            assert frame[_pixel(lay.y_col, r, 0)] == idx[y_want], (k, r)
        for c in range(cm.shape[1]):
            want = idx["tap"] if cm.count[row, c] else idx["input"]
            assert frame[_pixel(lay.x_row, 0, c)] == want
            ch, *pos = np.unravel_index(c, cm.in_shape)
            rc = (0, pos[0]) if len(pos) == 1 else tuple(pos)
            assert frame[_pixel(lay.inputs[int(ch)], *rc)] == want
        # The caption's equation adds up to the output cell.
        oc, pos = pic.position(row)
        caption = [s for s in pic.scene(k).texts() if s.startswith(f"row {row} of ")]
        assert len(caption) == 1
        assert caption[0].endswith(f" = {fmt(pic.trace.y[(0, oc, *pos)])}")


def test_matrix_texts():
    pic = render.picture(convgif.Conv2d(1, 1, 3, bias=True), input_shape=(1, 5, 5), view="matrix")
    first = " ".join(pic.scene(0).texts())
    assert "y = C\u00b7x + b, C is 9 \u00d7 25" in first
    for part in ("Input shape: (1, 5, 5)", "Output shape: (1, 3, 3)", "K: (3, 3)", "G: 1"):
        assert part in first
    layer = convgif.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1)
    pic = render.picture(layer, input_shape=(1, 3, 3), view="matrix")
    first = " ".join(pic.scene(0).texts())
    assert "y = C\u1d40\u00b7x + b, C\u1d40 is 36 \u00d7 9" in first
    assert "the transpose of C (9 \u00d7 36)" in first
    assert "Conv2d(1, 1, kernel_size=3, stride=2, padding=1, bias=False) on (1, 6, 6)" in first
    assert "OP: (1, 1)" in first
    # C itself is drawn beside Cᵀ, its column k lit with row k of Cᵀ.
    assert pic.layout.forward.rows == 9 and pic.layout.forward.cols == 36


def test_matrix_refuses_what_no_cell_size_fits(tmp_path):
    layer = convgif.Conv2d(1, 1, 3)
    # The renderer's budget guard: C's 576 columns of 14 px are too wide a frame.
    with pytest.raises(ConvGifError, match=r"a frame would be [\d,]+ x [\d,]+ pixels"):
        layer.animate(tmp_path / "big.gif", input_shape=(1, 24, 24), view="matrix", cell=14)
    with pytest.raises(ConvGifError, match=r"the file would be about \d+ MB"):
        # every row its frame (the default tour's 39 frames would fit the file budget)
        layer.animate(tmp_path / "big.gif", input_shape=(1, 24, 24), view="matrix", cell=12,
                      step="output")
    with pytest.raises(ConvGifError, match=r"784 x 900 entries \(limit 400,000 drawn\)"):
        render.picture(layer, input_shape=(1, 30, 30), view="matrix")
    assert not (tmp_path / "big.gif").exists()
    # Auto cell size: a mid-size matrix shrinks its cells to fit a page.
    pic = render.picture(layer, input_shape=(1, 12, 12), view="matrix")
    assert pic.layout.cell < 16 and max(pic.layout.width, pic.layout.height) <= 2400


# --------------------------------------------------------------------------- true convolution


def hand_true_convolution(x, w, bias, stride, padding, dilation, groups):
    """x ∗ w in 2-d with explicit loops: y[o] = Σ x[o·S + i·D − P] · w[K−1−i] (zero padding)."""
    cin, h, wd = x.shape
    cout, cin_g, kh, kw = w.shape
    oh = (h + 2 * padding - dilation * (kh - 1) - 1) // stride + 1
    ow = (wd + 2 * padding - dilation * (kw - 1) - 1) // stride + 1
    y = np.zeros((cout, oh, ow))
    for o in range(cout):
        g = o // (cout // groups)
        for r in range(oh):
            for c in range(ow):
                total = bias[o]
                for icl in range(cin_g):
                    ic = g * cin_g + icl
                    for i in range(kh):
                        for j in range(kw):
                            rr = r * stride + i * dilation - padding
                            cc = c * stride + j * dilation - padding
                            if 0 <= rr < h and 0 <= cc < wd:
                                total += x[ic, rr, cc] * w[o, icl, kh - 1 - i, kw - 1 - j]
                y[o, r, c] = total
    return y


@settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 2), st.integers(1, 3), st.integers(1, 2), st.integers(0, 2),
       st.integers(1, 2), st.integers(0, 99), st.integers(0, 3))
def test_flip_is_the_true_convolution(groups, k, stride, padding, dilation, seed, extra):
    layer = convgif.Conv2d(2, 2, k, stride=stride, padding=padding, dilation=dilation,
                           groups=groups, bias=True, seed=seed)
    size = max(1, dilation * (k - 1) + 1 - 2 * padding) + extra
    x = ints(np.random.default_rng(seed), (2, size, size + 1))
    pic = render.picture(layer, x=x, flip=True)
    expected = hand_true_convolution(x, layer.weight, layer.bias, stride, padding, dilation,
                                     groups)
    np.testing.assert_array_equal(pic.trace.output, expected)
    # The layer itself is untouched: its output stays PyTorch's cross-correlation.
    assert np.array_equal(render.picture(layer, x=x).trace.kernel, layer.weight)
    # Each frame's equation adds up to the cell it shows.
    state = pic.storyboard.frame(1)
    cell = state.cells[0]
    caption = [s for s in pic.scene(1).texts() if s.startswith("y[") and " = " in s][0]
    assert caption.endswith(f" = {fmt(pic.trace.y[(0, cell.out_channel, *state.position)])}")


def test_flip_says_which_is_shown():
    layer = convgif.Conv2d(1, 1, 3)
    plain = " ".join(render.picture(layer, input_shape=(1, 5, 5)).scene(0).texts())
    assert "true convolution" not in plain and "flipped" not in plain
    pic = render.picture(layer, input_shape=(1, 5, 5), flip=True, values="symbols")
    texts = " ".join(pic.scene(0).texts())
    assert "true convolution: kernel flipped (x \u2217 w)" in texts
    assert "cross-correlation (what" not in texts
    assert "kernel w\u2032 = w rotated 180\u00b0" in texts
    assert "the true convolution x \u2217 w." in " ".join(pic.scene(-1).texts())
    # Symbols name the stored cell each flipped one came from: w′[0, 0] is w₂₂.
    step = " ".join(pic.scene(1).texts())
    assert "y\u2080\u2080 = x\u2080\u2080\u00b7w\u2082\u2082 + x\u2080\u2081\u00b7w\u2082\u2081" \
        in step


def test_flip_refusals():
    with pytest.raises(ConvGifError, match="flip=True needs a convolution.*pooling"):
        render.picture(convgif.MaxPool2d(2), input_shape=(1, 4, 4), flip=True)
    with pytest.raises(ConvGifError, match="already slides the flipped kernel"):
        render.picture(convgif.ConvTranspose2d(1, 1, 3), input_shape=(1, 3, 3), flip=True)
    with pytest.raises(ConvGifError, match="flip=1 must be True or False"):
        render.picture(convgif.Conv2d(1, 1, 3), input_shape=(1, 5, 5), flip=1)


def test_keras_layer_flips_once_built():
    layer = convgif.keras.Conv2D(filters=1, kernel_size=3)
    x = ints(np.random.default_rng(3), (5, 5, 1))
    pic = render.picture(layer, x=x, flip=True)
    w = layer.weight
    expected = hand_true_convolution(np.moveaxis(x, -1, 0), w, layer.bias, 1, 0, 1, 1)
    np.testing.assert_array_equal(np.moveaxis(pic.trace.output, -1, 0), expected)
    assert "true convolution" not in render.picture(layer, x=x).subtitle


def test_cli_matrix_and_flip(tmp_path, capsys):
    out = tmp_path / "m.png"
    assert main(["still", "--layer", "Conv2d(1, 1, 3)", "--input-shape", "1,4,4",
                 "--view", "matrix", "--frame", "1", "-o", str(out), "-q"]) == 0
    assert out.read_bytes().startswith(b"\x89PNG")
    gif = tmp_path / "f.gif"
    assert main(["render", "--layer", "Conv2d(1, 1, 3)", "--input-shape", "1,4,4", "--flip",
                 "-o", str(gif), "-q"]) == 0
    assert gif.stat().st_size > 0
    assert main(["render", "--layer", "MaxPool2d(2)", "--input-shape", "1,4,4", "--flip",
                 "-o", str(gif), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "flip=True needs a convolution" in err[0]


def test_matrix_view_refuses_an_output_region():
    with pytest.raises(ConvGifError, match="view='matrix' lights every row of C"):
        render.picture(convgif.Conv2d(1, 1, 3), input_shape=(1, 5, 5), view="matrix",
                       outputs="0-1,0-1")


# --------------------------------------------------------------------------- without a bias


@pytest.mark.parametrize("make, shape", [
    (lambda bias: convgif.Conv2d(1, 1, 3, bias=bias), (1, 5, 5)),
    (lambda bias: convgif.Conv2d(2, 2, 3, groups=2, bias=bias), (2, 4, 4)),
    (lambda bias: convgif.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1,
                                          bias=bias), (1, 3, 3)),
    (lambda bias: convgif.keras.Conv1D(filters=2, kernel_size=3, use_bias=bias), (6, 1)),
])
def test_a_layer_without_a_bias_draws_no_b_column(make, shape):
    """No b column, no "+ b" anywhere, and y stands where b would: one gap right of C."""
    pic = render.picture(make(False), input_shape=shape, view="matrix", step="output")
    lay = pic.layout
    assert lay.bias is None
    # Same cell size for both: without the b column the automatic size may grow.
    lay_c = render.picture(make(False), input_shape=shape, view="matrix", cell=20).layout
    twin = render.picture(make(True), input_shape=shape, view="matrix", cell=20).layout
    assert twin.bias is not None
    assert lay_c.y_col.x - lay_c.matrix.x == pytest.approx(twin.bias.x - twin.matrix.x)
    assert lay_c.width <= twin.width  # the header or the caption may set the width
    right_of_c = lay.matrix.x + lay.matrix.width
    left_of_forward = lay.forward.x if lay.forward is not None else math.inf
    for i in range(len(pic)):
        scene = pic.scene(i)
        texts = scene.texts()
        assert not [s for s in texts if "+ b" in s or "b (none)" in s or "plus b" in s], i
        assert "b" not in texts  # the legend's entry for the bias
        boxes = [b for b in scene.items if isinstance(b, Box)]
        assert not [b for b in boxes if b.fill == "bias" or (b.dashed and b.fill == "pad")]
        # Beside C's rows, right of C (left of a transposed layer's C), only y is drawn.
        between = [b for b in boxes if right_of_c + 1 < b.x < left_of_forward - 1
                   and b.y >= lay.matrix.y - 1]
        assert between and all(b.x == pytest.approx(lay.y_col.x) for b in between), i
    opening = " ".join(pic.scene(0).texts())
    assert f"y = {pic.name}\u00b7x, {pic.name} is" in opening
    row = [s for s in pic.scene(1).texts() if s.startswith(f"row 0 of {pic.name}")]
    assert len(row) == 1 and row[0].endswith(f" = {fmt(pic.trace.y[0].reshape(-1)[0])}")


def test_a_layer_with_a_bias_keeps_its_b_column():
    pic = render.picture(convgif.Conv2d(1, 1, 3), input_shape=(1, 5, 5), view="matrix")
    lay = pic.layout
    assert lay.bias is not None and lay.y_col.x > lay.bias.x + lay.bias.cell
    texts = pic.scene(1).texts()
    assert "+ b" in texts and "b" in texts
    assert any(s.startswith("row 0 of C: ") and f" + {fmt(pic.trace.bias[0])} = " in s
               for s in texts)


# --------------------------------------------------------------------------- Keras' words


KERAS_TRANSPOSED = [
    (dict(filters=1, kernel_size=3, strides=2, padding="same"), (3, 3, 1),
     "Conv2D(filters=1, kernel_size=3, strides=2, padding='same', use_bias=False)", (6, 6, 1)),
    (dict(filters=2, kernel_size=3, strides=2), (3, 4, 2),
     "Conv2D(filters=2, kernel_size=3, strides=2, use_bias=False)", (7, 9, 2)),
    (dict(filters=2, kernel_size=(3, 2), strides=2, padding="same", output_padding=1),
     (3, 3, 1), "Conv2D(filters=1, kernel_size=(3, 2), strides=2, padding='same', "
     "use_bias=False)", (6, 5, 2)),
    (dict(filters=1, kernel_size=4, strides=2, padding="same", data_format="channels_first"),
     (2, 3, 3), "Conv2D(filters=2, kernel_size=4, strides=2, padding='same', "
     "data_format='channels_first', use_bias=False)", (1, 6, 6)),
]


@pytest.mark.parametrize("args, shape, forward, out_shape", KERAS_TRANSPOSED)
def test_keras_transposed_matrix_names_the_forward_conv_as_keras_does(args, shape, forward,
                                                                      out_shape):
    layer = convgif.keras.Conv2DTranspose(**args)
    pic = render.picture(layer, input_shape=shape, view="matrix")
    texts = [s for i in (0, 1) for s in pic.scene(i).texts()]
    fw = pic.layout.forward
    assert f"C  ({fw.rows} \u00d7 {fw.cols}): matrix of the forward Conv2D" in texts
    opening = " ".join(pic.scene(0).texts())
    assert f"the matrix of {forward} on {out_shape}." in opening
    assert "Conv2d" not in " ".join(texts)  # PyTorch's spelling nowhere
    # The named Conv2D, read back by the layer parser, is the one whose matrix Cᵀ transposes.
    conv = parse_layer(forward)
    conv.built_for(out_shape)
    conv.weight = layer.weight
    np.testing.assert_array_equal(conv_matrix(conv, out_shape).matrix, pic.cm.matrix.T)


def test_keras_forward_conv_with_padding_neither_valid_nor_same():
    """Keras' Conv pads 'valid' or 'same' only: other padding is named as its own layer.
    No layer Keras runs on TensorFlow has such a forward convolution (TensorFlow checks it
    is 'same' or 'valid'), so the spec is made by hand: the crop of padding='same',
    output_padding=0 with an even kernel, the layer convgif refuses as TensorFlow does."""
    with pytest.raises(convgif.ConvGifError, match="TensorFlow refuses it"):
        convgif.keras.Conv2DTranspose(filters=1, kernel_size=2, padding="same", output_padding=0)
    layer = convgif.keras.Conv2DTranspose(filters=1, kernel_size=2, padding="same")
    layer.built_for((3, 3, 1))
    spec = layer.spec._replace(padding=((1, 1), (1, 1)), output_padding=(0, 0))
    forward = matrix.forward_conv(spec, (3, 3))
    assert forward.keras_padding is None and forward.name == "Conv2D"
    assert forward.text == ("ZeroPadding2D(((1, 1), (1, 1))) then "
                            "Conv2D(filters=1, kernel_size=2, use_bias=False)")
    # torch's spelling of the same forward convolution is unchanged
    assert matrix.forward_conv(convgif.ConvTranspose2d(1, 1, 3, stride=2, padding=1).spec,
                               (3, 3)).text.startswith("Conv2d(1, 1, kernel_size=3")
