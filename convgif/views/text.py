"""Text as a frame writes it: numbers, symbols, estimated widths, line wrapping.

Widths are estimates from the character count (DejaVu Sans averages about
0.6 em); ``set_width`` is the tighter figure the layout plans with.
"""

from __future__ import annotations

import numpy as np

_MINUS = "\u2212"


def fmt(value: float) -> str:
    """A cell value as a person writes it: 3, −1, 0.25, −∞."""
    if value == float("inf") or value == float("-inf"):
        return ("" if value > 0 else _MINUS) + "\u221e"
    if float(value).is_integer() and abs(value) < 1e7:
        text = str(int(value))
    elif abs(value) >= 100:
        text = f"{value:.4g}"
    else:
        text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace("-", _MINUS)


def term(value: float) -> str:
    text = fmt(value)
    return f"({text})" if text.startswith(_MINUS) else text


# The share of the generous estimate a text really takes in DejaVu Sans: what layouts plan
# with, so that a planned width holds the text.
TEXT_FIT = 0.92
DIGIT_EM = 0.6  # a digit's advance in em: values are sized with it to fit their cells


def text_width(text: str, size: float) -> float:
    """A generous estimate of rendered width (DejaVu Sans averages ~0.6 em)."""
    return 0.62 * size * len(text)


def set_width(text: str, size: float) -> float:
    """The width a layout plans for a text."""
    return text_width(text, size) * TEXT_FIT


def value_fit(cell: float, chars: int) -> float:
    """The largest text size at which ``chars`` digits fit a ``cell`` wide cell."""
    return TEXT_FIT * cell / (DIGIT_EM * chars)


# A value's text size: a share of its cell, within these bounds; below the least it goes.
MIN_VALUE_SIZE, MAX_VALUE_SIZE, VALUE_SHARE = 8.0, 16.0, 0.42


def value_size(cell: float, fit: float) -> float:
    """The size values are written at in ``cell`` wide cells, ``fit`` the largest that fits
    (see ``value_fit``)."""
    return max(MIN_VALUE_SIZE, min(VALUE_SHARE * cell, MAX_VALUE_SIZE, fit))


def cell_for(size: float, chars: int) -> float:
    """The cell width that holds ``chars`` digits at text size ``size``."""
    return DIGIT_EM * size * chars / TEXT_FIT


_SUB = str.maketrans("0123456789", "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089")


_SUP = str.maketrans("0123456789", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def symbol(letter: str, upper=(), lower=()) -> str:
    """``x``, channel indices as superscripts, position as subscripts: x¹₀₂, w⁰¹₂₂."""

    def digits(values, table):
        sep = "," if any(v >= 10 for v in values) else ""
        return sep.join(str(v) for v in values).translate(table)

    return letter + digits(upper, _SUP) + digits(lower, _SUB)


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values, NaNs as one, like ``np.unique``: which imports numpy.ma,
    a noticeable share of a render's start-up."""
    a = np.sort(values.ravel())
    keep = np.ones(a.shape, dtype=bool)
    if a.dtype.kind in "fc":
        keep[1:] = (a[1:] != a[:-1]) & ~(np.isnan(a[1:]) & np.isnan(a[:-1]))
    else:
        keep[1:] = a[1:] != a[:-1]
    return a[keep]


def span_text(first: int, last: int) -> str:
    """``1–3``; ``−1 to 1`` when it starts in the cropped border (a dash would read as minus)."""
    return f"{first}\u2013{last}" if first >= 0 else f"{fmt(first)} to {fmt(last)}"


def wrap(text: str, width: float, size: float) -> list[str]:
    """Greedy word wrap by estimated width."""
    lines, line = [], ""
    for word in text.split(" "):
        trial = f"{line} {word}" if line else word
        if line and set_width(trial, size) > width:
            lines.append(line)
            line = word
        else:
            line = trial
    return lines + ([line] if line else [])
