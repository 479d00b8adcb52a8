"""The weight and bias gradient pictures, checked against the gradient's MAC records:
the cells each frame lights are that frame's records (painted pixels), and the last
frame's ∂L/∂w and ∂L/∂b are ``layer.backward``'s (the numbers written in the cells)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_render import at, conv_layers, painter, probes

import convgif
from convgif.api.options import Output
from convgif.api.render import animate_view, still_view
from convgif.errors import ConvGifError
from convgif.views.grad_bias import bias_grad_view, cell_at
from convgif.views.grad_weight import weight_grad_view
from convgif.views.grad_weight_cells import weight_cells_view
from convgif.views.options import Options
from convgif.views.panels import KIND_ROLE
from convgif.views.scene import Text
from convgif.views.text import fmt

NUMBERS = Options(values=True)


def _grads(layer, shape, seed, batch=None):
    shape = shape if batch is None else (batch, *shape)
    x = layer.example_input(shape)
    g = np.random.default_rng(seed).integers(-2, 3, layer.output_shape(shape)).astype(float)
    return x, g, layer.backward(x, g)


def _texts_at(scene, grid, cells) -> dict:
    """The text written at the centre of each cell ``(r, c)`` of ``grid`` (None: none)."""
    by_centre = {(round(t.x, 3), round(t.y, 3)): t.text for t in scene.items
                 if isinstance(t, Text)}
    out = {}
    for key, (g, r, c) in cells.items():
        cx, cy = g.center(r, c)
        out[key] = by_centre.get((round(cx, 3), round(cy, 3)))
    return out


def _check_roles(view, index, roles):
    paint = painter("default")
    frame = paint.paint(view.scene(index))
    wrong = []
    for key, (grid, r, c, role) in roles.items():
        for x, y in probes(grid, r, c, view.show_values):
            if int(frame[y, x]) != paint.index(role):
                wrong.append((key, role, int(frame[y, x])))
    assert not wrong, f"frame {index}: {len(wrong)} cells wrong, e.g. {wrong[:4]}"


def _input_roles(view, taps):
    t, roles = view.trace, {}
    for ch, grid in view.layout.inputs.items():
        for pos in np.ndindex(*t.grid_kind.shape):
            if len(pos) == 3 and pos[0] in grid.thin:
                continue
            role = "tap" if (ch, pos) in taps else KIND_ROLE[int(t.grid_kind[pos])]
            roles[("input", ch, pos)] = (*at(grid, pos), role)
    return roles


def _sliding_roles(view, index):
    """From the records alone: the taps of the frame's windows, the ∂L/∂w grids of every
    channel walked so far (lit: this frame's), the ∂L/∂y cell in use."""
    t, lay, board, recs = view.trace, view.layout, view.storyboard, view.records
    state = board.frame(index)
    taps = set()
    for cell in state.cells:
        for m in recs[cell.start:cell.stop]:
            taps.add((int(m["in_channel"]), tuple(int(m[f]) for f in t.input_fields)))
    roles = _input_roles(view, taps)
    active = {c.out_channel for c in state.cells}
    for (oc, icl), grid in lay.kernels.items():
        if state.phase == "close":
            role = "weight"
        elif state.phase == "open":
            role = "paper"
        else:  # walked: a slot of its channel at or before this frame's
            which = board.locals.index(oc % t.out_per_group)
            size = int(np.prod(t.out_spatial))
            walked = any((n * len(board.locals) + which) * size <= state.slot
                         for n in range(state.n + 1))
            role = "kernel_active" if oc in active else "weight" if walked else "paper"
        for pos in np.ndindex(*t.kernel_size):
            roles[("kernel", oc, icl, pos)] = (*at(grid, pos), role)
    for oc, grid in lay.outputs.items():
        for pos in np.ndindex(*t.out_spatial):
            lit = oc in active and pos == state.position
            roles[("output", oc, pos)] = (*at(grid, pos), "output_active" if lit else "output")
    return roles


def _weight_texts(view, scene):
    t = view.trace
    cells = {(oc, icl, pos): at(grid, pos) for (oc, icl), grid in view.layout.kernels.items()
             for pos in np.ndindex(*t.kernel_size)}
    return _texts_at(scene, None, cells)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_layers(), st.integers(0, 99), st.data())
