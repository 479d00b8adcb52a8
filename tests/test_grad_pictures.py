"""The input-gradient pictures (``grad='input'``), checked against the GradTrace's records.

Every lit cell of every frame is derived here from ``layer.backward(...)``'s records (which
tests/test_backward.py checks against torch.autograd), and the ∂L/∂x the last frame draws
is torch's; the plumbing (API, CLI, batch, player) and its refusals are checked too.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from test_render import at, conv_layers, pool_layers, transposed_layers

import convgif
from convgif.api import render
from convgif.simulate import grad_records
from convgif.simulate.trace import DATA, PAD_COPY
from convgif.views.scene import Box, Text
from convgif.views.text import fmt

FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _picture(layer, shape, view):
    return render.picture(layer, input_shape=shape, grad="input", view=view, step="output",
                          values="numbers")


def _lit(scene, grid, role: str) -> set:
    """Cells of ``grid`` (as positions of its tensor) painted ``role`` in a frame."""
    cells = {}
    for d in range(grid.depth):
        sl = grid.slice(d) if grid.depth > 1 else grid
        for r in range(sl.rows):
            for c in range(sl.cols):
                pos = (d, r, c) if grid.depth > 1 else (r, c)
                cells[tuple(round(v, 3) for v in sl.rect(r, c))] = pos
    found = set()
    for item in scene.dynamic:
        if isinstance(item, Box) and item.fill == role:
            key = tuple(round(v, 3) for v in (item.x, item.y, item.w, item.h))
            if key in cells:
                found.add(cells[key])
    return found


def _pos(position, ndim) -> tuple:
    """A tensor position as ``_lit`` names it (a 1-d cell is row 0)."""
    position = tuple(int(p) for p in position)
    return (0, *position) if ndim == 1 else position


def _text_at(scene, grid, position):
    g, r, c = at(grid, position)
    x, y, w, h = g.rect(r, c)
    for item in (*scene.settled, *scene.dynamic):
        if isinstance(item, Text) and abs(item.x - (x + w / 2)) < 1e-6 and abs(
                item.y - (y + h / 2)) < 1e-6:
            last = item.text
    return locals().get("last")


def _records(view):
    gt = view.grad
    return gt, grad_records.records(gt, "input")


# --------------------------------------------------------------------------- scatter


@FAST
@given(conv_layers() | transposed_layers() | pool_layers())
def test_each_stamp_lights_the_cells_its_records_reach(layer_shape):
    """A stamp frame lights its ∂L/∂y cell and exactly the grid cells the records of that
    cell send gradient to, on the grid channel stamped; a max pool's share is 1 at the
    record that routes the gradient and 0 elsewhere."""
    layer, shape = layer_shape
    view = _picture(layer, shape, "scatter")
    gt, recs = _records(view)
    f, nd = gt.trace, gt.trace.ndim
    board = view.storyboard
    out_f, ker_f, in_f = f.output_fields, f.kernel_fields, f.input_fields
    for index in range(1, board.steps + 1):
        stamp = board.stamp(board.frame(index))
        scene = view.scene(index)
        mine = recs[(recs["out_channel"] == stamp.in_channel)
                    & (recs["in_channel"] == stamp.out_channel)]
        for o, p in zip(out_f, stamp.position):
            mine = mine[mine[o] == p]
        want = {_pos(tuple(m[i] for i in in_f), nd) for m in mine}
        assert _lit(scene, view.layout.outputs[stamp.out_channel], "output_active") == want
        dy = view.layout.inputs[stamp.in_channel]
        assert _lit(scene, dy, "tap") == {_pos(stamp.position, nd)}
        caption = " ".join(i.text for i in scene.dynamic if isinstance(i, Text))
        assert f"] = {fmt(float(mine['grad_output'][0]))} " in caption
        if f.spec.op == "max_pool":
            kgrid = view.layout.kernels[(stamp.out_channel, 0)]
            for m in mine:
                kpos = tuple(int(m[k]) for k in ker_f)
                assert _text_at(scene, kgrid, kpos) == fmt(float(m["w"]))


def _final_dx(view) -> dict:
    """The ∂L/∂x the last frame draws: each input cell's text, read at its grid cell."""
    f = view.forward
    scene = view.scene(len(view) - 1)
    drawn = {}
    for ch, grid in view.layout.outputs.items():
        for pos in zip(*np.nonzero(f.grid_kind == DATA)):
            drawn[(ch, f.source(*pos))] = _text_at(scene, grid, pos)
    return drawn


