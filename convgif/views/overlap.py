"""The overlap view: a heat map of how many taps land on each cell, as a still or built up.

The still is the closing frame of the animation: every counted cell filled
with a colour of a sequential, colour-blind-safe scale and its count written
in it, a key of the colours, and a caption that says why the counts are even
or uneven. The animation stamps one source cell at a time (an input cell of
a transposed layer; a window, i.e. an output cell, of a convolution), in the
order of the scatter view's storyboard, and the counts add up frame by frame.

Scenes are plain ``convgif.scene`` items, so the raster backend (PNG, GIF,
APNG, WebP, MP4) and the vector backend (SVG, PDF) draw the same picture.
The counts are ``convgif.views.overlap_counts``, the colours
``convgif.views.heat``, the words ``convgif.views.overlap_text``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from convgif.errors import ConvGifError
from convgif.frames.budget import MAX_FRAMES_WAY
from convgif.frames.storyboard import frame_index
from convgif.simulate.coverage import geometry, rule
from convgif.views.chrome import (
    DASH,
    LIT_EDGE,
    caption,
    counter_at,
    counter_text,
    elbow_h,
    header,
    heat_key,
    heat_key_width,
    title_lines,
    title_width,
)
from convgif.views.grid import Grid, rc, rows_2d
from convgif.views.heat import Levels
from convgif.views.layout import (
    CAPTION_LINE,
    CAPTION_SIZE,
    LABEL,
    LABEL_SIZE,
    MARGIN,
    MAX_HEIGHT,
    MAX_WIDTH,
    SUBTITLE_SIZE,
    TITLE_LINE,
)
from convgif.views.overlap_counts import Stamp, StampCounts
from convgif.views.overlap_text import OverlapText
from convgif.views.scene import Box, Scene, Text
from convgif.views.text import MIN_VALUE_SIZE, text_width, value_fit, value_size, wrap
from convgif.views.view import View

STILL_FORMATS = (".png", ".svg", ".pdf")
ANIMATION_FORMATS = (".gif", ".apng", ".webp", ".mp4", ".html", ".pptx")
MIN_WIDTH = 1000.0  # the page's least width: the caption's lines wrap within it
MIN_CELL, MAX_CELL = 12, 40  # the automatic cell size's bounds
# The room the panels get on a 1280 × 720 slide, beside and below what surrounds them.
ROOM_W, ROOM_H = MAX_WIDTH - 2 * MARGIN - 60, MAX_HEIGHT - 260


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


def _cell_size(cell, source: tuple, canvas: tuple) -> float:
    """The cell asked for, or the largest (up to MAX_CELL) at which both panels fit a
    slide side by side."""
    if cell is None:
        cell = min(MAX_CELL, ROOM_W / (source[1] + canvas[1]), ROOM_H / max(source[0], canvas[0]))
        cell = max(MIN_CELL, math.floor(cell))
    cell = float(cell)
    if not (math.isfinite(cell) and cell > 0):
        raise ConvGifError(f"cell={cell!r} must be a positive number of pixels")
    return cell


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
        self.counts = StampCounts(geo)
        self.offset, self.real, self.final = self.counts.offset, self.counts.real, self.counts.final
        self.levels = Levels.for_max(int(self.final[self.real].max(initial=0)))
        self.text = OverlapText(layer, geo, self.counts)
        self.title_parts = self.text.title_parts(self.input_shape)
        self.subtitle = self.text.subtitle()
        self.layout = self._lay_out(cell)
        cell = self.layout.cell
        fit = value_fit(cell, str(int(self.final.max(initial=0))))
        self.value_size = value_size(cell, fit)
        self.show_values = fit >= MIN_VALUE_SIZE and cell >= 14
        self._static = self._build_static()

    # ---- counts

    @property
    def stamps(self) -> int:
        """Source cells times the channels that stamp the same plane."""
        return self.counts.stamps

    def counts_after(self, stamps: int) -> np.ndarray:
        """Counts on the canvas (rows, cols) once the first ``stamps`` stamps have landed."""
        return self.counts.after(stamps)

    def stamp(self, index: int) -> Stamp:
        """Stamp ``index``: its channel, its source cell, the canvas cells it hits."""
        return self.counts.stamp(index)

    def __len__(self) -> int:
        return self.stamps + 2

    # ---- layout

    def _pad_note(self) -> str:
        """The key's note on the padding: only when the canvas shows some."""
        return "" if self.real.all() else self.text.pad_label()

    def _lay_out(self, cell) -> OverlapLayout:
        """The source cells and the canvas side by side, centred under the title; the
        caption below, its lines wrapped within the page."""
        src_rows, src_cols = rows_2d(tuple(a.sources for a in self.geo.axes))
        can_rows, can_cols = rows_2d(self.counts.shape)
        cell = _cell_size(cell, (src_rows, src_cols), (can_rows, can_cols))
        left_header, right_header = self.text.headers()
        gap = max(48.0, 1.5 * cell, text_width(left_header, LABEL_SIZE) - src_cols * cell + 24)
        body_w = (
            2 * MARGIN
            + src_cols * cell
            + gap
            + max(can_cols * cell, text_width(right_header, LABEL_SIZE))
        )
        lines, width = self._title_and_width(body_w)
        legend_y = MARGIN + len(lines) * TITLE_LINE + 2 + SUBTITLE_SIZE + 12
        header_y = legend_y + 24 + 18
        grid_y = header_y + LABEL / 2 + 8
        panel_h = max(src_rows, can_rows) * cell
        left = MARGIN + (width - body_w) / 2  # the panels centred under the title
        source = Grid(left, grid_y + (panel_h - src_rows * cell) / 2, src_rows, src_cols, cell)
        canvas_y = grid_y + (panel_h - can_rows * cell) / 2
        canvas = Grid(left + src_cols * cell + gap, canvas_y, can_rows, can_cols, cell)
        caption_y = grid_y + panel_h + 20
        self.rule_lines = wrap(rule(self.geo), width - 2 * MARGIN, CAPTION_SIZE)
        self.note_lines = wrap(self.text.closing(), width - 2 * MARGIN, CAPTION_SIZE)
        height = caption_y + (len(self.rule_lines) + max(2, len(self.note_lines))) * CAPTION_LINE
        return OverlapLayout(width, height + MARGIN, cell, source, canvas, header_y, legend_y,
                             caption_y, lines)

    def _title_and_width(self, body_w: float) -> tuple[tuple[str, ...], float]:
        """The title's lines and the page's width: the panels', the header's or the least."""
        parts = self.title_parts
        key = heat_key_width(self.text.key_title(), self.levels.entries(), self._pad_note())
        widths = [
            body_w,
            title_width(DASH.join(parts[:2])) + 2 * MARGIN,
            text_width(self.subtitle, SUBTITLE_SIZE) + 2 * MARGIN,
            key + 2 * MARGIN,
            MIN_WIDTH,
        ]
        width = max(widths)
        lines = tuple(title_lines(parts, width))
        if len(lines) > 1:
            width = max(width, title_width(lines[1]) + 2 * MARGIN)
        return lines, width

    # ---- scenes

    def _build_static(self) -> tuple:
        lay = self.layout
        items = header(lay.title_lines, self.subtitle)
        items += heat_key(self.text.key_title(), self.levels.entries(), lay.legend_y,
                          self._pad_note())
        for grid, text in zip((lay.source, lay.canvas), self.text.headers()):
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
                    items.append(Box(x, y, w, h, fill=self.levels.role(n), edge="grid"))
                    color = "ink"
                elif n:
                    color = "muted"
                else:
                    continue
                if self.show_values:
                    items.append(Text(x + w / 2, y + h / 2, str(n), self.value_size, color))
        return items

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
            lines = [self.text.opening()]
        elif index == count - 1:
            items = self._cells(self.final, done=True)
            lines = self.note_lines
        else:
            items = self._cells(self.counts_after(index), done=False)
            items += self._highlight(index - 1)
            lines = [self.text.stamp(index - 1)]
        y0 = lay.caption_y + len(self.rule_lines) * CAPTION_LINE
        items += caption(lines, y0, color="muted")
        if counter:
            text = counter_text(index, count, shown)
            items.append(counter_at(text, lay.width, lay.header_y, anchor="rm"))
        return Scene(lay.width, lay.height, self._static, tuple(items))

    def _highlight(self, stamp: int) -> list:
        """The stamping cell, a connector across the gap, the cells its taps land on."""
        lay = self.layout
        hit = self.stamp(stamp)
        cells = hit.cells
        x, y, w, h = lay.source.rect(*rc(hit.position))
        items = [Box(x, y, w, h, fill="tap", edge="window", edge_width=LIT_EDGE)]
        # Along the cell's row, across the gap, to the canvas' edge level with the stamp.
        y1 = lay.canvas.y + (sum(rr for rr, _ in cells) / len(cells) + 0.5) * lay.cell
        mid = (lay.source.x + lay.source.width + lay.canvas.x) / 2
        items += elbow_h(x + w, y + h / 2, lay.canvas.x, y1, mid)
        for rr, cc in cells:
            x, y, w, h = lay.canvas.rect(rr, cc)
            items.append(Box(x, y, w, h, edge="window", edge_width=LIT_EDGE))
        return items
