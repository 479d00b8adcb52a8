"""``convgif.keras``: the Keras front door under its public name (``import convgif.keras``).

The classes live in ``convgif.api.keras`` with the rest of the Python API.
"""

from convgif.api.keras import Conv1D, Conv2D, Conv2DTranspose

__all__ = ["Conv1D", "Conv2D", "Conv2DTranspose"]
