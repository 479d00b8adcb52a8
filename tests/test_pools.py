"""The pooling family: 1-d and 3-d pools, adaptive pools, Keras' pools, exact against torch
and real Keras 3 (KERAS_BACKEND=torch), with the trace's invariants checked per cell.

Adaptive windows vary in size: every cell's records must be exactly its window
(``floor(i·n/o)`` to ``ceil((i+1)·n/o)`` per axis), and their last running value
(over the window's size, for an average) the output.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import convgif
import convgif.keras as ck

MAX = {1: convgif.MaxPool1d, 2: convgif.MaxPool2d, 3: convgif.MaxPool3d}
AVG = {1: convgif.AvgPool1d, 2: convgif.AvgPool2d, 3: convgif.AvgPool3d}
NN_MAX = {1: torch.nn.MaxPool1d, 2: torch.nn.MaxPool2d, 3: torch.nn.MaxPool3d}
NN_AVG = {1: torch.nn.AvgPool1d, 2: torch.nn.AvgPool2d, 3: torch.nn.AvgPool3d}
ADAPTIVE = {
    ("max", 1): (convgif.AdaptiveMaxPool1d, torch.nn.AdaptiveMaxPool1d),
    ("max", 2): (convgif.AdaptiveMaxPool2d, torch.nn.AdaptiveMaxPool2d),
    ("avg", 1): (convgif.AdaptiveAvgPool1d, torch.nn.AdaptiveAvgPool1d),
    ("avg", 2): (convgif.AdaptiveAvgPool2d, torch.nn.AdaptiveAvgPool2d),
}


def ints(seed: int, shape) -> np.ndarray:
    return np.random.default_rng(seed).integers(-9, 10, shape).astype(np.float64)


def torch_out(module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        out = module(torch.from_numpy(x))
    return (out[0] if isinstance(out, tuple) else out).numpy()


def check_cells(trace) -> None:
    """Per output cell: its records, their count, and the last running value are the output."""
    table = np.concatenate(list(trace.iter_macs(97)))
    assert len(table) == trace.num_macs
    np.testing.assert_array_equal(table["product"], table["x"] * table["w"])
    for cell in np.ndindex(*trace.y.shape):
        start, stop = trace.cell_start(*cell), trace.cell_stop(*cell)
        macs = table[start:stop]
        np.testing.assert_array_equal(macs, trace.cell_macs(*cell))
        first, last = trace.window_bounds(*cell[2:])
        for f, lo, hi in zip(trace.input_fields, first, last):
            assert lo <= macs[f].min() and macs[f].max() <= hi
        value = macs["running_sum"][-1]
        if trace.spec.op == "avg_pool":
            value = value / trace.divisor[cell[2:]]
        assert value == trace.y[cell]


# --------------------------------------------------------------------------- torch's pools


@st.composite
def pool_cases(draw, ndim: int, kind: str):
    k = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    kernel = k if draw(st.booleans()) else k[0]
    k = k if isinstance(kernel, tuple) else (kernel,) * ndim
    stride = draw(st.one_of(st.none(), st.integers(1, 3)))
    d = tuple(draw(st.integers(1, 2)) for _ in range(ndim)) if kind == "max" else (1,) * ndim
    padding = tuple(draw(st.integers(0, ki // 2)) for ki in k)
    ceil_mode = draw(st.booleans())
    # torch's avg_pool3d refuses an input smaller than the kernel, padding or not
    floor = [ki if (kind, ndim) == ("avg", 3) else 1 for ki in k]
    spatial = [draw(st.integers(max(lo, di * (ki - 1) + 1 - 2 * p), 6))
               for ki, di, p, lo in zip(k, d, padding, floor)]
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), *spatial)
    args = dict(kernel_size=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode)
    if kind == "max":
        args.update(dilation=d, return_indices=draw(st.booleans()))
    else:
        args["count_include_pad"] = draw(st.booleans())
        if ndim > 1:
            args["divisor_override"] = draw(st.one_of(st.none(), st.integers(-3, 5).filter(bool)))
    return args, shape, draw(st.integers(0, 2**16)), draw(st.booleans())


def run_pool(ndim: int, kind: str, case) -> None:
    args, shape, seed, unbatched = case
    x = ints(seed, shape)
    if unbatched:
        x = x[0]
    ours = (MAX if kind == "max" else AVG)[ndim](**args)
    theirs = (NN_MAX if kind == "max" else NN_AVG)[ndim](**args)
    expected = torch_out(theirs, x)
    trace = ours.trace(x)
    assert trace.output.shape == expected.shape == ours.output_shape(x.shape)
    np.testing.assert_array_equal(trace.output, expected)
    assert trace.num_macs == ours.mac_count(x.shape)
    check_cells(trace)
    layer = convgif.from_torch(theirs)
    assert type(layer) is type(ours) and layer.spec == ours.spec


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([1, 3]), st.sampled_from(["max", "avg"]), st.data())
def test_pools_1d_3d_match_torch(ndim, kind, data):
    run_pool(ndim, kind, data.draw(pool_cases(ndim, kind)))


# --------------------------------------------------------------------------- adaptive pools


@st.composite
def adaptive_cases(draw):
    kind, ndim = draw(st.sampled_from(sorted(ADAPTIVE)))
    spatial = tuple(draw(st.integers(1, 9)) for _ in range(ndim))
    sizes = tuple(draw(st.one_of(st.none(), st.integers(1, 10))) for _ in range(ndim))
    if ndim == 1 or draw(st.booleans()) and None not in sizes[:1]:
        output_size = sizes[0] if sizes[0] is not None else 3
    else:
        output_size = sizes
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), *spatial)
    return kind, ndim, output_size, shape, draw(st.integers(0, 2**16))


@settings(max_examples=40, deadline=None)
@given(adaptive_cases())
def test_adaptive_pools_match_torch(case):
    kind, ndim, output_size, shape, seed = case
    ours_cls, theirs_cls = ADAPTIVE[(kind, ndim)]
    x = ints(seed, shape)
    ours, theirs = ours_cls(output_size), theirs_cls(output_size)
    expected = torch_out(theirs, x)
    trace = ours.trace(x)
    assert trace.output.shape == expected.shape == ours.output_shape(shape)
    np.testing.assert_array_equal(trace.output, expected)
    assert trace.num_macs == ours.mac_count(shape)
    check_cells(trace)
    # each cell's window is its own: floor(i·n/o) to ceil((i+1)·n/o), nothing else
    for n, o, axis in zip(shape[2:], trace.out_spatial, trace.windows):
        i = np.arange(o)
        np.testing.assert_array_equal(axis.start, (i * n) // o)
        np.testing.assert_array_equal(axis.start + axis.size, -(-(i + 1) * n // o))
    assert convgif.from_torch(theirs).spec == ours.spec


def test_adaptive_window_sizes_vary_in_the_records():
    trace = convgif.AdaptiveAvgPool1d(3).trace(np.arange(7.0)[None])
    counts = [trace.cell_stop(0, 0, i) - trace.cell_start(0, 0, i) for i in range(3)]
    assert counts == [3, 3, 3]  # 0-3, 2-5, 4-7
    trace = convgif.AdaptiveAvgPool1d(3).trace(np.arange(5.0)[None])
    counts = [trace.cell_stop(0, 0, i) - trace.cell_start(0, 0, i) for i in range(3)]
    assert counts == [2, 3, 2]  # 0-2, 1-4, 3-5
    assert trace.cell_macs(0, 0, 1)["ix"].tolist() == [1, 2, 3]
    np.testing.assert_array_equal(trace.output, [[0.5, 2.0, 3.5]])


def test_avg_pool3d_refuses_an_input_smaller_than_its_kernel_as_torch_does():
    import pytest

    x = np.zeros((1, 2, 1, 2))
    with pytest.raises(RuntimeError):
        torch.nn.AvgPool3d(2, padding=(0, 1, 0))(torch.from_numpy(x))
    with pytest.raises(convgif.ConvGifError, match="input size H=1 is smaller than kernel_size=2"):
        convgif.AvgPool3d(2, padding=(0, 1, 0)).trace(x)


def test_adaptive_output_size_refused_by_name():
    import pytest

    with pytest.raises(convgif.ConvGifError, match=r"output_size=\(2, 2, 2\)") as error:
        convgif.AdaptiveAvgPool2d((2, 2, 2))
    assert error.value.param == "output_size"
    with pytest.raises(convgif.ConvGifError, match="output_size=0 must be positive"):
        convgif.AdaptiveMaxPool1d(0)


# --------------------------------------------------------------------------- Keras' pools


@st.composite
def keras_cases(draw):
    ndim = draw(st.sampled_from([1, 2, 3]))
    kind = draw(st.sampled_from(["MaxPooling", "AveragePooling"]))
    pool = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    pool_size = pool if ndim > 1 and draw(st.booleans()) else pool[0]
    pool = pool if isinstance(pool_size, tuple) else (pool_size,) * ndim
    strides = draw(st.one_of(st.none(), st.integers(1, 3)))
    padding = draw(st.sampled_from(["valid", "same"]))
    data_format = draw(st.sampled_from([None, "channels_first", "channels_last"]))
    low = [1 if padding == "same" else k for k in pool]
    spatial = [draw(st.integers(lo, 6)) for lo in low]
    channels = draw(st.integers(1, 2))
    first = data_format == "channels_first"
    body = (channels, *spatial) if first else (*spatial, channels)
    shape = (draw(st.integers(1, 2)), *body)
    kwargs = dict(pool_size=pool_size, strides=strides, padding=padding, data_format=data_format)
    return f"{kind}{ndim}D", kwargs, shape, draw(st.integers(0, 2**16))


def tensorflow_average(x: np.ndarray, pads, pool, strides, channels_last: bool) -> np.ndarray:
    """TensorFlow's 'same' average: zeros padded, the sum over the real cells only."""
    F = torch.nn.functional
    xt = torch.from_numpy(np.moveaxis(x, -1, 1) if channels_last else x)
    nd = xt.ndim - 2
    flat = tuple(p for pair in reversed(pads) for p in pair)
    if nd == 1:  # avg_pool1d has no divisor_override: the same pool on a 1-row image
        xt, pool, strides, flat = xt[:, :, None], (1, *pool), (1, *strides), (*flat, 0, 0)
    pool_fn = F.avg_pool2d if xt.ndim == 4 else F.avg_pool3d
    sums = pool_fn(F.pad(xt, flat), pool, strides, divisor_override=1)
    counts = pool_fn(F.pad(torch.ones_like(xt), flat), pool, strides, divisor_override=1)
    out = (sums / counts).numpy().reshape(sums.shape[:2] + sums.shape[2 + (nd == 1):])
    return np.moveaxis(out, 1, -1) if channels_last else out


