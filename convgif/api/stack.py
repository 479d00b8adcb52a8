"""The receptive-field stack's front door: a stack of layers in, its walk back drawn."""

from __future__ import annotations

import os
from pathlib import Path

from convgif.api import render
from convgif.api.kinds import parse_stack
from convgif.api.options import DEFAULT_OUTPUT, Output, output_options
from convgif.api.result import Rendered
from convgif.api.written import write_view
from convgif.errors import NAME, ConvGifError, name_of, refuse
from convgif.simulate.receptive import ReceptiveField, check_stack, fields_of
from convgif.views.stack import ANIMATIONS, STILLS, StackPicture
from convgif.views.stack import MIN_CELL as MIN_MAP_CELL

MIN_CELL, MAX_CELL = 2, 200  # cell= in pixels at scale 1 (a stack's maps can be large)


def stack_layers(layers, input_shape, seed: int = 0) -> list:
    """The layers of a stack: parsed from text, as given, or a torch model's (or a
    ``Network``'s) convolution and pooling layers in order (``walk.chain_layers``)."""
    from convgif.api.network import Network, is_torch_module

    if is_torch_module(layers) or isinstance(layers, Network):
        from convgif.api.walk import chain_layers

        return chain_layers(layers, input_shape, seed)
    return parse_stack(layers, seed=seed)


def receptive_fields(layers, input_shape, *, output_cell=None, seed: int = 0) -> ReceptiveField:
    """Walk back from ``output_cell`` (default: channel 0 at the centre) of the last layer.

    ``layers``: a stack string (``"Conv2d(1, 6, 5) MaxPool2d(2)"``), a list of
    call strings or a list of layers, or a torch model (run once on ``input_shape``,
    needs torch) or a ``Network``: its Conv2d / MaxPool2d / AvgPool2d layers up to the
    last of them, activations and normalisation between them passing through.
    ``output_cell``: ``(y, x)`` or
    ``(channel, y, x)`` of the last layer's output (text such as ``"0,2,2"``
    too). Returns every feature map (input first) with its exact dependency
    mask, its padded-grid taps on padding, the analytic receptive field and
    jump, and the analytic box of the chosen cell's field in that map.
    """
    stack = stack_layers(layers, input_shape, seed)
    if output_cell is not None:
        output_cell = _output_cell(output_cell, check_stack(stack, input_shape)[-1])
    return fields_of(stack, input_shape, output_cell)


def _output_cell(given, shape) -> tuple[int, int, int]:
    """``(y, x)``, ``(channel, y, x)`` or their text, checked against the output's shape."""
    rule = "must be y,x or channel,y,x of the last layer's output, e.g. 0,2,2"
    try:
        cell = given.split(",") if isinstance(given, str) else given
        values = tuple(int(v) for v in cell)
        if not isinstance(given, str) and any(isinstance(v, bool) or int(v) != v for v in cell):
            raise ValueError
    except (TypeError, ValueError):
        raise refuse("output_cell", given, rule) from None
    values = (0, *values) if len(values) == 2 else values
    if len(values) != 3:
        raise refuse("output_cell", given, rule)
    if any(v < 0 or v >= n for v, n in zip(values, shape)):
        raise refuse(
            "output_cell", values, f"lies outside the last layer's output of shape "
            f"{tuple(shape)} (channel, y, x count from 0)"
        )
    return values


def _check_cell(cell) -> None:
    """``cell``: pixels per cell, as in every picture (the output cell is ``output_cell``)."""
    if cell is None:
        return
    if isinstance(cell, (tuple, list, str)):
        raise ConvGifError(
            f"{NAME}={cell!r}: {NAME} is the pixel size of a cell; the output cell is "
            f"{name_of('output_cell')}",
            "cell",
        )
    if isinstance(cell, bool) or not isinstance(cell, (int, float)) or not (
        MIN_CELL <= cell <= MAX_CELL  # NaN fails too
    ):
        raise refuse("cell", cell, f"must be a number of pixels from {MIN_CELL} to {MAX_CELL}")


def picture(layers, input_shape, *, output_cell=None, channels=None, cell=None, seed=0):
    """The StackPicture of a stack (a string of calls, a list of calls or of layers)."""
    _check_cell(cell)
    rf = receptive_fields(layers, input_shape, output_cell=output_cell, seed=seed)
    return StackPicture(rf, channels=channels, cell_size=cell)


def stack(
    path,
    layers,
    input_shape,
    *,
    output_cell=None,
    channels=None,
    cell=None,
    frame=-1,
    style="default",
    scale=1.0,
    font=None,
    duration=None,
    hold=None,
    seed=0,
) -> Rendered:
    """Write the receptive-field walk of a stack; the extension of ``path`` picks the kind.

    ``.gif`` / ``.apng`` / ``.webp`` / ``.mp4`` / ``.html`` / ``.pptx``: the animation, one
    layer per frame, from the chosen output cell back to the input. ``.png`` / ``.svg`` /
    ``.pdf``: one frame (``frame``, default the last: everything lit).
    ``output_cell``: the output cell of the last layer, ``(y, x)`` or
    ``(channel, y, x)`` (default: channel 0 at the centre). ``channels``: draw
    every channel (True), one representative grid (False), or decide (None: by
    channel when a layer has groups). ``cell``: pixels per cell at scale 1, as
    in every picture (default: the largest that fits a 1280-pixel-wide slide).
    Returns what it wrote (``convgif.api.result.Rendered``: path, frames, size, duration);
    ``receptive_fields`` gives the masks and numbers.
    """
    output = output_options(scale=scale, style=style, font=font, duration=duration, hold=hold)
    view = stack_view(path, layers, input_shape, output_cell=output_cell, channels=channels,
                      cell=cell, seed=seed, output=output)
    return write_view(path, view, output, frame=frame)


def stack_view(path, layers, input_shape, *, output_cell=None, channels=None, cell=None, seed=0,
               output: Output = DEFAULT_OUTPUT) -> StackPicture:
    """The StackPicture ``stack`` writes to ``path``, the path's format and the maps' size
    checked before walking back (the command line reports its ``rf``)."""
    suffix = Path(os.fspath(path)).suffix.lower()
    if suffix not in ANIMATIONS + STILLS:
        kinds = ", ".join(ANIMATIONS + STILLS)
        raise refuse("path", os.fspath(path), f"must end in one of {kinds}")
    _check_cell(cell)
    layers = stack_layers(layers, input_shape, seed)  # a model is run once, here
    shapes = check_stack(layers, input_shape)
    # every map is drawn, side by side at one cell size: refuse before walking back
    render.check_panels([shape[1:] for shape in shapes], (cell or MIN_MAP_CELL) * output.scale,
                        smaller="a smaller input-shape (--input-shape), scale= or cell= "
                        "(--scale, --cell)")
    if suffix in (".svg", ".pdf"):  # each cell a shape: refused before the walk is built
        render.check_vector_cells(path, [(1, *shape[1:])[-2:] for shape in shapes])
    return picture(layers, input_shape, output_cell=output_cell, channels=channels, cell=cell,
                   seed=seed)


__all__ = ["picture", "receptive_fields", "stack", "stack_view"]
