"""What every frame writer shares: the palette as an array, per-frame durations, frame
checks, Pillow images of index frames, and the box of what changed between frames."""

from __future__ import annotations

import math

import numpy as np

from convgif.errors import NAME, ConvGifError, refuse


def palette_array(palette) -> np.ndarray:
    rgb = np.asarray(palette, dtype=np.int64)
    if rgb.ndim != 2 or rgb.shape[1] != 3 or not 1 <= len(rgb) <= 256:
        raise ConvGifError(
            f"{NAME}= with shape {rgb.shape} must be 1 to 256 RGB triples", "palette"
        )
    if rgb.min() < 0 or rgb.max() > 255:
        raise ConvGifError(f"{NAME}= values must lie in 0..255", "palette")
    return rgb.astype(np.uint8)


def duration_function(durations, count_hint: int | None = None):
    """A function frame number -> milliseconds, from one number or a sequence."""
    if isinstance(durations, (int, float)):
        value = float(durations)
        if not (math.isfinite(value) and value > 0):
            raise refuse("durations", durations, "must be positive milliseconds")
        return lambda i: value
    seq = list(durations)
    for d in seq:
        if not (
            isinstance(d, (int, float, np.integer, np.floating)) and d > 0 and math.isfinite(d)
        ):
            raise ConvGifError(
                f"{NAME}= holds {d!r}; every duration must be positive milliseconds", "durations"
            )

    def get(i: int) -> float:
        if i >= len(seq):
            raise ConvGifError(
                f"{NAME}= has {len(seq)} entries but there are more frames than that", "durations"
            )
        return float(seq[i])

    return get


def check_frame(frame, shape, n_colors: int, number: int) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.ndim != 2 or frame.dtype != np.uint8:
        raise ConvGifError(
            f"{NAME}[{number}] has shape {frame.shape} and dtype {frame.dtype}; "
            "frames must be (H, W) uint8 palette indices",
            "frames",
        )
    if shape is not None and frame.shape != shape:
        raise ConvGifError(
            f"{NAME}[{number}] has shape {frame.shape}; every frame must have the shape "
            f"of the first, {shape}",
            "frames",
        )
    if frame.size and int(frame.max()) >= n_colors:
        raise ConvGifError(
            f"{NAME}[{number}] uses palette index {int(frame.max())}; the palette has "
            f"{n_colors} colours",
            "frames",
        )
    return frame


def p_image(indices: np.ndarray, rgb: np.ndarray):
    from PIL import Image

    indices = np.ascontiguousarray(indices, dtype=np.uint8)
    h, w = indices.shape
    image = Image.frombytes("P", (w, h), indices.tobytes())
    image.putpalette(rgb.tobytes(), rawmode="RGB")
    return image


def rgb_image(indices: np.ndarray, rgb: np.ndarray):
    # Pillow's own palette lookup: ten times faster than numpy's fancy indexing
    return p_image(indices, rgb).convert("RGB")


def centiseconds(start_ms: float, end_ms: float) -> int:
    # round the running clock, not each frame, so rounding errors do not pile up
    return max(1, round(end_ms / 10) - round(start_ms / 10))


def changed_box(prev: np.ndarray, frame: np.ndarray, diff: np.ndarray | None = None):
    """(top, bottom, left, right) of the pixels that differ, or None."""
    diff = prev != frame if diff is None else diff
    rows = np.flatnonzero(diff.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(diff[rows[0] : rows[-1] + 1].any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
