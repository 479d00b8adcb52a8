"""The storyboard against the trace: frame counts, indexing, which MACs each frame shows."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convgif
from convgif.errors import ConvGifError
from convgif.frames.storyboard import Storyboard

MODES = ["zeros", "reflect", "replicate", "circular"]
STEPS = ["output", "channel", "mac"]


def cell_status(board, state, n: int, out_channel: int, position) -> str:
    """'done', 'active' or 'todo' for an output cell in a frame, from the storyboard's slots.

    Cells outside ``outputs`` stay 'todo' to the end: a picture never shows a value it
    did not animate.
    """
    if not all(p in r for p, r in zip(position, board.region)):
        return "todo"
    if state.phase != "step":
        return "done" if state.phase == "close" else "todo"
    if not board.animates(out_channel):
        return "todo"
    local = board.locals.index(out_channel % board.trace.out_per_group)
    inside = tuple(p - r.start for p, r in zip(position, board.region))
    slot = int(np.ravel_multi_index((n, local, *inside), board.slot_shape))
    return "done" if slot < state.slot else ("active" if slot == state.slot else "todo")


@st.composite
def conv_traces(draw):
    """A small Conv1d / Conv2d / ConvTranspose2d / pooling layer on an integer input it accepts."""
    kind = draw(st.sampled_from(["conv1d", "conv2d", "conv2d", "conv_t", "max"]))
    nd = 1 if kind == "conv1d" else 2
    k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    s = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    d = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    seed = draw(st.integers(0, 100))
    if kind in ("conv1d", "conv2d"):
        g = draw(st.integers(1, 3))
        p = tuple(draw(st.integers(0, 2)) for _ in range(nd))
        cls = convgif.Conv1d if nd == 1 else convgif.Conv2d
        layer = cls(g * draw(st.integers(1, 2)), g * draw(st.integers(1, 2)), k, s, p, d,
                    groups=g, bias=draw(st.booleans()),
                    padding_mode=draw(st.sampled_from(MODES)), seed=seed)
        low = [max(di * (ki - 1) + 1 - 2 * pi, pi + 1) for ki, di, pi in zip(k, d, p)]
    elif kind == "conv_t":
        g = draw(st.integers(1, 2))
        layer = convgif.ConvTranspose2d(g, g * draw(st.integers(1, 2)), k, s, 0, groups=g,
                                        dilation=d, seed=seed)
        low = [1, 1]
    else:
        layer = convgif.MaxPool2d(k, s, 0, d)
        low = [di * (ki - 1) + 1 for ki, di in zip(k, d)]
    c = layer.spec.in_channels or draw(st.integers(1, 2))
    batch = draw(st.sampled_from([(), (2,)]))
    shape = (*batch, c, *(lo + draw(st.integers(0, 2)) for lo in low))
    x = np.random.default_rng(seed).integers(-3, 4, shape).astype(np.float64)
    return layer.trace(x)


def expected_substeps(trace, step):
    return {"output": 1, "channel": trace.in_per_group, "mac": trace.macs_per_cell}[step]


@settings(max_examples=60)
@given(conv_traces(), st.sampled_from(STEPS))
def test_frame_count(trace, step):
    board = Storyboard(trace, step)
    slots = trace.batch * (trace.out_channels // trace.groups) * math.prod(trace.out_spatial)
    assert board.slots == slots
    assert len(board) == slots * expected_substeps(trace, step) + 2


@settings(max_examples=40)
@given(conv_traces(), st.sampled_from(STEPS))
def test_frame_equals_iteration_and_negative_indices(trace, step):
    board = Storyboard(trace, step)
    frames = list(board)
    count = len(board)
    assert len(frames) == count
    for i, state in enumerate(frames):
        assert state.index == i and state.count == count
        assert board.frame(i) == state
        assert board.frame(i - count) == state
    assert frames[0].phase == "open" and frames[0].cells == ()
    assert frames[-1].phase == "close" and frames[-1].cells == ()
    assert all(f.phase == "step" for f in frames[1:-1])


@settings(max_examples=20)
@given(conv_traces(), st.sampled_from(STEPS))
def test_out_of_range_frame(trace, step):
    board = Storyboard(trace, step)
    count = len(board)
    for bad in (count, count + 5, -count - 1):
        with pytest.raises(ConvGifError, match=f"frame={bad}"):
            board.frame(bad)


def test_bad_step():
    trace = convgif.Conv2d(1, 1, 2).trace(np.ones((1, 3, 3)))
    with pytest.raises(ConvGifError, match="step='pixel'"):
        Storyboard(trace, "pixel")


@settings(max_examples=60)
@given(conv_traces(), st.sampled_from(STEPS))
def test_cells_cover_the_macs(trace, step):
    """Each step frame writes one cell per group; the frames of a slot walk its MACs in order."""
    board = Storyboard(trace, step)
    sub = expected_substeps(trace, step)
    per_frame = trace.macs_per_cell // sub
    out_pg = trace.out_channels // trace.groups
    seen = {}  # (n, out_channel, position) -> list of (start, stop)
    for state in list(board)[1:-1]:
        slot, k = divmod(state.index - 1, sub)
        assert state.slot == slot
        assert state.finishes == (k == sub - 1)
        n, local, *pos = np.unravel_index(slot, (trace.batch, out_pg, *trace.out_spatial))
        assert state.n == n and state.position == tuple(int(p) for p in pos)
        # groups side by side: one cell per group, in group order
        assert [c.group for c in state.cells] == list(range(trace.groups))
        assert [c.out_channel for c in state.cells] == [
            g * out_pg + local for g in range(trace.groups)
        ]
        for cell in state.cells:
            first = trace.cell_start(int(n), cell.out_channel, *state.position)
            assert (cell.cell_start, cell.cell_stop) == (first, first + trace.macs_per_cell)
            assert cell.stop - cell.start == per_frame
            assert (cell.start - first) == k * per_frame
            macs = trace.macs(cell.start, cell.stop)
            assert (macs["n"] == n).all()
            assert (macs["out_channel"] == cell.out_channel).all()
            assert (macs["group"] == cell.group).all()
            for name, p in zip(("oy", "ox")[-trace.ndim:], state.position):
                assert (macs[name] == p).all()
            if step == "channel":  # one input channel per frame
                assert macs["in_channel"].tolist() == [
                    cell.group * trace.in_per_group + k
                ] * per_frame
            seen.setdefault((int(n), cell.out_channel, state.position), []).append(
                (cell.start, cell.stop)
            )
    # every output cell is written, by consecutive frames whose union is its MACs, in order
    assert len(seen) == trace.num_cells
    for (n, oc, pos), ranges in seen.items():
        first = trace.cell_start(n, oc, *pos)
        bounds = [first] + [stop for _, stop in ranges]
        assert [start for start, _ in ranges] == bounds[:-1]
        assert bounds[-1] == first + trace.macs_per_cell
        whole = np.concatenate([trace.macs(a, b) for a, b in ranges])
        np.testing.assert_array_equal(whole, trace.cell_macs(n, oc, *pos))
        # the running sum at the end of the last frame plus bias is the output
        last = trace.macs(ranges[-1][1] - 1, ranges[-1][1])
        if trace.spec.op == "conv" or trace.spec.op == "conv_transpose":
            assert last["running_sum"][0] + trace.bias[oc] == trace.y[(n, oc, *pos)]


@settings(max_examples=40)
@given(conv_traces(), st.sampled_from(STEPS), st.data())
def test_cell_status(trace, step, data):
    board = Storyboard(trace, step)
    out_pg = trace.out_channels // trace.groups
    shape = (trace.batch, out_pg, *trace.out_spatial)
    indices = data.draw(
        st.lists(st.integers(0, len(board) - 1), min_size=1, max_size=4), label="frames"
    )
    for i in [0, len(board) - 1, *indices]:
        state = board.frame(i)
        active = {(state.n, c.out_channel, state.position) for c in state.cells}
        for n in range(trace.batch):
            for oc in range(trace.out_channels):
                for pos in np.ndindex(*trace.out_spatial):
                    status = cell_status(board, state, n, oc, pos)
                    slot = int(np.ravel_multi_index((n, oc % out_pg, *pos), shape))
                    if state.phase == "open":
                        assert status == "todo"
                    elif state.phase == "close":
                        assert status == "done"
                    elif (n, oc, pos) in active:
                        assert status == "active"
                    elif slot < state.slot:
                        assert status == "done"
                    else:
                        assert status == "todo"
                    assert (status == "done") == (
                        state.phase == "close" or (state.phase == "step" and slot < state.slot)
                    )


def test_known_small_case():
    """Conv2d(2, 2, 2, groups=2) on (2, 3, 3): 4 slots, both groups at once."""
    trace = convgif.Conv2d(2, 2, 2, groups=2).trace(np.arange(18.0).reshape(2, 3, 3))
    board = Storyboard(trace, "channel")
    assert len(board) == 4 * 1 + 2
    state = board.frame(-2)
    assert state.position == (1, 1) and state.finishes
    assert [(c.out_channel, c.group) for c in state.cells] == [(0, 0), (1, 1)]
    assert [(c.start, c.stop) for c in state.cells] == [(12, 16), (28, 32)]
    mac = Storyboard(trace, "mac")
    assert len(mac) == 4 * 4 + 2
    assert [(c.start, c.stop) for c in mac.frame(2).cells] == [(1, 2), (17, 18)]


def test_outputs_are_ranges_checked_against_the_output():
    """The storyboard takes a region as ranges (the boundary reads text) and refuses one
    past the output, naming the parameter so each front door can spell it."""
    trace = convgif.Conv2d(1, 1, 3).trace(np.zeros((1, 5, 5)))
    board = Storyboard(trace, outputs=(range(1, 3), range(0, 1)))
    assert board.region == (range(1, 3), range(0, 1))
    assert len(board) == 2 * 1 + 2
    with pytest.raises(ConvGifError, match=r"^outputs=\(range\(0, 4\), range\(0, 1\)\): rows "
                       r"0-3 must lie in 0\.\.2 \(the output has 3 rows\)$") as caught:
        Storyboard(trace, outputs=(range(0, 4), range(0, 1)))
    assert caught.value.param == "outputs"
    with pytest.raises(ConvGifError, match="gives 1 range"):
        Storyboard(trace, outputs=(range(0, 2),))
