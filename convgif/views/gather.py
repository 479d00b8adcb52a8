"""From a trace and a frame's state to the scene of that frame.

``Picture`` holds what is fixed for one animation (the trace, the storyboard,
the layout, the static items); ``picture.scene(i)`` builds frame ``i`` from
its index alone.
"""

from __future__ import annotations

import math

import numpy as np

from convgif.errors import ConvGifError
from convgif.frames.storyboard import ScatterStoryboard, Storyboard, describe_region
from convgif.simulate.trace import DATA, INSERTED, OVERFLOW, PAD, PAD_COPY
from convgif.views.chrome import (
    DASH,
    FLIP_CAPTION,
    caption,
    elbow,
    elbow_h,
    frame_counter,
    header,
    legend,
    legend_width,
    shape_text,
    subtitle,
    title,
    title_width,
)
from convgif.views.layout import (
    CAPTION_SIZE,
    LABEL_SIZE,
    MARGIN,
    SUBTITLE_SIZE,
    compute_layout,
    rows_2d,
    shown,
)
from convgif.views.options import DEFAULT as DEFAULT_OPTIONS
from convgif.views.options import SYMBOL_SIZE, VALUE_MODES, Options
from convgif.views.scene import Box, Line, Scene, Text
from convgif.views.text import (
    cell_for,
    distinct,
    fmt,
    set_width,
    shorten,
    span_text,
    symbol,
    term,
    text_width,
    value_fit,
)

KIND_ROLE = {
    DATA: "input",
    PAD: "pad",
    PAD_COPY: "pad_copy",
    INSERTED: "inserted",
    OVERFLOW: "paper",
}


