"""The backward pass of Keras' ``SeparableConv2D``: the chain rule through its two steps.

The layer is a depthwise step (``x → m``) then a pointwise one (``m → y``), so its
gradients are the pointwise step's backward pass on ``m`` for ``∂L/∂y``, then the
depthwise step's on ``x`` for the ``∂L/∂m`` that gives. What is returned is in Keras'
own layout, the arrays ``get_weights()`` lists: ``grad_depthwise_kernel``
``(kh, kw, in, depth_multiplier)``, ``grad_pointwise_kernel`` ``(1, 1, in·dm, filters)``,
``grad_bias`` ``(filters,)`` (None without use_bias); each step's own ``Gradients``
(torch's layout, with its MAC records) are kept in ``steps``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from convgif.api.backward import Gradients, backward, made_up_grad
from convgif.api.keras_weights import depthwise_kernel, keras_kernel
from convgif.errors import ConvGifError, name_of
from convgif.layers.spec import check_int


@dataclass(frozen=True)
class SeparableGradients:
    """∂L/∂x and the gradients of each step's weights, in Keras' layout."""

    grad_input: np.ndarray  # like x
    grad_depthwise_kernel: np.ndarray  # like layer.depthwise_kernel
    grad_pointwise_kernel: np.ndarray  # like layer.pointwise_kernel
    grad_bias: np.ndarray | None  # like layer.bias
    grad_output: np.ndarray  # the output gradient used (given, or made up)
    x: np.ndarray  # the input used (given, or made up)
    steps: tuple[Gradients, Gradients] = field(repr=False)  # depthwise, pointwise

    @property
    def grad_weights(self) -> list[np.ndarray]:
        """The gradients in ``get_weights()``'s order (depthwise, pointwise, bias)."""
        bias = [] if self.grad_bias is None else [self.grad_bias]
        return [self.grad_depthwise_kernel, self.grad_pointwise_kernel, *bias]


def separable_backward(layer, x=None, grad_output=None, *, input_shape=None,
                       seed=None) -> SeparableGradients:
    """``layer.backward`` of a ``SeparableConv2D`` (arguments as ``convgif.api.backward``)."""
    seed = layer.seed + 2 if seed is None else check_int("seed", seed, 0)
    if (x is None) == (input_shape is None):
        raise ConvGifError(
            f"give the input: {name_of('x')}=<array> or {name_of('input_shape')}=(H, W, C), "
            "one of them", "x")
    x = layer.example_input(input_shape) if x is None else x
    trace = layer.trace(x)
    if grad_output is None:
        grad_output = made_up_grad(np.shape(trace.output), seed)
    pointwise = backward(layer.pointwise, trace.depthwise.output, grad_output)
    depthwise = backward(layer.depthwise, x, pointwise.grad_input)
    multiplier = layer.depthwise.depth_multiplier
    return SeparableGradients(
        depthwise.grad_input,
        depthwise_kernel(depthwise.grad_weight, multiplier),
        keras_kernel(pointwise.grad_weight),
        pointwise.grad_bias,
        pointwise.grad_output,
        np.asarray(x),
        (depthwise, pointwise),
    )
