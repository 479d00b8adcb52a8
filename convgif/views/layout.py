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
from dataclasses import dataclass

from convgif.views.text import text_width

MAX_WIDTH, MAX_HEIGHT = 1280, 720
MAX_CELL, MIN_CELL = 40, 6
LEGIBLE_CELL = 18  # the smallest cell whose value stays readable
# Tried in turn (width, height, largest and smallest cell): a slide with legible values;
# a taller page with values just legible; for big layers, a large page without values.
FITS = (
    (MAX_WIDTH, MAX_HEIGHT, MAX_CELL, LEGIBLE_CELL),
    (1600, 1100, LEGIBLE_CELL + 2, LEGIBLE_CELL),
    (2400, 2400, LEGIBLE_CELL - 1, MIN_CELL),
)
MARGIN = 24
LABEL = 18  # height of a grid's label line
TITLE_SIZE, SUBTITLE_SIZE, CAPTION_SIZE, LABEL_SIZE = 19, 14, 16, 13


@dataclass(frozen=True)
class Grid:
    """A rows × cols block of square cells with its top-left corner at (x, y).

    A 3-d grid is ``depth`` such blocks, its depth slices, side by side ``gap`` apart.
    """

    x: float
    y: float
    rows: int
    cols: int
    cell: float
    depth: int = 1
    gap: float = 0.0

    @property
    def width(self) -> float:
        return self.depth * self.cols * self.cell + (self.depth - 1) * self.gap

    def slice(self, d: int) -> Grid:
        """Depth slice ``d`` as a 2-d grid."""
        if self.depth == 1:
            return self
        return Grid(self.x + d * (self.cols * self.cell + self.gap), self.y, self.rows,
                    self.cols, self.cell)

    @property
    def height(self) -> float:
        return self.rows * self.cell

    def rect(self, r: int, c: int) -> tuple[float, float, float, float]:
        return (self.x + c * self.cell, self.y + r * self.cell, self.cell, self.cell)

    def center(self, r: int, c: int) -> tuple[float, float]:
        return (self.x + (c + 0.5) * self.cell, self.y + (r + 0.5) * self.cell)

    def span(self, r0: int, c0: int, r1: int, c1: int) -> tuple[float, float, float, float]:
        """The rectangle covering cells r0..r1, c0..c1 inclusive."""
        return (
            self.x + c0 * self.cell,
            self.y + r0 * self.cell,
            (c1 - c0 + 1) * self.cell,
            (r1 - r0 + 1) * self.cell,
        )


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
    outputs: dict  # out_channel -> Grid
    input_header: tuple  # (x, y) of the input panel's header
    output_header: tuple
    lane_y: float  # height of the lane between the input row and the rows below, for connectors
    bands: tuple  # (group, x, y, w, h) boxes around a group's channels, when groups > 1
    ellipses: tuple = ()  # (x, y, n): n input channels left out here; −n: n output channels


def rows_2d(shape) -> tuple[int, int]:
    """A spatial shape as (rows, cols) of cells: 1-d layers are one row."""
    return (1, shape[0]) if len(shape) == 1 else (shape[-2], shape[-1])


def _dims(shape) -> tuple[int, int, int]:
    """A spatial shape as (depth slices, rows, cols): only 3-d layers have several slices."""
    return (shape[0] if len(shape) == 3 else 1, *rows_2d(shape))


def slice_gap(cell: float) -> float:
    # narrower than the gap between channels, so a channel's slices read as one tensor
    return max(5.0, 0.25 * cell)


def _width(depth: int, cols: int, cell: float) -> float:
    """Width of ``depth`` slices of ``cols`` cells, side by side."""
    return depth * cols * cell + (depth - 1) * slice_gap(cell)


def shown_channels(count: int, limit: int = 6, head: int = 3, tail: int = 2) -> list:
    """The channels drawn: all when few, else the first and last few with None for the gap."""
    if count <= limit:
        return list(range(count))
    return [*range(head), None, *range(count - tail, count)]


def _shown_among(chosen: list, limit: int, head: int, tail: int) -> list:
    """Like shown_channels, over a chosen list of channels."""
    return [
        None if i is None else chosen[i] for i in shown_channels(len(chosen), limit, head, tail)
    ]


