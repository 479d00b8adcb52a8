"""Which stamps each frame of the scatter view shows (transposed layers).

In the scatter view each input cell stamps ``value × kernel`` onto each output
channel of its group, and overlapping stamps add up. One frame per stamp makes
loops of one to many minutes (2 -> 2 channels on 4x4 already take 49 s). The
default step ('auto') walks the first input channel's stamps one by one, which
is where a reader sees a stamp land and overlaps add up, then stamps each
further input channel in a few block frames (whole rows of its input cells at
once), every frame exact: the sums shown are those of every stamp up to the
frame's last. When even the first input channel's stamps are too many, its
first ones are walked and the rest come in blocks. A layer whose full walk fits
the loop keeps every frame; step 'output' always does.

The tour is a short list made once per storyboard, so any frame is still found
from its index alone.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np

from convgif.errors import refuse
from convgif.frames.storyboard import FrameState, check_channels, end_frame
from convgif.frames.timing import steps_within
from convgif.frames.tour import BLOCK_SHARE, FIRST_MIN, MAX_PER_CHANNEL, Span, split
from convgif.simulate.trace import Trace

SCATTER_STEPS = ("auto", "output")


@dataclass(frozen=True)
class Stamp:
    """One scatter-view frame: an input cell stamping ``x × W[in, out]`` onto one output channel."""

    n: int
    in_channel: int
    position: tuple[int, ...]  # of the input cell
    out_channel: int
    start: int  # scatter-order MAC range of this stamp
    stop: int


class Stamper(NamedTuple):
    """An input channel that stamps in the scatter view."""

    in_channel: int
    out_channels: tuple[int, ...]  # the output channels it stamps onto
    # input channels left out (stamping onto drawn outputs) between it and the one before
    skipped: int


@dataclass(frozen=True)
class StampBlock:
    """Stamps a tour's frame makes at once, all of one input channel (of one sample)."""

    n: int
    in_channel: int
    out_channels: tuple[int, ...]  # the output channels it stamps onto
    cells: range  # its input cells (row-major) whose stamps the block makes, some in part
    stamps: int  # how many stamps: len(cells) × len(out_channels) unless a cell was begun
    start: int  # scatter-order MAC range: from the block's first stamp to its last
    stop: int
    walked: int  # stamps of this input channel walked one by one before (0: none)
    skipped: int  # input channels left out whose stamps the sums took in since the frame before


