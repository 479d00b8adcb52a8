"""A layer's weight named as its framework stores it.

The simulation holds every weight in PyTorch's order, ``(out, in/groups, *K)``
(transposed: ``(in, out/groups, *K)``), so one engine serves both front doors.
Keras stores the same numbers as a ``kernel`` of ``(*K, in/groups, filters)``
(transposed: ``(*K, filters, in)``). ``convgif info`` (here, in ``layers``) and
the pictures (``views.terms``) both name it; the order is written once, here.
"""

from __future__ import annotations

KERNEL_AXES = {1: ("k",), 2: ("kh", "kw"), 3: ("kd", "kh", "kw")}  # Keras' docs' letters


DEPTHWISE = "DepthwiseConv2D"  # Keras holds its kernel per input channel, not per filter


def depth_multiplier(spec) -> int | None:
    """A Keras ``DepthwiseConv2D``'s depth multiplier; None for every other layer."""
    if not (spec.keras and spec.name == DEPTHWISE and spec.in_channels):
        return None
    return spec.out_channels // spec.in_channels


def keras_kernel_shape(weight_shape, spec=None) -> tuple[int, ...]:
    """Keras' kernel shape: ``(*K, in/groups, filters)``; transposed ``(*K, filters, in)``
    (the weight is held as PyTorch's ``(filters, in/groups, *K)`` / ``(in, filters, *K)``);
    a ``DepthwiseConv2D``'s ``(*K, in, depth_multiplier)``."""
    first, second, *kernel = weight_shape
    multiplier = None if spec is None else depth_multiplier(spec)
    if multiplier:
        return (*kernel, first // multiplier, multiplier)
    return (*kernel, second, first)


def keras_kernel_axes(spec) -> tuple[str, ...]:
    """What each size of ``keras_kernel_shape`` counts: ``('kh', 'kw', 'in', 'filters')``;
    transposed ``('kh', 'kw', 'filters', 'in')``; with groups, ``in/groups``."""
    if depth_multiplier(spec):
        return (*KERNEL_AXES[spec.ndim], "in", "depth_multiplier")
    inputs = "in" if spec.groups == 1 else "in/groups"
    channels = ("filters", inputs) if spec.transposed else (inputs, "filters")
    return (*KERNEL_AXES[spec.ndim], *channels)
