"""Which MACs each frame shows.

Frames walk *slots*: (sample, output channel within its group, output
position). All groups advance side by side, so one slot writes one output cell
per group. Granularity decides how many frames a slot takes:

- ``auto`` (the default): a tour that loops in about 30 s (``convgif.frames.tour``):
  the first output channel's slots one frame each, then the further channels'
  slots a block at a time (a layer whose full walk fits keeps every frame);
- ``output``: one frame per slot (the whole window at once);
- ``channel``: one frame per input channel of the group;
- ``mac``: one frame per multiply-accumulate.

An opening frame shows the layer at rest and a closing frame holds the
finished output. Any frame is computed from its index alone, so a still
never replays the animation.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np

from convgif.errors import NAME, refuse
from convgif.frames.timing import steps_within
from convgif.frames.tour import Span, plan_tour, walked
from convgif.layers.parse import check_region, region_axes
from convgif.layers.windows import window_taps
from convgif.simulate.trace import Trace

STEPS = ("auto", "output", "channel", "mac")


class Cell(NamedTuple):
    """One output cell being written in a frame, and the MACs the frame shows of it."""

    out_channel: int
    group: int
    start: int  # trace index of the first MAC shown
    stop: int  # one past the last MAC shown; the cell's value so far is its running sum there
    cell_start: int  # trace index of the cell's first MAC
    cell_stop: int  # one past the cell's last MAC


class Block(NamedTuple):
    """Output cells a tour's frame fills at once: computed exactly, not walked."""

    out_channels: tuple[int, ...]  # the channel filled in each group
    start: int  # first cell filled, row-major in the region
    stop: int  # one past the last; the cells before ``start`` were finished already
    walked: int  # cells of these channels walked one by one before (0: none)


class FrameState(NamedTuple):
    index: int
    count: int
    phase: str  # "open", "step", "close"; "bias": the scatter view adds the bias
    n: int = 0
    position: tuple[int, ...] = ()
    cells: tuple[Cell, ...] = ()
    slot: int = -1  # slots before this one are finished
    finishes: bool = False  # this frame completes its cells
    block: Block | None = None  # a tour's frame that fills many cells at once


def frame_index(frame, count: int) -> int:
    """A frame number, negative counting from the end, checked against the frame count."""
    try:
        index = operator.index(frame)  # numpy integers too, but not 2.0
    except TypeError:
        index = None
    if isinstance(frame, bool) or index is None or not -count <= index < count:
        rule = f"must lie in {-count}..{count - 1} (this animation has {count} frames)"
        raise refuse("frame", frame, rule)
    return index % count


def end_frame(frame, count: int, slots: int) -> tuple[int, FrameState | None]:
    """The checked index of ``frame`` and, for the first and the last frame, its state:
    the opening (nothing computed yet) and the close (all ``slots`` finished)."""
    index = frame_index(frame, count)
    if index == 0:
        return index, FrameState(index, count, "open")
    if index == count - 1:
        return index, FrameState(index, count, "close", slot=slots)
    return index, None


def describe_region(region: tuple[range, ...]) -> str:
    """``rows 0–3, cols 2–5`` (a single index: ``row 2``)."""
    parts = []
    for axis, r in zip(region_axes(len(region)), region):
        if len(r) == 1:
            parts.append(f"{axis[:-1]} {r.start}")
        else:
            parts.append(f"{axis} {r.start}\u2013{r.stop - 1}")
    return ", ".join(parts)


def check_channels(channels, count: int) -> None:
    if channels is not None:
        bad = [c for c in channels if not 0 <= c < count]
        if not channels or bad:
            raise refuse("channels", list(channels), f"must name output channels in 0..{count - 1}")


