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
from convgif.backends.style import MIN_CONTRAST, OKABE_ITO, STYLES, contrast, series_colors

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
            "sweep groups=3 makes an invalid layer: groups=3 must divide in_channels=4",
        ),
        ("kernel_size=3,17", "sweep kernel_size=17 makes an invalid layer: input size H=16"),
        ("colour=1,2", "sweep colour=...: Conv2d has no argument 'colour'; sweep one of size"),
        ("out_channels", "must be NAME=V1,V2,..."),
        ("out_channels=1,two", "whole numbers"),
        ("out_channels=2,2", "a value is repeated"),
        ("out_channels=0,1", "sweep out_channels=0: every value must be positive"),
        ("padding=-1,0", "sweep padding=-1: every value must be at least 0"),
    ],
)
def test_bad_sweeps_are_refused_up_front(sweep, message, tmp_path):
    with pytest.raises(convgif.ConvGifError) as info:
        cost_chart(tmp_path / "c.png", "Conv2d(4, 8, 3)", (4, 16, 16), sweep)
    assert message in str(info.value) and info.value.param == "sweep"
    assert str(info.value).startswith("sweep")
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
        "convgif.cost_chart('t.csv', 'Conv2d(3, 4, 3)', (3, 8, 8), 'size=8', style='dark')\n"
        "print('MPL', 'matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                         cwd=tmp_path)
    assert "MPL False" in out.stdout, out.stderr


def test_parse_sweep():
    assert parse_sweep("out_channels=1,2,4") == ("out_channels", [1, 2, 4])
    assert parse_sweep(("size", (16, 32))) == ("size", [16, 32])


# --------------------------------------------------------------------------- the chart's style

SWEEP = ("kernel_size", [1, 3, 5, 7])


