"""The GIF writer: streaming, one shared palette, each frame stored as the box of what
changed since the one before (memory stays bounded however many frames)."""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Iterator

import numpy as np

from convgif.errors import NAME, ConvGifError
from convgif.io.encoding import (
    centiseconds,
    changed_box,
    check_frame,
    duration_function,
    palette_array,
)
from convgif.io.files import atomic_write


def lzw_image(indices: np.ndarray, left: int, top: int) -> bytes:
    """Image descriptor + LZW data of one (sub)image, by Pillow's GIF encoder."""
    from PIL import Image

    rows, cols = indices.shape
    # fromarray shares the array's memory: two copies of the frame fewer than frombytes
    image = Image.fromarray(np.ascontiguousarray(indices, dtype=np.uint8))  # 2-d uint8: "L"
    # no local colour table, no interlace; LZW codes start at 8 bits, as Pillow's GIFs do
    descriptor = b"," + struct.pack("<HHHHB", left, top, cols, rows, 0) + b"\x08"
    # tobytes("gif") is the encoder alone: the GIF plugin module is not needed (nor its
    # import, a share of a command's start-up)
    return descriptor + image.tobytes("gif", "L") + b"\0"


def delta(prev: np.ndarray, frame: np.ndarray, clear: int | None):
    """(indices, left, top) of what a later frame stores: the box of what changed since
    ``prev``, its unchanged pixels as ``clear``; None when nothing changed."""
    changed = prev != frame
    box = changed_box(prev, frame, changed)
    if box is None:
        return None
    top, bottom, left, right = box
    crop = frame[top:bottom, left:right]
    if clear is not None:
        # clear + (crop - clear)·changed, in uint8 arithmetic that wraps: three plain passes,
        # several times faster than a masked copy or np.where
        stored = np.subtract(crop, np.uint8(clear))
        stored *= changed[top:bottom, left:right].view(np.uint8)
        stored += np.uint8(clear)
        crop = stored
    return crop, left, top


def _gce(centiseconds: int, transparent: int | None) -> bytes:
    # graphic control extension; disposal 1: leave the frame for the next to draw over
    flags = (1 << 2) | (transparent is not None)
    index = 0 if transparent is None else transparent
    return b"!\xf9\x04" + struct.pack("<BHBB", flags, min(centiseconds, 0xFFFF), index, 0)


def _gif_header(shape: tuple[int, int], table: np.ndarray, loop: int) -> bytes:
    """Signature, logical screen, global colour table and the looping block."""
    h, w = shape
    bits = len(table).bit_length() - 1  # the table holds 2**bits entries
    flags = 0x80 | (7 << 4) | (bits - 1)  # a global colour table, 8-bit colour
    screen = struct.pack("<HHBBB", w, h, flags, 0, 0)
    looping = b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", loop) + b"\x00"
    return b"GIF89a" + screen + table.tobytes() + looping


RUN_FRAMES = 8  # frames painted in a row before they are stored, and at most
RUN_BYTES = 8 << 20  # this many bytes of them


def _in_runs(frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """The frames, each our own, taken from ``frames`` a run at a time.

    The painter making several frames in a row, then the encoder storing them, each keep
    their working set in the CPU's caches; taken in turns frame by frame, each evicts the
    other's (the headline renders about 5 % slower so). A run is a few frames, so memory
    stays bounded however many there are.
    """
    frames = iter(frames)
    while True:
        run, size = [], 0
        for frame in frames:
            frame = np.asarray(frame)
            # our own copy: the caller may paint the next frame into the same buffer; a
            # read-only frame that owns its pixels (the painter's) cannot change under us
            if frame.flags.writeable or not frame.flags.owndata:
                frame = frame.copy()
            run.append(frame)
            size += frame.nbytes
            if len(run) == RUN_FRAMES or size >= RUN_BYTES:
                break
        if not run:
            return
        yield from run


def write_gif(path, frames: Iterable[np.ndarray], palette, durations, loop: int = 0) -> None:
    """A looping GIF with one global palette, streaming the frames.

    Each frame stores only the bounding box of what changed since the
    previous one, and inside it the unchanged pixels as one spare transparent
    index (long runs that LZW codes almost for free); a frame identical to
    the previous one lengthens it instead.
    ``durations`` are milliseconds per frame (a number applies to all).
    """
    rgb = palette_array(palette)
    duration_of = duration_function(durations)
    # A spare palette entry, when there is one, marks unchanged pixels of a delta frame.
    clear = len(rgb) if len(rgb) < 256 else None
    table_bits = max(1, math.ceil(math.log2(len(rgb) + (clear is not None))))
    table = np.zeros((1 << table_bits, 3), dtype=np.uint8)
    table[: len(rgb)] = rgb
    with atomic_write(path) as tmp, open(tmp, "wb") as out:
        prev = None
        # [start_ms, end_ms, transparent index, image] of the frame last stored: its
        # control block needs its final duration, known once a later frame differs
        pending = None
        clock = 0.0

        def flush() -> None:
            start, end, transparent, image = pending
            out.write(_gce(centiseconds(start, end), transparent) + image)

        for number, frame in enumerate(_in_runs(frames)):
            frame = check_frame(frame, None if prev is None else prev.shape, len(rgb), number)
            start, clock = clock, clock + duration_of(number)
            if prev is None:
                out.write(_gif_header(frame.shape, table, loop))
                stored, transparent = (frame, 0, 0), None
            else:
                stored, transparent = delta(prev, frame, clear), clear
                if stored is None:  # the same picture again: show the last one longer
                    pending[1] = clock
                    continue
                flush()
            pending = [start, clock, transparent, lzw_image(*stored)]
            prev = frame
        if pending is None:
            raise ConvGifError(f"{NAME}= is empty; an animation needs at least one frame", "frames")
        flush()
        out.write(b";")
