"""The backward pass in words and shapes: which forward operation computes each gradient.

``convgif info --grad`` prints these. Each formula is a call of
``torch.nn.functional`` (batched, channels first; ``w`` the weight in torch's
layout, ``x`` the input, ``∂L/∂y`` the output gradient) that gives the
gradient exactly, with the numbers of this layer on this input filled in:
the input gradient of a convolution is a transposed convolution of ``∂L/∂y``
(with the ``output_padding`` that makes the shapes meet), the weight gradient
a convolution of the input with ``∂L/∂y`` in which stride and dilation swap
roles, the bias gradient a sum.
"""

from __future__ import annotations

import json

from convgif.layers.grad_info_kinds import adaptive_lines, steps_info, unfold_lines
from convgif.layers.windows import adaptive_axis

DY = "∂L/∂y"
MODES = {"reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def _value(values) -> str:
    values = list(values)
    if len(set(values)) == 1:
        return str(values[0])
    return "(" + ", ".join(map(str, values)) + ")"


def _kwargs(**given) -> str:
    """``, stride=2, padding=(1, 0)`` for the arguments that are not their default (1 for
    stride, dilation and groups, 0 for the others)."""
    parts = []
    for name, (values, default) in given.items():
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if any(v != default for v in values):
            parts.append(f"{name}={_value(values)}")
    return "".join(f", {p}" for p in parts)


def _pad_call(tensor: str, pads, mode: str = "zeros") -> str:
    """F.pad's spelling: the last axis first."""
    flat = tuple(p for pair in reversed(pads) for p in pair)
    extra = f", mode={MODES[mode]!r}" if mode in MODES else ""
    return f"pad({tensor}, {flat}{extra})"


def _crop(lengths, wanted, start=None) -> str:
    """``[:, :, 1:8, :7]`` where an axis is longer than wanted (``start``: first cell kept)."""
    start = start or [0] * len(wanted)
    if all(n == w and s == 0 for n, w, s in zip(lengths, wanted, start)):
        return ""
    cuts = [f"{s}:{s + w}" if s else f":{w}" for w, s in zip(wanted, start)]
    return "[:, :, " + ", ".join(cuts) + "]"


def _grouped(spec, lhs: str, expr: str, per_group: str) -> list[str]:
    if spec.groups == 1:
        return [f"{lhs} = {expr}"]
    ci, co = spec.in_channels // spec.groups, spec.out_channels // spec.groups
    return [f"for each group g = 0..{spec.groups - 1}, with ci = {ci}, co = {co}:",
            f"{lhs}[{per_group}] = {expr}"]


def _sliced(spec, tensor: str, part: str) -> str:
    return tensor if spec.groups == 1 else f"{tensor}[:, {part}]"


def _conv_lines(spec, spatial, pads, out) -> list[str]:
    nd, k, s, d = spec.ndim, spec.kernel_size, spec.stride, spec.dilation
    keff = spec.effective_kernel_size
    zeros, symmetric = spec.padding_mode == "zeros", all(b == a for b, a in pads)
    before = [b for b, _ in pads]
    lines, notes = [], []
    if zeros and symmetric:
        op = [n - ((o - 1) * st - 2 * b + ke)
              for n, o, st, b, ke in zip(spatial, out, s, before, keff)]
        kw = _kwargs(stride=(s, 1), padding=(before, 0), output_padding=(op, 0),
                     groups=(spec.groups, 1), dilation=(d, 1))
        lines.append(f"∂L/∂x = conv_transpose{nd}d({DY}, w{kw})")
    else:
        full = [(o - 1) * st + ke for o, st, ke in zip(out, s, keff)]
        target = [n + b + (0 if zeros else a) for n, (b, a) in zip(spatial, pads)]
        op = [max(0, t - f) for t, f in zip(target, full)]
        kw = _kwargs(stride=(s, 1), output_padding=(op, 0), groups=(spec.groups, 1),
                     dilation=(d, 1))
        call = f"conv_transpose{nd}d({DY}, w{kw})"
        if zeros:
            lengths = [f + p for f, p in zip(full, op)]
            lines.append(f"∂L/∂x = {call}{_crop(lengths, spatial, before)}")
        else:
            lines.append(f"∂L/∂x_padded = {call}")
            notes.append(f"  then each padding cell's gradient is added to the input cell it "
                         f"copies ({spec.padding_mode!r}), giving ∂L/∂x")
    if zeros and all(a <= b for b, a in pads):
        xin, pad_kw, padded = "x", before, [n + 2 * b for n, b in zip(spatial, before)]
    else:
        xin, pad_kw = _pad_call("x", pads, spec.padding_mode), [0] * nd
        padded = [n + b + a for n, (b, a) in zip(spatial, pads)]
    lengths = [(p - st * (o - 1) - 1) // dl + 1 for p, st, o, dl in zip(padded, s, out, d)]
    call = (f"conv{nd}d({_sliced(spec, xin, 'g*ci:(g+1)*ci')}.transpose(0, 1), "
            f"{_sliced(spec, DY, 'g*co:(g+1)*co')}.transpose(0, 1)"
            f"{_kwargs(stride=(d, 1), padding=(pad_kw, 0), dilation=(s, 1))})"
            f"{_crop(lengths, k)}.transpose(0, 1)")
    lines += notes + _grouped(spec, "∂L/∂w", call, "g*co:(g+1)*co")
    if any(st > 1 for st in s) or any(dl > 1 for dl in d):
        lines.append("  stride and dilation swap roles: the taps of one weight cell are "
                     "`stride` apart, its windows `dilation` apart")
    return lines


def _transposed_lines(spec, spatial, pads, out) -> list[str]:
    nd, k, s, d = spec.ndim, spec.kernel_size, spec.stride, spec.dilation
    keff = spec.effective_kernel_size
    before = [b for b, _ in pads]
    if all(0 <= a <= b for b, a in pads):
        dyin, pad_kw = DY, before
        padded = [o + 2 * b for o, b in zip(out, before)]
    else:
        dyin, pad_kw = _pad_call(DY, pads), [0] * nd
        padded = [o + b + a for o, (b, a) in zip(out, pads)]
    lengths = [(p - ke) // st + 1 for p, ke, st in zip(padded, keff, s)]
    kw = _kwargs(stride=(s, 1), padding=(pad_kw, 0), dilation=(d, 1), groups=(spec.groups, 1))
    lines = [f"∂L/∂x = conv{nd}d({dyin}, w{kw}){_crop(lengths, spatial)}",
             "  a transposed convolution's input gradient is an ordinary convolution of ∂L/∂y"]
    lengths = [(p - st * (n - 1) - 1) // dl + 1 for p, st, n, dl in zip(padded, s, spatial, d)]
    call = (f"conv{nd}d({_sliced(spec, dyin, 'g*co:(g+1)*co')}.transpose(0, 1), "
            f"{_sliced(spec, 'x', 'g*ci:(g+1)*ci')}.transpose(0, 1)"
            f"{_kwargs(stride=(d, 1), padding=(pad_kw, 0), dilation=(s, 1))})"
            f"{_crop(lengths, k)}.transpose(0, 1)")
    return lines + _grouped(spec, "∂L/∂w", call, "g*ci:(g+1)*ci")


def pool_divisor(spec, spatial, pads, out) -> list:
    """PyTorch's average-pool divisor per output cell, as nested lists."""
    if spec.divisor_override is not None:
        return [[spec.divisor_override]]
    sizes = []
    for n, k, st, (b, a), o in zip(spatial, spec.kernel_size, spec.stride, pads, out):
        start = [i * st - b for i in range(o)]
        end = [min(t + k, n + a) for t in start]
        if spec.count_include_pad:
            sizes.append([e - t for t, e in zip(start, end)])
        else:
            sizes.append([min(e, n) - max(t, 0) for t, e in zip(start, end)])
    return _outer(sizes).tolist()


def _outer(sizes):
    """The product of per-axis sizes, one cell per output position."""
    import numpy as np

    table = np.ones((), dtype=np.int64)
    for axis in sizes:
        table = np.multiply.outer(table, np.array(axis, dtype=np.int64))
    return table


def _flat(values) -> list:
    return [v for row in values for v in _flat(row)] if isinstance(values, list) else [values]


def _pool_lines(spec, spatial, pads, out, channels) -> list[str]:
    nd, k, s, d = spec.ndim, spec.kernel_size, spec.stride, spec.dilation
    before = [b for b, _ in pads]
    kwargs = _kwargs(stride=(s, None), padding=(before, 0), dilation=(d, 1))
    if spec.ceil_mode:
        kwargs += ", ceil_mode=True"
    if spec.op == "max_pool" and any(b != a for b, a in pads):
        return _asymmetric_max_lines(spec, spatial, pads)
    if spec.op == "max_pool":
        return [
            f"∂L/∂x = torch.zeros_like(x).flatten(2).scatter_add(2, i.flatten(2), "
            f"{DY}.flatten(2)).view_as(x)",
            f"where i = max_pool{nd}d(x, {_value(k)}{kwargs}, return_indices=True)[1]",
            "  each window's gradient goes to its maximum (the first in row-major order when "
            "several tie, as PyTorch picks it); a cell that is the maximum of several windows "
            "adds them up"]
    d_text = _divisor_text(pool_divisor(spec, spatial, pads, out))
    full = [(o - 1) * st + kk - 2 * b for o, st, kk, b in zip(out, s, k, before)]
    op = [max(0, n - f) for n, f in zip(spatial, full)]
    lengths = [f + p for f, p in zip(full, op)]
    ones = f"torch.ones({channels}, 1, {', '.join(map(str, k))}, dtype=torch.float64)"
    call = (f"conv_transpose{nd}d({DY} / d, {ones}"
            f"{_kwargs(stride=(s, 1), padding=(before, 0), output_padding=(op, 0))}, "
            f"groups={channels}){_crop(lengths, spatial)}")
    return [f"∂L/∂x = {call}", f"where d = {d_text}",
            "  each output gradient, divided by its window's divisor d, is spread over the "
            "window's input cells (padding cells keep none)"]


def _divisor_text(divisor) -> str:
    values = _flat(divisor)
    if len(set(values)) == 1:
        return str(values[0])
    if len(values) <= 64:
        return f"torch.tensor({divisor}, dtype=torch.float64)"
    return "(the divisor of each window; too many to list)"


def _asymmetric_max_lines(spec, spatial, pads) -> list[str]:
    """A max pool padded more on one side (TensorFlow's 'same'): torch's pools pad both sides
    alike, so the input is padded with −inf first and the gradient cropped back."""
    nd, k, s = spec.ndim, spec.kernel_size, spec.stride
    flat = tuple(p for pair in reversed(pads) for p in pair)
    padded = [n + b + a for n, (b, a) in zip(spatial, pads)]
    crop = _crop(padded, spatial, [b for b, _ in pads])
    return [
        f"∂L/∂x = torch.zeros_like(xp).flatten(2).scatter_add(2, i.flatten(2), "
        f"{DY}.flatten(2)).view_as(xp){crop}",
        f"where xp = pad(x, {flat}, value=float('-inf'))",
        f"where i = max_pool{nd}d(xp, {_value(k)}{_kwargs(stride=(s, None))}, "
        "return_indices=True)[1]",
        "  the input padded with −inf as TensorFlow's 'same' pads it (more after than "
        "before); each window's gradient goes to its maximum, the first in row-major order "
        "when several tie; the padding's share is cropped off (it holds none)"]


def describe_grads(layer, input_shape) -> dict:
    """The gradients' shapes and the forward operations that compute them, as plain data."""
    if getattr(layer, "steps", None):
        return steps_info(layer, input_shape, describe_grads)
    spec = layer.spec
    output_shape = layer.output_shape(input_shape)
    batched, channels, spatial = layer.split_shape(input_shape)
    pads, out = spec.pads(spatial), spec.output_spatial(spatial)
    learns = not spec.pooling and spec.name != "Unfold"  # Unfold's one-hot kernels are fixed
    if spec.adaptive:
        sizes = [adaptive_axis(n, o).size for n, o in zip(spatial, out)]
        lines = adaptive_lines(spec, spatial, out, _divisor_text(_outer(sizes).tolist()))
    elif spec.name == "Unfold":
        lines = unfold_lines(spec, spatial)
    elif spec.pooling:
        lines = _pool_lines(spec, spatial, pads, out, channels)
    elif spec.transposed:
        lines = _transposed_lines(spec, spatial, pads, out)
    else:
        lines = _conv_lines(spec, spatial, pads, out)
    if spec.bias and learns:
        axes = (0, *range(2, 2 + spec.ndim))
        lines += [f"∂L/∂b = {DY}.sum({axes})", "  summed over N and the spatial axes"]
    shapes = {"∂L/∂y": list(output_shape), "∂L/∂x": list(input_shape)}
    if spec.weight_shape and learns:
        shapes["∂L/∂w"] = list(spec.weight_shape)
        if spec.bias:
            shapes["∂L/∂b"] = [spec.out_channels]
    notes = []
    if spec.channels_last:
        notes.append("Keras layer: the formulas are in PyTorch's layout (channels first, w as "
                     "convgif holds it); the gradients come back in the layer's own layout")
    if not spec.keepdims:
        notes.append("∂L/∂y keeps its spatial axes in the formulas: (N, C, 1, 1)")
    if spec.name == "Unfold":
        notes.append("∂L/∂y is Unfold's (N, C·kh·kw, L), as torch returns it")
    if not batched:
        notes.append("the formulas are batched: give x and ∂L/∂y a leading N = 1")
    return {"shapes": shapes, "formulas": lines, "notes": notes}


def format_grads(info: dict) -> str:
    shapes = ", ".join(f"{name} {tuple(shape)}" for name, shape in info["shapes"].items())
    lines = ["Backward pass", f"  shapes: {shapes}",
             "  as forward operations (torch.nn.functional; batched, channels first):"]
    lines += [f"    {line}" for line in info["formulas"]]
    lines += [f"  {note}" for note in info["notes"]]
    return "\n".join(lines)


def to_json(info: dict) -> str:
    return json.dumps(info, indent=2, ensure_ascii=False)
