"""The ``convgif`` command: parse, call the pipeline, report.

Errors are one line on stderr and exit status 2, never a traceback. Heavy
modules (the renderer, Pillow, matplotlib, torch) are imported inside the
subcommand that needs them, so ``--help`` stays fast. Every subcommand is a
thin wrapper around a function of the Python API (``render``, ``export``,
``info``, ``frameworks``).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading

from convgif.errors import ConvGifError
from convgif.layers.parse import DEFAULT_INPUT, DEFAULT_LAYER, parse_shape

DEFAULT_OUTPUT = "outputs/conv2d.gif"

__all__ = ["DEFAULT_INPUT", "DEFAULT_LAYER", "DEFAULT_OUTPUT", "build_parser", "main"]

LAYER = f'--layer "{DEFAULT_LAYER}"'


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors: one line, exit 2
        # "convgif: error: render: ..." (main adds "convgif: error:"), not "convgif" twice
        command = self.prog.removeprefix("convgif").strip()
        raise ConvGifError(f"{command}: {message}" if command else message)


def number(flag: str, kind=float, minimum=None, above=None):
    """An argparse type: a finite number (``kind``) of at least ``minimum`` / above ``above``.

    The message names the option, so a bad --scale never reads as a renderer's scale=.
    """
    what = "a whole number" if kind is int else "a number"
    rule = what
    if minimum is not None:
        rule += f" of at least {minimum}"
    elif above is not None:
        rule += f" above {above}"

    def convert(text: str):
        import math

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


def _sub(sub, name: str, help: str, description: str, examples: list[str]):
    return sub.add_parser(
        name,
        help=help,
        description=description,
        epilog="examples:\n" + "\n".join(f"  {e}" for e in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    from convgif import __version__

    parser = _Parser(
        prog="convgif",
        description="See what a convolution layer does: an exact simulation, "
        "rendered to GIFs and stills. With no command, convgif renders "
        f"(with no arguments at all: the default layer to {DEFAULT_OUTPUT}).",
        epilog="examples:\n"
        "  convgif                                   # the default layer -> "
        f"{DEFAULT_OUTPUT}\n"
        f"  convgif info {LAYER} --input-shape {DEFAULT_INPUT}\n"
        "  convgif render --in-channels 1 --out-channels 1 --kernel-size 3 --padding 1 "
        "--input-shape 1,5,5 -o conv.gif\n"
        "  convgif frames -o slides/frames && convgif sheet -o sheet.png\n"
        "  convgif trace -o macs.csv && convgif batch renders.toml\n\n"
        "`convgif COMMAND --help` shows each command's options and examples.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"convgif {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    info = _sub(
        sub,
        "info",
        "shape arithmetic, parameter and MAC counts, PyTorch and Keras equivalents",
        "Print the output shape with the formula filled in, the parameter count, the MAC "
        "count, and the same layer written for PyTorch and for Keras.",
        [
            f"convgif info {LAYER} --input-shape {DEFAULT_INPUT}",
            "convgif info --layer \"layers.Conv2D(16, 5, strides=2, padding='same')\" "
            "--input-shape 28,28,1 --json",
            "convgif info --in-channels 3 --out-channels 8 --kernel-size 5x3 --padding same "
            "--input-shape 3,32,32",
        ],
    )
    _layer_arguments(info)
    info.add_argument("--json", action="store_true", help="print JSON for scripts")

    render = _sub(
        sub,
        "render",
        "render the animation of a layer (the default command)",
        "Simulate a layer and write its animation; the extension of -o picks the format "
        "(.gif, .png/.apng, .webp, .mp4). The layer is --layer or the layer flags.",
        [
            "convgif render                      # the default layer -> " + DEFAULT_OUTPUT,
            f"convgif render {LAYER} --input-shape 3,7,7 -o conv.gif",
            "convgif render --in-channels 3 --out-channels 2 --kernel-size 3 --stride 2 "
            "--padding 1 --dilation 2 --input-shape 3,7,7 -o conv.gif   # the same bytes",
            'convgif render --layer "Conv1d(1, 1, 3, padding=1)" --input-shape 1,9 --step mac '
            "-o conv1d.gif",
            'convgif render --layer "ConvTranspose2d(1, 1, 3, stride=2)" --input-shape 1,3,3 '
            "--view scatter -o scatter.gif",
            'convgif render --layer "Conv2d(1, 1, 3)" --input x.npy -o mine.webp',
        ],
    )
    _layer_arguments(render)
    render.add_argument(
        "-o", "--output", default=DEFAULT_OUTPUT, help=f"output file (default: {DEFAULT_OUTPUT})"
    )
    _picture_arguments(render)
    render.add_argument(
        "--duration", type=number("--duration", above=0), help="milliseconds per frame"
    )
    render.add_argument(
        "--hold", type=number("--hold", above=0), default=2500,
        help="milliseconds on the last frame",
    )
    render.add_argument(
        "--max-frames",
        type=number("--max-frames", int, minimum=2),
        help="keep this many frames, evenly spread (first and last kept; the counter says which)",
    )
    render.add_argument(
        "--force",
        action="store_true",
        help="go ahead past the limits (5,000 frames, 8,000 px frames, ~200 MB files)",
    )

    still = _sub(
        sub,
        "still",
        "write one frame as a PNG (or SVG / PDF)",
        "Write one frame of the animation (negative counts from the end).",
        [
            f"convgif still {LAYER} --frame 5 -o frame5.png",
            "convgif still --frame -1 --style dark -o result.png",
        ],
    )
    _layer_arguments(still)
    still.add_argument("-o", "--output", default="outputs/still.png", help="output file")
    still.add_argument(
        "--frame", type=number("--frame", int), default=-1,
        help="frame number (default: the last)",
    )
    _picture_arguments(still)

    frames = _sub(
        sub,
        "frames",
        "every frame as numbered files, plus a LaTeX Beamer snippet",
        "Write the frames as FOLDER/frame_0001.png, frame_0002.png, ... and "
        "FOLDER/frames.tex, an \\animategraphics call for the LaTeX animate package "
        "(also printed). Files are numbered 1, 2, 3... in the order chosen.",
        [
            "convgif frames -o outputs/frames",
            f"convgif frames {LAYER} --every 3 -o slides/conv",
            "convgif frames --frames 0,5,9,-1 --format pdf -o slides/conv",
        ],
    )
    _layer_arguments(frames)
    frames.add_argument(
        "-o", "--output", default="outputs/frames", help="folder (default: outputs/frames)"
    )
    _frame_choice(frames, every=True)
    frames.add_argument(
        "--format",
        default="png",
        choices=("png", "pdf", "svg"),
        help="file format of the frames (default: png)",
    )
    frames.add_argument(
        "--fps", type=number("--fps", above=0),
        help="frames per second in the snippet (default: the animation's)",
    )
    _picture_arguments(frames)

    sheet = _sub(
        sub,
        "sheet",
        "a contact sheet: chosen frames in a grid, as one PNG",
        "Write a grid of frames (default: about 8, evenly spaced), each labelled with its "
        "frame number, as one PNG.",
        [
            "convgif sheet -o sheet.png",
            f"convgif sheet {LAYER} --frames 0,3,6,9 --columns 2 -o sheet.png",
        ],
    )
    _layer_arguments(sheet)
    sheet.add_argument(
        "-o", "--output", default="outputs/sheet.png", help="output .png (default: %(default)s)"
    )
    _frame_choice(sheet, every=False)
    sheet.add_argument(
        "--count", type=number("--count", int, minimum=1), default=8,
        help="frames when --frames is not given",
    )
    sheet.add_argument(
        "--columns", type=number("--columns", int, minimum=1),
        help="tiles per row (default: up to 4)",
    )
    _picture_arguments(sheet)

    trace = _sub(
        sub,
        "trace",
        "every multiply-accumulate to CSV, JSON Lines or npz",
        "Write the trace's MAC records: .csv (a header row of field names, one row per MAC), "
        ".jsonl (one JSON object per MAC) or .npz (one array per field, plus input, grid, "
        "output, weight, bias). Records are streamed; memory stays bounded.",
        [
            "convgif trace -o macs.csv",
            f"convgif trace {LAYER} --input-shape 3,7,7 -o macs.npz",
            'convgif trace --layer "ConvTranspose2d(1, 1, 3, stride=2)" --input-shape 1,3,3 '
            "--view scatter -o stamps.jsonl",
        ],
    )
    _layer_arguments(trace)
    trace.add_argument(
        "-o", "--output", default="outputs/trace.csv", help="output file (default: %(default)s)"
    )
    trace.add_argument(
        "--view",
        default="gather",
        choices=("gather", "scatter"),
        help="record order; scatter (transposed layers): each input cell's stamps",
    )
    trace.add_argument("--quiet", "-q", action="store_true", help="no summary")

    features = _sub(
        sub,
        "features",
        "a photo beside the feature maps of one kernel, as one PNG",
        "Put a photo (shrunk to --max-side if larger) beside the output feature maps of a "
        "preset kernel (edge, blur, sharpen: 3x3, on each channel, replicate padding) or of "
        "--layer with its own weights (--kernel layer).",
        [
            "convgif features --image --kernel edge -o features.png",
            "convgif features --image photo.jpg --kernel blur -o blur.png",
            'convgif features --image --kernel layer --layer "Conv2d(3, 4, 3, stride=2)" '
            "-o mine.png",
        ],
    )
    features.add_argument(
        "--image",
        nargs="?",
        const=True,
        default=True,
        help="the photo (default, or with no path: matplotlib's sample grace_hopper.jpg)",
    )
    features.add_argument("--kernel", default="edge", choices=("edge", "blur", "sharpen", "layer"))
    features.add_argument(
        "--layer", help="with --kernel layer: the layer, e.g. \"Conv2d(3, 4, 3)\""
    )
    features.add_argument("-o", "--output", default="outputs/features.png",
                          help="output .png (default: %(default)s)")
    features.add_argument("--max-side", type=int, default=640,
                          help="shrink larger photos to this many pixels (default: 640)")
    features.add_argument("--font", help="a TrueType font file or name")
    features.add_argument("--seed", type=int, default=0, help="seed of --layer's weights")
    features.add_argument("--quiet", "-q", action="store_true", help="no summary line")

    stack = _sub(
        sub,
        "stack",
        "the receptive field of one output cell through a stack of layers",
        "Walk back from one output cell of the last layer to the input, lighting in every "
        "feature map the cells it depends on, with each map's receptive field and jump. "
        "LAYERS: Conv2d / MaxPool2d / AvgPool2d calls one after another, in quotes. "
        ".gif/.webp/.apng/.mp4 write the animation (one layer per frame), .png/.svg/.pdf "
        "the last frame (everything lit).",
        [
            'convgif stack "Conv2d(1,6,5) MaxPool2d(2) Conv2d(6,16,5) MaxPool2d(2)" '
            "--input-shape 1,32,32 -o stack.png",
            'convgif stack "Conv2d(1,6,5) MaxPool2d(2) Conv2d(6,16,5) MaxPool2d(2)" '
            "--input-shape 1,32,32 --cell 3,0,4 -o stack.gif",
            'convgif stack "Conv2d(8, 8, 3, groups=8) Conv2d(8, 16, 1)" --input-shape 8,7,7 '
            "-o separable.gif",
        ],
    )
    stack.add_argument("layers", help="the layers as constructor calls, e.g. "
                       "\"Conv2d(1,6,5) MaxPool2d(2)\"")
    stack.add_argument("--input-shape", required=True, help="the input's shape C,H,W")
    stack.add_argument("-o", "--output", default="outputs/stack.png",
                       help="output file (default: %(default)s)")
    stack.add_argument("--cell", help="the output cell of the last layer: y,x or channel,y,x "
                       "(default: channel 0 at the centre)")
    drawn = stack.add_mutually_exclusive_group()
    drawn.add_argument("--by-channel", dest="by_channel", action="store_true", default=None,
                       help="draw every channel (default when a layer has groups)")
    drawn.add_argument("--one-grid", dest="by_channel", action="store_false",
                       help="draw one grid per map: the cells lit in any channel")
    stack.add_argument("--cell-size", type=float, help="pixels per cell (default: fit 1280 px)")
    stack.add_argument("--frame", type=int, default=-1, help="the frame of a still (default: last)")
    stack.add_argument("--style", default="default", choices=("default", "classic", "dark"))
    stack.add_argument("--scale", type=float, default=1.0, help="size multiplier")
    stack.add_argument("--font", help="a TrueType font file or name")
    stack.add_argument("--duration", type=float, default=1400, help="milliseconds per frame")
    stack.add_argument("--hold", type=float, default=3500, help="milliseconds on the last frame")
    stack.add_argument("--seed", type=int, default=0, help="seed of the layers' weights")
    stack.add_argument("--quiet", "-q", action="store_true", help="no summary line")

    batch = _sub(
        sub,
        "batch",
        "many renders from one TOML file, in parallel",
        "Render every [[render]] table of a TOML file, in parallel across cores. Keys: "
        "layer, input_shape or input (a .npy file) or image (a photo; image_size), output, "
        "seed, step, style, scale, cell, values, lines, font, duration, hold, view, channels, "
        "flip, outputs, max_frames, force. Relative paths are relative to the TOML file. An "
        "entry that fails is reported; the others still render; the exit status is 2 if any "
        "failed.",
        [
            "convgif batch renders.toml",
            "convgif batch renders.toml --workers 2 --quiet",
            "",
            "renders.toml:",
            "  [[render]]",
            f'  layer = "{DEFAULT_LAYER}"',
            '  input_shape = "3,7,7"',
            '  output = "out/conv.gif"',
            "  [[render]]",
            '  layer = "MaxPool2d(2)"',
            "  input_shape = [1, 6, 6]",
            '  output = "out/pool.webp"',
            '  style = "dark"',
        ],
    )
    batch.add_argument("file", help="the TOML file")
    batch.add_argument(
        "--workers", type=number("--workers", int, minimum=1),
        help="processes (default: every core)",
    )
    batch.add_argument("--quiet", "-q", action="store_true", help="no progress bar, no summary")
    _teaching_views(sub)
    return parser


def _teaching_views(sub) -> None:
    """The overlap (checkerboard) view and the cost charts."""
    overlap = _sub(
        sub,
        "overlap",
        "heat map of how many kernel taps land on each output cell (the checkerboard)",
        "Draw how many products add into each output cell of a transposed layer (kernel taps "
        "x input channels per group): uneven where the kernel size is not a multiple of the "
        "stride. For other layers: how many products read each input cell (windows x output "
        "channels per group). .png/.svg/.pdf: the finished map; .gif/.apng/.webp/.mp4: built "
        "up one stamp at a time.",
        [
            'convgif overlap --layer "ConvTranspose2d(1, 1, 3, stride=2)" --input-shape 1,4,4 '
            "-o overlap.png",
            'convgif overlap --layer "ConvTranspose2d(1, 1, 4, stride=2, padding=1)" '
            "--input-shape 1,4,4 -o even.gif",
            'convgif overlap --layer "Conv2d(1, 1, 3, stride=2)" --input-shape 1,9,9 '
            "-o coverage.svg",
        ],
    )
    _layer_arguments(overlap)
    overlap.add_argument("-o", "--output", default="outputs/overlap.png", help="output file")
    overlap.add_argument("--style", default="default", choices=("default", "classic", "dark"))
    overlap.add_argument("--scale", type=float, default=1.0, help="size multiplier")
    overlap.add_argument("--cell", type=float, help="cell size in pixels at scale 1")
    overlap.add_argument("--font", help="a TrueType font file or name")
    overlap.add_argument("--duration", type=float, help="milliseconds per frame (default: 600)")
    overlap.add_argument("--hold", type=float, default=2500, help="milliseconds on the last frame")
    overlap.add_argument("--max-frames", type=int, help="keep this many frames, evenly spread")
    overlap.add_argument("--force", action="store_true", help="go ahead past the frame limits")
    overlap.add_argument("--quiet", "-q", action="store_true", help="no summary line")

    cost = _sub(
        sub,
        "cost",
        "chart parameters, MACs and output size (and measured time) as one argument grows",
        "Plot the parameter count, the MACs and the output size of a layer against one swept "
        "argument (any constructor argument, in_channels, or size: the input's spatial size). "
        "-o picks the format: .png/.svg/.pdf (a chart) or .csv/.json (the table). A value that "
        "makes an invalid layer is refused.",
        [
            'convgif cost --layer "Conv2d(3, 16, 3)" --input-shape 3,64,64 '
            "--sweep out_channels=1,2,4,8,16,32 -o cost.png",
            'convgif cost --layer "Conv2d(3, 16, 3)" --input-shape 3,64,64 --sweep size=16,32,64 '
            "--measure -o cost.svg",
            'convgif cost --layer "Conv2d(8, 8, 3)" --input-shape 8,32,32 --sweep groups=1,2,4,8 '
            "-o groups.csv",
        ],
    )
    _layer_arguments(cost)
    cost.add_argument("--sweep", required=True, help="NAME=V1,V2,..., e.g. out_channels=1,2,4,8")
    cost.add_argument("-o", "--output", default="outputs/cost.png", help="output file")
    cost.add_argument(
        "--measure", action="store_true", help="also time the torch layer (needs torch)"
    )
    cost.add_argument("--repeats", type=int, default=9, help="timed runs per value (median)")
    cost.add_argument("--threads", type=int, default=1, help="torch CPU threads when measuring")
    cost.add_argument("--quiet", "-q", action="store_true", help="no summary line")


def _frame_choice(parser, every: bool) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--frames", help="frame numbers from 0, separated by commas (negative: from the end)"
    )
    if every:
        group.add_argument(
            "--every", type=number("--every", int, minimum=1), help="every Nth frame (and the last)"
        )


def _picture_arguments(parser) -> None:
    parser.add_argument(
        "--step",
        default="output",
        choices=("output", "channel", "mac"),
        help="one frame per output cell (default), input channel, or MAC",
    )
    parser.add_argument(
        "--view",
        default="gather",
        choices=("gather", "scatter", "matrix"),
        help="gather (default); scatter (transposed layers: each input cell stamps "
        "value x kernel); matrix (the layer as y = C x, one row of C per frame)",
    )
    parser.add_argument(
        "--flip",
        action="store_true",
        help="true convolution: the kernel rotated 180 degrees (x * w), not the "
        "cross-correlation PyTorch computes",
    )
    parser.add_argument("--style", default="default", choices=("default", "classic", "dark"))
    parser.add_argument(
        "--scale", type=number("--scale", above=0), default=1.0, help="size multiplier"
    )
    parser.add_argument(
        "--cell", type=number("--cell", above=0),
        help="cell size in pixels at scale 1, 4 to 200 (default: auto)",
    )
    values = parser.add_mutually_exclusive_group()
    values.add_argument(
        "--values",
        dest="values",
        nargs="?",
        const="numbers",
        default=None,
        choices=("numbers", "symbols"),
        help="always write values in cells: numbers (the default) or symbols "
        "(x, w, y with indices)",
    )
    values.add_argument(
        "--no-values",
        dest="values",
        action="store_const",
        const="none",
        help="never write values in cells",
    )
    parser.add_argument("--no-lines", dest="lines", action="store_false", help="no connector lines")
    parser.add_argument("--font", help="a TrueType font file or name (e.g. for CJK labels)")
    parser.add_argument(
        "--channels", help="output channels to animate and show, e.g. 0-3 or 0,5,9 (default: all)"
    )
    parser.add_argument(
        "--outputs",
        help="output cells to animate: rows,cols (1-d: one range), e.g. 0-3,0-3 or 2,0-7 "
        "(default: all; the others stay empty)",
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bar, no summary line"
    )


# The layer as flags: name, argparse keywords.
LAYER_FLAGS = (
    (
        "--in-channels",
        {
            "type": number("--in-channels", int, minimum=1),
            "help": "input channels (default: from the input shape)",
        },
    ),
    (
        "--out-channels",
        {"type": number("--out-channels", int, minimum=1), "help": "output channels"},
    ),
    ("--kernel-size", {"help": "3 or 5x2"}),
    ("--stride", {"help": "2 or 2x1"}),
    ("--padding", {"help": "1, 1x2, same, valid, or l,r,t,b (F.pad order)"}),
    ("--dilation", {"help": "2 or 2x1"}),
    ("--groups", {"type": number("--groups", int, minimum=1), "help": "groups (default: 1)"}),
    ("--no-bias", {"action": "store_true", "default": None, "help": "no bias"}),
    ("--padding-mode", {"choices": ("zeros", "reflect", "replicate", "circular")}),
    (
        "--transposed",
        {
            "action": "store_true",
            "default": None,
            "help": "a transposed convolution (ConvTranspose1d/2d)",
        },
    ),
    ("--output-padding", {"help": "transposed layers: 1 or 1x0"}),
)


def _layer_arguments(parser) -> None:
    parser.add_argument(
        "--layer",
        help="the constructor call as written in PyTorch or Keras code "
        f"(default: {DEFAULT_LAYER!r}); literals only, never evaluated",
    )
    group = parser.add_argument_group(
        "the layer as flags (instead of --layer; Conv1d/2d/3d by the input's rank)"
    )
    for flag, kwargs in LAYER_FLAGS:
        group.add_argument(flag, **kwargs)
    parser.add_argument(
        "--input-shape",
        help=f"input shape, channels first for PyTorch layers (default: {DEFAULT_INPUT})",
    )
    parser.add_argument("--input", help="the input as a .npy file (instead of --input-shape)")
    parser.add_argument(
        "--image",
        nargs="?",
        const=True,
        help="a photo as the input (RGB for in_channels=3, gray for 1), shrunk to --image-size; "
        "with no path, matplotlib's sample photo grace_hopper.jpg",
    )
    parser.add_argument(
        "--image-size",
        type=int,
        help="--image's longer side in cells (default: the largest up to 16 at which the "
        "pixel values fit in the cells)",
    )
    parser.add_argument(
        "--seed", type=number("--seed", int, minimum=0), default=0,
        help="seed of the example weights and input",
    )


# --------------------------------------------------------------------------- layer and input


def _sizes(flag: str, text: str):
    """'3' -> 3, '5x2' / '5,2' -> (5, 2)."""
    parts = [p.strip() for p in str(text).replace("x", ",").split(",")]
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        raise ConvGifError(
            f"{flag}={text!r} must be an integer or integers joined by x, e.g. 3 or 5x2"
        ) from None
    return values[0] if len(values) == 1 else values


def layer_from_flags(args, input_shape, seed: int = 0):
    """Build the layer the flags describe with the same constructor ``--layer`` uses."""
    from convgif.api.kinds import layer_kinds

    if args.kernel_size is None or args.out_channels is None:
        raise ConvGifError(
            "the layer flags need at least --out-channels and --kernel-size "
            "(or give the whole layer with --layer)"
        )
    kwargs = {
        "out_channels": args.out_channels,
        "kernel_size": _sizes("--kernel-size", args.kernel_size),
    }
    for flag, name in (
        ("--stride", "stride"),
        ("--dilation", "dilation"),
        ("--output-padding", "output_padding"),
    ):
        value = getattr(args, name)
        if value is not None:
            kwargs[name] = _sizes(flag, value)
    if args.padding is not None:
        text = args.padding.strip()
        kwargs["padding"] = text if text in ("same", "valid") else _sizes("--padding", text)
    if args.groups is not None:
        kwargs["groups"] = args.groups
    if args.no_bias:
        kwargs["bias"] = False
    if args.padding_mode is not None:
        kwargs["padding_mode"] = args.padding_mode
    if args.output_padding is not None and not args.transposed:
        raise ConvGifError("--output-padding needs --transposed")

    # Spatial dimensions: from a size written per axis, else from the input's rank.
    ranks = {len(v) for k, v in kwargs.items() if isinstance(v, tuple) and k != "padding"}
    if len(ranks) > 1:
        raise ConvGifError(f"the layer flags give sizes for {sorted(ranks)} axes; use one count")
    nd = ranks.pop() if ranks else len(input_shape) - 1
    if not 1 <= nd <= 3 or len(input_shape) not in (nd + 1, nd + 2):
        raise ConvGifError(
            f"input shape {tuple(input_shape)} does not fit a layer with {nd} spatial axes: "
            "give (C, L), (C, H, W) or (C, D, H, W), or sizes per axis such as --kernel-size 3x3"
        )
    name = f"ConvTranspose{nd}d" if args.transposed else f"Conv{nd}d"
    kinds = layer_kinds()
    if name not in kinds:
        raise ConvGifError(f"--transposed with {nd} spatial axes: convgif has no {name}")
    if args.in_channels is not None:
        in_channels = args.in_channels
    else:
        in_channels = input_shape[1] if len(input_shape) == nd + 2 else input_shape[0]
    return kinds[name](in_channels, seed=seed, **kwargs)


def _flags_given(args) -> bool:
    return any(getattr(args, flag[2:].replace("-", "_")) is not None for flag, _ in LAYER_FLAGS)


def layer_and_input(args, picture: bool = False):
    """(layer, x, input_shape) from --layer or the layer flags, and --input or --input-shape.

    With --image and ``picture``, x and the shape are None: the picture options carry the
    photo, so the renderer can pick its size (see ``_picture_options``).
    """
    from convgif.api.kinds import parse_layer
    from convgif.io.inputs import load_input

    x = None
    image = getattr(args, "image", None)
    if image is not None:
        return _layer_and_image(args, image, picture)
    if args.input is not None:
        from convgif.io.inputs import load_input

        if args.input_shape is not None:
            raise ConvGifError("give --input or --input-shape, not both")
        x = load_input(args.input)
        shape = tuple(x.shape)
        checked = "--input"
    else:
        shape = parse_shape(args.input_shape if args.input_shape is not None else DEFAULT_INPUT)
        checked = None
    if _flags_given(args):
        if args.layer is not None:
            raise ConvGifError(
                "give the layer as --layer or as flags (--kernel-size ...), not both"
            )
        layer = layer_from_flags(args, shape, args.seed)
    else:
        layer = parse_layer(args.layer if args.layer is not None else DEFAULT_LAYER, seed=args.seed)
    if checked:  # an array that does not fit the layer: say which file
        try:
            layer.output_shape(shape)
        except ConvGifError as error:
            raise ConvGifError(f"{checked}={args.input!r}: {error}") from None
    return layer, x, (None if x is not None else shape)


def _layer_and_image(args, image, picture: bool):
    """(layer, x, None) with a photo as the input (``--image``)."""
    from convgif.api.kinds import parse_layer
    from convgif.io.images import ANIMATION_SIDE, image_array, image_input

    if args.input is not None or args.input_shape is not None:
        raise ConvGifError("give --image or --input / --input-shape, not both")
    if _flags_given(args):
        if args.layer is not None:
            raise ConvGifError(
                "give the layer as --layer or as flags (--kernel-size ...), not both"
            )
        x = image_array(image, args.in_channels, args.image_size or ANIMATION_SIDE)
        layer = layer_from_flags(args, x.shape, args.seed)
    else:
        layer = parse_layer(args.layer if args.layer is not None else DEFAULT_LAYER, seed=args.seed)
        if not picture:
            x = image_input(layer, image, args.image_size or ANIMATION_SIDE)
    return layer, (None if picture else x), None


def _picture_options(args, layer, x, shape) -> dict:
    options = {
        "step": args.step,
        "style": args.style,
        "scale": args.scale,
        "cell": args.cell,
        "values": args.values,
        "lines": args.lines,
        "font": args.font,
    }
    if args.view != "gather":  # the renderer's default; keeps older renderers working
        options["view"] = args.view
    if args.channels is not None:
        options["channels"] = parse_channels(args.channels)
    if args.flip:
        options["flip"] = True
    if getattr(args, "image", None) is not None:
        options["image"] = args.image
        options["image_size"] = args.image_size
    if args.outputs is not None:
        # with --image the input is read later: render.picture checks the region then
        photo = x is None and shape is None
        options["outputs"] = args.outputs if photo else parse_outputs(args.outputs, layer, x, shape)
    return options


def parse_outputs(text: str, layer, x, shape) -> tuple[range, ...]:
    """``--outputs 0-3,0-3`` -> one range per output axis, checked against the output's size."""
    from convgif.frames.storyboard import output_region

    out = layer.output_shape(tuple(x.shape) if x is not None else shape)
    nd = layer.spec.ndim
    spatial = out[-nd - 1 : -1] if layer.spec.channels_last else out[-nd:]
    return output_region(text, spatial, "--outputs")


