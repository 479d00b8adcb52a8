"""A layer's shapes, indices and kernel in its framework's own terms.

The simulation keeps every tensor channels-first and every weight in PyTorch's
order, so one engine serves both front doors. A Keras user reads
``(7, 7, 3)`` and a kernel of ``(kh, kw, in, filters)``: the words of a picture
turn back to those here, in one place, so every view says the same.
"""

from __future__ import annotations

from convgif.layers.terms import depth_multiplier, keras_kernel_shape


def shape_text(shape) -> str:
    """``(3, 7, 7)``; one size as ``(7,)``, as Python writes a tuple."""
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def as_given(spec, shape, batched: bool = False) -> tuple[int, ...]:
    """A channels-first ``(C, *spatial)`` shape (``(N, C, *spatial)`` when ``batched``) in
    the layout the user gave the input in."""
    shape = tuple(shape)
    if not spec.channels_last:
        return shape
    lead = 1 if batched else 0
    return (*shape[:lead], *shape[lead + 1 :], shape[lead])


def index_text(spec, channel: int, position, sample: int | None = None) -> str:
    """``0, 2, 1``: a cell's index as the user indexes the tensor (channel last for a
    channels-last layer; the sample first when given)."""
    values = (channel, *position)
    if not spec.keepdims:  # a global pool's (N, C): the channel alone
        values = (channel,)
    elif spec.channels_last:
        values = (*position, channel)
    if sample is not None:
        values = (sample, *values)
    return ", ".join(str(v) for v in values)


def channel_note(spec, name: str) -> str:
    """What a grid label's index means, where it could be misread: a channels-last
    tensor's grids are still labelled by channel, ``x[c]``, not by its first axis."""
    return f"; {name}[c] = channel c" if spec.channels_last else ""


def weight_text(spec, weight_shape, bias_shape) -> str:
    """``weight (2, 3, 3, 3), bias (2,)`` as PyTorch names them; for Keras its ``kernel``
    in Keras' order, and which kernel slice the picture's ``w[f, c]`` grids show."""
    bias = f"bias {shape_text(bias_shape)}" if spec.bias else "no bias"
    if not spec.keras:
        return f"weight {shape_text(weight_shape)}, {bias}"
    shape = shape_text(keras_kernel_shape(weight_shape, spec))
    return f"kernel {shape}, {bias}"


def kernel_note(spec, scatter: bool = False) -> str:
    """For a Keras layer, the kernel slice a grid ``w[i, j]`` shows (the gather view of a
    transposed layer slides it rotated 180°, as ``w′``); empty for PyTorch layers, whose
    grids are indexed as their weight is."""
    if not spec.keras:
        return ""
    multiplier = depth_multiplier(spec)
    if multiplier:  # output channel f is input channel f // dm through its (f % dm)-th kernel
        if multiplier == 1:
            return "w[f, 0] = kernel[..., f, 0]"
        return f"w[f, 0] = kernel[..., f // {multiplier}, f % {multiplier}]"
    if not spec.transposed:
        return "w[f, c] = kernel[..., c, f]"
    if scatter:
        return "w[c, f] = kernel[..., f, c]"
    return "w\u2032[f, c] = kernel[..., f, c] rotated 180\u00b0"
