"""A layer and its input in, the view that draws it out: gather, scatter or matrix.

Every render verb (``animate``, ``still``, ``frames``, ``draw``, the frame
folders and contact sheets) builds its picture here, with the options checked
once, before anything is simulated.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from convgif.api.options import picture_options
from convgif.errors import ConvGifError
from convgif.views.gather import GatherPicture
from convgif.views.layer import LayerPicture
from convgif.views.options import Options
from convgif.views.scatter import ScatterPicture


def _input(layer, x, input_shape):
    if x is not None:
        return x
    if input_shape is None:
        raise ConvGifError("give the input: x=<array> or input_shape=(C, H, W)")
    return layer.example_input(input_shape)


LEGIBLE_VALUE = 10  # px: the smallest value text a photo's animation settles for


def _kind(view: str):
    if view == "matrix":
        from convgif.views.matrix import MatrixPicture

        return MatrixPicture
    return ScatterPicture if view == "scatter" else GatherPicture


def picture(layer, *, x=None, input_shape=None, image=None, image_size=None, outputs=None,
            **options) -> LayerPicture:
    """Trace the layer on the input and lay the animation out.

    ``options`` (checked by ``convgif.api.options.picture_options``): ``step``
    ('auto', the default: a loop of about 30 s that walks the first output channel of
    each group cell by cell and fills the others a block of cells a frame, each frame
    exact; 'output': the full walk, one frame per output cell; 'channel' | 'mac'),
    ``values`` (None: when they fit), ``lines``, ``cell`` (size in pixels at scale 1),
    ``view`` ('gather', 'scatter' for transposed layers: each input cell stamps
    value × kernel, or 'matrix': the layer as ``y = C·x + b``, one row of C per
    frame), ``channels`` (the output channels to animate, e.g. ``range(4)``) and
    ``flip`` (True: true convolution, the kernel rotated 180°; the output is then
    ``x ∗ w``, not the layer's cross-correlation). ``outputs``: the output cells to
    animate, one range per axis (``"0-3,0-3"`` or ``(range(4), range(4))``; the other cells
    stay empty). ``image``: a photo as the input (a path, or True for
    matplotlib's sample photo), shrunk until its longer side is ``image_size``
    cells (default: the largest up to 16 at which the pixel values still fit).
    """
    view, checked = picture_options(**options)
    kind = _kind(view)
    if image is not None and image is not False:
        return _image_picture(kind, layer, x, input_shape, image, image_size, checked, outputs)
    x = _input(layer, x, input_shape)
    return _picture(kind, layer, x, checked, outputs)


def _picture(kind, layer, x, options: Options, outputs):
    """Trace (only the output channels shown, in the gather view) and lay out."""
    if options.flip:
        if layer.spec.in_channels is None and hasattr(layer, "built_for"):
            layer = layer.built_for(np.shape(x))  # a Keras layer gets its weights here
        layer = flipped(layer)
    # the gather view shows only the output channels chosen: the others are not simulated
    channels = options.channels if kind is GatherPicture else None
    trace = layer.trace(x, out_channels=channels)
    if outputs is not None:
        from convgif.layers.parse import output_region

        options = replace(options, outputs=output_region(outputs, trace.out_spatial))
    return kind(trace, options)


def _image_picture(kind, layer, x, input_shape, image, image_size, options, outputs):
    """A photo as the input: by default the largest size (longer side 16 cells or less)
    whose picture writes the values (pixel values 0..255) in the cells at 10 px or more."""
    from convgif.io.images import ANIMATION_SIDE, SAMPLE, check_image, image_input

    if x is not None or input_shape is not None:
        raise ConvGifError("give image= or x= / input_shape=, not both")
    check_image(image)
    sizes = [image_size] if image_size is not None else range(ANIMATION_SIDE, 3, -1)
    name = SAMPLE if image is True else Path(image).name
    for size in sizes:
        x = image_input(layer, image, size)
        rows, cols = x.shape[:2] if layer.spec.channels_last else x.shape[1:]
        source = f"the photo {name}, shrunk to {rows} \u00d7 {cols}"
        pic = _picture(kind, layer, x, replace(options, source=source), outputs)
        # values of 10 px and up read on a slide; the renderer's own floor (8 px) is too small
        if options.values is not None or pic.show_values and pic.value_size >= LEGIBLE_VALUE:
            break
    return pic


def flipped(layer):
    """A copy of a convolution whose kernel is rotated 180° in every spatial axis.

    Cross-correlating with it is the true convolution ``x ∗ w`` with the
    original ``w``, so every number the picture shows adds up.
    """
    import copy

    if layer.spec.op != "conv":
        why = (
            "a transposed layer's gather view already slides the flipped kernel"
            if layer.spec.transposed
            else "pooling has no kernel"
        )
        raise ConvGifError(
            f"flip=True needs a convolution (Conv1d/2d/3d), not {layer.spec.name}: {why}"
        )
    weight = layer.weight  # drawn now, so the copy shares the seeded parameters
    twin = copy.copy(layer)
    twin.weight = np.flip(weight, tuple(range(2, weight.ndim)))
    return twin