def hexes(rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def colors_of(path) -> dict:
    """RGB -> pixel count of a PNG."""
    with Image.open(path) as im:
        return {rgb: n for n, rgb in im.convert("RGB").getcolors(1 << 20)}


@pytest.mark.parametrize("style", ["default", "dark"])
def test_png_chart_is_drawn_in_the_style(style, tmp_path):
    path = tmp_path / f"{style}.png"
    cost_chart(path, "Conv2d(3, 8, 3)", (3, 32, 32), SWEEP, style=style)
    look = STYLES[style]
    paper = look.rgb("paper")
    with Image.open(path) as im:
        rgb = im.convert("RGB")
        corners = {rgb.getpixel(p) for p in ((0, 0), (im.width - 1, im.height - 1))}
        # the note under the panels is muted: its strongest pixel is the muted colour
        note = rgb.crop((0, im.height - 14, im.width, im.height)).getcolors(1 << 16)
    assert corners == {paper}
    farthest = max((c for _, c in note), key=lambda c: sum(abs(a - b) for a, b in zip(c, paper)))
    assert farthest == look.rgb("muted")
    counts = colors_of(path)
    # the most common colour is the paper; text, spines and ticks in the ink
    assert max(counts, key=counts.get) == paper
    assert counts.get(look.rgb("ink"), 0) > 500
    # each series line in its colour (three panels: params, MACs, output elements)
    for color in series_colors(style)[:3]:
        assert counts.get(color, 0) > 200, hexes(color)


def test_svg_chart_names_the_style_colours(tmp_path):
    for style in ("default", "classic", "dark"):
        path = tmp_path / f"{style}.svg"
        cost_chart(path, "Conv2d(3, 8, 3)", (3, 32, 32), SWEEP, style=style)
        svg = path.read_text().lower()
        look = STYLES[style]
        for role in ("paper", "ink", "muted"):
            assert hexes(look.rgb(role)) in svg, (style, role)
    dark = (tmp_path / "dark.svg").read_text().lower()
    assert "#ffffff" not in dark  # no white left over from matplotlib's defaults
    # only the colours change: the same texts in every style
    assert svg_texts(tmp_path / "dark.svg") == svg_texts(tmp_path / "default.svg")


def test_series_colors_keep_their_hue_and_read_on_the_paper():
    for name, look in STYLES.items():
        colors = series_colors(name)
        assert len(colors) == 4 and len(set(colors)) == 4
        for rgb in colors:
            assert contrast(rgb, look.rgb("paper")) >= MIN_CONTRAST, (name, hexes(rgb))
    # Okabe-Ito's blue already reads on white; on the dark paper it is lightened
    blue = OKABE_ITO["blue"].lower()
    assert hexes(series_colors("default")[0]) == blue
    assert hexes(series_colors("dark")[0]) != blue
    assert sum(series_colors("dark")[0]) > sum(series_colors("default")[0])


def test_default_chart_is_the_default_style(tmp_path):
    args = ("Conv2d(3, 16, 3)", (3, 64, 64), "out_channels=1,2,4")
    cost_chart(tmp_path / "a.svg", *args)
    cost_chart(tmp_path / "b.svg", *args, style="default", font=None)
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def test_font_sets_every_text(tmp_path):
    cost_chart(tmp_path / "serif.svg", "Conv2d(3, 8, 3)", (3, 32, 32), SWEEP, font="DejaVu Serif")
    svg = (tmp_path / "serif.svg").read_text()
    assert "DejaVu Serif" in svg and "DejaVu Sans" not in svg


@pytest.mark.parametrize(
    "keywords, param",
    [({"style": "neon"}, "style"), ({"style": None}, "style"), ({"font": "No Such Font"}, "font")],
)
def test_bad_style_or_font_is_refused_before_any_work(keywords, param, tmp_path):
    with pytest.raises(convgif.ConvGifError, match=rf"^{param}=") as error:
        cost_chart(tmp_path / "c.png", "Conv2d(3, 8, 3)", (3, 32, 32), SWEEP, **keywords)
    assert len(str(error.value).splitlines()) == 1
    assert not (tmp_path / "c.png").exists()


def test_cli_cost_style(tmp_path, cli):
    args = ("cost", "--layer", "Conv2d(3, 8, 3)", "--input-shape", "3,32,32",
            "--sweep", "kernel_size=1,3,5,7")
    r = cli(*args, "--style", "dark", "-o", "dark.png")
    assert r.returncode == 0, r.stderr
    with Image.open(tmp_path / "dark.png") as im:
        assert im.convert("RGB").getpixel((0, 0)) == STYLES["dark"].rgb("paper")
    r = cli(*args, "--style", "neon", "-o", "neon.png")
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1
    assert "--style" in r.stderr and "'neon'" in r.stderr
    r = cli(*args, "--font", "No Such Font", "-o", "nofont.png")
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1
    assert r.stderr.startswith("convgif: error: --font='No Such Font'")
    assert not (tmp_path / "neon.png").exists() and not (tmp_path / "nofont.png").exists()


# --------------------------------------------------------------------------- bounds


def refused_fast(call, pattern: str):
    """``call()`` refused with one line about ``sweep`` matching ``pattern``, in under 2 s
    and 300 MB of Python allocations; the refusal's time and peak are returned."""
    import time
    import tracemalloc

    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(convgif.ConvGifError, match=pattern) as info:
            call()
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.value.param == "sweep" and len(str(info.value).splitlines()) == 1
    assert seconds < 2 and peak < 300 * 2**20, (seconds, peak)
    return seconds, peak


def test_too_many_sweep_values_are_refused_before_they_are_listed(tmp_path):
    from convgif.api.sweepcost import MAX_SWEEP_VALUES

    text = "out_channels=" + ",".join(map(str, range(1, 5_001)))
    refused_fast(lambda: cost_table("Conv2d(3, 16, 3)", (3, 64, 64), text),
                 r"^sweep out_channels=\.\.\. gives 5,000 values: a sweep takes at most 1,000")
    huge = ("size", range(1, 10**15))  # listing it would never end
    refused_fast(lambda: cost_chart(tmp_path / "c.png", "Conv2d(3, 16, 3)", (3, 64, 64), huge),
                 r"gives 999,999,999,999,999 values.*every 10th value")
    endless = ("size", iter(int, 1))  # no length: counted up to the bound only
    refused_fast(lambda: cost_table("Conv2d(3, 16, 3)", (3, 64, 64), endless),
                 r"gives more values: a sweep takes at most")
    at_the_bound = ("out_channels", range(1, MAX_SWEEP_VALUES + 1))
    assert len(cost_table("Conv2d(3, 16, 3)", (3, 64, 64), at_the_bound)) == MAX_SWEEP_VALUES
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("layer, shape, sweep, keywords, pattern", [
    # 4.8 GB of input alone: it ran out of memory after minutes
    ("Conv2d(3, 16, 3)", (3, 64, 64), "size=16,20000", {},
     r"^sweep size=20000 with measure: one torch pass would hold about 68\.5 GB .*bound is "
     r"512 MB\): sweep smaller values, or leave out the measurement"),
    ("Conv2d(256, 256, 3)", (256, 56, 56), "out_channels=256,512,1024,2048", {"repeats": 50},
     r"^sweep out_channels=\.\.\. with measure: timing 4 values 50 times each is about "
     r"[\d,]+ multiply-accumulates \(the bound is 1,000,000,000,000"),
    ("Conv2d(1, 1, 3)", (1, 8, 8), "size=8,9", {"repeats": 10**9},
     r"lower repeats, or leave out the measurement"),
])
def test_measured_sweeps_are_estimated_and_refused_before_running(
        tmp_path, layer, shape, sweep, keywords, pattern):
    refused_fast(lambda: cost_chart(tmp_path / "c.csv", layer, shape, sweep, measure=True,
                                    **keywords), pattern)
    assert list(tmp_path.iterdir()) == []


def test_measured_sweep_within_the_bounds_runs():
    table = cost_table("Conv2d(3, 16, 3)", (3, 64, 64), "size=16,512", measure=True, repeats=1)
    assert [row["value"] for row in table] == [16, 512]
    assert all(row["time_ms"] > 0 for row in table)


def test_cli_sweep_refusals_name_the_flags(tmp_path, cli):
    many = "out_channels=" + ",".join(map(str, range(1, 2_001)))
    r = cli("cost", "--layer", "Conv2d(3, 16, 3)", "--input-shape", "3,64,64", "--sweep", many,
            "-o", "c.png")
    assert r.returncode == 2 and r.stderr.startswith(
        "convgif: error: --sweep out_channels=... gives 2,000 values"), r.stderr
    r = cli("cost", "--layer", "Conv2d(3, 16, 3)", "--input-shape", "3,64,64", "--sweep",
            "size=16,20000", "--measure", "-o", "c.png")
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r.stderr
    assert r.stderr.startswith("convgif: error: --sweep size=20000 with --measure: one torch")
    r = cli("cost", "--layer", "Conv2d(3, 16, 3)", "--input-shape", "3,8,8", "--sweep",
            "size=8,9", "--measure", "--repeats", "1000000000", "-o", "c.png")
    assert r.returncode == 2 and "lower --repeats" in r.stderr, r.stderr
    assert list(tmp_path.iterdir()) == []
