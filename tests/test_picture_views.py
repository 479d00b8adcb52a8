"""The feature-maps page and the contact sheet are views like every other picture.

Each is a ``View`` of scenes painted by the backends and written by the API's one
loop (``convgif.api.render``), so each takes ``style=`` and every still format.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import convgif
from convgif.api.export import contact_sheet
from convgif.api.features import compute, features
from convgif.api.overlap import OverlapPicture
from convgif.api.pictures import picture
from convgif.api.render import painter_for, still_view, view_style
from convgif.backends.raster import RasterPainter
from convgif.backends.style import get_style
from convgif.views.bitmaps import MAX_COLORS, share_colors
from convgif.views.features import FeaturesView, channel_rgb
from convgif.views.scene import Bitmap, Box, Scene
from convgif.views.sheet import LABEL_BAND, TILE_GAP, SheetView
from convgif.views.view import View


@pytest.fixture
def photo(tmp_path):
    """A 12 x 10 RGB photo of few colours."""
    rng = np.random.default_rng(5)
    a = rng.choice(np.array([0, 128, 255], dtype=np.uint8), (12, 10, 3))
    path = tmp_path / "photo.png"
    Image.fromarray(a, "RGB").save(path)
    return path, a


def _rgb(view: View, bitmap: Bitmap) -> np.ndarray:
    """A bitmap's pixels in the colours the view brings."""
    colors = np.array([view.own_colors[role] for role in bitmap.roles], dtype=np.uint8)
    return colors[np.frombuffer(bitmap.pixels, np.uint8).reshape(bitmap.rows, bitmap.cols)]


def _close(shown: np.ndarray, rgb: np.ndarray) -> bool:
    """The page shares at most 192 colours among its pictures and colour bars: each pixel
    is shown in the shared colour nearest its own."""
    return shown.shape == rgb.shape and np.abs(shown.astype(int) - rgb).max() <= 6


def _bitmaps(scene: Scene) -> list[Bitmap]:
    return [item for item in scene.items if isinstance(item, Bitmap)]


# --------------------------------------------------------------------------- features


def test_features_view_holds_the_panels_and_their_labels(photo):
    path, a = photo
    view = FeaturesView(compute(path, "edge"))
    assert isinstance(view, View) and len(view) == 1
    scene = view.scene(0)
    texts = scene.texts()
    assert texts[0].startswith("A photo and the feature maps of one convolution: edge kernel "
                               "[\u22121 \u22121 \u22121 / \u22121 8 \u22121 / \u22121 \u22121 "
                               "\u22121] on each channel")
    for label in ("input x (3 \u00d7 12 \u00d7 10, RGB)", "y[0..2] as one RGB picture",
                  "y[0] (R)  12 \u00d7 10", "y[1] (G)  12 \u00d7 10", "y[2] (B)  12 \u00d7 10"):
        assert label in texts
    # the photo, the RGB picture, three maps, and a colour bar over each map
    bitmaps = _bitmaps(scene)
    assert len(bitmaps) == 5 + 3
    assert _close(_rgb(view, bitmaps[0]), a)  # the photo that was convolved
    # nothing overlaps: the panels sit side by side, within the page
    boxes = [(b.x, b.y, b.x + b.w, b.y + b.h) for b in bitmaps[:5]]
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        assert 0 <= x0 and x1 <= view.width and 0 <= y0 and y1 <= view.height
        for u0, v0, u1, v1 in boxes[i + 1 :]:
            assert x1 <= u0 or u1 <= x0 or y1 <= v0 or v1 <= y0


def test_features_maps_are_the_layer_output(photo):
    """Each map shows the layer's own output for the photo, coloured by its range."""
    path, a = photo
    f = compute(path, "layer", "Conv2d(3, 2, 3, stride=2)")
    x = a.transpose(2, 0, 1).astype(np.float64)
    assert np.array_equal(f.output, f.layer.trace(x).output)
    view = FeaturesView(f)
    maps = [b for b in _bitmaps(view.scene(0)) if b.rows > 1][1:]  # not the photo, no bar
    assert len(maps) == 2
    for o, bitmap in enumerate(maps):
        assert _close(_rgb(view, bitmap), channel_rgb(f.output[o])[0])
    assert "y[1]  5 \u00d7 4" in view.scene(0).texts()


def test_many_colours_are_shared_within_the_palette():
    rng = np.random.default_rng(0)
    pictures = [rng.integers(0, 256, (30, 40, 3), dtype=np.uint8) for _ in range(2)]
    colors = share_colors(pictures)
    assert len(colors.rgb) == MAX_COLORS
    shown = colors.rgb[colors.indices[0]].astype(int)
    assert np.abs(shown - pictures[0]).mean() < 40  # close, not exact: 192 colours for 2,400
    few = share_colors([np.zeros((2, 2, 3), np.uint8)])
    assert len(few.rgb) == 1 and not few.indices[0].any()


@pytest.mark.parametrize("style", ["default", "dark", "classic"])
def test_features_take_the_style(photo, tmp_path, style):
    path, _ = photo
    features(tmp_path / "f.png", path, "blur", style=style)
    with Image.open(tmp_path / "f.png") as im:
        assert im.convert("RGB").getpixel((1, 1)) == get_style(style).rgb("paper")


