"""The argparse tree, built from a table of commands (``COMMANDS``), and the names of its flags.

Each command lists its help, its examples and its options (``convgif.cli.options``);
``build_parser`` turns the table into argparse calls. ``flag_names`` maps each Python
name a command takes (``input_shape``) to its flag (``--input-shape``), so an error can
name what the user typed. Spellings that changed are refused up front with the new one.
"""

from __future__ import annotations

import argparse
from typing import NamedTuple

from convgif.cli import model
from convgif.cli import options as o
from convgif.errors import ConvGifError
from convgif.layers import DEFAULT_INPUT, DEFAULT_LAYER

DEFAULT_OUTPUT = "outputs/conv2d.gif"
LAYER = f'--layer "{DEFAULT_LAYER}"'
LENET = '"Conv2d(1,6,5) MaxPool2d(2) Conv2d(6,16,5) MaxPool2d(2)"'


class Command(NamedTuple):
    name: str
    help: str
    description: str
    examples: tuple[str, ...]
    parts: tuple  # Options and Groups, in the order --help lists them


def _command(name, help, description, examples, *parts) -> Command:
    return Command(name, help, description, tuple(examples), parts)


PICTURE_COMMANDS = (
    _command(
        "render", "render the animation of a layer (the default command)",
        "Simulate a layer and write its animation; the extension of -o picks the format "
        "(.gif, .png/.apng, .webp, .mp4, .html: a step-through player, .pptx: a slide per frame). "
        "The layer is --layer or the layer flags.",
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
        *o.LAYER_AND_INPUT, o.output(DEFAULT_OUTPUT), *o.PICTURE, *o.ANIMATION,
    ),
    _command(
        "still", "write one frame as a PNG (or SVG / PDF)",
        "Write one frame of the animation: frames are numbered from 1, as the counter "
        "writes them (\"frame 5/20\" is --frame 5); negative counts from the end.",
        [f"convgif still {LAYER} --frame 5 -o frame5.png",
         "convgif still --frame -1 --style dark -o result.png"],
        *o.LAYER_AND_INPUT, o.output("outputs/still.png"),
        o.option("--frame", type=o.number("--frame", int), default=-1,
                 help="frame number from 1, as the counter writes it; negative from the "
                      "end (default: -1, the last)"),
        *o.PICTURE,
    ),
    _command(
        "frames", "every frame as numbered files, plus a LaTeX Beamer snippet",
        "Write the frames as FOLDER/frame_0001.png, frame_0002.png, ... and "
        "FOLDER/frames.tex, an \\animategraphics call for the LaTeX animate package "
        "(also printed). Files are numbered 1, 2, 3... in the order chosen. --format pptx "
        "writes one PowerPoint deck instead: -o itself when it ends in .pptx, else "
        "FOLDER/frames.pptx; a title slide, then a slide per frame with its caption in the "
        "speaker notes (needs pip install \"convgif[pptx]\").",
        ["convgif frames -o outputs/frames",
         f"convgif frames {LAYER} --every 3 -o slides/conv",
         "convgif frames --frames 1,5,9,-1 --format pdf -o slides/conv",
         "convgif frames --every 2 --format pptx -o slides/conv.pptx"],
        *o.LAYER_AND_INPUT, o.output("outputs/frames", "folder"), o.frame_choice(every=True),
        o.option("--format", default="png", choices=("png", "pdf", "svg", "pptx"),
                 help="file format of the frames (default: png); pptx: one deck"),
        o.option("--fps", type=o.number("--fps", above=0),
                 help="frames per second in the snippet (default: the animation's)"),
        *o.PICTURE,
    ),
    _command(
        "sheet", "a contact sheet: chosen frames in a grid, as one PNG (or SVG / PDF)",
        "Write a grid of frames (default: about 8, evenly spaced), each labelled with its "
        "frame number, as one PNG (or SVG / PDF).",
        ["convgif sheet -o sheet.png",
         f"convgif sheet {LAYER} --frames 1,4,7,10 --columns 2 -o sheet.png"],
        *o.LAYER_AND_INPUT, o.output("outputs/sheet.png", "output .png, .svg or .pdf"),
        o.frame_choice(every=False),
        o.option("--count", type=o.number("--count", int, minimum=1), default=8,
                 help="frames when --frames is not given"),
        o.option("--columns", type=o.number("--columns", int, minimum=1),
                 help="tiles per row (default: up to 4)"),
        *o.PICTURE,
    ),
)

