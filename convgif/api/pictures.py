"""A layer and its input in, the view that draws it out: gather, scatter or matrix.

Every render verb (``animate``, ``still``, ``frames``, ``draw``, the frame
folders and contact sheets) builds its picture here, with the options checked
once, before anything is simulated.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from convgif.api.options import picture_options
from convgif.errors import NAME, ConvGifError, name_of, refuse
from convgif.frames.budget import MAX_FRAMES
from convgif.layers.spec import check_layer
from convgif.views.gather import GatherPicture
from convgif.views.layer import LayerPicture
from convgif.views.options import Options
from convgif.views.shade import PANELS


def check_drawable(shape) -> None:
    """Refuse an empty batch for a picture: the simulation returns its empty output, as
    PyTorch does, but a picture of no sample would show nothing."""
    if shape[0] == 0:
        raise ConvGifError(
            f"{NAME} has an empty batch (N=0, shape {tuple(shape)}): layer.trace(x) returns "
            "the empty output PyTorch returns, but there is nothing to draw; give at least "
            "one sample",
            "x",
        )


def _input(layer, x, input_shape):
    if x is not None:
        return x
    if input_shape is None:
        raise ConvGifError("give the input: x=<array> or input_shape=(C, H, W)")
    return layer.example_input(input_shape)


# A photo's size by default: the largest up to PHOTO_SIDE cells whose frame is landscape
# and fits MAX_FRAME (its cells shaded, values written where they fit), with no more
# frames than an animation may have unforced.
PHOTO_SIDE, MAX_PHOTO_SIDE = 32, 256
MAX_FRAME = (1920, 1080)


def _kind(view: str):
    if view == "matrix":
        from convgif.views.matrix import MatrixPicture

        return MatrixPicture
    if view == "scatter":  # imported when asked for, as the matrix view: start-up stays short
        from convgif.views.scatter import ScatterPicture

        return ScatterPicture
    return GatherPicture


def picture(layer, *, x=None, input_shape=None, image=None, image_size=None, outputs=None,
            shade=None, **options) -> LayerPicture:
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
    cells (default: the largest up to 32 whose frame is landscape and fits
    1920 x 1080). ``shade``: the panels whose cells are shaded by value, a set
    of 'input', 'kernel', 'output', True for all, False for none (default: input
    and output for a photo; else every panel when the values are left out because
    they cannot be written legibly).
    """
    layer = check_layer(layer)
    grad = options.pop("grad", None)  # a gradient's picture: convgif.api.gradviews
    weight_cell = options.pop("weight_cell", None)  # the weight cell its caption follows
    if grad is not None and getattr(layer, "steps", None) is not None:
        raise refuse("grad", grad, f"is not drawn for {layer!r}: draw each of its steps")
    if getattr(layer, "steps", None) is not None:
        return _steps_picture(layer, x, input_shape, image, image_size, outputs, shade, options)
    view, checked = picture_options(**options)
    if weight_cell is not None and (grad, view) != ("weight", "scatter"):
        raise ConvGifError(f"{NAME}={weight_cell!r} applies only with {name_of('grad')}="
                           f"'weight' and {name_of('view')}='scatter', whose caption follows "
                           "that weight cell", "weight_cell")
    kind = _kind(view)
    photo = image is not None and image is not False
    if shade is None and photo:  # a photo shows as a photo, its output maps by their signs
        shade = {"input", "output"}
    checked = checked._replace(shade=None if shade is None else _check_shade(shade))
    if grad is not None:
        from convgif.api import gradviews

        gradviews.check_grad(layer, grad, view)
        gradviews.check_grad_options(checked, image, outputs)
        return gradviews.grad_picture(layer, grad, view, checked, x=_input(layer, x, input_shape),
                                      weight_cell=weight_cell)
    if photo:
        return _image_picture(kind, layer, x, input_shape, image, image_size, checked, outputs)
    x = _input(layer, x, input_shape)
    return _picture(kind, layer, x, checked, outputs)


def _steps_picture(layer, x, input_shape, image, image_size, outputs, shade, options):
    """A layer made of steps (``SeparableConv2D``): each step's picture on the input it
    receives, played one after the other (``convgif.views.sequence``)."""
    from convgif.views.sequence import SequenceView

    photo = image is not None and image is not False
    if not photo:
        x = _input(layer, x, input_shape)
    views = []
    for step in layer.steps:
        first = {"image": image, "image_size": image_size, "input_shape": input_shape}
        view = picture(step, x=x, outputs=outputs, shade=shade, **(first if x is None else {}),
                       **options)
        views.append(view)
        if x is None:  # the photo the first step was drawn on, as the user's layout
            x = view.trace.x[0]
            x = np.moveaxis(x, 0, -1) if step.spec.channels_last else x
        x = step.trace(x).output
    count = len(layer.steps)
    headings = [f"{layer!r}: step {n} of {count}, {what}"
                for n, what in enumerate(layer.step_names, 1)]
    return SequenceView(views, headings, repr(layer))


