"""One short handler per command: read the layer and its input, call the API, report.

Every handler that takes a layer reads it with ``given(args)``, the same
``convgif.batch.layer_and_input`` a batch file's tables go through. Heavy
modules (the renderer, Pillow, matplotlib, torch) are imported inside the
handler that needs them, so ``--help`` stays fast.
"""

from __future__ import annotations

import os
import sys
import time

from convgif.cli import model
from convgif.cli.options import LAYER_FLAG_NAMES
from convgif.errors import ConvGifError

MAX_CHANNELS = 65_536  # channel numbers --channels may name when the layer's count is unknown

# --------------------------------------------------------------------------- shared parts


def source(args):
    """The layer and input the command line gives, as ``layer_and_input`` reads them."""
    from convgif.batch import Source

    flags = {name: getattr(args, name) for name in LAYER_FLAG_NAMES}
    flags = {name: value for name, value in flags.items() if value is not None}
    if flags.pop("no_bias", None):
        flags["bias"] = False
    return Source(layer=args.layer, flags=flags, input_shape=args.input_shape, input=args.input,
                  image=args.image, image_size=args.image_size, seed=args.seed)


def layer_flags_given(args) -> bool:
    """Whether the layer came as flags (--kernel-size ...) rather than --layer."""
    return any(getattr(args, name, None) is not None for name in LAYER_FLAG_NAMES)


def given(args, loaded: bool = True):
    """The command line's layer and input; ``loaded``: a photo read into an array (a
    picture command leaves it to the renderer, which picks the photo's size)."""
    from convgif.batch import layer_and_input

    result = layer_and_input(source(args))
    return result.loaded() if loaded else result


def picture_options(args, layer_input) -> dict:
    """The input and the picture options of render / still / frames / sheet."""
    options = {
        "step": args.step, "style": args.style, "scale": args.scale, "cell": args.cell,
        "values": args.values, "lines": args.lines, "font": args.font, "view": args.view,
        "flip": args.flip, **layer_input.render_input(),
    }
    if getattr(args, "grad", None):
        options["grad"] = args.grad
    if getattr(args, "weight_cell", None) is not None:
        options["weight_cell"] = parse_index(args.weight_cell, "--weight-cell")
    if args.channels is not None:
        options["channels"] = parse_channels(args.channels, out_channels(layer_input))
    if args.outputs is not None:
        # a photo is read by the renderer: it checks the region then
        options["outputs"] = (args.outputs if layer_input.image
                              else parse_outputs(args.outputs, layer_input))
    return options


def parse_outputs(text: str, layer_input) -> tuple[range, ...]:
    """``--outputs 0-3,0-3`` -> one range per output axis, checked against the output's size."""
    from convgif.layers.parse import output_region

    spec = layer_input.layer.spec
    out = layer_input.layer.output_shape(layer_input.shape)
    spatial = out[-spec.ndim - 1 : -1] if spec.channels_last else out[-spec.ndim :]
    return output_region(text, spatial, "--outputs")


def out_channels(layer_input) -> int | None:
    """The layer's output channels on its input (None when a photo decides the input)."""
    if layer_input.image:
        return None
    spec = layer_input.layer.spec
    out = layer_input.layer.output_shape(layer_input.shape)
    return int(out[-1] if spec.channels_last else out[-spec.ndim - 1])


def parse_channels(text: str, count: int | None = None) -> list[int]:
    """``"0-3"``, ``"0,5,9"`` or ``"0-3,8"`` -> channel numbers; each range checked against
    the layer's ``count`` output channels before it is expanded (``0-99999999`` is refused
    at once, not after filling the memory)."""
    from convgif.layers.parse import index_range

    given_as, expected = f"--channels={text!r}", "channel numbers and ranges, e.g. 0-3 or 0,5,9"
    parts = [index_range(part, given_as, expected) for part in str(text).split(",")]
    limit = MAX_CHANNELS if count is None else count
    for part in parts:
        if part.stop > limit:  # the rule the API states (frames.storyboard)
            rule = (f"must name output channels in 0..{count - 1}" if count
                    else f"names more than {MAX_CHANNELS:,} channels: name fewer, e.g. 0-3")
            raise ConvGifError(f"{given_as} {rule}")
    return [c for part in parts for c in part]


