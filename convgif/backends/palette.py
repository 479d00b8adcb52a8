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
from convgif.views.scene import BITMAP_ROLE

PALETTE_SIZE = 256  # entries of a GIF (and PNG "P" mode) palette
TEXT_ROLES = ("ink", "muted")
SHADE_TEXT = "_text"  # a role named <fill>_text: the colour of text on that fill only
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
    over = _text_over(role_index)
    text_roles = [r for r in TEXT_ROLES if r in role_index]
    text_roles += [r for r in role_index if r.endswith(SHADE_TEXT)]
    levels = _text_levels(n_base, sum(len(bases) for bases in over.values()))
    if n_base + sum(len(b) for b in over.values()) * (levels - 1) > PALETTE_SIZE:
        raise ValueError(
            f"style {style.name!r} has too many colours for a {PALETTE_SIZE}-entry palette"
        )
    origins = _Origins(list(range(n_base)), [-1] * n_base, [0] * n_base)
    ramp_of: dict[int, np.ndarray] = {}  # text colour index -> (n_base, levels + 1) table
    for ink in sorted(over):
        ramp_of[ink] = _add_ramp(colors, origins, sorted(over[ink]), ink, levels, n_base)
    tables = {
        role: _text_table(ramp_of[role_index[role]], origins, role_index[role], levels)
        for role in text_roles
    }
    return Palette(colors, role_index, tables, levels)


def _text_over(role_index: dict[str, int]) -> dict[int, set[int]]:
    """Text colour index -> the base colours text of that colour is drawn over.

    Ink and muted text go on every colour but the value shades; a shade's own text
    role (ink or paper, see ``style.shade_style``) only on that shade. Blending each
    text colour only where it is drawn keeps room for smooth text in the palette.
    """
    shades = {r[: -len(SHADE_TEXT)] for r in role_index if r.endswith(SHADE_TEXT)}
    plain = {i for r, i in role_index.items() if r not in shades and not r.endswith(SHADE_TEXT)
             and not r.startswith(BITMAP_ROLE)}  # no text on a photo: no blends over it
    over: dict[int, set[int]] = {}
    for r in TEXT_ROLES:
        if r in role_index:
            over.setdefault(role_index[r], set()).update(plain)
    for r in shades:
        over.setdefault(role_index[r + SHADE_TEXT], set()).add(role_index[r])
    return over


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


def _text_levels(n_base: int, blended: int) -> int:
    """As many coverage levels as the palette has room for, up to MAX_LEVELS, when
    ``blended`` (text colour, base colour) pairs each need their blends."""
    if not blended:
        return MAX_LEVELS
    room = (PALETTE_SIZE - n_base) // blended + 1
    return max(MIN_LEVELS, min(MAX_LEVELS, room))


def _add_ramp(colors: list[RGB], origins: _Origins, bases: list[int], ink: int,
              levels: int, n_base: int) -> np.ndarray:
    """Append the blends of text colour ``ink`` over the ``bases`` to the palette.

    Returns the ramp's table: ``table[base colour, level]`` is the index of the
    blend, level 0 the base colour itself and ``levels`` the text colour. Over a
    base it is never drawn on, text is not anti-aliased (each pixel the nearer of
    the two).
    """
    fg = np.array(colors[ink], dtype=np.float64)
    table = np.empty((n_base, levels + 1), dtype=np.int64)
    table[:, 0] = np.arange(n_base)
    table[:, levels] = ink
    half = np.arange(1, levels) * 2 >= levels
    table[:, 1:levels] = np.where(half[None, :], ink, np.arange(n_base)[:, None])
    if not bases:
        return table
    bg = np.array([colors[b] for b in bases], dtype=np.float64)[:, None, :]  # (base, level, rgb)
    fractions = np.array([level / levels for level in range(1, levels)])[None, :, None]
    blends = np.floor(bg + (fg - bg) * fractions + 0.5).astype(int).tolist()
    for row, b in enumerate(bases):
        table[b, 1:levels] = len(colors) + np.arange(levels - 1)
        colors += [tuple(rgb) for rgb in blends[row]]
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
