"""outputs= / --outputs: animate a region of output cells, leave the others empty."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from test_storyboard import cell_status

import convgif
from convgif.api import render
from convgif.backends.raster import RasterPainter
from convgif.cli import main as cli
from convgif.errors import ConvGifError
from convgif.layers.parse import output_region


def pixel_role(frame, painter, grid, r, c):
    """The role painted 2 px inside a cell's top-left corner (clear of outlines and text)."""
    x, y, _, _ = grid.rect(r, c)
    got = int(frame[math.floor(y + 0.5) + 2, math.floor(x + 0.5) + 2])
    roles = ("output", "output_active", "output_empty")
    return [role for role in roles if painter.index(role) == got]


@pytest.mark.parametrize(
    "layer, shape, outputs, channels, cells",
    [
        (convgif.Conv2d(2, 3, 3, padding=1), (2, 6, 6), "1-3,2-4", None, 9),
        (convgif.Conv2d(2, 3, 3, padding=1), (2, 6, 6), (range(0, 2), 5), [0, 2], 2),
        (convgif.Conv2d(4, 4, 3, groups=2), (4, 6, 7), "0-0,1-4", None, 4),
        (convgif.Conv1d(1, 2, 3, stride=2), (1, 11), "1-3", None, 3),
        (convgif.MaxPool2d(2), (2, 6, 6), "2,0-2", None, 3),
    ],
)
def test_frames_walk_only_the_region(layer, shape, outputs, channels, cells):
    pic = render.picture(layer, input_shape=shape, outputs=outputs, channels=channels)
    t = pic.trace
    shown = len(channels) if channels is not None else t.out_per_group
    # one frame per (region cell, channel animated within a group), plus opening and closing
    assert len(pic) == cells * shown + 2
    region = pic.storyboard.region
    visited = set()
    for i in range(1, len(pic) - 1):
        state = pic.storyboard.frame(i)
        assert all(p in r for p, r in zip(state.position, region))
        for cell in state.cells:
            visited.add((cell.out_channel, state.position))
    assert len(visited) == cells * (len(channels) if channels else t.out_channels)


@pytest.mark.parametrize("index", [0, 5, -1])
def test_lit_output_cells_lie_inside_the_region(index):
    layer = convgif.Conv2d(2, 2, 3, padding=1)
    pic = render.picture(layer, input_shape=(2, 6, 6), outputs="1-3,2-4")
    painter = RasterPainter()
    frame = painter.paint(pic.scene(index))
    state = pic.storyboard.frame(index)
    rows, cols = range(1, 4), range(2, 5)
    for oc, grid in pic.layout.outputs.items():
        for r in range(6):
            for c in range(6):
                role = pixel_role(frame, painter, grid, r, c)
                status = cell_status(pic.storyboard, state, 0, oc, (r, c))
                if r not in rows or c not in cols:
                    assert role == ["output_empty"] and status == "todo", (oc, r, c)
                elif state.phase == "close":
                    assert role == ["output"], (oc, r, c)
                elif status == "active":
                    assert role == ["output_active"]
                else:
                    assert role == (["output"] if status == "done" else ["output_empty"])
    # the values of the closing frame are the layer's own output
    if index == -1:
        texts = pic.scene(index).texts()
        assert any("chosen cells (rows 1\u20133, cols 2\u20134)" in s for s in texts)
        assert any("a selection: output rows 1\u20133, cols 2\u20134" in s for s in texts)


@pytest.mark.parametrize("index", [0, 3, -1])
def test_conv3d_region_fills_its_depth_slices(index):
    """A 3-d region: frames visit it slice by slice; cells outside stay empty."""
    from tests.test_render import at

    layer = convgif.Conv3d(1, 1, 3, padding=1)
    region = (range(1, 3), range(1, 3), range(0, 2))
    # plain fills: the lit and empty cells' roles (shading by value is tested on its own)
    pic = render.picture(layer, input_shape=(1, 3, 4, 4), outputs="1-2,1-2,0-1", shade=False)
    assert len(pic) == 8 + 2
    painter = RasterPainter()
    frame = painter.paint(pic.scene(index))
    state = pic.storyboard.frame(index)
    grid = pic.layout.outputs[0]
    for pos in np.ndindex(3, 4, 4):
        role = pixel_role(frame, painter, *at(grid, pos))
        status = cell_status(pic.storyboard, state, 0, 0, pos)
        if not all(p in r for p, r in zip(pos, region)):
            assert role == ["output_empty"] and status == "todo", pos
        elif status == "active":
            assert role == ["output_active"], pos
        else:
            assert role == (["output"] if status == "done" else ["output_empty"]), pos


