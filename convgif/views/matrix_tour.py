"""The matrix view's default loop: the first output channel's rows of C one a frame,
then the further channels' rows a block a frame (``convgif.frames.tour``).

Lighting one row of C per frame walks every output cell of every channel: 130
frames (93 s) for a small transposed layer. The tour keeps the frames that teach
(the first channel's rows, where the kernel's copies shift along C) and fills the
rest in a few frames each, every frame exact: the y entries shown are those
computed so far.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from convgif.frames.storyboard import frame_index
from convgif.frames.timing import steps_within
from convgif.frames.tour import Span, plan_tour
from convgif.views.blocks import SKIPPED, describe_cells
from convgif.views.chrome import LIT_EDGE
from convgif.views.grid import rows_2d
from convgif.views.scene import Box


@dataclass(frozen=True)
class MatrixFrame:
    index: int
    count: int
    phase: str  # "open", "step" or "close"
    step: int = -1  # position in the rows the animation walks; rows before it are finished
    row: int = -1  # the row of C lit
    first: int = -1  # a block frame: its first row's position (rows first..step are filled)


class MatrixTour:
    """The frames of a matrix picture (a mixin of ``MatrixPicture``)."""

    def _tour(self) -> tuple[Span, ...] | None:
        """A tour of the chosen channels' rows when lighting each is too long to watch
        (step 'output' keeps every row)."""
        if self.options.step != "auto":
            return None
        size = len(self.rows) // len(self.channels)
        cols = rows_2d(self.trace.out_spatial)[1]
        return plan_tour(len(self.channels), size, cols, steps_within("auto"))

    def __len__(self) -> int:
        return (len(self.rows) if self.tour is None else len(self.tour)) + 2

    def frame(self, index: int) -> MatrixFrame:
        count = len(self)
        index = frame_index(index, count)
        if index == 0:
            return MatrixFrame(index, count, "open")
        if index == count - 1:
            return MatrixFrame(index, count, "close", len(self.rows))
        if self.tour is None:
            return MatrixFrame(index, count, "step", index - 1, self.rows[index - 1])
        span = self.tour[index - 1]
        at = span.segment * (len(self.rows) // len(self.channels))
        if span.walk:
            return MatrixFrame(index, count, "step", at + span.start, self.rows[at + span.start])
        return MatrixFrame(index, count, "step", at + span.stop, first=at + span.start)

    def _block_rows(self, state) -> list:
        """A block frame: its rows of C lit, their y entries and biases written."""
        lay, cm = self.layout, self.cm
        mat = lay.matrix
        rows = self.rows[state.first : state.step]
        items = []
        for row in rows:
            for c in np.flatnonzero(cm.count[row]):
                items += self._cell(mat, row, c, "kernel_active", cm.matrix[row, c],
                                    dashed=bool(cm.count[row, c] > 1))
            items += self._written(row)
        top = mat.y + rows[0] * mat.cell
        items.append(Box(mat.x, top, mat.width, len(rows) * mat.cell, edge="window",
                         edge_width=LIT_EDGE))
        return items

    def _block_lines(self, state) -> list[str]:
        """What a block frame fills, and what it skipped: short lines, as the gather view's."""
        oc, _ = self.position(self.rows[state.first])
        size = len(self.rows) // len(self.channels)
        start = state.first % size
        region = tuple(range(n) for n in self.trace.out_spatial)
        where = describe_cells(region, start, start + state.step - state.first)
        walked = sum(1 for s in self.tour if s.walk and s.segment == state.first // size)
        first, _ = self.position(self.rows[0])
        how = (f"its first {walked:,} rows were lit one by one" if walked
               else f"computed as the rows of y[{first}] showed")
        return [f"y[{oc}]: {where} filled at once, {state.step - state.first:,} rows of "
                f"{self.name} ({how}).", SKIPPED]
