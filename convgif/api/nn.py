"""The PyTorch front door: layers with torch's constructor signatures and defaults.

A layer is a spec plus its parameters. ``weight`` and ``bias`` are numpy
arrays in torch's shapes, small integers by default (drawn from ``seed``) so
a viewer can check every product by eye; assign your own with the same shape.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from convgif.errors import ConvGifError
from convgif.layers.code import call_text, short_value
from convgif.layers.spec import (
    PADDING_MODES,
    LayerSpec,
    check_bool,
    check_choice,
    check_int,
    check_tuple,
    conv_padding,
)

# Small integers keep every product and sum readable in a cell.
WEIGHT_RANGE = (-2, 2)
INPUT_RANGE = (0, 4)
# Beyond these a simulation would exhaust memory before it showed anything.
MAX_PARAMETERS = 1 << 24
MAX_INPUT = 1 << 24


def _as_shape(name: str, shape, rank: tuple[int, ...]) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)) or not hasattr(shape, "__len__"):
        raise ConvGifError(
            f"{name}={shape!r} must be a tuple of {' or '.join(map(str, rank))} sizes"
        )
    if len(shape) not in rank:
        raise ConvGifError(
            f"{name}={tuple(shape)!r} must have {' or '.join(map(str, rank))} sizes, "
            f"got {len(shape)}"
        )
    return tuple(check_int(name, s) for s in shape)


class InputShape(NamedTuple):
    batched: bool  # a leading batch axis
    channels: int
    spatial: tuple[int, ...]


class Layer:
    """What every layer kind shares: parameters, shapes, the simulation."""

    spec: LayerSpec

    def __init__(self, spec: LayerSpec, seed: int = 0):
        self.spec = spec
        self.seed = check_int("seed", seed, 0)
        self._init_parameters()

    # ---- parameters

    def _init_parameters(self) -> None:
        # Drawn on first use: `convgif info` on a big layer needs its shapes, not its weights.
        self._weight = None
        self._bias = None
        self._drawn = self.spec.weight_shape is None

    def _draw_parameters(self) -> None:
        if self._drawn:
            return
        count = math.prod(self.spec.weight_shape)
        if count > MAX_PARAMETERS:
            raise ConvGifError(
                f"{self.spec.name} has {count:,} weights (limit {MAX_PARAMETERS:,}): too many "
                "to simulate; use fewer channels or a smaller kernel"
            )
        rng = np.random.default_rng(self.seed)
        lo, hi = WEIGHT_RANGE
        self._weight = rng.integers(lo, hi + 1, self.spec.weight_shape).astype(np.float64)
        if self.spec.bias:
            self._bias = rng.integers(lo, hi + 1, self.spec.out_channels).astype(np.float64)
        self._drawn = True

    @property
    def weight(self) -> np.ndarray | None:
        self._draw_parameters()
        return self._weight

    @weight.setter
    def weight(self, value) -> None:
        self._draw_parameters()  # the seeded bias stays what it would have been
        self._weight = self._checked_parameter("weight", value, self.spec.weight_shape)

    @property
    def bias(self) -> np.ndarray | None:
        self._draw_parameters()
        return self._bias

    @bias.setter
    def bias(self, value) -> None:
        self._draw_parameters()
        if value is None:
            self._bias = None
            return
        if not self.spec.bias:
            raise ConvGifError("bias cannot be set on a layer built with bias=False")
        self._bias = self._checked_parameter("bias", value, (self.spec.out_channels,))

    def _checked_parameter(self, name, value, shape) -> np.ndarray:
        if shape is None:
            raise ConvGifError(f"{name} cannot be set on {self.spec.name}: it has no {name}")
        try:
            arr = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ConvGifError(f"{name} must be an array of numbers") from None
        if arr.shape != tuple(shape):
            raise ConvGifError(f"{name} has shape {arr.shape}, must be {tuple(shape)}")
        if not np.all(np.isfinite(arr)):
            raise ConvGifError(f"{name} must be finite (no NaN or infinity)")
        return arr

    # ---- shapes

    @property
    def param_count(self) -> int:
        return self.spec.param_count

    @property
    def effective_kernel_size(self) -> tuple[int, ...]:
        return self.spec.effective_kernel_size

    def split_shape(self, input_shape) -> InputShape:
        """The parts of a framework-layout input shape, checked against the layer."""
        nd = self.spec.ndim
        shape = _as_shape("input_shape", input_shape, (nd + 1, nd + 2))
        batched = len(shape) == nd + 2
        body = shape[1:] if batched else shape
        if self.spec.channels_last:
            channels, spatial = body[-1], body[:-1]
        else:
            channels, spatial = body[0], body[1:]
        self._check_channels(channels)
        self.spec.check_input_spatial(spatial)
        return InputShape(batched, channels, tuple(spatial))

    def _check_channels(self, channels: int) -> None:
        expected = self.spec.in_channels
        if expected is not None and channels != expected:
            raise ConvGifError(f"input has {channels} channels, must have in_channels={expected}")

    def output_shape(self, input_shape) -> tuple[int, ...]:
        """The output shape for an input shape, in the framework's layout."""
        batched, channels, spatial = self.split_shape(input_shape)
        out_c = channels if self.spec.pooling else self.spec.out_channels
        out_sp = self.spec.output_spatial(spatial)
        body = (*out_sp, out_c) if self.spec.channels_last else (out_c, *out_sp)
        return ((input_shape[0],) if batched else ()) + body

    def padding_for(self, input_shape) -> tuple[int, ...]:
        """The explicit padding applied, flattened: (top, bottom, left, right) in 2-d."""
        _, _, spatial = self.split_shape(input_shape)
        return tuple(p for pair in self.spec.pads(spatial) for p in pair)

    def mac_count(self, input_shape) -> int:
        batched, channels, spatial = self.split_shape(input_shape)
        per_sample = self.spec.mac_count(spatial, channels)
        return per_sample * (input_shape[0] if batched else 1)

    # ---- simulation

    def example_input(self, input_shape, seed: int | None = None) -> np.ndarray:
        """Small integers (0..4) of the given shape, from ``seed`` (the layer's by default)."""
        self.split_shape(input_shape)
        size = math.prod(input_shape)
        if size > MAX_INPUT:
            raise ConvGifError(
                f"input_shape={tuple(input_shape)} has {size:,} values (limit {MAX_INPUT:,}): "
                "too many to simulate; use a smaller input"
            )
        rng = np.random.default_rng(self.seed + 1 if seed is None else seed)
        lo, hi = INPUT_RANGE
        return rng.integers(lo, hi + 1, tuple(input_shape)).astype(np.float64)

    def trace(self, x):
        """Simulate the layer on ``x`` and record every multiply-accumulate."""
        from convgif.simulate.trace import simulate

        return simulate(self, x)

    # ---- pictures (the renderer is imported only when a picture is asked for)

    def animate(self, path, input_shape=None, x=None, **options):
        """Write the animation of this layer to ``path`` (.gif, .png, .webp, .mp4, ...).

        Options: ``step`` ('output' | 'channel' | 'mac'), ``values`` (None: when
        they fit), ``lines``, ``cell``, ``scale``, ``style``, ``font``,
        ``duration`` and ``hold`` (milliseconds), ``view`` ('gather' | 'scatter' |
        'matrix': y = C·x) and ``flip`` (true convolution, the kernel rotated 180°).
        """
        from convgif.api import render

        return render.animate(path, self, x, input_shape, **options)

    def still(self, path, frame: int = -1, input_shape=None, x=None, **options):
        """Write one frame (negative counts from the end) as a still image."""
        from convgif.api import render

        return render.still(path, self, frame, x, input_shape, **options)

    def frames(self, input_shape=None, x=None, **options):
        """Every frame of the animation as an (H, W, 3) uint8 RGB array."""
        from convgif.api import render

        return render.frames(self, x, input_shape, **options)

    padding_given = None  # padding as the constructor was given it, when the spec cannot say

    def __repr__(self) -> str:
        return call_text(self.spec, self.padding_given)



