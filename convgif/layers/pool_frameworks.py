"""The pools' lines for ``convgif info``: a Keras pool in PyTorch, an adaptive pool in Keras.

Same contract as ``convgif.layers.frameworks``: (code, note), code None when no
exact equivalent exists, the note saying why.
"""

from __future__ import annotations

from convgif.layers.windows import adaptive_axis

_FMT = "data_format='channels_first'"  # torch's layout, as Keras names it
_PERMUTED = "input permuted to channels first"


def _v(values) -> str:
    values = tuple(values)
    return str(values[0]) if len(set(values)) == 1 else str(values)


def torch_pool_line(spec, spatial) -> tuple[str | None, str]:
    """A Keras pool (or global pool) as torch.nn writes it."""
    nd = spec.ndim
    note = _PERMUTED if spec.channels_last else ""
    if spec.adaptive:  # GlobalAveragePooling2D
        pool = f"torch.nn.AdaptiveAvgPool{nd}d(1)"
        if spec.keepdims:
            return pool, note
        return f"torch.nn.Sequential({pool}, torch.nn.Flatten())", note
    kind = "MaxPool" if spec.op == "max_pool" else "AvgPool"
    args = f"kernel_size={_v(spec.kernel_size)}, stride={_v(spec.stride)}"
    pads = spec.pads(spatial)
    if not any(p for pair in pads for p in pair):
        return f"torch.nn.{kind}{nd}d({args})", note
    befores = [b for b, _ in pads]
    symmetric = all(b == a for b, a in pads)
    fits = all(b <= k // 2 for b, k in zip(befores, spec.kernel_size))  # torch's limit
    extra = "" if spec.op == "max_pool" else ", count_include_pad=False"
    if symmetric and fits:
        return f"torch.nn.{kind}{nd}d({args}, padding={_v(befores)}{extra})", note
    if spec.op == "max_pool":  # padding a max leaves out: −inf
        flat = tuple(p for pair in reversed(pads) for p in pair)
        return (
            f"torch.nn.Sequential(torch.nn.ConstantPad{nd}d({flat}, float('-inf')), "
            f"torch.nn.{kind}{nd}d({args}))",
            "TensorFlow's 'same' pads unevenly here; -inf padding never wins a max"
            + (f" ({_PERMUTED})" if note else ""),
        )
    return None, (
        f"no exact torch.nn equivalent: TensorFlow's 'same' pads {tuple(pads)} unevenly and "
        "leaves the padding out of each average; torch's AvgPool pads evenly"
    )


def keras_adaptive_line(spec, spatial) -> tuple[str | None, str]:
    """A torch adaptive pool in Keras: a global pool when the output is one cell, a plain
    pool when every window has the same size and stride, else none."""
    nd, kind = spec.ndim, ("Max" if spec.op == "max_pool" else "Average")
    out = spec.output_spatial(spatial)
    if all(o == 1 for o in out):
        return f"keras.layers.Global{kind}Pooling{nd}D({_FMT}, keepdims=True)", ""
    axes = [adaptive_axis(n, o) for n, o in zip(spatial, out)]
    if all(n % o == 0 for n, o in zip(spatial, out)):  # equal windows, side by side
        pool = tuple(int(a.size[0]) for a in axes)
        return f"keras.layers.{kind}Pooling{nd}D(pool_size={_v(pool)}, {_FMT})", ""
    uneven = [
        f"{axis}: {n} cells in {o} windows of " + " to ".join(
            str(v) for v in sorted({int(a.size.min()), int(a.size.max())}))
        for axis, n, o, a in zip(spec.axes, spatial, out, axes) if n % o
    ]
    return None, (
        "no Keras equivalent: Keras has no adaptive pooling, and these windows do not tile "
        f"the input evenly ({'; '.join(uneven)})"
    )
