"""The overlap view: a heat map of how many taps land on each cell, as a still or built up.

The still is the closing frame of the animation: every counted cell filled
with a colour of a sequential, colour-blind-safe scale and its count written
in it, a key of the colours, and a caption that says why the counts are even
or uneven. The animation stamps one source cell at a time (an input cell of
a transposed layer; a window, i.e. an output cell, of a convolution), in the
order of the scatter view's storyboard, and the counts add up frame by frame.

Scenes are plain ``convgif.scene`` items, so the raster backend (PNG, GIF,
APNG, WebP, MP4) and the vector backend (SVG, PDF) draw the same picture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from convgif.errors import ConvGifError
from convgif.frames.budget import MAX_FRAMES_WAY
from convgif.frames.storyboard import frame_index
from convgif.simulate.coverage import Geometry, geometry, notes, rule
from convgif.views.chrome import (
    DASH,
    caption,
    counter_text,
    header,
    shape_text,
    title_parts,
    title_width,
)
from convgif.views.layout import (
    CAPTION_SIZE,
    LABEL,
    LABEL_SIZE,
    MARGIN,
    SUBTITLE_SIZE,
    TITLE_SIZE,
    Grid,
    rows_2d,
)
from convgif.views.scene import Box, Line, Scene, Text
from convgif.views.text import set_width, text_width, value_fit, wrap
from convgif.views.view import View

STILL_FORMATS = (".png", ".svg", ".pdf")
ANIMATION_FORMATS = (".gif", ".apng", ".webp", ".mp4")
MAX_LEVELS = 10  # colours of the scale; more distinct counts share colours in ranges

@dataclass(frozen=True)
class Levels:
    """How counts map to colours: one colour per count when few, else ranges."""

    edges: tuple[int, ...]  # level i holds counts edges[i] .. edges[i+1] − 1

    @classmethod
    def for_max(cls, top: int) -> Levels:
        if top < MAX_LEVELS:
            return cls(tuple(range(top + 2)))
        # 0 keeps its own colour (a cell no tap reaches); 1..top in equal ranges.
        step = math.ceil(top / (MAX_LEVELS - 1))
        return cls((0, *range(1, top + 1, step), top + 1))

    def __len__(self) -> int:
        return len(self.edges) - 1

    def level(self, count: int) -> int:
        return int(np.searchsorted(self.edges, count, side="right")) - 1

    def label(self, i: int) -> str:
        lo, hi = self.edges[i], self.edges[i + 1] - 1
        return str(lo) if lo == hi else f"{lo}\u2013{hi}"


@dataclass(frozen=True)
class OverlapLayout:
    width: float
    height: float
    cell: float
    source: Grid  # the stamping cells
    canvas: Grid  # the counted cells and the padding around them
    header_y: float
    legend_y: float
    caption_y: float
    title_lines: tuple[str, ...]


def _title_parts(layer, geo: Geometry, input_shape) -> list[str]:
    spec = layer.spec
    out = layer.output_shape(tuple(input_shape))
    return title_parts(spec, spec.pads(geo.in_shape[1:]), input_shape, out)


def _rc(position) -> tuple[int, int]:
    return (0, position[0]) if len(position) == 1 else (position[0], position[1])


class OverlapPicture(View):
    """Every frame of the overlap view of one layer on one input shape."""

    pace = "stamp"
    ways_round = (MAX_FRAMES_WAY, "a smaller input", "a still (.png, .svg, .pdf)")

    def __init__(self, layer, input_shape, cell: float | None = None):
        if input_shape is None:
            raise ConvGifError("give the input shape: input_shape=(C, H, W)")
        geo = geometry(layer, input_shape)
        if len(geo.axes) not in (1, 2):
            raise ConvGifError(
                f"{layer.spec.name}: only 1-d and 2-d layers can be drawn; "
                "overlap_counts() gives the counts of a 3-d layer"
            )
        self.layer, self.geo = layer, geo
        self.input_shape = tuple(input_shape)
        axes = geo.axes
        spans = [a.span for a in axes]
        self.offset = tuple(-lo for lo, _ in spans)
        canvas_shape = tuple(hi - lo for lo, hi in spans)
        # Per axis: taps of the first j sources on every canvas cell, j = 0..sources.
        self._prefix = []
        for a, (lo, hi) in zip(axes, spans):
            rows = np.zeros((a.sources + 1, hi - lo), dtype=np.int64)
            for j in range(a.sources):
                rows[j + 1] = rows[j]
                np.add.at(rows[j + 1], a.taps(j) - lo, 1)
            self._prefix.append(rows)
        real = [
            (np.arange(hi - lo) + lo >= 0) & (np.arange(hi - lo) + lo < a.size)
            for a, (lo, hi) in zip(axes, spans)
        ]
        self.real = real[0][None, :] if len(real) == 1 else real[0][:, None] & real[1][None, :]
        self.final = self.counts_after(self.stamps)
        self.levels = Levels.for_max(int(self.final[self.real].max(initial=0)))
        self.spatial_sources = math.prod(a.sources for a in axes)
        self.noun = "taps" if geo.transposed else "windows"
        self._layout(cell, canvas_shape)
        self._static = self._build_static()

    # ---- counts

    @property
    def stamps(self) -> int:
        """Source cells times the channels that stamp the same plane."""
        return self.geo.multiplicity * math.prod(a.sources for a in self.geo.axes)

    def counts_after(self, stamps: int) -> np.ndarray:
        """Counts on the canvas (rows, cols) once the first ``stamps`` stamps have landed.

        Stamps go channel by channel, source cells in row-major order, so a
        prefix is whole channels, whole rows of the current one, and part of a row.
        """
        per_channel = math.prod(a.sources for a in self.geo.axes)
        whole, rest = divmod(stamps, per_channel)
        full = self._outer([p[-1] for p in self._prefix])
        if len(self._prefix) == 1:
            part = self._prefix[0][rest][None, :]
        else:
            rows, cols = self._prefix
            r, c = divmod(rest, self.geo.axes[1].sources)
            part = np.multiply.outer(rows[r], cols[-1])
            if r < self.geo.axes[0].sources:
                part = part + np.multiply.outer(rows[r + 1] - rows[r], cols[c])
        return whole * full + part

    def _outer(self, vectors) -> np.ndarray:
        if len(vectors) == 1:
            return vectors[0][None, :]
        return np.multiply.outer(vectors[0], vectors[1])

    def stamp(self, index: int):
        """(channel, source position, canvas cells it hits) of stamp ``index``."""
        per_channel = math.prod(a.sources for a in self.geo.axes)
        channel, flat = divmod(index, per_channel)
        position = tuple(
            int(v) for v in np.unravel_index(flat, tuple(a.sources for a in self.geo.axes))
        )
        taps = [a.taps(j) + off for a, j, off in zip(self.geo.axes, position, self.offset)]
        if len(taps) == 1:
            cells = [(0, int(c)) for c in taps[0]]
        else:
            cells = [(int(r), int(c)) for r in taps[0] for c in taps[1]]
        return channel, position, cells

    # ---- layout

    def __len__(self) -> int:
        return self.stamps + 2

    def _layout(self, cell, canvas_shape) -> None:
        geo = self.geo
        src_rows, src_cols = rows_2d(tuple(a.sources for a in geo.axes))
        can_rows, can_cols = rows_2d(canvas_shape)
        self.title_parts = _title_parts(self.layer, geo, self.input_shape)
        self.subtitle = f"{self.layer!r}   \u00b7   {self._what()}"
        if cell is None:
            room_w = 1280 - 2 * MARGIN - 60
            room_h = 720 - 260
            cell = min(40, room_w / (src_cols + can_cols), room_h / max(src_rows, can_rows))
            cell = max(12, math.floor(cell))
        cell = float(cell)
        if not (math.isfinite(cell) and cell > 0):
            raise ConvGifError(f"cell={cell!r} must be a positive number of pixels")
        headers = self._headers()
        header_w = set_width(headers[0], LABEL_SIZE)
        gap = max(48.0, 1.5 * cell, header_w - src_cols * cell + 24)
        body_w = (
            2 * MARGIN
            + src_cols * cell
            + gap
            + max(can_cols * cell, set_width(headers[1], LABEL_SIZE))
        )
        one = DASH.join(self.title_parts)
        widths = [
            body_w,
            title_width(DASH.join(self.title_parts[:2])) + 2 * MARGIN,
            set_width(self.subtitle, SUBTITLE_SIZE) + 2 * MARGIN,
            self._legend_width() + 2 * MARGIN,
            1000.0,
        ]
        width = max(widths)
        if title_width(one) + 2 * MARGIN <= width:
            title_lines = (one,)
        else:
            title_lines = (DASH.join(self.title_parts[:2]), DASH.join(self.title_parts[2:]))
            width = max(width, title_width(title_lines[1]) + 2 * MARGIN)
        subtitle_y = MARGIN + len(title_lines) * (TITLE_SIZE + 6) + 2
        legend_y = subtitle_y + SUBTITLE_SIZE + 12
        header_y = legend_y + 24 + 18
        grid_y = header_y + LABEL / 2 + 8
        panel_h = max(src_rows, can_rows) * cell
        left = MARGIN + (width - body_w) / 2  # the panels centred under the title
        source = Grid(left, grid_y + (panel_h - src_rows * cell) / 2, src_rows, src_cols, cell)
        canvas = Grid(
            left + src_cols * cell + gap,
            grid_y + (panel_h - can_rows * cell) / 2,
            can_rows,
            can_cols,
            cell,
        )
        caption_y = grid_y + panel_h + 20
        self.rule_lines = wrap(rule(geo), width - 2 * MARGIN, CAPTION_SIZE)
        self.note_lines = wrap(self._close_caption(), width - 2 * MARGIN, CAPTION_SIZE)
        lines = len(self.rule_lines) + max(2, len(self.note_lines))
        height = caption_y + lines * (CAPTION_SIZE + 6) + MARGIN
        self.layout = OverlapLayout(
            width, height, cell, source, canvas, header_y, legend_y, caption_y, title_lines
        )
        fit = value_fit(cell, max(len(str(int(self.final.max(initial=0)))), 1))
        self.value_size = max(8.0, min(0.42 * cell, 16.0, fit))
        self.show_values = fit >= 8.0 and cell >= 14

    def _what(self) -> str:
        if self.geo.transposed:
            return "overlap: kernel taps landing on each output cell"
        return "coverage: windows reading each input cell"

    def _headers(self) -> tuple[str, str]:
        geo = self.geo
        many = geo.multiplicity > 1
        if geo.transposed:
            one_at_a_time = " (one channel at a time)" if many else ""
            left = f"input x {shape_text(geo.in_shape)}{one_at_a_time}"
            right = f"output y {shape_text(geo.out_shape)}: " + (
                "products per cell" if many else "kernel taps landing on each cell"
            )
        else:
            left = f"output y {shape_text(geo.out_shape)}: one window per cell"
            right = f"input x {shape_text(geo.in_shape)}: " + (
                "products reading each cell" if many else "windows covering each cell"
            )
        return left, right

    def _close_caption(self) -> str:
        geo = self.geo
        added = bool(geo.transposed and (self.final[self.real] == 0).any())
        cropped = not self.real.all()
        parts = notes(geo, cropped, added)
        total = int(self.final[self.real].sum())
        if geo.transposed:
            where = "each output channel" if geo.out_shape[0] > 1 else "the output"
            head = f"Done: {total:,} products add into {where}"
        elif self.layer.spec.pooling:
            where = "each input channel" if geo.in_shape[0] > 1 else "the input"
            head = f"Done: the windows make {total:,} taps on {where}"
        else:
            where = "each input channel" if geo.in_shape[0] > 1 else "the input"
            head = f"Done: {total:,} products read {where}"
        return head + ("; " + "; ".join(parts) if parts else "") + "."

    # ---- legend

    def _legend_entries(self) -> list[tuple[str, str]]:
        entries = [(f"heat_{i}", self.levels.label(i)) for i in range(len(self.levels))]
        return entries

    def _legend_width(self) -> float:
        key = set_width(self._legend_title(), LABEL_SIZE) + 10
        swatches = sum(
            max(26.0, text_width(label, LABEL_SIZE) + 10) for _, label in self._legend_entries()
        )
        extra = 0.0
        if not getattr(self, "real", np.ones((1, 1), bool)).all():
            extra = 40 + set_width(self._pad_label(), LABEL_SIZE - 1)
        return key + swatches + extra

    def _legend_title(self) -> str:
        return "products per cell:" if self.geo.multiplicity > 1 else f"{self.noun} per cell:"

    def _pad_label(self) -> str:
        if self.geo.transposed:
            return "cropped by padding: not counted"
        return "padding (or past the input): not counted"

    def _legend(self) -> list:
        lay = self.layout
        y = lay.legend_y
        items = [Text(MARGIN, y + 12, self._legend_title(), LABEL_SIZE, "ink", anchor="lm")]
        x = MARGIN + set_width(self._legend_title(), LABEL_SIZE) + 10
        for role, label in self._legend_entries():
            w = max(26.0, text_width(label, LABEL_SIZE) + 10)
            items.append(Box(x, y, w, 24, fill=role, edge="grid"))
            items.append(Text(x + w / 2, y + 12, label, LABEL_SIZE, "ink"))
            x += w
        if not self.real.all():
            x += 24
            items.append(Box(x, y + 5, 14, 14, fill="pad", edge="grid", dashed=True))
            items.append(
                Text(x + 20, y + 12, self._pad_label(), LABEL_SIZE - 1, "muted", anchor="lm")
            )
        return items

    # ---- scenes

    def _build_static(self) -> tuple:
        lay = self.layout
        items = header(lay.title_lines, self.subtitle)
        items += self._legend()
        left, right = self._headers()
        for grid, text in ((lay.source, left), (lay.canvas, right)):
            items.append(
                Text(grid.x, lay.header_y, text, LABEL_SIZE, "ink", anchor="lm", bold=True)
            )
        src_role = "input" if self.geo.transposed else "output"
        for r in range(lay.source.rows):
            for c in range(lay.source.cols):
                x, y, w, h = lay.source.rect(r, c)
                items.append(Box(x, y, w, h, fill=src_role, edge="grid"))
        for r in range(lay.canvas.rows):
            for c in range(lay.canvas.cols):
                x, y, w, h = lay.canvas.rect(r, c)
                if self.real[r, c]:
                    items.append(Box(x, y, w, h, fill="paper", edge="grid"))
                else:
                    items.append(Box(x, y, w, h, fill="pad", edge="grid", dashed=True))
        items += caption(self.rule_lines, lay.caption_y)
        return tuple(items)

    def _cells(self, counts: np.ndarray, done: bool) -> list:
        """The counted cells: heat fill and count; padding cells get their count in grey."""
        lay, items = self.layout, []
        for r in range(lay.canvas.rows):
            for c in range(lay.canvas.cols):
                n = int(counts[r, c])
                x, y, w, h = lay.canvas.rect(r, c)
                if self.real[r, c]:
                    if n == 0 and not done:
                        continue
                    items.append(Box(x, y, w, h, fill=f"heat_{self.levels.level(n)}", edge="grid"))
                    color = "ink"
                elif n:
                    color = "muted"
                else:
                    continue
                if self.show_values:
                    items.append(Text(x + w / 2, y + h / 2, str(n), self.value_size, color))
        return items

    @property
    def width(self) -> float:
        return self.layout.width

    @property
    def height(self) -> float:
        return self.layout.height

    @property
    def heat_levels(self) -> int:
        return len(self.levels)

    def still(self, index: int) -> Scene:
        """The frame without its counter: a still is a picture of its own."""
        return self._scene(index, counter=False)

    def scene(self, index: int, *, since: int | None = None, shown: int | None = None) -> Scene:
        return self._scene(index, shown=shown)

    def _scene(self, index: int, counter: bool = True, shown: int | None = None) -> Scene:
        count = len(self)
        index = frame_index(index, count)
        lay = self.layout
        if index == 0:
            items = self._cells(self.counts_after(0), done=False)
            caption = [self._open_caption()]
        elif index == count - 1:
            items = self._cells(self.final, done=True)
            caption = self.note_lines
        else:
            items = self._cells(self.counts_after(index), done=False)
            items += self._highlight(index - 1)
            caption = [self._stamp_caption(index - 1)]
        y0 = lay.caption_y + len(self.rule_lines) * (CAPTION_SIZE + 6)
        for i, line in enumerate(caption):
            items.append(Text(MARGIN, y0 + i * (CAPTION_SIZE + 6), line, CAPTION_SIZE, "muted",
                              anchor="la", fleeting=True))
        if counter:
            text = counter_text(index, count, shown)
            items.append(Text(lay.width - MARGIN, lay.header_y, text, LABEL_SIZE - 1, "muted",
                              anchor="rm", fleeting=True))
        return Scene(lay.width, lay.height, self._static, tuple(items))

    def _highlight(self, stamp: int) -> list:
        lay = self.layout
        _, position, cells = self.stamp(stamp)
        r, c = _rc(position)
        x, y, w, h = lay.source.rect(r, c)
        items = [Box(x, y, w, h, fill="tap", edge="window", edge_width=2.5)]
        # Along the cell's row, across the gap, to the canvas' edge level with the stamp.
        y0 = y + h / 2
        y1 = lay.canvas.y + (sum(rr for rr, _ in cells) / len(cells) + 0.5) * lay.cell
        mid = (lay.source.x + lay.source.width + lay.canvas.x) / 2
        items += [
            Line(x + w, y0, mid, y0, width=1.5),
            Line(mid, y0, mid, y1, width=1.5),
            Line(mid, y1, lay.canvas.x, y1, width=1.5),
        ]
        for rr, cc in cells:
            x, y, w, h = lay.canvas.rect(rr, cc)
            items.append(Box(x, y, w, h, edge="window", edge_width=2.5))
        return items

    def _open_caption(self) -> str:
        k = "\u00d7".join(str(a.kernel) for a in self.geo.axes)
        if self.geo.transposed:
            return (
                f"Each input cell stamps its {k} kernel taps onto the output; "
                "the counts add up where stamps overlap."
            )
        return (
            f"Each output cell's {k} window reads input cells; "
            "the counts add up where windows overlap."
        )

    def _stamp_caption(self, stamp: int) -> str:
        geo = self.geo
        channel, position, cells = self.stamp(stamp)
        inside = [cell for cell in cells if self.real[cell]]
        where = ", ".join(str(v) for v in (channel, *position))
        if geo.transposed:
            text = f"x[{where}] stamps its {len(cells)} kernel taps onto y"
            lost = "cropped by padding"
        else:
            text = f"The window of y[{where}] reads x"
            lost = "on padding"
        if inside:
            off_r, off_c = _rc(self.offset)
            rows = sorted({r - off_r for r, _ in inside})
            cols = sorted({c - off_c for _, c in inside})
            span = f"cols {_range(cols)}"
            if len(geo.axes) == 2:
                span = f"rows {_range(rows)}, " + span
            text += f" {span}"
        if len(inside) < len(cells):
            text += f" ({len(cells) - len(inside)} {lost})"
        if geo.multiplicity > 1:
            which = "input" if geo.transposed else "output"
            text += f"; {which} channel {channel} of {geo.multiplicity}"
        return text


def _range(values) -> str:
    return str(values[0]) if values[0] == values[-1] else f"{values[0]}\u2013{values[-1]}"
