"""The HTML player: one self-contained page per animation, checked as data and in a browser.

The browser tests open the page from ``file://`` in headless Chromium (Debian's ``chromium``
and ``chromium-driver``, driven by ``selenium``), with its network features off, and check
what a user sees: the counter and caption as they step, the scrubber, play and pause, the
cells drawn for a frame, their colours against the raster still of the same frame, and the
dark page. They are never skipped: a machine without Chromium fails them.
"""

from __future__ import annotations

import io
import json
import re
import time

import numpy as np
import pytest
from PIL import Image

import convgif
from convgif.api import render
from convgif.api.kinds import as_layer
from convgif.api.options import Output
from convgif.api.pictures import picture
from convgif.backends.player import caption_lines
from convgif.backends.style import get_style
from convgif.views.scene import Box

HEADLINE = "Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)"
HEADLINE_SHAPE = (3, 7, 7)
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
PAGE_LIMIT = 300 * 1024  # bytes: the headline layer's page (its GIF is about 240 KB)
DATA = re.compile(r'<script type="application/json" class="convgif-data">(.*?)</script>', re.S)


def headline():
    return convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)


def page_data(text: str) -> dict:
    return json.loads(DATA.search(text).group(1))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The headline layer's page and GIF, written the same way, and its view."""
    folder = tmp_path_factory.mktemp("player")
    layer = headline()
    page, gif = folder / "conv.html", folder / "conv.gif"
    layer.animate(page, input_shape=HEADLINE_SHAPE)
    layer.animate(gif, input_shape=HEADLINE_SHAPE)
    view = picture(layer, input_shape=HEADLINE_SHAPE)
    return page, gif, view


# --------------------------------------------------------------------------- the page as data


def test_one_record_per_frame_with_the_gifs_timing(written):
    page, gif, view = written
    data = page_data(page.read_text(encoding="utf-8"))
    times = render.durations(view)
    assert len(data["frames"]) == len(view) == len(times)
    assert [frame["ms"] for frame in data["frames"]] == times
    with Image.open(gif) as image:  # the GIF holds the same frames for the same times
        gif_times = []
        for i in range(image.n_frames):
            image.seek(i)
            gif_times.append(image.info["duration"])
    assert len(gif_times) == len(times) and gif_times == times


def test_static_items_once_and_each_frame_only_what_it_adds(written):
    page, _, view = written
    data = page_data(page.read_text(encoding="utf-8"))
    assert len(data["statics"]) == 1 and len(data["statics"][0]) == len(view.scene(0).static)
    filled = 0.0  # the area of the output cells settled so far
    for k, frame in enumerate(data["frames"]):
        filled += sum(i[3] * i[4] for i in frame["settled"] if i[0] == "b" and i[5] == "output")
        # a scene on its own holds everything settled so far (a run of cells as one box)
        whole = view.scene(k)
        assert filled == pytest.approx(_area(_lit(view, k, "output", settled=True)))
        assert len(frame["dynamic"]) == sum(1 for item in whole.dynamic
                                            if not hasattr(item, "text") or item.text)


def test_captions_are_text_in_the_page(written):
    page, _, view = written
    text = page.read_text(encoding="utf-8")
    data = page_data(text)
    for k in (1, 5, len(view) - 1):
        lines = caption_lines(view.scene(k))
        assert lines and data["frames"][k]["caption"] == list(lines)
    assert "y[0, 0, 0] = " in data["frames"][1]["caption"][0]


def test_nothing_is_fetched_and_the_page_is_small(written):
    page, gif, _ = written
    text = page.read_text(encoding="utf-8")
    addresses = set(re.findall(r"https?://[^\s\"'<>)]+", text))
    assert addresses <= {SVG_NAMESPACE}
    assert "<link" not in text and "src=" not in text  # no stylesheet or script from elsewhere
    size, gif_size = page.stat().st_size, gif.stat().st_size
    print(f"headline layer: page {size / 1024:.0f} KB, GIF {gif_size / 1024:.0f} KB")
    assert size < PAGE_LIMIT and size < gif_size


def test_the_page_source_is_readable(written):
    text = written[0].read_text(encoding="utf-8")
    script = text[text.rindex("<script>"):]
    lines = script.splitlines()
    assert 50 < len(lines) < 250 and max(len(line) for line in lines) <= 120
    assert "function show(k)" in script


