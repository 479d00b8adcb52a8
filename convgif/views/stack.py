"""The receptive-field picture of a stack: one output cell, and what it depends on, map by map.

Every feature map of the stack (the input first) is drawn as a grid, left to
right, with the same cell size, so the maps shrink as they do in the network.
The animation walks back from the chosen output cell of the last layer to the
input, one layer per frame, lighting the cells the chosen output depends on
(``convgif.receptive``). Under every map: its shape, the receptive field of
one of its cells in input cells and its jump, with the formula filled in.

Two ways to draw a map: one representative grid (the cells lit in *any*
channel, with a note of which channels are lit), or, when the channels matter
(grouped or depthwise convolutions), a column of channel grids whose rows line
up across maps, so a depthwise step draws parallel lines (channel c reads
channel c) and a pointwise step fans out (one position, every channel).
The words are ``convgif.views.stack_text``.
"""

from __future__ import annotations

from dataclasses import dataclass

from convgif.errors import ConvGifError
from convgif.simulate.receptive import ReceptiveField
from convgif.views import stack_text as words
from convgif.views.channels import shown_lit
from convgif.views.chrome import (
    CONNECTOR_WIDTH,
    LIT_EDGE,
    caption,
    counter_at,
    header,
    legend,
    legend_width,
)
from convgif.views.grid import Grid
from convgif.views.layout import (
    CAPTION_LINE,
    CAPTION_SIZE,
    LABEL_SIZE,
    MARGIN,
    MAX_HEIGHT,
    MAX_WIDTH,
    SUBTITLE_SIZE,
    TITLE_SIZE,
)
from convgif.views.scene import Box, Line, Scene, Text
from convgif.views.stack_text import short
from convgif.views.text import text_width
from convgif.views.view import View

CHANNELS_HEIGHT = 1000  # a page of channel columns may be taller than a slide
MAX_CELL, MIN_CELL = 28, 3
GAP = 36  # between map columns
CHANNEL_ROOM = 16  # beside a column of channel grids, for their numbers
CAPTION_LINES = 3
ROW_GAP = 14  # between channel grids of one column
NOTE_LINE = LABEL_SIZE + 5  # from one note under a map to the next
HEADER_LINE = LABEL_SIZE + 4  # from one line of a map's header to the next
LEGEND_Y = MARGIN + TITLE_SIZE + 8 + SUBTITLE_SIZE + 14
ANIMATIONS = (".gif", ".apng", ".webp", ".mp4", ".html", ".pptx")
STILLS = (".png", ".svg", ".pdf")
__all__ = ["StackPicture", "short"]


@dataclass(frozen=True)
class Column:
    """Where one map is drawn: its grids by channel (None: the representative grid)."""

    x: float
    width: float
    grids: dict  # channel (or None) -> Grid of the padded map
    pads: tuple  # ((top, bottom), (left, right)) drawn around the real cells
    channels: list  # what is drawn, top to bottom: channel numbers and None for a gap
    gaps: dict  # row index of a gap -> (x, y) of its ellipsis


@dataclass(frozen=True)
class Span:
    """The lit cells of one drawn grid, for connectors: their left and right edges and
    the height of their middle."""

    left: float
    right: float
    y: float


