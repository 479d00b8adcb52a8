"""Charts drawn with matplotlib, as file bytes: the cost of a layer as an argument grows.

A chart is plain data (``Chart``); ``encode`` draws one panel per series, log
scales where the values span a decade, the base layer's value marked, and
returns the PNG, SVG or PDF bytes. The API writes them.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from convgif.backends.vector import METADATA, RC

SERIES = {  # field: axis label, legend, colour (Okabe-Ito), marker
    "params": ("parameters (weights + bias)", "parameters", "#0072B2", "o"),
    "macs": ("multiply-accumulates (MACs)", "MACs per forward pass", "#D55E00", "s"),
    "output_elements": ("output elements", "output elements", "#009E73", "^"),
    "time_ms": ("forward time (ms)", "measured forward time (median)", "#CC79A7", "D"),
}


MUTED = "#5E5E5E"
DPI = 100


@dataclass(frozen=True)
class Chart:
    title: str
    x_label: str
    xs: list
    series: list  # (field of SERIES, values), one panel each
    marked: float | None  # an x marked with a dotted line (the base layer's value)
    marked_label: str
    note: str  # under the panels
    tall_note: bool = False  # two lines of note


def _human(value: float) -> str:
    """A tick label as people write counts: 950, 1.5k, 20M, 0.1."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def _panel(ax, chart: Chart, field: str, ys) -> None:
    from matplotlib.ticker import (
        FixedLocator,
        FuncFormatter,
        LogLocator,
        NullFormatter,
        NullLocator,
        ScalarFormatter,
    )

    label, legend, color, marker = SERIES[field]
    xs = chart.xs
    ax.plot(xs, ys, color=color, marker=marker, linewidth=2, markersize=6, label=legend)
    positive = [y for y in ys if y > 0]
    # Log scale where values span more than a decade: doublings then read as steps.
    if positive and len(positive) == len(ys) and max(ys) / min(ys) >= 10:
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _human(v)))
    if min(xs) > 0 and max(xs) / min(xs) >= 8:
        ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(xs))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_locator(NullLocator())
    if chart.marked is not None and min(xs) <= chart.marked <= max(xs):
        ax.axvline(chart.marked, color=MUTED, linestyle=":", linewidth=1.2,
                   label=chart.marked_label)
    ax.set_xlabel(chart.x_label)
    ax.set_ylabel(label)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="best", fontsize=8.5, framealpha=0.9)


def encode(chart: Chart, suffix: str) -> bytes:
    """The chart as the bytes of a ``.png``, ``.svg`` or ``.pdf`` file."""
    import matplotlib as mpl
    from matplotlib.figure import Figure

    with mpl.rc_context({**RC, "font.size": 10}):
        columns = 2 if len(chart.series) == 4 else len(chart.series)
        rows = math.ceil(len(chart.series) / columns)
        fig = Figure(figsize=(4.4 * columns, 3.6 * rows + 0.9), dpi=DPI, layout="constrained")
        axes = fig.subplots(rows, columns, squeeze=False).ravel()
        for ax, (field, ys) in zip(axes, chart.series):
            _panel(ax, chart, field, ys)
        for ax in axes[len(chart.series) :]:
            ax.set_visible(False)
        fig.suptitle(chart.title, fontsize=12, fontweight="bold")
        fig.text(0.5, 0.004, chart.note, ha="center", va="bottom", fontsize=8.5, color=MUTED)
        # Room under the panels for that note.
        fig.get_layout_engine().set(rect=(0, 0.06 if chart.tall_note else 0.035, 1, 0.94))
        buffer = io.BytesIO()
        metadata = {".png": {"Software": None}, **METADATA}[suffix]
        fig.savefig(buffer, format=suffix[1:], dpi=DPI, metadata=metadata)
    return buffer.getvalue()
