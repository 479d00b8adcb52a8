"""PyTorch's ``nn.Unfold``: im2col itself, every sliding window's cells as one column.

``Unfold(kernel_size, dilation=1, padding=0, stride=1)`` turns an input
``(N, C, H, W)`` into ``(N, C·kh·kw, L)``, where ``L`` is the number of window
positions (row-major) and row ``c·kh·kw + ky·kw + kx`` holds input channel c's tap
``(ky, kx)`` at every position. That is a grouped convolution (``groups = C``, ``C·kh·kw``
outputs) whose kernels are one-hot: output channel ``c·kh·kw + k`` has a single 1 at
tap ``k``. convgif simulates exactly that, so the trace, the gather view (each one-hot
kernel picking its cell from every window) and the matrix view (``view='matrix'``:
``C`` a 0/1 selection matrix, ``y`` the im2col matrix read row by row) all come for
free; ``trace.output`` is torch's ``(N, C·kh·kw, L)``.

The layer takes any number of channels and is built for them on its first input,
as torch's is shape-free. It has no parameters: ``weight`` is the one-hot kernel,
read-only; ``info`` counts one copied value per output entry as its work.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from convgif.api.layer import Layer
from convgif.api.nn import torch_sizes
from convgif.errors import NAME, ConvGifError, refuse
from convgif.layers.code import short_value
from convgif.layers.spec import LayerSpec, check_int


class Unfold(Layer):
    """``torch.nn.Unfold`` (its signature and defaults)."""

    work_name = "values copied"  # what ``info`` counts: Unfold multiplies nothing

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1, *, seed: int = 0):
        if isinstance(padding, str):
            raise refuse("padding", padding, "must be an integer or a tuple of 2 integers "
                         "(Unfold takes no padding strings)")
        spec = LayerSpec(
            name="Unfold",
            op="conv",
            ndim=2,
            in_channels=None,
            out_channels=None,
            kernel_size=torch_sizes("kernel_size", kernel_size, 2),
            stride=torch_sizes("stride", stride, 2),
            padding=tuple((p, p) for p in torch_sizes("padding", padding, 2, 0)),
            dilation=torch_sizes("dilation", dilation, 2),
        )
        super().__init__(spec, seed)

    def __repr__(self) -> str:
        s = self.spec
        args = [f"kernel_size={short_value(s.kernel_size)}"]
        if any(d != 1 for d in s.dilation):
            args.append(f"dilation={short_value(s.dilation)}")
        if any(p for p, _ in s.padding):
            args.append(f"padding={short_value(tuple(p for p, _ in s.padding))}")
        if any(v != 1 for v in s.stride):
            args.append(f"stride={short_value(s.stride)}")
        return f"Unfold({', '.join(args)})"

    # ---- built on the first input: C channels give C·kh·kw one-hot kernels

    def _build(self, channels: int) -> None:
        if self.spec.in_channels == channels:
            return
        taps = math.prod(self.spec.kernel_size)
        self.spec = self.spec._replace(
            in_channels=channels, out_channels=channels * taps, groups=channels
        )
        self._init_parameters()

    def _draw_parameters(self) -> None:
        if self._drawn:
            return
        taps = math.prod(self.spec.kernel_size)
        one_hot = np.eye(taps).reshape(taps, 1, *self.spec.kernel_size)
        self._weight = np.tile(one_hot, (self.spec.in_channels, 1, 1, 1))
        self._drawn = True

    @property
    def weight(self) -> np.ndarray | None:
        """The one-hot kernels ``(C·kh·kw, 1, kh, kw)`` (read-only: Unfold learns nothing)."""
        if self.spec.in_channels is None:
            return None
        self._draw_parameters()
        return self._weight

    @weight.setter
    def weight(self, value) -> None:
        raise ConvGifError(f"{NAME} cannot be set on Unfold: it copies cells, it has no "
                           "weights", "weight")

    @property
    def param_count(self) -> int:
        return 0

    def built_for(self, input_shape) -> Unfold:
        """This layer, built for inputs ``(C, H, W)`` or ``(N, C, H, W)``."""
        try:
            dims = tuple(input_shape)
        except TypeError:
            raise refuse("input_shape", input_shape, "must be a tuple of sizes") from None
        if len(dims) not in (3, 4):
            raise refuse("input_shape", dims, "must have 3 or 4 sizes: (C, H, W) or "
                         "(N, C, H, W)")
        self._build(check_int("input channels", dims[-3]))
        return self

    # ---- torch's shapes: (N, C·kh·kw, L)

    def split_shape(self, input_shape):
        if input_shape is not None and hasattr(input_shape, "__len__") and len(input_shape) in (
                3, 4):
            self.built_for(input_shape)
        return super().split_shape(input_shape)

    def output_shape(self, input_shape) -> tuple[int, ...]:
        shape = super().output_shape(input_shape)
        return (*shape[:-3], shape[-3], shape[-2] * shape[-1])

    def mac_count(self, input_shape) -> int:
        """One copied value per output entry (Unfold multiplies nothing)."""
        return math.prod(self.output_shape(input_shape))

    def trace(self, x, *, out_channels=None):
        if self.spec.in_channels is None or np.ndim(x) in (3, 4):
            self.built_for(np.shape(x))
        trace = super().trace(x, out_channels=out_channels)
        out = trace.output
        return dataclasses.replace(trace, output=out.reshape(*out.shape[:-2], -1))
