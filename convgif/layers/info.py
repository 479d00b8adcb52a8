"""The shape arithmetic of a layer, with every formula filled in with the numbers."""

from __future__ import annotations

import json
import math

from convgif.layers.keywords import not_drawn_info, not_drawn_text
from convgif.layers.pool_info import adaptive_formulas, adaptive_work
from convgif.layers.terms import keras_kernel_axes, keras_kernel_shape


def _axis_formula(spec, axis: str, n: int, k: int, s: int, d: int, pb: int, pa: int, out: int):
    pad = f"2*{pb}" if pb == pa else f"{pb} + {pa}"
    if spec.transposed:
        if spec.output_padding is not None and not spec.keras:
            op = spec.output_padding[spec.axes.index(axis)]
            general = f"{axis}_out = ({axis}_in - 1)*S - 2*P + D*(K-1) + OP + 1"
            filled = f"({n} - 1)*{s} - 2*{pb} + {d}*({k}-1) + {op} + 1 = {out}"
        else:
            general = f"{axis}_out = ({axis}_in - 1)*S - P_before - P_after + D*(K-1) + 1"
            filled = f"({n} - 1)*{s} - {pb} - {pa} + {d}*({k}-1) + 1 = {out}"
        return general, filled
    rounding = "ceil" if spec.ceil_mode else "floor"
    general = f"{axis}_out = {rounding}(({axis}_in + {'2*P' if pb == pa else 'P_before + P_after'}"
    general += " - D*(K-1) - 1) / S) + 1"
    filled = f"{rounding}(({n} + {pad} - {d}*({k}-1) - 1) / {s}) + 1 = {out}"
    return general, filled


def _keras_kernel(spec) -> dict | None:
    if not (spec.keras and spec.weight_shape):
        return None
    return {"shape": list(keras_kernel_shape(spec.weight_shape, spec)),
            "axes": list(keras_kernel_axes(spec))}


def _tuple_text(values) -> str:
    """``(2,)`` and ``(kh, kw, in, filters)``: a tuple as Python writes it, names unquoted."""
    values = [str(v) for v in values]
    return "(" + ", ".join(values) + ("," if len(values) == 1 else "") + ")"


def _parameter_lines(info: dict) -> list[str]:
    """The parameter count; for a Keras layer in Keras' words: its kernel in the order
    Keras stores it, what each axis counts, and the bias per filter."""
    p, kernel = info["parameters"], info["keras_kernel"]
    if kernel is None:
        return [f"  parameters {p['total']:,} = weight {tuple(info['weight_shape'])} "
                f"{p['weight']:,}" + (f" + bias {p['bias']:,}" if p["bias"] else "")]
    line = f"  parameters {p['total']:,} = kernel {_tuple_text(kernel['shape'])} {p['weight']:,}"
    if p["bias"]:  # one bias per filter
        line += f" + bias {_tuple_text([p['bias']])} {p['bias']:,}"
    else:
        line += " (use_bias=False)"
    axes = f"  kernel axes {_tuple_text(kernel['axes'])}"
    bias_axis = "in*depth_multiplier" if "depth_multiplier" in kernel["axes"] else "filters"
    return [line, axes + (f", bias ({bias_axis},)" if p["bias"] else "")]


def describe(layer, input_shape) -> dict:
    """Everything ``convgif info`` reports, as plain data."""
    if getattr(layer, "steps", None) is not None:
        return _describe_steps(layer, input_shape)
    output_shape = layer.output_shape(input_shape)  # builds a Keras layer for this input
    spec = layer.spec
    batched, channels, spatial = layer.split_shape(input_shape)
    pads = spec.pads(spatial)
    out_spatial = spec.output_spatial(spatial)
    formulas = []
    for axis, n, k, s, d, (pb, pa), o in zip(
        spec.axes, spatial, spec.kernel_size, spec.stride, spec.dilation, pads, out_spatial
    ):
        general, filled = _axis_formula(spec, axis, n, k, s, d, pb, pa, o)
        formulas.append({"axis": axis, "formula": general, "filled": filled, "size": o})
    if spec.adaptive:  # no K, P, S: a window per output cell
        formulas = adaptive_formulas(spec, spatial, out_spatial)
    # a layer that learns nothing (Unfold: one-hot kernels that copy cells) has no parameters
    weight_shape = spec.weight_shape if layer.param_count else None
    weight_count = math.prod(weight_shape) if weight_shape else 0
    bias_count = spec.out_channels if (spec.bias and weight_shape) else 0
    info = {
        "layer": repr(layer),
        "input_shape": list(input_shape),
        "output_shape": list(output_shape),
        "kernel_size": list(spec.kernel_size),
        "effective_kernel_size": list(spec.effective_kernel_size),
        "stride": list(spec.stride),
        "dilation": list(spec.dilation),
        "groups": spec.groups,
        # Transposed PyTorch layers: P as the user wrote it; output_padding is listed apart.
        "padding": [[b, b] if spec.transposed and not spec.keras else [b, a] for b, a in pads],
        "padding_mode": spec.padding_mode,
        "output_padding": list(spec.output_padding) if spec.output_padding else None,
        "formulas": formulas,
        "weight_shape": list(weight_shape) if weight_shape else None,
        # A Keras layer's weight as Keras stores it (weight_shape keeps PyTorch's order)
        "keras_kernel": _keras_kernel(spec),
        "work": getattr(layer, "work_name", "MACs"),
        "keras_padding": getattr(layer, "padding_given", None) if spec.keras else None,
        "parameters": {"weight": weight_count, "bias": bias_count, "total": layer.param_count},
        "macs": layer.mac_count(input_shape),
        "pooling": _pool_work(spec, layer.mac_count(input_shape), pads) if spec.pooling else None,
        "adaptive": spec.adaptive,
        # keywords given that convgif accepts and does not draw (device=, name=, activation=)
        "not_drawn": not_drawn_info(spec.name, getattr(layer, "not_drawn", {})),
    }
    if spec.adaptive:  # the batch's windows: channels of every sample
        samples = info["macs"] // spec.mac_count(spatial, channels)
        info["pooling"] = adaptive_work(spec, spatial, channels * samples, info["macs"])
    return info


