"""The renderer's front: a layer and an input in, frames and files out.

The Python API (``layer.animate``, ``layer.still``, ``layer.frames``) and the
CLI both call these functions.
"""

from __future__ import annotations

import numpy as np

from convgif.compose import Options, Picture, ScatterPicture
from convgif.errors import ConvGifError
from convgif.raster import RasterPainter

# Milliseconds a frame stays, by granularity; the first and last frames stay longer.
DURATIONS = {"output": 700, "channel": 450, "mac": 250}
OPEN_MS, HOLD_MS = 1200, 2500
STILL_FORMATS = (".png", ".svg", ".pdf")


def _input(layer, x, input_shape):
    if x is not None:
        return x
    if input_shape is None:
        raise ConvGifError("give the input: x=<array> or input_shape=(C, H, W)")
    return layer.example_input(input_shape)


VIEWS = ("gather", "scatter")


def picture(
    layer,
    x=None,
    input_shape=None,
    *,
    step="output",
    values=None,
    lines=True,
    cell=None,
    view="gather",
    **unknown,
) -> Picture:
    """Trace the layer on the input and lay the animation out.

    Every render function passes its other keywords here: ``step``
    ('output' | 'channel' | 'mac'), ``values`` (None: when they fit),
    ``lines``, ``cell`` (size in pixels at scale 1) and ``view`` ('gather',
    or 'scatter' for transposed layers: each input cell stamps value × kernel).
    """
    if unknown:
        raise ConvGifError(f"{next(iter(unknown))}= is not an option of convgif's renderer")
    if view not in VIEWS:
        raise ConvGifError(f"view={view!r} must be one of {', '.join(map(repr, VIEWS))}")
    trace = layer.trace(_input(layer, x, input_shape))
    kind = ScatterPicture if view == "scatter" else Picture
    return kind(trace, Options(step=step, values=values, lines=lines, cell=cell))


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
    scale=1.0,
    style="default",
    font=None,
    duration=None,
    hold=HOLD_MS,
    progress=None,
    **options,
):
    """Write the animation to ``path``; the extension picks the format.

    ``progress``: optional ``f(frames, total)`` that wraps the frame iterator
    (the CLI's progress bar).
    """
    from convgif.writers import write

    pic = picture(layer, x, input_shape, **options)
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
    scale=1.0,
    style="default",
    font=None,
    **options,
):
    """Write one frame (negative counts from the end) as a PNG, SVG or PDF."""
    import os
    from pathlib import Path

    suffix = Path(os.fspath(path)).suffix.lower()
    if suffix not in STILL_FORMATS:
        raise ConvGifError(
            f"path={os.fspath(path)!r}: a still is written as {', '.join(STILL_FORMATS)}"
        )
    pic = picture(layer, x, input_shape, **options)
    if suffix == ".png":
        from convgif.writers import write_png

        painter = RasterPainter(style, scale, font)
        write_png(path, painter.paint(pic.scene(frame)), painter.palette)
    else:
        from convgif import vector

        vector.write(path, pic.scene(frame), style, scale, font)
    return pic


def draw(
    ax,
    layer,
    input_shape=None,
    x=None,
    frame=-1,
    *,
    style="default",
    font=None,
    **options,
):
    """Draw one frame (negative counts from the end) into a matplotlib ``Axes``; returns it.

    The axes gets the scene's limits, equal aspect, a downward y axis and no
    axis lines; text sizes follow the axes' size at the time of the call.
    """
    from convgif import vector

    pic = picture(layer, x, input_shape, **options)
    return vector.draw_scene(ax, pic.scene(frame), style, font)


def frames(
    layer,
    x=None,
    input_shape=None,
    *,
    scale=1.0,
    style="default",
    font=None,
    **options,
):
    """Every frame as an (H, W, 3) uint8 RGB array."""
    pic = picture(layer, x, input_shape, **options)
    painter = RasterPainter(style, scale, font)
    for indices in index_frames(pic, painter):
        yield np.asarray(painter.to_rgb(indices))
