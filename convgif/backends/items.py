"""Paint the items of a display list (boxes, texts, lines) into an indexed frame.

Painting an item costs far more in Python than in numpy, and the items of an
animation repeat: the same cell with the same value, the same connector length.
So an item that lies wholly inside the frame is painted as a *stamp* (see
``stamps``), made once per painter (keyed by everything that decides its pixels)
and then pasted with one slice assignment. A box followed by the text it holds (a
cell and its value) is one stamp when the text lies inside the box's own pixels.
Where each item goes is remembered by the item itself. Stamps are made by the same
code that paints an item directly (``_paint_direct``), so the pixels are identical.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

from convgif.backends.bitmap import paint_bitmap
from convgif.backends.fonts import find_font, load
from convgif.backends.masks import PlacedText, TextMask, blend, blend_all, text_mask
from convgif.backends.palette import build_palette
from convgif.backends.shapes import (
    BoxGeometry,
    PlacedLine,
    line_mask,
    line_segments,
    line_window,
    paint_box,
    paint_line,
    place_line,
)
from convgif.backends.stamps import PlacedStamp, Stamp, box_stamp, paste, place_stamp, with_text
from convgif.backends.style import Style
from convgif.views.scene import Bitmap, Box, Line, Text

SIZE_STEPS_PER_PX = 4  # text sizes are rounded to quarter pixels: enough, and cacheable
MIN_STROKE_PX = 1  # box edges and lines stay visible however small the scale
_MASK_CACHE_SIZE = 4096
_STAMP_CACHE_SIZE = 8192
_MISSING = object()


class ItemPainter:
    """Paints scene items with one style, scale and font, remembering what recurs.

    The base of ``raster.RasterPainter``, which checks ``style`` and ``scale`` and
    holds the public interface; the underscore methods here are for it alone.
    """

    def __init__(self, style: Style, scale: float, font=None):
        self.style = style
        self.scale = scale
        self._font_regular = find_font(font, bold=False)
        self._font_bold = find_font(font, bold=True)
        palette = build_palette(style)
        self._role_index, self._tables = palette.role_index, palette.tables
        self.levels = palette.levels
        self.palette: list[tuple[int, int, int]] = palette.colors
        self._masks: OrderedDict = OrderedDict()  # (text, size, bold, anchor) -> TextMask
        self._stamps: dict = {}  # stamp key -> Stamp, or None: paint directly
        self._placed: dict = {}  # item, or (box, text) -> where and how to paint it
        self._line_masks: dict = {}  # (segments, width, window) -> the pixels covered

    def index(self, role: str) -> int:
        """The palette index of a colour role."""
        return self._role_index[role]

    # -- items ------------------------------------------------------------

    def _paint_direct(self, frame: np.ndarray, items) -> None:
        for item in items:
            if isinstance(item, Box):
                self._box(frame, item)
            elif isinstance(item, Text):
                self._text(frame, item)
            elif isinstance(item, Line):
                self._line(frame, item)
            elif isinstance(item, Bitmap):
                paint_bitmap(frame, item, self.scale, self.index)
            else:
                raise TypeError(f"cannot paint {type(item).__name__}: {item!r}")

    def _paint_items(self, frame: np.ndarray, items) -> None:
        """Paint items in order: as stamps where they lie inside the frame, else directly.

        Where each item goes is looked up by the item itself (equal items recur in
        every frame), which is cheaper than working out its pixels again. A run of
        texts inside the frame is blended together. Boxes and texts are looked up
        inline: a frame may hold thousands of cells, and a call for each costs more
        than pasting it.
        """
        placed = self._placed
        h, w = frame.shape
        texts: list[PlacedText] = []
        n, i = len(items), 0
        while i < n:
            item = items[i]
            i += 1
            if isinstance(item, Text):
                where = placed.get(item)
                if where is None:
                    where = self._place_new(item, item)
                if where and where.y >= 0 <= where.x and where.bottom <= h and where.right <= w:
                    texts.append(where)
                    continue
                if texts:
                    blend_all(frame, texts)
                    texts = []
                self._text(frame, item)
                continue
            if texts:
                blend_all(frame, texts)
                texts = []
            if isinstance(item, Box):
                after = items[i] if i < n else None
                if isinstance(after, Text):  # a cell: the box and its value as one stamp
                    where = placed.get((item, after))
                    if where is None:
                        where = self._place_new((item, after), item, after)
                    if where and paste(frame, where):
                        i += 1
                        continue
                where = placed.get(item)
                if where is None:
                    where = self._place_new(item, item)
                if not (where and paste(frame, where)):
                    self._box(frame, item)
            elif isinstance(item, Line):
                where = self._where_line(item, frame.shape)
                if where:
                    paint_line(frame, where)
            elif isinstance(item, Bitmap):
                paint_bitmap(frame, item, self.scale, self.index)
            else:
                raise TypeError(f"cannot paint {type(item).__name__}: {item!r}")
        if texts:
            blend_all(frame, texts)

    def _place_new(self, key, item, after=None):
        """Where and how to paint an item (a box and its text: ``after``) not yet looked up
        by ``key``; remembered, unless the item is a fleeting text."""
        if isinstance(item, Text):
            where = self._place_text(item)
            if item.fleeting:
                return where
        elif after is None:
            where = self._place_box(item)
        else:
            where = self._place_cell(item, after)
        self._remember(self._placed, key, where)
        return where

    def _where_line(self, line: Line, shape: tuple[int, int]):
        """A line's pixels on a frame of ``shape`` (see ``_place_line``), looked up."""
        key = (line, shape)
        where = self._placed.get(key)
        if where is None:
            where = self._place_line(line, *shape)
            self._remember(self._placed, key, where)
        return where

    def _px(self, v: float) -> int:
        """Layout units to the nearest pixel (halves up; ``math.floor`` gives an int)."""
        return math.floor(v * self.scale + 0.5)

    def _size_px(self, text: Text) -> float:
        return round(text.size * self.scale * SIZE_STEPS_PER_PX) / SIZE_STEPS_PER_PX

    # -- boxes --------------------------------------------------------------

    def _box_geometry(self, box: Box) -> BoxGeometry:
        s, floor = self.scale, math.floor  # ``_px`` inlined: boxes are many
        ew = 0 if box.edge is None else max(MIN_STROKE_PX, floor(box.edge_width * s + 0.5))
        x, y = box.x, box.y
        return BoxGeometry(floor(x * s + 0.5), floor(y * s + 0.5), floor((x + box.w) * s + 0.5),
                           floor((y + box.h) * s + 0.5), ew)

    def _fill_and_edge(self, box: Box) -> tuple[int | None, int | None]:
        fill = None if box.fill is None else self.index(box.fill)
        edge = None if box.edge is None else self.index(box.edge)
        return fill, edge

    def _box(self, frame: np.ndarray, box: Box) -> None:
        paint_box(frame, self._box_geometry(box), *self._fill_and_edge(box), box.dashed,
                  self.scale)

    def _box_stamp(self, box: Box, geometry: BoxGeometry) -> Stamp | None:
        """The box's pixels relative to its top-left pixel, or None for a degenerate box."""
        x0, y0, x1, y1, ew = geometry
        key = (box.fill, box.edge, ew, box.dashed, x1 - x0, y1 - y0)
        stamp = self._stamps.get(key, _MISSING)
        if stamp is _MISSING:
            stamp = box_stamp(x1 - x0, y1 - y0, ew, *self._fill_and_edge(box), box.dashed,
                              self.scale)
            self._remember(self._stamps, key, stamp)
        return stamp

    def _place_box(self, box: Box) -> PlacedStamp | bool:
        """The box's stamp and place, or False: paint it directly."""
        geometry = self._box_geometry(box)
        stamp = self._box_stamp(box, geometry)
        return False if stamp is None else place_stamp(stamp, geometry.y0, geometry.x0)

    # -- a cell: a box and the text it holds ----------------------------------

    def _place_cell(self, box: Box, text: Text) -> PlacedStamp | bool:
        """The stamp of the box with its text as one, and its place, or False."""
        geometry = self._box_geometry(box)
        x0, y0, x1, y1, ew = geometry
        size_px = self._size_px(text)
        tx, ty = self._px(text.x) - x0, self._px(text.y) - y0
        key = (
            box.fill, box.edge, ew, box.dashed, x1 - x0, y1 - y0,
            text.text, size_px, text.bold, text.anchor, text.color, tx, ty,
        )  # fmt: skip
        stamp = self._stamps.get(key, _MISSING)
        if stamp is _MISSING:
            stamp = self._make_cell_stamp(box, geometry, text, size_px, tx, ty)
            self._remember(self._stamps, key, stamp)
        return False if stamp is None else place_stamp(stamp, y0, x0)

    def _make_cell_stamp(self, box: Box, geometry: BoxGeometry, text: Text, size_px: float,
                         tx: int, ty: int) -> Stamp | None:
        """The box stamp with the text blended in, if the text lies on the box's own pixels."""
        stamp = self._box_stamp(box, geometry)
        if stamp is None or not text.text or size_px <= 0:
            return stamp
        mask = self._mask(text.text, size_px, text.bold, text.anchor)
        if mask.levels.size == 0:
            return stamp
        return with_text(stamp, mask, ty, tx, self._tables.get(text.color), self.index(text.color),
                         self.levels)

    # -- lines --------------------------------------------------------------

    def _line(self, frame: np.ndarray, line: Line, cache: bool = False) -> None:
        placed = self._place_line(line, *frame.shape, cache)
        if placed:
            paint_line(frame, placed)

    def _place_line(self, line: Line, h: int, w: int, cache: bool = True) -> PlacedLine | tuple:
        """The pixels a line covers on an h x w frame, or () if it misses it."""
        s = self.scale
        x0, y0, x1, y1 = line.x0 * s, line.y0 * s, line.x1 * s, line.y1 * s
        width = max(MIN_STROKE_PX, self._px(line.width))
        window = line_window(x0, y0, x1, y1, width, h, w)
        if window is None:
            return ()
        left, top, right, bottom = window
        # what Pillow draws depends only on these local coordinates, the width and the size
        local = tuple(
            (sx0 - left, sy0 - top, sx1 - left, sy1 - top)
            for sx0, sy0, sx1, sy1 in line_segments(x0, y0, x1, y1, width, line.dashed, s)
        )
        key = (local, width, right - left, bottom - top)
        covered = self._line_masks.get(key) if cache else None
        if covered is None:
            covered = line_mask(local, width, right - left, bottom - top)
            if cache:
                self._remember(self._line_masks, key, covered)
        return place_line(top, left, covered, self.index(line.color), w)

    # -- text ---------------------------------------------------------------

    def _mask(self, text: str, size_px: float, bold: bool, anchor: str,
              keep: bool = True) -> TextMask:
        """The text's quantized coverage (see ``masks.TextMask``). ``keep``: cache it (a
        text drawn in one frame only is not worth the memory)."""
        key = (text, size_px, bold, anchor)
        hit = self._masks.get(key)
        if hit is not None:
            self._masks.move_to_end(key)
            return hit
        font = load(self._font_bold if bold else self._font_regular, size_px)
        mask = text_mask(font, text, anchor, self.levels)
        if keep:
            self._masks[key] = mask
            while len(self._masks) > _MASK_CACHE_SIZE:
                self._masks.popitem(last=False)
        return mask

    def _place_text(self, text: Text) -> PlacedText | tuple | bool:
        """Where and how to blend the text, or () / False: paint it directly (it paints
        nothing / its colour has no ramp)."""
        table = self._tables.get(text.color)
        size_px = self._size_px(text)
        if not text.text or size_px <= 0:
            return ()
        if table is None:
            return False
        mask = self._mask(text.text, size_px, text.bold, text.anchor, keep=not text.fleeting)
        if mask.levels.size == 0:
            return ()
        y, x = self._px(text.y) + mask.top, self._px(text.x) + mask.left
        rows, cols = mask.covered.shape
        return PlacedText(y, x, mask.covered, mask.covered_levels, table, y + rows, x + cols, mask)

    def _text(self, frame: np.ndarray, text: Text) -> None:
        size_px = self._size_px(text)
        if not text.text or size_px <= 0:
            return
        mask = self._mask(text.text, size_px, text.bold, text.anchor, keep=not text.fleeting)
        if mask.levels.size == 0:
            return
        h, w = frame.shape
        x0, y0 = self._px(text.x) + mask.left, self._px(text.y) + mask.top
        mh, mw = mask.levels.shape
        cx0, cy0 = max(x0, 0), max(y0, 0)
        cx1, cy1 = min(x0 + mw, w), min(y0 + mh, h)
        if cx0 >= cx1 or cy0 >= cy1:
            return
        region = frame[cy0:cy1, cx0:cx1]
        table = self._tables.get(text.color)
        if table is not None and (cx1 - cx0, cy1 - cy0) == (mw, mh):
            # unclipped: reuse the masks
            region[mask.covered] = table[region[mask.covered], mask.covered_levels]
            return
        blend(region, mask.levels[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0], table,
              self.index(text.color), self.levels)

    # -- caches ---------------------------------------------------------------

    @staticmethod
    def _remember(cache: dict, key, value) -> None:
        if len(cache) >= _STAMP_CACHE_SIZE:
            cache.clear()  # bounded memory; the next frames refill what they use
        cache[key] = value
