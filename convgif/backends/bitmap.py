"""Paint a ``Bitmap`` item (a photo, a feature map): each of its pixels a block.

Both backends use it: the raster backend writes the palette index of each
pixel's colour role into the frame, the vector backend hands the pixels' RGB
to matplotlib's ``imshow``. Pixels are stretched by nearest neighbour, never
blended: a feature map's cells stay the values they are.
"""

from __future__ import annotations

import math

import numpy as np

from convgif.views.scene import Bitmap


def pixels(item: Bitmap) -> np.ndarray:
    """The bitmap's (rows, cols) colour indices into ``item.roles``."""
    return np.frombuffer(item.pixels, dtype=np.uint8).reshape(item.rows, item.cols)


def _span(start: float, length: float, scale: float, limit: int) -> tuple[int, int, int, int]:
    """(first, last + 1) pixel of a side on the frame, and of it the part inside 0..limit."""
    a = math.floor(start * scale + 0.5)
    b = math.floor((start + length) * scale + 0.5)
    return a, b, max(a, 0), min(b, limit)


def paint_bitmap(frame: np.ndarray, item: Bitmap, scale: float, index) -> None:
    """Paint ``item`` into an indexed ``frame``; ``index(role)`` gives a role's palette index."""
    h, w = frame.shape
    y0, y1, top, bottom = _span(item.y, item.h, scale, h)
    x0, x1, left, right = _span(item.x, item.w, scale, w)
    if top >= bottom or left >= right:
        return
    lut = np.array([index(role) for role in item.roles], dtype=np.uint8)
    # each frame pixel takes the bitmap pixel it falls in (nearest neighbour)
    rows = (np.arange(top, bottom) - y0) * item.rows // (y1 - y0)
    cols = (np.arange(left, right) - x0) * item.cols // (x1 - x0)
    frame[top:bottom, left:right] = lut[pixels(item)[np.ix_(rows, cols)]]


def draw_bitmap(ax, item: Bitmap, rgb, z: float, clip: bool) -> None:
    """Draw ``item`` into a matplotlib ``Axes`` whose y axis points down; ``rgb(role)`` gives
    a role's colour. PDF and SVG keep the pixels as they are (no resampling)."""
    colors = np.array([rgb(role) for role in item.roles], dtype=np.uint8)
    ax.imshow(colors[pixels(item)], extent=(item.x, item.x + item.w, item.y + item.h, item.y),
              origin="upper", interpolation="nearest", zorder=z, clip_on=clip)
