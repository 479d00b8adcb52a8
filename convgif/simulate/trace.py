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
from functools import cache, cached_property
from typing import NamedTuple

import numpy as np

from convgif.errors import NAME, ConvGifError
from convgif.layers.spec import LayerSpec

# What a grid cell is; a cell's kind is derived from its axes' kinds.
DATA, PAD, PAD_COPY, INSERTED, OVERFLOW = 0, 1, 2, 3, 4
KIND_NAMES = ("data", "pad", "pad_copy", "inserted", "overflow")

_OUT = ("oz", "oy", "ox")
_KER = ("kz", "ky", "kx")
_INP = ("iz", "iy", "ix")
_VALUES = ("x", "w", "product", "running_sum")  # the float columns, last in every table

CHUNK = 1 << 18  # MAC records per vectorised chunk: ~25 MB of records at most


class AxisFields(NamedTuple):
    """Names of the position columns of a MAC table, one per spatial axis."""

    output: tuple[str, ...]  # e.g. ("oy", "ox")
    kernel: tuple[str, ...]  # e.g. ("ky", "kx")
    input: tuple[str, ...]  # the grid position the kernel taps, e.g. ("iy", "ix")


@cache  # asked for on every MAC lookup
def axis_fields(ndim: int) -> AxisFields:
    """Names of the output, kernel and input position columns of a layer with ``ndim`` axes."""
    return AxisFields(_OUT[3 - ndim :], _KER[3 - ndim :], _INP[3 - ndim :])


@cache
def mac_fields(ndim: int) -> tuple[str, ...]:
    """The column names of a MAC table for a layer with ``ndim`` spatial axes."""
    out, ker, inp = axis_fields(ndim)
    return ("n", "group", "out_channel", *out, "in_channel", *ker, *inp, *_VALUES)


@cache
def scatter_fields(ndim: int) -> tuple[str, ...]:
    """Columns of the scatter view: input cell first, then where its stamp lands."""
    out, ker, inp = axis_fields(ndim)
    return ("n", "group", "in_channel", *inp, "out_channel", *ker, *out, "inside", *_VALUES)


@cache  # a dtype costs ~10 µs to build, a tenth of a cell's MAC lookup
def _table_dtype(fields: tuple[str, ...]) -> np.dtype:
    kinds = {"inside": np.bool_, **{f: np.float64 for f in _VALUES}}
    return np.dtype([(f, kinds.get(f, np.int32)) for f in fields])


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

    # ---- sizes

    @property
    def ndim(self) -> int:
        return self.spec.ndim

    @property
    def dilation(self) -> tuple:
        return self.spec.dilation

    @property
    def kernel_size(self) -> tuple:
        return self.spec.kernel_size

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
        return self.in_per_group * math.prod(self.kernel_size)

    @property
    def num_cells(self) -> int:
        return self.y.size

    @property
    def num_macs(self) -> int:
        return self.num_cells * self.macs_per_cell

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
        return int(cell) * self.macs_per_cell

    def cell_macs(self, n: int, out_channel: int, *position: int) -> np.ndarray:
        """All MACs that produce one output cell, in order."""
        start = self.cell_start(n, out_channel, *position)
        return self.macs(start, start + self.macs_per_cell)

    def macs(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """MAC records ``start`` to ``stop`` as a structured array (see ``fields``)."""
        stop = _checked_range(start, stop, self.num_macs)
        m = self.macs_per_cell
        first, last = start // m, -(-stop // m)
        table = self._cells_table(first, last)
        return table[start - first * m : stop - first * m]

    def iter_macs(self, chunk: int = CHUNK):
        """Every MAC in order, as structured arrays of about ``chunk`` records."""
        m = self.macs_per_cell
        cells = max(1, chunk // m)
        for first in range(0, self.num_cells, cells):
            yield self._cells_table(first, min(first + cells, self.num_cells))

    def _cells_table(self, first: int, last: int) -> np.ndarray:
        """The records of whole output cells ``first..last`` (running sums need whole cells)."""
        nd = self.ndim
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
            o[:, None] * s + k[None, :] * d
            for o, k, s, d in zip(opos, kpos, self.stride, self.dilation)
        ]
        x = self.grid[(n[:, None], ic, *ipos)]
        if self.kernel is None:
            w = np.ones_like(x)
            product = x.copy()
        else:
            w = self.kernel[(oc[:, None], icl[None, :], *(k[None, :] for k in kpos))]
            product = x * w
        if self.spec.op == "max_pool":
            running = np.maximum.accumulate(product, axis=1)
        else:
            running = np.cumsum(product, axis=1)

        table = np.empty(len(cells) * m, dtype=_table_dtype(self.fields))
        size = (len(cells), m)
        table["n"] = np.repeat(n, m)
        table["group"] = np.repeat(group, m)
        table["out_channel"] = np.repeat(oc, m)
        out_names, ker_names, inp_names = axis_fields(nd)
        for name, o in zip(out_names, opos):
            table[name] = np.repeat(o, m)
        table["in_channel"] = np.broadcast_to(ic, size).ravel()
        for name, k in zip(ker_names, kpos):
            table[name] = np.tile(k, len(cells))
        for name, i in zip(inp_names, ipos):
            table[name] = i.ravel()
        table["x"] = x.ravel()
        table["w"] = w.ravel()
        table["product"] = product.ravel()
        table["running_sum"] = running.ravel()
        return table

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
        return np.concatenate(out) if out else np.empty(0, _table_dtype(scatter_fields(self.ndim)))

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

        table = np.empty(len(steps), dtype=_table_dtype(scatter_fields(nd)))
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
