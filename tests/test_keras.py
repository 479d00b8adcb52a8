"""Keras layers: TensorFlow's 'same' rule, layouts, and Conv2DTranspose shapes.

The first test is the reference article's experiment written out by hand: input
1..9, a kernel of ones, no bias. TensorFlow's 'same' pads
``max((ceil(n/s) − 1)·s + k − n, 0)`` in total, the smaller half before.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import event, given, settings
from hypothesis import strategies as st

import convgif
import convgif.keras as keras

X = np.arange(1.0, 10.0).reshape(9, 1)  # (steps, channels): channels_last

# (kernel, strides, padding) -> expected output, summed by hand.
ARTICLE = {
    (5, 1, "valid"): [15, 20, 25, 30, 35],
    (5, 1, "same"): [6, 10, 15, 20, 25, 30, 35, 30, 24],  # pads (2, 2)
    (5, 2, "valid"): [15, 25, 35],
    (5, 2, "same"): [6, 15, 25, 35, 24],  # ceil(9/2)=5 outputs, total 4 -> (2, 2)
    (6, 1, "valid"): [21, 27, 33, 39],
    (6, 1, "same"): [10, 15, 21, 27, 33, 39, 35, 30, 24],  # total 5 -> (2, 3)
    (6, 2, "valid"): [21, 33],
    (6, 2, "same"): [10, 21, 33, 35, 24],  # total 5 -> (2, 3)
}
ARTICLE_PADS = {
    (5, 1, "same"): (2, 2), (5, 2, "same"): (2, 2), (6, 1, "same"): (2, 3),
    (6, 2, "same"): (2, 3),
}


@pytest.mark.parametrize("case", sorted(ARTICLE), ids=lambda c: f"k{c[0]}-s{c[1]}-{c[2]}")
def test_reference_article_sums(case):
    k, s, padding = case
    layer = keras.Conv1D(1, k, strides=s, padding=padding, use_bias=False)
    layer.built_for(X.shape)
    assert layer.weight.shape == (1, 1, k)
    layer.weight = np.ones((1, 1, k))
    trace = layer.trace(X)
    expected = np.array(ARTICLE[case], dtype=float).reshape(-1, 1)
    assert trace.output.shape == expected.shape == layer.output_shape(X.shape)
    np.testing.assert_array_equal(trace.output, expected)
    assert layer.padding_for(X.shape) == ARTICLE_PADS.get(case, (0, 0))
    # Every sum is the last running sum of its cell's MACs.
    for i, value in enumerate(ARTICLE[case]):
        assert trace.cell_macs(0, 0, i)["running_sum"][-1] == value


def test_causal_padding_pads_only_before():
    layer = keras.Conv1D(1, 3, padding="causal", dilation_rate=2, use_bias=False)
    layer.built_for(X.shape)
    layer.weight = np.ones((1, 1, 3))
    assert layer.padding_for(X.shape) == (4, 0)
    out = layer.trace(X).output[:, 0]
    np.testing.assert_array_equal(out, [1, 2, 4, 6, 9, 12, 15, 18, 21])


@pytest.mark.parametrize(
    "size, kernel, expected",
    [
        (8, 3, (0, 1, 0, 1)),  # total (4−1)·2 + 3 − 8 = 1: all of it after
        (7, 3, (1, 1, 1, 1)),  # total 2
        (7, 4, (1, 2, 1, 2)),  # total 3
        (6, 1, (0, 0, 0, 0)),  # total max(−1, 0)
    ],
)
def test_conv2d_same_stride_two_is_asymmetric(size, kernel, expected):
    layer = keras.Conv2D(2, kernel, strides=2, padding="same")
    shape = (size, size, 3)
    assert layer.padding_for(shape) == expected
    assert layer.output_shape(shape) == (-(-size // 2), -(-size // 2), 2)
    # The values follow F.pad with exactly those pads, then an unpadded convolution.
    x = layer.example_input(shape)
    top, bottom, left, right = expected
    cf = torch.from_numpy(np.moveaxis(x, -1, 0))
    ref = F.conv2d(F.pad(cf, (left, right, top, bottom)), torch.from_numpy(layer.weight),
                   torch.from_numpy(layer.bias), stride=2).numpy()
    np.testing.assert_array_equal(layer.trace(x).output, np.moveaxis(ref, 0, -1))


def test_channels_first_and_last_give_transposed_outputs():
    last = keras.Conv2D(4, (3, 2), strides=(1, 2), padding="same", seed=3)
    first = keras.Conv2D(4, (3, 2), strides=(1, 2), padding="same", seed=3,
                         data_format="channels_first")
    x_last = last.example_input((2, 6, 7, 3))
    x_first = np.moveaxis(x_last, -1, 1)
    first.built_for(x_first.shape)
    last.built_for(x_last.shape)
    np.testing.assert_array_equal(first.weight, last.weight)  # both in torch's layout
    out_last = last.trace(x_last).output
    out_first = first.trace(x_first).output
    assert out_last.shape == (2, 6, 4, 4) == last.output_shape(x_last.shape)
    assert out_first.shape == (2, 4, 6, 4) == first.output_shape(x_first.shape)
    np.testing.assert_array_equal(np.moveaxis(out_first, 1, -1), out_last)
    # The canonical view is the same either way.
    np.testing.assert_array_equal(last.trace(x_last).y, first.trace(x_first).y)


def keras_deconv_length(n, k, padding, output_padding, stride, dilation=1):
    """keras.utils.conv_utils.deconv_output_length, as documented."""
    k = k + (k - 1) * (dilation - 1)
    if output_padding is None:
        if padding == "valid":
            return n * stride + max(k - stride, 0)
        return n * stride
    pad = k // 2 if padding == "same" else 0
    return (n - 1) * stride + k - 2 * pad + output_padding


CASES_T = [
    (n, k, s, padding, op)
    for n, k, s, padding in itertools.product(
        (1, 3, 4), (1, 2, 3, 5), (1, 2, 3), ("valid", "same")
    )
    for op in (None, *range(s))
]


@pytest.mark.parametrize("n, k, s, padding, op", CASES_T)
def test_conv2d_transpose_output_shape_follows_keras(n, k, s, padding, op):
    expected = keras_deconv_length(n, k, padding, op, s)
    if padding == "same" and op == 0 and k % 2 == 0:  # TensorFlow refuses: see below
        with pytest.raises(convgif.ConvGifError, match=r"^output_padding=\(0, 0\) with "):
            keras.Conv2DTranspose(2, k, strides=s, padding=padding, output_padding=(op, op))
        return
    layer = keras.Conv2DTranspose(2, k, strides=s, padding=padding,
                                  output_padding=None if op is None else (op, op))
    shape = (n, n + 1, 3)
    if expected < 1:
        with pytest.raises(convgif.ConvGifError, match="too small"):
            layer.output_shape(shape)
        return
    width = keras_deconv_length(n + 1, k, padding, op, s)
    assert layer.output_shape(shape) == (expected, width, 2)
    trace = layer.trace(layer.example_input(shape))
    assert trace.output.shape == (expected, width, 2)
    np.testing.assert_array_equal(trace.scatter_output(), trace.y)


def test_conv2d_transpose_values_by_hand():
    layer = keras.Conv2DTranspose(1, 2, strides=2, use_bias=False, input_shape=(2, 2, 1))
    layer.weight = np.ones((1, 1, 2, 2))
    out = layer.trace(np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(2, 2, 1)).output[..., 0]
    np.testing.assert_array_equal(
        out, [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    )


def test_output_padding_must_be_below_strides():
    with pytest.raises(convgif.ConvGifError, match=r"^output_padding=\(2, 2\) must be smaller"):
        keras.Conv2DTranspose(1, 3, strides=2, output_padding=2)



# --------------------------------------------------------------------------- real Keras


def tensorflow_refuses(kernel, strides, dilation, padding, output_padding) -> bool:
    """TensorFlow's one refusal Keras 3 on the torch backend does not make: with
    padding='same' and an explicit output_padding, Keras' output length is
    (n - 1)*s + keff % 2 + op, and TensorFlow checks that the 'same' convolution of that
    length gives back n, i.e. ceil(length / s) == n: false exactly when keff is even and
    op == 0 ("Size of out_backprop doesn't match computed")."""
    if padding != "same" or output_padding is None:
        return False
    return any((d * (k - 1) + 1) % 2 == 0 and op == 0
               for k, d, op in zip(kernel, dilation, output_padding, strict=True))


def real_keras_output(kind, args, kwargs, w, b, x):
    """Keras 3's own layer (KERAS_BACKEND=torch) with the same weights, or None: refused."""
    import keras as real

    try:
        layer = getattr(real.layers, kind)(*args, **kwargs)
        layer.build(x.shape)
        layer.kernel.assign(w)
        if b is not None:
            layer.bias.assign(b)
        return real.ops.convert_to_numpy(layer(x.astype("float32"))).astype(np.float64)
    except (ValueError, RuntimeError, TypeError):
        return None


