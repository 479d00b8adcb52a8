"""Which panels of a layer's picture are shaded by value, on which scales, and their keys.

A mixin of the layer pictures (``LayerPicture``): it reads their trace and
options (``Options.shade``: the panels to shade) and gives each cell its fill
and text colour. Scales are fixed for the whole animation (the whole input,
the whole output), so a shade means the same in every frame.
"""

from __future__ import annotations

from convgif.errors import ConvGifError
from convgif.views.chrome import legend_width
from convgif.views.layout import MARGIN
from convgif.views.shade import PANELS, RGB_RAMPS, diverging, key, key_width, sequential

LEGEND_ROLE = {"input": "input", "kernel": "weight", "output": "output"}  # a shade replaces it
KEYS_GAP, KEY_HEIGHT = 12.0, 13.0  # from the legend to the keys, and between keys; swatch height


class Shading:
    """Cells shaded by value (see ``convgif.views.shade``)."""

    def _shade_scales(self, shade: frozenset) -> dict:
        """Panel -> its scales for the panels in ``shade``, one per input channel for an
        RGB photo's input."""
        if not isinstance(shade, frozenset) or not shade <= PANELS:
            raise ConvGifError(f"shade={shade!r} must be a frozenset of panel names from "
                               f"{', '.join(sorted(PANELS))}", "shade")
        t, scales = self.trace, {}
        # an RGB photo's channels each in their colour; any other input in grey
        rgb = t.in_channels == 3 and bool(self.options.source)
        ramps = RGB_RAMPS if rgb else ("grey",)
        if "input" in shade:
            scales["input"] = tuple(sequential(r, t.x) for r in ramps)
        if "kernel" in shade and t.kernel is not None:
            scales["kernel"] = (diverging(t.weight),)
        if "output" in shade:
            # a pool's output is in its input's units: shaded as its input channel is
            pooled = tuple(sequential(r, t.x) for r in ramps)
            scales["output"] = pooled if t.kernel is None else (diverging(t.y),)
        return scales

    @property
    def shade_ramps(self) -> tuple[str, ...]:
        """The ramps the style must add for this picture."""
        return tuple(dict.fromkeys(s.ramp for scales in self.shades.values() for s in scales))

    def _shaded(self, panel: str) -> bool:
        return panel in self.shades

    def _shade(self, panel: str, channel: int, value, role: str, color: str = "ink"):
        """(fill, text colour) of a cell of ``panel``'s ``channel`` holding ``value``: its
        shade when the panel is shaded, else ``role`` and ``color``."""
        scales = self.shades.get(panel)
        if not scales or value is None:
            return role, color
        scale = scales[channel % len(scales)]
        return scale.fill(value), scale.text(value)

    def _unshaded_legend(self, entries) -> list:
        """The legend's entries without the plain swatch of a panel the shades replace."""
        gone = {LEGEND_ROLE[p] for p in self.shades}
        return [(role, label) for role, label in entries if role not in gone]

    def _keys_width(self) -> float:
        """How much the shade keys add to the legend row."""
        return sum(KEYS_GAP + key_width(name, scales) for name, scales in self._keys())

    def _keys(self) -> list:
        """(name, scales) of each key: a pool's output shares its input's scale, so one
        key says it for both."""
        keys = [(p, self.shades[p]) for p in ("input", "kernel", "output") if p in self.shades]
        if self.trace.kernel is None and len(keys) == 2:
            return [("input, output", self.shades["input"])]
        return keys

    def _shade_keys(self, y: float) -> list:
        """The keys of the shades, after the legend's entries on its row."""
        items, x = [], MARGIN + legend_width(self.legend)
        for name, scales in self._keys():
            x += KEYS_GAP
            items += key(name, scales, x, y, KEY_HEIGHT)
            x += key_width(name, scales)
        return items
