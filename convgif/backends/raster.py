"""Paint scenes into palette-indexed numpy arrays.

Frames are painted as palette indices (see ``palette``), item by item (see
``items``). The static part of a scene is painted once per painter and reused;
each frame copies it and paints only the dynamic items on top; a walk through an
animation paints what has settled once, into a carried layer (see ``walk``).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import NamedTuple

import numpy as np

from convgif.backends.items import ItemPainter
from convgif.backends.palette import MAX_LEVELS, TEXT_ROLES
from convgif.backends.style import Style, get_style
from convgif.backends.walk import Walk
from convgif.errors import NAME, ConvGifError
from convgif.views.scene import Scene

__all__ = ["MAX_LEVELS", "MIN_SCALE", "TEXT_ROLES", "RasterPainter", "check_scale"]

MIN_SCALE = 0.05  # below this a frame is a few pixels wide: nothing is legible
_STATIC_CACHE_SIZE = 4


def check_scale(scale) -> float:
    """The size multiplier as a float, or a ConvGifError (too big is the budget's call)."""
    if (
        isinstance(scale, bool)
        or not isinstance(scale, (int, float))
        or not math.isfinite(scale)
        or scale < MIN_SCALE
    ):
        raise ConvGifError(f"{NAME}={scale!r} must be a number from {MIN_SCALE} up", "scale")
    return float(scale)


class RasterPainter(Walk, ItemPainter):
    """Paints the scenes of one animation with one style, scale and font."""

    def __init__(self, style: str | Style = "default", scale: float = 1.0, font=None):
        super().__init__(get_style(style), check_scale(scale), font)
        self._rgb = np.array(self.palette, dtype=np.uint8)
        self._static: OrderedDict = OrderedDict()  # id(static items) -> _StaticLayer
        self._footprints: dict = {}  # id(item) -> (item, frame shape, Footprint) (a walk's)

    # -- public -----------------------------------------------------------

    def size(self, scene: Scene) -> tuple[int, int]:
        """(width, height) in pixels of a painted scene."""
        return round(scene.width * self.scale), round(scene.height * self.scale)

    def paint(self, scene: Scene) -> np.ndarray:
        """The scene as an (H, W) uint8 array of palette indices."""
        frame = self._static_layer(scene).copy()
        self._paint_items(frame, scene.settled)
        self._paint_items(frame, scene.dynamic)
        return frame

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
        """The scene's static items painted on its background, once per painter."""
        w, h = self.size(scene)
        key = (w, h, scene.background)
        static = scene.static
        hit = self._static.get(id(static))
        if hit is not None and hit.key == key and hit.items is static:
            self._static.move_to_end(id(static))
            return hit.layer
        for entry_key, entry in self._static.items():
            # equal content in a new tuple: e.g. a scene rebuilt for every frame
            if entry.key == key and len(entry.items) == len(static) and entry.items == static:
                self._static.move_to_end(entry_key)
                return entry.layer
        layer = np.full((h, w), self.index(scene.background), dtype=np.uint8)
        self._paint_items(layer, static)
        layer.flags.writeable = False
        # holding the tuple keeps its id from being reused by another object
        self._static[id(static)] = _StaticLayer(key, static, layer)
        while len(self._static) > _STATIC_CACHE_SIZE:
            self._static.popitem(last=False)
        return layer


class _StaticLayer(NamedTuple):
    """A painted static layer, and what it was painted from."""

    key: tuple[int, int, str]  # width, height, background
    items: tuple  # the scene's static items
    layer: np.ndarray
