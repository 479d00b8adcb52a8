import importlib.util
import tempfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from convgif.backends.raster import RasterPainter
from convgif.errors import ConvGifError
from convgif.io.files import atomic_write
from convgif.io.gif import write_gif
from convgif.io.writers import (
    write,
    write_apng,
    write_frames_folder,
    write_mp4,
    write_png,
    write_webp,
)
from convgif.views.scene import Box, Scene, Text


def painted_frames(n=6, repeat_at=None):
    """Frames of a small grid where one cell is lit per frame; one frame repeated."""
    painter = RasterPainter("default")
    static = tuple(
        item
        for i in range(4)
        for j in range(6)
        for item in (
            Box(10 + 30 * j, 10 + 30 * i, 30, 30, fill="input", edge="grid"),
            Text(25 + 30 * j, 25 + 30 * i, str(i * 6 + j), 12),
        )
    )
    frames = []
    for k in range(n):
        i, j = divmod(k, 6)
        dynamic = (
            Box(10 + 30 * j, 10 + 30 * i, 30, 30, fill="tap", edge="window", edge_width=2),
            Text(100, 140, f"step {k}", 14),
        )
        frames.append(painter.paint(Scene(200, 150, static, dynamic)))
        if k == repeat_at:
            frames.append(frames[-1].copy())
    return painter, frames


def decode(path):
    image = Image.open(path)
    out = []
    for k in range(getattr(image, "n_frames", 1)):
        image.seek(k)
        out.append((np.asarray(image.convert("RGB")), image.info.get("duration")))
    return image, out


def test_gif_frames_durations_loop_and_pixels(tmp_path):
    painter, frames = painted_frames(6, repeat_at=2)  # 7 frames, the 3rd and 4th identical
    durations = [100, 120, 150, 250, 100, 100, 1500]
    path = tmp_path / "a.gif"
    write_gif(path, iter(frames), painter.palette, durations)
    image, decoded = decode(path)
    assert image.info["loop"] == 0
    assert image.size == (200, 150)
    assert len(decoded) == 6
    assert [d for _, d in decoded] == [100, 120, 400, 100, 100, 1500]
    expected = [f for k, f in enumerate(frames) if k != 3]
    for (rgb, _), frame in zip(decoded, expected, strict=True):
        assert np.array_equal(rgb, painter.to_rgb(frame))


def test_gif_stores_only_changes(tmp_path):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 200, size=(300, 400), dtype=np.uint8)  # noisy: compresses badly
    frames = []
    for k in range(10):
        frame = base.copy()
        frame[10 + 5 * k : 20 + 5 * k, 30:50] = 201
        frames.append(frame)
    palette = [(i, 255 - i, (7 * i) % 256) for i in range(256)]
    small, one = tmp_path / "small.gif", tmp_path / "one.gif"
    write_gif(small, frames, palette, 100)
    write_gif(one, frames[:1], palette, 100)
    # ten frames cost little more than the first one alone, not ten times as much
    assert small.stat().st_size < 1.2 * one.stat().st_size
    _, decoded = decode(small)
    rgb = np.array(palette, dtype=np.uint8)
    assert all(np.array_equal(d, rgb[f]) for (d, _), f in zip(decoded, frames, strict=True))


@pytest.mark.parametrize("ext", [".gif", ".webp", ".apng", ".mp4"])
def test_every_animation_format_is_deterministic(tmp_path, ext):
    if ext == ".mp4" and importlib.util.find_spec("imageio_ffmpeg") is None:
        pytest.skip("no imageio-ffmpeg")
    painter, frames = painted_frames(5)
    a, b = tmp_path / f"a{ext}", tmp_path / "sub" / f"b{ext}"
    write(a, frames, painter.palette, [80] * 5)
    write(b, iter(frames), painter.palette, [80] * 5)
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
@pytest.mark.parametrize("ext", [".gif", ".png", ".webp", ".apng"])
def test_failed_write_leaves_old_file_and_no_temporary(tmp_path, error, ext):
    painter, frames = painted_frames(4)
    target = tmp_path / f"out{ext}"
    target.write_bytes(b"old contents")

    def broken():
        yield frames[0]
        yield frames[1]
        raise error("stop")

    with pytest.raises(error):
        write(target, broken(), painter.palette, [100] * 4)
    assert target.read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_atomic_write_creates_parents_and_replaces(tmp_path):
    target = tmp_path / "a" / "b" / "c.txt"
    with atomic_write(target) as tmp:
        tmp.write_text("first")
        assert not target.exists()
    assert target.read_text() == "first"
    with atomic_write(target) as tmp:
        tmp.write_text("second")
    assert target.read_text() == "second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["c.txt"]


def test_png_still(tmp_path):
    painter, frames = painted_frames(2)
    path = tmp_path / "deep" / "still.png"
    write_png(path, frames[1], painter.palette)
    image = Image.open(path)
    assert image.mode == "P"
    assert np.array_equal(np.asarray(image.convert("RGB")), painter.to_rgb(frames[1]))
    first = path.read_bytes()
    write_png(path, frames[1], painter.palette)
    assert path.read_bytes() == first
    assert b"tIME" not in first and b"tEXt" not in first


