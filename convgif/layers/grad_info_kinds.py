"""``info --grad`` for the kinds whose backward pass is not a (transposed) convolution of
the usual form: adaptive pools, Unfold, and layers run in steps (SeparableConv2D).

- An adaptive max pool routes as a max pool does, through the indices
  ``adaptive_max_poolNd`` returns.
- An adaptive average pool's windows vary in size, so no one kernel spreads its
  gradient; per axis a 0/1 matrix ``A`` says which input cells each window holds
  (``floor(o·n/out)`` to ``ceil((o+1)·n/out)``), and ``∂L/∂x`` is ``∂L/∂y / d``
  multiplied by those matrices (an ``einsum``). Past ``MAX_LISTED`` entries the
  matrices are described in words instead.
- Unfold's input gradient is ``fold``, its adjoint: every column entry's gradient is
  added back onto the input cell it copied. Unfold has no weights.
- A layer in steps gets each step's formulas, from the last step back to the first,
  the middle tensor named ``m``.
"""

from __future__ import annotations

import re

from convgif.layers.windows import adaptive_axis

DY = "∂L/∂y"
MAX_LISTED = 256  # matrix entries printed in full
AXES = "hwd"


def _listed(value) -> str:
    return str(value[0]) if len(set(value)) == 1 else str(tuple(value))


def adaptive_lines(spec, spatial, out, divisor_text) -> list[str]:
    """The formulas of an adaptive pool's input gradient."""
    nd = spec.ndim
    size = _listed(out)
    if spec.op == "max_pool":
        return [
            f"∂L/∂x = torch.zeros_like(x).flatten(2).scatter_add(2, i.flatten(2), "
            f"{DY}.flatten(2)).view_as(x)",
            f"where i = adaptive_max_pool{nd}d(x, {size}, return_indices=True)[1]",
            "  each window's gradient goes to its maximum (the first in row-major order when "
            "several tie); windows of varying size, floor(o·n/out) to ceil((o+1)·n/out)"]
    small, big = AXES[:nd], AXES[:nd].upper()
    spec_text = f"nc{small}," + ",".join(f"{a}{b}" for a, b in zip(small, big)) + f"->nc{big}"
    names = [f"A{a}" for a in small]
    lines = [f"∂L/∂x = torch.einsum('{spec_text}', {DY} / d, {', '.join(names)})",
             f"where d = {divisor_text}"]
    listed = sum(n * o for n, o in zip(spatial, out)) <= MAX_LISTED
    for name, n, o in zip(names, spatial, out):
        windows = adaptive_axis(n, o)
        rows = [[int(s <= i < s + z) for i in range(n)]
                for s, z in zip(windows.start.tolist(), windows.size.tolist())]
        if listed:
            lines.append(f"where {name} = torch.tensor({rows}, dtype=torch.float64)")
    if not listed:
        lines.append("  where each A (out × n, one per axis) holds 1 where input cell i lies in "
                     "window o, floor(o·n/out) ≤ i < ceil((o+1)·n/out)")
    lines.append("  each output gradient, divided by its window's size d, is spread over the "
                 "window's cells; windows vary in size and may share cells")
    return lines


def unfold_lines(spec, spatial) -> list[str]:
    """Unfold's input gradient: ``fold`` of the column gradients."""
    kw = []
    for name, values, default in (("dilation", spec.dilation, 1),
                                  ("padding", [p for p, _ in spec.padding], 0),
                                  ("stride", spec.stride, 1)):
        if any(v != default for v in values):
            kw.append(f", {name}={_listed(list(values))}")
    return [f"∂L/∂x = fold({DY}, {tuple(spatial)}, {_listed(list(spec.kernel_size))}"
            f"{''.join(kw)})",
            "  fold is Unfold's adjoint: each column entry's gradient is added back onto the "
            "input cell it copied (padding cells keep none); Unfold has no weights, so no "
            "∂L/∂w or ∂L/∂b"]


def rename(line: str, names: dict) -> str:
    """``line`` with whole names replaced (``x`` → ``m``; ``∂L/∂x`` follows)."""
    for old, new in names.items():
        line = re.sub(rf"(?<![\w]){re.escape(old)}(?![\w])", new, line)
    return line


def steps_info(layer, input_shape, describe) -> dict:
    """The gradients of a layer run in steps: ``describe`` (``describe_grads``) per step,
    last step first, with ``m`` the tensor between them and each step's weight named."""
    first, second = layer.steps
    middle = first.output_shape(input_shape)
    a, b = layer.step_names
    lines = []
    shapes = {"∂L/∂y": list(layer.output_shape(input_shape)), "∂L/∂m": list(middle),
              "∂L/∂x": list(input_shape)}
    for step, name, shape, names in (
        (second, b, middle, {"x": "m", "w": f"w_{b}", "∂L/∂x": "∂L/∂m", "∂L/∂w": f"∂L/∂w_{b}"}),
        (first, a, input_shape, {"w": f"w_{a}", DY: "∂L/∂m", "∂L/∂w": f"∂L/∂w_{a}"}),
    ):
        info = describe(step, shape)
        lines.append(f"step {name} ({'m → y' if step is second else 'x → m'}):")
        lines += [rename(line, names) for line in info["formulas"]]
        for key, value in info["shapes"].items():
            if key in ("∂L/∂w", "∂L/∂b"):
                shapes[rename(key, names)] = value
    notes = [f"{type(layer).__name__} runs in 2 steps, x → m ({a}) → y ({b}); the chain rule "
             f"goes back through {b}, then {a}",
             *describe(first, input_shape)["notes"]]
    return {"shapes": shapes, "formulas": lines, "notes": notes}
