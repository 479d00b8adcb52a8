"""The backward pass of the kinds added after it: ConvTranspose3d, the 1-d and 3-d pools, the
adaptive pools, Unfold, and Keras' Conv3D, Conv1DTranspose, Conv3DTranspose,
DepthwiseConv2D, SeparableConv2D, its pools and GlobalAveragePooling2D. Each equals
torch.autograd (Keras: autograd through the real Keras layer on its torch backend) for the
same input, weights and output gradient, and every recorded gradient MAC adds into the cell
it names (``check_records``).

Integer inputs, weights and output gradients make sums exact; averages divide, so they are
compared to 1e-12 against float64, or after the float32 rounding Keras applies.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from test_backward import check_records, run_formulas
from test_oracle import conv_t_cases, ints, t, unbatched_or_not
from test_pools import ADAPTIVE, AVG, MAX, adaptive_cases, keras_cases, pool_cases

import convgif
import convgif.keras as ck
from convgif import ConvGifError
from convgif.api.backward import check_grad_choice
from convgif.api.keras_weights import depthwise_kernel, keras_kernel
from convgif.api.kinds import parse_layer
from convgif.layers.grad_info import describe_grads, format_grads

NN_F_MAX = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
NN_F_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


def torch_grads(fn, x, dy, *params):
    """autograd's gradients of ``fn(x, *params)`` for the output gradient ``dy`` (float64)."""
    xt = t(x).requires_grad_()
    ps = [t(p).requires_grad_() for p in params]
    fn(xt, *ps).backward(t(dy))
    return [v.grad.numpy() for v in (xt, *ps)]


def equal(ours, theirs, exact=True):
    assert ours.shape == theirs.shape
    if exact:
        np.testing.assert_array_equal(ours, theirs)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def dy_for(layer, x, lo=-3, hi=3):
    return ints(np.random.default_rng(np.size(x)), np.shape(layer.trace(x).output), lo, hi)


def records_add_up(grads, exact=True):
    for grad in ("input", "weight", "bias"):
        if grads.trace.has(grad):
            check_records(grads.trace, grad, exact=exact or grad != "input")


# --------------------------------------------------------------------------- torch kinds


@settings(max_examples=8, deadline=None)
@given(conv_t_cases(3), st.data())
def test_conv_transpose3d_gradients_equal_autograd(case, data):
    layer, shape, seed = case
    x = unbatched_or_not(data.draw, ints(np.random.default_rng(seed), shape))
    s = layer.spec
    dy = dy_for(layer, x)
    grads = layer.backward(x, dy)

    def fn(xt, w, *b):
        return F.conv_transpose3d(xt, w, *b, stride=s.stride, padding=[p for p, _ in s.padding],
                                  output_padding=s.output_padding, groups=s.groups,
                                  dilation=s.dilation)
    params = (layer.weight,) + (() if layer.bias is None else (layer.bias,))
    expected = torch_grads(fn, x, dy, *params)
    for ours, theirs in zip((grads.grad_input, grads.grad_weight, grads.grad_bias), expected):
        equal(ours, theirs)
    assert (grads.grad_bias is None) == (layer.bias is None)
    if data.draw(st.integers(0, 2)) == 0:
        records_add_up(grads)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([1, 3]), st.sampled_from(["max", "avg"]), st.data())
def test_pool_1d_3d_gradients_equal_autograd(ndim, kind, data):
    """Values 0..2 make ties common: the first maximum of a window takes its gradient."""
    args, shape, seed, unbatched = data.draw(pool_cases(ndim, kind))
    x = ints(np.random.default_rng(seed), shape, 0, 2)
    x = x[0] if unbatched else x
    layer = (MAX if kind == "max" else AVG)[ndim](**args)
    fargs = {k: v for k, v in args.items() if k != "return_indices"}
    if ndim == 1:
        fargs.pop("divisor_override", None)
    fn = (NN_F_MAX if kind == "max" else NN_F_AVG)[ndim]
    dy = dy_for(layer, x)
    grads = layer.backward(x, dy)
    (expected,) = torch_grads(lambda xt: fn(xt, **fargs), x, dy)
    equal(grads.grad_input, expected, exact=kind == "max")
    assert grads.grad_weight is None and grads.grad_bias is None
    records_add_up(grads, exact=kind == "max")


