"""The scatter view's default loop (step='auto'): at most 30 s for the transposed layers the
legibility rule covers, the first input channel's stamps walked, the rest stamped in blocks,
every frame's sums exact; small layers and step='output' keep every stamp."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_render import at, check_frame, expected_scatter_roles
from test_views import _walk_matches_each_frame

import convgif
from convgif.api import render
from convgif.frames.sampling import spread
from convgif.frames.scatter import ScatterStoryboard, plan_stamps
from convgif.frames.timing import LOOP_MS, durations, steps_within
from convgif.views.scene import Text
from convgif.views.text import fmt

SMALL = convgif.ConvTranspose2d(2, 2, 4, stride=2, padding=1)  # 64 stamps: 49 s in full
SMALL_SHAPE = (2, 4, 4)


@st.composite
def covered_transposed(draw):
    """A ConvTranspose1d / 2d the rule covers: up to 8 input and 16 output channels, inputs
    up to 8x8 (1-d: up to 32); groups, stride, padding, dilation, output_padding, bias."""
    nd = draw(st.sampled_from([1, 2, 2]))
    g = draw(st.sampled_from([1, 1, 2]))
    c_in, c_out = g * draw(st.integers(1, 8 // g)), g * draw(st.integers(1, 16 // g))
    k, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    p = draw(st.integers(0, d * (k - 1) // 2))  # keeps the output non-empty
    op = draw(st.integers(0, max(s, d) - 1))
    cls = (convgif.ConvTranspose1d, convgif.ConvTranspose2d)[nd - 1]
    layer = cls(c_in, c_out, k, stride=s, padding=p, output_padding=op, groups=g, dilation=d,
                bias=draw(st.booleans()), seed=draw(st.integers(0, 50)))
    spatial = tuple(draw(st.integers(1, 32 if nd == 1 else 8)) for _ in range(nd))
    return layer, (c_in, *spatial)


def loop_ms(count: int) -> int:
    return sum(durations("auto", count))


@settings(max_examples=80, deadline=None)
@given(covered_transposed())
def test_default_scatter_storyboard_loops_within_30_s(layer_shape):
    """Every channel drawn; a full walk that fits is kept whole."""
    layer, shape = layer_shape
    trace = layer.trace(layer.example_input(shape))
    board = ScatterStoryboard(trace)
    assert board.step == "auto"
    assert loop_ms(len(board)) <= LOOP_MS
    full = ScatterStoryboard(trace, step="output")
    assert len(full) == full.stamps + 2 + bool(trace.spec.bias)
    if loop_ms(len(full)) <= LOOP_MS:
        assert board.tour is None and len(board) == len(full)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(covered_transposed())
def test_default_scatter_animation_loops_within_30_s(layer_shape):
    """The durations the API writes for the default scatter picture (channels the layout
    leaves out do not stamp)."""
    layer, shape = layer_shape
    view = render.picture(layer, input_shape=shape, view="scatter")
    assert sum(render.durations(view)) <= LOOP_MS


@pytest.mark.parametrize("layer, shape, before", [
    (SMALL, SMALL_SHAPE, 67),
    (convgif.ConvTranspose2d(4, 4, 3, stride=2), (4, 7, 7), 787),
    (convgif.ConvTranspose2d(8, 16, 4, stride=2, padding=1), (8, 8, 8), None),
])
def test_the_issues_layers_loop_within_30_s(layer, shape, before):
    view = render.picture(layer, input_shape=shape, view="scatter")
    full = render.picture(layer, input_shape=shape, view="scatter", step="output")
    assert sum(render.durations(view)) <= LOOP_MS < sum(render.durations(full))
    if before is not None:
        assert len(full) == before


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 16), min_size=1, max_size=8), st.integers(1, 64),
       st.integers(1, 8), st.integers(30, 40))
def test_plan_stamps_each_stamp_once_in_order(per_cell, cells, cols, steps):
    cols = min(cols, cells)
    plan = plan_stamps(per_cell, cells, cols, steps)
    if cells * sum(per_cell) <= steps:
        assert plan is None
        return
    assert len(plan) <= steps
    for s, m in enumerate(per_cell):
        spans = [p for p in plan if p.segment == s]
        assert spans[0].start == 0 and spans[-1].stop == cells * m
        assert all(a.stop == b.start for a, b in itertools.pairwise(spans))
        for p in spans:
            assert p.walk == (p.stop - p.start == 1)
            if s > 0 or not any(q.walk for q in spans):
                # further input channels: whole input cells a frame
                assert p.start % m == 0 and p.stop % m == 0
    # segments in order; the first input channel's first stamps walked one by one
    assert [p.segment for p in plan] == sorted(p.segment for p in plan)
    walked = list(itertools.takewhile(lambda p: p.walk, plan))  # stamps one a frame first
    assert len(walked) >= min(cells * per_cell[0], 8)


def test_small_layers_keep_every_stamp():
    layer = convgif.ConvTranspose2d(1, 2, 3, stride=2)  # 2 x 2 cells x 2 channels: 8 stamps
    view = render.picture(layer, input_shape=(1, 2, 2), view="scatter")
    assert view.storyboard.tour is None and len(view) == 8 + 3


def test_step_output_keeps_every_stamp():
    """The full walk as before: a frame per stamp, in the trace's scatter order."""
    view = render.picture(SMALL, input_shape=SMALL_SHAPE, view="scatter", step="output")
    board, t = view.storyboard, view.trace
    assert board.tour is None and len(view) == 64 + 3
    assert sum(render.durations(view)) == 1200 + 65 * 700 + 2500
    stamps = [board.stamp(board.frame(i)) for i in range(1, 65)]
    assert all(board.block(board.frame(i)) is None for i in range(len(view)))
    assert [(s.in_channel, s.position, s.out_channel) for s in stamps] == [
        (ic, pos, oc) for ic in range(2) for pos in np.ndindex(4, 4) for oc in range(2)]
    assert [s.start for s in stamps] == list(range(0, t.num_scatter_macs, 16))


