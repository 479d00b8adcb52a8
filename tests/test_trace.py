"""Invariants of a Trace itself: record order, slicing, indexing, the grid, the scatter view."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convgif
from convgif.errors import ConvGifError
from convgif.simulate.trace import DATA, INSERTED, PAD, PAD_COPY

MODES = ["zeros", "reflect", "replicate", "circular"]


@st.composite
def traces(draw):
    """A random 2-d layer of any kind, on a small integer input it accepts."""
    kind = draw(st.sampled_from(["conv", "conv", "conv_t", "max", "avg"]))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    seed = draw(st.integers(0, 1000))
    if kind == "conv":
        g = draw(st.integers(1, 2))
        mode = draw(st.sampled_from(MODES))
        p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
        layer = convgif.Conv2d(g * draw(st.integers(1, 2)), g * draw(st.integers(1, 2)), k, s,
                               p, d, groups=g, padding_mode=mode, seed=seed)
        low = [max(di * (ki - 1) + 1 - 2 * pi, pi + 1)
               for ki, di, pi in zip(k, d, p, strict=True)]
    elif kind == "conv_t":
        g = draw(st.integers(1, 2))
        p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
        op = tuple(draw(st.integers(0, max(si, di) - 1)) for si, di in zip(s, d, strict=True))
        layer = convgif.ConvTranspose2d(g * draw(st.integers(1, 2)), g * draw(st.integers(1, 2)),
                                        k, s, p, op, groups=g, dilation=d, seed=seed)
        low = [max(1, -(-(2 * pi - di * (ki - 1) - oi) // si) + 1)
               for ki, si, di, pi, oi in zip(k, s, d, p, op, strict=True)]
    else:
        p = tuple(draw(st.integers(0, ki // 2)) for ki in k)
        ceil = draw(st.booleans())
        if kind == "max":
            layer = convgif.MaxPool2d(k, s, p, d, ceil_mode=ceil)
        else:
            d = (1, 1)
            layer = convgif.AvgPool2d(k, s, p, ceil_mode=ceil,
                                      count_include_pad=draw(st.booleans()))
        low = [max(1, di * (ki - 1) + 1 - 2 * pi) for ki, di, pi in zip(k, d, p, strict=True)]
    c = layer.spec.in_channels or draw(st.integers(1, 2))
    shape = (draw(st.integers(1, 2)), c, *(lo + draw(st.integers(0, 3)) for lo in low))
    x = np.random.default_rng(seed).integers(-4, 5, shape).astype(np.float64)
    return layer, layer.trace(x)


def assert_tables_equal(a, b):
    """Structured arrays equal field by field (NaN equals NaN: scatter misses)."""
    assert a.dtype == b.dtype and a.shape == b.shape
    for name in a.dtype.names:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def full_table(trace):
    return np.concatenate(list(trace.iter_macs()))


@settings(max_examples=200)
@given(traces(), st.data())
def test_trace_invariants(case, data):
    layer, trace = case
    table = full_table(trace)
    m = trace.macs_per_cell
    assert len(table) == trace.num_macs
    assert trace.fields == table.dtype.names

    # Output-major order: (n, out_channel, oy, ox) runs through the output in C order,
    # and inside each cell (in_channel, ky, kx) runs through channel and kernel in C order.
    cells = np.ravel_multi_index(
        (table["n"], table["out_channel"], table["oy"], table["ox"]), trace.y.shape
    )
    np.testing.assert_array_equal(cells, np.repeat(np.arange(trace.y.size), m))
    icl = table["in_channel"] - table["group"] * trace.in_per_group
    if trace.spec.pooling:
        np.testing.assert_array_equal(table["in_channel"], table["out_channel"])
        icl = np.zeros_like(icl)
    inner = np.ravel_multi_index((icl, table["ky"], table["kx"]),
                                 (trace.in_per_group, *trace.kernel_size))
    np.testing.assert_array_equal(inner, np.tile(np.arange(m), trace.y.size))
    np.testing.assert_array_equal(table["group"], table["out_channel"] // trace.out_per_group)

    # Slices: macs(a, b) is the slice of the full table; cell_macs is the cell's slice.
    a = data.draw(st.integers(0, len(table)))
    b = data.draw(st.integers(a, len(table)))
    assert_tables_equal(trace.macs(a, b), table[a:b])
    cell = data.draw(st.integers(0, trace.y.size - 1))
    n, oc, oy, ox = np.unravel_index(cell, trace.y.shape)
    assert_tables_equal(trace.cell_macs(n, oc, oy, ox), table[cell * m:(cell + 1) * m])

    # Indexing: the window position of every record, and the value it reads.
    for o, k, i, s, dil in (("oy", "ky", "iy", trace.stride[0], trace.dilation[0]),
                            ("ox", "kx", "ix", trace.stride[1], trace.dilation[1])):
        np.testing.assert_array_equal(table[i], table[o] * s + table[k] * dil)
    np.testing.assert_array_equal(
        table["x"], trace.grid[table["n"], table["in_channel"], table["iy"], table["ix"]]
    )
    if trace.kernel is None:
        assert np.all(table["w"] == 1)
        np.testing.assert_array_equal(table["product"], table["x"])
    else:
        np.testing.assert_array_equal(
            table["w"], trace.kernel[table["out_channel"], icl, table["ky"], table["kx"]]
        )

    check_grid(trace)
    # Integer inputs and weights give integer outputs (pooling by average aside).
    if trace.spec.op != "avg_pool":
        np.testing.assert_array_equal(trace.y, np.round(trace.y))
    if trace.spec.transposed:
        check_scatter(trace, data)


def check_grid(trace):
    """Every grid cell holds its source input cell, or the constant."""
    grid = trace.grid
    const = trace.grid_constant
    fill = -np.inf if trace.spec.op == "max_pool" else 0.0
    assert np.all(grid[:, :, const] == fill)
    kind = trace.grid_kind
    assert kind.shape == grid.shape[2:]
    for gy in range(grid.shape[2]):
        for gx in range(grid.shape[3]):
            src = trace.source(gy, gx)
            if src is None:
                assert const[gy, gx]
                assert kind[gy, gx] != DATA and kind[gy, gx] != PAD_COPY
                continue
            assert not const[gy, gx]
            np.testing.assert_array_equal(grid[:, :, gy, gx], trace.x[:, :, src[0], src[1]])
            if trace.spec.padding_mode == "zeros":
                assert kind[gy, gx] == DATA
            else:
                assert kind[gy, gx] in (DATA, PAD_COPY)
    # Data cells are the input itself, once each, in order (a transposed layer's
    # grid may crop some away).
    data_cells = kind == DATA
    if not trace.spec.transposed:
        assert data_cells.sum() == np.prod(trace.in_spatial)
        np.testing.assert_array_equal(grid[:, :, data_cells].reshape(trace.x.shape), trace.x)
    if trace.spec.padding_mode != "zeros":
        assert not np.any(kind == PAD)  # every padding cell copies an input cell
    if trace.spec.transposed:
        # Inserted zeros sit between input cells: S−1 of them along each axis.
        for axis, s in enumerate(trace.spec.stride):
            kinds, src = trace.axis_kind[axis], trace.axis_source[axis]
            n = trace.in_spatial[axis]
            rows = np.flatnonzero(kinds == DATA)
            if len(rows) == 0:
                continue
            origin = rows[0] - src[rows[0]] * s  # grid position of input cell 0
            np.testing.assert_array_equal(rows - origin, src[rows] * s)
            between = np.flatnonzero(kinds == INSERTED) - origin
            assert np.all((between > 0) & (between < (n - 1) * s) & (between % s != 0))
            assert np.all(src[kinds == INSERTED] == -1)
            outside = np.flatnonzero(kinds == PAD) - origin
            assert np.all((outside < 0) | (outside > (n - 1) * s))
        assert np.all(grid[:, :, kind == INSERTED] == 0)


def check_scatter(trace, data):
    table = trace.scatter_macs()
    assert len(table) == trace.num_scatter_macs
    spec = trace.spec
    for i, k, o, s, d, (pb, _) in zip(("iy", "ix"), ("ky", "kx"), ("oy", "ox"), spec.stride,
                                      spec.dilation, trace.pads, strict=True):
        np.testing.assert_array_equal(table[o], table[i] * s - pb + table[k] * d)
    inside = ((table["oy"] >= 0) & (table["oy"] < trace.y.shape[2])
              & (table["ox"] >= 0) & (table["ox"] < trace.y.shape[3]))
    np.testing.assert_array_equal(table["inside"], inside)
    np.testing.assert_array_equal(table["x"],
                                  trace.x[table["n"], table["in_channel"], table["iy"],
                                          table["ix"]])
    ocl = table["out_channel"] - table["group"] * trace.out_per_group
    np.testing.assert_array_equal(
        table["w"], trace.weight[table["in_channel"], ocl, table["ky"], table["kx"]]
    )
    np.testing.assert_array_equal(table["product"], table["x"] * table["w"])
    assert np.all(np.isnan(table["running_sum"][~inside]))
    # The real MACs are the stamps that land; the spec counts exactly those.
    assert inside.sum() == trace.spec.mac_count(trace.in_spatial) * trace.batch
    # A slice of the scatter view is the slice of the whole.
    a = data.draw(st.integers(0, len(table)))
    b = data.draw(st.integers(a, len(table)))
    assert_tables_equal(trace.scatter_macs(a, b), table[a:b])
    np.testing.assert_array_equal(trace.scatter_output(), trace.y)


# --------------------------------------------------------------------------- fixed cases


def test_running_sums_reach_each_output_cell():
    layer = convgif.Conv2d(2, 3, 3, stride=2, padding=1, dilation=2, bias=True)
    x = layer.example_input((2, 7, 7))
    trace = layer.trace(x)
    for oc in range(3):
        for oy in range(trace.y.shape[2]):
            for ox in range(trace.y.shape[3]):
                macs = trace.cell_macs(0, oc, oy, ox)
                assert len(macs) == trace.macs_per_cell == 2 * 9
                np.testing.assert_array_equal(macs["running_sum"], np.cumsum(macs["product"]))
                assert macs["running_sum"][-1] + trace.bias[oc] == trace.y[0, oc, oy, ox]


def test_reflect_padding_cells_show_their_source():
    layer = convgif.Conv2d(1, 1, 3, padding=2, padding_mode="reflect")
    x = np.arange(16.0).reshape(1, 4, 4)
    trace = layer.trace(x)
    # Grid (0, 0) is input (2, 2) reflected about row 0 and column 0.
    assert trace.source(0, 0) == (2, 2)
    assert trace.grid[0, 0, 0, 0] == x[0, 2, 2]
    assert trace.grid_kind[0, 0] == PAD_COPY
    assert trace.grid_kind[2, 2] == DATA


def test_zero_padding_cells_are_constant():
    trace = convgif.Conv2d(1, 1, 3, padding=1).trace(np.ones((1, 3, 3)))
    assert trace.source(0, 0) is None
    assert trace.grid_kind[0, 0] == PAD
    assert trace.grid[0, 0, 0, 0] == 0
    assert trace.grid_constant.sum() == 25 - 9


def test_max_pool_padding_is_minus_infinity():
    trace = convgif.MaxPool2d(3, 2, 1).trace(-np.ones((1, 4, 4)))
    assert trace.grid[0, 0, 0, 0] == -np.inf
    assert np.all(trace.y == -1)


def test_transposed_grid_inserts_zeros():
    layer = convgif.ConvTranspose1d(1, 1, 2, stride=3, bias=False)
    layer.weight = np.ones((1, 1, 2))
    trace = layer.trace(np.array([[1.0, 2.0, 3.0]]))
    # Gather grid: K−1 = 1 pad cell each side, two inserted zeros between cells.
    np.testing.assert_array_equal(trace.grid[0, 0], [0, 1, 0, 0, 2, 0, 0, 3, 0])
    np.testing.assert_array_equal(trace.output, [[1, 1, 0, 2, 2, 0, 3, 3]])
    np.testing.assert_array_equal(trace.scatter_output(), trace.y)


def test_macs_range_refused():
    trace = convgif.Conv1d(1, 1, 2).trace(np.ones((1, 4)))
    with pytest.raises(convgif.ConvGifError, match="start"):
        trace.macs(5, 2)
    assert len(trace.macs(0, 10**9)) == trace.num_macs


def test_integer_inputs_give_integer_outputs_1d_3d():
    for layer, shape in ((convgif.Conv1d(2, 2, 3, padding=2, dilation=2), (2, 9)),
                         (convgif.Conv3d(2, 2, 2, stride=2, padding=1), (2, 4, 4, 4))):
        trace = layer.trace(layer.example_input(shape))
        np.testing.assert_array_equal(trace.output, np.round(trace.output))
        table = full_table(trace)
        assert len(table) == trace.num_macs == layer.mac_count(shape)


def test_simulate_takes_plain_data():
    """The simulation needs no layer object: a spec, the parameters and the input."""
    from convgif.simulate.engine import simulate

    layer = convgif.Conv2d(2, 3, 3, stride=2, padding=1, seed=4)
    x = np.random.default_rng(1).integers(-3, 4, (2, 2, 6, 5)).astype(float)
    trace = simulate(layer.spec, layer.weight, layer.bias, x)
    assert np.array_equal(trace.output, layer.trace(x).output)
    assert trace.layer == repr(layer) == "Conv2d(2, 3, kernel_size=3, stride=2, padding=1)"
    assert simulate(layer.spec, layer.weight, None, x).bias.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(ConvGifError, match=r"^weight has shape \(3,\), must be \(3, 2, 3, 3\)"):
        simulate(layer.spec, np.zeros(3), None, x)
    keras = convgif.keras.Conv2D(2, 3)
    with pytest.raises(ConvGifError, match="has no in_channels yet"):
        simulate(keras.spec, None, None, np.zeros((5, 5, 1)))
    assert keras.trace(np.zeros((5, 5, 1))).output.shape == (3, 3, 2)  # the layer builds itself


def test_iter_scatter_macs_walks_the_scatter_order_in_chunks():
    layer = convgif.ConvTranspose2d(2, 4, 3, stride=2, padding=1, groups=2, seed=3)
    trace = layer.trace(np.random.default_rng(2).integers(-3, 4, (2, 2, 3, 4)).astype(float))
    chunks = list(trace.iter_scatter_macs(chunk=50))
    assert [len(c) for c in chunks[:-1]] == [50] * (len(chunks) - 1)
    joined = np.concatenate(chunks)
    assert len(joined) == trace.num_scatter_macs
    assert_tables_equal(joined, trace.scatter_macs())  # running sums carried over