def test_features_as_svg_and_pdf(photo, tmp_path):
    pytest.importorskip("matplotlib")
    path, _ = photo
    features(tmp_path / "f.svg", path, "sharpen")
    svg = (tmp_path / "f.svg").read_text()
    assert "<image" in svg and "y[0..2] as one RGB picture" in svg
    features(tmp_path / "f.pdf", path, "sharpen", style="dark")
    assert (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")


def test_features_command_writes_and_refuses(photo, tmp_path):
    path, _ = photo

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "convgif", "features", "--image",
                               str(path), *args], capture_output=True, text=True, cwd=tmp_path)

    r = cli("--kernel", "edge", "--style", "dark", "-o", "f.png")
    assert r.returncode == 0 and (tmp_path / "f.png").is_file(), r.stderr
    r = cli("-o", "f.gif")
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [
        "convgif: error: -o='f.gif': the features still is written as "
        ".png, .svg, .pdf"
    ]


# --------------------------------------------------------------------------- contact sheet


def test_sheet_tiles_the_frames_under_their_labels():
    layer = convgif.Conv2d(1, 1, 3)
    pic = picture(layer, input_shape=(1, 4, 4))
    sheet = SheetView(pic, [0, 2, 5], columns=2)
    assert len(sheet) == 1 and (sheet.columns, sheet.rows) == (2, 2)
    scene = sheet.scene(0)
    texts = scene.texts()
    assert [t for t in texts if t.startswith("frame ") and "/" not in t] == [
        "frame 1", "frame 3", "frame 6"]
    assert sum(t == f"frame 3/{len(pic)}" for t in texts) == 1  # each tile keeps its counter
    assert sheet.width == TILE_GAP + 2 * (math.ceil(pic.width) + TILE_GAP)
    assert sheet.height == TILE_GAP + 2 * (math.ceil(pic.height) + LABEL_BAND + TILE_GAP)
    frames = [b for b in scene.items if isinstance(b, Box) and b.edge == "grid"
              and (b.w, b.h) == (pic.width + 2, pic.height + 2)]
    assert len(frames) == 3


def test_sheet_is_painted_as_its_frames(tmp_path):
    """At scale 1 each tile is exactly its frame painted alone, in the view's own colours."""
    layer = convgif.ConvTranspose2d(1, 1, 3, stride=2)
    view = OverlapPicture(layer, (1, 2, 2))
    sheet = SheetView(view, [1, len(view) - 1], columns=1)
    assert sheet.heat_levels == view.heat_levels
    painter = painter_for(sheet, "dark")
    page = painter.to_rgb(painter.paint(sheet.scene(0)))
    alone = painter_for(view, "dark")
    for k, i in enumerate(sheet.frames):
        frame = alone.to_rgb(alone.paint(view.scene(i)))
        x, y = (int(v) for v in sheet.origin(k))
        assert np.array_equal(page[y : y + frame.shape[0], x : x + frame.shape[1]], frame)
    assert tuple(page[0, 0]) == get_style("dark").rgb("paper")


def test_contact_sheet_formats_and_style(tmp_path):
    layer = convgif.Conv2d(1, 1, 3)
    sheet = contact_sheet(tmp_path / "s.png", layer, input_shape=(1, 4, 4), count=3,
                          style="dark", scale=0.5)
    with Image.open(tmp_path / "s.png") as im:
        assert im.size == sheet.size
        assert im.convert("RGB").getpixel((1, 1)) == get_style("dark").rgb("paper")
    pytest.importorskip("matplotlib")
    contact_sheet(tmp_path / "s.svg", layer, input_shape=(1, 4, 4), frames=[1, -1])
    svg = (tmp_path / "s.svg").read_text()
    assert "frame 1" in svg and "frame 6" in svg
    with pytest.raises(convgif.ConvGifError, match=r"written as \.png, \.svg, \.pdf"):
        contact_sheet(tmp_path / "s.gif", layer, input_shape=(1, 4, 4))


# --------------------------------------------------------------------------- the bitmap item


def test_bitmap_painted_by_both_backends(tmp_path):
    item = Bitmap(2, 1, 4, 2, 1, 2, bytes([0, 1]), ("bitmap_0", "bitmap_1"))
    view = View()
    view.own_colors = {"bitmap_0": (10, 20, 30), "bitmap_1": (200, 100, 0)}
    style = view_style(view, "default")
    painter = RasterPainter(style, 2.0)
    rgb = painter.to_rgb(painter.paint(Scene(8, 4, (item,))))
    assert (rgb[2:6, 4:8] == (10, 20, 30)).all() and (rgb[2:6, 8:12] == (200, 100, 0)).all()
    assert (rgb[0:2] == (255, 255, 255)).all()  # the paper around it
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from convgif.backends.vector import draw_scene

    ax = Figure().add_subplot()
    draw_scene(ax, Scene(8, 4, (item,)), style)
    (image,) = ax.get_images()
    assert image.get_extent() == [2, 6, 3, 1]


def test_still_view_writes_the_features_view(photo, tmp_path):
    """The page goes through the same loop as any view: a frame number, a budget."""
    path, _ = photo
    view = FeaturesView(compute(path, "edge"))
    from convgif.api.options import output_options

    still_view(tmp_path / "v.png", view, 1, output_options(animated=False))
    with pytest.raises(convgif.ConvGifError, match="frame=2"):
        still_view(tmp_path / "w.png", view, 2, output_options(animated=False))
