"""From a trace and a frame's state to the scene of that frame.

``Picture`` holds what is fixed for one animation (the trace, the storyboard,
the layout, the static items); ``picture.scene(i)`` builds frame ``i`` from
its index alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from convgif.errors import ConvGifError
from convgif.layout import (
    CAPTION_SIZE,
    LABEL_SIZE,
    MARGIN,
    SUBTITLE_SIZE,
    TITLE_SIZE,
    compute_layout,
)
from convgif.scene import Box, Line, Scene, Text, _term, fmt, text_width
from convgif.storyboard import Storyboard
from convgif.trace import DATA, INSERTED, OVERFLOW, PAD, PAD_COPY

KIND_ROLE = {
    DATA: "input",
    PAD: "pad",
    PAD_COPY: "pad_copy",
    INSERTED: "inserted",
    OVERFLOW: "paper",
}
MAX_TERMS = 6  # terms of the caption's equation before it is shortened


def _shape(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _pair(values) -> str:
    return _shape(tuple(values))


def input_shape(trace) -> tuple[int, ...]:
    """The input's shape as the user gave it (framework layout, batch if batched)."""
    shape = trace.x.shape
    if trace.spec.channels_last:
        shape = (shape[0], *shape[2:], shape[1])
    batched = trace.output.ndim == trace.ndim + 2
    return shape if batched else shape[1:]


def title(trace) -> list[str]:
    """The parts of ``Input shape: (3, 7, 7) — Output shape: (2, 3, 3) — K: (3, 3) — … — G: 1``."""
    spec = trace.spec
    pads = trace.pads
    if spec.transposed and not spec.keras:
        p = _pair(b for b, _ in pads)
    elif all(b == a for b, a in pads):
        p = _pair(b for b, _ in pads)
    else:
        p = _pair(v for pair in pads for v in pair)
    parts = [
        f"Input shape: {_shape(input_shape(trace))}",
        f"Output shape: {_shape(trace.output.shape)}",
        f"K: {_pair(spec.kernel_size)}",
        f"P: {p}",
        f"S: {_pair(spec.stride)}",
        f"D: {_pair(spec.dilation)}",
    ]
    if not spec.pooling:
        parts.append(f"G: {spec.groups}")
    if spec.transposed and spec.output_padding:
        parts.append(f"OP: {_pair(spec.output_padding)}")
    if spec.padding_mode != "zeros":
        parts.append(f"padding_mode: {spec.padding_mode}")
    return parts


DASH = " \u2014 "


@dataclass(frozen=True)
class Options:
    step: str = "output"
    values: bool | None = None  # None: when they fit
    lines: bool = True
    cell: float | None = None


