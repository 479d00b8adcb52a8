"""The columns of a trace's MAC tables, and the position columns they share.

A table is a numpy structured array: positions as int32, values as float64.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

import numpy as np

_OUT = ("oz", "oy", "ox")
_KER = ("kz", "ky", "kx")
_INP = ("iz", "iy", "ix")
_VALUES = ("x", "w", "product", "running_sum")  # the float columns, last in every table


class AxisFields(NamedTuple):
    """Names of the position columns of a MAC table, one per spatial axis."""

    output: tuple[str, ...]  # e.g. ("oy", "ox")
    kernel: tuple[str, ...]  # e.g. ("ky", "kx")
    input: tuple[str, ...]  # the grid position the kernel taps, e.g. ("iy", "ix")


@cache  # asked for on every MAC lookup
def axis_fields(ndim: int) -> AxisFields:
    """Names of the output, kernel and input position columns of a layer with ``ndim`` axes."""
    return AxisFields(_OUT[3 - ndim :], _KER[3 - ndim :], _INP[3 - ndim :])


@cache
def mac_fields(ndim: int) -> tuple[str, ...]:
    """The column names of a MAC table for a layer with ``ndim`` spatial axes."""
    out, ker, inp = axis_fields(ndim)
    return ("n", "group", "out_channel", *out, "in_channel", *ker, *inp, *_VALUES)


@cache
def scatter_fields(ndim: int) -> tuple[str, ...]:
    """Columns of the scatter view: input cell first, then where its stamp lands."""
    out, ker, inp = axis_fields(ndim)
    return ("n", "group", "in_channel", *inp, "out_channel", *ker, *out, "inside", *_VALUES)


@cache  # a dtype costs ~10 µs to build, a tenth of a cell's MAC lookup
def table_dtype(fields: tuple[str, ...]) -> np.dtype:
    kinds = {"inside": np.bool_, **{f: np.float64 for f in _VALUES}}
    return np.dtype([(f, kinds.get(f, np.int32)) for f in fields])


def position_table(nd: int, cells: int, m: int, columns) -> np.ndarray:
    """The position columns of the records of ``cells`` output cells, ``m`` records a
    cell (the value columns are left for the caller)."""
    n, group, oc, opos, ic, kpos, ipos = columns
    table = np.empty(cells * m, dtype=table_dtype(mac_fields(nd)))
    size = (cells, m)
    table["n"] = np.repeat(n, m)
    table["group"] = np.repeat(group, m)
    table["out_channel"] = np.repeat(oc, m)
    out_names, ker_names, inp_names = axis_fields(nd)
    for name, o in zip(out_names, opos):
        table[name] = np.repeat(o, m)
    table["in_channel"] = np.broadcast_to(ic, size).ravel()
    for name, k in zip(ker_names, kpos):
        table[name] = np.tile(k, cells)
    for name, i in zip(inp_names, ipos):
        table[name] = i.ravel()
    return table
