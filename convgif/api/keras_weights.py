"""Keras' own weight layout on the Keras layers: ``kernel``, ``get_weights``, ``set_weights``.

convgif simulates every layer with PyTorch's layout (``weight``: ``(filters, in/groups,
*K)``, transposed ``(in, filters, *K)``); a Keras layer shows the same numbers the way
Keras holds them, so weights copied to or from a real Keras layer need no reshuffling:

- ``Conv1D/2D/3D``: ``kernel`` is ``(*K, in/groups, filters)``;
- ``Conv1D/2D/3DTranspose``: ``kernel`` is ``(*K, filters, in)``;
- ``DepthwiseConv2D``: ``depthwise_kernel`` is ``(kh, kw, in, depth_multiplier)``.

``get_weights()`` returns the arrays in Keras' order (the kernels, then the bias when
the layer has one); ``set_weights(list)`` takes the same list.
"""

from __future__ import annotations

import numpy as np

from convgif.errors import NAME, ConvGifError


def keras_kernel(weight: np.ndarray) -> np.ndarray:
    """torch's ``(a, b, *K)`` as Keras' ``(*K, b, a)`` (the same rule for plain and
    transposed convolutions: only the roles of a and b differ)."""
    nd = weight.ndim - 2
    return np.transpose(weight, (*range(2, 2 + nd), 1, 0)).copy()


def torch_weight(kernel: np.ndarray) -> np.ndarray:
    """Keras' ``(*K, b, a)`` as torch's ``(a, b, *K)``."""
    nd = kernel.ndim - 2
    return np.transpose(kernel, (nd + 1, nd, *range(nd))).copy()


def depthwise_kernel(weight: np.ndarray, multiplier: int) -> np.ndarray:
    """torch's grouped weight ``(in·dm, 1, kh, kw)`` as Keras' ``(kh, kw, in, dm)``:
    output channel ``c·dm + m`` is input channel c's m-th kernel, in both."""
    channels = weight.shape[0] // multiplier
    split = weight[:, 0].reshape(channels, multiplier, *weight.shape[2:])
    return split.transpose(2, 3, 0, 1).copy()


def depthwise_weight(kernel: np.ndarray) -> np.ndarray:
    """Keras' ``(kh, kw, in, dm)`` as torch's ``(in·dm, 1, kh, kw)``."""
    kh, kw, channels, multiplier = kernel.shape
    return kernel.transpose(2, 3, 0, 1).reshape(channels * multiplier, 1, kh, kw).copy()


def unbuilt(layer) -> ConvGifError:
    name = type(layer).__name__
    return ConvGifError(
        f"{name} is not built yet: Keras creates its weights on the first input; call "
        f"layer.built_for(input_shape) (or give input_shape=) first"
    )


def checked_list(name: str, weights, shapes: list[tuple]) -> list[np.ndarray]:
    """``weights`` as float64 arrays of exactly ``shapes`` (Keras' set_weights rule)."""
    if isinstance(weights, np.ndarray) or not isinstance(weights, (list, tuple)):
        raise ConvGifError(f"{NAME} must be a list of {len(shapes)} arrays", "weights")
    if len(weights) != len(shapes):
        raise ConvGifError(
            f"{NAME} has {len(weights)} arrays, {name} expects {len(shapes)} with shapes "
            f"{', '.join(str(s) for s in shapes)}",
            "weights",
        )
    out = []
    for n, (value, shape) in enumerate(zip(weights, shapes)):
        try:
            arr = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ConvGifError(f"{NAME}[{n}] must be an array of numbers", "weights") from None
        if arr.shape != tuple(shape):
            raise ConvGifError(f"{NAME}[{n}] has shape {arr.shape}, must be {shape}", "weights")
        out.append(arr)
    return out


class KerasKernel:
    """``kernel``, ``get_weights`` and ``set_weights`` of a Keras convolution, over the
    torch-layout ``weight`` and ``bias`` of ``convgif.api.layer.Layer``."""

    @property
    def kernel(self) -> np.ndarray:
        """The kernel in Keras' layout (a copy: assign to change it)."""
        if self.spec.in_channels is None:
            raise unbuilt(self)
        return keras_kernel(self.weight)

    @kernel.setter
    def kernel(self, value) -> None:
        if self.spec.in_channels is None:
            raise unbuilt(self)
        shape = keras_kernel(np.empty(self.spec.weight_shape)).shape
        (arr,) = checked_list(type(self).__name__, [value], [shape])
        self.weight = torch_weight(arr)

    def get_weights(self) -> list[np.ndarray]:
        """``[kernel, bias]`` (``[kernel]`` without a bias), as Keras returns them."""
        bias = [self.bias.copy()] if self.bias is not None else []
        return [self.kernel, *bias]

    def set_weights(self, weights) -> None:
        """Keras' ``set_weights``: the list ``get_weights`` returns, in the same shapes."""
        current = self.get_weights()
        arrays = checked_list(type(self).__name__, weights, [w.shape for w in current])
        self.kernel = arrays[0]
        if len(arrays) > 1:
            self.bias = arrays[1]