LAYER_COMMANDS = (
    _command(
        "info", "shape arithmetic, parameter and MAC counts, PyTorch and Keras equivalents",
        "Print the output shape with the formula filled in, the parameter count, the MAC "
        "count, and the same layer written for PyTorch and for Keras.",
        [f"convgif info {LAYER} --input-shape {DEFAULT_INPUT}",
         "convgif info --layer \"layers.Conv2D(16, 5, strides=2, padding='same')\" "
         "--input-shape 28,28,1 --json",
         "convgif info --in-channels 3 --out-channels 8 --kernel-size 5,3 --padding same "
         "--input-shape 3,32,32"],
        *o.LAYER_AND_INPUT, o.option("--json", action="store_true", help="print JSON for scripts"),
        o.option("--grad", action="store_true",
                 help="also the gradients' shapes and the forward operations that compute them"),
    ),
    _command(
        "trace", "every multiply-accumulate to CSV, JSON Lines or npz",
        "Write the trace's MAC records: .csv (a header row of field names, one row per MAC), "
        ".jsonl (one JSON object per MAC) or .npz (one array per field, plus input, grid, "
        "output, weight, bias). Records are streamed; memory stays bounded.",
        ["convgif trace -o macs.csv",
         f"convgif trace {LAYER} --input-shape 3,7,7 -o macs.npz",
         'convgif trace --layer "ConvTranspose2d(1, 1, 3, stride=2)" --input-shape 1,3,3 '
         "--view scatter -o stamps.jsonl"],
        *o.LAYER_AND_INPUT, o.output("outputs/trace.csv"),
        o.option("--view", default="gather", choices=("gather", "scatter"),
                 help="record order; scatter (transposed layers): each input cell's stamps"),
        o.option("--grad", choices=("input", "weight", "bias"),
                 help="this gradient's backward-pass records instead (seeded output gradient)"),
        o.QUIET,
    ),
    _command(
        "overlap",
        "heat map of how many kernel taps land on each output cell (the checkerboard)",
        "Draw how many products add into each output cell of a transposed layer (kernel taps "
        "x input channels per group): uneven where the kernel size is not a multiple of the "
        "stride. For other layers: how many products read each input cell (windows x output "
        "channels per group). .png/.svg/.pdf: the finished map; .gif/.apng/.webp/.mp4/.html/.pptx: "
        "built up one stamp at a time.",
        ['convgif overlap --layer "ConvTranspose2d(1, 1, 3, stride=2)" --input-shape 1,4,4 '
         "-o overlap.png",
         'convgif overlap --layer "ConvTranspose2d(1, 1, 4, stride=2, padding=1)" '
         "--input-shape 1,4,4 -o even.gif",
         'convgif overlap --layer "Conv2d(1, 1, 3, stride=2)" --input-shape 1,9,9 '
         "-o coverage.svg"],
        *o.LAYER_AND_INPUT, o.output("outputs/overlap.png"), o.STYLE, o.SCALE, o.CELL, o.FONT,
        o.DURATION.but(help="milliseconds per frame (default: 600)"), *o.ANIMATION[1:], o.QUIET,
    ),
    _command(
        "cost",
        "chart parameters, MACs and output size (and measured time) as one argument grows",
        "Plot the parameter count, the MACs and the output size of a layer against one swept "
        "argument (any constructor argument, in_channels, or size: the input's spatial size). "
        "-o picks the format: .png/.svg/.pdf (a chart) or .csv/.json (the table). A value that "
        "makes an invalid layer is refused.",
        ['convgif cost --layer "Conv2d(3, 16, 3)" --input-shape 3,64,64 '
         "--sweep out_channels=1,2,4,8,16,32 -o cost.png",
         'convgif cost --layer "Conv2d(3, 16, 3)" --input-shape 3,64,64 --sweep size=16,32,64 '
         "--measure -o cost.svg",
         'convgif cost --layer "Conv2d(8, 8, 3)" --input-shape 8,32,32 --sweep groups=1,2,4,8 '
         "-o groups.csv",
         'convgif cost --layer "Conv2d(3, 8, 3)" --input-shape 3,32,32 --sweep kernel_size=1,3,5,7 '
         "--style dark -o cost_dark.png"],
        *o.LAYER_AND_INPUT,
        o.option("--sweep", required=True, help="NAME=V1,V2,..., e.g. out_channels=1,2,4,8"),
        o.output("outputs/cost.png"),
        o.option("--measure", action="store_true", help="also time the torch layer (needs torch)"),
        o.option("--repeats", type=o.number("--repeats", int, minimum=1), default=9,
                 help="timed runs per value (median)"),
        o.option("--threads", type=o.number("--threads", int, minimum=1), default=1,
                 help="torch CPU threads when measuring"),
        o.STYLE, o.FONT, o.QUIET,
    ),
)

