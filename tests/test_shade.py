"""Cells shaded by value: fills follow the values, text on every shade is legible, and a
photo input is sized for the layer and shaded."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convgif
from convgif import ConvGifError
from convgif.api.pictures import picture
from convgif.backends.palette import build_palette
from convgif.backends.style import STYLES, contrast, shade_style
from convgif.views.scene import Box
from convgif.views.shade import RAMPS, diverging, role, sequential

pytest.importorskip("matplotlib")  # the sample photo ships with matplotlib


def _fills(scene, grid):
    """The fill of each cell of ``grid`` as the scene paints it last (None: no box)."""
    fills = {}
    for item in scene.items:
        if isinstance(item, Box) and item.fill is not None:
            for r in range(grid.rows):
                for c in range(grid.cols):
                    if (item.x, item.y, item.w, item.h) == grid.rect(r, c):
                        fills[r, c] = item.fill
    return fills


def _level(fill: str) -> int:
    return int(fill.rsplit("_", 1)[1])


def test_scales_are_monotone_and_zero_is_the_middle():
    div = diverging(np.array([-3.0, 7.0]))
    assert (div.lo, div.hi) == (-7.0, 7.0)
    assert div.level(0) == RAMPS["div"] // 2 and div.fill(0.0) == role("div", 5)
    values = np.linspace(-7, 7, 57)
    levels = [div.level(v) for v in values]
    assert levels == sorted(levels) and levels[0] == 0 and levels[-1] == RAMPS["div"] - 1
    grey = sequential("grey", np.array([12.0, 200.0]))
    levels = [grey.level(v) for v in np.linspace(12, 200, 40)]
    assert levels == sorted(levels) and (levels[0], levels[-1]) == (0, RAMPS["grey"] - 1)
    assert diverging(np.zeros(4)).level(0) == RAMPS["div"] // 2


@pytest.mark.parametrize("name", sorted(STYLES))
def test_text_on_every_shade_keeps_contrast(name):
    style = shade_style(name, tuple(RAMPS))
    for ramp, count in RAMPS.items():
        for level in range(count):
            fill = style.rgb(role(ramp, level))
            text = style.rgb(role(ramp, level) + "_text")
            assert text in (style.rgb("ink"), style.rgb("paper"))
            assert contrast(fill, text) >= 4.5, (name, ramp, level)
    palette = build_palette(style)  # every ramp at once still fits a 256-colour palette
    assert len(palette.colors) <= 256 and "shade_div_0_text" in palette.tables
    # a grey photo's ramps leave room for anti-aliased text (several coverage levels)
    assert build_palette(shade_style(name, ("grey", "div"))).levels >= 4


def test_ramps_run_dark_to_light_and_diverge_from_a_neutral_middle():
    style = shade_style("default", tuple(RAMPS))
    grey = [contrast(style.rgb(role("grey", i)), (0, 0, 0)) for i in range(RAMPS["grey"])]
    assert grey == sorted(grey)  # low pixel values dark, as the photo shows them
    div = [style.rgb(role("div", i)) for i in range(RAMPS["div"])]
    middle = div[RAMPS["div"] // 2]
    assert max(middle) - min(middle) <= 2  # neutral
    assert div[0][2] > div[0][0] and div[-1][0] > div[-1][2]  # blue below 0, orange above


def test_shaded_cells_follow_the_values():
    layer = convgif.Conv2d(1, 2, 3, padding=1)
    layer.weight = np.zeros_like(layer.weight)
    layer.weight[0] = np.arange(9.0).reshape(1, 3, 3) - 4
    layer.bias = np.zeros(2)
    x = np.arange(25.0).reshape(1, 5, 5) - 12
    pic = picture(layer, x=x, shade={"input", "output", "kernel"})
    assert set(pic.shade_ramps) == {"grey", "div"}
    last = pic.still(-1)
    y = pic.trace.y[0]
    for oc, grid in pic.layout.outputs.items():
        fills = _fills(last, grid)
        assert len(fills) == 25
        for (r, c), fill in fills.items():
            assert fill == pic.shades["output"][0].fill(y[oc, r, c])
        order = sorted(fills, key=lambda rc: y[oc][rc])
        levels = [_level(fills[rc]) for rc in order]
        assert levels == sorted(levels)
    # y[1] is all zero: every cell on the middle of the diverging scale
    assert set(_fills(last, pic.layout.outputs[1]).values()) == {role("div", 5)}
    assert len(set(_fills(last, pic.layout.outputs[0]).values())) > 3
    # the input: lowest value darkest (level 0), highest lightest; padding not shaded
    fills = _fills(last, pic.layout.inputs[0])
    assert fills[1, 1] == role("grey", 0) and fills[5, 5] == role("grey", 8)
    assert fills[0, 0] == "pad"


def test_cells_not_computed_stay_unshaded_and_the_written_cell_is_lit():
    pic = picture(convgif.Conv2d(1, 1, 3), input_shape=(1, 6, 6), shade={"output"})
    # frame 0 opens; frame k (1..16) writes output cell k - 1
    fills = _fills(pic.scene(6), pic.layout.outputs[0])
    cells = [(r, c) for r in range(4) for c in range(4)]
    assert all(fills[rc].startswith("shade_div_") for rc in cells[:5])
    assert fills[cells[5]] == "output_active"
    assert all(fills[rc] == "output_empty" for rc in cells[6:])


def test_the_key_gives_the_range_and_replaces_the_plain_swatch():
    pic = picture(convgif.Conv2d(1, 1, 3), x=np.arange(16.0).reshape(1, 4, 4),
                  shade={"input", "output"})
    texts = pic.still(-1).texts()
    y = pic.trace.y
    top = np.abs(y).max()
    assert {"input", "0", "15", "output"} <= set(texts)
    from convgif.views.text import fmt

    assert fmt(-top) in texts and fmt(top) in texts
    assert ("input", "input") not in pic.legend and ("output", "output") not in pic.legend
    plain = picture(convgif.Conv2d(1, 1, 3), x=np.arange(16.0).reshape(1, 4, 4))
    assert ("input", "input") in plain.legend and plain.shade_ramps == ()


def test_shade_is_checked():
    for bad in ("input", {"bias"}, 3):
        with pytest.raises(ConvGifError, match="shade="):
            picture(convgif.Conv2d(1, 1, 3), input_shape=(1, 5, 5), shade=bad)
    assert picture(convgif.Conv2d(1, 1, 3), input_shape=(1, 5, 5), shade=True).shade_ramps


@pytest.mark.parametrize("layer", [
    convgif.Conv2d(1, 4, 5), convgif.Conv2d(1, 4, 7, stride=2), convgif.MaxPool2d(3),
    convgif.Conv2d(3, 8, 5, dilation=2), convgif.Conv2d(1, 4, 3),
])
def test_photo_layers_render_shaded(layer, tmp_path):
    pic = picture(layer, image=True)
    assert pic.options.shade == {"input", "output"}
    assert pic.width <= 1920 and pic.height <= 1080
    ramps = ("red", "green", "blue") if pic.trace.in_channels == 3 else ("grey",)
    assert set(ramps) <= set(pic.shade_ramps)
    layer.still(tmp_path / "p.png", image=True, frame=len(pic) // 2)
    assert (tmp_path / "p.png").stat().st_size > 0


def test_photo_size_prefers_a_landscape_frame():
    # one output channel: a larger photo still gives a landscape frame
    pic = picture(convgif.Conv2d(1, 1, 3), image=True)
    assert pic.width >= pic.height and max(pic.trace.x.shape[2:]) >= 16
    pool = picture(convgif.MaxPool2d(3), image=True)
    assert pool.width >= pool.height and max(pool.trace.x.shape[2:]) == 32


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["conv", "max", "avg"]),
    channels=st.sampled_from([1, 3]),
    out=st.integers(1, 2),
    k=st.integers(1, 9),
    s=st.integers(1, 4),
    d=st.integers(1, 3),
    p=st.integers(0, 2),
)
def test_photo_size_search_never_fails(kind, channels, out, k, s, d, p):
    if kind == "conv":
        layer = convgif.Conv2d(channels, out, k, stride=s, padding=min(p, k - 1), dilation=d)
    elif kind == "max":
        layer = convgif.MaxPool2d(k, stride=s, padding=min(p, k // 2), dilation=d)
    else:
        layer = convgif.AvgPool2d(k, stride=s, padding=min(p, k // 2))
    pic = picture(layer, image=True)
    assert min(pic.trace.out_spatial) >= 1
    assert pic.width >= pic.height, (layer.spec.name, pic.trace.x.shape, pic.width, pic.height)


def test_commands_that_read_the_photo_use_the_pictures_size(cli):
    r = cli("info", "--layer", "Conv2d(1, 4, 5)", "--image")
    assert r.returncode == 0, r.stderr
    pic = picture(convgif.Conv2d(1, 4, 5), image=True)
    assert str(tuple(pic.trace.x.shape[1:])) in r.stdout
    r = cli("still", "--layer", "Conv2d(1, 4, 5)", "--image", "-o", "p.png")
    assert r.returncode == 0, r.stderr
    # a kernel larger than the default sizes: the photo grows to what the layer needs
    big = picture(convgif.Conv2d(1, 1, 41), image=True)
    assert min(big.trace.x.shape[2:]) >= 41
    r = cli("render", "--layer", "Conv2d(1, 1, 700)", "--image", "-o", "x.gif")
    assert r.returncode == 2 and "--image" in r.stderr and len(r.stderr.splitlines()) == 1


def test_a_view_with_its_own_size_limit_gets_a_smaller_photo():
    pic = picture(convgif.Conv2d(3, 2, 3), image=True, view="matrix")
    assert pic.width <= 1920 and pic.height <= 1080
