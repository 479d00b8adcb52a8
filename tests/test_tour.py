"""The default storyboard (step='auto'): a loop of at most 30 s for every layer the
legibility rule covers, every frame exact, small layers and step='output' untouched."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_views import _walk_matches_each_frame

import convgif
from convgif.api import render
from convgif.frames.storyboard import Storyboard
from convgif.frames.timing import LOOP_MS, durations
from convgif.frames.tour import plan_tour, split
from convgif.views.text import fmt

FULL_WALK_FITS = 39  # frames (37 steps of 700 ms, 1.2 s opening, 2.5 s hold): 29.6 s


@st.composite
def covered_layers(draw):
    """A layer of any kind on an input the legibility rule covers: up to 8 input and 16
    output channels; 2-d inputs up to 16x16, 1-d up to 64, 3-d up to 4x8x8."""
    kind = draw(st.sampled_from(["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
                                 "ConvTranspose2d", "MaxPool2d", "AvgPool2d"]))
    nd = 3 if kind == "Conv3d" else 1 if kind.endswith("1d") else 2
    limits = {1: (64,), 2: (16, 16), 3: (4, 8, 8)}[nd]
    k = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 50))
    if kind.endswith("Pool2d"):
        c_in = draw(st.integers(1, 8))
        s = draw(st.integers(1, 2))
        layer = getattr(convgif, kind)(k, stride=s, padding=draw(st.integers(0, k // 2)))
    else:
        g = draw(st.sampled_from([1, 1, 2]))
        c_in = g * draw(st.integers(1, 8 // g))
        c_out = g * draw(st.integers(1, 16 // g))
        s = draw(st.integers(1, 2))
        if kind.startswith("ConvTranspose"):
            # the output grows by the stride: keep it within the rule too
            layer = getattr(convgif, kind)(c_in, c_out, k, stride=s, groups=g, seed=seed)
            limits = tuple((n - k) // s + 1 for n in limits)
        else:
            layer = getattr(convgif, kind)(c_in, c_out, k, stride=s, padding=k // 2,
                                           groups=g, seed=seed)
    spatial = tuple(draw(st.integers(k, n)) for n in limits)
    return layer, (c_in, *spatial)


def loop_ms(count: int) -> int:
    return sum(durations("auto", count))


@settings(max_examples=80, deadline=None)
@given(covered_layers())
def test_default_storyboard_loops_within_30_s(layer_shape):
    """Every output channel animated (as when the layout draws them all)."""
    layer, shape = layer_shape
    trace = layer.trace(layer.example_input(shape))
    board = Storyboard(trace)
    assert board.step == "auto"
    assert loop_ms(len(board)) <= LOOP_MS
    # and a full walk that fits is kept whole
    full = len(Storyboard(trace, "output"))
    if full <= FULL_WALK_FITS:
        assert len(board) == full


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(covered_layers())
def test_default_animation_loops_within_30_s(layer_shape):
    """The durations the API writes for the default picture."""
    layer, shape = layer_shape
    view = render.picture(layer, input_shape=shape)
    assert sum(render.durations(view)) <= LOOP_MS


@pytest.mark.parametrize("layer, shape", [
    (convgif.keras.Conv2D(filters=16, kernel_size=3, padding="same"), (16, 16, 8)),
    (convgif.keras.Conv1D(filters=16, kernel_size=3), (64, 8)),
    (convgif.keras.Conv2DTranspose(filters=4, kernel_size=4, strides=2, padding="same"),
     (8, 8, 2)),
    (convgif.Conv3d(4, 16, 3, padding=1), (4, 4, 8, 8)),
    (convgif.Conv2d(8, 16, 3, padding=1), (8, 16, 16)),
])
def test_keras_and_largest_layers_loop_within_30_s(layer, shape):
    view = render.picture(layer, input_shape=shape)
    assert sum(render.durations(view)) <= LOOP_MS
    board = Storyboard(view.trace)  # every channel, whatever the layout draws
    assert loop_ms(len(board)) <= LOOP_MS


# the four layers of the issue's finding 8, with their full walks' frame counts
ISSUE_LAYERS = [
    (convgif.ConvTranspose2d(2, 2, 4, stride=2, padding=1), (2, 4, 4), 130),
    (convgif.Conv3d(2, 2, 3, padding=1), (2, 3, 5, 5), 152),
    (convgif.Conv2d(8, 16, 3, padding=1), (8, 10, 10), 802),  # 8 of 16 channels drawn
]


@pytest.mark.parametrize("layer, shape, full", ISSUE_LAYERS)
def test_step_output_keeps_the_full_walk(layer, shape, full):
    walk = render.picture(layer, input_shape=shape, step="output")
    assert len(walk) == full
    assert all(walk.storyboard.frame(i).block is None for i in range(len(walk)))
    assert sum(render.durations(walk)) > LOOP_MS
    tour = render.picture(layer, input_shape=shape)
    assert len(tour) < full and sum(render.durations(tour)) <= LOOP_MS


def expected_finished(board) -> list[dict[int, int]]:
    """Per frame, per animated channel, how many of its cells (row-major) are computed,
    worked out from the tour's spans alone: the cells of earlier frames, and a block's."""
    t = board.trace
    size = math.prod(len(r) for r in board.region)
    channels = [oc for oc in range(t.out_channels) if board.animates(oc)]
    counts = {oc: 0 for oc in channels}
    frames = [dict(counts)]
    for span in board.tour:
        (n, which), now = divmod(span.segment, len(board.locals)), dict(counts)
        assert n == 0
        for oc in channels:
            if oc % t.out_per_group == board.locals[which]:
                assert counts[oc] == span.start  # cells are computed in order, none skipped
                counts[oc] = span.stop
                if not span.walk:
                    now[oc] = span.stop
        frames.append(now)
    frames.append({oc: size for oc in channels})
    return frames


@settings(max_examples=40, deadline=None)
@given(covered_layers())
def test_tour_frames_are_exact(layer_shape):
    layer, shape = layer_shape
    trace = layer.trace(layer.example_input(shape))
    board = Storyboard(trace)
    if board.tour is None:
        return
    expected = expected_finished(board)
    assert len(expected) == len(board)
    walk = Storyboard(trace, "output")
    for i, want in enumerate(expected):
        state = board.frame(i)
        assert {oc: board.finished(state, oc) for oc in want} == want, f"frame {i}"
        if 0 < i < len(board) - 1 and board.tour[i - 1].walk:
            # a walked cell is the full walk's frame for that cell
            span = board.tour[i - 1]
            size = math.prod(len(r) for r in board.region)
            same = walk.frame(1 + span.segment * size + span.start)
            assert (state.cells, state.position) == (same.cells, same.position)


def test_block_frames_fill_exactly_the_block():
    """The cells a block frame lights hold the trace's output; the finished cells before it
    stay filled; the cells after it are empty; the caption says what was skipped."""
    view = render.picture(convgif.Conv2d(2, 3, 3, padding=1), input_shape=(2, 6, 6),
                           values="numbers")
    board, t = view.storyboard, view.trace
    blocks = [i for i in range(1, len(view) - 1) if board.frame(i).block is not None]
    assert blocks
    for i in blocks:
        state = board.frame(i)
        block = state.block
        scene = view.scene(i)
        cell = view.layout.cell  # (the legend's swatches are smaller)
        lit = [it for it in scene.items
               if getattr(it, "fill", None) == "output_active" and it.w == cell]
        assert len(lit) == (block.stop - block.start) * len(block.out_channels)
        texts = scene.texts()
        cols = t.out_spatial[-1]
        for oc in block.out_channels:
            for k in range(block.start, block.stop):
                assert fmt(t.y[(0, oc, *divmod(k, cols))]) in texts
            assert board.finished(state, oc) == block.stop
        caption = " ".join(texts)
        assert "filled at once" in caption
        assert "(Frames skipped: step 'output' walks every cell.)" in caption
        if block.walked:
            assert f"its first {block.walked} cells were walked one by one" in caption
        else:
            assert "computed as the walk of y[0] showed" in caption
        # kernels of the block's channel are lit: every weight cell, nothing else
        kernels = [it for it in scene.items
                   if getattr(it, "fill", None) == "kernel_active" and it.w == cell]
        assert len(kernels) == t.in_per_group * 9 + 1  # and the bias


def test_tour_walk_equals_random_access():
    view = render.picture(convgif.Conv2d(2, 3, 3, padding=1), input_shape=(2, 6, 6))
    assert view.storyboard.tour is not None
    _walk_matches_each_frame(view, list(range(len(view))))


def test_small_layers_keep_every_frame():
    layer = convgif.Conv2d(1, 2, 3)
    auto = render.picture(layer, input_shape=(1, 5, 5))
    full = render.picture(layer, input_shape=(1, 5, 5), step="output")
    assert len(auto) == len(full) == 2 * 9 + 2
    assert [auto.storyboard.frame(i) for i in range(len(auto))] == list(full.storyboard)


def test_channels_and_outputs_walk_what_was_chosen():
    layer = convgif.Conv2d(2, 8, 3, padding=1)
    view = render.picture(layer, input_shape=(2, 10, 10), channels=[2, 5], outputs="2-7,0-9")
    board = view.storyboard
    assert board.tour is not None and board.first_channels == (2,)
    seen = {c for i in range(1, len(view) - 1) for c in
            (board.frame(i).block.out_channels if board.frame(i).block
             else [c.out_channel for c in board.frame(i).cells])}
    assert seen == {2, 5}
    last = board.frame(-2)
    assert board.finished(last, 5) == 60  # the region's 6 rows of 10
    assert sum(render.durations(view)) <= LOOP_MS


def test_opening_caption_tells_the_plan():
    layer = convgif.Conv2d(2, 3, 3, padding=1)
    text = " ".join(render.picture(layer, input_shape=(2, 5, 5)).scene(0).texts())
    assert "walk y[0] cell by cell, then the other channels fill a block at a time" in text
    assert "step 'output' walks every cell" in text
    text = " ".join(render.picture(layer, input_shape=(2, 6, 6)).scene(0).texts())
    assert "walk the first 30 cells of y[0], then the rest fill a block at a time" in text


def test_plan_blocks_cover_each_channel_once_in_order():
    spans = plan_tour(4, 100, 10, 37)
    for s in range(4):
        mine = [(a, b) for seg, a, b, _ in spans if seg == s]
        assert mine[0][0] == 0 and mine[-1][1] == 100
        assert all(b0 == a1 for (_, b0), (a1, _) in zip(mine, mine[1:]))
    assert len(spans) <= 37
    assert plan_tour(1, 30, 10, 37) is None  # fits: every cell its frame
    # blocks of a row or more end at row ends
    assert split(20, 100, 8, 10) == [(a, a + 10) for a in range(20, 100, 10)]


def test_first_channel_too_long_walks_its_first_cells_then_blocks():
    trace = convgif.Conv1d(1, 1, 3).trace(np.ones((1, 66)))  # 64 outputs, one channel
    board = Storyboard(trace)
    walked = [s for s in board.tour if s.walk]
    assert 0 < len(walked) < 64 and [s.start for s in walked] == list(range(len(walked)))
    assert board.tour[-1].stop == 64
    state = board.frame(len(walked) + 1)
    assert state.block.walked == len(walked)


@pytest.mark.parametrize("layer, shape", [
    (convgif.ConvTranspose2d(2, 2, 4, stride=2, padding=1), (2, 4, 4)),
    (convgif.ConvTranspose2d(4, 4, 3, stride=2), (4, 7, 7)),
    (convgif.Conv1d(1, 2, 3), (1, 64)),
    (convgif.Conv2d(2, 3, 3, padding=1), (2, 6, 6)),
])
def test_matrix_view_loops_within_30_s_every_frame_exact(layer, shape):
    view = render.picture(layer, input_shape=shape, view="matrix")
    full = render.picture(layer, input_shape=shape, view="matrix", step="output")
    assert len(full) == len(full.rows) + 2  # step 'output' lights every row
    assert sum(render.durations(view)) <= LOOP_MS
    flat_y = view.trace.y[0].reshape(-1)
    done = 0  # rows of C whose y entries are computed, in the order walked
    for i in range(1, len(view) - 1):
        state = view.frame(i)
        if state.first < 0:  # one row lit: the full walk's frame for that row
            assert state.step == done and state.row == view.rows[done]
            done += 1
        else:
            assert state.first == done < state.step
            scene, col = view.scene(i), view.layout.y_col
            lit = {round((it.y - col.y) / col.cell) for it in scene.items
                   if getattr(it, "fill", None) == "output_active" and it.x == col.x}
            assert lit == set(view.rows[state.first:state.step])
            texts = scene.texts()
            if view.show_values:
                assert all(fmt(flat_y[r]) in texts for r in view.rows[state.first:state.step])
            assert "filled at once" in " ".join(texts)
            done = state.step
    assert done == len(view.rows) and view.frame(-1).step == done
