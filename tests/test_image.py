"""Photos as inputs: what is read is what is traced; presets equal torch; bad files refused."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

import convgif
from convgif import ConvGifError
from convgif.api.features import PRESETS, compute, features, panels
from convgif.api.render import picture
from convgif.io.images import MAX_PIXELS, image_array, image_input, open_image

torch = pytest.importorskip("torch")
F = torch.nn.functional


@pytest.fixture
def photo(tmp_path):
    """A 20 x 24 RGB PNG with known pixels."""
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(a, "RGB").save(path)
    return path, a


def test_image_array_is_the_file(photo):
    path, a = photo
    x = image_array(path, 3)
    assert x.shape == (3, 20, 24) and x.dtype == np.float64
    assert np.array_equal(x, a.transpose(2, 0, 1))
    gray = image_array(path, 1)
    expected = np.asarray(Image.open(path).convert("L"), dtype=np.float64)
    assert gray.shape == (1, 20, 24) and np.array_equal(gray[0], expected)


def test_shrink_is_an_area_mean(tmp_path):
    a = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    path = tmp_path / "big.png"
    Image.fromarray(a).save(path)
    x = image_array(path, 3, size=16)
    assert x.shape == (3, 12, 16)
    blocks = a.reshape(12, 4, 16, 4, 3).mean(axis=(1, 3)).transpose(2, 0, 1)
    assert np.abs(x - blocks).max() <= 1.0  # Pillow rounds to whole numbers
    assert np.array_equal(x, np.round(x)) and x.min() >= 0 and x.max() <= 255


def test_the_traced_input_is_the_image(photo):
    path, a = photo
    layer = convgif.Conv2d(3, 1, 3, stride=2)
    pic = picture(layer, image=path, image_size=24)
    assert np.array_equal(pic.trace.x[0], a.transpose(2, 0, 1))
    expected = F.conv2d(torch.from_numpy(a.transpose(2, 0, 1)[None].astype(np.float64)),
                        torch.from_numpy(layer.weight), torch.from_numpy(layer.bias), stride=2)
    assert np.array_equal(pic.trace.output, expected[0].numpy())
    # the default size: the largest (up to 32 cells, never enlarged) whose frame is
    # landscape and fits 1920 x 1080; its cells shaded by value
    auto = picture(layer, image=path)
    assert auto.trace.x.shape[2:] == (20, 24)
    assert auto.height <= auto.width <= 1920 and auto.height <= 1080
    assert auto.options.shade == {"input", "output"}
    gray = picture(convgif.Conv2d(1, 1, 3), image=path, image_size=12)
    assert gray.trace.x.shape == (1, 1, 10, 12)
    # the input's header says where the numbers came from
    assert "the photo photo.png, shrunk to 10 \u00d7 12" in " ".join(gray.scene(0).texts())
    with pytest.raises(ConvGifError, match="not both"):
        picture(layer, input_shape=(3, 5, 5), image=path)


def test_channels_mismatch_names_image_and_in_channels(photo):
    path, _ = photo
    with pytest.raises(ConvGifError, match=r"^image gives 3 channels .* in_channels=2"):
        image_input(convgif.Conv2d(2, 1, 3), path)
    with pytest.raises(ConvGifError, match="^image needs a 2-d layer"):
        image_input(convgif.Conv1d(3, 1, 3), path)
    # pooling has no in_channels: the photo's own (3 for colour)
    assert image_input(convgif.MaxPool2d(2), path, 24).shape == (3, 20, 24)


# --------------------------------------------------------------------------- modes


def test_modes_are_converted(tmp_path):
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)
    rgba[..., 0] = 200
    rgba[0, 0, 3] = 0  # transparent: white
    rgba[1:, :, 3] = 255
    rgba[0, 1:, 3] = 255
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    x = image_array(tmp_path / "a.png", 3)
    assert x[:, 0, 0].tolist() == [255, 255, 255] and x[:, 1, 1].tolist() == [200, 0, 0]

    sixteen = (np.arange(16, dtype=np.uint16).reshape(4, 4) * 4096 + 255)
    Image.fromarray(sixteen).save(tmp_path / "g16.png")
    assert open_image(tmp_path / "g16.png").mode == "L"
    assert np.array_equal(image_array(tmp_path / "g16.png", 1)[0], sixteen >> 8)

    Image.fromarray(rgba[..., :3], "RGB").convert("P").save(tmp_path / "p.png")
    assert image_array(tmp_path / "p.png").shape == (3, 4, 4)
    Image.new("CMYK", (5, 3), (0, 255, 0, 0)).save(tmp_path / "c.jpg")
    assert image_array(tmp_path / "c.jpg").shape == (3, 3, 5)
    Image.new("1", (3, 3), 1).save(tmp_path / "b.png")
    assert image_array(tmp_path / "b.png").tolist() == [[[255.0] * 3] * 3]


def _png_header(width: int, height: int) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("notes.jpg", b"this is not a picture", "is not an image Pillow can read"),
        ("empty.png", b"", "is not an image Pillow can read"),
        ("big.png", _png_header(10_000, 8_000), f"more than the {MAX_PIXELS:,} convgif reads"),
        ("bomb.png", _png_header(20_000, 20_000), f"than the {MAX_PIXELS:,} convgif reads"),
        ("nodata.png", _png_header(64, 64), "damaged or truncated"),
    ],
)
def test_bad_files_refused(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ConvGifError) as info:
        image_array(path, 3)
    text = str(info.value)
    assert text.startswith(f"image={str(path)!r}") and message in text and "\n" not in text


def test_truncated_jpeg_and_float_refused(tmp_path, photo):
    path, a = photo
    Image.fromarray(np.repeat(np.arange(256, dtype=np.uint8)[None], 64, 0)).save(
        tmp_path / "full.jpg")
    data = (tmp_path / "full.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(ConvGifError, match="damaged or truncated"):
        image_array(tmp_path / "cut.jpg")
    Image.fromarray(np.ones((3, 3), dtype=np.float32)).save(tmp_path / "f.tif")
    with pytest.raises(ConvGifError, match="^image=.*floating-point"):
        image_array(tmp_path / "f.tif")
    with pytest.raises(ConvGifError, match="no such file"):
        image_array(tmp_path / "missing.png")
    with pytest.raises(ConvGifError, match="no such file"):
        image_array(tmp_path)


def test_sample_photo_and_its_absence(monkeypatch):
    x = image_array(True, 3, size=16)
    assert x.shape[0] == 3 and max(x.shape[1:]) == 16
    from matplotlib import cbook

    def missing(*args, **kwargs):
        raise FileNotFoundError("no sample data")

    monkeypatch.setattr(cbook, "get_sample_data", missing)
    with pytest.raises(ConvGifError, match="^image with no path uses matplotlib's sample"):
        image_array(True)


# --------------------------------------------------------------------------- features


@pytest.mark.parametrize("kernel", list(PRESETS))
def test_presets_equal_torch(photo, kernel):
    path, a = photo
    f = compute(path, kernel)
    x = torch.from_numpy(a.transpose(2, 0, 1)[None].astype(np.float64))
    w = torch.from_numpy(np.repeat(PRESETS[kernel][None, None], 3, axis=0))
    expected = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), w, groups=3)[0].numpy()
    assert f.output.shape == (3, 20, 24)
    assert np.allclose(f.output, expected, rtol=0, atol=1e-9)
    # what the still shows first is the photo that was convolved
    assert np.array_equal(panels(f)[0].rgb, a)


def test_layer_kernel_equals_torch(photo):
    path, a = photo
    f = compute(path, "layer", "Conv2d(3, 4, 3, stride=2, padding=1)")
    layer = f.layer
    x = torch.from_numpy(a.transpose(2, 0, 1)[None].astype(np.float64))
    expected = F.conv2d(x, torch.from_numpy(layer.weight), torch.from_numpy(layer.bias),
                        stride=2, padding=1)[0].numpy()
    assert np.array_equal(f.output, expected)
    assert len(panels(f)) == 5  # the photo and four maps
    with pytest.raises(ConvGifError, match="--kernel layer needs the layer"):
        compute(path, "layer")
    with pytest.raises(ConvGifError, match="in_channels=2"):
        compute(path, "layer", "Conv2d(2, 4, 3)")


def test_features_file(photo, tmp_path):
    path, _ = photo
    features(tmp_path / "f.png", path, "edge")
    with Image.open(tmp_path / "f.png") as im:
        # painted like every still: palette indices, the page's and the photo's colours
        assert im.mode == "P" and im.width > 3 * 240
    with pytest.raises(ConvGifError, match="written as .png, .svg, .pdf"):
        features(tmp_path / "f.jpg", path)


def test_cli_image(tmp_path, photo, cli):
    path, _ = photo
    r = cli("render", "--layer", "Conv2d(3, 1, 3, stride=2)", "--image", str(path),
            "--image-size", "8", "-o", "i.gif")
    assert r.returncode == 0, r.stderr
    with Image.open(tmp_path / "i.gif") as im:
        assert im.n_frames == 3 * 3 + 2  # 7 x 8 input -> 3 x 3 output, opening and closing
    r = cli("info", "--layer", "Conv2d(3, 1, 3)", "--image", str(path), "--image-size", "12")
    assert "(3, 10, 12)" in r.stdout
    for args, message in [
        (("render", "--layer", "Conv2d(4, 1, 3)", "--image", str(path)), "in_channels=4"),
        (("render", "--image", str(tmp_path)), "no such file"),
        (("render", "--image", str(path), "--input-shape", "3,5,5"), "not both"),
        (("features", "--image", str(tmp_path / "nope.png")), "--image="),
    ]:
        r = cli(*args)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert message in r.stderr
    r = cli("features", "--image", str(path), "--kernel", "sharpen", "-o", "s.png")
    assert r.returncode == 0 and (tmp_path / "s.png").is_file(), r.stderr


def test_batch_image(tmp_path, photo):
    """A [[render]] table takes image (relative to the TOML file) and image_size."""
    from convgif import batch

    path, a = photo
    (tmp_path / "course.toml").write_text(
        '[[render]]\nlayer = "Conv2d(3, 1, 3, stride=2)"\nimage = "photo.png"\n'
        'image_size = 8\noutput = "i.gif"\n\n'
        '[[render]]\nimage = "photo.png"\ninput_shape = "3,5,5"\noutput = "j.gif"\n',
        encoding="utf-8",
    )
    good, clash = batch.run_batch(tmp_path / "course.toml", workers=1)
    assert good.ok, good.error
    with Image.open(tmp_path / "i.gif") as im:
        assert im.n_frames == good.frames == 3 * 3 + 2  # 7 x 8 input -> 3 x 3 output
    assert clash.error == "give input_shape or image, not both"
    entries = [
        {"image": 3, "output": str(tmp_path / "a.gif")},
        {"image_size": 5, "output": str(tmp_path / "b.gif")},
        {"image": False, "layer": "Conv2d(3, 1, 3)", "input_shape": "3,5,5",
         "output": str(tmp_path / "c.gif")},
    ]
    number, size, no_photo = batch.run_batch(entries, workers=1)
    assert number.error == "image=3 must be a photo's path (or True for the sample)"
    assert size.error == "image_size sizes a photo: give image too"
    assert no_photo.ok and no_photo.frames == 3 * 3 + 2  # image = false: the shape's input
    with pytest.raises(ConvGifError, match=r"^image=3 must be a photo's path"):
        picture(convgif.Conv2d(3, 1, 3), image=3)


def test_features_take_the_style(photo, tmp_path):
    """The still's page and text follow style= like every other picture."""
    from convgif.backends.style import get_style

    path, _ = photo
    for style in ("default", "dark"):
        features(tmp_path / f"{style}.png", path, "edge", style=style)
        corner = Image.open(tmp_path / f"{style}.png").convert("RGB").getpixel((2, 2))
        assert corner == get_style(style).rgb("paper")
    with pytest.raises(convgif.ConvGifError, match="style='neon'"):
        features(tmp_path / "x.png", path, "edge", style="neon")
    assert not (tmp_path / "x.png").exists()
