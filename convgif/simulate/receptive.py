"""Receptive fields through a stack of 2-d layers: which cells one output cell depends on.

Pure arithmetic on shapes, no pictures. ``check_stack`` checks that each layer
accepts what the previous one gives, and ``fields_of`` walks back from one output
cell of the last layer to the input, layer by layer.

Two answers are given per feature map, and they are different things:

- the exact *dependency mask*: the cells whose value reaches the chosen output
  through some kernel tap (dilation gaps stay dark, taps on zero padding are
  kept apart because a constant is not a dependency, and reflect / replicate /
  circular padding lights the real cell it copies);
- the analytic numbers of the field's textbook: the receptive field of one
  cell of the map, measured in input cells, ``r_l = r_{l-1} + (k_l - 1)·d_l·j_{l-1}``,
  and its jump (effective stride) ``j_l = j_{l-1}·s_l``, with ``r_0 = j_0 = 1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from convgif.errors import NAME, ConvGifError, in_context, name_of, refuse

KINDS = ("Conv2d", "MaxPool2d", "AvgPool2d")


# --------------------------------------------------------------------------- shapes


def check_stack(layers, input_shape) -> list[tuple[int, int, int]]:
    """Every feature map's shape, input first; a ConvGifError naming the layer that breaks."""
    from convgif.layers.parse import parse_shape

    shape = parse_shape(input_shape)
    if len(shape) != 3:
        raise ConvGifError(
            f"{NAME}={shape} must be (C, H, W): a stack takes one unbatched 2-d input",
            "input_shape",
        )
    shapes = [shape]
    for n, layer in enumerate(layers, 1):
        spec = layer.spec
        where = f"layer {n} ({layer!r})"
        if spec.name not in KINDS:
            raise ConvGifError(f"{where}: a stack takes {', '.join(KINDS)} layers", "layers")
        c = shapes[-1][0]
        if spec.in_channels is not None and spec.in_channels != c:
            before = (f"the input ({name_of('input_shape')}={shapes[0]})" if n == 1
                      else f"layer {n - 1} ({layers[n - 2]!r})")
            raise ConvGifError(
                f"{where} has in_channels={spec.in_channels}, but {before} gives {c} channels",
                "layers",
            )
        try:
            out = layer.output_shape(shapes[-1])
        except ConvGifError as error:
            raise in_context(error, where, "layers") from None
        shapes.append(tuple(out))
    return shapes


class Reach(NamedTuple):
    """The analytic receptive field of one cell of a map, and its jump, in input cells (H, W)."""

    rf: tuple[int, int]
    jump: tuple[int, int]


def analytic(layers) -> list[Reach]:
    """Per map, input first: r_l = r_{l-1} + (k-1)·d·j_{l-1}, j_l = j_{l-1}·s."""
    r, j = (1, 1), (1, 1)
    out = [Reach(r, j)]
    for layer in layers:
        s = layer.spec
        r = tuple(r[a] + (s.kernel_size[a] - 1) * s.dilation[a] * j[a] for a in range(2))
        j = tuple(j[a] * s.stride[a] for a in range(2))
        out.append(Reach(r, j))
    return out


# --------------------------------------------------------------------------- dependencies


@dataclass(frozen=True)
class FieldMap:
    """One feature map of the stack (the input, or a layer's output) and what is lit in it."""

    name: str  # "input" or the layer as written
    shape: tuple[int, int, int]  # (C, H, W)
    mask: np.ndarray  # bool (C, H, W): the chosen output depends on these cells
    rf: tuple[int, int]  # receptive field of one cell of this map, in input cells (H, W)
    jump: tuple[int, int]  # distance in input cells between neighbouring cells of this map
    box: tuple[tuple[int, int], tuple[int, int]]  # ((y0, y1), (x0, x1)) inclusive, unclipped
    pads: tuple[tuple[int, int], tuple[int, int]] = ((0, 0), (0, 0))  # the next layer's padding
    pad_taps: np.ndarray | None = None  # bool (C, H+pt+pb, W+pl+pr): padding cells tapped

    @property
    def channels_lit(self) -> list[int]:
        return [int(c) for c in np.flatnonzero(self.mask.any(axis=(1, 2)))]


@dataclass(frozen=True)
class ReceptiveField:
    layers: tuple
    cell: tuple[int, int, int]  # (channel, y, x) in the last layer's output
    maps: tuple[FieldMap, ...]  # input first, the last layer's output last

    @property
    def rf(self) -> tuple[int, int]:
        return self.maps[-1].rf

    @property
    def jump(self) -> tuple[int, int]:
        return self.maps[-1].jump


