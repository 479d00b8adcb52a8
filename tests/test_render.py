"""The renderer, checked against the trace: which cells are lit in which frame, texts, files.

Pictures are never compared with stored pictures: each expectation is derived
from the trace (the MACs a frame shows) and the layout (where a cell is), and
checked on the painted palette indices.
"""

from __future__ import annotations

import ast
import math
import subprocess
import sys
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image

import convgif
from convgif.api import render
from convgif.api.kinds import parse_layer
from convgif.backends.raster import RasterPainter
from convgif.errors import ConvGifError
from convgif.simulate.trace import DATA, INSERTED, OVERFLOW, PAD, PAD_COPY
from convgif.views.gather import GatherPicture
from convgif.views.options import Options
from convgif.views.scene import Text
from convgif.views.text import fmt

MODES = ["zeros", "reflect", "replicate", "circular"]
KIND_ROLE = {DATA: "input", PAD: "pad", PAD_COPY: "pad_copy", INSERTED: "inserted",
             OVERFLOW: "paper"}


@cache
def painter(style: str = "default") -> RasterPainter:
    return RasterPainter(style, 1.0)


@st.composite
def conv_layers(draw):
    """A small Conv1d / Conv2d / Conv3d (channels 1..3, groups, stride, padding and its
    modes, dilation, bias on or off) and an input shape it accepts."""
    nd = draw(st.sampled_from([1, 2, 2, 3]))
    k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    s = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    d = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    p = tuple(draw(st.integers(0, 2)) for _ in range(nd))
    g = draw(st.integers(1, 3))
    c_in = g * draw(st.integers(1, 3 // g))
    c_out = g * draw(st.integers(1, 3 // g))
    cls = (convgif.Conv1d, convgif.Conv2d, convgif.Conv3d)[nd - 1]
    layer = cls(c_in, c_out, k, s, p, d, groups=g, bias=draw(st.booleans()),
                padding_mode=draw(st.sampled_from(MODES)), seed=draw(st.integers(0, 50)))
    low = [max(di * (ki - 1) + 1 - 2 * pi, pi + 1) for ki, di, pi in zip(k, d, p)]
    spatial = tuple(lo + draw(st.integers(0, 2)) for lo in low)
    return layer, (c_in, *spatial)


@st.composite
def transposed_layers(draw):
    """A small ConvTranspose1d / ConvTranspose2d (groups, stride, padding, output_padding,
    dilation, bias on or off) and an input shape whose output is not empty."""
    nd = draw(st.sampled_from([1, 2, 2]))
    k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    s = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    d = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    p = tuple(draw(st.integers(0, 2)) for _ in range(nd))
    op = tuple(draw(st.integers(0, max(si, di) - 1)) for si, di in zip(s, d))
    spatial = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    assume(all((n - 1) * si - 2 * pi + di * (ki - 1) + oi + 1 > 0
               for n, si, pi, di, ki, oi in zip(spatial, s, p, d, k, op)))
    g = draw(st.integers(1, 2))
    c_in, c_out = g * draw(st.integers(1, 2)), g * draw(st.integers(1, 2))
    cls = (convgif.ConvTranspose1d, convgif.ConvTranspose2d)[nd - 1]
    layer = cls(c_in, c_out, k, stride=s, padding=p, output_padding=op, groups=g, dilation=d,
                bias=draw(st.booleans()), seed=draw(st.integers(0, 50)))
    return layer, (c_in, *spatial)


@st.composite
def pool_layers(draw):
    """A small MaxPool2d (dilation) or AvgPool2d (count_include_pad), both with padding
    and ceil_mode, and an input shape it accepts."""
    k = tuple(draw(st.integers(1, 3)) for _ in range(2))
    s = tuple(draw(st.integers(1, 3)) for _ in range(2))
    p = tuple(draw(st.integers(0, ki // 2)) for ki in k)
    ceil = draw(st.booleans())
    if draw(st.booleans()):
        d = tuple(draw(st.integers(1, 2)) for _ in range(2))
        layer = convgif.MaxPool2d(k, s, p, d, ceil_mode=ceil, seed=draw(st.integers(0, 50)))
    else:
        d = (1, 1)
        layer = convgif.AvgPool2d(k, s, p, ceil_mode=ceil, count_include_pad=draw(st.booleans()),
                                  seed=draw(st.integers(0, 50)))
    low = [max(di * (ki - 1) + 1 - 2 * pi, 1) for ki, di, pi in zip(k, d, p)]
    return layer, (draw(st.integers(1, 2)), *(lo + draw(st.integers(0, 2)) for lo in low))


def at(grid, position) -> tuple:
    """(grid, row, col) of a cell; a 3-d position is a cell of one depth slice."""
    position = tuple(int(v) for v in position)
    if len(position) == 3:
        return (grid.slice(position[0]), *position[1:])
    return (grid, *((0, position[0]) if len(position) == 1 else position))


def probes(grid, r, c, values: bool):
    """Pixels (x, y) that show a cell's fill: its centre when no value is written there,
    and always a point 2 px inside its top-left corner (clear of outlines and text)."""
    x, y, _, _ = grid.rect(r, c)
    points = [(math.floor(x + 0.5) + 2, math.floor(y + 0.5) + 2)]
    if not values:
        cx, cy = grid.center(r, c)
        points.append((math.floor(cx), math.floor(cy)))
    return points


def pool_takes(spec, kind: int) -> bool:
    """Whether a pool's result takes a window cell of this kind, as PyTorch computes it:
    never ceil_mode's overhang past the input; padding only into an average that counts it
    (a maximum's padding is −∞)."""
    if kind == PAD:
        return spec.op == "avg_pool" and spec.count_include_pad
    return kind != OVERFLOW


def expected_roles(pic: GatherPicture, index: int):
    """role per (panel, key, r, c), derived from the trace's MACs of frame ``index``."""
    t, lay, board = pic.trace, pic.layout, pic.storyboard
    state = board.frame(index)
    taps, kernel_taps, finished, winners = set(), set(), set(), set()
    for cell in state.cells:
        for m in t.macs(cell.start, cell.stop):
            ipos = tuple(int(m[f]) for f in t.input_fields)
            kpos = tuple(int(m[f]) for f in t.kernel_fields)
            if t.kernel is None and not pool_takes(t.spec, int(t.grid_kind[ipos])):
                continue  # a pool lights only the cells its result takes
            taps.add((int(m["in_channel"]), ipos))
            kernel_taps.add((cell.out_channel, int(m["in_channel"]) % t.in_per_group, kpos))
        if t.spec.op == "max_pool":
            # the running maximum: the first cell so far holding it, marked whether it is
            # tapped in this frame or was in an earlier one (a pool walked tap by tap)
            so_far = t.macs(cell.cell_start, cell.stop)
            m = so_far[int(np.argmax(so_far["x"]))]
            winners.add((int(m["in_channel"]), tuple(int(m[f]) for f in t.input_fields)))
        if cell.stop == cell.cell_stop:
            finished.add(cell.out_channel)
    block = state.block  # a tour's frame: the channel's kernels and bias lit, no window
    if block is not None:
        for oc in block.out_channels:
            kernel_taps.update((oc, icl, kpos) for icl in range(t.in_per_group)
                               for kpos in np.ndindex(*t.kernel_size))
            finished.add(oc)
    roles = {}
    for ch, grid in lay.inputs.items():
        for pos in np.ndindex(*t.grid_kind.shape):
            # a thin slice (all zeros) draws one cell a row: lit when any of the row is
            row = [pos]
            if len(pos) == 3 and pos[0] in grid.thin:
                if pos[2]:
                    continue
                row = [(*pos[:2], c) for c in range(t.grid_kind.shape[2])]
            tapped = any((ch, p) in taps for p in row)
            role = "tap" if tapped else KIND_ROLE[int(t.grid_kind[pos])]
            if any((ch, p) in winners for p in row):
                role = "winner"
            roles[("input", ch, pos)] = (*at(grid, pos), role)
    for (oc, icl), grid in lay.kernels.items():
        for pos in np.ndindex(*t.kernel_size):
            role = "kernel_active" if (oc, icl, pos) in kernel_taps else "weight"
            roles[("kernel", (oc, icl), pos)] = (*at(grid, pos), role)
    for oc, grid in lay.biases.items():
        if not t.spec.bias:
            role = "paper"  # a layer without a bias draws none
        else:
            role = "kernel_active" if oc in finished else "bias"
        roles[("bias", oc, (0, 0))] = (grid, 0, 0, role)
    active = {c.out_channel for c in state.cells}
    out_pg = t.out_per_group
    for oc, grid in lay.outputs.items():
        for pos in np.ndindex(*t.out_spatial):
            if state.phase == "close":
                role = "output"
            elif state.phase == "open":
                role = "output_empty"
            else:
                walked = board.locals  # the channels of a group that frames walk
                slot = np.ravel_multi_index(
                    (state.n, walked.index(oc % out_pg), *pos),
                    (t.batch, len(walked), *t.out_spatial),
                ) if oc % out_pg in walked else state.slot
                flat = int(np.ravel_multi_index(pos, t.out_spatial))
                if block is not None and oc in block.out_channels:
                    role = ("output_active" if block.start <= flat < block.stop else
                            "output" if flat < block.start else "output_empty")
                elif oc in active and pos == state.position:
                    role = "output_active"
                elif slot < state.slot:
                    role = "output"
                else:
                    role = "output_empty"
            roles[("output", oc, pos)] = (*at(grid, pos), role)
    return roles


def expected_scatter_roles(pic: GatherPicture, index: int):
    """role per (panel, key, r, c) of a scatter-view frame, from the trace's scatter MACs:
    the stamping input cell (a tour's block frame: its cells), its kernel (the block's
    kernels), the output cells its stamps land on, the cells earlier stamps reached (dashed
    "pad" where padding crops them); the bias lit in the frame that adds it (after the last
    stamp), and only there."""
    t, lay = pic.trace, pic.layout
    state = pic.storyboard.frame(index)
    block = pic.storyboard.block(state)
    stamp = pic.storyboard.stamp(state) if state.phase == "step" and not block else None
    n = (stamp or block).n if stamp or block else (t.batch - 1 if state.phase == "bias" else 0)
    crop = [pb for pb, _ in t.pads]
    canvas_shape = tuple(max((i - 1) * s + d * (k - 1) + 1, pb + o) for i, s, d, k, pb, o in zip(
        t.in_spatial, t.spec.stride, t.dilation, t.kernel_size, crop, t.out_spatial))
    lit = stamp or block
    stop = lit.stop if lit else (t.num_scatter_macs if state.phase in ("close", "bias") else 0)
    reached, landing = set(), set()
    for i, m in enumerate(t.scatter_macs(0, stop)):
        if int(m["n"]) == n:
            pos = tuple(int(m[f]) + pb for f, pb in zip(t.output_fields, crop))
            cell = (int(m["out_channel"]), pos)
            reached.add(cell)
            if lit and i >= lit.start:
                landing.add(cell)
    if block:
        taps = {(block.in_channel, tuple(int(p) for p in np.unravel_index(c, t.in_spatial)))
                for c in block.cells}
        kernels = {(oc, block.in_channel % t.in_per_group) for oc in block.out_channels}
    else:
        taps = {(stamp.in_channel, stamp.position)} if stamp else set()
        kernels = {(stamp.out_channel, stamp.in_channel % t.in_per_group)} if stamp else set()
    roles = {}
    for ch, grid in lay.inputs.items():
        for pos in np.ndindex(*t.in_spatial):
            role = "tap" if (ch, pos) in taps else "input"
            roles[("input", ch, pos)] = (*at(grid, pos), role)
    for (oc, icl), grid in lay.kernels.items():
        for pos in np.ndindex(*t.kernel_size):
            role = "kernel_active" if (oc, icl) in kernels else "weight"
            roles[("kernel", (oc, icl), pos)] = (*at(grid, pos), role)
    for oc, grid in lay.outputs.items():
        for pos in np.ndindex(*canvas_shape):
            inside = all(pb <= p < pb + o for p, pb, o in zip(pos, crop, t.out_spatial))
            if (oc, pos) in landing:
                role = "output_active"
            elif not inside:
                role = "pad"
            elif state.phase in ("close", "bias") or (oc, pos) in reached:
                role = "output"  # the bias reaches every cell, even those no stamp reached
            else:
                role = "output_empty"
            roles[("output", oc, pos)] = (*at(grid, pos), role)
    for oc, grid in lay.biases.items():
        if t.spec.bias:
            role = "kernel_active" if state.phase == "bias" else "bias"
            roles[("bias", oc, (0, 0))] = (grid, 0, 0, role)
    return roles


def check_frame(pic: GatherPicture, index: int, style: str = "default", roles=expected_roles):
    paint = painter(style)
    frame = paint.paint(pic.scene(index))
    assert frame.shape == (round(pic.layout.height), round(pic.layout.width))
    wrong = []
    for key, (grid, r, c, role) in roles(pic, index).items():
        want = paint.index(role)
        for x, y in probes(grid, r, c, pic.show_values):
            got = int(frame[y, x])
            if got != want:
                names = [r for r in ("tap", "winner", "input", "pad", "pad_copy", "inserted",
                                     "paper", "weight", "kernel_active", "bias", "output",
                                     "output_active", "output_empty")
                         if paint.index(r) == got]
                wrong.append((key, (x, y), role, names or got))
    assert not wrong, f"frame {index}: {len(wrong)} cells wrong, e.g. {wrong[:5]}"
    return frame


def sample_frames(data, count):
    extra = data.draw(st.lists(st.integers(1, count - 2), max_size=3, unique=True)
                      if count > 2 else st.just([]), label="frames")
    return [0, count - 1, *extra]


# --------------------------------------------------------------------------- pixels


@settings(max_examples=90, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(conv_layers(), transposed_layers(), pool_layers()),
       st.sampled_from(["output", "channel", "mac"]), st.booleans(), st.data())
def test_lit_cells_follow_the_trace(layer_shape, step, values, data):
    """Convolutions, transposed layers in the gather view (inserted zeros, the padding
    D·(K−1) − P, output_padding's cells) and pooling (the counted cells lit, the running
    maximum marked)."""
    layer, shape = layer_shape
    pic = render.picture(layer, input_shape=shape, step=step, values=values)
    for index in sample_frames(data, len(pic)):
        check_frame(pic, index)


@settings(max_examples=8, suppress_health_check=[HealthCheck.too_slow])
@given(conv_layers(), st.data())
def test_lit_cells_batched_input(layer_shape, data):
    layer, shape = layer_shape
    x = np.random.default_rng(0).integers(-2, 3, (2, *shape)).astype(np.float64)
    pic = GatherPicture(layer.trace(x), Options(values=False))
    for index in sample_frames(data, len(pic)):
        check_frame(pic, index)


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(transposed_layers(), st.booleans(), st.data())
def test_lit_cells_follow_the_trace_scatter(layer_shape, values, data):
    layer, shape = layer_shape
    pic = render.picture(layer, input_shape=shape, view="scatter", values=values)
    for index in sample_frames(data, len(pic)):
        check_frame(pic, index, roles=expected_scatter_roles)


@pytest.mark.parametrize("make, shape, options", [
    (lambda: convgif.ConvTranspose2d(1, 5, 3, stride=2), (1, 3, 3), {}),  # outputs hidden
    (lambda: convgif.ConvTranspose2d(8, 2, 3, stride=2), (8, 2, 2), {}),  # inputs hidden
    (lambda: convgif.ConvTranspose2d(8, 4, 2, groups=2), (8, 2, 2), {"channels": [1, 2]}),
    (lambda: convgif.ConvTranspose2d(1, 2, 3), (1, 3, 3), {"channels": [1]}),
])
def test_scatter_view_stamps_only_the_channels_drawn(make, shape, options):
    """Channels behind an ellipsis, or not chosen, never stamp: each frame's stamp comes
    from a drawn input channel onto a drawn output channel, lit as the trace says."""
    pic = render.picture(make(), input_shape=shape, view="scatter", shade=False, step="output",
                         **options)
    lay, t = pic.layout, pic.trace
    stamped = set()
    for index in range(len(pic)):
        check_frame(pic, index, roles=expected_scatter_roles)
        state = pic.storyboard.frame(index)
        if state.phase == "step":
            stamp = pic.storyboard.stamp(state)
            assert stamp.in_channel in lay.inputs and stamp.out_channel in lay.outputs
            stamped.add((stamp.in_channel, stamp.position, stamp.out_channel))
    # and every stamp between drawn channels has its frame
    expected = {(ic, pos, oc) for ic in lay.inputs for pos in np.ndindex(*t.in_spatial)
                for oc in lay.outputs if oc // t.out_per_group == ic // t.in_per_group}
    assert stamped == expected


def test_scatter_caption_says_when_left_out_channels_stamped():
    pic = render.picture(convgif.ConvTranspose2d(12, 2, 3, stride=2), input_shape=(12, 2, 2),
                         view="scatter", step="output")
    notes = {}
    for index in range(1, pic.storyboard.stamps + 1):
        stamp = pic.storyboard.stamp(pic.storyboard.frame(index))
        texts = [i.text for i in pic.scene(index).dynamic if isinstance(i, Text)]
        notes[(stamp.in_channel, stamp.position, stamp.out_channel)] = [
            line for line in texts if line.startswith("Since the last frame")]
    # x[0] … x[6], then "4 more", then x[11]: x[11]'s first stamp says so, once
    assert notes.pop((11, (0, 0), 0)) == [
        "Since the last frame, the sums also took in the stamps of the 4 input channels "
        "left out."]
    assert not any(notes.values())


def test_scatter_view_refuses_a_step_and_symbols():
    layer = convgif.ConvTranspose2d(1, 1, 3)
    with pytest.raises(ConvGifError, match="step='mac' does not apply to view='scatter'"):
        render.picture(layer, input_shape=(1, 2, 2), view="scatter", step="mac")
    with pytest.raises(ConvGifError, match="values='symbols' does not apply to view='scatter'"):
        render.picture(layer, input_shape=(1, 2, 2), view="scatter", values="symbols")


@pytest.mark.parametrize("layer, shape, note", [
    ("ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1)", (1, 3, 3),
     ": zeros inserted and padded to (1, 8, 8)"),
    ("ConvTranspose2d(1, 1, 3, stride=2, padding=3)", (1, 4, 4),
     ": zeros inserted and cropped to (1, 5, 5)"),  # P > D·(K−1): the grid is cropped
    ("ConvTranspose2d(1, 1, 3, stride=2, padding=2)", (1, 3, 3),
     ": zeros inserted, giving (1, 5, 5)"),
    ("ConvTranspose1d(1, 1, 3, padding=1)", (1, 3), ": padded to (1, 5)"),
    ("ConvTranspose2d(1, 1, 3, padding=2)", (1, 3, 3), ""),  # the grid is the input
])
def test_transposed_input_header_says_what_became_of_the_input(layer, shape, note):
    pic = render.picture(parse_layer(layer), input_shape=shape)
    texts = [i.text for i in pic.static if isinstance(i, Text)]
    assert f"input x {shape}{note}" in texts


def test_frames_animate_only_the_output_channels_drawn():
    """Conv2d(1, 12, 3): the layout draws y[0] … y[6], an ellipsis and y[11]; the frames
    walk those eight channels, not the four behind the ellipsis."""
    pic = render.picture(convgif.Conv2d(1, 12, 3), input_shape=(1, 5, 5), step="output",
                         shade=False)
    assert sorted(pic.layout.outputs) == [0, 1, 2, 3, 4, 5, 6, 11]
    assert len(pic) == 8 * 9 + 2
    for index in range(1, len(pic) - 1):
        cells = pic.storyboard.frame(index).cells
        assert cells and all(c.out_channel in pic.layout.outputs for c in cells)
        check_frame(pic, index)
    opening = [i.text for i in pic.scene(0).dynamic if isinstance(i, Text)]
    assert "every output cell of the channels shown" in " ".join(opening)  # wrapped lines


@pytest.mark.parametrize("layer, shape, view", [
    ("Conv2d(4, 4, 1, groups=4)", (4, 2, 2), "gather"),
    ("ConvTranspose2d(2, 4, 3, stride=(2, 1), groups=2)", (2, 3, 3), "scatter"),
    ("Conv2d(16, 8, 3, groups=2)", (16, 5, 5), "gather"),
    ("Conv2d(32, 32, 3, groups=32)", (32, 5, 5), "gather"),
    ("Conv2d(12, 12, 3, groups=12)", (12, 3, 3), "gather"),
])
def test_group_and_channel_labels_keep_clear(layer, shape, view):
    """A group's name (top right of its band) clears its last channel's `x[i]` (top left),
    and a row ellipsis' "N more" clears every band's border."""
    from convgif.views.layout import LABEL_SIZE
    from convgif.views.text import text_width

    pic = render.picture(parse_layer(layer), input_shape=shape, view=view)
    texts = [i for i in pic.static if isinstance(i, Text)]
    bands = pic.layout.bands
    assert bands
    for g, x, y, w, h in bands:
        name = next(i for i in texts if i.text == f"group {g}")
        name_left = name.x - text_width(name.text, name.size)
        inside = [i for i in texts if i.text.startswith("x[") and x < i.x < x + w
                  and y < i.y < y + h]
        assert inside and all(i.x + text_width(i.text, LABEL_SIZE) + 2 <= name_left
                              for i in inside), (g, [i.text for i in inside])
    rightmost = max(x + w for _, x, _, w, _ in bands)
    for more in (i for i in texts if i.text.endswith(" more") and i.anchor == "lm"):
        assert more.x > rightmost


@pytest.mark.parametrize("step", ["channel", "mac"])
def test_channel_and_mac_steps_walk_only_the_inputs_drawn(step):
    """Conv2d(12, 2, 2): x[7] … x[10] are behind the ellipsis, so no frame walks them:
    every step frame lights a drawn input cell (and the running sums stay true)."""
    pic = render.picture(convgif.Conv2d(12, 2, 2), input_shape=(12, 3, 3), step=step)
    assert sorted(pic.layout.inputs) == [0, 1, 2, 3, 4, 5, 6, 11]
    per_cell = 8 if step == "channel" else 8 * 4
    assert len(pic) == 2 + 2 * 4 * per_cell  # outputs 0, 1; 2x2 positions
    for index in range(1, len(pic) - 1):
        check_frame(pic, index)
        roles = expected_roles(pic, index)
        assert any(role == "tap" for key, (*_, role) in roles.items() if key[0] == "input")


def test_inputs_drawn_are_those_that_feed_the_outputs_drawn():
    """Depthwise, 12 channels: y[0] … y[6] and y[11] are drawn, so x[0] … x[6] and x[11],
    with an ellipsis that counts the four left out between them."""
    pic = render.picture(convgif.Conv2d(12, 12, 3, groups=12), input_shape=(12, 5, 5))
    assert sorted(pic.layout.inputs) == [0, 1, 2, 3, 4, 5, 6, 11] == sorted(pic.layout.outputs)
    texts = [i.text for i in pic.static if isinstance(i, Text)]
    assert texts.count("4 more") == 2  # between the inputs, and between the output rows
    # a chosen channel brings its input: the scatter view stamps from x[5] onto y[5]
    scatter = render.picture(convgif.ConvTranspose2d(12, 12, 2, groups=12),
                             input_shape=(12, 2, 2), view="scatter", channels=[5])
    assert sorted(scatter.layout.inputs) == [5] and len(scatter) == 2 + 4 + 1  # + b


def test_captions_name_a_pools_channels_and_skip_an_empty_crop_note():
    pool = render.picture(convgif.MaxPool2d(3, 2, 1), input_shape=(8, 5, 5))
    texts = [i.text for i in pool.scene(3).dynamic if isinstance(i, Text)]
    assert "… and the same for 7 more channels" in texts
    scatter = render.picture(convgif.ConvTranspose2d(1, 1, 3, stride=2), input_shape=(1, 2, 2),
                             view="scatter")
    texts = [i.text for i in scatter.scene(-1).dynamic if isinstance(i, Text)]
    assert "Done: 36 products stamped and the bias added give the output (1, 5, 5)." in texts
    assert not any("crops" in t for t in texts)  # P = 0: nothing is cropped


def _output_values(pic: GatherPicture, index: int) -> dict:
    """{(channel, position): number} of the values written in the output cells of a frame
    (the last text drawn at a cell's centre is the one seen)."""
    t, lay = pic.trace, pic.layout
    scene = pic.scene(index)
    at_centre = {(round(i.x, 3), round(i.y, 3)): i.text for i in scene.settled + scene.dynamic
                 if isinstance(i, Text)}
    values = {}
    for oc, grid in lay.outputs.items():
        for pos in np.ndindex(*t.out_spatial):
            g, r, c = at(grid, pos)
            x, y = g.center(r, c)
            values[(oc, pos)] = at_centre[(round(x, 3), round(y, 3))]
    return values


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(transposed_layers())
def test_scatter_view_builds_the_gather_views_output(layer_shape):
    """The scatter view's sums after its last stamp, plus the bias, are the numbers the
    gather view finishes with, and the trace's output; a layer with a bias adds it in a
    frame of its own after the last stamp, which shows those final numbers."""
    layer, shape = layer_shape
    gather = render.picture(layer, input_shape=shape, values=True)
    scatter = render.picture(layer, input_shape=shape, values=True, view="scatter")
    t = scatter.trace
    crop = [pb for pb, _ in t.pads]

    def shown(index):
        scene = scatter.scene(index)
        return {(round(i.x, 3), round(i.y, 3)): i.text for i in scene.settled + scene.dynamic
                if isinstance(i, Text)}

    # the last stamp's frame (the default tour's last step) shows the canvas (cropped cells
    # included) before the bias
    steps = scatter.storyboard.steps
    before = shown(steps)
    after = shown(steps + 1) if t.spec.bias else None
    assert len(scatter) == steps + 2 + bool(t.spec.bias)
    finished = _output_values(gather, len(gather) - 1)
    for oc, grid in scatter.layout.outputs.items():
        for pos in np.ndindex(*t.out_spatial):
            g, r, c = at(grid, tuple(p + pb for p, pb in zip(pos, crop)))
            x, y = g.center(r, c)
            key = (round(x, 3), round(y, 3))
            summed = float(before.get(key, "0").replace("\u2212", "-"))
            assert fmt(summed + t.bias[oc]) == finished[(oc, pos)] == fmt(t.y[(0, oc, *pos)])
            if after is not None:
                assert after[key] == finished[(oc, pos)]


@pytest.mark.parametrize("style", ["default", "classic", "dark"])
@pytest.mark.parametrize("step", ["output", "channel", "mac"])
def test_every_frame_of_the_default_layer(style, step):
    layer = convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)
    pic = render.picture(layer, input_shape=(3, 7, 7), step=step)
    assert pic.show_values  # small layer: values on by default
    frames = range(len(pic)) if step != "mac" else [0, 1, 2, 27, 28, 100, -2, -1]
    for i in frames:
        check_frame(pic, i, style)


def test_conv3d_window_lights_exactly_the_slices_it_taps():
    """Depth slices side by side: the window is outlined on the tapped slices only."""
    from convgif.views.scene import Box

    layer = convgif.Conv3d(2, 2, (2, 2, 2), stride=(1, 2, 1), padding=(1, 0, 1),
                           dilation=(2, 1, 1))
    pic = render.picture(layer, input_shape=(2, 4, 3, 3), values="numbers")
    t = pic.trace
    assert pic.show_values
    for i in range(len(pic)):
        check_frame(pic, i)
        state = pic.storyboard.frame(i)
        if state.phase != "step":
            continue
        window = {(round(b.x, 3), round(b.y, 3)) for b in pic.scene(i).dynamic
                  if isinstance(b, Box) and b.edge == "window" and b.fill is None}
        d0 = state.position[0] * t.stride[0]
        for ch, grid in pic.layout.inputs.items():
            for d in range(grid.depth):
                sub = grid.slice(d)
                x, y, _, _ = sub.span(state.position[1] * t.stride[1], state.position[2], 0, 0)
                tapped = d in (d0, d0 + t.dilation[0])
                assert ((round(x, 3), round(y, 3)) in window) == tapped, (i, ch, d)


# --------------------------------------------------------------------------- texts


def _title_parts(trace):
    spec = trace.spec
    shape = trace.x.shape[1:] if trace.output.ndim == trace.ndim + 1 else trace.x.shape
    parts = [
        f"Input shape: {tuple(shape)}",
        f"Output shape: {tuple(trace.output.shape)}",
        f"K: {tuple(spec.kernel_size)}",
        f"P: {tuple(b for b, _ in trace.pads)}",
        f"S: {tuple(spec.stride)}",
        f"D: {tuple(spec.dilation)}",
        f"G: {spec.groups}",
    ]
    if spec.padding_mode != "zeros":
        parts.append(f"padding_mode: {spec.padding_mode}")
    return parts


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(conv_layers(), st.sampled_from(["output", "channel", "mac"]), st.data())
def test_title_and_caption(layer_shape, step, data):
    layer, shape = layer_shape
    pic = render.picture(layer, input_shape=shape, step=step)
    t = pic.trace
    for index in sample_frames(data, len(pic)):
        texts = pic.scene(index).texts()
        lines = [s for s in texts if s.startswith("Input shape:") or s.startswith("K:")
                 or "Output shape:" in s]
        joined = " | ".join(lines)
        for part in _title_parts(t):
            assert part in joined, (part, joined)
        state = pic.storyboard.frame(index)
        captions = [s for s in texts if s.startswith("y[") and " = " in s]
        if state.phase != "step":
            assert captions == []
            continue
        shown = state.cells if t.groups <= 2 else state.cells[:1]
        assert len(captions) == len(shown)
        for cell, caption in zip(shown, captions):
            index_text = ", ".join(str(v) for v in (cell.out_channel, *state.position))
            assert caption.startswith(f"y[{index_text}] = ")
            if state.finishes:
                value = t.y[(state.n, cell.out_channel, *state.position)]
                assert caption.endswith(f" = {fmt(value)}"), caption
                assert t.spec.bias == caption.endswith(f" + b = {fmt(value)}")
            else:
                so_far = t.macs(cell.stop - 1, cell.stop)["running_sum"][0]
                assert caption.endswith(f" = {fmt(so_far)}   (so far)"), caption


def test_title_of_the_default_layer():
    layer = convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)
    pic = render.picture(layer, input_shape=(3, 7, 7))
    joined = " ".join(pic.scene(0).texts())
    for part in ("Input shape: (3, 7, 7)", "Output shape: (2, 3, 3)", "K: (3, 3)",
                 "P: (1, 1)", "S: (2, 2)", "D: (2, 2)", "G: 1"):
        assert part in joined
    last = pic.scene(-2).texts()
    assert any(s.startswith("y[1, 2, 2] = ") and s.endswith(f"= {fmt(pic.trace.y[0, 1, 2, 2])}")
               for s in last)


@pytest.mark.parametrize("layer, shape, written", [
    (convgif.Conv2d(1, 1, 3, padding=((0, 2), (1, 0))), (1, 5, 5), "((0, 2), (1, 0))"),
    (convgif.Conv1d(1, 1, 3, padding=((0, 2),)), (1, 5), "((0, 2),)"),
    (convgif.keras.Conv2D(1, 3, strides=2, padding="same"), (6, 6, 1), "((0, 1), (0, 1))"),
    (convgif.Conv2d(1, 1, 3, padding=(1, 2)), (1, 5, 5), "(1, 2)"),
])
def test_title_writes_asymmetric_padding_as_pairs(layer, shape, written):
    """Asymmetric padding reads as (before, after) per axis, as convgif spells it in
    ``padding=((0, 2), (1, 0))``, never flattened like a torch tuple; ``info`` lists the
    same pairs, and the pairs written rebuild a layer with the same padding."""
    from convgif.layers.info import describe, format_text

    pic = render.picture(layer, input_shape=shape)
    parts = " — ".join(pic.scene(0).texts()[:2]).replace("\n", " ")
    assert f"P: {written} — S:" in parts, parts
    pads = pic.trace.pads
    info = describe(layer, shape)
    assert [tuple(p) for p in info["padding"]] == [tuple(p) for p in pads]
    assert f"(before, after) per axis: {', '.join(map(str, pads))}" in format_text(info)
    if written.startswith("(("):
        ndim = len(pads)
        kind = convgif.Conv1d if ndim == 1 else convgif.Conv2d
        rebuilt = kind(1, 1, 3, padding=ast.literal_eval(written))
        assert rebuilt.trace(np.ones((1,) + (6,) * ndim)).pads == pads


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_padding_cells_show_their_role_and_value(mode, nd):
    if nd == 1:
        layer = convgif.Conv1d(2, 1, 3, padding=2, padding_mode=mode)
        shape = (2, 5)
    elif nd == 3:
        layer = convgif.Conv3d(2, 1, 3, padding=(1, 1, 2), padding_mode=mode)
        shape = (2, 3, 3, 4)
    else:
        layer = convgif.Conv2d(2, 1, 3, padding=(1, 2), padding_mode=mode)
        shape = (2, 4, 5)
    x = np.arange(math.prod(shape), dtype=np.float64).reshape(shape) - 3
    pic = GatherPicture(layer.trace(x), Options(values=True))
    t = pic.trace
    frame = check_frame(pic, 0)
    static_texts = {}
    for item in pic.static:
        if isinstance(item, Text):
            static_texts[(round(item.x, 3), round(item.y, 3))] = item.text
    pad_role = "pad" if mode == "zeros" else "pad_copy"
    seen = set()
    for ch, grid in pic.layout.inputs.items():
        for pos in np.ndindex(*t.grid_kind.shape):
            kind = int(t.grid_kind[pos])
            sub, r, c = at(grid, pos)
            (px, py), = probes(sub, r, c, True)
            seen.add(kind)
            if kind == DATA:
                assert frame[py, px] == painter().index("input")
                want = x[(ch, *t.source(*pos))]
            else:
                assert KIND_ROLE[kind] == pad_role
                assert frame[py, px] == painter().index(pad_role)
                want = 0.0 if mode == "zeros" else x[(ch, *t.source(*pos))]
            cx, cy = sub.center(r, c)
            assert static_texts[(round(cx, 3), round(cy, 3))] == fmt(want), (ch, pos)
    assert seen == {DATA, PAD if mode == "zeros" else PAD_COPY}


# --------------------------------------------------------------------------- files


def _decoded(path):
    with Image.open(path) as im:
        out = []
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            out.append((np.asarray(im.convert("RGB")), im.info.get("duration")))
        return out


def _distinct_runs(frames):
    """Consecutive identical frames merged: (frame, how many) per run."""
    runs = []
    for f in frames:
        if runs and np.array_equal(runs[-1][0], f):
            runs[-1][1] += 1
        else:
            runs.append([f, 1])
    return runs


@pytest.mark.parametrize(
    "layer, shape, options",
    [
        (convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2), (3, 7, 7), {}),
        (convgif.Conv1d(2, 2, 3, padding=1, groups=2, padding_mode="reflect"), (2, 6),
         {"step": "mac"}),
        (convgif.Conv2d(2, 1, 2, bias=False), (2, 3, 3), {"step": "channel", "values": False}),
    ],
)
def test_gif_matches_the_painted_frames(tmp_path, layer, shape, options):
    path = tmp_path / "a.gif"
    result = layer.animate(path, input_shape=shape, **options)
    pic = render.picture(layer, input_shape=shape, **options)
    assert result.frames == len(pic) and result.path == path
    paint = painter()
    painted = [paint.to_rgb(paint.paint(pic.scene(i))) for i in range(len(pic))]
    runs = _distinct_runs(painted)
    decoded = _decoded(path)
    assert len(decoded) == len(runs)
    h, w = painted[0].shape[:2]
    assert (w, h) == paint.size(pic.scene(0))
    for (got, _), (want, _) in zip(decoded, runs):
        assert got.shape == (h, w, 3)
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(decoded[0][0], paint.to_rgb(paint.paint(pic.scene(0))))
    np.testing.assert_array_equal(decoded[-1][0], paint.to_rgb(paint.paint(pic.scene(-1))))
    # durations: a longer first frame, the held last frame, merged frames add up
    times = render.durations(pic)
    assert sum(d for _, d in decoded) == sum(times)
    assert decoded[-1][1] == times[-1] * (runs[-1][1] if len(runs) > 1 else 1)
    # deterministic: the same call writes the same bytes
    again = tmp_path / "b.gif"
    layer.animate(again, input_shape=shape, **options)
    assert path.read_bytes() == again.read_bytes()


@pytest.mark.parametrize("k", [1, 4, 8, 18, -1, -2, -18])
def test_still_equals_its_frame(tmp_path, k):
    """still(frame=k) draws the frame whose counter says "frame k/n" (k from 1; negative
    from the end)."""
    layer = convgif.Conv2d(2, 2, 3, padding=1, groups=2, padding_mode="circular")
    shape = (2, 4, 4)
    path = tmp_path / f"s{k}.png"
    result = layer.still(path, frame=k, input_shape=shape)
    pic = render.picture(layer, input_shape=shape)
    assert (result.frames, result.duration_ms) == (1, 0)
    n = len(pic)
    assert n == 18
    index = k - 1 if k > 0 else n + k
    assert f"frame {index + 1}/{n}" in pic.scene(index).texts()
    paint = painter()
    want = paint.to_rgb(paint.paint(pic.scene(index)))
    (got, _), = _decoded(path)
    np.testing.assert_array_equal(got, want)
    again = tmp_path / "again.png"
    layer.still(again, frame=k, input_shape=shape)
    assert path.read_bytes() == again.read_bytes()


def test_still_refuses_bad_frame_and_suffix(tmp_path):
    layer = convgif.Conv2d(1, 1, 2)
    with pytest.raises(ConvGifError, match="frame=99"):
        layer.still(tmp_path / "s.png", frame=99, input_shape=(1, 3, 3))
    with pytest.raises(ConvGifError, match="frame=0 is not a frame: frames are numbered 1..6"):
        layer.still(tmp_path / "s.png", frame=0, input_shape=(1, 3, 3))
    with pytest.raises(ConvGifError, match=r"frame=-7 must lie in 1..6 or -6..-1"):
        layer.still(tmp_path / "s.png", frame=-7, input_shape=(1, 3, 3))
    with pytest.raises(ConvGifError, match="path="):
        layer.still(tmp_path / "s.gif", frame=0, input_shape=(1, 3, 3))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("step", ["output", "mac"])
def test_frames_yields_rgb(step):
    layer = convgif.Conv1d(1, 2, 2, stride=2)
    pic = render.picture(layer, input_shape=(1, 6), step=step)
    frames = list(layer.frames(input_shape=(1, 6), step=step))
    assert len(frames) == len(pic) == 2 * 3 * (1 if step == "output" else 2) + 2
    paint = painter()
    w, h = paint.size(pic.scene(0))
    for i, f in enumerate(frames):
        assert f.shape == (h, w, 3) and f.dtype == np.uint8
        np.testing.assert_array_equal(f, paint.to_rgb(paint.paint(pic.scene(i))))


# --------------------------------------------------------------------------- command line


def run_cli(args, cwd):
    return subprocess.run([sys.executable, "-m", "convgif", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


LAYER = "Conv2d(2, 1, 3, padding=1)"


def test_cli_render_and_still(tmp_path):
    done = run_cli(["render", "--layer", LAYER, "--input-shape", "2,4,4", "-o", "r.gif"],
                   tmp_path)
    assert done.returncode == 0, done.stderr
    assert "r.gif" in done.stdout and done.stderr == ""
    layer = convgif.Conv2d(2, 1, 3, padding=1)
    pic = render.picture(layer, input_shape=(2, 4, 4))
    decoded = _decoded(tmp_path / "r.gif")
    assert len(decoded) == len(pic) == 18
    paint = painter()
    np.testing.assert_array_equal(decoded[-1][0], paint.to_rgb(paint.paint(pic.scene(-1))))

    done = run_cli(["still", "--layer", LAYER, "--input-shape", "2,4,4", "--frame", "5",
                    "-o", "s.png"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote s.png: frame 5 of {len(pic)}, ")
    (got, _), = _decoded(tmp_path / "s.png")
    # --frame 5 is the frame whose counter says 5 (index 4)
    assert f"frame 5/{len(pic)}" in pic.scene(4).texts()
    np.testing.assert_array_equal(got, paint.to_rgb(paint.paint(pic.scene(4))))
    refused = run_cli(["still", "--frame", "0", "-o", "z.png"], tmp_path)
    assert refused.returncode == 2 and len(refused.stderr.splitlines()) == 1
    assert "--frame=0 is not a frame: frames are numbered 1.." in refused.stderr


def test_cli_without_arguments_writes_the_default(tmp_path):
    done = run_cli([], tmp_path)
    assert done.returncode == 0, done.stderr
    path = tmp_path / "outputs" / "conv2d.gif"
    assert path.is_file()
    pic = render.picture(convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2),
                         input_shape=(3, 7, 7))
    decoded = _decoded(path)
    assert len(decoded) == len(pic)
    paint = painter()
    np.testing.assert_array_equal(decoded[0][0], paint.to_rgb(paint.paint(pic.scene(0))))


@pytest.mark.parametrize(
    "args, needle",
    [
        (["render", "--layer", "Conv2d(3, 2, 3, groups=2)"], "groups=2"),
        (["render", "--input-shape", "3,7.5,7"], "--input-shape"),
        (["render", "--input-shape", "4,7,7"], "in_channels=3"),
        (["render", "--step", "pixel"], "--step"),
        (["render", "--style", "neon"], "--style"),
        (["render", "--scale", "-1"], "scale=-1"),
        (["render", "--duration", "0"], "duration="),
        (["render", "-o", "x.bmp"], "x.bmp"),
        (["render", "--bogus"], "--bogus"),
        (["render", "--layer", "__import__('os').system('echo hi')"], "layer"),
        (["still", "--frame", "999"], "frame=999"),
        (["still", "-o", "x.gif"], "x.gif"),
    ],
)
def test_cli_bad_options(tmp_path, args, needle):
    done = run_cli(args, tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert needle.lower() in lines[0].lower(), lines[0]
    assert list(tmp_path.rglob("*.*")) == []  # nothing written, not even a temporary file


@pytest.mark.parametrize("layer, shape", [
    ("Conv2d(2, 2, 3, padding=1, padding_mode='reflect')", (2, 4, 4)),
    ("Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)", (3, 7, 7)),
    ("Conv1d(2, 3, 3)", (2, 8)),
])
def test_symbols_are_written_at_a_readable_size(layer, shape):
    """Asked-for symbols (x⁰₁₂, w⁰⁰₁₂) are written at 11 px or more: the cells grow,
    onto a taller page if need be, instead of the labels shrinking to 8 px."""
    from convgif.views.options import SYMBOL_SIZE

    pic = render.picture(parse_layer(layer), input_shape=shape, values="symbols")
    assert pic.show_values and pic.value_size >= SYMBOL_SIZE
    assert pic.layout.width <= 1600 and pic.layout.height <= 1100
