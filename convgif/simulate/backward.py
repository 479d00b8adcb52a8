"""The backward pass of one traced layer: ∂L/∂x, ∂L/∂w and ∂L/∂b for an output gradient.

Every gradient is computed from the forward trace's grid, the way the chain
rule reads it: each forward MAC ``y[o] += grid[i] · w[k]`` sends
``∂L/∂y[o] · w[k]`` back to the grid cell ``i`` and ``∂L/∂y[o] · grid[i]`` to
the weight cell ``k``. A grid cell that copies an input cell (reflect,
replicate or circular padding, or a data cell of a transposed layer's
zero-inserted grid) passes its gradient on to that cell; a constant cell
(zero padding, an inserted zero, a ceil_mode overflow) keeps none. Max pooling
sends each window's gradient to its maximum, the first in the window's order
(row-major) when several tie, as PyTorch does; average pooling sends
``∂L/∂y[o] / divisor[o]`` to every cell of the window. Pools read their windows from
``convgif.layers.windows`` (``window_taps``), so an adaptive pool's windows, each of its
own size and possibly sharing cells, route and spread their gradients the same way.
Unfold is a grouped convolution with fixed one-hot kernels: it has an input gradient
only (``learns``), and its output gradient comes in torch's ``(N, C·kh·kw, L)``.

The gradients here are computed vectorised, kernel position by kernel
position; the MAC records (``convgif.simulate.grad_records``) are computed on
demand from the forward records, and their running sums end on these values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from convgif.errors import NAME, ConvGifError
from convgif.simulate.engine import FLOAT_MAX
from convgif.simulate.trace import Trace

GRADS = ("input", "weight", "bias")  # the gradients a GradTrace records


@dataclass(frozen=True, eq=False)
class GradTrace:
    """The backward pass of ``trace`` for the output gradient ``grad_y``.

    Arrays named ``grad_y``, ``grad_x``, ``grad_kernel`` are canonical (channels
    first, batched; the kernel in the trace's gather form); the ``grad_*``
    properties give them as the framework does (layout, batch axis, torch's
    weight layout).
    """

    trace: Trace
    grad_y: np.ndarray  # (N, C_out, *out_spatial)
    grad_grid: np.ndarray  # the gradient of each cell of the grid the window swept
    grad_x: np.ndarray  # (N, C, *in_spatial): grad_grid folded back onto the input
    grad_kernel: np.ndarray | None  # (C_out, C_in/G, *K), gather form; None for pooling
    grad_b: np.ndarray | None  # (C_out,); None for pooling and bias=False
    winners: np.ndarray | None  # max pooling: flat kernel position of each window's maximum

    @property
    def batched(self) -> bool:
        return is_batched(self.trace)

    def framework_layout(self, canonical: np.ndarray) -> np.ndarray:
        """A canonical (N, C, ...) array as the framework returns it."""
        return framework_layout(self.trace, canonical)

    @property
    def grad_output(self) -> np.ndarray:
        """∂L/∂y in the output's own shape (Unfold's ``(N, C·kh·kw, L)``, a global pool's
        ``(N, C)`` without keepdims)."""
        return self.framework_layout(self.grad_y).reshape(np.shape(self.trace.output))

    @property
    def grad_input(self) -> np.ndarray:
        return self.framework_layout(self.grad_x)

    @property
    def grad_weight(self) -> np.ndarray | None:
        """∂L/∂w in the layer's own weight layout (torch's; transposed ``(C_in, C_out/G, *K)``)."""
        if self.grad_kernel is None:
            return None
        if self.trace.spec.transposed:
            return weight_from_gather(self.grad_kernel, self.trace.spec.groups)
        return self.grad_kernel

    @property
    def grad_bias(self) -> np.ndarray | None:
        return self.grad_b

    def has(self, grad: str) -> bool:
        """Whether the layer has this gradient ('input' always; 'weight', 'bias' not for
        pooling, 'bias' not for bias=False)."""
        return {"input": True, "weight": self.grad_kernel is not None,
                "bias": self.grad_b is not None}[grad]


def batched_output_ndim(spec) -> int:
    """Axes of a batched output: Unfold's ``(N, C·kh·kw, L)`` and a global pool's ``(N, C)``
    (Keras, keepdims=False) flatten the spatial axes the simulation keeps."""
    if spec.name == "Unfold":
        return 3
    return spec.ndim + 2 if spec.keepdims else 2


def is_batched(trace: Trace) -> bool:
    return np.ndim(trace.output) == batched_output_ndim(trace.spec)


def framework_layout(trace: Trace, canonical: np.ndarray) -> np.ndarray:
    """A canonical (N, C, *spatial) array in the framework's layout, spatial axes kept."""
    batched = is_batched(trace)
    out = canonical if batched else canonical[0]
    if trace.spec.channels_last:
        out = np.moveaxis(out, 1 if batched else 0, -1)
    return out


