"""Charts drawn with matplotlib, as file bytes: the cost of a layer as an argument grows.

A chart is plain data (``Chart``); ``encode`` draws one panel per series, log
scales where the values span a decade, the base layer's value marked, and
returns the PNG, SVG or PDF bytes. The API writes them.

A plotting library draws axes, log scales and ticks better than a view would,
so a chart is no view; it still wears the project's one styling: the style's
paper behind it, its ink for text, spines and ticks, its muted colour for the
grid and the notes, series colours that stay legible on that paper
(``style.series_colors``), and the one font (``fonts.find_font``).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from convgif.backends.fonts import find_font
from convgif.backends.style import Style, get_style, series_colors
from convgif.backends.vector import METADATA, RC, font_properties

SERIES = {  # field: axis label, legend, marker; coloured by ``series_colors`` in this order
    "params": ("parameters (weights + bias)", "parameters", "o"),
    "macs": ("multiply-accumulates (MACs)", "MACs per forward pass", "s"),
    "output_elements": ("output elements", "output elements", "^"),
    "time_ms": ("forward time (ms)", "measured forward time (median)", "D"),
}
GRID_ALPHA = 0.3  # the grid in the muted colour, faint: it guides, the lines carry the values
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


def _hex(rgb) -> str:
    return "#{:02X}{:02X}{:02X}".format(*rgb)


def _style_rc(style: Style) -> dict:
    """matplotlib's settings that colour a figure in the style: paper, ink, muted."""
    paper, ink, muted = (_hex(style.rgb(role)) for role in ("paper", "ink", "muted"))
    return {
        "figure.facecolor": paper,
        "savefig.facecolor": paper,
        "axes.facecolor": paper,
        "axes.edgecolor": ink,
        "axes.labelcolor": ink,
        "text.color": ink,
        "xtick.color": ink,
        "ytick.color": ink,
        "grid.color": muted,
        "grid.alpha": GRID_ALPHA,
        "legend.facecolor": paper,
        "legend.edgecolor": muted,
        "legend.labelcolor": ink,
    }


def _use_font(fig, font) -> None:
    """Set every text of ``fig`` in ``font`` (its bold face where the text is bold)."""
    from matplotlib.text import Text

    faces = {False: find_font(font), True: find_font(font, bold=True)}
    fig.draw_without_rendering()  # ticks and their labels exist only once drawn
    for text in fig.findobj(Text):
        weight = text.get_fontweight()
        bold = weight in ("bold", "heavy", "black") or (isinstance(weight, int) and weight >= 600)
        properties = font_properties(faces[bold]).copy()
        properties.set_size(text.get_fontsize())
        text.set_fontproperties(properties)


def _panel(ax, chart: Chart, field: str, ys, color: str, muted: str) -> None:
    from matplotlib.ticker import (
        FixedLocator,
        FuncFormatter,
        LogLocator,
        NullFormatter,
        NullLocator,
        ScalarFormatter,
    )

    label, legend, marker = SERIES[field]
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
        ax.axvline(chart.marked, color=muted, linestyle=":", linewidth=1.2,
                   label=chart.marked_label)
    ax.set_xlabel(chart.x_label)
    ax.set_ylabel(label)
    ax.grid(True, which="major")
    ax.legend(loc="best", fontsize=8.5, framealpha=0.9)


def encode(chart: Chart, suffix: str, style: str | Style = "default", font=None) -> bytes:
    """The chart as the bytes of a ``.png``, ``.svg`` or ``.pdf`` file, in ``style``'s
    colours and ``font`` (None: the default font, DejaVu Sans)."""
    import matplotlib as mpl
    from matplotlib.figure import Figure

    style = get_style(style)
    colors = dict(zip(SERIES, map(_hex, series_colors(style))))
    muted = _hex(style.rgb("muted"))
    with mpl.rc_context({**RC, **_style_rc(style), "font.size": 10}):
        columns = 2 if len(chart.series) == 4 else len(chart.series)
        rows = math.ceil(len(chart.series) / columns)
        fig = Figure(figsize=(4.4 * columns, 3.6 * rows + 0.9), dpi=DPI, layout="constrained")
        axes = fig.subplots(rows, columns, squeeze=False).ravel()
        for ax, (field, ys) in zip(axes, chart.series):
            _panel(ax, chart, field, ys, colors[field], muted)
        for ax in axes[len(chart.series) :]:
            ax.set_visible(False)
        fig.suptitle(chart.title, fontsize=12, fontweight="bold")
        fig.text(0.5, 0.004, chart.note, ha="center", va="bottom", fontsize=8.5, color=muted)
        # Room under the panels for that note.
        fig.get_layout_engine().set(rect=(0, 0.06 if chart.tall_note else 0.035, 1, 0.94))
        if font is not None:
            _use_font(fig, font)
        buffer = io.BytesIO()
        metadata = {".png": {"Software": None}, **METADATA}[suffix]
        fig.savefig(buffer, format=suffix[1:], dpi=DPI, metadata=metadata)
    return buffer.getvalue()
