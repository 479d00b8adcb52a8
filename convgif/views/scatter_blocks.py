"""The scatter view's tour frames: many stamps of one input channel made at once.

The default storyboard (``convgif.frames.scatter``) walks the first input
channel's stamps one by one, then makes the further stamps a block at a time.
A block frame lights the input cells that stamp, every kernel they stamp with
and the output cells their stamps land on, showing the exact sums so far; it
has no connector (there is no one stamp to follow) and its caption says what
it stamped and which frames it skipped.
"""

from __future__ import annotations

import math

import numpy as np

from convgif.views.blocks import describe_cells
from convgif.views.chrome import LIT_EDGE
from convgif.views.scene import Box
from convgif.views.terms import index_text

EACH_STAMP = "step 'output' shows each stamp"


class ScatterBlocks:
    """What a scatter picture draws and says in a tour's frames (a mixin of
    ``ScatterPicture``)."""

    def _x_name(self, n: int, in_channel: int) -> str:
        """``x[1]``, or ``x[0, 1]`` for a batch."""
        t = self.trace
        return f"x[{index_text(t.spec, in_channel, (), n if t.batch > 1 else None)}]"

    def _y_names(self, n: int, channels) -> str:
        """``y[0], y[1]``; many: ``y[0]–y[15]``, or ``8 drawn channels (y[0], …, y[15])``
        when the layout leaves some out."""
        prefix = f"{n}, " if self.trace.batch > 1 else ""
        names = [f"y[{prefix}{oc}]" for oc in channels]
        if len(names) <= 3:
            return ", ".join(names)
        if channels[-1] - channels[0] == len(channels) - 1:
            return f"{names[0]}\u2013{names[-1]}"
        return f"{len(names)} drawn channels ({names[0]}, \u2026, {names[-1]})"

    def _stamp_block(self, block, sums, outside) -> list:
        """The block's input cells lit, the kernels they stamp with, and the output cells
        their stamps land on, with their sums so far (dashed where padding crops them)."""
        t, lay = self.trace, self.layout
        icl = block.in_channel % t.in_per_group
        grid = lay.inputs[block.in_channel]
        items = []
        for cell in block.cells:
            pos = tuple(int(p) for p in np.unravel_index(cell, t.in_spatial))
            x = t.x[(block.n, block.in_channel, *pos)]
            items += self._cell(*self._at(grid, pos), "tap", x)
        for oc in block.out_channels:
            kgrid = lay.kernels.get((oc, icl))
            if kgrid is None:  # a kernel row the layout leaves out
                continue
            for kpos in np.ndindex(*t.kernel_size):
                items += self._cell(*self._at(kgrid, kpos), "kernel_active",
                                    self._kernel_value(oc, icl, kpos))
            items.append(Box(kgrid.x, kgrid.y, kgrid.width, kgrid.height, edge="window",
                             edge_width=LIT_EDGE))
        macs = self._records(block.start, block.stop)
        drawn = np.isin(macs["out_channel"], list(lay.outputs))
        positions = zip(*(macs[f][drawn] + pb for f, pb in zip(t.output_fields, self._crops)))
        landed = {(int(oc), tuple(map(int, pos)))
                  for oc, pos in zip(macs["out_channel"][drawn], positions)}
        for oc, pos in sorted(landed):
            r, c = self._rc(*pos)
            items += self._cell(lay.outputs[oc], r, c, "output_active",
                                sums[(block.n, oc, *pos)], dashed=bool(outside[r, c]))
        return items

    def _block_caption(self, block) -> list[str]:
        """What the block stamped, onto which channels, and what it skipped."""
        t = self.trace
        x = self._x_name(block.n, block.in_channel)
        if block.stamps == math.prod(t.in_spatial) * len(block.out_channels):
            what = f"{x}: all {block.stamps:,} stamps at once"
        else:
            region = tuple(range(n) for n in t.in_spatial)
            where = describe_cells(region, block.cells.start, block.cells.stop)
            what = f"{x} {where}: {block.stamps:,} stamps at once"
        onto = self._y_names(block.n, block.out_channels)
        if block.walked:
            note = f"; {x}'s first {block.walked:,} stamps had a frame each"
        elif block.skipped:  # their stamps are in the sums, though no frame showed them
            note = f"; the sums also took in the {block.skipped} input channels left out"
        else:
            note = ""
        return [f"{what}, each cell onto {onto}; overlaps add up.",
                f"(Frames skipped: {EACH_STAMP}{note}.)"]

    def _tour_opening(self) -> str:
        """The opening caption's second line in a tour: what is walked, what comes in
        blocks."""
        board = self.storyboard
        stamper = board.plan[0]
        x = self._x_name(0, stamper.in_channel)
        walked = sum(1 for s in board.tour if s.segment == 0 and s.walk)
        size = math.prod(self.trace.in_spatial) * len(stamper.out_channels)
        if not walked:
            return f"The stamps come a block at a time ({EACH_STAMP})."
        first = f"{x}'s stamps" if walked == size else f"The first {walked:,} stamps of {x}"
        return f"{first} one by one, then the rest a block at a time ({EACH_STAMP})."
