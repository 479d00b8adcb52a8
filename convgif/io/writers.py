"""Write painted frames to files, atomically and deterministically: one writer per format.

Frames are (H, W) uint8 arrays of indices into one palette shared by the
whole animation. ``write`` picks the writer by the path's extension (GIF in
``gif``, APNG, WebP, MP4, PNG stills and numbered frames here); every one goes
through ``files.atomic_write``.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from convgif.errors import NAME, ConvGifError, name_of, refuse
from convgif.io.encoding import check_frame, duration_function, p_image, palette_array, rgb_image
from convgif.io.files import WRITE_ERRORS, atomic_write, staged_folder
from convgif.io.gif import write_gif

EXTENSIONS = (".gif", ".png", ".apng", ".webp", ".mp4")
FULL_DISK_BYTES = 1 << 20  # less room than this when ffmpeg fails: the disk is full


# -- helpers ------------------------------------------------------------------


# -- GIF ------------------------------------------------------------------------


# -- PNG, APNG, WebP ------------------------------------------------------------


def write_png(path, indices: np.ndarray, palette) -> None:
    """A still as a palette PNG, with no timestamp or other metadata."""
    rgb = palette_array(palette)
    frame = check_frame(indices, None, len(rgb), 0)
    image = p_image(frame, rgb)
    with atomic_write(path) as tmp:
        image.save(tmp, format="PNG", optimize=False, compress_level=9)


def _collect(frames, rgb) -> list[np.ndarray]:
    shape = None
    out = []
    for number, frame in enumerate(frames):
        frame = check_frame(frame, shape, len(rgb), number)
        shape = frame.shape
        out.append(frame)
    if not out:
        raise ConvGifError(f"{NAME}= is empty; an animation needs at least one frame", "frames")
    return out


def _merged(frames: list[np.ndarray], duration_of) -> tuple[list[np.ndarray], list[int]]:
    """Drop frames identical to the previous one, adding their time to it."""
    kept: list[np.ndarray] = []
    times: list[float] = []
    for number, frame in enumerate(frames):
        if kept and np.array_equal(kept[-1], frame):
            times[-1] += duration_of(number)
        else:
            kept.append(frame)
            times.append(duration_of(number))
    return kept, [max(1, round(t)) for t in times]


def write_apng(path, frames: Iterable[np.ndarray], palette, durations, loop: int = 0) -> None:
    """An animated PNG (looping, palette frames)."""
    rgb = palette_array(palette)
    kept, times = _merged(_collect(frames, rgb), duration_function(durations))
    images = [p_image(frame, rgb) for frame in kept]
    with atomic_write(path) as tmp:
        if len(images) == 1:
            images[0].save(tmp, format="PNG", optimize=False)
            return
        images[0].save(
            tmp,
            format="PNG",
            save_all=True,
            append_images=images[1:],
            duration=times,
            loop=loop,
            disposal=0,
            blend=0,
            default_image=False,
        )


def write_webp(path, frames: Iterable[np.ndarray], palette, durations, loop: int = 0) -> None:
    """A lossless animated WebP."""
    rgb = palette_array(palette)
    kept, times = _merged(_collect(frames, rgb), duration_function(durations))
    images = [rgb_image(frame, rgb) for frame in kept]
    with atomic_write(path) as tmp:
        images[0].save(
            tmp,
            format="WEBP",
            save_all=len(images) > 1,
            append_images=images[1:],
            duration=times if len(images) > 1 else times[0],
            loop=loop,
            lossless=True,
            # Lossless, so quality and method set only the effort: the least effort
            # costs 5-10 % in size and is 3-5 times faster. kmax=0: no key frames
            # after the first, as the GIF has none; smaller and faster again.
            quality=0,
            method=1,
            kmin=0,
            kmax=0,
            exact=True,
        )


# -- MP4, frame folders ---------------------------------------------------------


def write_mp4(
    path, frames: Iterable[np.ndarray], palette, durations=None, fps: float | None = None
):
    """An H.264 MP4 (yuv420p, sizes padded to even) through imageio-ffmpeg.

    Video runs at a constant ``fps``; a frame lasting longer than one video
    frame is repeated. Without ``fps`` it is chosen from the durations so
    that equal durations give one video frame per frame (at most 30 fps).
    """
    try:
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        raise ConvGifError('.mp4 needs the optional extra: pip install "convgif[mp4]"') from None
    import imageio.v2 as imageio

    rgb = palette_array(palette)
    duration_of, fps = _video_rate(durations, fps)
    with atomic_write(path) as tmp:
        writer = imageio.get_writer(
            str(tmp),
            format="FFMPEG",
            mode="I",
            fps=fps,
            codec="libx264",
            pixelformat="yuv420p",
            macro_block_size=1,
            ffmpeg_log_level="quiet",  # its failures become one line (_ffmpeg_failure)
            output_params=[
                "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1",
                # flat colours and text that holds still: twice as fast, and smaller
                "-preset", "veryfast", "-tune", "stillimage",
            ],
        )
        try:
            try:
                _append_video_frames(writer, frames, rgb, duration_of, fps)
            finally:
                writer.close()
        except OSError as error:  # ffmpeg gone: its pipe broke; say why in one line
            raise _ffmpeg_failure(tmp, error) from None


def _ffmpeg_failure(tmp: Path, error: OSError) -> OSError:
    """What broke ffmpeg's pipe, as one OSError: a full disk, or ffmpeg's first line."""
    if error.errno in WRITE_ERRORS and error.errno != errno.EPIPE:
        return error
    with contextlib.suppress(OSError):
        if shutil.disk_usage(tmp.parent).free < FULL_DISK_BYTES:
            return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return OSError(errno.EIO, f"ffmpeg failed: {first}")


def _video_rate(durations, fps) -> tuple:
    """(milliseconds of each frame, frames per second of the video)."""
    if durations is None:
        if fps is None:
            raise ConvGifError(f"write_mp4 needs {name_of('durations')}= or {name_of('fps')}=")
        duration_of = duration_function(1000.0 / fps)
    else:
        duration_of = duration_function(durations)
    if fps is None:
        if isinstance(durations, (int, float)):
            base = float(durations)
        else:
            base = float(math.gcd(*[max(1, round(d)) for d in durations]))
        fps = min(30.0, 1000.0 / base)
    if not (math.isfinite(fps) and fps > 0):
        raise refuse("fps", fps, "must be a positive number")
    return duration_of, fps


def _append_video_frames(writer, frames, rgb, duration_of, fps: float) -> None:
    """Each frame as RGB, padded to even sizes, repeated for as long as it lasts."""
    clock = 0.0
    shown = 0
    shape = None
    for number, frame in enumerate(frames):
        frame = check_frame(frame, shape, len(rgb), number)
        shape = frame.shape
        h, w = shape
        picture = np.take(rgb, frame, axis=0)  # faster than rgb[frame]
        if h % 2 or w % 2:
            picture = np.pad(picture, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
        clock += duration_of(number)
        repeats = max(1, round(clock * fps / 1000.0) - shown)
        for _ in range(repeats):
            writer.append_data(picture)
        shown += repeats
    if shape is None:
        raise ConvGifError(f"{NAME}= is empty; an animation needs at least one frame", "frames")


def write_frames_folder(
    folder, frames: Iterable[np.ndarray], palette, fmt: str = "png"
) -> list[Path]:
    """Numbered stills ``frame_0001.png``... in ``folder``; returns their paths.

    Stale numbered frames of an earlier, longer run are removed, so the folder
    holds exactly this animation; if writing fails, the folder is left as it was.
    """
    if fmt not in ("png",):
        raise refuse("fmt", fmt, "must be 'png'")
    with staged_folder(folder) as stage:
        names = write_numbered_pngs(stage, frames, palette)
    return [Path(os.fspath(folder)) / name for name in names]


def write_numbered_pngs(folder: Path, frames: Iterable[np.ndarray], palette) -> list[str]:
    """``frame_0001.png``, ``frame_0002.png``... in ``folder``; returns their names."""
    rgb = palette_array(palette)
    names = []
    shape = None
    for number, frame in enumerate(frames):
        frame = check_frame(frame, shape, len(rgb), number)
        shape = frame.shape
        names.append(f"frame_{number + 1:04d}.png")
        write_png(folder / names[-1], frame, rgb)
    return names


# -- by extension ---------------------------------------------------------------


def write(path, frames: Iterable[np.ndarray], palette, durations) -> None:
    """Write frames in the format the extension of ``path`` names.

    ``.png`` holds a still when there is one frame and an animated PNG otherwise.
    """
    suffix = Path(os.fspath(path)).suffix.lower()
    if suffix not in EXTENSIONS:
        raise refuse("path", os.fspath(path), f"must end in one of {', '.join(EXTENSIONS)}")
    if suffix == ".gif":
        write_gif(path, frames, palette, durations)
    elif suffix == ".apng":
        write_apng(path, frames, palette, durations)
    elif suffix == ".webp":
        write_webp(path, frames, palette, durations)
    elif suffix == ".mp4":
        write_mp4(path, frames, palette, durations)
    else:
        iterator = iter(frames)
        first = next(iterator, None)
        if first is None:
            raise ConvGifError(f"{NAME}= is empty; a .png needs at least one frame", "frames")
        second = next(iterator, None)
        if second is None:
            write_png(path, first, palette)
        else:
            write_apng(path, _chain(first, second, iterator), palette, durations)


def _chain(first, second, rest):
    yield first
    yield second
    yield from rest


__all__ = [
    "EXTENSIONS",
    "atomic_write",
    "write",
    "write_apng",
    "write_frames_folder",
    "write_gif",
    "write_mp4",
    "write_png",
    "write_webp",
]
