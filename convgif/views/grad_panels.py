"""What the weight-gradient pictures share: the gather view's page, drawn for ∂L/∂w.

The page is the gather view's (``GatherPicture``): the input x on top, under it
one row per output channel, its kernels under the input channels they slide
over, then its output. Here the kernel grids hold ∂L/∂w (empty until a
gradient lands in them), the node where the forward pass sums becomes a ×
(the output gradient multiplies what the window reads), and the output grids
hold ∂L/∂y, the gradient that comes back. Every number drawn is read from the
weight gradient's MAC records (``convgif.simulate.grad_records``): no
gradient is computed here.
"""

from __future__ import annotations

import operator

import numpy as np

from convgif.errors import ConvGifError, refuse
from convgif.simulate import grad_records
from convgif.simulate.backward import GradTrace
from convgif.simulate.backward import backward as simulate_backward
from convgif.simulate.trace import DATA
from convgif.views.chrome import header, legend, shape_text, sum_bus, title, to_cell
from convgif.views.gather import GatherPicture
from convgif.views.layout import LABEL_SIZE
from convgif.views.panels import SUM_SIZE, grid_labels
from convgif.views.scene import Box, Text
from convgif.views.terms import as_given
from convgif.views.text import distinct, fmt, widest

MAX_GRAD_RECORDS = 2_000_000  # the records a gradient picture holds at once (~100 B each)
TIMES = "\u00d7"
D_W, D_Y, D_B = "\u2202L/\u2202w", "\u2202L/\u2202y", "\u2202L/\u2202b"
# the legend's words for the gather view's roles, as the gradient pictures use them
GRAD_LEGEND = {
    "tap": "x in the window",
    "weight": f"{D_W} so far",
    "kernel_active": f"{D_W} being added to",
    "output": D_Y,
    "output_active": f"{D_Y} cell in use",
}


def check_weight_cell(weight_cell, shape: tuple[int, ...]) -> tuple[int, ...]:
    """``weight_cell``: an index of the weight (the layer's own layout); None: the first."""
    if weight_cell is None:
        return (0,) * len(shape)
    rule = f"must be an index of the weight, {len(shape)} integers within {shape_text(shape)}"
    try:
        cell = tuple(operator.index(i) for i in weight_cell)
    except TypeError:
        raise refuse("weight_cell", weight_cell, rule) from None
    if len(cell) != len(shape) or any(isinstance(i, bool) for i in weight_cell) or not all(
            0 <= i < n for i, n in zip(cell, shape)):
        raise refuse("weight_cell", weight_cell, rule)
    return cell


def weight_shape(grads: GradTrace) -> tuple[int, ...]:
    """The shape of ∂L/∂w; a backward pass without one (a pool's) is refused."""
    if not isinstance(grads, GradTrace):
        raise ConvGifError(f"grads={type(grads).__name__} must be a layer's backward pass "
                           "(convgif.simulate.backward.GradTrace)", "grads")
    grad_records.check_grad(grads, "weight")
    return grads.grad_weight.shape


def weight_records(grads: GradTrace) -> np.ndarray:
    """Every record of ∂L/∂w, in the forward trace's order (record i is MAC i's)."""
    weight_shape(grads)
    count = grad_records.record_count(grads, "weight")
    if count > MAX_GRAD_RECORDS:
        raise ConvGifError(f"the weight gradient has {count:,} records, more than a picture "
                           f"shows ({MAX_GRAD_RECORDS:,}): give a smaller input", "x")
    return grad_records.records(grads, "weight")


