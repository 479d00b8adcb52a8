"""How many kernel taps land on each cell: the arithmetic behind the checkerboard.

A transposed convolution stamps ``value × kernel`` from every input cell onto
the output; where stamps overlap, products add up. When the kernel size is
not a multiple of the stride the overlap is uneven (1, 2, 1, 2, ... taps per
axis), and an output drawn from it shows a checkerboard.

The count of an output cell is the number of products that add into it (its
MACs in the scatter view): the kernel taps that land there, times the input
channels of its group (``in_channels / groups``), for one sample. Taps that
``padding`` crops away are not counted; cells that ``output_padding`` adds
beyond every stamp count 0 (they hold just the bias). Every output channel
gets the same counts.

A non-transposed layer (convolution, pooling) gets the dual picture: how many
products *read* each input cell, i.e. the windows covering it, times the
output channels of its group (``out_channels / groups``; 1 for pooling). Taps
on padding, and padding that copies a cell (reflect, replicate, circular),
do not count: the count says where the window lies, not whose value it reads.
The same uneven coverage is why a strided convolution's gradient has a
checkerboard.

Counts are exact, separable per axis, and need no simulation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Axis:
    """One axis of the stamping geometry.

    ``sources`` cells each stamp ``kernel`` taps at ``j·stride − before + k·dilation``
    onto a line whose real cells are ``0 .. size − 1``; taps outside are cropped
    (transposed: by padding) or fall on padding (convolution).
    """

    name: str
    sources: int
    size: int
    kernel: int
    stride: int
    dilation: int
    before: int

    def taps(self, j: int) -> np.ndarray:
        """Where the ``kernel`` taps of source cell ``j`` land (may lie outside 0..size−1)."""
        return j * self.stride - self.before + np.arange(self.kernel) * self.dilation

    @property
    def counts(self) -> np.ndarray:
        """Taps landing on each real cell, (size,)."""
        every = (
            np.arange(self.sources)[:, None] * self.stride
            - self.before
            + np.arange(self.kernel)[None, :] * self.dilation
        ).ravel()
        inside = every[(every >= 0) & (every < self.size)]
        return np.bincount(inside, minlength=self.size)

    @property
    def span(self) -> tuple[int, int]:
        """First and one-past-last cell the drawing needs: every real cell and every tap."""
        last = (self.sources - 1) * self.stride - self.before + (self.kernel - 1) * self.dilation
        return min(0, -self.before), max(self.size, last + 1)

    @property
    def interior(self) -> list[int]:
        """Taps per cell away from the borders, for each residue mod the stride."""
        hits = [0] * self.stride
        for k in range(self.kernel):
            hits[(k * self.dilation) % self.stride] += 1
        return hits


@dataclass(frozen=True)
class Geometry:
    """What the overlap view counts, for one layer and input shape."""

    transposed: bool
    axes: tuple[Axis, ...]
    multiplicity: int  # products per tap: input channels (transposed) or output channels per group
    planes: int  # channels of the counted tensor
    in_shape: tuple[int, ...]  # (C, *spatial) of the input
    out_shape: tuple[int, ...]  # (C, *spatial) of the output

    @property
    def spatial_counts(self) -> np.ndarray:
        """Taps per counted cell, for one channel pair: the outer product of the axes' counts."""
        out = np.ones((), dtype=np.int64)
        for axis in self.axes:
            out = np.multiply.outer(out, axis.counts)
        return out

    def counts(self) -> np.ndarray:
        """Products per counted cell, (planes, *spatial); every plane is the same."""
        plane = self.spatial_counts * self.multiplicity
        return np.broadcast_to(plane, (self.planes, *plane.shape)).copy()


def geometry(layer, input_shape) -> Geometry:
    """The stamping geometry of ``layer`` on an input of ``input_shape`` (framework layout)."""
    _, channels, spatial = layer.split_shape(input_shape)  # builds a Keras layer for it
    spec = layer.spec
    out_spatial = spec.output_spatial(spatial)
    pads = spec.pads(spatial)
    if spec.pooling:
        multiplicity, out_channels = 1, channels
    elif spec.transposed:
        multiplicity, out_channels = spec.in_channels // spec.groups, spec.out_channels
    else:
        multiplicity, out_channels = spec.out_channels // spec.groups, spec.out_channels
    axes = []
    for name, n, o, k, s, d, (pb, _) in zip(
        spec.axes, spatial, out_spatial, spec.kernel_size, spec.stride, spec.dilation, pads
    ):
        sources, size = (n, o) if spec.transposed else (o, n)
        axes.append(Axis(name, sources, size, k, s, d, pb))
    return Geometry(
        transposed=spec.transposed,
        axes=tuple(axes),
        multiplicity=multiplicity,
        planes=out_channels if spec.transposed else channels,
        in_shape=(channels, *spatial),
        out_shape=(out_channels, *out_spatial),
    )