def _source_index(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each padded position along one axis: the real index it holds, or -1 for a constant."""
    i = np.arange(-before, n + after)
    if mode == "zeros":
        return np.where((i >= 0) & (i < n), i, -1)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    if mode == "circular":
        return np.mod(i, n)
    # reflect, without repeating the edge: -1 -> 1, n -> n - 2
    i = np.abs(i)
    return np.where(i > n - 1, 2 * (n - 1) - i, i)


def _in_channels_of(spec, out_channels: int, in_channels: int, o: int) -> slice:
    if spec.pooling:
        return slice(o, o + 1)
    per_out = out_channels // spec.groups
    per_in = in_channels // spec.groups
    g = o // per_out
    return slice(g * per_in, (g + 1) * per_in)


def _walk_back(layer, in_shape, out_mask):
    """(input mask, padded-grid taps, is-padding mask) of one layer for a lit output mask."""
    spec = layer.spec
    c_in, h, w = in_shape
    c_out = out_mask.shape[0]
    (pt, pb), (pl, pr) = spec.pads((h, w))
    hp, wp = h + pt + pb, w + pl + pr
    (sy, sx), (dy, dx), (ky, kx) = spec.stride, spec.dilation, spec.kernel_size
    taps = np.zeros((c_in, hp, wp), dtype=bool)
    for o in np.flatnonzero(out_mask.any(axis=(1, 2))):
        oy, ox = np.nonzero(out_mask[o])
        spatial = np.zeros((hp, wp), dtype=bool)
        for a in range(ky):
            for b in range(kx):
                py, px = oy * sy + a * dy, ox * sx + b * dx
                # ceil_mode windows may run past the padded grid: PyTorch skips those taps
                ok = (py < hp) & (px < wp)
                spatial[py[ok], px[ok]] = True
        taps[_in_channels_of(spec, c_out, c_in, int(o))] |= spatial
    mode = "zeros" if spec.pooling else spec.padding_mode
    src_y = _source_index(h, pt, pb, mode)
    src_x = _source_index(w, pl, pr, mode)
    real_y = (np.arange(hp) >= pt) & (np.arange(hp) < pt + h)
    real_x = (np.arange(wp) >= pl) & (np.arange(wp) < pl + w)
    padding = ~(real_y[:, None] & real_x[None, :])
    mask = np.zeros((c_in, h, w), dtype=bool)
    cs, ys, xs = np.nonzero(taps)
    keep = (src_y[ys] >= 0) & (src_x[xs] >= 0)
    if mode == "zeros":
        keep &= ~padding[ys, xs]
    mask[cs[keep], src_y[ys[keep]], src_x[xs[keep]]] = True
    return mask, taps & padding[None], ((pt, pb), (pl, pr))


def _check_cell(cell, shape) -> tuple[int, int, int]:
    c, h, w = shape
    if cell is None:
        return (0, h // 2, w // 2)
    if isinstance(cell, str):
        try:
            cell = tuple(int(v) for v in cell.split(","))
        except ValueError:
            raise refuse("cell", cell, "must be y,x or channel,y,x, e.g. 0,2,2") from None
    try:
        values = tuple(int(v) for v in cell)
        if any(isinstance(v, bool) or int(v) != v for v in cell):
            raise ValueError
    except (TypeError, ValueError):
        raise refuse("cell", cell, "must be (y, x) or (channel, y, x) integers") from None
    if len(values) == 2:
        values = (0, *values)
    if len(values) != 3:
        raise refuse("cell", cell, "must be (y, x) or (channel, y, x)")
    if any(v < 0 or v >= n for v, n in zip(values, shape)):
        raise ConvGifError(
            f"{NAME}={values} lies outside the last layer's output of shape {tuple(shape)} "
            "(channel, y, x count from 0)",
            "cell",
        )
    return values


def fields_of(layers, input_shape, cell=None) -> ReceptiveField:
    """Walk back from ``cell`` (default: channel 0 at the centre) of the last layer's output.

    ``layers``: the layer objects, first to last (``api.kinds.parse_stack`` reads text).
    Returns every feature map (input first) with its exact dependency mask,
    its padded-grid taps on padding, the analytic receptive field and jump,
    and the analytic box of the chosen cell's field in that map.
    """
    shapes = check_stack(layers, input_shape)
    cell = _check_cell(cell, shapes[-1])
    numbers = analytic(layers)
    mask = np.zeros(shapes[-1], dtype=bool)
    mask[cell] = True
    box = ((cell[1], cell[1]), (cell[2], cell[2]))
    names = ["input"] + [repr(layer) for layer in layers]
    last = len(layers)
    reach = numbers[last]
    maps = [FieldMap(names[last], shapes[last], mask, reach.rf, reach.jump, box)]
    for n in range(last, 0, -1):
        layer = layers[n - 1]
        mask, pad_taps, pads = _walk_back(layer, shapes[n - 1], mask)
        s = layer.spec
        box = tuple(
            (lo * s.stride[a] - pads[a][0], hi * s.stride[a] - pads[a][0]
             + (s.kernel_size[a] - 1) * s.dilation[a])
            for a, (lo, hi) in enumerate(box)
        )
        reach = numbers[n - 1]
        maps.append(
            FieldMap(
                names[n - 1], shapes[n - 1], mask, reach.rf, reach.jump, box, pads, pad_taps
            )
        )
    return ReceptiveField(tuple(layers), cell, tuple(reversed(maps)))


__all__ = [
    "FieldMap",
    "KINDS",
    "Reach",
    "ReceptiveField",
    "analytic",
    "check_stack",
    "fields_of",
]
