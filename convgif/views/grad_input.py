"""What the input-gradient views share: ∂L/∂x drawn as the transposed convolution of ∂L/∂y.

The gather and scatter views of ∂L/∂x (``grad_gather``, ``grad_scatter``) are
the layer views of the transposed convolution that ``simulate.grad_transposed``
builds from a GradTrace: the input panel is ∂L/∂y, the output panel the
gradient of the grid the forward window swept (its padding cells dashed). This
mixin renames what those views call x, w and y, titles the picture with the
forward layer's shapes and K/P/S/D/G, and, for reflect / replicate / circular
padding, adds the frames where each padding cell's gradient folds back onto the
input cell it copied. Every number it draws comes from the GradTrace
(``grad_grid``, ``grad_x``).
"""

from __future__ import annotations

import math

import numpy as np

from convgif.simulate.grad_transposed import input_grad_trace
from convgif.simulate.trace import DATA, PAD_COPY
from convgif.views.chrome import LIT_EDGE, caption, counter_text, input_shape, title_parts
from convgif.views.equation import plural, shorten
from convgif.views.layout import MARGIN, SUBTITLE_SIZE
from convgif.views.scene import Box, Scene, Text
from convgif.views.terms import as_given, index_text, shape_text
from convgif.views.text import fmt, text_width

MAX_FOLD_FRAMES = 16  # fold frames at most: more target cells share a frame
DX, DY = "\u2202L/\u2202x", "\u2202L/\u2202y"
RENAMES = (("x[", "\u2202y["), ("y[", "\u2202x["))  # grid labels: x[0] is ∂L/∂y's channel 0