def test_same_arguments_same_bytes_and_nothing_left_behind(tmp_path):
    layer = headline()
    for name in ("a.html", "b.html"):
        layer.animate(tmp_path / name, input_shape=(3, 4, 4))
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "b.html"]


def test_sampled_frames_and_own_timing(tmp_path):
    headline().animate(tmp_path / "s.html", input_shape=HEADLINE_SHAPE, max_frames=6,
                       duration=300, hold=900)
    data = page_data((tmp_path / "s.html").read_text(encoding="utf-8"))
    assert [frame["ms"] for frame in data["frames"]] == [1200, 300, 300, 300, 300, 900]


def test_the_frame_budget_applies(tmp_path):
    with pytest.raises(convgif.ConvGifError):
        render.html_page(picture(headline(), input_shape=HEADLINE_SHAPE), Output(scale=60.0))


@pytest.mark.parametrize("layer, shape, options", [
    ("Conv1d(2, 2, 3, padding=1)", (2, 6), {}),
    ("Conv2d(4, 4, 3, groups=2, padding_mode='reflect', padding=1)", (4, 5, 5), {}),
    ("ConvTranspose1d(1, 2, 3, stride=2)", (1, 3), {}),
    ("ConvTranspose2d(2, 1, 3, stride=2)", (2, 3, 3), {}),
    ("ConvTranspose2d(2, 1, 3, stride=2)", (2, 3, 3), {"view": "scatter"}),
    ("ConvTranspose2d(1, 1, 3, stride=2)", (1, 3, 3), {"view": "matrix"}),
    ("MaxPool2d(2)", (1, 4, 4), {}),
    ("AvgPool2d(3, stride=2, padding=1)", (1, 5, 5), {}),
    ("keras.layers.Conv2D(filters=2, kernel_size=3, strides=2, padding='same')", (5, 5, 1), {}),
])
def test_every_layer_kind_and_view(tmp_path, layer, shape, options):
    built = as_layer(layer)
    built.animate(tmp_path / "p.html", input_shape=shape, **options)
    data = page_data((tmp_path / "p.html").read_text(encoding="utf-8"))
    assert len(data["frames"]) == len(picture(built, input_shape=shape, **options))


def test_overlap_stack_and_the_command_line(tmp_path, cli):
    overlap = convgif.overlap(tmp_path / "o.html", "ConvTranspose2d(1, 1, 3, stride=2)",
                              input_shape=(1, 4, 4))
    assert len(page_data((tmp_path / "o.html").read_text())["frames"]) == overlap.frames
    stack = convgif.stack(tmp_path / "s.html", "Conv2d(1, 2, 3) MaxPool2d(2)", (1, 8, 8))
    assert len(page_data((tmp_path / "s.html").read_text())["frames"]) == stack.frames == 3
    done = cli("render", "--layer", HEADLINE, "--input-shape", "3,7,7", "-o", "c.html")
    assert done.returncode == 0, done.stderr
    assert "20 frames" in done.stdout or "frames" in done.stdout
    assert page_data((tmp_path / "c.html").read_text())["frames"]


def test_the_batch_file_writes_pages(tmp_path):
    from convgif import batch

    out = tmp_path / "pool.html"
    results = batch.run_batch([{"layer": "MaxPool2d(2)", "input_shape": "1,4,4",
                                "output": str(out)}])
    assert results[0].error is None
    assert len(page_data(out.read_text())["frames"]) == results[0].frames


# --------------------------------------------------------------------------- in a browser


def _open(browser, path):
    browser.get_log("browser")  # drained: earlier pages of the shared browser logged these
    browser.get(path.resolve().as_uri())
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors


def _keys(browser, *keys):
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser).send_keys(*keys).perform()


def _counter(browser) -> str:
    return browser.find_element("css selector", ".convgif-counter").text


def _caption(browser) -> list[str]:
    return browser.find_element("css selector", ".convgif-caption").text.splitlines()


