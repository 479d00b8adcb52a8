"""The view protocol and the one loop: every view, walked in order, paints what it paints
frame by frame on its own; what settles is painted once; caches stay bounded."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_render import conv_layers, pool_layers, transposed_layers

import convgif
from convgif.api import render
from convgif.api.overlap import OverlapPicture
from convgif.api.stack import picture as stack_picture
from convgif.frames.sampling import spread
from convgif.views.scene import Text
from convgif.views.view import View


def _walk_matches_each_frame(view, indices, style="default"):
    """Frames painted as a walk (settled items carried over) equal each frame painted on
    its own from a scene holding everything settled so far."""
    painter = render.painter_for(view, style)
    walked = list(render.painted(view, painter, indices))
    alone = render.painter_for(view, style)
    for frame, i in zip(walked, indices):
        assert np.array_equal(frame, alone.paint(view.scene(i))), f"frame {i}"
    return walked


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(conv_layers(), pool_layers(), transposed_layers()),
       st.sampled_from(["auto", "output", "channel", "mac"]), st.sampled_from([None, 3, 7]))
def test_walk_equals_random_access(layer_shape, step, max_frames):
    layer, shape = layer_shape
    view = render.picture(layer, input_shape=shape, step=step)
    _walk_matches_each_frame(view, spread(len(view), max_frames))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(transposed_layers())
def test_scatter_and_matrix_walks_equal_random_access(layer_shape):
    layer, shape = layer_shape
    for view_name in ("scatter", "matrix"):
        try:
            view = render.picture(layer, input_shape=shape, view=view_name)
        except convgif.ConvGifError:
            continue  # e.g. a matrix too large to draw
        _walk_matches_each_frame(view, list(range(len(view))))


def test_values_wider_than_their_cells_paint_the_same_walked():
    """A photo's outputs (e.g. −714) are wider than their cells: a newly finished cell's
    fill would cover the spill of its neighbour's value, so the walk paints that frame whole
    and the frames still equal the frames painted alone."""
    view = render.picture(convgif.Conv2d(3, 1, 3, stride=2), image=True)
    _walk_matches_each_frame(view, list(range(0, len(view), 3)) + [len(view) - 1])


def test_other_views_walk_the_same():
    overlap = OverlapPicture(convgif.ConvTranspose2d(1, 1, 3, stride=2), (1, 3, 3))
    stack = stack_picture("Conv2d(1, 2, 3) MaxPool2d(2)", (1, 8, 8))
    for view in (overlap, stack):
        assert isinstance(view, View)
        _walk_matches_each_frame(view, list(range(len(view))))


def test_finished_cells_settle_once():
    """In a walk, a frame holds only the output values finished since the one before."""
    view = render.picture(convgif.Conv2d(1, 1, 3), input_shape=(1, 5, 5))
    values = [[i.text for i in view.scene(i, since=i - 1).settled if isinstance(i, Text)]
              for i in range(2, len(view) - 1)]
    assert all(len(v) == 1 for v in values)  # one output cell finishes per frame
    whole = [i for i in view.scene(len(view) - 1).settled if isinstance(i, Text)]
    assert len(whole) == 9  # the last frame on its own holds all nine values


def test_scatter_sums_are_carried_but_exact_in_any_order():
    view = render.picture(convgif.ConvTranspose2d(1, 1, 3, stride=2), input_shape=(1, 4, 4),
                          view="scatter")
    painter = render.painter_for(view)
    forward = [painter.paint(view.scene(i)) for i in range(len(view))]
    fresh = render.picture(convgif.ConvTranspose2d(1, 1, 3, stride=2), input_shape=(1, 4, 4),
                           view="scatter")
    for i in reversed(range(len(view))):  # backwards: each frame starts its sums anew
        assert np.array_equal(forward[i], painter.paint(fresh.scene(i)))


def test_captions_are_not_cached_frame_after_frame():
    """Captions and counters are new in every frame: the painter keeps none of them (their
    masks and index arrays would grow with the frame count)."""
    view = render.picture(convgif.Conv2d(1, 1, 3, padding=1), input_shape=(1, 6, 6))
    painter = render.painter_for(view)
    captions = set()
    for i, _ in enumerate(render.painted(view, painter)):
        captions |= {t.text for t in view.scene(i).dynamic if isinstance(t, Text) and t.fleeting}
    assert any(c.startswith("y[0, 5, 5] = ") for c in captions)
    assert any(c.startswith("frame ") for c in captions)
    cached = {key[0] for key in painter._masks} | {
        key.text for key in painter._placed if isinstance(key, Text)}
    assert not captions & cached


def test_sampled_counter_says_how_many_are_shown(tmp_path):
    view = render.picture(convgif.Conv2d(1, 1, 3), input_shape=(1, 6, 6))
    scene = view.scene(3, shown=5)
    assert any("(5 shown, evenly spread)" in t for t in scene.texts())
    assert not any("shown" in t for t in view.scene(3).texts())


@pytest.mark.parametrize("pace", ["auto", "output", "channel", "mac", "stamp", "layer"])
def test_one_timing_table(pace):
    from convgif.frames.timing import PACES, durations

    p = PACES[pace]
    assert durations(pace, 4) == [max(p.open_ms, p.step_ms), p.step_ms, p.step_ms, p.hold_ms]
    assert durations(pace, 1) == [p.hold_ms]


@pytest.mark.parametrize("option, value", [
    ("hold", 5), ("duration", "fast"), ("style", "neon"), ("scale", 0), ("lines", "no"),
    ("force", "yes"), ("max_frames", 1), ("values", [1]), ("cell", 1), ("view", "side"),
    ("step", "row"), ("flip", 1), ("channels", [1.5, "a"]), ("font", "missing.ttf"),
])
def test_options_are_checked_before_any_work(monkeypatch, tmp_path, option, value):
    """A bad option is refused at the boundary, naming it, before the layer is traced."""
    def traced(*args, **kwargs):
        raise AssertionError("the layer was traced before its options were checked")

    monkeypatch.setattr(convgif.Conv2d, "trace", traced)
    with pytest.raises(convgif.ConvGifError) as refused:
        render.animate(tmp_path / "a.gif", convgif.Conv2d(1, 1, 3), input_shape=(1, 5, 5),
                       **{option: value})
    assert refused.value.param == option or option in str(refused.value)
    assert not (tmp_path / "a.gif").exists()


def test_a_still_takes_no_timing(tmp_path):
    with pytest.raises(convgif.ConvGifError, match="duration"):
        render.still(tmp_path / "a.png", convgif.Conv2d(1, 1, 3), input_shape=(1, 5, 5),
                     duration=100)
