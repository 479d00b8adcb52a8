"""The gather view: the window slides over the (padded) input, one output cell per frame.

Each frame lights the taps of the window, the kernels in use and the output cell being
written, joined by connectors, with the cell's running equation in the caption; the
output cells finished so far settle, painted once in a walk.
"""

from __future__ import annotations

import math

import numpy as np

from convgif.frames.storyboard import describe_region
from convgif.simulate.trace import DATA, OVERFLOW
from convgif.views.blocks import BlockFrames
from convgif.views.chrome import (
    CONNECTOR_WIDTH,
    FLIP_CAPTION,
    shape_text,
    sum_bus,
    to_cell,
)
from convgif.views.equation import plural, pool_work, product_terms, shorten, work_per_cell
from convgif.views.layer import LayerPicture
from convgif.views.layout import rows_2d
from convgif.views.route import lane_to_cell
from convgif.views.scene import Box, Line, Scene
from convgif.views.terms import index_text
from convgif.views.text import fmt, term

MACS_AT_ONCE = 4096  # MAC records fetched from the trace in one block (see _macs)


class GatherPicture(BlockFrames, LayerPicture):
    """A layer drawn as gathering: each output cell reads its window of the input."""

    def scene(self, index: int, *, since: int | None = None, shown: int | None = None) -> Scene:
        state = self.storyboard.frame(index)
        t, lay = self.trace, self.layout
        before = None if since is None else self.storyboard.frame(since)
        if before is not None and before.n != state.n:
            before = None  # another sample: another static layer, everything settles anew
        settled = []
        for oc, grid in lay.outputs.items():
            settled += self._finished(grid, state, oc, before)
        items = []
        captions = []
        for cell in state.cells:
            items += self._window(state, cell)
            captions.append(self._equation(state, cell))
        if state.block is not None:  # a tour's frame: many cells at once, no window
            items += self._block(state)
            captions = self._block_caption(state)
        region = self.options.outputs
        if state.phase == "open" and self.storyboard.tour is not None:
            captions = self._tour_opening()
        elif state.phase == "open" and region is not None:
            cells = math.prod(len(r) for r in region)
            captions = [
                f"The layer at rest: the window will visit the {cells:,} chosen output cells",
                f"({describe_region(region)}) in turn; the others are left out.",
            ]
        elif state.phase == "close" and region is not None:
            captions = [
                f"Done: the chosen cells ({describe_region(region)}) of the output "
                f"{shape_text(t.output.shape)}, {work_per_cell(t)} each;",
                "the cells left empty were not part of the selection.",
            ]
        elif state.phase == "open":
            which = "of the channels shown " if self.storyboard.channels is not None else ""
            captions = [f"The layer at rest: the window will visit every output cell {which}"
                        "in turn."]
            if self.options.flip:
                captions.append(FLIP_CAPTION)
        elif state.phase == "close" and t.kernel is None:  # a pool multiplies nothing
            windows = t.num_cells
            captions = [f"Done: {plural(windows, 'window')} gave the output "
                        f"{shape_text(t.output.shape)},", f"each {pool_work(t)}."]
        elif state.phase == "close":
            captions = [
                f"Done: {t.num_macs:,} multiply-accumulates"
                + (" (gather view)" if t.spec.transposed else "")
                + f" gave the output {shape_text(t.output.shape)}"
                + (", the true convolution x \u2217 w." if self.options.flip else ".")
            ]
            if self.options.flip:
                captions.append(FLIP_CAPTION)
        if len(captions) > 2:
            more = "channels" if t.kernel is None else "groups"  # a pool's are its channels
            captions = captions[:1] + [f"… and the same for {len(captions) - 1} more {more}"]
        if self.options.flip and state.phase == "step" and len(captions) == 1:
            captions.append(FLIP_CAPTION)  # every frame says which operation it shows
        items += self._caption(captions, state, shown)
        return Scene(lay.width, lay.height, self.static_for(state.n), tuple(items),
                     settled=tuple(settled))

    def _finished(self, grid, state, oc: int, before=None) -> list:
        """The output cells finished so far (always the first k in row-major order), or,
        after the frame ``before``, those finished since.

        Drawn per depth slice as fills of whole rows and parts of rows, with the slice's
        grid lines over them, then the values: a frame costs the same however many cells
        are done.
        """
        done = self.storyboard.finished(state, oc)
        was = 0 if before is None else self.storyboard.finished(before, oc)
        if self._shaded("output"):  # each cell its own shade: one box a cell
            cells = self._finished_values(grid, state.n, oc)[was:done]
            return [item for cell in cells for item in cell]
        items = []
        # The finished cells fill the region (the whole output by default) row by row,
        # one depth slice after another.
        region = self.storyboard.region
        (r0, c0), (rows, cols) = self._rc(*(r.start for r in region)), rows_2d(
            tuple(map(len, region))
        )
        depths = region[0] if len(region) == 3 else [0]
        for i, d in enumerate(depths):
            in_slice = min(max(done - i * rows * cols, 0), rows * cols)
            was_in_slice = min(max(was - i * rows * cols, 0), rows * cols)
            if in_slice > was_in_slice:
                items += _filled(grid.slice(d), was_in_slice, in_slice, r0, c0, cols)
        if self.show_values:
            items += [c[1] for c in self._finished_values(grid, state.n, oc)[was:done]]
        return items

    def _finished_values(self, grid, n: int, oc: int) -> list:
        """The items (box, value text) of the region's output cells (all by default) of a
        channel in row-major order, made once: each frame shows a prefix of them, and
        rebuilding it made scenes cost O(cells²)."""
        key = (n, oc)
        if key not in self._values:
            t = self.trace
            region = self.storyboard.region
            items = []
            for local in np.ndindex(*map(len, region)):
                pos = tuple(r.start + p for r, p in zip(region, local))
                value = t.y[(n, oc, *pos)]
                fill, color = self._shade("output", oc, value, "output")
                if self.symbols:
                    value = self._y(oc, pos)
                items.append(self._cell(*self._at(grid, pos), fill, value, color=color))
            self._values[key] = items
        return self._values[key]

    def _macs(self, start: int, stop: int) -> np.ndarray:
        """The trace's MACs start..stop. The records of whole output cells are fetched a
        block at a time (a cell's records depend on it alone, so a slice of the block is
        what ``trace.macs`` would give): frames ask for cell after cell, each more than
        once, and building the records costs the same for one cell as for many."""
        (first, last), table = self._last_macs
        t = self.trace
        if first is None or start < first or stop > last:
            cell = t.cell_of(start)
            block = max(1, MACS_AT_ONCE // t.macs_per_cell)
            upto = max(t.cell_of(max(stop - 1, start)) + 1, cell + block)
            first, last = t.cell_offset(cell), t.cell_offset(min(upto, t.num_cells))
            table = t.macs(first, last)
            self._last_macs = ((first, last), table)
        return table[start - first : stop - first]

    def _window(self, state, cell) -> list:
        """Highlights of one output cell being written: taps, window, kernel, output, lines."""
        ogrid = self.layout.outputs.get(cell.out_channel)
        if ogrid is None:  # an output channel the layout leaves out
            return []
        macs = self._macs(cell.start, cell.stop)
        items = self._taps(cell, macs)
        ocell = self._at(ogrid, state.position)
        value = self._value_so_far(cell, macs)
        if self.symbols:
            value = self._y(cell.out_channel, state.position)
        items += self._cell(*ocell, "output_active", value, edge="window", width=2.5)
        channels = sorted(set(macs["in_channel"].tolist()))
        rect = ocell[0].rect(*ocell[1:])
        items += self._outlines(state, cell, channels, ogrid, rect)
        if self.trace.kernel is not None:
            lane = self._lane_to(ogrid, state.cells.index(cell), len(state.cells))
            items += self._sum_and_bias(cell, channels, ogrid, rect, lane)
        return items

    def _taps(self, cell, macs) -> list:
        """The input cells the window taps in this frame, and the kernel cells in use."""
        t, lay = self.trace, self.layout
        pos_fields, ker_fields = t.input_fields, t.kernel_fields
        first = self._first_max(cell) if t.spec.op == "max_pool" else cell.stop
        winner = first - cell.start if cell.start <= first < cell.stop else None
        items = self._earlier_max(first) if first < cell.start else []
        # A pool lights only the cells its equation counts: not the −∞ padding of a max,
        # not padding an average leaves out of its divisor, never ceil_mode's overhang.
        # The window's outline still spans all of them.
        counted = self._counted(macs).tolist() if t.kernel is None else None
        # Plain Python columns: reading records one field at a time is slow.
        positions = list(zip(*(macs[f].tolist() for f in pos_fields)))
        kinds = t.grid_kind[tuple(macs[f] for f in pos_fields)].tolist()
        kernel_positions = list(zip(*(macs[f].tolist() for f in ker_fields)))
        columns = zip(
            macs["in_channel"].tolist(), positions, kinds, macs["x"].tolist(), macs["w"].tolist()
        )
        # looked up once, not for each of the frame's taps (a property computes each)
        weighted, symbols, per_group = t.kernel is not None, self.symbols, t.in_per_group
        oc, at, make = cell.out_channel, self._at, self._cell
        for i, (ch, pos, kind, x, w) in enumerate(columns):
            grid = lay.inputs.get(ch)
            if grid is None or (counted is not None and not counted[i]):
                continue
            value = None if kind == OVERFLOW else x
            if symbols and kind != OVERFLOW:
                value = self._input_symbol(ch, pos)
            role = "winner" if i == winner else "tap"
            items += make(*at(grid, pos), role, value, dashed=kind != DATA)
            if weighted:
                icl = ch % per_group
                kpos = kernel_positions[i]
                if symbols:
                    w = self._kernel_symbol(oc, icl, kpos)
                items += make(*at(lay.kernels[(oc, icl)], kpos), "kernel_active", w)
        return items

    def _outlines(self, state, cell, channels, ogrid, target: tuple) -> list:
        """The window's bounding box on every channel it reads in this frame (on each depth
        slice it taps), each kernel in use outlined, and the connectors between them (a
        pool's on to the rectangle ``target`` of the cell being written)."""
        t, lay = self.trace, self.layout
        origin, far = t.window_bounds(*state.position)
        extent = [f - o for o, f in zip(origin, far)]
        r0, c0 = self._rc(*origin)
        r1, c1 = self._rc(*far)
        # the depth slices a 3-d window taps (dilation skips some)
        depths = range(origin[0], origin[0] + extent[0] + 1, t.dilation[0]) if t.ndim == 3 else [0]
        items, taken = [], []  # taken: the verticals of this frame's lines, kept apart
        for ch in channels:
            grid = lay.inputs.get(ch)
            if grid is None:
                continue
            boxes = [grid.slice(d).span(r0, c0, r1, c1) for d in depths]
            items += [Box(*box, edge="window", edge_width=2.5) for box in boxes]
            x, y, w, h = boxes[0]  # the connector leaves from the first slice
            if t.kernel is None:  # a pool: from the window on to the cell being written
                if self.options.lines:
                    lane = lay.lane_under(grid)
                    items += lane_to_cell(x + w / 2, grid.y + grid.height, lane, ogrid,
                                          target, self.route_obstacles, lay.width)
                continue
            kgrid = lay.kernels[(cell.out_channel, ch % t.in_per_group)]
            items.append(
                Box(kgrid.x, kgrid.y, kgrid.width, kgrid.height, edge="window", edge_width=2.5)
            )
            if self.options.lines:  # from below the grid, not across its cells
                items += self._to_kernel(x + w / 2, grid, kgrid, taken)
        return items

    def _sum_and_bias(self, cell, channels, ogrid, rect, lane) -> list:
        """The path on from the kernels in use: along a bus under them to the Σ that gathers
        their products, then + b (lit once the cell's products are all summed; none for a
        layer without a bias), then the cell being written."""
        t, lay = self.trace, self.layout
        oc = cell.out_channel
        node, bgrid = lay.sums[oc], lay.biases.get(oc)
        items = self._sum_node(node, lit=True)
        if cell.stop == cell.cell_stop and t.spec.bias:
            items += self._cell(bgrid, 0, 0, "kernel_active", self._b(oc) if self.symbols
                                else t.bias[oc])
        if self.options.lines:
            kernels = [lay.kernels[(oc, ch % t.in_per_group)] for ch in channels
                       if ch in lay.inputs]
            items += sum_bus(kernels, node, lay.riser_x) if kernels else []
            ny = node.y + node.cell / 2
            if not t.spec.bias:  # nothing to add: on from the Σ to the cell
                return items + to_cell(node.x + node.cell, ny, ogrid, rect, *lane)
            items.append(Line(node.x + node.cell, ny, bgrid.x, ny, width=CONNECTOR_WIDTH))
            bx, by = bgrid.center(0, 0)
            items += to_cell(bx + bgrid.cell / 2, by, ogrid, rect, *lane)
        return items

    def _symbolic_equation(self, state, cell, macs, finished: bool) -> str:
        """``y₁₁ = x₀₀·w₀₀ + x₀₂·w₀₁ + … + b`` for slides that teach the formula."""
        t = self.trace
        pos_fields, ker_fields = t.input_fields, t.kernel_fields
        xs = [
            self._input_symbol(int(m["in_channel"]), tuple(int(m[f]) for f in pos_fields))
            for m in macs
        ]
        head = self._y(cell.out_channel, state.position)
        if t.kernel is None:  # pooling
            counted = shorten([x for x, keep in zip(xs, self._counted(macs)) if keep])
            if t.spec.op == "max_pool":
                return f"{head} = max(" + ", ".join(counted) + ")"
            body = "(" + " + ".join(counted) + ")"
            return f"{head} = {body}" + (f" / {fmt(self._divisor(macs))}" if finished else "")
        terms = []
        for x, m in zip(xs, macs):
            icl = int(m["in_channel"]) % t.in_per_group
            kpos = tuple(int(m[f]) for f in ker_fields)
            terms.append(f"{x}\u00b7{self._kernel_symbol(cell.out_channel, icl, kpos)}")
        body = " + ".join(shorten(terms))
        if finished and t.spec.bias:
            body += " + " + self._b(cell.out_channel)
        return f"{head} = {body}" + ("" if finished else "   (so far)")

    def _counted(self, macs) -> np.ndarray:
        """Which window cells a pool's result counts: an average's divisor, the cells a
        maximum can take (its padding holds −∞)."""
        t = self.trace
        kind = t.grid_kind[tuple(macs[f] for f in t.input_fields)]
        if t.spec.op == "max_pool" or not t.spec.count_include_pad:
            return kind == DATA
        return kind != OVERFLOW

    def _first_max(self, cell) -> int:
        """The record (from the trace's first) of the running maximum's first tap so far."""
        upto = self._macs(cell.cell_start, cell.stop)
        best = float(upto["running_sum"][-1])
        return int(np.flatnonzero(upto["x"] == best)[0]) + cell.cell_start

    def _earlier_max(self, first: int) -> list:
        """The running maximum's cell, tapped in an earlier frame (a pool walked tap by tap):
        still lit as the maximum so far."""
        rec = self._macs(first, first + 1)
        ch, pos = int(rec["in_channel"][0]), tuple(int(rec[f][0]) for f in self.trace.input_fields)
        grid = self.layout.inputs.get(ch)
        if grid is None:
            return []
        value = self._input_symbol(ch, pos) if self.symbols else float(rec["x"][0])
        return self._cell(*self._at(grid, pos), "winner", value)

    def _value_so_far(self, cell, macs) -> float:
        t = self.trace
        running = float(macs["running_sum"][-1])
        if cell.stop < cell.cell_stop:
            return running
        oc = cell.out_channel
        if t.spec.op == "avg_pool":
            return running / self._divisor(macs)
        return running + (t.bias[oc] if t.kernel is not None else 0.0)

    def _divisor(self, macs) -> float:
        t = self.trace
        pos = tuple(int(macs[f][0]) for f in t.output_fields)
        return float(t.divisor[pos])

    def _equation(self, state, cell) -> str:
        """``y[0, 1, 2] = 1·2 + 0·(−1) + 3·1 + b = 7``; when long, the terms that carry the
        value (see ``product_terms``)."""
        t = self.trace
        macs = self._macs(cell.cell_start, cell.stop)
        sample = state.n if t.batch > 1 else None
        head = f"y[{index_text(t.spec, cell.out_channel, state.position, sample)}]"
        finished = cell.stop == cell.cell_stop
        if self.symbols:
            return self._symbolic_equation(state, cell, macs, finished)
        if t.kernel is None:  # pooling: the cells it counts, as lit (see _counted)
            counted = [v for v, keep in zip(macs["x"], self._counted(macs)) if keep]
            if t.spec.op == "max_pool":
                body = "max(" + ", ".join(shorten([fmt(v) for v in counted])) + ")"
            else:
                body = "(" + " + ".join(shorten([term(v) for v in counted])) + ")"
                if finished:
                    body += f" / {fmt(self._divisor(macs))}"
        else:
            body = " + ".join(product_terms(macs["x"], macs["w"]))
            if finished and t.spec.bias:
                body += " + b"
        value = self._value_so_far(cell, macs)
        so_far = "" if finished else "   (so far)"
        return f"{head} = {body} = {fmt(value)}{so_far}"


def _filled(grid, was: int, done: int, r0: int, c0: int, cols: int) -> list:
    """Cells ``was`` to ``done``, row by row, of the ``cols`` wide block of a 2-d grid whose
    top-left cell is (r0, c0), filled as output (whole rows in one box), and the grid lines
    of all ``done`` cells drawn over them (newer fills cover the lines they border)."""
    c = grid.cell
    gx, gy, width = grid.x + c0 * c, grid.y + r0 * c, cols * c
    items, k = [], was
    while k < done:
        row, col = divmod(k, cols)
        if col == 0 and done - k >= cols:  # whole rows from here
            whole = (done - k) // cols
            items.append(Box(gx, gy + row * c, width, whole * c, fill="output"))
            k += whole * cols
        else:  # part of one row
            end = min(cols, col + done - k)
            items.append(Box(gx + col * c, gy + row * c, (end - col) * c, c, fill="output"))
            k += end - col
    rows, rest = divmod(done, cols)
    bottom = gy + (rows + (rest > 0)) * c
    for r in range(rows + (rest > 0) + 1):
        y = gy + r * c
        x1 = gx + (width if r < rows or (r == rows and rows) else rest * c)
        items.append(Line(gx, y, x1, y, color="grid"))
    for col in range(cols + 1):
        x = gx + col * c
        y1 = bottom if col <= rest else gy + rows * c
        if y1 > gy:
            items.append(Line(x, gy, x, y1, color="grid"))
    return items
