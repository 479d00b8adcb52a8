"""The view protocol: what every picture is to the one loop that writes it.

A view is a picture that unfolds over frames: the gather and scatter views of
a layer, its matrix view, the overlap heat map, the receptive-field stack,
and the pictures of one frame: the feature maps of a photo
(``convgif.views.features``) and the contact sheet, whose one frame tiles the
frames of another view (``convgif.views.sheet``). The API's one loop
(``convgif.api.render``) turns any view into any output (GIF and the other
animations, stills, frame folders, an ``Axes``) with the same budgets,
sampling, timing and writers. A view has:

- ``len(view)``: how many frames it has;
- ``view.width``, ``view.height``: the size of every scene, in layout units;
- ``view.pace``: its row of ``convgif.frames.timing.PACES``;
- ``view.scene(index, since=None, shown=None)``: frame ``index`` (negative
  counts from the end) as a ``Scene``, built from the index alone. ``since``:
  the frame a walk painted just before, whose settled items the painter still
  carries: the scene then holds only what settled after it (see
  ``convgif.views.scene``). ``shown``: how many frames a sampled animation
  keeps, for the frame counter to say;
- ``view.still(index)``: the scene a still of that frame shows;
- ``view.zoom``: how many pixels a layout unit is painted at scale 1 (a layout too
  fine for a slide is painted larger, its text with it; see ``sizes.ladder``);
- ``view.ways_round``: what a refusal suggests when there are too many frames;
  ``view.ways_smaller``: when a frame is too large;
- ``view.heat_levels``: colours of a heat scale the style must add (0: none);
- ``view.shade_ramps``: the value-shade ramps the style must add (see
  ``convgif.views.shade``; empty: none);
- ``view.own_colors``: colours of its own (role -> RGB) the style must add, e.g.
  a photo's (see ``convgif.views.scene.Bitmap``; empty: none).
"""

from __future__ import annotations

from types import MappingProxyType

from convgif.frames.budget import MAX_FRAMES_WAY, SMALLER_WAY
from convgif.views.scene import Scene


class View:
    """Defaults for the protocol; a view overrides what it does differently."""

    pace = "output"
    zoom = 1.0
    heat_levels = 0
    shade_ramps: tuple[str, ...] = ()
    own_colors = MappingProxyType({})
    ways_round: tuple[str, ...] = (MAX_FRAMES_WAY,)
    ways_smaller: str = SMALLER_WAY  # what a refusal of a frame too large suggests

    @property
    def width(self) -> float:
        """Of every scene, in layout units: a view with a ``layout`` has it there."""
        return self.layout.width

    @property
    def height(self) -> float:
        return self.layout.height

    def __len__(self) -> int:
        raise NotImplementedError

    def scene(self, index: int, *, since: int | None = None, shown: int | None = None) -> Scene:
        raise NotImplementedError

    def still(self, index: int) -> Scene:
        return self.scene(index)
