"""Everything the command line writes besides one animation or one still.

Numbered frame folders with a LaTeX Beamer snippet, contact sheets, trace
exports (CSV / JSON Lines / npz) and batch renders from a TOML file. The
``convgif`` command calls exactly these functions; each takes the layer and
its input the way ``render.animate`` does (``x=`` an array, or
``input_shape=``) and the same picture options (``step``, ``values``,
``lines``, ``cell``, ``scale``, ``style``, ``font``).

Heavy modules (Pillow, the renderer) are imported inside the functions.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from convgif.errors import ConvGifError
from convgif.frames.sampling import even_frames, select_frames
from convgif.frames.timing import PACES
from convgif.io.writers import FRAME_FORMATS
from convgif.layers.parse import DEFAULT_INPUT, DEFAULT_LAYER, parse_shape

__all__ = [
    "DEFAULT_INPUT",
    "DEFAULT_LAYER",
    "BatchResult",
    "FrameFolder",
    "Sheet",
    "TraceExport",
    "contact_sheet",
    "export_trace",
    "load_batch",
    "load_input",
    "run_batch",
    "write_frames",
]

# --------------------------------------------------------------------------- inputs


def load_input(path, name: str = "--input") -> np.ndarray:
    """A numeric array from a ``.npy`` file, or a ConvGifError that says what is wrong."""
    p = Path(os.fspath(path))
    if not p.is_file():
        raise ConvGifError(f"{name}={str(path)!r}: no such file")
    try:
        with open(p, "rb") as f:
            magic = f.read(6)
        if magic != b"\x93NUMPY":
            what = "an .npz archive" if magic.startswith(b"PK") else "not a .npy file"
            raise ConvGifError(f"{name}={str(path)!r} is {what}; save the array with numpy.save")
        # Mapped, not read: the header says the dtype and size before any memory is spent.
        arr = np.load(p, allow_pickle=False, mmap_mode="r")
    except ConvGifError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "python objects" in str(exc).lower():
            raise ConvGifError(
                f"{name}={str(path)!r} holds Python objects, must be an array of numbers"
            ) from None
        raise ConvGifError(f"{name}={str(path)!r} is not a readable .npy file: {exc}") from None
    except (OSError, EOFError) as exc:
        raise ConvGifError(f"{name}={str(path)!r} could not be read: {exc}") from None
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.number):
        raise ConvGifError(f"{name}={str(path)!r} has dtype {arr.dtype}, must hold numbers")
    if np.iscomplexobj(arr):
        raise ConvGifError(f"{name}={str(path)!r} holds complex numbers, must be real")
    from convgif.api.layer import MAX_INPUT

    if arr.ndim < 2 or arr.size == 0:
        raise ConvGifError(
            f"{name}={str(path)!r} has shape {arr.shape}: it must hold (C, L), (C, H, W) or "
            "more sizes, none of them 0"
        )
    if arr.size > MAX_INPUT:
        raise ConvGifError(
            f"{name}={str(path)!r} has {arr.size:,} values (limit {MAX_INPUT:,}): too many to "
            "simulate"
        )
    arr = np.array(arr)  # read it now, off the map
    if not np.all(np.isfinite(arr)):
        raise ConvGifError(f"{name}={str(path)!r} holds NaN or infinity; values must be finite")
    return arr


def _prepare(layer, x, input_shape, options: dict):
    """The layer's view and its painter, every option checked, one frame's size budgeted."""
    from convgif.api import render
    from convgif.api.options import FRAMES_KEYS, split_options

    output, options = split_options(options, FRAMES_KEYS)
    pic = render.picture(layer, x, input_shape, **options)
    painter = render.painter_for(pic, output.style, output.scale, output.font)
    render.check_budget(pic, painter.scale, 1)  # one frame's size, before painting any
    return pic, painter


def parse_frame_list(text: str, name: str = "--frames") -> list[int]:
    """``"1,5,9"`` -> [1, 5, 9] (negative numbers count from the end)."""
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
    frames: list[int]  # animation frame number of each file
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
    x=None,
    input_shape=None,
    *,
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
    vector backend; pdflatex animates PDF frames sharply at any zoom).
    """
    from convgif.api import render
    from convgif.io.writers import staged_folder, write_numbered_pngs

    if fmt not in FRAME_FORMATS:
        raise ConvGifError(f"fmt={fmt!r} must be one of {', '.join(map(repr, FRAME_FORMATS))}")
    pic, painter = _prepare(layer, x, input_shape, options)
    total = len(pic)
    chosen = select_frames(total, frames, every)
    if fps is None:
        fps = round(1000 / PACES[pic.pace].step_ms, 2)
    elif isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0 < fps <= 100:
        raise ConvGifError(f"fps={fps!r} must be a number of frames per second from 0 to 100")
    if len(chosen) == total:
        note = f"all {total} frames"
    else:
        shown = ", ".join(map(str, chosen[:12])) + (", ..." if len(chosen) > 12 else "")
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
    return FrameFolder(folder, [folder / name for name in names], chosen, total, tex)


