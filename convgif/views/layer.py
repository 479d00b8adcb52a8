"""What a layer's gather and scatter views share: the layout, the static panels, the cells.

``LayerPicture`` holds what is fixed for one animation of one trace (the
storyboard, the layout, the static items); its subclasses build frame ``i``
from its index alone (``scene(i)``).
"""

from __future__ import annotations

import math

import numpy as np

from convgif.errors import ConvGifError
from convgif.frames.budget import MAX_FRAMES_WAY
from convgif.frames.storyboard import Storyboard, check_channels
from convgif.simulate.trace import DATA, INSERTED, OVERFLOW, PAD, PAD_COPY
from convgif.views.chrome import (
    DASH,
    FLIP_CAPTION,
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
    LABEL_SIZE,
    MARGIN,
    SUBTITLE_SIZE,
    compute_layout,
    rows_2d,
    shown,
    slide_scale,
)
from convgif.views.notation import Notation
from convgif.views.options import DEFAULT as DEFAULT_OPTIONS
from convgif.views.options import SYMBOL_SIZE, VALUE_MODES, Options
from convgif.views.panels import Panels
from convgif.views.route import Routes
from convgif.views.scene import Box, Text
from convgif.views.shade import PANELS
from convgif.views.shading import Shading
from convgif.views.sizes import zoom
from convgif.views.terms import as_given, channel_note, kernel_note
from convgif.views.text import (
    MIN_VALUE_SIZE,
    cell_for,
    distinct,
    fmt,
    text_width,
    value_fit,
    value_size,
)
from convgif.views.view import View


