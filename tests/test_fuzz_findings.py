"""What the fuzz suite (tests/test_fuzz_suite.py) found that issue 15's list did not, each
pinned: one ConvGifError naming the argument in Python's terms, one stderr line naming the
flag on the command line (exit status 2), nothing written."""

from __future__ import annotations

import contextlib
import io
import os
import resource
import time

import numpy as np
import pytest

import convgif
from convgif import ConvGifError
from convgif.batch import run_batch
from convgif.cli.main import main


def error_line(argv, cwd) -> str:
    err = io.StringIO()
    before = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(argv)
    finally:
        os.chdir(before)
    lines = err.getvalue().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("convgif: error: "), (
        code, err.getvalue())
    return lines[0].removeprefix("convgif: error: ")


def test_a_vector_still_of_a_big_input_is_refused_up_front(tmp_path):
    """Was: `still --input big.npy -o out.svg` (1x300x300) ran for over two minutes and took
    2.8 GB (matplotlib draws each cell as a patch). Now refused in well under 2 s."""
    np.save(tmp_path / "big.npy", np.zeros((1, 300, 300), np.float32))
    start, peak = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    line = error_line(["still", "--layer", "MaxPool2d(2)", "--input", "big.npy",
                       "-o", "out.svg"], tmp_path)
    assert time.perf_counter() - start < 2
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 300 * 1024
    assert line.startswith("-o='out.svg': a vector still draws each cell")
    assert "112,500" in line and "write .png" in line and "(--input-shape, --input)" in line
    assert os.listdir(tmp_path) == ["big.npy"]
    with pytest.raises(ConvGifError, match=r"^path='.*o.pdf': .*\(input_shape, x\)") as info:
        convgif.Conv2d(1, 1, 2).still(tmp_path / "o.pdf", input_shape=(1, 100, 100))
    assert info.value.param == "path"
    convgif.Conv2d(1, 1, 2).still(tmp_path / "o.svg", input_shape=(1, 8, 8))  # small: drawn
    assert (tmp_path / "o.svg").read_bytes().rstrip().endswith(b"</svg>")


@pytest.mark.parametrize(
    "argv, expected",
    [  # each once named the Python keyword (or no argument) on the command line
        (["still", "--layer", "MaxPool2d(2)", "--input-shape", "1,4,4", "--flip", "-o", "a.png"],
         "--flip=True needs a convolution (Conv1d/2d/3d), not MaxPool2d"),
        (["still", "--layer", "MaxPool2d(2)", "--input-shape", "1,4,4", "--view", "matrix",
          "-o", "a.png"], "not linear (--view='matrix' and conv_matrix need"),
        (["stack", "Conv2d(2, 1, 2)", "--input-shape", "1,5,5", "-o", "s.png"],
         "but the input (--input-shape=(1, 5, 5)) gives 1 channels"),
        (["stack", "Conv2d(1, 1, 2)", "--input-shape", "5,5", "-o", "s.png"],
         "--input-shape=(5, 5) must be (C, H, W)"),
    ],
)
def test_the_command_line_names_the_flag(tmp_path, argv, expected):
    assert expected in error_line(argv, tmp_path)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "call, param",
    [  # each raised TypeError or a bare ValueError, or named no parameter
        (lambda: convgif.Conv2d(1, 1, 2).still("a.png", input_shape=1.5), "input_shape"),
        (lambda: convgif.Conv2d(1, 1, 2).still("a.png", input_shape=10**30), "input_shape"),
        (lambda: convgif.ConvTranspose1d(2, 4, 2, padding_mode=np.array([2, 2])),
         "padding_mode"),
        (lambda: convgif.MaxPool2d(2).still("a.png", input_shape=(1, 4, 4), view="matrix"),
         "view"),
        (lambda: convgif.MaxPool2d(2).still("a.png", input_shape=(1, 4, 4), flip=True), "flip"),
        (lambda: convgif.Conv2d(1, 1, 2).still("a.gif", input_shape=(1, 3, 3)), "path"),
        (lambda: convgif.receptive_fields("Conv2d(2, 1, 2)", (1, 5, 5)), "layers"),
        (lambda: run_batch("no-such-batch.toml"), "batch"),
    ],
)
def test_the_api_raises_one_convgif_error_with_its_param(tmp_path, monkeypatch, call, param):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConvGifError) as info:
        call()
    assert info.value.param == param, (info.value.param, str(info.value))
    assert "\n" not in str(info.value) and "--" not in str(info.value)
    assert os.listdir(tmp_path) == []


def test_a_made_up_input_too_big_to_simulate_is_refused_before_it_is_made(tmp_path):
    """Was: 384 MB of copies of the made-up input before the refusal (a Keras layer reads
    1,4096,4096 as 4,096 channels last). Now under 2 s and 300 MB, nothing written."""
    import tracemalloc

    tracemalloc.start()
    start = time.perf_counter()
    try:
        line = error_line(["trace", "--layer", "layers.Conv2DTranspose(1, 2, strides=2)",
                           "--input-shape", "1,4096,4096", "-q", "-o", "t.npz"], tmp_path)
        peak = tracemalloc.get_traced_memory()[1] / 1024**2
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 2 and peak < 300, (peak, line)
    # the trace's own record bound now refuses it first, from the shapes alone
    assert "the trace would hold 67,108,864 records (limit 5,000,000)" in line
    assert os.listdir(tmp_path) == []


def test_from_torch_refuses_an_array_torch_kept_unchecked():
    """Was: numpy's ValueError ("can only convert an array of size 1") from from_torch."""
    import torch

    with pytest.raises(ConvGifError) as info:
        convgif.from_torch(torch.nn.AvgPool2d(2, padding=np.array([1, 1])))
    assert info.value.param == "padding"
