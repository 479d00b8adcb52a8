"""A photo beside the feature maps one convolution makes of it, as one still.

The kernel is a preset (``edge``, ``blur``, ``sharpen``: a 3×3 kernel applied
to every channel on its own, i.e. ``Conv2d(C, C, 3, padding=1, groups=C,
bias=False, padding_mode='replicate')``, so the output keeps the photo's size
and its borders do not darken) or a layer of your own with its weights. The
feature maps are computed by convgif's simulator (``layer.trace``), the same
numbers an animation shows; the page is the feature-maps view
(``convgif.views.features``: how each map is coloured), written by the one
loop every view goes through (``convgif.api.render``), as PNG, SVG or PDF.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from convgif.errors import NAME, ConvGifError
from convgif.views.features import Features, FeaturesView, channel_rgb, panels

PRESETS = {
    "edge": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=np.float64),
    "blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.float64) / 16,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64),
}
KERNELS = (*PRESETS, "layer")
MAX_SIDE = 640  # the photo's longer side in the still; larger photos are shrunk


def preset_layer(kernel: str, channels: int):
    """The preset as a real layer: the 3×3 kernel in every channel, one group per channel."""
    from convgif.api.nn import Conv2d

    if kernel not in PRESETS:
        raise ConvGifError(f"--kernel={kernel!r} must be one of {', '.join(KERNELS)}")
    layer = Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False,
                   padding_mode="replicate")
    layer.weight = np.repeat(PRESETS[kernel][None, None], channels, axis=0)
    return layer


def compute(image=True, kernel: str = "edge", layer=None, max_side: int = MAX_SIDE,
            seed: int = 0) -> Features:
    """Read the photo, build the layer, run it (no picture)."""
    from convgif.io.images import image_array, open_image, sample_path

    if kernel not in KERNELS:
        raise ConvGifError(f"--kernel={kernel!r} must be one of {', '.join(KERNELS)}")
    if isinstance(max_side, bool) or not isinstance(max_side, int) or max_side < 8:
        raise ConvGifError(f"max_side={max_side!r} must be a whole number of pixels, at least 8")
    if kernel == "layer":
        if layer is None:
            raise ConvGifError("--kernel layer needs the layer: --layer \"Conv2d(3, 4, 3)\"")
        if isinstance(layer, str):
            from convgif.api.kinds import parse_layer

            layer = parse_layer(layer, seed=seed)
        if layer.spec.ndim != 2 or layer.spec.channels_last:
            raise ConvGifError(
                f"--layer {layer!r}: the features still takes a PyTorch 2-d layer (Conv2d, ...)"
            )
        x = image_array(image, layer.spec.in_channels, max_side)
    else:
        if layer is not None:
            raise ConvGifError(f"--kernel {kernel} is a preset: give --layer only with "
                               "--kernel layer")
        x = image_array(image, None, max_side)
        layer = preset_layer(kernel, x.shape[0])
    output = layer.trace(x).output
    source = str(sample_path().name if image in (True, None) else Path(os.fspath(image)).name)
    w, h = open_image(image).size
    if max(w, h) > max_side:
        source += f", shrunk from {w} x {h}"
    return Features(x, layer, output, kernel, source)


def features(path, image=True, kernel: str = "edge", layer=None, *, max_side: int = MAX_SIDE,
             style="default", font=None, scale=1.0, seed: int = 0):
    """Write the photo beside the feature maps of ``kernel`` as a PNG, SVG or PDF; returns
    what it wrote (``convgif.api.result.Rendered``: path, 1 frame, size in pixels).

    ``image``: a path, or True for matplotlib's sample photo. ``kernel``:
    ``'edge'``, ``'blur'``, ``'sharpen'`` or ``'layer'`` (then ``layer``, a
    layer or a constructor string, with its own weights). Photos larger than
    ``max_side`` pixels are shrunk first; ``style`` colours the page and its text
    (the photo and the maps keep their own colours). ``compute`` gives the maps themselves.
    """
    from convgif.api.written import write_view

    output = still_output(path, style=style, font=font, scale=scale)
    view = features_view(image, kernel, layer, max_side=max_side, seed=seed)
    return write_view(path, view, output)


def still_output(path, *, style="default", font=None, scale=1.0):
    """The page's options, and ``path`` a still's (PNG, SVG, PDF), checked before the photo
    is read."""
    from convgif.api.options import output_options
    from convgif.api.render import STILL_FORMATS

    if Path(os.fspath(path)).suffix.lower() not in STILL_FORMATS:
        raise ConvGifError(f"{NAME}={os.fspath(path)!r}: the features still is written as "
                           f"{', '.join(STILL_FORMATS)}", "path")
    return output_options(scale=scale, style=style, font=font, animated=False)


def features_view(image=True, kernel: str = "edge", layer=None, *, max_side: int = MAX_SIDE,
         seed: int = 0) -> FeaturesView:
    """The feature-maps view itself, e.g. for ``convgif.api.render.draw_view``."""
    return FeaturesView(compute(image, kernel, layer, max_side, seed))


__all__ = ["KERNELS", "PRESETS", "Features", "FeaturesView", "channel_rgb", "compute", "features",
           "features_view", "panels", "preset_layer", "still_output"]
