"""What every layer kind shares: its spec, its parameters, its shapes, its simulation.

A layer is a spec plus its parameters. ``weight`` and ``bias`` are numpy
arrays in torch's shapes, small integers by default (drawn from ``seed``) so
a viewer can check every product by eye; assign your own with the same shape.
The torch kinds live in ``convgif.api.nn``, the Keras kinds in
``convgif.api.keras``.
"""

from __future__ import annotations

import functools
import math
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from convgif.errors import NAME, ConvGifError, refuse
from convgif.layers.code import call_text
from convgif.layers.keywords import sort_arguments
from convgif.layers.spec import MAX_INPUT, MAX_PARAMETERS, LayerSpec, check_int

# Small integers keep every product and sum readable in a cell.
WEIGHT_RANGE = (-2, 2)
INPUT_RANGE = (0, 4)


def _as_shape(name: str, shape, rank: tuple[int, ...]) -> tuple[int, ...]:
    ranks = " or ".join(map(str, rank))
    if isinstance(shape, (int, np.integer)) or not hasattr(shape, "__len__"):
        raise refuse(name, shape, f"must be a tuple of {ranks} sizes")
    if len(shape) not in rank:
        raise refuse(name, tuple(shape), f"must have {ranks} sizes, got {len(shape)}")
    return tuple(check_int(name, s) for s in shape)


class InputShape(NamedTuple):
    batched: bool  # a leading batch axis
    channels: int
    spatial: tuple[int, ...]


def taking_not_drawn(init):
    """``init`` that also takes its framework's keywords that convgif does not draw
    (``device=``, ``name=``, ``activation=`` ...: ``convgif.layers.keywords``), keeping
    them as text in ``layer.not_drawn``. One mechanism for every kind, added at subclassing."""
    signature = None

    @functools.wraps(init)
    def taking(self, *args, **kwargs):
        nonlocal signature
        if "not_drawn" in self.__dict__:  # super().__init__ from a kind's own: sorted already
            return init(self, *args, **kwargs)
        if signature is None:
            import inspect  # on first use: it costs a share of start-up

            full = inspect.signature(init)
            signature = full.replace(parameters=list(full.parameters.values())[1:])
        args, kwargs, self.not_drawn = sort_arguments(
            type(self).__name__, signature, args, kwargs
        )
        init(self, *args, **kwargs)

    return taking