def parse_channels(text: str) -> list[int]:
    """``"0-3"``, ``"0,5,9"`` or ``"0-3,8"`` -> channel numbers."""
    from convgif.frames.storyboard import index_range

    given, expected = f"--channels={text!r}", "channel numbers and ranges, e.g. 0-3 or 0,5,9"
    return [c for part in str(text).split(",") for c in index_range(part, given, expected)]


def _progress(args, unit: str = "frame"):
    """A tqdm wrapper for long jobs on a terminal; None when quiet, piped, or without tqdm."""
    if getattr(args, "quiet", False) or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None

    def wrap(iterable, total):
        # delay: quick renders never show a bar
        return tqdm(
            iterable,
            total=total,
            unit=unit,
            file=sys.stderr,
            delay=0.5,
            leave=False,
            dynamic_ncols=True,
        )

    return wrap


def _say(args, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text)


def _kb(path) -> str:
    return f"{os.path.getsize(path) / 1024:.0f} KB"


# --------------------------------------------------------------------------- commands


def run_info(args) -> int:
    from convgif.layers import frameworks
    from convgif.layers.info import describe, format_text, to_json

    layer, x, shape = layer_and_input(args)
    shape = shape if shape is not None else tuple(x.shape)
    info = describe(layer, shape)
    eq = frameworks.equivalents(layer, shape)
    if args.json:
        print(to_json({**info, "equivalents": eq}))
    else:
        print(format_text(info) + "\n\n" + frameworks.format_text(eq))
    return 0


