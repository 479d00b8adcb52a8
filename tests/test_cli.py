"""The ``convgif`` command through real subprocesses: every subcommand's files, errors, speed."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import statistics
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

import convgif
from convgif.api.kinds import parse_layer

DEFAULT = "Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)"
COMMANDS = ("info", "render", "still", "frames", "sheet", "trace", "batch", "overlap", "cost")


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "convgif", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )


def one_error_line(result) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("convgif: error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


def gif_frames(path) -> int:
    with Image.open(path) as im:
        assert im.format == "GIF"
        return im.n_frames


# --------------------------------------------------------------------------- help, version


def test_help_is_fast_and_light():
    times = []
    for _ in range(5):
        start = time.perf_counter()
        result = run("--help")
        times.append(time.perf_counter() - start)
        assert result.returncode == 0 and "examples:" in result.stdout
    median = statistics.median(times)
    print(f"convgif --help: median {median * 1000:.0f} ms of 5 runs")
    assert median < 0.5
    # What makes it fast: none of the heavy modules is imported to print the help.
    probe = (
        "import sys\nfrom convgif.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('numpy', 'PIL', 'matplotlib', 'imageio', 'torch') "
        "if m in sys.modules]\nprint('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=60).stdout
    assert "HEAVY []" in out, out


def test_render_imports_only_what_it_draws(tmp_path):
    """A Conv2d's GIF needs no other layer kind's module, no batch-file reader and no GIF
    plugin (the encoder alone writes the frames): each was a share of the command's
    start-up. A pool's line brings its own module."""
    probe = (
        "import sys\nfrom convgif.cli.main import main\n"
        "assert main(sys.argv[1:]) == 0\n"
        "print('LOADED', sorted(m for m in ('convgif.api.keras', 'convgif.api.pools', "
        "'convgif.api.keras_pools', 'convgif.api.keras_separable', 'convgif.api.unfold', "
        "'convgif.io.batchfile', 'PIL.GifImagePlugin', 'matplotlib') if m in sys.modules))\n"
    )
    for layer, loaded in (("Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)", "[]"),
                          ("MaxPool2d(2)", "['convgif.api.pools']")):
        out = subprocess.run([sys.executable, "-c", probe, "render", "--layer", layer,
                              "--input-shape", "3,6,6", "-q", "-o", str(tmp_path / "a.gif")],
                             capture_output=True, text=True, timeout=120)
        assert f"LOADED {loaded}" in out.stdout, out.stdout + out.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples(command):
    result = run(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "examples:" in result.stdout
    assert "convgif " + command in result.stdout


def test_version():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"convgif {convgif.__version__}"


# --------------------------------------------------------------------------- render


def test_no_arguments_renders_the_default_layer(tmp_path):
    result = run(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "outputs" / "conv2d.gif"
    assert gif_frames(path) == 20
    line = result.stdout.strip()
    assert line.startswith("wrote outputs/conv2d.gif: 20 frames, ") and line.endswith(" s")
    assert " KB, " in line


def test_quiet_prints_nothing(tmp_path):
    result = run("render", "--quiet", "-o", "q.gif", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""
    assert gif_frames(tmp_path / "q.gif") == 20


@pytest.mark.parametrize(
    "layer, flags, shape",
    [
        (DEFAULT, ["--in-channels", "3", "--out-channels", "2", "--kernel-size", "3",
                   "--stride", "2", "--padding", "1", "--dilation", "2"], "3,7,7"),
        # in_channels from the input shape; 3,2 kernel; (before, after) padding per axis
        ("Conv2d(2, 2, (3, 2), padding=((0, 1), (1, 0)), bias=False, padding_mode='reflect')",
         ["--out-channels", "2", "--kernel-size", "3,2", "--padding", "0:1,1:0", "--no-bias",
          "--padding-mode", "reflect"], "2,5,5"),
        ("ConvTranspose2d(1, 2, 3, stride=2, padding=1, output_padding=1, groups=1)",
         ["--out-channels", "2", "--kernel-size", "3", "--stride", "2", "--padding", "1",
          "--output-padding", "1", "--transposed", "--groups", "1"], "1,3,3"),
        ("Conv1d(1, 1, 3, padding='same')",
         ["--out-channels", "1", "--kernel-size", "3", "--padding", "same"], "1,9"),
    ],
)
def test_layer_flags_give_the_same_bytes_as_layer(tmp_path, layer, flags, shape):
    a = run("render", "--layer", layer, "--input-shape", shape, "-o", "a.gif", cwd=tmp_path)
    b = run("render", *flags, "--input-shape", shape, "-o", "b.gif", cwd=tmp_path)
    assert a.returncode == 0 and b.returncode == 0, (a.stderr, b.stderr)
    assert (tmp_path / "a.gif").read_bytes() == (tmp_path / "b.gif").read_bytes()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--kernel-size", "3"], "--out-channels and --kernel-size"),
        (["--out-channels", "2", "--kernel-size", "3", "--layer", DEFAULT], "not both"),
        (["--out-channels", "2", "--kernel-size", "3x"], "--kernel-size='3x'"),
        (["--out-channels", "2", "--kernel-size", "3", "--output-padding", "1"], "--transposed"),
        (["--out-channels", "4", "--kernel-size", "3", "--groups", "2"],
         "groups=2 must divide in_channels=3"),
        (["--out-channels", "2", "--kernel-size", "3", "--padding", "middle"], "--padding"),
    ],
)
def test_bad_layer_flags_exit_2(tmp_path, args, message):
    line = one_error_line(run("render", *args, "-o", "x.gif", cwd=tmp_path))
    assert message in line
    assert not (tmp_path / "x.gif").exists()


@pytest.mark.parametrize(
    "layer, message",
    [
        ("Conv9d(3, 2, 3)", "must be one of"),
        ("Conv2d(3, 2, 3, colour=1)", "unexpected keyword argument 'colour'"),
        ("__import__('os').system('echo hi')", "must be one of"),
        ("Conv2d(3, 2, 3, padding=__import__('os').system('echo hi'))", "literal"),
    ],
)
@pytest.mark.parametrize("command", ["render", "frames", "sheet", "trace", "info"])
def test_malformed_layer_exits_2_with_one_line(tmp_path, command, layer, message):
    result = run(command, "--layer", layer, cwd=tmp_path)
    line = one_error_line(result)
    assert message in line
    assert "hi" not in result.stdout
    assert not (tmp_path / "outputs").exists()


def test_input_npy(tmp_path):
    x = np.arange(2 * 5 * 5, dtype=np.float32).reshape(2, 5, 5) % 7
    np.save(tmp_path / "x.npy", x)
    result = run("trace", "--layer", "Conv2d(2, 1, 3)", "--input", "x.npy", "-o", "t.npz",
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with np.load(tmp_path / "t.npz") as z:
        np.testing.assert_array_equal(z["input"][0], x)
        expected = parse_layer("Conv2d(2, 1, 3)").trace(x).output
        np.testing.assert_array_equal(z["output"], expected)
    result = run("render", "--layer", "Conv2d(2, 1, 3)", "--input", "x.npy", "-o", "x.gif",
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert gif_frames(tmp_path / "x.gif") == 11  # opening, 9 cells, closing


@pytest.mark.parametrize(
    "make, message",
    [
        (None, "no such file"),
        (lambda p: p.write_text("3,7,7\n"), "not a .npy file"),
        (lambda p: np.save(p, np.array(["a", "b"])), "must hold numbers"),
        (lambda p: np.save(p, np.array([{}, 1], dtype=object), allow_pickle=True),
         "Python objects"),
        (lambda p: p.write_bytes(b"\x93NUMPY\x01\x00"), "not a readable .npy file"),
    ],
)
def test_bad_input_file_exits_2(tmp_path, make, message):
    if make is not None:
        make(tmp_path / "x.npy")
    line = one_error_line(run("render", "--input", "x.npy", cwd=tmp_path))
    assert "--input='x.npy'" in line and message in line


def test_input_and_input_shape_conflict(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((3, 7, 7)))
    line = one_error_line(run("render", "--input", "x.npy", "--input-shape", "3,7,7",
                              cwd=tmp_path))
    assert "not both" in line


def test_view_scatter(tmp_path):
    layer = "ConvTranspose2d(1, 1, 3, stride=2)"
    result = run("render", "--layer", layer, "--input-shape", "1,2,2", "--view", "scatter",
                 "-o", "s.gif", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert gif_frames(tmp_path / "s.gif") >= 3
    line = one_error_line(run("render", "--view", "scatter", "-o", "s.gif", cwd=tmp_path))
    assert "scatter" in line


# --------------------------------------------------------------------------- frames, sheet


def test_frames_folder_and_beamer_snippet(tmp_path):
    result = run("frames", "--every", "5", "-o", "slides/conv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "slides" / "conv"
    files = sorted(folder.glob("frame_*.png"))
    assert [f.name for f in files] == [f"frame_{i:04d}.png" for i in range(1, 6)]  # 0,5,10,15,19
    sizes = set()
    for f in files:
        with Image.open(f) as im:
            assert im.format == "PNG"
            sizes.add(im.size)
    assert len(sizes) == 1
    tex = (folder / "frames.tex").read_text()
    assert "\\usepackage{animate}" in tex
    assert (
        "\\animategraphics[autoplay,loop,width=\\linewidth]{1.43}{slides/conv/frame_}{0001}{0005}"
    ) in tex
    assert tex in result.stdout  # printed too


def test_frames_by_number_and_stale_files_removed(tmp_path):
    assert run("frames", "-o", "f", cwd=tmp_path).returncode == 0
    assert len(list((tmp_path / "f").glob("frame_*.png"))) == 20
    result = run("frames", "--frames", "1,-1", "-o", "f", "--quiet", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout == ""
    assert sorted(p.name for p in (tmp_path / "f").glob("frame_*.png")) == [
        "frame_0001.png", "frame_0002.png"]
    line = one_error_line(run("frames", "--frames", "1,99", "-o", "f", cwd=tmp_path))
    assert "--frames=99 must lie in 1..20 or -20..-1" in line
    line = one_error_line(run("frames", "--frames", "0", "-o", "f", cwd=tmp_path))
    assert "--frames=0 is not a frame: frames are numbered 1..20" in line


def test_contact_sheet(tmp_path):
    result = run("sheet", "--frames", "1,4,7", "--columns", "2", "-o", "s.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote s.png: 3 of 20 frames, ")
    with Image.open(tmp_path / "s.png") as im:
        assert im.format == "PNG"
        sheet_w, sheet_h = im.size
    assert run("still", "--frame", "1", "-o", "f1.png", cwd=tmp_path).returncode == 0
    with Image.open(tmp_path / "f1.png") as im:
        w, h = im.size
    assert 2 * w < sheet_w < 2 * w + 100 and 2 * h < sheet_h < 2 * h + 150
    line = one_error_line(run("sheet", "-o", "s.gif", cwd=tmp_path))
    assert ".png" in line


# --------------------------------------------------------------------------- trace


def test_trace_csv(tmp_path):
    result = run("trace", "-o", "t.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote t.csv: 486 MACs x 14 fields, ")
    trace = parse_layer(DEFAULT).trace(parse_layer(DEFAULT).example_input((3, 7, 7)))
    with open(tmp_path / "t.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == trace.fields
    assert len(rows) == 1 + trace.num_macs
    macs = trace.macs()
    got = np.array([[float(v) for v in row] for row in rows[1:]])
    for j, name in enumerate(trace.fields):
        np.testing.assert_array_equal(got[:, j], macs[name].astype(np.float64))


def test_trace_jsonl_scatter(tmp_path):
    layer = "ConvTranspose2d(1, 1, 3, stride=2)"
    result = run("trace", "--layer", layer, "--input-shape", "1,2,2", "--view", "scatter",
                 "-o", "t.jsonl", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert len(records) == 4 * 9
    assert list(records[0]) == ["n", "group", "in_channel", "iy", "ix", "out_channel", "ky",
                                "kx", "oy", "ox", "inside", "x", "w", "product",
                                "running_sum"]
    assert all(r["product"] == r["x"] * r["w"] for r in records)
    line = one_error_line(run("trace", "--view", "scatter", "-o", "t.csv", cwd=tmp_path))
    assert "transposed" in line


def test_trace_npz(tmp_path):
    result = run("trace", "--layer", "Conv2d(4, 2, 3, groups=2, padding=1)", "--input-shape",
                 "4,5,5", "-o", "t.npz", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    layer = parse_layer("Conv2d(4, 2, 3, groups=2, padding=1)")
    trace = layer.trace(layer.example_input((4, 5, 5)))
    with np.load(tmp_path / "t.npz") as z:
        assert set(trace.fields) | {"input", "grid", "output", "weight", "bias"} == set(z.files)
        macs = trace.macs()
        for name in trace.fields:
            np.testing.assert_array_equal(z[name], macs[name])
        np.testing.assert_array_equal(z["output"], trace.output)
        np.testing.assert_array_equal(z["weight"], layer.weight)
        np.testing.assert_array_equal(z["bias"], layer.bias)
    line = one_error_line(run("trace", "-o", "t.txt", cwd=tmp_path))
    assert ".csv, .jsonl, .npz" in line


# --------------------------------------------------------------------------- batch

BATCH = """
[[render]]
layer = "Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)"
input_shape = "3,7,7"
output = "out/a.gif"

[[render]]
layer = "Conv2d(4, 6, 3, groups=3)"
input_shape = "4,5,5"
output = "out/bad.gif"

[[render]]
layer = "MaxPool2d(2)"
input_shape = [1, 4, 4]
output = "out/pool.png"
style = "dark"
step = "channel"
"""


def test_batch_renders_the_good_entries_and_reports_the_bad(tmp_path):
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "b.toml").write_text(BATCH)
    result = run("batch", "jobs/b.toml", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    err = result.stderr.splitlines()
    assert len(err) == 1
    assert "render #2" in err[0] and "bad.gif" in err[0] and "groups=3 must divide" in err[0]
    # paths are relative to the TOML file
    assert gif_frames(tmp_path / "jobs" / "out" / "a.gif") == 20
    with Image.open(tmp_path / "jobs" / "out" / "pool.png") as im:
        assert im.format == "PNG" and getattr(im, "n_frames", 1) > 1
    assert not (tmp_path / "jobs" / "out" / "bad.gif").exists()
    assert "2 of 3 rendered" in result.stdout


def test_batch_file_errors(tmp_path):
    (tmp_path / "b.toml").write_text("[[render]\n")
    assert "not valid TOML" in one_error_line(run("batch", "b.toml", cwd=tmp_path))
    (tmp_path / "b.toml").write_text("[render]\nlayer = 'Conv2d(1, 1, 3)'\n")
    assert "[[render]]" in one_error_line(run("batch", "b.toml", cwd=tmp_path))
    assert "no such file" in one_error_line(run("batch", "nope.toml", cwd=tmp_path))


# --------------------------------------------------------------------------- info


def test_info_shows_pytorch_and_keras():
    result = run("info", "--layer", "Conv2d(3, 2, 3, padding=1)")
    assert result.returncode == 0, result.stderr
    assert "PyTorch: torch.nn.Conv2d(3, 2, kernel_size=3, padding=1)" in result.stdout
    assert ("Keras:   keras.layers.Conv2D(filters=2, kernel_size=3, padding='same', "
            "data_format='channels_first')") in result.stdout
    result = run("info", "--layer", "Conv2d(3, 2, 3, padding=1, padding_mode='reflect')",
                 "--json")
    eq = json.loads(result.stdout)["equivalents"]
    assert eq["keras"] is None and "padding_mode='reflect'" in eq["keras_note"]
    result = run("info", "--in-channels", "3", "--out-channels", "8", "--kernel-size", "5,3",
                 "--input-shape", "3,9,9")
    assert result.returncode == 0, result.stderr
    assert "torch.nn.Conv2d(3, 8, kernel_size=(5, 3))" in result.stdout


def test_values_modes(tmp_path):
    sizes = {}
    for name, args in (("default", []), ("numbers", ["--values"]),
                       ("symbols", ["--values", "symbols"]), ("none", ["--no-values"])):
        result = run("still", *args, "-o", f"{name}.png", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        sizes[name] = (tmp_path / f"{name}.png").read_bytes()
    assert sizes["default"] == sizes["numbers"]  # values fit this layer: shown by default
    assert len({sizes["numbers"], sizes["symbols"], sizes["none"]}) == 3
    assert "--values" in one_error_line(run("still", "--values", "roman", cwd=tmp_path))


def test_argparse_errors_name_the_command_once():
    """argparse's own refusals say which command, without "convgif" twice."""
    from convgif.cli.main import main

    cases = [
        (["stack", "Conv2d(1, 1, 3)", "--input-shape", "1,5,5", "--image"],
         "convgif: error: stack: unrecognized arguments: --image "
         "(convgif stack --help lists its options)"),
        (["render", "--values", "none"],
         "convgif: error: render: argument --values: invalid choice: 'none' "
         "(choose from 'numbers', 'symbols')"),
        (["--bogus"], "convgif: error: render: unrecognized arguments: --bogus "
                      "(convgif render --help lists its options)"),
    ]
    for argv, expected in cases:
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            assert main(argv) == 2
        assert err.getvalue() == expected + "\n"


def test_batch_help_names_every_key():
    from convgif.batch import BATCH_KEYS

    text = " ".join(run("batch", "--help").stdout.split())
    keys = text.split("Keys:")[1].split("Relative paths")[0]
    assert all(f" {key}" in keys for key in BATCH_KEYS), keys