def parse_index(text: str, flag: str) -> tuple[int, ...]:
    """``"1,0,2,2"`` -> (1, 0, 2, 2): whole numbers from 0, checked against the weight's
    shape by the view."""
    parts = str(text).split(",")
    if not all(p.strip().isdigit() for p in parts):
        raise ConvGifError(f"{flag}={text!r} must be whole numbers from 0 separated by commas, "
                           "e.g. 1,0,2,2")
    return tuple(int(p) for p in parts)


def frame_list(args):
    from convgif.api.export import parse_frame_list

    return parse_frame_list(args.frames) if args.frames is not None else None


def progress(args, unit: str = "frame"):
    """A tqdm wrapper for long jobs on a terminal; None when quiet, piped, or without tqdm."""
    if getattr(args, "quiet", False) or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None

    def wrap(iterable, total):  # delay: quick renders never show a bar
        return tqdm(iterable, total=total, unit=unit, file=sys.stderr, delay=0.5, leave=False,
                    dynamic_ncols=True)

    return wrap


def say(args, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text)


def wrote(args, start: float, what: str) -> int:
    """``wrote PATH: what, 12 KB, 0.34 s`` (unless --quiet); exit status 0."""
    size = f"{os.path.getsize(args.output) / 1024:.0f} KB"
    say(args, f"wrote {args.output}: {what}, {size}, {time.perf_counter() - start:.2f} s")
    return 0


# --------------------------------------------------------------------------- commands


def run_info(args) -> int:
    from convgif.layers import frameworks
    from convgif.layers.info import describe, format_text, to_json

    layer_input = given(args)
    info = describe(layer_input.layer, layer_input.shape)
    eq = frameworks.equivalents(layer_input.layer, layer_input.shape)
    grads = None
    if args.grad:
        from convgif.layers.grad_info import describe_grads, format_grads

        grads = describe_grads(layer_input.layer, layer_input.shape)
    if args.json:
        print(to_json({**info, "equivalents": eq, **({"gradients": grads} if grads else {})}))
    else:
        print(format_text(info) + "\n\n" + frameworks.format_text(eq)
              + ("\n\n" + format_grads(grads) if grads else ""))
    return 0


def run_render(args) -> int:
    from convgif.api import render

    start = time.perf_counter()
    layer_input = given(args, loaded=False)
    result = render.animate(
        args.output, layer_input.layer, duration=args.duration, hold=args.hold,
        progress=progress(args), max_frames=args.max_frames, force=args.force,
        **picture_options(args, layer_input),
    )
    return wrote(args, start, f"{result.frames} frames")


def run_still(args) -> int:
    from convgif.api import render
    from convgif.api.options import frame_position

    start = time.perf_counter()
    layer_input = given(args, loaded=False)
    pic = render.still_picture(args.output, layer_input.layer, frame=args.frame,
                               **picture_options(args, layer_input))
    number = frame_position(args.frame, len(pic)) + 1  # as the counter writes it
    return wrote(args, start, f"frame {number} of {len(pic)}")


def run_frames(args) -> int:
    from convgif.api.export import write_frames

    start = time.perf_counter()
    layer_input = given(args, loaded=False)
    result = write_frames(
        args.output, layer_input.layer, frames=frame_list(args), every=args.every, fps=args.fps,
        fmt=args.format, progress=progress(args), **picture_options(args, layer_input),
    )
    if not args.quiet and args.format == "pptx":
        print(f"wrote {result.path}: a title slide and {len(result.frames)} of {result.total} "
              f"frames, {time.perf_counter() - start:.2f} s")
    elif not args.quiet:
        print(result.tex, end="")
        first, last = result.paths[0].name, result.paths[-1].name
        print(
            f"wrote {len(result.paths)} of {result.total} frames to {args.output}/ "
            f"({first} .. {last}) and {args.output}/frames.tex, "
            f"{time.perf_counter() - start:.2f} s"
        )
    return 0


def run_sheet(args) -> int:
    from convgif.api.export import contact_sheet

    start = time.perf_counter()
    layer_input = given(args, loaded=False)
    result = contact_sheet(
        args.output, layer_input.layer, frames=frame_list(args), count=args.count,
        columns=args.columns, progress=progress(args), **picture_options(args, layer_input),
    )
    w, h = result.size
    return wrote(args, start, f"{len(result.frames)} of {result.total} frames, {w}x{h} px")


