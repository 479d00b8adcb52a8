"""The pooling family drawn: every frame lights exactly the cells its MACs read (an adaptive
pool's window at its real size), and the pools are reachable from every front door:
``--layer`` text, ``from_torch``, ``convgif info``."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_render import check_frame, sample_frames

import convgif
import convgif.keras as ck
from convgif.api import render
from convgif.api.kinds import layer_kinds, parse_layer
from convgif.views.text import fmt


@st.composite
def pool_layers(draw):
    """A 1-d or 3-d pool, an adaptive pool or a Keras pool, and an input shape it takes."""
    family = draw(st.sampled_from(["nd", "adaptive", "keras", "global"]))
    if family == "nd":
        nd = draw(st.sampled_from([1, 3]))
        kind = draw(st.sampled_from([convgif.MaxPool1d, convgif.AvgPool1d] if nd == 1 else
                                    [convgif.MaxPool3d, convgif.AvgPool3d]))
        k = draw(st.integers(1, 3))
        layer = kind(k, draw(st.integers(1, 2)), draw(st.integers(0, k // 2)),
                     ceil_mode=draw(st.booleans()))
        return layer, (2, *(draw(st.integers(k, 5)) for _ in range(nd)))
    if family == "adaptive":
        nd = draw(st.sampled_from([1, 2]))
        kind = draw(st.sampled_from(["Max", "Avg"]))
        out = tuple(draw(st.one_of(st.none(), st.integers(1, 5))) for _ in range(nd))
        layer = getattr(convgif, f"Adaptive{kind}Pool{nd}d")(out)
        return layer, (2, *(draw(st.integers(1, 7)) for _ in range(nd)))
    if family == "keras":
        nd = draw(st.sampled_from([1, 2, 3]))
        kind = draw(st.sampled_from(["MaxPooling", "AveragePooling"]))
        layer = getattr(ck, f"{kind}{nd}D")(draw(st.integers(1, 3)), draw(st.integers(1, 2)),
                                             draw(st.sampled_from(["valid", "same"])))
        return layer, (*(draw(st.integers(3, 5)) for _ in range(nd)), 2)
    return ck.GlobalAveragePooling2D(keepdims=draw(st.booleans())), (3, 4, 2)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pool_layers(), st.sampled_from(["output", "channel", "mac"]), st.booleans(), st.data())
def test_lit_cells_follow_the_trace(layer_shape, step, values, data):
    layer, shape = layer_shape
    pic = render.picture(layer, input_shape=shape, step=step, values=values)
    for index in sample_frames(data, len(pic)):
        check_frame(pic, index)


def test_each_adaptive_frame_lights_its_own_window():
    """7 rows into 3: windows 0-2, 2-4, 4-6 (3 each, overlapping); 5 columns into 2: 0-2
    and 2-4. A frame lights exactly its window; step='mac' takes as many frames as it has."""
    layer = convgif.AdaptiveAvgPool2d((3, 2))
    pic = render.picture(layer, input_shape=(1, 7, 5), step="output")
    t, board = pic.trace, pic.storyboard
    for index in range(1, len(pic) - 1):
        state = board.frame(index)
        (cell,) = state.cells
        macs = t.macs(cell.start, cell.stop)
        lit = {(int(m["iy"]), int(m["ix"])) for m in macs}
        i, j = state.position
        rows = range(i * 7 // 3, -(-(i + 1) * 7 // 3))
        cols = range(j * 5 // 2, -(-(j + 1) * 5 // 2))
        assert lit == {(r, c) for r in rows for c in cols}
        check_frame(pic, index)
    assert len(render.picture(layer, input_shape=(1, 7, 5), step="mac")) == 6 * 9 + 2


def test_global_pool_frame_says_the_whole_input():
    """keepdims=False: the output is (C,), so the caption indexes y by channel alone."""
    pic = render.picture(ck.GlobalAveragePooling2D(), input_shape=(3, 4, 2))
    scene = pic.scene(1)
    texts = [getattr(i, "text", "") for i in scene.dynamic + scene.static]
    mean = fmt(float(pic.trace.output[0]))
    assert any(t.startswith("y[0] = (") and t.endswith(f") / 12 = {mean}") for t in texts)
    assert any("one window: the whole input" in t for t in texts)
    assert any("output y (2,)" in t for t in texts)


KINDS = ["MaxPool1d", "MaxPool3d", "AvgPool1d", "AvgPool3d", "AdaptiveMaxPool1d",
         "AdaptiveMaxPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d"]


@pytest.mark.parametrize("text, torch_module", [
    ("MaxPool1d(3, stride=2, padding=1, dilation=2, return_indices=True, ceil_mode=True)",
     torch.nn.MaxPool1d(3, stride=2, padding=1, dilation=2, return_indices=True,
                        ceil_mode=True)),
    ("MaxPool3d((1, 2, 2), stride=(1, 2, 2))", torch.nn.MaxPool3d((1, 2, 2), stride=(1, 2, 2))),
    ("AvgPool1d(4, 2, 1, True, False)", torch.nn.AvgPool1d(4, 2, 1, True, False)),
    ("AvgPool3d(3, padding=1, divisor_override=5)",
     torch.nn.AvgPool3d(3, padding=1, divisor_override=5)),
    ("AdaptiveMaxPool1d(4, return_indices=True)", torch.nn.AdaptiveMaxPool1d(4, True)),
    ("AdaptiveMaxPool2d((None, 3))", torch.nn.AdaptiveMaxPool2d((None, 3))),
    ("AdaptiveAvgPool1d(5)", torch.nn.AdaptiveAvgPool1d(5)),
    ("AdaptiveAvgPool2d((7, 7))", torch.nn.AdaptiveAvgPool2d((7, 7))),
])
def test_layer_text_and_from_torch_give_the_same_layer(text, torch_module):
    parsed, bridged = parse_layer(text), convgif.from_torch(torch_module)
    assert parsed.spec == bridged.spec
    nd = parsed.spec.ndim
    x = np.random.default_rng(1).integers(-5, 6, (1, 2, *(9,) * nd)).astype(np.float64)
    with torch.no_grad():
        out = torch_module(torch.from_numpy(x))
    out = out[0] if isinstance(out, tuple) else out
    np.testing.assert_array_equal(parsed.trace(x).output, out.numpy())


def test_every_pool_is_a_layer_kind():
    kinds = layer_kinds()
    for name in KINDS:
        assert kinds[name] is getattr(convgif, name)
    for name in ck.__all__:
        if name[0].isupper():  # the layer classes (from_keras is a function)
            assert kinds[name] is getattr(ck, name)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "convgif", *args], capture_output=True,
                          text=True, timeout=120)


def test_info_for_an_adaptive_pool():
    run = _cli("info", "--layer", "AdaptiveMaxPool1d(3)", "--input-shape", "2,8")
    assert run.returncode == 0, run.stderr
    assert "L_in = 8: window sizes 3, 4, 3" in run.stdout
    # 6 windows (2 channels x 3 cells) of 3 + 4 + 3 values: 20 values, 14 comparisons
    assert "comparisons 14: a max of 3 to 4 values in each of 6 windows" in run.stdout
    assert "PyTorch: torch.nn.AdaptiveMaxPool1d(output_size=3)" in run.stdout
    assert "no Keras equivalent" in run.stdout


def test_info_gives_each_keras_pool_its_torch_line():
    run = _cli("info", "--layer", "MaxPooling2D(3, strides=2, padding='same')",
               "--input-shape", "6,6,2")
    assert run.returncode == 0, run.stderr
    line = "torch.nn.Sequential(torch.nn.ConstantPad2d((0, 1, 0, 1), float('-inf')), " \
           "torch.nn.MaxPool2d(kernel_size=3, stride=2))"
    assert line in run.stdout
    module = eval(line.replace("torch.nn", "torch.nn"), {"torch": torch})  # noqa: S307
    x = np.random.default_rng(2).integers(-5, 6, (1, 6, 6, 2)).astype(np.float64)
    expected = module(torch.from_numpy(np.moveaxis(x, -1, 1))).numpy()
    ours = ck.MaxPooling2D(3, strides=2, padding="same").trace(x).output
    np.testing.assert_array_equal(np.moveaxis(ours, -1, 1), expected)
    run = _cli("info", "--layer", "GlobalAveragePooling2D()", "--input-shape", "4,4,2")
    assert "torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())" in run.stdout


@pytest.mark.parametrize("layer, flag_value", [
    ("AdaptiveAvgPool2d((3, 3, 3))", "output_size=(3, 3, 3)"),
    ("AdaptiveMaxPool1d(0)", "output_size=0 must be positive"),
    ("MaxPooling2D(2, padding='full')", "padding='full' must be one of 'valid', 'same'"),
    ("GlobalAveragePooling2D(keepdims=1)", "keepdims=1 must be True or False"),
    ("AvgPool1d(3, divisor_override=2)", "divisor_override"),
])
def test_bad_pools_are_one_line_and_status_2(tmp_path, layer, flag_value):
    out = tmp_path / "pool.gif"
    run = _cli("render", "--layer", layer, "--input-shape", "2,6,6", "-o", str(out))
    assert run.returncode == 2
    assert flag_value in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stderr and not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_adaptive_average_has_its_matrix():
    """An average of windows of varying size is linear: row i of the matrix holds
    1/size over its window's cells, and C·x is the output."""
    layer = convgif.AdaptiveAvgPool1d(3)
    matrix = convgif.conv_matrix(layer, (1, 5))
    np.testing.assert_array_equal(matrix.matrix[1], [0, 1 / 3, 1 / 3, 1 / 3, 0])  # cells 1-3
    x = np.arange(5.0)[None]
    np.testing.assert_allclose(matrix.matrix @ x.ravel(), layer.trace(x).output.ravel())


def test_a_max_walked_tap_by_tap_keeps_its_maximum_so_far_lit():
    """AdaptiveMaxPool1d(3) on 2 2 3 4 0 0 4 4, the middle window walked tap by tap: at its
    third tap (a 0) the 4 it read before is still marked as the maximum so far."""
    from test_render import expected_roles

    layer = parse_layer("AdaptiveMaxPool1d(3)")
    pic = render.picture(layer, x=np.array([[2, 2, 3, 4, 0, 0, 4, 4.0]]), step="mac")
    roles = expected_roles(pic, 6)
    assert roles[("input", 0, (3,))][-1] == "winner"  # the 4, tapped a frame before
    assert roles[("input", 0, (4,))][-1] == "tap"  # the 0 tapped now
    check_frame(pic, 6)