OTHER_COMMANDS = (
    _command(
        "stack", "the receptive field of one output cell through a stack of layers",
        "Walk back from one output cell of the last layer to the input, lighting in every "
        "feature map the cells it depends on, with each map's receptive field and jump. "
        "LAYERS: Conv2d / MaxPool2d / AvgPool2d calls one after another, in quotes. "
        ".gif/.webp/.apng/.mp4/.html/.pptx write the animation (one layer per frame), "
        ".png/.svg/.pdf the last frame (everything lit).",
        [f"convgif stack {LENET} --input-shape 1,32,32 -o stack.png",
         f"convgif stack {LENET} --input-shape 1,32,32 --output-cell 3,0,4 -o stack.gif",
         'convgif stack "Conv2d(8, 8, 3, groups=8) Conv2d(8, 16, 1)" --input-shape 8,7,7 '
         "-o separable.gif"],
        o.option("layers", help='the layers as constructor calls, e.g. "Conv2d(1,6,5) '
                 'MaxPool2d(2)"'),
        o.INPUT_SHAPE.but(required=True, help="the input's shape C,H,W"),
        o.output("outputs/stack.png"),
        o.option("--output-cell", help="the output cell of the last layer: y,x or "
                 "channel,y,x (default: channel 0 at the centre)"),
        o.Group((o.option("--by-channel", dest="by_channel", action="store_true", default=None,
                          help="draw every channel (default when a layer has groups)"),
                 o.option("--one-grid", dest="by_channel", action="store_false",
                          help="draw one grid per map: the cells lit in any channel")),
                exclusive=True),
        o.CELL.but(help="pixel size of a cell at scale 1, 2 to 200 (default: fit 1280 px)"),
        o.option("--frame", type=o.number("--frame", int), default=-1,
                 help="the frame of a still (default: last)"),
        o.STYLE, o.SCALE, o.FONT, o.DURATION.but(default=1400),
        o.HOLD.but(default=3500), o.SEED.but(help="seed of the layers' weights"), o.QUIET,
    ),
    _command(
        "features", "a photo beside the feature maps of one kernel, as one PNG (or SVG / PDF)",
        "Put a photo (shrunk to --max-side if larger) beside the output feature maps of a "
        "preset kernel (edge, blur, sharpen: 3x3, on each channel, replicate padding) or of "
        "--layer with its own weights (--kernel layer).",
        ["convgif features --image --kernel edge -o features.png",
         "convgif features --image photo.jpg --kernel blur -o blur.png",
         'convgif features --image --kernel layer --layer "Conv2d(3, 4, 3, stride=2)" '
         "-o mine.png"],
        o.option("--image", nargs="?", const=True, default=True,
                 help="the photo (default, or with no path: matplotlib's sample "
                 "grace_hopper.jpg)"),
        o.option("--kernel", default="edge", choices=("edge", "blur", "sharpen", "layer")),
        o.LAYER.but(help='with --kernel layer: the layer, e.g. "Conv2d(3, 4, 3)"'),
        o.output("outputs/features.png", "output .png, .svg or .pdf"),
        o.option("--max-side", type=o.number("--max-side", int, minimum=1), default=640,
                 help="shrink larger photos to this many pixels (default: 640)"),
        o.STYLE, o.FONT, o.SEED.but(help="seed of --layer's weights"), o.QUIET,
    ),
)


