"""The feature-maps view: a photo beside the maps one convolution makes of it, as one page.

The numbers come from below: the layer's trace (``layer.trace(x).output``),
which ``convgif.api.features`` runs. This view only shows them: the photo,
the output channels put back together as one RGB picture (for a preset on a
colour photo, as a photo editor shows it), and each output channel shaded
with its own range, a colour bar above it and notes that give the range.

Each output channel is drawn with its own range: gray from its minimum
(black) to its maximum (white) when it has one sign, or, when it has both,
blue for negative, white for zero and orange for positive, symmetric around
zero. A few extreme cells (the photo's sharpest edges) would wash the rest
out, so the colours span the 1st to 99th percentile and saturate beyond.

Like every view it is a ``View`` of scenes (here one frame); the photo and the
maps are ``Bitmap`` items whose colours the view brings (``own_colors``);
the page's paper, text and outlines follow the style.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from convgif.views.bitmaps import share_colors
from convgif.views.chrome import header
from convgif.views.layout import MARGIN, SUBTITLE_SIZE, TITLE_LINE
from convgif.views.scene import Box, Scene, Text
from convgif.views.stack_text import short
from convgif.views.text import fmt, text_width
from convgif.views.view import View

CLIP = 1.0  # percent of cells at each end whose colour saturates
NEGATIVE, ZERO, POSITIVE = (0, 114, 178), (255, 255, 255), (213, 94, 0)  # Okabe-Ito
TIMES = "\u00d7"

COLUMNS = 3  # at least, when there are as many panels; more when the title is wider
MIN_PANEL = 240  # smaller photos are drawn larger, each pixel a block
GAP = 16  # between panels
TEXT_SIZE = 14  # labels and notes: 10 px and more once a 1,700-px page is put on a slide
NOTE_LINE = TEXT_SIZE + 6
BAR_H, BAR_GAP = 6, 6  # a map's colour bar, and its room above the map
BAR_STEPS = 128  # the colour bar's steps from its low end to its high end


@dataclass(frozen=True)
class Features:
    """What the view shows: the input as traced, the layer, its output."""

    x: np.ndarray  # (C, H, W), whole numbers 0..255
    layer: object
    output: np.ndarray  # (C_out, H_out, W_out): the layer's trace on x
    kernel: str  # a preset's name, or "layer"
    source: str  # where the photo came from, for its note


@dataclass(frozen=True)
class Panel:
    """One picture of the page: its label, its notes, its pixels, its colour bar (if any)."""

    label: str
    note: str  # lines separated by "\n"
    rgb: np.ndarray  # (H, W, 3) uint8
    bar: np.ndarray | None = None  # (1, BAR_STEPS, 3) uint8: the map's colours, low to high


# --------------------------------------------------------------------------- colours


def _gray(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
    t = np.zeros_like(a) if hi == lo else np.clip((a - lo) / (hi - lo), 0, 1)
    return np.repeat((t * 255 + 0.5).astype(np.uint8)[..., None], 3, axis=2)


def _diverging(a: np.ndarray, top: float) -> np.ndarray:
    t = np.clip(a / (top or 1.0), -1, 1)[..., None]
    zero, neg, pos = (np.array(c, dtype=np.float64) for c in (ZERO, NEGATIVE, POSITIVE))
    rgb = np.where(t < 0, zero + (neg - zero) * -t, zero + (pos - zero) * t)
    return (rgb + 0.5).astype(np.uint8)


def _num(v: float) -> str:
    return fmt(round(v, 1))


def channel_rgb(a: np.ndarray) -> tuple[np.ndarray, str]:
    """One feature map as (H, W, 3) uint8 and the words for its colours (see the module's
    note on the 1st to 99th percentile): the note gives both that span and the true
    minimum and maximum."""
    return _channel(a)[:2]


def _channel(a: np.ndarray) -> tuple[np.ndarray, str, np.ndarray]:
    """``channel_rgb`` and the map's colour bar, low to high."""
    lo, hi = float(a.min()), float(a.max())
    p_lo, p_hi = (float(v) for v in np.percentile(a, [CLIP, 100 - CLIP]))
    ramp = np.linspace(-1.0, 1.0, BAR_STEPS)[None, :]
    if lo < 0 < hi:
        top = max(abs(p_lo), abs(p_hi)) or max(-lo, hi)
        note = f"blue {_num(-top)} \u2026 white 0 \u2026 orange {_num(top)}"
        return (_diverging(a, top), f"{note}\n(values from {_num(lo)} to {_num(hi)})",
                _diverging(ramp, 1.0))
    if p_hi == p_lo:
        p_lo, p_hi = lo, hi
    note = f"black {_num(p_lo)} \u2026 white {_num(p_hi)}"
    return (_gray(a, p_lo, p_hi), f"{note}\n(values from {_num(lo)} to {_num(hi)})",
            _gray(ramp, -1.0, 1.0))


def photo_rgb(x: np.ndarray) -> np.ndarray:
    """A (C, H, W) picture of whole numbers as (H, W, 3) uint8, clipped to 0..255."""
    img = np.clip(np.round(x), 0, 255).astype(np.uint8)
    return np.repeat(img[0][..., None], 3, axis=2) if img.shape[0] == 1 else img.transpose(1, 2, 0)


# --------------------------------------------------------------------------- words


