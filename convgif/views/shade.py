"""Cells shaded by their value: which ramp a panel uses, which of its levels a value takes.

Where values are left out (too small to read on a slide, or a photo's pixels),
the shade of a cell still shows them, and a photo reads as the photo. Inputs
use a sequential ramp (low = dark, high = light, as a photo shows its pixels;
an RGB photo each channel in its own colour); outputs and kernels a diverging
ramp centred on 0, symmetric, scaled to the largest magnitude of the whole
tensor so that every frame shares it. The style (``convgif.backends.style``)
gives each level its colour and the text colour (ink or paper) that keeps
4.5:1 contrast on it: the roles ``shade_<ramp>_<level>`` and
``shade_<ramp>_<level>_text``. Levels are few, because the raster palette is
fixed and small.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from convgif.views.scene import Box, Text
from convgif.views.text import fmt, text_width

# levels of each ramp; the diverging ramp's count is odd so that its middle level is 0
RAMPS = {"grey": 9, "red": 9, "green": 9, "blue": 9, "div": 11}
RGB_RAMPS = ("red", "green", "blue")
PANELS = frozenset({"input", "kernel", "output"})  # the panels that can be shaded


def role(ramp: str, level: int) -> str:
    """The style's role of a ramp's level (its fill); + ``_text``: the text on it."""
    return f"shade_{ramp}_{level}"


class Scale(NamedTuple):
    """Values ``lo`` .. ``hi`` mapped onto the levels of ``ramp`` (linearly, rounded)."""

    ramp: str
    lo: float
    hi: float

    @property
    def levels(self) -> int:
        return RAMPS[self.ramp]

    def level(self, value: float) -> int:
        top = self.levels - 1
        if self.hi <= self.lo:  # one value everywhere: the middle level
            return top // 2
        t = (float(value) - self.lo) / (self.hi - self.lo)
        return int(min(max(np.floor(t * top + 0.5), 0), top))

    def fill(self, value: float) -> str:
        return role(self.ramp, self.level(value))

    def text(self, value: float) -> str:
        return self.fill(value) + "_text"


def _finite(values) -> np.ndarray:
    """The values a scale spans: not the cells left uncomputed (NaN) or infinite."""
    values = np.asarray(values, dtype=np.float64)
    return values[np.isfinite(values)]


def sequential(ramp: str, values: np.ndarray) -> Scale:
    """Lowest value darkest, highest lightest."""
    values = _finite(values)
    if values.size == 0:
        return Scale(ramp, 0.0, 0.0)
    return Scale(ramp, float(values.min()), float(values.max()))


def diverging(values: np.ndarray) -> Scale:
    """Symmetric about 0, so 0 is the middle level whatever the values' range."""
    values = _finite(values)
    top = float(np.abs(values).max()) if values.size else 0.0
    top = top or 1.0  # all zero: every cell on the middle level
    return Scale("div", -top, top)


# the key: a swatch per level, SHADE_SWATCH wide, its ends labelled with the scale's range
SHADE_SWATCH, KEY_GAP, KEY_TEXT = 7.0, 6.0, 12


def key_width(label: str, scales) -> float:
    """The width of a key (see ``key``)."""
    lo, hi = _ends(scales[0])
    return (text_width(label, KEY_TEXT) + text_width(lo, KEY_TEXT) + text_width(hi, KEY_TEXT)
            + scales[0].levels * SHADE_SWATCH + 4 * KEY_GAP)


def key(label: str, scales, x: float, y: float, height: float) -> list:
    """``label lo ▮▮▮▮▮ hi`` from (x, y): one row of swatches per scale (an RGB photo's
    three channels stacked in one swatch height), the range's ends written beside it."""
    lo, hi = _ends(scales[0])
    mid = y + height / 2
    items = [Text(x, mid, label, KEY_TEXT, "muted", anchor="lm")]
    x += text_width(label, KEY_TEXT) + KEY_GAP
    items.append(Text(x, mid, lo, KEY_TEXT, "muted", anchor="lm"))
    x += text_width(lo, KEY_TEXT) + KEY_GAP
    row = height / len(scales)
    for i, scale in enumerate(scales):
        for level in range(scale.levels):
            items.append(Box(x + level * SHADE_SWATCH, y + i * row, SHADE_SWATCH, row,
                             fill=role(scale.ramp, level)))
    span = scales[0].levels * SHADE_SWATCH
    items.append(Box(x, y, span, height, edge="grid"))
    items.append(Text(x + span + KEY_GAP, mid, hi, KEY_TEXT, "muted", anchor="lm"))
    return items


def _ends(scale: Scale) -> tuple[str, str]:
    return fmt(scale.lo), fmt(scale.hi)
