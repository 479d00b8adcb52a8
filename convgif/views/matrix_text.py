"""What the matrix view writes: its block header, its legend and its captions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from convgif.views.chrome import shape_text
from convgif.views.equation import shorten
from convgif.views.terms import as_given, index_text
from convgif.views.text import fmt, term, widest

PADDING_NOTE = {
    "zeros": "taps on zero padding drop out",
    "reflect": "taps on padding add their weight to the cell they copy",
    "replicate": "taps on padding add their weight to the cell they copy",
    "circular": "taps on padding add their weight to the cell they copy",
}


@dataclass(frozen=True, eq=False)
class MatrixText:
    """The texts of one trace's matrix view: ``cm`` its ConvMatrix, ``forward`` the
    forward convolution whose C a transposed layer's Cᵀ transposes (None if none)."""

    trace: object
    cm: object
    forward: object = None

    @property
    def name(self) -> str:
        return "C\u1d40" if self.trace.spec.transposed else "C"

    def header(self) -> str:
        _, cols = self.cm.shape
        note = "" if self.trace.batch == 1 else f"  (sample 0 of {self.trace.batch})"
        spec = self.trace.spec
        # C's columns run channel by channel (x[0] first), whatever the layout the user
        # gave x in: a channels-last x is not flattened in its own memory order
        order = " channel by channel" if spec.channels_last else ""
        return (
            f"x {shape_text(as_given(spec, self.cm.in_shape))} flattened{order} to {cols} "
            f"values, drawn above the columns of {self.name} it multiplies{note}"
        )

    def equation(self) -> str:
        rows, cols = self.cm.shape
        plus_b = " + b" if self.trace.spec.bias else ""
        return f"y = {self.name}\u00b7x{plus_b}, {self.name} is {rows} \u00d7 {cols}"

    def legend(self) -> list[tuple[str, str]]:
        entries = [("input", "x"), ("weight", f"entry of {self.name}")]
        if (self.cm.count > 1).any():
            entries.append(("pad_copy", "weights added (padding copies)"))
        entries += [
            ("paper", "0"),
            ("tap", "x entries in use"),
            ("kernel_active", "row in use"),
        ]
        if self.trace.spec.bias:
            entries.append(("bias", "b"))
        entries += [("output", "y"), ("output_active", "being written")]
        return entries

    def opening(self) -> list[str]:
        rows, cols = self.cm.shape
        each_row = "Each row of C\u1d40 is one output cell; blank entries are zeros."
        if self.trace.spec.transposed and self.forward is None:
            return [f"{self.equation()}: the transpose of C ({cols} \u00d7 {rows}).", each_row]
        if self.forward is not None:
            return [
                f"{self.equation()}: the transpose of C ({cols} \u00d7 {rows}), "
                f"the matrix of {self.forward.text} on "
                f"{shape_text(as_given(self.trace.spec, self.cm.out_shape))}.",
                each_row,
            ]
        extra = PADDING_NOTE[self.trace.spec.padding_mode]
        if self.trace.spec.op == "avg_pool":
            extra = "each tap weighs 1/divisor"
        return [
            f"{self.equation()}: row r holds the kernel's weights in the columns of "
            "the input cells its window covers for output cell r.",
            f"Blank entries are zeros; {extra}.",
        ]

    def closing(self, rows: int) -> list[str]:
        t, cm = self.trace, self.cm
        return [
            f"Done: {rows} rows of {self.name} times x"
            + (" plus b" if t.spec.bias else "")
            + f" gave y, the layer's output {shape_text(t.output.shape)} flattened.",
            f"{int((cm.count > 0).sum()):,} of {cm.matrix.size:,} entries of {self.name} hold "
            f"a weight; the other {int((cm.count == 0).sum()):,} are zeros.",
        ]

    def row(self, row: int, out_position) -> str:
        """The equation of row ``row`` of C, the output cell at ``out_position``."""
        t, cm = self.trace, self.cm
        flat_x = t.x[0].reshape(-1)
        cols = np.flatnonzero(cm.count[row])
        terms = shorten([f"{term(cm.matrix[row, c])}\u00b7{term(flat_x[c])}" for c in cols])
        body = " + ".join(terms) if terms else "0"
        if t.spec.bias:
            body += f" + {term(cm.bias[row])}"
        index = index_text(t.spec, out_position[0], out_position[1:])
        where = f"row {row} of {self.name}"
        if self.forward is not None:
            where += f" (column {row} of C)"
        return f"{where}: y[{index}] = {body} = {fmt(t.y[0].reshape(-1)[row])}"

    def widest_value(self) -> str:
        """The widest value a cell writes (of a spread sample when many)."""
        t, cm = self.trace, self.cm
        arrays = [cm.matrix[cm.count > 0], t.x[0], t.y[0], t.bias]
        values = np.unique(np.concatenate([a.ravel() for a in arrays]))
        if len(values) > 4096:
            values = values[np.linspace(0, len(values) - 1, 4096).astype(int)]
        return widest(fmt(v) for v in values)