def _describe_steps(layer, input_shape) -> dict:
    """A layer made of steps (``SeparableConv2D``): each step on the input it receives."""
    steps, shape = [], tuple(input_shape)
    for step in layer.steps:
        steps.append(describe(step, shape))
        shape = step.output_shape(shape)
    return {
        "layer": repr(layer),
        "input_shape": list(input_shape),
        "output_shape": list(shape),
        "steps": steps,
        "parameters": {"total": sum(s["parameters"]["total"] for s in steps)},
        "macs": sum(s["macs"] for s in steps),
    }


def _steps_text(info: dict) -> str:
    lines = [info["layer"], f"  input shape   {tuple(info['input_shape'])}",
             f"  output shape  {tuple(info['output_shape'])}"]
    for n, step in enumerate(info["steps"], 1):
        body = format_text(step).splitlines()
        lines += ["", f"  step {n} of {len(info['steps'])}: {body[0]}"]
        lines += ["  " + line if line else "" for line in body[1:]]
    lines += ["", f"  parameters {info['parameters']['total']:,} in all, "
                  f"MACs {info['macs']:,} in all"]
    return "\n".join(lines)


def _pool_work(spec, taps: int, pads) -> dict:
    """A pool's work in its own terms: a max over k values is k − 1 comparisons; an average
    is a sum of k values (k − 1 additions) and one division. ``at_most``: windows on
    padding the pool leaves out, or past the input (ceil_mode), take fewer values."""
    k = math.prod(spec.kernel_size)
    windows = taps // k
    padded = any(b or a for b, a in pads)
    if spec.op == "max_pool":
        return {"windows": windows, "values": k, "comparisons": windows * (k - 1),
                "at_most": padded or spec.ceil_mode}
    return {"windows": windows, "values": k, "additions": windows * (k - 1),
            "divisions": windows,
            "at_most": spec.ceil_mode or (padded and not spec.count_include_pad)}


def _pool_text(work: dict) -> str:
    at_most = "at most " if work["at_most"] else ""
    k, windows = work["values"], work["windows"]
    if isinstance(k, str):  # adaptive windows: "2 to 3" values each
        done = (f"comparisons {work['comparisons']:,}: a max" if "comparisons" in work else
                f"additions {work['additions']:,} and divisions {work['divisions']:,}: a sum")
        return f"  {done} of {k} values in each of {windows:,} windows (one per output cell)"
    if "comparisons" in work:
        return (f"  comparisons {at_most}{work['comparisons']:,}: a max over {at_most}{k} values "
                f"({at_most}{k - 1} comparisons) in each of {windows:,} windows")
    return (f"  additions {at_most}{work['additions']:,} and divisions {work['divisions']:,}: "
            f"a sum of {at_most}{k} values and one division in each of {windows:,} windows")


def format_text(info: dict) -> str:
    """The report a person reads."""
    if "steps" in info:
        return _steps_text(info)
    axes_pad = ", ".join(f"({b}, {a})" for b, a in info["padding"])
    lines = [
        info["layer"],
        f"  input shape   {tuple(info['input_shape'])}",
        f"  output shape  {tuple(info['output_shape'])}",
        "",
    ]
    for f in info["formulas"]:
        lines.append(f"  {f['formula']}")
        lines.append(f"  {' ' * (len(f['axis']) + 4)}= {f['filled']}")
    # Keras' words: its weight is the "kernel", so the window's size is "kernel_size"
    keras = info["keras_padding"] is not None
    size = "kernel_size" if keras else "kernel"
    padding = f"padding {info['keras_padding']!r}," if keras else "padding"
    lines += [""] if info.get("adaptive") else [
        "",
        f"  {size} {tuple(info['kernel_size'])}, effective "
        f"{tuple(info['effective_kernel_size'])} = D*(K-1)+1",
        f"  {padding} (before, after) per axis: {axes_pad}"
        + (f", mode {info['padding_mode']!r}" if info["padding_mode"] != "zeros" else ""),
    ]
    if info["output_padding"]:
        lines.append(f"  {'output_padding' if keras else 'output padding'} "
                     f"{tuple(info['output_padding'])}")
    if info["weight_shape"]:
        lines += _parameter_lines(info)
    else:
        lines.append("  parameters 0")
    if info.get("pooling"):  # a pool multiplies nothing
        lines.append(_pool_text(info["pooling"]))
    else:
        lines.append(f"  {info.get('work', 'MACs')} {info['macs']:,}")
    lines += not_drawn_text(info.get("not_drawn", []))
    return "\n".join(lines)


def to_json(info: dict) -> str:
    return json.dumps(info, indent=2)
