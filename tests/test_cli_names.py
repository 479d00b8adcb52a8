"""One convention on the command line: errors name the flag the user typed, an option means
one thing in every command, tuples take commas, old spellings name the new one, and the
command line and a batch file read a layer and its input through one code path."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import convgif
from convgif import batch
from convgif.api.stack import stack_view
from convgif.cli import commands
from convgif.cli.main import main, parse
from convgif.cli.parser import flag_names
from convgif.errors import NAME, ConvGifError, in_context, name_of, refuse

LENET = "Conv2d(1,6,5) MaxPool2d(2) Conv2d(6,16,5) MaxPool2d(2)"


@contextlib.contextmanager
def inside(folder):
    """Run in ``folder`` (contextlib.chdir is Python 3.11+)."""
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def error_line(argv, cwd) -> str:
    """main(argv) in-process in ``cwd``: exit status 2 and exactly one stderr line, returned."""
    err, out = io.StringIO(), io.StringIO()
    with inside(cwd), contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(argv)
    assert code == 2, (code, out.getvalue(), err.getvalue())
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("convgif: error: "), err.getvalue()
    return lines[0].removeprefix("convgif: error: ")


# --------------------------------------------------------------------------- the error type


def test_an_error_names_its_parameters_in_each_front_doors_terms():
    error = ConvGifError(f"give {NAME} or {name_of('input_shape')}, not both", "input")
    assert str(error) == "give input or input_shape, not both"
    assert error.named("--input") == "give --input or input_shape, not both"
    spelled = error.spelled({"input": "--input", "input_shape": "--input-shape"})
    assert spelled == "give --input or --input-shape, not both"
    assert error.template == "give {name} or {name:input_shape}, not both"
    assert str(refuse("stride", 0, "must be positive")) == "stride=0 must be positive"
    inner = refuse("input_shape", (2, 4), "must have 3 sizes")
    outer = in_context(inner, f"{NAME}='x.npy'", "input")
    assert str(outer) == "input='x.npy': input_shape=(2, 4) must have 3 sizes"
    assert outer.spelled({"input": "--input", "input_shape": "--input-shape"}) == (
        "--input='x.npy': --input-shape=(2, 4) must have 3 sizes")


def test_a_message_without_param_is_shown_as_it_is():
    """A user's own text may hold "{name}": it is quoted back, never a crash."""
    assert str(ConvGifError("--layer='Conv2d({name})': bad")) == "--layer='Conv2d({name})': bad"
    line = error_line(["info", "--layer", "Conv2d({name})"], Path.cwd())
    assert "Conv2d({name})" in line and "literal" in line


def test_flag_names_come_from_the_option_tables():
    names = flag_names("render", ["render", "--no-values"])
    assert names["input_shape"] == "--input-shape" and names["image_size"] == "--image-size"
    assert names["values"] == "--no-values"  # as typed, not its twin
    assert flag_names("render", ["render"])["values"] == "--values"
    assert names["path"] == names["output"] == "--output"  # the API's name for -o
    assert "fmt" not in names  # render has no --format
    assert flag_names("frames", [])["fmt"] == "--format"
    # the layer's own parameters are flags only when the layer was given as flags
    assert "groups" not in names
    assert flag_names("render", [], layer_flags=True)["groups"] == "--groups"
    assert flag_names("stack", [])["output_cell"] == "--output-cell"
    assert flag_names("stack", [])["cell"] == flag_names("render", [])["cell"] == "--cell"
    assert flag_names("nope", []) == {}


@pytest.mark.parametrize("argv, typed", [
    (["-o", "x.gif"], "-o"),
    (["-ox.gif"], "-o"),
    (["-qo", "x.gif"], "-o"),
    (["--output", "x.gif"], "--output"),
    (["--output=x.gif"], "--output"),
    (["-o", "a.gif", "--output", "x.gif"], "--output"),  # argparse keeps the last
    (["--output", "a.gif", "-o", "x.gif"], "-o"),
    (["--outpu", "x.gif"], None),  # an abbreviation: named by the long form
    (["--output-cell", "1,1"], None),
    (["--", "-o"], None),
    ([], None),
])
def test_typed_flag_is_the_spelling_argparse_read(argv, typed):
    from convgif.cli.parser import typed_flag

    assert typed_flag(("-o", "--output"), ["render", *argv]) == typed
    names = flag_names("render", ["render", *argv])
    assert names["output"] == names["path"] == (typed or "--output")