def shown(trace, chosen=None) -> tuple[list, list]:
    """The input and output channels drawn (None where an ellipsis stands for the rest):
    all when few, else the first and last few; ``chosen`` output channels narrow them.
    The inputs drawn are among those that feed the outputs drawn (their groups')."""
    chosen = sorted(chosen) if chosen else None
    if trace.kernel is None:  # pooling: each output channel sits under its input channel
        shown_in = _shown_among(chosen, 6, 3, 2) if chosen else shown_channels(trace.in_channels)
        return _with_gaps(shown_in), _with_gaps(shown_in)
    # Output channels take a row each, so fewer of them fit.
    if chosen:
        shown_out = _shown_among(chosen, 4, 2, 1)
    else:
        shown_out = shown_channels(trace.out_channels, 4, 2, 1)
    in_pg, out_pg = trace.in_per_group, trace.out_per_group
    groups = sorted({oc // out_pg for oc in shown_out if oc is not None})
    feeding = [g * in_pg + i for g in groups for i in range(in_pg)]
    return _with_gaps(_shown_among(feeding, 6, 3, 2)), shown_out


def _with_gaps(channels: list) -> list:
    """``channels`` with an ellipsis (None) wherever consecutive ones skip some."""
    out = []
    for ch in channels:
        if ch is not None and out and out[-1] is not None and ch > out[-1] + 1:
            out.append(None)
        out.append(ch)
    return out


def _gap(shown: list, index: int) -> int:
    """How many channels an ellipsis at ``shown[index]`` stands for."""
    return shown[index + 1] - shown[index - 1] - 1


def _auto_cell(measure, min_cell: float = 0.0) -> int:
    """The largest cell of the first page size it fits, cells of at least ``min_cell``
    (when some page takes them; else as if none was asked)."""
    floor = math.ceil(min_cell)
    for max_w, max_h, largest, smallest in FITS:
        for c in range(max(largest, floor), max(smallest, floor) - 1, -1):
            w, h, *_ = measure(c)
            if w <= max_w and h <= max_h:
                return c
    return _auto_cell(measure) if floor else MIN_CELL


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
) -> Layout:
    """The layout of a 1-d, 2-d or 3-d trace (3-d grids as rows of depth slices).

    ``cell`` fixes the cell size (auto when None); ``min_width`` and
    ``title_lines`` leave room for the title. Many channels are shown as the
    first and last few with an ellipsis that says how many were left out.
    """
    title_h = title_lines * (TITLE_SIZE + 6)
    # The scatter view replaces the grid by the raw input and the output by its canvas.
    grid_depth, grid_rows, grid_cols = _dims(grid_spatial or trace.grid.shape[2:])
    out_depth, out_rows, out_cols = _dims(out_spatial or trace.out_spatial)
    pooling = trace.kernel is None
    k_depth, k_rows, k_cols = (1, 0, 0) if pooling else _dims(trace.kernel_size)
    shown_in, shown_out = shown(trace, shown_out)
    bands = trace.groups > 1 and not pooling
    drawn = [ch for ch in shown_in if ch is not None]
    band_ends = {max(ch for ch in drawn if ch // trace.in_per_group == g)
                 for g in {ch // trace.in_per_group for ch in drawn}} if bands else set()
    labels_w = (
        text_width(f"x[{trace.in_channels - 1}]", LABEL_SIZE)
        + text_width(f"group {trace.groups - 1}", LABEL_SIZE - 1)
        + 10
    )

    def measure(c: float):
        gap = max(12.0, 0.5 * c)  # between channels
        # between the input channels: wider when each is a row of depth slices
        channel_gap = gap if grid_depth == 1 else 2 * gap
        col_gap = max(40.0, 1.5 * c)  # before the bias / output column
        ellipsis_w = max(2 * c, 40.0)
        top = MARGIN + title_h + 2 + SUBTITLE_SIZE + 10 + SUBTITLE_SIZE + 14
        grid_w = _width(grid_depth, grid_cols, c)
        # An input channel's column holds its grid and, below, its kernels: in the scatter
        # view a kernel can be wider than the input it stamps from.
        column_w = grid_w if pooling else max(grid_w, _width(k_depth, k_cols, c))
        # a group's name sits at its band's top right, level with the last `x[i]` at the left
        named_w = max(column_w, 2 * labels_w - grid_w) if bands else column_w
        widths = [
            ellipsis_w if ch is None else named_w if ch in band_ends else column_w
            for ch in shown_in
        ]
        input_w = sum(widths) + (len(shown_in) - 1) * channel_gap
        if pooling:
            row_h = LABEL + out_rows * c
            body_h = 2 * LABEL + grid_rows * c + gap + LABEL + row_h
            width = 2 * MARGIN + input_w
        else:
            row_h = LABEL + max(k_rows, out_rows) * c
            rows_h = sum(LABEL + 8 if oc is None else row_h for oc in shown_out)
            body_h = 2 * LABEL + grid_rows * c + gap + LABEL + rows_h + (len(shown_out) - 1) * gap
            width = (
                2 * MARGIN
                + input_w
                + gap
                + c
                + col_gap
                + max(_width(out_depth, out_cols, c), output_header_width)
            )
        height = top + body_h + 16 + 2 * CAPTION_SIZE + 10 + MARGIN
        return width, height, gap, col_gap, top, row_h, channel_gap, widths

    if cell is None:
        cell = _auto_cell(measure, min_cell)
    cell = float(cell)
    width, height, gap, col_gap, top, row_h, channel_gap, widths = measure(cell)
    width = max(width, min_width, 480.0)

    y_input = top + 2 * LABEL
    inputs, ellipses = {}, []
    x = MARGIN
    grid_w = _width(grid_depth, grid_cols, cell)
    for ch_index, (ch, column_w) in enumerate(zip(shown_in, widths)):
        if ch is None:
            hidden = _gap(shown_in, ch_index)
            ellipses.append((x + column_w / 2, y_input + grid_rows * cell / 2, hidden))
        else:
            inputs[ch] = Grid(
                x + (column_w - grid_w) / 2, y_input, grid_rows, grid_cols, cell, grid_depth,
                slice_gap(cell),
            )
        x += column_w + channel_gap
    right = x - channel_gap
    y_rows = y_input + grid_rows * cell + gap + LABEL
    kernels, biases, outputs = {}, {}, {}
    in_pg = trace.in_per_group
    out_pg = trace.out_per_group
    row_top = y_rows
    for oc_index, oc in enumerate(shown_out):
        if pooling:
            if oc is not None:
                src = inputs[oc]
                ow = _width(out_depth, out_cols, cell)
                outputs[oc] = Grid(
                    src.x + (src.width - ow) / 2,
                    y_rows + LABEL,
                    out_rows,
                    out_cols,
                    cell,
                    out_depth,
                    slice_gap(cell),
                )
            continue
        if oc is None:
            hidden = _gap(shown_out, oc_index)
            ellipses.append((right + gap + cell / 2, row_top + (LABEL + 8) / 2, -hidden))
            row_top += LABEL + 8 + gap
            continue
        g = oc // out_pg
        top_cells = row_top + LABEL
        inner = row_h - LABEL
        for icl in range(in_pg):
            src = inputs.get(g * in_pg + icl)
            if src is None:
                continue
            kx = src.x + (src.width - _width(k_depth, k_cols, cell)) / 2
            ky = top_cells + (inner - k_rows * cell) / 2
            kernels[(oc, icl)] = Grid(kx, ky, k_rows, k_cols, cell, k_depth, slice_gap(cell))
        bias_x = right + gap
        biases[oc] = Grid(bias_x, top_cells + (inner - cell) / 2, 1, 1, cell)
        out_x = bias_x + cell + col_gap
        outputs[oc] = Grid(
            out_x,
            top_cells + (inner - out_rows * cell) / 2,
            out_rows,
            out_cols,
            cell,
            out_depth,
            slice_gap(cell),
        )
        row_top += row_h + gap

    boxes = ()
    if bands:
        pad = min(6.0, channel_gap / 2 - 3)  # neighbouring bands keep a gap between them
        column_of = dict(zip(shown_in, widths))
        bottom = max(g.y + g.height for g in outputs.values())
        boxes = []
        for g in range(trace.groups):
            members = [c for c in range(g * in_pg, (g + 1) * in_pg) if c in inputs]
            if not members:
                continue
            # around the members' columns (a grid is centred in its column)
            first, last = inputs[members[0]], inputs[members[-1]]
            left = first.x - (column_of[members[0]] - first.width) / 2 - pad
            right = last.x + (column_of[members[-1]] + last.width) / 2 + pad
            upper = first.y - LABEL + 1
            boxes.append((g, left, upper, right - left, bottom - upper + pad))
        boxes = tuple(boxes)

    caption_y = height - MARGIN - 2 * CAPTION_SIZE - 6
    out_x = min(g.x for g in outputs.values())
    return Layout(
        width=width,
        height=height,
        cell=cell,
        title_y=MARGIN,
        subtitle_y=MARGIN + title_h + 2,
        legend_y=MARGIN + title_h + 2 + SUBTITLE_SIZE + 10,
        caption_y=caption_y,
        inputs=inputs,
        kernels=kernels,
        biases=biases,
        outputs=outputs,
        input_header=(MARGIN, top + LABEL / 2),
        output_header=(out_x, y_rows - LABEL / 2),
        lane_y=y_input + grid_rows * cell + (gap + LABEL) / 2,
        bands=boxes,
        ellipses=tuple(ellipses),
    )