def weight_from_gather(gather: np.ndarray, groups: int) -> np.ndarray:
    """The inverse of the engine's gather kernel: flipped ``(C_out, C_in/G, *K)`` back to a
    transposed layer's ``(C_in, C_out/G, *K)``."""
    nd = gather.ndim - 2
    k = gather.shape[2:]
    cout_pg, cin_pg = gather.shape[0] // groups, gather.shape[1]
    w = np.flip(gather, axis=tuple(range(2, 2 + nd)))
    w = w.reshape(groups, cout_pg, cin_pg, *k).swapaxes(1, 2)
    return np.ascontiguousarray(w.reshape(groups * cin_pg, cout_pg, *k))


# --------------------------------------------------------------------------- the gradients


def backward(trace: Trace, grad_output) -> GradTrace:
    """The backward pass of a (whole) forward ``trace`` for ``grad_output``, an array of the
    output's shape as the framework returns it (checked here)."""
    if trace.computed is not None:
        raise ConvGifError("the backward pass needs every output channel of the trace")
    grad_y = canonical_grad(trace, grad_output)
    spec = trace.spec
    winners = max_winners(trace) if spec.op == "max_pool" else None
    grad_grid = _grid_gradient(trace, grad_y, winners)
    grad_x = fold(grad_grid, trace.axis_source, trace.in_spatial)
    grad_kernel = grad_b = None
    if learns(spec):
        grad_kernel = _kernel_gradient(trace, grad_y)
        if spec.bias:
            grad_b = grad_y.sum(axis=(0, *range(2, 2 + spec.ndim)))
    return GradTrace(trace, grad_y, grad_grid, grad_x, grad_kernel, grad_b, winners)


def learns(spec) -> bool:
    """Whether the layer has weights to learn: not a pool, not Unfold (whose one-hot kernels
    are fixed: torch's Unfold has no parameters)."""
    return not spec.pooling and spec.name != "Unfold"


def no_weights(spec) -> str:
    """Why a layer has no weight gradient (``learns`` is False)."""
    if spec.pooling:
        return "a pool has no weights"
    return "it has no weights (its one-hot kernels only copy cells)"


def canonical_grad(trace: Trace, grad_output) -> np.ndarray:
    """``grad_output`` checked (shape of the output, finite real numbers, no overflow) and
    returned as float64 (N, C_out, *out_spatial)."""
    try:
        arr = np.asarray(grad_output)
    except Exception:
        raise ConvGifError(f"{NAME} must be a numpy array of numbers", "grad_output") from None
    if np.iscomplexobj(arr) or arr.dtype.kind not in "biuf":
        raise ConvGifError(f"{NAME} must be an array of real numbers, got dtype {arr.dtype}",
                           "grad_output")
    shape = np.shape(trace.output)
    if arr.shape != shape:
        raise ConvGifError(f"{NAME} has shape {arr.shape}, must be the output's shape {shape}",
                           "grad_output")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ConvGifError(f"{NAME} must be finite (no NaN or infinity)", "grad_output")
    _check_grad_range(trace, arr)
    batched = is_batched(trace)
    arr = arr.reshape(framework_layout(trace, trace.y).shape)  # spatial axes back
    if not batched:
        arr = arr[None] if not trace.spec.channels_last else np.moveaxis(arr, -1, 0)[None]
    elif trace.spec.channels_last:
        arr = np.moveaxis(arr, -1, 1)
    return np.ascontiguousarray(arr)


def _check_grad_range(trace: Trace, arr: np.ndarray) -> None:
    """Refuse output gradients whose sums could overflow float64: the bound is
    max|∂L/∂y| · max(|x|, |w|, 1) · the terms any one gradient cell sums."""
    if not arr.size:
        return
    factor = max(1.0, float(np.max(np.abs(trace.x))) if trace.x.size else 0.0)
    if trace.weight is not None:
        factor = max(factor, float(np.max(np.abs(trace.weight))))
    terms = trace.y.size * math.prod(trace.kernel_size)
    bound = float(np.max(np.abs(arr))) * factor * terms
    if bound > FLOAT_MAX:
        raise ConvGifError(
            f"max |{NAME}| times the largest input or weight, summed over {terms:,} terms, "
            f"could reach {bound:.3g}, beyond float64's largest {FLOAT_MAX:.3g}: scale it down",
            "grad_output")


def tap_slices(trace: Trace):
    """(flat kernel position, kernel position, the grid slices it reads), in the trace's
    order of kernel positions."""
    for flat, kpos in enumerate(np.ndindex(*trace.kernel_size)):
        yield flat, kpos, tuple(
            slice(k * d, k * d + (o - 1) * s + 1, s)
            for k, d, s, o in zip(kpos, trace.dilation, trace.stride, trace.out_spatial)
        )


