"""Stamps: an item's pixels made once, pasted with one slice assignment.

Painting an item costs far more in Python than in numpy, and the items of an
animation repeat: the same cell with the same value, the same connector
length. So an item that lies wholly inside the frame is painted as a stamp:
its pixels relative to its anchor pixel, made by the same code that paints
the frame directly, so the pixels are identical.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from convgif.backends.masks import TextMask, blend
from convgif.backends.shapes import BoxGeometry, paint_box


class Stamp(NamedTuple):
    """An item's pixels, in the cheapest form of each part."""

    top: int  # the stamp's top-left pixel, from the item's anchor pixel
    left: int
    values: np.ndarray | int  # the indices to write, or one index for them all
    written: np.ndarray | None  # which pixels of the rectangle it writes; None: all
    height: int
    width: int


class PlacedStamp(NamedTuple):
    """A stamp at its place: the frame rows and columns it covers, and its pixels."""

    top: int
    left: int
    bottom: int  # the frame row and column just past it
    right: int
    values: np.ndarray | int
    written: np.ndarray | None


def place_stamp(stamp: Stamp, y: int, x: int) -> PlacedStamp:
    """The stamp with its anchor at frame pixel (y, x)."""
    top, left = y + stamp.top, x + stamp.left
    return PlacedStamp(top, left, top + stamp.height, left + stamp.width, stamp.values,
                       stamp.written)


def make_stamp(top: int, left: int, values: np.ndarray, written: np.ndarray | None) -> Stamp:
    """A stamp with the cheapest form of each part: ``values`` becomes one index when the
    stamp is uniform, ``written`` None when the stamp writes every pixel of its rectangle."""
    height, width = values.shape
    if written is None or written.all():
        written = None
        if (values == values.flat[0]).all():
            values = int(values.flat[0])
    elif (values[written] == values[written][0]).all():
        values = int(values[written][0])
    return Stamp(top, left, values, written, height, width)


def paste(frame: np.ndarray, placed: PlacedStamp) -> bool:
    """Paste a placed stamp; False (nothing painted) if it would not lie wholly inside
    the frame."""
    top, left, bottom, right, values, written = placed
    h, w = frame.shape
    if top < 0 or left < 0 or bottom > h or right > w:
        return False
    if written is None:
        frame[top:bottom, left:right] = values
    else:
        np.copyto(frame[top:bottom, left:right], values, where=written)
    return True


def box_stamp(width: int, height: int, edge_width: int, fill: int | None, edge: int | None,
              dashed: bool, scale: float) -> Stamp | None:
    """The pixels of a box ``width`` x ``height`` anchored at its top-left corner, or None
    for a degenerate box."""
    if width <= 0 or height <= 0:
        return None
    lo = edge_width // 2
    # every pixel the box writes: the fill, and the edge straddling its boundary
    shape = (height + edge_width, width + edge_width) if edge_width else (height, width)
    values = np.zeros(shape, dtype=np.uint8)
    written = np.zeros(shape, dtype=np.uint8)
    box = BoxGeometry(lo, lo, lo + width, lo + height, edge_width)
    paint_box(values, box, fill, edge, dashed, scale)
    paint_box(written, box, None if fill is None else 1, None if edge is None else 1, dashed,
              scale)
    return make_stamp(-lo, -lo, values, written.astype(bool))


def with_text(stamp: Stamp, mask: TextMask, ty: int, tx: int, table: np.ndarray | None,
              index: int, full: int) -> Stamp | None:
    """The stamp with a text blended in (its anchor at pixel (ty, tx) from the stamp's
    anchor; ``table``, ``index`` and ``full`` as for ``masks.blend``), or None if the text
    reaches pixels the stamp leaves alone."""
    top, left, values, written, height, width = stamp
    ry, rx = ty + mask.top - top, tx + mask.left - left
    mh, mw = mask.levels.shape
    if ry < 0 or rx < 0 or ry + mh > height or rx + mw > width:
        return None
    if written is not None and not written[ry : ry + mh, rx : rx + mw][mask.covered].all():
        return None  # the text reaches pixels the box leaves alone (a dash gap, outside)
    if isinstance(values, np.ndarray):
        values = values.copy()
    else:
        values = np.full((height, width), values, dtype=np.uint8)
    blend(values[ry : ry + mh, rx : rx + mw], mask.levels, table, index, full)
    return make_stamp(top, left, values, written)