class InputGradient:
    """A mixin of a layer picture drawing ∂L/∂x of the GradTrace ``gt``."""

    def __init__(self, gt, options):
        self.grad = gt
        self.forward = gt.trace
        self._folds = fold_targets(gt.trace)
        super().__init__(input_grad_trace(gt), options)

    def _lay_out(self, sizes: dict, widest: str, mode: str) -> None:
        """The layer view's layout, under the backward's subtitle (wider if it needs)."""
        super()._lay_out(sizes, widest, mode)
        self.subtitle = self._grad_subtitle()
        width = math.ceil(text_width(self.subtitle, SUBTITLE_SIZE) + 2 * MARGIN)
        if width > self.layout.width:
            self.layout = self.layout._replace(width=width)

    # ---- names

    @property
    def padded(self) -> bool:
        return self.forward.grid.shape != self.forward.x.shape

    @property
    def grid_name(self) -> str:
        return f"{DX}_pad" if self.padded else DX

    def _title_parts(self) -> list[str]:
        f, gt = self.forward, self.grad
        parts = title_parts(f.spec, f.pads, input_shape(f), f.output.shape)
        parts[:2] = [f"{DX} {shape_text(gt.grad_input.shape)}",
                     f"from {DY} {shape_text(gt.grad_output.shape)}"]
        return parts

    def _grad_subtitle(self) -> str:
        f = self.forward
        what = ("each window routes its gradient" if f.spec.pooling
                else "a transposed convolution of \u2202L/\u2202y with the same weights")
        return f"{DX} of {f.layer}: {what}"

    def _input_header_text(self, n: int) -> str:
        text, t = super()._input_header_text(n), self.trace
        given = f"input x {shape_text(as_given(t.spec, t.x.shape[1:]))}"
        return text.replace(given, self._shaped(DY, self.grad.grad_y), 1)

    def _shaped(self, name: str, canonical) -> str:
        """``∂L/∂y (3, 3, 2)``: one sample's shape as the framework lays it out."""
        return f"{name} {shape_text(as_given(self.forward.spec, canonical.shape[1:]))}"

    def _output_header(self) -> str:
        grid = self._shaped(self.grid_name, self.grad.grad_grid)
        return grid if not self.padded else f"{grid}: the gradient of the padded grid"

    def _legend_entries(self) -> list[tuple[str, str]]:
        names = {"input": DY, "output": self.grid_name, "tap": "tapped",
                 "stamping cell": "stamping \u2202L/\u2202y cell", "sum so far": "sum so far",
                 "cropped by padding": self._pad_note()}
        if self.forward.spec.pooling:
            names.update(kernel="share of each window cell", **{"kernel in use": "its share"})
        outside = self._outside().any()
        # the grid's leftover is no output_padding; a grid of input cells alone, no padding
        entries = [(role, names.get(label, label)) for role, label in super()._legend_entries()
                   if role != "output_empty" and (role != "pad" or outside)]
        if not any(role == "pad" for role, _ in entries) and outside:
            entries.append(("pad", self._pad_note()))
        return entries

    def _keys(self) -> list:
        """The shade keys under the backward's names."""
        names = {"input": DY, "output": self.grid_name}
        return [(names.get(name, name), scales) for name, scales in super()._keys()]

    def _pad_note(self) -> str:
        if self._folds:
            return "padding: folds back onto the cell it copies"
        return "padding / inserted zeros: gradient dropped"

    def _build_static(self, n: int) -> tuple:
        return tuple(_renamed(item) for item in super()._build_static(n))

    # ---- the grid's padding cells: dashed, their sums muted

    def _outside(self) -> np.ndarray:
        """(rows, cols) mask of the grid cells that are not input cells."""
        kind = self.forward.grid_kind
        if kind.ndim == 1:
            kind = kind[None, :]
        elif kind.ndim == 3:
            kind = kind.min(axis=0)
        return kind != DATA

    def _canvas_cells(self) -> tuple[np.ndarray, np.ndarray]:
        outside = self._outside()
        return outside, outside

    # ---- frames: the storyboard's, then the folds

    def __len__(self) -> int:
        return len(self.storyboard) + self._fold_frames()

    def _fold_frames(self) -> int:
        return len(self._fold_chunks()) + 1 if self._folds else 0

    def scene(self, index: int, *, since: int | None = None, shown: int | None = None) -> Scene:
        count, base = len(self), len(self.storyboard)
        index = index + count if index < 0 else index
        if index < base - 1:
            return super().scene(index, since=since, shown=shown)
        if since is not None and since >= base:
            since = base - 1
        last = super().scene(base - 1, since=since, shown=shown)
        if index == base - 1:  # done: the cells whose gradient is dropped or folds, muted
            return last._replace(dynamic=tuple(self._dropped()) + last.dynamic)
        step = index - base
        items = self._dropped() + self._fold_items(step) + self._fold_caption(step, index, shown)
        return last._replace(dynamic=tuple(items))

    def _dropped(self) -> list:
        """The grid's cells that are not input cells, muted, with the gradient they got."""
        items, kind = [], self.forward.grid_kind
        for ch, grid in self.layout.outputs.items():
            for pos in zip(*np.nonzero(kind != DATA)):
                items += self._cell(*self._at(grid, pos), "pad", self._gg(0, ch, pos),
                                    dashed=True, color="muted")
        return items

    def _caption(self, lines: list[str], state, shown) -> list:
        lines = [_grad_terms(line, self.grid_name) for line in lines]
        if state.phase == "open":
            lines = self._opening()
        elif state.phase == "close":
            lines = self._closing()
        lay = self.layout
        return caption(lines, lay.caption_y, lay.width, counter_text(state.index, len(self),
                                                                     shown))

    def _closing(self) -> list[str]:
        gt = self.grad
        done = f"Done: {self.grid_name} {shape_text(self.trace.y.shape[1:])}."
        op = self.forward.spec.op
        if op == "max_pool":
            done = done[:-1] + (": each window's gradient sits where its maximum was; the "
                                "other cells got 0.")
        elif op == "avg_pool":
            done = done[:-1] + ": each window's gradient spread evenly over its cells."
        if self._folds:
            return [done, "Next, each padding cell's gradient folds back onto the input cell "
                    "it copies."]
        if self._outside().any():
            return [done, f"The dashed cells hold no input, so their gradient is dropped: "
                    f"{DX} {shape_text(gt.grad_input.shape)} is the solid cells."]
        return [done]

    # ---- the fold

    def _fold_chunks(self) -> list[list]:
        folds = self._folds
        per = math.ceil(len(folds) / MAX_FOLD_FRAMES)
        return [folds[i:i + per] for i in range(0, len(folds), per)]

    def _fold_items(self, step: int) -> list:
        chunks = self._fold_chunks()
        final = step >= len(chunks)
        done = [t for chunk in chunks[:step + 1] for t in chunk]
        items = []
        n = 0
        for ch, grid in self.layout.outputs.items():
            if final:
                items += self._final_cells(grid, ch)
                continue
            for src, _ in done:  # folded: the input cell's gradient, final
                at = self._at(grid, self._grid_position(src))
                items += self._cell(*at, "output", self._dx(n, ch, src))
            for src, copies in chunks[step]:
                for pos in copies:
                    items += self._cell(*self._at(grid, pos), "tap", self._gg(n, ch, pos),
                                        dashed=True)
                    items.append(Box(*grid.rect(*self._rc(*pos)), edge="window",
                                     edge_width=LIT_EDGE))
                items += self._cell(*self._at(grid, self._grid_position(src)), "output_active",
                                    self._dx(n, ch, src), edge="window", width=LIT_EDGE)
        return items

    def _final_cells(self, grid, ch: int) -> list:
        """The closing fold frame: ∂L/∂x in the input cells, the padding emptied."""
        items, f = [], self.forward
        kind = f.grid_kind
        for pos in np.ndindex(*kind.shape):
            if kind[pos] == DATA:
                src = f.source(*pos)
                items += self._cell(*self._at(grid, pos), "output", self._dx(0, ch, src))
            else:
                items += self._cell(*self._at(grid, pos), "pad", dashed=True)
        return items

    def _dx(self, n: int, ch: int, src) -> float:
        return float(self.grad.grad_x[(n, ch, *src)])

    def _gg(self, n: int, ch: int, pos) -> float:
        return float(self.grad.grad_grid[(n, ch, *pos)])

    def _fold_caption(self, step: int, index: int, shown) -> list:
        chunks, f = self._fold_chunks(), self.forward
        ch = next(iter(self.layout.outputs))
        if step >= len(chunks):
            lines = [f"{DX} {shape_text(self.grad.grad_input.shape)}: every padding cell's "
                     f"gradient has gone back to the cell it copies ({f.spec.padding_mode}).",
                     "The padding holds nothing now: the input cells are the gradient."]
        else:
            src, copies = chunks[step][0]
            data = self._grid_position(src)
            terms = [self._gg(0, ch, data)] + [self._gg(0, ch, p) for p in copies]
            names = [f"{self.grid_name}[{index_text(f.spec, ch, p)}]" for p in copies]
            copied = (" + ".join(names) + " (its padding copies)" if len(names) <= 2
                      else f"its {len(names)} padding copies ({f.spec.padding_mode})")
            more = len(chunks[step]) - 1
            lines = [f"{DX}[{index_text(f.spec, ch, src)}] = {self.grid_name}"
                     f"[{index_text(f.spec, ch, data)}] + {copied}",
                     " + ".join(shorten([fmt(v) for v in terms]))
                     + f" = {fmt(self._dx(0, ch, src))}"
                     + (f"; and {plural(more, 'more input cell')}" if more else "")
                     + " (every channel alike)"]
        lay = self.layout
        return caption(lines, lay.caption_y, lay.width, counter_text(index, len(self), shown))

    def _grid_position(self, src) -> tuple[int, ...]:
        """Where an input cell sits in the grid (the data cell that holds it)."""
        f = self.forward
        return tuple(int(np.flatnonzero((s == i) & (k == DATA))[0])
                     for s, k, i in zip(f.axis_source, f.axis_kind, src))

    def _opening(self) -> list[str]:
        raise NotImplementedError


def fold_targets(trace) -> list[tuple[tuple, list]]:
    """(input cell, the grid positions of the padding cells that copy it), for each input
    cell some padding copies (reflect, replicate, circular), in row-major order."""
    kind = trace.grid_kind
    copies = {}
    for pos in zip(*np.nonzero(kind == PAD_COPY)):
        pos = tuple(int(p) for p in pos)
        copies.setdefault(trace.source(*pos), []).append(pos)
    return sorted(copies.items())


def _renamed(item):
    if isinstance(item, Text):
        for old, new in RENAMES:
            if item.text.startswith(old):
                return item._replace(text=new + item.text[len(old):])
    return item


def _grad_terms(line: str, grid_name: str) -> str:
    """A forward caption in the backward's words: the cell written is a grid gradient."""
    if line.startswith("y["):
        return grid_name + line[1:]
    return line
