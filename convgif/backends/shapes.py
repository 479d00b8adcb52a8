"""Boxes and lines in pixels: the dash patterns both backends draw, box edges and fills
painted into an indexed frame, and the pixels Pillow covers drawing a line.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from convgif.backends.masks import FULL_COVERAGE

# Dash patterns, (on, off) in layout units at scale 1; the vector backend draws the same.
BOX_DASH = (4.0, 3.0)  # box edges, restarting at each corner
LINE_DASH = (6.0, 4.0)  # connector lines
MIN_DASH_PX = 2  # the shortest dash or gap the raster paints
LINE_MARGIN_PX = 2  # room beyond the stroke around a line, for Pillow's ends


def dash_lengths(on: float, off: float, width: float, least: float = 0) -> tuple:
    """(on, off) of a dash pattern for a stroke of ``width``: a dash at least twice the
    stroke, a gap at least one more than it, neither below ``least``."""
    return max(least, on, 2 * width), max(least, off, width + 1)


class BoxGeometry(NamedTuple):
    """A box in pixels; its edge straddles the boundary, so neighbours share one line."""

    x0: int
    y0: int
    x1: int
    y1: int
    edge_width: int  # 0 without an edge

    def extent(self) -> tuple[slice, slice]:
        """The rows and columns the box may paint, its edge included (not clipped at the
        frame's far sides)."""
        lo, ew = self.edge_width // 2, self.edge_width
        return (slice(max(self.y0 - lo, 0), max(self.y1 - lo + ew, 0)),
                slice(max(self.x0 - lo, 0), max(self.x1 - lo + ew, 0)))


class PlacedLine(NamedTuple):
    """The pixels a line covers in a frame: a mask and its top-left pixel."""

    top: int
    left: int
    covered: np.ndarray
    index: int  # the line's colour
    flat: np.ndarray  # the covered pixels as indices into the flattened frame

    def extent(self) -> tuple[slice, slice]:
        """The rows and columns of the mask in the frame."""
        rows, cols = self.covered.shape
        return slice(self.top, self.top + rows), slice(self.left, self.left + cols)


def box_dash(length: int, width: int, scale: float) -> np.ndarray:
    """On/off mask along a box edge; dashes grow with the scale and the stroke."""
    on, off = dash_lengths(round(BOX_DASH[0] * scale), round(BOX_DASH[1] * scale), width,
                           MIN_DASH_PX)
    return (np.arange(length) % (on + off)) < on


def paint_box(frame: np.ndarray, box: BoxGeometry, fill: int | None, edge: int | None,
              dashed: bool, scale: float) -> None:
    """Paint a box given in pixels: the fill, then the edge over it (clipped to the frame)."""
    h, w = frame.shape
    x0, y0, x1, y1, ew = box
    if fill is not None:
        frame[max(y0, 0) : max(min(y1, h), 0), max(x0, 0) : max(min(x1, w), 0)] = fill
    if edge is None:
        return
    lo = ew // 2  # the edge straddles the box boundary, so neighbours share one line
    # horizontal bands span the full width, corners included
    bx0, bx1 = x0 - lo, x1 - lo + ew
    by0, by1 = y0 - lo, y1 - lo + ew
    sides = [  # rows, columns, horizontal
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
        elif horizontal:
            mask = box_dash(c1 - c0, ew, scale)[cc0 - c0 : cc1 - c0]
            frame[cr0:cr1, cc0:cc1][:, mask] = edge
        else:
            mask = box_dash(r1 - r0, ew, scale)[cr0 - r0 : cr1 - r0]
            frame[cr0:cr1, cc0:cc1][mask, :] = edge


def line_window(x0: float, y0: float, x1: float, y1: float, width: int, h: int, w: int):
    """(left, top, right, bottom) of the pixels a line of ``width`` may cover on an h x w
    frame, or None if it misses the frame."""
    pad = width + LINE_MARGIN_PX
    left = max(0, int(math.floor(min(x0, x1))) - pad)
    top = max(0, int(math.floor(min(y0, y1))) - pad)
    right = min(w, int(math.ceil(max(x0, x1))) + pad + 1)
    bottom = min(h, int(math.ceil(max(y0, y1))) + pad + 1)
    if left >= right or top >= bottom:
        return None
    return left, top, right, bottom


def line_segments(x0: float, y0: float, x1: float, y1: float, width: int, dashed: bool,
                  scale: float) -> list[tuple[float, float, float, float]]:
    """The (x0, y0, x1, y1) segments in pixels that draw a line: itself, or its dashes."""
    if not dashed:
        return [(x0, y0, x1, y1)]
    length = math.hypot(x1 - x0, y1 - y0)
    on, off = dash_lengths(LINE_DASH[0] * scale, LINE_DASH[1] * scale, width, float(MIN_DASH_PX))
    segments = []
    t = 0.0
    while t < length:
        t1 = min(length, t + on)
        a, b = t / length, t1 / length
        segments.append(
            (x0 + (x1 - x0) * a, y0 + (y1 - y0) * a, x0 + (x1 - x0) * b, y0 + (y1 - y0) * b)
        )
        t += on + off
    return segments


def line_mask(segments, width: int, w: int, h: int) -> np.ndarray:
    """Pixels Pillow covers drawing these segments (local coordinates) on a w x h canvas."""
    from PIL import Image, ImageDraw

    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    for sx0, sy0, sx1, sy1 in segments:
        draw.line([(sx0, sy0), (sx1, sy1)], fill=FULL_COVERAGE, width=width)
    return np.asarray(mask) > 0


def place_line(top: int, left: int, covered: np.ndarray, index: int,
               frame_width: int) -> PlacedLine:
    """A line's mask placed at (top, left) in frames ``frame_width`` pixels wide."""
    rows, cols = np.nonzero(covered)
    return PlacedLine(top, left, covered, index, (rows + top) * frame_width + (cols + left))


def paint_line(frame: np.ndarray, line: PlacedLine) -> None:
    """Paint a placed line's pixels in its colour (a line's box is mostly left alone:
    only its own pixels are written)."""
    if frame.flags.c_contiguous:
        frame.reshape(-1)[line.flat] = line.index
        return
    height, width = line.covered.shape
    np.copyto(frame[line.top : line.top + height, line.left : line.left + width], line.index,
              where=line.covered)
