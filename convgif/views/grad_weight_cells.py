"""The weight gradient cell by cell: each ∂L/∂w cell is a correlation of x with ∂L/∂y.

One frame per weight cell (and per sample of a batch): ∂L/∂y, dilated by the
stride, laid over x at the weight cell's offset ``k·D``: the x cells it lands
on are lit, outlined together, and ∂L/∂y is lit whole; the weight cell being
written holds their sum of products, which the caption writes out. The cells
written before keep their values, so ∂L/∂w fills in reading order. Every
number is read from the weight gradient's MAC records.
"""

from __future__ import annotations

import numpy as np

from convgif.frames.storyboard import FrameState, frame_index
from convgif.views.chrome import shape_text
from convgif.views.equation import plural, product_terms
from convgif.views.grad_panels import (
    D_W,
    D_Y,
    GradPicture,
    grads_of,
    index_name,
    weight_targets,
)
from convgif.views.options import DEFAULT, Options
from convgif.views.scene import Box, Scene
from convgif.views.text import fmt


class WeightCellsPicture(GradPicture):
    """∂L/∂w one cell at a time, each a correlation of x with the dilated ∂L/∂y."""

    def __init__(self, grads, options: Options = DEFAULT):
        super().__init__(grads, options)
        shape = grads.grad_weight.shape
        targets = weight_targets(self.records, shape)
        order = np.argsort(targets, kind="stable")  # each cell's records, in trace order
        bounds = np.searchsorted(targets[order], np.arange(np.prod(shape) + 1))
        # the weight cells drawn, in reading order of the page: kernel grid after grid
        first = {}
        for i in range(len(bounds) - 1):
            if bounds[i] < bounds[i + 1]:
                m = self.records[order[bounds[i]]]
                key = (int(m["out_channel"]), int(m["in_channel"]) % self.trace.in_per_group)
                first.setdefault(key, []).append(i)
        self.cells = [i for key in self.layout.kernels for i in first.get(key, [])]
        self._order, self._bounds, self._shape = order, bounds, shape

    @property
    def pace(self) -> str:
        return "output"

    def __len__(self) -> int:
        return len(self.cells) * self.trace.batch + 2

    def _rows(self, flat: int, upto_n: int | None = None) -> np.ndarray:
        """The records of weight cell ``flat`` (of samples 0..``upto_n``), in order."""
        rows = self.records[self._order[self._bounds[flat]:self._bounds[flat + 1]]]
        return rows if upto_n is None else rows[rows["n"] <= upto_n]

    def _state(self, index: int) -> tuple[FrameState, int, int]:
        """(frame state, which weight cell, which sample) of frame ``index``."""
        count = len(self)
        index = frame_index(index, count)
        if index == 0:
            return FrameState(index, count, "open"), -1, 0
        if index == count - 1:
            return FrameState(index, count, "close"), len(self.cells), 0
        which, n = divmod(index - 1, self.trace.batch)
        return FrameState(index, count, "step", n=n), which, n

    def scene(self, index: int, *, since: int | None = None, shown: int | None = None) -> Scene:
        state, which, n = self._state(index)
        lay = self.layout
        items = []
        for flat in self.cells[:which]:  # written before: their final values
            items += self._weight_cells(self._rows(flat)[-1:], "weight")
        if state.phase == "step":
            items += self._correlation(self.cells[which], n)
        items += self._caption(self._captions(state, which, n), state, shown)
        return Scene(lay.width, lay.height, self.static_for(n), tuple(items))

    def _correlation(self, flat: int, n: int) -> list:
        """∂L/∂y laid over x at the cell's offset: the taps, their outline, ∂L/∂y lit, the
        weight cell with its sum so far, and the connectors."""
        t, lay = self.trace, self.layout
        rows = self._rows(flat)
        mine = rows[rows["n"] == n]
        items = self._tap_cells(mine)
        ch, oc = int(mine["in_channel"][0]), int(mine["out_channel"][0])
        kgrid = lay.kernels[(oc, ch % t.in_per_group)]
        items += self._weight_cells(self._rows(flat, n)[-1:], "kernel_active")
        ogrid = lay.outputs.get(oc)
        grid = lay.inputs.get(ch)
        if grid is not None:
            items += self._spans(grid, mine, kgrid)
        if ogrid is None:
            return items
        for pos in np.ndindex(*t.out_spatial):
            items += self._cell(*self._at(ogrid, pos), "output_active",
                                self.grads.grad_y[(n, oc, *pos)])
        rect = (ogrid.x, ogrid.y, ogrid.width, ogrid.height)
        items.append(Box(*rect, edge="window", edge_width=2.5))
        return items + self._path_to_output(oc, [kgrid], ogrid, rect)

    def _spans(self, grid, rows: np.ndarray, kgrid) -> list:
        """The outline of the taps on each depth slice they reach, and the connector from
        the first down to the ∂L/∂w grid."""
        pos = np.stack([rows[f] for f in self.trace.input_fields], axis=1)
        depths = sorted(set(pos[:, 0].tolist())) if pos.shape[1] == 3 else [None]
        items = []
        for d in depths:
            here = pos if d is None else pos[pos[:, 0] == d]
            sl = grid if d is None else grid.slice(d)
            r0, c0 = self._rc(*here.min(axis=0).tolist())
            r1, c1 = self._rc(*here.max(axis=0).tolist())
            items.append(Box(*sl.span(r0, c0, r1, c1), edge="window", edge_width=2.5))
        if self.options.lines:
            x, _, w, _ = items[0].x, items[0].y, items[0].w, items[0].h
            items += self._to_kernel(x + w / 2, grid, kgrid, [])
        return items

    def _captions(self, state, which: int, n: int) -> list[str]:
        t, g = self.trace, self.grads
        dilation, stride = shape_text(t.dilation), shape_text(t.stride)
        if state.phase == "open":
            return [f"Each cell of {D_W} is a correlation of x with {D_Y}: {D_Y}, its cells "
                    f"spread S = {stride} apart, laid over x at the cell's offset k\u00b7D",
                    f"(D = {dilation}); the products of the cells that meet, summed."]
        if state.phase == "close":
            return [f"Done: {D_W} {shape_text(g.grad_weight.shape)}, "
                    f"{plural(len(self.cells), 'cell')} drawn, each a sum of "
                    f"{plural(t.num_cells // t.out_channels, 'product')} (PyTorch's "
                    "weight.grad)."]
        flat = self.cells[which]
        index = np.unravel_index(flat, self._shape)
        rows = self._rows(flat, n)
        mine = rows[rows["n"] == n]
        kpos = tuple(int(mine[f][0]) for f in t.kernel_fields)
        offset = shape_text(tuple(k * d for k, d in zip(kpos, t.dilation)))
        sample = f" of sample {n}" if t.batch > 1 else ""
        head = (f"{D_W}[{index_name(index)}]: {D_Y}[{int(mine['out_channel'][0])}]{sample} "
                f"over x[{int(mine['in_channel'][0])}] at offset k\u00b7D = {offset}, "
                f"its cells S = {stride} apart")
        terms = " + ".join(product_terms(rows["x"], rows["grad_output"]))
        so_far = "" if n == t.batch - 1 else "   (so far: samples to come)"
        return [head, f"= {terms} = {fmt(float(rows['running_sum'][-1]))}{so_far}"]


def weight_cells_view(layer, x, grad_output=None, *,
                      options: Options = DEFAULT) -> WeightCellsPicture:
    """The weight gradient's second picture: one frame per ∂L/∂w cell, a correlation of x
    with ∂L/∂y (dilated by the stride). Arguments as ``weight_grad_view``'s."""
    return WeightCellsPicture(grads_of(layer, x, grad_output), options)
