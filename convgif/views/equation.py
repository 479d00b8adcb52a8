"""The caption's running equation, written so that a reader can check it by eye.

A long sum keeps the terms that carry the value: the non-zero products first (in
the trace's order), the rest folded into terms that state their count and their
sum, so the written numbers plus the stated sums plus ``b`` always equal the value.
Pooling is described by what it does: a max compares, an average sums and divides.
"""

from __future__ import annotations

import numpy as np

from convgif.layers.windows import window_taps
from convgif.simulate.trace import DATA, OVERFLOW
from convgif.views.text import fmt, term

MAX_TERMS = 6  # terms of the caption's equation before it is shortened
# Non-zero products written out before the others are folded into one term with their sum:
# with the folded term and the zeros' count the sum stays within one caption line.
SHOWN_PRODUCTS = 4


def shorten(terms: list) -> list:
    """The first and last few of a long list, an ellipsis between: for terms whose sum is
    not written (symbols, a max, a matrix row)."""
    if len(terms) <= MAX_TERMS:
        return terms
    return terms[:3] + ["\u2026"] + terms[-2:]


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def product_terms(xs: np.ndarray, ws: np.ndarray) -> list[str]:
    """The products ``x·w`` of a running sum as the caption writes them.

    Few: all of them, in order. Many: the non-zero ones first, the first few written out
    and the others folded into ``12 more products (sum −7)``, then ``28 products of 0``:
    every product is accounted for, so the sum can be checked.
    """
    if len(xs) <= MAX_TERMS:
        return [f"{term(x)}\u00b7{term(w)}" for x, w in zip(xs, ws)]
    products = np.asarray(xs, dtype=float) * np.asarray(ws, dtype=float)
    nonzero = np.flatnonzero(products != 0)
    shown = nonzero if len(nonzero) < MAX_TERMS else nonzero[:SHOWN_PRODUCTS]
    terms = [f"{term(xs[k])}\u00b7{term(ws[k])}" for k in shown]
    rest = nonzero[len(shown):]
    if len(rest):
        terms.append(f"{plural(len(rest), 'more product')} (sum {fmt(products[rest].sum())})")
    zeros = len(products) - len(nonzero)
    if zeros:
        terms.append(f"{plural(zeros, 'product')} of 0")
    return terms


def pool_work(trace) -> str:
    """What one window of a pool does: ``a max over 4 values (3 comparisons)``, ``a sum of 9
    values divided by 9``; "up to" where padding or ceil_mode's overhang leaves some out."""
    spec = trace.spec
    if trace.varying:
        return _adaptive_work(trace)
    k = int(np.prod(trace.kernel_size))
    # Windows that reach padding a pool leaves out (a max's −∞, an average that does not
    # count it) or ceil_mode's overhang take fewer values.
    left_out = trace.grid_kind == OVERFLOW
    if spec.op == "max_pool" or not spec.count_include_pad:
        left_out = trace.grid_kind != DATA
    some = bool(left_out.any())
    up_to = "up to " if some else ""
    if spec.op == "max_pool":
        return (f"a max over {up_to}{k} values ({up_to}"
                f"{plural(k - 1, 'comparison')})")
    divisors = np.unique(trace.divisor)
    if len(divisors) == 1:
        return f"a sum of {up_to}{k} values divided by {fmt(divisors[0])}"
    return f"a sum of {up_to}{k} values divided by how many it counts"


def _adaptive_work(trace) -> str:
    """Windows of varying size: ``a max over 2 to 4 values``, ``an average of 6 to 9``."""
    taps = window_taps(trace.windows)
    low, high = int(taps.min()), int(taps.max())
    values = f"{low} values" if low == high else f"{low} to {high} values"
    return f"a max over {values}" if trace.spec.op == "max_pool" else f"an average of {values}"


def work_per_cell(trace) -> str:
    """What computing one output cell takes, in the words of the layer's operation."""
    if trace.kernel is None:
        return pool_work(trace)
    return plural(trace.macs_per_cell, "multiply-accumulate")
