"""Keras' ``DepthwiseConv2D``: one kernel (or ``depth_multiplier`` kernels) per input channel.

It is a grouped convolution with ``groups = in_channels`` and
``in_channels · depth_multiplier`` outputs, output channel ``c·dm + m`` being input
channel c through its m-th kernel (Keras' order). Keras infers the input channels from
the first input, so the layer is built then (or by ``input_shape=``), as the other
Keras layers are. ``kernel`` (Keras 2: ``depthwise_kernel``) is Keras'
``(kh, kw, in, depth_multiplier)``; ``weight`` the same numbers in PyTorch's
``(in·dm, 1, kh, kw)``, which the simulation reads.

Keras accepts a stride above 1 together with a dilation rate above 1 here (unlike its
``Conv2D``), and so does convgif.
"""

from __future__ import annotations

import numpy as np

from convgif.api.keras import (
    KerasConv,
    channels_last,
    keras_pads,
    padding_choice,
    refuse_others,
)
from convgif.api.keras_weights import (
    checked_list,
    depthwise_kernel,
    depthwise_weight,
    unbuilt,
)
from convgif.layers.code import keras_args
from convgif.layers.spec import LayerSpec, check_bool, check_int, check_tuple


def depthwise_spec(name, kernel_size, strides, padding, depth_multiplier, data_format,
                   dilation_rate, use_bias) -> tuple[LayerSpec, str, int]:
    """The unbuilt spec (channels unknown), the padding word, the multiplier; checked."""
    kernel = check_tuple("kernel_size", kernel_size, 2)
    stride = check_tuple("strides", strides, 2)
    dilation = check_tuple("dilation_rate", dilation_rate, 2)
    multiplier = check_int("depth_multiplier", depth_multiplier)
    padding = padding_choice(padding, False, 2)
    last = channels_last(data_format)
    pads, tf_same, _ = keras_pads(padding, False, 2, kernel, stride, dilation, None)
    spec = LayerSpec(
        name=name,
        op="conv",
        ndim=2,
        in_channels=None,
        out_channels=None,
        kernel_size=kernel,
        stride=stride,
        padding=pads,
        dilation=dilation,
        bias=check_bool("use_bias", use_bias),
        tf_same=tf_same,
        channels_last=last,
        keras=True,
    )
    return spec, padding, multiplier


class DepthwiseConv2D(KerasConv):
    """Keras' ``DepthwiseConv2D`` (its signature and defaults)."""

    ndim = 2

    def __init__(
        self,
        kernel_size,
        strides=1,
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate=1,
        activation=None,
        use_bias: bool = True,
        *,
        input_shape=None,
        seed: int = 0,
        **others,
    ):
        name = type(self).__name__
        refuse_others(name, others)
        del activation  # not drawn: taken out before this runs (convgif.layers.keywords)
        spec, self.padding_given, self.depth_multiplier = depthwise_spec(
            name, kernel_size, strides, padding, depth_multiplier, data_format,
            dilation_rate, use_bias,
        )
        self.spec = spec
        self.seed = check_int("seed", seed, 0)
        self._init_parameters()
        if input_shape is not None:
            self._build(self._channels_of(input_shape, with_batch=False))

    def __repr__(self) -> str:
        shown = self.spec._replace(groups=1)
        args = [a for a in keras_args(shown, self.padding_given) if not a.startswith("filters=")]
        if self.depth_multiplier != 1:
            at = next((i for i, a in enumerate(args) if a.startswith(("data_format",
                       "dilation_rate", "use_bias"))), len(args))
            args.insert(at, f"depth_multiplier={self.depth_multiplier}")
        return f"{self.spec.name}({', '.join(args)})"

    def _build(self, channels: int) -> None:
        if self.spec.in_channels == channels:
            return
        self.spec = self.spec._replace(
            in_channels=channels, out_channels=channels * self.depth_multiplier,
            groups=channels,
        )
        self._init_parameters()

    # ---- Keras' layout

    @property
    def kernel(self) -> np.ndarray:
        """``(kh, kw, in, depth_multiplier)``, as Keras holds it (a copy)."""
        if self.spec.in_channels is None:
            raise unbuilt(self)
        return depthwise_kernel(self.weight, self.depth_multiplier)

    @kernel.setter
    def kernel(self, value) -> None:
        if self.spec.in_channels is None:
            raise unbuilt(self)
        shape = (*self.spec.kernel_size, self.spec.in_channels, self.depth_multiplier)
        (arr,) = checked_list(type(self).__name__, [value], [shape])
        self.weight = depthwise_weight(arr)

    depthwise_kernel = kernel  # Keras 2's name for it