def run_render(args) -> int:
    import time

    from convgif.api import render

    start = time.perf_counter()
    layer, x, shape = layer_and_input(args, picture=True)
    pic = render.animate(
        args.output,
        layer,
        x,
        shape,
        duration=args.duration,
        hold=args.hold,
        progress=_progress(args),
        max_frames=args.max_frames,
        force=args.force,
        **_picture_options(args, layer, x, shape),
    )
    seconds = time.perf_counter() - start
    count = len(render.frame_indices(pic, args.max_frames))
    _say(args, f"wrote {args.output}: {count} frames, {_kb(args.output)}, {seconds:.2f} s")
    return 0


def run_still(args) -> int:
    import time

    from convgif.api import render

    start = time.perf_counter()
    layer, x, shape = layer_and_input(args, picture=True)
    pic = render.still(
        args.output, layer, args.frame, x, shape, **_picture_options(args, layer, x, shape)
    )
    seconds = time.perf_counter() - start
    _say(
        args,
        f"wrote {args.output}: frame {args.frame % len(pic)} of {len(pic)}, "
        f"{_kb(args.output)}, {seconds:.2f} s",
    )
    return 0


def run_frames(args) -> int:
    import time

    from convgif.api.export import parse_frame_list, write_frames

    start = time.perf_counter()
    layer, x, shape = layer_and_input(args, picture=True)
    chosen = parse_frame_list(args.frames) if args.frames is not None else None
    result = write_frames(
        args.output,
        layer,
        x,
        shape,
        frames=chosen,
        every=args.every,
        fps=args.fps,
        fmt=args.format,
        progress=_progress(args),
        **_picture_options(args, layer, x, shape),
    )
    seconds = time.perf_counter() - start
    if not args.quiet:
        print(result.tex, end="")
        first, last = result.paths[0].name, result.paths[-1].name
        print(
            f"wrote {len(result.paths)} of {result.total} frames to {args.output}/ "
            f"({first} .. {last}) and {args.output}/frames.tex, {seconds:.2f} s"
        )
    return 0