@settings(max_examples=30, deadline=None)
@given(keras_cases())
def test_keras_pools_match_keras(case):
    """Equal to Keras 3 on the torch backend, except where that backend departs from
    TensorFlow: an average with asymmetric 'same' padding, which it pads by replicating edge
    cells (and averages them in); convgif follows TensorFlow's rule there (the padding is
    left out of the average), checked against torch's own pools."""
    import keras

    name, kwargs, shape, seed = case
    x = ints(seed, shape)
    expected = np.asarray(getattr(keras.layers, name)(**kwargs, dtype="float64")(x))
    ours = getattr(ck, name)(**kwargs)
    spatial = ours.split_shape(shape).spatial
    pads = ours.spec.pads(spatial)
    if name.startswith("Average") and any(b != a for b, a in pads):
        expected = tensorflow_average(x, pads, ours.spec.kernel_size, ours.spec.stride,
                                      ours.spec.channels_last)
    trace = ours.trace(x)
    assert trace.output.shape == expected.shape == ours.output_shape(shape)
    np.testing.assert_array_equal(trace.output, expected)
    assert trace.num_macs == ours.mac_count(shape)
    check_cells(trace)
    assert convgif.keras.__dict__[name] is type(ours)


@settings(max_examples=15, deadline=None)
@given(st.booleans(), st.sampled_from([None, "channels_first"]), st.integers(1, 6),
       st.integers(1, 6), st.integers(0, 2**16))
