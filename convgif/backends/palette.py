"""The fixed palette of the raster backend, and the tables that blend text into it.

Frames are painted as palette indices, never as RGB to be quantized later:
quantizing is slower and inexact. So the palette is fixed before the first
frame: one entry per colour of the style, plus, for each text colour
("ink", "muted") over each of those colours, a ramp of blends that carries
anti-aliased text into an indexed image.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from convgif.backends.style import Style

PALETTE_SIZE = 256  # entries of a GIF (and PNG "P" mode) palette
TEXT_ROLES = ("ink", "muted")
MAX_LEVELS = 7  # coverage levels of text, the full-coverage level included
MIN_LEVELS = 2  # at least one blend between a colour and the text over it

RGB = tuple[int, int, int]


class Palette(NamedTuple):
    """A painter's palette: its colours, where each role's colour is, and the text tables."""

    colors: list[RGB]  # palette index -> RGB
    role_index: dict[str, int]  # colour role -> palette index
    # text role -> ``table[under, level]``: the index to paint where text of that role
    # covers a pixel of index ``under`` with coverage ``level / levels``
    tables: dict[str, np.ndarray]
    levels: int  # coverage levels of text, the full-coverage level included


class _Origins(NamedTuple):
    """What each palette entry is, entry by entry: the style colour it was blended over,
    the text colour blended over it (-1: none) and that text's coverage level."""

    base: list[int]
    ink: list[int]
    level: list[int]


def build_palette(style: Style) -> Palette:
    """The fixed palette: the style's distinct colours, then the text ramps."""
    colors, role_index = _style_colors(style)
    n_base = len(colors)
    text_roles = [r for r in TEXT_ROLES if r in role_index]
    ramps = len({role_index[r] for r in text_roles})
    levels = _text_levels(n_base, ramps)
    if n_base + ramps * n_base * (levels - 1) > PALETTE_SIZE:
        raise ValueError(
            f"style {style.name!r} has too many colours for a {PALETTE_SIZE}-entry palette"
        )
    origins = _Origins(list(range(n_base)), [-1] * n_base, [0] * n_base)
    ramp_of: dict[int, np.ndarray] = {}  # text colour index -> (n_base, levels + 1) table
    for role in text_roles:
        ink = role_index[role]
        if ink not in ramp_of:
            ramp_of[ink] = _add_ramp(colors, origins, n_base, ink, levels)
    tables = {
        role: _text_table(ramp_of[role_index[role]], origins, role_index[role], levels)
        for role in text_roles
    }
    return Palette(colors, role_index, tables, levels)


def _style_colors(style: Style) -> tuple[list[RGB], dict[str, int]]:
    """The style's distinct colours in order of first use, and each role's index."""
    colors: list[RGB] = []
    role_index: dict[str, int] = {}
    for role, rgb in style.colors.items():
        rgb = tuple(int(c) for c in rgb)
        if rgb not in colors:
            colors.append(rgb)
        role_index[role] = colors.index(rgb)
    return colors, role_index


def _text_levels(n_base: int, ramps: int) -> int:
    """As many coverage levels as the palette has room for, up to MAX_LEVELS."""
    if not ramps:
        return MAX_LEVELS
    room = (PALETTE_SIZE - n_base) // (ramps * n_base) + 1
    return max(MIN_LEVELS, min(MAX_LEVELS, room))


def _add_ramp(colors: list[RGB], origins: _Origins, n_base: int, ink: int,
              levels: int) -> np.ndarray:
    """Append the blends of text colour ``ink`` over every base colour to the palette.

    Returns the ramp's table: ``table[base colour, level]`` is the index of the
    blend, level 0 the base colour itself and ``levels`` the text colour.
    """
    fg = np.array(colors[ink], dtype=np.float64)
    bg = np.array(colors[:n_base], dtype=np.float64)[:, None, :]  # (base, level, rgb)
    fractions = np.array([level / levels for level in range(1, levels)])[None, :, None]
    blends = np.floor(bg + (fg - bg) * fractions + 0.5).astype(int).tolist()
    table = np.empty((n_base, levels + 1), dtype=np.int64)
    table[:, 0] = np.arange(n_base)
    table[:, levels] = ink
    table[:, 1:levels] = len(colors) + np.arange(n_base * (levels - 1)).reshape(n_base, -1)
    for b in range(n_base):
        colors += [tuple(rgb) for rgb in blends[b]]
        origins.base.extend([b] * (levels - 1))
        origins.ink.extend([ink] * (levels - 1))
        origins.level.extend(range(1, levels))
    return table


def _text_table(ramp: np.ndarray, origins: _Origins, ink: int, levels: int) -> np.ndarray:
    """``table[under, level]`` over every palette entry, for text of colour ``ink``."""
    n = len(origins.base)
    table = np.zeros((PALETTE_SIZE, levels + 1), dtype=np.uint8)
    table[:, 0] = np.arange(PALETTE_SIZE)
    # over a pixel already blended with this text colour (overlapping glyphs),
    # keep the stronger coverage instead of blending twice
    have = np.where(np.array(origins.ink) == ink, np.array(origins.level), 0)
    have[ink] = levels
    wanted = np.maximum(np.arange(1, levels + 1)[None, :], have[:, None])
    table[:n, 1:] = ramp[np.array(origins.base)[:, None], wanted]
    return table
