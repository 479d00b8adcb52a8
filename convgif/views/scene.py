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

from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    """A rectangle: a cell, a panel, a window outline."""

    x: float
    y: float
    w: float
    h: float
    fill: str | None = None  # role, or None for no fill
    edge: str | None = None  # role, or None for no outline
    edge_width: float = 1.0
    dashed: bool = False


@dataclass(frozen=True)
class Text:
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


@dataclass(frozen=True)
class Line:
    """A straight segment, e.g. a connector from window to kernel to output."""

    x0: float
    y0: float
    x1: float
    y1: float
    color: str = "connector"
    width: float = 1.0
    dashed: bool = False


Item = Box | Text | Line


@dataclass(frozen=True)
class Scene:
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


