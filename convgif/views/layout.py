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
from typing import NamedTuple

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


class Layout(NamedTuple):
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
    lane_drop: float  # from an input grid's bottom to the lane under it, for connectors
    riser_x: float  # where a line from a kernel row of an upper band runs down to its Σ
    bands: tuple  # (group, x, y, w, h) boxes around a group's channels, when groups > 1
    ellipses: tuple = ()  # (x, y, n): n input channels left out here; −n: n output channels
    out_lane_x: float | None = None  # the lane to the output panel (None: no panel)
    out_below: bool = False  # the outputs under the rows (their lane right of the rows)
    row_band: float = 0.0  # the label line atop each kernel row (3-d kernels)
    row_lead: float = 0.0  # the column of the rows' names left of all (0: none)
    band_heads: frozenset = frozenset()  # the output channel atop each band's Σ column

    def lane_under(self, grid) -> float:
        """The lane between an input grid's band and its kernel rows, for connectors."""
        return grid.y + grid.height + self.lane_drop


MAX_WRAP = 4  # bands of input columns at most
GROUP_BANDS = 0.8  # a grouped layer's groups in bands of their own down to this share of
# the cell size the block diagonal would have


def _arrangements(plan: Plan) -> list[list[Plan]]:
    """Tiers of arrangements, the next tried only when none of a tier reads at slide size
    with its values: the outputs aligned with their rows, then in a panel of 1, 2, …
    columns (a 1-d layer's first under the rows, each output under its input); then the
    same with the input columns wrapped into 2, 3, … bands, each with its kernel rows
    (outputs in a panel). A grouped layer tries its groups in bands of their own
    alongside: their boxes then hold only their own rows."""
    units = len(plan._replace(wrap=len(plan.shown_in)).band_columns())
    wraps = range(2, min(units, MAX_WRAP) + 1)
    if plan.pooling:
        return [[plan], [plan._replace(wrap=w) for w in wraps]]
    count = sum(oc is not None for oc in plan.shown_out)
    right = [plan._replace(out_cols=k) for k in range(1, count + 1)]
    below = [plan._replace(out_cols=k, below=True) for k in range(1, count + 1)]
    if plan.grid.rows == 1 and plan.grid.depth == 1:
        first = below[:1] + [plan] + right + below[1:]
    else:
        first = [plan] + right + below
    wrapped = [p._replace(wrap=w) for w in wraps for p in right + below]
    if plan.bands:
        return [first + wrapped]
    return [first, wrapped]


def _choose(tiers: list[list[Plan]], cell, legible: float,
            min_cell: float) -> tuple[Plan, float]:
    """The arrangement and cell size that read best: the earliest rung of the ladder, the
    largest cell, then the least shrinking on a slide; the first on a tie. A later tier
    only when no arrangement of the earlier reads on a slide with its values."""

    def score(plan_cell):
        plan, c = plan_cell
        size = plan.measure(c)
        return slide_scale(size.width, size.height)

    if cell is not None:
        return max(((p, float(cell)) for p in tiers[0]), key=score)
    best, banded = None, None  # banded: the best with a grouped layer's groups in bands
    for tier in tiers:
        if best is not None and best[0][0] == 0:
            break
        for plan in tier:
            rung, c = ladder(plan.measure, legible, min_cell, zoomed=True)
            key = (-rung, c, score((plan, c)))
            if best is None or key > best[0]:
                best = (key, plan, float(c))
            if plan.bands and plan.wrap > 1 and (banded is None or key > banded[0]):
                banded = (key, plan, float(c))
    # boxes that hold only their own rows read better than a mostly empty block diagonal,
    # unless the cells shrink much
    if banded and banded[0][0] == best[0][0] and banded[2] >= GROUP_BANDS * best[2]:
        best = banded
    return best[1], best[2]


def _place_bands(plan: Plan, size, cell: float, placed: Placed) -> tuple[float, float]:
    """Each band of input columns and, under it, its kernel rows (or a pool's outputs);
    each row's Σ, bias and aligned output in the last band it has kernels in. Returns (the
    last band's bottom, the first band's rows' top)."""
    bands = plan.band_columns()
    rows = [plan.band_rows(cols, b == len(bands) - 1) for b, cols in enumerate(bands)]
    right = MARGIN + size.rows_x
    y = size.top + LABEL  # the first band's label line is under the panel's header
    tops = []  # each band's rows' top
    for b, cols in enumerate(bands):
        y_input = y + LABEL
        place_inputs(plan, size, cell, y_input, cols, placed)
        y_rows = y_input + plan.grid.height(cell) + size.gap + LABEL
        channels = {plan.shown_in[i] for i in cols} - {None}
        if plan.pooling:
            bottom = place_pooled(plan, cell, y_rows, sorted(channels), placed)
        else:
            later = {i for more in rows[b + 1:] for i in more}
            ends = set(rows[b]) - later
            heads = [plan.shown_out[i] for i in rows[b] if i in ends]
            if heads and heads[0] is not None:
                placed.heads.add(heads[0])
            bottom = place_rows(plan, size, cell, (right, y_rows), (rows[b], ends, channels),
                                placed)
        tops.append(y_rows)
        y = bottom + size.gap
    return y - size.gap, tops[0]


def _place_outputs(plan: Plan, size, cell: float, at: tuple, placed: Placed) -> tuple:
    """The outputs apart from the rows (under them from ``at`` = (the last band's bottom,
    the first band's rows' top), or right of them); returns (the lane to them when they
    are apart from the rows, else None; where the output header goes)."""
    bottom, first_rows = at
    if plan.below:
        return place_below(plan, size, cell, bottom, placed)
    if size.panel is None:
        left = min(g.x for g in placed.outputs.values()) if placed.outputs else MARGIN
        return None, (left, first_rows - LABEL / 2)
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
    thin: frozenset = frozenset(),
) -> Layout:
    """The layout of a 1-d, 2-d or 3-d trace (3-d grids as rows of depth slices).

    ``cell`` fixes the cell size (auto when None); ``min_width`` and
    ``title_lines`` leave room for the title, ``header_widths`` for the input and
    output panels' headers, ``thin`` the input's depth slices drawn one cell wide (all
    zero padding). Many channels are shown as the first and last few with
    an ellipsis that says how many were left out.
    """
    plan = make_plan(trace, title_lines, header_widths, grid_spatial, out_spatial, shown_out,
                     thin)
    plan, cell = _choose(_arrangements(plan), cell, legible, min_cell)
    size = plan.measure(cell)
    head = Head.under(title_lines)
    placed = Placed()
    at = _place_bands(plan, size, cell, placed)
    lane_x, output_header = _place_outputs(plan, size, cell, at, placed)
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
        lane_drop=(size.gap + LABEL) / 2,
        riser_x=MARGIN + size.rows_x + size.gap / 2,
        bands=bands(plan, size, placed) if plan.bands else (),
        ellipses=tuple(placed.ellipses),
        out_lane_x=lane_x,
        out_below=plan.below,
        row_band=size.row_band,
        row_lead=size.lead,
        band_heads=frozenset(placed.heads),
    )