@settings(max_examples=25, deadline=None)
@given(adaptive_cases())
def test_adaptive_pool_gradients_equal_autograd(case):
    """Windows of varying size (and, when the output is longer than the input, windows
    that share cells): each cell gets what every window that counts it sends."""
    kind, ndim, output_size, shape, seed = case
    ours_cls, theirs_cls = ADAPTIVE[(kind, ndim)]
    x = ints(np.random.default_rng(seed), shape, 0, 2)
    layer = ours_cls(output_size)
    dy = dy_for(layer, x)
    grads = layer.backward(x, dy)
    module = theirs_cls(output_size)
    (expected,) = torch_grads(lambda xt: module(xt), x, dy)
    equal(grads.grad_input, expected, exact=kind == "max")
    records_add_up(grads, exact=kind == "max")


@st.composite
def unfold_cases(draw):
    k = tuple(draw(st.integers(1, 3)) for _ in range(2))
    d = tuple(draw(st.integers(1, 2)) for _ in range(2))
    p = tuple(draw(st.integers(0, 1)) for _ in range(2))
    s = tuple(draw(st.integers(1, 3)) for _ in range(2))
    spatial = [draw(st.integers(max(1, di * (ki - 1) + 1 - 2 * pi), 6))
               for ki, di, pi in zip(k, d, p)]
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), *spatial)
    return dict(kernel_size=k, dilation=d, padding=p, stride=s), shape, draw(st.integers(0, 999))


@settings(max_examples=20, deadline=None)
@given(unfold_cases(), st.data())
def test_unfold_input_gradient_equals_autograd(case, data):
    """Unfold has no parameters: its one-hot kernels are fixed, so only ∂L/∂x exists (each
    input cell gets the gradients of every column entry that copied it)."""
    kwargs, shape, seed = case
    x = unbatched_or_not(data.draw, ints(np.random.default_rng(seed), shape))
    layer = convgif.Unfold(**kwargs)
    dy = dy_for(layer, x)
    grads = layer.backward(x, dy)
    (expected,) = torch_grads(lambda xt: F.unfold(xt, **kwargs), x if x.ndim == 4 else x[None],
                              dy if x.ndim == 4 else dy[None])
    equal(grads.grad_input, expected if x.ndim == 4 else expected[0])
    assert grads.grad_output.shape == dy.shape
    assert grads.grad_weight is None and grads.grad_bias is None
    assert not grads.trace.has("weight") and not grads.trace.has("bias")
    records_add_up(grads)


def test_unfold_has_no_weight_gradient_to_trace():
    layer = convgif.Unfold(2)
    layer.built_for((1, 3, 3))
    with pytest.raises(ConvGifError) as e:
        check_grad_choice(layer, "weight")
    assert e.value.param == "grad" and "Unfold" in str(e.value) and "no weights" in str(e.value)


# --------------------------------------------------------------------------- Keras


@st.composite
def keras_conv_cases(draw):
    kind = draw(st.sampled_from(["Conv3D", "Conv1DTranspose", "Conv3DTranspose",
                                 "DepthwiseConv2D", "SeparableConv2D"]))
    nd = {"1": 1, "3": 3}.get(kind[4], 2)
    strides = draw(st.integers(1, 2))
    dilation = 1 if strides > 1 or nd == 3 else draw(st.integers(1, 2))
    kernel = draw(st.integers(1, 3))
    kwargs = dict(kernel_size=kernel, strides=strides, dilation_rate=dilation,
                  padding=draw(st.sampled_from(["valid", "same"])),
                  use_bias=draw(st.booleans()),
                  data_format=draw(st.sampled_from(["channels_last", "channels_first"])))
    if kind in ("DepthwiseConv2D", "SeparableConv2D"):
        kwargs["depth_multiplier"] = draw(st.integers(1, 2))
    if kind != "DepthwiseConv2D":
        kwargs["filters"] = draw(st.integers(1, 3))
    cin = draw(st.integers(1, 2))
    top = 4 if nd == 3 else 6
    size = [draw(st.integers(dilation * (kernel - 1) + 1, top)) for _ in range(nd)]
    first = kwargs["data_format"] == "channels_first"
    shape = (draw(st.integers(1, 2)), *((cin, *size) if first else (*size, cin)))
    return kind, kwargs, shape, draw(st.integers(0, 999))


