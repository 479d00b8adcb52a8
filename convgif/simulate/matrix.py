"""A linear layer as one matrix: ``y = C·x + b`` on the flattened tensors.

A convolution is linear in its input, so it is a matrix: row ``r`` of ``C``
holds the weights that output cell ``r`` multiplies the input cells with,
each weight in the column of the input cell it taps (the unrolled, Toeplitz
or im2col form). ``C`` is built from the trace's own MAC records, so it is
the layer the animations show, not a second implementation:

- zero padding and inserted zeros tap constants: those MACs drop out of ``C``;
- reflect / replicate / circular padding taps a copy of a real cell: the
  weight is *added* to that cell's column (a row can hold two weights in one
  column, and ``count`` says how many landed there);
- groups leave zero blocks: an output channel's rows only reach its group's
  input channels;
- a transposed layer gives ``Cᵀ``, where ``C`` is the matrix of the matching
  forward convolution (weight shared, input and output swapped): that is what
  "transposed convolution" means;
- average pooling is linear too (every tap weighs ``1/divisor``); max pooling
  is not, so it has no matrix.

Rows run over the output in C order (channel, then position, last axis
fastest), columns over the input the same way: ``x.reshape(-1)`` and
``y.reshape(-1)`` of a single sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from convgif.errors import NAME, ConvGifError
from convgif.layers.code import call_text
from convgif.layers.spec import LayerSpec, tf_same_pads
from convgif.simulate.trace import CHUNK, Trace

MAX_ENTRIES = 16_000_000  # a dense float64 C of 128 MB: beyond that a matrix teaches nothing


@dataclass(frozen=True, eq=False)
class ConvMatrix:
    """``y = matrix @ x.reshape(-1) + bias`` for one sample of a layer."""

    matrix: np.ndarray  # (rows, cols) = (output size, input size)
    count: np.ndarray  # (rows, cols) int: how many taps landed in each entry (0: a structural zero)
    bias: np.ndarray  # (rows,): the layer's bias repeated over each channel's cells
    in_shape: tuple  # (C_in, *spatial) of one sample, channels first
    out_shape: tuple  # (C_out, *spatial)
    transposed: bool  # the layer is a transposed convolution: ``matrix`` is Cᵀ

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    def apply(self, x: np.ndarray) -> np.ndarray:
        """``C·x + b`` for one sample ``x`` of ``in_shape``, shaped as ``out_shape``."""
        x = np.asarray(x, dtype=np.float64)
        if x.shape != self.in_shape:
            raise ConvGifError(f"{NAME} has shape {x.shape}, must be {self.in_shape}", "x")
        return (self.matrix @ x.reshape(-1) + self.bias).reshape(self.out_shape)

    def row(self, out_channel: int, *position: int) -> int:
        """The row of output cell ``y[out_channel, *position]``."""
        return int(np.ravel_multi_index((out_channel, *position), self.out_shape))

    def column(self, in_channel: int, *position: int) -> int:
        """The column of input cell ``x[in_channel, *position]``."""
        return int(np.ravel_multi_index((in_channel, *position), self.in_shape))


def conv_matrix(layer, input_shape=None) -> ConvMatrix:
    """The matrix of ``layer`` (a convgif layer, or a ``Trace``) on inputs of ``input_shape``.

    ``input_shape`` is one sample's shape as the layer takes it (``(C, H, W)``
    for a Conv2d); a trace brings its own input (its first sample is used).
    """
    if isinstance(layer, Trace):
        trace = layer
    else:
        if input_shape is None:
            raise ConvGifError(f"conv_matrix needs {NAME}=(C, H, W) (or a trace)", "input_shape")
        spec = getattr(layer, "spec", None)
        if spec is None:
            raise ConvGifError(f"conv_matrix needs a convgif layer or trace, not {layer!r}")
        _check_size(spec.name, layer.output_shape(input_shape), input_shape)
        # Zeros are enough: the matrix depends only on which cells each weight taps.
        trace = layer.trace(np.zeros(tuple(input_shape)))
    return from_trace(trace)


def _check_size(name, out_shape, in_shape) -> None:
    rows, cols = math.prod(out_shape), math.prod(in_shape)
    if rows * cols > MAX_ENTRIES:
        raise ConvGifError(
            f"{NAME}={tuple(in_shape)!r}: the matrix of {name} would be {rows:,} x "
            f"{cols:,} = {rows * cols:,} entries (limit {MAX_ENTRIES:,}); use a smaller input",
            "input_shape",
        )


def from_trace(trace) -> ConvMatrix:
    """The matrix of a traced layer, from the MACs of its first sample."""
    spec = trace.spec
    if spec.op == "max_pool":
        raise ConvGifError(
            f"{spec.name} has no matrix: max pooling is not linear ({NAME}='matrix' and "
            "conv_matrix need a convolution or an average pool)",
            "view",
        )
    in_shape = tuple(trace.x.shape[1:])
    out_shape = tuple(trace.y.shape[1:])
    _check_size(spec.name, out_shape, in_shape)
    rows, cols = math.prod(out_shape), math.prod(in_shape)
    matrix = np.zeros(rows * cols)
    count = np.zeros(rows * cols, dtype=np.int64)
    out_f, _, in_f = trace.output_fields, trace.kernel_fields, trace.input_fields
    per_sample = trace.cell_offset(trace.num_cells // trace.batch)  # windows may vary
    for lo in range(0, per_sample, CHUNK):
        macs = trace.macs(lo, min(lo + CHUNK, per_sample))
        # The input cell each tap reads: itself, the cell a padding copy shows, or none.
        src = [trace.axis_source[a][macs[f]] for a, f in enumerate(in_f)]
        real = np.all([s >= 0 for s in src], axis=0)
        if spec.op == "avg_pool":
            pos = tuple(macs[f] for f in out_f)
            weight = 1.0 / trace.divisor[pos]
        else:
            weight = macs["w"]
        row = np.ravel_multi_index((macs["out_channel"], *(macs[f] for f in out_f)), out_shape)
        col = np.ravel_multi_index((macs["in_channel"], *(np.maximum(s, 0) for s in src)), in_shape)
        flat = (row * cols + col)[real]
        np.add.at(matrix, flat, weight[real])
        np.add.at(count, flat, 1)
    bias = np.repeat(trace.bias, math.prod(out_shape[1:]))
    return ConvMatrix(
        matrix=matrix.reshape(rows, cols),
        count=count.reshape(rows, cols),
        bias=bias,
        in_shape=in_shape,
        out_shape=out_shape,
        transposed=spec.transposed,
    )


@dataclass(frozen=True)
class ForwardConv:
    """The forward convolution a transposed layer is the transpose of."""

    spec: LayerSpec
    padding: tuple  # per axis, or (before, after) pairs per axis: convgif's own spelling
    in_shape: tuple[int, ...]  # its input: the transposed layer's output, one sample
    # A Keras layer's forward convolution as Keras spells it (spec stays torch's: it is
    # what the simulation runs), and its padding word: 'valid', 'same' or None, neither.
    keras: LayerSpec | None = None
    keras_padding: str | None = None

    @property
    def name(self) -> str:
        return self.spec.name if self.keras is None else self.keras.name

    @property
    def text(self) -> str:
        if self.keras is None:
            return call_text(self.spec, self.padding)
        if self.keras_padding is not None:
            return call_text(self.keras, self.keras_padding)
        # Keras' Conv pads 'valid' or 'same' only: other padding is a layer of its own
        pads = self.keras.padding
        pads = pads[0] if len(pads) == 1 else pads
        return f"ZeroPadding{self.keras.ndim}D({pads}) then {call_text(self.keras, 'valid')}"


def _keras_forward(spec: LayerSpec, forward: LayerSpec, out, spatial) -> dict:
    """The fields of a Keras layer's ForwardConv: the Keras Conv that, on ``out``, gives
    back ``spatial`` through the same windows (the same padding before each axis)."""
    keras = forward._replace(name=f"Conv{spec.ndim}D", keras=True,
                    channels_last=spec.channels_last)
    befores = tuple(b for b, _ in forward.padding)
    axes = tuple(zip(out, spatial, spec.kernel_size, spec.stride, spec.dilation))
    if not any(befores) and all((o - d * (k - 1) - 1) // s + 1 == n for o, n, k, s, d in axes):
        return {"keras": keras, "keras_padding": "valid"}
    same = tuple(tf_same_pads(o, k, s, d)[0] for o, _, k, s, d in axes)
    if same == befores and all(-(-o // s) == n for o, n, _, s, _ in axes):
        return {"keras": keras, "keras_padding": "same"}
    return {"keras": keras, "keras_padding": None}


def forward_conv(spec: LayerSpec, spatial) -> ForwardConv:
    """The forward convolution of a transposed ``spec`` on inputs of ``spatial`` size.

    Same weight (a ConvTranspose weight ``(C_in, C_out/G, *K)`` read as a Conv
    weight with the channels' roles swapped), same stride, dilation, groups;
    the transposed layer's crop becomes the padding (PyTorch's ``padding=P``
    on both sides whenever that gives back the same size, as it does for
    ``output_padding``); its output is the transposed layer's input.
    ``conv_matrix(forward, shape) == conv_matrix(layer, input_shape).T``.
    """
    if not spec.transposed:
        raise ConvGifError(f"forward_conv needs a transposed layer, not {spec.name}")
    out = spec.output_spatial(tuple(spatial))
    pads = spec.pads(tuple(spatial))

    def build(pairs):
        return LayerSpec(
            name=f"Conv{spec.ndim}d",
            op="conv",
            ndim=spec.ndim,
            in_channels=spec.out_channels,
            out_channels=spec.in_channels,
            kernel_size=spec.kernel_size,
            stride=spec.stride,
            padding=pairs,
            dilation=spec.dilation,
            groups=spec.groups,
            bias=False,
        )

    # The padding after the input only ever pads cells no window reaches when the
    # sizes agree: then PyTorch's symmetric padding=P names the same matrix.
    padding = tuple(b for b, _ in pads)
    forward = build(tuple((b, b) for b in padding))
    if forward.output_spatial(out) != tuple(spatial):
        if min(p for pair in pads for p in pair) < 0:
            # output_padding ≥ stride (allowed when dilation is larger) adds cells no
            # forward convolution of that input size would crop back.
            raise ConvGifError(
                f"{spec.name} with output_padding={spec.output_padding} has no forward "
                "convolution whose matrix it transposes: output_padding must be below stride"
            )
        padding = tuple(tuple(pair) for pair in pads)  # (before, after) per axis
        forward = build(tuple(pads))
    keras = _keras_forward(spec, forward, out, spatial) if spec.keras else {}
    return ForwardConv(forward, padding, (spec.out_channels, *out), **keras)
