"""Text for the raster backend: coverage masks from the font, blended into indexed frames.

A text is drawn once by Pillow into a coverage mask, quantized to the palette's
coverage levels; painting it is then a table look-up per covered pixel (see
``palette.Palette.tables``): the index under the pixel and the coverage there
give the index to paint.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

FULL_COVERAGE = 255  # a mask pixel the glyphs cover wholly (Pillow's "L" masks)
MARGIN_EM = 0.5  # room around a text's advance and line for bearings and overhangs
WIDEST_EM = 2.25  # a character's advance is at most this (DejaVu Sans's widest: 2.02 em)
MIN_BATCH = 4  # texts in a run worth blending with one vectorised look-up
WORDS_FROM = 12  # characters: a text this long is put together from its words


class TextMask:
    """A text's coverage, relative to its anchor point."""

    __slots__ = ("levels", "left", "top", "covered", "covered_levels", "_where")

    def __init__(self, levels: np.ndarray, left: int, top: int):
        self.levels = levels  # (rows, cols) uint8 coverage, quantized to 0..levels
        self.left = left  # the mask's top-left pixel, from the anchor point
        self.top = top
        self.covered = levels > 0
        self.covered_levels = levels[self.covered]
        self._where: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def rows(self) -> np.ndarray:
        """The rows of the covered pixels (with ``cols``: ``np.nonzero(covered)``), worked
        out when first asked for: only texts blended in a run need them."""
        if self._where is None:
            self._where = np.nonzero(self.covered)
        return self._where[0]

    @property
    def cols(self) -> np.ndarray:
        if self._where is None:
            self._where = np.nonzero(self.covered)
        return self._where[1]


class PlacedText(NamedTuple):
    """A text's mask at its place in a frame, with the table that blends it."""

    y: int  # the mask's top-left pixel in the frame
    x: int
    covered: np.ndarray
    covered_levels: np.ndarray
    table: np.ndarray  # ``table[under, level]`` (see ``palette.Palette.tables``)
    bottom: int  # the frame row and column just past the mask
    right: int
    mask: TextMask


def text_mask(font, text: str, anchor: str, levels: int) -> TextMask:
    """The quantized coverage of ``text`` drawn with a Pillow FreeType ``font`` at ``anchor``.

    A long left-anchored text (a caption) is put together from its words, each drawn once
    and kept: captions change every frame, their words mostly do not. The result is the
    same pixels as drawing it whole (see ``composed_mask``).
    """
    if anchor[0] == "l" and len(text) >= WORDS_FROM and " " in text:
        composed = composed_mask(font, text, anchor, levels)
        if composed is not None:
            return composed
    return drawn_mask(font, text, anchor, levels)


def composed_mask(font, text: str, anchor: str, levels: int) -> TextMask | None:
    """The mask of a left-anchored ``text`` made of its words' masks, or None when a word
    would start between two pixels.

    FreeType's basic layout (``fonts.load``) puts each glyph at its pen position rounded
    to the pixel, and a space has no kerning: a word that starts on a whole pixel is
    drawn exactly as when the text is drawn whole (``tests/test_raster.py`` compares
    the two), shifted by that many pixels.
    """
    space = _advance(font, " ")
    placed, pen = [], 0.0
    for word in text.split(" "):
        if word:
            if not pen.is_integer():
                return None
            placed.append((int(pen), _word_mask(font, word, anchor, levels)))
            pen += _advance(font, word)
        pen += space
    placed = [(x, m) for x, m in placed if m.levels.size]
    if not placed:
        return TextMask(np.zeros((0, 0), dtype=np.uint8), 0, 0)
    top = min(m.top for _, m in placed)
    left = min(x + m.left for x, m in placed)
    bottom = max(m.top + m.levels.shape[0] for _, m in placed)
    right = max(x + m.left + m.levels.shape[1] for x, m in placed)
    out = np.zeros((bottom - top, right - left), dtype=np.uint8)
    for x, m in placed:
        rows, cols = m.levels.shape
        y0, x0 = m.top - top, x + m.left - left
        region = out[y0 : y0 + rows, x0 : x0 + cols]
        np.maximum(region, m.levels, out=region)  # glyphs overlap as FreeType's do: the max
    return TextMask(out, left, top)


@functools.lru_cache(maxsize=4096)
def _advance(font, text: str) -> float:
    return font.getlength(text)


@functools.lru_cache(maxsize=4096)
def _word_mask(font, word: str, anchor: str, levels: int) -> TextMask:
    return drawn_mask(font, word, anchor, levels)


