"""What a layer's layout is made of, whatever the cell size, and its size at one cell size.

The outputs are *aligned* (each ``y[o]`` at the end of its kernel row) or gathered in
an *output panel* right of the rows, ``cols`` grids side by side wrapping into rows:
a row then only needs its kernels' height, so many or tall output channels still fit
a slide.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from convgif.views.channels import shown
from convgif.views.sizes import (
    BUS_DROP,
    LABEL,
    LABEL_SIZE,
    MARGIN,
    Extent,
    Head,
    page_height,
    sum_node,
    sum_width,
)
from convgif.views.text import text_width

ROUTE_GAP = 28.0  # between input columns over several kernel rows: a line and its room


class OutPanel(NamedTuple):
    """The output grids apart from the rows: ``cols`` side by side, wrapping into rows."""

    cols: int
    rows: int
    block_w: float  # a grid, or its label when wider
    block_h: float  # a grid and its label line
    gap: float

    @property
    def width(self) -> float:
        return self.cols * self.block_w + (self.cols - 1) * self.gap

    @property
    def height(self) -> float:
        return self.rows * self.block_h + (self.rows - 1) * self.gap

    def offset(self, k: int) -> tuple[float, float]:
        """(dx, dy) of the ``k``-th grid's block, in reading order."""
        row, col = divmod(k, self.cols)
        return col * (self.block_w + self.gap), row * (self.block_h + self.gap)


class Measure(NamedTuple):
    """The picture's size and spacing at one cell size."""

    width: float
    height: float
    gap: float  # between channels, between the rows of output channels, between bands
    col_gap: float  # before the output column or panel
    top: float  # the input panel's header line
    row_h: float  # an output channel's row: its label and its tallest grid
    channel_gap: float  # between the input channels
    widths: list  # the input row's columns, one per shown channel (an ellipsis too)
    left_w: float  # the input row and the rows' Σ and bias column, from the margin
    panel: OutPanel | None  # None: each output at the end of its row
    row_band: float  # a label line atop each kernel row (3-d kernels: names above them)
    row_gap: float  # between the kernel rows
    lead: float  # a column left of everything for the rows' names (0: names left of kernels)
    rows_x: float  # the input rows' right end from the margin (the lead column too)


