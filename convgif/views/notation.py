"""How a layer's picture writes its cells: symbols (x¹₀₂, w⁰¹₂₂) and the widest label.

A mixin of the layer pictures: it reads their ``trace`` and ``options``.
"""

from __future__ import annotations

import numpy as np

from convgif.views.text import distinct, fmt, symbol, widest


class Notation:
    """Symbols for cells, and the width of the widest thing a cell shows."""

    def _input_symbol(self, ch: int, pos) -> str:
        """What a grid cell shows in symbols mode: the input cell it holds or copies, or 0."""
        src = self.trace.source(*pos)
        if src is None:
            return "\u2212\u221e" if self.trace.spec.op == "max_pool" else "0"
        return self._x(ch, src)

    def _x(self, ch: int, src) -> str:
        return symbol("x", (ch,) if self.trace.in_channels > 1 else (), src)

    def _kernel_symbol(self, oc: int, icl: int, kpos) -> str:
        t = self.trace
        many = t.in_per_group * t.out_channels > 1
        flipped = tuple(k - 1 - p for k, p in zip(t.kernel_size, kpos))
        if t.spec.transposed:  # the gather kernel is w flipped: name the cell it came from
            ic = (oc // t.out_per_group) * t.in_per_group + icl
            return symbol("w", (ic, oc % t.out_per_group) if many else (), flipped)
        if self.options.flip:  # true convolution: w′[i] = w[K−1−i]
            return symbol("w", (oc, icl) if many else (), flipped)
        return symbol("w", (oc, icl) if many else (), kpos)

    def _y(self, oc: int, pos) -> str:
        return symbol("y", (oc,) if self.trace.out_channels > 1 else (), pos)

    def _b(self, oc: int) -> str:
        return symbol("b", (), (oc,) if self.trace.out_channels > 1 else ())

    def _widest_label(self) -> str:
        """The widest cell label (number or symbol)."""
        t = self.trace
        if self.symbols:
            last_in = tuple(n - 1 for n in t.in_spatial)
            last_k = tuple(k - 1 for k in t.kernel_size)
            labels = [self._x(t.in_channels - 1, last_in), self._y(t.out_channels - 1, last_in)]
            if t.kernel is not None:
                labels.append(self._kernel_symbol(t.out_channels - 1, t.in_per_group - 1, last_k))
            return widest(labels)
        y = t.y if t.computed is None else t.y[:, list(t.computed)]
        arrays = [t.grid[np.isfinite(t.grid)], y, t.bias]
        if t.kernel is not None:
            arrays.append(t.kernel)
        values = distinct(np.concatenate([a.ravel() for a in arrays]))
        if len(values) > 4096:  # a sample keeps this cheap on big layers
            values = values[np.linspace(0, len(values) - 1, 4096).astype(int)]
        return widest(fmt(v) for v in values)
