"""The backward pass MAC by MAC: one record per product that adds into a gradient cell.

Records follow the forward trace's order (sample, output channel, output
position, input channel of the group, kernel position), because that is how
the chain rule walks the layer: each output-gradient cell ``∂L/∂y[o]`` sends
``∂L/∂y[o] · w[k]`` to the input cell its tap read (``input``), and
``∂L/∂y[o] · x[i]`` to the weight cell (``weight``); each adds itself into the
bias of its channel (``bias``). The position columns are the forward record's
(``iy``, ``ix``: the grid cell the tap read); ``sy``, ``sx`` name the input
cell that grid cell shows (the copied cell for reflect / replicate / circular
padding; −1 and ``inside`` False for a constant cell, whose gradient is
dropped); ``w0``, ``w1``, ``wky``, ``wkx`` the weight cell in the layer's own
layout. ``running_sum`` is the gradient cell's value once the record has
landed (NaN where it does not land), so the last record of each cell holds
that cell of the gradient.

For pooling, ``w`` is the share a tap passes on: 1 for a window's maximum and 0
for the others (max), ``1 / divisor`` (average).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from convgif.errors import ConvGifError, refuse
from convgif.simulate.backward import GRADS, GradTrace, learns, no_weights
from convgif.simulate.trace import CHUNK, axis_fields, mac_fields

LONG = 32  # a target with this many records in a chunk is summed by its own cumsum
_SRC = ("sz", "sy", "sx")
_WK = ("wkz", "wky", "wkx")
_FLOATS = ("grad_output", "w", "x", "product", "running_sum")


@cache
def grad_fields(grad: str, ndim: int) -> tuple[str, ...]:
    """The columns of the records of one gradient ('input', 'weight' or 'bias')."""
    positions = mac_fields(ndim)[:-4]  # the forward record's, without its values
    if grad == "input":
        return (*positions, *_SRC[3 - ndim:], "inside", "grad_output", "w", "product",
                "running_sum")
    if grad == "weight":
        return (*positions, "w0", "w1", *_WK[3 - ndim:], "grad_output", "x", "product",
                "running_sum")
    return ("n", "group", "out_channel", *axis_fields(ndim).output, "grad_output", "running_sum")


@cache
def _dtype(fields: tuple[str, ...]) -> np.dtype:
    kinds = {"inside": np.bool_, **{f: np.float64 for f in _FLOATS}}
    return np.dtype([(f, kinds.get(f, np.int32)) for f in fields])


def check_grad(gt: GradTrace, grad: str) -> None:
    if grad not in GRADS:
        raise refuse("grad", grad, f"must be one of {', '.join(map(repr, GRADS))}")
    if not gt.has(grad):
        spec = gt.trace.spec
        why = no_weights(spec) if not learns(spec) else "it was built without a bias"
        raise refuse("grad", grad, f"is not a gradient of {spec.name}: {why}")


def record_count(gt: GradTrace, grad: str) -> int:
    check_grad(gt, grad)
    return gt.trace.y.size if grad == "bias" else gt.trace.num_macs


def iter_records(gt: GradTrace, grad: str, chunk: int = CHUNK):
    """Every record of one gradient in order, as structured arrays of about ``chunk``."""
    check_grad(gt, grad)
    canvas = np.zeros(_target_shape(gt, grad)).reshape(-1)
    if grad == "bias":
        for lo in range(0, gt.grad_y.size, chunk):
            yield _bias_table(gt, np.arange(lo, min(lo + chunk, gt.grad_y.size)), canvas)
        return
    for table in gt.trace.iter_macs(chunk):
        yield (_input_table if grad == "input" else _weight_table)(gt, table, canvas)


def records(gt: GradTrace, grad: str, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Records ``start`` to ``stop`` of one gradient (running sums replay from the first)."""
    total = record_count(gt, grad)
    stop = total if stop is None else min(stop, total)
    if not 0 <= start <= stop:
        raise ConvGifError(f"record range start={start}, stop={stop} must lie within "
                           f"0..{total}", "start")
    out, seen = [], 0
    for table in iter_records(gt, grad):
        lo, seen = seen, seen + len(table)
        if seen > start and lo < stop:
            out.append(table[max(0, start - lo): stop - lo])
        if seen >= stop:
            break
    return np.concatenate(out) if out else np.empty(0, _dtype(grad_fields(grad, gt.trace.ndim)))


def _target_shape(gt: GradTrace, grad: str) -> tuple[int, ...]:
    if grad == "input":
        return gt.grad_x.shape
    if grad == "weight":
        return gt.grad_weight.shape
    return gt.grad_b.shape


def _copy_positions(table: np.ndarray, forward: np.ndarray, ndim: int) -> None:
    for name in mac_fields(ndim)[:-4]:
        table[name] = forward[name]


def _cell_grad(gt: GradTrace, forward: np.ndarray) -> np.ndarray:
    out = axis_fields(gt.trace.ndim).output
    return gt.grad_y[(forward["n"], forward["out_channel"], *(forward[o] for o in out))]


