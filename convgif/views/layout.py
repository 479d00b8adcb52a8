"""Where everything goes, computed once per layer.

The picture reads like the weight tensor itself: the input channels side by
side in the top row; below them one row per output channel holding its
kernels, each kernel ``w[o, i]`` directly under the input channel ``i`` it
slides over (so groups show as a block diagonal), then that row's bias, then
the output channel ``y[o]`` at the row's end. Pooling has no weights: each
output channel sits under the input channel it pools.

Units are layout units (1 unit = 1 pixel at scale 1). The cell size adapts so
that small and medium layers fit a 1280 × 720 slide at scale 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from convgif.views.channels import hidden_at, shown
from convgif.views.grid import Grid, rows_2d, slice_gap
from convgif.views.text import text_width

MAX_WIDTH, MAX_HEIGHT = 1280, 720  # the slide a frame must read on
MAX_CELL, MIN_CELL = 40, 6
LEGIBLE_CELL = 18  # the smallest cell whose value stays readable, for views that do not measure
LARGE = 2400  # the largest page, for layers too big for a slide at the smallest cell
# Tried in turn (width, height, largest and smallest cell): a slide with legible values;
# a slide with values left out; for big layers, a large page without values.
FITS = (
    (MAX_WIDTH, MAX_HEIGHT, MAX_CELL, LEGIBLE_CELL),
    (MAX_WIDTH, MAX_HEIGHT, LEGIBLE_CELL - 1, MIN_CELL),
    (LARGE, LARGE, LEGIBLE_CELL - 1, MIN_CELL),
)


def slide_scale(width: float, height: float) -> float:
    """How much a frame shrinks when put on a 1280 × 720 slide (never enlarged)."""
    return min(1.0, MAX_WIDTH / width, MAX_HEIGHT / height)
MARGIN = 24
MIN_PAGE_WIDTH = 480.0  # a page is never narrower
LABEL = 18  # height of a grid's label line
TITLE_SIZE, SUBTITLE_SIZE, CAPTION_SIZE, LABEL_SIZE = 19, 14, 16, 13
TITLE_LINE = TITLE_SIZE + 6  # from one title line to the next
CAPTION_LINE = CAPTION_SIZE + 6  # from one caption line to the next


def sum_node(cell: float) -> float:
    """The side of the Σ node that gathers an output channel's products."""
    return max(14.0, 0.8 * cell)


def sum_width(cell: float) -> float:
    """The room the Σ node takes before the bias: the node and the line on to the bias."""
    return sum_node(cell) + max(16.0, 0.6 * cell)


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    cell: float
    title_y: float
    subtitle_y: float
    legend_y: float
    caption_y: float
    inputs: dict  # input channel -> Grid (the padded grid)
    kernels: dict  # (out_channel, in_channel_of_group) -> Grid
    biases: dict  # out_channel -> Grid (1 × 1)
    sums: dict  # out_channel -> Grid (1 × 1): the Σ that gathers the kernels' products
    outputs: dict  # out_channel -> Grid
    input_header: tuple  # (x, y) of the input panel's header
    output_header: tuple
    lane_y: float  # height of the lane between the input row and the rows below, for connectors
    bands: tuple  # (group, x, y, w, h) boxes around a group's channels, when groups > 1
    ellipses: tuple = ()  # (x, y, n): n input channels left out here; −n: n output channels


def _auto_cell(measure, legible: float, min_cell: float = 0.0) -> int:
    """The largest cell of the first page size it fits: a slide with cells of at least
    ``legible`` (their values readable), a slide with smaller cells (values left out), a
    large page. Cells of at least ``min_cell`` when values were asked for, on a page up
    to the largest."""
    legible = math.ceil(max(legible, min_cell))
    floor = math.ceil(min_cell)
    ladder = (
        (MAX_WIDTH, MAX_HEIGHT, max(MAX_CELL, legible), legible),
        (MAX_WIDTH, MAX_HEIGHT, legible - 1, max(MIN_CELL, floor)),
        (LARGE, LARGE, max(legible - 1, floor), max(MIN_CELL, floor)),
    )
    for max_w, max_h, largest, smallest in ladder:
        for c in range(largest, smallest - 1, -1):
            size = measure(c)
            if size.width <= max_w and size.height <= max_h:
                return c
    return max(MIN_CELL, floor)