def run_sheet(args) -> int:
    import time

    from convgif.api.export import contact_sheet, parse_frame_list

    start = time.perf_counter()
    layer, x, shape = layer_and_input(args, picture=True)
    chosen = parse_frame_list(args.frames) if args.frames is not None else None
    result = contact_sheet(
        args.output,
        layer,
        x,
        shape,
        frames=chosen,
        count=args.count,
        columns=args.columns,
        progress=_progress(args),
        **_picture_options(args, layer, x, shape),
    )
    seconds = time.perf_counter() - start
    w, h = result.size
    _say(
        args,
        f"wrote {args.output}: {len(result.frames)} of {result.total} frames, {w}x{h} px, "
        f"{_kb(args.output)}, {seconds:.2f} s",
    )
    return 0


def run_trace(args) -> int:
    import time

    from convgif.api.export import export_trace

    start = time.perf_counter()
    layer, x, shape = layer_and_input(args)
    result = export_trace(
        args.output, layer, x, shape, view=args.view, progress=_progress(args, "chunk")
    )
    seconds = time.perf_counter() - start
    _say(
        args,
        f"wrote {args.output}: {result.records:,} MACs x {len(result.fields)} fields, "
        f"{_kb(args.output)}, {seconds:.2f} s",
    )
    return 0