def run_trace(args) -> int:
    from convgif.api.export import export_trace

    start = time.perf_counter()
    layer_input = given(args)
    if args.grad:
        return _grad_trace(args, layer_input, start)
    result = export_trace(args.output, layer_input.layer, x=layer_input.x,
                          input_shape=layer_input.input_shape, view=args.view,
                          progress=progress(args, "chunk"))
    # a pool's records are the values its windows read: it multiplies nothing
    what = "taps" if layer_input.layer.spec.pooling else "MACs"
    return wrote(args, start, f"{result.records:,} {what} x {len(result.fields)} fields")


def _grad_trace(args, layer_input, start: float) -> int:
    from convgif.api.backward import export_grad_trace

    if args.view != "gather":
        raise ConvGifError("--view scatter and --grad: the gradient records have one order "
                           "(the forward pass's); leave --view out")
    result = export_grad_trace(args.output, layer_input.layer, args.grad, x=layer_input.x,
                               input_shape=layer_input.input_shape,
                               progress=progress(args, "chunk"))
    return wrote(args, start, f"{result.records:,} {args.grad}-gradient MACs x "
                              f"{len(result.fields)} fields")


def run_overlap(args) -> int:
    from convgif.api.options import output_options
    from convgif.api.overlap import overlap_view
    from convgif.api.written import write_view

    start = time.perf_counter()
    layer_input = given(args)
    output = output_options(scale=args.scale, style=args.style, font=args.font,
                            duration=args.duration, hold=args.hold, max_frames=args.max_frames,
                            force=args.force)
    pic = overlap_view(args.output, layer_input.layer, input_shape=layer_input.shape,
                       cell=args.cell, output=output)
    write_view(args.output, pic, output, progress=progress(args))
    return wrote(args, start, f"up to {int(pic.final[pic.real].max(initial=0))} per cell")


def run_cost(args) -> int:
    from convgif.api.cost import cost_chart

    start = time.perf_counter()
    layer_input = given(args)
    table = cost_chart(args.output, layer_input.layer, input_shape=layer_input.shape,
                       sweep=args.sweep, measure=args.measure, repeats=args.repeats,
                       threads=args.threads, style=args.style, font=args.font)
    return wrote(args, start, f"{len(table)} values")


def run_features(args) -> int:
    from convgif.api.features import features_view, still_output
    from convgif.api.written import write_view

    start = time.perf_counter()
    output = still_output(args.output, style=args.style, font=args.font)
    view = features_view(args.image, args.kernel, args.layer, max_side=args.max_side,
                         seed=args.seed)
    write_view(args.output, view, output)
    f = view.features
    return wrote(args, start, f"input {f.x.shape} -> feature maps {f.output.shape}")


def run_stack(args) -> int:
    from convgif.api.options import output_options
    from convgif.api.stack import stack_view
    from convgif.api.written import write_view
    from convgif.io.inputs import parse_sizes

    start = time.perf_counter()
    output = output_options(scale=args.scale, style=args.style, font=args.font,
                            duration=args.duration, hold=args.hold)
    pic = stack_view(
        args.output, args.layers, parse_sizes(args.input_shape, "input_shape", positive=True),
        output_cell=args.output_cell, channels=args.by_channel, cell=args.cell, seed=args.seed,
        output=output,
    )
    write_view(args.output, pic, output, frame=args.frame)
    rf = pic.rf
    return wrote(args, start, f"y{list(rf.cell)} has a receptive field of {rf.rf[0]}x{rf.rf[1]} "
                 f"input cells, jump {rf.jump[0]}x{rf.jump[1]}; {len(pic)} frames")


def run_batch(args) -> int:
    from convgif.batch import run_batch as batch

    start = time.perf_counter()
    results = batch(args.file, workers=args.workers, progress=progress(args, "render"))
    failed = [r for r in results if not r.ok]
    for r in results:
        if r.ok:
            say(args, r.describe())
        else:
            print(f"convgif: error: {r.describe()}", file=sys.stderr)
    say(args, f"batch {args.file}: {len(results) - len(failed)} of {len(results)} rendered, "
        f"{time.perf_counter() - start:.2f} s")
    return 2 if failed else 0


HANDLERS = {
    "info": run_info, "render": run_render, "still": run_still, "frames": run_frames,
    "sheet": run_sheet, "trace": run_trace, "features": run_features, "stack": run_stack,
    "batch": run_batch, "overlap": run_overlap, "cost": run_cost, "model": model.run,
}