@FAST
@given(conv_layers() | pool_layers())
def test_the_last_frame_draws_the_input_gradient(layer_shape):
    """Both views end on ∂L/∂x = layer.backward(...).grad_input, padding folded back."""
    layer, shape = layer_shape
    grads = layer.backward(input_shape=shape)
    views = ("scatter",) if layer.spec.pooling else ("scatter", "gather")
    for view in views:
        pic = _picture(layer, shape, view)
        for (ch, src), text in _final_dx(pic).items():
            assert text == fmt(grads.grad_input[(ch, *src)]), (view, ch, src)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_the_fold_equals_torch_autograd(mode):
    layer = convgif.Conv2d(2, 2, 3, padding=2, dilation=(1, 2), padding_mode=mode, groups=2)
    x = layer.example_input((2, 5, 6))
    view = render.picture(layer, x=x, grad="input", view="scatter", values="numbers")
    gt = view.grad
    xt = torch.tensor(x, requires_grad=True)
    pad = torch.nn.functional.pad(xt, (2, 2, 2, 2), mode=mode)
    y = torch.nn.functional.conv2d(pad, torch.tensor(layer.weight), torch.tensor(layer.bias),
                                   dilation=(1, 2), groups=2)
    y.backward(torch.tensor(gt.grad_output))
    torch_dx = xt.grad.numpy()
    assert np.array_equal(gt.grad_input, torch_dx)
    for (ch, src), text in _final_dx(view).items():
        assert text == fmt(torch_dx[(ch, *src)])
    # each fold frame lights the padding cells that copy its input cell, and that cell
    base, f = len(view.storyboard), view.forward
    recs = grad_records.records(gt, "input")
    copies = recs[f.grid_kind[recs["iy"], recs["ix"]] == PAD_COPY]
    for index in range(base, len(view) - 1):
        scene = view.scene(index)
        grid = view.layout.outputs[0]
        targets = sorted(_lit(scene, grid, "output_active"))
        assert targets
        taps = set()
        for r, c in targets:
            src = f.source(r, c)
            mine = copies[(copies["sy"] == src[0]) & (copies["sx"] == src[1])
                          & (copies["in_channel"] == 0)]
            taps |= {(int(m["iy"]), int(m["ix"])) for m in mine}
            assert _text_at(scene, grid, (r, c)) == fmt(torch_dx[(0, *src)])
        assert _lit(scene, grid, "tap") == taps
        first = fmt(torch_dx[(0, *f.source(*targets[0]))])
        caption = " ".join(i.text for i in scene.dynamic if isinstance(i, Text))
        assert f"= {first}" in caption and "(every channel alike)" in caption


# --------------------------------------------------------------------------- gather


