"""Cost charts: the table's numbers are torch's and the spec's; charts and tables are written."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

import convgif
from convgif.api.cost import cost_chart, cost_table, parse_sweep, torch_module

torch = pytest.importorskip("torch")

SWEEPS = [
    ("Conv2d(3, 16, 3)", (3, 64, 64), ("out_channels", [1, 2, 4, 8, 16, 32])),
    ("Conv2d(3, 16, 3)", (3, 32, 32), ("in_channels", [1, 3, 8])),
    ("Conv2d(4, 8, 3, padding=1)", (4, 16, 16), ("kernel_size", [1, 3, 5, 7])),
    ("Conv2d(4, 8, 3)", (4, 17, 17), ("stride", [1, 2, 3])),
    ("Conv2d(4, 8, 3)", (4, 10, 10), ("padding", [0, 1, 2, 4])),
    ("Conv2d(4, 8, 3)", (4, 20, 20), ("dilation", [1, 2, 4])),
    ("Conv2d(8, 8, 3, bias=False)", (8, 12, 12), ("groups", [1, 2, 4, 8])),
    ("ConvTranspose2d(4, 2, 3, stride=2)", (4, 8, 8), ("size", [4, 8, 16])),
    ("Conv1d(2, 4, 5)", (2, 40), ("stride", [1, 2, 4])),
    ("MaxPool2d(2)", (3, 16, 16), ("kernel_size", [2, 3, 4])),
]


@pytest.mark.parametrize("layer, shape, sweep", SWEEPS, ids=lambda v: str(v)[:30])
def test_table_matches_torch_and_the_spec(layer, shape, sweep):
    table = cost_table(layer, shape, sweep)
    assert [row["value"] for row in table] == sweep[1]
    for row in table:
        module = torch_module(_layer(row["layer"]), row["input_shape"])
        assert row["params"] == sum(p.numel() for p in module.parameters())
        rebuilt = _layer(row["layer"])
        assert row["macs"] == rebuilt.spec.mac_count(
            tuple(row["input_shape"][1:]), row["input_shape"][0]
        )
        with torch.no_grad():
            out = module(torch.zeros(1, *row["input_shape"]))
        assert list(out.shape[1:]) == row["output_shape"]
        assert row["output_elements"] == out[0].numel()
        assert row["time_ms"] is None
    name, values = sweep
    if name == "in_channels":
        assert [row["input_shape"][0] for row in table] == values
    if name == "size":
        assert [row["input_shape"][1:] for row in table] == [[v, v] for v in values]


def _layer(text):
    from convgif.api.kinds import parse_layer

    return parse_layer(text)


def test_macs_grow_as_the_arithmetic_says():
    table = cost_table("Conv2d(3, 16, 3)", (3, 64, 64), "out_channels=1,2,4")
    # out_channels × out cells × in_channels × K·K
    assert [row["macs"] for row in table] == [c * 62 * 62 * 3 * 9 for c in (1, 2, 4)]
    assert [row["params"] for row in table] == [c * 3 * 9 + c for c in (1, 2, 4)]


def test_keras_names_and_batched_inputs():
    table = cost_table(
        convgif.keras.Conv2D(8, 3, strides=2, padding="same"),
        (2, 16, 16, 3),
        ("out_channels", [4, 8]),
    )
    assert [row["output_shape"] for row in table] == [[2, 8, 8, 4], [2, 8, 8, 8]]
    assert table[0]["macs"] == 2 * 4 * 64 * 3 * 9  # both samples


@pytest.mark.parametrize(
    "sweep, message",
    [
        (
            "groups=1,2,3",
            "--sweep groups=3 makes an invalid layer: groups=3 must divide in_channels=4",
        ),
        ("kernel_size=3,17", "--sweep kernel_size=17 makes an invalid layer: input size H=16"),
        ("colour=1,2", "--sweep colour=...: Conv2d has no argument 'colour'; sweep one of size"),
        ("out_channels", "must be NAME=V1,V2,..."),
        ("out_channels=1,two", "whole numbers"),
        ("out_channels=2,2", "a value is repeated"),
        ("out_channels=0,1", "--sweep out_channels=0: every value must be positive"),
        ("padding=-1,0", "--sweep padding=-1: every value must be at least 0"),
    ],
)
def test_bad_sweeps_are_refused_up_front(sweep, message, tmp_path):
    with pytest.raises(convgif.ConvGifError) as info:
        cost_chart(tmp_path / "c.png", "Conv2d(4, 8, 3)", (4, 16, 16), sweep)
    assert message in str(info.value)
    assert not (tmp_path / "c.png").exists()


def svg_texts(path) -> list[str]:
    root = ET.parse(path).getroot()
    return ["".join(n.itertext()) for n in root.iter("{http://www.w3.org/2000/svg}text")]


def test_chart_files(tmp_path):
    table = cost_chart(
        tmp_path / "cost.svg", "Conv2d(3, 16, 3)", (3, 64, 64), "out_channels=1,2,4,8,16,32"
    )
    texts = svg_texts(tmp_path / "cost.svg")
    for label in (
        "parameters (weights + bias)",
        "multiply-accumulates (MACs)",
        "output elements",
        "out_channels",
        "base layer (out_channels=16)",
    ):
        assert label in texts
    assert "Cost of Conv2d(3, 16, kernel_size=3) on input (3, 64, 64), sweeping out_channels" in (
        texts
    )
    assert "forward time (ms)" not in texts
    cost_chart(tmp_path / "cost.png", "Conv2d(3, 16, 3)", (3, 64, 64), "out_channels=1,2,4")
    with Image.open(tmp_path / "cost.png") as im:
        assert im.format == "PNG" and im.width > 600
    cost_chart(tmp_path / "cost.pdf", "Conv2d(3, 16, 3)", (3, 64, 64), "out_channels=1,2,4")
    assert (tmp_path / "cost.pdf").read_bytes()[:5] == b"%PDF-"
    # the same call writes the same bytes
    again = tmp_path / "again.svg"
    cost_chart(again, "Conv2d(3, 16, 3)", (3, 64, 64), "out_channels=1,2,4,8,16,32")
    assert again.read_bytes() == (tmp_path / "cost.svg").read_bytes()

    cost_chart(
        tmp_path / "cost.json", "Conv2d(3, 16, 3)", (3, 64, 64), "out_channels=1,2,4,8,16,32"
    )
    assert json.loads((tmp_path / "cost.json").read_text()) == table
    cost_chart(tmp_path / "cost.csv", "Conv2d(3, 16, 3)", (3, 64, 64), "out_channels=1,2,4,8,16,32")
    rows = list(csv.DictReader(open(tmp_path / "cost.csv", encoding="utf-8")))
    assert [int(r["macs"]) for r in rows] == [row["macs"] for row in table]
    assert rows[0]["output_shape"] == "1x62x62"


def test_measure_times_the_torch_layer(tmp_path):
    table = cost_chart(
        tmp_path / "t.svg", "Conv2d(2, 4, 3)", (2, 16, 16), "size=8,16", measure=True, repeats=3
    )
    assert all(row["time_ms"] > 0 for row in table)
    texts = svg_texts(tmp_path / "t.svg")
    assert "forward time (ms)" in texts and "measured forward time (median)" in texts


def test_measure_without_torch_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(convgif.ConvGifError, match=r"--measure .*pip install torch"):
        cost_table("Conv2d(2, 4, 3)", (2, 8, 8), "size=8", measure=True)


def test_cli_cost_and_light_import(tmp_path, cli):
    def run(*args):
        return cli("cost", *args)

    r = run(
        "--layer",
        "Conv2d(3, 16, 3)",
        "--input-shape",
        "3,64,64",
        "--sweep",
        "out_channels=1,2,4,8,16,32",
        "-o",
        "cost.png",
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("wrote cost.png: 6 values")
    r = run(
        "--layer",
        "Conv2d(4, 8, 3)",
        "--input-shape",
        "4,16,16",
        "--sweep",
        "groups=1,3",
        "-o",
        "bad.png",
    )
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1
    assert "convgif: error: --sweep groups=3 makes an invalid layer" in r.stderr
    assert not (tmp_path / "bad.png").exists()
    # The tables need no matplotlib; `import convgif` none at all.
    probe = (
        "import sys, convgif\nconvgif.cost_table('Conv2d(3, 4, 3)', (3, 8, 8), 'size=8')\n"
        "convgif.overlap_counts('ConvTranspose2d(1, 1, 3, stride=2)', (1, 4, 4))\n"
        "print('MPL', 'matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert "MPL False" in out.stdout, out.stderr


def test_parse_sweep():
    assert parse_sweep("out_channels=1,2,4") == ("out_channels", [1, 2, 4])
    assert parse_sweep(("size", (16, 32))) == ("size", [16, 32])
