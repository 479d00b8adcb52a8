"""What a render may cost before it needs force=True, and what it may cost even then,
checked before any work is done."""

from __future__ import annotations

from convgif.errors import ConvGifError

MAX_FRAMES, MAX_SIDE, MAX_BYTES = 5_000, 8_000, 200 * 1024**2
# Even forced, a frame is painted a byte a pixel with a few copies (background, frame,
# RGB for some writers): these keep one forced frame's memory near 1 GB.
HARD_SIDE, HARD_PIXELS = 16_000, 100_000_000
BYTES_PER_CHANGED_PIXEL = 0.35  # measured on the gallery's GIFs: a frame changes ~5% of its pixels
CHANGED_SHARE = 0.05
# frames written one file or one slide each (SVG / PDF frame folders, PowerPoint decks):
# past this no one pages through them, and each costs a drawing or a picture of its own
MAX_PAGED_FRAMES = 1_000
MAX_FRAMES_WAY = "max_frames=N (--max-frames)"
SMALLER_WAY = "a smaller scale= or cell= (--scale, --cell)"


def check_hard(width: float, height: float, smaller=SMALLER_WAY, least: bool = False) -> None:
    """Refuse a frame of ``width`` x ``height`` pixels (``least``: at least that) that even
    force=True does not allow, naming the way round, ``smaller``."""
    if max(width, height) > HARD_SIDE or width * height > HARD_PIXELS:
        raise ConvGifError(
            f"a frame would be {'at least ' if least else ''}{width:,.0f} x {height:,.0f} pixels "
            f"(limit {HARD_SIDE:,} a side and {HARD_PIXELS / 1e6:,.0f} million pixels, even with "
            f"force=True (--force); about {width * height * 4 / 1024**2:,.0f} MB to paint): "
            f"use {smaller}"
        )


def check_budget(width: float, height: float, frames: int, ways=(MAX_FRAMES_WAY,),
                 force: bool = False, smaller=SMALLER_WAY, least: bool = False) -> None:
    """Refuse a render of ``frames`` frames of ``width`` x ``height`` pixels that would swamp
    the machine, naming the ``ways`` round a frame count over the limit and ``smaller``,
    the way to a smaller frame; ``force`` lifts the soft limits, not the hard one
    (``check_hard``). ``least``: the sizes are a lower bound, estimated before any work."""
    check_hard(width, height, smaller, least)
    if force:
        return
    if frames > MAX_FRAMES:
        raise ConvGifError(
            f"this animation has {frames:,} frames (limit {MAX_FRAMES:,}): use "
            + ", ".join(ways) + ", or force=True (--force)"
        )
    if max(width, height) > MAX_SIDE:
        raise ConvGifError(
            f"a frame would be {'at least ' if least else ''}{width:,.0f} x {height:,.0f} pixels "
            f"(limit {MAX_SIDE:,}): use {smaller}, or force=True (--force)"
        )
    estimate = width * height * (1 + CHANGED_SHARE * frames) * BYTES_PER_CHANGED_PIXEL
    if estimate > MAX_BYTES:
        raise ConvGifError(
            f"the file would be about {estimate / 1024**2:,.0f} MB (limit "
            f"{MAX_BYTES // 1024**2} MB): use max_frames=N (--max-frames), a smaller scale= "
            "(--scale), or force=True (--force)"
        )