def _stamped(trace, upto) -> tuple[np.ndarray, np.ndarray]:
    """Sums and stamp counts on the canvas (the output before padding crops it) after every
    stamp in scatter order up to the stamp ``upto`` = (n, in_channel, position, out channel),
    computed from x and the weight alone."""
    t = trace
    spec = t.spec
    crop = [pb for pb, _ in t.pads]
    shape = tuple(max((i - 1) * s + d * (k - 1) + 1, pb + o) for i, s, d, k, pb, o in zip(
        t.in_spatial, spec.stride, t.dilation, t.kernel_size, crop, t.out_spatial))
    sums = np.zeros((t.batch, t.out_channels, *shape))
    hits = np.zeros(sums.shape, dtype=int)
    for n, ic, *pos in np.ndindex(*t.x.shape):
        for ocl in range(t.out_per_group):
            oc = ic // t.in_per_group * t.out_per_group + ocl
            if (n, ic, tuple(pos), ocl) > (upto[0], upto[1], upto[2], upto[3] % t.out_per_group):
                return sums, hits
            for k in np.ndindex(*t.kernel_size):
                cell = tuple(p * s + kk * d for p, s, kk, d in zip(pos, spec.stride, k, t.dilation))
                sums[(n, oc, *cell)] += t.x[(n, ic, *pos)] * t.weight[(ic, ocl, *k)]
                hits[(n, oc, *cell)] += 1
    return sums, hits


def _texts_at(view, index) -> dict:
    scene = view.scene(index)
    return {(round(i.x, 3), round(i.y, 3)): i.text for i in scene.settled + scene.dynamic
            if isinstance(i, Text)}


EXACT = [
    (SMALL, SMALL_SHAPE, {}),
    (convgif.ConvTranspose2d(4, 4, 3, stride=2, groups=2), (4, 4, 4), {}),
    (convgif.ConvTranspose1d(2, 3, 3, stride=2, padding=1), (2, 16), {}),
    (convgif.ConvTranspose2d(12, 2, 3, stride=2), (12, 2, 2), {}),  # inputs left out
    (convgif.ConvTranspose2d(4, 4, 2, stride=2), (4, 4, 4), {"channels": [1, 3]}),
]


@pytest.mark.parametrize("layer, shape, options", EXACT)
def test_every_tour_frame_shows_the_sums_of_the_stamps_so_far(layer, shape, options):
    """Each step frame, walked or a block, writes on every output cell drawn the sum of all
    stamps up to its last one (computed here from x and w), and nothing where none landed."""
    view = render.picture(layer, input_shape=shape, view="scatter", values="numbers",
                          **options)
    board, t = view.storyboard, view.trace
    assert board.tour is not None and any(board.block(board.frame(i))
                                          for i in range(1, len(view) - 1))
    for index in range(1, board.steps + 1):
        block = board.block(board.frame(index))
        if block:  # up to its last cell's stamp onto its last output channel
            position = tuple(int(p) for p in np.unravel_index(block.cells[-1], t.in_spatial))
            last = (block.n, block.in_channel, position, block.out_channels[-1])
        else:
            stamp = board.stamp(board.frame(index))
            last = (stamp.n, stamp.in_channel, stamp.position, stamp.out_channel)
        sums, hits = _stamped(t, last)
        texts = _texts_at(view, index)
        for oc, grid in view.layout.outputs.items():
            for pos in np.ndindex(*sums.shape[2:]):
                g, r, c = at(grid, pos)
                shown = texts.get(tuple(round(v, 3) for v in g.center(r, c)))
                want = fmt(sums[(last[0], oc, *pos)]) if hits[(last[0], oc, *pos)] else None
                assert shown == want, (index, oc, pos)
        check_frame(view, index, roles=expected_scatter_roles)  # what is lit
    bias = board.steps + 1
    if t.spec.bias:
        assert board.frame(bias).phase == "bias"
        check_frame(view, bias, roles=expected_scatter_roles)
    assert board.frame(len(view) - 1).phase == "close"