def run_batch(args) -> int:
    import time

    from convgif.batch import run_batch as batch

    start = time.perf_counter()
    results = batch(args.file, workers=args.workers, progress=_progress(args, "render"))
    failed = [r for r in results if not r.ok]
    for r in results:
        if r.ok:
            _say(args, r.describe())
        else:
            print(f"convgif: error: {r.describe()}", file=sys.stderr)
    seconds = time.perf_counter() - start
    _say(
        args,
        f"batch {args.file}: {len(results) - len(failed)} of {len(results)} rendered, "
        f"{seconds:.2f} s",
    )
    return 2 if failed else 0


def run_overlap(args) -> int:
    import time

    from convgif.api.overlap import overlap

    start = time.perf_counter()
    layer, x, shape = layer_and_input(args)
    pic = overlap(
        args.output,
        layer,
        shape if shape is not None else tuple(x.shape),
        style=args.style,
        scale=args.scale,
        font=args.font,
        cell=args.cell,
        duration=args.duration,
        hold=args.hold,
        max_frames=args.max_frames,
        force=args.force,
        progress=_progress(args),
    )
    top = int(pic.final[pic.real].max(initial=0))
    _say(
        args,
        f"wrote {args.output}: up to {top} per cell, {_kb(args.output)}, "
        f"{time.perf_counter() - start:.2f} s",
    )
    return 0


