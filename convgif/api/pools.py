"""PyTorch's pools: ``MaxPool1d/2d/3d``, ``AvgPool1d/2d/3d`` and the adaptive pools.

One spec serves every dimension (``pool_spec``); an adaptive pool keeps its
``output_size`` and its windows are worked out per input (``convgif.layers.windows``).
"""

from __future__ import annotations

from convgif.api.layer import Layer
from convgif.api.nn import torch_sizes
from convgif.errors import refuse
from convgif.layers.code import short_value
from convgif.layers.spec import LayerSpec, check_bool, check_int


def pool_spec(name, op, nd, kernel_size, stride, padding, dilation, ceil_mode, **extra):
    """A max or average pool with ``nd`` spatial axes, checked as torch checks it."""
    kernel = torch_sizes("kernel_size", kernel_size, nd)
    # torch's pools read an empty stride as no stride given: the kernel's size
    omitted = stride is None or isinstance(stride, (tuple, list)) and not stride
    stride_t = kernel if omitted else torch_sizes("stride", stride, nd)
    dilation_t = torch_sizes("dilation", dilation, nd)
    pad = torch_sizes("padding", padding, nd, 0)
    for p, k in zip(pad, kernel, strict=True):
        # PyTorch (max and average pooling alike): pad <= kernel_size // 2, dilation
        # notwithstanding.
        if p > k // 2:
            raise refuse(
                "padding",
                short_value(pad),
                f"must be at most half of the kernel_size={short_value(kernel)}",
            )
    return LayerSpec(
        name=name,
        op=op,
        ndim=nd,
        in_channels=None,
        out_channels=None,
        kernel_size=kernel,
        stride=stride_t,
        padding=tuple((p, p) for p in pad),
        dilation=dilation_t,
        ceil_mode=check_bool("ceil_mode", ceil_mode),
        **extra,
    )


def adaptive_spec(name: str, op: str, nd: int, output_size, **extra) -> LayerSpec:
    """An adaptive pool: ``output_size`` an int, or one entry per axis, each an int or None
    (that axis keeps the input's size)."""
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != nd:
            raise refuse("output_size", tuple(output_size),
                         f"must be an integer or a tuple of {nd} (integers or None)")
        sizes = tuple(None if o is None else check_int("output_size", o) for o in output_size)
    else:
        sizes = (check_int("output_size", output_size),) * nd
    return LayerSpec(
        name=name,
        op=op,
        ndim=nd,
        in_channels=None,
        out_channels=None,
        kernel_size=(1,) * nd,  # the windows vary: see convgif.layers.windows
        stride=(1,) * nd,
        padding=((0, 0),) * nd,
        dilation=(1,) * nd,
        output_size=sizes,
        **extra,
    )


def _divisor(value) -> int:
    """torch divides by any non-zero int, negative ones included (the averages change sign)."""
    value = check_int("divisor_override", value, minimum=-(1 << 62))
    if value == 0:
        raise refuse("divisor_override", 0, "must not be 0 (PyTorch refuses it too)")
    return value


class _MaxPoolNd(Layer):
    ndim = 2

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        return_indices: bool = False,
        ceil_mode: bool = False,
        *,
        seed: int = 0,
    ):
        # torch takes any value here (``if return_indices:``); it changes what forward
        # returns, not the output convgif simulates and draws
        del return_indices
        spec = pool_spec(type(self).__name__, "max_pool", self.ndim, kernel_size, stride,
                         padding, dilation, ceil_mode)
        super().__init__(spec, seed)


class _AvgPoolNd(Layer):
    ndim = 2

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override=None,
        *,
        seed: int = 0,
    ):
        if divisor_override is not None:
            divisor_override = _divisor(divisor_override)
        spec = pool_spec(
            type(self).__name__,
            "avg_pool",
            self.ndim,
            kernel_size,
            stride,
            padding,
            1,
            ceil_mode,
            count_include_pad=check_bool("count_include_pad", count_include_pad),
            divisor_override=divisor_override,
        )
        super().__init__(spec, seed)


class MaxPool1d(_MaxPoolNd):
    ndim = 1


class MaxPool2d(_MaxPoolNd):
    ndim = 2


class MaxPool3d(_MaxPoolNd):
    ndim = 3


class AvgPool1d(_AvgPoolNd):
    ndim = 1

    # torch's AvgPool1d takes no divisor_override
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, *, seed: int = 0):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad, seed=seed)


class AvgPool2d(_AvgPoolNd):
    ndim = 2


class AvgPool3d(_AvgPoolNd):
    ndim = 3


class _AdaptiveMaxPoolNd(Layer):
    ndim = 2

    def __init__(self, output_size, return_indices: bool = False, *, seed: int = 0):
        del return_indices  # changes what torch returns, not the output (see _MaxPoolNd)
        super().__init__(adaptive_spec(type(self).__name__, "max_pool", self.ndim,
                                       output_size), seed)


class _AdaptiveAvgPoolNd(Layer):
    ndim = 2

    def __init__(self, output_size, *, seed: int = 0):
        super().__init__(adaptive_spec(type(self).__name__, "avg_pool", self.ndim,
                                       output_size), seed)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    ndim = 1


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    ndim = 2


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    ndim = 1


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    ndim = 2