@pytest.mark.parametrize("text, rule", [
    ("Conv2d(1, 1,", "is not valid Python"),
    ("Conv2d(*sizes)", "*args and **kwargs are not allowed"),
    ("Conv2d(1, 1, 3, stride=1, stride=2)", "keyword 'stride' is given twice"),
    ("Conv2d(1, 1, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9)", "Conv2d() too many positional arguments"),
    ("Conv2d(1, 1, size)", "every argument must be a literal"),
    ("Conv9d(1, 1, 3)", "names 'Conv9d', must be one of"),
    ("1 + 2", "must be a constructor call"),
])
def test_layer_text_errors_are_about_layer(tmp_path, text, rule):
    """Every refusal of --layer's text names ``layer``: the API's ``param``, the flag on the
    command line, the key in a batch file, ``layer n`` of a stack."""
    from convgif.api.kinds import parse_layer, parse_stack

    with pytest.raises(ConvGifError) as info:
        parse_layer(text)
    assert info.value.param == "layer" and rule in str(info.value)
    assert str(info.value).startswith("layer")
    line = error_line(["info", "--layer", text, "--input-shape", "1,5,5"], tmp_path)
    assert line.startswith("--layer") and rule in line
    [result] = batch.run_batch([{"layer": text, "output": str(tmp_path / "a.gif")}], workers=1)
    assert result.error.startswith("layer") and rule in result.error
    with pytest.raises(ConvGifError) as info:
        parse_stack(["Conv2d(1, 1, 3)", text])
    assert info.value.param == "layers" and str(info.value).startswith("layer 2: ")
    assert rule in str(info.value) and "--layer" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_braces_in_the_users_text_are_quoted_back():
    """A user's ``{name}`` is never read as a placeholder, in the layer text or a value."""
    text = "Conv2d(1, 1, {name:input_shape})"
    line = error_line(["info", "--layer", text, "--input-shape", "1,5,5"], Path.cwd())
    assert line.startswith(f"--layer={text!r}: every argument must be a literal")
    line = error_line(["info", "--input-shape", "{name}"], Path.cwd())
    assert line.startswith("--input-shape='{name}' must be")


# --------------------------------------------------------------------------- errors name flags