def weight_targets(records: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Each record's weight cell, flat in the weight's shape."""
    wk = [f for f in ("wkz", "wky", "wkx") if f in records.dtype.names]
    return np.ravel_multi_index((records["w0"], records["w1"], *(records[f] for f in wk)),
                                shape)


def grads_of(layer, x, grad_output=None) -> GradTrace:
    """The backward pass of ``layer`` on ``x`` for ``grad_output`` (None: the layer's own
    made-up output gradient, as ``layer.backward`` makes it)."""
    if grad_output is None:
        return layer.backward(x).trace
    return simulate_backward(layer.trace(x), grad_output)


def index_name(index) -> str:
    return ", ".join(str(int(i)) for i in index)


class GradPicture(GatherPicture):
    """The gather view's page holding ∂L/∂w and ∂L/∂y (a base of the weight pictures)."""

    def __init__(self, grads: GradTrace, options):
        self.grads = grads
        self.records = weight_records(grads)
        if options.values is None:  # a gradient is its numbers: cells sized to write them
            options = options._replace(values=True)
        super().__init__(grads.trace, options)

    # ---- words

    def _title_parts(self) -> list[str]:
        t = self.trace
        parts = title(t)
        weight = shape_text(self.grads.grad_weight.shape)
        return [f"{D_W} {weight} from x {parts[0].split(': ', 1)[1]}",
                f"and {D_Y} {parts[1].split(': ', 1)[1]}", *parts[2:]]

    def _kernel_name(self, oc: int, icl: int) -> str:
        return f"{D_W}{'′' if self.trace.spec.transposed else ''}[{oc}, {icl}]"

    def _output_header(self) -> str:
        t = self.trace
        return f"output gradient {D_Y} {shape_text(as_given(t.spec, t.y.shape[1:]))}"

    def _legend_entries(self) -> list[tuple[str, str]]:
        entries = [(role, GRAD_LEGEND.get(role, label))
                   for role, label in super()._legend_entries() if role != "output_empty"]
        return entries

    def _widest_label(self) -> str:
        """The widest number a cell shows: x, ∂L/∂y, every running sum of ∂L/∂w."""
        g = self.grads
        arrays = [self.trace.grid[np.isfinite(self.trace.grid)], g.grad_y,
                  self.records["running_sum"]]
        values = distinct(np.concatenate([a.ravel() for a in arrays]))
        if len(values) > 4096:
            values = values[np.linspace(0, len(values) - 1, 4096).astype(int)]
        return widest(fmt(v) for v in values)

    # ---- the static page

    def _build_static(self, n: int) -> tuple:
        items = header(self.title_lines, self.subtitle)
        items += legend(self.legend, self.layout.legend_y)
        items += self._marks()
        items += self._input_items(n)
        items += self._grad_kernel_items()
        items += self._grad_output_items(n)
        return tuple(items)

    def _grad_kernel_items(self) -> list:
        """The ∂L/∂w grids, empty (their values change frame by frame), and the × nodes."""
        t, lay, items = self.trace, self.layout, []
        for (oc, icl), grid in lay.kernels.items():
            items += self._kernel_label(oc, icl, grid)
            for pos in np.ndindex(*t.kernel_size):
                items += self._cell(*self._at(grid, pos), "paper")
        for node in lay.sums.values():
            items += self._times_node(node, lit=False)
        return items

    def _times_node(self, node, lit: bool) -> list:
        box = Box(node.x, node.y, node.cell, node.cell, fill="paper",
                  edge="window" if lit else "grid", edge_width=2.5 if lit else 1.0)
        x, y = node.center(0, 0)
        return [box, Text(x, y, TIMES, SUM_SIZE, "ink" if lit else "muted")]

    def _grad_output_items(self, n: int) -> list:
        """∂L/∂y of sample ``n``, every cell with its value."""
        lay, g = self.layout, self.grads
        ox, oy = lay.output_header
        items = [Text(ox, oy, self._output_header(), LABEL_SIZE, "ink", anchor="lm", bold=True)]
        for oc, grid in lay.outputs.items():
            items += grid_labels(grid, f"{D_Y}[{oc}")
            for pos in np.ndindex(*self.trace.out_spatial):
                items += self._cell(*self._at(grid, pos), "output", g.grad_y[(n, oc, *pos)])
        return items

    # ---- what frames light

    def _weight_cells(self, rows: np.ndarray, role: str) -> list:
        """The ∂L/∂w cells of ``rows`` (weight records), each with its running sum."""
        t, lay, items = self.trace, self.layout, []
        kf = t.kernel_fields
        for m in rows:
            grid = lay.kernels.get((int(m["out_channel"]), int(m["in_channel"]) % t.in_per_group))
            if grid is not None:
                kpos = tuple(int(m[f]) for f in kf)
                items += self._cell(*self._at(grid, kpos), role, float(m["running_sum"]))
        return items

    def _tap_cells(self, rows: np.ndarray) -> list:
        """The input cells the records ``rows`` read, lit with the value each read."""
        t, lay, items = self.trace, self.layout, []
        pf = t.input_fields
        for m in rows:
            grid = lay.inputs.get(int(m["in_channel"]))
            if grid is not None:
                pos = tuple(int(m[f]) for f in pf)
                dashed = bool(t.grid_kind[pos] != DATA)
                items += self._cell(*self._at(grid, pos), "tap", float(m["x"]), dashed=dashed)
        return items

    def _path_to_output(self, oc: int, kernels: list, ogrid, rect, k: int = 0,
                        n: int = 1) -> list:
        """From the ∂L/∂w grids in use along the bus to the × node, and on to ``rect`` on
        ∂L/∂y[oc]: the output gradient that multiplies the window."""
        lay = self.layout
        node = lay.sums[oc]
        items = self._times_node(node, lit=True)
        if not self.options.lines or not kernels:
            return items
        items += sum_bus(kernels, node, lay.riser_x)
        lane, open_left = self._lane_to(ogrid, k, n)
        if open_left:  # every ∂L/∂y cell holds a value: meet the grid at the cell's row
            rect = (ogrid.x, *rect[1:])
        return items + to_cell(node.x + node.cell, node.y + node.cell / 2, ogrid, rect, lane,
                               open_left)
