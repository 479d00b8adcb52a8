"""No runaway: what would exceed the budgets is refused up front, in under 2 s and 300 MB,
with the estimate and the way round; --force lifts the soft limits, never the hard one."""

from __future__ import annotations

import os
import re
import time
import tracemalloc

import pytest

import convgif
from convgif.cli.main import main
from convgif.errors import ConvGifError

SECONDS, MEGABYTES = 2.0, 300
FRAMES_200 = ",".join(str(i) for i in range(1, 201))


def refused_quickly(argv, capsys) -> str:
    """The one error line of ``argv`` (exit 2), which must come in under SECONDS with under
    MEGABYTES traced at the peak."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        status = main(argv)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 1024**2
    finally:
        tracemalloc.stop()
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert status == 2 and len(lines) == 1 and lines[0].startswith("convgif: error: "), err
    assert seconds < SECONDS, (seconds, lines[0])
    assert peak < MEGABYTES, (peak, lines[0])
    return lines[0]


BIG = "1,4096,4096"


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["still", "--layer", "Conv2d(3, 4, 3)", "--input-shape", "3,8,8",
          "--channels", "0-99999999", "-o", "c.png"],
         r"--channels='0-99999999' must name output channels in 0\.\.3"),
        (["overlap", "--layer", "ConvTranspose2d(1, 1, 3, stride=2)", "--input-shape", "1,8,8",
          "--scale", "100", "-o", "o.gif"],
         r"a frame would be at least [\d,]+ x [\d,]+ pixels .*use a smaller input, scale= or "
         r"cell= \(--input-shape, --scale, --cell\)"),
        (["sheet", "--layer", "Conv2d(1, 1, 3)", "--input-shape", "1,64,64", "--step", "mac",
          "--count", "100000", "-o", "s.png"],
         r"a frame would be [\d,]+ x [\d,]+ pixels .*use fewer frames= or a smaller count= "
         r"\(--frames, --count\), other columns= \(--columns\)"),
        (["sheet", "--layer", "Conv2d(1, 1, 3)", "--input-shape", "1,16,16", "--step", "mac",
          "--frames", FRAMES_200, "-o", "s.png"],
         r"a frame would be 4,056 x 37,666 pixels .*fewer frames= .*--columns"),
        (["stack", "Conv2d(1, 1, 3)", "--input-shape", BIG, "-o", "st.txt"],
         r"-o='st.txt' must end in one of"),
        (["stack", "Conv2d(1, 1, 3)", "--input-shape", BIG, "-o", "st.gif"],
         r"a frame would be at least [\d,]+ x [\d,]+ pixels .*--input-shape"),
        (["render", "--layer", "Conv2d(1, 1, 3)", "--input-shape", BIG, "-o", "r.gif"],
         r"a frame would be at least 28,665 x 14,333 pixels \(limit 16,000 a side and 100 "
         r"million pixels, even with force=True \(--force\); about [\d,]+ MB to paint\)"),
        (["render", "--layer", "Conv2d(1, 1, 3)", "--input-shape", BIG, "--force", "-o", "r.gif"],
         r"even with force=True \(--force\)"),
        (["render", "--layer", "Conv2d(1, 1, 3)", "--input-shape", "1,2000,2000", "-o", "r.gif"],
         r"at least 13,993 x [\d,]+ pixels \(limit 8,000\): use a smaller input, .* or "
         r"force=True \(--force\)"),
        (["still", "--layer", "Conv1d(1, 1, 3)", "--input-shape", "1,4000", "-o", "r.png"],
         r"at least 14,000 x 7 pixels \(limit 8,000\)"),
        (["overlap", "--layer", "Conv2d(1, 1, 3)", "--input-shape", BIG, "-o", "o.gif"],
         r"even with force=True"),
        (["overlap", "--layer", "Conv2d(1, 1, 3)", "--input-shape", BIG, "--force",
          "-o", "o.png"], r"even with force=True"),
        (["frames", "--layer", "Conv2d(1, 1, 3)", "--input-shape", "1,64,64", "--step", "mac",
          "--format", "svg", "-o", "fr"],
         r"34,598 frames as \.svg files \(limit 1,000.*\): choose fewer with --frames or "
         r"--every, or write PNG frames \(--format='png'\)"),
        # a vector stack of 44,437 shapes took 22 s; larger inputs minutes
        (["stack", "Conv2d(1, 1, 3)", "--input-shape", "1,150,150", "-o", "st.svg"],
         r"-o='st.svg': a vector still draws each cell as a shape, and this one has 44,404 "
         r"\(limit 10,000"),
        (["overlap", "--layer", "Conv2d(1, 1, 3)", "--input-shape", "1,150,150", "-o", "o.pdf"],
         r"-o='o.pdf': a vector still draws each cell as a shape, and this one has 44,404 "
         r"\(limit 10,000"),
        # found by the fuzz suite: 150 million records ran for minutes and gigabytes
        (["trace", "--layer", "Conv2d(1, 1, 3)", "--input-shape", BIG, "-o", "t.jsonl"],
         r"the trace would hold 150,847,524 records \(limit 5,000,000\): give a smaller "
         r"--input-shape"),
    ],
)
def test_refused_up_front(tmp_path, capsys, monkeypatch, argv, expected):
    monkeypatch.chdir(tmp_path)
    line = refused_quickly(argv, capsys)
    assert re.search(expected, line), line
    assert list(tmp_path.iterdir()) == []


def test_channels_from_python_are_counted_before_they_are_expanded(tmp_path):
    start = time.perf_counter()
    with pytest.raises(ConvGifError, match=r"^channels=range\(0, 1000000000\) names more "
                       r"than 65,536 channels") as caught:
        convgif.Conv2d(3, 4, 3).still(tmp_path / "a.png", input_shape=(3, 8, 8),
                                      channels=range(10**9))
    assert caught.value.param == "channels"
    assert time.perf_counter() - start < SECONDS


def test_force_lifts_the_soft_limit_only(tmp_path):
    """A frame over 8,000 px is written when forced; one over the hard limit never is."""
    from convgif.frames import budget

    budget.check_budget(9_000, 100, 1, force=True)  # forced: allowed
    with pytest.raises(ConvGifError, match=r"\(limit 8,000\)"):
        budget.check_budget(9_000, 100, 1)
    for width, height in ((16_001, 10), (12_000, 9_000)):
        with pytest.raises(ConvGifError, match=r"even with force=True"):
            budget.check_budget(width, height, 1, force=True)


def test_the_shape_estimate_never_refuses_what_fits(tmp_path):
    """The estimate from shapes is a lower bound: a layer whose picture fits is drawn."""
    from PIL import Image

    layer = convgif.Conv2d(1, 1, 3)
    layer.still(tmp_path / "a.png", input_shape=(1, 200, 200))
    width, height = Image.open(tmp_path / "a.png").size
    assert max(width, height) >= 3.5 * (200 + 198) or width * height >= 3.5**2 * 200**2


@pytest.mark.parametrize("make", ["fifo", "device", "folder", "large"])
def test_batch_reads_only_a_regular_file_of_bounded_size(tmp_path, capsys, make):
    path = tmp_path / "b.toml"
    if make == "fifo":
        os.mkfifo(path)
        rule = "is not a regular file"
    elif make == "device":
        path = "/dev/zero"
        rule = "is not a regular file"
    elif make == "folder":
        path.mkdir()
        rule = "is not a regular file"
    else:
        with open(path, "wb") as f:
            f.truncate(17 * 1024**2)
        rule = r"has 17,825,792 bytes \(limit 1,048,576\): split it"
    start = time.perf_counter()
    status = main(["batch", str(path)])
    err = capsys.readouterr().err
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert re.search(rf"^convgif: error: batch file '.*' {rule}", err), err
    assert time.perf_counter() - start < SECONDS
