"""The scatter view of a transposed layer: each input cell stamps ``value × kernel`` onto the
output, where overlapping stamps add up."""

from __future__ import annotations

import numpy as np

from convgif.errors import NAME, ConvGifError, name_of
from convgif.frames.scatter import SCATTER_STEPS, ScatterStoryboard
from convgif.simulate.trace import DATA
from convgif.views.chrome import CONNECTOR_WIDTH, shape_text, to_cell
from convgif.views.equation import shorten
from convgif.views.layer import LayerPicture
from convgif.views.options import DEFAULT as DEFAULT_OPTIONS
from convgif.views.options import Options
from convgif.views.scatter_blocks import ScatterBlocks
from convgif.views.scene import Box, Line, Scene, Text
from convgif.views.sizes import BUS_DROP
from convgif.views.terms import index_text, kernel_note
from convgif.views.text import fmt, span_text, term

INSET = 1.5  # a cropped sum's fill stays this far inside its cell's outline


class ScatterPicture(ScatterBlocks, LayerPicture):
    """Transposed layers, scatter view: each input cell stamps ``x × W`` onto the output.

    The output is drawn as the whole canvas the stamps cover; the border that
    ``padding`` crops away is drawn dashed, so a viewer sees where those
    products go. Overlapping stamps add up, and the running sums are shown.
    """

    SUM_NODES = False

    def __init__(self, trace, options: Options = DEFAULT_OPTIONS):
        if not trace.spec.transposed:
            raise ConvGifError(
                f"{NAME}='scatter' needs a transposed layer, not {trace.spec.name}; "
                f"use {NAME}='gather'", "view"
            )
        if options.outputs is not None:
            raise ConvGifError(
                f"{NAME}= chooses output cells of the gather view; {name_of('view')}='scatter' "
                f"stamps whole input cells, so it takes no {NAME}=", "outputs"
            )
        if options.values == "symbols":
            raise ConvGifError(
                f"{NAME}='symbols' does not apply to {name_of('view')}='scatter': its output "
                "cells hold running sums of stamps, which no one symbol names; use the gather "
                "view", "values"
            )
        self._sums = (0, None, None)  # (MACs added, sums, hits) of the last frame drawn
        super().__init__(trace, options)

    def _storyboard(self):
        if self.options.step not in SCATTER_STEPS:
            raise ConvGifError(
                f"{NAME}={self.options.step!r} does not apply to {name_of('view')}='scatter': "
                "its frames are its stamps, one input cell onto one output channel each", "step"
            )
        ins, outs = self._drawn()
        return ScatterStoryboard(self.trace, outs, ins, self.options.step)

    def _grid(self) -> np.ndarray:
        return self.trace.x

    def _thin_slices(self) -> frozenset:
        return frozenset()  # the raw input: no padding slices

    def _grid_kind(self) -> np.ndarray:
        return np.full(self.trace.x.shape[2:], DATA, dtype=np.int8)

    def _input_note(self) -> str:
        return ""

    def _axes(self):
        """Per axis: (crop before, output size, canvas size)."""
        t = self.trace
        for n, k, s, d, (pb, _), out in zip(
            t.in_spatial, t.kernel_size, t.spec.stride, t.dilation, t.pads, t.out_spatial
        ):
            reach = (n - 1) * s + d * (k - 1) + 1
            yield pb, out, max(reach, pb + out)

    @property
    def _crops(self) -> tuple[int, ...]:
        """Cells padding crops from the start of each axis: canvas index − output index."""
        return tuple(pb for pb, _, _ in self._axes())

    def _canvas_shape(self) -> tuple:
        return tuple(size for _, _, size in self._axes())

    def _gives_back(self) -> bool:
        op = self.trace.spec.output_padding
        return bool(op and any(op))

    def _canvas_cells(self) -> tuple[np.ndarray, np.ndarray]:
        masks = [
            (np.arange(size) < pb) | (np.arange(size) >= pb + out) for pb, out, size in self._axes()
        ]
        outside = masks[0][None, :] if len(masks) == 1 else masks[0][:, None] | masks[1][None, :]
        return outside, outside

    def _kernel_name(self, oc: int, icl: int) -> str:
        t = self.trace
        ic = (oc // t.out_per_group) * t.in_per_group + icl
        return f"w[{ic}, {oc % t.out_per_group}]"

    def _row_name(self, oc: int) -> str:
        return f"w[:, {oc % self.trace.out_per_group}]"

    def _kernel_note(self) -> str:
        return kernel_note(self.trace.spec, scatter=True)

    def _kernel_value(self, oc: int, icl: int, pos) -> float:
        t = self.trace
        ic = (oc // t.out_per_group) * t.in_per_group + icl
        return t.weight[(ic, oc % t.out_per_group, *pos)]

    def _legend_entries(self) -> list[tuple[str, str]]:
        return [
            ("input", "input"),
            ("tap", "stamping cell"),
            ("weight", "kernel"),
            ("kernel_active", "kernel in use"),
            ("output", "sum so far"),
            ("output_active", "just stamped"),
            ("pad", "cropped by padding"),
        ]

    def _records(self, start: int, stop: int) -> np.ndarray:
        """Scatter MACs ``start`` to ``stop`` (their running sums are not read here, so
        nothing before ``start`` is replayed)."""
        return self.trace.scatter_chunk(start, stop, np.zeros(self.trace.y.shape))

    def _canvas(self, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Sums and stamp counts on the canvas after the first ``stop`` scatter MACs.

        Carried from the last frame asked for and brought up to ``stop`` (np.add.at adds
        in order, so the sums are the same as from scratch): a walk costs what its stamps
        cost, not a replay from the first MAC in every frame.
        """
        t = self.trace
        done, sums, hits = self._sums
        if sums is None or stop < done:
            shape = (t.batch, t.out_channels, *self._canvas_shape())
            done, sums, hits = 0, np.zeros(shape), np.zeros(shape, dtype=np.int64)
        macs = self._records(done, stop)
        where = (macs["n"], macs["out_channel"]) + tuple(
            macs[f] + pb for f, pb in zip(t.output_fields, self._crops)
        )
        np.add.at(sums, where, macs["product"])
        np.add.at(hits, where, 1)
        self._sums = (stop, sums, hits)
        return sums, hits

    def _progress(self, state) -> tuple[int, int]:
        """(the sample, the scatter MACs summed) by the end of a frame."""
        t = self.trace
        if state.phase == "step":
            stamp = self.storyboard.stamp(state)
            return stamp.n, stamp.stop
        if state.phase == "bias":
            return state.n, t.num_scatter_macs
        return 0, (t.num_scatter_macs if state.phase == "close" else 0)

    def _changed(self, before, state) -> set | None:
        """The (output channel, canvas position) cells whose sums changed after the frame
        ``before``; None when every cell must be drawn (another sample, the closing frame's
        final values, or a walk that went back)."""
        (n0, stop0), (n, stop) = self._progress(before), self._progress(state)
        if before.phase == "close" and state.phase == "close":
            return set()
        if n0 != n or state.phase in ("close", "bias") or stop < stop0:
            return None
        t = self.trace
        macs = self._records(stop0, stop)
        positions = zip(*(macs[f] + pb for f, pb in zip(t.output_fields, self._crops)))
        return {(int(oc), tuple(map(int, pos)))
                for oc, pos in zip(macs["out_channel"], positions)}

    def _sum_cells(self, state, sums, hits, changed) -> list:
        """Every output cell's running sum (the final value in the closing frame), or only
        those of the ``changed`` cells, in row-major order."""
        t, lay = self.trace, self.layout
        n = self._progress(state)[0]
        _, outside = self._canvas_cells()
        items = []
        for oc, grid in lay.outputs.items():
            where = np.ndindex(*sums.shape[2:]) if changed is None else sorted(
                pos for o, pos in changed if o == oc)
            for pos in where:
                r, c = self._rc(*pos)
                if outside[r, c]:
                    if hits[(n, oc, *pos)]:
                        items += self._outside_sum(grid, r, c, sums[(n, oc, *pos)])
                elif state.phase in ("close", "bias") or hits[(n, oc, *pos)]:
                    real = tuple(p - pb for p, pb in zip(pos, self._crops))
                    # the bias is in from the bias frame on: the final values
                    final = state.phase in ("close", "bias")
                    value = t.y[(n, oc, *real)] if final else sums[(n, oc, *pos)]
                    fill, color = self._shade("output", oc, value, "output")
                    items += self._cell(grid, r, c, fill, value, color=color)
        return items

    def _outside_sum(self, grid, r: int, c: int, value: float) -> list:
        """A sum that padding crops: written inside the cell's static dashed outline, which
        it leaves alone, so a walk that settles its neighbours in another order paints the
        shared edges the same."""
        x, y, w, h = grid.rect(r, c)
        items = [Box(x + INSET, y + INSET, w - 2 * INSET, h - 2 * INSET, fill="pad", edge=None)]
        if self.show_values:
            items.append(Text(x + w / 2, y + h / 2, fmt(value), self.value_size, "muted"))
        return items

    def scene(self, index: int, *, since: int | None = None, shown: int | None = None) -> Scene:
        state = self.storyboard.frame(index)
        t, lay = self.trace, self.layout
        block = self.storyboard.block(state)
        stamp = self.storyboard.stamp(state) if state.phase == "step" and not block else None
        n, stop = self._progress(state)
        changed = None if since is None else self._changed(self.storyboard.frame(since), state)
        sums, hits = self._canvas(stop)
        _, outside = self._canvas_cells()
        settled = self._sum_cells(state, sums, hits, changed)
        items = []
        if stamp:
            items += self._stamp(stamp, sums, outside)
        if block:
            items += self._stamp_block(block, sums, outside)
        if state.phase == "open":
            caption = [
                "Scatter view: each input cell stamps value \u00d7 kernel onto the output;"
                " overlapping stamps add up."
            ]
            if self.storyboard.tour is not None:
                caption.append(self._tour_opening())
        elif state.phase == "bias":
            items += self._bias_added(n)
            caption = self._bias_caption()
        elif state.phase == "close":
            added = " and the bias added give" if t.spec.bias else " give"
            caption = [
                f"Done: {t.num_scatter_macs:,} products stamped{added} the output "
                f"{shape_text(t.output.shape)}" + (";" if outside.any() else "."),
            ]
            if outside.any():
                caption.append(
                    "dashed cells fall outside it: padding crops them"
                    + (" (output_padding gives some back at the end)." if self._gives_back()
                       else ".")
                )
        elif block:
            caption = self._block_caption(block)
        else:
            caption = self._stamp_caption(stamp)
        items += self._caption(caption, state, shown)
        return Scene(lay.width, lay.height, self.static_for(n), tuple(items),
                     settled=tuple(settled))

    def _footprint(self, stamp):
        """Canvas (row, col) span of one stamp: top-left and bottom-right cells."""
        t = self.trace
        first = [i * s for i, s in zip(stamp.position, t.spec.stride)]
        last = [f + d * (k - 1) for f, k, d in zip(first, t.kernel_size, t.dilation)]
        return self._rc(*first), self._rc(*last)

    def _stamp(self, stamp, sums, outside) -> list:
        t, lay = self.trace, self.layout
        icl = stamp.in_channel % t.in_per_group
        grid = lay.inputs[stamp.in_channel]
        r, c = self._rc(*stamp.position)
        x = t.x[(stamp.n, stamp.in_channel, *stamp.position)]
        items = self._cell(grid, r, c, "tap", x)
        cx, cy, cw, ch = grid.rect(r, c)
        items.append(Box(cx, cy, cw, ch, edge="window", edge_width=2.5))
        kgrid = lay.kernels[(stamp.out_channel, icl)]
        for pos in np.ndindex(*t.kernel_size):
            items += self._cell(
                kgrid,
                *self._rc(*pos),
                "kernel_active",
                self._kernel_value(stamp.out_channel, icl, pos),
            )
        items.append(
            Box(kgrid.x, kgrid.y, kgrid.width, kgrid.height, edge="window", edge_width=2.5)
        )
        ogrid = lay.outputs[stamp.out_channel]
        (r0, c0), (r1, c1) = self._footprint(stamp)
        for m in self._records(stamp.start, stamp.stop):
            pos = tuple(int(m[f]) + pb for f, pb in zip(t.output_fields, self._crops))
            orr, occ = self._rc(*pos)
            items += self._cell(
                ogrid,
                orr,
                occ,
                "output_active",
                sums[(stamp.n, stamp.out_channel, *pos)],
                dashed=bool(outside[orr, occ]),
            )
        ox, oy, ow, oh = ogrid.span(r0, c0, r1, c1)
        items.append(Box(ox, oy, ow, oh, edge="window", edge_width=2.5))
        if self.options.lines:
            # from below the grid, as the gather view's window: not across the cells under
            # the stamping one
            items += self._to_kernel(cx + cw / 2, grid, kgrid)
            items += self._onto(kgrid, ogrid, (ox, oy, ow, oh))
        # no line from the bias: a stamp adds none of it (the bias frame does)
        return items

    def _onto(self, kgrid, ogrid, region) -> list:
        """The line on from the stamping kernel to the ``region`` it stamps: down from its
        bottom edge, along under its row, then as the gather view's lines reach a cell
        (past the bias column, never across a written sum)."""
        lay = self.layout
        x, y = kgrid.x + kgrid.width / 2, kgrid.y + kgrid.height + BUS_DROP
        lane, open_left = self._lane_to(ogrid)
        if lane is None:  # outputs at the rows' ends: the lane between the bias and them
            oc = next(o for o, g in lay.outputs.items() if g is ogrid)
            left = lay.biases.get(oc) or lay.sums[oc]
            lane = (left.x + left.cell + ogrid.x) / 2
        return [Line(x, y - BUS_DROP, x, y, width=CONNECTOR_WIDTH)] + to_cell(
            x, y, ogrid, region, lane, open_left)

    def _bias_added(self, n: int) -> list:
        """The bias frame: each drawn output channel's bias lit, the real output (not the
        cropped border) outlined, and the line from one to the other."""
        t, lay = self.trace, self.layout
        items = []
        (r0, c0), (r1, c1) = self._rc(*self._crops), self._rc(
            *(pb + o - 1 for pb, o in zip(self._crops, t.out_spatial)))
        for oc, ogrid in lay.outputs.items():
            bgrid = lay.biases[oc]
            items += self._cell(bgrid, 0, 0, "kernel_active", t.bias[oc])
            ox, oy, ow, oh = ogrid.span(r0, c0, r1, c1)
            items.append(Box(ox, oy, ow, oh, edge="window", edge_width=2.5))
            if self.options.lines:
                bx, by = bgrid.center(0, 0)
                items += to_cell(bx + bgrid.cell / 2, by, ogrid, (ox, oy, ow, oh),
                                 *self._lane_to(ogrid))
        return items

    def _bias_caption(self) -> list[str]:
        """``+ b: every cell of y[0] adds b[0] = 2; y[1] adds b[1] = −2``, per channel drawn."""
        t = self.trace
        adds = shorten([f"y[{oc}] + {term(t.bias[oc])}" for oc in self.layout.outputs])
        where = " (the cropped border takes none)" if self._canvas_cells()[1].any() else ""
        return [f"Then + b: every cell of each output channel adds its bias{where}:",
                ", ".join(adds) + "."]

    def _stamp_caption(self, stamp) -> list[str]:
        t = self.trace
        where = index_text(t.spec, stamp.in_channel, stamp.position)
        x = t.x[(stamp.n, stamp.in_channel, *stamp.position)]
        (r0, c0), (r1, c1) = self._footprint(stamp)
        crops = self._crops
        pr, pc = self._rc(*crops) if len(crops) == 2 else (0, crops[0])
        span = "cols " + span_text(c0 - pc, c1 - pc)
        if t.ndim == 2:
            span = "rows " + span_text(r0 - pr, r1 - pr) + ", " + span
        ocl = stamp.out_channel % t.out_per_group
        text = (
            f"x[{where}] = {fmt(x)} stamps {term(x)} \u00d7 w[{stamp.in_channel}, {ocl}] "
            f"onto y[{stamp.out_channel}] {span}; overlaps add up"
        )
        skipped = self.storyboard.skipped_before(stamp)
        if skipped:  # their stamps are in the sums, though no frame showed them
            return [text, f"Since the last frame, the sums also took in the stamps of the "
                    f"{skipped} input channels left out."]
        return [text]
