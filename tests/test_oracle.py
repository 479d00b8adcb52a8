"""Oracle parity: every simulated output equals torch.nn.functional's, exactly.

Layers are drawn at random (hypothesis) over every constructor argument, built
valid by construction (the input size is drawn after the layer, so the output
has at least one cell and the padding mode accepts it). Inputs and weights are
small integers and the oracle runs in float64, so sums are exact whatever the
summation order and outputs must be *equal*, not close. Every example also
checks the trace invariants: the last running sum of each output cell's MACs
(plus the bias, or over the divisor) is the output, the MAC count matches the
records, and a transposed layer's scatter view builds the same output.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import convgif

CONV = {1: convgif.Conv1d, 2: convgif.Conv2d, 3: convgif.Conv3d}
CONV_T = {1: convgif.ConvTranspose1d, 2: convgif.ConvTranspose2d, 3: convgif.ConvTranspose3d}
F_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
F_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
NN_CONV = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}
F_PAD_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
              "circular": "circular"}


def t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64))


def ints(rng: np.random.Generator, shape, lo=-3, hi=4) -> np.ndarray:
    return rng.integers(lo, hi + 1, shape).astype(np.float64)


def axis_tuple(draw, ndim: int, lo: int, hi: int):
    """An int or an ndim-tuple (asymmetric per axis), as a user would write it."""
    if ndim > 1 and draw(st.booleans()):
        return tuple(draw(st.integers(lo, hi)) for _ in range(ndim))
    return draw(st.integers(lo, hi))


def per_axis(value, ndim: int) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, tuple) else (value,) * ndim


# --------------------------------------------------------------------------- trace invariants


def check_trace_invariants(trace, *, exact: bool = True) -> None:
    """Last running sum per cell (+bias / ÷divisor / running max) is y; counts agree."""
    m = trace.macs_per_cell
    chunk = int(np.random.default_rng(trace.num_macs).integers(1, 3 * m + 2))
    tables = list(trace.iter_macs(chunk))
    assert sum(len(tb) for tb in tables) == trace.num_macs
    table = np.concatenate(tables)
    assert len(table) == trace.num_macs == trace.y.size * m
    running = table["running_sum"].reshape(trace.y.size, m)
    last = running[:, -1].reshape(trace.y.shape)
    op = trace.spec.op
    if op == "avg_pool":
        rebuilt = last / trace.divisor
    elif op == "max_pool":
        rebuilt = last
    else:
        rebuilt = last + trace.bias.reshape((1, -1) + (1,) * trace.ndim)
    if exact:
        np.testing.assert_array_equal(rebuilt, trace.y)
    else:
        np.testing.assert_allclose(rebuilt, trace.y, rtol=1e-12, atol=1e-12)
    # The products of each cell are x·w, and the running sums are their prefix sums.
    np.testing.assert_array_equal(table["product"], table["x"] * table["w"])
    if trace.spec.transposed and exact:
        np.testing.assert_array_equal(trace.scatter_output(), trace.y)


def unbatched_or_not(draw, x: np.ndarray) -> np.ndarray:
    """Sometimes drop a batch of one: torch and convgif both take unbatched input."""
    if x.shape[0] == 1 and draw(st.booleans()):
        return x[0]
    return x


# --------------------------------------------------------------------------- convolutions


@st.composite
def conv_cases(draw, ndim: int):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    depthwise = draw(st.booleans()) and groups > 1
    cin = groups * (1 if depthwise else draw(st.integers(1, 2)))
    cout = groups * draw(st.integers(1, 2))
    kmax = {1: 5, 2: 4, 3: 3}[ndim]
    kernel = axis_tuple(draw, ndim, 1, kmax)
    dilation = axis_tuple(draw, ndim, 1, 3)
    mode = draw(st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"]))
    form = draw(st.sampled_from(["int", "tuple", "pairs", "same", "valid"]))
    stride = 1 if form == "same" else axis_tuple(draw, ndim, 1, 3)
    if form == "int":
        padding = draw(st.integers(0, 3))
    elif form == "tuple":
        padding = tuple(draw(st.integers(0, 3)) for _ in range(ndim))
    elif form == "pairs":  # convgif's (before, after) per axis: torch spells it as F.pad
        padding = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(ndim))
    else:
        padding = form
    bias = draw(st.booleans())
    seed = draw(st.integers(0, 2**16))
    layer = CONV[ndim](cin, cout, kernel, stride=stride, padding=padding, dilation=dilation,
                       groups=groups, bias=bias, padding_mode=mode, seed=seed)

    # The oracle's padding, derived here independently, in F.pad order (last axis first).
    k, d = per_axis(kernel, ndim), per_axis(dilation, ndim)
    if form == "pairs":
        fpad = tuple(v for pair in reversed(padding) for v in pair)
    else:
        pairs = []
        for i in range(ndim):
            if form == "same":
                total = d[i] * (k[i] - 1)
                pairs.append((total // 2, total - total // 2))
            elif form == "valid":
                pairs.append((0, 0))
            else:
                p = per_axis(padding, ndim)[i]
                pairs.append((p, p))
        fpad = tuple(v for pair in reversed(pairs) for v in pair)
    befores = fpad[0::2][::-1]
    afters = fpad[1::2][::-1]

    # Input size drawn after the layer: at least one output cell, and what the mode needs.
    spatial = []
    smax = {1: 9, 2: 6, 3: 4}[ndim]
    for i in range(ndim):
        keff = d[i] * (k[i] - 1) + 1
        low = max(1, keff - befores[i] - afters[i])
        big = max(befores[i], afters[i])
        if mode == "reflect":
            low = max(low, big + 1)
        elif mode == "circular":
            low = max(low, big)
        spatial.append(draw(st.integers(low, low + smax - 1)))
    batch = draw(st.integers(1, 2))
    return layer, form, padding, fpad, (batch, cin, *spatial), seed


def run_conv_case(case, ndim, data, exact=True, floats=False):
    layer, form, padding, fpad, shape, seed = case
    rng = np.random.default_rng(seed)
    if floats:
        x = rng.standard_normal(shape)
        layer.weight = rng.standard_normal(layer.weight.shape)
        if layer.bias is not None:
            layer.bias = rng.standard_normal(layer.bias.shape)
    else:
        x = ints(rng, shape)
    x = unbatched_or_not(data.draw, x)
    s = layer.spec
    weight, bias = t(layer.weight), None if layer.bias is None else t(layer.bias)

    expected = F_CONV[ndim](F.pad(t(x), fpad, mode=F_PAD_MODE[s.padding_mode]), weight, bias,
                            stride=s.stride, dilation=s.dilation, groups=s.groups).numpy()
    trace = layer.trace(x)
    assert trace.output.shape == expected.shape
    assert layer.output_shape(x.shape) == expected.shape
    if exact:
        np.testing.assert_array_equal(trace.output, expected)
    else:
        np.testing.assert_allclose(trace.output, expected, rtol=1e-10, atol=1e-10)

    if form != "pairs":
        # torch's own module with its own padding argument and padding_mode.
        module = NN_CONV[ndim](s.in_channels, s.out_channels, s.kernel_size, stride=s.stride,
                               padding=padding, dilation=s.dilation, groups=s.groups,
                               bias=s.bias, padding_mode=s.padding_mode, dtype=torch.float64)
        with torch.no_grad():
            module.weight.copy_(weight)
            if bias is not None:
                module.bias.copy_(bias)
            direct = module(t(x)).numpy()
        if exact:
            np.testing.assert_array_equal(trace.output, direct)
    check_trace_invariants(trace, exact=exact)
    # The flattened padding_for is (before, after) per axis in torch's axis order.
    assert layer.padding_for(x.shape) == tuple(
        v for pair in zip(fpad[0::2][::-1], fpad[1::2][::-1], strict=True) for v in pair
    )


@settings(max_examples=160)
@given(conv_cases(2), st.data())
def test_conv2d_matches_torch(case, data):
    run_conv_case(case, 2, data)


@settings(max_examples=90)
@given(conv_cases(1), st.data())
def test_conv1d_matches_torch(case, data):
    run_conv_case(case, 1, data)


@settings(max_examples=50)
@given(conv_cases(3), st.data())
def test_conv3d_matches_torch(case, data):
    run_conv_case(case, 3, data)


@settings(max_examples=30)
@given(conv_cases(2), st.data())
def test_conv2d_float_inputs_close_to_torch(case, data):
    run_conv_case(case, 2, data, exact=False, floats=True)


# --------------------------------------------------------------------------- transposed


@st.composite
def conv_t_cases(draw, ndim: int):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cin = groups * draw(st.integers(1, 2))
    cout = groups * draw(st.integers(1, 2))
    kernel = axis_tuple(draw, ndim, 1, 4)
    stride = axis_tuple(draw, ndim, 1, 3)
    dilation = axis_tuple(draw, ndim, 1, 3)
    s, d = per_axis(stride, ndim), per_axis(dilation, ndim)
    k = per_axis(kernel, ndim)
    padding = axis_tuple(draw, ndim, 0, 3)
    p = per_axis(padding, ndim)
    # output_padding must stay below max(stride, dilation) on each axis.
    if ndim > 1 and draw(st.booleans()):
        output_padding = tuple(
            draw(st.integers(0, max(si, di) - 1)) for si, di in zip(s, d, strict=True)
        )
    else:
        top = min(max(si, di) for si, di in zip(s, d, strict=True)) - 1
        output_padding = draw(st.integers(0, top))
    op = per_axis(output_padding, ndim)
    spatial = []
    for i in range(ndim):
        # (n−1)·S − 2P + D(K−1) + OP + 1 ≥ 1
        need = 2 * p[i] - d[i] * (k[i] - 1) - op[i]
        low = max(1, -(-need // s[i]) + 1)
        spatial.append(draw(st.integers(low, low + 4)))
    bias = draw(st.booleans())
    seed = draw(st.integers(0, 2**16))
    layer = CONV_T[ndim](cin, cout, kernel, stride=stride, padding=padding,
                         output_padding=output_padding, groups=groups, bias=bias,
                         dilation=dilation, seed=seed)
    return layer, (draw(st.integers(1, 2)), cin, *spatial), seed


def run_conv_t_case(case, ndim, data):
    layer, shape, seed = case
    x = unbatched_or_not(data.draw, ints(np.random.default_rng(seed), shape))
    s = layer.spec
    expected = F_CONV_T[ndim](
        t(x), t(layer.weight), None if layer.bias is None else t(layer.bias), stride=s.stride,
        padding=tuple(b for b, _ in s.padding), output_padding=s.output_padding,
        groups=s.groups, dilation=s.dilation,
    ).numpy()
    trace = layer.trace(x)
    assert trace.output.shape == expected.shape == layer.output_shape(x.shape)
    np.testing.assert_array_equal(trace.output, expected)
    check_trace_invariants(trace)


@settings(max_examples=100)
@given(conv_t_cases(2), st.data())
def test_conv_transpose2d_matches_torch(case, data):
    run_conv_t_case(case, 2, data)


@settings(max_examples=60)
@given(conv_t_cases(1), st.data())
def test_conv_transpose1d_matches_torch(case, data):
    run_conv_t_case(case, 1, data)


# --------------------------------------------------------------------------- pooling


@st.composite
def pool_cases(draw, kind: str):
    kernel = axis_tuple(draw, 2, 1, 4)
    k = per_axis(kernel, 2)
    stride = draw(st.one_of(st.none(), st.integers(1, 3), st.tuples(st.integers(1, 3),
                                                                     st.integers(1, 3))))
    if kind == "max":
        dilation = axis_tuple(draw, 2, 1, 3)
        d = per_axis(dilation, 2)
        limits = [ki // 2 for ki in k]
    else:
        dilation, d = 1, (1, 1)
        limits = [ki // 2 for ki in k]
    padding = tuple(draw(st.integers(0, lim)) for lim in limits)
    if draw(st.booleans()) and padding[0] == padding[1]:
        padding = padding[0]
    p = per_axis(padding, 2)
    ceil_mode = draw(st.booleans())
    spatial = []
    for i in range(2):
        keff = d[i] * (k[i] - 1) + 1
        low = max(1, keff - 2 * p[i])
        spatial.append(draw(st.integers(low, low + 5)))
    seed = draw(st.integers(0, 2**16))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), *spatial)
    if kind == "max":
        layer = convgif.MaxPool2d(kernel, stride, padding, dilation, ceil_mode=ceil_mode)
        extra = {}
    else:
        count_include_pad = draw(st.booleans())
        divisor_override = draw(st.one_of(st.none(), st.integers(1, 5)))
        layer = convgif.AvgPool2d(kernel, stride, padding, ceil_mode=ceil_mode,
                                  count_include_pad=count_include_pad,
                                  divisor_override=divisor_override)
        extra = dict(count_include_pad=count_include_pad, divisor_override=divisor_override)
    args = dict(kernel_size=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode, **extra)
    if kind == "max":
        args["dilation"] = dilation
    return layer, args, shape, seed


def run_pool_case(case, kind, data):
    layer, args, shape, seed = case
    x = unbatched_or_not(data.draw, ints(np.random.default_rng(seed), shape, -9, 9))
    fn = F.max_pool2d if kind == "max" else F.avg_pool2d
    expected = fn(t(x), **args).numpy()
    trace = layer.trace(x)
    assert trace.output.shape == expected.shape == layer.output_shape(x.shape)
    np.testing.assert_array_equal(trace.output, expected)
    check_trace_invariants(trace)


@settings(max_examples=70)
@given(pool_cases("max"), st.data())
def test_max_pool2d_matches_torch(case, data):
    run_pool_case(case, "max", data)


@settings(max_examples=70)
@given(pool_cases("avg"), st.data())
def test_avg_pool2d_matches_torch(case, data):
    run_pool_case(case, "avg", data)


# --------------------------------------------------------------------------- fixed cases


def test_reference_article_layer():
    """The DESIGN anchor: Conv2d(3, 2, 3, stride=2, padding=1, dilation=2) on (3, 7, 7)."""
    layer = convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)
    x = layer.example_input((3, 7, 7))
    trace = layer.trace(x)
    expected = F.conv2d(t(x), t(layer.weight), t(layer.bias), stride=2, padding=1, dilation=2)
    assert trace.output.shape == (2, 3, 3)
    np.testing.assert_array_equal(trace.output, expected.numpy())
    assert trace.num_macs == layer.mac_count((3, 7, 7)) == 486
    check_trace_invariants(trace)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_modes_match_f_pad_grid(mode):
    """The padded grid of a non-zeros mode is exactly F.pad's."""
    layer = convgif.Conv2d(2, 1, 3, padding=(1, 2), padding_mode=mode)
    x = ints(np.random.default_rng(1), (1, 2, 4, 5))
    trace = layer.trace(x)
    grid = F.pad(t(x), (2, 2, 1, 1), mode=mode).numpy()
    np.testing.assert_array_equal(trace.grid, grid)
