"""What a render verb gives back: the file it wrote, described in a user's terms.

``layer.animate``, ``layer.still`` (and ``convgif.render``'s verbs behind them) and a
notebook player's ``save`` return a ``Rendered``; ``convgif.show``'s player has the same
``frames``, ``size`` and ``duration_ms``. It says what the file holds, not how it was drawn:
the views that draw it stay inside the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Rendered:
    """A written picture.

    ``path``: the file written. ``frames``: how many frames it holds (1 for a still; an
    animation's frames as its counter numbers them; a GIF merges identical neighbours, so it
    may store fewer, each staying as long as they would have together). ``size``: (width,
    height) of a frame in pixels, as painted (an SVG, PDF or HTML page is drawn at that size
    and scales). ``duration_ms``: one loop of the animation, the sum of its frames'
    durations (0 for a still).
    """

    path: Path | None  # None: not written (a player's own description)
    frames: int
    size: tuple[int, int]
    duration_ms: int

    @property
    def width(self) -> int:
        return self.size[0]

    @property
    def height(self) -> int:
        return self.size[1]
