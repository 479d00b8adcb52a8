"""Every render option, checked once, at the boundary, before any stage runs.

The render verbs (``animate``, ``still``, ``frames``, ``draw``, ``overlap``,
``stack``, the frame folders and contact sheets) take their options as
keywords; ``picture_options`` and ``output_options`` check each against its
rule and return frozen data, so a bad ``hold`` or ``style`` is refused before
anything is simulated or laid out. Each refusal is a ``ConvGifError`` naming
the option (``param``), which the command line spells as its flag.
"""

from __future__ import annotations

import itertools
import operator
from typing import NamedTuple

from convgif.backends.raster import check_scale
from convgif.backends.style import get_style
from convgif.errors import ConvGifError, refuse
from convgif.frames.sampling import check_max_frames
from convgif.frames.storyboard import STEPS
from convgif.frames.timing import check_ms
from convgif.views.options import VALUE_MODES, Options

VIEWS = ("gather", "scatter", "matrix")
MIN_CELL, MAX_CELL = 4, 200  # cell= in pixels at scale 1
MAX_CHANNELS = 65_536  # output channels channels= may name (no layer has more)


class Output(NamedTuple):
    """How a view is painted and written (checked)."""

    scale: float = 1.0
    style: str = "default"
    font: str | None = None
    duration: float | None = None  # ms a frame stays; None: the view's pace
    hold: float | None = None  # ms the last frame stays; None: the view's pace
    max_frames: int | None = None
    force: bool = False


DEFAULT_OUTPUT = Output()
STILL_KEYS = ("scale", "style", "font", "force")  # what a still takes of the output options
FRAMES_KEYS = ("scale", "style", "font")  # and frames in memory
ANIMATION_KEYS = (*STILL_KEYS, "duration", "hold", "max_frames")


def check_bool(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise refuse(name, value, "must be True or False")
    return value


def _check_cell(cell) -> float | None:
    if cell is not None and (
        isinstance(cell, bool)
        or not isinstance(cell, (int, float))
        or not MIN_CELL <= cell <= MAX_CELL  # NaN fails too
    ):
        raise refuse("cell", cell, f"must be a number of pixels from {MIN_CELL} to {MAX_CELL} "
                     "(or None)")
    return cell


def _check_channels(channels) -> tuple[int, ...] | None:
    if channels is None:
        return None
    rule = "must be a list of whole channel numbers, e.g. [0, 1]"
    if isinstance(channels, (str, bytes)) or not hasattr(channels, "__iter__"):
        raise refuse("channels", channels, rule)
    # at most MAX_CHANNELS taken: range(10**9) is refused, not expanded
    items = list(itertools.islice(channels, MAX_CHANNELS + 1))
    if len(items) > MAX_CHANNELS:
        raise refuse("channels", channels, f"names more than {MAX_CHANNELS:,} channels: "
                     "name fewer, e.g. range(4)")
    if any(isinstance(c, bool) for c in items):
        raise refuse("channels", items, rule)
    try:  # operator.index: 1.5 and "0" are refused, not rounded or read
        return tuple(operator.index(c) for c in items)
    except TypeError:
        raise refuse("channels", items, rule) from None


def _check_values(values):
    try:
        mode = VALUE_MODES.get(values)
    except TypeError:  # unhashable, e.g. a list
        mode = None
    if mode is None:
        raise refuse("values", values, "must be one of 'numbers', 'symbols', 'none' "
                     "(or True / False / None for 'when they fit')")
    return values


def picture_options(*, step="auto", values=None, lines=True, cell=None, view="gather",
                    channels=None, flip=False, **unknown) -> tuple[str, Options]:
    """(the view asked for, the picture's options), each checked."""
    if unknown:
        raise ConvGifError(f"{next(iter(unknown))}= is not an option of convgif's renderer")
    if view not in VIEWS:
        raise refuse("view", view, f"must be one of {', '.join(map(repr, VIEWS))}")
    if step not in STEPS:
        raise refuse("step", step, f"must be one of {', '.join(map(repr, STEPS))}")
    options = Options(step=step, values=_check_values(values), lines=check_bool("lines", lines),
                      cell=_check_cell(cell), channels=_check_channels(channels),
                      flip=check_bool("flip", flip))
    return view, options


def output_options(*, scale=1.0, style="default", font=None, duration=None, hold=None,
                   max_frames=None, force=False, animated=True) -> Output:
    """How to paint and write, each checked (the timings only for an animation)."""
    check_scale(scale)
    get_style(style)
    if font is not None:
        from convgif.backends.fonts import find_font

        find_font(font)
    if animated:
        for name, ms in (("duration", duration), ("hold", hold)):
            if ms is not None:
                check_ms(name, ms)
        check_max_frames(max_frames)
    return Output(scale, style, font, duration, hold, max_frames, check_bool("force", force))


def split_options(options: dict, keys=ANIMATION_KEYS) -> tuple[Output, dict]:
    """(the output options among ``options``, checked; the rest: the picture's options).

    Only ``keys`` are output options here: a still takes no ``duration``, so one given
    goes on to the picture, which refuses it as an option it does not know.
    """
    given = {k: v for k, v in options.items() if k in keys}
    rest = {k: v for k, v in options.items() if k not in keys}
    return output_options(**given, animated="duration" in keys), rest


def frame_position(frame, count: int, name: str = "frame") -> int:
    """The view's index (from 0) of a frame number as a user gives it: from 1, as the
    counter writes it ("frame 3/20" is frame 3), negative counting from the end (−1 the
    last). Every front door converts here, once; views count from 0."""
    try:
        number = operator.index(frame)  # numpy integers too, but not 2.0
    except TypeError:
        number = None
    if isinstance(frame, bool) or number is None:
        raise refuse(name, frame, "must be a whole frame number")
    if number == 0:
        raise refuse(name, frame, f"is not a frame: frames are numbered 1..{count}, as the "
                     "counter writes them (negative: from the end, -1 the last)")
    if not -count <= number <= count:
        raise refuse(name, frame, f"must lie in 1..{count} or -{count}..-1 (this animation "
                     f"has {count} frames)")
    return number - 1 if number > 0 else count + number


def frame_positions(frames, count: int, name: str = "frames") -> list[int] | None:
    """``frame_position`` of each of a list of frame numbers (None stays None)."""
    if frames is None:
        return None
    if isinstance(frames, (str, bytes)) or not hasattr(frames, "__iter__"):
        raise refuse(name, frames, "must be a list of frame numbers")
    return [frame_position(f, count, name) for f in frames]