def test_global_average_pooling_matches_keras(keepdims, data_format, h, w, seed):
    import keras

    shape = (2, 3, h, w) if data_format else (2, h, w, 3)
    x = ints(seed, shape)
    theirs = keras.layers.GlobalAveragePooling2D(data_format, keepdims, dtype="float64")
    ours = ck.GlobalAveragePooling2D(data_format, keepdims)
    expected = np.asarray(theirs(x))
    trace = ours.trace(x)
    assert trace.output.shape == expected.shape == ours.output_shape(shape)
    # Keras takes this mean in float32 whatever the dtype: an exact sum of small integers,
    # one correctly rounded division, so float64's quotient rounded to float32 is equal
    np.testing.assert_array_equal(trace.output.astype(np.float32), expected.astype(np.float32))
    # one window, the whole input: every input cell of the channel, once
    assert trace.cell_stop(0, 0, 0, 0) - trace.cell_start(0, 0, 0, 0) == h * w
    assert trace.num_macs == math.prod(shape) == ours.mac_count(shape)
    check_cells(trace)


@pytest.mark.parametrize("make, shape", [
    (lambda layers: layers.MaxPooling2D(3, strides=2, padding="same"), (1, 7, 6, 2)),
    (lambda layers: layers.AveragePooling1D(2), (2, 9, 3)),
    (lambda layers: layers.MaxPooling3D(2, padding="valid"), (1, 4, 4, 5, 1)),
    (lambda layers: layers.AveragePooling2D(2, data_format="channels_first"), (1, 2, 6, 6)),
    (lambda layers: layers.GlobalAveragePooling2D(keepdims=True), (1, 5, 4, 3)),
])
def test_from_keras_reads_a_built_keras_pool(make, shape):
    import keras

    pool = make(keras.layers)
    x = np.random.default_rng(3).integers(-4, 5, shape).astype(np.float64)
    expected = keras.ops.convert_to_numpy(pool(x.astype("float32"))).astype(np.float64)
    layer = convgif.from_keras(pool)
    assert type(layer).__name__ == type(pool).__name__
    got = layer.trace(x).output
    # Keras averages in float32: the exact average, rounded once
    np.testing.assert_array_equal(got.astype(np.float32).astype(np.float64), expected)
