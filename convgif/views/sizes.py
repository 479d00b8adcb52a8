"""The sizes every layer picture is laid out with: the slide a frame must read on, text
sizes, the lines above and below the panels, and the extent of a grid in cells.

Units are layout units (1 unit = 1 pixel at scale 1).
"""

from __future__ import annotations

import bisect
import math
from typing import NamedTuple

from convgif.views.grid import Grid, rows_2d, slice_gap

MAX_WIDTH, MAX_HEIGHT = 1280, 720  # the slide a frame must read on
MAX_CELL, MIN_CELL = 40, 5
LEGIBLE_CELL = 18  # the smallest cell whose value stays readable, for views that do not measure
LARGE = 2400  # the largest page, for layers too big for a slide at the smallest cell


ZOOM_CELLS = (4.5, 4.0, 3.5)  # a slide layout's cells, painted larger (see ladder)
MAX_FRAME = (1920, 1080)  # the largest frame a layer up to the rule's range may have
MIN_TEXT = 10  # px: the smallest text on a slide
NOTE_SIZE = 11  # px: the smallest text of a layer's picture (the count of channels left out)


def ladder(measure, legible: float, min_cell: float = 0.0, top: int = MAX_CELL,
           zoomed: bool = False) -> tuple[int, float]:
    """(rung, cell): the largest cell of the first page size it fits, rung 0 a slide with
    cells from ``top`` down to ``legible`` (their values readable), 1 a slide with smaller
    cells (values left out); 2 (``zoomed`` views only) a layout with cells under MIN_CELL
    painted ``zoom(cell)`` times larger, its text with it: a frame of at most 1920 × 1080
    whose smallest text still reads at MIN_TEXT on a slide; 3 a large page. Cells of at
    least ``min_cell`` when values were asked for, on a page up to the largest."""
    legible = math.ceil(max(legible, min_cell))
    floor = math.ceil(min_cell)

    zoomed_page = (MAX_WIDTH * NOTE_SIZE / MIN_TEXT,  # the slide may shrink it until
                   MAX_HEIGHT * NOTE_SIZE / MIN_TEXT)  # its smallest text is MIN_TEXT
    ladder = (
        ((MAX_WIDTH, MAX_HEIGHT), range(max(top, legible), legible - 1, -1)),
        ((MAX_WIDTH, MAX_HEIGHT), range(legible - 1, max(MIN_CELL, floor) - 1, -1)),
        (zoomed_page, ZOOM_CELLS if zoomed and not floor else ()),
        ((LARGE, LARGE), range(max(legible - 1, floor), max(MIN_CELL, floor) - 1, -1)),
    )
    for rung, (page, cells) in enumerate(ladder):
        # a page only grows with its cells: the first that fits, by bisection
        first = bisect.bisect_left(
            range(len(cells)), True, key=lambda i, p=page, cs=cells: _fits(measure(cs[i]), p))
        if first < len(cells):
            return rung, cells[first]
    return len(ladder), max(MIN_CELL, floor)


def _fits(size, page) -> bool:
    return size.width <= page[0] and size.height <= page[1]


def zoom(cell: float, width: float, height: float) -> float:
    """How much larger than its layout (``width`` × ``height`` units) a frame is painted:
    a cell under MIN_CELL (ladder's rung 2) is painted MIN_CELL pixels wide, and the text
    with it, in a frame of at most 1920 × 1080."""
    return max(1.0, min(MIN_CELL / cell, MAX_FRAME[0] / width, MAX_FRAME[1] / height))


def slide_scale(width: float, height: float) -> float:
    """How much a frame shrinks when put on a 1280 × 720 slide (never enlarged)."""
    return min(1.0, MAX_WIDTH / width, MAX_HEIGHT / height)
MARGIN = 24
MIN_PAGE_WIDTH = 480.0  # a page is never narrower
LABEL = 18  # height of a grid's label line
BUS_DROP = 6.0  # how far under the kernels in use the line to the Σ runs
TITLE_SIZE, SUBTITLE_SIZE, CAPTION_SIZE, LABEL_SIZE = 19, 14, 16, 13
TITLE_LINE = TITLE_SIZE + 6  # from one title line to the next
CAPTION_LINE = CAPTION_SIZE + 6  # from one caption line to the next


def sum_node(cell: float) -> float:
    """The side of the Σ node that gathers an output channel's products."""
    return max(14.0, 0.8 * cell)


def sum_width(cell: float) -> float:
    """The room the Σ node takes before the bias: the node and the line on to the bias."""
    return sum_node(cell) + max(16.0, 0.6 * cell)


class Head(NamedTuple):
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


class Extent(NamedTuple):
    """A spatial extent in cells, as drawn: depth slices of rows × cols."""

    depth: int
    rows: int
    cols: int
    thin: frozenset = frozenset()  # depth slices drawn one cell wide (see ``Grid``)

    @classmethod
    def of(cls, shape, thin=frozenset()) -> Extent:
        """Only 3-d layers have several slices; 1-d layers are one row."""
        return cls(shape[0] if len(shape) == 3 else 1, *rows_2d(shape), frozenset(thin))

    def width(self, cell: float) -> float:
        """Width of the slices, side by side (``Grid.width``'s sum, without making a Grid:
        the ladder measures hundreds of layouts)."""
        slices = sum(cell if d in self.thin else self.cols * cell for d in range(self.depth))
        return slices + (self.depth - 1) * slice_gap(cell)

    def height(self, cell: float) -> float:
        """Height of the rows of slices (``Grid.height``)."""
        return self.rows * cell

    def grid(self, x: float, y: float, cell: float) -> Grid:
        return Grid(x, y, self.rows, self.cols, cell, self.depth, slice_gap(cell), self.thin)
