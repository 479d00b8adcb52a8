"""The backward pass from the front doors: ``layer.backward(...)`` and ``convgif trace --grad``.

``backward`` runs the layer forward on its input (``x=``, or a made-up one of
``input_shape``), then back for an output gradient (``grad_output=``, or small
seeded integers, -2..2, of the output's shape), and returns the three
gradients as PyTorch's autograd (or Keras on its torch backend) returns them.
``export_grad_trace`` writes one gradient's MAC records as ``export_trace``
writes the forward ones. The arithmetic is ``convgif.simulate.backward``'s.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from convgif.api.export import MAX_RECORDS, TRACE_FORMATS, TraceExport
from convgif.errors import ConvGifError, name_of, refuse
from convgif.io.records import write_records
from convgif.layers.spec import check_int
from convgif.simulate.backward import GRADS, GradTrace, learns, no_weights
from convgif.simulate.backward import backward as simulate_backward

GRAD_RANGE = (-2, 2)  # a made-up output gradient: small signed integers, readable in a cell


@dataclass(frozen=True)
class Gradients:
    """∂L/∂x, ∂L/∂w, ∂L/∂b of one layer for one input and output gradient, as numpy arrays in
    the framework's shapes (``grad_input`` like ``x``, ``grad_weight`` like ``layer.weight``);
    ``grad_weight`` and ``grad_bias`` are None for pooling, ``grad_bias`` for bias=False."""

    grad_input: np.ndarray
    grad_weight: np.ndarray | None
    grad_bias: np.ndarray | None
    grad_output: np.ndarray  # the output gradient used (given, or made up)
    x: np.ndarray  # the input used (given, or made up)
    trace: GradTrace = field(repr=False)  # the records: convgif.simulate.grad_records


def _input_of(layer, x, input_shape):
    if (x is None) == (input_shape is None):
        raise ConvGifError(
            f"give the input: {name_of('x')}=<array> or {name_of('input_shape')}=(C, H, W), "
            "one of them", "x")
    return layer.example_input(input_shape) if x is None else x


def made_up_grad(shape, seed: int) -> np.ndarray:
    """Small integers (-2..2) of ``shape``, from ``seed``."""
    lo, hi = GRAD_RANGE
    return np.random.default_rng(seed).integers(lo, hi + 1, tuple(shape)).astype(np.float64)


def backward(layer, x=None, grad_output=None, *, input_shape=None, seed=None) -> Gradients:
    """The gradients of ``layer`` on ``x`` (or a made-up input of ``input_shape``) for
    ``grad_output`` (default: small integers drawn from ``seed``, the layer's seed + 2 when
    None), equal to torch.autograd's for the same input, weights, bias and output gradient."""
    seed = layer.seed + 2 if seed is None else check_int("seed", seed, 0)
    x = _input_of(layer, x, input_shape)
    trace = layer.trace(x)
    if grad_output is None:
        grad_output = made_up_grad(np.shape(trace.output), seed)
    gt = simulate_backward(trace, grad_output)
    return Gradients(gt.grad_input, gt.grad_weight, gt.grad_bias, gt.grad_output,
                     np.asarray(x), gt)


def grad_record_count(layer, shape, grad: str) -> int:
    """Records of one gradient for an input of ``shape`` (framework layout), from the shapes
    alone: the forward pass's windows times their taps (``bias``: the output's cells)."""
    import math

    batched, channels, spatial = layer.split_shape(tuple(shape))
    spec = layer.spec
    n = shape[0] if batched else 1
    out_c = channels if spec.pooling else spec.out_channels
    cells = n * out_c * math.prod(spec.output_spatial(spatial))
    if grad == "bias":
        return cells
    if spec.adaptive:  # windows of varying size: the forward pass's taps
        return layer.mac_count(tuple(shape))
    per_cell = 1 if spec.pooling else spec.in_channels // spec.groups
    return cells * per_cell * math.prod(spec.kernel_size)


def check_grad_choice(layer, grad) -> str:
    if not isinstance(grad, str) or grad not in GRADS:
        raise refuse("grad", grad, f"must be one of {', '.join(map(repr, GRADS))}")
    spec = layer.spec
    if getattr(layer, "steps", None):
        raise refuse("layer", spec.name, f"runs in {len(layer.steps)} steps, each with its own "
                     "gradients: give one step's layer (DepthwiseConv2D, then Conv2D with "
                     "kernel_size 1) for its records and pictures; layer.backward(...) gives "
                     "the whole layer's")
    if grad != "input" and not learns(spec):
        raise refuse("grad", grad, f"is not a gradient of {spec.name}: {no_weights(spec)}")
    if grad == "bias" and not spec.bias:
        raise refuse("grad", grad, f"is not a gradient of {spec.name}: it has no bias")
    return grad


def export_grad_trace(
    path, layer, grad: str, *, x=None, input_shape=None, grad_output=None, seed=None,
    chunk: int = 1 << 16, progress=None,
) -> TraceExport:
    """Every MAC record of one gradient (``grad``: 'input', 'weight' or 'bias') to ``.csv``,
    ``.jsonl`` or ``.npz``, as ``export_trace`` writes the forward records (see
    ``convgif.simulate.grad_records`` for the fields). npz adds ``input``, ``weight``,
    ``bias``, ``grad_output_tensor`` (the records' ``grad_output`` is their column) and the
    gradients (``grad_input``, ...; none a layer does not have)."""
    from convgif.simulate import grad_records

    suffix = Path(os.fspath(path)).suffix.lower()
    if suffix not in TRACE_FORMATS:
        raise refuse("path", os.fspath(path), f"must end in one of {', '.join(TRACE_FORMATS)}")
    check_grad_choice(layer, grad)
    _input_of(layer, x, input_shape if x is None else None)  # exactly one of them
    count = grad_record_count(layer, np.shape(x) if x is not None else input_shape, grad)
    if count > MAX_RECORDS:
        raise ConvGifError(
            f"the gradient trace would hold {count:,} records (limit {MAX_RECORDS:,}): give a "
            f"smaller {name_of('input_shape')} or {name_of('x')}", "input_shape")
    grads = backward(layer, x, grad_output, input_shape=input_shape, seed=seed)
    gt = grads.trace
    fields = grad_records.grad_fields(grad, gt.trace.ndim)
    chunks = grad_records.iter_records(gt, grad, chunk)
    if progress is not None:
        chunks = progress(chunks, None)
    write_records(path, fields, chunks, lambda: _grad_arrays(grads, layer), count)
    return TraceExport(Path(os.fspath(path)), count, tuple(fields), gt)


def _grad_arrays(grads: Gradients, layer) -> dict:
    # the records have a grad_output column: the whole tensor is saved under its own name
    arrays = {"input": np.asarray(grads.x, dtype=np.float64),
              "grad_output_tensor": grads.grad_output, "grad_input": grads.grad_input}
    if grads.grad_weight is not None:  # not Unfold's fixed one-hot kernels
        arrays.update(weight=layer.weight, grad_weight=grads.grad_weight)
    if grads.grad_bias is not None:
        arrays.update(bias=layer.bias, grad_bias=grads.grad_bias)
    return arrays
