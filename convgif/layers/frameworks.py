"""The same layer written for PyTorch and for Keras, as ``convgif info`` prints it.

Each function returns one line of code (or a short ``Sequential`` when a
padding or crop layer must come first) and, when no exact equivalent exists,
``None`` with the reason. Exact means: same output for the same input,
weights and bias (with the input in the framework's own layout).
"""

from __future__ import annotations

from convgif.layers.pool_frameworks import keras_adaptive_line, torch_pool_line
from convgif.layers.spec import tf_same_pads


def _v(values) -> str:
    """(3, 3) -> 3 ; (5, 2) -> (5, 2)."""
    values = tuple(values)
    return str(values[0]) if len(set(values)) == 1 else str(values)


def _spatial(layer, input_shape) -> tuple[int, tuple[int, ...]]:
    _, channels, spatial = layer.split_shape(input_shape)
    return channels, tuple(spatial)


def pytorch_line(layer, input_shape) -> tuple[str | None, str]:
    """(code, note) for ``torch.nn``; code is None when there is no exact equivalent."""
    spec = layer.spec
    if not spec.keras and (spec.op != "conv" or all(b == a for b, a in spec.padding)):
        return "torch.nn." + repr(layer), ""
    if spec.pooling:  # a Keras pool
        return torch_pool_line(spec, _spatial(layer, input_shape)[1])
    channels, spatial = _spatial(layer, input_shape)
    nd = spec.ndim
    pads = spec.pads(spatial)
    layout = "" if not spec.channels_last else " (input permuted to channels first)"
    args = [str(channels), str(spec.out_channels), f"kernel_size={_v(spec.kernel_size)}"]
    if any(s != 1 for s in spec.stride):
        args.append(f"stride={_v(spec.stride)}")
    if any(d != 1 for d in spec.dilation):
        args.append(f"dilation={_v(spec.dilation)}")
    if spec.groups != 1:
        args.append(f"groups={spec.groups}")
    if not spec.bias:
        args.append("bias=False")
    if spec.transposed:
        # output cell o = i*S - before + k*D; torch crops P before and P - OP after.
        befores = [b for b, _ in pads]
        ops = [b - a for b, a in pads]
        if all(op >= 0 for op in ops) and all(
            op < max(s, d) for op, s, d in zip(ops, spec.stride, spec.dilation)
        ):
            if any(befores):
                args.append(f"padding={_v(befores)}")
            if any(ops):
                args.append(f"output_padding={_v(ops)}")
            return f"torch.nn.ConvTranspose{nd}d({', '.join(args)})", layout.strip(" ()")
        return None, (
            f"no exact torch.nn.ConvTranspose{nd}d: the crop {tuple(pads)} is not "
            "(P, P - output_padding) with output_padding < max(stride, dilation)"
        )
    if all(b == a for b, a in pads):
        if any(b for b, _ in pads):
            args.append(f"padding={_v([b for b, _ in pads])}")
        return f"torch.nn.Conv{nd}d({', '.join(args)})", layout.strip(" ()")
    # Asymmetric (TensorFlow 'same' with a stride, 'causal', or convgif's (before, after)
    # pairs): pad first, as F.pad orders it.
    flat = tuple(p for pair in reversed(pads) for p in pair)
    pad_layer = {1: "ConstantPad1d", 2: "ZeroPad2d", 3: "ConstantPad3d"}[nd]
    pad_args = str(flat) + (", 0.0" if nd != 2 else "")
    if spec.padding_mode != "zeros":
        kind = {"reflect": "Reflection", "replicate": "Replication", "circular": "Circular"}
        pad_layer, pad_args = f"{kind[spec.padding_mode]}Pad{nd}d", str(flat)
    return (
        f"torch.nn.Sequential(torch.nn.{pad_layer}({pad_args}), "
        f"torch.nn.Conv{nd}d({', '.join(args)}))",
        "asymmetric padding: torch's Conv pads both sides equally, so a padding layer comes first"
        + layout,
    )


