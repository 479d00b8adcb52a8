"""A frame as plain data: boxes, text and lines in layout units.

A scene knows nothing of pixels, files or fonts. Colours are *roles* (see
``convgif.style.ROLES``) that a style maps to RGB, so one scene renders in
every style. Coordinates are layout units with the origin at the top-left;
the raster backend multiplies them by its scale (1 unit = 1 pixel at scale 1).

A frame's scene is split in two: ``static`` items, identical in every frame
of an animation (panels, grids, headers: painted once), and ``dynamic`` items
(highlights, values being written, caption), painted on top per frame.
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

    @property
    def items(self) -> tuple[Item, ...]:
        return self.static + self.dynamic

    def texts(self) -> list[str]:
        """Every string drawn in this frame, static first (for tests and search)."""
        return [item.text for item in self.items if isinstance(item, Text)]


# --------------------------------------------------------------------------- building scenes


