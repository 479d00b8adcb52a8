"""The static panels of a layer's picture: input grids, kernels and bias, output grids.

A mixin of the layer pictures (``LayerPicture``): it reads their trace, layout,
options and cell helpers, and draws what stays the same in every frame.
"""

from __future__ import annotations

import numpy as np

from convgif.simulate.trace import DATA, INSERTED, OVERFLOW, PAD, PAD_COPY
from convgif.views.chrome import LIT_EDGE, shape_text
from convgif.views.layout import LABEL_SIZE, MARGIN
from convgif.views.scene import Box, Text
from convgif.views.sizes import NOTE_SIZE
from convgif.views.terms import as_given, channel_note
from convgif.views.text import text_width

KIND_ROLE = {
    DATA: "input",
    PAD: "pad",
    PAD_COPY: "pad_copy",
    INSERTED: "inserted",
    OVERFLOW: "paper",
}
SUM_SIZE = 12  # the Σ in its node
ELLIPSIS_SIZE = 22  # the ⋯ and ⋮ that stand for channels left out
LABEL_LIFT = 9  # a grid's name sits this far above its top edge


class Panels:
    """Input, kernel, bias and output panels, and the marks of channels left out."""

    SUM_NODES = True  # the scatter view adds its stamps on the output itself: no Σ

    def _marks(self) -> list:
        """Ellipses with the count of channels left out, and the dashed group bands."""
        lay, items = self.layout, []
        for x, y, hidden in lay.ellipses:
            # The count of channels left out keeps the picture true.
            count = f"{abs(hidden)} more"
            if hidden > 0:  # between input channels
                items.append(Text(x, y - LABEL_LIFT, "\u22ef", ELLIPSIS_SIZE, "muted"))
                items.append(Text(x, y + 12, count, NOTE_SIZE, "muted"))
            else:  # between output rows, in the bias column: from its left edge, clear of
                # the group bands to its left
                items.append(Text(x, y - LABEL_LIFT, "\u22ee", ELLIPSIS_SIZE, "muted"))
                left = x - lay.cell / 2
                items.append(Text(left, y + 12, count, NOTE_SIZE, "muted", anchor="lm"))
        for g, x, y, w, h in lay.bands:
            items.append(Box(x, y, w, h, edge="muted", dashed=True))
            items.append(Text(x + w - 4, y + 2, f"group {g}", LABEL_SIZE - 1, "muted", anchor="ra"))
        return items

    def _input_header(self, n: int) -> Text:
        hx, hy = self.layout.input_header
        return Text(hx, hy, self._input_header_text(n), LABEL_SIZE, "ink", anchor="lm", bold=True)

    def _input_header_text(self, n: int) -> str:
        t = self.trace
        note = self._input_note() + channel_note(t.spec, "x")
        if self.options.source:
            note += f"  \u2014  {self.options.source}"
        if t.batch > 1:
            note += f"  \u2014  sample {n} of {t.batch}"
        if t.kernel is None:  # pooling: the output rows sit right below, so name them here
            note += f"  \u2192  {self._output_header()}"
        return f"input x {shape_text(as_given(t.spec, t.x.shape[1:]))}{note}"

    def _input_items(self, n: int) -> list:
        """The input grids of sample ``n``: values, padding cells dashed with what they hold."""
        items = [self._input_header(n)]
        kind, values = self._grid_kind(), self._grid()
        for ch, grid in self.layout.inputs.items():
            items += grid_labels(grid, f"x[{ch}", self._slice_names(ch))
            for pos in np.ndindex(*kind.shape):
                if len(pos) == 3 and pos[2] and pos[0] in grid.thin:
                    continue  # a thin slice's cell stands for its whole row
                k = int(kind[pos])
                value = None if k == OVERFLOW else values[(n, ch, *pos)]
                # real cells are shaded, and padding that copies one (reflect, replicate,
                # circular: the value it holds is seen); zeros keep their plain dashed look
                plain = (KIND_ROLE[k], "ink" if k == DATA else "muted")
                fill, color = (self._shade("input", ch, value, *plain)
                               if k in (DATA, PAD_COPY) else plain)
                if self.symbols and k != OVERFLOW:
                    value = self._input_symbol(ch, pos)
                items += self._cell(
                    *self._at(grid, pos), fill, value, dashed=k != DATA, color=color
                )
        return items

    def _kernel_label(self, oc: int, icl: int, grid) -> list:
        """A kernel's name: left of it when there is room, else above it."""
        t, lay = self.trace, self.layout
        label = self._kernel_name(oc, icl)
        if grid.depth > 1 and not lay.row_lead:
            return grid_labels(grid, label[:-1])
        if lay.row_lead:  # the row is named once, in the column left of all (in each band)
            if any(o == oc and i < icl and k.y == grid.y for (o, i), k in lay.kernels.items()):
                return []
            y = grid.y + grid.height / 2
            return [Text(MARGIN, y, self._row_name(oc), LABEL_SIZE, "muted", anchor="lm")]
        room = grid.x - lay.inputs[(oc // t.out_per_group) * t.in_per_group + icl].x
        if room >= text_width(label, LABEL_SIZE) + 6 or not lay.row_band:
            y = grid.y + grid.height / 2
            return [Text(grid.x - 6, y, label, LABEL_SIZE, "muted", anchor="rm")]
        return [Text(grid.x, grid.y - LABEL_LIFT, label, LABEL_SIZE, "muted", anchor="lm")]

    def _kernel_items(self) -> list:
        """Every kernel with its weights, each bias (if the layer has one), the output header."""
        t, lay, items = self.trace, self.layout, []
        for (oc, icl), grid in lay.kernels.items():
            items += self._kernel_label(oc, icl, grid)
            for pos in np.ndindex(*t.kernel_size):
                value = self._kernel_value(oc, icl, pos)
                fill, color = self._shade("kernel", oc, value, "weight")
                if self.symbols:
                    value = self._kernel_symbol(oc, icl, pos)
                items += self._cell(*self._at(grid, pos), fill, value, color=color)
        # A layer without a bias draws none: a box of 0 would read as a term it adds
        # (the subtitle says "no bias").
        for oc, grid in lay.biases.items() if t.spec.bias else ():
            # rows without a label line: only a band's top bias is named (the line above it)
            if lay.row_band or oc in lay.band_heads:
                items.append(Text(grid.x, grid.y - LABEL_LIFT, f"b[{oc}]", LABEL_SIZE, "muted",
                                  anchor="lm"))
            items += self._cell(grid, 0, 0, "bias", self._b(oc) if self.symbols else t.bias[oc])
        if self.SUM_NODES:
            for node in lay.sums.values():
                items += self._sum_node(node, lit=False)
        ox, oy = lay.output_header
        items.append(Text(ox, oy, self._output_header(), LABEL_SIZE, "ink", anchor="lm", bold=True))
        return items

    def _sum_node(self, node, lit: bool) -> list:
        """The Σ where an output channel's products gather, before its bias is added."""
        box = Box(node.x, node.y, node.cell, node.cell, fill="paper",
                  edge="window" if lit else "grid", edge_width=LIT_EDGE if lit else 1.0)
        x, y = node.center(0, 0)
        return [box, Text(x, y, "\u03a3", SUM_SIZE, "ink" if lit else "muted")]

    def _output_items(self) -> list:
        """The empty output grids (dashed where a canvas reaches past the output) and the
        outline of a chosen region."""
        items = []
        dashed, outside = self._canvas_cells()
        for oc, grid in self.layout.outputs.items():
            items += grid_labels(grid, f"y[{oc}")
            for d in range(grid.depth):
                for r in range(grid.rows):
                    for c in range(grid.cols):
                        role = "pad" if outside[r, c] else "output_empty"
                        items += self._cell(grid.slice(d), r, c, role, dashed=dashed[r, c])
            region = self.options.outputs
            if region is not None:  # the selection, outlined so the empty cells read as "not shown"
                first = self._rc(*(r.start for r in region))
                last = self._rc(*(r.stop - 1 for r in region))
                for d in region[0] if len(region) == 3 else [0]:
                    x, y, w, h = grid.slice(d).span(*first, *last)
                    items.append(Box(x, y, w, h, edge="muted", edge_width=2.0, dashed=True))
        return items


def grid_labels(grid, head: str, names=None) -> list:
    """``x[0]`` over a grid; over each depth slice of a 3-d grid its own name, ``x[0, d]``.

    ``names`` offers lists of slice names, longest first; when none fits the slices,
    the grid is named once, as a whole. Thin slices (all zeros, one cell wide) go unnamed.
    """
    if grid.depth == 1:
        return [Text(grid.x, grid.y - 9, head + "]", LABEL_SIZE, "muted", anchor="lm")]
    slices = [grid.slice(d) for d in range(grid.depth)]
    # the room of a slice's name: up to the next slice's name
    ends = [s.x for s in slices[1:]] + [grid.x + grid.width + grid.gap]
    room = [end - s.x for s, end in zip(slices, ends)]
    named = [d for d in range(grid.depth) if d not in grid.thin]
    offers = [*(names or []), [f"{head}, {d}]" for d in range(grid.depth)]]
    fits = [o for o in offers if all(text_width(o[d], LABEL_SIZE) <= room[d] - 4 for d in named)]
    if not fits:  # the whole tensor, named once, over its first slice of data
        return [Text(slices[named[0]].x, grid.y - 9, head + "]", LABEL_SIZE, "muted",
                     anchor="lm")] if named else []
    return [
        Text(slices[d].x, grid.y - 9, fits[0][d], LABEL_SIZE, "muted", anchor="lm")
        for d in named
    ]
