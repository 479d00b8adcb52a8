"""The renderer's front: a layer and an input in, frames and files out.

The Python API (``layer.animate``, ``layer.still``, ``layer.frames``) and the
CLI both call these functions.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np

from convgif.backends.raster import RasterPainter
from convgif.errors import ConvGifError
from convgif.frames.storyboard import Storyboard
from convgif.views.gather import Options, Picture, ScatterPicture

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


VIEWS = ("gather", "scatter", "matrix")
LEGIBLE_VALUE = 10  # px: the smallest value text a photo's animation settles for
MIN_CELL, MAX_CELL = 4, 200  # cell= in pixels at scale 1


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
    channels=None,
    flip=False,
    image=None,
    image_size=None,
    outputs=None,
    **unknown,
) -> Picture:
    """Trace the layer on the input and lay the animation out.

    Every render function passes its other keywords here: ``step``
    ('output' | 'channel' | 'mac'), ``values`` (None: when they fit),
    ``lines``, ``cell`` (size in pixels at scale 1), ``view`` ('gather',
    or 'scatter' for transposed layers: each input cell stamps value × kernel)
    or 'matrix': the layer as ``y = C·x + b``, one row of C per frame),
    ``channels`` (the output channels to animate, e.g. ``range(4)``),
    ``outputs`` (the output cells to animate, one range per axis: ``"0-3,0-3"``
    or ``(range(4), range(4))``; the other cells stay empty) and
    ``flip`` (True: true convolution, the kernel rotated 180°; the output is
    then ``x ∗ w``, not the layer's cross-correlation).
    ``image``: a photo as the input (a path, or True for matplotlib's sample
    photo), shrunk until its longer side is ``image_size`` cells (default:
    the largest up to 16 at which the pixel values still fit in the cells).
    """
    if unknown:
        raise ConvGifError(f"{next(iter(unknown))}= is not an option of convgif's renderer")
    if view not in VIEWS:
        raise ConvGifError(f"view={view!r} must be one of {', '.join(map(repr, VIEWS))}")
    if not isinstance(flip, bool):
        raise ConvGifError(f"flip={flip!r} must be True or False")
    if view == "matrix":
        from convgif.views.matrix import MatrixPicture as kind
    else:
        kind = ScatterPicture if view == "scatter" else Picture
    if channels is not None:
        try:
            channels = tuple(int(c) for c in channels)
        except (TypeError, ValueError):
            raise ConvGifError(f"channels={channels!r} must be a list of channel numbers") from None
    if cell is not None and (
        isinstance(cell, bool)
        or not isinstance(cell, (int, float))
        or not MIN_CELL <= cell <= MAX_CELL  # NaN fails too
    ):
        raise ConvGifError(
            f"cell={cell!r} must be a number of pixels from {MIN_CELL} to {MAX_CELL} (or None)"
        )
    options = Options(
        step=step, values=values, lines=lines, cell=cell, channels=channels, flip=flip
    )
    if image is not None and image is not False:
        return _image_picture(kind, layer, x, input_shape, image, image_size, options, outputs)
    x = _input(layer, x, input_shape)
    return _picture(kind, layer, x, options, outputs)


def _picture(kind, layer, x, options: Options, outputs):
    """Trace (only the output channels shown, in the gather view) and lay out."""
    if options.flip:
        if layer.spec.in_channels is None and hasattr(layer, "built_for"):
            layer = layer.built_for(np.shape(x))  # a Keras layer gets its weights here
        layer = flipped(layer)
    if options.channels is not None and kind is Picture:
        # Frames show only these output channels: the others are not simulated.
        trace = layer.trace(x, out_channels=options.channels)
    else:
        trace = layer.trace(x)
    if outputs is not None:
        from convgif.frames.storyboard import output_region

        options = replace(options, outputs=output_region(outputs, trace.out_spatial))
    return kind(trace, options)


def _image_picture(kind, layer, x, input_shape, image, image_size, options, outputs):
    """A photo as the input: by default the largest size (longer side 16 cells or less)
    whose picture writes the values (pixel values 0..255) in the cells at 10 px or more."""
    from convgif.io.images import ANIMATION_SIDE, SAMPLE, check_image, image_input

    if x is not None or input_shape is not None:
        raise ConvGifError("give image= or x= / input_shape=, not both")
    check_image(image)
    sizes = [image_size] if image_size is not None else range(ANIMATION_SIDE, 3, -1)
    name = SAMPLE if image is True else Path(image).name
    for size in sizes:
        x = image_input(layer, image, size)
        rows, cols = x.shape[:2] if layer.spec.channels_last else x.shape[1:]
        source = f"the photo {name}, shrunk to {rows} \u00d7 {cols}"
        pic = _picture(kind, layer, x, replace(options, source=source), outputs)
        # values of 10 px and up read on a slide; the renderer's own floor (8 px) is too small
        if options.values is not None or pic.show_values and pic.value_size >= LEGIBLE_VALUE:
            break
    return pic


def flipped(layer):
    """A copy of a convolution whose kernel is rotated 180° in every spatial axis.

    Cross-correlating with it is the true convolution ``x ∗ w`` with the
    original ``w``, so every number the picture shows adds up.
    """
    import copy

    if layer.spec.op != "conv":
        why = (
            "a transposed layer's gather view already slides the flipped kernel"
            if layer.spec.transposed
            else "pooling has no kernel"
        )
        raise ConvGifError(
            f"flip=True needs a convolution (Conv1d/2d/3d), not {layer.spec.name}: {why}"
        )
    weight = layer.weight  # drawn now, so the copy shares the seeded parameters
    twin = copy.copy(layer)
    twin._weight = np.ascontiguousarray(np.flip(weight, tuple(range(2, weight.ndim))))
    return twin


# What a render may cost before it needs force=True.
MAX_FRAMES, MAX_SIDE, MAX_BYTES = 5_000, 8_000, 200 * 1024**2
BYTES_PER_CHANGED_PIXEL = 0.35  # measured on the gallery's GIFs: a frame changes ~5% of its pixels


def durations(pic: Picture, duration=None, hold=HOLD_MS, count=None) -> list[int]:
    each = DURATIONS[pic.options.step] if duration is None else duration
    for name, ms in (("duration", each), ("hold", hold)):
        if isinstance(ms, bool) or not isinstance(ms, (int, float)) or not 10 <= ms <= 60_000:
            raise ConvGifError(f"{name}={ms!r} must be a number of milliseconds from 10 to 60000")
    count = len(pic) if count is None else count
    if count == 1:
        return [hold]
    return [max(each, OPEN_MS)] + [each] * (count - 2) + [hold]


def frame_indices(pic: Picture, max_frames=None) -> list[int]:
    """Every frame, or ``max_frames`` of them evenly spread (first and last kept)."""
    count = len(pic)
    if max_frames is None:
        return list(range(count))
    if isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 2:
        raise ConvGifError(f"max_frames={max_frames!r} must be a whole number of at least 2")
    if max_frames >= count:
        return list(range(count))
    return sorted(set(np.linspace(0, count - 1, max_frames).round().astype(int).tolist()))


def check_budget(pic: Picture, scale: float, frames: int, force: bool = False) -> None:
    """Refuse, before any work, a render that would swamp the machine (unless forced)."""
    if force:
        return
    width, height = pic.layout.width * scale, pic.layout.height * scale
    estimate = width * height * (1 + 0.05 * frames) * BYTES_PER_CHANGED_PIXEL
    if frames > MAX_FRAMES:
        # Only the ways round that apply: a coarser step, fewer of several output channels
        # (a gather storyboard's; the scatter and overlap views walk input cells).
        ways = ["max_frames=N (--max-frames)"]
        board = getattr(pic, "storyboard", None)
        if isinstance(board, Storyboard):
            if board.step != "output":
                ways.insert(0, f"step='output' instead of {board.step!r}")
            if len(board.channels or range(board.trace.out_channels)) > 1:
                ways.append("fewer channels= (--channels)")
        raise ConvGifError(
            f"this animation has {frames:,} frames (limit {MAX_FRAMES:,}): use "
            + ", ".join(ways) + ", or force=True (--force)"
        )
    if max(width, height) > MAX_SIDE:
        raise ConvGifError(
            f"a frame would be {width:.0f} x {height:.0f} pixels (limit {MAX_SIDE:,}): use a "
            "smaller scale= or cell= (--scale, --cell), or force=True (--force)"
        )
    if estimate > MAX_BYTES:
        raise ConvGifError(
            f"the file would be about {estimate / 1024**2:,.0f} MB (limit "
            f"{MAX_BYTES // 1024**2} MB): use max_frames=N (--max-frames), a smaller scale= "
            "(--scale), or force=True (--force)"
        )


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
    max_frames=None,
    force=False,
    **options,
):
    """Write the animation to ``path``; the extension picks the format.

    ``max_frames`` keeps that many frames, evenly spread; ``force`` lifts the
    limits on frame count, frame size and file size. ``progress``: optional
    ``f(frames, total)`` that wraps the frame iterator (the CLI's progress bar).
    """
    from convgif.io.writers import write

    pic = picture(layer, x, input_shape, **options)
    painter = RasterPainter(style, scale, font)
    indices = frame_indices(pic, max_frames)
    check_budget(pic, painter.scale, len(indices), force)
    if len(indices) < len(pic):
        pic.shown = len(indices)
    times = durations(pic, duration, hold, count=len(indices))
    frames = index_frames(pic, painter, indices)
    if progress is not None:
        frames = progress(frames, len(indices))
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
    force=False,
    **options,
):
    """Write one frame (negative counts from the end) as a PNG, SVG or PDF.

    ``force`` lifts the limit on the frame's size."""
    suffix = Path(os.fspath(path)).suffix.lower()
    if suffix not in STILL_FORMATS:
        raise ConvGifError(
            f"path={os.fspath(path)!r}: a still is written as {', '.join(STILL_FORMATS)}"
        )
    pic = picture(layer, x, input_shape, **options)
    from convgif.backends.raster import check_scale

    check_budget(pic, check_scale(scale), 1, force)
    write_still(path, pic.scene(frame), style, scale, font)
    return pic


def _suffix(path) -> str:
    return Path(os.fspath(path)).suffix.lower()


def write_still(path, scene, style, scale, font) -> None:
    """One scene as a PNG (raster backend) or an SVG / PDF (vector backend), by extension."""
    if _suffix(path) == ".png":
        from convgif.io.writers import write_png

        painter = RasterPainter(style, scale, font)
        write_png(path, painter.paint(scene), painter.palette)
    else:
        from convgif.backends import vector
        from convgif.io.writers import write_bytes

        write_bytes(path, vector.encode(scene, _suffix(path), style, scale, font))


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
    from convgif.backends import vector

    # a matplotlib Axes (only vector.py imports matplotlib, so no isinstance check here)
    if not all(hasattr(ax, name) for name in ("add_patch", "set_xlim", "get_window_extent")):
        raise ConvGifError(
            f"ax={ax!r} must be a matplotlib Axes, e.g. from plt.subplots() or fig.add_subplot()"
        )
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
