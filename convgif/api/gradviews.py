"""The gradient pictures: ``grad=`` on every render verb, one dispatch.

``GRAD_VIEWS`` maps a gradient ('input', 'weight', 'bias') and a view
('gather', 'scatter', ...) to a function returning the view class, imported
when asked for so start-up stays short. ``grad_picture`` checks the options
that meet ``grad=`` (once, before anything is simulated), runs the backward
pass (``layer.backward``) and lays the view out on its GradTrace.
"""

from __future__ import annotations

from convgif.errors import NAME, ConvGifError, name_of, refuse
from convgif.simulate.backward import GRADS, learns, no_weights
from convgif.views.options import Options


def _input_gather():
    from convgif.views.grad_gather import InputGradGather

    return InputGradGather


def _input_scatter():
    from convgif.views.grad_scatter import InputGradScatter

    return InputGradScatter


def _weight_gather():  # each ∂L/∂w cell gathers x correlated with the strided ∂L/∂y
    from convgif.views.grad_weight_cells import WeightCellsPicture

    return WeightCellsPicture


def _weight_scatter():  # each ∂L/∂y cell stamps x_window × its gradient into all of ∂L/∂w
    from convgif.views.grad_weight import WeightGradPicture

    return lambda trace, options, weight_cell=None: WeightGradPicture(trace, weight_cell, options)


def _bias_gather():
    from convgif.views.grad_bias import BiasGradPicture

    return lambda trace, options: BiasGradPicture(trace)


# gradient -> view -> the view class (a function that imports it)
GRAD_VIEWS = {
    "input": {"gather": _input_gather, "scatter": _input_scatter},
    "weight": {"gather": _weight_gather, "scatter": _weight_scatter},
    "bias": {"gather": _bias_gather},
}
# views a pool's routing cannot be drawn in: its share differs from window to window
POOL_REFUSED = {("input", "gather")}


def check_grad(layer, grad, view: str) -> str:
    """``grad`` named (a gradient the layer has and a picture exists for) with ``view``."""
    if not isinstance(grad, str) or grad not in GRADS:
        raise refuse("grad", grad, f"must be one of {', '.join(map(repr, GRADS))}")
    spec = layer.spec
    if grad != "input" and not learns(spec):  # as `convgif trace --grad` refuses them
        raise refuse("grad", grad, f"is not a gradient of {spec.name}: {no_weights(spec)}")
    if grad == "bias" and not spec.bias:
        raise refuse("grad", grad, f"is not a gradient of {spec.name}: it has no bias")
    views = GRAD_VIEWS.get(grad)
    if views is None:
        drawn = " or ".join(f"{NAME}={g!r}" for g in GRAD_VIEWS)
        raise refuse("grad", grad, f"has no picture yet: draw {drawn}, or export its records "
                     "with `convgif trace --grad`")
    if view not in views:
        raise ConvGifError(f"{NAME}={view!r} has no picture of the {grad} gradient "
                           f"({name_of('grad')}={grad!r}): use {NAME}= one of "
                           f"{', '.join(map(repr, views))}", "view")
    if spec.pooling and (grad, view) in POOL_REFUSED:
        raise ConvGifError(f"{NAME}={view!r} cannot draw {name_of('grad')}={grad!r} of "
                           f"{spec.name}: each window routes its own share, which no one kernel "
                           f"holds; use {NAME}='scatter'", "view")
    if spec.adaptive:
        raise refuse("grad", grad, f"is not drawn for {spec.name}: its windows vary from "
                     "cell to cell")
    return grad


def check_grad_options(options: Options, image, outputs) -> None:
    """The render options a gradient picture does not take, refused by name."""
    taken = (("image", image is not None and image is not False,
              "give x= or input_shape="),
             ("outputs", outputs is not None, "it chooses cells of the forward output"),
             ("channels", options.channels is not None, "every channel of the gradient is drawn"),
             ("flip", options.flip, "the gather view already rotates the kernel"),
             ("values", options.values == "symbols", "the gradient's cells are drawn as numbers"))
    for param, given, why in taken:
        if given:
            raise ConvGifError(f"{NAME} does not apply with {name_of('grad')}: {why}", param)


def grad_picture(layer, grad: str, view: str, options: Options, *, x=None, input_shape=None,
                 grad_output=None, weight_cell=None):
    """The picture of one gradient of ``layer`` on ``x`` (or a made-up input of
    ``input_shape``) for ``grad_output`` (default: the seeded one ``layer.backward``
    makes up)."""
    grads = layer.backward(x, grad_output, input_shape=input_shape)
    kind = GRAD_VIEWS[grad][view]()
    extra = {} if weight_cell is None else {"weight_cell": weight_cell}  # only weight, scatter
    return kind(grads.trace, options, **extra)
