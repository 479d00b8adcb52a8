"""Colour styles: each maps the scene's roles to RGB.

The default is built from the Okabe–Ito palette (safe for the common forms
of colour blindness) as light tints behind dark text, so values stay legible;
``classic`` follows the blue-input / cyan-output convention of the
conv-arithmetic animations; ``dark`` is for dark slides.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from convgif.errors import ConvGifError

# Every colour a scene may name. Text uses "ink" or "muted".
ROLES = (
    "paper",  # canvas
    "ink",  # main text
    "muted",  # secondary text: sub-headers, ellipses, notes
    "grid",  # cell edges
    "input",  # a real input cell
    "pad",  # a padding cell holding a constant
    "pad_copy",  # a padding cell copying a real cell (reflect/replicate/circular)
    "inserted",  # a zero inserted between cells (transposed convolution, gather view)
    "weight",  # a kernel cell
    "bias",  # a bias cell
    "output_empty",  # an output cell not yet computed
    "output",  # a computed output cell
    "tap",  # an input cell the kernel taps in this frame
    "window",  # outline of the window's bounding box
    "kernel_active",  # a kernel cell in use in this frame
    "output_active",  # the output cell being written
    "connector",  # lines joining window, kernel and output
    "winner",  # the cell holding the running maximum (max pooling)
)


def _hex(code: str) -> tuple[int, int, int]:
    code = code.lstrip("#")
    return (int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16))


@dataclass(frozen=True)
class Style:
    name: str
    colors: MappingProxyType  # role -> (r, g, b)

    def rgb(self, role: str) -> tuple[int, int, int]:
        return self.colors[role]


def _style(name: str, **codes: str) -> Style:
    missing = set(ROLES) - set(codes)
    assert not missing, f"style {name} lacks roles {sorted(missing)}"
    return Style(name, MappingProxyType({role: _hex(codes[role]) for role in ROLES}))


STYLES = {
    "default": _style(
        "default",
        paper="#FFFFFF",
        ink="#1A1A1A",
        muted="#5E5E5E",
        grid="#8C8C8C",
        input="#D4E9F7",
        pad="#E6E6E6",
        pad_copy="#DCE3EA",
        inserted="#FFFFFF",
        weight="#FBE2B5",
        bias="#EFD3E4",
        output_empty="#FFFFFF",
        output="#C6EADB",
        tap="#56B4E9",
        window="#0072B2",
        kernel_active="#E69F00",
        output_active="#2EB88A",
        connector="#D55E00",
        winner="#F0E442",
    ),
    "classic": _style(
        "classic",
        paper="#FFFFFF",
        ink="#111111",
        muted="#555555",
        grid="#5A6B7D",
        input="#9CC3EA",
        # padding grey and inserted zeros white, as in the default style: a transposed
        # layer's grid holds both, and near-white for both could not be told apart
        pad="#E3E3E3",
        pad_copy="#DCE8F5",
        inserted="#FFFFFF",
        weight="#D9D9D9",
        bias="#E6E6E6",
        output_empty="#FFFFFF",
        output="#8EE3E3",
        tap="#3F86D4",
        window="#0B3D91",
        kernel_active="#A9A9A9",
        output_active="#23BDBD",
        connector="#0B3D91",
        winner="#FFD54F",
    ),
    "dark": _style(
        "dark",
        paper="#1C1D22",
        ink="#F3F3F3",
        muted="#A9AAB3",
        grid="#5C5E68",
        input="#26435E",
        pad="#313239",  # clear of the inserted zeros, which are the paper
        pad_copy="#343947",
        inserted="#1C1D22",
        weight="#4F3A12",
        bias="#5A3452",
        output_empty="#232429",
        output="#184437",
        tap="#1F66B0",
        window="#8FD0FF",
        kernel_active="#8C6508",
        output_active="#0F7A5C",
        connector="#FF9A4D",
        winner="#7A6A00",
    ),
}


def get_style(style: str | Style) -> Style:
    if isinstance(style, Style):
        return style
    try:
        return STYLES[style]
    except (KeyError, TypeError):
        raise ConvGifError(
            f"style={style!r} must be one of {', '.join(repr(s) for s in STYLES)}"
        ) from None


# --------------------------------------------------------------------------- heat maps

# Sequential scales, light to strong. Light paper: ColorBrewer YlGnBu up to its
# middle (colour-blind safe, and dark ink stays legible on its strongest colour,
# contrast ≥ 4.5). Dark paper: one blue hue from near the paper up to a blue on
# which the light ink keeps the same contrast.
_LIGHT = ("#FFFFD9", "#EDF8B1", "#C7E9B4", "#7FCDBB", "#41B6C4", "#1D91C0")
_DARK = ("#2B2D35", "#233F5C", "#1F5582", "#1F6AA5")
_ROLES = ("paper", "ink", "muted", "grid", "input", "output", "pad", "tap", "window", "connector")


def _hex(code: str) -> np.ndarray:
    code = code.lstrip("#")
    return np.array([int(code[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.float64)


def _scale(anchors, count: int) -> list[tuple[int, int, int]]:
    """``count`` colours evenly spaced along the anchors (linear in RGB between them)."""
    points = np.array([_hex(a) for a in anchors])
    where = np.linspace(0, len(points) - 1, count) if count > 1 else np.zeros(1)
    out = []
    for t in where:
        i = min(int(t), len(points) - 2)
        rgb = points[i] + (points[i + 1] - points[i]) * (t - i)
        out.append(tuple(int(v) for v in np.floor(rgb + 0.5)))
    return out


def heat_style(style: str | Style, levels: int) -> Style:
    """The style's colours this view uses, plus ``heat_0 .. heat_{levels-1}``.

    Only the roles drawn are kept, so the raster palette keeps room for
    smooth text over every heat colour.
    """
    base = get_style(style)
    r, g, b = base.rgb("paper")
    dark = 0.2126 * r + 0.7152 * g + 0.0722 * b < 128
    colors = {role: base.rgb(role) for role in _ROLES}
    for i, rgb in enumerate(_scale(_DARK if dark else _LIGHT, levels)):
        colors[f"heat_{i}"] = rgb
    return Style(f"{base.name}+overlap", MappingProxyType(colors))
