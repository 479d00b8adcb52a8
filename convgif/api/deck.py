"""Chosen frames of a layer's picture as a PowerPoint deck: ``convgif frames --format pptx``.

The deck of a whole animation is ``animate("conv.pptx")`` (``render.deck_view``); this is
the frames command's: the frames chosen as a frame folder chooses them (``frames``,
``every``), one slide each, numbered as the animation's counter numbers them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from convgif.api.options import FRAMES_KEYS, frame_positions, split_options
from convgif.frames.sampling import select_frames
from convgif.io.slides import EXTENSION, require_pptx

DECK_NAME = "frames.pptx"  # in the folder, beside where frames.tex would be
FEWER_WAYS = ("frames=... (--frames)", "every=N (--every)")


@dataclass(frozen=True)
class Deck:
    path: Path
    frames: list[int]  # animation frame number of each slide after the title, from 1
    total: int  # frames in the whole animation


def deck_path(output) -> Path:
    """``output`` itself when it ends in .pptx, else ``output/frames.pptx``."""
    path = Path(os.fspath(output))
    return path if path.suffix.lower() == EXTENSION else path / DECK_NAME


def frames_deck(output, layer, *, x=None, input_shape=None, frames=None, every=None,
                progress=None, **options) -> Deck:
    """Write the chosen frames (frame numbers from 1, negative from the end; ``every``:
    every n-th) as a deck at ``deck_path(output)``, after a title slide."""
    from convgif.api import render

    require_pptx("fmt", "pptx")
    output_options, options = split_options(options, FRAMES_KEYS)
    render.check_layer_size(layer, x, input_shape, options, output_options)
    pic = render.picture(layer, x=x, input_shape=input_shape, **options)
    total = len(pic)
    chosen = select_frames(total, frame_positions(frames, total), every)
    path = deck_path(output)
    render.deck_view(path, pic, output_options, progress, indices=chosen, ways=FEWER_WAYS)
    return Deck(path, [i + 1 for i in chosen], total)


__all__ = ["DECK_NAME", "Deck", "deck_path", "frames_deck"]
