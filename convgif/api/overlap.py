"""The overlap view's front door: the heat map of taps per cell, as a still or built up."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from convgif.api import render
from convgif.api.kinds import as_layer
from convgif.api.options import DEFAULT_OUTPUT, Output, output_options
from convgif.api.result import Rendered
from convgif.api.written import write_view
from convgif.errors import NAME, ConvGifError
from convgif.simulate import coverage
from convgif.views.overlap import ANIMATION_FORMATS, MIN_CELL, STILL_FORMATS, OverlapPicture


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
    hold=None,
    max_frames=None,
    force=False,
    progress=None,
) -> Rendered:
    """Write the overlap view of ``layer`` on ``input_shape`` (or ``x``'s shape) to ``path``;
    returns what it wrote (``convgif.api.result.Rendered``: path, frames, size, duration).

    ``.png``, ``.svg``, ``.pdf``: the finished heat map (a still). ``.gif``,
    ``.apng``, ``.webp``, ``.mp4``, ``.html``, ``.pptx``: built up one stamp at a time.
    ``layer`` may be a layer or its constructor call as a string; ``overlap_counts`` gives
    the counts themselves.
    """
    output = output_options(scale=scale, style=style, font=font, duration=duration, hold=hold,
                            max_frames=max_frames, force=force)
    view = overlap_view(path, layer, input_shape, x=x, cell=cell, output=output)
    return write_view(path, view, output, progress=progress)


def overlap_view(path, layer, input_shape=None, *, x=None, cell=None,
                 output: Output = DEFAULT_OUTPUT) -> OverlapPicture:
    """The overlap view ``overlap`` writes to ``path``, the path's format and the picture's
    size checked first (the command line reports its counts)."""
    if input_shape is None and x is not None:
        input_shape = np.shape(x)
    suffix = Path(os.fspath(path)).suffix.lower()
    if suffix not in STILL_FORMATS + ANIMATION_FORMATS:
        raise ConvGifError(
            f"{NAME}={os.fspath(path)!r} must end in one of "
            f"{', '.join(STILL_FORMATS + ANIMATION_FORMATS)}",
            "path",
        )
    layer = as_layer(layer)
    _check_size(layer, input_shape, cell, output, path if suffix in (".svg", ".pdf") else None)
    return OverlapPicture(layer, input_shape, cell)


def _check_size(layer, input_shape, cell, output, vector=None) -> None:
    """Before counting: refuse a heat map whose two grids (the input that stamps, the output
    it stamps on) break the budget at the smallest cell it is drawn with, or, for a vector
    still (``vector``: its path), hold more cells than it can draw in seconds."""
    if input_shape is None or isinstance(cell, bool) or not isinstance(
            cell, (int, float, type(None))):
        return  # refused by the view with its own message
    out = layer.output_shape(tuple(input_shape))
    n = layer.spec.ndim
    dims = [shape[-n - 1:-1] if layer.spec.channels_last else shape[-n:]
            for shape in (tuple(input_shape), out)]
    grids = [(1, d[0]) if len(d) == 1 else tuple(d[-2:]) for d in dims]
    least = cell if cell is not None and cell > 0 else MIN_CELL
    render.check_panels(grids, least * output.scale, output.force, render.SMALLER_INPUT)
    if vector is not None:
        render.check_vector_cells(vector, grids, output.force)
