"""The one loop: any view in, any file or frames out.

Every picture (a layer's gather, scatter and matrix views, the overlap heat
map, the receptive-field stack, a photo's feature maps, a contact sheet) is a
view (``convgif.views.view``); these
functions turn a view into an animation, a still, frames or a drawing, with
the same budget checks, sampling, timing and writers. The layer verbs
(``layer.animate``, ``layer.still``, ``layer.frames``, ``convgif.draw``) build
the layer's view and call them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from convgif.api.options import (
    DEFAULT_OUTPUT,
    FRAMES_KEYS,
    STILL_KEYS,
    Output,
    frame_position,
    output_options,
    picture_options,
    split_options,
)
from convgif.api.pictures import picture
from convgif.api.result import Rendered
from convgif.backends.raster import RasterPainter
from convgif.backends.style import heat_style, own_style, shade_style
from convgif.errors import NAME, ConvGifError, name_of, refuse, shown
from convgif.frames import budget, timing
from convgif.frames.sampling import spread
from convgif.layers.spec import check_layer
from convgif.views.view import View

STILL_FORMATS = (".png", ".svg", ".pdf")
PAGE_FORMAT = ".html"  # the step-through player
DECK_FORMAT = ".pptx"  # PowerPoint: a slide per frame (convgif.io.slides)
SMALLER_INPUT = "a smaller input, scale= or cell= (--input-shape, --scale, --cell)"
PHOTO_KEYS = ("image", "image_size", "outputs", "shade", "grad", "weight_cell")  # picture()'s
# A vector still draws every cell as a matplotlib patch, about a thousand a second: a 300 x 300
# input took over two minutes and 2.8 GB; 10,000 cells (a 70 x 70 input) take about 10 s.
MAX_VECTOR_CELLS = 10_000
MAX_VECTOR_ITEMS = 30_000  # any vector picture's shapes: a cell is a box and its value
LEAST_CELL = 3.5  # px at scale 1: no layer picture paints a cell smaller (views.sizes' ladder)


def _suffix(path) -> str:
    return Path(os.fspath(path)).suffix.lower()


def view_style(view: View, style="default"):
    """The style plus the colours the view adds: its heat scale, its value shades, its own
    (a photo's)."""
    if view.heat_levels:
        style = heat_style(style, view.heat_levels)
    if view.shade_ramps:
        style = shade_style(style, view.shade_ramps)
    if view.own_colors:
        style = own_style(style, view.own_colors)
    return style


def painter_for(view: View, style="default", scale=1.0, font=None) -> RasterPainter:
    """The raster painter of a view: the style, plus the colours the view adds; its
    frames ``scale`` times the view's own size."""
    return RasterPainter(view_style(view, style), frame_scale(view, scale), font)


def frame_scale(view: View, scale=1.0) -> float:
    """Pixels per layout unit: ``scale`` (the user's) times the view's ``zoom``."""
    return scale * view.zoom


def frame_indices(view: View, max_frames=None) -> list[int]:
    """Every frame of the view, or ``max_frames`` of them evenly spread."""
    return spread(len(view), max_frames)


def durations(view: View, duration=None, hold=None, count=None) -> list[int]:
    """Milliseconds of each frame (of ``count`` kept frames), from the view's pace."""
    return timing.durations(view.pace, len(view) if count is None else count, duration, hold)


def check_budget(view: View, scale: float, frames: int, force: bool = False) -> None:
    """Refuse, before any work, a render that would swamp the machine (unless forced; a
    frame too large to paint at all is refused even then)."""
    budget.check_budget(view.width * scale, view.height * scale, frames, view.ways_round, force,
                        view.ways_smaller)


def check_panels(panels, pixels: float, force: bool = False,
                 smaller: str = budget.SMALLER_WAY) -> None:
    """Refuse, from shapes alone (before tracing or laying out anything), a picture whose
    grids ``panels`` ((rows, cols) each, all drawn whole, none overlapping) would not fit
    the budget even at ``pixels`` a cell: its frame is at least the largest grid a side, two
    grids side by side or one above the other, and their area."""
    grids = [(max(1, rows) * pixels, max(1, cols) * pixels) for rows, cols in panels]
    side = max(max(g) for g in grids)
    if len(grids) > 1:
        side = max(side, min(sum(g[0] for g in grids), sum(g[1] for g in grids)))
    area = sum(h * w for h, w in grids)
    budget.check_budget(side, max(1.0, area / side), 1, force=force, smaller=smaller, least=True)


def check_layer_size(layer, x=None, input_shape=None, options=None,
                     output: Output = DEFAULT_OUTPUT, vector=None) -> None:
    """Before tracing: refuse a layer's picture (gather or scatter view) whose input and output
    grids alone would break the budget at the smallest cell a picture is painted with, or,
    for a vector still (``vector``: its path), hold more cells than it can draw in seconds."""
    options = options or {}
    layer = check_layer(layer)  # a non-layer is named before its size is asked for
    shape = np.shape(x) if x is not None else input_shape
    try:
        dims = () if shape is None else tuple(shape)
    except TypeError:
        raise refuse("input_shape", shape, "must be a tuple of sizes, e.g. (3, 7, 7)") from None
    if shape is None or 0 in dims or options.get("image") not in (None, False) or (
            options.get("view") == "matrix"):  # a photo is sized to fit; the matrix view
        return  # checks its own size; an empty batch is refused with its own reason
    # the picture's options checked first (as picture() will again): a bad cell= is named
    _, checked = picture_options(**{k: v for k, v in options.items() if k not in PHOTO_KEYS})
    spec = layer.spec
    shape = tuple(shape)
    out = layer.output_shape(shape)  # a bad shape is refused here, as it would be later

    def grid(dims):  # rows and columns of one channel (a 3-d input: one depth slice)
        if len(dims) < spec.ndim + 1:  # a global pool's (N, C): one cell a channel
            return (1, 1)
        dims = dims[-spec.ndim - 1:-1] if spec.channels_last else dims[-spec.ndim:]
        return (1, dims[0]) if len(dims) == 1 else tuple(dims[-2:])

    cell = checked.cell or LEAST_CELL
    check_panels((grid(shape), grid(out)), cell * output.scale, output.force, SMALLER_INPUT)
    if vector:
        check_vector_cells(vector, (grid(shape), grid(out)), output.force)


def check_vector_cells(path, grids, force: bool = False) -> None:
    """Before a vector still is built: refuse grids of more cells than it draws in seconds."""
    cells = sum(rows * cols for rows, cols in grids)
    if cells > MAX_VECTOR_CELLS and not force:
        raise ConvGifError(
            f"{NAME}={shown(os.fspath(path))}: a vector still draws each cell as a shape, "
            f"and this one has {cells:,} (limit {MAX_VECTOR_CELLS:,}; matplotlib draws about "
            f"a thousand a second): write .png, or use a smaller input "
            f"({name_of('input_shape')}, {name_of('x')})",
            "path",
        )


def scenes(view: View, indices, shown=None):
    """The scenes of the chosen frames in order, each holding what settled since the one
    before, for ``RasterPainter.paint_walk``."""
    before = None
    for i in indices:
        yield view.scene(i, since=before, shown=shown)
        before = i


def painted(view: View, painter: RasterPainter, indices=None, shown=None) -> Iterator[np.ndarray]:
    """Palette-index frames, one at a time (memory stays bounded)."""
    indices = range(len(view)) if indices is None else indices
    return painter.paint_walk(
        scenes(view, indices, shown), whole=lambda k: view.scene(indices[k], shown=shown)
    )


def animate_view(path, view: View, output: Output = DEFAULT_OUTPUT, progress=None) -> View:
    """Write the view's animation to ``path``; the extension picks the format.

    ``output.max_frames`` keeps that many frames, evenly spread (the counter says
    so); ``output.force`` lifts the limits on frame count, frame size and file size.
    ``progress``: optional ``f(frames, total)`` that wraps the frame iterator.
    """
    from convgif.io.writers import write

    if _suffix(path) == PAGE_FORMAT:  # a page of its own: drawn by the browser, not painted
        from convgif.io.files import write_bytes

        write_bytes(path, html_page(view, output).encode("utf-8"))
        return view
    if _suffix(path) == DECK_FORMAT:
        deck_view(path, view, output, progress)
        return view
    painter = painter_for(view, output.style, output.scale, output.font)
    indices = frame_indices(view, output.max_frames)
    check_budget(view, painter.scale, len(indices), output.force)
    times = durations(view, output.duration, output.hold, count=len(indices))
    shown = len(indices) if len(indices) < len(view) else None
    frames = painted(view, painter, indices, shown)
    if progress is not None:
        frames = progress(frames, len(indices))
    write(path, frames, painter.palette, times)
    return view


def html_page(view: View, output: Output = DEFAULT_OUTPUT, autoplay: bool = True) -> str:
    """The view as a self-contained HTML page that steps through its frames (see
    ``convgif.backends.player``): the frames, timing and budget of its animation."""
    from convgif.backends import player

    data = player_data(view, output, autoplay)
    return player.page(data, player.title_of(view.scene(0)))


def player_data(view: View, output: Output = DEFAULT_OUTPUT, autoplay: bool = True) -> dict:
    """What a player draws (``convgif.backends.player.player_data``): the frames, timing
    and budget of the view's animation."""
    from convgif.backends import player

    indices = frame_indices(view, output.max_frames)
    check_budget(view, frame_scale(view, output.scale), len(indices), output.force)
    times = durations(view, output.duration, output.hold, count=len(indices))
    shown = len(indices) if len(indices) < len(view) else None
    return player.player_data(view.width, view.height, scenes(view, indices, shown), times,
                              view_style(view, output.style), output.font, autoplay)


def rendered(path, view: View, output: Output = DEFAULT_OUTPUT, still: bool = False) -> Rendered:
    """What the view's animation (or, ``still``, one frame) written to ``path`` holds
    (``path`` None: what it would hold)."""
    path = None if path is None else Path(os.fspath(path))
    scale = frame_scale(view, output.scale)
    size = (round(view.width * scale), round(view.height * scale))
    if still:
        return Rendered(path, 1, size, 0)
    count = len(frame_indices(view, output.max_frames))
    total = sum(durations(view, output.duration, output.hold, count=count))
    return Rendered(path, count, size, int(total))


def deck_view(path, view: View, output: Output = DEFAULT_OUTPUT, progress=None, indices=None,
              ways=None) -> int:
    """Write the view as a PowerPoint deck (``convgif.io.slides``): a title slide, then a slide
    per frame (``indices``; default: the animation's), painted to fill a 16:9 slide at 1920 px
    times ``output.scale``, its caption in the speaker notes. Returns the frames written.
    ``ways``: what a refusal of too many slides suggests (default: the view's)."""
    from convgif.backends.player import caption_lines, title_of
    from convgif.io import slides

    slides.require_pptx("path", os.fspath(path))
    sampled = indices is None
    indices = frame_indices(view, output.max_frames) if sampled else list(indices)
    if len(indices) > budget.MAX_PAGED_FRAMES:  # not lifted by force: a deck no one can page
        raise ConvGifError(f"{len(indices):,} slides (limit {budget.MAX_PAGED_FRAMES:,} a deck): "
                           f"use {', '.join(ways or view.ways_round)}")
    scale = output.scale * slides.fit_scale(view.width * view.zoom, view.height * view.zoom)
    painter = painter_for(view, output.style, scale, output.font)
    check_budget(view, painter.scale, len(indices), output.force)
    shown = len(indices) if sampled and len(indices) < len(view) else None
    captions: list[tuple[str, ...]] = []

    def noted(walk):  # each scene's caption, read as the painter takes the scene
        for scene in walk:
            captions.append(caption_lines(scene))
            yield scene

    frames = painter.paint_walk(noted(scenes(view, indices, shown)),
                                whole=lambda k: view.scene(indices[k], shown=shown))
    if progress is not None:
        frames = progress(frames, len(indices))
    cover = slides.Cover(getattr(view, "title", "") or title_of(view.scene(0)),
                         getattr(view, "subtitle", ""), painter.style.rgb("paper"),
                         painter.style.rgb("ink"), tuple(getattr(view, "title_lines", ())))
    return slides.write_deck(path, ((frame, captions[k]) for k, frame in enumerate(frames)),
                             painter.palette, cover)


def still_view(path, view: View, frame=-1, output: Output = DEFAULT_OUTPUT) -> View:
    """Write frame ``frame`` of the view (numbered from 1 as its counter writes it, negative
    from the end) as a PNG, SVG or PDF."""
    if _suffix(path) not in STILL_FORMATS:
        raise refuse("path", os.fspath(path), f"must end in one of {', '.join(STILL_FORMATS)}")
    index = frame_position(frame, len(view))
    scale = frame_scale(view, output.scale)
    check_budget(view, scale, 1, output.force)
    scene = view.still(index)
    if _suffix(path) != ".png":
        check_vector_items(path, scene, output.force)
    write_still(path, scene, view_style(view, output.style), scale, output.font)
    return view


def check_vector_items(path, scene, force: bool = False) -> None:
    """Refuse an SVG / PDF of more shapes than matplotlib draws in seconds (any view: a
    stack, an overlap map, a contact sheet), before drawing any."""
    items = len(scene.static) + len(scene.settled) + len(scene.dynamic)
    if items > MAX_VECTOR_ITEMS and not force:
        raise ConvGifError(
            f"{NAME}={shown(os.fspath(path))}: a vector picture draws each cell, line and "
            f"text as a shape, and this one has {items:,} (limit {MAX_VECTOR_ITEMS:,}; "
            f"matplotlib draws about two thousand a second): write .png, or use a smaller "
            f"input ({name_of('input_shape')}, {name_of('x')})",
            "path",
        )


def write_still(path, scene, style, scale, font) -> None:
    """One scene as a PNG (raster backend) or an SVG / PDF (vector backend), by extension."""
    if _suffix(path) == ".png":
        from convgif.io.writers import write_png

        painter = RasterPainter(style, scale, font)
        write_png(path, painter.paint(scene), painter.palette)
    else:
        from convgif.backends import vector
        from convgif.io.files import write_bytes

        write_bytes(path, vector.encode(scene, _suffix(path), style, scale, font))


def rgb_frames(view: View, *, scale=1.0, style="default", font=None) -> Iterator[np.ndarray]:
    """Every frame of the view as an (H, W, 3) uint8 RGB array."""
    painter = painter_for(view, style, scale, font)
    for indices in painted(view, painter):
        yield np.asarray(painter.to_rgb(indices))


def draw_view(ax, view: View, frame=-1, *, style="default", font=None):
    """Draw frame ``frame`` of the view (from 1, negative from the end) into a matplotlib
    ``Axes``; returns it."""
    from convgif.backends import vector

    # a matplotlib Axes (only the vector backend imports matplotlib: no isinstance here)
    if not all(hasattr(ax, name) for name in ("add_patch", "set_xlim", "get_window_extent")):
        raise ConvGifError(
            f"ax={ax!r} must be a matplotlib Axes, e.g. from plt.subplots() or fig.add_subplot()"
        )
    return vector.draw_scene(ax, view.still(frame_position(frame, len(view))),
                             view_style(view, style), font)


# --------------------------------------------------------------------------- a layer's views


def animate(path, layer, *, x=None, input_shape=None, progress=None, **options) -> Rendered:
    """Write the animation of ``layer`` on its input to ``path`` (see ``animate_view``);
    returns what it wrote (``convgif.api.result.Rendered``).

    ``options``: how to paint and write it (``scale``, ``style``, ``font``,
    ``duration``, ``hold``, ``max_frames``, ``force``: ``convgif.api.options``) and
    the picture's own (``convgif.api.pictures.picture``), all checked before any work.
    """
    output, options = split_options(options)
    check_layer_size(layer, x, input_shape, options, output)
    view = picture(layer, x=x, input_shape=input_shape, **options)
    animate_view(path, view, output, progress)
    return rendered(path, view, output)


def still(path, layer, *, frame=-1, x=None, input_shape=None, **options) -> Rendered:
    """Write frame ``frame`` of the layer's picture (from 1, as the counter writes it;
    negative counts from the end) as a PNG, SVG or PDF. ``force`` lifts the limit on the
    frame's size. Returns what it wrote (``convgif.api.result.Rendered``)."""
    output, _ = split_options(options, STILL_KEYS)
    view = still_picture(path, layer, frame=frame, x=x, input_shape=input_shape, **options)
    return rendered(path, view, output, still=True)


def still_picture(path, layer, *, frame=-1, x=None, input_shape=None, **options) -> View:
    """``still``, returning the view it drew a frame of (the command line counts its
    frames)."""
    if _suffix(path) not in STILL_FORMATS:
        raise refuse(
            "path", os.fspath(path), f"must end in one of {', '.join(STILL_FORMATS)} (a still)"
        )
    output, options = split_options(options, STILL_KEYS)
    vector = path if _suffix(path) != ".png" else None
    check_layer_size(layer, x, input_shape, options, output, vector)
    view = picture(layer, x=x, input_shape=input_shape, **options)
    return still_view(path, view, frame, output)


def draw(ax, layer, *, x=None, input_shape=None, frame=-1, style="default", font=None,
         **options):
    """Draw frame ``frame`` (from 1; negative counts from the end) into a matplotlib
    ``Axes``; returns it.

    The axes gets the scene's limits, equal aspect, a downward y axis and no
    axis lines; text sizes follow the axes' size at the time of the call.
    """
    if not all(hasattr(ax, name) for name in ("add_patch", "set_xlim", "get_window_extent")):
        raise ConvGifError(
            f"ax={ax!r} must be a matplotlib Axes, e.g. from plt.subplots() or fig.add_subplot()"
        )
    output_options(style=style, font=font, animated=False)
    view = picture(layer, x=x, input_shape=input_shape, **options)
    return draw_view(ax, view, frame, style=style, font=font)


def frames(layer, *, x=None, input_shape=None, **options):
    """Every frame of the layer's picture as an (H, W, 3) uint8 RGB array."""
    output, options = split_options(options, FRAMES_KEYS)
    view = picture(layer, x=x, input_shape=input_shape, **options)
    return rgb_frames(view, scale=output.scale, style=output.style, font=output.font)
