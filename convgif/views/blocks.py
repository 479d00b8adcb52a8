"""The gather view's tour frames: many output cells filled at once.

The default storyboard (``convgif.frames.tour``) walks the first output
channel cell by cell, then fills the rest in blocks. A block frame has no
window and no running equation (there are many cells); it lights the kernels
and the bias that compute the block, highlights the cells it fills, and says in
the caption which frames it skipped and where to see them all.
"""

from __future__ import annotations

import numpy as np

from convgif.views.scene import Box

WHOLE_WALK = "step 'output' walks every cell"
SKIPPED = f"(Frames skipped: {WHOLE_WALK}.)"


def describe_cells(region: tuple[range, ...], start: int, stop: int) -> str:
    """Cells ``start..stop`` (row-major in ``region``) in words: ``rows 3–5``, ``cells
    10–19``, or ``cells (1, 5) to (2, 9)``."""
    shape = tuple(len(r) for r in region)
    first, last = (
        tuple(r.start + int(p) for r, p in zip(region, np.unravel_index(i, shape)))
        for i in (start, stop - 1)
    )
    if len(shape) == 1:
        return f"cell {first[0]}" if start == stop - 1 else f"cells {first[0]}\u2013{last[0]}"
    cols = shape[-1]
    if start % cols == 0 and stop % cols == 0 and first[:-2] == last[:-2]:
        # whole rows (of one depth slice): named as rows; the columns are the region's
        r0, r1 = first[-2], last[-2]
        rows = f"row {r0}" if r0 == r1 else f"rows {r0}\u2013{r1}"
        return f"depth {first[0]}, {rows}" if len(shape) == 3 else rows
    if start == stop - 1:
        return f"cell {first}"
    return f"cells {first} to {last}"


class BlockFrames:
    """What a gather picture draws and says in a tour's frames (a mixin of ``GatherPicture``)."""

    def _names(self, state, channels) -> str:
        """``y[3]``, ``y[1], y[5]`` or ``y[0], …, y[7] (one per group)``."""
        prefix = f"{state.n}, " if self.trace.batch > 1 else ""
        names = [f"y[{prefix}{oc}]" for oc in channels]
        if len(names) > 3:
            return f"{names[0]}, \u2026, {names[-1]} (one per group)"
        return ", ".join(names)

    def _block(self, state) -> list:
        """The block's cells lit as being written, and the kernels and bias computing them."""
        block, t, lay = state.block, self.trace, self.layout
        region = self.storyboard.region
        shape = tuple(len(r) for r in region)
        items = []
        for oc in block.out_channels:
            ogrid = lay.outputs.get(oc)
            if ogrid is None:  # an output channel the layout leaves out
                continue
            for i in range(block.start, block.stop):
                pos = tuple(r.start + int(p) for r, p in zip(region, np.unravel_index(i, shape)))
                value = self._y(oc, pos) if self.symbols else t.y[(state.n, oc, *pos)]
                items += self._cell(*self._at(ogrid, pos), "output_active", value)
            if t.kernel is None:
                continue
            for icl in range(t.in_per_group):
                kgrid = lay.kernels.get((oc, icl))
                if kgrid is None:
                    continue
                for kpos in np.ndindex(*t.kernel_size):
                    w = (self._kernel_symbol(oc, icl, kpos) if self.symbols
                         else self._kernel_value(oc, icl, kpos))
                    items += self._cell(*self._at(kgrid, kpos), "kernel_active", w)
                items.append(Box(kgrid.x, kgrid.y, kgrid.width, kgrid.height, edge="window",
                                 edge_width=2.5))
            if t.spec.bias and oc in lay.biases:
                b = self._b(oc) if self.symbols else t.bias[oc]
                items += self._cell(lay.biases[oc], 0, 0, "kernel_active", b)
        return items

    def _block_caption(self, state) -> list[str]:
        """What the block frame fills, and what it skipped: short lines, for narrow frames."""
        block = state.block
        where = describe_cells(self.storyboard.region, block.start, block.stop)
        if block.walked:
            how = f"its first {block.walked:,} cells were walked one by one"
        else:
            how = f"computed as the walk of {self._names(state, self.storyboard.first_channels)}"
            how += " showed"
        return [f"{self._names(state, block.out_channels)}: {where} filled at once ({how}).",
                SKIPPED]

    def _tour_opening(self) -> list[str]:
        """The opening caption of a tour: what will be walked, what filled in blocks."""
        board = self.storyboard
        first = ", ".join(f"y[{oc}]" for oc in board.first_channels[:3])
        walked = sum(1 for s in board.tour if s.segment == 0 and s.walk)
        size = int(np.prod([len(r) for r in board.region]))
        if walked == size:
            return [f"The layer at rest: the window will walk {first} cell by cell, then the "
                    "other channels", f"fill a block at a time ({WHOLE_WALK})."]
        return [f"The layer at rest: the window will walk the first {walked:,} cells of "
                f"{first}, then the rest", f"fill a block at a time ({WHOLE_WALK})."]
