"""Renders described as data: a layer and its input as a user writes them, and batches of them.

``layer_and_input`` is the one reading of "which layer, on which input" that
the command line and a TOML file's ``[[render]]`` tables share: the layer as
its constructor call (``layer``) or as separate sizes (the command line's
layer flags), the input as a shape, a ``.npy`` file or a photo. Its errors
name their parameters with ``param=``, so the command line says
``--input-shape`` where a batch file says ``input_shape``.

``run_batch`` renders every ``[[render]]`` table of a TOML file in parallel.
Heavy modules (numpy, the renderer) are imported inside the functions.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from convgif.errors import NAME, ConvGifError, in_context, name_of
from convgif.layers import DEFAULT_INPUT, DEFAULT_LAYER
from convgif.layers.spec import kind_of

__all__ = [
    "BATCH_KEYS",
    "BatchResult",
    "LayerInput",
    "Source",
    "layer_and_input",
    "load_batch",
    "render_entry",
    "run_batch",
]

# --------------------------------------------------------------------------- layer and input

INPUTS = ("input", "input_shape", "image")  # one of them says what the input is


class Source(NamedTuple):
    """A layer and its input as written: the text of a command line or of a [[render]] table."""

    layer: str | None = None  # the constructor call, e.g. "Conv2d(3, 2, 3)"
    flags: Mapping[str, object] = MappingProxyType({})  # or the layer's sizes, by name
    input_shape: object = None  # "3,7,7" or [3, 7, 7]
    input: object = None  # a .npy file
    image: object = None  # a photo's path, or True for matplotlib's sample
    image_size: int | None = None  # the photo's longer side in cells (default: fitted)
    seed: int = 0


class LayerInput(NamedTuple):
    """The layer and its input: an array ``x``, a shape, or a photo the renderer reads itself
    (so that it can choose the photo's size)."""

    layer: object
    x: object = None
    input_shape: tuple | None = None
    image: object = None
    image_size: int | None = None

    def render_input(self) -> dict:
        """The input as the renderer's keywords (``render.animate`` and the exports)."""
        photo = {"image": self.image, "image_size": self.image_size} if self.image else {}
        return {"x": self.x, "input_shape": self.input_shape, **photo}

    def loaded(self) -> LayerInput:
        """The same with a photo read into ``x``, at the size an animation gives it."""
        if not self.image:
            return self
        from convgif.api.pictures import photo_size
        from convgif.io.images import image_input

        size = self.image_size or photo_size(self.layer, self.image)
        x = image_input(self.layer, self.image, size)
        return self._replace(x=x, image=None, image_size=None)

    @property
    def shape(self) -> tuple[int, ...]:
        """The input's shape (of a loaded photo too)."""
        return tuple(self.x.shape) if self.x is not None else self.input_shape


def layer_and_input(source: Source) -> LayerInput:
    """The layer and its input that ``source`` describes, checked against each other.

    Without a layer, the default layer; without an input, the default shape.
    """
    _check_choices(source)
    if source.image is not None:
        return _with_photo(source)
    from convgif.io.inputs import load_input, parse_sizes

    x = None
    if source.input is not None:
        x = load_input(source.input, "input", _max_input())
        shape = tuple(x.shape)
    else:
        text = DEFAULT_INPUT if source.input_shape is None else source.input_shape
        shape = parse_sizes(text, "input_shape", positive=True)
    layer = _layer(source, shape)
    if x is None:
        return LayerInput(layer, input_shape=shape)
    try:  # an array that does not fit the layer: say which file
        layer.output_shape(shape)
    except ConvGifError as error:
        raise in_context(error, f"{NAME}={source.input!r}", "input") from None
    return LayerInput(layer, x)


def _check_choices(source: Source) -> None:
    """One input, one way of giving the layer, and options that belong to what was given."""
    given = [name for name in INPUTS if getattr(source, name) is not None]
    if len(given) > 1:
        first, second = given[:2]
        raise ConvGifError(f"give {name_of(first)} or {name_of(second)}, not both")
    if source.image_size is not None and source.image is None:
        raise ConvGifError(f"{NAME} sizes a photo: give {name_of('image')} too", "image_size")
    if source.flags and source.layer is not None:
        raise ConvGifError(
            f"give the layer as {NAME} or as flags ({name_of('kernel_size')} ...), not both",
            "layer",
        )
    if source.image is not None:
        from convgif.io.images import check_image

        check_image(source.image)


def _with_photo(source: Source) -> LayerInput:
    if source.flags:  # the layer's channels and rank come from the photo
        from convgif.io.images import ANIMATION_SIDE, image_array

        channels = source.flags.get("in_channels")
        photo = image_array(source.image, channels, source.image_size or ANIMATION_SIDE)
        layer = layer_from_flags(source.flags, photo.shape, source.seed)
    else:
        layer = _layer(source, None)
    return LayerInput(layer, image=source.image, image_size=source.image_size)


def _max_input() -> int:
    from convgif.layers.spec import MAX_INPUT

    return MAX_INPUT


def _layer(source: Source, shape):
    if source.flags:
        return layer_from_flags(source.flags, shape, source.seed)
    from convgif.api.kinds import parse_layer

    try:
        return parse_layer(DEFAULT_LAYER if source.layer is None else source.layer,
                           seed=source.seed)
    except ConvGifError as error:
        if error.param in (None, "layer"):
            raise
        # a keyword inside the layer's text: named as the user wrote it there, in any front door
        raise ConvGifError(str(error)) from None


def layer_from_flags(flags: Mapping[str, object], input_shape, seed: int = 0):
    """The layer the flags describe, built with the constructor ``layer`` text would use.

    ``flags``: ``out_channels`` and ``kernel_size`` at least, and any of
    ``io.inputs.LAYER_FLAGS``; sizes as text (``"5,2"``) or ints. Conv1d/2d/3d follow
    the input's rank unless a size gives one per axis.
    """
    from convgif.api.kinds import KINDS, kind_class
    from convgif.io.inputs import LAYER_FLAGS, layer_arguments, spatial_axes

    unknown = set(flags) - set(LAYER_FLAGS)
    if unknown:
        raise ConvGifError(f"{sorted(unknown)[0]!r} is not a layer flag: {', '.join(LAYER_FLAGS)}")
    if flags.get("kernel_size") is None or flags.get("out_channels") is None:
        raise ConvGifError(
            f"the layer flags need at least {name_of('out_channels')} and "
            f"{name_of('kernel_size')} (or give the whole layer with {name_of('layer')})"
        )
    if flags.get("output_padding") is not None and not flags.get("transposed"):
        raise ConvGifError(f"{NAME} needs {name_of('transposed')}", "output_padding")
    kwargs = layer_arguments(flags)
    nd = spatial_axes(kwargs, input_shape)
    name = f"ConvTranspose{nd}d" if flags.get("transposed") else f"Conv{nd}d"
    if name not in KINDS:
        raise ConvGifError(f"{NAME} with {nd} spatial axes: convgif has no {name}", "transposed")
    in_channels = flags.get("in_channels")
    if in_channels is None:
        in_channels = input_shape[1] if len(input_shape) == nd + 2 else input_shape[0]
    return kind_class(name)(in_channels, seed=seed, **kwargs)


# --------------------------------------------------------------------------- batch

BATCH_KEYS = (
    "layer", "input_shape", "input", "image", "image_size", "output", "seed", "step", "style",
    "scale", "cell", "values", "lines", "font", "duration", "hold", "view", "channels", "flip",
    "outputs", "max_frames", "force", "grad", "weight_cell",
)
SOURCE_KEYS = ("layer", "input_shape", "input", "image", "image_size", "seed")  # Source's
RENDER_KEYS = tuple(k for k in BATCH_KEYS if k not in SOURCE_KEYS and k != "output")
LINE_KEY = " line"  # where load_batch notes an entry's line (a key no one writes)
PATH_KEYS = ("output", "input", "image")  # relative to the TOML file


class BatchResult(NamedTuple):
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
    from convgif.io.batchfile import read_toml

    doc = read_toml(path)
    entries = doc.get("render")
    unknown = set(doc) - {"render"}
    if unknown:
        raise ConvGifError(
            f"batch file {str(path)!r}: unknown table {sorted(unknown)[0]!r}; "
            "write each render as a [[render]] table",
            "batch",
        )
    if not isinstance(entries, list) or not entries or not all(
        isinstance(e, dict) for e in entries
    ):
        raise ConvGifError(
            f"batch file {str(path)!r} must hold one or more [[render]] tables", "batch"
        )
    p = Path(os.fspath(path))
    # The line of each [[render]] header, so an error can point at its entry.
    text = p.read_text(encoding="utf-8", errors="replace")
    lines = [i for i, row in enumerate(text.splitlines(), start=1)
             if re.match(r"\s*\[\[\s*render\s*\]\]", row)]
    resolved = []
    for number, entry in enumerate(entries):
        entry = dict(entry)
        if len(lines) == len(entries):
            entry[LINE_KEY] = lines[number]
        for key in PATH_KEYS:
            if isinstance(entry.get(key), str) and entry[key]:
                entry[key] = str(p.parent / entry[key])
        resolved.append(entry)
    return resolved


def entry_source(entry: Mapping[str, object]) -> Source:
    """The layer and input a [[render]] table gives (``image = false``: no photo)."""
    values = {key: entry[key] for key in SOURCE_KEYS if key in entry}
    if values.get("image") is False:
        del values["image"]
    return Source(**values)


def render_entry(entry: dict) -> tuple[int, int, float]:
    """Render one batch entry: (frames, bytes, seconds). Raises ConvGifError."""
    import time

    from convgif.api import render

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
    given = layer_and_input(entry_source(entry))
    options = {key: entry[key] for key in RENDER_KEYS if key in entry}
    result = render.animate(output, given.layer, **given.render_input(), **options)
    return result.frames, os.path.getsize(output), time.perf_counter() - start


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
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise ConvGifError(f"workers={workers!r} must be a positive integer")
    entries = load_batch(batch) if isinstance(batch, (str, os.PathLike)) else _entries(batch)
    jobs = list(enumerate(entries, start=1))
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    if workers == 1:
        done = (_batch_worker(job) for job in jobs)
    else:
        done = _in_parallel(jobs, workers)
    if progress is not None:
        done = progress(done, len(jobs))
    results = {r.index: r for r in done}
    return [results[i] for i, _ in jobs]


def _entries(batch) -> list:
    """A list of entries given in Python: each a mapping of [[render]] keys."""
    try:
        entries = list(batch)
    except TypeError:
        raise ConvGifError(
            f"{NAME} is {kind_of(batch)}: it must be a batch file or a list of dicts of "
            "its keys",
            "batch",
        ) from None
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, Mapping):
            raise ConvGifError(
                f"entry {n} of {NAME} is {kind_of(entry)}: it must be a dict of [[render]] keys, "
                "e.g. {'layer': 'Conv2d(1, 1, 3)', 'output': 'conv.gif'}",
                "batch",
            )
    return entries


def _in_parallel(jobs, workers: int):
    """Each job's BatchResult as it finishes, from a pool of ``workers`` processes."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # Import the renderer once, here: forked workers inherit it instead of each
    # paying the import again.
    from convgif.api.kinds import layer_kinds
    from convgif.io import writers  # noqa: F401

    layer_kinds()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_batch_worker, job) for job in jobs]
        for future in as_completed(futures):
            yield future.result()
