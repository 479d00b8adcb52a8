"""The matrix view: the layer drawn as ``y = C·x + b`` (``view='matrix'``).

The flattened input ``x`` is drawn as a row right above ``C``, so every
entry of ``C`` sits under the input value it multiplies; ``b`` and ``y`` are
columns beside ``C``'s rows. Each frame lights one row of ``C`` (one output
cell), the ``x`` entries it uses, and, in the small grids on the left, the
same cells where the kernel's window sits on the input. Zero entries (no tap)
stay blank, so the sparsity pattern, the shifted copies of the kernel and the
zero blocks of other groups read at a glance.

Where the parts go is ``convgif.views.matrix_layout``; what the view writes,
``convgif.views.matrix_text``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from convgif.errors import NAME, ConvGifError, name_of
from convgif.frames.storyboard import Storyboard
from convgif.simulate.matrix import forward_conv, from_trace
from convgif.views.chrome import (
    DASH,
    LIT_EDGE,
    caption,
    frame_counter,
    header,
    header_width,
    legend,
    subtitle,
    title,
    title_lines,
)
from convgif.views.grid import rc
from convgif.views.layout import CAPTION_SIZE, LABEL, LABEL_SIZE, MARGIN, slide_scale
from convgif.views.matrix_layout import MatrixLayout, MatrixSizes
from convgif.views.matrix_text import MatrixText
from convgif.views.matrix_tour import MatrixTour
from convgif.views.options import VALUE_MODES, Options
from convgif.views.scene import Box, Line, Scene, Text
from convgif.views.text import MIN_VALUE_SIZE, fmt, text_width, value_fit, value_size
from convgif.views.view import View

MAX_CELLS = 400_000  # entries of C a picture draws; beyond this no cell size helps
BLOCK_LINE = 2.5  # the firm lines between channel blocks


def _refuse(trace, options: Options) -> None:
    """The options the matrix view cannot draw."""
    if trace.ndim not in (1, 2):
        raise ConvGifError(
            f"{NAME}='matrix' draws 1-d and 2-d layers, not {trace.spec.name}; "
            f"use {NAME}='gather'", "view"
        )
    if options.step not in ("auto", "output"):
        raise ConvGifError(
            f"{NAME}={options.step!r}: {name_of('view')}='matrix' lights one row of C (one "
            f"output cell) per frame; use {NAME}='output'", "step"
        )
    if options.values == "symbols":
        raise ConvGifError(
            f"{NAME}='symbols' is not available in {name_of('view')}='matrix' (with reflect, "
            "replicate or circular padding an entry of C sums several weights): use 'numbers'",
            "values",
        )
    if options.outputs is not None:
        raise ConvGifError(
            f"{NAME}= chooses output cells of the gather view; {name_of('view')}='matrix' "
            f"lights every row of C, so it takes no {NAME}= ({name_of('channels')}= picks rows "
            "by output channel)", "outputs"
        )


def _forward(trace):
    """The forward convolution whose C a transposed layer's Cᵀ transposes, if any."""
    if not trace.spec.transposed:
        return None
    try:
        return forward_conv(trace.spec, trace.in_spatial)
    except ConvGifError:  # output_padding ≥ stride: Cᵀ has no forward Conv to name
        return None


