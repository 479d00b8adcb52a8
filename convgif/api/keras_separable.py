"""Keras' ``SeparableConv2D``: a depthwise convolution, then a pointwise (1x1) one.

The layer is its two steps, each a convgif layer of its own: ``depthwise`` (a
``DepthwiseConv2D`` with the strides, padding, dilation and depth_multiplier, no bias)
and ``pointwise`` (a ``Conv2D(filters, 1)`` with the bias). ``trace(x)`` runs both
and keeps both traces (``SeparableTrace``); its output is Keras'. Pictures play the
depthwise step's frames, then the pointwise step's (``convgif.views.sequence``).

Keras' own layout: ``depthwise_kernel`` ``(kh, kw, in, depth_multiplier)``,
``pointwise_kernel`` ``(1, 1, in·depth_multiplier, filters)``, ``bias`` ``(filters,)``;
``get_weights()`` / ``set_weights()`` in that order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from convgif.api.keras import Conv2D, refuse_others
from convgif.api.keras_depthwise import DepthwiseConv2D
from convgif.api.keras_weights import checked_list, unbuilt
from convgif.api.layer import taking_not_drawn
from convgif.errors import NAME, ConvGifError
from convgif.layers.code import keras_args
from convgif.layers.spec import check_int
from convgif.simulate.trace import Trace


@dataclass(frozen=True, eq=False)
class SeparableTrace:
    """Both steps of a separable convolution on one input."""

    steps: tuple[Trace, Trace]  # the depthwise step's trace, then the pointwise step's

    @property
    def output(self) -> np.ndarray:
        """The layer's output, as Keras returns it."""
        return self.steps[-1].output

    @property
    def depthwise(self) -> Trace:
        return self.steps[0]

    @property
    def pointwise(self) -> Trace:
        return self.steps[1]

    def __getattr__(self, name: str):
        # what a one-step trace has (its MAC records, grid, kernel) belongs to one step here
        if name.startswith("__"):
            raise AttributeError(name)
        raise ConvGifError(
            f"{NAME}=SeparableConv2D runs in 2 steps, each with its own {name}: read "
            f"trace.depthwise.{name} or trace.pointwise.{name} (or trace one step's layer, "
            "layer.depthwise or layer.pointwise)", "layer")


