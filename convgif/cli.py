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
import signal
import sys
import threading

from convgif.errors import ConvGifError
from convgif.parse import DEFAULT_INPUT, DEFAULT_LAYER, parse_shape

DEFAULT_OUTPUT = "outputs/conv2d.gif"

__all__ = ["DEFAULT_INPUT", "DEFAULT_LAYER", "DEFAULT_OUTPUT", "build_parser", "main"]

LAYER = f'--layer "{DEFAULT_LAYER}"'


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors: one line, exit 2
        raise ConvGifError(f"{self.prog}: {message}")


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
    render.add_argument("--duration", type=float, help="milliseconds per frame")
    render.add_argument("--hold", type=float, default=2500, help="milliseconds on the last frame")
    render.add_argument(
        "--max-frames",
        type=int,
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
    still.add_argument("--frame", type=int, default=-1, help="frame number (default: the last)")
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
        "--fps", type=float, help="frames per second in the snippet (default: the animation's)"
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
    sheet.add_argument("--count", type=int, default=8, help="frames when --frames is not given")
    sheet.add_argument("--columns", type=int, help="tiles per row (default: up to 4)")
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

    batch = _sub(
        sub,
        "batch",
        "many renders from one TOML file, in parallel",
        "Render every [[render]] table of a TOML file, in parallel across cores. Keys: "
        "layer, input_shape or input (a .npy file), output, seed, step, style, scale, cell, "
        "values, lines, font, duration, hold, view. Relative paths are relative to the TOML "
        "file. An entry that fails is reported; the others still render; the exit status is "
        "2 if any failed.",
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
    batch.add_argument("--workers", type=int, help="processes (default: every core)")
    batch.add_argument("--quiet", "-q", action="store_true", help="no progress bar, no summary")
    return parser


def _frame_choice(parser, every: bool) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--frames", help="frame numbers from 0, separated by commas (negative: from the end)"
    )
    if every:
        group.add_argument("--every", type=int, help="every Nth frame (and the last)")


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
        choices=("gather", "scatter"),
        help="transposed layers: gather (default) or scatter (each input cell stamps "
        "value x kernel)",
    )
    parser.add_argument("--style", default="default", choices=("default", "classic", "dark"))
    parser.add_argument("--scale", type=float, default=1.0, help="size multiplier")
    parser.add_argument("--cell", type=float, help="cell size in pixels at scale 1 (default: auto)")
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
        "--quiet", "-q", action="store_true", help="no progress bar, no summary line"
    )


# The layer as flags: name, argparse keywords.
LAYER_FLAGS = (
    ("--in-channels", {"type": int, "help": "input channels (default: from the input shape)"}),
    ("--out-channels", {"type": int, "help": "output channels"}),
    ("--kernel-size", {"help": "3 or 5x2"}),
    ("--stride", {"help": "2 or 2x1"}),
    ("--padding", {"help": "1, 1x2, same, valid, or l,r,t,b (F.pad order)"}),
    ("--dilation", {"help": "2 or 2x1"}),
    ("--groups", {"type": int, "help": "groups (default: 1)"}),
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
    parser.add_argument("--seed", type=int, default=0, help="seed of the example weights and input")


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
    from convgif.parse import layer_kinds

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


def layer_and_input(args):
    """(layer, x, input_shape) from --layer or the layer flags, and --input or --input-shape."""
    from convgif.parse import parse_layer

    x = None
    if args.input is not None:
        from convgif.export import load_input

        if args.input_shape is not None:
            raise ConvGifError("give --input or --input-shape, not both")
        x = load_input(args.input)
        shape = tuple(x.shape)
    else:
        shape = parse_shape(args.input_shape if args.input_shape is not None else DEFAULT_INPUT)
    if _flags_given(args):
        if args.layer is not None:
            raise ConvGifError(
                "give the layer as --layer or as flags (--kernel-size ...), not both"
            )
        layer = layer_from_flags(args, shape, args.seed)
    else:
        layer = parse_layer(args.layer if args.layer is not None else DEFAULT_LAYER, seed=args.seed)
    return layer, x, (None if x is not None else shape)


def _picture_options(args) -> dict:
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
    return options


def parse_channels(text: str) -> list[int]:
    """``"0-3"``, ``"0,5,9"`` or ``"0-3,8"`` -> channel numbers."""
    channels = []
    for part in str(text).split(","):
        first, dash, last = part.strip().partition("-")
        try:
            lo = int(first)
            hi = int(last) if dash else lo
        except ValueError:
            raise ConvGifError(
                f"--channels={text!r} must be channel numbers and ranges, e.g. 0-3 or 0,5,9"
            ) from None
        if lo < 0 or hi < lo:
            raise ConvGifError(f"--channels={text!r}: a range must run upwards from 0, e.g. 0-3")
        channels.extend(range(lo, hi + 1))
    return channels


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
    from convgif import frameworks
    from convgif.info import describe, format_text, to_json

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

    from convgif import render

    start = time.perf_counter()
    layer, x, shape = layer_and_input(args)
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
        **_picture_options(args),
    )
    seconds = time.perf_counter() - start
    count = len(render.frame_indices(pic, args.max_frames))
    _say(args, f"wrote {args.output}: {count} frames, {_kb(args.output)}, {seconds:.2f} s")
    return 0


def run_still(args) -> int:
    import time

    from convgif import render

    start = time.perf_counter()
    layer, x, shape = layer_and_input(args)
    pic = render.still(args.output, layer, args.frame, x, shape, **_picture_options(args))
    seconds = time.perf_counter() - start
    _say(
        args,
        f"wrote {args.output}: frame {args.frame % len(pic)} of {len(pic)}, "
        f"{_kb(args.output)}, {seconds:.2f} s",
    )
    return 0


def run_frames(args) -> int:
    import time

    from convgif.export import parse_frame_list, write_frames

    start = time.perf_counter()
    layer, x, shape = layer_and_input(args)
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
        **_picture_options(args),
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

    from convgif.export import contact_sheet, parse_frame_list

    start = time.perf_counter()
    layer, x, shape = layer_and_input(args)
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
        **_picture_options(args),
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

    from convgif.export import export_trace

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

    from convgif.export import run_batch as batch

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


COMMANDS = {
    "info": run_info,
    "render": run_render,
    "still": run_still,
    "frames": run_frames,
    "sheet": run_sheet,
    "trace": run_trace,
    "batch": run_batch,
}


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # A polite kill (SIGTERM) unwinds like Ctrl-C, so temporary files are removed.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        # No subcommand: render (with no arguments at all, the built-in default layer).
        if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
            argv = ["render", *argv]
        args = build_parser().parse_args(argv)
        if args.command is None:
            raise ConvGifError(f"choose a command: {', '.join(COMMANDS)}")
        return COMMANDS[args.command](args)
    except ConvGifError as error:
        print(f"convgif: error: {error}", file=sys.stderr)
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
