"""Every public function that writes one picture returns a ``Rendered`` that describes the
file it wrote (its path, frames, pixel size, one loop's length), never an internal view."""

from __future__ import annotations

import inspect

import pytest
from PIL import Image

import convgif
from convgif.api import features as features_api
from convgif.api import inline
from convgif.api.result import Rendered
from convgif.cli.main import main

HEADLINE = "Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)"
LENET = "Conv2d(1,6,5) MaxPool2d(2)"


def gif_facts(path):
    """(frames stored, (width, height), one loop in ms) of a GIF."""
    with Image.open(path) as im:
        total = 0
        for k in range(im.n_frames):
            im.seek(k)
            total += im.info["duration"]
        return im.n_frames, im.size, total


def png_size(path):
    with Image.open(path) as im:
        return getattr(im, "n_frames", 1), im.size


WRITERS = {
    "layer.animate": lambda p: convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2).animate(
        p / "a.gif", input_shape=(3, 7, 7), max_frames=7),
    "layer.still": lambda p: convgif.MaxPool2d(2).still(p / "s.png", input_shape=(1, 4, 4)),
    "overlap.gif": lambda p: convgif.overlap(p / "o.gif", "ConvTranspose2d(1, 1, 3, stride=2)",
                                             (1, 3, 3)),
    "overlap.png": lambda p: convgif.overlap(p / "o.png", "Conv2d(1, 1, 3, stride=2)", (1, 7, 7)),
    "stack.gif": lambda p: convgif.stack(p / "st.gif", LENET, (1, 12, 12)),
    "stack.png": lambda p: convgif.stack(p / "st.png", LENET, (1, 12, 12), frame=1),
    "features": lambda p: convgif.features(p / "f.png", True, "edge", max_side=40),
    "player.save": lambda p: convgif.show("MaxPool2d(2)", input_shape=(1, 4, 4)).save(
        p / "pl.gif"),
}


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_each_picture_writer_returns_what_it_wrote(tmp_path, name):
    result = WRITERS[name](tmp_path)
    assert type(result) is Rendered
    assert result.path.exists() and result.path.parent == tmp_path
    if result.path.suffix == ".gif":
        frames, size, duration = gif_facts(result.path)
        # a GIF merges identical neighbours (each staying as long as they would together):
        # it stores at most the frames the counter numbers, and plays just as long
        assert 1 < frames <= result.frames
        assert (size, duration) == (result.size, result.duration_ms)
    else:
        frames, size = png_size(result.path)
        assert (frames, size, result.frames, result.duration_ms) == (1, result.size, 1, 0)
    assert (result.width, result.height) == result.size


def test_sampled_and_whole_animations_count_their_frames(tmp_path):
    layer = convgif.Conv2d(1, 1, 3)
    whole = layer.animate(tmp_path / "w.gif", input_shape=(1, 5, 5), step="output")
    sampled = layer.animate(tmp_path / "s.gif", input_shape=(1, 5, 5), step="output",
                            max_frames=4)
    assert whole.frames == 9 + 2  # opening, nine output cells, the held result
    assert sampled.frames == 4
    page = convgif.stack(tmp_path / "st.html", LENET, (1, 12, 12))
    assert page.frames == 3 and page.duration_ms > 0  # the input, each layer back


def test_the_public_writers_say_so(tmp_path):
    """Their signatures and docstrings name Rendered, not a picture class."""
    for function in (convgif.overlap, convgif.stack, features_api.features,
                     convgif.Conv2d.animate, convgif.Conv2d.still, inline.Player.save):
        assert "Rendered" in (function.__doc__ or ""), function.__qualname__
        annotation = inspect.signature(function).return_annotation
        assert annotation in ("Rendered", inspect.Signature.empty, Rendered), annotation


@pytest.mark.parametrize("argv, says", [
    (["overlap", "--layer", "Conv2d(1, 1, 3, stride=2)", "--input-shape", "1,7,7"],
     "up to 4 per cell"),
    (["stack", LENET, "--input-shape", "1,12,12"], "receptive field of 6x6"),
    (["features", "--max-side", "40"], "-> feature maps (3, 40,"),
])
def test_the_command_line_still_reports_on_the_picture(tmp_path, capsys, argv, says):
    out = tmp_path / "out.png"
    assert main([*argv, "-o", str(out)]) == 0
    assert says in capsys.readouterr().out
    assert png_size(out)[0] == 1
