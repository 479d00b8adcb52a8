"""Where the headline GIF's bytes go.

Renders Conv2d(3, 2, 3, stride=2, padding=1, dilation=2) on 3x7x7 as it is,
then again with one kind of window item left out of every frame, and prints
the GIF's size each time: the difference is what that item costs. The first
frame is the same in every variant; the changes carry the rest.

    python benchmarks/bench_gif_bytes.py
"""

from __future__ import annotations

import convgif
from convgif.api import render
from convgif.io import gif
from convgif.views import gather
from convgif.views.scene import Box, Line, Text

LAYER = convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)
SHAPE = (3, 7, 7)

VARIANTS = {
    "as rendered": lambda item: True,
    "without window outlines": lambda item: not (
        isinstance(item, Box) and item.edge == "window" and item.fill is None
    ),
    "without lit input cells' fill": lambda item: not (
        isinstance(item, Box) and item.fill == "tap"
    ),
    "without values in lit cells": lambda item: not isinstance(item, Text),
    "without connector lines": lambda item: not isinstance(item, Line),
    "without any window item": lambda item: False,
}


def sizes(keep) -> tuple[int, int, int]:
    """Bytes of the first frame, of all the changes, and how many changes."""
    window = gather.GatherPicture._window

    def kept(self, state, cell):
        return [item for item in window(self, state, cell) if keep(item)]

    gather.GatherPicture._window = kept
    try:
        pic = render.picture(LAYER, input_shape=SHAPE)
        painter = render.painter_for(pic)
        frames = list(render.painted(pic, painter))
    finally:
        gather.GatherPicture._window = window
    clear = len(painter.palette)
    changes = [gif.delta(a, b, clear) for a, b in zip(frames, frames[1:])]
    changed = [len(gif.lzw_image(*c)) for c in changes if c is not None]
    return len(gif.lzw_image(frames[0], 0, 0)), sum(changed), len(changed)


def main() -> None:
    print(f"{LAYER!r} on {SHAPE}")
    whole = None
    for name, keep in VARIANTS.items():
        first, changed, n = sizes(keep)
        total = first + changed
        whole = total if whole is None else whole
        cost = "" if total == whole else f"   ({(whole - total) / 1024:.1f} KB less)"
        print(f"  {name:32s}: {total / 1024:6.1f} KB = first frame {first / 1024:.1f} KB "
              f"+ {n} changes {changed / 1024:.1f} KB{cost}")


if __name__ == "__main__":
    main()
