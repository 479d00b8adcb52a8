"""Layer specifications: normalised, validated parameters and shape arithmetic.

One engine serves every dimension: a spec keeps per-axis tuples of length
``ndim`` (1, 2 or 3 spatial axes, in PyTorch's order D, H, W). Padding is
kept explicit as ``(before, after)`` per axis; only TensorFlow's ``'same'``
rule with a stride above 1 depends on the input size, so it is resolved by
``pads(spatial)``.

For transposed layers ``padding`` holds the *output-side* crop
``(before, after)``: output cell ``o = i·S − before + k·D``, and the output
length is ``(n − 1)·S + D·(K − 1) + 1 − before − after``. PyTorch's
``padding=P, output_padding=OP`` is ``(P, P − OP)``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from convgif.errors import NAME, ConvGifError, refuse

OPS = ("conv", "conv_transpose", "max_pool", "avg_pool")
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
MAX_SIZE = 2**63 - 1  # torch reads every size as an int64
AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


# --------------------------------------------------------------------------- checks


def check_int(name: str, value, minimum: int = 1) -> int:
    # bool is an int subclass, but Conv2d(3, True, 3) is a typo, not a layer.
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            import numpy as np

            if isinstance(value, np.integer):
                value = int(value)
            else:
                raise TypeError
        except TypeError:
            raise refuse(name, value, "must be an integer") from None
    if value < minimum:
        rule = "must be positive" if minimum == 1 else f"must be at least {minimum}"
        raise refuse(name, value, rule)
    if value > MAX_SIZE:
        raise refuse(name, value, f"is too large: sizes are at most {MAX_SIZE:,} (torch's int64)")
    return value


def check_tuple(name: str, value, ndim: int, minimum: int = 1) -> tuple[int, ...]:
    """An int, or a tuple/list of ``ndim`` ints, each at least ``minimum``."""
    if isinstance(value, (tuple, list)):
        if len(value) != ndim:
            raise refuse(name, tuple(value), f"must be an integer or a tuple of {ndim} integers")
        return tuple(check_int(name, v, minimum) for v in value)
    return (check_int(name, value, minimum),) * ndim


def check_bool(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise refuse(name, value, "must be True or False")
    return value


NOT_A_LAYER = "must be a layer (e.g. convgif.Conv2d(3, 2, 3)) or its constructor call as text"


def kind_of(value) -> str:
    """``None``, ``5`` or ``a list``: what was given, short and on one line."""
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    return f"a {type(value).__name__}"


def check_layer(layer, name: str = "layer"):
    """A layer object (anything with a LayerSpec, as every front door's layers have), or
    a ConvGifError naming ``name``."""
    if not isinstance(getattr(layer, "spec", None), LayerSpec):
        raise ConvGifError(f"{NAME} is {kind_of(layer)}: it {NOT_A_LAYER}", name)
    return layer


def check_torch_flag(name: str, value) -> bool:
    """A flag as PyTorch reads it (``if bias:``): the value's truth; strings are refused,
    because torch reads ``'False'`` as True."""
    if isinstance(value, str):
        raise refuse(
            name,
            value,
            "must be True or False: PyTorch accepts a string and reads any non-empty one as "
            "True, so convgif refuses strings rather than let 'False' mean True",
        )
    try:
        return bool(value)
    except (TypeError, ValueError):  # an array of several values has no truth
        raise refuse(name, value, "must be True or False") from None


def check_choice(name: str, value, choices) -> str:
    # an array (or any value whose == is not a bool) is no choice, whatever it holds
    if not any(isinstance(value, type(c)) and value == c for c in choices):
        allowed = ", ".join(repr(c) for c in choices)
        raise refuse(name, value, f"must be one of {allowed}")
    return value


def conv_padding(padding, ndim: int, kernel, dilation, stride, padding_mode: str = "zeros"):
    """PyTorch's padding argument as explicit (before, after) per axis, and whether the
    layer runs only on batched inputs (see ``torch_tuple_padding``).

    Accepted: an int, a tuple of ``ndim`` ints (both sides), ``'valid'`` and ``'same'``
    (stride 1 only; an odd total puts the extra cell after, as PyTorch does), the odd
    tuples torch runs (``torch_tuple_padding``), and convgif's own spelling of
    asymmetric padding, which torch does not use: ``((before, after), ...)``, one
    pair per axis in the axes' order (``((top, bottom), (left, right))``).
    """
    if isinstance(padding, str):
        return _padding_word(padding, ndim, kernel, dilation, stride), False
    if isinstance(padding, (tuple, list)) and any(isinstance(p, (tuple, list)) for p in padding):
        return _pairs_padding(padding, ndim), False
    if isinstance(padding, (tuple, list)):
        return torch_tuple_padding(tuple(padding), ndim, padding_mode)
    return ((_torch_pad("padding", padding, padding_mode),) * 2,) * ndim, False


def _padding_word(padding, ndim, kernel, dilation, stride):
    check_choice("padding", padding, ("valid", "same"))
    if padding == "valid":
        return ((0, 0),) * ndim
    if any(s != 1 for s in stride):
        raise ConvGifError(
            f"{NAME}='same' needs stride=1 (PyTorch refuses it for strided "
            f"convolutions), got stride={stride if ndim > 1 else stride[0]}",
            "padding",
        )
    pairs = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pairs.append((total // 2, total - total // 2))
    return tuple(pairs)


def _pairs_padding(padding, ndim: int) -> tuple[tuple[int, int], ...]:
    """convgif's asymmetric spelling: one (before, after) pair per axis."""
    rule = f"must be {ndim} (before, after) pair(s), one per spatial axis, e.g. {((1, 2),) * ndim}"
    if len(padding) != ndim or not all(
        isinstance(p, (tuple, list)) and len(p) == 2 for p in padding
    ):
        raise refuse("padding", padding, rule)
    return tuple((check_int("padding", b, 0), check_int("padding", a, 0)) for b, a in padding)


def _torch_pad(name: str, value, padding_mode: str) -> int:
    """One padding size, refused below 0 with what torch would do instead."""
    if isinstance(value, bool) or not isinstance(value, int):
        return check_int(name, value, 0)
    if value < 0 and padding_mode == "zeros":
        raise refuse(name, value, "must be at least 0 (PyTorch refuses negative padding too)")
    if value < 0:
        raise refuse(
            name,
            value,
            f"must be at least 0: with padding_mode={padding_mode!r} PyTorch accepts it and "
            "crops the input instead (F.pad with a negative size); convgif refuses it, "
            "because a crop is not padding and the picture would hide input cells: "
            "crop the input first",
        )
    return check_int(name, value, 0)  # the int64 bound


def torch_tuple_padding(padding: tuple, ndim: int, padding_mode: str):
    """A flat padding tuple read as torch reads it: (pairs, batched only).

    torch passes the tuple to the convolution ('zeros', which takes one size or
    one per axis) or, for the other modes, to ``F.pad`` after reversing it and
    repeating each size: a tuple one longer than the axes then pads the channel
    axis too, and runs only on a batched input (F.pad reads it as an unbatched
    input with one more axis). Every other length torch refuses when it runs.
    """
    sizes = tuple(_torch_pad("padding", p, padding_mode) for p in padding)
    if len(sizes) == ndim or (len(sizes) == 1 and padding_mode == "zeros"):
        return tuple((p, p) for p in (sizes * ndim)[:ndim]), False
    if padding_mode != "zeros" and len(sizes) == ndim + 1 and ndim <= 2:
        if sizes[0] == 0:
            return tuple((p, p) for p in sizes[1:]), True
        raise refuse(
            "padding",
            sizes,
            f"with padding_mode={padding_mode!r}: PyTorch passes it to F.pad, which would "
            f"pad the channel axis by {sizes[0]} (the layer then runs only on inputs with "
            f"{2 * sizes[0]} channels fewer than in_channels); convgif does not pad channels: "
            f"give one size per spatial axis",
        )
    per_axis = "an integer" + (f" or a tuple of {ndim}" if ndim > 1 else "")
    rule = f"is refused by PyTorch when the layer runs: give {per_axis}"
    if padding_mode != "zeros" and len(sizes) == 1:
        rule = (
            f"with padding_mode={padding_mode!r}: PyTorch refuses it for a batched input "
            f"and pads only the last axis of an unbatched one (F.pad's reading); convgif "
            f"refuses it rather than pad one axis of {ndim}: give {per_axis}"
        )
    if len(sizes) == 2 * ndim:  # perhaps meant in F.pad's order: the last axis first
        pairs = tuple((sizes[2 * i], sizes[2 * i + 1]) for i in reversed(range(ndim)))
        rule += f"; for F.pad's order (last axis first) write padding={pairs}"
    raise refuse("padding", sizes, rule)


def tf_same_pads(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    """TensorFlow's 'same': the smaller half of the total before, the larger after."""
    keff = d * (k - 1) + 1
    total = max((math.ceil(n / s) - 1) * s + keff - n, 0)
    return (total // 2, total - total // 2)


# Beyond these a simulation would exhaust memory before it showed anything.
MAX_PARAMETERS = 1 << 24
MAX_INPUT = 1 << 24


# --------------------------------------------------------------------------- the spec


class LayerSpec(NamedTuple):
    name: str  # the class name the user wrote: "Conv2d", "Conv2DTranspose", ...
    op: str  # one of OPS
    ndim: int
    in_channels: int | None  # None: pooling (any), or a Keras layer not built yet
    out_channels: int | None
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    groups: int = 1
    bias: bool = False
    padding_mode: str = "zeros"
    output_padding: tuple[int, ...] | None = None  # transposed layers, as the user gave it
    tf_same: bool = False  # TensorFlow 'same' for a strided convolution: resolved per input
    ceil_mode: bool = False
    count_include_pad: bool = True
    divisor_override: int | None = None
    channels_last: bool = False
    keras: bool = False
    # torch's padding=(0, p) with a non-zero padding_mode (see torch_tuple_padding)
    batched_only: bool = False
    # adaptive pools: the output size per axis (None: the input's); windows vary per cell
    output_size: tuple[int | None, ...] | None = None
    keepdims: bool = True  # False: Keras' global pools return (N, C)

    # ---- derived sizes

    @property
    def transposed(self) -> bool:
        return self.op == "conv_transpose"

    @property
    def pooling(self) -> bool:
        return self.op in ("max_pool", "avg_pool")

    @property
    def adaptive(self) -> bool:
        return self.output_size is not None

    @property
    def axes(self) -> tuple[str, ...]:
        return AXES[self.ndim]

    @property
    def effective_kernel_size(self) -> tuple[int, ...]:
        """``D·(K−1)+1`` per axis: the extent of the input one window covers."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation))

    @property
    def weight_shape(self) -> tuple[int, ...] | None:
        if self.pooling or self.in_channels is None:
            return None
        if self.transposed:
            return (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        return (self.out_channels, self.in_channels // self.groups, *self.kernel_size)

    @property
    def param_count(self) -> int:
        shape = self.weight_shape
        if shape is None:
            return 0
        return math.prod(shape) + (self.out_channels if self.bias else 0)

    def pads(self, spatial: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
        """Explicit (before, after) padding per axis for an input of this spatial size."""
        if self.tf_same:
            return tuple(
                tf_same_pads(n, k, s, d)
                for n, k, s, d in zip(spatial, self.kernel_size, self.stride, self.dilation)
            )
        return self.padding

    def output_spatial(self, spatial: tuple[int, ...]) -> tuple[int, ...]:
        """Output size per axis; raises ConvGifError when an axis would be below 1."""
        if self.adaptive:
            return tuple(n if o is None else o for o, n in zip(self.output_size, spatial))
        out = []
        for axis, n, k, s, d, (pb, pa) in zip(
            self.axes, spatial, self.kernel_size, self.stride, self.dilation, self.pads(spatial)
        ):
            keff = d * (k - 1) + 1
            if self.transposed:
                size = (n - 1) * s + keff - pb - pa
                formula = f"({n} - 1)*{s} + {keff} - {pb} - {pa}"
            else:
                span = n + pb + pa - keff
                if self.ceil_mode:
                    size = -(-span // s) + 1
                    # PyTorch: the last window must start inside the input or its left padding.
                    if (size - 1) * s >= n + pb:
                        size -= 1
                    formula = f"ceil(({n} + {pb} + {pa} - {keff}) / {s}) + 1"
                else:
                    size = span // s + 1
                    formula = f"floor(({n} + {pb} + {pa} - {keff}) / {s}) + 1"
            if size < 1:
                raise ConvGifError(
                    f"input size {axis}={n} is too small for this layer: "
                    f"{axis}_out = {formula} = {size}, must be at least 1"
                )
            out.append(size)
        return tuple(out)

    def mac_count(self, spatial: tuple[int, ...], channels: int | None = None) -> int:
        """Multiply-accumulates (comparisons / additions for pooling) for one sample.

        Transposed layers count the real products (each input cell times each
        kernel cell that lands inside the output), not the zeros of the gather view.
        """
        out_sp = self.output_spatial(spatial)
        if self.pooling:
            c = channels if channels is not None else (self.in_channels or 1)
            if self.adaptive:  # numpy only here: `convgif --help` reads this module
                from convgif.layers.windows import adaptive_taps

                return c * adaptive_taps(self.output_size, spatial)
            return c * math.prod(out_sp) * math.prod(self.kernel_size)
        if self.transposed:
            per_axis = []
            for n, k, s, d, (pb, _), o in zip(
                spatial, self.kernel_size, self.stride, self.dilation, self.pads(spatial), out_sp
            ):
                hits = sum(1 for i in range(n) for kk in range(k) if 0 <= i * s - pb + kk * d < o)
                per_axis.append(hits)
            total = math.prod(per_axis)
            return total * self.in_channels * (self.out_channels // self.groups)
        return (
            self.out_channels
            * math.prod(out_sp)
            * (self.in_channels // self.groups)
            * math.prod(self.kernel_size)
        )

    def check_channels(self, channels: int) -> None:
        """Refuse an input with other than ``in_channels`` channels (pooling takes any)."""
        if self.in_channels is not None and channels != self.in_channels:
            raise ConvGifError(
                f"input has {channels} channels, must have in_channels={self.in_channels}"
            )

    def check_batched(self, batched: bool) -> None:
        """Refuse an unbatched input to a layer torch runs only on batched ones."""
        if self.batched_only and not batched:
            raise ConvGifError(
                f"{self.name} with this padding tuple runs in PyTorch only on a batched input "
                f"(F.pad reads an unbatched one as having one axis fewer): give the input a "
                f"leading batch axis, or write the padding with one size per spatial axis"
            )

    def check_input_spatial(self, spatial: tuple[int, ...]) -> None:
        """Refuse input sizes PyTorch refuses for this layer (padding modes, tiny inputs)."""
        pads = self.pads(spatial)
        if self.op == "avg_pool" and self.ndim == 3 and not self.keras and not self.adaptive:
            for axis, n, k in zip(self.axes, spatial, self.kernel_size):
                if n < k:  # torch's avg_pool3d checks the input before its padding
                    raise ConvGifError(f"input size {axis}={n} is smaller than kernel_size={k}:"
                                       f" PyTorch's {self.name} refuses it, padding or not")
        for axis, n, (pb, pa) in zip(self.axes, spatial, pads):
            if self.padding_mode == "reflect" and max(pb, pa) >= n:
                raise ConvGifError(
                    f"{NAME}={max(pb, pa)} with padding_mode='reflect' must be smaller "
                    f"than the input size {axis}={n}",
                    "padding",
                )
            if self.padding_mode == "circular" and max(pb, pa) > n:
                raise ConvGifError(
                    f"{NAME}={max(pb, pa)} with padding_mode='circular' must be at most "
                    f"the input size {axis}={n}",
                    "padding",
                )
        self.output_spatial(spatial)
