"""``convgif.keras``: the Keras front door under its public name (``import convgif.keras``).

The classes live in ``convgif.api.keras`` with the rest of the Python API.
"""

from convgif.api.keras import Conv1D, Conv2D, Conv2DTranspose
from convgif.api.keras_pools import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling2D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)

__all__ = [
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "Conv1D",
    "Conv2D",
    "Conv2DTranspose",
    "GlobalAveragePooling2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
]
