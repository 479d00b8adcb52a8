"""A picture speaks its layer's framework: Keras layers in Keras' own terms; no bias drawn
for a layer without one; padding and inserted zeros told apart in every style."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from test_raster import wcag_contrast

import convgif
from convgif.api.kinds import as_layer
from convgif.api.pictures import picture
from convgif.api.render import rgb_frames
from convgif.backends.style import STYLES
from convgif.simulate.trace import INSERTED, PAD
from convgif.views.overlap import OverlapPicture
from convgif.views.scene import Box, Line, Text
from convgif.views.terms import keras_kernel_shape


def _texts(scene) -> list[str]:
    return [i.text for i in (*scene.static, *scene.items) if isinstance(i, Text)]


def _view(call, shape, view):
    if view == "overlap":
        return OverlapPicture(as_layer(call), shape)
    return picture(as_layer(call), input_shape=shape, view=view)


# (layer, input shape, views, x and y as the user shapes them, the padded grid the gather
# view draws, the kernel as Keras stores it, and what the texts must never say: the
# channels-first shapes of x, of the padded grid and of y, and the weight in torch's order)
KERAS = [
    ("Conv2D(filters=2, kernel_size=3, strides=2, padding='same')", (7, 7, 3),
     ("gather", "matrix", "overlap"), "(7, 7, 3)", "(4, 4, 2)", ", padded to (9, 9, 3)",
     "kernel (3, 3, 3, 2), bias (2,)", ["(3, 7, 7)", "(3, 9, 9)", "(2, 4, 4)", "(2, 3, 3, 3)"]),
    ("Conv1D(filters=2, kernel_size=3, padding='same')", (8, 3), ("gather", "matrix", "overlap"),
     "(8, 3)", "(8, 2)", ", padded to (10, 3)", "kernel (3, 3, 2), bias (2,)",
     ["(3, 8)", "(3, 10)", "(2, 8)", "(2, 3, 3)"]),
    ("Conv2DTranspose(filters=3, kernel_size=3, strides=2, padding='same')", (3, 4, 2),
     ("gather", "scatter", "matrix", "overlap"), "(3, 4, 2)", "(6, 8, 3)",
     ": zeros inserted and padded to (8, 10, 2)", "kernel (3, 3, 3, 2), bias (3,)",
     ["(2, 3, 4)", "(3, 6, 8)", "(2, 8, 10)", "(2, 3, 3, 3)"]),
]
CASES = [(call, shape, view, *rest) for call, shape, views, *rest in KERAS for view in views]


@pytest.mark.parametrize("call,shape,view,x,y,padded,kernel,never", CASES,
                         ids=[f"{c[0].split('(')[0]}-{c[2]}" for c in CASES])
def test_keras_layer_texts_use_channels_last_and_keras_kernel(call, shape, view, x, y, padded,
                                                              kernel, never):
    """Title, subtitle and headers of every view of a Keras layer: channels-last shapes,
    the kernel as Keras stores it, ``filters=`` by name; never the channels-first shapes
    or the weight in PyTorch's order (a Conv2D once said "x (3, 7, 7)" under a title of
    "(7, 7, 3)")."""
    pic = _view(call, shape, view)
    texts = _texts(pic.scene(len(pic) // 2))
    joined = "\n".join(texts)
    assert f"Input shape: {x}" in joined and f"Output shape: {y}" in joined
    assert pic.subtitle.startswith(call.split("(")[0] + "(filters=")
    if view == "matrix":  # one header: x, flattened above C's columns
        assert f"x {x} flattened channel by channel to" in joined
    else:
        assert any(t.startswith(f"input x {x}") for t in texts), texts
        assert any(t.startswith(f"output y {y}") for t in texts), texts
    if view == "gather":
        assert f"input x {x}{padded}; x[c] = channel c" in texts
    if view != "overlap":  # the overlap view shows no weights
        assert kernel in pic.subtitle and "weight" not in joined
    for text in never:
        assert text not in joined, (text, [t for t in texts if text in t])


@pytest.mark.parametrize("view", ["gather", "scatter"])
def test_keras_headers_say_what_a_grid_label_indexes(view):
    """``x[0]`` over a grid of a (3, 4, 2) tensor is channel 0, not the first row: the
    headers say so, and the subtitle which kernel slice a ``w`` grid holds."""
    pic = _view("Conv2DTranspose(filters=3, kernel_size=3, strides=2)", (3, 4, 2), view)
    texts = _texts(pic.scene(1))
    assert any(t.startswith("input x (3, 4, 2)") and t.endswith("; x[c] = channel c")
               for t in texts)
    assert "output y (7, 9, 3); y[c] = channel c" in texts
    note = "w[c, f] = kernel[..., f, c]" if view == "scatter" else "w\u2032[f, c] = kernel["
    assert note in pic.subtitle
    torch_pic = picture(convgif.ConvTranspose2d(2, 3, 3, stride=2), input_shape=(2, 3, 4))
    assert not any("= channel c" in t or "kernel[" in t for t in _texts(torch_pic.scene(1)))


def test_keras_captions_index_channels_last():
    """The running equation names the output cell as Keras indexes it: (row, col,
    channel). Frame 2 writes row 0, column 1 of channel 0."""
    pic = _view("Conv2D(filters=2, kernel_size=3, strides=2, padding='same')", (7, 7, 3),
                "gather")
    caption = [t for t in _texts(pic.scene(2)) if " = " in t and t.startswith("y[")]
    assert caption and caption[0].startswith("y[0, 1, 0] = ")
    torch_pic = picture(convgif.Conv2d(3, 2, 3, stride=2, padding=1), input_shape=(3, 7, 7))
    assert any(t.startswith("y[0, 0, 1] = ") for t in _texts(torch_pic.scene(2)))
    scatter = _view("Conv2DTranspose(filters=1, kernel_size=3, strides=2)", (3, 4, 1), "scatter")
    stamp = [t for t in _texts(scatter.scene(2)) if "stamps" in t]
    assert stamp and stamp[0].startswith("x[0, 1, 0] = ")  # row 0, col 1, channel 0


@pytest.mark.parametrize("kind,args,shape", [
    ("Conv2D", dict(filters=4, kernel_size=(3, 2), groups=2), (1, 7, 7, 6)),
    ("Conv1D", dict(filters=2, kernel_size=3), (1, 8, 3)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=(3, 2), strides=2), (1, 3, 3, 5)),
])
def test_keras_kernel_shape_is_keras_own(kind, args, shape):
    """The kernel shape a picture gives is the one Keras 3 builds (``layer.kernel.shape``)."""
    import keras  # the oracle, on its PyTorch backend (tests/conftest.py)
    real = getattr(keras.layers, kind)(**args)
    real.build(shape)
    ours = getattr(convgif.keras, kind)(**args)
    ours.built_for(shape)
    assert keras_kernel_shape(ours.weight.shape) == tuple(real.kernel.shape)


def _bias_free(pic) -> None:
    """No frame draws a bias: no b[..] label, no box on a bias cell, no line from one."""
    spots = list(pic.layout.biases.values())
    for i in range(len(pic)):
        scene = pic.scene(i)
        items = (*scene.static, *scene.items)
        assert not [t.text for t in items if isinstance(t, Text) and t.text.startswith("b[")]
        assert not [t.text for t in items if isinstance(t, Text) and "+ b" in t.text]
        for g in spots:
            inside = [it for it in items if isinstance(it, Box)
                      and g.x <= it.x < g.x + g.cell and g.y <= it.y < g.y + g.cell]
            touching = [it for it in items if isinstance(it, Line) and any(
                g.x - 1 <= x <= g.x + g.cell + 1 and g.y - 1 <= y <= g.y + g.cell + 1
                for x, y in ((it.x0, it.y0), (it.x1, it.y1)))]
            assert not inside and not touching, (i, inside, touching)


@pytest.mark.parametrize("make,shape,view", [
    (lambda: convgif.Conv2d(1, 1, 3, bias=False), (1, 5, 5), "gather"),
    (lambda: convgif.Conv2d(2, 2, 3, bias=False, groups=2), (2, 4, 4), "gather"),
    (lambda: convgif.ConvTranspose2d(1, 2, 3, stride=2, bias=False), (1, 2, 2), "scatter"),
    (lambda: convgif.keras.Conv2D(filters=2, kernel_size=3, use_bias=False), (5, 5, 1),
     "gather"),
])
def test_a_layer_without_bias_draws_none(make, shape, view):
    """``bias=False`` / ``use_bias=False``: no dashed "b[0] 0" box, no line from it, no
    "+ b" in the equation, in any frame."""
    _bias_free(picture(make(), input_shape=shape, view=view))


def test_bias_detector_sees_a_bias():
    """The check above finds a bias when there is one (so its silence means something)."""
    with pytest.raises(AssertionError):
        _bias_free(picture(convgif.Conv2d(1, 1, 3), input_shape=(1, 5, 5)))


def _distance(a, b) -> float:
    return math.dist(a, b)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_padding_and_inserted_zeros_differ_in_every_style(style):
    """Both sit in a transposed layer's grid, dashed, holding 0: only their fill tells them
    apart (classic once filled them #FFFFFF and #F3F6FA). Text on each stays at 4.5:1."""
    colors = STYLES[style]
    for a, b in itertools.combinations(("pad", "pad_copy", "inserted"), 2):
        if {a, b} == {"pad", "pad_copy"}:
            continue  # one padding mode per layer: they never share a grid
        ca, cb = colors.rgb(a), colors.rgb(b)
        assert _distance(ca, cb) >= 30 and wcag_contrast(ca, cb) >= 1.15, (a, b, ca, cb)
    for fill in ("pad", "pad_copy", "inserted"):
        for text in ("ink", "muted"):
            assert wcag_contrast(colors.rgb(text), colors.rgb(fill)) >= 4.5, (text, fill)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_painted_padding_and_inserted_zeros_differ(style):
    """In the painted frame, a padding cell and an inserted zero have different colours,
    and so do their legend swatches' roles."""
    pic = picture(convgif.ConvTranspose2d(1, 1, 3, stride=2, padding=1), input_shape=(1, 3, 3))
    assert ("pad", "zero padding") in pic.legend and ("inserted", "inserted zero") in pic.legend
    frame = next(iter(rgb_frames(pic, style=style)))
    grid, kind = pic.layout.inputs[0], pic.trace.grid_kind

    def colour(k):
        r, c = map(int, np.argwhere(kind == k)[0])
        x, y, _, _ = grid.rect(r, c)
        return tuple(frame[int(y) + 4, int(x) + 4])  # a corner: clear of the value and edge

    assert colour(PAD) == STYLES[style].rgb("pad")
    assert colour(INSERTED) == STYLES[style].rgb("inserted")
    assert colour(PAD) != colour(INSERTED)
