"""Which frames of an animation are kept: all, evenly spread, or chosen."""

from __future__ import annotations

import numpy as np

from convgif.errors import NAME, ConvGifError, name_of, refuse


def check_max_frames(max_frames) -> None:
    if max_frames is not None and (
        isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 2
    ):
        raise refuse("max_frames", max_frames, "must be a whole number of at least 2")


def spread(count: int, max_frames=None) -> list[int]:
    """Every frame, or ``max_frames`` of them evenly spread (first and last kept)."""
    check_max_frames(max_frames)
    if max_frames is None or max_frames >= count:
        return list(range(count))
    return sorted(set(np.linspace(0, count - 1, max_frames).round().astype(int).tolist()))


def even_frames(count: int, how_many: int = 8) -> list[int]:
    """About ``how_many`` frames spread evenly from the first to the last."""
    k = max(1, min(how_many, count))
    if k == 1:
        return [count - 1]
    return sorted({round(i * (count - 1) / (k - 1)) for i in range(k)})


def select_frames(count: int, frames=None, every: int | None = None) -> list[int]:
    """Frame numbers (from 0) chosen by ``frames`` (negative counts from the end) or ``every``.

    ``every=N`` keeps frames 0, N, 2N, ... and always the last (the finished output).
    """
    if frames is not None and every is not None:
        raise ConvGifError(f"give {name_of('frames')}= or {name_of('every')}=, not both")
    if frames is not None:
        chosen = []
        for f in frames:
            if isinstance(f, bool) or not isinstance(f, (int, np.integer)):
                raise refuse("frames", list(frames), "must be frame numbers")
            if not -count <= f < count:
                raise ConvGifError(
                    f"frame {f} does not exist: the animation has {count} frames (0..{count - 1})"
                )
            chosen.append(int(f) % count)
        if not chosen:
            raise ConvGifError(f"{NAME}= is empty; choose at least one frame", "frames")
        return chosen
    if every is not None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise refuse("every", every, "must be a positive integer")
        chosen = list(range(0, count, every))
        if chosen[-1] != count - 1:
            chosen.append(count - 1)
        return chosen
    return list(range(count))
