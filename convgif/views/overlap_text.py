"""What the overlap view writes: its title and headers, its key's words, its captions."""

from __future__ import annotations

from dataclasses import dataclass

from convgif.simulate.coverage import Geometry, notes
from convgif.views.chrome import shape_text, title_parts
from convgif.views.grid import rc
from convgif.views.overlap_counts import StampCounts
from convgif.views.terms import as_given


def _range(values) -> str:
    return str(values[0]) if values[0] == values[-1] else f"{values[0]}\u2013{values[-1]}"


@dataclass(frozen=True, eq=False)
class OverlapText:
    """The texts of one layer's overlap view on one input shape."""

    layer: object
    geo: Geometry
    counts: StampCounts

    @property
    def noun(self) -> str:
        return "taps" if self.geo.transposed else "windows"

    def title_parts(self, input_shape) -> list[str]:
        spec = self.layer.spec
        out = self.layer.output_shape(tuple(input_shape))
        return title_parts(spec, spec.pads(self.geo.in_shape[1:]), input_shape, out)

    def subtitle(self) -> str:
        if self.geo.transposed:
            what = "overlap: kernel taps landing on each output cell"
        else:
            what = "coverage: windows reading each input cell"
        return f"{self.layer!r}   \u00b7   {what}"

    def headers(self) -> tuple[str, str]:
        """The headers of the stamping cells (left) and of the counted cells (right)."""
        geo, spec = self.geo, self.layer.spec
        many = geo.multiplicity > 1
        x = shape_text(as_given(spec, geo.in_shape))
        y = shape_text(as_given(spec, geo.out_shape))
        if geo.transposed:
            one_at_a_time = " (one channel at a time)" if many else ""
            left = f"input x {x}{one_at_a_time}"
            right = f"output y {y}: " + (
                "products per cell" if many else "kernel taps landing on each cell"
            )
        else:
            left = f"output y {y}: one window per cell"
            right = f"input x {x}: " + (
                "products reading each cell" if many else "windows covering each cell"
            )
        return left, right

    def key_title(self) -> str:
        return "products per cell:" if self.geo.multiplicity > 1 else f"{self.noun} per cell:"

    def pad_label(self) -> str:
        if self.geo.transposed:
            return "cropped by padding: not counted"
        return "padding (or past the input): not counted"

    def opening(self) -> str:
        k = "\u00d7".join(str(a.kernel) for a in self.geo.axes)
        if self.geo.transposed:
            return (
                f"Each input cell stamps its {k} kernel taps onto the output; "
                "the counts add up where stamps overlap."
            )
        return (
            f"Each output cell's {k} window reads input cells; "
            "the counts add up where windows overlap."
        )

    def closing(self) -> str:
        geo, final, real = self.geo, self.counts.final, self.counts.real
        added = bool(geo.transposed and (final[real] == 0).any())
        parts = notes(geo, not real.all(), added)
        total = int(final[real].sum())
        if geo.transposed:
            where = "each output channel" if geo.out_shape[0] > 1 else "the output"
            head = f"Done: {total:,} products add into {where}"
        elif self.layer.spec.pooling:
            where = "each input channel" if geo.in_shape[0] > 1 else "the input"
            head = f"Done: the windows make {total:,} taps on {where}"
        else:
            where = "each input channel" if geo.in_shape[0] > 1 else "the input"
            head = f"Done: {total:,} products read {where}"
        return head + ("; " + "; ".join(parts) if parts else "") + "."

    def stamp(self, stamp: int) -> str:
        """What stamp ``stamp`` does: where it lands, what padding takes, which channel."""
        geo = self.geo
        channel, position, cells = self.counts.stamp(stamp)
        inside = [cell for cell in cells if self.counts.real[cell]]
        where = ", ".join(str(v) for v in (channel, *position))
        if geo.transposed:
            text = f"x[{where}] stamps its {len(cells)} kernel taps onto y"
            lost = "cropped by padding"
        else:
            text = f"The window of y[{where}] reads x"
            lost = "on padding"
        if inside:
            off_r, off_c = rc(self.counts.offset)
            rows = sorted({r - off_r for r, _ in inside})
            cols = sorted({c - off_c for _, c in inside})
            span = f"cols {_range(cols)}"
            if len(geo.axes) == 2:
                span = f"rows {_range(rows)}, " + span
            text += f" {span}"
        if len(inside) < len(cells):
            text += f" ({len(cells) - len(inside)} {lost})"
        if geo.multiplicity > 1:
            which = "input" if geo.transposed else "output"
            text += f"; {which} channel {channel} of {geo.multiplicity}"
        return text