def run_cost(args) -> int:
    import time

    from convgif.api.cost import cost_chart

    start = time.perf_counter()
    layer, x, shape = layer_and_input(args)
    table = cost_chart(
        args.output,
        layer,
        shape if shape is not None else tuple(x.shape),
        args.sweep,
        measure=args.measure,
        repeats=args.repeats,
        threads=args.threads,
    )
    _say(
        args,
        f"wrote {args.output}: {len(table)} values, {_kb(args.output)}, "
        f"{time.perf_counter() - start:.2f} s",
    )
    return 0


def run_features(args) -> int:
    import time

    from convgif.api.features import features

    start = time.perf_counter()
    f = features(args.output, args.image, args.kernel, args.layer, max_side=args.max_side,
                 font=args.font, seed=args.seed)
    seconds = time.perf_counter() - start
    _say(args, f"wrote {args.output}: input {f.x.shape} -> feature maps {f.output.shape}, "
               f"{_kb(args.output)}, {seconds:.2f} s")
    return 0


def run_stack(args) -> int:
    import time

    from convgif.api.stack import stack

    start = time.perf_counter()
    pic = stack(
        args.output,
        args.layers,
        parse_shape(args.input_shape),
        args.cell,
        channels=args.by_channel,
        cell_size=args.cell_size,
        frame=args.frame,
        style=args.style,
        scale=args.scale,
        font=args.font,
        duration=args.duration,
        hold=args.hold,
        seed=args.seed,
    )
    seconds = time.perf_counter() - start
    rf = pic.rf
    _say(
        args,
        f"wrote {args.output}: y{list(rf.cell)} has a receptive field of "
        f"{rf.rf[0]}x{rf.rf[1]} input cells, jump {rf.jump[0]}x{rf.jump[1]}; "
        f"{len(pic)} frames, {_kb(args.output)}, {seconds:.2f} s",
    )
    return 0


