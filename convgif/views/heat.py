"""A heat scale: counts mapped to the colours of a sequential, colour-blind-safe scale
(the style's ``heat_0`` … ``heat_n`` roles), one colour per count when few, else ranges."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_LEVELS = 10  # colours of the scale; more distinct counts share colours in ranges


@dataclass(frozen=True)
class Levels:
    """How counts map to colours: one colour per count when few, else ranges."""

    edges: tuple[int, ...]  # level i holds counts edges[i] .. edges[i+1] − 1

    @classmethod
    def for_max(cls, top: int) -> Levels:
        if top < MAX_LEVELS:
            return cls(tuple(range(top + 2)))
        # 0 keeps its own colour (a cell no tap reaches); 1..top in equal ranges.
        step = math.ceil(top / (MAX_LEVELS - 1))
        return cls((0, *range(1, top + 1, step), top + 1))

    def __len__(self) -> int:
        return len(self.edges) - 1

    def level(self, count: int) -> int:
        return int(np.searchsorted(self.edges, count, side="right")) - 1

    def role(self, count: int) -> str:
        """The style's role of the colour of ``count``."""
        return f"heat_{self.level(count)}"

    def label(self, i: int) -> str:
        lo, hi = self.edges[i], self.edges[i + 1] - 1
        return str(lo) if lo == hi else f"{lo}\u2013{hi}"

    def entries(self) -> list[tuple[str, str]]:
        """The key's (role, label) entries, one per colour."""
        return [(f"heat_{i}", self.label(i)) for i in range(len(self))]