class Plan(NamedTuple):
    """The extents, the channels drawn and how the outputs are arranged."""

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
    header_widths: tuple  # (input, output) panel headers, the widest kernel's and row's name
    out_cols: int = 0  # 0: outputs aligned with their rows; else the panel's columns
    below: bool = False  # the panel under the rows (else right of them)
    shift: int = 0  # cells from an input grid's left edge to its first real cell (1-d)
    wrap: int = 1  # bands the input columns wrap into, each with its kernel rows under it

    def band_columns(self) -> list[list[int]]:
        """The columns (indices into ``shown_in``) of each band: ``wrap`` runs of about
        equal length, a group's columns never split (an ellipsis goes with the columns
        before it)."""
        units: list[list[int]] = []
        for i, ch in enumerate(self.shown_in):
            same_group = (self.bands and units and ch is not None
                          and self._group_of(units[-1]) == ch // self.per_group[0])
            if units and (ch is None or same_group):
                units[-1].append(i)
            else:
                units.append([i])
        per = math.ceil(len(units) / max(1, self.wrap))
        return [sum(units[k:k + per], []) for k in range(0, len(units), per)]

    def _group_of(self, columns: list[int]) -> int | None:
        drawn = [self.shown_in[i] for i in columns if self.shown_in[i] is not None]
        return drawn[0] // self.per_group[0] if drawn else None

    def band_rows(self, columns: list[int], last: bool = True) -> list[int]:
        """The output rows (indices into ``shown_out``) under a band: those with a kernel on
        one of its channels (all of them but in grouped layers), an ellipsis with the rows
        before it (in the ``last`` band only when every band has every row: its Σ column
        says what is left out)."""
        if not self.bands or self.wrap == 1:
            return [i for i, oc in enumerate(self.shown_out) if last or oc is not None]
        in_pg, out_pg = self.per_group
        groups = {self.shown_in[i] // in_pg for i in columns if self.shown_in[i] is not None}
        rows, group = [], None
        for i, oc in enumerate(self.shown_out):
            group = group if oc is None else oc // out_pg
            if group in groups:
                rows.append(i)
        return rows

    def measure(self, c: float) -> Measure:
        gap = max(12.0, 0.5 * c)  # between channels
        # between the input channels: wider when each is a row of depth slices, and room
        # for a line down to a lower kernel row, 12 clear of the kernels on either side
        channel_gap = gap if self.grid.depth == 1 else 2 * gap
        if not self.pooling and len(self.shown_out) > 1:
            channel_gap = max(channel_gap, ROUTE_GAP)
        col_gap = max(40.0, 1.5 * c)  # before the outputs
        top = Head.under(self.title_lines).top
        widths = self._column_widths(c)
        bands = self.band_columns()
        input_w = max(sum(widths[i] for i in cols) + (len(cols) - 1) * channel_gap
                      for cols in bands)
        inputs_h = self._inputs_height(c, gap, len(bands))
        in_header, out_header, kernel_label, row_label = self.header_widths
        if self.pooling:
            row_h = LABEL + self.out.height(c)
            height = page_height(top + inputs_h + len(bands) * row_h)
            return Measure(2 * MARGIN + input_w, height, gap, col_gap, top, row_h, channel_gap,
                           widths, input_w, None, LABEL, gap, 0.0, input_w)
        # A kernel's name goes left of it when its column leaves room (see
        # ``Panels._kernel_label``); else each row is named once, in a column left of all
        # (``w[o]``: PyTorch's slice of the weight the row holds). A label line atop each
        # row holds the names of an aligned output and its bias, and of 3-d kernels' slices
        # (else their rows are named at the left); without it, rows sit closer.
        room = (self.grid.width(c) - self.kernel.width(c)) / 2 + channel_gap / 2
        banded = not self.out_cols
        fits_left = room >= kernel_label + 6 and (self.kernel.depth == 1 or banded)
        lead = 0.0 if fits_left else row_label + 10
        # the bus under a row of kernels runs midway to the next row
        band, row_gap = (LABEL, gap) if banded else (0.0, max(2 * BUS_DROP, 0.4 * c))
        input_w += lead
        tallest = self.kernel.height(c)
        if not self.out_cols:
            tallest = max(tallest, self.out.height(c))
        row_h = band + tallest
        body_h = inputs_h + self._rows_height(bands, row_h, row_gap)
        bias_w = sum_width(c) + c if self.bias else sum_node(c)
        left_w = input_w + gap + bias_w
        at = (gap, col_gap, top, row_h, channel_gap, widths)
        rows = (band, row_gap, lead, input_w)
        if self.below:  # the lane to the outputs runs down right of the rows and the panel
            panel = self._panel(c, gap)
            body_h += gap + LABEL + panel.height
            x0 = self.below_x(c, lead, widths)
            right = max(MARGIN + left_w, x0 + panel.width, MARGIN + out_header)
            return Measure(right + col_gap + MARGIN, page_height(top + body_h), *at, left_w,
                           panel, *rows)
        panel = None
        if self.out_cols:
            panel = self._panel(c, gap)
            left_w = max(left_w, in_header + gap)
            body_h = max(body_h, LABEL + panel.height)
            out_w = max(panel.width, out_header)
        else:
            out_w = max(self.out.width(c), out_header)
        width = 2 * MARGIN + left_w + col_gap + out_w
        return Measure(width, page_height(top + body_h), *at, left_w, panel, *rows)

    def _inputs_height(self, c: float, gap: float, bands: int) -> float:
        """The bands' input rows and the gaps between the bands: each band its label line
        (the first also the panel's header), its grids and the lane under them."""
        return ((bands + 1) * LABEL + bands * (self.grid.height(c) + gap + LABEL)
                + (bands - 1) * gap)

    def _rows_height(self, bands: list, row_h: float, row_gap: float) -> float:
        """The kernel rows of every band (an ellipsis row is a label line high)."""
        height = 0.0
        for b, cols in enumerate(bands):
            rows = self.band_rows(cols, b == len(bands) - 1)
            height += (sum(LABEL + 8 if self.shown_out[i] is None else row_h for i in rows)
                       + (len(rows) - 1) * row_gap)
        return height

    def below_x(self, c: float, lead: float, widths: list) -> float:
        """Where the outputs under the rows start: under the first input grid's first real
        cell, so that a 'same' output sits under the input it was computed from."""
        first = widths[0] if widths else self.grid.width(c)
        return MARGIN + lead + (first - self.grid.width(c)) / 2 + self.shift * c

    def _panel(self, c: float, gap: float) -> OutPanel:
        count = sum(oc is not None for oc in self.shown_out)
        label_w = text_width(f"y[{max(oc or 0 for oc in self.shown_out)}]", LABEL_SIZE) + 4
        return OutPanel(self.out_cols, math.ceil(count / self.out_cols),
                        max(self.out.width(c), label_w), LABEL + self.out.height(c), gap)

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


def make_plan(trace, title_lines, header_widths, grid_spatial, out_spatial, shown_out,
              thin=frozenset()) -> Plan:
    """The plan with the outputs aligned with their rows (see ``Plan.out_cols``)."""
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
    return Plan(
        # The scatter view replaces the grid by the raw input and the output by its canvas.
        grid=Extent.of(grid_spatial or trace.grid.shape[2:], thin),
        out=Extent.of(out_spatial or trace.out_spatial),
        kernel=Extent(1, 0, 0) if pooling else Extent.of(trace.kernel_size),
        pooling=pooling,
        shown_in=shown_in,
        shown_out=shown_out,
        shift=trace.pads[0][0] if trace.ndim == 1 and not trace.spec.transposed else 0,
        groups=trace.groups,
        per_group=(trace.in_per_group, trace.out_per_group),
        bands=bands,
        bias=bool(trace.spec.bias),
        band_ends=band_ends,
        labels_w=labels_w,
        title_lines=title_lines,
        header_widths=header_widths,
    )
