"""``convgif.keras``: the Keras front door under its public name (``import convgif.keras``).

The classes live in ``convgif.api.keras`` with the rest of the Python API.
"""

from convgif.api.keras import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
)
from convgif.api.keras_bridge import from_keras
from convgif.api.keras_depthwise import DepthwiseConv2D
from convgif.api.keras_separable import SeparableConv2D

__all__ = [
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "DepthwiseConv2D",
    "SeparableConv2D",
    "from_keras",
]
