"""Layers from text: the constructors ``--layer`` accepts, and stacks of them.

The text is read by ``convgif.layers.parse`` (literals only, nothing is
evaluated); here each call becomes the layer object of its front door.
"""

from __future__ import annotations

from convgif.errors import NAME, ConvGifError, name_of, shown
from convgif.layers.keywords import sort_arguments
from convgif.layers.parse import read_call, split_calls
from convgif.layers.spec import NOT_A_LAYER, check_layer, kind_of

# Every constructor ``--layer`` accepts, by the name written in code, and the module of
# ``convgif.api`` that defines it: a kind's module is imported only when a layer of that
# kind is made (importing all of them is a share of the command's start-up).
KINDS = {
    **dict.fromkeys(("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
                     "ConvTranspose3d"), "nn"),
    **dict.fromkeys(("Conv1D", "Conv2D", "Conv2DTranspose", "Conv3D", "Conv1DTranspose",
                     "Conv3DTranspose"), "keras"),
    **dict.fromkeys(("MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d",
                     "AvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveAvgPool1d",
                     "AdaptiveAvgPool2d"), "pools"),
    **dict.fromkeys(("MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
                     "AveragePooling2D", "AveragePooling3D", "GlobalAveragePooling2D"),
                    "keras_pools"),
    "Unfold": "unfold",
    "DepthwiseConv2D": "keras_depthwise",
    "SeparableConv2D": "keras_separable",
}


def kind_class(name: str) -> type:
    """The class of the kind ``name`` (one of ``KINDS``)."""
    import importlib

    return getattr(importlib.import_module(f"convgif.api.{KINDS[name]}"), name)


def layer_kinds() -> dict:
    """Every kind's class by name (imports every kind's module)."""
    return {name: kind_class(name) for name in KINDS}


def parse_layer(text: str, seed: int = 0):
    """Build the layer a constructor call describes, e.g. ``"Conv2d(3, 2, 3, padding=1)"``."""
    import inspect  # here: it costs a share of the command's start-up

    short, args, kwargs = read_call(text, KINDS)
    cls = kind_class(short)
    signature = inspect.signature(cls)
    # the not-drawn keywords (device=, name=, activation= ...) out, as the constructor will
    sorted_args, sorted_kwargs, _ = sort_arguments(short, signature, args, kwargs, text.strip())
    try:
        signature.bind(*sorted_args, **sorted_kwargs)
    except TypeError as error:
        # torch-style keywords are identifiers: only the user's text needs quoting
        raise ConvGifError(
            f"{NAME}={shown(text.strip())}: {short}() {error}", "layer"
        ) from None
    kwargs.setdefault("seed", seed)
    return cls(*args, **kwargs)


def as_layer(layer, seed: int = 0):
    """A layer object as it is, or the layer a constructor call's text describes."""
    return parse_layer(layer, seed) if isinstance(layer, str) else check_layer(layer)


def parse_stack(layers, seed: int = 0) -> list:
    """A stack given as one string of calls, a list of call strings, or a list of layers."""
    from convgif.api.layer import Layer

    if isinstance(layers, str):
        items = split_calls(layers)
    elif isinstance(layers, Layer) or not hasattr(layers, "__iter__"):
        raise ConvGifError(
            f"{NAME} is {kind_of(layers)}: it must be a list of layers or their calls as "
            "one string",
            "layers",
        )
    else:
        items = list(layers)
    if not items:
        raise ConvGifError(
            f"{NAME} is empty: give at least one layer, e.g. 'Conv2d(1, 6, 5)'", "layers"
        )
    out = []
    for n, item in enumerate(items, 1):
        if isinstance(item, Layer):
            out.append(item)
            continue
        if not isinstance(item, str):
            raise ConvGifError(
                f"layer {n} of {NAME} is {kind_of(item)}: it {NOT_A_LAYER}", "layers"
            )
        try:
            out.append(parse_layer(item, seed=seed + n - 1))
        except ConvGifError as error:
            raise _in_stack(error, n) from None
    return out


def _in_stack(error: ConvGifError, n: int) -> ConvGifError:
    """``layer n: ...`` about ``layers``; the call's own text stands for ``layer=``, and
    any other argument the message names keeps its name."""
    inner = error.template
    if error.param == "layer":
        inner = inner.replace(f"{NAME}=", "").replace(NAME, "its call")
    elif error.param is not None:
        inner = inner.replace(NAME, name_of(error.param))
    return ConvGifError(f"layer {n}: {inner}", "layers")
