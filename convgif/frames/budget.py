"""What a render may cost before it needs force=True, checked before any work is done."""

from __future__ import annotations

from convgif.errors import ConvGifError

MAX_FRAMES, MAX_SIDE, MAX_BYTES = 5_000, 8_000, 200 * 1024**2
BYTES_PER_CHANGED_PIXEL = 0.35  # measured on the gallery's GIFs: a frame changes ~5% of its pixels
CHANGED_SHARE = 0.05
MAX_FRAMES_WAY = "max_frames=N (--max-frames)"


def check_budget(width: float, height: float, frames: int, ways=(MAX_FRAMES_WAY,),
                 force: bool = False) -> None:
    """Refuse a render of ``frames`` frames of ``width`` x ``height`` pixels that would swamp
    the machine, naming the ``ways`` round a frame count over the limit; ``force`` lifts it."""
    if force:
        return
    if frames > MAX_FRAMES:
        raise ConvGifError(
            f"this animation has {frames:,} frames (limit {MAX_FRAMES:,}): use "
            + ", ".join(ways) + ", or force=True (--force)"
        )
    if max(width, height) > MAX_SIDE:
        raise ConvGifError(
            f"a frame would be {width:.0f} x {height:.0f} pixels (limit {MAX_SIDE:,}): use a "
            "smaller scale= or cell= (--scale, --cell), or force=True (--force)"
        )
    estimate = width * height * (1 + CHANGED_SHARE * frames) * BYTES_PER_CHANGED_PIXEL
    if estimate > MAX_BYTES:
        raise ConvGifError(
            f"the file would be about {estimate / 1024**2:,.0f} MB (limit "
            f"{MAX_BYTES // 1024**2} MB): use max_frames=N (--max-frames), a smaller scale= "
            "(--scale), or force=True (--force)"
        )
