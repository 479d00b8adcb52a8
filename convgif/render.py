"""The renderer's front: a layer and an input in, frames and files out.

The Python API (``layer.animate``, ``layer.still``, ``layer.frames``) and the
CLI both call these functions.
"""

from __future__ import annotations

import numpy as np

from convgif.compose import Options, Picture
from convgif.errors import ConvGifError
from convgif.raster import RasterPainter

# Milliseconds a frame stays, by granularity; the first and last frames stay longer.
DURATIONS = {"output": 700, "channel": 450, "mac": 250}
OPEN_MS, HOLD_MS = 1200, 2500


def _input(layer, x, input_shape):
    if x is not None:
        return x
    if input_shape is None:
        raise ConvGifError("give the input: x=<array> or input_shape=(C, H, W)")
    return layer.example_input(input_shape)


def picture(
    layer, x=None, input_shape=None, *, step="output", values=None, lines=True, cell=None
) -> Picture:
    """Trace the layer on the input and lay the animation out."""
    trace = layer.trace(_input(layer, x, input_shape))
    return Picture(trace, Options(step=step, values=values, lines=lines, cell=cell))


def durations(pic: Picture, duration=None, hold=HOLD_MS) -> list[int]:
    each = DURATIONS[pic.options.step] if duration is None else duration
    for name, ms in (("duration", each), ("hold", hold)):
        if isinstance(ms, bool) or not isinstance(ms, (int, float)) or not 10 <= ms <= 60_000:
            raise ConvGifError(f"{name}={ms!r} must be a number of milliseconds from 10 to 60000")
    count = len(pic)
    return [max(each, OPEN_MS)] + [each] * (count - 2) + [hold]


def index_frames(pic: Picture, painter: RasterPainter, indices=None):
    """Palette-index frames, one at a time (memory stays bounded)."""
    for i in range(len(pic)) if indices is None else indices:
        yield painter.paint(pic.scene(i))


def animate(
    path,
    layer,
    x=None,
    input_shape=None,
    *,
    step="output",
    values=None,
    lines=True,
    cell=None,
    scale=1.0,
    style="default",
    font=None,
    duration=None,
    hold=HOLD_MS,
    progress=None,
):
    """Write the animation to ``path``; the extension picks the format.

    ``progress``: optional ``f(frames, total)`` that wraps the frame iterator
    (the CLI's progress bar).
    """
    from convgif.writers import write

    pic = picture(layer, x, input_shape, step=step, values=values, lines=lines, cell=cell)
    painter = RasterPainter(style, scale, font)
    times = durations(pic, duration, hold)
    frames = index_frames(pic, painter)
    if progress is not None:
        frames = progress(frames, len(pic))
    write(path, frames, painter.palette, times)
    return pic


def still(
    path,
    layer,
    frame=-1,
    x=None,
    input_shape=None,
    *,
    step="output",
    values=None,
    lines=True,
    cell=None,
    scale=1.0,
    style="default",
    font=None,
):
    """Write one frame (negative counts from the end) as a PNG."""
    from pathlib import Path

    from convgif.writers import write_png

    if Path(path).suffix.lower() != ".png":
        raise ConvGifError(f"path={str(path)!r}: a still is written as .png")
    pic = picture(layer, x, input_shape, step=step, values=values, lines=lines, cell=cell)
    painter = RasterPainter(style, scale, font)
    scene = pic.scene(frame)
    write_png(path, painter.paint(scene), painter.palette)
    return pic


def frames(
    layer,
    x=None,
    input_shape=None,
    *,
    step="output",
    values=None,
    lines=True,
    cell=None,
    scale=1.0,
    style="default",
    font=None,
):
    """Every frame as an (H, W, 3) uint8 RGB array."""
    pic = picture(layer, x, input_shape, step=step, values=values, lines=lines, cell=cell)
    painter = RasterPainter(style, scale, font)
    for indices in index_frames(pic, painter):
        yield np.asarray(painter.to_rgb(indices))