class LayerPicture(Notation, Panels, Shading, Routes, View):
    """Everything fixed for one animation of one trace."""

    def __init__(self, trace, options: Options = DEFAULT_OPTIONS):
        self.trace = trace
        self.options = options
        self._statics = {}
        self._values = {}  # (sample, out channel) -> value texts of its output cells
        self._cells = {}  # _cell's arguments -> its items (the grids live as long as self)
        self._last_macs = ((None, None), None)  # (first, last) MAC of whole cells, their records
        self._routes = {}  # (start, kernel, verticals taken) -> (lines, verticals taken)
        self.storyboard = self._storyboard()
        self.shades = self._shade_scales(options.shade or frozenset())
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
        widest = self._widest_label()
        sizes = self._sizes(widest, mode)
        self._lay_out(sizes, widest, mode)
        # values left out for legibility: cells shaded by value still show them, in every
        # panel (a photo's kernels too), unless the panels were chosen; the keys replace
        # swatches in the legend, so the page is laid out again
        chosen = options.shade is not None and not options.source
        if mode == "auto" and not self.show_values and not chosen:
            self.shades = self._shade_scales(PANELS)
            self._lay_out(sizes, widest, mode)

    def _lay_out(self, sizes: dict, widest: str, mode: str) -> None:
        """The title's lines, the legend, the layout, and whether values are written."""
        trace, options = self.trace, self.options
        parts = self._title_parts()
        # One title line when it fits the picture; else shapes on one line, K/P/S/D/G below.
        natural = compute_layout(trace, options.cell, **sizes)
        one = DASH.join(parts)
        if title_width(one) + 2 * MARGIN <= natural.width:
            self.title_lines = [one]
        else:
            self.title_lines = [DASH.join(parts[:2]), DASH.join(parts[2:])]
        self.title = DASH.join(parts)
        self.subtitle = subtitle(self.trace, self.options, self._kernel_note(),
                                 self._left_out())
        self.legend = self._unshaded_legend(self._legend_entries())
        widths = [title_width(line) for line in self.title_lines]
        widths += [text_width(self.subtitle, SUBTITLE_SIZE),
                   legend_width(self.legend) + self._keys_width()]
        if options.flip:  # the caption's note, clear of the frame counter
            widths.append(text_width(FLIP_CAPTION, CAPTION_SIZE) + 110)
        min_width = math.ceil(max(widths) + 2 * MARGIN)  # whole pixels in every backend
        if len(self.title_lines) == 1:
            # the layout with one title line, only wider: the width is the one thing
            # min_width changes (and it is whole already), so it is not laid out again
            self.layout = natural._replace(width=max(natural.width, min_width))
        else:
            self.layout = compute_layout(trace, options.cell, min_width=min_width,
                                         title_lines=2, **sizes)
        # Values are written at the size that fits the widest; left out (auto mode) when that
        # is under 10 px once the frame is put on a slide.
        lay = self.layout
        self.value_size = value_size(lay.cell, value_fit(lay.cell, widest))
        readable = self.value_size * slide_scale(lay.width, lay.height) >= MIN_VALUE_SIZE
        self.show_values = readable if mode == "auto" else mode != "none"

    def _title_parts(self) -> list[str]:
        return title(self.trace)

    def _sizes(self, widest: str, mode: str) -> dict:
        """What the layout needs to know besides the trace: the cells values need, the
        widths of the labels, the channels chosen."""
        t = self.trace
        # Values that were asked for get cells wide enough to write them legibly, on a
        # larger page if need be; when they were not, a slide with smaller cells comes first
        # (the values left out).
        legible = cell_for(SYMBOL_SIZE if self.symbols else MIN_VALUE_SIZE, widest)
        headers = (self._input_header_text(t.batch - 1), self._output_header())
        widths = tuple(text_width(text, LABEL_SIZE, bold=True) for text in headers)
        last = (t.out_channels - 1, t.in_per_group - 1)
        widths += (text_width(self._kernel_name(*last), LABEL_SIZE),
                   text_width(self._row_name(last[0]), LABEL_SIZE))
        return {
            "grid_spatial": self._grid().shape[2:],
            "out_spatial": self._canvas_shape(),
            "shown_out": self.options.channels,
            "min_cell": legible if mode in ("symbols", "numbers") else 0.0,
            "legible": legible,
            "header_widths": widths,
            "thin": self._thin_slices(),
        }

    @property
    def zoom(self) -> float:
        """A layout the ladder gave cells under MIN_CELL is painted larger (``View.zoom``);
        a cell the user chose never is."""
        lay = self.layout
        return 1.0 if self.options.cell is not None else zoom(lay.cell, lay.width, lay.height)

    def __len__(self) -> int:
        return len(self.storyboard)

    @property
    def pace(self) -> str:
        return self.options.step

    @property
    def ways_round(self) -> tuple[str, ...]:
        """Only the ways round that apply: a coarser step, fewer of several output channels."""
        board, ways = self.storyboard, [MAX_FRAMES_WAY]
        if getattr(board, "step", "output") not in ("auto", "output"):
            ways.insert(0, f"step='output' instead of {board.step!r}")
        if len(board.channels or range(self.trace.out_channels)) > 1:
            ways.append("fewer channels= (--channels)")
        return tuple(ways)

    def _caption(self, lines: list[str], state, shown) -> list:
        """The caption lines at the bottom, and the frame counter on the right."""
        lay = self.layout
        return caption(lines, lay.caption_y, lay.width, frame_counter(state, shown))

    # ---- what the gather and scatter views draw differently

    def _drawn(self) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
        """The input and output channels the layout draws (None: all of them); frames
        animate only these, never a channel behind an ellipsis."""
        t = self.trace
        check_channels(self.options.channels, t.out_channels)  # before "all of them" hides it
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
        grid_shape = as_given(t.spec, t.grid.shape[1:])
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
        if t.grid.shape != t.x.shape:
            return f", padded to {shape_text(grid_shape)}"
        return ""

    def _kernel_name(self, oc: int, icl: int) -> str:
        # Transposed layers and true convolution show the flipped kernel the window slides.
        name = "w\u2032" if self.trace.spec.transposed or self.options.flip else "w"
        return f"{name}[{oc}, {icl}]"

    def _left_out(self) -> str:
        """What the picture says of the channels it leaves out, and how to see them."""
        t = self.trace
        if self.options.channels is not None:
            return ""
        ins, outs = self._drawn()  # None: all of them
        if outs is not None:
            return (f"{len(outs)} of {t.out_channels} output channels drawn: "
                    "channels= (--channels) picks which")
        if ins is not None:
            return f"{len(ins)} of {t.in_channels} input channels drawn"
        return ""

    def _row_name(self, oc: int) -> str:
        """A kernel row's name when its kernels are not named one by one: PyTorch's slice of
        the weight it holds."""
        return self._kernel_name(oc, 0).split(",")[0] + "]"

    def _kernel_value(self, oc: int, icl: int, pos) -> float:
        return self.trace.kernel[(oc, icl, *pos)]

    def _kernel_note(self) -> str:
        """How the kernel grids' ``w[i, j]`` index a Keras layer's kernel."""
        return kernel_note(self.trace.spec)

    def _canvas_cells(self) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cols) masks of output cells drawn dashed, and of cells outside the output."""
        added = self._output_padding_cells()
        return added, np.zeros_like(added)

    # ---- helpers

    def _output_header(self) -> str:
        spec = self.trace.spec
        if not spec.keepdims:  # a global pool's (C,): y[c] is channel c as it stands
            return f"output y {shape_text(self.trace.y.shape[1:2])}"
        shape = shape_text(as_given(spec, self.trace.y.shape[1:]))
        return f"output y {shape}{channel_note(spec, 'y')}"

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
        items = header(self.title_lines, self.subtitle)
        items += legend(self.legend, self.layout.legend_y)
        items += self._shade_keys(self.layout.legend_y)
        items += self._marks()
        items += self._input_items(n)
        if self.trace.kernel is not None:
            items += self._kernel_items()
        items += self._output_items()
        return tuple(items)

    def _thin_slices(self) -> frozenset:
        """A 3-d input's depth slices that hold only zeros (padding, or zeros a transposed
        layer inserts): each is drawn one cell wide, as a slice of zeros reads the same."""
        t = self.trace
        if t.ndim != 3:
            return frozenset()
        return frozenset(d for d, (kind, src) in enumerate(zip(t.axis_kind[0], t.axis_source[0]))
                         if kind != DATA and src < 0)

    def _slice_names(self, ch: int) -> list | None:
        """Names of a 3-d input's depth slices (the input slice each holds, or padding),
        long and short."""
        t = self.trace
        if t.ndim != 3:
            return None
        long, short = [], []
        for kind, src in zip(t.axis_kind[0], t.axis_source[0]):
            data = f"x[{ch}, {src}]"
            if kind != DATA and src < 0:  # a thin slice of zeros: the legend names it
                long.append("")
                short.append("")
                continue
            long.append(data if kind == DATA else f"padding = {data}")
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


