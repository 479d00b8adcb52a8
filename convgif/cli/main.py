"""The ``convgif`` command: parse, run the command, turn failures into one line.

Errors are one line on stderr and exit status 2, never a traceback. A
``ConvGifError`` names its parameter by its Python name (``param``); here it
is spelled as the flag the user typed (``flag_names``), so the message text
is never rewritten. Heavy modules are imported inside the command that needs
them, so ``--help`` stays fast.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from convgif.cli.commands import HANDLERS, layer_flags_given
from convgif.cli.parser import build_parser, flag_names, refuse_old_spellings
from convgif.errors import ConvGifError

__all__ = ["main", "parse"]

TOP_LEVEL = ("-h", "--help", "--version")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _with_command(argv: list[str]) -> list[str]:
    """No command: render (with no arguments at all, the built-in default layer)."""
    if not argv or argv[0].startswith("-") and argv[0] not in TOP_LEVEL:
        return ["render", *argv]
    return argv


def parse(argv: list[str]):
    """The parsed arguments of ``argv``, which must name a command and nothing unknown."""
    refuse_old_spellings(argv)
    args, unknown = build_parser(argv[0] if argv else None).parse_known_args(argv)
    if unknown:  # argparse would name no command here
        raise ConvGifError(
            f"{args.command}: unrecognized arguments: {' '.join(unknown)} "
            f"(convgif {args.command} --help lists its options)"
        )
    if args.command is None:
        raise ConvGifError(f"choose a command: {', '.join(HANDLERS)}")
    return args


def _names(argv: list[str], args) -> dict[str, str]:
    """Python name -> flag as typed, for the command (and the layer flags, if given)."""
    if args is None:
        return flag_names(argv[0], argv)
    return flag_names(args.command, argv, layer_flags_given(args))


def main(argv=None) -> int:
    argv = _with_command(sys.argv[1:] if argv is None else list(argv))
    # A polite kill (SIGTERM) unwinds like Ctrl-C, so temporary files are removed.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    args = None
    try:
        args = parse(argv)
        return HANDLERS[args.command](args)
    except ConvGifError as error:
        print(f"convgif: error: {error.spelled(_names(argv, args))}", file=sys.stderr)
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