def keras_layout(layer, grads) -> list[np.ndarray]:
    """Our gradients in ``get_weights()``'s order and Keras' layout."""
    if isinstance(layer, ck.SeparableConv2D):
        return grads.grad_weights
    if isinstance(layer, ck.DepthwiseConv2D):
        kernel = depthwise_kernel(grads.grad_weight, layer.depth_multiplier)
    else:
        kernel = keras_kernel(grads.grad_weight)
    return [kernel] + ([] if grads.grad_bias is None else [grads.grad_bias])


def keras_autograd(module, x, dy, dtype="float32"):
    xt = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
    module(xt).backward(torch.tensor(dy, dtype=getattr(torch, dtype)))
    return xt.grad.numpy(), [v.value.grad.numpy() for v in module.weights]


@settings(max_examples=15, deadline=None)
@given(keras_conv_cases(), st.data())
def test_keras_conv_gradients_equal_keras_on_torch(case, data):
    """Keras runs in float32: small integers keep every sum exact there too."""
    import keras

    kind, kwargs, shape, seed = case
    layer = getattr(ck, kind)(**kwargs, seed=seed)
    x = ints(np.random.default_rng(seed), shape)
    grads = layer.backward(x)
    module = getattr(keras.layers, kind)(**kwargs)
    module.build(shape)
    module.set_weights(layer.get_weights())
    grad_x, theirs = keras_autograd(module, x, grads.grad_output)
    equal(grads.grad_input, grad_x)
    ours = keras_layout(layer, grads)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        equal(a, b)
    if data.draw(st.integers(0, 2)) == 0:
        for step in getattr(grads, "steps", (grads,)):
            records_add_up(step)


def test_separable_gradients_are_the_chain_rule_through_both_steps():
    layer = ck.SeparableConv2D(2, 3, padding="same", depth_multiplier=2, seed=4)
    x = ints(np.random.default_rng(1), (1, 5, 4, 3))
    grads = layer.backward(x)
    depthwise, pointwise = grads.steps
    assert grads.grad_depthwise_kernel.shape == layer.depthwise_kernel.shape == (3, 3, 3, 2)
    assert grads.grad_pointwise_kernel.shape == layer.pointwise_kernel.shape == (1, 1, 6, 2)
    # ∂L/∂m, the middle's gradient, is what the depthwise step was given
    np.testing.assert_array_equal(depthwise.grad_output, pointwise.grad_input)
    np.testing.assert_array_equal(grads.grad_input, depthwise.grad_input)
    assert [g.shape for g in grads.grad_weights] == [w.shape for w in layer.get_weights()]


def torch_tf_average(xt, pads, pool, strides):
    """TensorFlow's 'same' average in torch ops (channels first): the padding left out of
    each window's count."""
    nd = xt.ndim - 2
    flat = tuple(p for pair in reversed(pads) for p in pair)
    if nd == 1:
        xt, pool, strides, flat = xt[:, :, None], (1, *pool), (1, *strides), (*flat, 0, 0)
    fn = F.avg_pool2d if xt.ndim == 4 else F.avg_pool3d
    sums = fn(F.pad(xt, flat), pool, strides, divisor_override=1)
    counts = fn(F.pad(torch.ones_like(xt), flat), pool, strides, divisor_override=1)
    out = sums / counts
    return out[:, :, 0] if nd == 1 else out