class MatrixPicture(MatrixTour, View):
    """Everything fixed for one matrix-view animation of one trace."""

    def __init__(self, trace, options: Options | None = None):
        options = Options() if options is None else options
        _refuse(trace, options)
        self.trace = trace
        self.options = options
        self.cm = from_trace(trace)
        rows, cols = self.cm.shape
        if rows * cols > MAX_CELLS:
            raise ConvGifError(
                f"{NAME}='matrix': C would have {rows:,} x {cols:,} entries (limit "
                f"{MAX_CELLS:,} drawn); use a smaller input or {NAME}='gather'", "view"
            )
        # Channel checks live in one place: the storyboard's.
        Storyboard(trace, "output", options.channels)
        per_channel = rows // trace.out_channels
        chosen = range(trace.out_channels) if options.channels is None else options.channels
        self.channels = sorted(set(chosen))
        self.rows = [oc * per_channel + i for oc in self.channels for i in range(per_channel)]
        self.tour = self._tour()
        self.forward = _forward(trace)
        self.text = MatrixText(trace, self.cm, self.forward)
        self.name = self.text.name
        self.layout = self._lay_out(title(trace), options.cell)
        self._value_sizes(options.values)
        self._static = None

    def _lay_out(self, parts, cell) -> MatrixLayout:
        """The title on one line if the picture is that wide anyway; the page wide enough
        for the header and the opening caption."""
        self.title = DASH.join(parts)
        self.subtitle = subtitle(self.trace, self.options)
        self.legend = self.text.legend()
        header_w = text_width(self.text.header(), LABEL_SIZE, bold=True)
        sizes = MatrixSizes.of(self.trace, self.cm.shape, header_w)
        self.title_lines = title_lines(parts, sizes.layout(sizes.auto_cell()).width)
        widths = [header_width(self.title_lines, self.subtitle, self.legend)]
        widths += [text_width(line, CAPTION_SIZE) for line in self.text.opening()]
        self.min_width = max(widths) + 2 * MARGIN
        sizes = replace(sizes, title_lines=len(self.title_lines), min_width=self.min_width)
        return sizes.layout(sizes.auto_cell() if cell is None else float(cell))

    def _value_sizes(self, values) -> None:
        """Values in C's cells when they fit (or as asked); the small grids' cells are
        smaller: their values get their own size, or none."""
        mode = VALUE_MODES.get(values)
        if mode is None:
            raise ConvGifError(
                f"values={values!r} must be one of 'numbers', 'none' "
                "(or True / False / None for 'when they fit')"
            )
        cell, widest = self.layout.cell, self.text.widest_value()
        # legible: 10 px or more once the frame is put on a slide
        scale = slide_scale(self.layout.width, self.layout.height)
        self.value_size = value_size(cell, value_fit(cell, widest))
        auto = self.value_size * scale >= MIN_VALUE_SIZE
        self.show_values = auto if mode == "auto" else mode != "none"
        small = next(iter(self.layout.inputs.values())).cell
        self.small_value_size = value_size(small, value_fit(small, widest))
        self.small_values = self.show_values and self.small_value_size * scale >= MIN_VALUE_SIZE

    # ---- frames

    def position(self, row: int) -> tuple[int, tuple[int, ...]]:
        """(output channel, spatial position) of a row of C."""
        oc, *pos = np.unravel_index(row, self.cm.out_shape)
        return int(oc), tuple(int(p) for p in pos)

    def _in_position(self, col: int) -> tuple[int, tuple[int, ...]]:
        ch, *pos = np.unravel_index(col, self.cm.in_shape)
        return int(ch), tuple(int(p) for p in pos)

    def _cell(self, grid, r, c, fill, value=None, edge="grid", dashed=False, width=1.0):
        x, y, w, h = grid.rect(r, c)
        items = [Box(x, y, w, h, fill=fill, edge=edge, edge_width=width, dashed=dashed)]
        small = grid.cell < self.layout.cell
        if value is not None and (self.small_values if small else self.show_values):
            size = self.small_value_size if small else self.value_size
            items.append(Text(x + w / 2, y + h / 2, fmt(value), size, "ink"))
        return items

    # ---- the static picture

    @property
    def static(self) -> tuple:
        if self._static is None:
            self._static = self._build_static()
        return self._static

    def _build_static(self) -> tuple:
        lay, cm = self.layout, self.cm
        items = header(self.title_lines, self.subtitle)
        items += legend(self.legend, lay.legend_y, dashed=())
        items += self._small_grids()
        items += self._x_row()
        items += self._names()
        items += self._sheet(lay.matrix, cm.matrix, cm.count)
        items += self._borders()
        items += self._columns()
        return tuple(items)

    def _small_grids(self) -> list:
        """The small grids: where the window sits, for the row being lit."""
        t, items = self.trace, []
        for ch, grid in self.layout.inputs.items():
            items.append(Text(grid.x, grid.y - 9, f"x[{ch}]", LABEL_SIZE, "muted", anchor="lm"))
            for pos in np.ndindex(*t.in_spatial):
                items += self._cell(grid, *rc(pos), "input", t.x[(0, ch, *pos)])
        for oc, grid in self.layout.outputs.items():
            items.append(Text(grid.x, grid.y - 9, f"y[{oc}]", LABEL_SIZE, "muted", anchor="lm"))
            for pos in np.ndindex(*t.out_spatial):
                items += self._cell(grid, *rc(pos), "output_empty")
        return items

    def _x_row(self) -> list:
        """The block's header, and x flattened above C's columns, named by channel."""
        t, lay = self.trace, self.layout
        mat, xr = lay.matrix, lay.x_row
        items = [Text(mat.x, lay.header_y, self.text.header(), LABEL_SIZE, "ink", anchor="lm",
                      bold=True)]
        flat_x = t.x[0].reshape(-1)
        for col in range(mat.cols):
            items += self._cell(xr, 0, col, "input", flat_x[col])
        if t.in_channels > 1:
            per_in = mat.cols // t.in_channels
            for ch in range(t.in_channels):
                cx = xr.x + (ch + 0.5) * per_in * xr.cell
                items.append(Text(cx, xr.y - 9, f"x[{ch}]", LABEL_SIZE, "muted"))
        return items

    def _names(self) -> list:
        """C's name under it (above it, the guides from x come down); C beside Cᵀ; the
        heads of the b and y columns."""
        lay = self.layout
        mat, xr = lay.matrix, lay.x_row
        below = mat.y + mat.height + 4 + LABEL / 2
        items = [Text(mat.x, below, f"{self.name}  ({mat.rows} \u00d7 {mat.cols})", LABEL_SIZE,
                      "ink", anchor="lm", bold=True)]
        if lay.forward is not None:
            items += self._forward_sheet()
        gap_y = xr.y + xr.cell + (mat.y - xr.y - xr.cell) / 2
        if lay.bias is not None:
            items.append(Text(lay.bias.x + lay.bias.cell / 2, gap_y, "+ b", LABEL_SIZE, "ink",
                              bold=True))
        items.append(
            Text(lay.y_col.x + lay.y_col.cell / 2, gap_y, "= y", LABEL_SIZE, "ink", bold=True)
        )
        return items

    def _forward_sheet(self) -> list:
        """A transposed layer's C beside its Cᵀ, named, with a note of how they relate."""
        fw, cm = self.layout.forward, self.cm
        name = f"C  ({fw.rows} \u00d7 {fw.cols})"
        if self.forward:
            name += f": matrix of the forward {self.forward.name}"
        note = f"row r of {self.name} is column r of C"
        items = [
            Text(fw.x, fw.y - LABEL / 2 - 2, name, LABEL_SIZE, "ink", anchor="lm", bold=True),
            Text(fw.x, fw.y + fw.height + 4 + LABEL / 2, note, LABEL_SIZE, "muted", anchor="lm"),
        ]
        return items + self._sheet(fw, cm.matrix.T, cm.count.T)

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

    def _borders(self) -> list:
        """Channel blocks (and so the zero blocks of other groups) get firm borders."""
        t, lay, items = self.trace, self.layout, []
        mat, xr = lay.matrix, lay.x_row
        per_in = mat.cols // t.in_channels
        per_out = mat.rows // t.out_channels
        for ch in range(1, t.in_channels):
            x0 = mat.x + ch * per_in * mat.cell
            items.append(Line(x0, xr.y, x0, xr.y + xr.cell, color="muted", width=BLOCK_LINE))
            items.append(Line(x0, mat.y, x0, mat.y + mat.height, color="muted", width=BLOCK_LINE))
        for oc in range(1, t.out_channels):
            y0 = mat.y + oc * per_out * mat.cell
            for grid in (g for g in (mat, lay.bias, lay.y_col) if g is not None):
                items.append(Line(grid.x, y0, grid.x + grid.width, y0, color="muted",
                                  width=BLOCK_LINE))
        return items

    def _columns(self) -> list:
        """The b column (none without a bias), the empty y column, its channels."""
        t, lay, cm, items = self.trace, self.layout, self.cm, []
        mat = lay.matrix
        for r in range(mat.rows):
            if lay.bias is not None:
                items += self._cell(lay.bias, r, 0, "bias", cm.bias[r])
            items += self._cell(lay.y_col, r, 0, "output_empty")
        if t.out_channels > 1:
            per_out = mat.rows // t.out_channels
            right = lay.y_col.x + lay.y_col.cell + 8
            for oc in range(t.out_channels):
                cy = mat.y + (oc + 0.5) * per_out * mat.cell
                items.append(Text(right, cy, f"y[{oc}]", LABEL_SIZE, "muted", anchor="lm"))
        return items

    # ---- one frame

    def _done(self, state) -> int:
        """Rows of C finished (their y entries written) by a frame."""
        return 0 if state.phase == "open" else state.step

    def scene(self, index: int, *, since: int | None = None, shown: int | None = None) -> Scene:
        state = self.frame(index)
        lay = self.layout
        flat_y = self.trace.y[0].reshape(-1)
        was = 0 if since is None else self._done(self.frame(since))
        settled = []
        for r in self.rows[was : self._done(state)]:
            settled += self._cell(lay.y_col, r, 0, "output", flat_y[r])
            oc, pos = self.position(r)
            settled += self._cell(lay.outputs[oc], *rc(pos), "output", flat_y[r])
        items = []
        if state.first >= 0:  # a tour's block of rows
            items += self._block_rows(state)
            lines = self._block_lines(state)
        elif state.phase == "step":
            items += self._row(state.row)
            oc, pos = self.position(state.row)
            lines = [self.text.row(state.row, (oc, *pos))]
        elif state.phase == "open":
            lines = self.text.opening()
        else:
            lines = self.text.closing(len(self.rows))
        items += caption(lines, lay.caption_y, lay.width, frame_counter(state, shown))
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
            items += self._cell(lay.inputs[ch], *rc(pos), "tap", flat_x[c])
            # A faint guide from the x entry down to the entry it meets.
            cx = xr.x + (c + 0.5) * xr.cell
            items.append(Line(cx, xr.y + xr.cell, cx, mat.y, color="connector", width=1.0))
        lit = (mat.x, mat.y + row * mat.cell, mat.width, mat.cell)
        items.append(Box(*lit, edge="window", edge_width=LIT_EDGE))
        if lay.forward is not None:  # the same entries, as column ``row`` of C
            items += self._forward_column(row, cols)
        return items + self._written(row)

    def _forward_column(self, row: int, cols) -> list:
        fw, cm = self.layout.forward, self.cm
        items = []
        for c in cols:
            items += self._cell(fw, c, row, "kernel_active", cm.matrix[row, c])
        items.append(
            Box(fw.x + row * fw.cell, fw.y, fw.cell, fw.height, edge="window", edge_width=LIT_EDGE)
        )
        return items

    def _written(self, row: int) -> list:
        """The bias added and the y entry being written, in the column and its small grid."""
        t, lay, items = self.trace, self.layout, []
        if lay.bias is not None:
            items += self._cell(lay.bias, row, 0, "kernel_active", self.cm.bias[row])
        value = t.y[0].reshape(-1)[row]
        items += self._cell(lay.y_col, row, 0, "output_active", value, edge="window",
                            width=LIT_EDGE)
        oc, pos = self.position(row)
        items += self._cell(
            lay.outputs[oc], *rc(pos), "output_active", value, edge="window", width=LIT_EDGE
        )
        return items
