"""The input gradient as a forward layer: a transposed convolution of ∂L/∂y.

The chain rule sends every output-gradient cell ``∂L/∂y[o]`` back as
``∂L/∂y[o] · w[k]`` onto the grid cell its tap read: a transposed convolution
of ∂L/∂y with the layer's (gather-form) kernel, stride and dilation, and no
padding, whose output is the gradient of the whole grid the window swept
(padding cells included, before they fold back onto the cells they copy).
``input_grad_trace`` builds that layer and its trace, so the gather and scatter
views draw the backward pass with the frame language of the forward one. Its
output is the GradTrace's ``grad_grid`` (taken from it, not recomputed), and its
scatter records are the GradTrace's input records in the same order (see
``scatter_records``).

A pool routes each window's gradient with its own share per tap (1 to a max's
winner, ``1 / divisor`` for an average), which no one kernel holds: its layer
is a depthwise transposed convolution of ones, whose records are taken from the
GradTrace, never from that kernel.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from convgif.layers.spec import LayerSpec
from convgif.simulate.backward import GradTrace
from convgif.simulate.engine import simulate
from convgif.simulate.grad_records import record_count, records
from convgif.simulate.records import axis_fields, scatter_fields, table_dtype
from convgif.simulate.trace import Trace

MAX_GRAD_RECORDS = 1 << 20  # records a gradient picture holds at once


def leftover(trace: Trace) -> tuple[int, ...]:
    """Grid cells past the last window's reach, per axis (no tap reads them)."""
    return tuple(
        g - ((o - 1) * s + d * (k - 1) + 1)
        for g, o, s, d, k in zip(trace.grid.shape[2:], trace.out_spatial, trace.stride,
                                 trace.dilation, trace.kernel_size)
    )


def input_grad_spec(trace: Trace) -> LayerSpec:
    """The transposed convolution that maps ∂L/∂y to the gradient of ``trace``'s grid."""
    spec, nd = trace.spec, trace.ndim
    channels = trace.in_channels
    extra = leftover(trace)
    return LayerSpec(
        name=f"ConvTranspose{nd}d",
        op="conv_transpose",
        ndim=nd,
        in_channels=trace.out_channels,
        out_channels=channels,
        kernel_size=trace.kernel_size,
        stride=trace.stride,
        padding=tuple((0, -e) for e in extra),
        dilation=trace.dilation,
        groups=channels if spec.pooling else spec.groups,
        bias=False,
        output_padding=extra,
    )


def input_grad_trace(gt: GradTrace) -> Trace:
    """The trace of ``input_grad_spec`` on ``gt``'s ∂L/∂y, its output ``gt.grad_grid``."""
    trace = gt.trace
    spec = input_grad_spec(trace)
    if trace.spec.pooling:
        weight = np.ones((trace.in_channels, 1, *trace.kernel_size))
    else:
        weight = trace.kernel
    t = simulate(spec, weight, None, gt.grad_y, text="\u2202L/\u2202x")
    return replace(t, y=gt.grad_grid, output=gt.grad_grid)


def check_grad_size(gt: GradTrace) -> None:
    from convgif.errors import ConvGifError, name_of

    count = record_count(gt, "input")
    if count > MAX_GRAD_RECORDS:
        raise ConvGifError(
            f"the input gradient has {count:,} records (limit {MAX_GRAD_RECORDS:,} for a "
            f"picture): give a smaller {name_of('input_shape')} or {name_of('x')}",
            "input_shape")


def scatter_records(gt: GradTrace) -> np.ndarray:
    """Every input-gradient record of ``gt`` as the scatter view reads a transposed layer's
    stamps: the stamping cell is the ∂L/∂y cell (``in_channel``, input positions), the
    stamped cell the grid cell (``out_channel``, output positions), ``x`` the output
    gradient, ``w`` the share (the weight, a max's 1 or 0, an average's 1 / divisor)."""
    check_grad_size(gt)
    nd = gt.trace.ndim
    rec = records(gt, "input")
    table = np.empty(len(rec), dtype=table_dtype(scatter_fields(nd)))
    out_f, ker_f, in_f = axis_fields(nd)
    table["n"], table["group"] = rec["n"], rec["group"]
    table["in_channel"], table["out_channel"] = rec["out_channel"], rec["in_channel"]
    for stamping, stamped, k in zip(in_f, out_f, ker_f):
        table[stamping], table[stamped], table[k] = rec[stamped], rec[stamping], rec[k]
    table["inside"] = True  # every product lands on the grid
    table["x"], table["w"], table["product"] = rec["grad_output"], rec["w"], rec["product"]
    table["running_sum"] = rec["running_sum"]  # of ∂L/∂x, folded: see grad_records
    return table