def _check_channels(in_channels, out_channels, groups) -> tuple[int, int, int]:
    """Channel counts and groups, each a positive int, groups dividing both counts."""
    in_channels = check_int("in_channels", in_channels)
    out_channels = check_int("out_channels", out_channels)
    groups = check_int("groups", groups)
    for name, count in (("in_channels", in_channels), ("out_channels", out_channels)):
        if count % groups:
            raise ConvGifError(f"groups={groups} must divide {name}={count}")
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
        in_channels, out_channels, groups = _check_channels(in_channels, out_channels, groups)
        kernel = check_tuple("kernel_size", kernel_size, nd)
        stride_t = check_tuple("stride", stride, nd)
        dilation_t = check_tuple("dilation", dilation, nd)
        self.padding_given = padding
        spec = LayerSpec(
            name=type(self).__name__,
            op="conv",
            ndim=nd,
            in_channels=in_channels,
            out_channels=out_channels,
            kernel_size=kernel,
            stride=stride_t,
            padding=conv_padding(padding, nd, kernel, dilation_t, stride_t),
            dilation=dilation_t,
            groups=groups,
            bias=check_bool("bias", bias),
            padding_mode=check_choice("padding_mode", padding_mode, PADDING_MODES),
        )
        super().__init__(spec, seed)



