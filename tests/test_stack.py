"""The receptive-field picture of a stack: what each frame lights, the files, the command."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from convgif import ConvGifError
from convgif.api.stack import picture, receptive_fields, stack, stack_view
from convgif.views.channels import shown_lit as shown
from convgif.views.scene import Box, Line
from convgif.views.stack import StackPicture

LENET = "Conv2d(1,6,5) MaxPool2d(2) Conv2d(6,16,5) MaxPool2d(2)"
SEPARABLE = "Conv2d(8, 8, 3, groups=8) Conv2d(8, 16, 1)"


def _lit_cells(pic: StackPicture, frame: int, n: int, ch=None) -> set:
    """(row, col) of real cells filled as lit in map n's grid (padding offset removed)."""
    col = pic.columns[n]
    grid = col.grids[ch]
    (pt, _), (pl, _) = col.pads
    out = set()
    for item in pic.scene(frame).dynamic:
        if isinstance(item, Box) and item.fill in ("tap", "output_active") and item.w == grid.cell:
            r = round((item.y - grid.y) / grid.cell)
            c = round((item.x - grid.x) / grid.cell)
            inside = 0 <= r < grid.rows and 0 <= c < grid.cols
            if inside and abs(item.x - grid.x - c * grid.cell) < 1e-6:
                out.add((r - pt, c - pl))
    return out


def test_lenet_frames_walk_back_one_layer_each():
    pic = picture(LENET, (1, 32, 32))
    assert len(pic) == 5
    assert pic.width <= 1280 and not pic.by_channel
    for frame in range(5):
        for n in range(5):
            lit = _lit_cells(pic, frame, n)
            expected = set(zip(*np.nonzero(pic.rf.maps[n].mask.any(axis=0)))) if n >= 4 - frame \
                else set()
            assert lit == {(int(r), int(c)) for r, c in expected}, (frame, n)
    texts = " ".join(pic.scene(-1).texts())
    for words in ("RF 16\u00d716 \u00b7 jump 4", "RF 14\u00d714 \u00b7 jump 2",
                  "16 = 14 + (2\u22121)\u00b71\u00b72", "1 \u00d7 32 \u00d7 32",
                  "16 \u00d7 5 \u00d7 5", "256 of 1,024 cells of the input"):
        assert words in texts


def test_separable_draws_channels_parallel_then_fanning():
    pic = picture(SEPARABLE, (8, 7, 7))
    assert pic.by_channel and len(pic) == 3
    assert pic.columns[0].channels == [0, 1, 2, None, 6, 7]
    # frame 1 (pointwise): one line from the chosen cell to each drawn channel of the middle map
    lines1 = [i for i in pic.scene(1).dynamic if isinstance(i, Line)]
    assert len(lines1) == 5
    assert len({(round(i.x0), round(i.y0)) for i in lines1}) == 1  # all from one cell: a fan
    # frame 2 adds the depthwise lines: channel c to channel c, level
    lines2 = [i for i in pic.scene(2).dynamic if isinstance(i, Line)]
    depthwise = [i for i in lines2 if i not in lines1]
    assert len(depthwise) == 5 and all(abs(i.y0 - i.y1) < 1e-6 for i in depthwise)
    for ch in (0, 1, 2, 6, 7):
        assert _lit_cells(pic, 1, 1, ch) == {(2, 2)}
        assert _lit_cells(pic, 2, 0, ch) == {(r, c) for r in range(2, 5) for c in range(2, 5)}
    assert _lit_cells(pic, 2, 2, 0) == {(2, 2)} and _lit_cells(pic, 2, 2, 1) == set()


def test_shown_keeps_the_lit_channels():
    assert shown(16, [0]) == [0, 1, 2, None, 14, 15]
    assert shown(16, [9]) == [0, 1, None, 9, None, 15]
    assert shown(5, [3]) == [0, 1, 2, 3, 4]
    assert shown(8, range(8)) == [0, 1, 2, None, 6, 7]
    # lit channels of eight: all drawn, the ends for context where they fit
    assert shown(8, [0, 1, 2, 3]) == [0, 1, 2, 3, None, 7]
    assert shown(8, [4, 5]) == [0, None, 4, 5, 6, 7]
    assert shown(8, [2, 3, 4]) == [0, 1, 2, 3, 4, None]
    # As many lit channels as any six-row plan could show: checked against all of them.
    rng = np.random.default_rng(0)
    for count in range(7, 11):
        plans = []
        for bits in range(1, 1 << count):
            drawn = [c for c in range(count) if bits >> c & 1]
            gaps = sum(1 for a, b in zip([-1, *drawn], [*drawn, count]) if b - a > 1)
            if len(drawn) + gaps <= 6:
                plans.append(set(drawn))
        for _ in range(40):
            lit = set(np.flatnonzero(rng.random(count) < 0.5).tolist())
            most = max(len(lit & plan) for plan in plans)
            assert len(lit & set(shown(count, lit))) == most, (count, lit)
    for count in range(7, 20):
        for lit in ([1, 3], [2, 3, 4], [count - 3], list(range(5))):
            drawn = shown(count, lit)
            assert len(drawn) <= 6 and set(lit) <= set(drawn)
            channels = [c for c in drawn if c is not None]
            assert channels == sorted(channels)
            # one gap between two runs of drawn channels, never two gaps in a row
            assert all(a is not None or b is not None for a, b in zip(drawn, drawn[1:]))
            assert (None in drawn) == (len(channels) < count)
    pic = picture(SEPARABLE, (8, 7, 7), output_cell=(9, 0, 0))
    assert 9 in pic.columns[-1].channels


