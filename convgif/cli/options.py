"""The command line's options, as data: each defined once, shared by every command that takes it.

An option name means one thing in every command (``--cell`` is the pixel size
of a cell wherever it appears), and tuples are written with commas. The
tables here build the argparse tree (``convgif.cli.parser``) and give the
flag of each Python name, so an error about ``input_shape`` is shown as
``--input-shape`` without rewriting its text.
"""

from __future__ import annotations

import argparse
import math
from typing import NamedTuple

from convgif.layers import DEFAULT_INPUT, DEFAULT_LAYER

STYLES = ("default", "classic", "dark")


class Option(NamedTuple):
    """One option: its flags and argparse's keywords for it."""

    flags: tuple[str, ...]
    settings: dict  # never changed: ``but`` makes a new one

    @property
    def flag(self) -> str:
        """The long flag, as the help and the errors spell it."""
        return next((f for f in self.flags if f.startswith("--")), self.flags[0])

    @property
    def dest(self) -> str:
        """The Python name of its value (argparse's dest)."""
        return self.settings.get("dest") or self.flag.lstrip("-").replace("-", "_")

    def but(self, **settings) -> Option:
        """The same option with other defaults or help."""
        return self._replace(settings={**self.settings, **settings})


class Group(NamedTuple):
    """Options shown together under ``title`` in --help, or of which one at most is given."""

    options: tuple[Option, ...]
    title: str | None = None
    exclusive: bool = False


def option(*flags: str, **settings) -> Option:
    return Option(flags, settings)


def number(flag: str, kind=float, minimum=None, above=None):
    """An argparse type: a finite number (``kind``) of at least ``minimum`` / above ``above``.

    The message names the option, so a bad --scale never reads as a renderer's scale=.
    """
    rule = "a whole number" if kind is int else "a number"
    if minimum is not None:
        rule += f" of at least {minimum}"
    elif above is not None:
        rule += f" above {above}"

    def convert(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag}={text} must be {rule}") from None
        if kind is float and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{flag}={text} must be {rule}, not {text}")
        if (minimum is not None and value < minimum) or (above is not None and value <= above):
            raise argparse.ArgumentTypeError(f"{flag}={text} must be {rule}")
        return value

    return convert


def _counted(flag: str, help: str, minimum: int = 1) -> Option:
    return option(flag, type=number(flag, int, minimum=minimum), help=help)


# --------------------------------------------------------------------------- layer and input

LAYER = option(
    "--layer",
    help="the constructor call as written in PyTorch or Keras code "
    f"(default: {DEFAULT_LAYER!r}); literals only, never evaluated",
)
LAYER_FLAGS = Group(
    (
        _counted("--in-channels", "input channels (default: from the input shape)"),
        _counted("--out-channels", "output channels"),
        option("--kernel-size", help="3 or 5,2"),
        option("--stride", help="2 or 2,1"),
        option("--padding", help="1, 1,2, same, valid, or before:after per axis (1:2,0:1)"),
        option("--dilation", help="2 or 2,1"),
        _counted("--groups", "groups (default: 1)"),
        option("--no-bias", action="store_true", default=None, help="no bias"),
        option("--padding-mode", choices=("zeros", "reflect", "replicate", "circular")),
        option("--transposed", action="store_true", default=None,
               help="a transposed convolution (ConvTranspose1d/2d)"),
        option("--output-padding", help="transposed layers: 1 or 1,0"),
    ),
    title="the layer as flags (instead of --layer; Conv1d/2d/3d by the input's rank)",
)
INPUT_SHAPE = option(
    "--input-shape",
    help=f"input shape, channels first for PyTorch layers (default: {DEFAULT_INPUT})",
)
INPUT = (
    INPUT_SHAPE,
    option("--input", help="the input as a .npy file (instead of --input-shape)"),
    option(
        "--image", nargs="?", const=True,
        help="a photo as the input (RGB for in_channels=3, gray for 1), shrunk to --image-size; "
        "with no path, matplotlib's sample photo grace_hopper.jpg",
    ),
    option(
        "--image-size", type=int,
        help="--image's longer side in cells (default: the largest up to 32 whose frame is "
        "landscape and fits 1920x1080)",
    ),
)
SEED = option("--seed", type=number("--seed", int, minimum=0), default=0,
              help="seed of the example weights and input")
