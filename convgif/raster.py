"""Paint scenes into palette-indexed numpy arrays.

Frames are painted as palette indices, never as RGB to be quantized later:
quantizing is slower and inexact. So the palette is fixed before the first
frame: one entry per colour of the style, plus, for each text colour
("ink", "muted") over each of those colours, a ramp of blends that carries
anti-aliased text into an indexed image.

The static part of a scene is painted once per painter and reused; each
frame copies it and paints only the dynamic items on top.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

from convgif.errors import ConvGifError
from convgif.fonts import find_font, load
from convgif.scene import Box, Line, Scene, Text
from convgif.style import Style, get_style

TEXT_ROLES = ("ink", "muted")
MAX_LEVELS = 7  # coverage levels of text, the full-coverage level included
_MASK_CACHE_SIZE = 4096
_STATIC_CACHE_SIZE = 4


def _build_palette(style: Style):
    """The fixed palette: the style's distinct colours, then the text ramps.

    Returns (palette, role -> index, {text role: table}), where
    ``table[under, level]`` is the index to paint where text of that role
    covers a pixel of index ``under`` with coverage ``level / levels``.
    """
    palette: list[tuple[int, int, int]] = []
    role_index: dict[str, int] = {}
    for role, rgb in style.colors.items():
        rgb = tuple(int(c) for c in rgb)
        if rgb not in palette:
            palette.append(rgb)
        role_index[role] = palette.index(rgb)
    n_base = len(palette)
    text_roles = [r for r in TEXT_ROLES if r in role_index]
    ramps = len({role_index[r] for r in text_roles})
    levels = MAX_LEVELS
    if ramps:
        levels = max(2, min(MAX_LEVELS, (256 - n_base) // (ramps * n_base) + 1))
    if n_base + ramps * n_base * (levels - 1) > 256:
        raise ValueError(f"style {style.name!r} has too many colours for a 256-entry palette")

    # per entry: the style colour it was blended over, the text colour and its level
    base = list(range(n_base))
    ink_of = [-1] * n_base
    level_of = [0] * n_base
    ramp_of: dict[int, np.ndarray] = {}  # text colour index -> (n_base, levels + 1) table
    for t_role in text_roles:
        t = role_index[t_role]
        if t in ramp_of:
            continue
        fg = np.array(palette[t], dtype=np.float64)
        table = np.empty((n_base, levels + 1), dtype=np.int64)
        for b in range(n_base):
            bg = np.array(palette[b], dtype=np.float64)
            table[b, 0] = b
            table[b, levels] = t
            for level in range(1, levels):
                rgb = tuple(int(v) for v in np.floor(bg + (fg - bg) * (level / levels) + 0.5))
                table[b, level] = len(palette)
                palette.append(rgb)
                base.append(b)
                ink_of.append(t)
                level_of.append(level)
        ramp_of[t] = table

    n = len(palette)
    tables: dict[str, np.ndarray] = {}
    for t_role in text_roles:
        t = role_index[t_role]
        ramp = ramp_of[t]
        full = np.zeros((256, levels + 1), dtype=np.uint8)
        full[:, 0] = np.arange(256)
        for i in range(n):
            # over a pixel already blended with this text colour (overlapping
            # glyphs), keep the stronger coverage instead of blending twice
            have = levels if i == t else (level_of[i] if ink_of[i] == t else 0)
            for level in range(1, levels + 1):
                full[i, level] = ramp[base[i], max(level, have)]
        tables[t_role] = full
    return palette, role_index, tables, levels


MIN_SCALE = 0.05  # below this a frame is a few pixels wide: nothing is legible


def check_scale(scale) -> float:
    """The size multiplier as a float, or a ConvGifError (too big is the budget's call)."""
    if (
        isinstance(scale, bool)
        or not isinstance(scale, (int, float))
        or not math.isfinite(scale)
        or scale < MIN_SCALE
    ):
        raise ConvGifError(f"scale={scale!r} must be a number from {MIN_SCALE} up")
    return float(scale)


class RasterPainter:
    """Paints the scenes of one animation with one style, scale and font."""

    def __init__(self, style: str | Style = "default", scale: float = 1.0, font=None):
        self.style = get_style(style)
        self.scale = check_scale(scale)
        self._font_regular = find_font(font, bold=False)
        self._font_bold = find_font(font, bold=True)
        palette, self._role_index, self._tables, self.levels = _build_palette(self.style)
        self.palette: list[tuple[int, int, int]] = palette
        self._rgb = np.array(palette, dtype=np.uint8)
        self._static: OrderedDict = OrderedDict()  # id(static) -> (key, static, array)
        self._masks: OrderedDict = OrderedDict()
        self._lines: OrderedDict = OrderedDict()

    # -- public -----------------------------------------------------------

    def index(self, role: str) -> int:
        """The palette index of a colour role."""
        return self._role_index[role]

    def size(self, scene: Scene) -> tuple[int, int]:
        """(width, height) in pixels of a painted scene."""
        return round(scene.width * self.scale), round(scene.height * self.scale)

    def paint(self, scene: Scene) -> np.ndarray:
        """The scene as an (H, W) uint8 array of palette indices."""
        frame = self._static_layer(scene).copy()
        self._paint_items(frame, scene.dynamic)
        return frame

    def paint_uncached(self, scene: Scene) -> np.ndarray:
        """Paint every item from scratch (the reference the cache must match)."""
        w, h = self.size(scene)
        frame = np.full((h, w), self.index(scene.background), dtype=np.uint8)
        self._paint_items(frame, scene.static)
        self._paint_items(frame, scene.dynamic)
        return frame

    def to_rgb(self, indices: np.ndarray) -> np.ndarray:
        """(H, W) indices -> (H, W, 3) uint8 RGB."""
        return self._rgb[indices]

    # -- static cache -----------------------------------------------------

    def _static_layer(self, scene: Scene) -> np.ndarray:
        w, h = self.size(scene)
        key = (w, h, scene.background)
        static = scene.static
        hit = self._static.get(id(static))
        if hit is not None and hit[0] == key and hit[1] is static:
            self._static.move_to_end(id(static))
            return hit[2]
        for entry_key, entry in self._static.items():
            # equal content in a new tuple: e.g. a scene rebuilt for every frame
            if entry[0] == key and len(entry[1]) == len(static) and entry[1] == static:
                self._static.move_to_end(entry_key)
                return entry[2]
        layer = np.full((h, w), self.index(scene.background), dtype=np.uint8)
        self._paint_items(layer, static)
        layer.flags.writeable = False
        # holding the tuple keeps its id from being reused by another object
        self._static[id(static)] = (key, static, layer)
        while len(self._static) > _STATIC_CACHE_SIZE:
            self._static.popitem(last=False)
        return layer

    # -- items ------------------------------------------------------------

    def _paint_items(self, frame: np.ndarray, items) -> None:
        for item in items:
            if isinstance(item, Box):
                self._box(frame, item)
            elif isinstance(item, Text):
                self._text(frame, item)
            elif isinstance(item, Line):
                self._line(frame, item)
            else:
                raise TypeError(f"cannot paint {type(item).__name__}: {item!r}")

    def _px(self, v: float) -> int:
        return int(math.floor(v * self.scale + 0.5))

    def _dash(self, length: int, width: int) -> np.ndarray:
        """On/off mask along an edge; dashes grow with the scale and the stroke."""
        on = max(2, round(4 * self.scale), 2 * width)
        off = max(2, round(3 * self.scale), width + 1)
        return (np.arange(length) % (on + off)) < on

    def _box(self, frame: np.ndarray, box: Box) -> None:
        h, w = frame.shape
        x0, y0 = self._px(box.x), self._px(box.y)
        x1, y1 = self._px(box.x + box.w), self._px(box.y + box.h)
        if box.fill is not None:
            frame[max(y0, 0) : max(min(y1, h), 0), max(x0, 0) : max(min(x1, w), 0)] = self.index(
                box.fill
            )
        if box.edge is None:
            return
        idx = self.index(box.edge)
        ew = max(1, self._px(box.edge_width))
        lo = ew // 2  # the edge straddles the box boundary, so neighbours share one line
        # horizontal bands span the full width, corners included
        bx0, bx1 = x0 - lo, x1 - lo + ew
        by0, by1 = y0 - lo, y1 - lo + ew
        sides = [
            (y0 - lo, y0 - lo + ew, bx0, bx1, True),  # top
            (y1 - lo, y1 - lo + ew, bx0, bx1, True),  # bottom
            (by0, by1, x0 - lo, x0 - lo + ew, False),  # left
            (by0, by1, x1 - lo, x1 - lo + ew, False),  # right
        ]
        for r0, r1, c0, c1, horizontal in sides:
            cr0, cr1 = max(r0, 0), min(r1, h)
            cc0, cc1 = max(c0, 0), min(c1, w)
            if cr0 >= cr1 or cc0 >= cc1:
                continue
            if not box.dashed:
                frame[cr0:cr1, cc0:cc1] = idx
                continue
            if horizontal:
                mask = self._dash(c1 - c0, ew)[cc0 - c0 : cc1 - c0]
                frame[cr0:cr1, cc0:cc1][:, mask] = idx
            else:
                mask = self._dash(r1 - r0, ew)[cr0 - r0 : cr1 - r0]
                frame[cr0:cr1, cc0:cc1][mask, :] = idx

    def _line(self, frame: np.ndarray, line: Line) -> None:
        h, w = frame.shape
        s = self.scale
        x0, y0, x1, y1 = line.x0 * s, line.y0 * s, line.x1 * s, line.y1 * s
        width = max(1, self._px(line.width))
        pad = width + 2
        left = max(0, int(math.floor(min(x0, x1))) - pad)
        top = max(0, int(math.floor(min(y0, y1))) - pad)
        right = min(w, int(math.ceil(max(x0, x1))) + pad + 1)
        bottom = min(h, int(math.ceil(max(y0, y1))) + pad + 1)
        if left >= right or top >= bottom:
            return
        # A grid redraws hundreds of equal lines a frame: their masks depend only on the
        # line relative to its box, so each is drawn with Pillow once.
        if line.dashed:  # rare: drawn afresh
            covered = self._line_mask(x0, y0, x1, y1, left, top, right, bottom, width, True)
        else:
            key = (x0 - left, y0 - top, x1 - left, y1 - top, right - left, bottom - top, width)
            covered = self._lines.get(key)
            if covered is None:
                covered = self._line_mask(*key[:4], 0, 0, *key[4:6], width, False)
                self._lines[key] = covered
                while len(self._lines) > _MASK_CACHE_SIZE:
                    self._lines.popitem(last=False)
        region = frame[top:bottom, left:right]
        if isinstance(covered, tuple):  # a solid rectangle: one slice assignment
            r0, r1, c0, c1 = covered
            region[r0:r1, c0:c1] = self.index(line.color)
        else:
            region[covered] = self.index(line.color)

    def _line_mask(self, x0, y0, x1, y1, left, top, right, bottom, width, dashed):
        """The pixels a line covers in its box: (r0, r1, c0, c1) when a rectangle, else a mask."""
        from PIL import Image, ImageDraw

        mask = Image.new("L", (right - left, bottom - top), 0)
        draw = ImageDraw.Draw(mask)
        segments = [(x0, y0, x1, y1)]
        if dashed:
            s = self.scale
            length = math.hypot(x1 - x0, y1 - y0)
            on = max(2.0, 6 * s, 2.0 * width)
            off = max(2.0, 4 * s, width + 1.0)
            segments = []
            t = 0.0
            while t < length:
                t1 = min(length, t + on)
                a, b = t / length, t1 / length
                segments.append(
                    (x0 + (x1 - x0) * a, y0 + (y1 - y0) * a, x0 + (x1 - x0) * b, y0 + (y1 - y0) * b)
                )
                t += on + off
        for sx0, sy0, sx1, sy1 in segments:
            draw.line([(sx0 - left, sy0 - top), (sx1 - left, sy1 - top)], fill=255, width=width)
        covered = np.asarray(mask) > 0
        rows, cols = np.flatnonzero(covered.any(axis=1)), np.flatnonzero(covered.any(axis=0))
        if rows.size == 0:
            return (0, 0, 0, 0)
        r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        if covered[r0:r1, c0:c1].all():
            return (r0, r1, c0, c1)
        covered.flags.writeable = False
        return covered

    def _mask(self, text: str, size_px: float, bold: bool, anchor: str):
        """Quantized coverage of a text (0..levels) and its offset from the anchor point."""
        key = (text, size_px, bold, anchor)
        hit = self._masks.get(key)
        if hit is not None:
            self._masks.move_to_end(key)
            return hit
        from PIL import Image, ImageDraw

        font = load(self._font_bold if bold else self._font_regular, size_px)
        left, top, right, bottom = font.getbbox(text, anchor=anchor)
        width, height = max(right - left, 0), max(bottom - top, 0)
        if width == 0 or height == 0:
            levels = np.zeros((0, 0), dtype=np.uint8)
        else:
            image = Image.new("L", (width, height), 0)
            ImageDraw.Draw(image).text((-left, -top), text, fill=255, font=font, anchor=anchor)
            coverage = np.asarray(image, dtype=np.uint16)
            levels = ((coverage * self.levels + 127) // 255).astype(np.uint8)
        entry = (levels, left, top)
        self._masks[key] = entry
        while len(self._masks) > _MASK_CACHE_SIZE:
            self._masks.popitem(last=False)
        return entry

    def _text(self, frame: np.ndarray, text: Text) -> None:
        if not text.text:
            return
        size_px = round(text.size * self.scale * 4) / 4  # quarter pixels: enough, and cacheable
        if size_px <= 0:
            return
        levels, dx, dy = self._mask(text.text, size_px, text.bold, text.anchor)
        if levels.size == 0:
            return
        h, w = frame.shape
        x0, y0 = self._px(text.x) + dx, self._px(text.y) + dy
        mh, mw = levels.shape
        cx0, cy0 = max(x0, 0), max(y0, 0)
        cx1, cy1 = min(x0 + mw, w), min(y0 + mh, h)
        if cx0 >= cx1 or cy0 >= cy1:
            return
        lv = levels[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
        region = frame[cy0:cy1, cx0:cx1]
        covered = lv > 0
        table = self._tables.get(text.color)
        if table is None:
            # a text colour without a ramp: hard-edged, half coverage and up
            region[lv * 2 >= self.levels] = self.index(text.color)
            return
        region[covered] = table[region[covered], lv[covered]]
