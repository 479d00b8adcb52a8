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
        description="See what a convolution layer does: exact simulation rendered to GIFs and stills.",
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
        '  convgif info --layer "layers.Conv2D(16, 5, strides=2, padding=\'same\')" '
        "--input-shape 28,28,1 --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _layer_arguments(info)
    info.add_argument("--json", action="store_true", help="print JSON for scripts")
    return parser


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


COMMANDS = {"info": run_info}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(argv or ["info"])
        if args.command is None:
            args = build_parser().parse_args(["info", *argv])
        return COMMANDS[args.command](args)
    except ConvGifError as error:
        print(f"convgif: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("convgif: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