@FAST
@given(conv_layers() | transposed_layers())
def test_each_gather_frame_reads_the_cells_that_feed_its_grid_cell(layer_shape):
    """Frame by frame, the cell being written is the next grid cell; the lit taps that hold
    ∂L/∂y values are exactly the ∂L/∂y cells whose records reach it (placed in the
    zero-inserted, padded grid at D·(K−1) + o·S), and the caption ends on its gradient."""
    layer, shape = layer_shape
    view = _picture(layer, shape, "gather")
    gt, recs = _records(view)
    f, t, nd = gt.trace, view.trace, gt.trace.ndim
    board = view.storyboard
    edge = [d * (k - 1) for d, k in zip(f.dilation, f.kernel_size)]
    data = t.grid_kind == DATA
    for index in range(len(board)):
        state = board.frame(index)
        if state.phase != "step":
            continue
        p, scene = state.position, view.scene(index)
        want, caption = set(), " ".join(i.text for i in scene.dynamic if isinstance(i, Text))
        for cell in state.cells:  # groups advance side by side
            ch = cell.out_channel
            assert _lit(scene, view.layout.outputs[ch], "output_active") == {_pos(p, nd)}
            mine = recs[recs["in_channel"] == ch]
            for i, q in zip(f.input_fields, p):
                mine = mine[mine[i] == q]
            want |= {(int(m["out_channel"]), _pos([e + int(m[o]) * s for e, o, s in zip(
                edge, f.output_fields, f.stride)], nd)) for m in mine}
            # the products the frame's equation sums are the records' own
            macs = view._macs(cell.cell_start, cell.cell_stop)
            drawn = sorted(v for v in macs["product"].tolist() if v)
            assert drawn == sorted(v for v in mine["product"].tolist() if v)
        lit = set()
        for c, grid in view.layout.inputs.items():
            lit |= {(c, q) for q in _lit(scene, grid, "tap") if data[q[1:] if nd == 1 else q]}
        assert lit == want, index
        ch = state.cells[0].out_channel
        assert f"= {fmt(gt.grad_grid[(0, ch, *p)])}" in caption


# --------------------------------------------------------------------------- plumbing


def _run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "convgif", *args], cwd=cwd,
                          capture_output=True, text=True)


