"""The receptive-field stack's front door: a stack of layers in, its walk back drawn."""

from __future__ import annotations

import os
from pathlib import Path

from convgif.api import render
from convgif.api.kinds import parse_stack
from convgif.api.options import output_options
from convgif.errors import ConvGifError
from convgif.simulate.receptive import ReceptiveField, fields_of
from convgif.views.stack import ANIMATIONS, STILLS, StackPicture


def receptive_fields(layers, input_shape, cell=None, seed: int = 0) -> ReceptiveField:
    """Walk back from ``cell`` (default: channel 0 at the centre) of the last layer's output.

    ``layers``: a stack string (``"Conv2d(1, 6, 5) MaxPool2d(2)"``), a list of
    call strings or a list of layers. Returns every feature map (input first)
    with its exact dependency mask, its padded-grid taps on padding, the
    analytic receptive field and jump, and the analytic box of the chosen
    cell's field in that map.
    """
    return fields_of(parse_stack(layers, seed=seed), input_shape, cell)


def picture(layers, input_shape, cell=None, *, channels=None, cell_size=None, seed=0):
    """The StackPicture of a stack (a string of calls, a list of calls or of layers)."""
    rf = receptive_fields(layers, input_shape, cell, seed=seed)
    return StackPicture(rf, channels=channels, cell_size=cell_size)


def stack(
    path,
    layers,
    input_shape,
    cell=None,
    *,
    channels=None,
    cell_size=None,
    frame=-1,
    style="default",
    scale=1.0,
    font=None,
    duration=None,
    hold=None,
    seed=0,
):
    """Write the receptive-field walk of a stack; the extension of ``path`` picks the kind.

    ``.gif`` / ``.apng`` / ``.webp`` / ``.mp4``: the animation, one layer per
    frame, from the chosen output cell back to the input. ``.png`` / ``.svg`` /
    ``.pdf``: one frame (``frame``, default the last: everything lit).
    ``cell``: the output cell of the last layer, ``(y, x)`` or ``(channel, y, x)``
    (default: channel 0 at the centre). ``channels``: draw every channel
    (True), one representative grid (False), or decide (None: by channel when
    a layer has groups). ``cell_size``: pixels per cell at scale 1 (default:
    the largest that fits a 1280-pixel-wide slide). Returns the StackPicture;
    its ``rf`` holds the masks and numbers.
    """
    suffix = Path(os.fspath(path)).suffix.lower()
    if suffix not in ANIMATIONS + STILLS:
        raise ConvGifError(
            f"path={os.fspath(path)!r} must end in one of {', '.join(ANIMATIONS + STILLS)}"
        )
    output = output_options(scale=scale, style=style, font=font, duration=duration, hold=hold)
    pic = picture(layers, input_shape, cell, channels=channels, cell_size=cell_size, seed=seed)
    if suffix in STILLS:
        return render.still_view(path, pic, frame, output)
    return render.animate_view(path, pic, output)


__all__ = ["picture", "receptive_fields", "stack"]