LAYER_AND_INPUT = (LAYER, LAYER_FLAGS, *INPUT, SEED)

# --------------------------------------------------------------------------- pictures

QUIET = option("--quiet", "-q", action="store_true", help="no summary line")
STYLE = option("--style", default="default", choices=STYLES)
SCALE = option("--scale", type=number("--scale", above=0), default=1.0, help="size multiplier")
CELL = option("--cell", type=number("--cell", above=0),
              help="pixel size of a cell at scale 1 (default: auto)")
FONT = option("--font", help="a font family name (e.g. 'Noto Sans CJK JP', for CJK labels) "
              "or a font file")
VALUES = Group(
    (
        option("--values", nargs="?", const="numbers", default=None,
               choices=("numbers", "symbols"),
               help="always write values in cells: numbers (the default) or symbols "
               "(x, w, y with indices)"),
        option("--no-values", dest="values", action="store_const", const="none",
               help="never write values in cells"),
    ),
    exclusive=True,
)
PICTURE = (
    option("--step", default="auto", choices=("auto", "output", "channel", "mac"),
           help="auto (default): a loop of about 30 s, the first output channel cell by "
           "cell, the others a block of cells a frame; output: every output cell (the "
           "full walk); channel: one frame per input channel; mac: one per MAC (the scatter "
           "view: auto or output, its stamps in blocks or each)"),
    option("--view", default="gather", choices=("gather", "scatter", "matrix"),
           help="gather (default); scatter (transposed layers: each input cell stamps "
           "value x kernel); matrix (the layer as y = C x, one row of C per frame)"),
    option("--flip", action="store_true",
           help="true convolution: the kernel rotated 180 degrees (x * w), not the "
           "cross-correlation PyTorch computes"),
    option("--grad", choices=("input", "weight", "bias"),
           help="draw this gradient of the backward pass instead (seeded output gradient): "
           "input (gather: a transposed convolution; scatter: each output-gradient cell "
           "stamps grad x kernel), weight (gather: each weight cell's correlation; scatter: "
           "x_window x grad stamped as the window slides), bias"),
    option("--weight-cell",
           help="with --grad weight --view scatter: the weight cell the caption follows, "
           "e.g. 1,0,2,2 (default: the first)"),
    STYLE,
    SCALE,
    CELL.but(help="pixel size of a cell at scale 1, 4 to 200 (default: auto)"),
    VALUES,
    option("--no-lines", dest="lines", action="store_false", help="no connector lines"),
    FONT,
    option("--channels",
           help="output channels to animate and show, e.g. 0-3 or 0,5,9 (default: all)"),
    option("--outputs",
           help="output cells to animate: rows,cols (1-d: one range), e.g. 0-3,0-3 or 2,0-7 "
           "(default: all; the others stay empty)"),
    QUIET.but(help="no progress bar, no summary line"),
)
DURATION = option("--duration", type=number("--duration", above=0), help="milliseconds per frame")
HOLD = option("--hold", type=number("--hold", above=0), default=2500,
              help="milliseconds on the last frame")
MAX_FRAMES = option(
    "--max-frames", type=number("--max-frames", int, minimum=2),
    help="keep this many frames, evenly spread (first and last kept; the counter says which)",
)
FORCE = option("--force", action="store_true",
               help="go ahead past the limits (5,000 frames, 8,000 px frames, ~200 MB files)")
ANIMATION = (DURATION, HOLD, MAX_FRAMES, FORCE)


def output(default: str, what: str = "output file") -> Option:
    return option("-o", "--output", default=default, help=f"{what} (default: %(default)s)")


def frame_choice(every: bool) -> Group:
    """--frames (numbers), or with ``every`` --every N."""
    frames = option("--frames",
                    help="frame numbers from 1, as the counter writes them, separated by "
                         "commas (negative: from the end, -1 the last)")
    every_nth = _counted("--every", "every Nth frame (and the last)")
    return Group((frames, every_nth) if every else (frames,), exclusive=True)


def flatten(parts) -> list[Option]:
    """Every Option of a command's parts, groups opened."""
    found = []
    for part in parts:
        found += list(part.options) if isinstance(part, Group) else [part]
    return found


LAYER_FLAG_NAMES = tuple(o.dest for o in LAYER_FLAGS.options)


def examples_text(lines) -> str:
    """A command's examples as its help's epilog."""
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)