@dataclass(frozen=True)
class Storyboard:
    trace: Trace
    step: str = "auto"
    channels: tuple[int, ...] | None = None  # output channels to animate (None: all)
    # output positions to animate, one range per axis (None: all); the boundary reads text
    # (convgif.layers.parse.output_region)
    outputs: tuple[range, ...] | None = None
    inputs: tuple[int, ...] | None = None  # input channels drawn (None: all)

    def __post_init__(self):
        if self.step not in STEPS:
            raise refuse("step", self.step, f"must be one of {', '.join(map(repr, STEPS))}")
        check_channels(self.channels, self.trace.out_channels)
        if self.outputs is not None:
            given = f"{NAME}={self.outputs!r}"
            check_region(self.outputs, self.trace.out_spatial, given, "outputs")

    @property
    def locals(self) -> tuple[int, ...]:
        """The channels within a group that frames walk (all groups advance together)."""
        opg = self.trace.out_per_group
        if self.channels is None:
            return tuple(range(opg))
        return tuple(sorted({c % opg for c in self.channels}))

    @property
    def walked_inputs(self) -> tuple[int, ...]:
        """The input channels within a group that channel and mac steps walk: those drawn in
        some group (a channel left out everywhere would light nothing)."""
        ipg = self.trace.in_per_group
        if self.inputs is None:
            return tuple(range(ipg))
        return tuple(sorted({c % ipg for c in self.inputs}))

    def animates(self, out_channel: int) -> bool:
        return self.channels is None or out_channel in self.channels

    @property
    def region(self) -> tuple[range, ...]:
        """The output positions frames walk, one range per axis (all of them by default)."""
        if self.outputs is None:
            return tuple(range(size) for size in self.trace.out_spatial)
        return self.outputs

    @property
    def slot_shape(self) -> tuple[int, ...]:
        t = self.trace
        return (t.batch, len(self.locals), *(len(r) for r in self.region))

    @property
    def slots(self) -> int:
        return math.prod(self.slot_shape)

    @property
    def substeps(self) -> int:
        t = self.trace
        if self.step in ("auto", "output"):
            return 1
        per_channel = t.macs_per_cell // t.in_per_group
        return len(self.walked_inputs) * (1 if self.step == "channel" else per_channel)

    @cached_property
    def tour(self) -> tuple[Span, ...] | None:
        """The step frames of ``step='auto'`` when the full walk is too long to watch
        (None: every slot gets its frame)."""
        if self.step != "auto":
            return None
        size = math.prod(self.slot_shape[2:])
        segments = self.slots // size
        return plan_tour(segments, size, len(self.region[-1]), steps_within(self.step))

    @property
    def first_channels(self) -> tuple[int, ...]:
        """The output channels a tour walks cell by cell: the first animated one of each
        group (of the first sample)."""
        t = self.trace
        local = self.locals[0]
        ocs = (g * t.out_per_group + local for g in range(t.groups))
        return tuple(oc for oc in ocs if self.animates(oc))

    @cached_property
    def _mac_frames(self):
        """Windows of varying size (adaptive pools) walked MAC by MAC: the first frame of
        every slot (a slot takes as many frames as its window has cells); None otherwise."""
        t = self.trace
        if self.step != "mac" or not t.varying:
            return None
        per_slot = window_cells(t, self.region, self.slot_shape)
        return np.concatenate([[0], np.cumsum(per_slot)])

    def __len__(self) -> int:
        if self.tour is not None:
            return len(self.tour) + 2
        if self._mac_frames is not None:
            return int(self._mac_frames[-1]) + 2
        return self.slots * self.substeps + 2

    def frame(self, index: int) -> FrameState:
        count = len(self)
        index, end = end_frame(index, count, self.slots)
        if end is not None:
            return end
        if self._mac_frames is not None:
            slot = int(np.searchsorted(self._mac_frames, index - 1, side="right")) - 1
            return self._slot_frame(index, count, slot, index - 1 - int(self._mac_frames[slot]))
        if self.tour is None:
            return self._slot_frame(index, count, *divmod(index - 1, self.substeps))
        span = self.tour[index - 1]
        size = self.slots // (self.trace.batch * len(self.locals))
        if span.walk:
            return self._slot_frame(index, count, span.segment * size + span.start, 0)
        n, which = divmod(span.segment, len(self.locals))
        t = self.trace
        ocs = (g * t.out_per_group + self.locals[which] for g in range(t.groups))
        block = Block(tuple(oc for oc in ocs if self.animates(oc)), span.start, span.stop,
                      walked(self.tour, span.segment))
        return FrameState(index, count, "step", n=n, slot=span.segment * size + span.stop,
                          finishes=True, block=block)

    def _slot_frame(self, index: int, count: int, slot: int, sub: int) -> FrameState:
        """A frame that shows (part of) one slot's cells being written."""
        t = self.trace
        n, which, *local_position = _unravel(slot, self.slot_shape)
        position = [r.start + p for r, p in zip(self.region, local_position)]
        local = self.locals[which]
        # every group's cell at this position has a window of the same size
        m = t.cell_stop(n, local, *position) - t.cell_start(n, local, *position)
        per_channel = m // t.in_per_group
        substeps = per_channel if self._mac_frames is not None else self.substeps
        # The MACs this frame shows; the cell's value so far is its running sum at ``hi``.
        if substeps == 1:
            lo, hi = 0, m
        else:
            # a cell's MACs run input channel by input channel
            which, tap = divmod(sub, per_channel) if self.step == "mac" else (sub, None)
            lo = self.walked_inputs[which] * per_channel
            lo, hi = (lo, lo + per_channel) if tap is None else (lo + tap, lo + tap + 1)
        cells = []
        for g in range(t.groups):
            oc = g * t.out_per_group + local
            if not self.animates(oc):
                continue
            start = t.cell_start(n, oc, *position)
            cells.append(Cell(oc, g, start + lo, start + hi, start, start + m))
        return FrameState(
            index,
            count,
            "step",
            n=n,
            position=tuple(position),
            cells=tuple(cells),
            slot=slot,
            finishes=sub == substeps - 1,
        )

    def finished(self, state: FrameState, out_channel: int) -> int:
        """How many cells of an output channel are finished: always a row-major prefix
        of the region (the whole output by default)."""
        t = self.trace
        size = math.prod(len(r) for r in self.region)
        if state.phase != "step":
            return size if state.phase == "close" else 0
        if not self.animates(out_channel):
            return 0
        which = self.locals.index(out_channel % t.out_per_group)
        first_slot = (state.n * len(self.locals) + which) * size
        return min(max(state.slot - first_slot, 0), size)

    def __iter__(self):
        for i in range(len(self)):
            yield self.frame(i)


def window_cells(trace: Trace, region, slot_shape) -> np.ndarray:
    """Cells of the window of every slot (sample, channel, position in ``region``)."""
    taps = window_taps(trace.windows)[np.ix_(*(np.asarray(r) for r in region))]
    return np.broadcast_to(taps, slot_shape).ravel()


def _unravel(index: int, shape) -> list[int]:
    out = []
    for size in reversed(shape):
        index, r = divmod(index, size)
        out.append(r)
    return out[::-1]
