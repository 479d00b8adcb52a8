"""What a layer's picture is asked to show: the options every view of a layer takes."""

from __future__ import annotations

from typing import NamedTuple

SYMBOL_SIZE = 11  # px: the smallest at which x₀₁'s indices stay readable


VALUE_MODES = {
    None: "auto",
    True: "numbers",
    "numbers": "numbers",
    False: "none",
    "none": "none",
    "symbols": "symbols",
}


class Options(NamedTuple):
    step: str = "auto"  # the tour: a loop of about 30 s (convgif.frames.tour)
    values: bool | None = None  # None: when they fit
    lines: bool = True
    cell: float | None = None
    channels: tuple[int, ...] | None = None  # output channels to animate and show
    flip: bool = False  # the trace slides the kernel rotated 180°: true convolution x ∗ w
    source: str = ""  # where the input came from, when it is not made up (a photo)
    outputs: tuple[range, ...] | None = None  # output positions to animate (a region)
    # panels ("input", "kernel", "output") whose cells are shaded by value: a photo shows
    # as a photo (see views.shade). None: every panel when values are left out for
    # legibility, so that they still show
    shade: frozenset | None = None


DEFAULT = Options()  # a picture as convgif draws it when asked for nothing else
