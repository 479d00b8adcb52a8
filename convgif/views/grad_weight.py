"""The weight gradient as the window slides: ∂L/∂w fills up, window after window.

The window slides over x as in the forward pass (one frame per output cell,
groups side by side). Each step reads the window and the output gradient
∂L/∂y of the cell it wrote, and adds ``x_window × ∂L/∂y[cell]`` into every
cell of that output channel's ∂L/∂w at once: the window on x, the ∂L/∂y cell
in use and the ∂L/∂w grids being added to are lit, joined by connectors
(window → ∂L/∂w ← × ← ∂L/∂y). The caption follows one chosen weight cell
(``weight_cell``, default the first), its running sum with the real numbers.
Each group's kernels read only their own input channels, as in the forward pass.
"""

from __future__ import annotations

import math

import numpy as np

from convgif.views.chrome import shape_text
from convgif.views.equation import plural, product_terms
from convgif.views.grad_panels import (
    D_W,
    D_Y,
    TIMES,
    GradPicture,
    check_weight_cell,
    grads_of,
    index_name,
    weight_shape,
    weight_targets,
)
from convgif.views.options import DEFAULT, Options
from convgif.views.scene import Scene
from convgif.views.terms import index_text
from convgif.views.text import fmt


class WeightGradPicture(GradPicture):
    """∂L/∂w built up window by window (see the module's doc)."""

    def __init__(self, grads, weight_cell=None, options: Options = DEFAULT):
        self.weight_cell = check_weight_cell(weight_cell, weight_shape(grads))
        # one frame per window: every window adds into ∂L/∂w, so none is skipped
        super().__init__(grads, options._replace(step="output", outputs=None, flip=False))
        targets = weight_targets(self.records, grads.grad_weight.shape)
        flat = np.ravel_multi_index(self.weight_cell, grads.grad_weight.shape)
        self.chosen = np.flatnonzero(targets == flat)  # record indices, in order

    @property
    def pace(self) -> str:
        return "output"

    # ---- where the walk is

    def _visited(self, state, oc: int) -> tuple[int, int] | None:
        """The record range (start, stop) of the last window of ``oc`` added so far (this
        frame's included); None before its first."""
        board, t = self.storyboard, self.trace
        if state.phase == "open" or not board.animates(oc):
            return None
        last_slot = board.slots - 1 if state.phase == "close" else state.slot
        last_n = t.batch - 1 if state.phase == "close" else state.n
        shape = tuple(len(r) for r in board.region)
        size = math.prod(shape)
        which = board.locals.index(oc % t.out_per_group)
        for n in range(last_n, -1, -1):
            base = (n * len(board.locals) + which) * size
            if base <= last_slot:
                local = np.unravel_index(min(last_slot - base, size - 1), shape)
                pos = tuple(r.start + int(p) for r, p in zip(board.region, local))
                return t.cell_start(n, oc, *pos), t.cell_stop(n, oc, *pos)
        return None

    # ---- a frame

    def scene(self, index: int, *, since: int | None = None, shown: int | None = None) -> Scene:
        state = self.storyboard.frame(index)
        lay = self.layout
        active = {cell.out_channel for cell in state.cells}
        items = []
        for oc in sorted({oc for oc, _ in lay.kernels}):
            span = self._visited(state, oc)
            if span is not None:
                role = "kernel_active" if oc in active else "weight"
                items += self._weight_cells(self.records[span[0]:span[1]], role)
        for k, cell in enumerate(state.cells):
            items += self._step(state, cell, k, len(state.cells))
        items += self._caption(self._captions(state), state, shown)
        return Scene(lay.width, lay.height, self.static_for(state.n), tuple(items))

    def _step(self, state, cell, k: int, n: int) -> list:
        """One window: its taps lit, its outline on each channel it reads, the ∂L/∂w grids
        it adds into, the ∂L/∂y cell that multiplies it, and the connectors between."""
        ogrid = self.layout.outputs.get(cell.out_channel)
        if ogrid is None:
            return []
        rows = self.records[cell.start:cell.stop]
        items = self._tap_cells(rows)
        ocell = self._at(ogrid, state.position)
        items += self._cell(*ocell, "output_active", float(rows["grad_output"][0]),
                            edge="window", width=2.5)
        channels = sorted(set(rows["in_channel"].tolist()))
        rect = ocell[0].rect(*ocell[1:])
        items += self._outlines(state, cell, channels, ogrid, rect)
        t, lay = self.trace, self.layout
        kernels = [lay.kernels[(cell.out_channel, ch % t.in_per_group)] for ch in channels
                   if ch in lay.inputs and (cell.out_channel, ch % t.in_per_group) in lay.kernels]
        return items + self._path_to_output(cell.out_channel, kernels, ogrid, rect, k, n)

    # ---- words

    def _captions(self, state) -> list[str]:
        t, g = self.trace, self.grads
        if state.phase == "open":
            return [f"The backward pass for {D_W}: the window slides over x as in the forward "
                    f"pass; each step adds x_window {TIMES} {D_Y}[cell]",
                    f"into every cell of that channel's {D_W} at once. Followed below: "
                    f"{D_W}[{index_name(self.weight_cell)}]."]
        if state.phase == "close":
            windows = plural(t.num_cells, "window")
            return [f"Done: {D_W} {shape_text(g.grad_weight.shape)} is the sum over {windows} "
                    f"of x_window {TIMES} {D_Y}[cell] (PyTorch's weight.grad).",
                    self._chosen_equation(state)]
        cell = state.cells[0]
        sample = state.n if t.batch > 1 else None
        at = index_text(t.spec, cell.out_channel, state.position, sample)
        grad = fmt(float(self.records["grad_output"][cell.start]))
        line = f"{D_W}[{cell.out_channel}] += x_window {TIMES} {D_Y}[{at}] (= {grad})"
        if len(state.cells) > 1:
            line += f", and the same for {plural(len(state.cells) - 1, 'more group')}"
        return [line, self._chosen_equation(state)]

    def _chosen_equation(self, state) -> str:
        """``∂L/∂w[0, 0, 1, 2] = 1·2 + 0·(−1) + … = 7   (so far)``: the chosen weight cell's
        products (x · ∂L/∂y) so far, and their running sum."""
        name = f"{D_W}[{index_name(self.weight_cell)}]"
        chosen = self.chosen
        if not len(chosen):
            return f"{name} = 0: no window reads a tap for it"
        oc = int(self.records["out_channel"][chosen[0]])
        span = self._visited(state, oc)
        done = chosen[chosen < span[1]] if span is not None else chosen[:0]
        if not len(done):
            return f"{name} = 0 so far (no window of channel {oc} yet)"
        rows = self.records[done]
        terms = " + ".join(product_terms(rows["x"], rows["grad_output"]))
        value = fmt(float(rows["running_sum"][-1]))
        so_far = "" if len(done) == len(chosen) else "   (so far)"
        return f"{name} = {terms} = {value}{so_far}"


def weight_grad_view(layer, x, grad_output=None, *, weight_cell=None,
                     options: Options = DEFAULT) -> WeightGradPicture:
    """The weight gradient's first picture: ∂L/∂w filling up as the window slides. ``layer``:
    a convgif layer (with weights); ``x``: its input; ``grad_output``: ∂L/∂y (None: the
    layer's made-up one, as ``layer.backward`` makes it); ``weight_cell``: the weight
    index the caption follows (default the first)."""
    return WeightGradPicture(grads_of(layer, x, grad_output), weight_cell, options)

