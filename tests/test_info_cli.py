"""``convgif info`` through a real subprocess, and the --layer parser behind it."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

import convgif
from convgif.api.kinds import parse_layer
from convgif.layers.parse import parse_shape


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "convgif", "info", *args],
        capture_output=True, text=True, timeout=60,
    )


def test_default_layer_report():
    result = run()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Conv2d(3, 2, kernel_size=3, stride=2, padding=1, dilation=2)")
    assert "output shape  (2, 3, 3)" in out
    filled = [line for line in out.splitlines() if line.strip().startswith("= ")]
    assert len(filled) == 2 and all(line.rstrip().endswith("= 3") for line in filled)
    assert "floor((7 + 2*1 - 2*(3-1) - 1) / 2) + 1 = 3" in out
    assert "parameters 56 = weight (2, 3, 3, 3) 54 + bias 2" in out
    assert "MACs 486" in out
    assert result.stderr == ""


def test_json_report():
    result = run("--layer", "Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)",
                 "--input-shape", "3,7,7", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["output_shape"] == [2, 3, 3]
    assert info["parameters"] == {"weight": 54, "bias": 2, "total": 56}
    assert info["macs"] == 486
    assert [f["size"] for f in info["formulas"]] == [3, 3]


def test_keras_layer_json():
    result = run("--layer", "layers.Conv2D(16, 5, strides=2, padding='same')",
                 "--input-shape", "28,28,1", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["output_shape"] == [14, 14, 16]
    assert info["padding"] == [[1, 2], [1, 2]]  # total (14−1)·2 + 5 − 28 = 3
    assert info["macs"] == 14 * 14 * 16 * 25


def test_keras_layer_parameters():
    result = run("--layer", "Conv2D(16, 5, strides=2, padding='same')",
                 "--input-shape", "28,28,1", "--json")
    info = json.loads(result.stdout)
    assert info["weight_shape"] == [16, 1, 5, 5]
    assert info["parameters"]["total"] == 16 * 25 + 16


@pytest.mark.parametrize(
    "layer, message",
    [
        ("Conv5d(3, 2, 3)", "must be one of Conv1d"),
        ("Conv2d(3, 2, 3, strides=2)", "strides"),
        ("__import__('os').system('echo hi')", "must be one of"),
        ("Conv2d(3, 2, 3, padding=os.sep)", "literal"),
        ("Conv2d(3, 2, 3, padding=1+x)", "literal"),
        ("Conv2d(3, 2, *[3])", r"\*args"),
        ("Conv2d(3, 2, 3", "not valid Python"),
        ("Conv2d(4, 6, 3, groups=3)", "groups=3 must divide in_channels=4"),
    ],
)
def test_malformed_layers_exit_2_with_one_line(layer, message):
    result = run("--layer", layer)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("convgif: error: ")
    assert "Traceback" not in result.stderr
    assert "hi" not in result.stdout  # nothing was run
    assert re.search(message, lines[0]), lines[0]


def test_bad_input_shape_exits_2():
    result = run("--input-shape", "3,x7")
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    result = run("--input-shape", "3,2,2")
    assert result.returncode == 2
    assert "too small" in result.stderr and len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("prefix", ["", "nn.", "torch.nn.", "layers.", "keras.layers."])
def test_prefixes_accepted(prefix):
    kind = "Conv2D(2, 3)" if "layers" in prefix else "Conv2d(3, 2, 3)"
    layer = parse_layer(prefix + kind)
    assert type(layer).__name__ == kind.split("(")[0]


def test_prefixed_layer_through_cli():
    result = run("--layer", "torch.nn.Conv2d(3, 2, 3, padding=1)", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["output_shape"] == [2, 7, 7]


def test_main_returns_exit_code(capsys):
    from convgif.cli.main import main

    assert main(["info", "--layer", "Conv2d(3, 2, 3)", "--input-shape", "3,5,5"]) == 0
    assert "output shape  (2, 3, 3)" in capsys.readouterr().out
    assert main(["info", "--layer", "Nope(1)"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("convgif: error: ")


def test_parse_layer_builds_the_same_layer():
    layer = parse_layer("nn.ConvTranspose2d(4, 2, (3, 2), stride=2, output_padding=1, groups=2)")
    assert isinstance(layer, convgif.ConvTranspose2d)
    assert layer.output_shape((4, 5, 5)) == (2, 12, 11)
    with pytest.raises(convgif.ConvGifError, match="unexpected keyword argument 'foo'"):
        parse_layer("Conv2d(3, 2, 3, foo=1)")


# --------------------------------------------------------------------------- Keras' words


KERAS_INFO = [
    # (layer, input shape, Keras class and arguments, parameter line, axes line)
    ("Conv1D(filters=4, kernel_size=3)", "10,2", ("Conv1D", dict(filters=4, kernel_size=3)),
     "parameters 28 = kernel (3, 2, 4) 24 + bias (4,) 4",
     "kernel axes (k, in, filters), bias (filters,)"),
    ("Conv2D(filters=2, kernel_size=3, strides=2, padding='same')", "7,7,3",
     ("Conv2D", dict(filters=2, kernel_size=3, strides=2, padding="same")),
     "parameters 56 = kernel (3, 3, 3, 2) 54 + bias (2,) 2",
     "kernel axes (kh, kw, in, filters), bias (filters,)"),
    ("Conv2DTranspose(filters=2, kernel_size=(3, 2), strides=2, use_bias=False)", "4,4,3",
     ("Conv2DTranspose", dict(filters=2, kernel_size=(3, 2), strides=2, use_bias=False)),
     "parameters 36 = kernel (3, 2, 2, 3) 36 (use_bias=False)",
     "kernel axes (kh, kw, filters, in)"),
    ("Conv2D(filters=4, kernel_size=(3, 2), groups=2, data_format='channels_first')", "6,7,7",
     ("Conv2D", dict(filters=4, kernel_size=(3, 2), groups=2, data_format="channels_first")),
     "parameters 76 = kernel (3, 2, 3, 4) 72 + bias (4,) 4",
     "kernel axes (kh, kw, in/groups, filters), bias (filters,)"),
]


@pytest.mark.parametrize("layer, shape, real, params, axes", KERAS_INFO)
def test_keras_info_names_the_kernel_as_keras_stores_it(layer, shape, real, params, axes):
    """``info`` on a Keras layer: kernel (not weight) in Keras' order, which is the shape
    Keras 3 itself builds; kernel_size, not kernel, for the window; Keras' padding word."""
    result = run("--layer", layer, "--input-shape", shape)
    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert params in lines and axes in lines
    report = result.stdout.split("\n\n  PyTorch:")[0]  # the equivalents name torch's weight
    assert "weight" not in report
    assert any(line.startswith("kernel_size (") for line in lines)
    assert not any(line.startswith("kernel (") for line in lines)
    padding = real[1].get("padding", "valid")
    assert any(line.startswith(f"padding {padding!r}, (before, after)") for line in lines)
    info = json.loads(run("--layer", layer, "--input-shape", shape, "--json").stdout)
    import keras  # the oracle, on its PyTorch backend (tests/conftest.py)
    built = getattr(keras.layers, real[0])(**real[1])
    built.build((1, *parse_shape(shape)))
    assert info["keras_kernel"]["shape"] == list(built.kernel.shape)
    assert f"kernel {tuple(built.kernel.shape)} " in params
    assert info["keras_padding"] == padding
    assert info["weight_shape"] is not None  # PyTorch's order stays under its own name
    if built.bias is not None:
        assert f"bias ({built.bias.shape[0]},)" in params


def test_torch_info_keeps_pytorch_words():
    result = run("--layer", "ConvTranspose2d(3, 2, 3, stride=2, bias=False)",
                 "--input-shape", "3,4,4")
    out = result.stdout
    assert "parameters 54 = weight (3, 2, 3, 3) 54" in out
    assert "kernel (3, 3), effective (3, 3)" in out and "kernel axes" not in out
    assert "padding (before, after) per axis" in out
    assert json.loads(run("--layer", "Conv2d(3, 2, 3)", "--input-shape", "3,5,5",
                          "--json").stdout)["keras_kernel"] is None
