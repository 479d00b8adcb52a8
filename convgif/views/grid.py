"""A block of square cells, the unit every view lays out: where a cell is, its centre,
the span of several."""

from __future__ import annotations

from typing import NamedTuple


class Grid(NamedTuple):
    """A rows × cols block of square cells with its top-left corner at (x, y).

    A 3-d grid is ``depth`` such blocks, its depth slices, side by side ``gap`` apart; a
    slice in ``thin`` (all zero padding) is drawn one cell wide, each of its cells
    standing for its whole row. A thin slice's grid is ``squashed``: any column is its
    one column.
    """

    x: float
    y: float
    rows: int
    cols: int
    cell: float
    depth: int = 1
    gap: float = 0.0
    thin: frozenset = frozenset()
    squashed: bool = False

    def _slice_width(self, d: int) -> float:
        return self.cell if d in self.thin else self.cols * self.cell

    @property
    def width(self) -> float:
        return sum(map(self._slice_width, range(self.depth))) + (self.depth - 1) * self.gap

    def slice(self, d: int) -> Grid:
        """Depth slice ``d`` as a 2-d grid."""
        if self.depth == 1:
            return self
        x = self.x + sum(self._slice_width(e) + self.gap for e in range(d))
        if d in self.thin:
            return Grid(x, self.y, self.rows, 1, self.cell, squashed=True)
        return Grid(x, self.y, self.rows, self.cols, self.cell)

    @property
    def height(self) -> float:
        return self.rows * self.cell

    def rect(self, r: int, c: int) -> tuple[float, float, float, float]:
        c = 0 if self.squashed else c
        return (self.x + c * self.cell, self.y + r * self.cell, self.cell, self.cell)

    def center(self, r: int, c: int) -> tuple[float, float]:
        c = 0 if self.squashed else c
        return (self.x + (c + 0.5) * self.cell, self.y + (r + 0.5) * self.cell)

    def span(self, r0: int, c0: int, r1: int, c1: int) -> tuple[float, float, float, float]:
        """The rectangle covering cells r0..r1, c0..c1 inclusive."""
        if self.squashed:
            c0 = c1 = 0
        return (
            self.x + c0 * self.cell,
            self.y + r0 * self.cell,
            (c1 - c0 + 1) * self.cell,
            (r1 - r0 + 1) * self.cell,
        )


def rows_2d(shape) -> tuple[int, int]:
    """A spatial shape as (rows, cols) of cells: 1-d layers are one row."""
    return (1, shape[0]) if len(shape) == 1 else (shape[-2], shape[-1])


def rc(position) -> tuple[int, int]:
    """A 1-d or 2-d position as the (row, col) of its cell: 1-d layers are one row."""
    return (0, position[0]) if len(position) == 1 else (position[0], position[1])


def slice_gap(cell: float) -> float:
    # narrower than the gap between channels, so a channel's slices read as one tensor
    return max(5.0, 0.25 * cell)
