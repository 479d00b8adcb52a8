"""Where the matrix view's parts go: the small grids on the left, ``x`` as a row right
above ``C``, ``b`` and ``y`` as columns beside it, and ``C`` itself beside ``Cᵀ`` for a
transposed layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from convgif.views.grid import Grid, rows_2d
from convgif.views.layout import (
    LABEL,
    LABEL_SIZE,
    LEGIBLE_CELL,
    MARGIN,
    MIN_PAGE_WIDTH,
    Head,
    caption_top,
    page_height,
)
from convgif.views.sizes import ladder
from convgif.views.text import text_width

MAX_CELL = 30  # a matrix has many cells: a smaller top size than the grids' views
MIN_SPATIAL, MAX_SPATIAL = 8, 22  # cell size of the small grids on the left
GRID_GAP = 6  # under a small grid, before the next one's label
PANEL_GAP = 12  # between the small input grids and the small output grids
LABEL_GAP = 8  # between the y column and the `y[o]` labels at its right


@dataclass(frozen=True)
class MatrixLayout:
    width: float
    height: float
    cell: float
    title_y: float
    subtitle_y: float
    legend_y: float
    caption_y: float
    header_y: float  # the matrix block's header line
    x_row: Grid  # x, flattened: 1 × cols, right above C's columns
    matrix: Grid  # C (or Cᵀ): rows × cols
    bias: Grid | None  # rows × 1; None for a layer without a bias: no column at all
    y_col: Grid  # rows × 1
    inputs: dict  # input channel -> Grid (the small spatial grids)
    outputs: dict  # output channel -> Grid
    forward: Grid | None = None  # transposed layers: C itself, beside Cᵀ


@dataclass(frozen=True)
class MatrixSizes:
    """What the matrix view's layout depends on, besides the cell size."""

    shape: tuple  # (rows, cols) of C
    in_channels: int
    out_channels: int
    in_spatial: tuple
    out_spatial: tuple
    transposed: bool  # C is drawn beside Cᵀ
    header_w: float  # the matrix block's header line
    bias: bool = True  # a b column between C and y
    title_lines: int = 1
    min_width: float = 0.0

    @classmethod
    def of(cls, trace, shape, header_w: float) -> MatrixSizes:
        return cls(shape, trace.in_channels, trace.out_channels, trace.in_spatial,
                   trace.out_spatial, trace.spec.transposed, header_w, trace.spec.bias)

    def auto_cell(self) -> float:
        """The largest cell of the ladder of page sizes (``sizes.ladder``): a slide with
        legible values, a slide with smaller cells, a big page."""
        return float(ladder(self.layout, LEGIBLE_CELL, top=MAX_CELL)[1])

    def spatial_cell(self, c: float, block_h: float) -> float:
        """The small grids' cell: like C's, shrunk until their stack is no taller than C's
        block."""
        in_r, _ = rows_2d(self.in_spatial)
        out_r, _ = rows_2d(self.out_spatial)
        labels = (self.in_channels + self.out_channels) * (LABEL + GRID_GAP) + PANEL_GAP
        cells = self.in_channels * in_r + self.out_channels * out_r
        fit = (block_h - labels) / cells
        return float(max(MIN_SPATIAL, min(MAX_SPATIAL, c, int(fit))))

    def _small_grids(self, top: float, sc: float) -> tuple[dict, dict, float]:
        """The small input grids, then the output grids, down the left margin; and their
        bottom."""
        in_r, in_c = rows_2d(self.in_spatial)
        out_r, out_c = rows_2d(self.out_spatial)
        inputs, outputs = {}, {}
        y = top + LABEL
        for ch in range(self.in_channels):
            inputs[ch] = Grid(MARGIN, y, in_r, in_c, sc)
            y += in_r * sc + LABEL + GRID_GAP
        y += PANEL_GAP
        for oc in range(self.out_channels):
            outputs[oc] = Grid(MARGIN, y, out_r, out_c, sc)
            y += out_r * sc + LABEL + GRID_GAP
        return inputs, outputs, y - LABEL - GRID_GAP

    def layout(self, c: float) -> MatrixLayout:
        """The layout with C's cells of size ``c``."""
        rows, cols = self.shape
        head = Head.under(self.title_lines)
        label_lines = 2 if self.in_channels > 1 else 1
        x_y = head.top + label_lines * LABEL + 4
        c_y = x_y + c + LABEL + 10
        sc = self.spatial_cell(c, c_y + rows * c - head.top)
        inputs, outputs, panel_bottom = self._small_grids(head.top, sc)
        panel_w = max(rows_2d(self.in_spatial)[1], rows_2d(self.out_spatial)[1]) * sc
        panel_w = max(panel_w, text_width("x[0]", LABEL_SIZE))
        mx = MARGIN + panel_w + max(36.0, 1.5 * c)
        gap = max(24.0, 1.2 * c)
        matrix = Grid(mx, c_y, rows, cols, c)
        bias = Grid(mx + cols * c + gap, c_y, rows, 1, c) if self.bias else None
        # without a bias, y stands where b would: C·x = y needs no empty column between
        y_col = Grid((mx + cols * c if bias is None else bias.x + c) + gap, c_y, rows, 1, c)
        label_w = text_width("y[0]", LABEL_SIZE) + 10 if self.out_channels > 1 else 0
        right = y_col.x + c + LABEL_GAP + label_w
        forward = None
        if self.transposed:  # C beside Cᵀ: the same entries, mirrored across the diagonal
            forward = Grid(right + gap, c_y, cols, rows, c)
            right = forward.x + forward.width + 4
        width = max(right, mx + self.header_w) + MARGIN
        width = math.ceil(max(width, self.min_width, MIN_PAGE_WIDTH))  # whole pixels
        height = math.ceil(page_height(max(c_y + rows * c + LABEL + 4, panel_bottom)))
        return MatrixLayout(
            width=width,
            height=height,
            cell=c,
            title_y=head.title_y,
            subtitle_y=head.subtitle_y,
            legend_y=head.legend_y,
            caption_y=caption_top(height),
            header_y=head.top + LABEL / 2,
            x_row=Grid(matrix.x, x_y, 1, matrix.cols, c),
            matrix=matrix,
            bias=bias,
            y_col=y_col,
            inputs=inputs,
            outputs=outputs,
            forward=forward,
        )
