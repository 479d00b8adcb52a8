"""Where each output cell's window lies, per axis: the one description every pool shares.

An ordinary window starts at ``o·S`` in the grid it sweeps and taps ``K`` cells
``D`` apart. An adaptive pool (``AdaptiveAvgPool2d``, ``AdaptiveMaxPool1d``, ...,
and Keras' global pools, whose one window is the whole input) gives output cell
``i`` of ``o`` on an axis of ``n`` cells the window ``floor(i·n/o)`` to
``ceil((i+1)·n/o)`` (exclusive): its size varies from cell to cell. Both are
(start, size) per output position and axis; the engine, the trace and the views
read windows only through these tables.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


class AxisWindows(NamedTuple):
    """One axis: for every output position, the first grid cell its window taps and how
    many cells it taps (``dilation`` apart)."""

    start: np.ndarray  # (out,) int
    size: np.ndarray  # (out,) int
    dilation: int


def adaptive_axis(n: int, out: int) -> AxisWindows:
    """PyTorch's adaptive windows: ``floor(i·n/out)`` to ``ceil((i+1)·n/out)``."""
    i = np.arange(out, dtype=np.int64)
    start = (i * n) // out
    end = -((-(i + 1) * n) // out)
    return AxisWindows(start, end - start, 1)


def adaptive_output(output_size, spatial) -> tuple[int, ...]:
    """The output size per axis: ``None`` keeps the input's size on that axis."""
    return tuple(n if o is None else o for o, n in zip(output_size, spatial))


def adaptive_taps(output_size, spatial) -> int:
    """Cells tapped by all windows of one channel: per axis the sum of the window sizes."""
    sizes = [
        int(adaptive_axis(n, o).size.sum())
        for n, o in zip(spatial, adaptive_output(output_size, spatial))
    ]
    return math.prod(sizes)


def regular_axis(out: int, stride: int, kernel: int, dilation: int) -> AxisWindows:
    return AxisWindows(
        np.arange(out, dtype=np.int64) * stride, np.full(out, kernel, dtype=np.int64), dilation
    )


def window_taps(axes: tuple[AxisWindows, ...]) -> np.ndarray:
    """Cells each output position's window taps, shaped like the output's spatial axes."""
    taps = np.ones((), dtype=np.int64)
    for axis in axes:
        taps = np.multiply.outer(taps, axis.size)
    return taps


def largest(axes: tuple[AxisWindows, ...]) -> tuple[int, ...]:
    """The largest window per axis (every window's size, when they do not vary)."""
    return tuple(int(a.size.max(initial=0)) for a in axes)