def keras_line(layer, input_shape) -> tuple[str | None, str]:
    """(code, note) for ``keras.layers``; code is None (note says why) when none is exact."""
    spec = layer.spec
    if spec.keras:
        return "keras.layers." + repr(layer), ""
    if spec.name == "Unfold":
        return None, "no Keras layer returns im2col's (N, C*kh*kw, L)"
    _, spatial = _spatial(layer, input_shape)
    if spec.adaptive:
        return keras_adaptive_line(spec, spatial)
    if spec.pooling:
        return _keras_pool(spec, spatial)
    if spec.padding_mode != "zeros":
        return None, (
            f"no Keras equivalent: Keras convolutions pad with zeros only "
            f"(padding_mode={spec.padding_mode!r})"
        )
    if any(s != 1 for s in spec.stride) and any(d != 1 for d in spec.dilation):
        return None, (
            "no Keras equivalent: Keras refuses a stride above 1 together with a dilation "
            "above 1"
        )
    args = [f"filters={spec.out_channels}", f"kernel_size={_v(spec.kernel_size)}"]
    if any(s != 1 for s in spec.stride):
        args.append(f"strides={_v(spec.stride)}")
    if any(d != 1 for d in spec.dilation):
        args.append(f"dilation_rate={_v(spec.dilation)}")
    if spec.transposed:
        return _keras_transposed(spec, spatial, args)
    return _keras_conv(spec, spatial, args)


_FMT = "data_format='channels_first'"  # torch's layout, as Keras names it


