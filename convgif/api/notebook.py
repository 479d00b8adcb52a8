"""Bridges to the tools people already use: a real torch module in, a notebook picture out.

``from_torch`` reads a ``torch.nn`` layer (torch is imported only by the
caller, never here at import time); ``show`` wraps a layer and its input for
Jupyter, which calls ``_repr_html_`` (the animation, base64-embedded) or
``_repr_png_`` (one still).
"""

from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path

import numpy as np

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
    ``ConvTranspose2d``, ``MaxPool2d``, ``AvgPool2d``. Weights are copied as
    float64, so the trace reproduces torch's output (exactly, for weights and
    inputs that float32 holds exactly).
    """
    from convgif.api import nn as layers

    name = type(module).__name__
    mro = [c.__name__ for c in type(module).__mro__]
    kind = next((n for n in mro if n in _TORCH_ARGS), None)
    if kind is None or not any(c.__module__.startswith("torch.nn") for c in type(module).__mro__):
        raise ConvGifError(
            f"module={name}: from_torch takes a torch.nn "
            + ", ".join(_TORCH_ARGS)
        )
    kwargs = {arg: _plain(getattr(module, arg)) for arg in _TORCH_ARGS[kind]}
    padding = kwargs["padding"]
    if isinstance(padding, tuple) and any(isinstance(p, tuple) for p in padding):
        # convgif's own spelling of (before, after) pairs: a torch module holding it fails
        raise ConvGifError(
            f"module={name}: padding={padding} is not a padding torch can run (its "
            "convolutions take one size per axis); from_torch takes only modules torch runs",
            "module",
        )
    if kind.startswith("Conv"):
        kwargs["bias"] = module.bias is not None
    if kind == "MaxPool2d":
        kwargs["return_indices"] = bool(kwargs["return_indices"])
    layer = getattr(layers, kind)(seed=seed, **kwargs)
    if kind.startswith("Conv"):
        layer.weight = _array(module.weight)
        if module.bias is not None:
            layer.bias = _array(module.bias)
    return layer


class Shown:
    """A layer on an input, as a notebook shows it. Pictures are made on first display."""

    def __init__(self, layer, input_shape=None, x=None, frame: int = -1, **options):
        if x is None and input_shape is None:
            raise ConvGifError("show() needs the input: input_shape=(C, H, W) or x=<array>")
        self.layer = layer = as_layer(layer)
        self.input_shape = input_shape
        self.x = x
        self.frame = frame
        self.options = options
        # Fail now, in the cell that called show(), not later inside the notebook's display.
        layer.output_shape(np.shape(x) if x is not None else input_shape)
        self._gif: bytes | None = None
        self._png: bytes | None = None

    def _render(self, suffix: str, write) -> bytes:
        with tempfile.TemporaryDirectory(prefix="convgif-") as folder:
            path = Path(folder) / f"picture{suffix}"
            write(path)
            return path.read_bytes()

    def gif(self) -> bytes:
        """The animation as GIF bytes."""
        if self._gif is None:
            self._gif = self._render(
                ".gif",
                lambda p: self.layer.animate(p, input_shape=self.input_shape, x=self.x,
                                             **self.options),
            )
        return self._gif

    def png(self) -> bytes:
        """One frame (``frame``, the last by default) as PNG bytes."""
        if self._png is None:
            still = {k: v for k, v in self.options.items() if k not in ("duration", "hold")}
            self._png = self._render(
                ".png",
                lambda p: self.layer.still(p, frame=self.frame, input_shape=self.input_shape,
                                           x=self.x, **still),
            )
        return self._png

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.gif()).decode("ascii")
        alt = repr(self.layer).replace('"', "&quot;").replace("<", "&lt;")
        return f'<img src="data:image/gif;base64,{data}" alt="{alt}" style="max-width:100%"/>'

    def _repr_png_(self) -> bytes:
        return self.png()

    def save(self, path) -> Path:
        """Write the animation (or, for .png with ``frame`` set, the still) to ``path``."""
        from convgif.io.files import atomic_write

        data = self.png() if os.fspath(path).lower().endswith(".png") else self.gif()
        with atomic_write(path) as tmp:
            tmp.write_bytes(data)
        return Path(os.fspath(path))

    def __repr__(self) -> str:
        given = f"x.shape={tuple(np.shape(self.x))}" if self.x is not None else (
            f"input_shape={tuple(self.input_shape)}"
        )
        return f"show({self.layer!r}, {given})"


def show(layer, input_shape=None, x=None, frame: int = -1, **options) -> Shown:
    """Display a layer's animation in Jupyter: ``convgif.show(layer, input_shape=(3, 7, 7))``.

    Options are ``layer.animate``'s (``step``, ``style``, ``scale``, ...);
    ``frame`` picks the still shown where only a PNG can be (``_repr_png_``).
    """
    return Shown(layer, input_shape, x, frame, **options)
