"""Views played one after the other: a layer made of steps (Keras' ``SeparableConv2D``:
its depthwise step, then its pointwise step) as one animation.

Every frame of step 1, then every frame of step 2, and so on, on one canvas as large
as the largest step's, so a GIF, a still or a player holds them all. A smaller step
is drawn enlarged until it meets the canvas' width or height (its top-left corner
kept), so its text does not shrink on a slide because another step is wider. A band
above each step names the whole layer and the step (``headings``); the step's own
title stays as it is. A step's scenes keep their own static items, so a walk
repaints what stays when the step changes.
"""

from __future__ import annotations

from convgif.frames.storyboard import frame_index
from convgif.views.scene import Bitmap, Box, Line, Scene, Text
from convgif.views.sizes import MARGIN, SUBTITLE_SIZE
from convgif.views.view import View

BAND = 2 * SUBTITLE_SIZE + 4  # the heading's band above every step


def scaled(item, factor: float, down: float = 0.0):
    """The item with every coordinate and size multiplied by ``factor``, then moved
    ``down``."""
    if isinstance(item, Line):
        return item._replace(x0=item.x0 * factor, y0=item.y0 * factor + down,
                       x1=item.x1 * factor, y1=item.y1 * factor + down,
                       width=item.width * factor)
    if isinstance(item, Text):
        return item._replace(x=item.x * factor, y=item.y * factor + down,
                       size=item.size * factor)
    if isinstance(item, Box):
        return item._replace(x=item.x * factor, y=item.y * factor + down, w=item.w * factor,
                       h=item.h * factor, edge_width=item.edge_width * factor)
    if isinstance(item, Bitmap):
        return item._replace(x=item.x * factor, y=item.y * factor + down, w=item.w * factor,
                       h=item.h * factor)
    raise TypeError(f"cannot scale {type(item).__name__}: {item!r}")


class SequenceView(View):
    """The frames of ``views`` in turn (see the module docstring)."""

    def __init__(self, views, headings, title: str):
        self.views = tuple(views)
        self.headings = tuple(headings)
        self.title = title  # the whole layer's, e.g. for a Beamer snippet's caption
        self.counts = tuple(len(v) for v in self.views)
        first = self.views[0]
        self.pace = first.pace
        self.heat_levels = max(v.heat_levels for v in self.views)
        self.shade_ramps = tuple(dict.fromkeys(r for v in self.views for r in v.shade_ramps))
        self.own_colors = {k: c for v in self.views for k, c in v.own_colors.items()}
        self.ways_round = first.ways_round
        self.ways_smaller = first.ways_smaller
        # one zoom for every frame: the largest a step asks for
        self.zoom = max(v.zoom for v in self.views)
        wide = max(v.width * v.zoom for v in self.views)  # pixels at scale 1
        tall = max(v.height * v.zoom for v in self.views)
        self._width, self._height = wide / self.zoom, tall / self.zoom + BAND
        self.factors = tuple(
            min(wide / (v.width * v.zoom), tall / (v.height * v.zoom)) * v.zoom / self.zoom
            for v in self.views
        )
        self._statics = {}  # step -> (its static items, scaled): painted once per step

    @property
    def width(self) -> float:
        return self._width

    @property
    def height(self) -> float:
        return self._height

    def __len__(self) -> int:
        return sum(self.counts)

    def locate(self, index: int) -> tuple[int, int]:
        """(step, the frame within that step's view) of a frame of the whole."""
        index = frame_index(index, len(self))
        for step, count in enumerate(self.counts):
            if index < count:
                return step, index
            index -= count
        raise IndexError(index)  # frame_index has checked the range

    def _fit(self, step: int, scene: Scene) -> Scene:
        factor = self.factors[step]
        known = self._statics.get(step)
        if known is None or known[0] is not scene.static:
            heading = Text(MARGIN, BAND / 2 + 2, self.headings[step], SUBTITLE_SIZE + 1,
                           anchor="lm", bold=True)
            moved = tuple(scaled(i, factor, BAND) for i in scene.static)
            known = (scene.static, (heading, *moved))
            self._statics[step] = known
        return scene._replace(
            width=self.width, height=self.height, static=known[1],
            settled=tuple(scaled(i, factor, BAND) for i in scene.settled),
            dynamic=tuple(scaled(i, factor, BAND) for i in scene.dynamic),
        )

    def scene(self, index: int, *, since: int | None = None, shown: int | None = None) -> Scene:
        del shown  # each step's counter counts that step's own frames
        step, at = self.locate(index)
        before = None
        if since is not None:
            was_step, was_at = self.locate(since)
            before = was_at if was_step == step else None
        return self._fit(step, self.views[step].scene(at, since=before))

    def still(self, index: int) -> Scene:
        step, at = self.locate(index)
        return self._fit(step, self.views[step].still(at))