def _keras_pool(spec, spatial) -> tuple[str | None, str]:
    kind = "MaxPooling" if spec.op == "max_pool" else "AveragePooling"
    dims = f"{spec.ndim}D"
    pads = spec.pads(spatial)
    if any(d != 1 for d in spec.dilation):
        return None, (
            f"no Keras equivalent: Keras pooling has no dilation (dilation={_v(spec.dilation)})"
        )
    if spec.divisor_override is not None:
        return None, "no Keras equivalent: Keras pooling has no divisor_override"
    base = f"pool_size={_v(spec.kernel_size)}, strides={_v(spec.stride)}"
    if not any(p for pair in pads for p in pair) and not spec.ceil_mode:
        return f"keras.layers.{kind}{dims}({base}, padding='valid', {_FMT})", ""
    same = tuple(
        tf_same_pads(n, k, s, 1) for n, k, s in zip(spatial, spec.kernel_size, spec.stride)
    )
    out_same = tuple(-(-n // s) for n, s in zip(spatial, spec.stride))
    torch_out = spec.output_spatial(spatial)
    # Keras' 'same' pools over real cells only: torch's max pooling (pads with −inf)
    # and average pooling with count_include_pad=False do the same.
    excludes_pad = spec.op == "max_pool" or not spec.count_include_pad
    if excludes_pad and same == tuple(pads) and out_same == torch_out:
        return f"keras.layers.{kind}{dims}({base}, padding='same', {_FMT})", ""
    if spec.op == "avg_pool" and spec.count_include_pad and not spec.ceil_mode:
        return (
            f"keras.Sequential([keras.layers.ZeroPadding{dims}({_keras_pads(pads)}, {_FMT}), "
            f"keras.layers.{kind}{dims}({base}, padding='valid', {_FMT})])",
            "zero padding counted in the average, as count_include_pad=True does",
        )
    return None, (
        f"no exact Keras equivalent: Keras pools with padding 'valid' or 'same' only, "
        f"and torch's padding {tuple(pads)}"
        + (" with ceil_mode=True" if spec.ceil_mode else "")
        + " matches neither for this input"
    )


def _keras_transposed(spec, spatial, args: list[str]) -> tuple[str | None, str]:
    dims = f"{spec.ndim}D"
    if spec.groups != 1:
        return None, "no Keras equivalent: Keras' transposed convolutions take no groups"
    ops = spec.output_padding or (0,) * spec.ndim
    if any(op >= s and op for op, s in zip(ops, spec.stride)):
        return None, (
            f"no Keras equivalent: Keras needs output_padding < strides, got "
            f"output_padding={_v(ops)}, stride={_v(spec.stride)}"
        )
    args.append("padding='valid'")
    if any(s > 1 for s in spec.stride) or any(ops):
        args.append(f"output_padding={_v(ops)}")
    if not spec.bias:
        args.append("use_bias=False")
    args.append(_FMT)
    conv = f"keras.layers.Conv{dims}Transpose({', '.join(args)})"
    # torch crops P from both ends of the OP-longer output
    crop = [(b, b) for b, _ in spec.pads(spatial)]
    if not any(b for b, _ in crop):
        return conv, ""
    cropping = f"keras.layers.Cropping{dims}({_keras_pads(crop)}, {_FMT})"
    return (
        f"keras.Sequential([{conv}, {cropping}])",
        "torch's padding crops the output; Keras crops with a Cropping layer",
    )


def _keras_conv(spec, spatial, args: list[str]) -> tuple[str | None, str]:
    dims = f"{spec.ndim}D"
    pads = spec.pads(spatial)
    if spec.groups != 1:
        args.append(f"groups={spec.groups}")
    if not spec.bias:
        args.append("use_bias=False")
    same = tuple(
        tf_same_pads(n, k, s, d)
        for n, k, s, d in zip(spatial, spec.kernel_size, spec.stride, spec.dilation)
    )
    if not any(p for pair in pads for p in pair):
        return f"keras.layers.Conv{dims}({', '.join(args)}, padding='valid', {_FMT})", ""
    if tuple(pads) == same:
        return f"keras.layers.Conv{dims}({', '.join(args)}, padding='same', {_FMT})", ""
    return (
        f"keras.Sequential([keras.layers.ZeroPadding{dims}({_keras_pads(pads)}, {_FMT}), "
        f"keras.layers.Conv{dims}({', '.join(args)}, padding='valid', {_FMT})])",
        "this padding is neither 'valid' nor 'same' in Keras: a ZeroPadding layer comes first",
    )


def _keras_pads(pads) -> str:
    pads = tuple(tuple(p) for p in pads)
    if len(pads) == 1:
        return str(pads[0])
    return str(pads)


def _steps_pytorch(layer, input_shape) -> tuple[str | None, str]:
    """A layer made of steps as one ``torch.nn.Sequential`` of its steps' equivalents."""
    parts, notes, shape = [], [], tuple(input_shape)
    for step in layer.steps:
        code, note = pytorch_line(step, shape)
        if code is None:
            return None, note
        head = "torch.nn.Sequential("
        parts.append(code[len(head):-1] if code.startswith(head) else code)
        notes += [note] if note and not any(note in n for n in notes) else []
        shape = step.output_shape(shape)
    return f"torch.nn.Sequential({', '.join(parts)})", "; ".join(notes)


def equivalents(layer, input_shape) -> dict:
    """``{'pytorch': code|None, 'pytorch_note': str, 'keras': code|None, 'keras_note': str}``."""
    if getattr(layer, "steps", None) is not None:
        torch_code, torch_note = _steps_pytorch(layer, input_shape)
        return {"pytorch": torch_code, "pytorch_note": torch_note,
                "keras": "keras.layers." + repr(layer), "keras_note": ""}
    torch_code, torch_note = pytorch_line(layer, input_shape)
    keras_code, keras_note = keras_line(layer, input_shape)
    return {
        "pytorch": torch_code,
        "pytorch_note": torch_note,
        "keras": keras_code,
        "keras_note": keras_note,
    }


def format_text(eq: dict) -> str:
    lines = []
    for name, key in (("PyTorch", "pytorch"), ("Keras", "keras")):
        code, note = eq[key], eq[f"{key}_note"]
        if code is None:
            lines.append(f"  {name + ':':<9}{note}")
        else:
            lines.append(f"  {name + ':':<9}{code}")
            if note:
                lines.append(f"  {'':<9}# {note}")
    return "\n".join(lines)