class StackPicture(View):
    """The scenes of one receptive-field walk: frame 0 shows the chosen cell, frame k
    the maps lit k layers back; the last frame (everything lit) is the still."""

    pace = "layer"

    @property
    def width(self) -> float:
        return self.size[0]

    @property
    def height(self) -> float:
        return self.size[1]

    def __init__(self, rf: ReceptiveField, channels=None, cell_size=None):
        self.rf = rf
        if channels is None:
            # channels matter when a layer mixes fewer than all of them
            channels = any(
                not layer.spec.pooling and layer.spec.groups > 1 for layer in rf.layers
            )
        self.by_channel = bool(channels)
        self.title = words.title(rf)
        self.subtitle = words.subtitle(rf)
        self.notes = [words.notes(rf, n) for n in range(len(rf.maps))]
        self.legend = words.legend_entries(rf)
        if cell_size is None:
            cell_size = self._auto_cell()
        elif isinstance(cell_size, bool) or not isinstance(cell_size, (int, float)) or not (
            2 <= cell_size <= 200
        ):
            raise ConvGifError(f"cell_size={cell_size!r} must be a number of pixels from 2 to 200")
        self.cell = float(cell_size)
        self.size = self._measure(self.cell)  # (width, height) of every scene
        self.columns = self._place(self.cell)
        self._static = tuple(self._build_static())

    def __len__(self) -> int:
        return len(self.rf.layers) + 1

    # ---- geometry

    def _auto_cell(self) -> int:
        """The largest cell at which the picture fits a slide (channel columns: a taller
        page); else the smallest."""
        for c in range(MAX_CELL, MIN_CELL - 1, -1):
            w, h = self._measure(c)
            if w <= MAX_WIDTH and h <= (MAX_HEIGHT if not self.by_channel else CHANNELS_HEIGHT):
                return c
        return MIN_CELL

    def _rows(self, n: int) -> list:
        fmap = self.rf.maps[n]
        if not self.by_channel:
            return [None]
        return shown_lit(fmap.shape[0], fmap.channels_lit)

    def _padded(self, n: int) -> tuple[int, int]:
        fmap = self.rf.maps[n]
        (pt, pb), (pl, pr) = fmap.pads
        return fmap.shape[1] + pt + pb, fmap.shape[2] + pl + pr

    def _note_width(self, n: int) -> float:
        texts = [*self.notes[n], words.lit_note(self.rf, n)]
        widths = [text_width(t, LABEL_SIZE) for t in texts]
        widths += [text_width(line, LABEL_SIZE, bold=True) for line in words.header(self.rf, n)]
        return max(widths)

    def _column_width(self, n: int, c: float) -> float:
        """Map n's column: its padded grid (and the channel numbers) or its notes."""
        room = CHANNEL_ROOM if self.by_channel else 0
        return max(self._padded(n)[1] * c + room, self._note_width(n))

    def _row_pitch(self, c: float) -> float:
        return max(self._padded(n)[0] for n in range(len(self.rf.maps))) * c + ROW_GAP

    def _top(self) -> float:
        lines = max(len(words.header(self.rf, n)) for n in range(len(self.rf.maps)))
        return LEGEND_Y + 16 + 18 + lines * HEADER_LINE + 6

    def _measure(self, c: float) -> tuple[float, float]:
        """(width, height) of the picture with cells of size ``c``."""
        maps = range(len(self.rf.maps))
        widths = [self._column_width(n, c) for n in maps]
        width = 2 * MARGIN + sum(widths) + GAP * (len(widths) - 1)
        title_w = max(text_width(self.title, TITLE_SIZE, bold=True),
                      text_width(self.subtitle, SUBTITLE_SIZE), legend_width(self.legend))
        caption_w = max(text_width(line, CAPTION_SIZE)
                        for i in range(len(self)) for line in words.caption(self.rf, i))
        caption_w = min(caption_w, MAX_WIDTH - 2 * MARGIN)  # longer ones wrap (chrome.caption)
        formula_w = text_width(words.FORMULA, LABEL_SIZE)  # one line under the captions
        width = max(width, title_w + 2 * MARGIN, caption_w + 2 * MARGIN, formula_w + 2 * MARGIN)
        # a representative grid is one row of the channel columns' rows
        body = max(len(self._rows(n)) for n in maps) * self._row_pitch(c)
        notes = 4 * NOTE_LINE
        captions = CAPTION_LINES * CAPTION_LINE
        height = self._top() + body + notes + 14 + captions + LABEL_SIZE + 8 + MARGIN
        return float(round(width)), float(round(height))

    def _place(self, c: float) -> list[Column]:
        """The maps' columns centred on the page, each map's grids centred in their rows:
        the middle cells of all maps line up."""
        columns = []
        total = sum(
            self._column_width(n, c) for n in range(len(self.rf.maps))
        ) + GAP * (len(self.rf.maps) - 1)
        x = (self.width - total) / 2
        top = self._top()
        pitch = self._row_pitch(c)
        band = pitch - ROW_GAP if self.by_channel else self._body_bottom_at(c) - top
        for n, fmap in enumerate(self.rf.maps):
            hp, wp = self._padded(n)
            width = self._column_width(n, c)
            gx = x + (width - wp * c) / 2
            grids, gaps = {}, {}
            rows = self._rows(n)
            for r, ch in enumerate(rows):
                y = top + r * pitch + (band - hp * c) / 2
                if self.by_channel and ch is None:
                    gaps[r] = (x + width / 2, y + (hp * c) / 2)
                    continue
                grids[ch] = Grid(gx, y, hp, wp, c)
            columns.append(Column(x, width, grids, fmap.pads, rows, gaps))
            x += width + GAP
        return columns

    def _body_bottom(self) -> float:
        return self._body_bottom_at(self.cell)

    def _body_bottom_at(self, c: float) -> float:
        if self.by_channel:
            rows = max(len(self._rows(n)) for n in range(len(self.rf.maps)))
            return self._top() + rows * self._row_pitch(c) - ROW_GAP
        return self._top() + max(self._padded(n)[0] for n in range(len(self.rf.maps))) * c

    # ---- the static picture

    def _build_static(self) -> list:
        items = header([self.title], self.subtitle)
        items += legend(self.legend, LEGEND_Y, dashed={"pad"}, outlined={"window"})
        # the formula stays put below the caption lines (frames would jump otherwise)
        formula_y = self.height - MARGIN - LABEL_SIZE + 2
        items.append(Text(MARGIN, formula_y, words.FORMULA, LABEL_SIZE, "muted", anchor="la"))
        for n, col in enumerate(self.columns):
            items += self._map(n, col)
        return items

    def _map(self, n: int, col: Column) -> list:
        """Map n: its header above, its grids (ellipses for channels left out), its notes."""
        cx = col.x + col.width / 2
        lines, items = words.header(self.rf, n), []
        for k, line in enumerate(lines):  # bottom-aligned above the grid
            y = self._top() - 8 - (len(lines) - 1 - k) * HEADER_LINE
            items.append(Text(cx, y, line, LABEL_SIZE, anchor="ms", bold=True))
        for ch, grid in col.grids.items():
            items += self._grid(n, col, ch, grid)
        fmap = self.rf.maps[n]
        for r, (gx, gy) in col.gaps.items():
            after = col.channels[r - 1] if r > 0 else -1
            before = col.channels[r + 1] if r + 1 < len(col.channels) else fmap.shape[0]
            hidden = before - after - 1
            items.append(Text(gx, gy, f"\u22ee {hidden} more", LABEL_SIZE - 1, "muted"))
        bottom = self._body_bottom()
        ny = bottom + 10
        for line in self.notes[n]:
            if line:
                color = "muted" if ny > bottom + 30 else "ink"
                items.append(Text(cx, ny, line, LABEL_SIZE, color, anchor="ma"))
            ny += NOTE_LINE
        return items

    def _grid(self, n: int, col: Column, ch, grid: Grid) -> list:
        """One grid of map n, its padding dashed; a channel grid's number under it."""
        fill = "input" if n == 0 else "output"
        (pt, _), (pl, _) = col.pads
        _, rows, cols = self.rf.maps[n].shape
        items = []
        for r in range(grid.rows):
            for c in range(grid.cols):
                real = pt <= r < pt + rows and pl <= c < pl + cols
                items.append(Box(*grid.rect(r, c), fill=fill if real else "pad",
                                 edge="grid", dashed=not real))
        if ch is not None:
            # under the bottom left corner: connectors run level into and out of the cells,
            # and a pointwise step's fan-in rises to the right, so no line crosses there
            items.append(Text(grid.x, grid.y + grid.height + 2, str(ch),
                              LABEL_SIZE - 2, "muted", anchor="la"))
        return items

    # ---- one frame

    def _lit_items(self, n: int) -> list:
        """Map n's lit cells, its padding taps and its analytic box."""
        fmap, col = self.rf.maps[n], self.columns[n]
        (pt, _), (pl, _) = col.pads
        last = n == len(self.rf.maps) - 1
        items = []
        for ch, grid in col.grids.items():
            mask = fmap.mask.any(axis=0) if ch is None else fmap.mask[ch]
            taps = None
            if fmap.pad_taps is not None:
                taps = fmap.pad_taps.any(axis=0) if ch is None else fmap.pad_taps[ch]
            if not mask.any() and (taps is None or not taps.any()):
                continue
            role = "output_active" if last else "tap"
            for r, c in zip(*mask.nonzero()):
                items.append(Box(*grid.rect(r + pt, c + pl), fill=role, edge="grid"))
            if taps is not None:
                for r, c in zip(*taps.nonzero()):
                    items.append(Box(*grid.rect(r, c), fill="pad", edge="window", dashed=True,
                                     edge_width=1.5))
            (y0, y1), (x0, x1) = fmap.box
            r0, r1 = max(y0 + pt, 0), min(y1 + pt, grid.rows - 1)
            c0, c1 = max(x0 + pl, 0), min(x1 + pl, grid.cols - 1)
            if r0 <= r1 and c0 <= c1 and (r1 > r0 or c1 > c0 or last):
                items.append(Box(*grid.span(r0, c0, r1, c1), edge="window", edge_width=LIT_EDGE))
        return items

    def _lit_span(self, n: int, ch) -> Span | None:
        """Where the lit cells of one drawn grid of map n lie, for connectors."""
        fmap, col = self.rf.maps[n], self.columns[n]
        grid = col.grids.get(ch)
        if grid is None:
            return None
        mask = fmap.mask.any(axis=0) if ch is None else fmap.mask[ch]
        if not mask.any():
            return None
        (pt, _), (pl, _) = col.pads
        rows, cols = mask.nonzero()
        x0, y0, _, _ = grid.rect(rows.min() + pt, cols.min() + pl)
        x1, y1, w, h = grid.rect(rows.max() + pt, cols.max() + pl)
        return Span(x0, x1 + w, (y0 + y1 + h) / 2)

    def _sources(self, n: int, och) -> list:
        """The channels of map n - 1 that channel ``och`` of map n reads."""
        spec = self.rf.layers[n - 1].spec
        if och is None:
            return [None]
        if spec.pooling:
            return [och]
        per_out = spec.out_channels // spec.groups
        per_in = spec.in_channels // spec.groups
        g = och // per_out
        return list(range(g * per_in, (g + 1) * per_in))

    def _connectors(self, n: int) -> list:
        """Lines from map n's lit cells back to what they read in map n - 1."""
        items = []
        for och in self.columns[n].grids:
            start = self._lit_span(n, och)
            if start is None:
                continue
            for ich in self._sources(n, och):
                end = self._lit_span(n - 1, ich)
                if end is not None:
                    items.append(Line(start.left, start.y, end.right, end.y, "connector",
                                      CONNECTOR_WIDTH))
        return items

    def scene(self, index: int, *, since: int | None = None, shown: int | None = None) -> Scene:
        count = len(self)
        index = index + count if index < 0 else index
        if not 0 <= index < count:
            raise ConvGifError(f"frame={index} must be from 0 to {count - 1} (or negative)")
        last = len(self.rf.maps) - 1
        items = []
        bottom = self._body_bottom()
        for n in range(last, last - index - 1, -1):
            items += self._lit_items(n)
            note = words.lit_note(self.rf, n)  # only once the map is lit
            if note:
                col = self.columns[n]
                y = bottom + 10 + len(self.notes[n]) * NOTE_LINE
                items.append(Text(col.x + col.width / 2, y, note, LABEL_SIZE, "muted", "ma"))
        for n in range(last, last - index, -1):
            items += self._connectors(n)
        y = self.height - MARGIN - CAPTION_LINES * CAPTION_LINE - LABEL_SIZE - 4
        items += caption(words.caption(self.rf, index), y, self.width,
                         room_lines=CAPTION_LINES)
        items.append(counter_at(f"{index + 1} / {count}", self.width, MARGIN, size=LABEL_SIZE))
        return Scene(self.width, self.height, self._static, tuple(items))