COMMANDS = {
    "info": run_info,
    "render": run_render,
    "still": run_still,
    "frames": run_frames,
    "sheet": run_sheet,
    "trace": run_trace,
    "batch": run_batch,
    "overlap": run_overlap,
    "cost": run_cost,
    "stack": run_stack,
    "features": run_features,
}


# Python names the API shares with the command line under another spelling.
_FLAG_OF = {"path": "--output", "fmt": "--format"}


def _as_typed(message: str, parser, argv) -> str:
    """The message with each Python argument the command took as an option spelled as
    typed: ``input_shape=(2, 4) must …`` becomes ``--input-shape=(2, 4) must …``.

    Left as they are: quoted text (a --layer string quoted back), names the user typed as
    ``name=`` themselves (layer keywords, --sweep), layer parameters (--layer takes them
    so), and a name whose option the message already gives (``max_frames=N (--max-frames)``).
    """
    command = next((a for a in argv if a in COMMANDS), None)
    if parser is None or command is None:
        return message
    sub = next(
        a.choices[command] for a in parser._actions if isinstance(a, argparse._SubParsersAction)
    )
    layer_dests = {flag[2:].replace("-", "_") for flag, _ in LAYER_FLAGS} | {"bias"}
    typed = " ".join(argv)
    flags = {}
    for action in sub._actions:
        flag = "--" + action.dest.replace("_", "-")
        if flag in action.option_strings and action.dest not in layer_dests:
            flags[action.dest] = flag
    for name, flag in _FLAG_OF.items():
        if flag in sub._option_string_actions:
            flags[name] = flag

    def spelled(match):
        name = match.group(1)
        flag = flags.get(name)
        if flag is None or f"({flag})" in message or f"{name}=" in typed:
            return match.group(0)
        return flag + "="

    # quoted parts ('...' or "...") are the user's own text: only what lies between changes
    parts = re.split(r"""('[^']*'|"[^"]*")""", message)
    return "".join(
        part if i % 2 else re.sub(r"(?<![\w.-])([a-z][a-z_]*)=", spelled, part)
        for i, part in enumerate(parts)
    )


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # A polite kill (SIGTERM) unwinds like Ctrl-C, so temporary files are removed.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    parser = None
    try:
        # No subcommand: render (with no arguments at all, the built-in default layer).
        if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
            argv = ["render", *argv]
        parser = build_parser()
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # argparse would name no command here
            raise ConvGifError(
                f"{args.command}: unrecognized arguments: {' '.join(unknown)} "
                f"(convgif {args.command} --help lists its options)"
            )
        if args.command is None:
            raise ConvGifError(f"choose a command: {', '.join(COMMANDS)}")
        return COMMANDS[args.command](args)
    except ConvGifError as error:
        print(f"convgif: error: {_as_typed(str(error), parser, argv)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Writers clean up on the way out: no partial file, an old file untouched.
        print("convgif: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `convgif trace ... | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as error:  # an unwritable target, a full disk
        where = f"{error.filename}: " if error.filename else ""
        print(f"convgif: error: {where}{error.strerror or error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
