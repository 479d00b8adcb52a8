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
from convgif.api.keras_pools import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling2D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from convgif.api.keras_separable import SeparableConv2D

__all__ = [
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "DepthwiseConv2D",
    "GlobalAveragePooling2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "SeparableConv2D",
    "from_keras",
]
