"""Bridges to the tools people already use: a real torch module in, a notebook picture out.

``from_torch`` reads a ``torch.nn`` layer (torch is imported only by the
caller, never here at import time); ``show`` makes a layer and its input a
player that a notebook displays inline (``convgif.api.inline``).
"""

from __future__ import annotations

import numpy as np

from convgif.api.inline import Player, player
from convgif.api.kinds import as_layer
from convgif.errors import ConvGifError

# torch.nn class name -> the parameters convgif's constructor of the same name takes
_TORCH_ARGS = {
    "Conv1d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
               "groups", "padding_mode"),
    "ConvTranspose1d": ("in_channels", "out_channels", "kernel_size", "stride", "padding",
                        "output_padding", "groups", "dilation", "padding_mode"),
    "MaxPool2d": ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"),
    "AvgPool2d": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                  "divisor_override"),
}
_TORCH_ARGS["Conv2d"] = _TORCH_ARGS["Conv3d"] = _TORCH_ARGS["Conv1d"]
_TORCH_ARGS["ConvTranspose2d"] = _TORCH_ARGS["ConvTranspose1d"]
_TORCH_ARGS["ConvTranspose3d"] = _TORCH_ARGS["ConvTranspose1d"]
_TORCH_ARGS["Unfold"] = ("kernel_size", "dilation", "padding", "stride")
_TORCH_ARGS["MaxPool1d"] = _TORCH_ARGS["MaxPool3d"] = _TORCH_ARGS["MaxPool2d"]
_TORCH_ARGS["AvgPool3d"] = _TORCH_ARGS["AvgPool2d"]
_TORCH_ARGS["AvgPool1d"] = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")
_TORCH_ARGS["AdaptiveMaxPool1d"] = _TORCH_ARGS["AdaptiveMaxPool2d"] = ("output_size",
                                                                       "return_indices")
_TORCH_ARGS["AdaptiveAvgPool1d"] = _TORCH_ARGS["AdaptiveAvgPool2d"] = ("output_size",)


def takes(module) -> bool:
    """Whether ``from_torch`` reads ``module`` as one convgif layer (a torch.nn kind of the
    table above); a whole model's walk (``convgif.api.network``) asks it of each leaf."""
    mro = type(module).__mro__
    return (any(c.__name__ in _TORCH_ARGS for c in mro)
            and any(c.__module__.startswith("torch.nn") for c in mro))


def _plain(value):
    """torch stores sizes as tuples (or lists, or 0-d tensors): make them Python ints."""
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    if hasattr(value, "item") and not isinstance(value, (bool, int, float, str)):
        # a 0-d tensor or array: its number; a bigger one (a module built with
        # padding=np.array([2, 2]), which torch keeps unchecked) stays as it is, for the
        # layer's own checks to refuse by name
        return value.item() if getattr(value, "size", None) in (1, ()) or (
            callable(getattr(value, "numel", None)) and value.numel() == 1) else value
    return value


def _array(tensor) -> np.ndarray:
    return tensor.detach().to("cpu").double().numpy().copy()


def from_torch(module, seed: int = 0):
    """The convgif layer equivalent to a ``torch.nn`` layer, its weight and bias included.

    Supported: ``Conv1d``, ``Conv2d``, ``Conv3d``, ``ConvTranspose1d``,
    ``ConvTranspose2d``, ``ConvTranspose3d``, ``MaxPool1d/2d/3d``, ``AvgPool1d/2d/3d``,
    ``AdaptiveMaxPool1d/2d``, ``AdaptiveAvgPool1d/2d``, ``Unfold``. Weights are copied as
    float64, so the trace reproduces torch's output (exactly, for weights and
    inputs that float32 holds exactly).
    """
    from convgif.api import nn, pools

    name = type(module).__name__
    mro = [c.__name__ for c in type(module).__mro__]
    kind = next((n for n in mro if n in _TORCH_ARGS), None)
    if kind is None or not any(c.__module__.startswith("torch.nn") for c in type(module).__mro__):
        raise ConvGifError(
            f"module={name}: from_torch takes a torch.nn "
            + ", ".join(_TORCH_ARGS)
        )
    kwargs = {arg: _plain(getattr(module, arg)) for arg in _TORCH_ARGS[kind]}
    padding = kwargs.get("padding")
    if isinstance(padding, tuple) and any(isinstance(p, tuple) for p in padding):
        # convgif's own spelling of (before, after) pairs: a torch module holding it fails
        raise ConvGifError(
            f"module={name}: padding={padding} is not a padding torch can run (its "
            "convolutions take one size per axis); from_torch takes only modules torch runs",
            "module",
        )
    if kind.startswith("Conv"):
        kwargs["bias"] = module.bias is not None
    if "return_indices" in kwargs:
        kwargs["return_indices"] = bool(kwargs["return_indices"])
    if kind == "Unfold":
        from convgif.api.unfold import Unfold

        return Unfold(seed=seed, **kwargs)
    layer = getattr(pools if "Pool" in kind else nn, kind)(seed=seed, **kwargs)
    if kind.startswith("Conv"):
        layer.weight = _array(module.weight)
        if module.bias is not None:
            layer.bias = _array(module.bias)
    return layer


def show(layer, input_shape=None, x=None, frame: int = -1, **options) -> Player:
    """A player to step through the layer's animation in a notebook:
    ``convgif.show(layer, input_shape=(3, 7, 7))`` as a cell's last line displays it.

    Options are ``layer.animate``'s (``step``, ``style``, ``scale``, ``max_frames``, ...),
    checked now. ``frame`` (from 1; negative from the end, the last by default) is the
    still shown where the player's script is stripped (GitHub's and nbviewer's static
    renders). The player's ``save(path)`` writes any format ``animate`` writes and returns a
    ``Rendered``; its ``frames``, ``size`` and ``duration_ms`` describe the animation.
    """
    if x is None and input_shape is None:
        raise ConvGifError("show() needs the input: input_shape=(C, H, W) or x=<array>")
    return player(as_layer(layer), x=x, input_shape=input_shape, frame=frame, **options)