def test_sliding_window_lights_each_frames_records_and_ends_on_backward(layer_shape, seed, data):
    layer, shape = layer_shape
    x, g, grads = _grads(layer, shape, seed, data.draw(st.sampled_from([None, 2])))
    view = weight_grad_view(layer, x, g, options=NUMBERS)
    count = len(view)
    frames = {0, count - 1, *data.draw(st.lists(st.integers(1, count - 2), max_size=2),
                                       label="frames")}
    for index in sorted(frames):
        _check_roles(view, index, _sliding_roles(view, index))
    texts = _weight_texts(view, view.scene(-1))
    want = {key: fmt(grads.grad_weight[(key[0], key[1], *key[2])]) for key in texts}
    assert texts == want


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_layers(), st.integers(0, 99), st.data())
def test_each_weight_cell_is_a_correlation_of_its_records(layer_shape, seed, data):
    layer, shape = layer_shape
    x, g, grads = _grads(layer, shape, seed, data.draw(st.sampled_from([None, 2])))
    view = weight_cells_view(layer, x, g, options=NUMBERS)
    t, lay, recs = view.trace, view.layout, view.records
    count = len(view)
    index = data.draw(st.integers(1, count - 2), label="frame") if count > 2 else 0
    if index:
        which, n = divmod(index - 1, t.batch)
        flat = view.cells[which]
        w = np.unravel_index(flat, grads.grad_weight.shape)
        mine = recs[(recs["w0"] == w[0]) & (recs["w1"] == w[1]) & (recs["n"] == n)
                    & np.all([recs[f] == k for f, k in zip(t.kernel_fields, w[2:])], axis=0)]
        taps = {(int(m["in_channel"]), tuple(int(m[f]) for f in t.input_fields)) for m in mine}
        roles = _input_roles(view, taps)
        oc = int(mine["out_channel"][0])
        before = set(view.cells[:which])
        for (o, icl), grid in lay.kernels.items():
            for pos in np.ndindex(*t.kernel_size):
                cell = np.ravel_multi_index((o, icl, *pos), grads.grad_weight.shape)
                role = ("kernel_active" if cell == flat else "weight" if cell in before
                        else "paper")
                roles[("kernel", o, icl, pos)] = (*at(grid, pos), role)
        for o, grid in lay.outputs.items():
            for pos in np.ndindex(*t.out_spatial):
                roles[("output", o, pos)] = (*at(grid, pos),
                                             "output_active" if o == oc else "output")
        _check_roles(view, index, roles)
        # the caption's sum is the running sum of the cell's last record so far
        last = recs[(recs["w0"] == w[0]) & (recs["w1"] == w[1]) & (recs["n"] <= n)
                    & np.all([recs[f] == k for f, k in zip(t.kernel_fields, w[2:])], axis=0)]
        caption = " ".join(view.scene(index).texts()[-3:])
        assert f"= {fmt(float(last['running_sum'][-1]))}" in caption
    texts = _weight_texts(view, view.scene(-1))
    want = {key: fmt(grads.grad_weight[(key[0], key[1], *key[2])]) for key in texts}
    assert texts == want


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_layers(), st.integers(0, 99), st.data())
def test_bias_sums_each_channel_and_ends_on_backward(layer_shape, seed, data):
    layer, shape = layer_shape
    if not layer.spec.bias:
        with pytest.raises(ConvGifError) as err:
            bias_grad_view(layer, layer.example_input(shape))
        assert err.value.param == "grad"
        return
    x, g, grads = _grads(layer, shape, seed, data.draw(st.sampled_from([None, 2])))
    view = bias_grad_view(layer, x, g)
    t, lay = view.trace, view.layout
    index = data.draw(st.integers(1, len(view) - 2), label="frame")
    n, oc = divmod(index - 1, t.out_channels)
    roles = {}
    for o, grid in lay.grads.items():
        for pos in np.ndindex(*t.out_spatial):
            roles[(o, pos)] = (*cell_at(grid, pos), "output_active" if o == oc else "output")
    for o, grid in lay.biases.items():
        done = o + 1 <= index  # its block of sample 0 is frame o + 1
        roles[("b", o)] = (grid, 0, 0, "kernel_active" if o == oc else "bias" if done else "paper")
    _check_roles(view, index, roles)
    texts = _texts_at(view.scene(-1), None, {o: (b, 0, 0) for o, b in lay.biases.items()})
    assert texts == {o: fmt(v) for o, v in enumerate(grads.grad_bias)}
    # each step's ∂L/∂b is the records' running sum: ∂L/∂y[·, c] summed so far
    so_far = g.reshape(t.batch, t.out_channels, -1)[: n + 1, oc].sum()
    here = _texts_at(view.scene(index), None, {oc: (lay.biases[oc], 0, 0)})
    assert here == {oc: fmt(so_far)}


