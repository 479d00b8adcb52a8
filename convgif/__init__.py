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
    "AdaptiveAvgPool1d": "convgif.api.pools",
    "AdaptiveAvgPool2d": "convgif.api.pools",
    "AdaptiveMaxPool1d": "convgif.api.pools",
    "AdaptiveMaxPool2d": "convgif.api.pools",
    "AvgPool1d": "convgif.api.pools",
    "AvgPool2d": "convgif.api.pools",
    "AvgPool3d": "convgif.api.pools",
    "MaxPool1d": "convgif.api.pools",
    "MaxPool2d": "convgif.api.pools",
    "MaxPool3d": "convgif.api.pools",
    "Conv1d": "convgif.api.nn",
    "Conv2d": "convgif.api.nn",
    "Conv3d": "convgif.api.nn",
    "ConvTranspose1d": "convgif.api.nn",
    "ConvTranspose2d": "convgif.api.nn",
    "ConvTranspose3d": "convgif.api.nn",
    "Unfold": "convgif.api.unfold",
    "from_keras": "convgif.api.keras_bridge",
    "Layer": "convgif.api.layer",
    "Trace": "convgif.simulate.trace",
    "conv_matrix": "convgif.simulate.matrix",
    "cost_chart": "convgif.api.cost",
    "cost_table": "convgif.api.cost",
    "overlap": "convgif.api.overlap",
    "overlap_counts": "convgif.api.overlap",
    "draw": "convgif.api.render",
    "from_torch": "convgif.api.network",
    "walk": "convgif.api.walk",
    "Network": "convgif.api.network",
    "show": "convgif.api.notebook",
    "stack": "convgif.api.stack",
    "receptive_fields": "convgif.api.stack",
    "export": "convgif.api.export",
    "features": "convgif.api.features",
    "keras": "convgif.keras",
}

_MODULES = {"export", "keras"}  # names that are modules, not attributes of one


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(_LAZY[name])
        value = module if name in _MODULES else getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'convgif' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "MaxPool1d",
    "MaxPool3d",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvGifError",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "Layer",
    "MaxPool2d",
    "Trace",
    "Unfold",
    "__version__",
    "conv_matrix",
    "cost_chart",
    "cost_table",
    "draw",
    "features",
    "from_keras",
    "from_torch",
    "Network",
    "overlap",
    "overlap_counts",
    "receptive_fields",
    "show",
    "stack",
    "walk",
]
