"""RGB pictures (a photo, coloured feature maps) as ``Bitmap`` items that share few colours.

The raster backend paints palette indices into a palette of 256 entries fixed
before the first frame (``convgif.backends.palette``), so the pictures of one
page share at most ``MAX_COLORS`` colours, chosen for them all at once by
median cut: the colour cube is split where the pixels are many and spread
out, so a portrait's skin and a map's fine ramp both keep their shades. Each
colour becomes a role (``bitmap_<i>``) that the view brings along
(``View.own_colors``); a picture that already has few colours keeps them
exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from convgif.views.scene import BITMAP_ROLE, Bitmap

# The palette's 256 entries, less the page's colours (paper, ink, muted, grid) and the
# blends that smooth ink and muted text over them (about 50).
MAX_COLORS = 192
_CHUNK = 16_384  # colours matched to the palette at a time (bounded memory)


@dataclass(frozen=True)
class Colors:
    """The colours the pictures of one page share, and each picture's pixels as indices."""

    rgb: np.ndarray  # (k, 3) uint8, k <= MAX_COLORS
    indices: tuple[np.ndarray, ...]  # per picture, (rows, cols) uint8 into rgb

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(f"{BITMAP_ROLE}{i}" for i in range(len(self.rgb)))

    @property
    def own_colors(self) -> dict:
        """Role -> RGB, for ``View.own_colors``."""
        return {role: tuple(int(v) for v in rgb) for role, rgb in zip(self.roles, self.rgb)}

    def bitmap(self, picture: int, x: float, y: float, w: float, h: float) -> Bitmap:
        """Picture number ``picture`` stretched over the rectangle (x, y, w, h)."""
        a = self.indices[picture]
        return Bitmap(x, y, w, h, a.shape[0], a.shape[1], a.tobytes(), self.roles)


def _pack(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.reshape(-1, 3).astype(np.int64)
    return (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]


def _unpack(code: np.ndarray) -> np.ndarray:
    return np.stack([(code >> 16) & 255, (code >> 8) & 255, code & 255], axis=1)


def _median_cut(colors: np.ndarray, counts: np.ndarray, k: int) -> np.ndarray:
    """At most ``k`` colours for the distinct ``colors`` (n, 3) seen ``counts`` times:
    split, again and again, the box whose pixels are many and spread widest, at the
    median pixel along its widest side; each box gives its pixels' mean colour."""
    def scored(members):  # (how much splitting it gains, the side to split along, members)
        if len(members) < 2:
            return (0.0, 0, members)
        spread = colors[members].max(axis=0) - colors[members].min(axis=0)
        return (float(spread.max()) * float(counts[members].sum()), int(spread.argmax()), members)

    boxes = [scored(np.arange(len(colors)))]
    while len(boxes) < k:
        best = max(range(len(boxes)), key=lambda i: boxes[i][0])
        score, axis, members = boxes[best]
        if score <= 0:
            break  # every box is one colour
        boxes.pop(best)
        members = members[np.argsort(colors[members, axis], kind="stable")]
        weight = np.cumsum(counts[members])
        cut = int(np.searchsorted(weight, weight[-1] / 2))
        cut = min(max(cut, 1), len(members) - 1)
        boxes += [scored(members[:cut]), scored(members[cut:])]
    boxes = [members for _, _, members in boxes]
    means = [np.average(colors[m], axis=0, weights=counts[m]) for m in boxes]
    return np.floor(np.array(means) + 0.5).astype(np.uint8)


def _nearest(colors: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """The index in ``palette`` of the nearest colour to each of ``colors``: squared
    distances as |c|² − 2 c·p + |p|², one matrix product a chunk (|c|² is the same for
    every p, so it is left out)."""
    pal = palette.astype(np.float64)
    norms = (pal**2).sum(axis=1)
    out = np.empty(len(colors), dtype=np.uint8)
    for start in range(0, len(colors), _CHUNK):
        part = colors[start : start + _CHUNK].astype(np.float64)
        out[start : start + _CHUNK] = (norms[None, :] - 2.0 * part @ pal.T).argmin(axis=1)
    return out


def share_colors(pictures, k: int = MAX_COLORS) -> Colors:
    """The (rows, cols, 3) uint8 ``pictures`` as indices into at most ``k`` shared colours
    (exactly their own when they have no more)."""
    codes = [_pack(p) for p in pictures]
    distinct, inverse, counts = np.unique(np.concatenate(codes), return_inverse=True,
                                          return_counts=True)
    colors = _unpack(distinct)
    if len(distinct) <= k:
        palette, of_distinct = colors.astype(np.uint8), np.arange(len(distinct), dtype=np.uint8)
    else:
        palette = _median_cut(colors, counts, k)
        of_distinct = _nearest(colors, palette)
    flat = of_distinct[inverse.reshape(-1)]
    indices, start = [], 0
    for p in pictures:
        size = p.shape[0] * p.shape[1]
        indices.append(flat[start : start + size].reshape(p.shape[:2]))
        start += size
    return Colors(palette, tuple(indices))