@st.composite
def transposed_settings(draw):
    """Mostly layers Keras runs (a stride or a dilation above 1, output_padding below the
    stride), now and then one it refuses."""
    pair = st.tuples(st.integers(1, 3), st.integers(1, 3))
    strides = draw(pair)
    dilation = (1, 1) if max(strides) > 1 and draw(st.integers(0, 4)) else draw(pair)
    if draw(st.booleans()):
        output_padding = None
    elif draw(st.integers(0, 4)):
        output_padding = tuple(draw(st.integers(0, s - 1)) for s in strides)
    else:
        output_padding = draw(st.tuples(st.integers(0, 3), st.integers(0, 3)))
    return strides, dilation, output_padding


@settings(max_examples=150)
@given(
    kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    steps=transposed_settings(),
    padding=st.sampled_from(["valid", "same"]),
    size=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    channels_first=st.booleans(),
    use_bias=st.booleans(),
)
def test_conv2d_transpose_follows_real_keras(kernel, steps, padding, size, channels_first,
                                             use_bias):
    """Keras 3 itself is the oracle: convgif accepts what it accepts, with its output exactly,
    and refuses what it refuses; the one exception is the case TensorFlow refuses and the
    torch backend runs (tensorflow_refuses), which convgif refuses, saying so."""
    strides, dilation, output_padding = steps
    fmt = "channels_first" if channels_first else "channels_last"
    kwargs = dict(strides=strides, padding=padding, output_padding=output_padding,
                  dilation_rate=dilation, data_format=fmt, use_bias=use_bias)
    cin, filters = 2, 3
    shape = (1, cin, *size) if channels_first else (1, *size, cin)
    rng = np.random.default_rng(sum(kernel) + 7 * sum(size))
    x = rng.integers(-3, 4, shape).astype(np.float64)
    w = rng.integers(-2, 3, (*kernel, filters, cin)).astype(np.float64)  # Keras' layout
    b = rng.integers(-2, 3, filters).astype(np.float64) if use_bias else None
    expected = real_keras_output("Conv2DTranspose", (filters, kernel), kwargs, w, b, x)
    try:
        layer = keras.Conv2DTranspose(filters, kernel, **kwargs).built_for(shape)
        layer.weight = np.transpose(w, (3, 2, 0, 1))  # (in, filters, kh, kw)
        if b is not None:
            layer.bias = b
        ours = layer.trace(x).output
    except convgif.ConvGifError as error:
        ours, message = None, str(error)
    if expected is None:
        event("Keras refuses")
        assert ours is None, f"Keras refuses, convgif gives shape {ours.shape}"
        return
    if tensorflow_refuses(kernel, strides, dilation, padding, output_padding):
        event("TensorFlow refuses")
        assert ours is None and message.startswith("output_padding=") and (
            "TensorFlow refuses it" in message), message
        return
    event("Keras runs it")
    assert 0 not in expected.shape  # Keras' only empty outputs are TensorFlow's refusals
    assert ours is not None, f"Keras gives shape {expected.shape}, convgif: {message}"
    np.testing.assert_array_equal(ours, expected)


