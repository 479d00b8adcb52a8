"""∂L/∂x in the gather view: a transposed convolution of ∂L/∂y, one grid cell a frame.

∂L/∂y with S − 1 zeros inserted between its cells and D·(K − 1) cells of zero
padding around it is correlated with the kernel rotated 180°; each frame fills
one cell of the gradient of the (padded) grid the forward window swept, its
window on ∂L/∂y lit, the rotated kernel cells in use lit, the caption its
running equation. Padding cells fold back afterwards (``grad_input``).
"""

from __future__ import annotations

from convgif.views.gather import GatherPicture
from convgif.views.grad_input import DY, InputGradient


class InputGradGather(InputGradient, GatherPicture):
    """∂L/∂x of a convolution (or transposed convolution), gathered cell by cell."""

    def _kernel_name(self, oc: int, icl: int) -> str:
        """The forward layer's name of the kernel: derived (grid channel, ∂L/∂y channel of
        the group) -> w[out, in] rotated (w′), or, for a transposed layer, its own w."""
        t, f = self.trace, self.forward
        o = (oc // t.out_per_group) * t.in_per_group + icl  # the forward output channel
        i = oc % t.out_per_group  # the forward input channel, within its group
        if f.spec.transposed:  # the gather kernel rotated back: the layer's own weight
            group = o // f.out_per_group
            return f"w[{group * f.in_per_group + i}, {o % f.out_per_group}]"
        return f"w\u2032[{o}, {i}]"

    def _row_name(self, oc: int) -> str:
        """A row of kernels shares its grid channel: the forward input channel."""
        name, t = self._kernel_name(oc, 0), self.trace
        if self.forward.spec.transposed:  # w[in, out]: the row is one input channel
            return name.split(",")[0] + ", :]"
        g = oc // t.out_per_group  # the forward outputs of the row's group
        outs = ":" if t.groups == 1 else f"{g * t.in_per_group}:{(g + 1) * t.in_per_group}"
        return f"w\u2032[{outs}, " + name.split(", ")[1]

    def _opening(self) -> list[str]:
        f = self.forward
        zeros = (f"with {', '.join(str(s - 1) for s in f.stride)} zeros inserted between cells, "
                 if any(s > 1 for s in f.stride) else "")
        kernel = ("its own weights" if f.spec.transposed else
                  "the kernels rotated 180\u00b0 (w\u2032)")
        return [f"Gather view: {DY} {zeros}padded by D\u00b7(K\u22121), is correlated with "
                f"{kernel};",
                f"each frame fills one cell of {self.grid_name}: a transposed convolution."]
