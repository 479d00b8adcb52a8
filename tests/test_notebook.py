"""Notebooks: a layer and ``convgif.show`` display as the player, with a still for viewers that
strip scripts; ``animate``, ``still`` and a player's ``save`` return a ``Rendered`` whose
fields are those of the file written.

Display is tested by calling the repr methods a notebook calls (IPython is not needed); the
still inside the player is checked in headless Chromium (as ``test_html_player``'s tests are)
with the page's scripts stripped, as GitHub's notebook render strips them.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import convgif
from convgif.api import render
from convgif.api.inline import display_shape
from convgif.api.pictures import picture
from convgif.api.result import Rendered

DATA = re.compile(r'<script type="application/json" class="convgif-data">(.*?)</script>', re.S)
STILL = re.compile(r'<img class="convgif-still" src="data:image/png;base64,([^"]+)"')
SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def rgb(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def gif_durations(path) -> list[int]:
    with Image.open(path) as image:
        times = []
        for i in range(image.n_frames):
            image.seek(i)
            times.append(image.info["duration"])
    return times


# --------------------------------------------------------------------------- the mime bundle


def test_a_layer_displays_as_its_player_on_an_example_input(tmp_path):
    layer = convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)
    bundle = layer._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/png", "text/plain"}
    assert bundle["text/plain"] == repr(layer)
    page = bundle["text/html"]
    assert page.startswith('<div class="convgif-player"') and page.rstrip().endswith("</div>")
    data = json.loads(DATA.search(page).group(1))
    view = picture(layer, input_shape=(3, 7, 7))  # the shape `convgif` draws by default
    assert len(data["frames"]) == len(view)
    assert [f["ms"] for f in data["frames"]] == render.durations(view)
    # the still inside the page and the PNG beside it: the last frame, at the frame's size
    png = base64.b64decode(bundle["image/png"])
    assert base64.b64decode(STILL.search(page).group(1)) == png
    layer.still(tmp_path / "last.png", input_shape=(3, 7, 7))
    np.testing.assert_array_equal(rgb(png), rgb((tmp_path / "last.png").read_bytes()))
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.size == (round(view.width), round(view.height))


def test_the_bundle_gives_only_what_the_notebook_asks_for():
    layer = convgif.Conv1d(1, 1, 3)
    assert set(layer._repr_mimebundle_(include={"image/png"})) == {"image/png"}
    assert set(layer._repr_mimebundle_(exclude={"text/html"})) == {"image/png", "text/plain"}


@pytest.mark.parametrize("layer, shape", [
    (convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2), (3, 7, 7)),
    (convgif.Conv2d(1, 1, 11), (1, 11, 11)),  # the fewest cells the kernel takes
    (convgif.Conv2d(2, 1, 5, dilation=2), (2, 9, 9)),
    (convgif.MaxPool2d(2), (1, 7, 7)),  # pooling takes any channels: one
    (convgif.Conv1d(2, 4, 3, groups=2), (2, 7)),
    (convgif.ConvTranspose2d(2, 1, 3, stride=2), (2, 7, 7)),
    (convgif.keras.Conv2D(filters=2, kernel_size=3), (7, 7, 1)),  # channels last
])
def test_the_example_input_fits_the_layer(layer, shape):
    assert display_shape(layer) == shape
    layer.output_shape(shape)


def test_a_layer_too_large_to_draw_displays_as_text_with_the_reason():
    layer = convgif.Conv2d(1, 1, 65)  # no input up to 64 cells a side
    bundle = layer._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    assert bundle["text/plain"].startswith(repr(layer)) and "no picture" in bundle["text/plain"]


def test_show_displays_the_player_and_its_chosen_still():
    layer = convgif.Conv2d(1, 1, 3)
    shown = convgif.show(layer, input_shape=(1, 4, 4), frame=3)  # from 1: frames[2]
    bundle = shown._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/png", "text/plain"}
    assert shown._repr_html_() == bundle["text/html"]
    frames = list(layer.frames(input_shape=(1, 4, 4)))
    np.testing.assert_array_equal(rgb(base64.b64decode(bundle["image/png"])), frames[2])
    assert (shown.frames, shown.size) == (6, frames[0].shape[1::-1])
    assert shown.duration_ms == sum(render.durations(picture(layer, input_shape=(1, 4, 4))))
    assert "6 frames" in repr(shown)
    assert shown._repr_mimebundle_() == bundle  # made once


def test_show_refuses_a_bad_frame_or_option_in_the_calling_cell():
    layer = convgif.Conv2d(1, 1, 3)
    with pytest.raises(convgif.ConvGifError, match="frame=99"):
        convgif.show(layer, input_shape=(1, 4, 4), frame=99)
    with pytest.raises(convgif.ConvGifError, match="step"):
        convgif.show(layer, input_shape=(1, 4, 4), step="sometimes")
    with pytest.raises(convgif.ConvGifError, match="duration"):
        convgif.show(layer, input_shape=(1, 4, 4), duration=-5)


# --------------------------------------------------------------------------- saving, results


def test_show_saves_the_page_render_writes(tmp_path):
    layer = convgif.Conv2d(2, 2, 3, padding=1, groups=2)
    x = np.arange(32.0).reshape(2, 4, 4) % 5
    saved = convgif.show(layer, x=x, max_frames=7).save(tmp_path / "shown.html")
    written = layer.animate(tmp_path / "page.html", x=x, max_frames=7)
    assert (tmp_path / "shown.html").read_bytes() == (tmp_path / "page.html").read_bytes()
    assert saved == Rendered(tmp_path / "shown.html", 7, written.size, written.duration_ms)
    data = json.loads(DATA.search((tmp_path / "page.html").read_text(encoding="utf-8")).group(1))
    assert len(data["frames"]) == written.frames == 7
    assert sum(f["ms"] for f in data["frames"]) == written.duration_ms
    assert '<img class="convgif-still"' not in (tmp_path / "page.html").read_text(encoding="utf-8")


def test_show_saves_any_format_animate_writes(tmp_path):
    layer = convgif.Conv2d(1, 1, 3)
    shown = convgif.show(layer, input_shape=(1, 4, 4), style="dark")
    saved = shown.save(tmp_path / "shown.gif")
    layer.animate(tmp_path / "animated.gif", input_shape=(1, 4, 4), style="dark")
    assert (tmp_path / "shown.gif").read_bytes() == (tmp_path / "animated.gif").read_bytes()
    assert saved.path == tmp_path / "shown.gif" and saved.frames == shown.frames


@pytest.mark.parametrize("name, options", [
    ("a.gif", {}),
    ("b.webp", {"duration": 250, "hold": 1000}),
    ("c.gif", {"max_frames": 4, "scale": 0.5}),
    ("d.png", {"step": "channel"}),  # an animated PNG
])
def test_animate_returns_what_the_file_holds(tmp_path, name, options):
    layer = convgif.Conv2d(2, 1, 2)  # every frame differs from the one before: none merged
    result = layer.animate(tmp_path / name, input_shape=(2, 3, 3), **options)
    assert isinstance(result, Rendered) and result.path == tmp_path / name
    with Image.open(result.path) as image:
        assert image.size == result.size == (result.width, result.height)
        assert image.n_frames == result.frames
    if name.endswith(".gif"):
        assert sum(gif_durations(result.path)) == result.duration_ms
    view = picture(layer, input_shape=(2, 3, 3), **{k: v for k, v in options.items()
                                                    if k == "step"})
    times = render.durations(view, options.get("duration"), options.get("hold"),
                             count=result.frames)
    assert result.duration_ms == sum(times)


@pytest.mark.parametrize("name", ["s.png", "s.svg"])
def test_still_returns_one_frame_of_its_size(tmp_path, name):
    layer = convgif.Conv2d(1, 1, 3, padding=1)
    result = layer.still(tmp_path / name, frame=2, input_shape=(1, 4, 4), scale=1.5)
    assert (result.path, result.frames, result.duration_ms) == (tmp_path / name, 1, 0)
    view = picture(layer, input_shape=(1, 4, 4))
    assert result.size == (round(view.width * 1.5), round(view.height * 1.5))
    if name.endswith(".png"):
        with Image.open(result.path) as image:
            assert image.size == result.size


def test_the_result_is_frozen():
    result = Rendered(None, 1, (2, 3), 0)
    with pytest.raises(AttributeError):
        result.frames = 2


def test_import_convgif_and_a_display_import_no_ipython():
    code = ("import sys, convgif; convgif.Conv2d(1, 1, 3)._repr_mimebundle_(); "
            "print(sorted(m for m in ('IPython', 'matplotlib', 'torch', 'pptx') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- without scripts


LOOK = """const root = document.querySelector('.convgif-player');
const still = root.querySelector('.convgif-still');
const visible = [...root.querySelectorAll('*')].filter((node) => {
  const box = node.getBoundingClientRect();
  return box.width > 0 && box.height > 0;
}).map((node) => node.tagName.toLowerCase());
const picture = root.querySelector('.convgif-picture');
return {still: still ? [still.naturalWidth, still.getBoundingClientRect().width] : null,
        visible: [...new Set(visible)].sort(),
        drawn: picture ? picture.querySelectorAll('rect').length : 0,
        controls: root.querySelectorAll('.convgif-controls button').length,
        text: root.innerText.trim()};"""
STYLE = re.compile(r"<style\b.*?</style>", re.S)
STYLE_ATTRIBUTE = re.compile(r'\sstyle="[^"]*"')


def github_like(fragment: str) -> str:
    """The fragment as GitHub's notebook render shows it: scripts and style elements gone
    with their content, style attributes dropped, the rest of the HTML kept."""
    return STYLE_ATTRIBUTE.sub("", STYLE.sub("", SCRIPT.sub("", fragment)))


def look(browser, path, fragment: str) -> dict:
    path.write_text(f"<!DOCTYPE html><html><body>{fragment}</body></html>", encoding="utf-8")
    browser.get(path.as_uri())
    return browser.execute_script(LOOK)


def test_the_player_shows_its_still_where_scripts_are_stripped(tmp_path, browser):
    shown = convgif.show(convgif.Conv2d(1, 2, 3), input_shape=(1, 5, 5))
    fragment = shown._repr_html_()
    for name, stripped in (("scripts", SCRIPT.sub("", fragment)),
                           ("github", github_like(fragment))):
        seen = look(browser, tmp_path / f"{name}.html", stripped)
        # the still alone: no empty picture, no dead buttons, no text (counter, CSS, data)
        assert seen["still"][0] == shown.size[0] and seen["still"][1] > 0.5 * shown.size[0]
        assert seen["visible"] == ["img"] and seen["controls"] == 0 and seen["text"] == ""
    seen = look(browser, tmp_path / "live.html", fragment)
    assert seen["still"] is None and seen["drawn"] > 0 and seen["controls"] == 5
    assert {"svg", "button", "input", "select"} <= set(seen["visible"])
    assert "frame 1/20" in seen["text"].splitlines()  # the controls' counter


# --------------------------------------------------------------------------- an executed notebook


def test_the_example_notebook_runs_and_shows_the_player_and_its_still(tmp_path):
    """examples/notebook.ipynb executed by ``jupyter nbconvert --execute``, as a reader
    runs it: the layer's cell and show()'s cell each hold the player (HTML) and the
    fallback still (a PNG of the frame), and save() wrote the page."""
    import shutil
    from pathlib import Path

    import nbformat
    from PIL import Image

    root = Path(__file__).resolve().parent.parent
    shutil.copy(root / "examples" / "notebook.ipynb", tmp_path / "notebook.ipynb")
    env = dict(os.environ, PYTHONPATH=str(root))  # the tree under test
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook",
                    "--execute", "--output", "ran.ipynb", "notebook.ipynb"],
                   cwd=tmp_path, env=env, check=True, capture_output=True, timeout=300)
    ran = nbformat.read(tmp_path / "ran.ipynb", as_version=4)
    shown = [cell for cell in ran.cells if cell.cell_type == "code"][:2]
    stored = json.loads((tmp_path / "ran.ipynb").read_text(encoding="utf-8"))
    for cell in shown:
        (data,) = [out.data for out in cell.outputs if out.output_type == "execute_result"]
        assert 'class="convgif-player"' in data["text/html"]
        assert "convgif-still" in data["text/html"]  # the still inside the player, too
        still = Image.open(io.BytesIO(base64.b64decode(data["image/png"])))
        assert still.width > 400 and still.height > 200
        # what a script-stripping viewer is left with: the same PNG, as an <img>, alone
        left = github_like(data["text/html"])
        assert STILL.findall(left) == [data["image/png"]]
        assert "<script" not in left and "<svg" not in left and "<button" not in left
    # the file holds each player as its PNG, its HTML and its text (nbformat writes the keys
    # sorted; a viewer picks by its own order: HTML where it shows HTML, else the PNG)
    outputs = [out for cell in stored["cells"] if cell["cell_type"] == "code"
               for out in cell["outputs"] if out["output_type"] == "execute_result"]
    assert [list(out["data"]) for out in outputs[:2]] == [
        ["image/png", "text/html", "text/plain"]] * 2
    assert (tmp_path / "conv.html").read_text(encoding="utf-8").count("convgif-player") >= 1