def test_every_front_door_draws_the_input_gradient(tmp_path):
    layer = convgif.Conv2d(1, 2, 3, stride=2, padding=1)
    a = layer.animate(tmp_path / "a.gif", input_shape=(1, 5, 5), grad="input")
    s = layer.still(tmp_path / "s.png", input_shape=(1, 5, 5), grad="input", view="scatter")
    assert a.frames == len(render.picture(layer, input_shape=(1, 5, 5), grad="input"))
    assert s.path.exists() and s.frames == 1
    html = layer.animate(tmp_path / "p.html", input_shape=(1, 5, 5), grad="input")
    assert "\u2202L/\u2202x" in html.path.read_text()
    frames = list(layer.frames(input_shape=(1, 5, 5), grad="input", view="scatter"))
    assert len(frames) == len(render.picture(layer, input_shape=(1, 5, 5), grad="input",
                                             view="scatter"))
    spec = ["--layer", "Conv2d(1, 2, 3, stride=2, padding=1)", "--input-shape", "1,5,5",
            "--grad", "input"]
    for command, out in (("render", "c.gif"), ("still", "c.png"), ("frames", "folder")):
        done = _run(command, *spec, "-o", out, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert (tmp_path / out).exists()
    (tmp_path / "b.toml").write_text(
        '[[render]]\nlayer = "MaxPool2d(2)"\ninput_shape = [1, 4, 4]\ngrad = "input"\n'
        'view = "scatter"\noutput = "m.gif"\n')
    done = _run("batch", "b.toml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "m.gif").exists()


REFUSED = [
    (["--layer", "Conv2d(1, 1, 3)", "--grad", "bias", "--view", "scatter"], ["--view", "--grad"]),
    (["--layer", "Conv2d(1, 1, 3)", "--grad", "input", "--view", "matrix"], ["--view", "--grad"]),
    (["--layer", "MaxPool2d(2)", "--grad", "input"], ["--view", "--grad"]),
    (["--layer", "MaxPool2d(2)", "--grad", "weight"], ["--grad"]),
    (["--layer", "Conv2d(1, 1, 3, bias=False)", "--grad", "bias"], ["--grad"]),
    (["--layer", "Conv2d(1, 1, 3)", "--grad", "input", "--flip"], ["--flip", "--grad"]),
    (["--layer", "Conv2d(1, 1, 3)", "--grad", "input", "--channels", "0"],
     ["--channels", "--grad"]),
]


@pytest.mark.parametrize("args, names", REFUSED)
def test_bad_gradient_options_are_one_line_exit_2(tmp_path, args, names):
    done = _run("render", *args, "--input-shape", "1,4,4", "-o", "x.gif", cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("convgif: error:"), done.stderr
    assert all(name in lines[0] for name in names), lines[0]
    assert not list(tmp_path.iterdir())


def test_python_refusals_name_the_argument(tmp_path):
    layer = convgif.Conv2d(1, 1, 3)
    with pytest.raises(convgif.ConvGifError) as e:
        layer.animate(tmp_path / "x.gif", input_shape=(1, 4, 4), grad="sideways")
    assert e.value.param == "grad" and "grad='sideways'" in str(e.value)
    with pytest.raises(convgif.ConvGifError) as e:
        convgif.MaxPool2d(2).still(tmp_path / "x.png", input_shape=(1, 4, 4), grad="input")
    assert e.value.param == "view" and "grad='input'" in str(e.value)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("grad, view, kind", [
    ("weight", "gather", "WeightCellsPicture"),
    ("weight", "scatter", "WeightGradPicture"),
    ("bias", "gather", "BiasGradPicture"),
])
def test_weight_and_bias_pictures_through_every_door(tmp_path, grad, view, kind):
    """grad='weight' / 'bias' reach their views from the API and the command line, and the
    last frame holds the gradient layer.backward gives."""
    from convgif.api import render

    layer = convgif.Conv2d(2, 2, 3, stride=2, padding=1)
    pic = render.picture(layer, input_shape=(2, 5, 5), grad=grad, view=view)
    assert type(pic).__name__ == kind
    done = layer.animate(tmp_path / "g.gif", input_shape=(2, 5, 5), grad=grad, view=view)
    assert done.frames == len(pic)
    run = _run("still", "--layer", "Conv2d(2, 2, 3, stride=2, padding=1)", "--input-shape",
               "2,5,5", "--grad", grad, "--view", view, "-o", "g.png", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    want = layer.backward(input_shape=(2, 5, 5))
    want = want.grad_weight if grad == "weight" else want.grad_bias
    drawn = " ".join(pic.scene(len(pic) - 1).texts())
    for value in np.unique(want):
        assert fmt(value) in drawn


def test_the_weight_cell_the_caption_follows_from_every_door(tmp_path):
    layer = convgif.Conv2d(2, 2, 3, stride=2, padding=1)
    want = layer.backward(input_shape=(2, 5, 5)).grad_weight[1, 0, 2, 2]
    from convgif.api import render

    pic = render.picture(layer, input_shape=(2, 5, 5), grad="weight", view="scatter",
                         weight_cell=(1, 0, 2, 2))
    caption = pic.scene(len(pic) - 1).texts()[-2]
    assert caption.startswith("∂L/∂w[1, 0, 2, 2] = ") and caption.endswith(f"= {fmt(want)}")
    args = ["--layer", "Conv2d(2, 2, 3, stride=2, padding=1)", "--input-shape", "2,5,5",
            "--grad", "weight", "--view", "scatter"]
    done = _run("still", *args, "--weight-cell", "1,0,2,2", "-o", "w.png", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (tmp_path / "b.toml").write_text(
        '[[render]]\nlayer = "Conv2d(2, 2, 3, stride=2, padding=1)"\ninput_shape = [2, 5, 5]\n'
        'grad = "weight"\nview = "scatter"\nweight_cell = [1, 0, 2, 2]\noutput = "w.gif"\n')
    done = _run("batch", "b.toml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for extra, flag in ((["--weight-cell", "9,0,2,2"], "--weight-cell=(9, 0, 2, 2)"),
                        (["--weight-cell", "1,x"], "--weight-cell='1,x'")):
        done = _run("still", *args, *extra, "-o", "bad.png", cwd=tmp_path)
        line = done.stderr.strip()
        assert done.returncode == 2 and "\n" not in line and flag in line, line
    done = _run("still", *args[:4], "--weight-cell", "0,0,0,0", "-o", "bad.png", cwd=tmp_path)
    assert done.returncode == 2 and "--weight-cell" in done.stderr and "--grad" in done.stderr
    assert not (tmp_path / "bad.png").exists()
