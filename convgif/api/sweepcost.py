"""How much a cost sweep may ask for, refused up front with the estimate and the way round.

Without ``measure`` a sweep costs only shape arithmetic per value (well under a
millisecond), so only the number of values is bounded. With ``measure`` each
value runs the torch layer ``repeats + 2`` times (two warm-ups) and the first
value once more (the process's set-up); that work and each pass's memory are
estimated from the shapes before torch is imported, so a sweep that would
exhaust the machine (``size=20000`` on three channels: a 4.8 GB input) is
refused in milliseconds instead of running for minutes.
"""

from __future__ import annotations

import itertools
import math

from convgif.errors import NAME, ConvGifError, refuse

MAX_SWEEP_VALUES = 1_000  # points on a chart's axis / rows of a table
MAX_PASS_BYTES = 1 << 29  # one timed forward pass: input, output and weights as float32
MAX_MEASURED_MACS = 10**12  # every timed pass together, warm-ups included: ~25 s at 40 GMAC/s
PASS_OVERHEAD_MACS = 400_000  # a pass of the smallest layer: ~10 microseconds at 40 GMAC/s
FLOAT32 = 4


def bounded_values(name: str, values) -> list:
    """``values`` as a list, refused before it is built when it holds too many."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ConvGifError(f"{NAME} {name}={values!r} must list whole numbers, e.g. 1,2,4,8",
                           "sweep")
    listed = list(itertools.islice(iter(values), MAX_SWEEP_VALUES + 1))
    if len(listed) > MAX_SWEEP_VALUES:
        raise too_many(name, _count(values))
    return listed


def check_text_size(name: str, text: str) -> None:
    """A ``NAME=V1,V2,...`` text with more values than the bound, refused before it is split."""
    count = text.count(",") + 1
    if count > MAX_SWEEP_VALUES:
        raise too_many(name, count)


def too_many(name: str, count: int | None) -> ConvGifError:
    given = f"{count:,} values" if count is not None else "more values"
    return ConvGifError(
        f"{NAME} {name}=... gives {given}: a sweep takes at most {MAX_SWEEP_VALUES:,} "
        "(a chart's axis cannot show more apart): sweep fewer, e.g. every 10th value or "
        "powers of 2",
        "sweep",
    )


def _count(values) -> int | None:
    try:
        return len(values)
    except (TypeError, OverflowError):
        return None


def check_whole(name: str, value) -> int:
    """``repeats`` / ``threads``: a positive whole number."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise refuse(name, value, "must be a positive whole number")
    return value


def check_measured(name: str, rows, repeats: int) -> None:
    """Refuse a measured sweep whose passes would take too much memory or time.

    ``rows``: ``(value, layer, input shape)`` per swept value, as ``sweep_layers`` gives.
    """
    total = 0
    for index, (value, layer, shape) in enumerate(rows):
        out = layer.output_shape(shape)
        weights = layer.param_count or 0
        macs = layer.mac_count(shape)
        size = FLOAT32 * (math.prod(shape) + math.prod(out) + weights + _columns(layer, macs))
        if size > MAX_PASS_BYTES:
            raise ConvGifError(
                f"{NAME} {name}={value} with {{name:measure}}: one torch pass would hold about "
                f"{_bytes(size)} (input {tuple(shape)}, output {tuple(out)}, {weights:,} "
                f"weights and the unfolded input, as float32; the bound is "
                f"{_bytes(MAX_PASS_BYTES)}): sweep smaller values, or leave out the "
                "measurement (the counts need no run)",
                "sweep",
            )
        passes = repeats + 2 + (repeats + 2 if index == 0 else 0)
        total += (macs + PASS_OVERHEAD_MACS) * passes
    if total > MAX_MEASURED_MACS:
        raise ConvGifError(
            f"{NAME} {name}=... with {{name:measure}}: timing {len(rows):,} values "
            f"{repeats:,} times each is about {total:,} multiply-accumulates (the bound is "
            f"{MAX_MEASURED_MACS:,}, about half a minute on one core): sweep fewer or smaller "
            "values, lower {name:repeats}, or leave out the measurement",
            "sweep",
        )


def _columns(layer, macs: int) -> int:
    """The values torch's CPU convolution unfolds the input into (im2col; col2im for a
    transposed layer): each MAC's input once per output channel of its group."""
    spec = layer.spec
    if spec.pooling:
        return 0
    shared = (spec.in_channels if spec.transposed else spec.out_channels) // spec.groups
    return macs // max(shared, 1)


def _bytes(size: int) -> str:
    return f"{size / 2**30:.1f} GB" if size >= 2**30 else f"{size / 2**20:,.0f} MB"