def test_keys_step_and_the_caption_follows(browser, written):
    from selenium.webdriver.common.keys import Keys

    page, _, view = written
    n = len(view)
    _open(browser, page)
    _keys(browser, Keys.HOME)
    assert _counter(browser) == f"frame 1/{n}"
    _keys(browser, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert _counter(browser) == f"frame 4/{n}"
    assert _caption(browser) == list(caption_lines(view.scene(3)))
    _keys(browser, Keys.ARROW_LEFT)
    assert _counter(browser) == f"frame 3/{n}"
    assert _caption(browser) == list(caption_lines(view.scene(2)))
    _keys(browser, Keys.END)
    assert _counter(browser) == f"frame {n}/{n}"
    assert _caption(browser) == list(caption_lines(view.scene(n - 1)))
    _keys(browser, Keys.ARROW_RIGHT)  # it loops, like the GIF
    assert _counter(browser) == f"frame 1/{n}"
    buttons = {b.get_attribute("data-do"): b
               for b in browser.find_elements("css selector", "button[data-do]")}
    buttons["last"].click()
    buttons["back"].click()
    assert _counter(browser) == f"frame {n - 1}/{n}"
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def _drawn_counter(browser) -> str:
    """The counter the picture draws (SVG text), not the controls' one."""
    texts = browser.find_elements("css selector", ".convgif-picture .dynamic text")
    drawn = [t.text for t in texts if re.match(r"frame \d+/\d+", t.text)]
    assert len(drawn) == 1, drawn
    return drawn[0]


@pytest.mark.parametrize("layer, options", [
    (HEADLINE, {"max_frames": 7}),  # sampled by the user
    ("ConvTranspose2d(1, 1, 3, stride=2)", {"view": "scatter", "max_frames": 5}),
])
def test_a_sampled_page_counts_as_its_picture_does(browser, tmp_path, layer, options):
    """Each page frame's counter is the picture's own: frame 4/20 (7 shown, ...), not 2/7;
    the page is its frames, the scrubber steps through the frames kept."""
    from selenium.webdriver.common.keys import Keys

    built = as_layer(layer)
    shape = HEADLINE_SHAPE if layer == HEADLINE else (1, 3, 3)
    view = picture(built, input_shape=shape, **{k: v for k, v in options.items()
                                               if k != "max_frames"})
    kept = render.frame_indices(view, options["max_frames"])
    assert len(kept) < len(view)
    built.animate(tmp_path / "s.html", input_shape=shape, **options)
    _open(browser, tmp_path / "s.html")
    _keys(browser, Keys.HOME)
    seen = []
    for k, index in enumerate(kept):
        expected = f"frame {index + 1}/{len(view)} ({len(kept)} shown, evenly spread)"
        assert _counter(browser) == _drawn_counter(browser) == expected
        assert browser.find_element("css selector", ".convgif-player").get_attribute(
            "data-frame") == str(k + 1)
        seen.append(_counter(browser))
        _keys(browser, Keys.ARROW_RIGHT)
    assert _counter(browser) == seen[0]  # it loops over the frames kept
    scrubber = browser.find_element("css selector", ".convgif-scrubber")
    assert scrubber.get_attribute("max") == str(len(kept))


def test_the_scrubber_goes_to_a_frame(browser, written):
    from selenium.webdriver.common.action_chains import ActionChains

    page, _, view = written
    n = len(view)
    _open(browser, page)
    scrubber = browser.find_element("css selector", ".convgif-scrubber")
    width = scrubber.rect["width"]
    ActionChains(browser).move_to_element_with_offset(scrubber, int(width * 0.25), 0).click() \
        .perform()  # offsets from the centre: three quarters of the way along
    frame = int(scrubber.get_attribute("value"))
    assert n * 0.6 < frame < n * 0.9
    assert _counter(browser) == f"frame {frame}/{n}"
    assert _caption(browser) == list(caption_lines(view.scene(frame - 1)))


def test_play_advances_and_pause_stops(browser, written):
    from selenium.webdriver.support.ui import Select, WebDriverWait

    page, _, view = written
    _open(browser, page)
    root = browser.find_element("css selector", ".convgif-player")
    assert "playing" in root.get_attribute("class")  # it plays on opening, as a GIF does
    browser.find_element("css selector", "button[data-do=first]").click()
    assert "playing" not in root.get_attribute("class")  # stepping by hand pauses
    Select(browser.find_element("css selector", ".convgif-speed")).select_by_visible_text("2×")
    play = browser.find_element("css selector", "button[data-do=play]")
    play.click()
    started = time.monotonic()
    WebDriverWait(browser, 5).until(lambda b: _counter(b) != f"frame 1/{len(view)}")
    # the opening frame stays 1200 ms, half that at 2x
    assert 0.4 < time.monotonic() - started < 2.0
    WebDriverWait(browser, 5).until(lambda b: _counter(b).startswith("frame 3/"))
    play.click()
    stopped = _counter(browser)
    time.sleep(1.0)
    assert _counter(browser) == stopped


def _lit(view, k: int, role: str, settled: bool = False) -> list[Box]:
    scene = view.scene(k)
    items = scene.settled if settled else scene.dynamic
    return [item for item in items if isinstance(item, Box) and item.fill == role]


def test_the_drawing_holds_the_frames_cells(browser, written):
    from selenium.webdriver.common.keys import Keys

    page, _, view = written
    _open(browser, page)
    _keys(browser, Keys.HOME)
    for k in (1, 7, 12, 7, 1):  # forward, then back (settled cells are hidden again)
        _keys(browser, Keys.HOME, *[Keys.ARROW_RIGHT] * k)
        taps = browser.find_elements("css selector", "g.dynamic rect[data-role=tap]")
        assert len(taps) == len(_lit(view, k, "tap")) > 0
        shown = browser.execute_script(
            "return [...document.querySelectorAll('g.settled > g.frame')]"
            ".filter(g => !g.hasAttribute('display'))"
            ".flatMap(g => [...g.querySelectorAll('rect[data-role=output]')])"
            ".reduce((a, r) => a + r.width.baseVal.value * r.height.baseVal.value, 0)")
        assert shown == pytest.approx(_area(_lit(view, k, "output", settled=True)))


def _area(boxes) -> float:
    return sum(box.w * box.h for box in boxes)


def _svg_at_pixels(browser, view):
    """A screenshot of the picture drawn at one CSS pixel per painted pixel."""
    width = round(view.width * view.zoom)
    browser.execute_script(
        "const s = document.querySelector('.convgif-picture');"
        "s.style.width = arguments[0] + 'px'; s.style.maxHeight = 'none';", width)
    png = browser.find_element("css selector", ".convgif-picture").screenshot_as_png
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_cell_colours_match_the_raster_still(browser, written):
    from selenium.webdriver.common.keys import Keys

    page, _, view = written
    k = 5
    _open(browser, page)
    _keys(browser, Keys.HOME, *[Keys.ARROW_RIGHT] * k)
    shot = _svg_at_pixels(browser, view)
    painter = render.painter_for(view)
    still = np.asarray(painter.to_rgb(painter.paint(view.still(k))))
    assert abs(shot.shape[1] - still.shape[1]) <= 1 and abs(shot.shape[0] - still.shape[0]) <= 1
    style = get_style("default")
    checked = 0
    for role, settled in (("tap", False), ("kernel_active", False), ("output", True),
                          ("output_active", False)):
        for box in _lit(view, k, role, settled):
            # a point inside the cell, clear of its edge and of the value at its centre
            x = int((box.x + 0.2 * box.w) * painter.scale)
            y = int((box.y + 0.2 * box.h) * painter.scale)
            assert tuple(still[y, x]) == style.rgb(role)
            assert np.abs(shot[y, x].astype(int) - style.rgb(role)).max() <= 2, (role, x, y)
            checked += 1
    assert checked > 10
    same = np.abs(shot[: still.shape[0], : still.shape[1]].astype(int)
                  - still[: shot.shape[0], : shot.shape[1]]).max(axis=2) <= 8
    assert same.mean() > 0.9  # text is antialiased differently; the rest is the same picture


def test_the_dark_style_has_a_dark_page(browser, tmp_path):
    headline().animate(tmp_path / "dark.html", input_shape=(3, 4, 4), style="dark")
    _open(browser, tmp_path / "dark.html")
    background = browser.execute_script(
        "return getComputedStyle(document.body).backgroundColor")
    assert background == "rgb({}, {}, {})".format(*get_style("dark").rgb("paper"))
    assert sum(get_style("dark").rgb("paper")) < 200
