"""Routes for the connectors that must keep clear of what a frame does not light.

A line from the window to a kernel in a lower row, or from a pool's window to its
output cell, passes other grids and their labels on the way. Running it beside an idle
kernel, or across a name or a value, breaks the one path the eye should follow (the
design's "lines never touch idle kernels, labels or values"). So the route goes down
the free gaps between them, midway, as far from both sides as the gap allows.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import NamedTuple

import numpy as np

from convgif.views.chrome import BUS_DROP, CONNECTOR_WIDTH, to_cell
from convgif.views.scene import Line, Text
from convgif.views.text import text_width

CLEAR = 4.0  # the least room a connector keeps from an idle kernel, a label, a value
COMFORT = 12.0  # beyond this much room, more no longer reads better: the shorter route wins
LINE_HEIGHT = 1.2  # a label's box, in em, from its ascender to its descender


class Rect(NamedTuple):
    """An area a connector keeps clear of (an idle grid, a label), corner to corner."""

    x0: float
    y0: float
    x1: float
    y1: float


def grid_rect(grid) -> Rect:
    return Rect(grid.x, grid.y, grid.x + grid.width, grid.y + grid.height)


def text_rect(item: Text) -> Rect:
    """The box a label takes as the font draws it, from its anchor."""
    w, h = text_width(item.text, item.size, bold=item.bold), LINE_HEIGHT * item.size
    x0 = item.x - {"l": 0.0, "m": w / 2, "r": w}[item.anchor[0]]
    y0 = item.y - {"a": 0.0, "m": h / 2, "s": 0.8 * h, "d": h}.get(item.anchor[1], h / 2)
    return Rect(x0, y0, x0 + w, y0 + h)


def obstacles(layout, static) -> tuple[Rect, ...]:
    """Every grid of a layer's picture, every label of its ``static`` items (values inside
    the grids are covered by them) and the edges of its group bands."""
    grids = [*layout.inputs.values(), *layout.kernels.values(), *layout.sums.values(),
             *layout.biases.values(), *layout.outputs.values()]
    rects = [grid_rect(g) for g in grids]
    texts = [t for t in static if isinstance(t, Text)]
    # a text anchored inside a grid is a value; compared all at once, as a picture's
    # static items hold hundreds of values
    corners = np.array([(r.x0, r.y0, r.x1, r.y1) for r in rects], dtype=float).reshape(-1, 4)
    at = np.array([(t.x, t.y) for t in texts], dtype=float).reshape(-1, 1, 2)
    inside = ((corners[:, 0] <= at[..., 0]) & (at[..., 0] <= corners[:, 2])
              & (corners[:, 1] <= at[..., 1]) & (at[..., 1] <= corners[:, 3])).any(axis=1)
    labels = [text_rect(t) for t, value in zip(texts, inside.tolist()) if not value]
    edges = []
    for _, x, y, w, h in layout.bands:  # an outline: along it reads as part of it
        edges += [Rect(x, y, x, y + h), Rect(x + w, y, x + w, y + h),
                  Rect(x, y, x + w, y), Rect(x, y + h, x + w, y + h)]
    return tuple(rects + labels + edges)


def distance(line: Line, rect: Rect) -> float:
    """How close an axis-aligned segment comes to a rectangle (0 when it touches)."""
    dx = max(rect.x0 - max(line.x0, line.x1), min(line.x0, line.x1) - rect.x1, 0.0)
    dy = max(rect.y0 - max(line.y0, line.y1), min(line.y0, line.y1) - rect.y1, 0.0)
    return math.hypot(dx, dy)


def free_columns(obstacles, y0: float, y1: float, width: float) -> list[float]:
    """The middles of the free gaps left and right of the obstacles that a vertical from
    ``y0`` to ``y1`` would pass (within ``CLEAR``), on a page ``width`` wide."""
    spans = sorted((o.x0, o.x1) for o in obstacles
                   if o.y0 - CLEAR < max(y0, y1) and o.y1 + CLEAR > min(y0, y1))
    middles, left = [], 0.0
    for x0, x1 in spans + [(width, width)]:
        if x0 > left:
            middles.append((left + x0) / 2)
        left = max(left, x1)
    return middles


def _lines(points) -> list[Line]:
    return [Line(*a, *b, width=CONNECTOR_WIDTH) for a, b in zip(points, points[1:])
            if a != b]


NEAREST = 4  # free gaps tried per route, nearest the kernel first (farther ones are longer)


def _nearest(columns: list[float], x: float) -> list[float]:
    return sorted(columns, key=lambda xv: abs(xv - x))[:NEAREST]


def _kernel_routes(x: float, lane_y: float, target: Rect, obstacles, width: float) -> list:
    """The polylines from the lane at ``x`` into ``target``: down a free gap to its
    middle height and into its side, or down to the free gap above it and into its top."""
    ky, kx = (target.y0 + target.y1) / 2, (target.x0 + target.x1) / 2
    routes = []
    for xv in _nearest(free_columns(obstacles, lane_y, ky, width), kx):
        if xv > target.x1 or xv < target.x0:
            edge = target.x1 if xv > target.x1 else target.x0
            routes.append([(x, lane_y), (xv, lane_y), (xv, ky), (edge, ky)])
    above = [o.y1 for o in obstacles if o.y1 <= target.y0 and o.x0 < target.x1 + CLEAR
             and o.x1 > target.x0 - CLEAR]
    top = max(above, default=-math.inf)
    if top <= lane_y:  # nothing between the lane and the kernel: straight down into it
        return routes + [[(x, lane_y), (kx, lane_y), (kx, target.y0)]]
    turn = (top + target.y0) / 2
    for xv in _nearest(free_columns(obstacles, lane_y, turn, width), kx):
        routes.append([(x, lane_y), (xv, lane_y), (xv, turn), (kx, turn), (kx, target.y0)])
    return routes


class KernelRoutes:
    """``to_kernel``: the connectors from the lane under the inputs into a kernel, for one
    picture's obstacles on a page ``width`` wide.

    Every candidate route from the lane at ``x`` is the same polyline but for its first
    segment, along the lane from ``x``: so the candidates of a kernel and lane, and the
    room each of their other segments keeps, are worked out once, and only the first
    segments are measured for a new ``x``. The choice is the one scoring every whole
    route would make (a route's room is the least over its segments).
    """

    def __init__(self, obstacles, width: float):
        self.obstacles = obstacles
        self.width = width
        # corners of the obstacles as columns: segments are measured against all at once
        self._corners = np.array([(o.x0, o.y0, o.x1, o.y1) for o in obstacles],
                                 dtype=float).reshape(-1, 4)
        self._tails = {}  # (target, lane_y) -> (the candidates' turns, their later rooms)

    def rooms(self, ends, keep: np.ndarray) -> list[float]:
        """The least distance from each segment (x0, x1, y0, y1) to the ``keep`` obstacles
        (see ``distance``; inf when there are none)."""
        corners = self._corners[keep]
        if not corners.size:
            return [math.inf] * len(ends)
        x0, y0, x1, y1 = (corners[:, i] for i in range(4))
        ends = np.array(ends, dtype=float).reshape(-1, 4)
        lx0, lx1 = ends[:, :2].min(axis=1)[:, None], ends[:, :2].max(axis=1)[:, None]
        ly0, ly1 = ends[:, 2:].min(axis=1)[:, None], ends[:, 2:].max(axis=1)[:, None]
        dx = np.maximum(np.maximum(x0 - lx1, lx0 - x1), 0.0)
        dy = np.maximum(np.maximum(y0 - ly1, ly0 - y1), 0.0)
        return np.hypot(dx, dy).min(axis=1).tolist()

    def _tail(self, target: Rect, lane_y: float) -> tuple:
        """The candidates into ``target`` from the lane at ``lane_y`` (each from its second
        point on), which obstacles they keep clear of, and the room of each candidate's
        segments after the first (inf: none)."""
        key = (target, lane_y)
        if key not in self._tails:
            others = [o for o in self.obstacles if o != target]
            keep = np.array([o != target for o in self.obstacles], dtype=bool)
            # x only enters the first point: any x gives the same later points
            tails = [route[1:] for route in _kernel_routes(0.0, lane_y, target, others,
                                                           self.width)]
            segments = [[(a[0], b[0], a[1], b[1]) for a, b in zip(t, t[1:]) if a != b]
                        for t in tails]
            flat = self.rooms([s for segs in segments for s in segs], keep)
            later, k = [], 0
            for segs in segments:
                later.append(min(flat[k:k + len(segs)], default=math.inf))
                k += len(segs)
            self._tails[key] = (tails, keep, later)
        return self._tails[key]

    def to_kernel(self, x: float, grid_bottom: float, lane_y: float, kernel,
                  taken: list | None = None) -> list:
        """A connector from under an input grid at ``x``, along the lane below the inputs,
        then down the free gap with the most room (up to ``COMFORT``; then the shortest)
        into ``kernel`` (a Grid), never beside another kernel or across a label.

        ``taken`` lists the verticals (x, top, bottom) other connectors of the frame use:
        a route keeps off them, so two lines never run as one; its own vertical is added.
        """
        target = grid_rect(kernel)
        taken = [] if taken is None else taken
        tails, keep, later = self._tail(target, lane_y)
        routes = [[(x, lane_y)] + tail for tail in tails]
        firsts = [(x, t[0][0], lane_y, t[0][1]) for t in tails]
        moving = [i for i, t in enumerate(tails) if (x, lane_y) != t[0]]
        first_room = dict(zip(moving, self.rooms([firsts[i] for i in moving], keep)))

        def score(i):
            points = routes[i]
            room = min(first_room.get(i, math.inf), later[i])
            shared = any(abs(a[0] - t) < 2 * CLEAR and min(a[1], b[1]) < t1
                         and max(a[1], b[1]) > t0
                         for a, b in zip(points, points[1:]) if a[0] == b[0]
                         for t, t0, t1 in taken)
            length = sum(abs(a[0] - b[0]) + abs(a[1] - b[1]) for a, b in zip(points, points[1:]))
            return (room >= CLEAR, not shared, min(room, COMFORT), -length)

        best = routes[max(range(len(routes)), key=score)]
        taken += [(a[0], min(a[1], b[1]), max(a[1], b[1])) for a, b in zip(best, best[1:])
                  if a[0] == b[0]]
        return _lines([(x, grid_bottom)] + best)


def lane_to_cell(x: float, grid_bottom: float, lane_y: float, ogrid, rect, obstacles,
                 width: float) -> list:
    """A pool's connector: from under its input grid at ``x`` down to the lane, along it
    to the free gap left of the output ``ogrid``, down that gap and on into the cell at
    ``rect`` (see ``to_cell``: into its left edge in the first column, else from below
    through the cells a row-by-row walk has not written), crossing no label or value."""
    bottom = ogrid.y + ogrid.height + BUS_DROP
    left = [xv for xv in free_columns(obstacles, lane_y, bottom, width) if xv < ogrid.x]
    lane = max(left, default=ogrid.x / 2)
    return [Line(x, grid_bottom, x, lane_y, width=CONNECTOR_WIDTH)] + to_cell(
        x, lane_y, ogrid, rect, lane, open_left=True)


LANE_STEP = 6.0  # between the lines a frame draws down one lane to the outputs


class Routes:
    """The connectors of a layer's picture (a mixin of ``LayerPicture``): what they keep
    clear of, and the routes found once and reused."""

    @cached_property
    def kernel_routes(self) -> KernelRoutes:
        """The connectors into kernels, found against the picture's obstacles."""
        return KernelRoutes(self.route_obstacles, self.layout.width)

    @cached_property
    def route_obstacles(self) -> tuple:
        """What the connectors keep clear of (see ``route.obstacles``): found once, as the
        layout and its labels are the same in every frame."""
        return obstacles(self.layout, self.static)

    def _lane_to(self, ogrid, k: int = 0, n: int = 1) -> tuple:
        """(lane, open_left) for ``chrome.to_cell`` into output ``ogrid``: the output panel's
        lane when there is one (line ``k`` of the ``n`` a frame draws down it a little apart
        from the others, so each reads as its own); a grid with another left of it, or
        under the rows, is reached from below."""
        lane, lay = self.layout.out_lane_x, self.layout
        first = min(g.x for g in lay.outputs.values())
        if lane is not None:
            lane += (k - (n - 1) / 2) * LANE_STEP
        return lane, lane is None or (not lay.out_below and ogrid.x <= first)

    def _to_kernel(self, x: float, grid, kernel, taken: list | None = None) -> list:
        """``KernelRoutes.to_kernel`` from under ``grid`` at ``x`` into ``kernel``, found once
        for each start, kernel and the verticals already ``taken`` in the frame (windows in
        one column of a layer's output reuse their routes)."""
        key = (x, grid.y + grid.height, kernel, tuple(taken or ()))
        found = self._routes.get(key)
        if found is None:
            after = list(taken or ())
            lane = self.layout.lane_under(grid)
            lines = self.kernel_routes.to_kernel(x, key[1], lane, kernel, after)
            found = self._routes[key] = (lines, after)
        if taken is not None:
            taken[:] = found[1]
        return list(found[0])
