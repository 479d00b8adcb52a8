"""convgif: see what a convolution layer does.

Layers mirror PyTorch's constructors (``convgif.Conv2d(3, 2, 3, stride=2)``);
``convgif.keras`` mirrors Keras'. ``layer.trace(x)`` simulates the layer and
records every multiply-accumulate; the renderer turns a trace into frames.

Names are loaded on first use, so ``import convgif`` (and ``convgif --help``)
does not pay for numpy, Pillow or matplotlib until something needs them.
"""

from convgif.errors import ConvGifError

__version__ = "0.1.0"

_LAZY = {
    "AvgPool2d": "convgif.layers",
    "Conv1d": "convgif.layers",
    "Conv2d": "convgif.layers",
    "Conv3d": "convgif.layers",
    "ConvTranspose1d": "convgif.layers",
    "ConvTranspose2d": "convgif.layers",
    "Layer": "convgif.layers",
    "MaxPool2d": "convgif.layers",
    "Trace": "convgif.trace",
    "conv_matrix": "convgif.matrix",
    "cost_chart": "convgif.cost",
    "cost_table": "convgif.cost",
    "overlap": "convgif.overlap_view",
    "overlap_counts": "convgif.coverage",
    "draw": "convgif.render",
    "from_torch": "convgif.bridge",
    "show": "convgif.bridge",
    "stack": "convgif.stackview",
    "receptive_fields": "convgif.receptive",
    "export": "convgif.export",
    "features": "convgif.featuremaps",
    "keras": "convgif.keras",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(_LAZY[name])
        value = module if module.__name__ == f"convgif.{name}" else getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'convgif' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


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
    "conv_matrix",
    "cost_chart",
    "cost_table",
    "draw",
    "features",
    "from_torch",
    "overlap",
    "overlap_counts",
    "receptive_fields",
    "show",
    "stack",
]
