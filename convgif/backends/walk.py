"""A walk through an animation: what settles is painted once, into a carried layer.

A mixin of ``raster.RasterPainter``. Each scene of a walk after the first holds
only what settled since the one before it (``View.scene(i, since=j)``), so a
frame costs the same however much has settled. Painting settled items later
than the whole scene would paint them is exact unless a newly settled box or
line falls on text settled earlier (a value wider than its cell): then that
region is painted again from the whole scene's items that reach it, in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

import numpy as np

from convgif.views.scene import Box, Line, Scene, Text


class Footprint(NamedTuple):
    """The pixels an item may paint: a box in the frame, and a mask of it (None: all)."""

    top: int
    bottom: int
    left: int
    right: int
    mask: np.ndarray | None

    def reaches(self, top: int, bottom: int, left: int, right: int) -> bool:
        return self.top < bottom and self.bottom > top and self.left < right and self.right > left

    def clipped(self, shape):
        """(the frame's slices under it, the mask's part inside the frame), or None."""
        h, w = shape
        y0, x0 = max(self.top, 0), max(self.left, 0)
        y1, x1 = min(self.bottom, h), min(self.right, w)
        if y0 >= y1 or x0 >= x1:
            return None
        part = None if self.mask is None else self.mask[
            y0 - self.top : y1 - self.top, x0 - self.left : x1 - self.left]
        return (slice(y0, y1), slice(x0, x1)), part


class Walk:
    """``paint_walk``: the frames of a walk, settled items carried from frame to frame."""

    def paint_walk(self, scenes: Iterable[Scene], whole=None) -> Iterator[np.ndarray]:
        """The frames of a walk, in order, each a new read-only array. ``whole(k)``: the k-th
        frame as a scene holding everything settled, asked for when a region must be
        painted again."""
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
            # read-only: a writer may keep the frame as it is instead of copying it
            frame.flags.writeable = False
            yield frame

    def _footprint(self, item, shape) -> Footprint | None:
        """Where an item may paint on a frame of ``shape``, or None when it paints nothing."""
        # keyed by identity, checked: a view hands the same items frame after frame, and
        # hashing a dataclass field by field is what made this cost grow with the frames
        hit = self._footprints.get(id(item))
        if hit is not None and hit[0] is item and hit[1] == shape:
            return hit[2]
        if isinstance(item, Box):
            g = self._box_geometry(item)
            lo, ew = g.edge_width // 2, g.edge_width
            fp = Footprint(g.y0 - lo, g.y1 - lo + ew, g.x0 - lo, g.x1 - lo + ew, None)
        elif isinstance(item, Line):
            placed = self._where_line(item, shape)
            fp = placed and Footprint(placed.top, placed.top + placed.covered.shape[0],
                                      placed.left, placed.left + placed.covered.shape[1],
                                      placed.covered)
        else:
            placed = self._place_text(item)
            fp = placed and Footprint(placed.y, placed.bottom, placed.x, placed.right,
                                      placed.covered)
        fp = fp or None
        if not (isinstance(item, Text) and item.fleeting):
            self._remember(self._footprints, id(item), (item, shape, fp))
        return fp

    def _settle(self, carried: np.ndarray, inked: np.ndarray, items) -> None:
        """Paint settled items into the carried layer, marking the pixels their texts ink."""
        self._paint_items(carried, items)
        for item in items:
            if isinstance(item, Text) and (fp := self._footprint(item, inked.shape)):
                clipped = fp.clipped(inked.shape)
                if clipped:
                    inked[clipped[0]] |= clipped[1]

    def _inked_under(self, items, inked: np.ndarray):
        """(top, bottom, left, right) around the boxes and lines among ``items`` that would
        paint over text already settled, or None."""
        box = None
        for item in items:
            if isinstance(item, Text) or not (fp := self._footprint(item, inked.shape)):
                continue
            clipped = fp.clipped(inked.shape)
            if not clipped:
                continue
            under = inked[clipped[0]]
            if (under if clipped[1] is None else under[clipped[1]]).any():
                box = fp[:4] if box is None else (min(box[0], fp.top), max(box[1], fp.bottom),
                                                  min(box[2], fp.left), max(box[3], fp.right))
        return box

    def _repaint(self, carried, inked, scratch, scene: Scene, box) -> None:
        """Paint the region ``box`` of the carried layer again: the static layer, then every
        settled item of the whole ``scene`` that reaches it, in the scene's order."""
        h, w = carried.shape
        top, bottom, left, right = max(box[0], 0), min(box[1], h), max(box[2], 0), min(box[3], w)
        region = (slice(top, bottom), slice(left, right))
        reaching = [
            item for item in scene.settled
            if (fp := self._footprint(item, (h, w))) and fp.reaches(top, bottom, left, right)
        ]
        scratch[region] = self._static_layer(scene)[region]  # outside it, scratch is not read
        marks = np.zeros_like(inked)
        self._settle(scratch, marks, reaching)
        carried[region] = scratch[region]
        inked[region] = marks[region]