class Picture:
    """Everything fixed for one animation of one trace."""

    def __init__(self, trace, options: Options = Options()):
        if trace.ndim not in (1, 2):
            raise ConvGifError(f"{trace.spec.name}: only 1-d and 2-d layers can be drawn so far")
        self.trace = trace
        self.options = options
        self.storyboard = Storyboard(trace, options.step)
        parts = title(trace)
        # One title line when it fits the picture; else shapes on one line, K/P/S/D/G below.
        header_w = text_width(self._output_header(), LABEL_SIZE)
        natural = compute_layout(trace, options.cell, output_header_width=header_w).width
        one = DASH.join(parts)
        if _title_width(one) + 2 * MARGIN <= natural:
            self.title_lines = [one]
        else:
            self.title_lines = [DASH.join(parts[:2]), DASH.join(parts[2:])]
        self.title = DASH.join(parts)
        self.subtitle = self._subtitle()
        self.legend = self._legend_entries()
        widths = [_title_width(line) for line in self.title_lines]
        widths += [text_width(self.subtitle, SUBTITLE_SIZE) * 0.92, self._legend_width()]
        self.layout = compute_layout(
            trace,
            options.cell,
            min_width=max(widths) + 2 * MARGIN,
            title_lines=len(self.title_lines),
            output_header_width=header_w,
        )
        cell = self.layout.cell
        self.value_size = max(8.0, min(0.42 * cell, 16.0))
        self.show_values = self._values_fit() if options.values is None else bool(options.values)

    def __len__(self) -> int:
        return len(self.storyboard)

    # ---- helpers

    def _output_header(self) -> str:
        return f"output y {_shape(self.trace.y.shape[1:])}"

    def _values_fit(self) -> bool:
        t = self.trace
        arrays = [t.grid[np.isfinite(t.grid)], t.y, t.bias]
        if t.kernel is not None:
            arrays.append(t.kernel)
        widest = max((len(fmt(v)) for a in arrays for v in np.unique(a)[:64]), default=1)
        widest = max(widest, max(len(fmt(v)) for v in (t.y.min(), t.y.max())))
        return self.layout.cell >= 18 and 0.6 * self.value_size * widest <= 0.92 * self.layout.cell

    def _rc(self, *position) -> tuple[int, int]:
        return (0, position[0]) if len(position) == 1 else (position[0], position[1])

    def _cell(
        self, grid, r, c, fill, value=None, edge="grid", dashed=False, color="ink", width=1.0
    ):
        x, y, w, h = grid.rect(r, c)
        items = [Box(x, y, w, h, fill=fill, edge=edge, edge_width=width, dashed=dashed)]
        if value is not None and self.show_values:
            items.append(Text(x + w / 2, y + h / 2, fmt(value), self.value_size, color))
        return items

    # ---- the static part

    @cached_property
    def static(self) -> tuple:
        t, lay = self.trace, self.layout
        items = [
            Text(
                MARGIN,
                lay.title_y + i * (TITLE_SIZE + 6),
                line,
                TITLE_SIZE,
                "ink",
                anchor="la",
                bold=True,
            )
            for i, line in enumerate(self.title_lines)
        ]
        items.append(
            Text(MARGIN, lay.subtitle_y, self.subtitle, SUBTITLE_SIZE, "muted", anchor="la")
        )
        items += self._legend()
        for g, x, y, w, h in lay.bands:
            items.append(Box(x, y, w, h, edge="muted", dashed=True))
            items.append(Text(x + w - 4, y + 2, f"group {g}", LABEL_SIZE - 1, "muted", anchor="ra"))

        hx, hy = lay.input_header
        grid_shape = t.grid.shape[1:]
        note = ""
        if t.spec.transposed:
            note = f": zeros inserted and padded to {_shape(grid_shape)}"
        elif grid_shape != t.x.shape[1:]:
            note = f", padded to {_shape(grid_shape)}"
        if t.kernel is None:  # pooling: the output rows sit right below, so name them here
            note += f"  \u2192  {self._output_header()}"
        items.append(
            Text(
                hx,
                hy,
                f"input x {_shape(t.x.shape[1:])}{note}",
                LABEL_SIZE,
                "ink",
                anchor="lm",
                bold=True,
            )
        )
        kind = t.grid_kind
        for ch, grid in lay.inputs.items():
            items.append(Text(grid.x, grid.y - 9, f"x[{ch}]", LABEL_SIZE, "muted", anchor="lm"))
            for pos in np.ndindex(*kind.shape):
                k = int(kind[pos])
                value = None if k == OVERFLOW else t.grid[(0, ch, *pos)]
                items += self._cell(
                    grid,
                    *self._rc(*pos),
                    KIND_ROLE[k],
                    value,
                    dashed=k != DATA,
                    color="ink" if k == DATA else "muted",
                )
        if t.kernel is not None:
            # Transposed layers show the flipped kernel the gather view slides.
            name = "w\u2032" if t.spec.transposed else "w"
            for (oc, icl), grid in lay.kernels.items():
                label = f"{name}[{oc}, {icl}]"
                room = grid.x - lay.inputs[(oc // t.out_per_group) * t.in_per_group + icl].x
                if room >= text_width(label, LABEL_SIZE) + 6:
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
                    items += self._cell(grid, *self._rc(*pos), "weight", t.kernel[(oc, icl, *pos)])
            for oc, grid in lay.biases.items():
                items.append(Text(grid.x, grid.y - 9, f"b[{oc}]", LABEL_SIZE, "muted", anchor="lm"))
                if t.spec.bias:
                    items += self._cell(grid, 0, 0, "bias", t.bias[oc])
                else:
                    items += self._cell(grid, 0, 0, "pad", 0.0, dashed=True, color="muted")
        if t.kernel is not None:
            ox, oy = lay.output_header
            items.append(
                Text(ox, oy, self._output_header(), LABEL_SIZE, "ink", anchor="lm", bold=True)
            )
        added = self._output_padding_cells()
        for oc, grid in lay.outputs.items():
            items.append(Text(grid.x, grid.y - 9, f"y[{oc}]", LABEL_SIZE, "muted", anchor="lm"))
            for r in range(grid.rows):
                for c in range(grid.cols):
                    items += self._cell(grid, r, c, "output_empty", dashed=added[r, c])
        return tuple(items)

    def _output_padding_cells(self) -> np.ndarray:
        """(rows, cols) mask of the output cells a transposed layer's output_padding adds."""
        t = self.trace
        rows, cols = self._rc(*t.out_spatial)
        added = np.zeros((rows, cols), dtype=bool)
        op = t.spec.output_padding if t.spec.transposed and not t.spec.keras else None
        if op and any(op):
            op_r, op_c = self._rc(*op) if len(op) == 2 else (0, op[0])
            if op_r:
                added[rows - op_r :, :] = True
            if op_c:
                added[:, cols - op_c :] = True
        return added

    def _subtitle(self) -> str:
        t = self.trace
        subtitle = t.layer
        if t.kernel is not None:
            subtitle += f"   \u00b7   weight {_shape(t.weight.shape)}, bias {_shape(t.bias.shape)}"
            if not t.spec.bias:
                subtitle += " (no bias)"
        return subtitle

    def _legend_entries(self) -> list[tuple[str, str]]:
        t = self.trace
        kinds = set(np.unique(t.grid_kind).tolist())
        entries = [("input", "input")]
        if PAD in kinds:
            entries.append(
                ("pad", "\u2212\u221e padding" if t.spec.op == "max_pool" else "zero padding")
            )
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
            entries += [("weight", "kernel"), ("kernel_active", "kernel in use")]
        entries += [("output", "output"), ("output_active", "being written")]
        return entries

    def _legend_width(self) -> float:
        return sum(18 + text_width(label, LABEL_SIZE - 1) * 0.92 + 16 for _, label in self.legend)

    def _legend(self) -> list:
        items, x, y = [], float(MARGIN), self.layout.legend_y
        for role, label in self.legend:
            dashed = role in ("pad", "pad_copy", "inserted", "paper", "output_empty")
            items.append(Box(x, y, 13, 13, fill=role, edge="grid", dashed=dashed))
            items.append(Text(x + 18, y + 6.5, label, LABEL_SIZE - 1, "muted", anchor="lm"))
            x += 18 + text_width(label, LABEL_SIZE - 1) * 0.92 + 16
        return items

    # ---- one frame

    def scene(self, index: int) -> Scene:
        state = self.storyboard.frame(index)
        t, lay = self.trace, self.layout
        items = []
        # Output cells filled in so far.
        for oc, grid in lay.outputs.items():
            for pos in np.ndindex(*t.out_spatial):
                if self.storyboard.cell_status(state, state.n, oc, pos) == "done":
                    items += self._cell(grid, *self._rc(*pos), "output", t.y[(state.n, oc, *pos)])
        captions = []
        for cell in state.cells:
            items += self._window(state, cell)
            captions.append(self._equation(state, cell))
        if state.phase == "open":
            captions = ["The layer at rest: the window will visit every output cell in turn."]
        elif state.phase == "close":
            captions = [
                f"Done: {t.num_macs:,} multiply-accumulates"
                + (" (gather view)" if t.spec.transposed else "")
                + f" gave the output {_shape(t.output.shape)}."
            ]
        if len(captions) > 2:
            captions = captions[:1] + [f"… and the same for {len(captions) - 1} more groups"]
        for i, line in enumerate(captions):
            items.append(
                Text(
                    MARGIN,
                    lay.caption_y + i * (CAPTION_SIZE + 6),
                    line,
                    CAPTION_SIZE,
                    "ink",
                    anchor="la",
                )
            )
        items.append(
            Text(
                lay.width - MARGIN,
                lay.caption_y + CAPTION_SIZE + 6,
                f"frame {state.index + 1}/{state.count}",
                LABEL_SIZE - 1,
                "muted",
                anchor="ra",
            )
        )
        return Scene(lay.width, lay.height, self.static, tuple(items))

    def _window(self, state, cell) -> list:
        """Highlights of one output cell being written: taps, window, kernel, output, lines."""
        t, lay = self.trace, self.layout
        macs = t.macs(cell.start, cell.stop)
        items = []
        pos_fields = [f for f in ("iy", "ix") if f in macs.dtype.names][-t.ndim :]
        ker_fields = [f for f in ("ky", "kx") if f in macs.dtype.names][-t.ndim :]
        channels = sorted(set(macs["in_channel"].tolist()))
        # The window's bounding box on every channel it reads in this frame.
        origin = [o * s for o, s in zip(state.position, t.stride)]
        extent = [d * (k - 1) for k, d in zip(t.kernel_size, t.dilation)]
        r0, c0 = self._rc(*origin)
        r1, c1 = self._rc(*(o + e for o, e in zip(origin, extent)))
        winner = self._winner(cell, macs) if t.spec.op == "max_pool" else None
        for i, m in enumerate(macs):
            grid = lay.inputs[int(m["in_channel"])]
            r, c = self._rc(*(int(m[f]) for f in pos_fields))
            kind = int(t.grid_kind[tuple(int(m[f]) for f in pos_fields)])
            value = None if kind == OVERFLOW else m["x"]
            role = "winner" if i == winner else "tap"
            items += self._cell(grid, r, c, role, value, dashed=kind != DATA)
            if t.kernel is not None:
                kgrid = lay.kernels[(cell.out_channel, int(m["in_channel"]) % t.in_per_group)]
                kr, kc = self._rc(*(int(m[f]) for f in ker_fields))
                items += self._cell(kgrid, kr, kc, "kernel_active", m["w"])
        ogrid = lay.outputs[cell.out_channel]
        orc = self._rc(*state.position)
        finished = cell.stop == cell.cell_stop
        value = self._value_so_far(cell, macs)
        items += self._cell(ogrid, *orc, "output_active", value, edge="window", width=2.5)
        ocx, ocy = ogrid.center(*orc)
        for ch in channels:
            grid = lay.inputs[ch]
            x, y, w, h = grid.span(r0, c0, r1, c1)
            items.append(Box(x, y, w, h, edge="window", edge_width=2.5))
            if t.kernel is None:
                if self.options.lines:
                    items += _elbow(x + w / 2, grid.y + grid.height, ocx, ogrid.y, lay.lane_y)
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
                items += self._cell(bgrid, 0, 0, "kernel_active", t.bias[cell.out_channel])
            if self.options.lines:
                bx, by = bgrid.center(0, 0)
                items += _elbow_h(bx + bgrid.cell / 2, by, ogrid.x, ocy)
        return items

    def _winner(self, cell, macs) -> int | None:
        """Index in ``macs`` of the cell holding the running maximum (the first to reach it)."""
        upto = self.trace.macs(cell.cell_start, cell.stop)
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
        pos = tuple(int(macs[f][0]) for f in ("oy", "ox") if f in macs.dtype.names)
        return float(t.divisor[pos])

    def _equation(self, state, cell) -> str:
        """``y[0, 1, 2] = 1·2 + 0·(−1) + … + b = 7``, shortened when long."""
        t = self.trace
        macs = t.macs(cell.cell_start, cell.stop)
        index = ", ".join(
            str(v)
            for v in ((state.n,) if t.batch > 1 else ()) + (cell.out_channel, *state.position)
        )
        head = f"y[{index}]"
        finished = cell.stop == cell.cell_stop
        if t.spec.op == "max_pool":
            # Padding holds −∞ and never wins: the caption lists the real cells.
            terms = [fmt(v) for v in macs["x"] if np.isfinite(v)]
            body = "max(" + ", ".join(_shorten(terms)) + ")"
        elif t.spec.op == "avg_pool":
            terms = [_term(v) for v in macs["x"]]
            body = "(" + " + ".join(_shorten(terms)) + ")"
            if finished:
                body += f" / {fmt(self._divisor(macs))}"
        else:
            terms = [f"{_term(x)}\u00b7{_term(w)}" for x, w in zip(macs["x"], macs["w"])]
            body = " + ".join(_shorten(terms))
            if finished and t.spec.bias:
                body += " + b"
        value = self._value_so_far(cell, macs)
        so_far = "" if finished else "   (so far)"
        return f"{head} = {body} = {fmt(value)}{so_far}"


def _elbow(x0, y0, x1, y1, mid) -> list:
    """A vertical–horizontal–vertical connector: crisp, and cheap to store in a GIF."""
    return [
        Line(x0, y0, x0, mid, width=1.5),
        Line(x0, mid, x1, mid, width=1.5),
        Line(x1, mid, x1, y1, width=1.5),
    ]


def _elbow_h(x0, y0, x1, y1) -> list:
    """Horizontal–vertical–horizontal, meeting the target's left edge."""
    mid = (x0 + x1) / 2
    return [
        Line(x0, y0, mid, y0, width=1.5),
        Line(mid, y0, mid, y1, width=1.5),
        Line(mid, y1, x1, y1, width=1.5),
    ]


def _title_width(text: str) -> float:
    return text_width(text, TITLE_SIZE) * 0.92


def _shorten(terms: list[str]) -> list[str]:
    if len(terms) <= MAX_TERMS:
        return terms
    return terms[:3] + ["\u2026"] + terms[-2:]
