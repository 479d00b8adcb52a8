"""Building a trace: one layer, given as plain data, run on one input.

``simulate(spec, weight, bias, x)`` takes the layer's spec and parameters as
they are (no layer object): the API's ``Layer.trace`` builds a Keras layer for
its input first and passes what it holds. The grid the window sweeps and the
order of accumulation are described in ``convgif.simulate.trace``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from convgif.errors import NAME, ConvGifError
from convgif.layers.code import call_text
from convgif.layers.spec import LayerSpec
from convgif.layers.windows import AxisWindows, adaptive_axis, regular_axis, window_taps
from convgif.simulate.trace import DATA, INSERTED, OVERFLOW, PAD, Trace

MAX_CELLS = 1 << 25  # grid or output values of one simulation: 256 MB of float64 each
FLOAT_MAX = float(np.finfo(np.float64).max)
LAYOUTS = {1: "(C, L)", 2: "(C, H, W)", 3: "(C, D, H, W)"}  # one sample, channels first


def simulate(
    spec: LayerSpec,
    weight: np.ndarray | None,
    bias: np.ndarray | None,
    x,
    out_channels=None,
    *,
    text: str | None = None,
) -> Trace:
    """Run the layer ``spec`` with ``weight`` and ``bias`` (torch's layouts) on ``x``.

    ``x`` is one sample or a batch in the framework's layout, checked here.
    ``out_channels``: compute only these output channels of a convolution (the
    rest of the output is NaN), for renders that show no others. ``text``: the
    layer as its constructor call, for titles (by default written from the spec).
    """
    _check_parameters(spec, weight)
    xc, batched = canonical_input(spec, x)
    spatial = xc.shape[2:]
    pads = spec.pads(spatial)
    out_spatial = spec.output_spatial(spatial)
    _check_sizes(spec, xc.shape, pads, out_spatial)
    _check_range(spec, xc, weight, bias)
    grid = padded_grid(spec, xc, pads, out_spatial)
    stride = (1,) * spec.ndim if spec.transposed else spec.stride
    windows = layer_windows(spec, spatial, stride, out_spatial)

    kernel = chosen = divisor = None
    if spec.pooling:
        bias = np.zeros(xc.shape[1])
        y = _pool(spec, grid.values, windows)
        if spec.op == "avg_pool":
            divisor = _avg_divisor(spec, spatial, pads, out_spatial, windows)
            y = y / divisor
    else:
        kernel = _gather_kernel(spec, weight) if spec.transposed else weight
        bias = np.zeros(spec.out_channels) if bias is None else np.array(bias, dtype=np.float64)
        chosen = _chosen_channels(out_channels, spec.out_channels)
        y = _convolve(spec, grid.values, kernel, stride, out_spatial, chosen)
        y = y + bias.reshape((1, -1) + (1,) * spec.ndim)

    return Trace(
        spec=spec,
        layer=call_text(spec) if text is None else text,
        x=xc,
        grid=grid.values,
        axis_source=grid.axis_source,
        axis_kind=grid.axis_kind,
        kernel=kernel,
        bias=bias,
        y=y,
        output=framework_output(spec, y, batched),
        pads=pads,
        stride=stride,
        divisor=divisor,
        weight=weight,
        windows=windows,
        computed=chosen,
    )


def framework_output(spec: LayerSpec, y: np.ndarray, batched: bool) -> np.ndarray:
    """The canonical output (N, C, *spatial) as the framework returns it."""
    output = y if batched else y[0]
    if not spec.keepdims:  # Keras' global pools without keepdims: (N, C)
        return output.reshape(output.shape[: 2 if batched else 1])
    if spec.channels_last:
        return np.moveaxis(output, 1 if batched else 0, -1)
    return output


# --------------------------------------------------------------------------- checks


def _check_parameters(spec: LayerSpec, weight) -> None:
    if spec.pooling:
        return
    if spec.in_channels is None:
        raise ConvGifError(
            f"{spec.name} has no in_channels yet: build it for its input before simulating"
        )
    if weight is None or np.shape(weight) != spec.weight_shape:
        raise ConvGifError(
            f"{NAME} has shape {np.shape(weight)}, must be {spec.weight_shape}", "weight"
        )


def canonical_input(spec: LayerSpec, x) -> tuple[np.ndarray, bool]:
    """Validate ``x`` and return it as float64 (N, C, *spatial), and whether it was batched."""
    arr = _real_array(x)
    nd = spec.ndim
    if arr.ndim not in (nd + 1, nd + 2):
        layout = LAYOUTS[nd]
        if spec.channels_last:
            layout = layout.replace("(C, ", "(").replace(")", ", C)")
        raise ConvGifError(
            f"{NAME} has shape {arr.shape}, must be {layout} or batched with a leading N "
            f"for {spec.name}",
            "x",
        )
    batched = arr.ndim == nd + 2
    # torch runs an empty batch (N=0) and returns an empty output; any other empty axis it
    # refuses
    if arr.size == 0 and not (batched and arr.shape[0] == 0 and 0 not in arr.shape[1:]):
        raise ConvGifError(f"{NAME} has shape {arr.shape}: it must not be empty", "x")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ConvGifError(f"{NAME} must be finite (no NaN or infinity)", "x")
    spec.check_batched(batched)
    if not batched:
        arr = arr[None]
    if spec.channels_last:
        arr = np.moveaxis(arr, -1, 1)
    spec.check_channels(arr.shape[1])
    spec.check_input_spatial(arr.shape[2:])
    return np.ascontiguousarray(arr), batched


def _real_array(x) -> np.ndarray:
    try:
        arr = np.asarray(x)
    except Exception:
        raise ConvGifError(f"{NAME} must be a numpy array of numbers", "x") from None
    if np.iscomplexobj(arr):
        raise ConvGifError(f"{NAME} must be real, got a complex array", "x")
    if arr.dtype.kind not in "biuf":  # timedelta64 is an integer to numpy, not a number
        raise ConvGifError(f"{NAME} must be an array of numbers, got dtype {arr.dtype}", "x")
    return arr


def _check_range(spec: LayerSpec, xc: np.ndarray, weight, bias) -> None:
    """Refuse values whose products or sums could overflow float64 (they would come out as
    infinity, with numpy's warnings): the bound is max|x| * max|weight| * terms + max|bias|.
    The message names the larger factor, the one to scale down."""
    if spec.op == "max_pool" or not xc.size:  # a max compares; an empty batch sums nothing
        return
    terms = math.prod(spec.kernel_size)
    largest = float(np.max(np.abs(xc)))
    w = b = 1.0
    if not spec.pooling:
        terms *= spec.in_channels // spec.groups
        w = float(np.max(np.abs(weight)))
        b = 0.0 if bias is None else float(np.max(np.abs(bias)))
    bound = largest * w * terms + (0.0 if spec.pooling else b)
    if bound <= FLOAT_MAX:
        return
    factors = f"max |x| = {largest:.3g}"
    if not spec.pooling:
        factors += f" times max |weight| = {w:.3g}"
    raise ConvGifError(
        f"{factors}, summed over {terms:,} terms, could reach {bound:.3g}, beyond float64's "
        f"largest {FLOAT_MAX:.3g}: scale {NAME} down",
        "weight" if not spec.pooling and w > largest else "x",
    )


def check_input_shape(spec: LayerSpec, shape) -> None:
    """Refuse an input shape (as the framework writes it, checked) whose simulation would be
    too big, before any array of that shape is made: a made-up input of the largest shape
    allowed is 128 MB, and its copies would be refused only after they were made."""
    shape = tuple(shape)
    if len(shape) == spec.ndim + 1:
        shape = (1, *shape)
    if spec.channels_last:
        shape = (shape[0], shape[-1], *shape[1:-1])
    spatial = shape[2:]
    _check_sizes(spec, shape, spec.pads(spatial), spec.output_spatial(spatial))


def _check_sizes(spec: LayerSpec, x_shape, pads, out_spatial) -> None:
    """Refuse, before allocating, a grid or output too big to hold (e.g. padding=10**6)."""
    n, c, *spatial = x_shape
    grid = []
    for size, k, s, (pb, pa) in zip(spatial, spec.effective_kernel_size, spec.stride, pads):
        if spec.transposed:
            grid.append((size - 1) * s + 1 + max(0, k - 1 - pb) + max(0, k - 1 - pa))
        else:
            grid.append(size + pb + pa + k)  # ceil_mode may reach up to a window past it
    out_c = c if spec.pooling else spec.out_channels
    for what, cells in (
        ("padded input", n * c * math.prod(grid)),
        ("output", n * out_c * math.prod(out_spatial)),
    ):
        if cells > MAX_CELLS:
            raise ConvGifError(
                f"{spec.name}: the {what} would have {cells:,} values (limit {MAX_CELLS:,}): "
                "too big to simulate; check padding, stride and dilation, or use a smaller input"
            )


def _chosen_channels(out_channels, count: int) -> tuple[int, ...] | None:
    """The output channels to compute, sorted; None (all) for a choice the renderer refuses
    later with its own message."""
    if out_channels is None:
        return None
    chosen = tuple(sorted({int(oc) for oc in out_channels}))
    if not chosen or not all(0 <= oc < count for oc in chosen):
        return None
    return chosen


# --------------------------------------------------------------------------- the grid


class Grid(NamedTuple):
    values: np.ndarray  # (N, C, *grid_spatial)
    axis_source: tuple  # per axis: grid position -> input index, or −1 for a constant
    axis_kind: tuple  # per axis: DATA / PAD / INSERTED / OVERFLOW


def padded_grid(spec: LayerSpec, xc: np.ndarray, pads, out_spatial) -> Grid:
    """The grid the window sweeps, and where each of its cells comes from, per axis."""
    maps = []
    for n, k, s, (pb, pa), o in zip(
        xc.shape[2:], spec.effective_kernel_size, spec.stride, pads, out_spatial
    ):
        # cells that ceil_mode windows reach past the padded input
        extra = max(0, (o - 1) * s + k - (n + pb + pa)) if spec.pooling else 0
        extra = 0 if spec.adaptive else extra  # adaptive windows stay inside the input
        maps.append(_axis_map(spec.op, spec.padding_mode, n, s, k, pb, pa, extra))
    axis_source = tuple(src for src, _ in maps)
    axis_kind = tuple(kind for _, kind in maps)
    fill = -np.inf if spec.op == "max_pool" else 0.0
    gathered = xc[(slice(None), slice(None), *np.ix_(*(np.maximum(s, 0) for s in axis_source)))]
    constant = np.zeros(gathered.shape[2:], dtype=bool)
    for src in np.ix_(*axis_source):
        constant = constant | (src < 0)
    return Grid(np.where(constant, fill, gathered), axis_source, axis_kind)


def _axis_map(op: str, mode: str, n: int, s: int, keff: int, pb: int, pa: int, extra: int):
    """(source index or −1, kind) for every grid position along one axis."""
    if op == "conv_transpose":
        length = (n - 1) * s + 1
        gb, ga = keff - 1 - pb, keff - 1 - pa
        u = np.arange(length + gb + ga) - gb
        inside = (u >= 0) & (u < length)
        on_cell = inside & (u % s == 0)
        src = np.where(on_cell, u // s, -1)
        kind = np.where(on_cell, DATA, np.where(inside, INSERTED, PAD))
        return src, kind
    u = np.arange(n + pb + pa + extra) - pb
    inside = (u >= 0) & (u < n)
    kind = np.where(inside, DATA, PAD)
    kind[n + pb + pa :] = OVERFLOW
    if mode == "reflect":
        src = np.abs(u)
        src = np.where(src >= n, 2 * (n - 1) - src, src)
    elif mode == "replicate":
        src = np.clip(u, 0, n - 1)
    elif mode == "circular":
        src = u % n
    else:
        src = np.where(inside, u, -1)
    src = np.where(kind == OVERFLOW, -1, src)
    return src, kind


# --------------------------------------------------------------------------- accumulation


def _gather_kernel(spec: LayerSpec, weight: np.ndarray) -> np.ndarray:
    """Transposed weight (C_in, C_out/G, *K) as the flipped gather kernel (C_out, C_in/G, *K)."""
    g = spec.groups
    cin, cout_pg = weight.shape[0], weight.shape[1]
    k = weight.shape[2:]
    w = weight.reshape(g, cin // g, cout_pg, *k).swapaxes(1, 2).reshape(g * cout_pg, cin // g, *k)
    return np.ascontiguousarray(np.flip(w, axis=tuple(range(2, 2 + spec.ndim))))


def _window_slices(offsets, stride, out_spatial):
    return tuple(
        slice(o, o + (size - 1) * s + 1, s) for o, s, size in zip(offsets, stride, out_spatial)
    )


def _taps(spec: LayerSpec, stride, out_spatial):
    """(kernel position, the grid slices it reads) in the trace's order of kernel positions."""
    for kpos in np.ndindex(*spec.kernel_size):
        offsets = [k * d for k, d in zip(kpos, spec.dilation)]
        yield kpos, _window_slices(offsets, stride, out_spatial)


def layer_windows(spec: LayerSpec, spatial, stride, out_spatial) -> tuple[AxisWindows, ...]:
    """Every output position's window, per axis (``convgif.layers.windows``)."""
    if spec.adaptive:
        return tuple(adaptive_axis(n, o) for n, o in zip(spatial, out_spatial))
    return tuple(
        regular_axis(o, s, k, d)
        for o, s, k, d in zip(out_spatial, stride, spec.kernel_size, spec.dilation)
    )


def window_taps_at(windows: tuple[AxisWindows, ...], grid_shape):
    """(kernel position, grid indices per axis, which outputs tap it) for every position of
    the largest window, in the trace's order; a window smaller than the largest leaves its
    far positions out (their indices are clipped into the grid and masked)."""
    for kpos in np.ndindex(*(int(a.size.max(initial=1)) for a in windows)):
        index = [np.minimum(a.start + k * a.dilation, n - 1)
                 for a, k, n in zip(windows, kpos, grid_shape)]
        inside = np.ones((), dtype=bool)
        for a, k in zip(windows, kpos):
            inside = np.logical_and.outer(inside, a.size > k)
        yield kpos, index, inside


def _pool(spec: LayerSpec, grid: np.ndarray, windows) -> np.ndarray:
    """Max or sum over each window, kernel position by kernel position (the trace's order)."""
    fill = -np.inf if spec.op == "max_pool" else 0.0
    out_spatial = tuple(len(a.start) for a in windows)
    y = np.full((*grid.shape[:2], *out_spatial), fill)
    for _, index, inside in window_taps_at(windows, grid.shape[2:]):
        window = grid[(slice(None), slice(None), *np.ix_(*index))]
        step = np.maximum(y, window) if spec.op == "max_pool" else y + window
        y = np.where(inside, step, y)
    return y


def _convolve(spec: LayerSpec, grid, kernel, stride, out_spatial, chosen) -> np.ndarray:
    """The output without bias, accumulated in the trace's own order (input channel, then
    kernel position), so the running sums of the records reproduce it exactly."""
    batch, c = grid.shape[:2]
    out_c, groups = spec.out_channels, spec.groups
    cin_pg, cout_pg = c // groups, out_c // groups
    y = np.full((batch, out_c, *out_spatial), 0.0 if chosen is None else np.nan)
    taps = list(_taps(spec, stride, out_spatial))
    for g in range(groups):
        if chosen is None:
            outs = slice(g * cout_pg, (g + 1) * cout_pg)
        else:
            outs = [oc for oc in chosen if oc // cout_pg == g]
            if not outs:
                continue
        acc = y[:, outs] if chosen is None else np.zeros((batch, len(outs), *out_spatial))
        # One scratch product buffer: the same operations in the same order, without
        # allocating a temporary per (input channel, kernel position).
        product = np.empty_like(acc)
        for icl in range(cin_pg):
            for kpos, slices in taps:
                window = grid[(slice(None), g * cin_pg + icl, *slices)]
                w = kernel[(outs, icl, *kpos)]
                np.multiply(w.reshape((1, -1) + (1,) * spec.ndim), window[:, None], out=product)
                acc += product
        if chosen is not None:
            y[:, outs] = acc
    return y


def _avg_divisor(spec: LayerSpec, spatial, pads, out_spatial, windows) -> np.ndarray:
    """PyTorch's divisor per output cell: the window clipped to the padded input,
    or to the input alone when ``count_include_pad`` is False (an adaptive window: its
    size)."""
    if spec.divisor_override is not None:
        return np.full(out_spatial, float(spec.divisor_override))
    if spec.adaptive:
        return window_taps(windows).astype(np.float64)
    with_pad, without_pad = [], []
    for n, k, s, (pb, pa), o in zip(spatial, spec.kernel_size, spec.stride, pads, out_spatial):
        start = np.arange(o) * s - pb
        end = np.minimum(start + k, n + pa)
        with_pad.append(end - start)
        without_pad.append(np.minimum(end, n) - np.maximum(start, 0))
    sizes = with_pad if spec.count_include_pad else without_pad
    divisor = np.ones((), dtype=np.float64)
    for size in sizes:
        divisor = np.multiply.outer(divisor, size)
    return divisor