def test_conv2d_transpose_same_even_kernel_explicit_output_padding():
    """The issue's case: Conv2DTranspose(1, 2, padding='same', output_padding=0) on
    (1, 2, 2, 1). TensorFlow refuses it; convgif returned a 1x1 output."""
    with pytest.raises(convgif.ConvGifError) as info:
        keras.Conv2DTranspose(1, 2, padding="same", output_padding=0)
    assert info.value.param == "output_padding"
    assert str(info.value).startswith("output_padding=(0, 0) with padding='same' and an even "
                                      "effective kernel size (2): TensorFlow refuses it")
    # left out, the output is n*strides; with strides 2, output_padding=1 is accepted
    assert keras.Conv2DTranspose(1, 2, padding="same").output_shape((1, 2, 2, 1)) == (1, 2, 2, 1)
    layer = keras.Conv2DTranspose(1, 2, strides=2, padding="same", output_padding=1)
    assert layer.output_shape((1, 2, 2, 1)) == (1, 3, 3, 1)
    # dilation 2 makes a 2-kernel's effective size 3: odd, accepted
    layer = keras.Conv2DTranspose(1, 2, padding="same", output_padding=0, dilation_rate=2)
    assert layer.output_shape((1, 2, 2, 1)) == (1, 2, 2, 1)


def test_conv2d_transpose_refusal_on_the_command_line(cli):
    result = cli("info", "--layer", "layers.Conv2DTranspose(1, 2, padding='same', "
                 "output_padding=0)", "--input-shape", "2,2,1")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "output_padding=(0, 0) with padding='same'" in lines[0], lines