class Picture:
    """Everything fixed for one animation of one trace."""

    def __init__(self, trace, options: Options = DEFAULT_OPTIONS):
        self.trace = trace
        self.options = options
        self._statics = {}
        self._values = {}  # (sample, out channel) -> value texts of its output cells
        self._cells = {}  # _cell's arguments -> its items (the grids live as long as self)
        self._last_macs = (None, None)
        self.shown = None  # how many frames a sampled animation keeps (render sets it)
        self.storyboard = self._storyboard()
        try:
            mode = VALUE_MODES.get(options.values)
        except TypeError:  # unhashable, e.g. a list
            mode = None
        if mode is None:
            raise ConvGifError(
                f"values={options.values!r} must be one of 'numbers', 'symbols', 'none' "
                "(or True / False / None for 'when they fit')"
            )
        self.symbols = mode == "symbols"
        # Symbols were asked for: cells wide enough to write them at SYMBOL_SIZE, on a
        # larger page if need be (a number is shorter; auto mode hides what does not fit).
        min_cell = cell_for(SYMBOL_SIZE, self._widest_label()) if self.symbols else 0.0
        parts = title(trace)
        # One title line when it fits the picture; else shapes on one line, K/P/S/D/G below.
        header_w = text_width(self._output_header(), LABEL_SIZE)
        sizes = {"grid_spatial": self._grid().shape[2:], "out_spatial": self._canvas_shape()}
        sizes["shown_out"] = options.channels
        sizes["min_cell"] = min_cell
        natural = compute_layout(trace, options.cell, output_header_width=header_w, **sizes).width
        one = DASH.join(parts)
        if title_width(one) + 2 * MARGIN <= natural:
            self.title_lines = [one]
        else:
            self.title_lines = [DASH.join(parts[:2]), DASH.join(parts[2:])]
        self.title = DASH.join(parts)
        self.subtitle = subtitle(self.trace, self.options)
        self.legend = self._legend_entries()
        widths = [title_width(line) for line in self.title_lines]
        widths += [set_width(self.subtitle, SUBTITLE_SIZE), legend_width(self.legend)]
        if options.flip:  # the caption's note, clear of the frame counter
            widths.append(set_width(FLIP_CAPTION, CAPTION_SIZE) + 110)
        self.layout = compute_layout(
            trace,
            options.cell,
            min_width=math.ceil(max(widths) + 2 * MARGIN),  # whole pixels in every backend
            title_lines=len(self.title_lines),
            output_header_width=header_w,
            **sizes,
        )
        # Values shrink to fit their cells (DejaVu digits are ~0.6 em wide); below 8 px they go.
        cell = self.layout.cell
        fit = value_fit(cell, self._widest_label())
        self.value_size = max(8.0, min(0.42 * cell, 16.0, fit))
        self.show_values = fit >= 8.0 and cell >= 16 if mode == "auto" else mode != "none"

    def __len__(self) -> int:
        return len(self.storyboard)

    def _caption(self, lines: list[str], state) -> list:
        """The caption lines at the bottom, and the frame counter on the right."""
        lay = self.layout
        return caption(lines, lay.caption_y, lay.width, frame_counter(state, self.shown))

    # ---- what the gather and scatter views draw differently

    def _drawn(self) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
        """The input and output channels the layout draws (None: all of them); frames
        animate only these, never a channel behind an ellipsis."""
        t = self.trace
        ins, outs = ([c for c in cs if c is not None] for cs in shown(t, self.options.channels))
        return (
            None if len(ins) == t.in_channels else tuple(ins),
            None if len(outs) == t.out_channels else tuple(outs),
        )

    def _storyboard(self):
        ins, outs = self._drawn()
        return Storyboard(self.trace, self.options.step, outs, self.options.outputs, ins)

    def _grid(self) -> np.ndarray:
        """The input cells drawn: the grid the window sweeps."""
        return self.trace.grid

    def _grid_kind(self) -> np.ndarray:
        return self.trace.grid_kind

    def _canvas_shape(self) -> tuple:
        return self.trace.out_spatial

    def _input_note(self) -> str:
        t = self.trace
        grid_shape = t.grid.shape[1:]
        if t.spec.transposed:
            # the gather view's grid: S − 1 zeros between cells, then D·(K−1) − P cells of
            # padding on each side (output_padding more at the end); a negative count crops
            edge = [d * (k - 1) - p for d, k, (p, _) in zip(t.dilation, t.kernel_size, t.pads)]
            changes = ["zeros inserted"] if any(s > 1 for s in t.spec.stride) else []
            if any(e > 0 for e in edge) or any(t.spec.output_padding or ()):
                changes.append("padded")
            if any(e < 0 for e in edge):
                changes.append("cropped")
            if not changes:
                return ""
            if changes == ["zeros inserted"]:
                return f": zeros inserted, giving {shape_text(grid_shape)}"
            return f": {' and '.join(changes)} to {shape_text(grid_shape)}"
        if grid_shape != t.x.shape[1:]:
            return f", padded to {shape_text(grid_shape)}"
        return ""

    def _kernel_label(self, oc: int, icl: int) -> str:
        # Transposed layers and true convolution show the flipped kernel the window slides.
        name = "w\u2032" if self.trace.spec.transposed or self.options.flip else "w"
        return f"{name}[{oc}, {icl}]"

    def _kernel_value(self, oc: int, icl: int, pos) -> float:
        return self.trace.kernel[(oc, icl, *pos)]

    def _input_symbol(self, ch: int, pos) -> str:
        """What a grid cell shows in symbols mode: the input cell it holds or copies, or 0."""
        src = self.trace.source(*pos)
        if src is None:
            return "\u2212\u221e" if self.trace.spec.op == "max_pool" else "0"
        return self._x(ch, src)

    def _x(self, ch: int, src) -> str:
        return symbol("x", (ch,) if self.trace.in_channels > 1 else (), src)

    def _kernel_symbol(self, oc: int, icl: int, kpos) -> str:
        t = self.trace
        many = t.in_per_group * t.out_channels > 1
        flipped = tuple(k - 1 - p for k, p in zip(t.kernel_size, kpos))
        if t.spec.transposed:  # the gather kernel is w flipped: name the cell it came from
            ic = (oc // t.out_per_group) * t.in_per_group + icl
            return symbol("w", (ic, oc % t.out_per_group) if many else (), flipped)
        if self.options.flip:  # true convolution: w′[i] = w[K−1−i]
            return symbol("w", (oc, icl) if many else (), flipped)
        return symbol("w", (oc, icl) if many else (), kpos)

    def _y(self, oc: int, pos) -> str:
        return symbol("y", (oc,) if self.trace.out_channels > 1 else (), pos)

    def _b(self, oc: int) -> str:
        return symbol("b", (), (oc,) if self.trace.out_channels > 1 else ())

    def _canvas_cells(self) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cols) masks of output cells drawn dashed, and of cells outside the output."""
        added = self._output_padding_cells()
        return added, np.zeros_like(added)

    # ---- helpers

    def _output_header(self) -> str:
        return f"output y {shape_text(self.trace.y.shape[1:])}"

    def _widest_label(self) -> int:
        """Characters in the widest cell label (number or symbol)."""
        t = self.trace
        if self.symbols:
            last_in = tuple(n - 1 for n in t.in_spatial)
            last_k = tuple(k - 1 for k in t.kernel_size)
            labels = [self._x(t.in_channels - 1, last_in), self._y(t.out_channels - 1, last_in)]
            if t.kernel is not None:
                labels.append(self._kernel_symbol(t.out_channels - 1, t.in_per_group - 1, last_k))
            return max(map(len, labels))
        y = t.y if t.computed is None else t.y[:, list(t.computed)]
        arrays = [t.grid[np.isfinite(t.grid)], y, t.bias]
        if t.kernel is not None:
            arrays.append(t.kernel)
        values = distinct(np.concatenate([a.ravel() for a in arrays]))
        if len(values) > 4096:  # a sample keeps this cheap on big layers
            values = values[np.linspace(0, len(values) - 1, 4096).astype(int)]
        return max(len(fmt(v)) for v in values)

    def _rc(self, *position) -> tuple[int, int]:
        return (0, position[0]) if len(position) == 1 else (position[-2], position[-1])

    def _at(self, grid, position) -> tuple:
        """(grid, row, col) of a cell: a 3-d position picks its depth slice first."""
        if len(position) == 3:
            return (grid.slice(position[0]), position[1], position[2])
        return (grid, *self._rc(*position))

    def _cell(
        self, grid, r, c, fill, value=None, edge="grid", dashed=False, color="ink", width=1.0
    ):
        # The same cells light up frame after frame: make each one once. The grid itself is
        # in the key, not its id: a depth slice is a new Grid each time it is asked for.
        key = (grid, r, c, fill, value, edge, dashed, color, width)
        items = self._cells.get(key)
        if items is None:
            x, y, w, h = grid.rect(r, c)
            items = (Box(x, y, w, h, fill=fill, edge=edge, edge_width=width, dashed=dashed),)
            if value is not None and self.show_values:
                text = value if isinstance(value, str) else fmt(value)
                items += (Text(x + w / 2, y + h / 2, text, self.value_size, color),)
            self._cells[key] = items
        return list(items)

    # ---- the static part

    @property
    def static(self) -> tuple:
        """The static items of sample 0's frames."""
        return self.static_for(0)

    def static_for(self, n: int) -> tuple:
        """What stays the same in every frame of sample ``n`` (its input values included)."""
        if n not in self._statics:
            self._statics[n] = self._build_static(n)
        return self._statics[n]

    def _build_static(self, n: int) -> tuple:
        t, lay = self.trace, self.layout
        items = header(self.title_lines, self.subtitle)
        items += legend(self.legend, self.layout.legend_y)
        for x, y, hidden in lay.ellipses:
            # The count of channels left out keeps the picture true.
            count = f"{abs(hidden)} more"
            if hidden > 0:  # between input channels
                items.append(Text(x, y - 9, "\u22ef", 22, "muted"))
                items.append(Text(x, y + 12, count, LABEL_SIZE - 2, "muted"))
            else:  # between output rows, in the bias column: from its left edge, clear of
                # the group bands to its left
                items.append(Text(x, y - 9, "\u22ee", 22, "muted"))
                left = x - lay.cell / 2
                items.append(Text(left, y + 12, count, LABEL_SIZE - 2, "muted", anchor="lm"))
        for g, x, y, w, h in lay.bands:
            items.append(Box(x, y, w, h, edge="muted", dashed=True))
            items.append(Text(x + w - 4, y + 2, f"group {g}", LABEL_SIZE - 1, "muted", anchor="ra"))

        hx, hy = lay.input_header
        note = self._input_note()
        if self.options.source:
            note += f"  \u2014  {self.options.source}"
        if t.batch > 1:
            note += f"  \u2014  sample {n} of {t.batch}"
        if t.kernel is None:  # pooling: the output rows sit right below, so name them here
            note += f"  \u2192  {self._output_header()}"
        items.append(
            Text(
                hx,
                hy,
                f"input x {shape_text(t.x.shape[1:])}{note}",
                LABEL_SIZE,
                "ink",
                anchor="lm",
                bold=True,
            )
        )
        kind, values = self._grid_kind(), self._grid()
        for ch, grid in lay.inputs.items():
            items += _labels(grid, f"x[{ch}", self._slice_names(ch))
            for pos in np.ndindex(*kind.shape):
                k = int(kind[pos])
                value = None if k == OVERFLOW else values[(n, ch, *pos)]
                if self.symbols and k != OVERFLOW:
                    value = self._input_symbol(ch, pos)
                items += self._cell(
                    *self._at(grid, pos),
                    KIND_ROLE[k],
                    value,
                    dashed=k != DATA,
                    color="ink" if k == DATA else "muted",
                )
        if t.kernel is not None:
            for (oc, icl), grid in lay.kernels.items():
                label = self._kernel_label(oc, icl)
                room = grid.x - lay.inputs[(oc // t.out_per_group) * t.in_per_group + icl].x
                if grid.depth > 1:
                    items += _labels(grid, label[:-1])
                elif room >= text_width(label, LABEL_SIZE) + 6:
                    items.append(
                        Text(
                            grid.x - 6,
                            grid.y + grid.height / 2,
                            label,
                            LABEL_SIZE,
                            "muted",
                            anchor="rm",
                        )
                    )
                else:
                    items.append(Text(grid.x, grid.y - 9, label, LABEL_SIZE, "muted", anchor="lm"))
                for pos in np.ndindex(*t.kernel_size):
                    value = self._kernel_value(oc, icl, pos)
                    if self.symbols:
                        value = self._kernel_symbol(oc, icl, pos)
                    items += self._cell(*self._at(grid, pos), "weight", value)
            for oc, grid in lay.biases.items():
                items.append(Text(grid.x, grid.y - 9, f"b[{oc}]", LABEL_SIZE, "muted", anchor="lm"))
                if t.spec.bias:
                    items += self._cell(
                        grid, 0, 0, "bias", self._b(oc) if self.symbols else t.bias[oc]
                    )
                else:
                    items += self._cell(grid, 0, 0, "pad", 0.0, dashed=True, color="muted")
        if t.kernel is not None:
            ox, oy = lay.output_header
            items.append(
                Text(ox, oy, self._output_header(), LABEL_SIZE, "ink", anchor="lm", bold=True)
            )
        dashed, outside = self._canvas_cells()
        for oc, grid in lay.outputs.items():
            items += _labels(grid, f"y[{oc}")
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
        return tuple(items)

    def _slice_names(self, ch: int) -> list | None:
        """Names of a 3-d input's depth slices (the input slice each holds, or padding),
        long and short."""
        t = self.trace
        if t.ndim != 3:
            return None
        long, short = [], []
        for kind, src in zip(t.axis_kind[0], t.axis_source[0]):
            data = f"x[{ch}, {src}]"
            long.append(data if kind == DATA else "padding" if src < 0 else f"padding = {data}")
            short.append(data if kind == DATA else "pad")
        return [long, short]

    def _output_padding_cells(self) -> np.ndarray:
        """(rows, cols) mask of the output cells a transposed layer's output_padding adds."""
        t = self.trace
        rows, cols = rows_2d(t.out_spatial)
        added = np.zeros((rows, cols), dtype=bool)
        op = t.spec.output_padding if t.spec.transposed and not t.spec.keras else None
        if op and any(op):
            op_r, op_c = self._rc(*op) if len(op) == 2 else (0, op[0])
            if op_r:
                added[rows - op_r :, :] = True
            if op_c:
                added[:, cols - op_c :] = True
        return added

    def _legend_entries(self) -> list[tuple[str, str]]:
        t = self.trace
        kinds = set(distinct(t.grid_kind).tolist())
        entries = [("input", "input")]
        if PAD in kinds:
            if t.spec.op == "max_pool":
                entries.append(("pad", "\u2212\u221e padding"))
            elif t.spec.op == "avg_pool" and not t.spec.count_include_pad:
                entries.append(("pad", "zero padding, not counted"))
            else:
                entries.append(("pad", "zero padding"))
        if PAD_COPY in kinds:
            entries.append(("pad_copy", f"padding: copy ({t.spec.padding_mode})"))
        if INSERTED in kinds:
            entries.append(("inserted", "inserted zero"))
        if self._output_padding_cells().any():
            entries.append(("output_empty", "added by output_padding"))
        if OVERFLOW in kinds:
            entries.append(("paper", "past the input (ceil_mode)"))
        entries.append(("tap", "tapped by the window"))
        if t.spec.op == "max_pool":
            entries.append(("winner", "maximum so far"))
        if t.kernel is not None:
            kernel = "kernel w\u2032 = w rotated 180\u00b0" if self.options.flip else "kernel"
            entries += [("weight", kernel), ("kernel_active", "kernel in use")]
        entries += [("output", "output"), ("output_active", "being written")]
        return entries

    # ---- one frame

    def scene(self, index: int) -> Scene:
        state = self.storyboard.frame(index)
        t, lay = self.trace, self.layout
        items = []
        for oc, grid in lay.outputs.items():
            items += self._finished(grid, state, oc)
        captions = []
        for cell in state.cells:
            items += self._window(state, cell)
            captions.append(self._equation(state, cell))
        region = self.options.outputs
        if state.phase == "open" and region is not None:
            cells = math.prod(len(r) for r in region)
            captions = [
                f"The layer at rest: the window will visit the {cells:,} chosen output cells",
                f"({describe_region(region)}) in turn; the others are left out.",
            ]
        elif state.phase == "close" and region is not None:
            captions = [
                f"Done: the chosen cells ({describe_region(region)}) of the output "
                f"{shape_text(t.output.shape)}, {t.macs_per_cell:,} multiply-accumulates each;",
                "the cells left empty were not part of the selection.",
            ]
        elif state.phase == "open":
            which = "of the channels shown " if self.storyboard.channels is not None else ""
            captions = [f"The layer at rest: the window will visit every output cell {which}"
                        "in turn."]
            if self.options.flip:
                captions.append(FLIP_CAPTION)
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
        items += self._caption(captions, state)
        return Scene(lay.width, lay.height, self.static_for(state.n), tuple(items))

    def _finished(self, grid, state, oc: int) -> list:
        """The output cells finished so far: always the first k cells in row-major order.

        Drawn per depth slice as at most two fills (whole rows, then part of a row) with
        the grid lines over them, so a frame costs the same however many cells are done.
        """
        done = self.storyboard.finished(state, oc)
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
            if in_slice:
                items += _filled(grid.slice(d), in_slice, r0, c0, cols)
        if self.show_values:
            items += self._finished_values(grid, state.n, oc)[:done]
        return items

    def _finished_values(self, grid, n: int, oc: int) -> list:
        """The value texts of the region's output cells (all by default) of a channel in
        row-major order, made once: each frame shows a prefix of them, and rebuilding it
        made scenes cost O(cells²)."""
        key = (n, oc)
        if key not in self._values:
            t = self.trace
            region = self.storyboard.region
            items = []
            for local in np.ndindex(*map(len, region)):
                pos = tuple(r.start + p for r, p in zip(region, local))
                value = self._y(oc, pos) if self.symbols else t.y[(n, oc, *pos)]
                items += self._cell(*self._at(grid, pos), "output", value)[1:]
            self._values[key] = items
        return self._values[key]

    def _macs(self, start: int, stop: int) -> np.ndarray:
        """The trace's MACs start..stop; a frame asks for the same range more than once."""
        if self._last_macs[0] != (start, stop):
            self._last_macs = ((start, stop), self.trace.macs(start, stop))
        return self._last_macs[1]

    def _window(self, state, cell) -> list:
        """Highlights of one output cell being written: taps, window, kernel, output, lines."""
        t, lay = self.trace, self.layout
        macs = self._macs(cell.start, cell.stop)
        items = []
        pos_fields, ker_fields = t.input_fields, t.kernel_fields
        channels = sorted(set(macs["in_channel"].tolist()))
        # The window's bounding box on every channel it reads in this frame.
        origin = [o * s for o, s in zip(state.position, t.stride)]
        extent = [d * (k - 1) for k, d in zip(t.kernel_size, t.dilation)]
        r0, c0 = self._rc(*origin)
        r1, c1 = self._rc(*(o + e for o, e in zip(origin, extent)))
        # the depth slices a 3-d window taps (dilation skips some)
        depths = range(origin[0], origin[0] + extent[0] + 1, t.dilation[0]) if t.ndim == 3 else [0]
        ogrid = lay.outputs.get(cell.out_channel)
        if ogrid is None:  # an output channel the layout leaves out
            return items
        winner = self._winner(cell, macs) if t.spec.op == "max_pool" else None
        # A pool lights only the cells its equation counts: not the −∞ padding of a max,
        # not padding an average leaves out of its divisor, never ceil_mode's overhang.
        # The window's outline still spans all of them.
        counted = self._counted(macs).tolist() if t.kernel is None else None
        # Plain Python columns: reading records one field at a time is slow.
        positions = list(zip(*(macs[f].tolist() for f in pos_fields)))
        kinds = t.grid_kind[tuple(macs[f] for f in pos_fields)].tolist()
        kernel_positions = list(zip(*(macs[f].tolist() for f in ker_fields)))
        in_per_group = t.in_per_group
        columns = zip(
            macs["in_channel"].tolist(), positions, kinds, macs["x"].tolist(), macs["w"].tolist()
        )
        for i, (ch, pos, kind, x, w) in enumerate(columns):
            grid = lay.inputs.get(ch)
            if grid is None or (counted is not None and not counted[i]):
                continue
            value = None if kind == OVERFLOW else x
            if self.symbols and kind != OVERFLOW:
                value = self._input_symbol(ch, pos)
            role = "winner" if i == winner else "tap"
            items += self._cell(*self._at(grid, pos), role, value, dashed=kind != DATA)
            if t.kernel is not None:
                icl = ch % in_per_group
                kpos = kernel_positions[i]
                if self.symbols:
                    w = self._kernel_symbol(cell.out_channel, icl, kpos)
                items += self._cell(
                    *self._at(lay.kernels[(cell.out_channel, icl)], kpos), "kernel_active", w
                )
        ocell = self._at(ogrid, state.position)
        finished = cell.stop == cell.cell_stop
        value = self._value_so_far(cell, macs)
        if self.symbols:
            value = self._y(cell.out_channel, state.position)
        items += self._cell(*ocell, "output_active", value, edge="window", width=2.5)
        ocx, ocy = ocell[0].center(*ocell[1:])
        for ch in channels:
            grid = lay.inputs.get(ch)
            if grid is None:
                continue
            boxes = [grid.slice(d).span(r0, c0, r1, c1) for d in depths]
            items += [Box(*box, edge="window", edge_width=2.5) for box in boxes]
            x, y, w, h = boxes[0]  # the connector leaves from the first slice
            if t.kernel is None:
                if self.options.lines:
                    items += elbow(x + w / 2, grid.y + grid.height, ocx, ogrid.y, lay.lane_y)
                continue
            kgrid = lay.kernels[(cell.out_channel, ch % t.in_per_group)]
            items.append(
                Box(kgrid.x, kgrid.y, kgrid.width, kgrid.height, edge="window", edge_width=2.5)
            )
            if self.options.lines:
                # Down from the window below the grid, along the lane, then down the kernel's
                # right side (clear of the other kernels) into it.
                side = kgrid.x + kgrid.width + 8
                ky = kgrid.y + kgrid.height / 2
                items += [
                    Line(x + w / 2, grid.y + grid.height, x + w / 2, lay.lane_y, width=1.5),
                    Line(x + w / 2, lay.lane_y, side, lay.lane_y, width=1.5),
                    Line(side, lay.lane_y, side, ky, width=1.5),
                    Line(side, ky, kgrid.x + kgrid.width, ky, width=1.5),
                ]
        if t.kernel is not None:
            bgrid = lay.biases[cell.out_channel]
            if finished and t.spec.bias:
                oc = cell.out_channel
                bias = self._b(oc) if self.symbols else t.bias[oc]
                items += self._cell(bgrid, 0, 0, "kernel_active", bias)
            if self.options.lines:
                bx, by = bgrid.center(0, 0)
                items += elbow_h(bx + bgrid.cell / 2, by, ogrid.x, ocy)
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

    def _winner(self, cell, macs) -> int | None:
        """Index in ``macs`` of the cell holding the running maximum (the first to reach it)."""
        upto = self._macs(cell.cell_start, cell.stop)
        best = float(upto["running_sum"][-1])
        first = int(np.flatnonzero(upto["x"] == best)[0]) + cell.cell_start
        return first - cell.start if cell.start <= first < cell.stop else None

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
        """``y[0, 1, 2] = 1·2 + 0·(−1) + … + b = 7``, shortened when long."""
        t = self.trace
        macs = self._macs(cell.cell_start, cell.stop)
        index = ", ".join(
            str(v)
            for v in ((state.n,) if t.batch > 1 else ()) + (cell.out_channel, *state.position)
        )
        head = f"y[{index}]"
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
            xs, ws = macs["x"], macs["w"]
            # only the terms the shortened caption keeps are worth formatting
            kept = shorten(list(range(len(xs))))
            terms = [k if k == "\u2026" else f"{term(xs[k])}\u00b7{term(ws[k])}" for k in kept]
            body = " + ".join(terms)
            if finished and t.spec.bias:
                body += " + b"
        value = self._value_so_far(cell, macs)
        so_far = "" if finished else "   (so far)"
        return f"{head} = {body} = {fmt(value)}{so_far}"


def _filled(grid, done: int, r0: int, c0: int, cols: int) -> list:
    """The first ``done`` cells, row by row, of the ``cols`` wide block of a 2-d grid whose
    top-left cell is (r0, c0), filled as output with grid lines drawn over them."""
    c = grid.cell
    gx, gy, width = grid.x + c0 * c, grid.y + r0 * c, cols * c
    rows, rest = divmod(done, cols)
    items = []
    if rows:
        items.append(Box(gx, gy, width, rows * c, fill="output"))
    if rest:
        items.append(Box(gx, gy + rows * c, rest * c, c, fill="output"))
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


def _labels(grid, head: str, names=None) -> list:
    """``x[0]`` over a grid; over each depth slice of a 3-d grid its own name, ``x[0, d]``.

    ``names`` offers lists of slice names, longest first; when none fits the slices,
    the grid is named once, as a whole.
    """
    if grid.depth == 1:
        return [Text(grid.x, grid.y - 9, head + "]", LABEL_SIZE, "muted", anchor="lm")]
    pitch = grid.slice(1).x - grid.x
    offers = [*(names or []), [f"{head}, {d}]" for d in range(grid.depth)]]
    fits = [o for o in offers if max(text_width(n, LABEL_SIZE) for n in o) <= pitch - 4]
    chosen = fits[0] if fits else [head + "]"]  # else the whole tensor, named once
    return [
        Text(grid.slice(d).x, grid.y - 9, name, LABEL_SIZE, "muted", anchor="lm")
        for d, name in enumerate(chosen)
    ]


class ScatterPicture(Picture):
    """Transposed layers, scatter view: each input cell stamps ``x × W`` onto the output.

    The output is drawn as the whole canvas the stamps cover; the border that
    ``padding`` crops away is drawn dashed, so a viewer sees where those
    products go. Overlapping stamps add up, and the running sums are shown.
    """

    def __init__(self, trace, options: Options = DEFAULT_OPTIONS):
        if not trace.spec.transposed:
            raise ConvGifError(
                f"view='scatter' needs a transposed layer, not {trace.spec.name}; use view='gather'"
            )
        if options.outputs is not None:
            raise ConvGifError(
                "outputs= chooses output cells of the gather view; view='scatter' stamps "
                "whole input cells, so it takes no outputs="
            )
        if options.values == "symbols":
            raise ConvGifError(
                "values='symbols' does not apply to view='scatter': its output cells hold "
                "running sums of stamps, which no one symbol names; use the gather view"
            )
        super().__init__(trace, options)

    def _storyboard(self):
        if self.options.step != "output":
            raise ConvGifError(
                f"step={self.options.step!r} does not apply to view='scatter': its frames are "
                "its stamps, one input cell onto one output channel each"
            )
        ins, outs = self._drawn()
        return ScatterStoryboard(self.trace, outs, ins)

    def _grid(self) -> np.ndarray:
        return self.trace.x

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

    def _kernel_label(self, oc: int, icl: int) -> str:
        t = self.trace
        ic = (oc // t.out_per_group) * t.in_per_group + icl
        return f"w[{ic}, {oc % t.out_per_group}]"

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

    def _canvas(self, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Sums and stamp counts on the canvas after the first ``stop`` scatter MACs."""
        t = self.trace
        shape = (t.batch, t.out_channels, *self._canvas_shape())
        sums, hits = np.zeros(shape), np.zeros(shape, dtype=np.int64)
        macs = t.scatter_macs(0, stop)
        where = (macs["n"], macs["out_channel"]) + tuple(
            macs[f] + pb for f, pb in zip(t.output_fields, self._crops)
        )
        np.add.at(sums, where, macs["product"])
        np.add.at(hits, where, 1)
        return sums, hits

    def scene(self, index: int) -> Scene:
        state = self.storyboard.frame(index)
        t, lay = self.trace, self.layout
        stamp = self.storyboard.stamp(state) if state.phase == "step" else None
        stop = stamp.stop if stamp else (t.num_scatter_macs if state.phase == "close" else 0)
        sums, hits = self._canvas(stop)
        n = stamp.n if stamp else 0
        _, outside = self._canvas_cells()
        items = []
        for oc, grid in lay.outputs.items():
            for pos in np.ndindex(*sums.shape[2:]):
                r, c = self._rc(*pos)
                if outside[r, c]:
                    if hits[(n, oc, *pos)]:
                        items += self._cell(
                            grid, r, c, "pad", sums[(n, oc, *pos)], dashed=True, color="muted"
                        )
                elif state.phase == "close":
                    real = tuple(p - pb for p, pb in zip(pos, self._crops))
                    items += self._cell(grid, r, c, "output", t.y[(n, oc, *real)])
                elif hits[(n, oc, *pos)]:
                    items += self._cell(grid, r, c, "output", sums[(n, oc, *pos)])
        if stamp:
            items += self._stamp(stamp, sums, outside)
        if state.phase == "open":
            caption = [
                "Scatter view: each input cell stamps value \u00d7 kernel onto the output;"
                " overlapping stamps add up."
            ]
        elif state.phase == "close":
            caption = [
                f"Done: {t.num_scatter_macs:,} products stamped, then + b gives the output "
                f"{shape_text(t.output.shape)}" + (";" if outside.any() else "."),
            ]
            if outside.any():
                caption.append(
                    "dashed cells fall outside it: padding crops them"
                    + (" (output_padding gives some back at the end)." if self._gives_back()
                       else ".")
                )
        else:
            caption = self._stamp_caption(stamp)
        items += self._caption(caption, state)
        return Scene(lay.width, lay.height, self.static_for(n), tuple(items))

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
        for m in t.scatter_macs(stamp.start, stamp.stop):
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
            side = kgrid.x + kgrid.width + 8
            ky = kgrid.y + kgrid.height / 2
            items += [
                # from below the grid, as the gather view's window: not across the cells
                # under the stamping one
                Line(cx + cw / 2, grid.y + grid.height, cx + cw / 2, lay.lane_y, width=1.5),
                Line(cx + cw / 2, lay.lane_y, side, lay.lane_y, width=1.5),
                Line(side, lay.lane_y, side, ky, width=1.5),
                Line(side, ky, kgrid.x + kgrid.width, ky, width=1.5),
            ]
            bgrid = lay.biases[stamp.out_channel]
            bx, by = bgrid.center(0, 0)
            # To the canvas' edge, level with the stamp: never across other cells.
            items += elbow_h(bx + bgrid.cell / 2, by, ogrid.x, oy + oh / 2)
        return items

    def _stamp_caption(self, stamp) -> list[str]:
        t = self.trace
        where = ", ".join(str(v) for v in (stamp.in_channel, *stamp.position))
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
