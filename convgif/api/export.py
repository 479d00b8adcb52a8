"""Everything the command line writes besides one animation or one still.

Numbered frame folders with a LaTeX Beamer snippet, contact sheets and trace
exports (CSV / JSON Lines / npz); batch renders from a TOML file are
``convgif.batch``'s. The ``convgif`` command calls exactly these functions; each takes the layer and
its input the way ``render.animate`` does (``x=`` an array, or
``input_shape=``) and the same picture options (``step``, ``values``,
``lines``, ``cell``, ``scale``, ``style``, ``font``).

Heavy modules (Pillow, the renderer) are imported inside the functions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from convgif.api.options import frame_positions
from convgif.errors import NAME, ConvGifError, name_of, refuse
from convgif.frames.budget import MAX_PAGED_FRAMES
from convgif.frames.sampling import even_frames, select_frames
from convgif.frames.timing import PACES
from convgif.io.files import FRAME_FORMATS
from convgif.io.records import trace_arrays, write_records

MAX_VECTOR_FRAMES = MAX_PAGED_FRAMES  # SVG / PDF frames a folder may get: matplotlib ~0.1 s each

__all__ = [
    "FrameFolder",
    "Sheet",
    "TraceExport",
    "contact_sheet",
    "export_trace",
    "write_frames",
]


def _prepare(layer, x, input_shape, options: dict):
    """The layer's view and its painter, every option checked, one frame's size budgeted."""
    from convgif.api import render
    from convgif.api.options import FRAMES_KEYS, split_options

    output, options = split_options(options, FRAMES_KEYS)
    render.check_layer_size(layer, x, input_shape, options, output)
    pic = render.picture(layer, x=x, input_shape=input_shape, **options)
    painter = render.painter_for(pic, output.style, output.scale, output.font)
    render.check_budget(pic, painter.scale, 1)  # one frame's size, before painting any
    return pic, painter


def parse_frame_list(text: str, name: str = "--frames") -> list[int]:
    """``"1,5,9"`` -> [1, 5, 9]: frame numbers from 1, as the counter writes them
    (negative numbers count from the end)."""
    try:
        frames = [int(p) for p in str(text).split(",") if p.strip()]
    except ValueError:
        raise ConvGifError(f"{name}={text!r} must be frame numbers separated by commas") from None
    if not frames:
        raise ConvGifError(f"{name}={text!r} must name at least one frame")
    return frames


# --------------------------------------------------------------------------- frame folders


@dataclass(frozen=True)
class FrameFolder:
    folder: Path
    paths: list[Path]
    frames: list[int]  # animation frame number of each file, from 1 as the counter writes it
    total: int  # frames in the whole animation
    tex: str  # the Beamer snippet (also saved as folder/frames.tex)


def beamer_snippet(folder, files: int, fps: float, layer_text: str = "", note: str = "") -> str:
    """A ``\\animategraphics`` call for ``frame_0001.png`` ... in ``folder``."""
    prefix = Path(os.fspath(folder)).as_posix().rstrip("/") + "/frame_"
    digits = 4
    lines = [
        "% convgif frames" + (f": {layer_text}" if layer_text else ""),
    ]
    if note:
        lines.append(f"% {note}")
    lines += [
        "% Needs the animate package: put \\usepackage{animate} in the preamble.",
        "% The path is as convgif was given it; adjust it to where your .tex file lives.",
        f"\\animategraphics[autoplay,loop,width=\\linewidth]{{{fps:g}}}{{{prefix}}}"
        f"{{{1:0{digits}d}}}{{{files:0{digits}d}}}",
    ]
    return "\n".join(lines) + "\n"


def write_frames(
    folder,
    layer,
    *,
    x=None,
    input_shape=None,
    frames=None,
    every=None,
    fps: float | None = None,
    fmt: str = "png",
    progress=None,
    **options,
) -> FrameFolder:
    """Write the chosen frames as ``folder/frame_0001.png``... and ``folder/frames.tex``.

    Files are numbered 1, 2, 3... in the order chosen (the ``animate`` package
    needs consecutive numbers); ``FrameFolder.frames`` maps them back to the
    animation's frame numbers. ``fmt``: 'png', or 'pdf' / 'svg' (drawn by the
    vector backend; pdflatex animates PDF frames sharply at any zoom); 'pptx': one deck
    (``api.deck``). ``frames``: numbered from 1 as the counter does, negative from the end."""
    from convgif.api import render
    from convgif.io.files import staged_folder
    from convgif.io.writers import write_numbered_pngs

    if fmt == "pptx":  # one deck, not a folder of files
        return _deck(folder, layer, x, input_shape, frames, every, progress, options)
    if fmt not in FRAME_FORMATS:
        raise refuse("fmt", fmt, f"must be one of {', '.join(map(repr, FRAME_FORMATS))}, 'pptx'")
    pic, painter = _prepare(layer, x, input_shape, options)
    total = len(pic)
    chosen = select_frames(total, frame_positions(frames, total), every)
    if fmt != "png" and len(chosen) > MAX_VECTOR_FRAMES:
        raise ConvGifError(
            f"{len(chosen):,} frames as .{fmt} files (limit {MAX_VECTOR_FRAMES:,}: each is drawn "
            f"by matplotlib, a tenth of a second or more): choose fewer with {name_of('frames')} "
            f"or {name_of('every')}, or write PNG frames ({NAME}='png')", "fmt")
    numbers = [i + 1 for i in chosen]
    if fps is None:
        fps = round(1000 / PACES[pic.pace].step_ms, 2)
    elif isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0 < fps <= 100:
        raise refuse("fps", fps, "must be a number of frames per second from 0 to 100")
    if len(chosen) == total:
        note = f"all {total} frames"
    else:
        shown = ", ".join(map(str, numbers[:12])) + (", ..." if len(chosen) > 12 else "")
        note = f"{len(chosen)} of {total} frames (animation frames {shown})"
    tex = beamer_snippet(folder, len(chosen), fps, pic.title, note)
    # all or nothing: the frames and frames.tex replace the folder's old ones together
    with staged_folder(folder) as stage:
        if fmt == "png":
            painted = render.painted(pic, painter, chosen)
            if progress is not None:
                painted = progress(painted, len(chosen))
            names = write_numbered_pngs(stage, painted, painter.palette)
        else:
            names = _vector_frames(stage, pic, chosen, fmt, options, progress)
        (stage / "frames.tex").write_text(tex, encoding="utf-8")
    folder = Path(os.fspath(folder))
    return FrameFolder(folder, [folder / name for name in names], numbers, total, tex)


def _deck(output, layer, x, input_shape, frames, every, progress, options):
    from convgif.api.deck import frames_deck

    return frames_deck(output, layer, x=x, input_shape=input_shape, frames=frames, every=every,
                       progress=progress, **options)


def _vector_frames(folder: Path, pic, chosen, fmt, options, progress) -> list[str]:
    """``frame_0001.svg``... (or .pdf) of the chosen frames in ``folder``; their names."""
    from convgif.api import render

    try:
        from convgif.backends import vector
    except ImportError:
        raise ConvGifError(
            f"{NAME}={fmt!r}: vector output is not available in this version", "fmt"
        ) from None

    numbered = enumerate(chosen, start=1)
    if progress is not None:
        numbered = progress(numbered, len(chosen))
    names = []
    for number, frame in numbered:
        names.append(f"frame_{number:04d}.{fmt}")
        data = vector.encode(
            pic.scene(frame),
            f".{fmt}",
            render.view_style(pic, options.get("style", "default")),
            render.frame_scale(pic, options.get("scale", 1.0)),
            options.get("font"),
        )
        (folder / names[-1]).write_bytes(data)  # the folder is staged: moved in when whole
    return names


# --------------------------------------------------------------------------- contact sheet


@dataclass(frozen=True)
class Sheet:
    path: Path
    frames: list[int]  # from 1, as the counter writes them
    total: int
    size: tuple[int, int]  # (width, height) in pixels


def contact_sheet(
    path,
    layer,
    *,
    x=None,
    input_shape=None,
    frames=None,
    count: int = 8,
    columns: int | None = None,
    progress=None,
    **options,
) -> Sheet:
    """One still (PNG, SVG or PDF): a grid of the chosen frames (default: ``count`` evenly
    spaced), each labelled with its number (from 1, as the counter writes it; ``frames``
    counts the same way). It is the sheet view (``convgif.views.sheet``) of the layer's
    view, written as any still is; ``force`` lifts the limit on its size."""
    from convgif.api import render
    from convgif.api.options import STILL_KEYS, split_options
    from convgif.frames.budget import check_budget
    from convgif.views.sheet import SHEET_WAYS, SheetView, sheet_size

    if Path(os.fspath(path)).suffix.lower() not in render.STILL_FORMATS:
        raise ConvGifError(f"{NAME}={os.fspath(path)!r}: a contact sheet is written as "
                           f"{', '.join(render.STILL_FORMATS)}", "path")
    if columns is not None and (isinstance(columns, bool) or not isinstance(columns, int)
                                or columns < 1):
        raise refuse("columns", columns, "must be a positive integer")
    if frames is None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise refuse("count", count, "must be a positive integer")
    output, options = split_options(options, STILL_KEYS)
    render.check_layer_size(layer, x, input_shape, options, output)
    pic = render.picture(layer, x=x, input_shape=input_shape, **options)
    total = len(pic)
    chosen = (even_frames(total, count) if frames is None
              else select_frames(total, frame_positions(frames, total)))
    scale = render.frame_scale(pic, output.scale)
    render.check_budget(pic, scale, 1, output.force)  # a tile's size, before any
    width, height = sheet_size(pic, len(chosen), columns)  # the whole sheet's, before any tile
    check_budget(width * scale, height * scale, 1, force=output.force, smaller=SHEET_WAYS)
    made = iter(chosen) if progress is None else progress(iter(chosen), len(chosen))
    sheet = SheetView(pic, chosen, columns, [pic.scene(i) for i in made])
    render.still_view(path, sheet, 1, output)
    size = (round(sheet.width * scale), round(sheet.height * scale))
    return Sheet(Path(os.fspath(path)), [i + 1 for i in chosen], total, size)


# --------------------------------------------------------------------------- trace export

TRACE_FORMATS = (".csv", ".jsonl", ".npz")


@dataclass(frozen=True)
class TraceExport:
    path: Path
    records: int
    fields: tuple[str, ...]
    trace: object = field(repr=False)


def _records(trace, view: str, chunk: int):
    """(fields, total, chunk iterator) of the MAC records in ``view`` order."""
    from convgif.simulate.trace import scatter_fields

    if view == "gather":
        return trace.fields, trace.num_macs, trace.iter_macs(chunk)
    if view == "scatter":
        if not trace.spec.transposed:
            raise ConvGifError(
                f"{NAME}='scatter' needs a transposed layer, not {trace.spec.name}", "view"
            )
        return scatter_fields(trace.ndim), trace.num_scatter_macs, trace.iter_scatter_macs(chunk)
    raise refuse("view", view, "must be 'gather' or 'scatter'")


def export_trace(
    path, layer, *, x=None, input_shape=None, view: str = "gather", chunk: int = 1 << 16,
    progress=None,
) -> TraceExport:
    """Every MAC record of the layer on its input, to ``.csv``, ``.jsonl`` or ``.npz``.

    CSV: a header row of the field names, one row per MAC. JSON Lines: one
    object per MAC. npz: one array per field, plus ``input`` (N, C, ...),
    ``grid`` (the padded grid the window sweeps), ``output`` (as the framework
    returns it), ``weight`` and ``bias``. Records are streamed in chunks, so
    memory stays bounded; the file appears only when complete.
    """

    suffix = Path(os.fspath(path)).suffix.lower()
    if suffix not in TRACE_FORMATS:
        raise refuse("path", os.fspath(path), f"must end in one of {', '.join(TRACE_FORMATS)}")
    if x is None and input_shape is None:
        raise ConvGifError(
            f"give the input: {name_of('x')}=<array> or {name_of('input_shape')}=(C, H, W)"
        )
    check_records(layer, np.shape(x) if x is not None else input_shape)
    trace = layer.trace(layer.example_input(input_shape) if x is None else x)
    fields, total, chunks = _records(trace, view, chunk)
    if progress is not None:
        chunks = progress(chunks, -(-total // chunk) if view == "scatter" else None)
    write_records(path, fields, chunks, lambda: trace_arrays(trace), total)
    return TraceExport(Path(os.fspath(path)), total, tuple(fields), trace)


MAX_RECORDS = 5_000_000  # a trace file's records: about 0.3 to 0.8 GB and a minute to write


def check_records(layer, shape) -> None:
    """Refuse, before the simulation, a trace of more than MAX_RECORDS MACs: no one reads
    or opens such a file, and it takes minutes and gigabytes to write."""
    count = layer.mac_count(tuple(shape))
    if count > MAX_RECORDS:
        raise ConvGifError(
            f"the trace would hold {count:,} records (limit {MAX_RECORDS:,}): give a smaller "
            f"{name_of('input_shape')} or {name_of('x')}", "input_shape")