@settings(max_examples=20, deadline=None)
@given(keras_cases())
def test_keras_pool_gradients_equal_keras_on_torch(case):
    """Max pools exactly; averages to 1e-12 in float64. Where Keras' torch backend departs
    from TensorFlow (an average with asymmetric 'same' padding), TensorFlow's rule is the
    oracle, in torch ops, as for the forward pass (tests/test_pools.py)."""
    import keras

    name, kwargs, shape, seed = case
    lo = 0 if name.startswith("Max") else -3
    x = ints(np.random.default_rng(seed), shape, lo, 2)
    layer = getattr(ck, name)(**kwargs)
    grads = layer.backward(x)
    dy = grads.grad_output
    spec = layer.spec
    pads = spec.pads(layer.split_shape(shape).spatial)
    if name.startswith("Average") and any(b != a for b, a in pads):
        last = spec.channels_last

        def fn(xt):
            xt = xt.movedim(-1, 1) if last else xt
            out = torch_tf_average(xt, pads, spec.kernel_size, spec.stride)
            return out.movedim(1, -1) if last else out
        (expected,) = torch_grads(fn, x, dy)
    else:
        module = getattr(keras.layers, name)(**kwargs, dtype="float64")
        expected, _ = keras_autograd(module, x, dy, "float64")
    equal(grads.grad_input, expected, exact=name.startswith("Max"))
    records_add_up(grads, exact=name.startswith("Max"))


@pytest.mark.parametrize("keepdims", [True, False])
@pytest.mark.parametrize("data_format", [None, "channels_first"])
def test_global_average_pooling_gradient_equals_keras(keepdims, data_format):
    """Keras takes this mean in float32 whatever the dtype: its gradient, ∂L/∂y / (H·W) on
    every cell, is float64's quotient rounded to float32."""
    import keras

    shape = (2, 3, 5, 4) if data_format else (2, 5, 4, 3)
    x = ints(np.random.default_rng(7), shape)
    layer = ck.GlobalAveragePooling2D(data_format, keepdims)
    grads = layer.backward(x)
    assert grads.grad_output.shape == layer.trace(x).output.shape
    module = keras.layers.GlobalAveragePooling2D(data_format, keepdims)
    expected, _ = keras_autograd(module, x, grads.grad_output)
    np.testing.assert_array_equal(grads.grad_input.astype(np.float32), expected)
    records_add_up(grads, exact=False)


# --------------------------------------------------------------------------- info --grad


def formulas_give(layer, x, grads, text=None, **names) -> dict:
    """Run the printed formulas in torch (``test_backward.run_formulas``) on the canonical
    tensors; each gradient they name must equal ours (already equal to autograd's)."""
    gt = grads.trace
    env = {"x": t(gt.trace.x), "dy": t(gt.grad_y), **names}
    if getattr(layer, "weight", None) is not None:
        env["w"] = t(layer.weight)
    text = layer.info(np.shape(x), grad=True) if text is None else text
    results = run_formulas(text, env)
    np.testing.assert_allclose(results["∂L/∂x"].numpy(), gt.grad_x, rtol=1e-12, atol=1e-12)
    for name, ours in (("∂L/∂w", gt.grad_weight), ("∂L/∂b", gt.grad_b)):
        assert (name in results) == (ours is not None), text
        if ours is not None:
            np.testing.assert_array_equal(results[name].numpy(), ours)
    return results


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(["convt3d", "pool", "adaptive", "unfold"]), st.data())
def test_info_grad_formulas_run_in_torch_torch_kinds(kind, data):
    if kind == "convt3d":
        layer, shape, seed = data.draw(conv_t_cases(3))
    elif kind == "pool":
        ndim, which = data.draw(st.sampled_from([1, 3])), data.draw(st.sampled_from(["max",
                                                                                    "avg"]))
        args, shape, seed, _ = data.draw(pool_cases(ndim, which))
        layer = (MAX if which == "max" else AVG)[ndim](**args)
    elif kind == "adaptive":
        which, ndim, output_size, shape, seed = data.draw(adaptive_cases())
        layer = ADAPTIVE[(which, ndim)][0](output_size)
    else:
        kwargs, shape, seed = data.draw(unfold_cases())
        layer = convgif.Unfold(**kwargs)
    x = ints(np.random.default_rng(seed), shape, 0, 2)
    grads = layer.backward(x)
    dy = {"dy": t(grads.grad_output)} if kind == "unfold" else {}
    formulas_give(layer, x, grads, **dy)