class Layer:
    """What every layer kind shares: parameters, shapes, the simulation."""

    spec: LayerSpec
    padding_given = None  # padding as the constructor was given it, when the spec cannot say
    # keyword -> its value as code, for the keywords given that do not change the numbers
    not_drawn = MappingProxyType({})

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = taking_not_drawn(cls.__dict__["__init__"])

    def __init__(self, spec: LayerSpec, seed: int = 0):
        self.spec = spec
        self.seed = check_int("seed", seed, 0)
        self._init_parameters()

    def __repr__(self) -> str:
        return call_text(self.spec, self.padding_given)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """In a notebook, the layer shows as its player on an example input (see
        ``convgif.api.inline.layer_bundle``)."""
        from convgif.api import inline

        return inline.layer_bundle(self, include, exclude)

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
            raise ConvGifError(f"{NAME} cannot be set on a layer built with bias=False", "bias")
        self._bias = self._checked_parameter("bias", value, (self.spec.out_channels,))

    def _checked_parameter(self, name, value, shape) -> np.ndarray:
        if shape is None:
            raise ConvGifError(f"{NAME} cannot be set on {self.spec.name}: it has no {name}", name)
        try:
            arr = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ConvGifError(f"{NAME} must be an array of numbers", name) from None
        if arr.shape != tuple(shape):
            raise ConvGifError(f"{NAME} has shape {arr.shape}, must be {tuple(shape)}", name)
        if not np.all(np.isfinite(arr)):
            raise ConvGifError(f"{NAME} must be finite (no NaN or infinity)", name)
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
        self.spec.check_channels(channels)
        self.spec.check_batched(batched)
        self.spec.check_input_spatial(spatial)
        return InputShape(batched, channels, tuple(spatial))

    def output_shape(self, input_shape) -> tuple[int, ...]:
        """The output shape for an input shape, in the framework's layout."""
        batched, channels, spatial = self.split_shape(input_shape)
        out_c = channels if self.spec.pooling else self.spec.out_channels
        out_sp = self.spec.output_spatial(spatial)
        body = (*out_sp, out_c) if self.spec.channels_last else (out_c, *out_sp)
        if not self.spec.keepdims:  # Keras' global pools: (N, C)
            body = (out_c,)
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
                f"{NAME}={tuple(input_shape)} has {size:,} values (limit {MAX_INPUT:,}): "
                "too many to simulate; use a smaller input",
                "input_shape",
            )
        from convgif.simulate.engine import check_input_shape

        check_input_shape(self.spec, input_shape)
        rng = np.random.default_rng(self.seed + 1 if seed is None else seed)
        lo, hi = INPUT_RANGE
        return rng.integers(lo, hi + 1, tuple(input_shape)).astype(np.float64)

    def trace(self, x, *, out_channels=None):
        """Simulate the layer on ``x`` and record every multiply-accumulate.

        ``out_channels``: simulate only these output channels of a convolution
        (the rest of the output is NaN), for a picture that shows no others.
        """
        from convgif.simulate.engine import simulate

        return simulate(
            self.spec, self.weight, self.bias, x, out_channels=out_channels, text=repr(self)
        )

    def backward(self, x=None, grad_output=None, *, input_shape=None, seed=None):
        """The backward pass on ``x`` (or a made-up input of ``input_shape``) for
        ``grad_output`` (default: small integers, -2..2, drawn from ``seed``): a
        ``Gradients`` with ``grad_input``, ``grad_weight``, ``grad_bias`` as torch.autograd
        gives them (see ``convgif.api.backward``)."""
        from convgif.api.backward import backward

        return backward(self, x, grad_output, input_shape=input_shape, seed=seed)

    def info(self, input_shape, *, grad: bool = False) -> str:
        """What ``convgif info`` prints for this layer on ``input_shape``; with ``grad``, the
        gradients' shapes and the forward operations that compute them."""
        from convgif.layers.grad_info import describe_grads, format_grads
        from convgif.layers.info import describe, format_text

        text = format_text(describe(self, input_shape))
        return text + ("\n\n" + format_grads(describe_grads(self, input_shape)) if grad else "")

    # ---- pictures (the renderer is imported only when a picture is asked for)

    def animate(self, path, *, input_shape=None, x=None, **options):
        """Write the animation of this layer to ``path`` (.gif, .png, .webp, .mp4, ...).

        Options: ``step`` ('auto', the default: a loop of about 30 s, the first
        output channel walked cell by cell and the others filled a block of cells
        a frame; 'output': every output cell its frame; 'channel' | 'mac'),
        ``values`` (None: when they fit), ``lines``, ``cell``, ``scale``, ``style``, ``font``,
        ``duration`` and ``hold`` (milliseconds), ``view`` ('gather' | 'scatter' |
        'matrix': y = C·x) and ``flip`` (true convolution, the kernel rotated 180°).
        .html writes the step-through player, .pptx a slide per frame. Returns a ``Rendered``
        (``convgif.api.result``): path, frames, size in pixels, one loop's duration.
        """
        from convgif.api import render

        return render.animate(path, self, x=x, input_shape=input_shape, **options)

    def still(self, path, *, frame: int = -1, input_shape=None, x=None, **options):
        """Write one frame (from 1, as the counter numbers it; negative counts from the end)
        as a PNG, SVG or PDF; returns a ``Rendered`` (path, 1 frame, size in pixels)."""
        from convgif.api import render

        return render.still(path, self, frame=frame, x=x, input_shape=input_shape, **options)

    def frames(self, *, input_shape=None, x=None, **options):
        """Every frame of the animation as an (H, W, 3) uint8 RGB array."""
        from convgif.api import render

        return render.frames(self, x=x, input_shape=input_shape, **options)
