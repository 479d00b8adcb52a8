"""convgif: see what a convolution layer does.

Layers mirror PyTorch's constructors (``convgif.Conv2d(3, 2, 3, stride=2)``);
``convgif.keras`` mirrors Keras'. ``layer.trace(x)`` simulates the layer and
records every multiply-accumulate; the renderer turns a trace into frames.
"""

from convgif.errors import ConvGifError
from convgif.layers import (
    AvgPool2d,
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    Layer,
    MaxPool2d,
)
from convgif.trace import Trace

__version__ = "0.1.0"

__all__ = [
    "AvgPool2d",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvGifError",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "Layer",
    "MaxPool2d",
    "Trace",
    "__version__",
]
