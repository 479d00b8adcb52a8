"""The overlap view's front door: the heat map of taps per cell, as a still or built up."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from convgif.api.kinds import as_layer
from convgif.backends.style import heat_style
from convgif.errors import NAME, ConvGifError
from convgif.simulate import coverage
from convgif.views.overlap import (
    ANIMATION_FORMATS,
    STEP_MS,
    STILL_FORMATS,
    OverlapPicture,
)


def overlap_counts(layer, input_shape) -> np.ndarray:
    """Products adding into each cell, for one sample (``convgif.simulate.coverage``).

    ``layer`` may be a layer or its constructor call as a string.
    """
    return coverage.overlap_counts(as_layer(layer), input_shape)


def overlap(
    path,
    layer,
    input_shape=None,
    *,
    x=None,
    style="default",
    scale=1.0,
    font=None,
    cell=None,
    duration=None,
    hold=2500,
    max_frames=None,
    force=False,
    progress=None,
) -> OverlapPicture:
    """Write the overlap view of ``layer`` on ``input_shape`` (or ``x``'s shape) to ``path``.

    ``.png``, ``.svg``, ``.pdf``: the finished heat map (a still). ``.gif``,
    ``.apng``, ``.webp``, ``.mp4``: built up one stamp at a time. ``layer``
    may be a layer or its constructor call as a string.
    """
    from convgif.api import render
    from convgif.backends.raster import RasterPainter

    if input_shape is None and x is not None:
        input_shape = np.shape(x)
    suffix = Path(os.fspath(path)).suffix.lower()
    if suffix not in STILL_FORMATS + ANIMATION_FORMATS:
        raise ConvGifError(
            f"{NAME}={os.fspath(path)!r} must end in one of "
            f"{', '.join(STILL_FORMATS + ANIMATION_FORMATS)}",
            "path",
        )
    pic = OverlapPicture(as_layer(layer), input_shape, cell)
    style = heat_style(style, len(pic.levels))
    if suffix in STILL_FORMATS:
        render.write_still(path, pic.scene(-1, counter=False), style, scale, font)
        return pic
    painter = RasterPainter(style, scale, font)
    from convgif.io.writers import write

    indices = render.frame_indices(pic, max_frames)
    if len(indices) > render.MAX_FRAMES and not force:
        raise ConvGifError(
            f"this overlap animation has {len(indices):,} frames, one per stamp (limit "
            f"{render.MAX_FRAMES:,}): use max_frames=N (--max-frames), a smaller input, a still "
            "(.png, .svg, .pdf), or force=True (--force)"
        )
    render.check_budget(pic, painter.scale, len(indices), force)
    if len(indices) < len(pic):
        pic.shown = len(indices)
    times = render.durations(pic, STEP_MS if duration is None else duration, hold, len(indices))
    frames = (painter.paint(pic.scene(i)) for i in indices)
    if progress is not None:
        frames = progress(frames, len(indices))
    write(path, frames, painter.palette, times)
    return pic