def window_taps(trace: Trace):
    """(flat kernel position, the grid cells it reads, where the tap is real) for every tap of
    the largest window, per output cell: ``convgif.layers.windows``' tables, so an adaptive
    pool's smaller windows leave their far taps out (``real`` False)."""
    for flat, kpos in enumerate(np.ndindex(*trace.kernel_size)):
        cells, real = [], np.ones((), dtype=bool)
        for k, axis, n in zip(kpos, trace.windows, trace.grid.shape[2:]):
            cells.append(np.minimum(axis.start + k * axis.dilation, n - 1))
            real = np.multiply.outer(real, k < axis.size)
        yield flat, np.ix_(*cells), real


def max_winners(trace: Trace) -> np.ndarray:
    """Flat kernel position of each window's maximum: the first in the window's order when
    several tie (a later tap wins only when strictly greater), as PyTorch picks it."""
    best = np.full(trace.y.shape, -np.inf)
    win = np.zeros(trace.y.shape, dtype=np.int64)
    for flat, cells, real in window_taps(trace):
        values = trace.grid[(slice(None), slice(None), *cells)]
        better = (values > best) & real
        best = np.where(better, values, best)
        win = np.where(better, flat, win)
    return win


def _pool_grid_gradient(trace: Trace, grad_y: np.ndarray, winners) -> np.ndarray:
    """A pool's ∂L/∂grid: each window's gradient to its maximum (max), or its share,
    ``∂L/∂y / divisor``, to every cell it counts (average). Adaptive windows may overlap
    on one grid cell for one tap, so the shares are added with ``np.add.at``."""
    gg = np.zeros(trace.grid.shape)
    share = grad_y / trace.divisor if trace.spec.op == "avg_pool" else grad_y
    for flat, cells, real in window_taps(trace):
        keep = real if winners is None else real & (winners == flat)
        where, part = (slice(None), slice(None), *cells), np.where(keep, share, 0.0)
        if trace.varying:
            np.add.at(gg, where, part)
        else:  # one tap of regular windows reads each cell at most once
            gg[where] += part
    return gg


def _grid_gradient(trace: Trace, grad_y: np.ndarray, winners) -> np.ndarray:
    """∂L/∂grid: what every tap of every window sends back to the grid cell it read."""
    spec = trace.spec
    if spec.pooling:
        return _pool_grid_gradient(trace, grad_y, winners)
    gg = np.zeros(trace.grid.shape)
    cin_pg, cout_pg = trace.in_per_group, trace.out_per_group
    for g in range(spec.groups):
        outs = slice(g * cout_pg, (g + 1) * cout_pg)
        dy = grad_y[:, outs]
        for icl in range(cin_pg):
            for _, kpos, sl in tap_slices(trace):
                w = trace.kernel[(outs, icl, *kpos)]
                gg[(slice(None), g * cin_pg + icl, *sl)] += np.tensordot(w, dy, axes=([0], [1]))
    return gg


def _kernel_gradient(trace: Trace, grad_y: np.ndarray) -> np.ndarray:
    """∂L/∂kernel (gather form): each kernel cell's products of the grid cells it read with
    the output gradients of the cells it wrote, summed over the batch and positions."""
    spec = trace.spec
    gk = np.zeros(trace.kernel.shape)
    cin_pg, cout_pg = trace.in_per_group, trace.out_per_group
    win_axes, dy_axes = tuple(range(1 + spec.ndim)), (0, *range(2, 2 + spec.ndim))
    for g in range(spec.groups):
        outs = slice(g * cout_pg, (g + 1) * cout_pg)
        dy = grad_y[:, outs]
        for icl in range(cin_pg):
            for _, kpos, sl in tap_slices(trace):
                window = trace.grid[(slice(None), g * cin_pg + icl, *sl)]
                gk[(outs, icl, *kpos)] = np.tensordot(window, dy, axes=(win_axes, dy_axes))
    return gk


def fold(grid_grad: np.ndarray, axis_source, in_spatial) -> np.ndarray:
    """The grid's gradient added onto the input cells the grid cells show, axis by axis (a
    cell's source is its axes' sources); constant cells (source −1) are dropped."""
    out = grid_grad
    for a, (src, n) in enumerate(zip(axis_source, in_spatial)):
        moved = np.moveaxis(out, 2 + a, 0)
        keep = src >= 0
        acc = np.zeros((n, *moved.shape[1:]))
        np.add.at(acc, src[keep], moved[keep])
        out = np.moveaxis(acc, 0, 2 + a)
    return np.ascontiguousarray(out)
