"""Paint scenes into palette-indexed numpy arrays.

Frames are painted as palette indices, never as RGB to be quantized later:
quantizing is slower and inexact. So the palette is fixed before the first
frame: one entry per colour of the style, plus, for each text colour
("ink", "muted") over each of those colours, a ramp of blends that carries
anti-aliased text into an indexed image.

The static part of a scene is painted once per painter and reused; each
frame copies it and paints only the dynamic items on top.

Painting an item costs far more in Python than in numpy, and the items of
an animation repeat: the same cell with the same value, the same connector
length. So an item that lies wholly inside the frame is painted as a
*stamp*: its pixels relative to its top-left corner, made once per painter
(keyed by everything that decides those pixels) and then pasted with one
slice assignment. A box followed by the text it holds (a cell and its value)
is one stamp when the text lies inside the box's own pixels. Stamps are
made by the same code that paints the frame directly (``paint_uncached``
keeps that path as the reference), so the pixels are identical.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Iterator

import numpy as np

from convgif.backends.fonts import find_font, load
from convgif.backends.style import Style, get_style
from convgif.errors import ConvGifError
from convgif.views.scene import Box, Line, Scene, Text

TEXT_ROLES = ("ink", "muted")
MAX_LEVELS = 7  # coverage levels of text, the full-coverage level included
_MASK_CACHE_SIZE = 4096
_STAMP_CACHE_SIZE = 8192
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
        bg = np.array(palette[:n_base], dtype=np.float64)[:, None, :]  # (base, level, rgb)
        fractions = np.array([level / levels for level in range(1, levels)])[None, :, None]
        blends = np.floor(bg + (fg - bg) * fractions + 0.5).astype(int).tolist()
        table = np.empty((n_base, levels + 1), dtype=np.int64)
        table[:, 0] = np.arange(n_base)
        table[:, levels] = t
        table[:, 1:levels] = len(palette) + np.arange(n_base * (levels - 1)).reshape(n_base, -1)
        for b in range(n_base):
            palette += [tuple(rgb) for rgb in blends[b]]
            base += [b] * (levels - 1)
            ink_of += [t] * (levels - 1)
            level_of += list(range(1, levels))
        ramp_of[t] = table

    n = len(palette)
    tables: dict[str, np.ndarray] = {}
    for t_role in text_roles:
        t = role_index[t_role]
        ramp = ramp_of[t]
        full = np.zeros((256, levels + 1), dtype=np.uint8)
        full[:, 0] = np.arange(256)
        # over a pixel already blended with this text colour (overlapping
        # glyphs), keep the stronger coverage instead of blending twice
        have = np.where(np.array(ink_of) == t, np.array(level_of), 0)
        have[t] = levels
        wanted = np.maximum(np.arange(1, levels + 1)[None, :], have[:, None])
        full[:n, 1:] = ramp[np.array(base)[:, None], wanted]
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
        self._stamps: dict = {}  # stamp key -> stamp (see _paste), or None: paint directly
        self._placed: dict = {}  # item, or (box, text) -> where and how to paint it
        self._line_masks: dict = {}
        self._footprints: dict = {}  # id(item) -> (item, frame size, the pixels it paints)

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
        self._paint_items(frame, scene.settled)
        self._paint_items(frame, scene.dynamic)
        return frame

    def paint_walk(self, scenes: Iterable[Scene], whole=None) -> Iterator[np.ndarray]:
        """The frames of a walk, in order: each scene's settled items are painted once,
        into a carried layer, so a frame costs the same however much has settled.

        Each scene after the first holds only what settled since the one before it
        (``View.scene(i, since=j)``); a scene on another static layer holds everything
        settled, and the carried layer starts anew. Where a newly settled box or line
        falls on text settled earlier (a value wider than its cell), painting it later
        than the whole scene would is wrong: ``whole(k)``, the k-th frame as a scene
        holding everything settled, is asked for, and that region is painted again from
        its items in the whole scene's order.
        """
        static = None
        for k, scene in enumerate(scenes):
            if scene.static is not static:
                static = scene.static
                carried = self._static_layer(scene).copy()
                inked = np.zeros(carried.shape, dtype=bool)
                scratch = carried.copy()  # where regions are painted again
            clash = self._inked_under(scene.settled, inked) if whole is not None else None
            self._settle(carried, inked, scene.settled)
            if clash is not None:
                self._repaint(carried, inked, scratch, whole(k), clash)
            frame = carried.copy()
            self._paint_items(frame, scene.dynamic)
            yield frame

    def _footprint(self, item, h: int, w: int):
        """(top, bottom, left, right, mask) of the pixels an item may paint on an h x w frame
        (mask None: all of the box), or None when it paints nothing."""
        # keyed by identity, checked: a view hands the same items frame after frame, and
        # hashing a dataclass field by field is what made this cost grow with the frames
        hit = self._footprints.get(id(item))
        if hit is not None and hit[0] is item and hit[1] == (h, w):
            return hit[2]
        if isinstance(item, Box):
            x0, y0, x1, y1, ew = self._box_geometry(item)
            lo = ew // 2
            fp = (y0 - lo, y1 - lo + ew, x0 - lo, x1 - lo + ew, None)
        else:
            placed = self._place_line(item, h, w) if isinstance(item, Line) else \
                self._place_text(item)
            if placed:
                top, left, mask = placed[0], placed[1], placed[2]
                fp = (top, top + mask.shape[0], left, left + mask.shape[1], mask)
            else:
                fp = None
        if not (isinstance(item, Text) and item.fleeting):
            self._remember(self._footprints, id(item), (item, (h, w), fp))
        return fp

    def _settle(self, carried: np.ndarray, inked: np.ndarray, items) -> None:
        """Paint settled items into the carried layer, marking the pixels their texts ink."""
        self._paint_items(carried, items)
        for item in items:
            if isinstance(item, Text) and (fp := self._footprint(item, *inked.shape)):
                _mark(inked, fp)

    def _inked_under(self, items, inked: np.ndarray):
        """(top, bottom, left, right) around the boxes and lines among ``items`` that would
        paint over text already settled, or None."""
        box = None
        for item in items:
            if isinstance(item, Text) or not (fp := self._footprint(item, *inked.shape)):
                continue
            if _touches(inked, fp):
                top, bottom, left, right, _ = fp
                box = fp[:4] if box is None else (
                    min(box[0], top), max(box[1], bottom), min(box[2], left), max(box[3], right))
        return box

    def _repaint(self, carried, inked, scratch, scene: Scene, box) -> None:
        """Paint the region ``box`` of the carried layer again: the static layer, then every
        settled item of the whole ``scene`` that reaches it, in the scene's order."""
        h, w = carried.shape
        top, bottom, left, right = max(box[0], 0), min(box[1], h), max(box[2], 0), min(box[3], w)
        region = (slice(top, bottom), slice(left, right))
        reaching = [
            item for item in scene.settled
            if (fp := self._footprint(item, h, w))
            and fp[0] < bottom and fp[1] > top and fp[2] < right and fp[3] > left
        ]
        scratch[region] = self._static_layer(scene)[region]  # outside it, scratch is not read
        marks = np.zeros_like(inked)
        self._settle(scratch, marks, reaching)
        carried[region] = scratch[region]
        inked[region] = marks[region]

    def paint_uncached(self, scene: Scene) -> np.ndarray:
        """Paint every item directly, without stamps or the static layer (the reference)."""
        w, h = self.size(scene)
        frame = np.full((h, w), self.index(scene.background), dtype=np.uint8)
        self._paint_direct(frame, scene.static)
        self._paint_direct(frame, scene.settled)
        self._paint_direct(frame, scene.dynamic)
        return frame

    def to_rgb(self, indices: np.ndarray) -> np.ndarray:
        """(H, W) indices -> (H, W, 3) uint8 RGB."""
        return np.take(self._rgb, indices, axis=0)  # five times faster than fancy indexing

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

    def _paint_direct(self, frame: np.ndarray, items) -> None:
        for item in items:
            if isinstance(item, Box):
                self._box(frame, item)
            elif isinstance(item, Text):
                self._text(frame, item)
            elif isinstance(item, Line):
                self._line(frame, item)
            else:
                raise TypeError(f"cannot paint {type(item).__name__}: {item!r}")

    def _paint_items(self, frame: np.ndarray, items) -> None:
        """Paint items in order: as stamps where they lie inside the frame, else directly.

        Where each item goes is looked up by the item itself (equal items recur in
        every frame), which is cheaper than working out its pixels again.
        """
        placed = self._placed
        h, w = frame.shape
        texts = []  # a run of texts inside the frame, blended together
        n = len(items)
        i = 0
        while i < n:
            item = items[i]
            if isinstance(item, Text):
                where = placed.get(item)
                if where is None:
                    where = self._place_text(item)
                    if not item.fleeting:
                        self._remember(placed, item, where)
                if where:
                    y, x, (th, tw) = where[0], where[1], where[2].shape
                    if y >= 0 and x >= 0 and y + th <= h and x + tw <= w:
                        texts.append(where)
                        i += 1
                        continue
                if texts:
                    _blend_all(frame, texts)
                    texts = []
                self._text(frame, item)
                i += 1
                continue
            if texts:
                _blend_all(frame, texts)
                texts = []
            if isinstance(item, Box):
                after = items[i + 1] if i + 1 < n else None
                if isinstance(after, Text):
                    key = (item, after)
                    where = placed.get(key)
                    if where is None:
                        where = self._place_cell(item, after)
                        self._remember(placed, key, where)
                    if where and _paste(frame, *where):
                        i += 2
                        continue
                where = placed.get(item)
                if where is None:
                    where = self._place_box(item)
                    self._remember(placed, item, where)
                if not (where and _paste(frame, *where)):
                    self._box(frame, item)
            elif isinstance(item, Line):
                key = (item, frame.shape)
                where = placed.get(key)
                if where is None:
                    where = self._place_line(item, *frame.shape)
                    self._remember(placed, key, where)
                if where:
                    _paint_at(frame, *where)
            else:
                raise TypeError(f"cannot paint {type(item).__name__}: {item!r}")
            i += 1
        if texts:
            _blend_all(frame, texts)

    def _px(self, v: float) -> int:
        return int(math.floor(v * self.scale + 0.5))

    def _dash(self, length: int, width: int) -> np.ndarray:
        """On/off mask along an edge; dashes grow with the scale and the stroke."""
        on = max(2, round(4 * self.scale), 2 * width)
        off = max(2, round(3 * self.scale), width + 1)
        return (np.arange(length) % (on + off)) < on

    # -- boxes --------------------------------------------------------------

    def _box_geometry(self, box: Box) -> tuple[int, int, int, int, int]:
        """(x0, y0, x1, y1, edge width) in pixels; the edge width is 0 without an edge."""
        px = self._px
        ew = 0 if box.edge is None else max(1, px(box.edge_width))
        return px(box.x), px(box.y), px(box.x + box.w), px(box.y + box.h), ew

    def _box(self, frame: np.ndarray, box: Box) -> None:
        x0, y0, x1, y1, ew = self._box_geometry(box)
        fill = None if box.fill is None else self.index(box.fill)
        edge = None if box.edge is None else self.index(box.edge)
        self._box_at(frame, x0, y0, x1, y1, fill, edge, ew, box.dashed)

    def _box_at(self, frame, x0, y0, x1, y1, fill, edge, ew, dashed) -> None:
        """Paint a box given in pixels: the fill, then the edge over it (clipped to the frame)."""
        h, w = frame.shape
        if fill is not None:
            frame[max(y0, 0) : max(min(y1, h), 0), max(x0, 0) : max(min(x1, w), 0)] = fill
        if edge is None:
            return
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
            if not dashed:
                frame[cr0:cr1, cc0:cc1] = edge
                continue
            if horizontal:
                mask = self._dash(c1 - c0, ew)[cc0 - c0 : cc1 - c0]
                frame[cr0:cr1, cc0:cc1][:, mask] = edge
            else:
                mask = self._dash(r1 - r0, ew)[cr0 - r0 : cr1 - r0]
                frame[cr0:cr1, cc0:cc1][mask, :] = edge

    def _box_stamp(self, box: Box, geometry):
        """The box's pixels relative to its top-left pixel, or None for a degenerate box."""
        x0, y0, x1, y1, ew = geometry
        key = (box.fill, box.edge, ew, box.dashed, x1 - x0, y1 - y0)
        stamp = self._stamps.get(key, _MISSING)
        if stamp is _MISSING:
            stamp = self._make_box_stamp(box, x1 - x0, y1 - y0, ew)
            self._remember(self._stamps, key, stamp)
        return stamp

    def _make_box_stamp(self, box: Box, width: int, height: int, ew: int):
        if width <= 0 or height <= 0:
            return None
        lo = ew // 2
        # every pixel the box writes: the fill, and the edge straddling its boundary
        shape = (height + ew, width + ew) if ew else (height, width)
        values = np.zeros(shape, dtype=np.uint8)
        written = np.zeros(shape, dtype=np.uint8)
        fill = None if box.fill is None else self.index(box.fill)
        edge = None if box.edge is None else self.index(box.edge)
        self._box_at(values, lo, lo, lo + width, lo + height, fill, edge, ew, box.dashed)
        ones = (None if fill is None else 1, None if edge is None else 1)
        self._box_at(written, lo, lo, lo + width, lo + height, *ones, ew, box.dashed)
        return _stamp(-lo, -lo, values, written.astype(bool))

    # -- a cell: a box and the text it holds ----------------------------------

    def _place_box(self, box: Box):
        """(stamp, y, x) to paste the box, or False: paint it directly."""
        geometry = self._box_geometry(box)
        stamp = self._box_stamp(box, geometry)
        return False if stamp is None else (stamp, geometry[1], geometry[0])

    def _place_cell(self, box: Box, text: Text):
        """(stamp, y, x) to paste the box with its text as one, or False."""
        x0, y0, x1, y1, ew = geometry = self._box_geometry(box)
        size_px = round(text.size * self.scale * 4) / 4
        px = self._px
        key = (
            box.fill, box.edge, ew, box.dashed, x1 - x0, y1 - y0,
            text.text, size_px, text.bold, text.anchor, text.color,
            px(text.x) - x0, px(text.y) - y0,
        )  # fmt: skip
        stamp = self._stamps.get(key, _MISSING)
        if stamp is _MISSING:
            stamp = self._make_cell_stamp(box, geometry, text, size_px, key[-2], key[-1])
            self._remember(self._stamps, key, stamp)
        return False if stamp is None else (stamp, y0, x0)

    def _make_cell_stamp(self, box, geometry, text, size_px, tx, ty):
        """The box stamp with the text blended in, if the text lies on the box's own pixels."""
        box_stamp = self._box_stamp(box, geometry)
        if box_stamp is None:
            return None
        if not text.text or size_px <= 0:
            return box_stamp
        levels, dx, dy, covered, *_ = self._mask(text.text, size_px, text.bold, text.anchor)
        if levels.size == 0:
            return box_stamp
        top, left, values, written, height, width = box_stamp
        ry, rx = ty + dy - top, tx + dx - left
        mh, mw = levels.shape
        if ry < 0 or rx < 0 or ry + mh > height or rx + mw > width:
            return None
        if written is not None and not written[ry : ry + mh, rx : rx + mw][covered].all():
            return None  # the text reaches pixels the box leaves alone (a dash gap, outside)
        if isinstance(values, np.ndarray):
            values = values.copy()
        else:
            values = np.full((height, width), values, dtype=np.uint8)
        self._blend(values[ry : ry + mh, rx : rx + mw], levels, text.color)
        return _stamp(top, left, values, written)

    # -- lines --------------------------------------------------------------

    def _line(self, frame: np.ndarray, line: Line, cache: bool = False) -> None:
        placed = self._place_line(line, *frame.shape, cache)
        if placed:
            _paint_at(frame, *placed)

    def _place_line(self, line: Line, h: int, w: int, cache: bool = True):
        """(top, left, covered, index) of a line on an h x w frame, or () if it misses it."""
        s = self.scale
        x0, y0, x1, y1 = line.x0 * s, line.y0 * s, line.x1 * s, line.y1 * s
        width = max(1, self._px(line.width))
        pad = width + 2
        left = max(0, int(math.floor(min(x0, x1))) - pad)
        top = max(0, int(math.floor(min(y0, y1))) - pad)
        right = min(w, int(math.ceil(max(x0, x1))) + pad + 1)
        bottom = min(h, int(math.ceil(max(y0, y1))) + pad + 1)
        if left >= right or top >= bottom:
            return ()
        segments = [(x0, y0, x1, y1)]
        if line.dashed:
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
        # what Pillow draws depends only on these local coordinates, the width and the size
        local = tuple(
            (sx0 - left, sy0 - top, sx1 - left, sy1 - top) for sx0, sy0, sx1, sy1 in segments
        )
        key = (local, width, right - left, bottom - top)
        covered = self._line_masks.get(key) if cache else None
        if covered is None:
            covered = _line_mask(local, width, right - left, bottom - top)
            if cache:
                if len(self._line_masks) >= _STAMP_CACHE_SIZE:
                    self._line_masks.clear()
                self._line_masks[key] = covered
        return top, left, covered, self.index(line.color)

    # -- text ---------------------------------------------------------------

    def _mask(self, text: str, size_px: float, bold: bool, anchor: str, keep: bool = True):
        """Quantized coverage of a text (0..levels), its offset from the anchor point,
        where it covers, the levels there, and the rows and columns it covers. ``keep``:
        cache it (a text drawn in one frame only is not worth the memory)."""
        key = (text, size_px, bold, anchor)
        hit = self._masks.get(key)
        if hit is not None:
            self._masks.move_to_end(key)
            return hit
        from PIL import Image

        font = load(self._font_bold if bold else self._font_regular, size_px)
        # one FreeType layout: the mask and its offset (Pillow's getbbox, then drawing, is two)
        core, (left, top) = font.getmask2(text, "L", anchor=anchor)
        width, height = core.size
        if width == 0 or height == 0:
            levels = np.zeros((0, 0), dtype=np.uint8)
        else:
            coverage = np.asarray(Image.Image()._new(core), dtype=np.uint16)
            levels = ((coverage * self.levels + 127) // 255).astype(np.uint8)
        covered = levels > 0
        entry = (levels, left, top, covered, levels[covered], *np.nonzero(covered))
        if not keep:
            return entry
        self._masks[key] = entry
        while len(self._masks) > _MASK_CACHE_SIZE:
            self._masks.popitem(last=False)
        return entry

    def _blend(self, region: np.ndarray, levels: np.ndarray, color: str) -> None:
        """Text of ``color`` with coverage ``levels`` over ``region`` (same shape), in place."""
        table = self._tables.get(color)
        if table is None:
            # a text colour without a ramp: hard-edged, half coverage and up
            region[levels * 2 >= self.levels] = self.index(color)
            return
        covered = levels > 0
        region[covered] = table[region[covered], levels[covered]]

    def _place_text(self, text: Text):
        """(y, x, covered, levels there, table, rows, cols) to blend the text, or () / False:
        paint it directly (it paints nothing / its colour has no ramp)."""
        table = self._tables.get(text.color)
        size_px = round(text.size * self.scale * 4) / 4
        if not text.text or size_px <= 0:
            return ()
        if table is None:
            return False
        levels, dx, dy, covered, lv_covered, rows, cols = self._mask(
            text.text, size_px, text.bold, text.anchor, keep=not text.fleeting
        )
        if levels.size == 0:
            return ()
        return self._px(text.y) + dy, self._px(text.x) + dx, covered, lv_covered, table, rows, cols

    def _text(self, frame: np.ndarray, text: Text) -> None:
        if not text.text:
            return
        size_px = round(text.size * self.scale * 4) / 4  # quarter pixels: enough, and cacheable
        if size_px <= 0:
            return
        levels, dx, dy, covered, lv_covered, *_ = self._mask(
            text.text, size_px, text.bold, text.anchor, keep=not text.fleeting
        )
        if levels.size == 0:
            return
        h, w = frame.shape
        x0, y0 = self._px(text.x) + dx, self._px(text.y) + dy
        mh, mw = levels.shape
        cx0, cy0 = max(x0, 0), max(y0, 0)
        cx1, cy1 = min(x0 + mw, w), min(y0 + mh, h)
        if cx0 >= cx1 or cy0 >= cy1:
            return
        region = frame[cy0:cy1, cx0:cx1]
        table = self._tables.get(text.color)
        if table is not None and (cx1 - cx0, cy1 - cy0) == (mw, mh):
            region[covered] = table[region[covered], lv_covered]  # unclipped: reuse the masks
            return
        self._blend(region, levels[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0], text.color)

    # -- caches ---------------------------------------------------------------

    @staticmethod
    def _remember(cache: dict, key, value) -> None:
        if len(cache) >= _STAMP_CACHE_SIZE:
            cache.clear()  # bounded memory; the next frames refill what they use
        cache[key] = value


_MISSING = object()


def _stamp(top: int, left: int, values: np.ndarray, written: np.ndarray | None):
    """(top, left, values, written, height, width) with the cheapest form of each part.

    ``values`` becomes one index when the stamp is uniform, ``written`` None when
    the stamp writes every pixel of its rectangle.
    """
    height, width = values.shape
    if written is None or written.all():
        written = None
        if (values == values.flat[0]).all():
            values = int(values.flat[0])
    elif (values[written] == values[written][0]).all():
        values = int(values[written][0])
    return top, left, values, written, height, width


def _paste(frame: np.ndarray, stamp, y: int, x: int) -> bool:
    """Paste a stamp with its anchor at pixel (y, x); False (nothing painted) if it
    would not lie wholly inside the frame."""
    top, left, values, written, height, width = stamp
    y, x = y + top, x + left
    h, w = frame.shape
    if y < 0 or x < 0 or y + height > h or x + width > w:
        return False
    region = frame[y : y + height, x : x + width]
    if written is None:
        region[...] = values
    else:
        np.copyto(region, values, where=written)
    return True


def _blend_at(frame: np.ndarray, y: int, x: int, covered, levels, table, *_) -> None:
    """Blend a placed text (see ``_place_text``) lying inside the frame."""
    height, width = covered.shape
    region = frame[y : y + height, x : x + width]
    region[covered] = table[region[covered], levels]


def _blend_all(frame: np.ndarray, texts: list) -> None:
    """Blend a run of consecutive placed texts inside the frame, as if one after another.

    When no two of them cover the same pixel and they share one colour table, the
    order does not matter and one vectorised blend does them all (a frame may hold
    hundreds of finished values); otherwise they are blended in turn.
    """
    table = texts[0][4]
    if len(texts) < 4 or not frame.flags.c_contiguous or any(t[4] is not table for t in texts):
        for where in texts:
            _blend_at(frame, *where)
        return
    sizes = [len(t[5]) for t in texts]
    width = frame.shape[1]
    flat_index = (
        np.concatenate([t[5] for t in texts]) + np.repeat([t[0] for t in texts], sizes)
    ) * width + (np.concatenate([t[6] for t in texts]) + np.repeat([t[1] for t in texts], sizes))
    ordered = np.sort(flat_index)
    if (ordered[1:] == ordered[:-1]).any():  # overlapping texts: the order matters
        for where in texts:
            _blend_at(frame, *where)
        return
    flat = frame.reshape(-1)  # a view: the frame is contiguous
    flat[flat_index] = table[flat[flat_index], np.concatenate([t[3] for t in texts])]


def _paint_at(frame: np.ndarray, top: int, left: int, covered: np.ndarray, index: int) -> None:
    height, width = covered.shape
    np.copyto(frame[top : top + height, left : left + width], index, where=covered)


def _line_mask(segments, width: int, w: int, h: int) -> np.ndarray:
    """Pixels Pillow covers drawing these segments (local coordinates) on a w x h canvas."""
    from PIL import Image, ImageDraw

    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    for sx0, sy0, sx1, sy1 in segments:
        draw.line([(sx0, sy0), (sx1, sy1)], fill=255, width=width)
    return np.asarray(mask) > 0


def _clipped(shape, fp):
    """The frame's slices under a footprint, and its mask's part inside the frame."""
    top, bottom, left, right, mask = fp
    h, w = shape
    y0, x0, y1, x1 = max(top, 0), max(left, 0), min(bottom, h), min(right, w)
    if y0 >= y1 or x0 >= x1:
        return None
    part = None if mask is None else mask[y0 - top : y1 - top, x0 - left : x1 - left]
    return (slice(y0, y1), slice(x0, x1)), part


def _mark(inked: np.ndarray, fp) -> None:
    clipped = _clipped(inked.shape, fp)
    if clipped:
        inked[clipped[0]] |= clipped[1]


def _touches(inked: np.ndarray, fp) -> bool:
    clipped = _clipped(inked.shape, fp)
    if not clipped:
        return False
    under = inked[clipped[0]]
    return bool(under.any() if clipped[1] is None else under[clipped[1]].any())