def row_blocks(lo: int, hi: int, cols: int, parts: int) -> list[tuple[int, int]]:
    """Input cells ``lo..hi`` (rows of ``cols``) in about ``parts`` blocks: the rest of the
    row begun, then whole rows, so a block reads as rows; along one row, equal parts."""
    if lo >= hi:
        return []
    if lo // cols == (hi - 1) // cols:
        return split(lo, hi, parts, cols)
    end = -(-lo // cols) * cols
    head = [(lo, end)] if end > lo else []
    rows = (hi - end) // cols
    return head + split(end, hi, min(rows, max(1, parts - len(head))), cols)


def _walk_then_blocks(cells: int, per_cell: int, cols: int, walked: int, parts: int):
    """Stamps ``0..walked`` one a frame, then the rest in blocks of input cells; a cell
    begun by the walk has its other stamps in the first block."""
    size = cells * per_cell
    spans = [(i, i + 1) for i in range(walked)]
    blocks = [(a * per_cell, b * per_cell)
              for a, b in row_blocks(-(-walked // per_cell), cells, cols, parts)]
    if walked % per_cell:
        blocks = [(walked, blocks[0][1]), *blocks[1:]] if blocks else [(walked, size)]
    return spans + blocks


def _first_stamps(cells: int, per_cell: int, cols: int, frames: int):
    """The first input channel's stamps in at most ``frames`` frames: each walked if they
    fit; else as many walked as leave the rest at least a few blocks (about a third of the
    frames, or half that), whole input cells walked (a cell's stamps onto every output
    channel) unless not even one cell's stamps fit."""
    size = cells * per_cell
    if size <= frames:
        return [(i, i + 1) for i in range(size)]
    most = max(1, frames // BLOCK_SHARE)
    least = max(1, most // 2)
    whole = range((frames - 1) // per_cell * per_cell, per_cell - 1, -per_cell)
    for walked in [*whole, *range(min(per_cell, frames) - 1, -1, -1)]:
        spans = _walk_then_blocks(cells, per_cell, cols, walked, min(most, frames - walked))
        possible = len(_walk_then_blocks(cells, per_cell, cols, walked, most)) - walked
        if len(spans) <= frames and len(spans) - walked >= min(least, possible):
            break
    return spans


def plan_stamps(per_cell: list[int], cells: int, cols: int, steps: int):
    """The step frames of a scatter tour: one segment per stamping input channel (of each
    sample), ``per_cell[s]`` stamps per input cell, ``cells`` cells in rows of ``cols``, in
    at most ``steps`` frames; None when every stamp's frame fits."""
    if cells * sum(per_cell) <= steps:
        return None
    rest = len(per_cell) - 1
    first_min = min(cells * per_cell[0], FIRST_MIN)
    per = max(1, min(MAX_PER_CHANNEL, cells, (steps - first_min) // rest)) if rest else 0
    first = max(steps - rest * per, first_min)
    spans = [Span(0, a, b, b - a == 1) for a, b in _first_stamps(cells, per_cell[0], cols, first)]
    for s, m in enumerate(per_cell[1:], 1):
        spans += [Span(s, a * m, b * m, b - a == 1 and m == 1)
                  for a, b in row_blocks(0, cells, cols, per)]
    return tuple(spans)


@dataclass(frozen=True)
class ScatterStoryboard:
    """Transposed layers, scatter view: one frame per (input cell, output channel) stamp,
    or with ``step='auto'`` a tour of them that loops in about 30 s.

    Only the channels a picture draws stamp: ``inputs`` (input channels) onto
    ``channels`` (output channels); None means all.
    """

    trace: Trace
    channels: tuple[int, ...] | None = None
    inputs: tuple[int, ...] | None = None
    step: str = "auto"

    def __post_init__(self):
        check_channels(self.channels, self.trace.out_channels)
        if self.step not in SCATTER_STEPS:
            raise refuse("step", self.step, f"must be one of {', '.join(map(repr, SCATTER_STEPS))}")

    @property
    def stamp_size(self) -> int:
        return math.prod(self.trace.kernel_size)

    @cached_property
    def plan(self) -> tuple[Stamper, ...]:
        """The input channels that stamp, in order."""
        t = self.trace
        opg = t.out_per_group
        plan, skipped = [], 0
        for ic in range(t.in_channels):
            g = ic // t.in_per_group
            outs = tuple(
                oc
                for oc in range(g * opg, (g + 1) * opg)
                if self.channels is None or oc in self.channels
            )
            if not outs:
                continue
            if self.inputs is not None and ic not in self.inputs:
                skipped += 1
                continue
            plan.append(Stamper(ic, outs, skipped))
            skipped = 0
        return tuple(plan)

    @cached_property
    def _offsets(self) -> list[int]:
        """Stamps of one sample before each planned input channel, then in all."""
        cells = math.prod(self.trace.in_spatial)
        offsets = [0]
        for stamper in self.plan:
            offsets.append(offsets[-1] + cells * len(stamper.out_channels))
        return offsets

    @property
    def stamps(self) -> int:
        return self.trace.batch * self._offsets[-1]

    @property
    def adds_bias(self) -> bool:
        """Whether a frame of its own adds the bias after the last stamp: a step of the sum
        like any other, not a jump hidden in the closing frame."""
        return bool(self.trace.spec.bias)

    @cached_property
    def tour(self) -> tuple[Span, ...] | None:
        """The step frames of ``step='auto'`` when a frame per stamp is too long to watch
        (None: every stamp gets its frame). Segment ``s`` is sample ``s // len(plan)``'s
        input channel ``plan[s % len(plan)]``; spans count its stamps."""
        if self.step != "auto" or not self.plan:
            return None
        per_cell = [len(s.out_channels) for s in self.plan] * self.trace.batch
        spatial = self.trace.in_spatial
        steps = steps_within(self.step) - self.adds_bias
        return plan_stamps(per_cell, math.prod(spatial), spatial[-1], steps)

    @property
    def steps(self) -> int:
        """Step frames: one per stamp, or the tour's."""
        return self.stamps if self.tour is None else len(self.tour)

    def __len__(self) -> int:
        return self.steps + 2 + self.adds_bias

    def _segment_start(self, segment: int) -> int:
        """The slot (stamp number) of a tour segment's first stamp."""
        n, which = divmod(segment, len(self.plan))
        return n * self._offsets[-1] + self._offsets[which]

    def frame(self, index: int) -> FrameState:
        count = len(self)
        index, end = end_frame(index, count, self.stamps)
        if end is not None:
            return end
        if index == self.steps + 1:  # after the last stamp: the bias frame
            return FrameState(index, count, "bias", n=self.trace.batch - 1, slot=self.stamps)
        if self.tour is None:
            return FrameState(index, count, "step", slot=index - 1)
        span = self.tour[index - 1]
        # a block's slot is its last stamp: the sums shown are those up to it
        slot = self._segment_start(span.segment) + span.stop - 1
        return FrameState(index, count, "step", n=span.segment // len(self.plan), slot=slot,
                          finishes=not span.walk)

    def stamp(self, state: FrameState) -> Stamp:
        """The stamp a step frame makes (a block frame's last one)."""
        t = self.trace
        n, rest = divmod(state.slot, self._offsets[-1])
        which = bisect.bisect_right(self._offsets, rest) - 1
        stamper = self.plan[which]
        ic = stamper.in_channel
        cell, j = divmod(rest - self._offsets[which], len(stamper.out_channels))
        position = tuple(int(p) for p in np.unravel_index(cell, t.in_spatial))
        oc = stamper.out_channels[j]
        # where its MACs sit in the trace's scatter order, which counts every channel
        shape = (t.batch, t.in_channels, *t.in_spatial, t.out_per_group)
        index = (n, ic, *position, oc % t.out_per_group)
        start = int(np.ravel_multi_index(index, shape)) * self.stamp_size
        return Stamp(n, ic, position, oc, start, start + self.stamp_size)

    def block(self, state: FrameState) -> StampBlock | None:
        """The stamps a tour's block frame makes at once; None for any other frame."""
        if self.tour is None or state.phase != "step" or self.tour[state.index - 1].walk:
            return None
        span = self.tour[state.index - 1]
        stamper = self.plan[span.segment % len(self.plan)]
        m = len(stamper.out_channels)
        begin = self._segment_start(span.segment)
        first = self.stamp(FrameState(state.index, state.count, "step", slot=begin + span.start))
        last = self.stamp(state)
        walked = sum(1 for s in self.tour if s.segment == span.segment and s.walk)
        return StampBlock(first.n, stamper.in_channel, stamper.out_channels,
                          range(span.start // m, -(-span.stop // m)), span.stop - span.start,
                          first.start, last.stop, walked,
                          stamper.skipped if span.start == 0 else 0)

    def skipped_before(self, stamp: Stamp) -> int:
        """How many input channels left out stamped onto drawn outputs since the frame
        before this one: non-zero on an input channel's first stamp only."""
        for stamper in self.plan:
            if stamper.in_channel == stamp.in_channel:
                first = not any(stamp.position) and stamp.out_channel == stamper.out_channels[0]
                return stamper.skipped if first else 0
        return 0