def test_grouped_windows_add_into_their_own_groups_kernels():
    layer = convgif.Conv2d(4, 4, 3, stride=2, padding=1, groups=2, seed=3)
    x, g, grads = _grads(layer, (4, 5, 5), 1)
    view = weight_grad_view(layer, x, g, weight_cell=(3, 1, 2, 2))
    state = view.storyboard.frame(1)
    assert [c.out_channel for c in state.cells] == [0, 2]  # the groups side by side
    for cell in state.cells:
        rows = view.records[cell.start:cell.stop]
        group = cell.out_channel // 2
        assert set(rows["in_channel"].tolist()) == {2 * group, 2 * group + 1}
    caption = view.scene(-1).texts()[-2]
    assert caption.startswith("\u2202L/\u2202w[3, 1, 2, 2] = ")
    assert caption.endswith(f"= {fmt(grads.grad_weight[3, 1, 2, 2])}")


def test_transposed_layers_draw_the_gather_form_of_their_weight_gradient():
    layer = convgif.ConvTranspose2d(2, 2, 3, stride=2, padding=1, output_padding=1, seed=5)
    x, g, grads = _grads(layer, (2, 3, 3), 2)
    view = weight_grad_view(layer, x, g, weight_cell=(1, 0, 2, 1), options=NUMBERS)
    texts = _weight_texts(view, view.scene(-1))
    gather = grads.trace.grad_kernel
    assert texts == {key: fmt(gather[(key[0], key[1], *key[2])]) for key in texts}
    assert view.scene(-1).texts()[-2].endswith(f"= {fmt(grads.grad_weight[1, 0, 2, 1])}")


@pytest.mark.parametrize("bad", [(0, 0, 0), (2, 0, 0, 0), (0, 0, 0, 3), "0000", (0, 0, 0, 0.5),
                                 (0, 0, True, 0)])
def test_a_weight_cell_outside_the_weight_is_refused_by_name(bad):
    layer = convgif.Conv2d(2, 2, 3)
    with pytest.raises(ConvGifError) as err:
        weight_grad_view(layer, layer.example_input((2, 4, 4)), weight_cell=bad)
    assert err.value.param == "weight_cell"
    assert "(2, 2, 3, 3)" in str(err.value)


def test_a_pool_has_no_weight_picture():
    layer = convgif.MaxPool2d(2)
    for make in (weight_grad_view, weight_cells_view, bias_grad_view):
        with pytest.raises(ConvGifError) as err:
            make(layer, layer.example_input((1, 4, 4)))
        assert err.value.param == "grad"


def test_the_pictures_write_through_the_one_loop(tmp_path):
    from PIL import Image

    layer = convgif.Conv1d(2, 2, 3, stride=2, dilation=2, padding=2)
    x = layer.example_input((2, 7))
    for name, view in (("w", weight_grad_view(layer, x)), ("c", weight_cells_view(layer, x)),
                       ("b", bias_grad_view(layer, x))):
        gif = tmp_path / f"{name}.gif"
        animate_view(gif, view, Output())
        with Image.open(gif) as im:
            assert im.n_frames == len(view)
        still_view(tmp_path / f"{name}.png", view, frame=-1)
        assert (tmp_path / f"{name}.png").stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.gif", "b.png", "c.gif", "c.png",
                                                         "w.gif", "w.png"]
