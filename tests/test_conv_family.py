"""The rest of the convolution family: ConvTranspose3d and Unfold against torch; Keras'
Conv3D, Conv1DTranspose, Conv3DTranspose, DepthwiseConv2D and SeparableConv2D against
real Keras 3 (KERAS_BACKEND=torch), with Keras' own weight layout and ``from_keras``.

Inputs and weights are small integers, so every output must be *equal* to the oracle's.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import event, given, settings
from hypothesis import strategies as st
from test_keras import tensorflow_refuses
from test_oracle import (
    axis_tuple,
    check_trace_invariants,
    conv_t_cases,
    ints,
    per_axis,
    run_conv_t_case,
    unbatched_or_not,
)

import convgif
from convgif import keras

# --------------------------------------------------------------------------- torch


@settings(max_examples=25)
@given(conv_t_cases(3), st.data())
def test_conv_transpose3d_matches_torch(case, data):
    run_conv_t_case(case, 3, data)


def test_conv_transpose3d_from_torch_keeps_weights():
    module = torch.nn.ConvTranspose3d(2, 4, (2, 3, 2), stride=(2, 1, 2), padding=1,
                                      output_padding=(1, 0, 1), groups=2).double()
    layer = convgif.from_torch(module)
    x = ints(np.random.default_rng(3), (2, 3, 4, 3))
    np.testing.assert_allclose(layer.trace(x).output,
                               module(torch.from_numpy(x)).detach().numpy(), rtol=1e-12)
    assert repr(layer).startswith("ConvTranspose3d(2, 4, kernel_size=(2, 3, 2)")


@st.composite
def unfold_cases(draw):
    kernel = axis_tuple(draw, 2, 1, 3)
    dilation = axis_tuple(draw, 2, 1, 2)
    padding = axis_tuple(draw, 2, 0, 2)
    stride = axis_tuple(draw, 2, 1, 3)
    k, d, p = per_axis(kernel, 2), per_axis(dilation, 2), per_axis(padding, 2)
    size = [draw(st.integers(max(1, di * (ki - 1) + 1 - 2 * pi), 6))
            for ki, di, pi in zip(k, d, p, strict=True)]
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), *size)
    return (kernel, dilation, padding, stride), shape, draw(st.integers(0, 999))


@settings(max_examples=40)
@given(unfold_cases(), st.data())
def test_unfold_matches_torch(case, data):
    args, shape, seed = case
    x = unbatched_or_not(data.draw, ints(np.random.default_rng(seed), shape))
    expected = torch.nn.Unfold(*args)(torch.from_numpy(x)).numpy()
    layer = convgif.Unfold(*args)
    trace = layer.trace(x)
    assert trace.output.shape == expected.shape == layer.output_shape(x.shape)
    np.testing.assert_array_equal(trace.output, expected)
    check_trace_invariants(trace)
    # the matrix view's C is a selection: every row holds at most one 1
    matrix = convgif.conv_matrix(layer.trace(x if x.ndim == 3 else x[0])).matrix
    assert set(np.unique(matrix)) <= {0.0, 1.0} and matrix.sum(axis=1).max() <= 1


def test_unfold_from_torch_and_refusals(cli):
    layer = convgif.from_torch(torch.nn.Unfold((2, 3), dilation=2, padding=1, stride=2))
    assert repr(layer) == "Unfold(kernel_size=(2, 3), dilation=2, padding=1, stride=2)"
    assert layer.param_count == 0
    with pytest.raises(convgif.ConvGifError, match="^weight cannot be set on Unfold") as error:
        layer.weight = np.zeros((4, 1, 2, 3))
    assert error.value.param == "weight"
    result = cli("info", "--layer", "Unfold(2, padding='same')", "--input-shape", "1,4,4")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "padding" in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- real Keras


def real_keras(kind, args, kwargs, x_shape, seed):
    """Keras' own layer built for ``x_shape`` with small integer weights, or None when
    Keras refuses the arguments."""
    import keras as real

    try:
        layer = getattr(real.layers, kind)(*args, **kwargs)
        layer.build(x_shape)
    except (ValueError, RuntimeError, TypeError):
        return None
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.integers(-2, 3, w.shape).astype("float32")
                       for w in layer.get_weights()])
    return layer


def keras_output(layer, x):
    import keras as real

    try:
        return real.ops.convert_to_numpy(layer(x.astype("float32"))).astype(np.float64)
    except (ValueError, RuntimeError):
        return None


def check_against_keras(kind, args, kwargs, x_shape, seed, tf_refuses=False):
    """convgif's layer equals Keras' (built directly with set_weights, and by from_keras),
    or both refuse."""
    x = ints(np.random.default_rng(seed), x_shape)
    real = real_keras(kind, args, kwargs, x_shape, seed)
    expected = None if real is None else keras_output(real, x)
    try:
        ours = getattr(keras, kind)(*args, **kwargs).built_for(x_shape)
        ours.set_weights([np.asarray(w) for w in real.get_weights()] if real else
                         ours.get_weights())
        out = ours.trace(x).output
    except convgif.ConvGifError as error:
        out, message = None, str(error)
    if expected is None:
        event("Keras refuses")
        assert out is None, f"Keras refuses, convgif gives shape {out.shape}"
        return
    if tf_refuses:
        event("TensorFlow refuses")
        assert out is None and "TensorFlow refuses it" in message, message
        return
    event("Keras runs it")
    assert out is not None, f"Keras gives shape {expected.shape}, convgif: {message}"
    np.testing.assert_array_equal(out, expected)
    assert ours.output_shape(x_shape) == expected.shape
    bridged = convgif.from_keras(real)
    np.testing.assert_array_equal(bridged.trace(x).output, expected)
    for mine, theirs in zip(bridged.get_weights(), real.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    steps = getattr(ours, "steps", None)
    trace = ours.trace(x)
    for step in (trace.steps if steps else (trace,)):
        check_trace_invariants(step)


@st.composite
def keras_conv_settings(draw, nd: int, transposed: bool):
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    strides = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    dilation = (1,) * nd if max(strides) > 1 and draw(st.integers(0, 3)) else tuple(
        draw(st.integers(1, 2)) for _ in range(nd))
    kwargs = dict(strides=strides, padding=draw(st.sampled_from(["valid", "same"])),
                  dilation_rate=dilation, use_bias=draw(st.booleans()),
                  data_format=draw(st.sampled_from(["channels_last", "channels_first"])))
    if transposed and draw(st.booleans()):
        kwargs["output_padding"] = tuple(draw(st.integers(0, s - 1)) for s in strides)
    size = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    return kernel, kwargs, size, draw(st.integers(0, 999))


def _shape(kwargs, size, channels):
    return ((1, channels, *size) if kwargs["data_format"] == "channels_first"
            else (1, *size, channels))


@pytest.mark.parametrize("kind, nd, transposed", [
    ("Conv3D", 3, False), ("Conv1DTranspose", 1, True), ("Conv3DTranspose", 3, True)])
@settings(max_examples=15)
@given(data=st.data())
def test_keras_convolutions_follow_real_keras(kind, nd, transposed, data):
    kernel, kwargs, size, seed = data.draw(keras_conv_settings(nd, transposed))
    refuses = transposed and tensorflow_refuses(
        kernel, kwargs["strides"], kwargs["dilation_rate"], kwargs["padding"],
        kwargs.get("output_padding"))
    check_against_keras(kind, (2, kernel), kwargs, _shape(kwargs, size, 2), seed, refuses)


@settings(max_examples=30)
@given(keras_conv_settings(2, False), st.integers(1, 3), st.integers(1, 3))
def test_depthwise_conv2d_follows_real_keras(settings_, multiplier, channels):
    kernel, kwargs, size, seed = settings_
    kwargs["depth_multiplier"] = multiplier
    check_against_keras("DepthwiseConv2D", (kernel,), kwargs, _shape(kwargs, size, channels),
                        seed)


@settings(max_examples=25)
@given(keras_conv_settings(2, False), st.integers(1, 2), st.integers(1, 3))
def test_separable_conv2d_follows_real_keras(settings_, multiplier, filters):
    kernel, kwargs, size, seed = settings_
    kwargs["depth_multiplier"] = multiplier
    check_against_keras("SeparableConv2D", (filters, kernel), kwargs,
                        _shape(kwargs, size, 3), seed)


# --------------------------------------------------------------------------- Keras' layout


def test_keras_layers_keep_keras_weight_layout():
    conv = keras.Conv2D(4, (3, 2), groups=2, input_shape=(5, 5, 6))
    assert conv.kernel.shape == (3, 2, 3, 4) and conv.weight.shape == (4, 3, 3, 2)
    np.testing.assert_array_equal(conv.kernel[1, 0, 2, 3], conv.weight[3, 2, 1, 0])
    assert [w.shape for w in conv.get_weights()] == [(3, 2, 3, 4), (4,)]
    up = keras.Conv3DTranspose(2, 2, input_shape=(3, 3, 3, 5))
    assert up.kernel.shape == (2, 2, 2, 2, 5) and up.weight.shape == (5, 2, 2, 2, 2)
    depthwise = keras.DepthwiseConv2D(3, depth_multiplier=2, input_shape=(5, 5, 3))
    assert depthwise.kernel.shape == (3, 3, 3, 2) and depthwise.weight.shape == (6, 1, 3, 3)
    # output channel c*dm + m is input channel c through its m-th kernel, as in Keras
    np.testing.assert_array_equal(depthwise.kernel[:, :, 1, 0], depthwise.weight[2, 0])
    separable = keras.SeparableConv2D(4, 3, depth_multiplier=2, input_shape=(5, 5, 3))
    assert [w.shape for w in separable.get_weights()] == [(3, 3, 3, 2), (1, 1, 6, 4), (4,)]
    new = [np.full(w.shape, n + 1.0) for n, w in enumerate(separable.get_weights())]
    separable.set_weights(new)
    assert np.all(separable.pointwise_kernel == 2) and np.all(separable.bias == 3)


def test_keras_layout_refusals():
    unbuilt = keras.Conv2D(2, 3)
    with pytest.raises(convgif.ConvGifError, match="not built yet"):
        unbuilt.kernel  # noqa: B018
    conv = keras.Conv1D(2, 3, input_shape=(5, 4))
    with pytest.raises(convgif.ConvGifError, match=r"^weights has 1 arrays") as error:
        conv.set_weights([np.zeros((3, 4, 2))])
    assert error.value.param == "weights"
    with pytest.raises(convgif.ConvGifError, match=r"weights\[0\] has shape \(4, 3, 2\)"):
        conv.set_weights([np.zeros((4, 3, 2)), np.zeros(2)])
    with pytest.raises(convgif.ConvGifError, match="^depth_multiplier=0"):
        keras.DepthwiseConv2D(3, depth_multiplier=0)


def test_from_keras_refuses_unbuilt_and_unsupported():
    import keras as real

    with pytest.raises(convgif.ConvGifError) as error:
        convgif.from_keras(real.layers.Conv2D(2, 3))
    assert "Conv2D is not built" in str(error.value) and "\n" not in str(error.value)
    dense = real.layers.Dense(3)
    dense.build((None, 4))
    with pytest.raises(convgif.ConvGifError) as error:
        convgif.from_keras(dense)
    message = str(error.value)
    assert message.startswith("layer=Dense") and "DepthwiseConv2D" in message
    assert "SeparableConv2D" in message and "\n" not in message


# --------------------------------------------------------------------------- front doors


@pytest.mark.parametrize("text, shape, expected", [
    ("ConvTranspose3d(2, 1, 2, stride=2)", "2,2,3,3", "output shape  (1, 4, 6, 6)"),
    ("Unfold(2, stride=2)", "2,4,4", "output shape  (8, 4)"),
    ("Conv3D(2, 3, padding='same')", "3,4,4,1", "kernel (3, 3, 3, 1, 2)"),
    ("Conv1DTranspose(2, 3, strides=2)", "4,3", "output shape  (9, 2)"),
    ("DepthwiseConv2D(3, depth_multiplier=2)", "5,5,3",
     "kernel axes (kh, kw, in, depth_multiplier)"),
    ("SeparableConv2D(4, 3, depth_multiplier=2)", "5,5,3", "parameters 82 in all"),
])
def test_info_takes_the_new_kinds(cli, text, shape, expected):
    result = cli("info", "--layer", text, "--input-shape", shape)
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout


def test_separable_animation_plays_both_steps(tmp_path):
    from convgif.api.pictures import picture

    layer = keras.SeparableConv2D(2, 3, depth_multiplier=2)
    view = picture(layer, input_shape=(5, 5, 3))
    first, second = view.views
    assert len(view) == len(first) + len(second)
    heading = "SeparableConv2D(filters=2, kernel_size=3, depth_multiplier=2): step {}"
    one, two = view.scene(1).texts(), view.scene(len(first) + 1).texts()
    assert heading.format("1 of 2, depthwise") in one and any("DepthwiseConv2D(" in t for t in one)
    assert heading.format("2 of 2, pointwise") in two and any(
        "Conv2D(filters=2, kernel_size=1)" in t for t in two)
    # the pointwise step is drawn on what the depthwise step gave
    np.testing.assert_array_equal(second.trace.x[0], np.moveaxis(first.trace.output, -1, 0))
    rendered = layer.animate(tmp_path / "sep.gif", input_shape=(5, 5, 3))
    assert rendered.frames == len(view)


def test_separable_trace_export_is_refused_in_one_line(cli, tmp_path):
    result = cli("trace", "--layer", "SeparableConv2D(2, 3)", "--input-shape", "5,5,3",
                 "-o", "t.csv")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "--layer" in result.stderr and "2 steps" in result.stderr
    assert not (tmp_path / "t.csv").exists()
    bad = cli("render", "--layer", "DepthwiseConv2D(3, depth_multiplier=-1)",
              "--input-shape", "5,5,3", "-o", "d.gif")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1, bad.stderr
    assert "depth_multiplier=-1" in bad.stderr and not (tmp_path / "d.gif").exists()