@pytest.mark.parametrize("argv, line", [
    (["render", "-o", "x.bmp"], "-o='x.bmp' must end in one of .gif, .png"),
    (["render", "--output", "x.bmp"], "--output='x.bmp' must end in one of .gif, .png"),
    (["render", "--output=x.bmp"], "--output='x.bmp' must end in one of .gif, .png"),
    (["render", "-ox.bmp"], "-o='x.bmp' must end in one of .gif, .png"),
    (["render", "-qo", "x.bmp"], "-o='x.bmp' must end in one of .gif, .png"),
    (["render", "-o", "a.gif", "--output", "x.bmp"], "--output='x.bmp' must end in one of"),
    (["still", "-o", "x.gif"], "-o='x.gif' must end in one of .png, .svg, .pdf"),
    (["render", "--input-shape", "3,,7"],
     "--input-shape='3,,7' must be whole numbers separated by commas, e.g. 3,7,7"),
    (["render", "--input-shape", "3,0,7"], "--input-shape='3,0,7' must be positive sizes"),
    (["render", "--input", "x.npy", "--input-shape", "3,7,7"],
     "give --input or --input-shape, not both"),
    (["render", "--image", "--input-shape", "3,7,7"], "give --input-shape or --image, not both"),
    (["render", "--image-size", "8"], "--image-size sizes a photo: give --image too"),
    (["render", "--image", "nope.png"], "--image='nope.png': no such file"),
    (["render", "--input", "nope.npy"], "--input='nope.npy': no such file"),
    (["render", "--kernel-size", "3"], "the layer flags need at least --out-channels and "
     "--kernel-size (or give the whole layer with --layer)"),
    (["render", "--layer", "Conv2d(3, 2, 3)", "--stride", "2"],
     "give the layer as --layer or as flags (--kernel-size ...), not both"),
    (["render", "--out-channels", "1", "--kernel-size", "3", "--output-padding", "1"],
     "--output-padding needs --transposed"),
    (["render", "--out-channels", "1", "--kernel-size", "3", "--padding", "middle"],
     "--padding='middle' must be whole numbers separated by commas"),
    (["still", "--font", "No Such Family", "-o", "a.png"],
     "--font='No Such Family' is neither a font family installed here nor a font file"),
    (["stack", LENET, "--input-shape", "1,32,32", "--output-cell", "0,9,9"],
     "--output-cell=(0, 9, 9) lies outside the last layer's output of shape (16, 5, 5)"),
    (["stack", LENET, "--input-shape", "1,32,32", "--output-cell", "1,2,3,4"],
     "--output-cell='1,2,3,4' must be y,x or channel,y,x of the last layer's output"),
    (["stack", LENET, "--input-shape", "1,32,32", "--cell", "1"],
     "--cell=1.0 must be a number of pixels from 2 to 200"),
    (["stack", LENET, "--input-shape", "1,32,32", "-o", "x.jpg"],
     "-o='x.jpg' must end in one of"),
    (["sheet", "-o", "s.gif"], "-o='s.gif': a contact sheet is written as .png"),
    (["trace", "-o", "t.txt"], "-o='t.txt' must end in one of .csv, .jsonl, .npz"),
    (["trace", "--view", "scatter", "-o", "t.csv"],
     "--view='scatter' needs a transposed layer, not Conv2d"),
    (["overlap", "-o", "x.bmp"], "-o='x.bmp' must end in one of .png"),
    (["cost", "--sweep", "groups=1", "-o", "x.bmp"], "-o='x.bmp' must end in one of .png"),
    (["features", "-o", "x.jpg"], "-o='x.jpg': the features still is written as .png"),
    # the layer's own keywords keep the names --layer takes them by
    (["render", "--layer", "Conv2d(3, 2, 3, seed=-1)"], "seed=-1 must be at least 0"),
    (["render", "--layer", "Conv2d(3, 2, 3, step=1)"], "--layer='Conv2d(3, 2, 3, step=1)'"),
])
def test_errors_name_the_flag_as_typed(tmp_path, argv, line):
    assert error_line(argv, tmp_path).startswith(line)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, line", [
    (["render", "--input-shape", "2,4", "-o", "a.gif"],
     "--input-shape=(2, 4) must have 3 or 4 sizes"),
    (["render", "--layer", "ConvTranspose2d(1, 1, 3)", "--input-shape", "1,3,3", "--view",
      "scatter", "--step", "mac", "-o", "a.gif"],
     "--step='mac' does not apply to --view='scatter'"),
    (["still", "--layer", "ConvTranspose2d(1, 1, 2)", "--input-shape", "1,2,2", "--values",
      "symbols", "--view", "scatter", "-o", "a.png"],
     "--values='symbols' does not apply to --view='scatter'"),
    (["render", "--view", "matrix", "--step", "mac", "-o", "a.gif"],
     "--step='mac': --view='matrix' lights one row of C"),
    (["still", "--frame", "99", "-o", "a.png"], "--frame=99 must lie in"),
])
def test_errors_a_view_raises_name_the_flags(tmp_path, argv, line):
    """Refusals raised past the boundary (a view's combination of options, a frame out of
    range) name their parameters too, so the command line spells its flags."""
    assert error_line(argv, tmp_path).startswith(line)
    assert list(tmp_path.iterdir()) == []


def test_the_batch_names_the_same_errors_by_their_keys(tmp_path):
    entries = [
        {"input": "x.npy", "input_shape": "3,7,7", "output": str(tmp_path / "a.gif")},
        {"image_size": 8, "output": str(tmp_path / "b.gif")},
        {"input_shape": "3,,7", "output": str(tmp_path / "c.gif")},
        {"input_shape": "3x7x7", "output": str(tmp_path / "d.gif")},
        {"input": str(tmp_path / "nope.npy"), "output": str(tmp_path / "e.gif")},
    ]
    errors = [r.error for r in batch.run_batch(entries, workers=1)]
    assert errors == [
        "give input or input_shape, not both",
        "image_size sizes a photo: give image too",
        "input_shape='3,,7' must be whole numbers separated by commas, e.g. 3,7,7",
        "input_shape 3x7x7: write tuples with commas: input_shape 3,7,7",
        f"input={str(tmp_path / 'nope.npy')!r}: no such file",
    ]
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- old spellings


