"""Inputs as a user writes them: sizes typed as text, arrays saved with ``numpy.save``.

The command line and a batch file's ``[[render]]`` tables both read their
tuples (``input_shape``, ``kernel_size``, ...), a layer given by its sizes
(the command line's layer flags) and ``.npy`` inputs here, so
the two accept the same text and refuse it with the same message. Tuples are
written with commas only (``5,2``); ``5x2`` is an older spelling, refused with
the new one. Every error names its parameter with ``param=``, for each front
door to spell it (``--input-shape`` on the command line, ``input_shape`` in a
TOML file).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from convgif.errors import NAME, ConvGifError, name_of, refuse

_OLD_TUPLE = re.compile(r"\s*-?\d+(\s*x\s*-?\d+)+\s*")  # "5x2": the separator before commas
SIZE_FLAGS = ("kernel_size", "stride", "dilation", "output_padding")  # "3" or "5,2"
LAYER_FLAGS = ("in_channels", "out_channels", *SIZE_FLAGS, "padding", "groups", "bias",
               "padding_mode", "transposed")  # a layer given by its sizes, not as a call


def parse_sizes(text, param: str, example: str = "3,7,7", positive: bool = False
                ) -> tuple[int, ...]:
    """``"5,2"`` (or a list / tuple of ints, as TOML writes it) -> ``(5, 2)``.

    ``positive``: every size must be at least 1 (a shape); otherwise any whole
    number passes and the layer checks it (``padding=0`` is a padding).
    """
    if isinstance(text, (list, tuple)):
        if not all(type(v) is int for v in text):
            raise refuse(param, text, f"must be whole numbers, e.g. {example}")
        sizes = tuple(text)
    elif isinstance(text, str):
        if _OLD_TUPLE.fullmatch(text):
            commas = ",".join(re.split(r"\s*x\s*", text.strip()))
            raise ConvGifError(
                f"{NAME} {text.strip()}: write tuples with commas: {NAME} {commas}", param
            )
        try:
            sizes = tuple(int(part) for part in text.split(","))
        except ValueError:
            raise refuse(
                param, text, f"must be whole numbers separated by commas, e.g. {example}"
            ) from None
    else:
        raise refuse(param, text, f"must be whole numbers separated by commas, e.g. {example}")
    if not sizes or (positive and min(sizes) < 1):
        raise refuse(param, text, f"must be positive sizes, e.g. {example}")
    return sizes


def layer_arguments(flags: Mapping[str, object]) -> dict:
    """The constructor's keyword arguments: sizes parsed, unset flags left out."""
    kwargs = {"out_channels": flags["out_channels"]}
    for name in SIZE_FLAGS:
        if flags.get(name) is not None:
            sizes = parse_sizes(flags[name], name, example="3 or 5,2")
            kwargs[name] = sizes[0] if len(sizes) == 1 else sizes
    padding = flags.get("padding")
    if isinstance(padding, str) and padding.strip() in ("same", "valid"):
        kwargs["padding"] = padding.strip()
    elif padding is not None:
        kwargs["padding"] = _padding_sizes(padding)
    for name in ("groups", "padding_mode"):
        if flags.get(name) is not None:
            kwargs[name] = flags[name]
    if flags.get("bias") is False:
        kwargs["bias"] = False
    return kwargs


_PADDING_EXAMPLE = "1, 1,2, same, valid, or before:after per axis such as 1:2,0:1"


def _padding_sizes(padding):
    """``"1"``, ``"1,2"`` as torch's padding; ``"1:2,0:1"`` (a TOML file: ``[[1, 2], [0, 1]]``)
    as convgif's (before, after) pairs per axis, the padding torch has no spelling for."""
    if isinstance(padding, str) and ":" in padding:
        try:
            pairs = [tuple(int(v) for v in part.split(":")) for part in padding.split(",")]
        except ValueError:
            raise refuse("padding", padding, f"must be {_PADDING_EXAMPLE}") from None
    elif isinstance(padding, (list, tuple)) and any(isinstance(p, (list, tuple)) for p in padding):
        pairs = [parse_sizes(part, "padding", example=_PADDING_EXAMPLE)
                 if isinstance(part, (list, tuple)) else (part,) for part in padding]
    else:
        sizes = parse_sizes(padding, "padding", example=_PADDING_EXAMPLE)
        return sizes[0] if len(sizes) == 1 else sizes
    if any(len(pair) != 2 for pair in pairs):
        raise refuse("padding", padding, f"must be {_PADDING_EXAMPLE}")
    return tuple(pairs)


