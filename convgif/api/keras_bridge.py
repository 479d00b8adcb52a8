"""``from_keras``: the convgif layer equal to a built Keras layer, its weights included.

Keras is imported only by the caller. The layer's configuration (``get_config()``)
gives the constructor's arguments, its weights (``get_weights()``, in Keras' own
layout) are set with the convgif layer's ``set_weights``, which takes the same
layout. ``KERAS_KINDS`` is the table of what is taken: a kind is its class name, the
configuration keys its convgif constructor takes, and where the input channels are read
from its first weight (a kind with no weights, a pool, gives None there).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from convgif.errors import ConvGifError


class KerasKind(NamedTuple):
    module: str  # where the convgif class lives
    keys: tuple[str, ...]  # get_config() keys its constructor takes
    channels_axis: int | None  # axis of the first weight that counts the input channels


_CONV = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
         "groups", "activation", "use_bias")
_TRANSPOSED = ("filters", "kernel_size", "strides", "padding", "output_padding",
               "data_format", "dilation_rate", "activation", "use_bias")
_DEPTHWISE = ("kernel_size", "strides", "padding", "depth_multiplier", "data_format",
              "dilation_rate", "activation", "use_bias")

KERAS_KINDS = {
    "Conv1D": KerasKind("convgif.api.keras", _CONV, -2),
    "Conv2D": KerasKind("convgif.api.keras", _CONV, -2),
    "Conv3D": KerasKind("convgif.api.keras", _CONV, -2),
    "Conv1DTranspose": KerasKind("convgif.api.keras", _TRANSPOSED, -1),
    "Conv2DTranspose": KerasKind("convgif.api.keras", _TRANSPOSED, -1),
    "Conv3DTranspose": KerasKind("convgif.api.keras", _TRANSPOSED, -1),
    "DepthwiseConv2D": KerasKind("convgif.api.keras_depthwise", _DEPTHWISE, -2),
    "SeparableConv2D": KerasKind("convgif.api.keras_separable", ("filters", *_DEPTHWISE), -2),
    "GlobalAveragePooling2D": KerasKind("convgif.api.keras_pools", ("data_format", "keepdims"),
                                        None),
}
_POOL = ("pool_size", "strides", "padding", "data_format")
KERAS_KINDS.update({
    f"{op}Pooling{nd}D": KerasKind("convgif.api.keras_pools", _POOL, None)
    for op in ("Max", "Average") for nd in (1, 2, 3)
})


def _kind_of(layer) -> str | None:
    """The first class in the layer's MRO that the table names and Keras defines."""
    for cls in type(layer).__mro__:
        if cls.__name__ in KERAS_KINDS and cls.__module__.startswith("keras"):
            return cls.__name__
    return None


def _plain(value):
    """Keras' config holds lists for tuples: convgif's checks take either."""
    return tuple(value) if isinstance(value, list) else value


def from_keras(layer, seed: int = 0):
    """The convgif layer equal to a built ``keras.layers`` layer, its weights included.

    Supported: ``Conv1D``, ``Conv2D``, ``Conv3D``, ``Conv1DTranspose``,
    ``Conv2DTranspose``, ``Conv3DTranspose``, ``DepthwiseConv2D``, ``SeparableConv2D``,
    ``MaxPooling1D/2D/3D``, ``AveragePooling1D/2D/3D``, ``GlobalAveragePooling2D``.
    Weights are copied as float64, so the trace reproduces Keras' output (exactly, for
    weights and inputs that float32 holds exactly).
    """
    import importlib

    name = type(layer).__name__
    kind = _kind_of(layer)
    if kind is None:
        raise ConvGifError(
            f"layer={name}: from_keras takes a built keras.layers "
            + ", ".join(KERAS_KINDS) + " (from_torch takes torch.nn layers)", "layer"
        )
    if not getattr(layer, "built", False):
        raise ConvGifError(
            f"layer={name} is not built: Keras creates its weights on the first call; "
            "call it on an input or layer.build(input_shape) first", "layer"
        )
    entry = KERAS_KINDS[kind]
    config = layer.get_config()
    kwargs = {key: _plain(config[key]) for key in entry.keys if key in config}
    cls = getattr(importlib.import_module(entry.module), kind)
    out = cls(seed=seed, **kwargs)
    weights = [np.asarray(w, dtype=np.float64) for w in layer.get_weights()]
    if entry.channels_axis is not None:
        channels = weights[0].shape[entry.channels_axis] * int(config.get("groups", 1))
        nd = weights[0].ndim - 2
        last = config.get("data_format", "channels_last") == "channels_last"
        out.built_for((1, *(1,) * nd, channels) if last else (1, channels, *(1,) * nd))
        out.set_weights(weights)
    return out
