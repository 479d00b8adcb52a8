"""Write painted frames to files: atomically, deterministically.

Frames are (H, W) uint8 arrays of indices into one palette shared by the
whole animation. Every writer goes through ``atomic_write``: a failed or
interrupted write never leaves a half-written file or clobbers an old one.
The GIF writer streams (memory stays bounded however many frames) and
stores only the part of each frame that changed.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import struct
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from convgif.errors import NAME, ConvGifError, name_of, refuse

EXTENSIONS = (".gif", ".png", ".apng", ".webp", ".mp4")
FRAME_FORMATS = ("png", "pdf", "svg")  # of the numbered frames in a frames folder


def make_folder(folder) -> Path:
    """Create ``folder`` and its missing parents, or say plainly why it cannot be."""
    folder = Path(os.fspath(folder))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise ConvGifError(
            f"cannot create the folder {str(folder)!r}: a file is in the way"
        ) from None
    except OSError as error:
        raise ConvGifError(
            f"cannot create the folder {str(folder)!r}: {error.strerror or error}"
        ) from None
    return folder


@contextlib.contextmanager
def atomic_write(path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only on success.

    Missing parent folders are created. On any exception (KeyboardInterrupt
    included) the temporary file is removed and an existing ``path`` is left
    untouched. The temporary name keeps the target's extension, for tools
    (ffmpeg) that pick a format from it.
    """
    target = Path(os.fspath(path))
    if target.is_dir():
        raise ConvGifError(f"cannot write {str(target)!r}: it is a folder")
    make_folder(target.parent)
    try:
        fd, tmp_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=f".tmp{target.suffix}"
        )
    except OSError as error:
        raise ConvGifError(
            f"cannot write {str(target)!r}: {error.strerror or error} (is the folder writable?)"
        ) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp makes the file private; give it the mode a plain open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


# -- helpers ------------------------------------------------------------------


def _palette_array(palette) -> np.ndarray:
    rgb = np.asarray(palette, dtype=np.int64)
    if rgb.ndim != 2 or rgb.shape[1] != 3 or not 1 <= len(rgb) <= 256:
        raise ConvGifError(
            f"{NAME}= with shape {rgb.shape} must be 1 to 256 RGB triples", "palette"
        )
    if rgb.min() < 0 or rgb.max() > 255:
        raise ConvGifError(f"{NAME}= values must lie in 0..255", "palette")
    return rgb.astype(np.uint8)


def _durations(durations, count_hint: int | None = None):
    """A function frame number -> milliseconds, from one number or a sequence."""
    if isinstance(durations, (int, float)):
        value = float(durations)
        if not (math.isfinite(value) and value > 0):
            raise refuse("durations", durations, "must be positive milliseconds")
        return lambda i: value
    seq = list(durations)
    for d in seq:
        if not (
            isinstance(d, (int, float, np.integer, np.floating)) and d > 0 and math.isfinite(d)
        ):
            raise ConvGifError(
                f"{NAME}= holds {d!r}; every duration must be positive milliseconds", "durations"
            )

    def get(i: int) -> float:
        if i >= len(seq):
            raise ConvGifError(
                f"{NAME}= has {len(seq)} entries but there are more frames than that", "durations"
            )
        return float(seq[i])

    return get


def _check_frame(frame, shape, n_colors: int, number: int) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.ndim != 2 or frame.dtype != np.uint8:
        raise ConvGifError(
            f"{NAME}[{number}] has shape {frame.shape} and dtype {frame.dtype}; "
            "frames must be (H, W) uint8 palette indices",
            "frames",
        )
    if shape is not None and frame.shape != shape:
        raise ConvGifError(
            f"{NAME}[{number}] has shape {frame.shape}; every frame must have the shape "
            f"of the first, {shape}",
            "frames",
        )
    if frame.size and int(frame.max()) >= n_colors:
        raise ConvGifError(
            f"{NAME}[{number}] uses palette index {int(frame.max())}; the palette has "
            f"{n_colors} colours",
            "frames",
        )
    return frame


def _p_image(indices: np.ndarray, rgb: np.ndarray):
    from PIL import Image

    indices = np.ascontiguousarray(indices, dtype=np.uint8)
    h, w = indices.shape
    image = Image.frombytes("P", (w, h), indices.tobytes())
    image.putpalette(rgb.tobytes(), rawmode="RGB")
    return image