def _batch_command() -> Command:
    from convgif.batch import BATCH_KEYS

    return _command(
        "batch", "many renders from one TOML file, in parallel",
        "Render every [[render]] table of a TOML file, in parallel across cores. Keys: "
        f"{', '.join(BATCH_KEYS)}; each as render's option of that name takes it (input_shape "
        "as --input-shape; one of input_shape, input and image). Relative paths are relative "
        "to the TOML file. An "
        "entry that fails is reported; the others still render; the exit status is 2 if any "
        "failed.",
        ["convgif batch renders.toml", "convgif batch renders.toml --workers 2 --quiet", "",
         "renders.toml:", "  [[render]]", f'  layer = "{DEFAULT_LAYER}"',
         '  input_shape = "3,7,7"', '  output = "out/conv.gif"', "  [[render]]",
         '  layer = "MaxPool2d(2)"', "  input_shape = [1, 6, 6]", '  output = "out/pool.webp"',
         '  style = "dark"'],
        o.option("file", help="the TOML file"),
        o.option("--workers", type=o.number("--workers", int, minimum=1),
                 help="processes (default: every core)"),
        o.QUIET.but(help="no progress bar, no summary"),
    )


ORDER = ("info", "render", "still", "frames", "sheet", "trace", "features", "stack", "model",
         "batch", "overlap", "cost")


def commands() -> dict[str, Command]:
    """Every command by name, in the order --help lists them."""
    known = {c.name: c for c in (*PICTURE_COMMANDS, *LAYER_COMMANDS, *OTHER_COMMANDS)}
    known["batch"] = _batch_command()
    known["model"] = _command("model", model.HELP, model.DESCRIPTION, model.EXAMPLES, *model.PARTS)
    return {name: known[name] for name in ORDER}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors: one line, exit 2
        # "convgif: error: render: ..." (main adds "convgif: error:"), not "convgif" twice
        command = self.prog.removeprefix("convgif").strip()
        raise ConvGifError(f"{command}: {message}" if command else message)


def _add(parser, parts) -> None:
    for part in parts:
        if isinstance(part, o.Option):
            parser.add_argument(*part.flags, **part.settings)
            continue
        if part.exclusive:
            group = parser.add_mutually_exclusive_group()
        else:
            group = parser.add_argument_group(part.title)
        for option in part.options:
            group.add_argument(*option.flags, **option.settings)


