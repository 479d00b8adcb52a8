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
"""

from __future__ import annotations

from dataclasses import dataclass

from convgif.errors import ConvGifError
from convgif.simulate.receptive import ReceptiveField
from convgif.views.layout import CAPTION_SIZE, LABEL_SIZE, MARGIN, SUBTITLE_SIZE, TITLE_SIZE, Grid
from convgif.views.scene import Box, Line, Scene, Text
from convgif.views.text import set_width, text_width
from convgif.views.view import View

MAX_WIDTH, MAX_HEIGHT = 1280, 720
MAX_CELL, MIN_CELL = 28, 3
GAP = 36  # between map columns
HEADER_WIDTH = 200  # a layer's call wraps after a comma beyond this
CAPTION_LINES = 3
ROW_GAP = 14  # between channel grids of one column
ANIMATIONS = (".gif", ".apng", ".webp", ".mp4")
STILLS = (".png", ".svg", ".pdf")
TIMES = "\u00d7"
ARROW = "  \u2192  "
MINUS = "\u2212"
PRIME = "\u2032"  # the previous layer's value
FORMULA = (
    f"Under each map: RF r = r{PRIME} + (k{MINUS}1)\u00b7d\u00b7j{PRIME} and jump "
    f"j = j{PRIME}\u00b7s, where {PRIME} marks the map before and r = j = 1 at the input: "
    "one cell's field, in input cells."
)


def short(layer) -> str:
    """The layer as written in code, kernel size positional: ``Conv2d(6, 16, 5)``."""
    return repr(layer).replace("kernel_size=", "")


def _shape(shape) -> str:
    return f" {TIMES} ".join(str(s) for s in shape)


def _pair(values) -> str:
    """A stride or jump: ``2``, or ``2×1`` when the axes differ."""
    return str(values[0]) if values[0] == values[1] else f"{values[0]}{TIMES}{values[1]}"


def _size(values) -> str:
    """An area, always with both sides: ``5×5``."""
    return f"{values[0]}{TIMES}{values[1]}"


def shown(count: int, lit, rows: int = 6) -> list:
    """The channels drawn for a map of ``count`` channels, top to bottom, with None for
    each run of channels left out (one row, whose ellipsis says how many): all when they
    fit in ``rows``; else, within ``rows``, as many ``lit`` channels as can be (a lit
    channel left out hides what the picture is about), then the first and last for
    context, then as many channels as fit, nearest the ends."""
    if count <= rows:
        return list(range(count))
    lit = set(lit)

    def worth(c: int) -> tuple:
        return (c in lit, c in (0, count - 1), 1, -min(c, count - 1 - c), -c)

    # Dynamic programming over the channels in order. A state is (rows used, whether the
    # last channel was drawn); skipping a channel right after a drawn one opens a gap row.
    # Scores are tuples added term by term and compared in order: the best row plan.
    best = {(0, True): ((0, 0, 0, 0, 0), ())}
    for c in range(count):
        gain, after = worth(c), {}
        for (used, drawn), (score, picks) in best.items():
            for state, value in (
                ((used + 1, True), (tuple(a + b for a, b in zip(score, gain)), picks + (c,))),
                ((used + drawn, False), (score, picks)),
            ):
                if state[0] <= rows and (state not in after or value[0] > after[state][0]):
                    after[state] = value
        best = after
    picks = max(best.values())[1]
    out, last = [], -1
    for c in picks:
        if c != last + 1:
            out.append(None)
        out.append(c)
        last = c
    return out + [None] if last != count - 1 else out


@dataclass(frozen=True)
class Column:
    """Where one map is drawn: its grids by channel (None: the representative grid)."""

    x: float
    width: float
    grids: dict  # channel (or None) -> Grid of the padded map
    pads: tuple  # ((top, bottom), (left, right)) drawn around the real cells
    channels: list  # what is drawn, top to bottom: channel numbers and None for a gap
    gaps: dict  # row index of a gap -> (x, y) of its ellipsis


class StackPicture(View):
    """The scenes of one receptive-field walk: frame 0 shows the chosen cell, frame k
    the maps lit k layers back; the last frame (everything lit) is the still."""

    pace = "layer"

    def __init__(self, rf: ReceptiveField, channels=None, cell_size=None):
        self.rf = rf
        if channels is None:
            # channels matter when a layer mixes fewer than all of them
            channels = any(
                not layer.spec.pooling and layer.spec.groups > 1 for layer in rf.layers
            )
        self.by_channel = bool(channels)
        self.title = self._title()
        self.subtitle = "on a " + _shape(rf.maps[0].shape) + " input:   " + ARROW.join(
            short(layer) for layer in rf.layers
        )
        self.notes = [self._notes(n) for n in range(len(rf.maps))]
        self.legend = self._legend_entries()
        if cell_size is None:
            for c in range(MAX_CELL, MIN_CELL - 1, -1):
                w, h = self._measure(c)
                if w <= MAX_WIDTH and h <= (MAX_HEIGHT if not self.by_channel else 1000):
                    break
            cell_size = c
        elif isinstance(cell_size, bool) or not isinstance(cell_size, (int, float)) or not (
            2 <= cell_size <= 200
        ):
            raise ConvGifError(f"cell_size={cell_size!r} must be a number of pixels from 2 to 200")
        self.cell = float(cell_size)
        self.width, self.height = self._measure(self.cell)
        self.columns = self._place(self.cell)
        self._static = tuple(self._build_static())

    def __len__(self) -> int:
        return len(self.rf.layers) + 1

    # ---- text

    def _title(self) -> str:
        rf = self.rf
        c, y, x = rf.cell
        last = rf.maps[-1].shape
        where = "the centre of" if (y, x) == (last[1] // 2, last[2] // 2) else "a cell of"
        return (
            f"Receptive field of y[{c}, {y}, {x}], {where} layer {len(rf.layers)}'s output "
            f"({_shape(last)})"
        )

    def _notes(self, n: int) -> list[str]:
        """Lines under map n: shape, RF and jump, the formula, which channels are lit."""
        fmap = self.rf.maps[n]
        lines = [_shape(fmap.shape), f"RF {_size(fmap.rf)} \u00b7 jump {_pair(fmap.jump)}"]
        if n > 0:
            prev = self.rf.maps[n - 1]
            s = self.rf.layers[n - 1].spec
            if prev.rf[0] == prev.rf[1] and s.kernel_size[0] == s.kernel_size[1] and (
                s.dilation[0] == s.dilation[1] and prev.jump[0] == prev.jump[1]
            ):
                lines.append(
                    f"{fmap.rf[0]} = {prev.rf[0]} + ({s.kernel_size[0]}{MINUS}1)\u00b7"
                    f"{s.dilation[0]}\u00b7{prev.jump[0]}"
                )
            else:
                lines.append("")
        else:
            lines.append("")
        return lines

    def _lit_note(self, n: int) -> str:
        fmap = self.rf.maps[n]
        lit = fmap.channels_lit
        c = fmap.shape[0]
        if len(lit) == c:
            return "lit in every channel" if c > 1 else ""
        if len(lit) == 1:
            return f"lit in channel {lit[0]} only"
        return f"lit in {len(lit)} of {c} channels"

    def _legend_entries(self) -> list:
        entries = [("output_active", "the chosen output cell"), ("tap", "it depends on this cell"),
                   ("window", "its receptive field (analytic box)")]
        if any(m.pad_taps is not None and m.pad_taps.any() for m in self.rf.maps):
            entries.append(("pad", "padding it reads (a constant, not a dependency)"))
        return entries

    # ---- geometry

    def _rows(self, n: int) -> list:
        fmap = self.rf.maps[n]
        if not self.by_channel:
            return [None]
        return shown(fmap.shape[0], fmap.channels_lit)

    def _padded(self, n: int) -> tuple[int, int]:
        fmap = self.rf.maps[n]
        (pt, pb), (pl, pr) = fmap.pads
        return fmap.shape[1] + pt + pb, fmap.shape[2] + pl + pr

    def _note_width(self, n: int) -> float:
        texts = [*self.notes[n], self._lit_note(n)]
        widths = [set_width(t, LABEL_SIZE) for t in texts]
        widths += [text_width(line, LABEL_SIZE) * 0.95 for line in self._header(n)]
        return max(widths)

    def _header(self, n: int) -> list[str]:
        """The map's name, a long layer call wrapped after commas (long calls would
        otherwise widen their column and shrink every cell)."""
        text = "input x" if n == 0 else f"{n}  {short(self.rf.layers[n - 1])}"
        lines, line = [], ""
        for part in text.split(", "):
            joined = f"{line}, {part}" if line else part
            if line and text_width(joined + ",", LABEL_SIZE) * 0.95 > HEADER_WIDTH:
                lines.append(line + ",")
                joined = part
            line = joined
        return lines + [line]

    def _header_lines(self) -> int:
        return max(len(self._header(n)) for n in range(len(self.rf.maps)))

    def _row_pitch(self, c: float) -> float:
        return max(self._padded(n)[0] for n in range(len(self.rf.maps))) * c + ROW_GAP

    def _top(self) -> float:
        headers = self._header_lines() * (LABEL_SIZE + 4)
        return MARGIN + TITLE_SIZE + 8 + SUBTITLE_SIZE + 14 + 16 + 18 + headers + 6

    def _measure(self, c: float) -> tuple[float, float]:
        widths = [
            max(self._padded(n)[1] * c + (16 if self.by_channel else 0), self._note_width(n))
            for n in range(len(self.rf.maps))
        ]
        width = 2 * MARGIN + sum(widths) + GAP * (len(widths) - 1)
        title_w = max(text_width(self.title, TITLE_SIZE) * 0.95,
                      set_width(self.subtitle, SUBTITLE_SIZE),
                      sum(18 + set_width(t, LABEL_SIZE - 1) + 16 for _, t in self.legend))
        caption_w = max(text_width(line, CAPTION_SIZE) * 0.9
                        for i in range(len(self)) for line in self._caption(i))
        caption_w = min(caption_w, MAX_WIDTH - 2 * MARGIN)
        width = max(width, title_w + 2 * MARGIN, caption_w + 2 * MARGIN)
        if self.by_channel:
            rows = max(len(self._rows(n)) for n in range(len(self.rf.maps)))
            body = rows * self._row_pitch(c)
        else:
            body = max(self._padded(n)[0] for n in range(len(self.rf.maps))) * c + ROW_GAP
        notes = 4 * (LABEL_SIZE + 5)
        captions = CAPTION_LINES * (CAPTION_SIZE + 6)
        height = self._top() + body + notes + 14 + captions + LABEL_SIZE + 8 + MARGIN
        return float(round(width)), float(round(height))

    def _place(self, c: float) -> list[Column]:
        columns = []
        total = sum(
            max(self._padded(n)[1] * c + (16 if self.by_channel else 0), self._note_width(n))
            for n in range(len(self.rf.maps))
        ) + GAP * (len(self.rf.maps) - 1)
        x = (self.width - total) / 2
        top = self._top()
        pitch = self._row_pitch(c)
        for n, fmap in enumerate(self.rf.maps):
            hp, wp = self._padded(n)
            width = max(wp * c + (16 if self.by_channel else 0), self._note_width(n))
            gx = x + (width - wp * c) / 2
            grids, gaps = {}, {}
            rows = self._rows(n)
            band = pitch - ROW_GAP if self.by_channel else self._body_bottom_at(c) - top
            for r, ch in enumerate(rows):
                # centred in the band: the middle cells of all maps line up
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
        items = [
            Text(MARGIN, MARGIN, self.title, TITLE_SIZE, anchor="la", bold=True),
            Text(MARGIN, MARGIN + TITLE_SIZE + 8, self.subtitle, SUBTITLE_SIZE, "muted", "la"),
        ]
        x, y = float(MARGIN), MARGIN + TITLE_SIZE + 8 + SUBTITLE_SIZE + 14
        for role, label in self.legend:
            if role is None:  # a note, not a swatch
                items.append(Text(x, y + 6.5, label, LABEL_SIZE - 1, "muted", anchor="lm"))
                continue
            items.append(Box(x, y, 13, 13, fill=None if role == "window" else role,
                             edge="window" if role == "window" else "grid",
                             edge_width=2 if role == "window" else 1, dashed=role == "pad"))
            items.append(Text(x + 18, y + 6.5, label, LABEL_SIZE - 1, "muted", anchor="lm"))
            x += 18 + set_width(label, LABEL_SIZE - 1) + 16
        # the formula stays put below the caption lines (frames would jump otherwise)
        formula_y = self.height - MARGIN - LABEL_SIZE + 2
        items.append(Text(MARGIN, formula_y, FORMULA, LABEL_SIZE, "muted", anchor="la"))
        bottom = self._body_bottom()
        for n, col in enumerate(self.columns):
            cx = col.x + col.width / 2
            header = self._header(n)
            for k, line in enumerate(header):  # bottom-aligned above the grid
                y = self._top() - 8 - (len(header) - 1 - k) * (LABEL_SIZE + 4)
                items.append(Text(cx, y, line, LABEL_SIZE, anchor="ms", bold=True))
            fill = "input" if n == 0 else "output"
            (pt, pb), (pl, pr) = col.pads
            fmap = self.rf.maps[n]
            for ch, grid in col.grids.items():
                for r in range(grid.rows):
                    for c in range(grid.cols):
                        real = pt <= r < pt + fmap.shape[1] and pl <= c < pl + fmap.shape[2]
                        items.append(Box(*grid.rect(r, c), fill=fill if real else "pad",
                                         edge="grid", dashed=not real))
                if ch is not None:
                    # under the bottom left corner: connectors run level into and out of
                    # the cells, and a pointwise step's fan-in rises to the right, so no
                    # line crosses there
                    items.append(Text(grid.x, grid.y + grid.height + 2, str(ch),
                                      LABEL_SIZE - 2, "muted", anchor="la"))
            for r, (gx, gy) in col.gaps.items():
                after = col.channels[r - 1] if r > 0 else -1
                before = col.channels[r + 1] if r + 1 < len(col.channels) else fmap.shape[0]
                hidden = before - after - 1
                items.append(Text(gx, gy, f"\u22ee {hidden} more", LABEL_SIZE - 1, "muted"))
            ny = bottom + 10
            for line in self.notes[n]:
                if line:
                    items.append(Text(cx, ny, line, LABEL_SIZE, "muted" if ny > bottom + 30
                                      else "ink", anchor="ma"))
                ny += LABEL_SIZE + 5
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
                items.append(Box(*grid.span(r0, c0, r1, c1), edge="window", edge_width=2.5))
        return items

    def _lit_span(self, n: int, ch) -> tuple[float, float, float, float] | None:
        """(left, right, y centre) of the lit cells of one drawn grid, for connectors."""
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
        return x0, x1 + w, (y0 + y1 + h) / 2

    def _connectors(self, n: int) -> list:
        """Lines from map n's lit cells back to what they read in map n - 1."""
        items = []
        layer = self.rf.layers[n - 1]
        out_col = self.columns[n]
        for och in out_col.grids:
            start = self._lit_span(n, och)
            if start is None:
                continue
            if och is None:
                sources = [None]
            elif layer.spec.pooling:
                sources = [och]
            else:
                per_out = layer.spec.out_channels // layer.spec.groups
                per_in = layer.spec.in_channels // layer.spec.groups
                g = och // per_out
                sources = list(range(g * per_in, (g + 1) * per_in))
            for ich in sources:
                end = self._lit_span(n - 1, ich)
                if end is not None:
                    items.append(Line(start[0], start[2], end[1], end[2], "connector", 1.5))
        return items

    def _caption(self, index: int) -> list[str]:
        rf = self.rf
        last = len(rf.layers)
        c, y, x = rf.cell
        if index == 0:
            return [f"Pick one output cell, y[{c}, {y}, {x}], and walk back through the stack, "
                    "one layer per frame."]
        n = last - index + 1  # the layer whose inputs light up in this frame
        layer, fmap = rf.layers[n - 1], rf.maps[n - 1]
        s = layer.spec
        window = f"{_size(s.kernel_size)} window"
        if s.dilation != (1, 1):
            window += f" with dilation {_pair(s.dilation)}"
        if s.pooling:
            reads = "its own channel"
        elif s.groups == 1:
            reads = f"all {s.in_channels} channels" if s.in_channels > 1 else "the one channel"
        elif s.groups == s.in_channels:
            reads = "its own channel only (depthwise)"
        else:
            reads = f"the {s.in_channels // s.groups} channels of its group"
        window = "a " + window
        if s.kernel_size == (1, 1):
            window = "one position (1" + TIMES + "1)"
        count = int(fmap.mask.sum())
        first = (f"Layer {n}, {short(layer)}: each lit cell reads {window} of {reads}, "
                 f"stride {_pair(s.stride)}.")
        where = "the input" if n == 1 else "its input"
        second = f"{count:,} of {fmap.mask.size:,} cells of {where} ({_shape(fmap.shape)}) are lit"
        if fmap.pad_taps is not None and fmap.pad_taps.any():
            second += f", and {int(fmap.pad_taps.sum()):,} padding cells are read (dashed)"
        second += "."
        if n == 1:
            return [first, second, f"So y[{c}, {y}, {x}] has a receptive field of "
                    f"{_size(rf.rf)} input cells and a jump of {_pair(rf.jump)}."]
        return [first, second]

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
            note = self._lit_note(n)  # only once the map is lit
            if note:
                col = self.columns[n]
                y = bottom + 10 + len(self.notes[n]) * (LABEL_SIZE + 5)
                items.append(Text(col.x + col.width / 2, y, note, LABEL_SIZE, "muted", "ma"))
        for n in range(last, last - index, -1):
            items += self._connectors(n)
        y = self.height - MARGIN - CAPTION_LINES * (CAPTION_SIZE + 6) - LABEL_SIZE - 4
        for line in self._caption(index):
            items.append(Text(MARGIN, y, line, CAPTION_SIZE, anchor="la", fleeting=True))
            y += CAPTION_SIZE + 6
        counter = f"{index + 1} / {count}"
        items.append(Text(self.width - MARGIN, MARGIN, counter, LABEL_SIZE, "muted", anchor="ra",
                          fleeting=True))
        return Scene(self.width, self.height, self._static, tuple(items))


__all__ = ["StackPicture", "short", "shown"]
