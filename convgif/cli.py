"""The ``convgif`` command: parse, call the pipeline, report.

Errors are one line on stderr and exit status 2, never a traceback. Heavy
modules are imported inside the subcommand that needs them, so ``--help``
stays fast.
"""

from __future__ import annotations

import argparse
import sys

from convgif.errors import ConvGifError

DEFAULT_LAYER = "Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)"
DEFAULT_INPUT = "3,7,7"
DEFAULT_OUTPUT = "outputs/conv2d.gif"


def parse_shape(text: str) -> tuple[int, ...]:
    parts = [p.strip() for p in str(text).replace("x", ",").split(",") if p.strip()]
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        raise ConvGifError(
            f"--input-shape={text!r} must be sizes separated by commas, e.g. 3,7,7"
        ) from None
    if not shape or min(shape) < 1:
        raise ConvGifError(f"--input-shape={text!r} must be positive sizes, e.g. 3,7,7")
    return shape


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors: one line, exit 2
        raise ConvGifError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    from convgif import __version__

    parser = _Parser(
        prog="convgif",
        description="See what a convolution layer does: an exact simulation, "
        "rendered to GIFs and stills.",
        epilog=f'example: convgif info --layer "{DEFAULT_LAYER}" --input-shape {DEFAULT_INPUT}',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"convgif {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    info = sub.add_parser(
        "info",
        help="shape arithmetic, parameter and MAC counts of a layer",
        description="Print the output shape with the formula filled in, the parameter count "
        "and the MAC count of a layer.",
        epilog=f'example:\n  convgif info --layer "{DEFAULT_LAYER}" --input-shape {DEFAULT_INPUT}\n'
        "  convgif info --layer \"layers.Conv2D(16, 5, strides=2, padding='same')\" "
        "--input-shape 28,28,1 --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _layer_arguments(info)
    info.add_argument("--json", action="store_true", help="print JSON for scripts")

    render = sub.add_parser(
        "render",
        help="render the animation of a layer (the default command)",
        description="Simulate a layer and write its animation; the extension of -o picks "
        "the format (.gif, .png, .webp, .mp4).",
        epilog="examples:\n"
        "  convgif render                      # the default layer -> outputs/conv2d.gif\n"
        f'  convgif render --layer "{DEFAULT_LAYER}" --input-shape 3,7,7 -o conv.gif\n'
        '  convgif render --layer "Conv1d(1, 1, 3, padding=1)" --input-shape 1,9 --step mac '
        "-o conv1d.gif",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _layer_arguments(render)
    render.add_argument(
        "-o", "--output", default=DEFAULT_OUTPUT, help=f"output file (default: {DEFAULT_OUTPUT})"
    )
    _picture_arguments(render)
    render.add_argument("--duration", type=float, help="milliseconds per frame")
    render.add_argument("--hold", type=float, default=2500, help="milliseconds on the last frame")

    still = sub.add_parser(
        "still",
        help="write one frame as a PNG",
        description="Write one frame of the animation (negative counts from the end).",
        epilog=f'example:\n  convgif still --layer "{DEFAULT_LAYER}" --frame 5 -o frame5.png',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _layer_arguments(still)
    still.add_argument("-o", "--output", default="outputs/still.png", help="output file")
    still.add_argument("--frame", type=int, default=-1, help="frame number (default: the last)")
    _picture_arguments(still)
    return parser


def _picture_arguments(parser) -> None:
    parser.add_argument(
        "--step",
        default="output",
        choices=("output", "channel", "mac"),
        help="one frame per output cell (default), input channel, or MAC",
    )
    parser.add_argument("--style", default="default", choices=("default", "classic", "dark"))
    parser.add_argument("--scale", type=float, default=1.0, help="size multiplier")
    parser.add_argument("--cell", type=float, help="cell size in pixels at scale 1 (default: auto)")
    values = parser.add_mutually_exclusive_group()
    values.add_argument(
        "--values",
        dest="values",
        action="store_true",
        default=None,
        help="always write values in cells",
    )
    values.add_argument(
        "--no-values", dest="values", action="store_false", help="never write values in cells"
    )
    parser.add_argument("--no-lines", dest="lines", action="store_false", help="no connector lines")
    parser.add_argument("--font", help="a TrueType font file or name (e.g. for CJK labels)")


def _layer_arguments(parser) -> None:
    parser.add_argument(
        "--layer",
        default=DEFAULT_LAYER,
        help="the constructor call as written in PyTorch or Keras code "
        f"(default: {DEFAULT_LAYER!r}); literals only, never evaluated",
    )
    parser.add_argument(
        "--input-shape",
        default=DEFAULT_INPUT,
        help=f"input shape, channels first for PyTorch layers (default: {DEFAULT_INPUT})",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the example weights and input")


def run_info(args) -> int:
    from convgif.info import describe, format_text, to_json
    from convgif.parse import parse_layer

    layer = parse_layer(args.layer, seed=args.seed)
    info = describe(layer, parse_shape(args.input_shape))
    print(to_json(info) if args.json else format_text(info))
    return 0


def _picture_options(args) -> dict:
    return {
        "step": args.step,
        "style": args.style,
        "scale": args.scale,
        "cell": args.cell,
        "values": args.values,
        "lines": args.lines,
        "font": args.font,
    }


def run_render(args) -> int:
    import os
    import time

    from convgif import render
    from convgif.parse import parse_layer

    start = time.perf_counter()
    layer = parse_layer(args.layer, seed=args.seed)
    pic = render.animate(
        args.output,
        layer,
        input_shape=parse_shape(args.input_shape),
        duration=args.duration,
        hold=args.hold,
        **_picture_options(args),
    )
    size = os.path.getsize(args.output)
    seconds = time.perf_counter() - start
    print(f"wrote {args.output}: {len(pic)} frames, {size / 1024:.0f} KB, {seconds:.2f} s")
    return 0


def run_still(args) -> int:
    from convgif import render
    from convgif.parse import parse_layer

    layer = parse_layer(args.layer, seed=args.seed)
    pic = render.still(
        args.output,
        layer,
        args.frame,
        input_shape=parse_shape(args.input_shape),
        **_picture_options(args),
    )
    print(f"wrote {args.output}: frame {args.frame % len(pic)} of {len(pic)}")
    return 0


COMMANDS = {"info": run_info, "render": run_render, "still": run_still}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        # No subcommand: render (with no arguments at all, the built-in default layer).
        if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
            argv = ["render", *argv]
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except ConvGifError as error:
        print(f"convgif: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("convgif: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
