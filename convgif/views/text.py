"""Text as a frame writes it: numbers, symbols, measured widths, line wrapping.

Widths come from the font's own advance widths (``convgif.views.metrics``), so a
text planned to fit its cell or box does.
"""

from __future__ import annotations

import functools

import numpy as np

from convgif.views.metrics import ASCII_BOLD, ASCII_REGULAR, OTHER, OTHER_BOLD, OTHER_REGULAR

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


# FreeType's hinting rounds the advances of small sizes: up to 7 % wider than the font's
# own metrics (measured over sizes 8-24 px). Widths are planned with this room.
HINTING = 1.08
CELL_PAD = 0.06  # of a cell's width kept clear on each side of the value it holds (ink sits
# inside the advance, so the value never touches the edge)


@functools.lru_cache(maxsize=2)
def _advances(bold: bool) -> dict:
    ascii_ = ASCII_BOLD if bold else ASCII_REGULAR
    other = OTHER_BOLD if bold else OTHER_REGULAR
    table = {chr(32 + i): w for i, w in enumerate(ascii_)}
    table.update(zip(OTHER, other))
    return table


@functools.lru_cache(maxsize=8192)  # captions and labels are measured again and again
def em_width(text: str, bold: bool = False) -> float:
    """The advance of ``text`` in em, from DejaVu Sans' metrics; a character the table
    lacks counts as a full em (CJK glyphs are one em wide)."""
    table = _advances(bold)
    return sum(table.get(ch, 1000) for ch in text) / 1000


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width ``text`` takes at ``size``, as drawn (with hinting's room)."""
    return HINTING * size * em_width(text, bold)


def widest(texts) -> str:
    """The text that takes the most room."""
    return max(texts, key=em_width, default="")


def value_fit(cell: float, text: str) -> float:
    """The largest text size at which ``text`` fits a ``cell`` wide cell with its margins."""
    return (1 - 2 * CELL_PAD) * cell / (HINTING * max(em_width(text), 0.5))


# A value's text size: a share of its cell, within these bounds; below the least it goes.
# The least is the legibility rule's 10 px on a 1280 × 720 slide.
MIN_VALUE_SIZE, MAX_VALUE_SIZE, VALUE_SHARE = 10.0, 16.0, 0.42


def value_size(cell: float, fit: float) -> float:
    """The size values are written at in ``cell`` wide cells, ``fit`` the largest that fits
    (see ``value_fit``): never more than fits."""
    return min(VALUE_SHARE * cell, MAX_VALUE_SIZE, fit)


def cell_for(size: float, text: str) -> float:
    """The cell width that holds ``text`` at text size ``size``."""
    return HINTING * size * max(em_width(text), 0.5) / (1 - 2 * CELL_PAD)


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
    """Greedy word wrap by measured width."""
    return wrap_into(text, [width], size)


def wrap_into(text: str, widths: list[float], size: float) -> list[str]:
    """Greedy word wrap into lines ``widths[i]`` wide (the last width for any further)."""
    # Each trial line is measured as ``text_width`` measures it, its advances (whole
    # thousandths of an em) summed as it grows rather than again for every word.
    table = _advances(False)
    space = table.get(" ", 1000)
    lines, line, units = [], "", 0
    for word in text.split(" "):
        word_units = sum(table.get(ch, 1000) for ch in word)
        trial, trial_units = (f"{line} {word}", units + space + word_units) if line else (
            word, word_units)
        if line and (HINTING * size * (trial_units / 1000)
                     > widths[min(len(lines), len(widths) - 1)]):
            lines.append(line)
            line, units = word, word_units
        else:
            line, units = trial, trial_units
    return lines + ([line] if line else [])