def test_padding_taps_drawn_dashed_in_the_padded_ring():
    pic = picture("Conv2d(1, 1, 3, padding=1)", (1, 4, 4), output_cell=(0, 0))
    assert pic.columns[0].grids[None].rows == 6
    dashed = [i for i in pic.scene(-1).dynamic
              if isinstance(i, Box) and i.dashed and i.fill == "pad"]
    assert len(dashed) == int(pic.rf.maps[0].pad_taps.sum()) == 5
    assert any("padding it reads" in t for t in pic.scene(0).texts())


def test_files_by_extension(tmp_path):
    still = stack(tmp_path / "s.png", LENET, (1, 32, 32))
    pic = stack_view(tmp_path / "s.png", LENET, (1, 32, 32))
    with Image.open(tmp_path / "s.png") as im:
        assert im.size == still.size == (round(pic.width), round(pic.height))
        assert getattr(im, "n_frames", 1) == 1
    stack(tmp_path / "a.gif", SEPARABLE, (8, 7, 7), output_cell=(1, 1))
    with Image.open(tmp_path / "a.gif") as im:
        assert im.n_frames == 3
    stack(tmp_path / "s.svg", "Conv2d(1, 1, 3) MaxPool2d(2)", (1, 8, 8))
    assert b"<svg" in (tmp_path / "s.svg").read_bytes()[:400]
    with pytest.raises(ConvGifError, match="must end in one of"):
        stack(tmp_path / "x.jpg", LENET, (1, 32, 32))
    with pytest.raises(ConvGifError, match="frame=7"):
        stack(tmp_path / "x.png", LENET, (1, 32, 32), frame=7)
    assert not (tmp_path / "x.png").exists()


def test_python_names():
    import convgif

    assert convgif.stack is stack
    assert convgif.receptive_fields is receptive_fields


def test_cli_writes_and_refuses(tmp_path, cli):
    r = cli("stack", LENET, "--input-shape", "1,32,32", "--output-cell", "0,1,3", "-o", "l.gif")
    assert r.returncode == 0, r.stderr
    assert "receptive field of 16x16 input cells, jump 4x4" in r.stdout
    with Image.open(tmp_path / "l.gif") as im:
        assert im.n_frames == 5
    for args, message in [
        (("Conv2d(1,6,5) Conv2d(3,16,5)", "--input-shape", "1,32,32"),
         "layer 2 (Conv2d(3, 16, kernel_size=5)) has in_channels=3, but layer 1"),
        ((LENET, "--input-shape", "1,32,32", "--output-cell", "0,5,5"), "outside the last layer"),
        ((LENET, "--input-shape", "1,12,12"), "layer 3 (Conv2d(6, 16, kernel_size=5))"),
        (("Conv2d(1,6,5", "--input-shape", "1,32,32"), "unclosed"),
    ]:
        r = cli("stack", *args)
        assert r.returncode == 2
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], r.stderr


def test_grouped_stack_draws_every_lit_channel():
    """In a grouped stack the lit channels are drawn, not hidden in an ellipsis."""
    layers = "Conv2d(4, 16, 3, groups=4) Conv2d(16, 16, 3, groups=16) Conv2d(16, 4, 1, groups=4)"
    pic = picture(layers, (4, 9, 9), output_cell=(2, 1, 1))
    for column, fmap in zip(pic.columns, pic.rf.maps):
        assert set(fmap.channels_lit) <= set(column.channels)
    assert pic.columns[1].channels == [None, 8, 9, 10, 11, None]
    texts = pic.scene(-1).texts()
    assert "\u22ee 8 more" in texts and "\u22ee 4 more" in texts
