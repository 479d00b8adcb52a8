"""Where each grid goes: the input row, the kernel rows with their Σ and bias, the
outputs (aligned with their rows or in the output panel), the group bands."""

from __future__ import annotations

from dataclasses import dataclass, field

from convgif.views.channels import hidden_at
from convgif.views.grid import Grid
from convgif.views.plan import Measure, Plan
from convgif.views.sizes import LABEL, MARGIN, sum_node, sum_width


@dataclass
class Placed:
    """The grids placed so far, and the ellipses standing for channels left out."""

    inputs: dict = field(default_factory=dict)
    kernels: dict = field(default_factory=dict)
    biases: dict = field(default_factory=dict)
    sums: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)
    ellipses: list = field(default_factory=list)
    heads: set = field(default_factory=set)  # the first row of each band's Σ column


def place_inputs(plan: Plan, size: Measure, cell: float, y_input: float, columns: list,
                 placed: Placed) -> None:
    """A band's input channels (``columns`` of ``plan.shown_in``), each grid centred in its
    column, and the ellipses between them."""
    inputs, ellipses = placed.inputs, placed.ellipses
    x = MARGIN + size.lead
    grid_w = plan.grid.width(cell)
    for index in columns:
        ch, column_w = plan.shown_in[index], size.widths[index]
        if ch is None:
            hidden = hidden_at(plan.shown_in, index)
            ellipses.append((x + column_w / 2, y_input + plan.grid.height(cell) / 2, hidden))
        else:
            inputs[ch] = plan.grid.grid(x + (column_w - grid_w) / 2, y_input, cell)
        x += column_w + size.channel_gap


def place_pooled(plan: Plan, cell: float, y_rows: float, channels, placed: Placed) -> float:
    """Pooling: each output channel of a band's input ``channels`` centred under the input
    channel it pools; returns the band's bottom."""
    for oc in channels:
        src = placed.inputs[oc]
        ow = plan.out.width(cell)
        placed.outputs[oc] = plan.out.grid(src.x + (src.width - ow) / 2, y_rows + LABEL, cell)
    return y_rows + LABEL + plan.out.height(cell)


def place_rows(plan: Plan, size: Measure, cell: float, at, band, placed: Placed) -> float:
    """One row per output channel of a band from ``at`` = (the input rows' right end, the
    rows' top): its kernels under their input channels, and in the last band it has a
    row in, its Σ and bias and its output grid (unless the outputs are in a panel); an
    ellipsis for the output channels left out. ``band`` = (its rows and the rows it ends,
    as indices into ``plan.shown_out``; its input channels). Returns the rows' bottom."""
    right, row_top = at
    rows, ends, channels = band
    kernels, biases, outputs = placed.kernels, placed.biases, placed.outputs
    in_pg, out_pg = plan.per_group
    for index in rows:
        oc = plan.shown_out[index]
        if oc is None:
            if index in ends:
                hidden = hidden_at(plan.shown_out, index)
                placed.ellipses.append(
                    (right + size.gap + cell / 2, row_top + (LABEL + 8) / 2, -hidden))
            row_top += LABEL + 8 + size.row_gap
            continue
        g = oc // out_pg
        top_cells = row_top + size.row_band
        inner = size.row_h - size.row_band
        for icl in range(in_pg):
            src = placed.inputs.get(g * in_pg + icl)
            if src is None or g * in_pg + icl not in channels:
                continue
            kx = src.x + (src.width - plan.kernel.width(cell)) / 2
            ky = top_cells + (inner - plan.kernel.height(cell)) / 2
            kernels[(oc, icl)] = plan.kernel.grid(kx, ky, cell)
        row_top += size.row_h + size.row_gap
        if index not in ends:
            continue
        node = sum_node(cell)
        sum_x = right + size.gap
        placed.sums[oc] = Grid(sum_x, top_cells + (inner - node) / 2, 1, 1, node)
        out_x = sum_x + node + size.col_gap
        if plan.bias:
            bias_x = sum_x + sum_width(cell)
            biases[oc] = Grid(bias_x, top_cells + (inner - cell) / 2, 1, 1, cell)
            out_x = bias_x + cell + size.col_gap
        if size.panel is None:
            out_y = top_cells + (inner - plan.out.height(cell)) / 2
            outputs[oc] = plan.out.grid(out_x, out_y, cell)
    return row_top - size.row_gap


def place_below(plan: Plan, size: Measure, cell: float, top: float, placed: Placed) -> tuple:
    """The output panel under the rows from ``top``, starting under the first input's first
    real cell (a 1-d output under the input it was computed from); returns (the lane right
    of the rows and the panel, the header's place)."""
    x0 = plan.below_x(cell, size.lead, size.widths)
    y0 = top + size.gap + LABEL
    drawn = [oc for oc in plan.shown_out if oc is not None]
    for k, oc in enumerate(drawn):
        dx, dy = size.panel.offset(k)
        placed.outputs[oc] = plan.out.grid(x0 + dx, y0 + dy + LABEL, cell)
    right = max(MARGIN + size.left_w, x0 + size.panel.width)
    return right + size.col_gap / 2, (x0, y0 - LABEL / 2)


def place_panel(plan: Plan, size: Measure, cell: float, placed: Placed) -> float:
    """The output grids in the panel right of the rows, in reading order under its header
    line (level with the input panel's); returns the panel's left edge."""
    panel, x0 = size.panel, MARGIN + size.left_w + size.col_gap
    drawn = [oc for oc in plan.shown_out if oc is not None]
    for k, oc in enumerate(drawn):
        dx, dy = panel.offset(k)
        placed.outputs[oc] = plan.out.grid(x0 + dx, size.top + LABEL + dy + LABEL, cell)
    return x0


def bands(plan: Plan, size: Measure, placed: Placed) -> tuple:
    """(group, x, y, w, h): a box around each group's input columns, down to the last row
    of the band it is in."""
    in_pg, out_pg = plan.per_group
    inputs = placed.inputs
    pad = min(6.0, size.channel_gap / 2 - 3)  # neighbouring bands keep a gap between them
    column_of = dict(zip(plan.shown_in, size.widths))
    band_of = {plan.shown_in[i] // in_pg: b for b, cols in enumerate(plan.band_columns())
               for i in cols if plan.shown_in[i] is not None}
    row_grids = [*((oc, g) for (oc, _), g in placed.kernels.items()),
                 *placed.biases.items(), *placed.sums.items()]
    if size.panel is None:
        row_grids += placed.outputs.items()
    bottoms: dict = {}
    for oc, grid in row_grids:
        b = band_of[oc // out_pg]
        bottoms[b] = max(bottoms.get(b, 0.0), grid.y + grid.height)
    boxes = []
    for g in range(plan.groups):
        members = [c for c in range(g * in_pg, (g + 1) * in_pg) if c in inputs]
        if not members:
            continue
        # around the members' columns (a grid is centred in its column)
        first, last = inputs[members[0]], inputs[members[-1]]
        left = first.x - (column_of[members[0]] - first.width) / 2 - pad
        right = last.x + (column_of[members[-1]] + last.width) / 2 + pad
        upper = first.y - LABEL + 1
        boxes.append((g, left, upper, right - left, bottoms[band_of[g]] - upper + pad))
    return tuple(boxes)