def _check_shade(shade) -> frozenset:
    if shade is True:
        return PANELS
    if shade is False:
        return frozenset()
    if isinstance(shade, str) or not isinstance(shade, (set, frozenset, tuple, list)) or not (
        set(shade) <= PANELS
    ):
        raise ConvGifError(
            f"shade={shade!r} must be True, False or a set of panels from "
            f"{', '.join(sorted(PANELS))}", "shade"
        )
    return frozenset(shade)


def _picture(kind, layer, x, options: Options, outputs):
    """Trace (only the output channels shown, in the gather view) and lay out."""
    if options.flip:
        if layer.spec.in_channels is None and hasattr(layer, "built_for"):
            layer = layer.built_for(np.shape(x))  # a Keras layer gets its weights here
        layer = flipped(layer)
    # the gather view shows only the output channels chosen: the others are not simulated
    channels = options.channels if kind is GatherPicture else None
    trace = layer.trace(x, out_channels=channels)
    check_drawable(trace.x.shape)
    if outputs is not None:
        from convgif.layers.parse import output_region

        options = options._replace(outputs=output_region(outputs, trace.out_spatial))
    return kind(trace, options)


def _image_picture(kind, layer, x, input_shape, image, image_size, options, outputs):
    """A photo as the input, its cells shaded by value (input and output) unless asked
    otherwise; sized by ``_photo_sizes`` unless ``image_size`` is given."""
    from convgif.io.images import SAMPLE, check_image, image_input

    if x is not None or input_shape is not None:
        raise ConvGifError("give image= or x= / input_shape=, not both")
    check_image(image)
    name = SAMPLE if image is True else Path(image).name

    def make(size):
        x = image_input(layer, image, size)
        rows, cols = x.shape[:2] if layer.spec.channels_last else x.shape[1:]
        source = f"the photo {name}, shrunk to {rows} \u00d7 {cols}"
        return _picture(kind, layer, x, options._replace(source=source), outputs)

    if image_size is not None:
        return make(image_size)
    fitting = None  # the largest picture that fits a frame, landscape or not
    sizes = _photo_sizes(layer, image)
    for size in reversed(sizes):
        try:
            pic = make(size)
        except ConvGifError:  # too big for the view (the matrix view's limit): smaller
            continue
        fits = pic.width <= MAX_FRAME[0] and pic.height <= MAX_FRAME[1] and len(pic) <= MAX_FRAMES
        if fits and pic.width >= pic.height:
            return pic
        if fits and fitting is None:
            fitting = pic
    return fitting if fitting is not None else make(sizes[0])


def photo_size(layer, image) -> int:
    """The longer side, in cells, a default picture of ``layer`` gives the photo: what
    the commands that read the photo themselves (info, trace, overlap) use too."""
    pic = picture(layer, image=image)
    return int(max(pic.trace.x.shape[2:]))


def _photo_sizes(layer, image) -> list[int]:
    """The photo's sizes (its longer side, in cells) to try, smallest first: from the
    smallest the layer accepts (its effective kernel, stride and padding) up to
    PHOTO_SIDE, or past it as far as a big kernel needs."""
    from convgif.io.images import image_input

    sizes = []
    for size in range(1, MAX_PHOTO_SIDE + 1):
        shape = np.shape(image_input(layer, image, size))  # a bad photo is refused here
        try:
            layer.output_shape(shape)
        except ConvGifError:  # too small for the layer
            continue
        sizes.append(size)
        if size >= PHOTO_SIDE:
            break
    if not sizes:
        raise ConvGifError(
            f"{NAME} would need more than {MAX_PHOTO_SIDE} cells a side for "
            f"{layer.spec.name}: give an input with {name_of('x')} or "
            f"{name_of('input_shape')}", "image"
        )
    return sizes


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
            f"{NAME}=True needs a convolution (Conv1d/2d/3d), not {layer.spec.name}: {why}",
            "flip",
        )
    weight = layer.weight  # drawn now, so the copy shares the seeded parameters
    twin = copy.copy(layer)
    twin.weight = np.flip(weight, tuple(range(2, weight.ndim)))
    return twin
