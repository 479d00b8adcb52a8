"""The trace: one layer on one input, with every multiply-accumulate on record.

``convgif.simulate.engine.simulate`` builds it. Every layer is simulated as a
*gather*: an ordinary strided, dilated window over a grid. For a convolution
the grid is the padded input; for pooling the padded input (plus the cells
``ceil_mode`` windows reach past the padding); for a transposed convolution it
is the input with ``S−1`` zeros inserted between cells, padded by
``D·(K−1)−P`` (cropped where that is negative), swept by the flipped kernel.
Transposed layers also offer the *scatter* view (``scatter_macs``): each input
cell stamps ``value × kernel`` onto the output.

A trace stores only what it cannot compute cheaply (the grid, the kernel, the
output); MAC records are computed on demand, in vectorised chunks, in the
order an animation walks them: sample, output channel, output position, then
input channel of the group and kernel position (the last axis fastest).

The output is accumulated in exactly that order in float64, so for every
output cell ``running_sum`` of its last MAC plus the bias equals the output
bit for bit (for average pooling: the sum divided by the divisor).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from convgif.errors import NAME, ConvGifError
from convgif.layers.spec import LayerSpec
from convgif.layers.windows import largest, window_taps
from convgif.simulate.records import (  # noqa: F401  (scatter_fields: part of this module's face)
    axis_fields,
    mac_fields,
    position_table,
    scatter_fields,
    table_dtype,
)

# What a grid cell is; a cell's kind is derived from its axes' kinds.
DATA, PAD, PAD_COPY, INSERTED, OVERFLOW = 0, 1, 2, 3, 4
KIND_NAMES = ("data", "pad", "pad_copy", "inserted", "overflow")

CHUNK = 1 << 18  # MAC records per vectorised chunk: ~25 MB of records at most


# --------------------------------------------------------------------------- trace


@dataclass(frozen=True, eq=False)
class Trace:
    """One layer on one input. See the module docstring for the conventions."""

    spec: LayerSpec
    layer: str  # the layer as a constructor call, for titles
    x: np.ndarray  # input, canonical (N, C, *spatial), float64
    grid: np.ndarray  # the grid the window sweeps, (N, C, *grid_spatial)
    axis_source: tuple  # per axis: grid position -> input index, or −1 for a constant
    axis_kind: tuple  # per axis: DATA / PAD / INSERTED / OVERFLOW
    kernel: np.ndarray | None  # gather-form weights (C_out, C_in/groups, *K); None for pooling
    bias: np.ndarray  # (C_out,), zeros when the layer has no bias
    y: np.ndarray  # output, canonical (N, C_out, *out_spatial)
    output: np.ndarray  # output as the framework returns it (shape and layout)
    pads: tuple  # explicit (before, after) padding per axis, as the spec resolved it
    stride: tuple  # the gather window's stride (1 for transposed layers)
    divisor: np.ndarray | None = None  # average pooling: divisor per output cell
    weight: np.ndarray | None = None  # the layer's own weight (torch layout)
    # The output channels simulated (None: all); the others hold NaN. Only a renderer
    # that shows just these channels asks for fewer: a big layer's other channels cost
    # seconds that no frame would use.
    computed: tuple | None = None
    # Every output position's window per axis (convgif.layers.windows.AxisWindows): where
    # it starts in the grid and how many cells it taps. Adaptive pools' windows vary in
    # size, and then so does the number of MAC records of a cell.
    windows: tuple | None = None

    # ---- sizes

    @property
    def ndim(self) -> int:
        return self.spec.ndim

    @property
    def dilation(self) -> tuple:
        return self.spec.dilation

    @property
    def kernel_size(self) -> tuple:
        """The window's size per axis (an adaptive pool's largest window)."""
        return largest(self.windows) if self.spec.adaptive else self.spec.kernel_size

    @property
    def varying(self) -> bool:
        """True when windows differ in size (adaptive pools): cells have their own MAC count."""
        return self.spec.adaptive

    def window_bounds(self, *position: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The grid cells (first, last) per axis that an output position's window spans."""
        first = tuple(int(a.start[p]) for a, p in zip(self.windows, position))
        last = tuple(
            f + a.dilation * (int(a.size[p]) - 1) for f, a, p in zip(first, self.windows, position)
        )
        return first, last

    @property
    def batch(self) -> int:
        return self.x.shape[0]

    @property
    def in_channels(self) -> int:
        return self.x.shape[1]

    @property
    def out_channels(self) -> int:
        return self.y.shape[1]

    @property
    def groups(self) -> int:
        return self.in_channels if self.spec.pooling else self.spec.groups

    @property
    def in_per_group(self) -> int:
        return self.in_channels // self.groups

    @property
    def out_per_group(self) -> int:
        return self.out_channels // self.groups

    @property
    def in_spatial(self) -> tuple:
        return self.x.shape[2:]

    @property
    def out_spatial(self) -> tuple:
        return self.y.shape[2:]

    @property
    def macs_per_cell(self) -> int:
        """MACs of one output cell (the most any cell has, when windows vary)."""
        return self.in_per_group * math.prod(self.kernel_size)

    @cached_property
    def _offsets(self) -> np.ndarray:
        """Index of every cell's first MAC, and the total last (windows of varying size)."""
        taps = np.broadcast_to(window_taps(self.windows), self.y.shape) * self.in_per_group
        return np.concatenate([[0], np.cumsum(taps, dtype=np.int64)])

    def cell_of(self, index: int) -> int:
        """The output cell (flat, canonical order) whose MACs include MAC ``index``."""
        if not self.varying:
            return index // self.macs_per_cell
        return int(np.searchsorted(self._offsets, index, side="right")) - 1

    def cell_offset(self, cell: int) -> int:
        """Index of the first MAC of output cell ``cell`` (flat); num_macs past the last."""
        return int(self._offsets[cell]) if self.varying else cell * self.macs_per_cell

    @property
    def num_cells(self) -> int:
        return self.y.size

    @property
    def num_macs(self) -> int:
        return self.cell_offset(self.num_cells)

    @property
    def fields(self) -> tuple[str, ...]:
        return mac_fields(self.ndim)

    @property
    def output_fields(self) -> tuple[str, ...]:
        """MAC columns of the output position, e.g. ("oy", "ox")."""
        return axis_fields(self.ndim).output

    @property
    def kernel_fields(self) -> tuple[str, ...]:
        return axis_fields(self.ndim).kernel

    @property
    def input_fields(self) -> tuple[str, ...]:
        """MAC columns of the grid position the kernel taps, e.g. ("iy", "ix")."""
        return axis_fields(self.ndim).input

    # ---- grid cells

    @cached_property
    def grid_kind(self) -> np.ndarray:
        """Kind of every grid cell (DATA, PAD, PAD_COPY, INSERTED, OVERFLOW), grid-shaped."""
        kinds = np.ix_(*self.axis_kind)
        kind = np.zeros(self.grid.shape[2:], dtype=np.int8)
        for k in kinds:
            kind = np.maximum(kind, k)
        if self.spec.padding_mode != "zeros":
            copied = (kind == PAD) & ~self.grid_constant
            kind = np.where(copied, PAD_COPY, kind).astype(np.int8)
        return kind

    @cached_property
    def grid_constant(self) -> np.ndarray:
        """True where a grid cell holds a constant (zero padding, inserted zero, −inf)."""
        const = np.zeros(self.grid.shape[2:], dtype=bool)
        for src in np.ix_(*self.axis_source):
            const = const | (src < 0)
        return const

    def source(self, *position: int) -> tuple[int, ...] | None:
        """The input cell a grid cell shows (itself, or the one padding copies), or None."""
        src = tuple(int(a[p]) for a, p in zip(self.axis_source, position))
        return None if min(src) < 0 else src

    # ---- MAC records (gather order)

    def cell_start(self, n: int, out_channel: int, *position: int) -> int:
        """Index of the first MAC of one output cell."""
        cell = np.ravel_multi_index((n, out_channel, *position), self.y.shape)
        return self.cell_offset(int(cell))

    def cell_stop(self, n: int, out_channel: int, *position: int) -> int:
        """One past the index of the last MAC of one output cell."""
        cell = np.ravel_multi_index((n, out_channel, *position), self.y.shape)
        return self.cell_offset(int(cell) + 1)

    def cell_macs(self, n: int, out_channel: int, *position: int) -> np.ndarray:
        """All MACs that produce one output cell, in order."""
        start = self.cell_start(n, out_channel, *position)
        return self.macs(start, self.cell_stop(n, out_channel, *position))

    def macs(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """MAC records ``start`` to ``stop`` as a structured array (see ``fields``)."""
        stop = _checked_range(start, stop, self.num_macs)
        first = self.cell_of(start)
        last = self.cell_of(stop - 1) + 1 if stop > start else first
        table = self._cells_table(first, last)
        base = self.cell_offset(first)
        return table[start - base : stop - base]

    def iter_macs(self, chunk: int = CHUNK):
        """Every MAC in order, as structured arrays of about ``chunk`` records."""
        m = self.macs_per_cell
        cells = max(1, chunk // m)
        for first in range(0, self.num_cells, cells):
            yield self._cells_table(first, min(first + cells, self.num_cells))

    def _cells_table(self, first: int, last: int) -> np.ndarray:
        """The records of whole output cells ``first..last`` (running sums need whole cells)."""
        m = self.macs_per_cell
        cells = np.arange(first, last)
        n, oc, *opos = np.unravel_index(cells, self.y.shape)
        icl, *kpos = np.unravel_index(np.arange(m), (self.in_per_group, *self.kernel_size))
        group = oc // self.out_per_group
        if self.spec.pooling:
            ic = oc[:, None] + 0 * icl[None, :]
        else:
            ic = group[:, None] * self.in_per_group + icl[None, :]
        ipos = [
            a.start[o][:, None] + k[None, :] * a.dilation
            for o, k, a in zip(opos, kpos, self.windows)
        ]
        # windows smaller than the largest: their far taps are no MACs (clipped, then dropped)
        inside = np.ones((len(cells), m), dtype=bool)
        if self.varying:
            for o, k, a in zip(opos, kpos, self.windows):
                inside &= k[None, :] < a.size[o][:, None]
            ipos = [np.minimum(i, size - 1) for i, size in zip(ipos, self.grid.shape[2:])]
        x = self.grid[(n[:, None], ic, *ipos)]
        if self.kernel is None:
            w = np.ones_like(x)
            product = x.copy()
        else:
            w = self.kernel[(oc[:, None], icl[None, :], *(k[None, :] for k in kpos))]
            product = x * w
        neutral = product
        if self.varying:
            neutral = np.where(inside, product, -np.inf if self.spec.op == "max_pool" else 0.0)
        if self.spec.op == "max_pool":
            running = np.maximum.accumulate(neutral, axis=1)
        else:
            running = np.cumsum(neutral, axis=1)
        table = position_table(self.ndim, len(cells), m, (n, group, oc, opos, ic, kpos, ipos))
        for name, values in (("x", x), ("w", w), ("product", product), ("running_sum", running)):
            table[name] = values.ravel()
        return table[inside.ravel()] if self.varying else table

    # ---- the scatter view (transposed layers)

    @property
    def num_scatter_macs(self) -> int:
        return self.x.size * self.out_per_group * math.prod(self.kernel_size)

    def scatter_macs(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Scatter-order MACs of a transposed layer: each input cell stamps ``x × W``.

        Order: sample, input channel, input position, output channel of the
        group, kernel position. ``inside`` is False where a stamp falls in the
        cropped padding; ``running_sum`` is the output cell's value (bias
        excluded) once this MAC has landed, NaN where it does not land.
        """
        if not self.spec.transposed:
            raise ConvGifError(f"the scatter view needs a transposed layer, not {self.spec.name}")
        stop = _checked_range(start, stop, self.num_scatter_macs)
        # Running sums depend on every earlier stamp: replay from the start.
        canvas = np.zeros(self.y.shape)
        out = []
        for lo in range(0, stop, CHUNK):
            table = self.scatter_chunk(lo, min(lo + CHUNK, stop), canvas)
            if lo + len(table) > start:
                out.append(table[max(0, start - lo) :])
        return np.concatenate(out) if out else np.empty(0, table_dtype(scatter_fields(self.ndim)))

    def scatter_chunk(self, lo: int, hi: int, canvas: np.ndarray) -> np.ndarray:
        """Scatter-order MACs ``lo`` to ``hi``, their running sums continuing ``canvas`` (the
        output summed so far, canonical layout), which they update in place. A walk that
        carries its canvas reads each MAC once, where ``scatter_macs`` replays from 0."""
        nd = self.ndim
        steps = np.arange(lo, hi)
        per_input = self.out_per_group * math.prod(self.kernel_size)
        n, ic, *ipos = np.unravel_index(steps // per_input, self.x.shape)
        ocl, *kpos = np.unravel_index(steps % per_input, (self.out_per_group, *self.kernel_size))
        group = ic // self.in_per_group
        oc = group * self.out_per_group + ocl
        opos = [
            i * s - pb + k * d
            for i, k, s, d, (pb, _) in zip(ipos, kpos, self.spec.stride, self.dilation, self.pads)
        ]
        inside = np.ones(len(steps), dtype=bool)
        for o, size in zip(opos, self.out_spatial):
            inside &= (o >= 0) & (o < size)
        x = self.x[(n, ic, *ipos)]
        w = self.weight[(ic, ocl, *kpos)]
        product = x * w
        running = np.full(len(steps), np.nan)
        # Stamps of one chunk can land on the same cell: add them in rounds,
        # each round hitting every cell at most once, so order stays sequential.
        target = np.full(len(steps), -1, dtype=np.int64)
        target[inside] = np.ravel_multi_index(
            (n[inside], oc[inside], *(o[inside] for o in opos)), self.y.shape
        )
        flat = canvas.reshape(-1)
        order = np.argsort(target, kind="stable")
        sorted_t = target[order]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_t)) + 1]
        rank = np.empty(len(steps), dtype=np.int64)
        rank[order] = np.arange(len(steps)) - np.repeat(starts, np.diff(np.r_[starts, len(steps)]))
        for r in range(int(rank.max(initial=-1)) + 1):
            sel = np.flatnonzero((rank == r) & inside)
            flat[target[sel]] += product[sel]
            running[sel] = flat[target[sel]]

        table = np.empty(len(steps), dtype=table_dtype(scatter_fields(nd)))
        table["n"], table["group"], table["in_channel"] = n, group, ic
        out_names, ker_names, inp_names = axis_fields(nd)
        for name, i in zip(inp_names, ipos):
            table[name] = i
        table["out_channel"] = oc
        for name, k in zip(ker_names, kpos):
            table[name] = k
        for name, o in zip(out_names, opos):
            table[name] = o
        table["inside"] = inside
        table["x"], table["w"], table["product"], table["running_sum"] = x, w, product, running
        return table

    def iter_scatter_macs(self, chunk: int = CHUNK):
        """Every scatter-order MAC in order, as structured arrays of ``chunk`` records."""
        canvas = np.zeros(self.y.shape)
        total = self.num_scatter_macs
        for lo in range(0, total, chunk):
            yield self.scatter_chunk(lo, min(lo + chunk, total), canvas)

    def scatter_output(self) -> np.ndarray:
        """The output built by the scatter view (canonical layout), bias included."""
        canvas = np.zeros(self.y.shape)
        for lo in range(0, self.num_scatter_macs, CHUNK):
            self.scatter_chunk(lo, min(lo + CHUNK, self.num_scatter_macs), canvas)
        return canvas + self.bias.reshape((1, -1) + (1,) * self.ndim)


def _checked_range(start: int, stop: int | None, total: int) -> int:
    """``stop`` clipped to ``total`` (all when None); refuses a range that runs backwards."""
    stop = total if stop is None else min(stop, total)
    if not 0 <= start <= stop:
        raise ConvGifError(
            f"MAC range {NAME}={start}, stop={stop} must lie within 0..{total}", "start"
        )
    return stop
