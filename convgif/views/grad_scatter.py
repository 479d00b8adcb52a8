"""∂L/∂x in the scatter view: each ∂L/∂y cell stamps ``grad × kernel`` back onto the grid.

The stamps are the GradTrace's input records in their own order (the forward
pass's): each output-gradient cell sends ``∂L/∂y[o] · w[k]`` to the grid cell
its tap read, and overlapping stamps add up. A pool stamps its routing: a
max pool's gradient goes to its window's maximum (the first, when several tie,
as PyTorch picks it), an average's ``grad / divisor`` to every cell it counted.
Padding cells fold back afterwards (``grad_input``).
"""

from __future__ import annotations

from convgif.simulate.grad_transposed import scatter_records
from convgif.views.equation import plural
from convgif.views.grad_input import DX, DY, InputGradient
from convgif.views.scatter import ScatterPicture
from convgif.views.terms import index_text
from convgif.views.text import fmt


class InputGradScatter(InputGradient, ScatterPicture):
    """∂L/∂x stamped: one ∂L/∂y cell onto one grid channel a frame."""

    def __init__(self, gt, options):
        self._all_records = scatter_records(gt)  # checked for size before anything is laid out
        self._stamping = None
        super().__init__(gt, options)

    def _records(self, start: int, stop: int):
        return self._all_records[start:stop]

    @property
    def pool(self) -> str | None:
        op = self.forward.spec.op
        return op if op in ("max_pool", "avg_pool") else None

    def _kernel_name(self, oc: int, icl: int) -> str:
        if self.pool:
            return f"share[{oc}]"
        name = super()._kernel_name(oc, icl)  # w[out, in]: the forward layer's indices
        return name.replace("w[", "w\u2032[", 1) if self.forward.spec.transposed else name

    def _row_name(self, oc: int) -> str:
        return "share" if self.pool else super()._row_name(oc)

    def _kernel_value(self, oc: int, icl: int, pos):
        """A pool's share of each window cell is the stamp's own (none at rest)."""
        if not self.pool:
            return super()._kernel_value(oc, icl, pos)
        stamp = self._stamping
        if stamp is None:
            return None
        for m in self._records(stamp.start, stamp.stop):
            if tuple(int(m[k]) for k in self.trace.kernel_fields) == tuple(pos):
                return float(m["w"])
        return None

    def _stamp(self, stamp, sums, outside) -> list:
        self._stamping = stamp
        try:
            return super()._stamp(stamp, sums, outside)
        finally:
            self._stamping = None

    def _stamp_caption(self, stamp) -> list[str]:
        if not self.pool:
            lines = super()._stamp_caption(stamp)
            head = lines[0].replace("x[", f"{DY}[", 1).replace(" onto y[",
                                                                f" onto {self.grid_name}[", 1)
            return [head, *lines[1:]]
        f = self.forward
        where = index_text(f.spec, stamp.in_channel, stamp.position)
        recs = self._records(stamp.start, stamp.stop)
        g = float(recs["x"][0])
        fields = self.trace.output_fields
        if self.pool == "max_pool":
            win = recs[recs["w"] == 1][0]
            pos = tuple(int(win[k]) for k in fields)
            window = f.grid[(stamp.n, stamp.in_channel)][tuple(
                recs[k] for k in fields)]  # the forward input under the window
            value = f.grid[(stamp.n, stamp.in_channel, *pos)]
            ties = int((window == value).sum())
            rest = (f"x = {fmt(value)} is there {ties} times: the first, row by row, takes it, "
                    "as in PyTorch" if ties > 1 else
                    f"the other {plural(len(recs) - 1, 'cell')} of the window get 0")
            return [f"{DY}[{where}] = {fmt(g)} goes to {self.grid_name}"
                    f"[{index_text(f.spec, stamp.in_channel, pos)}], where its window's maximum "
                    f"x = {fmt(value)} sat in the forward pass;", f"{rest}; overlaps add up."]
        divisor = float(f.divisor[tuple(stamp.position)])
        return [f"{DY}[{where}] = {fmt(g)} spreads over its window: each cell gets "
                f"{fmt(g)} / {fmt(divisor)} = {fmt(float(recs['product'][0]))}",
                f"(the average divided by {fmt(divisor)}); padding's share is dropped; "
                "overlaps add up."]

    def _opening(self) -> list[str]:
        if self.pool == "max_pool":
            return [f"Scatter view: each {DY} cell sends its gradient to the maximum of its "
                    "window; the other cells get nothing.", f"Overlaps add up into {DX}."]
        if self.pool == "avg_pool":
            return [f"Scatter view: each {DY} cell spreads gradient / divisor over the cells "
                    "its average counted.", f"Overlaps add up into {DX}."]
        return [f"Scatter view: each {DY} cell stamps gradient \u00d7 kernel back onto the "
                f"grid the window read; overlaps add up into {self.grid_name}."]