@settings(max_examples=15, deadline=None)
@given(st.one_of(keras_conv_cases().filter(lambda c: c[0] != "SeparableConv2D"),
                 keras_cases()))
def test_info_grad_formulas_run_in_torch_keras_kinds(case):
    kind, kwargs, shape, seed = case
    layer = getattr(ck, kind)(**kwargs)
    x = ints(np.random.default_rng(seed), shape, 0, 2)
    formulas_give(layer, x, layer.backward(x))


@pytest.mark.parametrize("keepdims", [True, False])
def test_info_grad_formulas_run_in_torch_global_pool(keepdims):
    layer = ck.GlobalAveragePooling2D(keepdims=keepdims)
    x = ints(np.random.default_rng(3), (2, 4, 3, 2))
    text = formulas_give(layer, x, layer.backward(x))
    assert text  # the einsum over the whole input ran


def test_info_grad_of_separable_runs_step_by_step():
    """Each step's formulas, pointwise first: ∂L/∂m from ∂L/∂y, then ∂L/∂x from ∂L/∂m."""
    layer = ck.SeparableConv2D(3, 3, strides=2, padding="same", depth_multiplier=2, seed=1)
    x = ints(np.random.default_rng(2), (1, 6, 5, 2))
    grads = layer.backward(x)
    text = format_grads(describe_grads(layer, x.shape))  # what `convgif info --grad` prints
    body = text.split("as forward operations")[1]
    pointwise, depthwise = body.split("step depthwise (x → m):")
    depthwise_gt, pointwise_gt = (g.trace for g in grads.steps)
    head = "as forward operations\n"
    got = run_formulas(head + pointwise.split("\n", 2)[2].rstrip(), {
        "m": t(pointwise_gt.trace.x), "w_pointwise": t(layer.pointwise.weight),
        "dy": t(pointwise_gt.grad_y)})
    np.testing.assert_array_equal(got["∂L/∂m"].numpy(), pointwise_gt.grad_x)
    np.testing.assert_array_equal(got["∂L/∂w_pointwise"].numpy(), pointwise_gt.grad_weight)
    np.testing.assert_array_equal(got["∂L/∂b"].numpy(), pointwise_gt.grad_b)
    got = run_formulas(head + "\n" + depthwise.replace("∂L/∂m", "∂L/∂y"), {
        "x": t(depthwise_gt.trace.x), "w_depthwise": t(layer.depthwise.weight),
        "dy": got["∂L/∂m"]})
    np.testing.assert_array_equal(got["∂L/∂x"].numpy(), depthwise_gt.grad_x)
    np.testing.assert_array_equal(got["∂L/∂w_depthwise"].numpy(), depthwise_gt.grad_weight)
    assert "shapes: ∂L/∂y (1, 3, 3, 3), ∂L/∂m (1, 3, 3, 4), ∂L/∂x (1, 6, 5, 2)" in text


def test_info_grad_says_what_unfold_and_adaptive_average_print():
    text = convgif.Unfold(2, stride=2).info((1, 4, 4), grad=True)
    assert "∂L/∂x = fold(∂L/∂y, (4, 4), 2, stride=2)" in text and "∂L/∂w =" not in text
    text = convgif.AdaptiveAvgPool1d(2).info((1, 5), grad=True)
    assert "∂L/∂x = torch.einsum('nch,hH->ncH', ∂L/∂y / d, Ah)" in text
    assert "where Ah = torch.tensor([[1, 1, 1, 0, 0], [0, 0, 1, 1, 1]]" in text