def spatial_axes(kwargs: dict, input_shape) -> int:
    """From a size written per axis (padding aside), else from the input's rank."""
    ranks = {len(v) for k, v in kwargs.items() if isinstance(v, tuple) and k != "padding"}
    if len(ranks) > 1:
        raise ConvGifError(f"the layer flags give sizes for {sorted(ranks)} axes; use one count")
    nd = ranks.pop() if ranks else len(input_shape) - 1
    if not 1 <= nd <= 3 or len(input_shape) not in (nd + 1, nd + 2):
        raise ConvGifError(
            f"input shape {tuple(input_shape)} does not fit a layer with {nd} spatial axes: "
            "give (C, L), (C, H, W) or (C, D, H, W), or sizes per axis such as "
            f"{name_of('kernel_size')} 3,3"
        )
    return nd


def load_input(path, param: str = "input", max_values: int | None = None):
    """A numeric array from a ``.npy`` file, or a ConvGifError that says what is wrong.

    ``max_values``: refuse a larger array from its header, before reading it.
    """
    import numpy as np

    where = f"{NAME}={str(path)!r}"
    if not isinstance(path, (str, os.PathLike)):
        raise ConvGifError(f"{NAME}={path!r} must be the path of a .npy file", param)
    p = Path(os.fspath(path))
    if not p.is_file():
        raise ConvGifError(f"{where}: no such file", param)
    try:
        with open(p, "rb") as f:
            magic = f.read(6)
        if magic != b"\x93NUMPY":
            what = "an .npz archive" if magic.startswith(b"PK") else "not a .npy file"
            raise ConvGifError(f"{where} is {what}; save the array with numpy.save", param)
        # Mapped, not read: the header says the dtype and size before any memory is spent.
        arr = np.load(p, allow_pickle=False, mmap_mode="r")
    except ConvGifError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "python objects" in str(exc).lower():
            raise ConvGifError(
                f"{where} holds Python objects, must be an array of numbers", param
            ) from None
        raise ConvGifError(f"{where} is not a readable .npy file: {exc}", param) from None
    except (OSError, EOFError) as exc:
        raise ConvGifError(f"{where} could not be read: {exc}", param) from None
    except OverflowError:  # a header whose shape is negative or too large to map
        raise ConvGifError(f"{where} has a header whose shape cannot be read", param) from None
    _check_array(arr, where, param, max_values)
    arr = np.array(arr)  # read it now, off the map
    if not np.all(np.isfinite(arr)):
        raise ConvGifError(f"{where} holds NaN or infinity; values must be finite", param)
    return arr


def _check_array(arr, where: str, param: str, max_values: int | None) -> None:
    """What the header already tells: numbers, real, a shape with channels, a size."""
    import numpy as np

    if np.iscomplexobj(arr):
        raise ConvGifError(f"{where} holds complex numbers, must be real", param)
    # kinds i, u, f: timedelta64 is an integer to numpy, not a number to simulate
    if arr.dtype.kind not in "iuf":
        raise ConvGifError(f"{where} has dtype {arr.dtype}, must hold numbers", param)
    if arr.ndim < 2 or arr.size == 0:
        raise ConvGifError(
            f"{where} has shape {arr.shape}: it must hold (C, L), (C, H, W) or more sizes, "
            "none of them 0",
            param,
        )
    if max_values is not None and arr.size > max_values:
        raise ConvGifError(
            f"{where} has {arr.size:,} values (limit {max_values:,}): too many to simulate",
            param,
        )


__all__ = ["LAYER_FLAGS", "layer_arguments", "load_input", "parse_sizes", "spatial_axes"]