class SeparableConv2D:
    """Keras' ``SeparableConv2D`` (its signature and defaults)."""

    @taking_not_drawn  # not a Layer (two of them): name=, activation= ... taken the same way
    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate=1,
        depth_multiplier: int = 1,
        activation=None,
        use_bias: bool = True,
        *,
        input_shape=None,
        seed: int = 0,
        **others,
    ):
        refuse_others(type(self).__name__, others)
        del activation  # not drawn: taken out before this runs (convgif.layers.keywords)
        self.seed = check_int("seed", seed, 0)
        self.depthwise = DepthwiseConv2D(
            kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate,
            use_bias=False, seed=self.seed,
        )
        self.pointwise = Conv2D(
            check_int("filters", filters), 1, data_format=data_format, use_bias=use_bias,
            seed=self.seed + 1,
        )
        if input_shape is not None:
            self.built_for((1, *tuple(input_shape)))

    def __repr__(self) -> str:
        depthwise = repr(self.depthwise)
        # the depthwise step never has a bias: the layer's use_bias is the pointwise step's
        inner = depthwise[depthwise.index("(") + 1 : -1].replace(", use_bias=False", "")
        head = keras_args(self.pointwise.spec, "valid")[0]  # filters=...
        tail = "" if self.pointwise.spec.bias else ", use_bias=False"
        return f"SeparableConv2D({head}, {inner}{tail})"

    step_names = ("depthwise", "pointwise")

    @property
    def steps(self) -> tuple:
        """The layers run one after the other: the depthwise step, the pointwise step."""
        return (self.depthwise, self.pointwise)

    @property
    def spec(self):
        """The depthwise step's spec (its window: kernel, strides, padding, dilation),
        named as this layer; ``steps`` has each step's own."""
        return self.depthwise.spec._replace(name=type(self).__name__)

    # ---- shapes (Keras builds on the first input)

    def built_for(self, input_shape) -> SeparableConv2D:
        self.depthwise.built_for(input_shape)
        mid = self.depthwise.spec.out_channels
        nd = self.depthwise.spec.ndim
        shape = (1, *(1,) * nd, mid) if self.spec.channels_last else (1, mid, *(1,) * nd)
        self.pointwise.built_for(shape)
        return self

    def split_shape(self, input_shape):
        parts = self.depthwise.split_shape(input_shape)
        self.built_for(input_shape if parts.batched else (1, *input_shape))
        return parts

    def output_shape(self, input_shape) -> tuple[int, ...]:
        self.split_shape(input_shape)
        return self.pointwise.output_shape(self.depthwise.output_shape(input_shape))

    def mac_count(self, input_shape) -> int:
        self.split_shape(input_shape)
        middle = self.depthwise.output_shape(input_shape)
        return self.depthwise.mac_count(input_shape) + self.pointwise.mac_count(middle)

    @property
    def param_count(self) -> int:
        return self.depthwise.param_count + self.pointwise.param_count

    def example_input(self, input_shape, seed: int | None = None) -> np.ndarray:
        return self.depthwise.example_input(input_shape, self.seed + 1 if seed is None else seed)

    # ---- the simulation: both steps

    def trace(self, x, *, out_channels=None) -> SeparableTrace:
        del out_channels  # every channel of the middle is needed by the pointwise step
        self.built_for(np.shape(x) if np.ndim(x) == 4 else (1, *np.shape(x)))
        first = self.depthwise.trace(x)
        return SeparableTrace((first, self.pointwise.trace(first.output)))

    def backward(self, x=None, grad_output=None, *, input_shape=None, seed=None):
        """The gradients through both steps, in Keras' layout: ``grad_input``,
        ``grad_depthwise_kernel``, ``grad_pointwise_kernel``, ``grad_bias`` (see
        ``convgif.api.separable_backward``)."""
        from convgif.api.separable_backward import separable_backward

        return separable_backward(self, x, grad_output, input_shape=input_shape, seed=seed)

    # ---- Keras' layout

    def _built(self) -> None:
        if self.depthwise.spec.in_channels is None:
            raise unbuilt(self)

    @property
    def depthwise_kernel(self) -> np.ndarray:
        self._built()
        return self.depthwise.kernel

    @depthwise_kernel.setter
    def depthwise_kernel(self, value) -> None:
        self._built()
        self.depthwise.kernel = value

    @property
    def pointwise_kernel(self) -> np.ndarray:
        self._built()
        return self.pointwise.kernel

    @pointwise_kernel.setter
    def pointwise_kernel(self, value) -> None:
        self._built()
        self.pointwise.kernel = value

    @property
    def bias(self) -> np.ndarray | None:
        self._built()
        return self.pointwise.bias

    @bias.setter
    def bias(self, value) -> None:
        self._built()
        self.pointwise.bias = value

    def get_weights(self) -> list[np.ndarray]:
        """``[depthwise_kernel, pointwise_kernel, bias]`` (no bias without use_bias)."""
        bias = [] if self.bias is None else [self.bias.copy()]
        return [self.depthwise_kernel, self.pointwise_kernel, *bias]

    def set_weights(self, weights) -> None:
        shapes = [w.shape for w in self.get_weights()]
        arrays = checked_list(type(self).__name__, weights, shapes)
        self.depthwise_kernel, self.pointwise_kernel = arrays[:2]
        if len(arrays) > 2:
            self.bias = arrays[2]

    # ---- pictures: the depthwise step's frames, then the pointwise step's

    def animate(self, path, *, input_shape=None, x=None, **options):
        """Write both steps' animation, one after the other (options as ``Layer.animate``)."""
        from convgif.api import render

        return render.animate(path, self, x=x, input_shape=input_shape, **options)

    def still(self, path, *, frame: int = -1, input_shape=None, x=None, **options):
        """One frame of both steps' animation (numbered through both)."""
        from convgif.api import render

        return render.still(path, self, frame=frame, x=x, input_shape=input_shape, **options)

    def frames(self, *, input_shape=None, x=None, **options):
        from convgif.api import render

        return render.frames(self, x=x, input_shape=input_shape, **options)