@pytest.mark.parametrize("argv, line", [
    (["render", "--out-channels", "2", "--kernel-size", "5x2"],
     "--kernel-size 5x2: write tuples with commas: --kernel-size 5,2"),
    (["render", "--out-channels", "1", "--kernel-size", "3", "--stride=2x1"],
     "--stride 2x1: write tuples with commas: --stride 2,1"),
    (["render", "--out-channels", "1", "--kernel-size", "3", "--padding", "1x2"],
     "--padding 1x2: write tuples with commas: --padding 1,2"),
    (["render", "--out-channels", "1", "--kernel-size", "3", "--dilation", "2 x 1"],
     "--dilation 2 x 1: write tuples with commas: --dilation 2,1"),
    (["render", "--out-channels", "1", "--kernel-size", "3", "--transposed",
      "--output-padding", "1x0", "--input-shape", "1,3,3"],
     "--output-padding 1x0: write tuples with commas: --output-padding 1,0"),
    (["info", "--input-shape", "3x7x7"],
     "--input-shape 3x7x7: write tuples with commas: --input-shape 3,7,7"),
    (["stack", LENET, "--input-shape", "1x32x32"],
     "--input-shape 1x32x32: write tuples with commas: --input-shape 1,32,32"),
    (["stack", LENET, "--input-shape", "1,32,32", "--cell", "0,2,2"],
     "stack --cell 0,2,2: --cell is the pixel size of a cell; the output cell is "
     "--output-cell 0,2,2"),
    (["stack", LENET, "--input-shape", "1,32,32", "--cell=0,2,2"],
     "stack --cell 0,2,2: --cell is the pixel size of a cell; the output cell is "
     "--output-cell 0,2,2"),
    (["stack", LENET, "--input-shape", "1,32,32", "--cell-size", "9"],
     "stack --cell-size 9: the pixel size of a cell is --cell in every command: --cell 9"),
])
def test_old_spellings_name_the_new_one(tmp_path, argv, line):
    assert error_line(argv, tmp_path) == line
    assert list(tmp_path.iterdir()) == []


def test_the_api_refuses_a_coordinate_as_the_stacks_cell(tmp_path):
    with pytest.raises(ConvGifError) as info:
        convgif.stack(tmp_path / "s.png", LENET, (1, 32, 32), cell=(0, 2, 2))
    assert str(info.value) == ("cell=(0, 2, 2): cell is the pixel size of a cell; the output "
                               "cell is output_cell")


def test_cell_is_the_pixel_size_in_every_command(tmp_path):
    """stack --cell N draws what stack(cell=N) draws; --output-cell picks the output cell."""
    argv = ["stack", LENET, "--input-shape", "1,32,32", "--cell", "9", "--output-cell",
            "3,0,4", "-q", "-o", str(tmp_path / "cli.png")]
    assert main(argv) == 0
    convgif.stack(tmp_path / "api.png", LENET, (1, 32, 32), cell=9, output_cell=(3, 0, 4))
    pic = stack_view(tmp_path / "api.png", LENET, (1, 32, 32), cell=9, output_cell=(3, 0, 4))
    assert pic.rf.cell == (3, 0, 4) and pic.cell == 9
    assert (tmp_path / "cli.png").read_bytes() == (tmp_path / "api.png").read_bytes()
    fitted = stack_view(tmp_path / "fit.png", LENET, (1, 32, 32), output_cell=(3, 0, 4))
    assert fitted.cell != 9


def test_layer_flags_take_commas(tmp_path):
    a = ["render", "--layer", "Conv2d(2, 2, (3, 2), stride=(2, 1), dilation=(1, 2))",
         "--input-shape", "2,7,7", "-q", "-o", str(tmp_path / "a.gif")]
    b = ["render", "--out-channels", "2", "--kernel-size", "3,2", "--stride", "2,1",
         "--dilation", "1,2", "--input-shape", "2,7,7", "-q", "-o", str(tmp_path / "b.gif")]
    assert main(a) == 0 and main(b) == 0
    assert (tmp_path / "a.gif").read_bytes() == (tmp_path / "b.gif").read_bytes()


# --------------------------------------------------------------------------- one code path


@pytest.fixture
def inputs(tmp_path):
    np.save(tmp_path / "x.npy", (np.arange(2 * 5 * 5) % 5).reshape(2, 5, 5).astype(np.float32))
    Image.fromarray((np.arange(30 * 40 * 3) % 251).reshape(30, 40, 3).astype(np.uint8)).save(
        tmp_path / "photo.png")
    return tmp_path