@pytest.mark.parametrize("writer, ext", [(write_apng, ".png"), (write_webp, ".webp")])
def test_apng_and_webp(tmp_path, writer, ext):
    painter, frames = painted_frames(5, repeat_at=1)
    path = tmp_path / f"anim{ext}"
    writer(path, frames, painter.palette, [100] * 5 + [700])
    image, decoded = decode(path)
    assert len(decoded) == 5
    for (rgb, _), frame in zip(decoded, [f for k, f in enumerate(frames) if k != 2], strict=True):
        assert np.array_equal(rgb, painter.to_rgb(frame))
    assert [d for _, d in decoded] == [100, 200, 100, 100, 700]


def test_write_picks_format_by_extension(tmp_path):
    painter, frames = painted_frames(3)
    write(tmp_path / "x.gif", frames, painter.palette, 100)
    assert (tmp_path / "x.gif").read_bytes()[:6] == b"GIF89a"
    write(tmp_path / "x.png", frames[:1], painter.palette, 100)
    assert getattr(Image.open(tmp_path / "x.png"), "n_frames", 1) == 1
    write(tmp_path / "y.png", frames, painter.palette, 100)
    assert Image.open(tmp_path / "y.png").n_frames == 3
    write(tmp_path / "z.apng", frames, painter.palette, 100)
    assert Image.open(tmp_path / "z.apng").n_frames == 3
    with pytest.raises(ConvGifError, match=r"path=.*\.gif"):
        write(tmp_path / "x.bmp", frames, painter.palette, 100)
    with pytest.raises(ConvGifError, match="frames="):
        write_gif(tmp_path / "e.gif", [], painter.palette, 100)
    assert not (tmp_path / "e.gif").exists()


def test_bad_frames_are_refused(tmp_path):
    painter, frames = painted_frames(2)
    with pytest.raises(ConvGifError, match="shape"):
        write_gif(tmp_path / "a.gif", [frames[0], frames[1][:-1]], painter.palette, 100)
    with pytest.raises(ConvGifError, match="palette"):
        write_gif(tmp_path / "b.gif", [np.full((4, 4), 9, np.uint8)], [(0, 0, 0)] * 4, 100)
    assert list(tmp_path.iterdir()) == []


def test_frames_folder(tmp_path):
    painter, frames = painted_frames(3)
    folder = tmp_path / "frames"
    (folder).mkdir()
    (folder / "frame_0009.png").write_bytes(b"stale")
    paths = write_frames_folder(folder, iter(frames), painter.palette)
    assert [p.name for p in paths] == ["frame_0001.png", "frame_0002.png", "frame_0003.png"]
    assert sorted(p.name for p in folder.iterdir()) == [p.name for p in paths]
    rgb = np.asarray(Image.open(paths[2]).convert("RGB"))
    assert np.array_equal(rgb, painter.to_rgb(frames[2]))


@pytest.mark.skipif(importlib.util.find_spec("imageio_ffmpeg") is None, reason="no imageio-ffmpeg")
def test_mp4(tmp_path):
    import imageio.v3 as iio

    painter, frames = painted_frames(4)
    frames = [f[:-1, :-1] for f in frames]  # odd sizes: padded to even
    path = tmp_path / "v" / "a.mp4"
    write_mp4(path, frames, painter.palette, [100, 100, 100, 300])
    video = iio.imread(path)
    assert video.shape == (6, 150, 200, 3)  # 10 fps; the last frame held 3 video frames
    # lossy, but close to the painted picture
    expected = painter.to_rgb(frames[0]).astype(int)
    assert np.abs(video[0, :149, :199].astype(int) - expected).mean() < 8
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.mp4"]


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 17),
    st.integers(1, 23),
    st.integers(1, 256),
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 255)), max_size=8),
    st.integers(0, 2**32 - 1),
)
def test_gif_round_trips_any_frames(h, w, n_colors, edits, seed):
    rng = np.random.default_rng(seed)
    palette = [tuple(int(v) for v in rgb) for rgb in rng.integers(0, 256, size=(n_colors, 3))]
    frame = rng.integers(0, n_colors, size=(h, w), dtype=np.uint8)
    frames = [frame]
    for y, x, value in edits:  # each edit changes (at most) one pixel, or nothing
        frame = frame.copy()
        frame[y % h, x % w] = value % n_colors
        frames.append(frame)
    durations = [int(d) for d in rng.integers(1, 40, size=len(frames)) * 10]
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/a.gif"
        write_gif(path, frames, palette, durations)
        _, decoded = decode(path)
    kept, times = [frames[0]], [durations[0]]
    for f, d in zip(frames[1:], durations[1:], strict=True):
        if np.array_equal(f, kept[-1]):
            times[-1] += d
        else:
            kept.append(f)
            times.append(d)
    rgb = np.array(palette, dtype=np.uint8)
    assert len(decoded) == len(kept)
    assert [d for _, d in decoded] == times
    for (picture, _), f in zip(decoded, kept, strict=True):
        assert np.array_equal(picture, rgb[f])


def test_gif_copes_with_frames_painted_into_one_buffer(tmp_path):
    """Each change is measured against the previous picture, not against the caller's
    buffer, which may already hold the next one."""
    painter, frames = painted_frames(4)
    buffer = np.empty_like(frames[0])

    def one_buffer():
        for frame in frames:
            buffer[:] = frame
            yield buffer

    write_gif(tmp_path / "reused.gif", one_buffer(), painter.palette, 100)
    write_gif(tmp_path / "fresh.gif", iter(frames), painter.palette, 100)
    assert (tmp_path / "reused.gif").read_bytes() == (tmp_path / "fresh.gif").read_bytes()
