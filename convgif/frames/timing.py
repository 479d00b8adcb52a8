"""How long each frame stays: one table for every view.

A view names its pace (how much one of its frames shows); the table gives the
milliseconds of its opening frame, of each step and of the held last frame.
"""

from __future__ import annotations

from typing import NamedTuple

from convgif.errors import refuse


class Pace(NamedTuple):
    open_ms: int  # the first frame: the layer at rest, read before anything moves
    step_ms: int
    hold_ms: int  # the last frame: the finished result


PACES = {
    "auto": Pace(1200, 700, 2500),  # the tour: one output cell, or a block of cells, a frame
    "output": Pace(1200, 700, 2500),  # one output cell per frame
    "channel": Pace(1200, 450, 2500),  # one input channel's share of a cell
    "mac": Pace(1200, 250, 2500),  # one multiply-accumulate
    "stamp": Pace(1200, 600, 2500),  # the overlap view: one stamp's taps added
    "layer": Pace(1500, 1400, 3500),  # the receptive-field stack: one layer back
}
MIN_MS, MAX_MS = 10, 60_000
# A default animation loops in at most this long, opening and held frames included: longer
# loops are not watched to the end in a blog post or on a slide.
LOOP_MS = 30_000


def steps_within(pace: str, ms: int = LOOP_MS) -> int:
    """How many step frames fit a loop of ``ms`` at the pace's default timing."""
    p = PACES[pace]
    return max(1, (ms - p.open_ms - p.hold_ms) // p.step_ms)


def check_ms(name: str, ms) -> None:
    if isinstance(ms, bool) or not isinstance(ms, (int, float)) or not MIN_MS <= ms <= MAX_MS:
        raise refuse(name, ms, f"must be a number of milliseconds from {MIN_MS} to {MAX_MS}")


def durations(pace: str, count: int, duration=None, hold=None) -> list[int]:
    """Milliseconds of each of ``count`` frames: the opening frame at least the pace's
    opening time, then ``duration`` each (the pace's step), the last held ``hold``."""
    p = PACES[pace]
    each = p.step_ms if duration is None else duration
    hold = p.hold_ms if hold is None else hold
    check_ms("duration", each)
    check_ms("hold", hold)
    if count == 1:
        return [hold]
    return [max(each, p.open_ms)] + [each] * (count - 2) + [hold]
