"""A layer written back as code: the arguments of its constructor call, as a user writes them.

Only what differs from the framework's defaults is written, so ``repr(layer)``
is the line a user would paste into a model.
"""

from __future__ import annotations

from convgif.layers.spec import LayerSpec


def short_value(value):
    """(3, 3) as 3, as a user would write it."""
    if isinstance(value, (tuple, list)) and len(set(value)) == 1:
        return value[0]
    return tuple(value) if isinstance(value, list) else value


def torch_args(s: LayerSpec, padding=None) -> list[str]:
    """The arguments of a torch-style spec; ``padding``: the value given, when it was a
    string ('same', 'valid') the spec no longer shows."""
    before = tuple(p for p, _ in s.padding)
    if s.pooling:
        return _pool_args(s, before)
    args = [str(s.in_channels), str(s.out_channels), f"kernel_size={short_value(s.kernel_size)}"]
    if any(v != 1 for v in s.stride):
        args.append(f"stride={short_value(s.stride)}")
    if s.transposed:
        if any(before):
            args.append(f"padding={short_value(before)}")
        if any(s.output_padding):
            args.append(f"output_padding={short_value(s.output_padding)}")
    elif any(p for pair in s.padding for p in pair):
        args.append(f"padding={_padding_text(s, padding)}")
    # torch's transposed signature puts dilation after groups and bias
    dilation = [f"dilation={short_value(s.dilation)}"] if any(v != 1 for v in s.dilation) else []
    if not s.transposed:
        args += dilation
    if s.groups != 1:
        args.append(f"groups={s.groups}")
    if not s.bias:
        args.append("bias=False")
    if s.transposed:
        args += dilation
    elif s.padding_mode != "zeros":
        args.append(f"padding_mode={s.padding_mode!r}")
    return args


def _padding_text(s: LayerSpec, padding) -> str:
    """'same' as given; torch's odd tuple (0, p) as given; (before, after) pairs when the
    sides differ (convgif's spelling: torch has none); else a size per axis."""
    if isinstance(padding, str):
        return repr(padding)
    if s.batched_only and isinstance(padding, (tuple, list)):
        return str(tuple(padding))
    if any(b != a for b, a in s.padding):
        return str(tuple(tuple(pair) for pair in s.padding))
    return str(short_value(tuple(p for p, _ in s.padding)))


def _pool_args(s: LayerSpec, before: tuple[int, ...]) -> list[str]:
    if s.adaptive:
        size = s.output_size
        return [f"output_size={size[0] if len(set(size)) == 1 else size}"]
    args = [f"kernel_size={short_value(s.kernel_size)}"]
    if s.stride != s.kernel_size:
        args.append(f"stride={short_value(s.stride)}")
    if any(before):
        args.append(f"padding={short_value(before)}")
    if any(v != 1 for v in s.dilation):
        args.append(f"dilation={short_value(s.dilation)}")
    if s.ceil_mode:
        args.append("ceil_mode=True")
    if s.op == "avg_pool":
        if not s.count_include_pad:
            args.append("count_include_pad=False")
        if s.divisor_override is not None:
            args.append(f"divisor_override={s.divisor_override}")
    return args


def keras_args(s: LayerSpec, padding: str) -> list[str]:
    """The arguments of a Keras spec; ``padding``: 'valid', 'same' or 'causal' as given."""
    # filters by name, as Keras' own documentation writes every argument
    args = [f"filters={s.out_channels}", f"kernel_size={short_value(s.kernel_size)}"]
    if any(v != 1 for v in s.stride):
        args.append(f"strides={short_value(s.stride)}")
    if padding != "valid":
        args.append(f"padding={padding!r}")
    if s.output_padding is not None:
        args.append(f"output_padding={short_value(s.output_padding)}")
    if not s.channels_last:
        args.append("data_format='channels_first'")
    if any(v != 1 for v in s.dilation):
        args.append(f"dilation_rate={short_value(s.dilation)}")
    if s.groups != 1:
        args.append(f"groups={s.groups}")
    if not s.bias:
        args.append("use_bias=False")
    return args


def keras_pool_args(s: LayerSpec) -> list[str]:
    """The arguments of a Keras pool (``GlobalAveragePooling2D``: only what it takes)."""
    args = []
    if s.adaptive:
        args += ["keepdims=True"] if s.keepdims else []
    else:
        args.append(f"pool_size={short_value(s.kernel_size)}")
        if s.stride != s.kernel_size:
            args.append(f"strides={short_value(s.stride)}")
        if s.tf_same:
            args.append("padding='same'")
    if not s.channels_last:
        args.append("data_format='channels_first'")
    return args


def call_text(s: LayerSpec, padding=None) -> str:
    """``Conv2d(3, 2, kernel_size=3, stride=2)``: the spec as its constructor call."""
    if s.keras and s.pooling:
        return s.name + "(" + ", ".join(keras_pool_args(s)) + ")"
    args = keras_args(s, padding or "valid") if s.keras else torch_args(s, padding)
    return s.name + "(" + ", ".join(args) + ")"
