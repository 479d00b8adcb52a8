"""The matrix view: the layer drawn as ``y = C·x + b`` (``view='matrix'``).

The flattened input ``x`` is drawn as a row right above ``C``, so every
entry of ``C`` sits under the input value it multiplies; ``b`` and ``y`` are
columns beside ``C``'s rows. Each frame lights one row of ``C`` (one output
cell), the ``x`` entries it uses, and, in the small grids on the left, the
same cells where the kernel's window sits on the input. Zero entries (no tap)
stay blank, so the sparsity pattern, the shifted copies of the kernel and the
zero blocks of other groups read at a glance.

``MatrixPicture`` has the interface the renderer needs of a picture:
``len``, ``scene(i)``, ``layout.width`` / ``layout.height``, ``options``,
``shown``, ``trace``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from convgif.errors import ConvGifError
from convgif.frames.storyboard import Storyboard, frame_index
from convgif.simulate.matrix import forward_conv, from_trace
from convgif.views.chrome import (
    DASH,
    caption,
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
    FITS,
    LABEL,
    LABEL_SIZE,
    MARGIN,
    SUBTITLE_SIZE,
    TITLE_SIZE,
    Grid,
    rows_2d,
)
from convgif.views.options import VALUE_MODES, Options
from convgif.views.scene import Box, Line, Scene, Text
from convgif.views.text import MAX_TERMS, fmt, set_width, term, text_width, value_fit
from convgif.views.view import View

MAX_CELL = 30  # a matrix has many cells: a smaller top size than the grids' views
MIN_SPATIAL, MAX_SPATIAL = 8, 22  # cell size of the small grids on the left
MAX_CELLS = 400_000  # entries of C a picture draws; beyond this no cell size helps


@dataclass(frozen=True)
class MatrixLayout:
    width: float
    height: float
    cell: float
    title_y: float
    subtitle_y: float
    legend_y: float
    caption_y: float
    header_y: float  # the matrix block's header line
    x_row: Grid  # x, flattened: 1 × cols, right above C's columns
    matrix: Grid  # C (or Cᵀ): rows × cols
    bias: Grid  # rows × 1
    y_col: Grid  # rows × 1
    inputs: dict  # input channel -> Grid (the small spatial grids)
    outputs: dict  # output channel -> Grid
    forward: Grid | None = None  # transposed layers: C itself, beside Cᵀ


@dataclass(frozen=True)
class MatrixFrame:
    index: int
    count: int
    phase: str  # "open", "step" or "close"
    step: int = -1  # position in the rows the animation walks
    row: int = -1  # the row of C lit


class MatrixPicture(View):
    """Everything fixed for one matrix-view animation of one trace."""

    def __init__(self, trace, options: Options | None = None):
        options = Options() if options is None else options
        if trace.ndim not in (1, 2):
            raise ConvGifError(
                f"view='matrix' draws 1-d and 2-d layers, not {trace.spec.name}; "
                "use view='gather'"
            )
        if options.step != "output":
            raise ConvGifError(
                f"step={options.step!r}: view='matrix' lights one row of C (one output cell) "
                "per frame; use step='output'"
            )
        if options.values == "symbols":
            raise ConvGifError(
                "values='symbols' is not available in view='matrix' (with reflect, replicate or "
                "circular padding an entry of C sums several weights): use 'numbers'"
            )
        if options.outputs is not None:
            raise ConvGifError(
                "outputs= chooses output cells of the gather view; view='matrix' lights every "
                "row of C, so it takes no outputs= (channels= picks rows by output channel)"
            )
        self.trace = trace
        self.options = options
        self.cm = from_trace(trace)
        rows, cols = self.cm.shape
        if rows * cols > MAX_CELLS:
            raise ConvGifError(
                f"view='matrix': C would have {rows:,} x {cols:,} entries (limit "
                f"{MAX_CELLS:,} drawn); use a smaller input or view='gather'"
            )
        # Channel checks live in one place: the storyboard's.
        Storyboard(trace, "output", options.channels)
        per_channel = rows // trace.out_channels
        chosen = range(trace.out_channels) if options.channels is None else options.channels
        self.rows = [oc * per_channel + i for oc in sorted(set(chosen)) for i in range(per_channel)]
        self.name = "C\u1d40" if trace.spec.transposed else "C"
        self.forward = None
        if trace.spec.transposed:
            try:
                self.forward = forward_conv(trace.spec, trace.in_spatial)
            except ConvGifError:  # output_padding ≥ stride: Cᵀ has no forward Conv to name
                pass

        parts = title(trace)
        self.title = DASH.join(parts)
        self.subtitle = subtitle(self.trace, self.options)
        self.legend = self._legend_entries()
        natural = self._measure(self._auto_cell())[0]
        if title_width(self.title) + 2 * MARGIN <= natural:
            self.title_lines = [self.title]
        else:
            self.title_lines = [DASH.join(parts[:2]), DASH.join(parts[2:])]
        widths = [title_width(line) for line in self.title_lines]
        widths += [set_width(self.subtitle, SUBTITLE_SIZE), legend_width(self.legend)]
        widths += [set_width(line, CAPTION_SIZE) for line in self._open_caption()]
        self.min_width = max(widths) + 2 * MARGIN
        cell = self._auto_cell() if options.cell is None else float(options.cell)
        self.layout = self._layout(cell)
        mode = VALUE_MODES.get(options.values)
        if mode is None:
            raise ConvGifError(
                f"values={options.values!r} must be one of 'numbers', 'none' "
                "(or True / False / None for 'when they fit')"
            )
        cell = self.layout.cell
        fit = value_fit(cell, self._widest_label())
        self.value_size = max(8.0, min(0.42 * cell, 16.0, fit))
        self.show_values = fit >= 8.0 and cell >= 16 if mode == "auto" else mode != "none"
        # The small grids' cells are smaller: their values get their own size, or none.
        small = next(iter(self.layout.inputs.values())).cell
        small_fit = value_fit(small, self._widest_label())
        self.small_value_size = max(8.0, min(0.42 * small, 16.0, small_fit))
        self.small_values = self.show_values and small_fit >= 8.0 and small >= 14
        self._static = None

    def __len__(self) -> int:
        return len(self.rows) + 2

    # ---- layout

    def _spatial_cell(self, c: float, block_h: float) -> float:
        """The small grids' cell: like C's, shrunk until their stack is no taller than C's block."""
        t = self.trace
        in_r, _ = rows_2d(t.in_spatial)
        out_r, _ = rows_2d(t.out_spatial)
        labels = (t.in_channels + t.out_channels) * (LABEL + 6) + 12
        cells = t.in_channels * in_r + t.out_channels * out_r
        fit = (block_h - labels) / cells
        return float(max(MIN_SPATIAL, min(MAX_SPATIAL, c, int(fit))))

    def _measure(self, c: float, min_width: float = 0.0):
        """(width, height, positions) of the picture with C's cells of size ``c``."""
        t = self.trace
        rows, cols = self.cm.shape
        title_h = len(getattr(self, "title_lines", [""])) * (TITLE_SIZE + 6)
        top = MARGIN + title_h + 2 + SUBTITLE_SIZE + 10 + SUBTITLE_SIZE + 14
        label_lines = 2 if t.in_channels > 1 else 1
        x_y = top + label_lines * LABEL + 4
        c_y = x_y + c + LABEL + 10
        block_h = c_y + rows * c - top
        sc = self._spatial_cell(c, block_h)
        in_r, in_c = rows_2d(t.in_spatial)
        out_r, out_c = rows_2d(t.out_spatial)
        panel_w = max(in_c, out_c) * sc
        panel_w = max(panel_w, text_width("x[0]", LABEL_SIZE))
        inputs, outputs = {}, {}
        y = top + LABEL
        for ch in range(t.in_channels):
            inputs[ch] = Grid(MARGIN, y, in_r, in_c, sc)
            y += in_r * sc + LABEL + 6
        y += 12
        for oc in range(t.out_channels):
            outputs[oc] = Grid(MARGIN, y, out_r, out_c, sc)
            y += out_r * sc + LABEL + 6
        panel_bottom = y - LABEL - 6
        mx = MARGIN + panel_w + max(36.0, 1.5 * c)
        gap = max(24.0, 1.2 * c)
        matrix = Grid(mx, c_y, rows, cols, c)
        bias = Grid(mx + cols * c + gap, c_y, rows, 1, c)
        y_col = Grid(bias.x + c + gap, c_y, rows, 1, c)
        label_w = text_width("y[0]", LABEL_SIZE) + 10 if t.out_channels > 1 else 0
        header_w = set_width(self._header(), LABEL_SIZE)
        right = y_col.x + c + 8 + label_w
        forward = None
        if t.spec.transposed:  # C beside Cᵀ: the same entries, mirrored across the diagonal
            forward = Grid(right + gap, c_y, cols, rows, c)
            right = forward.x + forward.width + 4
        width = max(right, mx + header_w) + MARGIN
        width = math.ceil(max(width, min_width, 480.0))  # whole pixels in every backend
        body_bottom = max(c_y + rows * c + LABEL + 4, panel_bottom)
        height = math.ceil(body_bottom + 16 + 2 * CAPTION_SIZE + 10 + MARGIN)
        return width, height, top, x_y, matrix, bias, y_col, inputs, outputs, forward

    def _auto_cell(self) -> float:
        # The grids' ladder of page sizes: a slide with legible values, a taller page, a big one.
        for max_w, max_h, largest, smallest in FITS:
            for c in range(min(largest, MAX_CELL), smallest - 1, -1):
                w, h, *_ = self._measure(c, getattr(self, "min_width", 0.0))
                if w <= max_w and h <= max_h:
                    return float(c)
        return float(FITS[-1][3])

    def _layout(self, cell: float) -> MatrixLayout:
        width, height, top, x_y, matrix, bias, y_col, inputs, outputs, forward = self._measure(
            cell, self.min_width
        )
        title_h = len(self.title_lines) * (TITLE_SIZE + 6)
        return MatrixLayout(
            width=width,
            height=height,
            cell=cell,
            title_y=MARGIN,
            subtitle_y=MARGIN + title_h + 2,
            legend_y=MARGIN + title_h + 2 + SUBTITLE_SIZE + 10,
            caption_y=height - MARGIN - 2 * CAPTION_SIZE - 6,
            header_y=top + LABEL / 2,
            x_row=Grid(matrix.x, x_y, 1, matrix.cols, cell),
            matrix=matrix,
            bias=bias,
            y_col=y_col,
            inputs=inputs,
            outputs=outputs,
            forward=forward,
        )

    # ---- texts

    def _header(self) -> str:
        rows, cols = self.cm.shape
        note = "" if self.trace.batch == 1 else f"  (sample 0 of {self.trace.batch})"
        return (
            f"x {shape_text(self.cm.in_shape)} flattened to {cols} values, "
            f"drawn above the columns of {self.name} it multiplies{note}"
        )

    def _equation_name(self) -> str:
        rows, cols = self.cm.shape
        plus_b = " + b" if self.trace.spec.bias else ""
        return f"y = {self.name}\u00b7x{plus_b}, {self.name} is {rows} \u00d7 {cols}"

    def _open_caption(self) -> list[str]:
        rows, cols = self.cm.shape
        if self.trace.spec.transposed and self.forward is None:
            return [
                f"{self._equation_name()}: the transpose of C ({cols} \u00d7 {rows}).",
                "Each row of C\u1d40 is one output cell; blank entries are zeros.",
            ]
        if self.forward is not None:
            return [
                f"{self._equation_name()}: the transpose of C ({cols} \u00d7 {rows}), "
                f"the matrix of {self.forward.text} on {shape_text(self.cm.out_shape)}.",
                "Each row of C\u1d40 is one output cell; blank entries are zeros.",
            ]
        extra = {
            "zeros": "taps on zero padding drop out",
            "reflect": "taps on padding add their weight to the cell they copy",
            "replicate": "taps on padding add their weight to the cell they copy",
            "circular": "taps on padding add their weight to the cell they copy",
        }[self.trace.spec.padding_mode]
        if self.trace.spec.op == "avg_pool":
            extra = "each tap weighs 1/divisor"
        return [
            f"{self._equation_name()}: row r holds the kernel's weights in the columns of "
            "the input cells its window covers for output cell r.",
            f"Blank entries are zeros; {extra}.",
        ]

    def _legend_entries(self) -> list[tuple[str, str]]:
        entries = [("input", "x"), ("weight", f"entry of {self.name}")]
        if (self.cm.count > 1).any():
            entries.append(("pad_copy", "weights added (padding copies)"))
        entries += [
            ("paper", "0"),
            ("tap", "x entries in use"),
            ("kernel_active", "row in use"),
            ("bias", "b"),
            ("output", "y"),
            ("output_active", "being written"),
        ]
        return entries

    def _widest_label(self) -> int:
        t = self.trace
        arrays = [self.cm.matrix[self.cm.count > 0], t.x[0], t.y[0], t.bias]
        values = np.unique(np.concatenate([a.ravel() for a in arrays]))
        if len(values) > 4096:
            values = values[np.linspace(0, len(values) - 1, 4096).astype(int)]
        return max(len(fmt(v)) for v in values)

    # ---- frames

    def frame(self, index: int) -> MatrixFrame:
        count = len(self)
        index = frame_index(index, count)
        if index == 0:
            return MatrixFrame(index, count, "open")
        if index == count - 1:
            return MatrixFrame(index, count, "close", len(self.rows))
        return MatrixFrame(index, count, "step", index - 1, self.rows[index - 1])

    def position(self, row: int) -> tuple[int, tuple[int, ...]]:
        """(output channel, spatial position) of a row of C."""
        oc, *pos = np.unravel_index(row, self.cm.out_shape)
        return int(oc), tuple(int(p) for p in pos)

    def _in_position(self, col: int) -> tuple[int, tuple[int, ...]]:
        ch, *pos = np.unravel_index(col, self.cm.in_shape)
        return int(ch), tuple(int(p) for p in pos)

    def _rc(self, pos) -> tuple[int, int]:
        return (0, pos[0]) if len(pos) == 1 else (pos[0], pos[1])

    def _cell(self, grid, r, c, fill, value=None, edge="grid", dashed=False, width=1.0):
        x, y, w, h = grid.rect(r, c)
        items = [Box(x, y, w, h, fill=fill, edge=edge, edge_width=width, dashed=dashed)]
        small = grid.cell < self.layout.cell
        if value is not None and (self.small_values if small else self.show_values):
            size = self.small_value_size if small else self.value_size
            items.append(Text(x + w / 2, y + h / 2, fmt(value), size, "ink"))
        return items

    @property
    def static(self) -> tuple:
        if self._static is None:
            self._static = self._build_static()
        return self._static

    def static_for(self, n: int) -> tuple:
        return self.static

    def _build_static(self) -> tuple:
        t, lay, cm = self.trace, self.layout, self.cm
        items = header(self.title_lines, self.subtitle)
        items += legend(self.legend, lay.legend_y, dashed=())

        # The small grids: where the window sits, for the row being lit.
        for ch, grid in lay.inputs.items():
            items.append(Text(grid.x, grid.y - 9, f"x[{ch}]", LABEL_SIZE, "muted", anchor="lm"))
            for pos in np.ndindex(*t.in_spatial):
                items += self._cell(grid, *self._rc(pos), "input", t.x[(0, ch, *pos)])
        for oc, grid in lay.outputs.items():
            items.append(Text(grid.x, grid.y - 9, f"y[{oc}]", LABEL_SIZE, "muted", anchor="lm"))
            for pos in np.ndindex(*t.out_spatial):
                items += self._cell(grid, *self._rc(pos), "output_empty")

        mat, xr = lay.matrix, lay.x_row
        items.append(
            Text(mat.x, lay.header_y, self._header(), LABEL_SIZE, "ink", anchor="lm", bold=True)
        )
        flat_x = t.x[0].reshape(-1)
        for col in range(mat.cols):
            items += self._cell(xr, 0, col, "input", flat_x[col])
        per_in = mat.cols // t.in_channels
        if t.in_channels > 1:
            for ch in range(t.in_channels):
                cx = xr.x + (ch + 0.5) * per_in * xr.cell
                items.append(Text(cx, xr.y - 9, f"x[{ch}]", LABEL_SIZE, "muted"))
        gap_y = xr.y + xr.cell + (mat.y - xr.y - xr.cell) / 2
        # The matrix is named under it: above it, the guides from x come down.
        items.append(
            Text(
                mat.x,
                mat.y + mat.height + 4 + LABEL / 2,
                f"{self.name}  ({mat.rows} \u00d7 {mat.cols})",
                LABEL_SIZE,
                "ink",
                anchor="lm",
                bold=True,
            )
        )
        if lay.forward is not None:
            fw = lay.forward
            items.append(
                Text(
                    fw.x,
                    fw.y - LABEL / 2 - 2,
                    f"C  ({fw.rows} \u00d7 {fw.cols})"
                    + (f": matrix of the forward {self.forward.spec.name}" if self.forward else ""),
                    LABEL_SIZE,
                    "ink",
                    anchor="lm",
                    bold=True,
                )
            )
            items.append(
                Text(
                    fw.x,
                    fw.y + fw.height + 4 + LABEL / 2,
                    f"row r of {self.name} is column r of C",
                    LABEL_SIZE,
                    "muted",
                    anchor="lm",
                )
            )
            items += self._sheet(fw, cm.matrix.T, cm.count.T)
        bias_head = "+ b" if t.spec.bias else "+ b (none)"
        items.append(
            Text(
                lay.bias.x + lay.bias.cell / 2,
                gap_y,
                bias_head,
                LABEL_SIZE,
                "ink",
                anchor="mm" if t.spec.bias else "lm",
                bold=True,
            )
        )
        items.append(
            Text(lay.y_col.x + lay.y_col.cell / 2, gap_y, "= y", LABEL_SIZE, "ink", bold=True)
        )

        items += self._sheet(mat, cm.matrix, cm.count)
        # Channel blocks (and so the zero blocks of other groups) get firm borders.
        per_out = mat.rows // t.out_channels
        for ch in range(1, t.in_channels):
            x0 = mat.x + ch * per_in * mat.cell
            items.append(Line(x0, xr.y, x0, xr.y + xr.cell, color="muted", width=2.5))
            items.append(Line(x0, mat.y, x0, mat.y + mat.height, color="muted", width=2.5))
        for oc in range(1, t.out_channels):
            y0 = mat.y + oc * per_out * mat.cell
            for grid in (mat, lay.bias, lay.y_col):
                items.append(Line(grid.x, y0, grid.x + grid.width, y0, color="muted", width=2.5))
        for r in range(mat.rows):
            oc = r // per_out
            if t.spec.bias:
                items += self._cell(lay.bias, r, 0, "bias", cm.bias[r])
            else:
                items += self._cell(lay.bias, r, 0, "pad", 0.0, dashed=True)
            items += self._cell(lay.y_col, r, 0, "output_empty")
        if t.out_channels > 1:
            right = lay.y_col.x + lay.y_col.cell + 8
            for oc in range(t.out_channels):
                cy = mat.y + (oc + 0.5) * per_out * mat.cell
                items.append(Text(right, cy, f"y[{oc}]", LABEL_SIZE, "muted", anchor="lm"))
        return tuple(items)

    def _sheet(self, grid, matrix, count) -> list:
        """A matrix as a blank sheet with faint cell lines; only the taps are drawn as cells."""
        items = [Box(grid.x, grid.y, grid.width, grid.height, fill="paper")]
        for r in range(1, grid.rows):
            y = grid.y + r * grid.cell
            items.append(Line(grid.x, y, grid.x + grid.width, y, color="pad"))
        for c in range(1, grid.cols):
            x = grid.x + c * grid.cell
            items.append(Line(x, grid.y, x, grid.y + grid.height, color="pad"))
        for r, c in zip(*np.nonzero(count)):
            role = "pad_copy" if count[r, c] > 1 else "weight"
            items += self._cell(grid, r, c, role, matrix[r, c])
        items.append(Box(grid.x, grid.y, grid.width, grid.height, edge="ink", edge_width=1.5))
        return items

    @property
    def width(self) -> float:
        return self.layout.width

    @property
    def height(self) -> float:
        return self.layout.height

    def _done(self, state) -> int:
        """Rows of C finished (their y entries written) by a frame."""
        return 0 if state.phase == "open" else state.step

    def scene(self, index: int, *, since: int | None = None, shown: int | None = None) -> Scene:
        state = self.frame(index)
        t, lay, cm = self.trace, self.layout, self.cm
        flat_y = t.y[0].reshape(-1)
        was = 0 if since is None else self._done(self.frame(since))
        settled = []
        for r in self.rows[was : self._done(state)]:
            settled += self._cell(lay.y_col, r, 0, "output", flat_y[r])
            oc, pos = self.position(r)
            settled += self._cell(lay.outputs[oc], *self._rc(pos), "output", flat_y[r])
        items = []
        if state.phase == "step":
            items += self._row(state.row)
            caption = [self._row_caption(state.row)]
        elif state.phase == "open":
            caption = self._open_caption()
        else:
            caption = [
                f"Done: {len(self.rows)} rows of {self.name} times x"
                + (" plus b" if t.spec.bias else "")
                + f" gave y, the layer's output {shape_text(t.output.shape)} flattened.",
                f"{int((cm.count > 0).sum()):,} of {cm.matrix.size:,} entries of {self.name} hold "
                f"a weight; the other {int((cm.count == 0).sum()):,} are zeros.",
            ]
        items += self._caption(caption, state, shown)
        return Scene(lay.width, lay.height, self.static, tuple(items), settled=tuple(settled))

    def _row(self, row: int) -> list:
        """Row ``row`` of C lit, the x entries it uses, and the window on the small grids."""
        t, lay, cm = self.trace, self.layout, self.cm
        mat, xr = lay.matrix, lay.x_row
        flat_x = t.x[0].reshape(-1)
        items = []
        cols = np.flatnonzero(cm.count[row])
        for c in cols:
            items += self._cell(
                mat, row, c, "kernel_active", cm.matrix[row, c], dashed=bool(cm.count[row, c] > 1)
            )
            items += self._cell(xr, 0, c, "tap", flat_x[c])
            ch, pos = self._in_position(c)
            items += self._cell(lay.inputs[ch], *self._rc(pos), "tap", flat_x[c])
            # A faint guide from the x entry down to the entry it meets.
            cx = xr.x + (c + 0.5) * xr.cell
            items.append(Line(cx, xr.y + xr.cell, cx, mat.y, color="connector", width=1.0))
        items.append(
            Box(mat.x, mat.y + row * mat.cell, mat.width, mat.cell, edge="window", edge_width=2.5)
        )
        fw = lay.forward
        if fw is not None:  # the same entries, as column ``row`` of C
            for c in cols:
                items += self._cell(fw, c, row, "kernel_active", cm.matrix[row, c])
            items.append(
                Box(fw.x + row * fw.cell, fw.y, fw.cell, fw.height, edge="window", edge_width=2.5)
            )
        items += self._cell(
            lay.bias,
            row,
            0,
            "kernel_active" if t.spec.bias else "pad",
            cm.bias[row],
            dashed=not t.spec.bias,
        )
        value = t.y[0].reshape(-1)[row]
        items += self._cell(lay.y_col, row, 0, "output_active", value, edge="window", width=2.5)
        oc, pos = self.position(row)
        items += self._cell(
            lay.outputs[oc], *self._rc(pos), "output_active", value, edge="window", width=2.5
        )
        return items

    def _row_caption(self, row: int) -> str:
        t, cm = self.trace, self.cm
        oc, pos = self.position(row)
        flat_x = t.x[0].reshape(-1)
        cols = np.flatnonzero(cm.count[row])
        terms = [f"{term(cm.matrix[row, c])}\u00b7{term(flat_x[c])}" for c in cols]
        if len(terms) > MAX_TERMS:
            terms = terms[:3] + ["\u2026"] + terms[-2:]
        body = " + ".join(terms) if terms else "0"
        if t.spec.bias:
            body += f" + {term(cm.bias[row])}"
        index = ", ".join(str(v) for v in (oc, *pos))
        where = f"row {row} of {self.name}"
        if self.forward is not None:
            where += f" (column {row} of C)"
        return f"{where}: y[{index}] = {body} = {fmt(t.y[0].reshape(-1)[row])}"

    def _caption(self, lines, state, shown) -> list:
        lay = self.layout
        return caption(lines, lay.caption_y, lay.width, frame_counter(state, shown))
