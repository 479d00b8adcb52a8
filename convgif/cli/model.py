"""``convgif model``: a whole network's table, stills and animations, from a file.

The command's options (``PARTS``, turned into argparse by ``convgif.cli.parser``) and
its handler (``run``). ``FILE.py NAME`` executes your Python file to get the model;
``FILE.toml`` lists layers and executes nothing (``convgif.api.modelfile``).
"""

from __future__ import annotations

import time
from pathlib import Path

from convgif.cli import options as o

HELP = "a whole network, layer by layer: its table, one still per layer, animations"
DESCRIPTION = (
    "Run a model once and print its table (layer, output shape, parameters, MACs, receptive "
    "field and jump), with every step: layers convgif does not simulate (ReLU, BatchNorm, "
    "Flatten, Linear, ...) are listed as such. FILE.py NAME: your Python file is EXECUTED "
    "(its `if __name__ == \"__main__\"` block is not) and NAME is a torch.nn.Module in it or a "
    "function or class building one with no arguments (needs torch). FILE.toml: "
    "input_shape = [1, 32, 32] and layers = [\"Conv2d(1, 6, 5)\", \"MaxPool2d(2)\", ...], "
    "read as --layer is, nothing executed. -o writes one still per convolution / pooling "
    "step on the activation it received (.png: a contact sheet; .pdf: a page per step); "
    "--animate FOLDER one GIF per such step, named by position, layer and kind."
)
EXAMPLES = (
    "convgif model examples/lenet.py lenet --input-shape 3,32,32 -o outputs/lenet_sheet.png",
    "convgif model examples/lenet.py lenet --table lenet.md -o lenet.pdf --animate lenet/",
    "convgif model stack.toml -o stack.png",
)
PARTS = (
    o.option("file", help="a .py file (executed) or a .toml file listing layers"),
    o.option("name", nargs="?", default=None,
             help="with a .py file: the model, or a function or class that builds it"),
    o.INPUT_SHAPE.but(help="one sample's shape, e.g. 3,32,32 (a batch of one is run; "
                      "default: the file's INPUT_SHAPE or input_shape)"),
    o.option("-o", "--output", dest="sheet", help="the stills: .png (a contact sheet) or "
             ".pdf (a page per step)"),
    o.option("--table", help="also write the table: .txt, .md or .csv"),
    o.option("--animate", metavar="FOLDER", help="one GIF per convolution / pooling step"),
    o.option("--columns", type=o.number("--columns", int, minimum=1),
             help="tiles per row of the sheet (default: 2)"),
    o.option("--step", default="auto", choices=("auto", "output", "channel", "mac")),
    o.STYLE, o.SCALE, o.FONT, o.DURATION, o.HOLD.but(default=None), *o.ANIMATION[2:],
    o.SEED.but(help="seed of the input made from --input-shape"),
    o.QUIET.but(help="no table, no summary"),
)
FLAGS = {"file": "FILE", "name": "NAME", "model": "FILE", "layers": "FILE", "x": "FILE"}


def run(args) -> int:
    from convgif.errors import ConvGifError

    try:
        return _run(args)
    except ConvGifError as error:  # the positional arguments by their names in --help
        if error.param in FLAGS:
            raise ConvGifError(error.spelled(FLAGS)) from None
        raise


def _run(args) -> int:
    from convgif.api.modelfile import load_model
    from convgif.api.walk import summary, walk

    start = time.perf_counter()
    model, shape = load_model(args.file, args.name, args.input_shape)
    options = {"step": args.step, "style": args.style, "scale": args.scale, "font": args.font,
               "force": args.force}
    animation = {"duration": args.duration, "hold": args.hold, "max_frames": args.max_frames}
    title = args.name or Path(args.file).name
    network = walk(model, _shape(shape), table=args.table, sheet=args.sheet, columns=args.columns,
                   title=title, seed=args.seed, **options)
    written = [p for p in (args.table, args.sheet) if p]
    if args.animate:
        from convgif.api.walk import animate_steps

        written += [str(p) for p in animate_steps(args.animate, network, **options,
                                                  **{k: v for k, v in animation.items()
                                                     if v is not None})]
    if not args.quiet:
        print(summary(network, title), end="")
        for path in written:
            print(f"wrote {path}")
        print(f"{len(network)} steps, {time.perf_counter() - start:.2f} s")
    return 0


def _shape(shape):
    from convgif.layers.parse import parse_shape

    return parse_shape(shape, "input_shape")