def test_block_frames_stamp_whole_rows_of_an_input_channel():
    view = render.picture(SMALL, input_shape=SMALL_SHAPE, view="scatter")
    board = view.storyboard
    assert len(view) == 38 and sum(render.durations(view)) == 28_900
    blocks = [board.block(board.frame(i)) for i in range(len(view))]
    # x[0]'s 32 stamps one by one, then x[1] in three frames of whole rows, + b, done
    assert [i for i, b in enumerate(blocks) if b] == [33, 34, 35]
    assert [(b.in_channel, b.cells, b.stamps, b.out_channels) for b in blocks if b] == [
        (1, range(0, 8), 16, (0, 1)), (1, range(8, 12), 8, (0, 1)),
        (1, range(12, 16), 8, (0, 1))]
    assert [board.stamp(board.frame(i)).in_channel for i in range(1, 33)] == [0] * 32
    assert board.frame(36).phase == "bias" and board.frame(37).phase == "close"


def test_block_captions_say_what_was_stamped_and_skipped():
    view = render.picture(SMALL, input_shape=SMALL_SHAPE, view="scatter")
    opening = view.scene(0).texts()
    assert "Scatter view: each input cell stamps value \u00d7 kernel onto the output; " \
           "overlapping stamps add up." in opening
    assert "x[0]'s stamps one by one, then the rest a block at a time (step 'output' shows " \
           "each stamp)." in opening
    for index, rows, count in ((33, "rows 0\u20131", 16), (35, "row 3", 8)):
        texts = view.scene(index).texts()
        assert f"x[1] {rows}: {count} stamps at once, each cell onto y[0], y[1]; overlaps " \
               "add up." in texts
        assert "(Frames skipped: step 'output' shows each stamp.)" in texts
    # a first input channel walked in part says how much; left-out channels are named
    part = render.picture(convgif.ConvTranspose2d(2, 4, 3, stride=2), input_shape=(2, 6, 6),
                          view="scatter")
    board = part.storyboard
    first = next(i for i in range(len(part)) if board.block(board.frame(i)))
    walked = board.block(board.frame(first)).walked
    assert 0 < walked < 36 * 4 and walked % 4 == 0
    assert f"The first {walked} stamps of x[0] one by one, then the rest a block at a time " \
           "(step 'output' shows each stamp)." in part.scene(0).texts()
    assert any(t.endswith(f"x[0]'s first {walked} stamps had a frame each.)")
               for t in part.scene(first).texts())
    hidden = render.picture(convgif.ConvTranspose2d(12, 2, 3, stride=2), input_shape=(12, 2, 2),
                            view="scatter")
    after = [i for i in range(len(hidden)) if (b := hidden.storyboard.block(
        hidden.storyboard.frame(i))) and b.in_channel == 11 and b.cells.start == 0]
    assert "(Frames skipped: step 'output' shows each stamp; the sums also took in the 4 " \
           "input channels left out.)" in hidden.scene(after[0]).texts()


@pytest.mark.parametrize("layer, shape, options", EXACT)
def test_scatter_tour_walk_equals_random_access(layer, shape, options):
    view = render.picture(layer, input_shape=shape, view="scatter", **options)
    assert view.storyboard.tour is not None
    _walk_matches_each_frame(view, list(range(len(view))))
    _walk_matches_each_frame(view, spread(len(view), 7))
    # backwards: each frame starts its sums anew and still paints the same
    fresh = render.picture(layer, input_shape=shape, view="scatter", **options)
    painter = render.painter_for(view)
    for i in reversed(range(len(view))):
        assert np.array_equal(painter.paint(view.scene(i)), painter.paint(fresh.scene(i)))


def test_scatter_tour_budget_leaves_room_for_the_bias_frame():
    """The bias frame is a step frame too: the tour takes one frame fewer with a bias."""
    steps = steps_within("auto")
    for bias in (True, False):
        layer = convgif.ConvTranspose2d(4, 4, 3, stride=2, bias=bias)
        board = ScatterStoryboard(layer.trace(layer.example_input((4, 7, 7))))
        assert len(board.tour) <= steps - bias
        assert len(board) == len(board.tour) + 2 + bias