def _input_table(gt: GradTrace, forward: np.ndarray, canvas: np.ndarray) -> np.ndarray:
    trace, nd = gt.trace, gt.trace.ndim
    fields = axis_fields(nd)
    table = np.empty(len(forward), _dtype(grad_fields("input", nd)))
    _copy_positions(table, forward, nd)
    src = [a[forward[i]] for a, i in zip(trace.axis_source, fields.input)]
    inside = np.ones(len(forward), dtype=bool)
    for name, s in zip(_SRC[3 - nd:], src):
        table[name] = s
        inside &= s >= 0
    g = _cell_grad(gt, forward)
    if trace.spec.op == "max_pool":
        flat = np.ravel_multi_index(tuple(forward[k] for k in fields.kernel), trace.kernel_size)
        out_pos = tuple(forward[o] for o in fields.output)
        w = (gt.winners[(forward["n"], forward["out_channel"], *out_pos)] == flat) * 1.0
    elif trace.spec.op == "avg_pool":
        w = 1.0 / trace.divisor[tuple(forward[o] for o in fields.output)]
    else:
        w = forward["w"]
    target = np.full(len(forward), -1, dtype=np.int64)
    target[inside] = np.ravel_multi_index(
        (forward["n"][inside], forward["in_channel"][inside], *(s[inside] for s in src)),
        gt.grad_x.shape)
    table["inside"], table["grad_output"], table["w"] = inside, g, w
    table["product"] = g * w
    table["running_sum"] = running_sums(target, table["product"], canvas)
    return table


def _weight_table(gt: GradTrace, forward: np.ndarray, canvas: np.ndarray) -> np.ndarray:
    trace, nd = gt.trace, gt.trace.ndim
    table = np.empty(len(forward), _dtype(grad_fields("weight", nd)))
    _copy_positions(table, forward, nd)
    kpos = [forward[k] for k in axis_fields(nd).kernel]
    group = forward["group"]
    if trace.spec.transposed:  # the gather kernel is the weight flipped, channels swapped
        w0 = forward["in_channel"]
        w1 = forward["out_channel"] - group * trace.out_per_group
        kpos = [k_size - 1 - k for k, k_size in zip(kpos, trace.kernel_size)]
    else:
        w0 = forward["out_channel"]
        w1 = forward["in_channel"] - group * trace.in_per_group
    table["w0"], table["w1"] = w0, w1
    for name, k in zip(_WK[3 - nd:], kpos):
        table[name] = k
    g = _cell_grad(gt, forward)
    table["grad_output"], table["x"] = g, forward["x"]
    table["product"] = g * forward["x"]
    target = np.ravel_multi_index((w0, w1, *kpos), gt.grad_weight.shape).astype(np.int64)
    table["running_sum"] = running_sums(target, table["product"], canvas)
    return table


def _bias_table(gt: GradTrace, cells: np.ndarray, canvas: np.ndarray) -> np.ndarray:
    nd = gt.trace.ndim
    table = np.empty(len(cells), _dtype(grad_fields("bias", nd)))
    n, oc, *opos = np.unravel_index(cells, gt.grad_y.shape)
    table["n"], table["out_channel"] = n, oc
    table["group"] = oc // gt.trace.out_per_group
    for name, o in zip(axis_fields(nd).output, opos):
        table[name] = o
    g = gt.grad_y.reshape(-1)[cells]
    table["grad_output"] = g
    table["running_sum"] = running_sums(oc.astype(np.int64), g, canvas)
    return table


def running_sums(target: np.ndarray, product: np.ndarray, canvas: np.ndarray) -> np.ndarray:
    """Each record's target cell (flat index into ``canvas``, −1: lands nowhere) once the
    record has been added, records added in order; ``canvas`` (the sums so far) is updated.

    Each cell's records are added one after another (a cell's long run by its own cumsum,
    short runs a rank at a time), never as differences of a global cumsum."""
    running = np.full(len(target), np.nan)
    idx = np.flatnonzero(target >= 0)
    if not len(idx):
        return running
    order = np.argsort(target[idx], kind="stable")
    ts, ps = target[idx][order], product[idx][order]
    starts = np.r_[0, np.flatnonzero(np.diff(ts)) + 1]
    lengths = np.diff(np.r_[starts, len(ts)])
    out = np.empty(len(ts))
    for s, n in zip(starts[lengths >= LONG], lengths[lengths >= LONG]):
        out[s:s + n] = np.cumsum(np.r_[canvas[ts[s]], ps[s:s + n]])[1:]
    short, short_len = starts[lengths < LONG], lengths[lengths < LONG]
    acc = canvas[ts[short]].copy()
    for r in range(int(short_len.max(initial=0))):
        live = short_len > r
        acc[live] += ps[short[live] + r]
        out[short[live] + r] = acc[live]
    ends = starts + lengths - 1
    canvas[ts[ends]] = out[ends]
    running[idx[order]] = out
    return running

