"""The overlap view's counts, stamp by stamp: taps of the first ``j`` stamps on every
cell of the canvas, from per-axis prefix sums (no replay of the stamps before)."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from convgif.simulate.coverage import Geometry


class Stamp(NamedTuple):
    """One stamp: a source cell of one channel, and the canvas cells its taps hit."""

    channel: int
    position: tuple  # the source cell
    cells: list  # (row, col) on the canvas, one per tap


def _outer(vectors) -> np.ndarray:
    if len(vectors) == 1:
        return vectors[0][None, :]
    return np.multiply.outer(vectors[0], vectors[1])


class StampCounts:
    """The canvas (every counted cell, and the padding the taps reach) and its counts.

    Stamps go channel by channel, source cells in row-major order.
    """

    def __init__(self, geo: Geometry):
        axes = geo.axes
        spans = [a.span for a in axes]
        self.geo = geo
        self.offset = tuple(-lo for lo, _ in spans)  # canvas cell of real cell 0
        self.shape = tuple(hi - lo for lo, hi in spans)
        self.per_channel = math.prod(a.sources for a in axes)
        self.stamps = geo.multiplicity * self.per_channel
        # Per axis: taps of the first j sources on every canvas cell, j = 0..sources.
        self._prefix = []
        for a, (lo, hi) in zip(axes, spans):
            rows = np.zeros((a.sources + 1, hi - lo), dtype=np.int64)
            for j in range(a.sources):
                rows[j + 1] = rows[j]
                np.add.at(rows[j + 1], a.taps(j) - lo, 1)
            self._prefix.append(rows)
        real = [
            (np.arange(hi - lo) + lo >= 0) & (np.arange(hi - lo) + lo < a.size)
            for a, (lo, hi) in zip(axes, spans)
        ]
        self.real = real[0][None, :] if len(real) == 1 else real[0][:, None] & real[1][None, :]
        self.final = self.after(self.stamps)

    def after(self, stamps: int) -> np.ndarray:
        """Counts on the canvas (rows, cols) once the first ``stamps`` stamps have landed:
        whole channels, whole rows of the current one, and part of a row."""
        whole, rest = divmod(stamps, self.per_channel)
        full = _outer([p[-1] for p in self._prefix])
        if len(self._prefix) == 1:
            part = self._prefix[0][rest][None, :]
        else:
            rows, cols = self._prefix
            r, c = divmod(rest, self.geo.axes[1].sources)
            part = np.multiply.outer(rows[r], cols[-1])
            if r < self.geo.axes[0].sources:
                part = part + np.multiply.outer(rows[r + 1] - rows[r], cols[c])
        return whole * full + part

    def stamp(self, index: int) -> Stamp:
        """Stamp ``index``: its channel, its source cell, the canvas cells it hits."""
        channel, flat = divmod(index, self.per_channel)
        position = tuple(
            int(v) for v in np.unravel_index(flat, tuple(a.sources for a in self.geo.axes))
        )
        taps = [a.taps(j) + off for a, j, off in zip(self.geo.axes, position, self.offset)]
        if len(taps) == 1:
            cells = [(0, int(c)) for c in taps[0]]
        else:
            cells = [(int(r), int(c)) for r in taps[0] for c in taps[1]]
        return Stamp(channel, position, cells)
