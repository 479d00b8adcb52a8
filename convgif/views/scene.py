"""A frame as plain data: boxes, text and lines in layout units.

A scene knows nothing of pixels, files or fonts. Colours are *roles* (see
``convgif.style.ROLES``) that a style maps to RGB, so one scene renders in
every style. Coordinates are layout units with the origin at the top-left;
the raster backend multiplies them by its scale (1 unit = 1 pixel at scale 1).

A frame's scene is split in three, painted in this order: ``static`` items,
identical in every frame of an animation (panels, grids, headers: painted
once); ``settled`` items, which stay from the frame that draws them on (a
finished output cell); and ``dynamic`` items (highlights, values being
written, caption), painted on top for this frame alone. A scene made for one
frame on its own holds everything settled so far; a scene made as the next
frame of a walk (``View.scene(i, since=j)``) holds only what settled since
frame ``j``, so a painter that carries them over paints each of them once.
"""

from __future__ import annotations

from typing import NamedTuple


class Box(NamedTuple):
    """A rectangle: a cell, a panel, a window outline."""

    x: float
    y: float
    w: float
    h: float
    fill: str | None = None  # role, or None for no fill
    edge: str | None = None  # role, or None for no outline
    edge_width: float = 1.0
    dashed: bool = False


class Text(NamedTuple):
    """A line of text anchored at (x, y).

    ``anchor`` uses Pillow's two-letter anchors: horizontal l/m/r, vertical
    a (ascender) / m (middle) / s (baseline) / d (descender); e.g. ``"mm"``
    centres the text on the point, ``"la"`` hangs it from its top-left.
    """

    x: float
    y: float
    text: str
    size: float
    color: str = "ink"
    anchor: str = "mm"
    bold: bool = False
    fleeting: bool = False  # in one frame only (a caption, a counter): not worth caching


class Line(NamedTuple):
    """A straight segment, e.g. a connector from window to kernel to output."""

    x0: float
    y0: float
    x1: float
    y1: float
    color: str = "connector"
    width: float = 1.0
    dashed: bool = False


# The roles of a bitmap's colours start so: the palette blends no text over them (text is
# never drawn on a photo), which keeps room in it for the photo's colours.
BITMAP_ROLE = "bitmap_"


class Bitmap(NamedTuple):
    """A picture's own pixels (a photo, a feature map) over a rectangle, each pixel a block.

    A photo cannot be a box per pixel (a 600 x 512 photo would be 300,000 boxes), so
    it is one item. Its colours stay roles, as everywhere in a scene: ``pixels`` holds
    ``rows`` x ``cols`` bytes, row by row, each the index of its colour in ``roles``;
    the view that draws it brings the roles' colours (``View.own_colors``). Bytes, not
    an array, so the item is hashable and equal items compare equal.
    """

    x: float
    y: float
    w: float
    h: float
    rows: int
    cols: int
    pixels: bytes
    roles: tuple[str, ...]


Item = Box | Text | Line | Bitmap


class Scene(NamedTuple):
    """One frame: a canvas, what stays, what changes."""

    width: float
    height: float
    static: tuple[Item, ...]
    dynamic: tuple[Item, ...] = ()
    background: str = "paper"
    settled: tuple[Item, ...] = ()

    @property
    def items(self) -> tuple[Item, ...]:
        return self.static + self.settled + self.dynamic

    def texts(self) -> list[str]:
        """Every string drawn in this frame, static first (for tests and search)."""
        return [item.text for item in self.items if isinstance(item, Text)]


# --------------------------------------------------------------------------- building scenes


