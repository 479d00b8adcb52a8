"""The contact sheet: chosen frames of a view as tiles in a grid, each under its label.

A sheet is a view of one frame whose scene holds the scenes of the frames it
shows, each moved to its tile: so it is painted by the same backends (PNG,
and SVG / PDF), in the same style, and written by the same loop as the view
it samples, and each tile is exactly the frame it shows. It takes from that
view the colours the style must add (heat scale, value shades, a photo's).
"""

from __future__ import annotations

import math

from convgif.views.scene import Bitmap, Box, Line, Scene, Text
from convgif.views.view import View

TILE_GAP, LABEL_SIZE = 16, 15  # between tiles and round the page; the tiles' labels
LABEL_BAND = 24  # the room of a label above its tile
DEFAULT_COLUMNS = 4
# what a refusal of a sheet too large suggests
SHEET_WAYS = ("fewer frames= or a smaller count= (--frames, --count), other columns= "
              "(--columns), or a smaller scale= (--scale)")


def sheet_grid(view: View, count: int, columns: int | None = None) -> tuple[int, int, tuple]:
    """(columns, rows, (dx, dy) from one tile to the next) of a sheet of ``count`` tiles."""
    columns = max(1, min(columns or DEFAULT_COLUMNS, count))
    # whole units between tiles, so that at scale 1 each tile lands on whole pixels and
    # is painted exactly as its frame is on its own
    pitch = (math.ceil(view.width) + TILE_GAP, math.ceil(view.height) + LABEL_BAND + TILE_GAP)
    return columns, math.ceil(count / columns), pitch


def sheet_size(view: View, count: int, columns: int | None = None) -> tuple[float, float]:
    """(width, height) in layout units of a sheet of ``count`` tiles of ``view``: known
    before any tile is drawn, so a sheet too large is refused first."""
    columns, rows, pitch = sheet_grid(view, count, columns)
    return TILE_GAP + columns * pitch[0], TILE_GAP + rows * pitch[1]


def moved(item, dx: float, dy: float):
    """The item, ``dx`` to the right and ``dy`` down."""
    if isinstance(item, Line):
        return item._replace(x0=item.x0 + dx, y0=item.y0 + dy, x1=item.x1 + dx, y1=item.y1 + dy)
    if isinstance(item, (Box, Text, Bitmap)):
        return item._replace(x=item.x + dx, y=item.y + dy)
    raise TypeError(f"cannot move {type(item).__name__}: {item!r}")


class SheetView(View):
    """Frames ``frames`` (indices from 0) of ``view`` in ``columns`` columns (default: up to
    4), labelled ``frame <n>`` counting from 1 as the counter does. ``tiles``: their
    scenes, when already made (e.g. one at a time, behind a progress bar)."""

    ways_smaller = SHEET_WAYS

    def __init__(self, view: View, frames, columns: int | None = None, tiles=None):
        self.frames = tuple(frames)
        self.total = len(view)
        self.tiles = tuple(view.scene(i) for i in self.frames) if tiles is None else tuple(tiles)
        self.labels = tuple(f"frame {i + 1}" for i in self.frames)
        self.heat_levels, self.shade_ramps = view.heat_levels, view.shade_ramps
        self.own_colors = view.own_colors
        self.zoom = view.zoom  # each tile painted as its frame is
        self.columns, self.rows, self.pitch = sheet_grid(view, len(self.tiles), columns)
        self._static = tuple(self._items())

    def __len__(self) -> int:
        return 1

    @property
    def width(self) -> float:
        return TILE_GAP + self.columns * self.pitch[0]

    @property
    def height(self) -> float:
        return TILE_GAP + self.rows * self.pitch[1]

    def origin(self, k: int) -> tuple[float, float]:
        """The top-left corner of tile ``k`` (under its label)."""
        r, c = divmod(k, self.columns)
        return TILE_GAP + c * self.pitch[0], TILE_GAP + r * self.pitch[1] + LABEL_BAND

    def _items(self) -> list:
        items = []
        for k, (tile, label) in enumerate(zip(self.tiles, self.labels)):
            x, y = self.origin(k)
            # the tile's own background, in a hairline frame that keeps neighbours apart
            items.append(Box(x - 1, y - 1, tile.width + 2, tile.height + 2,
                             fill=tile.background, edge="grid"))
            items += [moved(item, x, y) for item in tile.items]
            items.append(Text(x, y - LABEL_BAND / 2, label, LABEL_SIZE, "ink", anchor="lm",
                              bold=True))
        return items

    def scene(self, index: int, *, since: int | None = None, shown: int | None = None) -> Scene:
        return Scene(self.width, self.height, self._static)