def panels(f: Features) -> list[Panel]:
    """Each picture of the page, the input first."""
    c, h, w = f.x.shape
    kind = "RGB" if c == 3 else "grayscale"
    out = [Panel(f"input x ({c} {TIMES} {h} {TIMES} {w}, {kind})",
                 f.source.replace(", ", ",\n"), photo_rgb(f.x))]
    y = f.output
    preset = f.kernel != "layer"
    if preset and c == 3:
        out.append(Panel("y[0..2] as one RGB picture",
                         "clipped to 0..255,\nas a photo editor shows it", photo_rgb(y)))
    names = ("R", "G", "B") if preset and y.shape[0] == 3 else None
    for o in range(y.shape[0]):
        rgb, note, bar = _channel(y[o])
        label = f"y[{o}]" + (f" ({names[o]})" if names else "")
        out.append(Panel(f"{label}  {y.shape[1]} {TIMES} {y.shape[2]}", note, rgb, bar))
    return out


def kernel_text(f: Features) -> str:
    """The kernel as the title names it: a preset's 3×3 grid (read from the layer's own
    weights, the same in every channel), or the layer and its weights' shape."""
    if f.kernel == "layer":
        return f"{short(f.layer)}, its weights {tuple(f.layer.weight.shape)}"
    k, scale = np.asarray(f.layer.weight[0, 0], dtype=np.float64), ""
    if f.kernel == "blur":  # sixteenths: whole numbers read better
        k, scale = k * 16, "1/16 \u00b7 "
    rows = " / ".join(" ".join(fmt(v) for v in row) for row in k)
    return f"{f.kernel} kernel {scale}[{rows}] on each channel"


def titles(f: Features) -> tuple[str, str]:
    """The page's title and subtitle."""
    return (f"A photo and the feature maps of one convolution: {kernel_text(f)}",
            f"{short(f.layer)}   \u00b7   convgif's simulator, equal to torch's conv2d   "
            "\u00b7   each map has its own colour range")


# --------------------------------------------------------------------------- the view


class FeaturesView(View):
    """One frame: the title and subtitle, then the panels in rows, each under its label and
    notes (a map's colour bar just above it)."""

    def __init__(self, features: Features):
        self.features = features
        self.title, self.subtitle = titles(features)
        self.panels = panels(features)
        pictures = [p.rgb for p in self.panels] + [p.bar for p in self.panels if p.bar is not None]
        self.colors = share_colors(pictures)
        self.own_colors = self.colors.own_colors
        self._lay_out()
        self._static = tuple(self._items())

    def __len__(self) -> int:
        return 1

    @property
    def width(self) -> float:
        return self._width

    @property
    def height(self) -> float:
        return self._height

    def _lay_out(self) -> None:
        """The panels' size (the photo's, drawn larger when small), the columns (as many as
        the title's width holds, at least COLUMNS, rows as full as each other), the page."""
        h, w = self.panels[0].rgb.shape[:2]
        zoom = max(1, MIN_PANEL // max(h, w))  # a small photo drawn with big pixels
        self.picture_size = (w * zoom, h * zoom)
        labels = max(text_width(line, TEXT_SIZE, bold=i == 0) for p in self.panels
                     for i, line in enumerate((p.label, *p.note.split("\n"))))
        self.above = 3 * NOTE_LINE + BAR_H + BAR_GAP  # the label, two lines of notes, the bar
        self.cell = (max(w * zoom, labels + 8), h * zoom + self.above + 4)
        text_w = max(text_width(self.title, TITLE_LINE - 6, bold=True),
                     text_width(self.subtitle, SUBTITLE_SIZE))
        n = len(self.panels)
        cols = min(n, max(COLUMNS, int((text_w + GAP) // (self.cell[0] + GAP))))
        rows = -(-n // cols)
        self.columns = -(-n // rows)  # rows as full as each other
        self.top = MARGIN + TITLE_LINE + 2 + SUBTITLE_SIZE + 20
        self._width = max(2 * MARGIN + self.columns * self.cell[0] + (self.columns - 1) * GAP,
                          2 * MARGIN + text_w + 4)
        self._height = self.top + rows * self.cell[1] + (rows - 1) * GAP + MARGIN

    def origin(self, i: int) -> tuple[float, float]:
        """The top-left corner of panel ``i``'s label."""
        r, c = divmod(i, self.columns)
        return MARGIN + c * (self.cell[0] + GAP), self.top + r * (self.cell[1] + GAP)

    def _items(self) -> list:
        items = header([self.title], self.subtitle)
        pw, ph = self.picture_size
        bars = 0
        for i, p in enumerate(self.panels):
            x, y = self.origin(i)
            items.append(Text(x, y, p.label, TEXT_SIZE, "ink", anchor="la", bold=True))
            for k, line in enumerate(p.note.split("\n"), 1):
                items.append(Text(x, y + k * NOTE_LINE, line, TEXT_SIZE, "muted", anchor="la"))
            top = y + self.above
            items.append(self.colors.bitmap(i, x, top, pw, ph))
            items.append(Box(x - 1, top - 1, pw + 2, ph + 2, edge="grid"))  # white maps on paper
            if p.bar is not None:
                bar = len(self.panels) + bars
                bars += 1
                items.append(self.colors.bitmap(bar, x, top - BAR_GAP - BAR_H, pw, BAR_H))
        return items

    def scene(self, index: int, *, since: int | None = None, shown: int | None = None) -> Scene:
        return Scene(self._width, self._height, self._static)