def overlap_counts(layer, input_shape) -> np.ndarray:
    """Products adding into each cell, for one sample (see the module docstring).

    Transposed layers: an int array shaped like one output sample, (C_out, *out_spatial):
    kernel taps landing on each output cell × ``in_channels / groups``. Other layers:
    shaped like one input sample, (C_in, *in_spatial): windows covering each input cell ×
    ``out_channels / groups`` (1 for pooling). ``layer`` may be a layer or its
    constructor call as a string; ``input_shape`` is (C, H, W) or batched (N, C, H, W).
    """
    return geometry(layer, input_shape).counts()


# --------------------------------------------------------------------------- the rule, in words


def _join(values) -> str:
    values = [str(v) for v in values]
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]


def axis_rule(axis: Axis, noun: str) -> tuple[str, bool]:
    """(the rule for one axis in words, whether it is uneven)."""
    k, s, d = axis.kernel, axis.stride, axis.dilation
    values = sorted(set(axis.interior))
    kd = f"K={k}" + (f", D={d}" if d > 1 else "")
    if s == 1:
        return f"S=1: every cell away from the border gets all K={k} {noun}", False
    if values[0] == 0:
        if math.gcd(d, s) > 1:
            why = f"D={d} and S={s} share the factor {math.gcd(d, s)}"
        else:
            why = f"K={k} < S={s}"
        return f"{why}: some cells get no {noun[:-1]} at all, the others {_join(values[1:])}", True
    if len(values) == 1:
        one = noun[:-1] if values == [1] else noun
        return f"{kd} divisible by S={s}: even, {values[0]} {one} per cell", False
    return f"{kd} not divisible by S={s}: uneven overlap, {_join(values)} {noun} per cell", True


def rule(geo: Geometry) -> str:
    """The caption's first line: why the counts are even or uneven, per axis when they differ,
    ending on the numbers the map holds away from the borders (products, when each tap is
    one product per channel of the group: the map counts products)."""
    noun = "taps" if geo.transposed else "windows"
    rules = [axis_rule(a, noun) for a in geo.axes]
    uneven = any(u for _, u in rules)
    same = len({(a.kernel, a.stride, a.dilation) for a in geo.axes}) == 1
    taps = sorted({math.prod(c) for c in _combos([a.interior for a in geo.axes])})
    if same:
        text = rules[0][0]
        if len(geo.axes) > 1:
            text = text.replace(" per cell", "") + " per axis"
    else:
        text = "; ".join(
            f"{a.name}: {r.replace(' per cell', '')}" for a, (r, _) in zip(geo.axes, rules)
        )
    noun = noun[:-1] if taps == [1] else noun
    if not text.endswith(f"{_join(taps)} {noun} per cell"):
        text += f", so {_join(taps)} {noun} per cell"
    if geo.multiplicity > 1:  # the map counts products: say so, with its numbers
        which = "input" if geo.transposed else "output"
        products = _join(v * geo.multiplicity for v in taps)
        text += f" \u00d7 {geo.multiplicity} {which} channels = {products} products per cell"
    if uneven:
        text += " \u2014 the checkerboard" if geo.transposed else " \u2014 a checkerboard"
    return text


def _combos(lists):
    if not lists:
        yield ()
        return
    for v in lists[0]:
        for rest in _combos(lists[1:]):
            yield (v, *rest)


def notes(geo: Geometry, cropped: bool, added: bool) -> list[str]:
    """What else shapes the counts: borders, padding, output_padding, channels."""
    parts = []
    noun = "taps" if geo.transposed else "windows"
    border = any(
        not np.array_equal(a.counts, [a.interior[(i + a.before) % a.stride] for i in range(a.size)])
        for a in geo.axes
    )
    if border:
        parts.append(f"cells near the border get fewer {noun}")
    if geo.transposed:
        if cropped:
            parts.append("padding crops the dashed cells away (their taps are not counted)")
        if added:
            parts.append("output_padding adds cells no stamp reaches: count 0, just the bias")
        if geo.multiplicity > 1:
            parts.append(
                f"each count is taps \u00d7 {geo.multiplicity} input channels "
                "(products added into the cell)"
            )
        if geo.out_shape[0] > 1:
            parts.append("every output channel gets the same counts")
    else:
        if cropped:
            parts.append(
                "dashed cells are padding or past the input (taps there read no input cell)"
            )
        if geo.multiplicity > 1:
            parts.append(
                f"each count is windows \u00d7 {geo.multiplicity} output channels "
                "(products that read the cell)"
            )
        if geo.in_shape[0] > 1:
            parts.append("every input channel gets the same counts")
    return parts