def test_region_equals_the_same_cells_of_the_whole_animation():
    """A frame of the region shows the same MACs and value as the whole animation's frame
    for the same output cell."""
    layer = convgif.Conv2d(3, 2, 3, stride=2, padding=1, seed=3)
    whole = render.picture(layer, input_shape=(3, 7, 7))
    part = render.picture(layer, input_shape=(3, 7, 7), outputs=(2, range(1, 3)))
    by_position = {}
    for i in range(1, len(whole) - 1):
        s = whole.storyboard.frame(i)
        for c in s.cells:
            by_position[(c.out_channel, s.position)] = (c.start, c.stop)
    seen = 0
    for i in range(1, len(part) - 1):
        s = part.storyboard.frame(i)
        assert s.position[0] == 2 and s.position[1] in (1, 2)
        for c in s.cells:
            assert (c.start, c.stop) == by_position[(c.out_channel, s.position)]
            seen += 1
    assert seen == 2 * 2


@pytest.mark.parametrize(
    "value, spatial, message",
    [
        ("0-3,0-9", (8, 8), r"^outputs='0-3,0-9': cols 0-9 must lie in 0\.\.7"),
        ("0-3", (8, 8), r"^outputs='0-3' gives 1 range\(s\); the output has 2"),
        ("0-1,0-1,0-1", (8, 8), r"gives 3 range\(s\)"),
        ("3-1,0", (8, 8), r"a range must run upwards from 0"),
        ("-1,0", (8, 8), r"whole numbers from 0"),
        ("a,b", (8, 8), r"^outputs='a,b' must be one range per output axis \(rows, cols\)"),
        ("", (8,), r"must be one range per output axis \(positions\)"),
        ((range(0, 4, 2), 0), (8, 8), r"step 1"),
        ((range(3, 3), 0), (8, 8), r"non-empty"),
        ((1.5, 0), (8, 8), r"each an int or a range"),
        ((True, 0), (8, 8), r"each an int or a range"),
        (7, (8,), r"^outputs=7 must be one range"),
        ((8,), (8,), r"positions 8-8 must lie in 0\.\.7"),
    ],
)
def test_bad_regions_are_refused(value, spatial, message):
    with pytest.raises(ConvGifError, match=message):
        output_region(value, spatial)


def test_api_refuses_region_outside_and_scatter():
    layer = convgif.Conv2d(1, 1, 3)
    with pytest.raises(ConvGifError, match=r"^outputs='0-5,0': rows 0-5 must lie in 0\.\.2"):
        render.picture(layer, input_shape=(1, 5, 5), outputs="0-5,0")
    t = convgif.ConvTranspose2d(1, 1, 3, stride=2)
    with pytest.raises(ConvGifError, match="view='scatter' .* takes no outputs="):
        render.picture(t, input_shape=(1, 2, 2), view="scatter", outputs="0,0")


def test_cli_outputs(tmp_path, capsys):
    target = tmp_path / "deep" / "er" / "o.gif"
    code = cli.main(["render", "--layer", "Conv2d(2, 2, 3, padding=1)", "--input-shape",
                     "2,6,6", "--outputs", "0-1,4-5", "-o", str(target)])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    assert "10 frames" in out  # 2x2 cells x 2 channels + opening + closing
    code = cli.main(["still", "--layer", "Conv2d(2, 2, 3)", "--input-shape", "2,6,6",
                     "--outputs", "0-1,4-5", "-o", str(tmp_path / "o.png")])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err == ("convgif: error: --outputs='0-1,4-5': cols 4-5 must lie in 0..3 "
                   "(the output has 4 cols)\n")


def test_cli_outputs_subprocess_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "convgif", "still", "--layer", "Conv1d(1, 1, 3)",
         "--input-shape", "1,9", "--outputs", "2-x", "-o", str(tmp_path / "a.png")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("convgif: error: --outputs='2-x' must be one range")


def test_simulated_channels_match_the_whole_layer():
    layer = convgif.Conv2d(4, 6, 3, stride=2, padding=1, groups=2, seed=5)
    x = np.random.default_rng(0).normal(size=(2, 4, 7, 7))
    whole = layer.trace(x)
    part = layer.trace(x, out_channels=[4, 1])
    assert part.computed == (1, 4)
    assert np.array_equal(part.y[:, [1, 4]], whole.y[:, [1, 4]])  # bit for bit
    assert np.isnan(part.y[:, [0, 2, 3, 5]]).all()
    # channels the renderer will refuse: everything is simulated, the refusal comes later
    assert layer.trace(x, out_channels=[9]).computed is None
    with pytest.raises(ConvGifError, match=r"channels=\[9\] must name output channels"):
        render.picture(layer, x=x, channels=[9])