def _rgb_image(indices: np.ndarray, rgb: np.ndarray):
    # Pillow's own palette lookup: ten times faster than numpy's fancy indexing
    return _p_image(indices, rgb).convert("RGB")


def _centiseconds(start_ms: float, end_ms: float) -> int:
    # round the running clock, not each frame, so rounding errors do not pile up
    return max(1, round(end_ms / 10) - round(start_ms / 10))


def _changed_box(prev: np.ndarray, frame: np.ndarray, diff: np.ndarray | None = None):
    """(top, bottom, left, right) of the pixels that differ, or None."""
    diff = prev != frame if diff is None else diff
    rows = np.flatnonzero(diff.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(diff[rows[0] : rows[-1] + 1].any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def write_bytes(path, data: bytes) -> None:
    """Write ``data`` (a whole file's bytes) to ``path``, atomically."""
    with atomic_write(path) as tmp:
        tmp.write_bytes(data)


# -- GIF ------------------------------------------------------------------------


def _lzw_image(indices: np.ndarray, left: int, top: int) -> bytes:
    """Image descriptor + LZW data of one (sub)image, via Pillow's encoder."""
    from PIL import GifImagePlugin, Image

    indices = np.ascontiguousarray(indices)
    image = Image.frombytes("L", (indices.shape[1], indices.shape[0]), indices.tobytes())
    # the descriptor Pillow writes has no local colour table and no interlace
    return b"".join(GifImagePlugin.getdata(image, offset=(left, top)))


def _lzw_helper(conn, parents_end, shared) -> None:
    """The helper process: told where each frame is in ``shared`` memory, it answers
    with the encoded image, until the pipe closes."""
    parents_end.close()  # the fork's copy: open here, it would hide the parent's close

    # Ctrl-C reaches the whole process group: the parent reports it, the helper stays
    # silent; a terminate at the parent's exit just ends it (not the parent's handler).
    # Both were blocked across the fork (see _start): unblocked only now.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _FORK_SIGNALS)
    try:
        while True:
            left, top, w, h = struct.unpack("<4I", conn.recv_bytes())
            indices = np.frombuffer(shared, dtype=np.uint8, count=w * h).reshape(h, w)
            conn.send_bytes(_lzw_image(indices, left, top))
    except (EOFError, OSError):
        pass  # the parent finished (or stopped): nothing is left to encode


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # what this process may run on (taskset, cgroups)
    except AttributeError:
        return os.cpu_count() or 1


_FORK_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class _LzwEncoder:
    """LZW-encodes the frames of one GIF in order, by itself or with a helper process.

    LZW is most of a big GIF's cost and Pillow holds the GIL while it runs, so for
    large frames (and with a second core) a forked helper encodes frame i while this
    process paints frame i + 1. The bytes are the same. ``submit`` a frame, then take
    its ``result`` before submitting the next: with one frame in flight, one piece of
    shared memory carries the frames and the pipe only their places and results.
    """

    HEAVY_PIXELS = 250_000  # first frames from 500 x 500 up: their LZW outweighs a fork

    def __init__(self):
        self.helper = None  # (process, connection, shared memory); False once refused or lost
        self.sent = None  # (indices, left, top) of the frame in flight

    def submit(self, indices: np.ndarray, left: int, top: int) -> None:
        """Start on a frame; ``indices`` must not change until its ``result``."""
        if self.helper is None:
            # the first frame is the largest: every later one is a part of it
            self.helper = indices.size >= self.HEAVY_PIXELS and self._start(indices.size)
        self.sent = (indices, left, top)
        if self.helper:
            h, w = indices.shape
            # The helper is idle (it gave its last result), so the shared memory is free:
            # the frame goes there, only its place goes through the pipe.
            np.frombuffer(self.helper[2], dtype=np.uint8, count=h * w)[:] = indices.ravel()
            try:
                self.helper[1].send_bytes(struct.pack("<4I", left, top, w, h))
            except OSError:
                self.close()

    def result(self) -> bytes:
        indices, left, top = self.sent
        self.sent = None
        if self.helper:
            try:
                return self.helper[1].recv_bytes()
            except (EOFError, OSError):
                self.close()  # the helper was killed (out of memory, say): go on here
        return _lzw_image(indices, left, top)

    @staticmethod
    def _start(size: int):
        """(process, connection, shared memory) of a new helper, or False: encode here."""
        import mmap
        import multiprocessing
        import threading

        if "fork" not in multiprocessing.get_all_start_methods():
            return False  # a fresh interpreter per render would cost more than it saves
        if _usable_cores() < 2:
            return False
        if threading.active_count() > 1:
            return False  # forking a threaded process (a notebook kernel) can deadlock the child
        if multiprocessing.parent_process() is not None:
            return False  # already one of several workers (a batch): the cores are taken
        context = multiprocessing.get_context("fork")
        try:
            ours, theirs = context.Pipe()
            shared = mmap.mmap(-1, size)  # anonymous and shared: the fork sees the same pages
            process = context.Process(
                target=_lzw_helper, args=(theirs, ours, shared), daemon=True
            )
            # Ctrl-C or a terminate landing mid-fork would leave a child multiprocessing
            # does not know, or one that prints a traceback: hold them until it is set up.
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _FORK_SIGNALS)
            try:
                process.start()
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        except OSError:  # no fork to be had (a process limit, no memory): encode here
            return False
        theirs.close()
        return process, ours, shared

    def close(self) -> None:
        # The helper ends when its pipe closes; multiprocessing reaps it later.
        if self.helper:
            self.helper[1].close()
            self.helper[2].close()
        self.helper = False


def _delta(prev: np.ndarray, frame: np.ndarray, clear: int | None):
    """(indices, left, top) of what a later frame stores: the box of what changed since
    ``prev``, its unchanged pixels as ``clear``; None when nothing changed."""
    changed = prev != frame
    box = _changed_box(prev, frame, changed)
    if box is None:
        return None
    top, bottom, left, right = box
    crop = frame[top:bottom, left:right]
    if clear is not None:
        stored = np.full(crop.shape, clear, dtype=np.uint8)
        np.copyto(stored, crop, where=changed[top:bottom, left:right])  # faster than np.where
        crop = stored
    return crop, left, top


def _gce(centiseconds: int, transparent: int | None) -> bytes:
    # graphic control extension; disposal 1: leave the frame for the next to draw over
    flags = (1 << 2) | (transparent is not None)
    index = 0 if transparent is None else transparent
    return b"!\xf9\x04" + struct.pack("<BHBB", flags, min(centiseconds, 0xFFFF), index, 0)


def write_gif(path, frames: Iterable[np.ndarray], palette, durations, loop: int = 0) -> None:
    """A looping GIF with one global palette, streaming the frames.

    Each frame stores only the bounding box of what changed since the
    previous one, and inside it the unchanged pixels as one spare transparent
    index (long runs that LZW codes almost for free); a frame identical to
    the previous one lengthens it instead.
    ``durations`` are milliseconds per frame (a number applies to all).
    """
    rgb = _palette_array(palette)
    duration_of = _durations(durations)
    # A spare palette entry, when there is one, marks unchanged pixels of a delta frame.
    clear = len(rgb) if len(rgb) < 256 else None
    table_bits = max(1, math.ceil(math.log2(len(rgb) + (clear is not None))))
    table = np.zeros((1 << table_bits, 3), dtype=np.uint8)
    table[: len(rgb)] = rgb
    encode = _LzwEncoder()
    with atomic_write(path) as tmp, open(tmp, "wb") as out, contextlib.closing(encode):
        prev = None
        # [start_ms, end_ms, transparent index] of the frame being encoded: its control
        # block needs its final duration, known once a later frame differs
        pending = None
        clock = 0.0

        def flush() -> None:
            start, end, transparent = pending
            out.write(_gce(_centiseconds(start, end), transparent) + encode.result())

        for number, frame in enumerate(frames):
            frame = _check_frame(frame, None if prev is None else prev.shape, len(rgb), number)
            # our own copy: the caller may reuse its buffer while this frame is encoded
            frame = frame.copy()
            start, clock = clock, clock + duration_of(number)
            if prev is None:
                h, w = frame.shape
                out.write(b"GIF89a")
                # logical screen: global colour table of 2**table_bits entries, 8-bit colour
                flags = 0x80 | (7 << 4) | (table_bits - 1)
                out.write(struct.pack("<HHBBB", w, h, flags, 0, 0))
                out.write(table.tobytes())
                out.write(b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", loop) + b"\x00")
                encode.submit(frame, 0, 0)
                pending = [start, clock, None]
            else:
                stored = _delta(prev, frame, clear)
                if stored is None:  # the same picture again: show the last one longer
                    pending[1] = clock
                    continue
                flush()
                encode.submit(*stored)
                pending = [start, clock, clear]
            prev = frame
        if pending is None:
            raise ConvGifError(f"{NAME}= is empty; an animation needs at least one frame", "frames")
        flush()
        out.write(b";")


# -- PNG, APNG, WebP ------------------------------------------------------------


def write_png(path, indices: np.ndarray, palette) -> None:
    """A still as a palette PNG, with no timestamp or other metadata."""
    rgb = _palette_array(palette)
    frame = _check_frame(indices, None, len(rgb), 0)
    image = _p_image(frame, rgb)
    with atomic_write(path) as tmp:
        image.save(tmp, format="PNG", optimize=False, compress_level=9)


def _collect(frames, rgb) -> list[np.ndarray]:
    shape = None
    out = []
    for number, frame in enumerate(frames):
        frame = _check_frame(frame, shape, len(rgb), number)
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
    rgb = _palette_array(palette)
    kept, times = _merged(_collect(frames, rgb), _durations(durations))
    images = [_p_image(frame, rgb) for frame in kept]
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
    rgb = _palette_array(palette)
    kept, times = _merged(_collect(frames, rgb), _durations(durations))
    images = [_rgb_image(frame, rgb) for frame in kept]
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

    rgb = _palette_array(palette)
    if durations is None:
        if fps is None:
            raise ConvGifError(f"write_mp4 needs {name_of('durations')}= or {name_of('fps')}=")
        duration_of = _durations(1000.0 / fps)
    else:
        duration_of = _durations(durations)
    if fps is None:
        if isinstance(durations, (int, float)):
            base = float(durations)
        else:
            base = float(math.gcd(*[max(1, round(d)) for d in durations]))
        fps = min(30.0, 1000.0 / base)
    if not (math.isfinite(fps) and fps > 0):
        raise refuse("fps", fps, "must be a positive number")

    with atomic_write(path) as tmp:
        writer = imageio.get_writer(
            str(tmp),
            format="FFMPEG",
            mode="I",
            fps=fps,
            codec="libx264",
            pixelformat="yuv420p",
            macro_block_size=1,
            ffmpeg_log_level="error",
            output_params=[
                "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1",
                # flat colours and text that holds still: twice as fast, and smaller
                "-preset", "veryfast", "-tune", "stillimage",
            ],
        )
        try:
            clock = 0.0
            shown = 0
            shape = None
            for number, frame in enumerate(frames):
                frame = _check_frame(frame, shape, len(rgb), number)
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
                raise ConvGifError(
                    f"{NAME}= is empty; an animation needs at least one frame", "frames"
                )
        finally:
            writer.close()


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
    rgb = _palette_array(palette)
    names = []
    shape = None
    for number, frame in enumerate(frames):
        frame = _check_frame(frame, shape, len(rgb), number)
        shape = frame.shape
        names.append(f"frame_{number + 1:04d}.png")
        write_png(folder / names[-1], frame, rgb)
    return names


@contextlib.contextmanager
def staged_folder(folder) -> Iterator[Path]:
    """Yield an empty hidden folder inside ``folder`` to write into.

    On success its files replace their namesakes in ``folder`` and any other numbered
    frames (``frame_0007.png``, ``.svg`` or ``.pdf``: an earlier, longer run or another
    format, which LaTeX would pick up) are removed; on any exception (KeyboardInterrupt
    included) ``folder`` keeps what it held. Either way the staging folder goes.
    """
    folder = make_folder(folder)
    try:
        stage = Path(tempfile.mkdtemp(dir=folder, prefix=".convgif-"))
    except OSError as error:
        raise ConvGifError(
            f"cannot write into {str(folder)!r}: {error.strerror or error} "
            "(is the folder writable?)"
        ) from None
    try:
        yield stage
        names = sorted(p.name for p in stage.iterdir())
        # a folder in the way would stop the moves half-way: refuse before the first
        blocked = [name for name in names if (folder / name).is_dir()]
        if blocked:
            raise ConvGifError(f"cannot write {str(folder / blocked[0])!r}: it is a folder")
        for name in names:
            os.replace(stage / name, folder / name)
        kept = set(names)
        for stale in folder.glob("frame_*"):
            numbered = stale.stem[6:].isdigit() and stale.suffix[1:] in FRAME_FORMATS
            if numbered and stale.name not in kept and stale.is_file():
                stale.unlink()
    finally:
        shutil.rmtree(stage, ignore_errors=True)


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