@dataclass(frozen=True)
class Head:
    """Where the lines above the panels go, for a title of some lines."""

    title_y: float
    subtitle_y: float
    legend_y: float
    top: float  # the panels' first header line

    @classmethod
    def under(cls, title_lines: int) -> Head:
        subtitle_y = MARGIN + title_lines * TITLE_LINE + 2
        legend_y = subtitle_y + SUBTITLE_SIZE + 10
        return cls(MARGIN, subtitle_y, legend_y, legend_y + SUBTITLE_SIZE + 14)


def page_height(bottom: float) -> float:
    """The height of a page whose panels end at ``bottom``: room for two caption lines."""
    return bottom + 16 + 2 * CAPTION_SIZE + 10 + MARGIN


def caption_top(height: float) -> float:
    """The first caption line's top on a page of ``height`` (see ``page_height``)."""
    return height - MARGIN - 2 * CAPTION_SIZE - 6


@dataclass(frozen=True)
class Extent:
    """A spatial extent in cells, as drawn: depth slices of rows × cols."""

    depth: int
    rows: int
    cols: int

    @classmethod
    def of(cls, shape) -> Extent:
        """Only 3-d layers have several slices; 1-d layers are one row."""
        return cls(shape[0] if len(shape) == 3 else 1, *rows_2d(shape))

    def width(self, cell: float) -> float:
        """Width of the slices, side by side."""
        return self.depth * self.cols * cell + (self.depth - 1) * slice_gap(cell)

    def grid(self, x: float, y: float, cell: float) -> Grid:
        return Grid(x, y, self.rows, self.cols, cell, self.depth, slice_gap(cell))


@dataclass(frozen=True)
class Measure:
    """The picture's size and spacing at one cell size."""

    width: float
    height: float
    gap: float  # between channels, and between the rows of output channels
    col_gap: float  # before the output column
    top: float  # the input panel's header line
    row_h: float  # an output channel's row: its label and its tallest grid
    channel_gap: float  # between the input channels
    widths: list  # the input row's columns, one per shown channel (an ellipsis too)


@dataclass(frozen=True)
class _Plan:
    """What the layout is made of, whatever the cell size: the extents and the channels."""

    grid: Extent  # an input channel (the padded grid, or the scatter view's raw input)
    out: Extent  # an output channel (or the scatter view's canvas)
    kernel: Extent  # (0 rows and cols for pooling)
    pooling: bool
    shown_in: list
    shown_out: list
    groups: int
    per_group: tuple  # (input, output) channels per group
    bands: bool  # boxes around the groups' channels (groups > 1, not pooling)
    bias: bool  # a bias column (a layer without a bias has none)
    band_ends: frozenset  # the last input channel drawn of each group (when bands)
    labels_w: float  # room for a band's group name beside the last `x[i]` label
    title_lines: int
    output_header_width: float

    def measure(self, c: float) -> Measure:
        gap = max(12.0, 0.5 * c)  # between channels
        # between the input channels: wider when each is a row of depth slices
        channel_gap = gap if self.grid.depth == 1 else 2 * gap
        col_gap = max(40.0, 1.5 * c)  # before the bias / output column
        top = Head.under(self.title_lines).top
        widths = self._column_widths(c)
        input_w = sum(widths) + (len(self.shown_in) - 1) * channel_gap
        input_h = 2 * LABEL + self.grid.rows * c + gap + LABEL
        if self.pooling:
            row_h = LABEL + self.out.rows * c
            body_h = input_h + row_h
            width = 2 * MARGIN + input_w
        else:
            row_h = LABEL + max(self.kernel.rows, self.out.rows) * c
            rows_h = sum(LABEL + 8 if oc is None else row_h for oc in self.shown_out)
            body_h = input_h + rows_h + (len(self.shown_out) - 1) * gap
            out_w = max(self.out.width(c), self.output_header_width)
            bias_w = sum_width(c) + c if self.bias else sum_node(c)
            width = 2 * MARGIN + input_w + gap + bias_w + col_gap + out_w
        height = page_height(top + body_h)
        return Measure(width, height, gap, col_gap, top, row_h, channel_gap, widths)

    def _column_widths(self, c: float) -> list:
        """The input row's columns: a channel's grid and, below it, its kernels (in the
        scatter view a kernel can be wider than the input it stamps from); an ellipsis."""
        ellipsis_w = max(2 * c, 40.0)
        grid_w = self.grid.width(c)
        column_w = grid_w if self.pooling else max(grid_w, self.kernel.width(c))
        # a group's name sits at its band's top right, level with the last `x[i]` at the left
        named_w = max(column_w, 2 * self.labels_w - grid_w) if self.bands else column_w
        return [
            ellipsis_w if ch is None else named_w if ch in self.band_ends else column_w
            for ch in self.shown_in
        ]


