"""The backward pass, exact: ∂L/∂x, ∂L/∂w, ∂L/∂b equal torch.autograd's (and Keras' on its
torch backend) for every layer kind, and every recorded gradient MAC adds into the cell it
names; ``info --grad``'s formulas, run in torch, give the same gradients.

Inputs, weights and output gradients are small integers and the oracles run in float64
(Keras: float32, exact for these sizes), so gradients must be *equal*; average pooling
divides, so it is compared to 1e-12.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from test_oracle import (
    F_CONV,
    F_CONV_T,
    F_PAD_MODE,
    conv_cases,
    conv_t_cases,
    ints,
    pool_cases,
    t,
    unbatched_or_not,
)

import convgif
import convgif.keras as keras
from convgif import ConvGifError
from convgif.simulate import grad_records

# --------------------------------------------------------------------------- oracles


def conv_fn(case):
    layer, _, _, fpad, _, _ = case
    s = layer.spec
    return lambda x, w, b: F_CONV[s.ndim](F.pad(x, fpad, mode=F_PAD_MODE[s.padding_mode]), w, b,
                                          stride=s.stride, dilation=s.dilation, groups=s.groups)


def conv_t_fn(layer):
    s = layer.spec
    return lambda x, w, b: F_CONV_T[s.ndim](x, w, b, stride=s.stride,
                                            padding=tuple(p for p, _ in s.padding),
                                            output_padding=s.output_padding, groups=s.groups,
                                            dilation=s.dilation)


def autograd(fn, layer, x, dy):
    """torch.autograd's three gradients of ``fn`` (None where the layer has no such tensor)."""
    xt = t(x).requires_grad_()
    w = None if layer.weight is None else t(layer.weight).requires_grad_()
    b = None if layer.bias is None else t(layer.bias).requires_grad_()
    fn(xt, w, b).backward(t(dy))
    return tuple(None if v is None else v.grad.numpy() for v in (xt, w, b))


