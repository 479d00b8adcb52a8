"""The default storyboard's plan: a loop people watch through.

Walking every output cell of every channel at one cell a frame makes loops of
one and a half to five minutes, which nobody watches to the end in a blog or
on a slide. The tour walks the first output channel (of each group) cell by
cell, which is where a reader learns how one cell is computed, then fills each
further channel in a few frames, every frame still exact: the cells shown
filled are exactly those computed so far. When even the first channel's walk
is too long, its first cells are walked one by one and the rest filled in
blocks. A layer whose full walk fits the loop keeps every frame.

The plan is a short list made once per storyboard (at most about forty
entries for the layers a default frame covers), so any frame is still found
from its index alone.
"""

from __future__ import annotations

from typing import NamedTuple

FIRST_MIN = 16  # frames the first channel keeps at least: enough cells to see the window move
MAX_PER_CHANNEL = 3  # frames a further channel takes at most
BLOCK_SHARE = 3  # of the first channel's frames, one in this many fills a block


class Span(NamedTuple):
    """One step frame of a tour: cells ``start..stop`` (row-major in the region) of one
    segment (a sample and an output channel within each group) become finished."""

    segment: int
    start: int
    stop: int
    walk: bool  # one cell walked with its window, not a block filled at once


def split(lo: int, hi: int, parts: int, cols: int) -> list[tuple[int, int]]:
    """Cells ``lo..hi`` in about ``parts`` blocks of nearly equal size; blocks of a row or
    more end at a row's end (rows are ``cols`` cells), so they read as whole rows."""
    parts = max(1, min(parts, hi - lo))
    snap = (hi - lo) / parts >= cols
    bounds = []
    for j in range(1, parts + 1):
        b = lo + round((hi - lo) * j / parts)
        if snap:
            b = min(hi, -(-b // cols) * cols)
        if b > (bounds[-1] if bounds else lo):
            bounds.append(b)
    if bounds[-1] != hi:
        bounds.append(hi)
    return list(zip([lo, *bounds[:-1]], bounds))


def plan_tour(segments: int, size: int, cols: int, steps: int) -> tuple[Span, ...] | None:
    """The step frames of a tour of ``segments`` channels of ``size`` cells each, rows of
    ``cols`` cells, in about ``steps`` step frames; None when every cell's frame fits."""
    if segments * size <= steps:
        return None
    rest = segments - 1
    first_min = min(size, FIRST_MIN)
    per = max(1, min(MAX_PER_CHANNEL, size, (steps - first_min) // rest)) if rest else 0
    # the first channel gets what the others leave, but never less than first_min frames
    first = max(steps - rest * per, first_min)
    spans = [Span(0, a, b, b - a == 1) for a, b in _first(size, cols, first)]
    for s in range(1, segments):
        spans += [Span(s, a, b, False) for a, b in split(0, size, per, cols)]
    return tuple(spans)


def _first(size: int, cols: int, frames: int) -> list[tuple[int, int]]:
    """The first channel in about ``frames`` frames: every cell walked if it fits; else
    whole rows walked, then one row a frame; if the rows are too many for that, the first
    cells walked and the rest filled in blocks."""
    if size <= frames:
        return [(i, i + 1) for i in range(size)]
    rows = size // cols
    # walked rows take ``cols`` frames each, filled rows one: as many walked as fit
    walked_rows = (frames - rows) // (cols - 1) if cols > 1 and frames > rows else 0
    if walked_rows:
        walked = walked_rows * cols
        return [(i, i + 1) for i in range(walked)] + split(walked, size, rows - walked_rows,
                                                           cols)
    blocks = max(1, frames // BLOCK_SHARE)
    walked = frames - blocks
    return [(i, i + 1) for i in range(walked)] + split(walked, size, blocks, cols)


def walked(spans: tuple[Span, ...], segment: int) -> int:
    """How many cells of a segment the tour walks one by one (0: all come in blocks)."""
    return sum(1 for s in spans if s.segment == segment and s.walk)
