"""The bias gradient: ∂L/∂b[c] is the sum of ∂L/∂y[c] over the batch and every position.

A short animation: one frame per output channel (and per sample of a batch),
in the order of the bias gradient's records. The frame lights every cell of
∂L/∂y[c], sums them in the Σ under the grid and writes the running sum into
∂L/∂b[c]; the caption adds the cells up with their values. Channels summed
before keep their ∂L/∂b. Every number is read from the bias records
(``convgif.simulate.grad_records``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from convgif.errors import ConvGifError
from convgif.frames.storyboard import FrameState, frame_index
from convgif.simulate import grad_records
from convgif.simulate.backward import GradTrace
from convgif.views.chrome import (
    CONNECTOR_WIDTH,
    DASH,
    LIT_EDGE,
    caption,
    frame_counter,
    header,
    legend,
    legend_width,
    shape_text,
    title,
    title_lines,
    title_width,
)
from convgif.views.grad_panels import D_B, D_Y, grads_of
from convgif.views.grid import Grid, rc, rows_2d, slice_gap
from convgif.views.layout import (
    LABEL,
    LABEL_SIZE,
    MARGIN,
    SUBTITLE_SIZE,
    Head,
    caption_top,
    page_height,
)
from convgif.views.panels import SUM_SIZE, grid_labels
from convgif.views.scene import Box, Line, Scene, Text
from convgif.views.sizes import MAX_WIDTH
from convgif.views.text import (
    MIN_VALUE_SIZE,
    cell_for,
    distinct,
    fmt,
    term,
    text_width,
    value_fit,
    value_size,
    widest,
)
from convgif.views.view import View

MAX_CELL, LEAST_CELL = 40.0, 32.0
SHOWN_TERMS = 8  # cells written out in the caption's sum before the rest are folded
LEGEND = (("output", D_Y), ("output_active", f"{D_Y} being summed"), ("bias", f"{D_B} so far"),
          ("kernel_active", f"{D_B} being written"))


@dataclass(frozen=True)
class BiasLayout:
    width: float
    height: float
    cell: float
    grads: dict  # out channel -> Grid of ∂L/∂y[c]
    sums: dict  # out channel -> Grid (1 × 1): the Σ under it
    biases: dict  # out channel -> Grid (1 × 1): ∂L/∂b[c]
    legend_y: float
    caption_y: float


def cell_at(grid: Grid, pos) -> tuple:
    """(grid, row, col) of an output position: a 3-d one on its depth slice."""
    if len(pos) == 3:
        return (grid.slice(pos[0]), pos[1], pos[2])
    return (grid, *rc(pos))


def sum_terms(values: np.ndarray) -> str:
    """``1 + (−2) + 3`` or, when long, the first non-zero cells and ``12 more (sum −7)``,
    ``5 zeros``: every cell accounted for, so the sum can be checked."""
    if len(values) <= SHOWN_TERMS:
        return " + ".join(term(v) for v in values)
    nonzero = np.flatnonzero(values != 0)
    shown = nonzero[:SHOWN_TERMS - 2]
    parts = [term(values[k]) for k in shown]
    rest = nonzero[len(shown):]
    if len(rest):
        parts.append(f"{len(rest)} more (sum {fmt(float(values[rest].sum()))})")
    zeros = len(values) - len(nonzero)
    if zeros:
        parts.append(f"{zeros} zero{'s' if zeros > 1 else ''}")
    return " + ".join(parts)


class BiasGradPicture(View):
    """∂L/∂b summed channel by channel (see the module's doc)."""

    pace = "output"
    show_values = True  # cells are sized for their values (LEAST_CELL and up)

    def __init__(self, grads: GradTrace):
        if not isinstance(grads, GradTrace):
            raise ConvGifError(f"grads={type(grads).__name__} must be a layer's backward "
                               "pass (convgif.simulate.backward.GradTrace)", "grads")
        grad_records.check_grad(grads, "bias")
        self.grads, self.trace = grads, grads.trace
        self.records = grad_records.records(grads, "bias")  # one a cell of ∂L/∂y: few
        t = self.trace
        parts = title(t)
        self.title_parts = [f"{D_B} {shape_text(grads.grad_b.shape)} = \u03a3 {D_Y} "
                            f"{parts[1].split(': ', 1)[1]} over N and the positions",
                            f"from x {parts[0].split(': ', 1)[1]}", *parts[2:]]
        self.subtitle = t.layer
        self.blocks = t.batch * t.out_channels  # frames between the opening and the close
        self.layout = self._lay_out()
        lines = title_lines(self.title_parts, self.layout.width)
        if len(lines) > 1:  # room for the second title line
            self.layout = self._lay_out(len(lines))
        self.title_lines = title_lines(self.title_parts, self.layout.width)
        self._statics = {}

    def _lay_out(self, lines: int = 1) -> BiasLayout:
        """Each channel's ∂L/∂y grid, under it its Σ and ∂L/∂b; channels side by side,
        wrapping into rows on a page at most ``MAX_WIDTH`` wide."""
        t, g = self.trace, self.grads
        rows, cols = rows_2d(t.out_spatial)
        depth = t.out_spatial[0] if t.ndim == 3 else 1
        values = distinct(np.concatenate([g.grad_y.ravel(), self.records["running_sum"]]))
        cell = min(MAX_CELL, max(LEAST_CELL, cell_for(MIN_VALUE_SIZE + 2,
                                                      widest(fmt(v) for v in values))))
        label_w = text_width(f"{D_Y}[{t.batch - 1}, {t.out_channels - 1}]", LABEL_SIZE) + 8
        # the bias cell's name sits right of it, under the grid's middle
        named_w = cols * cell / 2 + cell / 2 + 6 + text_width(f"{D_B}[{t.out_channels - 1}]",
                                                              LABEL_SIZE)
        grid_w = Grid(0, 0, rows, cols, cell, depth, slice_gap(cell)).width
        block_w = max(grid_w, label_w, named_w)
        gap = max(24.0, cell)
        fit = int((MAX_WIDTH - 2 * MARGIN + gap) // (block_w + gap))
        per_row = max(1, min(t.out_channels, fit))
        block_h = LABEL + rows * cell + 1.2 * cell + 3 * cell
        head = Head.under(lines)
        top = head.top + LABEL
        grads, sums, biases = {}, {}, {}
        for oc in range(t.out_channels):
            r, c = divmod(oc, per_row)
            x, y = MARGIN + c * (block_w + gap), top + r * (block_h + gap) + LABEL
            grads[oc] = Grid(x, y, rows, cols, cell, depth, slice_gap(cell))
            mid = x + cols * cell / 2
            sums[oc] = Grid(mid - cell / 2, y + rows * cell + 1.2 * cell, 1, 1, cell)
            biases[oc] = Grid(mid - cell / 2, sums[oc].y + 2 * cell, 1, 1, cell)
        n_rows = math.ceil(t.out_channels / per_row)
        body_w = per_row * block_w + (per_row - 1) * gap
        words = [text_width(self.subtitle, SUBTITLE_SIZE), legend_width(LEGEND)]
        if lines > 1:  # the title's two lines (see chrome.title_lines)
            words += [title_width(DASH.join(self.title_parts[:2])),
                      title_width(DASH.join(self.title_parts[2:]))]
        width = math.ceil(max([2 * MARGIN + body_w, 640.0] + [w + 2 * MARGIN for w in words]))
        height = page_height(top + n_rows * block_h + (n_rows - 1) * gap)
        return BiasLayout(float(width), height, cell, grads, sums, biases, head.legend_y,
                          caption_top(height))

    def __len__(self) -> int:
        return self.blocks + 2

    @property
    def value_size(self) -> float:
        lay = self.layout
        return value_size(lay.cell, value_fit(lay.cell, widest(
            fmt(v) for v in distinct(np.concatenate(
                [self.grads.grad_y.ravel(), self.records["running_sum"]])))))

    def _cell(self, grid: Grid, r: int, c: int, fill: str, value=None, edge="grid",
              width: float = 1.0) -> list:
        x, y, w, h = grid.rect(r, c)
        items = [Box(x, y, w, h, fill=fill, edge=edge, edge_width=width)]
        if value is not None:
            items.append(Text(x + w / 2, y + h / 2, fmt(value), self.value_size))
        return items

    def _static(self, n: int) -> tuple:
        if n not in self._statics:
            lay, t = self.layout, self.trace
            items = header(self.title_lines, self.subtitle)
            items += legend(LEGEND, lay.legend_y)
            for oc, grid in lay.grads.items():
                sample = f"{n}, " if t.batch > 1 else ""
                items += grid_labels(grid, f"{D_Y}[{sample}{oc}")
                for pos in np.ndindex(*t.out_spatial):
                    items += self._cell(*cell_at(grid, pos), "output",
                                        self.grads.grad_y[(n, oc, *pos)])
                items += self._node(lay.sums[oc], False)
                b = lay.biases[oc]
                items.append(Text(b.x + b.cell + 6, b.y + b.cell / 2, f"{D_B}[{oc}]",
                                  LABEL_SIZE, "muted", anchor="lm"))
                items += self._cell(b, 0, 0, "paper")
            self._statics[n] = tuple(items)
        return self._statics[n]

    def _node(self, node: Grid, lit: bool) -> list:
        x, y = node.center(0, 0)
        return [Box(node.x, node.y, node.cell, node.cell, fill="paper",
                    edge="window" if lit else "grid", edge_width=LIT_EDGE if lit else 1.0),
                Text(x, y, "\u03a3", SUM_SIZE, "ink" if lit else "muted")]

    def _state(self, index: int) -> tuple[FrameState, int]:
        """(state, blocks of records summed so far, this frame's included)."""
        count = len(self)
        index = frame_index(index, count)
        if index == 0:
            return FrameState(index, count, "open"), 0
        if index == count - 1:
            return FrameState(index, count, "close"), self.blocks
        n, _ = divmod(index - 1, self.trace.out_channels)
        return FrameState(index, count, "step", n=n), index

    def scene(self, index: int, *, since: int | None = None, shown: int | None = None) -> Scene:
        state, done = self._state(index)
        lay = self.layout
        per = self.records.size // self.blocks  # records of one (sample, channel)
        summed = self.records[:done * per]
        items = []
        for oc, grid in lay.biases.items():
            mine = summed[summed["out_channel"] == oc]
            if len(mine):
                active = state.phase == "step" and int(summed["out_channel"][-1]) == oc
                items += self._cell(grid, 0, 0, "kernel_active" if active else "bias",
                                    float(mine["running_sum"][-1]),
                                    edge="window" if active else "grid",
                                    width=LIT_EDGE if active else 1.0)
        lines = self._captions(state, summed[-per:] if done else summed)
        if state.phase == "step":
            items += self._summing(summed[-per:], state.n)
        items += caption(lines, lay.caption_y, lay.width, frame_counter(state, shown))
        return Scene(lay.width, lay.height, self._static(state.n), tuple(items))

    def _summing(self, block: np.ndarray, n: int) -> list:
        """∂L/∂y[c] lit whole and outlined, down to the Σ, down to ∂L/∂b[c]."""
        lay, t = self.layout, self.trace
        oc = int(block["out_channel"][0])
        grid, node, bias = lay.grads[oc], lay.sums[oc], lay.biases[oc]
        items = []
        for m in block:
            pos = tuple(int(m[f]) for f in t.output_fields)
            items += self._cell(*cell_at(grid, pos), "output_active",
                                float(m["grad_output"]))
        items.append(Box(grid.x, grid.y, grid.width, grid.height, edge="window",
                         edge_width=LIT_EDGE))
        items += self._node(node, True)
        cx = node.x + node.cell / 2
        items.append(Line(cx, grid.y + grid.height, cx, node.y, width=CONNECTOR_WIDTH))
        items.append(Line(cx, node.y + node.cell, cx, bias.y, width=CONNECTOR_WIDTH))
        return items

    def _captions(self, state, block: np.ndarray) -> list[str]:
        t, g = self.trace, self.grads
        if state.phase == "open":
            return [f"The bias gradient: each bias adds into every cell of its output channel, "
                    f"so {D_B}[c] is the sum of every cell of {D_Y}[c]",
                    "over the batch and all positions."]
        if state.phase == "close":
            return [f"Done: {D_B} = ({', '.join(fmt(v) for v in g.grad_b)}), "
                    "PyTorch's bias.grad."]
        oc = int(block["out_channel"][0])
        sample = f" of sample {state.n}" if t.batch > 1 else ""
        so_far = "   (so far: samples to come)" if state.n < t.batch - 1 else ""
        return [f"{D_B}[{oc}] += every cell of {D_Y}[{oc}]{sample}:",
                f"{sum_terms(block['grad_output'])} \u2192 {D_B}[{oc}] = "
                f"{fmt(float(block['running_sum'][-1]))}{so_far}"]


def bias_grad_view(layer, x, grad_output=None) -> BiasGradPicture:
    """The bias gradient's picture: each output channel's ∂L/∂y summed into ∂L/∂b. Arguments
    as ``weight_grad_view``'s."""
    return BiasGradPicture(grads_of(layer, x, grad_output))