def _plan(trace, title_lines, output_header_width, grid_spatial, out_spatial, shown_out):
    pooling = trace.kernel is None
    shown_in, shown_out = shown(trace, shown_out)
    bands = trace.groups > 1 and not pooling
    band_ends = frozenset()
    if bands:
        drawn = [ch for ch in shown_in if ch is not None]
        band_ends = frozenset(
            max(ch for ch in drawn if ch // trace.in_per_group == g)
            for g in {ch // trace.in_per_group for ch in drawn}
        )
    labels_w = (
        text_width(f"x[{trace.in_channels - 1}]", LABEL_SIZE)
        + text_width(f"group {trace.groups - 1}", LABEL_SIZE - 1)
        + 10
    )
    return _Plan(
        # The scatter view replaces the grid by the raw input and the output by its canvas.
        grid=Extent.of(grid_spatial or trace.grid.shape[2:]),
        out=Extent.of(out_spatial or trace.out_spatial),
        kernel=Extent(1, 0, 0) if pooling else Extent.of(trace.kernel_size),
        pooling=pooling,
        shown_in=shown_in,
        shown_out=shown_out,
        groups=trace.groups,
        per_group=(trace.in_per_group, trace.out_per_group),
        bands=bands,
        bias=bool(trace.spec.bias),
        band_ends=band_ends,
        labels_w=labels_w,
        title_lines=title_lines,
        output_header_width=output_header_width,
    )


def compute_layout(
    trace,
    cell: float | None = None,
    min_width: float = 0.0,
    title_lines: int = 1,
    output_header_width: float = 0.0,
    grid_spatial: tuple | None = None,
    out_spatial: tuple | None = None,
    shown_out: tuple | None = None,
    min_cell: float = 0.0,
    legible: float = LEGIBLE_CELL,
) -> Layout:
    """The layout of a 1-d, 2-d or 3-d trace (3-d grids as rows of depth slices).

    ``cell`` fixes the cell size (auto when None); ``min_width`` and
    ``title_lines`` leave room for the title. Many channels are shown as the
    first and last few with an ellipsis that says how many were left out.
    """
    plan = _plan(trace, title_lines, output_header_width, grid_spatial, out_spatial, shown_out)
    if cell is None:
        cell = _auto_cell(plan.measure, legible, min_cell)
    cell = float(cell)
    size = plan.measure(cell)
    head = Head.under(title_lines)
    y_input = size.top + 2 * LABEL
    placed = _Placed()
    right = _place_inputs(plan, size, cell, y_input, placed)
    y_rows = y_input + plan.grid.rows * cell + size.gap + LABEL
    if plan.pooling:
        _place_pooled(plan, cell, y_rows, placed)
    else:
        _place_rows(plan, size, cell, (right, y_rows), placed)
    inputs, outputs = placed.inputs, placed.outputs
    return Layout(
        # whole pixels; never portrait (a slide and a blog column are landscape)
        width=math.ceil(max(size.width, min_width, MIN_PAGE_WIDTH, size.height)),
        height=size.height,
        cell=cell,
        title_y=head.title_y,
        subtitle_y=head.subtitle_y,
        legend_y=head.legend_y,
        caption_y=caption_top(size.height),
        inputs=inputs,
        kernels=placed.kernels,
        biases=placed.biases,
        sums=placed.sums,
        outputs=outputs,
        input_header=(MARGIN, size.top + LABEL / 2),
        output_header=(min(g.x for g in outputs.values()), y_rows - LABEL / 2),
        lane_y=y_input + plan.grid.rows * cell + (size.gap + LABEL) / 2,
        bands=_bands(plan, size, inputs, outputs) if plan.bands else (),
        ellipses=tuple(placed.ellipses),
    )


@dataclass
class _Placed:
    """The grids placed so far, and the ellipses standing for channels left out."""

    inputs: dict = field(default_factory=dict)
    kernels: dict = field(default_factory=dict)
    biases: dict = field(default_factory=dict)
    sums: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)
    ellipses: list = field(default_factory=list)


def _place_inputs(plan: _Plan, size: Measure, cell: float, y_input: float, placed) -> float:
    """The input channels' grids, each centred in its column, and the ellipses between
    them; returns the input row's right end."""
    inputs, ellipses = placed.inputs, placed.ellipses
    x = MARGIN
    grid_w = plan.grid.width(cell)
    for index, (ch, column_w) in enumerate(zip(plan.shown_in, size.widths)):
        if ch is None:
            hidden = hidden_at(plan.shown_in, index)
            ellipses.append((x + column_w / 2, y_input + plan.grid.rows * cell / 2, hidden))
        else:
            inputs[ch] = plan.grid.grid(x + (column_w - grid_w) / 2, y_input, cell)
        x += column_w + size.channel_gap
    return x - size.channel_gap


def _place_pooled(plan: _Plan, cell: float, y_rows: float, placed: _Placed) -> None:
    """Pooling: each output channel centred under the input channel it pools."""
    for oc in plan.shown_out:
        if oc is not None:
            src = placed.inputs[oc]
            ow = plan.out.width(cell)
            placed.outputs[oc] = plan.out.grid(src.x + (src.width - ow) / 2, y_rows + LABEL, cell)


def _place_rows(plan: _Plan, size: Measure, cell: float, at, placed: _Placed) -> None:
    """One row per output channel from ``at`` = (the input row's right end, the rows' top):
    its kernels under their input channels, its bias, its output grid; an ellipsis for the
    output channels left out."""
    right, row_top = at
    inputs, kernels, biases, outputs = placed.inputs, placed.kernels, placed.biases, placed.outputs
    in_pg, out_pg = plan.per_group
    ellipses = placed.ellipses
    for index, oc in enumerate(plan.shown_out):
        if oc is None:
            hidden = hidden_at(plan.shown_out, index)
            ellipses.append((right + size.gap + cell / 2, row_top + (LABEL + 8) / 2, -hidden))
            row_top += LABEL + 8 + size.gap
            continue
        g = oc // out_pg
        top_cells = row_top + LABEL
        inner = size.row_h - LABEL
        for icl in range(in_pg):
            src = inputs.get(g * in_pg + icl)
            if src is None:
                continue
            kx = src.x + (src.width - plan.kernel.width(cell)) / 2
            ky = top_cells + (inner - plan.kernel.rows * cell) / 2
            kernels[(oc, icl)] = plan.kernel.grid(kx, ky, cell)
        node = sum_node(cell)
        sum_x = right + size.gap
        placed.sums[oc] = Grid(sum_x, top_cells + (inner - node) / 2, 1, 1, node)
        out_x = sum_x + node + size.col_gap
        if plan.bias:
            bias_x = sum_x + sum_width(cell)
            biases[oc] = Grid(bias_x, top_cells + (inner - cell) / 2, 1, 1, cell)
            out_x = bias_x + cell + size.col_gap
        outputs[oc] = plan.out.grid(out_x, top_cells + (inner - plan.out.rows * cell) / 2, cell)
        row_top += size.row_h + size.gap


def _bands(plan: _Plan, size: Measure, inputs: dict, outputs: dict) -> tuple:
    """(group, x, y, w, h): a box around each group's input columns, down to the outputs."""
    in_pg, _ = plan.per_group
    pad = min(6.0, size.channel_gap / 2 - 3)  # neighbouring bands keep a gap between them
    column_of = dict(zip(plan.shown_in, size.widths))
    bottom = max(g.y + g.height for g in outputs.values())
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
        boxes.append((g, left, upper, right - left, bottom - upper + pad))
    return tuple(boxes)
