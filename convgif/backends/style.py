"""Colour styles: each maps the scene's roles to RGB.

The default is built from the Okabe–Ito palette (safe for the common forms
of colour blindness) as light tints behind dark text, so values stay legible;
``classic`` follows the blue-input / cyan-output convention of the
conv-arithmetic animations; ``dark`` is for dark slides.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from convgif.errors import ConvGifError
from convgif.views.shade import RAMPS, role

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


# Okabe & Ito's colour-blind-safe palette, named once: the default style, the
# diverging shades and a chart's series are drawn from it.
OKABE_ITO = MappingProxyType({
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
})


def _hex(code: str) -> tuple[int, int, int]:
    code = code.lstrip("#")
    return (int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16))


class Style(NamedTuple):
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
        tap=OKABE_ITO["sky_blue"],
        window=OKABE_ITO["blue"],
        kernel_active=OKABE_ITO["orange"],
        output_active="#2EB88A",
        connector=OKABE_ITO["vermillion"],
        winner=OKABE_ITO["yellow"],
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


# --------------------------------------------------------------------------- shading by value

# Each ramp runs along the path black -> hue -> white, its levels at even steps of
# lightness (CIE L*) between two ends; a level on which neither ink nor paper keeps
# MIN_CONTRAST is moved to the nearest lightness where one of them does.
MIN_CONTRAST = 4.5
_HUES = {"grey": "#808080", "red": "#E8000B", "green": "#1A9E3A", "blue": "#1F5FD6"}
_SEQUENTIAL_LIGHTNESS = {"grey": (8.0, 97.0), "red": (10.0, 72.0), "green": (10.0, 72.0),
                         "blue": (10.0, 72.0)}
# Diverging: blue below 0, orange above (Okabe-Ito's pair, safe for colour blindness),
# from a neutral middle near the paper to strong ends.
_DIVERGING_HUES = (OKABE_ITO["blue"], OKABE_ITO["vermillion"])
_DIVERGING_LIGHTNESS = {False: (97.0, 38.0), True: (16.0, 78.0)}  # dark paper? -> (middle, ends)


def _luminance(rgb) -> float:
    """WCAG relative luminance of an sRGB colour."""
    c = np.asarray(rgb, dtype=np.float64) / 255
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2])


def contrast(a, b) -> float:
    """WCAG contrast ratio of two sRGB colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)))
    return (lb + 0.05) / (la + 0.05)


def _luminance_of_lightness(lightness: float) -> float:
    f = (lightness + 16) / 116
    return f**3 if f**3 > 0.008856 else (f - 16 / 116) / 7.787


def _on_path(hue: np.ndarray, lightness: float) -> tuple[int, int, int]:
    """The colour of the given lightness on the path black -> hue -> white."""
    target = _luminance_of_lightness(lightness)

    def at(s: float) -> np.ndarray:
        return hue * s if s <= 1 else hue + (255 - hue) * (s - 1)

    lo, hi = 0.0, 2.0
    for _ in range(40):  # luminance grows along the path: bisection
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _luminance(at(mid)) < target else (lo, mid)
    return tuple(int(v) for v in np.floor(at(lo) + 0.5))


def _legible(hue: np.ndarray, lightness: float, ink, paper) -> tuple[int, int, int]:
    """The colour at ``lightness``, or at the nearest lightness where ink or paper text
    keeps MIN_CONTRAST (mid greys are too dark for dark ink and too light for white)."""
    for step in range(0, 60):
        for sign in (1, -1):
            rgb = _on_path(hue, min(max(lightness + sign * step, 0.0), 100.0))
            if max(contrast(rgb, ink), contrast(rgb, paper)) >= MIN_CONTRAST + 0.05:
                return rgb
    raise AssertionError("no legible lightness")  # unreachable: black or white always is


def _ramp_colors(ramp: str, dark: bool) -> list[tuple[np.ndarray, float]]:
    """(hue, lightness) of each level of ``ramp``, lowest value first."""
    count = RAMPS[ramp]
    if ramp != "div":
        lo, hi = _SEQUENTIAL_LIGHTNESS[ramp]
        return [(_hex(_HUES[ramp]), lo + (hi - lo) * i / (count - 1)) for i in range(count)]
    middle, ends = _DIVERGING_LIGHTNESS[dark]
    half = count // 2
    levels = []
    for i in range(count):
        k = i - half  # −half .. half: 0 is the middle
        hue = _hex(_DIVERGING_HUES[k > 0] if k else _HUES["grey"])  # 0: neutral
        levels.append((hue, middle + (ends - middle) * abs(k) / half))
    return levels


def shade_style(style: str | Style, ramps) -> Style:
    """The style plus each ramp's levels (``shade_<ramp>_<i>``) and, for each, the text
    colour on it (``shade_<ramp>_<i>_text``: ink or paper, whichever contrasts more)."""
    base = get_style(style)
    ink, paper = base.rgb("ink"), base.rgb("paper")
    dark = _luminance(paper) < _luminance(ink)
    colors = dict(base.colors)
    for ramp in ramps:
        for i, (hue, lightness) in enumerate(_ramp_colors(ramp, dark)):
            rgb = _legible(hue, lightness, ink, paper)
            colors[role(ramp, i)] = rgb
            better = ink if contrast(rgb, ink) >= contrast(rgb, paper) else paper
            colors[role(ramp, i) + "_text"] = better
    return Style(f"{base.name}+shade", MappingProxyType(colors))


# --------------------------------------------------------------------------- a view's own colours

# What a page drawn mostly in its own colours (a photo's) takes of the style: its paper,
# text and outlines. Fewer colours blended under text leave the palette room for the photo.
PAGE_ROLES = ("paper", "ink", "muted", "grid")


def own_style(style: str | Style, colors) -> Style:
    """The style's page colours (``PAGE_ROLES``) plus the view's own ``colors`` (role ->
    RGB), e.g. the colours of a photo, which no style changes."""
    base = get_style(style)
    merged = {role: base.rgb(role) for role in PAGE_ROLES}
    merged.update({role: tuple(int(c) for c in rgb) for role, rgb in colors.items()})
    return Style(f"{base.name}+own", MappingProxyType(merged))


# --------------------------------------------------------------------------- a chart's series

# The lines of a chart (the cost chart), in order. Their values are read off them as off
# text, so each keeps MIN_CONTRAST on the paper: a hue that falls short is moved along
# black -> hue -> white, away from the paper, to the nearest lightness that reaches it.
SERIES_HUES = ("blue", "vermillion", "bluish_green", "reddish_purple")


def _lightness(rgb) -> float:
    """CIE L* of an sRGB colour (0 black .. 100 white)."""
    y = _luminance(rgb)
    return 116 * y ** (1 / 3) - 16 if y > 0.008856 else 903.3 * y


def series_colors(style: str | Style) -> tuple[tuple[int, int, int], ...]:
    """The colour of each of a chart's series (``SERIES_HUES``) on the style's paper."""
    paper = get_style(style).rgb("paper")
    away = -1 if _luminance(paper) > 0.5 else 1  # darker on light paper, lighter on dark
    colors = []
    for name in SERIES_HUES:
        hue = _hex(OKABE_ITO[name])
        rgb = tuple(int(v) for v in hue)
        lightness = _lightness(hue)
        while contrast(rgb, paper) < MIN_CONTRAST and 0 < lightness < 100:
            lightness += away
            rgb = _on_path(hue, min(max(lightness, 0.0), 100.0))
        colors.append(rgb)
    return tuple(colors)