def _vector_frames(folder: Path, pic, chosen, fmt, options, progress) -> list[str]:
    """``frame_0001.svg``... (or .pdf) of the chosen frames in ``folder``; their names."""
    try:
        from convgif.backends import vector
    except ImportError:
        raise ConvGifError(f"fmt={fmt!r}: vector output is not available in this version") from None

    numbered = enumerate(chosen, start=1)
    if progress is not None:
        numbered = progress(numbered, len(chosen))
    names = []
    for number, frame in numbered:
        names.append(f"frame_{number:04d}.{fmt}")
        data = vector.encode(
            pic.scene(frame),
            f".{fmt}",
            options.get("style", "default"),
            options.get("scale", 1.0),
            options.get("font"),
        )
        (folder / names[-1]).write_bytes(data)  # the folder is staged: moved in when whole
    return names


# --------------------------------------------------------------------------- contact sheet


@dataclass(frozen=True)
class Sheet:
    path: Path
    frames: list[int]
    total: int
    size: tuple[int, int]  # (width, height) in pixels


def contact_sheet(
    path,
    layer,
    x=None,
    input_shape=None,
    *,
    frames=None,
    count: int = 8,
    columns: int | None = None,
    progress=None,
    **options,
) -> Sheet:
    """One PNG: a grid of the chosen frames (default: ``count`` evenly spaced), each labelled."""
    from PIL import Image, ImageDraw

    from convgif.api import render
    from convgif.backends.fonts import find_font, load
    from convgif.io.writers import atomic_write

    if Path(os.fspath(path)).suffix.lower() != ".png":
        raise ConvGifError(f"path={os.fspath(path)!r}: a contact sheet is written as .png")
    if columns is not None and (isinstance(columns, bool) or not isinstance(columns, int)
                                or columns < 1):
        raise ConvGifError(f"columns={columns!r} must be a positive integer")
    if frames is None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ConvGifError(f"count={count!r} must be a positive integer")
    pic, painter = _prepare(layer, x, input_shape, options)
    total = len(pic)
    chosen = even_frames(total, count) if frames is None else select_frames(total, frames)
    painted = render.painted(pic, painter, chosen)
    if progress is not None:
        painted = progress(painted, len(chosen))
    tiles = [painter.to_rgb(f) for f in painted]

    th, tw = tiles[0].shape[:2]
    cols = min(columns or 4, len(tiles))
    rows = math.ceil(len(tiles) / cols)
    scale = painter.scale
    gap = round(16 * scale)
    label_size = max(10, round(15 * scale))
    band = round(label_size * 1.6)
    paper = painter._rgb[painter.index("paper")]
    ink = tuple(int(v) for v in painter._rgb[painter.index("ink")])
    rule = painter._rgb[painter.index("grid")]
    width = cols * tw + (cols + 1) * gap
    height = rows * (th + band) + (rows + 1) * gap
    sheet = np.empty((height, width, 3), dtype=np.uint8)
    sheet[:] = paper
    origins = []
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        x0 = gap + c * (tw + gap)
        y0 = gap + r * (th + band + gap)
        sheet[y0 + band : y0 + band + th, x0 : x0 + tw] = tile
        # a hairline frame keeps neighbouring tiles apart on a white page
        sheet[y0 + band - 1, x0 - 1 : x0 + tw + 1] = rule
        sheet[y0 + band + th, x0 - 1 : x0 + tw + 1] = rule
        sheet[y0 + band - 1 : y0 + band + th + 1, x0 - 1] = rule
        sheet[y0 + band - 1 : y0 + band + th + 1, x0 + tw] = rule
        origins.append((x0, y0))
    image = Image.fromarray(sheet, "RGB")
    draw = ImageDraw.Draw(image)
    font = load(find_font(options.get("font"), bold=True), label_size)
    for (x0, y0), number in zip(origins, chosen):
        draw.text((x0, y0 + band // 2), f"frame {number}", fill=ink, font=font, anchor="lm")
    with atomic_write(path) as tmp:
        image.save(tmp, format="PNG")
    return Sheet(Path(os.fspath(path)), chosen, total, image.size)


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
                f"view='scatter' needs a transposed layer, not {trace.spec.name}"
            )
        return scatter_fields(trace.ndim), trace.num_scatter_macs, trace.iter_scatter_macs(chunk)
    raise ConvGifError(f"view={view!r} must be 'gather' or 'scatter'")


def _csv_number(kind: str) -> str:
    return "%d" if kind in "iub" else "%.17g"


def export_trace(
    path, layer, x=None, input_shape=None, *, view: str = "gather", chunk: int = 1 << 16,
    progress=None,
) -> TraceExport:
    """Every MAC record of the layer on its input, to ``.csv``, ``.jsonl`` or ``.npz``.

    CSV: a header row of the field names, one row per MAC. JSON Lines: one
    object per MAC. npz: one array per field, plus ``input`` (N, C, ...),
    ``grid`` (the padded grid the window sweeps), ``output`` (as the framework
    returns it), ``weight`` and ``bias``. Records are streamed in chunks, so
    memory stays bounded; the file appears only when complete.
    """
    from convgif.io.writers import atomic_write

    suffix = Path(os.fspath(path)).suffix.lower()
    if suffix not in TRACE_FORMATS:
        raise ConvGifError(
            f"path={os.fspath(path)!r} must end in one of {', '.join(TRACE_FORMATS)}"
        )
    if x is None:
        if input_shape is None:
            raise ConvGifError("give the input: x=<array> or input_shape=(C, H, W)")
        x = layer.example_input(input_shape)
    trace = layer.trace(x)
    fields, total, chunks = _records(trace, view, chunk)
    if progress is not None:
        chunks = progress(chunks, -(-total // chunk) if view == "scatter" else None)
    with atomic_write(path) as tmp:
        if suffix == ".csv":
            _write_csv(tmp, fields, chunks)
        elif suffix == ".jsonl":
            _write_jsonl(tmp, fields, chunks)
        else:
            _write_npz(tmp, trace, fields, total, chunks)
    return TraceExport(Path(os.fspath(path)), total, tuple(fields), trace)


def _write_csv(tmp: Path, fields, chunks) -> None:
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(fields) + "\n")
        for table in chunks:
            if not len(table):
                continue
            fmt = ",".join(_csv_number(table.dtype[name].kind) for name in fields)
            np.savetxt(f, table[list(fields)], fmt=fmt)


def _write_jsonl(tmp: Path, fields, chunks) -> None:
    import json

    with open(tmp, "w", encoding="utf-8") as f:
        for table in chunks:
            for row in table.tolist():
                # NaN (a scatter stamp that lands in the crop) is not JSON: write null.
                values = [None if isinstance(v, float) and v != v else v for v in row]
                f.write(json.dumps(dict(zip(fields, values)), separators=(",", ":")))
                f.write("\n")


def _write_npz(tmp: Path, trace, fields, total: int, chunks) -> None:
    import tempfile
    import zipfile

    # One pass over the records into one .npy per field on disk (bounded memory),
    # then into the archive with fixed timestamps (same arguments, same bytes).
    extras = {
        "input": trace.x,
        "grid": trace.grid,
        "output": np.asarray(trace.output),
        "bias": trace.bias,
    }
    if trace.weight is not None:
        extras["weight"] = trace.weight
    with tempfile.TemporaryDirectory(dir=tmp.parent, prefix=".convgif-npz-") as scratch:
        maps = {}
        done = 0
        for table in chunks:
            if not maps:
                maps = {
                    name: np.lib.format.open_memmap(
                        Path(scratch) / f"{name}.npy", "w+", table.dtype[name], (total,)
                    )
                    for name in fields
                }
            for name in fields:
                maps[name][done : done + len(table)] = table[name]
            done += len(table)
        if not maps:  # no records at all
            for name in fields:
                np.save(Path(scratch) / f"{name}.npy", np.empty(0))
        for m in maps.values():
            m.flush()
        del maps
        for name, arr in extras.items():
            np.save(Path(scratch) / f"{name}.npy", np.ascontiguousarray(arr))
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            for name in (*fields, *extras):
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_STORED
                with open(Path(scratch) / f"{name}.npy", "rb") as src, archive.open(
                    info, "w", force_zip64=True
                ) as dst:
                    while block := src.read(1 << 20):
                        dst.write(block)


# --------------------------------------------------------------------------- batch

BATCH_KEYS = (
    "layer",
    "input_shape",
    "input",
    "image",
    "image_size",
    "output",
    "seed",
    "step",
    "style",
    "scale",
    "cell",
    "values",
    "lines",
    "font",
    "duration",
    "hold",
    "view",
    "channels",
    "flip",
    "outputs",
    "max_frames",
    "force",
)


LINE_KEY = " line"  # where load_batch notes an entry's line (a key no one writes)


@dataclass(frozen=True)
class BatchResult:
    index: int  # position of the [[render]] table in the file, from 1
    output: str
    frames: int = 0
    bytes: int = 0
    seconds: float = 0.0
    error: str | None = None
    line: int | None = None  # line of the entry's [[render]] header in the batch file

    @property
    def ok(self) -> bool:
        return self.error is None

    def describe(self) -> str:
        if self.error:
            where = f" at line {self.line}" if self.line else ""
            return f"render #{self.index}{where} ({self.output}): {self.error}"
        return (
            f"wrote {self.output}: {self.frames} frames, {self.bytes / 1024:.0f} KB, "
            f"{self.seconds:.2f} s"
        )


def load_batch(path) -> list[dict]:
    """The ``[[render]]`` tables of a TOML file, with relative paths resolved against it."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    p = Path(os.fspath(path))
    try:
        with open(p, "rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError:
        raise ConvGifError(f"batch file {str(path)!r}: no such file") from None
    except OSError as exc:
        raise ConvGifError(f"batch file {str(path)!r} could not be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib ends its message with "(at line L, column C)": lead with the line instead
        text = " ".join(str(exc).split())
        found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", text)
        if found:
            text = text[: found.start()]
            raise ConvGifError(
                f"batch file {str(path)!r}, line {found[1]} (column {found[2]}): not valid "
                f"TOML: {text}"
            ) from None
        raise ConvGifError(f"batch file {str(path)!r} is not valid TOML: {text}") from None
    except UnicodeDecodeError:
        raise ConvGifError(f"batch file {str(path)!r} is not UTF-8 text") from None
    entries = doc.get("render")
    unknown = set(doc) - {"render"}
    if unknown:
        raise ConvGifError(
            f"batch file {str(path)!r}: unknown table {sorted(unknown)[0]!r}; "
            "write each render as a [[render]] table"
        )
    if not isinstance(entries, list) or not entries or not all(
        isinstance(e, dict) for e in entries
    ):
        raise ConvGifError(
            f"batch file {str(path)!r} must hold one or more [[render]] tables"
        )
    base = p.parent
    # The line of each [[render]] header, so an error can point at its entry.
    text = p.read_text(encoding="utf-8", errors="replace")
    lines = [i for i, row in enumerate(text.splitlines(), start=1)
             if re.match(r"\s*\[\[\s*render\s*\]\]", row)]
    resolved = []
    for number, entry in enumerate(entries):
        entry = dict(entry)
        if len(lines) == len(entries):
            entry[LINE_KEY] = lines[number]
        for key in ("output", "input", "image"):
            if isinstance(entry.get(key), str) and entry[key]:
                entry[key] = str(base / entry[key])
        resolved.append(entry)
    return resolved


def render_entry(entry: dict) -> tuple[int, int, float]:
    """Render one batch entry: (frames, bytes, seconds). Raises ConvGifError."""
    import time

    from convgif.api import render
    from convgif.api.kinds import parse_layer

    start = time.perf_counter()
    entry = {k: v for k, v in entry.items() if k != LINE_KEY}
    unknown = set(entry) - set(BATCH_KEYS)
    if unknown:
        raise ConvGifError(
            f"unknown key {sorted(unknown)[0]!r}; a [[render]] table takes "
            + ", ".join(BATCH_KEYS)
        )
    output = entry.get("output")
    if not isinstance(output, str) or not output:
        raise ConvGifError("output must be given, e.g. output = \"outputs/conv.gif\"")
    seed = entry.get("seed", 0)
    layer = parse_layer(entry.get("layer", DEFAULT_LAYER), seed=seed)
    if entry.get("image") is False:  # image = false: no photo
        del entry["image"]
    if "image_size" in entry and "image" not in entry:
        raise ConvGifError("image_size sizes a photo: give image too (a path, or true)")
    given = [k for k in ("input", "input_shape", "image") if k in entry]
    if len(given) > 1:
        raise ConvGifError(f"give one of input, input_shape and image, not {' and '.join(given)}")
    if "input" in entry:
        x, shape = load_input(entry["input"], "input"), None
    elif "image" in entry:
        x, shape = None, None  # the photo is the input
    else:
        x, shape = None, parse_shape(entry.get("input_shape", DEFAULT_INPUT), "input_shape")
    options = {k: entry[k] for k in BATCH_KEYS if k in entry and k not in (
        "layer", "input_shape", "input", "output", "seed")}
    pic = render.animate(output, layer, x, shape, **options)
    frames = len(render.frame_indices(pic, options.get("max_frames")))  # max_frames: fewer
    return frames, os.path.getsize(output), time.perf_counter() - start


def _batch_worker(args) -> BatchResult:
    index, entry = args
    output = str(entry.get("output", "?"))
    line = entry.get(LINE_KEY)
    try:
        frames, size, seconds = render_entry(entry)
    except ConvGifError as exc:
        return BatchResult(index, output, error=str(exc), line=line)
    except Exception as exc:  # one broken entry must not sink the others
        return BatchResult(index, output, error=f"{type(exc).__name__}: {exc}", line=line)
    return BatchResult(index, output, frames, size, seconds)


def run_batch(batch, workers: int | None = None, progress=None) -> list[BatchResult]:
    """Render every entry of a batch file (or a list of entry dicts) in parallel.

    An entry that fails is reported in its ``BatchResult.error``; the others
    still render. Results come back in the file's order.
    """
    from concurrent.futures import ProcessPoolExecutor, as_completed

    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise ConvGifError(f"workers={workers!r} must be a positive integer")
    if workers is None:
        workers = os.cpu_count() or 1
    entries = load_batch(batch) if isinstance(batch, (str, os.PathLike)) else list(batch)
    jobs = list(enumerate(entries, start=1))
    workers = min(workers, len(jobs))
    results: dict[int, BatchResult] = {}
    if workers == 1:
        done = (_batch_worker(job) for job in jobs)
        if progress is not None:
            done = progress(done, len(jobs))
        for r in done:
            results[r.index] = r
    else:
        # Import the renderer once, here: forked workers inherit it instead of each
        # paying the import again.
        from convgif.api.kinds import layer_kinds
        from convgif.io import writers  # noqa: F401

        layer_kinds()
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_batch_worker, job) for job in jobs]
            done = as_completed(futures)
            if progress is not None:
                done = progress(done, len(jobs))
            for fut in done:
                r = fut.result()
                results[r.index] = r
    return [results[i] for i, _ in jobs]
