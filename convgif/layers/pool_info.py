"""``convgif info`` for adaptive pools: no K, P, S, but a window per output cell."""

from __future__ import annotations

import math

from convgif.layers.windows import adaptive_axis


def adaptive_formulas(spec, spatial, out_spatial) -> list[dict]:
    """Per axis: the output size (output_size, or the input's where None) and its windows
    ``floor(i*n/o)`` to ``ceil((i+1)*n/o)``, their sizes filled in."""
    formulas = []
    for axis, n, o, given in zip(spec.axes, spatial, out_spatial, spec.output_size):
        windows = adaptive_axis(n, o)
        sizes = ", ".join(str(int(s)) for s in windows.size[:8])
        sizes += ", ..." if o > 8 else ""
        source = "output_size" if given is not None else f"{axis}_in (output_size None)"
        formulas.append({
            "axis": axis,
            "formula": f"{axis}_out = {source} = {o}; window i: floor(i*{axis}_in/{axis}_out) "
                       f"to ceil((i+1)*{axis}_in/{axis}_out)",
            "filled": f"{axis}_in = {n}: window sizes {sizes}",
            "size": o,
        })
    return formulas


def adaptive_work(spec, spatial, channels: int, taps: int) -> dict:
    """A pool's work over windows of varying size: ``values`` is the range of their sizes."""
    out = spec.output_spatial(spatial)
    sizes = [adaptive_axis(n, o).size for n, o in zip(spatial, out)]
    low = math.prod(int(s.min()) for s in sizes)
    high = math.prod(int(s.max()) for s in sizes)
    windows = channels * math.prod(out)
    values = str(low) if low == high else f"{low} to {high}"
    work = {"windows": windows, "values": values, "at_most": False}
    if spec.op == "max_pool":
        return {**work, "comparisons": taps - windows}
    return {**work, "additions": taps - windows, "divisions": windows}