SAME_TEXT = [
    ({}, []),
    ({"layer": "Conv2d(2, 3, 3, padding=1)", "input_shape": "2,5,5", "seed": 4},
     ["--layer", "Conv2d(2, 3, 3, padding=1)", "--input-shape", "2,5,5", "--seed", "4"]),
    ({"layer": "MaxPool2d(2)", "input_shape": [1, 6, 6]},
     ["--layer", "MaxPool2d(2)", "--input-shape", "1,6,6"]),
    ({"layer": "layers.Conv2D(4, 3, strides=2, padding='same')", "input_shape": "7,7,2"},
     ["--layer", "layers.Conv2D(4, 3, strides=2, padding='same')", "--input-shape", "7,7,2"]),
    ({"layer": "Conv2d(2, 1, 3)", "input": "x.npy"},
     ["--layer", "Conv2d(2, 1, 3)", "--input", "x.npy"]),
    ({"layer": "Conv2d(3, 1, 3, stride=2)", "image": "photo.png", "image_size": 6},
     ["--layer", "Conv2d(3, 1, 3, stride=2)", "--image", "photo.png", "--image-size", "6"]),
    ({"image": True}, ["--image"]),
]


def _same(a: batch.LayerInput, b: batch.LayerInput) -> None:
    assert repr(a.layer) == repr(b.layer)
    for name in ("weight", "bias"):
        np.testing.assert_array_equal(getattr(a.layer, name), getattr(b.layer, name))
    assert (a.input_shape, a.image, a.image_size) == (b.input_shape, b.image, b.image_size)
    np.testing.assert_array_equal(a.x, b.x)


@pytest.mark.parametrize("entry, argv", SAME_TEXT)
def test_batch_and_cli_read_the_same_layer_and_input(inputs, monkeypatch, entry, argv):
    monkeypatch.chdir(inputs)
    from_cli = commands.given(parse(["render", *argv]), loaded=False)
    from_batch = batch.layer_and_input(batch.entry_source(entry))
    _same(from_cli, from_batch)
    _same(from_cli.loaded(), from_batch.loaded())  # what info, trace, overlap and cost read
    if entry.get("layer", "").startswith("Conv2d(2, 3"):
        assert from_cli.layer.spec.padding == ((1, 1), (1, 1)) and from_cli.input_shape == (2, 5, 5)


@pytest.mark.parametrize("entry, argv", SAME_TEXT[1:6:2])
def test_batch_and_cli_render_the_same_bytes(inputs, entry, argv):
    toml = inputs / "b.toml"
    lines = ["[[render]]", 'output = "batch.gif"']
    lines += [f"{key} = {json.dumps(value)}" for key, value in entry.items()]
    toml.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [result] = batch.run_batch(toml, workers=1)
    assert result.ok, result.error
    with inside(inputs):
        assert main(["render", *argv, "-q", "-o", "cli.gif"]) == 0
    assert (inputs / "cli.gif").read_bytes() == (inputs / "batch.gif").read_bytes()


# --------------------------------------------------------------------------- --font


def test_font_family_name_for_png(tmp_path):
    from convgif.backends.fonts import find_font

    serif = find_font("DejaVu Serif")
    assert Path(serif).name == "DejaVuSerif.ttf"
    assert Path(find_font("DejaVu Serif", bold=True)).name == "DejaVuSerif-Bold.ttf"
    for name, font in (("family", "DejaVu Serif"), ("file", serif), ("default", None)):
        argv = ["still", "-q", "-o", str(tmp_path / f"{name}.png")]
        assert main(argv + (["--font", font] if font else [])) == 0
    family = (tmp_path / "family.png").read_bytes()
    assert family == (tmp_path / "file.png").read_bytes()
    assert family != (tmp_path / "default.png").read_bytes()


def test_font_family_name_for_svg(tmp_path):
    assert main(["still", "-q", "--font", "DejaVu Serif", "-o", str(tmp_path / "a.svg")]) == 0
    text = (tmp_path / "a.svg").read_text(encoding="utf-8")
    assert "font-family: 'DejaVu Serif'" in text and "'DejaVu Sans'" not in text


def test_matplotlib_only_for_a_family_name(tmp_path):
    """A PNG with the default font (or a font file) never imports matplotlib; a family
    name asks matplotlib's font manager."""
    probe = (
        "import sys\nfrom convgif.cli.main import main\n"
        "assert main(sys.argv[1:]) == 0\nprint('MPL', 'matplotlib' in sys.modules)\n"
    )
    for font, expected in (([], "MPL False"), (["--font", "DejaVuSans-Bold.ttf"], "MPL False"),
                           (["--font", "DejaVu Serif"], "MPL True")):
        out = subprocess.run([sys.executable, "-c", probe, "still", "-q", *font, "-o",
                              str(tmp_path / "a.png")], capture_output=True, text=True,
                             timeout=120)
        assert expected in out.stdout, out.stderr
