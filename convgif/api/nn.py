"""The PyTorch front door: layers with torch's constructor signatures and defaults.

Each kind checks torch's arguments and builds its spec; everything else (the
parameters, shapes, the simulation, the pictures) is ``convgif.api.layer.Layer``.
"""

from __future__ import annotations

from convgif.api.layer import Layer
from convgif.errors import NAME, ConvGifError, refuse
from convgif.layers.code import short_value
from convgif.layers.spec import (
    PADDING_MODES,
    LayerSpec,
    check_choice,
    check_int,
    check_torch_flag,
    check_tuple,
    conv_padding,
)


def _no_bool(name: str, value) -> None:
    """torch's convolutions read True as 1 (``kernel_size=True`` is a 1x1 kernel): refused
    here with that said, since a bool among sizes is almost always a slip."""
    values = value if isinstance(value, (tuple, list)) else (value,)
    if any(v is True for v in values):  # False torch refuses too, as a size below 1
        raise refuse(
            name,
            value,
            "must be an integer: PyTorch accepts True and reads it as 1, but convgif "
            "refuses a bool among sizes as a likely slip; write 1",
        )


def torch_sizes(name: str, value, nd: int, minimum: int = 1) -> tuple[int, ...]:
    """A size as torch reads it when the layer runs: an int, one per axis, or a one-element
    tuple, which torch's convolutions and pools repeat over the axes (``stride=(2,)`` is
    ``stride=2``); any other length torch accepts in the constructor and refuses in forward."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    elif isinstance(value, (tuple, list)) and len(value) != nd:
        per_axis = "an integer" + (f" or a tuple of {nd}" if nd > 1 else "")
        raise refuse(name, tuple(value), f"is refused by PyTorch when the layer runs: "
                     f"give {per_axis}")
    return check_tuple(name, value, nd, minimum)


def _conv_kernel(kernel_size, nd: int) -> tuple[int, ...]:
    """torch makes the weight one axis per kernel_size entry: only ``nd`` entries (or an int)
    give a weight the layer can run with (``Conv2d(1, 1, (3,))`` fails in forward)."""
    if isinstance(kernel_size, (tuple, list)) and len(kernel_size) != nd:
        per_axis = "an integer" + (f" or a tuple of {nd}" if nd > 1 else "")
        raise refuse(
            "kernel_size",
            tuple(kernel_size),
            f"gives PyTorch a weight of {len(kernel_size) + 2} axes, which it refuses "
            f"when the layer runs: give {per_axis}",
        )
    return check_tuple("kernel_size", kernel_size, nd)


def _conv_sizes(nd: int, kernel_size, stride, dilation):
    for name, value in (("kernel_size", kernel_size), ("stride", stride), ("dilation", dilation)):
        _no_bool(name, value)
    return (
        _conv_kernel(kernel_size, nd),
        torch_sizes("stride", stride, nd),
        torch_sizes("dilation", dilation, nd),
    )


def _channel_counts(in_channels, out_channels, groups) -> tuple[int, int, int]:
    """Channel counts and groups, each a positive int, groups dividing both counts."""
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels),
                        ("groups", groups)):
        _no_bool(name, value)
    in_channels = check_int("in_channels", in_channels)
    out_channels = check_int("out_channels", out_channels)
    groups = check_int("groups", groups)
    for name, count in (("in_channels", in_channels), ("out_channels", out_channels)):
        if count % groups:
            raise refuse("groups", groups, f"must divide {name}={count}")
    return in_channels, out_channels, groups


class _ConvNd(Layer):
    ndim = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        *,
        seed: int = 0,
    ):
        nd = self.ndim
        in_channels, out_channels, groups = _channel_counts(in_channels, out_channels, groups)
        kernel, stride_t, dilation_t = _conv_sizes(nd, kernel_size, stride, dilation)
        padding_mode = check_choice("padding_mode", padding_mode, PADDING_MODES)
        pads, batched_only = conv_padding(padding, nd, kernel, dilation_t, stride_t, padding_mode)
        self.padding_given = padding if isinstance(padding, str) or batched_only else None
        spec = LayerSpec(
            name=type(self).__name__,
            op="conv",
            ndim=nd,
            in_channels=in_channels,
            out_channels=out_channels,
            kernel_size=kernel,
            stride=stride_t,
            padding=pads,
            dilation=dilation_t,
            groups=groups,
            bias=check_torch_flag("bias", bias),
            padding_mode=padding_mode,
            batched_only=batched_only,
        )
        super().__init__(spec, seed)


class Conv1d(_ConvNd):
    ndim = 1


class Conv2d(_ConvNd):
    ndim = 2


class Conv3d(_ConvNd):
    ndim = 3


def _transposed_padding(name, nd, padding, output_padding, stride, dilation):
    """torch's ``padding`` and ``output_padding`` of a transposed layer, checked."""
    if isinstance(padding, str):
        raise ConvGifError(
            f"{NAME}={padding!r} must be an integer or a tuple of {nd} integers "
            f"for {name} (PyTorch takes no padding strings here)",
            "padding",
        )
    pad = torch_sizes("padding", padding, nd, 0)
    out_pad = torch_sizes("output_padding", output_padding, nd, 0)
    for op, s, d in zip(out_pad, stride, dilation):
        if op >= max(s, d):
            raise refuse(
                "output_padding",
                short_value(out_pad),
                f"must be smaller than either stride={short_value(stride)} or "
                f"dilation={short_value(dilation)}",
            )
    return pad, out_pad


class _ConvTransposeNd(Layer):
    ndim = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        *,
        seed: int = 0,
    ):
        nd, name = self.ndim, type(self).__name__
        in_channels, out_channels, groups = _channel_counts(in_channels, out_channels, groups)
        kernel, stride_t, dilation_t = _conv_sizes(nd, kernel_size, stride, dilation)
        pad, out_pad = _transposed_padding(name, nd, padding, output_padding, stride_t, dilation_t)
        if check_choice("padding_mode", padding_mode, PADDING_MODES) != "zeros":
            raise ConvGifError(
                f"{NAME}={padding_mode!r} is not supported by {name}: "
                "transposed convolutions take only 'zeros'",
                "padding_mode",
            )
        spec = LayerSpec(
            name=name,
            op="conv_transpose",
            ndim=nd,
            in_channels=in_channels,
            out_channels=out_channels,
            kernel_size=kernel,
            stride=stride_t,
            padding=tuple((p, p - op) for p, op in zip(pad, out_pad)),
            dilation=dilation_t,
            groups=groups,
            bias=check_torch_flag("bias", bias),
            output_padding=out_pad,
        )
        super().__init__(spec, seed)


class ConvTranspose1d(_ConvTransposeNd):
    ndim = 1


class ConvTranspose2d(_ConvTransposeNd):
    ndim = 2


class ConvTranspose3d(_ConvTransposeNd):
    ndim = 3