class Conv1d(_ConvNd):
    ndim = 1


class Conv2d(_ConvNd):
    ndim = 2


class Conv3d(_ConvNd):
    ndim = 3


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
        nd = self.ndim
        in_channels, out_channels, groups = _check_channels(in_channels, out_channels, groups)
        kernel = check_tuple("kernel_size", kernel_size, nd)
        stride_t = check_tuple("stride", stride, nd)
        dilation_t = check_tuple("dilation", dilation, nd)
        if isinstance(padding, str):
            raise ConvGifError(
                f"padding={padding!r} must be an integer or a tuple of {nd} integers "
                f"for {type(self).__name__} (PyTorch takes no padding strings here)"
            )
        pad = check_tuple("padding", padding, nd, 0)
        out_pad = check_tuple("output_padding", output_padding, nd, 0)
        for op, s, d in zip(out_pad, stride_t, dilation_t):
            if op >= max(s, d):
                raise ConvGifError(
                    f"output_padding={short_value(out_pad)} must be smaller than either "
                    f"stride={short_value(stride_t)} or dilation={short_value(dilation_t)}"
                )
        if padding_mode != "zeros":
            check_choice("padding_mode", padding_mode, PADDING_MODES)
            raise ConvGifError(
                f"padding_mode={padding_mode!r} is not supported by {type(self).__name__}: "
                "transposed convolutions take only 'zeros'"
            )
        spec = LayerSpec(
            name=type(self).__name__,
            op="conv_transpose",
            ndim=nd,
            in_channels=in_channels,
            out_channels=out_channels,
            kernel_size=kernel,
            stride=stride_t,
            padding=tuple((p, p - op) for p, op in zip(pad, out_pad)),
            dilation=dilation_t,
            groups=groups,
            bias=check_bool("bias", bias),
            output_padding=out_pad,
        )
        super().__init__(spec, seed)



class ConvTranspose1d(_ConvTransposeNd):
    ndim = 1


class ConvTranspose2d(_ConvTransposeNd):
    ndim = 2


def _pool_spec(name, op, kernel_size, stride, padding, dilation, ceil_mode, **extra):
    nd = 2
    kernel = check_tuple("kernel_size", kernel_size, nd)
    stride_t = kernel if stride is None else check_tuple("stride", stride, nd)
    dilation_t = check_tuple("dilation", dilation, nd)
    pad = check_tuple("padding", padding, nd, 0)
    for p, k in zip(pad, kernel, strict=True):
        # PyTorch (max and average pooling alike): pad <= kernel_size // 2, dilation
        # notwithstanding.
        if p > k // 2:
            raise ConvGifError(
                f"padding={short_value(pad)} must be at most half of the "
                f"kernel_size={short_value(kernel)}"
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


class MaxPool2d(Layer):
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
        check_bool("return_indices", return_indices)
        spec = _pool_spec(
            "MaxPool2d", "max_pool", kernel_size, stride, padding, dilation, ceil_mode
        )
        super().__init__(spec, seed)



class AvgPool2d(Layer):
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
            divisor_override = check_int("divisor_override", divisor_override)
        spec = _pool_spec(
            "AvgPool2d",
            "avg_pool",
            kernel_size,
            stride,
            padding,
            1,
            ceil_mode,
            count_include_pad=check_bool("count_include_pad", count_include_pad),
            divisor_override=divisor_override,
        )
        super().__init__(spec, seed)


def forward_conv(layer, input_shape) -> tuple[Layer, tuple[int, ...]]:
    """The forward convolution (with the weight) a transposed layer is the transpose of, and
    its input shape: ``conv_matrix(forward, shape) == conv_matrix(layer, input_shape).T``."""
    from convgif.simulate import matrix

    forward = matrix.forward_conv(layer.spec, layer.split_shape(input_shape).spatial)
    s = forward.spec
    kind = {1: Conv1d, 2: Conv2d, 3: Conv3d}[s.ndim]
    conv = kind(s.in_channels, s.out_channels, s.kernel_size, stride=s.stride,
                padding=forward.padding, dilation=s.dilation, groups=s.groups, bias=False)
    conv.weight = layer.weight
    return conv, forward.in_shape
