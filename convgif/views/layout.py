"""Where everything goes, computed once per layer.

The picture reads like the weight tensor itself: the input channels side by
side in the top row; below them one row per output channel holding its
kernels, each kernel ``w[o, i]`` directly under the input channel ``i`` it
slides over (so groups show as a block diagonal), then the Σ that gathers the
row's products and its bias. The output channel ``y[o]`` sits at the row's end,
or, when that would make the page too tall, in an output panel right of the rows
(see ``convgif.views.plan``). Pooling has no weights: each output channel sits
under the input channel it pools.

Units are layout units (1 unit = 1 pixel at scale 1). The cell size and the
arrangement are chosen so that the frame reads on a 1280 × 720 slide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from convgif.views.channels import shown  # noqa: F401  (views import it here)
from convgif.views.grid import Grid, rows_2d, slice_gap  # noqa: F401  (views import these here)
from convgif.views.placement import (
    Placed,
    bands,
    place_below,
    place_inputs,
    place_panel,
    place_pooled,
    place_rows,
)
from convgif.views.plan import Plan, make_plan
from convgif.views.sizes import (  # noqa: F401  (views import these here)
    CAPTION_LINE,
    CAPTION_SIZE,
    LABEL,
    LABEL_SIZE,
    LARGE,
    LEGIBLE_CELL,
    MARGIN,
    MAX_CELL,
    MAX_HEIGHT,
    MAX_WIDTH,
    MIN_CELL,
    MIN_PAGE_WIDTH,
    SUBTITLE_SIZE,
    TITLE_LINE,
    TITLE_SIZE,
    Extent,
    Head,
    caption_top,
    ladder,
    page_height,
    slide_scale,
    sum_node,
    sum_width,
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
    sums: dict  # out_channel -> Grid (1 × 1): the Σ that gathers the kernels' products
    outputs: dict  # out_channel -> Grid
    input_header: tuple  # (x, y) of the input panel's header
    output_header: tuple
    lane_y: float  # height of the lane between the input row and the rows below, for connectors
    bands: tuple  # (group, x, y, w, h) boxes around a group's channels, when groups > 1
    ellipses: tuple = ()  # (x, y, n): n input channels left out here; −n: n output channels
    out_lane_x: float | None = None  # the lane to the output panel (None: no panel)
    out_below: bool = False  # the outputs under the rows (their lane right of the rows)
    row_band: float = 0.0  # the label line atop each kernel row (3-d kernels)
    row_lead: float = 0.0  # the column of the rows' names left of all (0: none)


def _arrangements(plan: Plan) -> list[Plan]:
    """The outputs aligned with their rows, then in a panel of 1, 2, … columns; a 1-d
    layer's first under the rows, each output under its input."""
    if plan.pooling:
        return [plan]
    count = sum(oc is not None for oc in plan.shown_out)
    right = [replace(plan, out_cols=k) for k in range(1, count + 1)]
    below = [replace(plan, out_cols=k, below=True) for k in range(1, count + 1)]
    if plan.grid.rows == 1 and plan.grid.depth == 1:
        return below[:1] + [plan] + right + below[1:]
    return [plan] + right + below


def _choose(plans: list[Plan], cell, legible: float, min_cell: float) -> tuple[Plan, float]:
    """The arrangement and cell size that read best: the earliest rung of the ladder, the
    largest cell, then the least shrinking on a slide; the first on a tie."""

    def score(plan_cell):
        plan, c = plan_cell
        size = plan.measure(c)
        return slide_scale(size.width, size.height)

    if cell is not None:
        return max(((p, float(cell)) for p in plans), key=score)
    best = None
    for plan in plans:
        rung, c = ladder(plan.measure, legible, min_cell)
        key = (-rung, c, score((plan, c)))
        if best is None or key > best[0]:
            best = (key, plan, float(c))
    return best[1], best[2]


def _place_outputs(plan: Plan, size, cell: float, at, placed: Placed) -> tuple:
    """The kernel rows (or a pool's outputs) from ``at`` = (the input row's right end, the
    rows' top) and the outputs; returns (the lane to the outputs when they are apart from
    the rows, else None; where the output header goes)."""
    right, y_rows = at
    if plan.pooling:
        place_pooled(plan, cell, y_rows, placed)
    else:
        bottom = place_rows(plan, size, cell, at, placed)
        if plan.below:
            return place_below(plan, size, cell, bottom, placed)
    if size.panel is None:
        left = min(g.x for g in placed.outputs.values()) if placed.outputs else MARGIN
        return None, (left, y_rows - LABEL / 2)
    panel_x = place_panel(plan, size, cell, placed)
    return panel_x - size.col_gap / 2, (panel_x, size.top + LABEL / 2)


def compute_layout(
    trace,
    cell: float | None = None,
    min_width: float = 0.0,
    title_lines: int = 1,
    header_widths: tuple = (0.0, 0.0),
    grid_spatial: tuple | None = None,
    out_spatial: tuple | None = None,
    shown_out: tuple | None = None,
    min_cell: float = 0.0,
    legible: float = LEGIBLE_CELL,
) -> Layout:
    """The layout of a 1-d, 2-d or 3-d trace (3-d grids as rows of depth slices).

    ``cell`` fixes the cell size (auto when None); ``min_width`` and
    ``title_lines`` leave room for the title, ``header_widths`` for the input and
    output panels' headers. Many channels are shown as the first and last few with
    an ellipsis that says how many were left out.
    """
    plan = make_plan(trace, title_lines, header_widths, grid_spatial, out_spatial, shown_out)
    plan, cell = _choose(_arrangements(plan), cell, legible, min_cell)
    size = plan.measure(cell)
    head = Head.under(title_lines)
    y_input = size.top + 2 * LABEL
    placed = Placed()
    right = place_inputs(plan, size, cell, y_input, placed)
    y_rows = y_input + plan.grid.height(cell) + size.gap + LABEL
    lane_x, output_header = _place_outputs(plan, size, cell, (right, y_rows), placed)
    return Layout(
        # whole pixels; never portrait (a slide and a blog column are landscape)
        width=math.ceil(max(size.width, min_width, MIN_PAGE_WIDTH, size.height)),
        height=size.height,
        cell=cell,
        title_y=head.title_y,
        subtitle_y=head.subtitle_y,
        legend_y=head.legend_y,
        caption_y=caption_top(size.height),
        inputs=placed.inputs,
        kernels=placed.kernels,
        biases=placed.biases,
        sums=placed.sums,
        outputs=placed.outputs,
        input_header=(MARGIN, size.top + LABEL / 2),
        output_header=output_header,
        lane_y=y_input + plan.grid.height(cell) + (size.gap + LABEL) / 2,
        bands=bands(plan, size, placed) if plan.bands else (),
        ellipses=tuple(placed.ellipses),
        out_lane_x=lane_x,
        out_below=plan.below,
        row_band=size.row_band,
        row_lead=size.lead,
    )