def check_records(gt, grad: str, exact: bool = True) -> None:
    """Every record's product is its two factors; per gradient cell, the products sum to the
    cell, and the last record's running sum is the cell (a cell with no record is 0)."""
    target = {"input": gt.grad_x, "weight": gt.grad_weight, "bias": gt.grad_b}[grad]
    nd = gt.trace.ndim
    sums, last, seen = np.zeros(target.size), np.zeros(target.size), 0
    chunk = int(np.random.default_rng(target.size).integers(1, 200))
    for table in grad_records.iter_records(gt, grad, chunk):
        seen += len(table)
        if grad == "input":
            lands = table["inside"]
            cols = ("n", "in_channel", *("sz", "sy", "sx")[3 - nd:])
            np.testing.assert_array_equal(table["product"], table["grad_output"] * table["w"])
        elif grad == "weight":
            lands = np.ones(len(table), bool)
            cols = ("w0", "w1", *("wkz", "wky", "wkx")[3 - nd:])
            np.testing.assert_array_equal(table["product"], table["grad_output"] * table["x"])
        else:
            lands, cols = np.ones(len(table), bool), ("out_channel",)
        assert np.all(np.isnan(table["running_sum"][~lands]))
        idx = np.ravel_multi_index(tuple(table[c][lands] for c in cols), target.shape)
        values = table["grad_output" if grad == "bias" else "product"][lands]
        np.add.at(sums, idx, values)
        running = table["running_sum"][lands]
        for i, r in zip(idx, running):  # in order: the last one stays
            last[i] = r
    assert seen == grad_records.record_count(gt, grad)
    if exact:
        np.testing.assert_array_equal(sums, target.ravel())
        np.testing.assert_array_equal(last, target.ravel())
    else:
        np.testing.assert_allclose(sums, target.ravel(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(last, target.ravel(), rtol=1e-12, atol=1e-12)


def run(layer, x, fn, data, exact=True, records=False):
    dy = ints(np.random.default_rng(x.size), np.shape(layer.trace(x).output), -3, 3)
    grads = layer.backward(x, dy)
    expected = autograd(fn, layer, x, dy)
    compare = np.testing.assert_array_equal if exact else (
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12))
    for ours, theirs in zip((grads.grad_input, grads.grad_weight, grads.grad_bias), expected):
        assert (ours is None) == (theirs is None)
        if theirs is not None:
            assert ours.shape == theirs.shape
            compare(ours, theirs)
    if records:
        for grad in ("input", "weight", "bias"):
            if grads.trace.has(grad):
                check_records(grads.trace, grad, exact=exact or grad != "input")
    return grads


# --------------------------------------------------------------------------- torch kinds


@settings(max_examples=40)
@given(conv_cases(2), st.data())
def test_conv2d_gradients_equal_autograd(case, data):
    x = unbatched_or_not(data.draw, ints(np.random.default_rng(case[5]), case[4]))
    run(case[0], x, conv_fn(case), data, records=data.draw(st.integers(0, 3)) == 0)


@settings(max_examples=20)
@given(st.sampled_from([1, 3]).flatmap(lambda nd: st.tuples(st.just(nd), conv_cases(nd))),
       st.data())
def test_conv1d_and_conv3d_gradients_equal_autograd(nd_case, data):
    _, case = nd_case
    x = unbatched_or_not(data.draw, ints(np.random.default_rng(case[5]), case[4]))
    run(case[0], x, conv_fn(case), data)


@settings(max_examples=30)
@given(st.sampled_from([1, 2]).flatmap(lambda nd: conv_t_cases(nd)), st.data())
def test_conv_transpose_gradients_equal_autograd(case, data):
    layer, shape, seed = case
    x = unbatched_or_not(data.draw, ints(np.random.default_rng(seed), shape))
    run(layer, x, conv_t_fn(layer), data, records=data.draw(st.integers(0, 2)) == 0)


@settings(max_examples=30)
@given(st.sampled_from(["max", "avg"]).flatmap(lambda k: st.tuples(st.just(k), pool_cases(k))),
       st.data())
def test_pool_gradients_equal_autograd(kind_case, data):
    """Values 0..2 make ties common: the first maximum of a window takes its gradient."""
    kind, (layer, args, shape, seed) = kind_case
    x = unbatched_or_not(data.draw, ints(np.random.default_rng(seed), shape, 0, 2))
    fn = F.max_pool2d if kind == "max" else F.avg_pool2d
    grads = run(layer, x, lambda xt, w, b: fn(xt, **args), data, exact=kind == "max",
                records=True)
    assert grads.grad_weight is None and grads.grad_bias is None


def test_max_pool_tie_goes_to_the_first_cell_of_the_window():
    grads = convgif.MaxPool2d(2, stride=1).backward(np.zeros((1, 3, 3)), np.ones((1, 2, 2)))
    np.testing.assert_array_equal(grads.grad_input[0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_reflect_padding_sends_gradient_back_to_the_copied_cell():
    layer = convgif.Conv1d(1, 1, 3, padding=1, padding_mode="reflect", bias=False)
    layer.weight = np.array([[[1.0, 0.0, 0.0]]])  # each output reads its left neighbour
    grads = layer.backward(np.arange(4.0)[None], np.array([[1.0, 0.0, 0.0, 0.0]]))
    # y[0] reads the padding cell left of x[0], a copy of x[1]
    np.testing.assert_array_equal(grads.grad_input, [[0, 1, 0, 0]])
    table = grad_records.records(grads.trace, "input")
    first = table[0]
    assert (first["ix"], first["sx"], first["inside"]) == (0, 1, True)


# --------------------------------------------------------------------------- Keras


@st.composite
def keras_cases(draw):
    kind = draw(st.sampled_from(["Conv1D", "Conv2D", "Conv2DTranspose"]))
    nd = 1 if kind == "Conv1D" else 2
    strides = draw(st.integers(1, 2))
    dilation = 1 if strides > 1 else draw(st.integers(1, 2))
    kwargs = dict(strides=strides, dilation_rate=dilation,
                  padding=draw(st.sampled_from(["valid", "same"])),
                  use_bias=draw(st.booleans()),
                  data_format=draw(st.sampled_from(["channels_last", "channels_first"])))
    cin = 2
    if kind != "Conv2DTranspose" and draw(st.booleans()):
        kwargs["groups"] = 2
    size = [draw(st.integers(2 * dilation + 1, 7)) for _ in range(nd)]
    shape = (1, cin, *size) if kwargs["data_format"] == "channels_first" else (1, *size, cin)
    return kind, (2, 3), kwargs, shape, draw(st.integers(0, 999))


@settings(max_examples=12)
@given(keras_cases())
def test_keras_gradients_equal_keras_on_torch(case):
    import keras as real

    kind, args, kwargs, shape, seed = case
    layer = getattr(keras, kind)(*args, **kwargs, seed=seed)
    x = ints(np.random.default_rng(seed), shape)
    grads = layer.backward(x)
    module = getattr(real.layers, kind)(*args, **kwargs)
    module.build(shape)
    w = layer.weight
    module.kernel.assign(np.transpose(w, (*range(2, w.ndim), 1, 0)))
    if layer.bias is not None:
        module.bias.assign(layer.bias)
    xt = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    module(xt).backward(torch.tensor(grads.grad_output, dtype=torch.float32))
    np.testing.assert_array_equal(grads.grad_input, xt.grad.numpy())
    kernel_grad = module.kernel.value.grad.numpy()  # Keras' (*K, in, out): back to ours
    np.testing.assert_array_equal(np.transpose(grads.grad_weight, (*range(2, w.ndim), 1, 0)),
                                  kernel_grad)
    if layer.bias is not None:
        np.testing.assert_array_equal(grads.grad_bias, module.bias.value.grad.numpy())


# --------------------------------------------------------------------------- info --grad


def run_formulas(text: str, names: dict) -> dict:
    """Evaluate the printed formulas (after "as forward operations") in torch; the results
    by the name they give (``∂L/∂x``, ``∂L/∂x_padded``, ``∂L/∂w``, ``∂L/∂b``)."""
    env = {**vars(F), "torch": torch, **names}
    results, groups = {}, None
    body = [line.strip().replace("∂L/∂y", "dy")
            for line in text.split("as forward operations")[1].splitlines()[1:]
            if line.startswith("    ") and not line.startswith("      ")]  # not the notes
    for line in body:  # "where" lines name what the formula above them uses
        if line.startswith("where "):
            name, expr = line[6:].split(" = ", 1)
            env[name] = eval(expr, env)
    for line in body:
        if m := re.match(r"for each group g = 0\.\.(\d+), with ci = (\d+), co = (\d+):", line):
            groups = int(m[1]) + 1
            env.update(ci=int(m[2]), co=int(m[3]))
            continue
        lhs, expr = line.split(" = ", 1)
        if lhs.startswith("where "):
            continue
        if "[" in lhs:  # one group's slice of the weight gradient
            name, part = lhs.split("[", 1)
            parts = []
            for g in range(groups):
                parts.append(eval(expr, {**env, "g": g}))
            results[name] = torch.cat(parts)
        else:
            results[lhs] = eval(expr, env)
    return results


def info_case(layer, x, fn, padded_fn=None):
    """The formulas of ``layer.info(grad=True)`` against autograd on the same tensors."""
    grads = layer.backward(x)
    gt = grads.trace
    xc, dy = t(gt.trace.x), t(gt.grad_y)
    w = None if layer.weight is None else t(layer.weight)
    results = run_formulas(layer.info(np.shape(x), grad=True), {"x": xc, "w": w, "dy": dy})
    xg = xc.clone().requires_grad_()
    wg = None if w is None else w.clone().requires_grad_()
    bg = None if layer.bias is None else t(layer.bias).requires_grad_()
    fn(xg, wg, bg).backward(dy)
    if "∂L/∂x_padded" in results:
        xp = padded_fn(xc).detach().requires_grad_()
        fn_padded = layer_padded_output(layer)
        fn_padded(xp, w, None).backward(dy)
        np.testing.assert_array_equal(results["∂L/∂x_padded"].numpy(), xp.grad.numpy())
    else:
        np.testing.assert_allclose(results["∂L/∂x"].numpy(), xg.grad.numpy(), rtol=1e-12,
                                   atol=1e-12)
    if wg is not None:
        np.testing.assert_array_equal(results["∂L/∂w"].numpy(), wg.grad.numpy())
    if bg is not None:
        np.testing.assert_array_equal(results["∂L/∂b"].numpy(), bg.grad.numpy())
    else:
        assert "∂L/∂b" not in results


def layer_padded_output(layer):
    s = layer.spec
    return lambda xp, w, b: F_CONV[s.ndim](xp, w, b, stride=s.stride, dilation=s.dilation,
                                           groups=s.groups)


@settings(max_examples=25)
@given(st.sampled_from([1, 2]).flatmap(lambda nd: conv_cases(nd)), st.data())
def test_info_grad_formulas_give_autograd_conv(case, data):
    layer, _, _, fpad, shape, seed = case
    x = ints(np.random.default_rng(seed), shape)
    mode = F_PAD_MODE[layer.spec.padding_mode]
    info_case(layer, x, conv_fn(case), lambda xc: F.pad(xc, fpad, mode=mode))


@settings(max_examples=20)
@given(st.sampled_from([1, 2]).flatmap(lambda nd: conv_t_cases(nd)))
def test_info_grad_formulas_give_autograd_transposed(case):
    layer, shape, seed = case
    info_case(layer, ints(np.random.default_rng(seed), shape), conv_t_fn(layer))


@settings(max_examples=15)
@given(st.sampled_from(["max", "avg"]).flatmap(lambda k: st.tuples(st.just(k), pool_cases(k))))
def test_info_grad_formulas_give_autograd_pools(kind_case):
    kind, (layer, args, shape, seed) = kind_case
    fn = F.max_pool2d if kind == "max" else F.avg_pool2d
    x = ints(np.random.default_rng(seed), shape, 0, 2)
    info_case(layer, x, lambda xt, w, b: fn(xt, **args))


@settings(max_examples=10)
@given(keras_cases())
def test_info_grad_formulas_give_autograd_keras(case):
    kind, args, kwargs, shape, seed = case
    layer = getattr(keras, kind)(*args, **kwargs, seed=seed)
    x = ints(np.random.default_rng(seed), shape)
    layer.built_for(shape)
    s = layer.spec
    pads = s.pads(layer.split_shape(shape).spatial)
    if s.transposed:
        def fn(xt, w, b):  # the full scatter, cropped (before, after) as the spec says
            y = F_CONV_T[s.ndim](xt, w, b, stride=s.stride, dilation=s.dilation, groups=s.groups)
            return y[(slice(None), slice(None),
                      *(slice(pb, y.shape[2 + i] - pa) for i, (pb, pa) in enumerate(pads)))]
        if any(pa < 0 for _, pa in pads):
            return  # an output longer than the scatter: the slice above cannot say it
    else:
        fpad = tuple(v for pair in reversed(pads) for v in pair)

        def fn(xt, w, b):
            return F_CONV[s.ndim](F.pad(xt, fpad), w, b, stride=s.stride, dilation=s.dilation,
                                  groups=s.groups)
    info_case(layer, x, fn)


def test_info_grad_prints_the_issue_example():
    text = convgif.Conv2d(3, 2, 3, stride=2, padding=1).info((3, 8, 8), grad=True)
    assert "∂L/∂x = conv_transpose2d(∂L/∂y, w, stride=2, padding=1, output_padding=1)" in text
    assert "∂L/∂b = ∂L/∂y.sum((0, 2, 3))" in text
    assert "shapes: ∂L/∂y (2, 4, 4), ∂L/∂x (3, 8, 8), ∂L/∂w (2, 3, 3, 3), ∂L/∂b (2,)" in text


# --------------------------------------------------------------------------- refusals, CLI


def test_bad_grad_output_is_refused_naming_it():
    layer = convgif.Conv2d(1, 1, 3)
    with pytest.raises(ConvGifError) as e:
        layer.backward(np.zeros((1, 5, 5)), np.zeros((1, 2, 2)))
    assert e.value.param == "grad_output" and "must be the output's shape (1, 3, 3)" in str(e.value)
    with pytest.raises(ConvGifError) as e:
        layer.backward(np.zeros((1, 5, 5)), np.full((1, 3, 3), np.nan))
    assert e.value.param == "grad_output"
    with pytest.raises(ConvGifError) as e:
        layer.backward(np.zeros((1, 5, 5)), input_shape=(1, 5, 5))
    assert e.value.param == "x"


def test_default_output_gradient_is_small_seeded_integers():
    a = convgif.Conv2d(1, 2, 3).backward(input_shape=(1, 6, 6))
    b = convgif.Conv2d(1, 2, 3).backward(input_shape=(1, 6, 6))
    np.testing.assert_array_equal(a.grad_output, b.grad_output)
    assert set(np.unique(a.grad_output)) <= {-2, -1, 0, 1, 2}
    assert a.grad_output.shape == (2, 4, 4)


def test_cli_trace_grad_writes_the_records(cli, tmp_path):
    layer = "ConvTranspose2d(1, 2, 3, stride=2, padding=1, output_padding=1)"
    done = cli("trace", "--layer", layer, "--input-shape", "1,3,3", "--grad", "weight",
               "-o", "g.npz")
    assert done.returncode == 0, done.stderr
    archive = np.load(tmp_path / "g.npz")
    ours = convgif.ConvTranspose2d(1, 2, 3, stride=2, padding=1, output_padding=1)
    grads = ours.backward(input_shape=(1, 3, 3))
    np.testing.assert_array_equal(archive["grad_weight"], grads.grad_weight)
    assert len(archive["product"]) == grad_records.record_count(grads.trace, "weight")
    # the last running sum of each weight cell is that cell
    for w0, w1, ky, kx, value in zip(archive["w0"][::-1], archive["w1"][::-1],
                                     archive["wky"][::-1], archive["wkx"][::-1],
                                     archive["running_sum"][::-1]):
        assert grads.grad_weight[w0, w1, ky, kx] == value
        break


@pytest.mark.parametrize("args, flag", [
    (["--layer", "MaxPool2d(2)", "--input-shape", "1,4,4", "--grad", "weight"], "--grad"),
    (["--layer", "Conv2d(1, 1, 3, bias=False)", "--input-shape", "1,4,4", "--grad", "bias"],
     "--grad"),
    (["--layer", "Conv2d(64, 64, 3)", "--input-shape", "64,40,40", "--grad", "input"],
     "--input-shape"),
])
def test_cli_trace_grad_refusals(cli, tmp_path, args, flag):
    done = cli("trace", *args, "-o", "g.csv")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0], done.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_info_grad(cli):
    done = cli("info", "--layer", "Conv2d(3, 2, 3, stride=2, padding=1)", "--input-shape",
               "3,8,8", "--grad")
    assert done.returncode == 0
    assert "∂L/∂x = conv_transpose2d(∂L/∂y, w, stride=2, padding=1, output_padding=1)" in (
        done.stdout)