def drawn_mask(font, text: str, anchor: str, levels: int) -> TextMask:
    """The quantized coverage of ``text``, drawn whole.

    Drawn with Pillow's public ``ImageDraw.text`` (``getmask2`` returns Pillow's internal
    storage, which only private calls turn into an image), with one layout of the text:
    on a canvas with room to spare (see ``_canvas``), then cut to the pixels it inks, so
    the mask spans the ink, offset from the anchor point. Ink that reaches an edge of
    the canvas may have been cut off (a font with wider glyphs): the text is drawn again
    with wider margins.
    """
    from PIL import Image, ImageDraw

    margin = math.ceil(font.size * MARGIN_EM) + 1
    while True:
        (width, height), (ax, ay) = _canvas(font, text, anchor, margin)
        image = Image.new("L", (width, height), 0)
        ImageDraw.Draw(image).text((ax, ay), text, fill=FULL_COVERAGE, font=font, anchor=anchor)
        ink = image.getbbox()
        if ink is None:
            return TextMask(np.zeros((0, 0), dtype=np.uint8), 0, 0)
        x0, y0, x1, y1 = ink
        if x0 > 0 and y0 > 0 and x1 < width and y1 < height:
            break
        margin *= 4
    # only the inked part is copied out of Pillow (a caption's canvas is mostly margin)
    coverage = np.frombuffer(image.crop(ink).tobytes(), dtype=np.uint8).reshape(y1 - y0, x1 - x0)
    return TextMask(_nearest_level(levels)[coverage], x0 - ax, y0 - ay)


@functools.lru_cache(maxsize=8)
def _nearest_level(levels: int) -> np.ndarray:
    """Coverage 0..255 -> the nearest of ``levels`` coverage levels, as a look-up table."""
    coverage = np.arange(FULL_COVERAGE + 1, dtype=np.uint16)
    return ((coverage * levels + FULL_COVERAGE // 2) // FULL_COVERAGE).astype(np.uint8)


def _canvas(font, text: str, anchor: str, margin: int):
    """((width, height), (x, y) of the anchor point) of a canvas that holds the text with
    ``margin`` pixels around its line and around its advance, bounded by ``WIDEST_EM``
    per character (no layout needed)."""
    ascent, descent = font.getmetrics()
    line = ascent + descent
    advance = math.ceil(len(text) * WIDEST_EM * font.size)
    x = {"l": 0, "m": advance // 2, "r": advance}[anchor[0]]
    y = {"a": 0, "t": 0, "m": line // 2, "s": ascent, "b": line, "d": line}[anchor[1]]
    return (advance + 2 * margin, line + 2 * margin), (x + margin, y + margin)


def blend(region: np.ndarray, levels: np.ndarray, table: np.ndarray | None, index: int,
          full: int) -> None:
    """Text with coverage ``levels`` (0..``full``) over ``region`` (same shape), in place:
    through its colour's ``table``, or, for a colour without one, hard-edged in ``index``
    (half coverage and up)."""
    if table is None:
        region[levels * 2 >= full] = index
        return
    covered = levels > 0
    region[covered] = table[region[covered], levels[covered]]


def blend_at(frame: np.ndarray, text: PlacedText) -> None:
    """Blend a placed text lying inside the frame."""
    region = frame[text.y : text.bottom, text.x : text.right]
    covered = text.covered
    region[covered] = text.table[region[covered], text.covered_levels]


def blend_all(frame: np.ndarray, texts: list[PlacedText]) -> None:
    """Blend a run of consecutive placed texts inside the frame, as if one after another.

    When no two of them cover the same pixel and they share one colour table, the
    order does not matter and one vectorised blend does them all (a frame may hold
    hundreds of finished values); otherwise they are blended in turn.
    """
    table = texts[0].table
    if (
        len(texts) < MIN_BATCH
        or not frame.flags.c_contiguous
        or any(t.table is not table for t in texts)
    ):
        for text in texts:
            blend_at(frame, text)
        return
    sizes = [len(t.covered_levels) for t in texts]
    width = frame.shape[1]
    rows = np.concatenate([t.mask.rows for t in texts]) + np.repeat([t.y for t in texts], sizes)
    cols = np.concatenate([t.mask.cols for t in texts]) + np.repeat([t.x for t in texts], sizes)
    flat_index = rows * width + cols
    ordered = np.sort(flat_index)
    if (ordered[1:] == ordered[:-1]).any():  # overlapping texts: the order matters
        for text in texts:
            blend_at(frame, text)
        return
    flat = frame.reshape(-1)  # a view: the frame is contiguous
    flat[flat_index] = table[flat[flat_index], np.concatenate([t.covered_levels for t in texts])]