MAIN_EXAMPLES = (
    f"convgif                                   # the default layer -> {DEFAULT_OUTPUT}",
    f"convgif info {LAYER} --input-shape {DEFAULT_INPUT}",
    "convgif render --in-channels 1 --out-channels 1 --kernel-size 3 --padding 1 "
    "--input-shape 1,5,5 -o conv.gif",
    "convgif frames -o slides/frames && convgif sheet -o sheet.png",
    "convgif trace -o macs.csv && convgif batch renders.toml",
)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argparse tree; for a known ``command`` only its options (argparse reads no
    other's, and adding them all is a share of start-up), else every command's."""
    from convgif import __version__

    parser = _Parser(
        prog="convgif",
        description="See what a convolution layer does: an exact simulation, "
        "rendered to GIFs and stills. With no command, convgif renders "
        f"(with no arguments at all: the default layer to {DEFAULT_OUTPUT}).",
        epilog=o.examples_text(MAIN_EXAMPLES)
        + "\n\n`convgif COMMAND --help` shows each command's options and examples.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"convgif {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    known = commands()
    for found in [known[command]] if command in known else known.values():
        _add(sub.add_parser(found.name, help=found.help, description=found.description,
                            epilog=o.examples_text(found.examples),
                            formatter_class=argparse.RawDescriptionHelpFormatter),
             found.parts)
    return parser


# --------------------------------------------------------------------------- flags by name

ALIASES = {"path": "output", "fmt": "format", "x": "input"}  # the API's names for options


def flag_names(command: str | None, argv=(), layer_flags: bool = False) -> dict[str, str]:
    """Each Python name ``command`` takes as an option -> the flag as typed (``--input-shape``).

    Of two flags for one name (``--values`` / ``--no-values``) the one in ``argv`` wins.
    The layer's own parameters (``groups``) are flags only when the layer was given as
    flags (``layer_flags``); inside ``--layer`` they keep the names written there.
    """
    found = commands().get(command)
    if found is None:
        return {}
    names: dict[str, str] = {}
    for option in o.flatten(found.parts):
        if not option.flag.startswith("-"):
            continue  # a positional argument
        if option.dest in o.LAYER_FLAG_NAMES and not layer_flags:
            continue
        spelling = typed_flag(option.flags, argv)
        if option.dest not in names or spelling:
            names[option.dest] = spelling or option.flag
    for name, dest in ALIASES.items():
        if dest in names:
            names[name] = names[dest]
    return names


def typed_flag(flags, argv) -> str | None:
    """Which of ``flags`` (``("-o", "--output")``) the user typed last in ``argv``, as
    argparse reads it: ``--output x``, ``--output=x``, ``-o x``, ``-ox``, ``-qo x``; None
    when none was typed in full (an abbreviation such as ``--out`` is named by its long
    form)."""
    found = None
    for arg in argv:
        if arg == "--":
            break
        for flag in flags:
            if flag.startswith("--"):
                hit = arg == flag or arg.startswith(flag + "=")
            else:  # one letter: a value may follow it, or other letters precede it
                hit = not arg.startswith("--") and _short_cluster(arg, flag[1:])
            if hit:
                found = flag
    return found


def _short_cluster(arg: str, letter: str) -> bool:
    """``-o``, ``-ofile`` or ``-qo``: ``letter`` among the leading switches of a cluster
    (``-q``, which take no value) or right after them."""
    head = arg[1:] if arg.startswith("-") else ""
    switches = len(head) - len(head.lstrip(SWITCH_LETTERS))
    return letter in head[:switches] or head[switches:switches + 1] == letter


SWITCH_LETTERS = "qh"  # the short flags that take no value, so another may follow them


# --------------------------------------------------------------------------- old spellings

OLD_SPELLINGS = (
    # (command, flag, refused when its value ..., message): spellings that changed
    ("stack", "--cell", lambda value: "," in value,
     "stack --cell {value}: --cell is the pixel size of a cell; the output cell is "
     "--output-cell {value}"),
    ("stack", "--cell-size", lambda value: True,
     "stack --cell-size {value}: the pixel size of a cell is --cell in every command: "
     "--cell {value}"),
)


def refuse_old_spellings(argv) -> None:
    """A spelling that changed is one line naming the new one, before argparse reads it."""
    command = argv[0] if argv else None
    for i, arg in enumerate(argv):
        flag, equals, value = arg.partition("=")
        if not equals:
            value = argv[i + 1] if i + 1 < len(argv) else ""
        for where, old, applies, message in OLD_SPELLINGS:
            if command == where and flag == old and applies(value):
                raise ConvGifError(message.format(value=value))