# --------------------------------------------------------------------------- convgif trace --grad


@pytest.mark.parametrize("layer, shape, grad", [
    ("AdaptiveAvgPool2d((2, 3))", "2,5,7", "input"),
    ("AdaptiveMaxPool1d(4)", "2,3", "input"),
    ("Unfold(2, padding=1, stride=2)", "2,4,5", "input"),
    ("GlobalAveragePooling2D(keepdims=False)", "4,3,2", "input"),
    ("MaxPooling3D(2, padding='same')", "3,3,3,2", "input"),
    ("AvgPool3d(2, stride=1, padding=1, count_include_pad=False)", "1,3,3,3", "input"),
    ("Conv3DTranspose(2, 2, strides=2)", "2,2,2,1", "weight"),
    ("DepthwiseConv2D(3, depth_multiplier=2)", "5,5,2", "weight"),
    ("Conv1DTranspose(2, 3, strides=2, padding='same')", "4,2", "bias"),
])
def test_cli_trace_grad_for_the_new_kinds(cli, tmp_path, layer, shape, grad):
    """The records written are the gradient's: their products, added per cell, give it."""
    done = cli("trace", "--layer", layer, "--input-shape", shape, "--grad", grad,
               "-o", "g.npz")
    assert done.returncode == 0, done.stderr
    archive = np.load(tmp_path / "g.npz", allow_pickle=False)
    assert len(set(archive.files)) == len(archive.files)  # no array hides another
    assert archive["grad_output"].shape == archive["running_sum"].shape  # the records' column
    ours = parse_layer(layer).backward(input_shape=tuple(map(int, shape.split(","))))
    target = {"input": ours.grad_input, "weight": ours.grad_weight, "bias": ours.grad_bias}[grad]
    np.testing.assert_array_equal(archive[f"grad_{grad}"], target)
    gt = ours.trace
    cols = {"input": ("n", "in_channel", *("sz", "sy", "sx")[3 - gt.trace.ndim:]),
            "weight": ("w0", "w1", *("wkz", "wky", "wkx")[3 - gt.trace.ndim:]),
            "bias": ("out_channel",)}[grad]
    canonical = {"input": gt.grad_x, "weight": gt.grad_weight, "bias": gt.grad_b}[grad]
    lands = archive["inside"] if grad == "input" else np.ones(len(archive["running_sum"]), bool)
    at = tuple(archive[c][lands] for c in cols)
    if grad == "bias":  # one record per ∂L/∂y cell, adding itself to its channel
        sums = np.zeros(canonical.shape)
        np.add.at(sums, at, archive["grad_output"][lands])
    else:
        sums = np.zeros(canonical.shape)
        np.add.at(sums, at, archive["product"][lands])
    np.testing.assert_allclose(sums, canonical, rtol=1e-12, atol=1e-12)
    last = np.full(canonical.shape, np.nan)
    last[at] = archive["running_sum"][lands]  # in order: each cell's last record stays
    np.testing.assert_allclose(last[~np.isnan(last)], canonical[~np.isnan(last)],
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("args, flag", [
    (["--layer", "Unfold(2)", "--input-shape", "1,4,4", "--grad", "weight"], "--grad"),
    (["--layer", "Unfold(2)", "--input-shape", "1,4,4", "--grad", "bias"], "--grad"),
    (["--layer", "AdaptiveMaxPool2d(2)", "--input-shape", "1,4,4", "--grad", "weight"],
     "--grad"),
    (["--layer", "SeparableConv2D(4, 3)", "--input-shape", "5,5,2", "--grad", "input"],
     "--layer"),
])
def test_cli_trace_grad_refuses_what_a_kind_has_not(cli, tmp_path, args, flag):
    done = cli("trace", *args, "-o", "g.csv")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0], done.stderr
    assert list(tmp_path.iterdir()) == []
