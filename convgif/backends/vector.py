"""Draw scenes with matplotlib: SVG and PDF stills, and into a user's ``Axes``.

This module is imported only when a vector picture is asked for, because
importing matplotlib costs a large share of start-up. Files are drawn on a
bare ``matplotlib.figure.Figure`` (no pyplot, no GUI backend).

Sizes: a scene's layout unit is one pixel of the raster backend at scale 1.
A file's figure is ``width * scale / 100`` inches at 100 dpi, so one unit is
one pixel there too, that is 0.72 pt; font sizes (pixels per em in the
scene, as Pillow takes them) and line widths are mapped to points with that
factor, so the vector picture matches the raster one.
"""

from __future__ import annotations

import functools
import io
from typing import NamedTuple

from convgif.backends.bitmap import draw_bitmap
from convgif.backends.fonts import find_font
from convgif.backends.shapes import BOX_DASH, LINE_DASH, dash_lengths
from convgif.backends.style import Style, get_style
from convgif.errors import ConvGifError
from convgif.views.scene import Bitmap, Box, Line, Scene, Text

FORMATS = (".svg", ".pdf")
POINTS_PER_INCH = 72.0
DPI = 100.0  # a file's figure: one layout unit per pixel at scale 1

# Pillow's anchors, horizontal letter -> matplotlib's ``ha``
_HA = {"l": "left", "m": "center", "r": "right"}


@functools.lru_cache(maxsize=16)
def _face(path: str):
    """(family name, is bold, ascender, descender) of a font file; metrics in em."""
    from matplotlib.ft2font import FT2Font

    font = FT2Font(path)
    em = float(font.units_per_EM)
    bold = "bold" in font.style_name.lower()
    return font.family_name, bold, font.ascender / em, -font.descender / em


@functools.lru_cache(maxsize=16)
def font_properties(path: str):
    """matplotlib's properties of a font file (shared and cached: copy one to change it)."""
    from matplotlib.font_manager import FontProperties

    family, bold, _, _ = _face(path)
    # ``fname`` picks the glyphs; family and weight name them in an SVG
    return FontProperties(family=family, weight="bold" if bold else "normal", fname=path)


def _baseline_offset(anchor: str, path: str) -> float | None:
    """Distance in em from the anchor point down to the baseline, as Pillow places text.

    Pillow's vertical anchors: a (ascender), m (middle of ascender and
    descender), s (baseline), d (descender). None for t / b (the glyphs'
    own top / bottom), which matplotlib's ``va`` handles.
    """
    _, _, ascender, descender = _face(path)
    return {
        "a": ascender,
        "m": (ascender - descender) / 2,
        "s": 0.0,
        "d": -descender,
    }.get(anchor[1:2] or "m")


def _rgb(style: Style, role: str):
    r, g, b = style.rgb(role)
    return (r / 255.0, g / 255.0, b / 255.0)


def _dash_scale(ppu: float, linewidth: float) -> float:
    """Points per layout unit of a dash pattern.

    matplotlib multiplies dash patterns by the line width when
    ``lines.scale_dashes`` is on (the default), so divide it out.
    """
    import matplotlib as mpl

    if mpl.rcParams["lines.scale_dashes"] and linewidth > 0:
        return ppu / linewidth
    return ppu


def _side_dashes(length: float, on: float, off: float) -> list[tuple[bool, float]]:
    """(is dash, length) runs along one side, starting with a dash at its corner."""
    runs, t = [], 0.0
    while t < length:
        is_on = len(runs) % 2 == 0
        run = min(on if is_on else off, length - t)
        runs.append((is_on, run))
        t += run
    return runs


def _box_dashes(box: Box) -> tuple[float, list[float]]:
    """(offset, on/off lengths) in layout units dashing a box's outline as the raster does.

    The raster backend starts each side's pattern afresh at its top or left
    corner; the outline runs top (left to right), right (down), bottom (right
    to left), left (up), so the bottom and left runs are reversed. One dash
    array then covers the perimeter once, and the box stays one closed patch
    whose fill and edge come together.
    """
    on, off = dash_lengths(*BOX_DASH, box.edge_width)
    top = _side_dashes(box.w, on, off)
    side = _side_dashes(box.h, on, off)
    runs: list[list] = []  # [is dash, length], alternating
    for is_on, length in top + side + top[::-1] + side[::-1]:
        if runs and runs[-1][0] == is_on:
            runs[-1][1] += length
        else:
            runs.append([is_on, length])
    offset = 0.0
    if len(runs) > 1 and runs[-1][0]:
        # the outline ends in a dash that goes on into the first one: join them
        offset = runs[-1][1]
        runs[0][1] += offset
        runs.pop()
    if len(runs) % 2:
        runs.append([False, 0.0])
    return offset, [length for _, length in runs]


def _points_per_unit(ax, scene: Scene) -> float:
    """Points per layout unit once the axes shows the scene at equal aspect."""
    figure = ax.get_figure()
    fig_w, fig_h = figure.get_size_inches()
    box = ax.get_position(original=True)
    inches = min(box.width * fig_w / scene.width, box.height * fig_h / scene.height)
    return inches * POINTS_PER_INCH


class _Canvas(NamedTuple):
    """Where and how the items of one scene are drawn."""

    ax: object  # a matplotlib Axes
    style: Style
    fonts: tuple[str, str]  # regular, bold font files
    ppu: float  # points per layout unit
    clip: bool


def _draw_items(ax, scene: Scene, style: Style, font, ppu: float, clip: bool) -> None:
    from matplotlib.patches import Rectangle

    canvas = _Canvas(ax, style, (find_font(font, bold=False), find_font(font, bold=True)), ppu,
                     clip)
    # one z-order band, in display-list order: matplotlib would otherwise draw
    # all patches, then all lines, then all texts
    z = 1.0
    step = 1.0 / (len(scene.items) + 2)
    background = Rectangle(
        (0, 0),
        scene.width,
        scene.height,
        facecolor=_rgb(style, scene.background),
        edgecolor="none",
        linewidth=0,
        zorder=z,
        clip_on=clip,
    )
    ax.add_patch(background)
    for item in scene.items:
        z += step
        if isinstance(item, Box):
            _draw_box(canvas, item, z)
        elif isinstance(item, Text):
            _draw_text(canvas, item, z)
        elif isinstance(item, Line):
            _draw_line(canvas, item, z)
        elif isinstance(item, Bitmap):
            draw_bitmap(ax, item, style.rgb, z, clip)
        else:
            raise TypeError(f"cannot draw {type(item).__name__}: {item!r}")


def _draw_box(canvas: _Canvas, item: Box, z: float) -> None:
    from matplotlib.patches import Rectangle

    if item.fill is None and item.edge is None:
        return
    style = canvas.style
    width = item.edge_width * canvas.ppu if item.edge is not None else 0.0
    patch = Rectangle(
        (item.x, item.y),
        item.w,
        item.h,
        facecolor=_rgb(style, item.fill) if item.fill is not None else "none",
        edgecolor=_rgb(style, item.edge) if item.edge is not None else "none",
        linewidth=width,
        joinstyle="miter",
        capstyle="butt",
        zorder=z,
        clip_on=canvas.clip,
    )
    if item.dashed and item.edge is not None:
        offset, runs = _box_dashes(item)
        factor = _dash_scale(canvas.ppu, width)
        patch.set_linestyle((offset * factor, [run * factor for run in runs]))
    canvas.ax.add_patch(patch)


def _draw_text(canvas: _Canvas, item: Text, z: float) -> None:
    if not item.text:
        return
    regular, bold = canvas.fonts
    path = bold if item.bold else regular
    offset = _baseline_offset(item.anchor, path)
    va = "baseline" if offset is not None else {"t": "top", "b": "bottom"}[item.anchor[1]]
    canvas.ax.text(
        item.x,
        item.y + (offset or 0.0) * item.size,
        item.text,
        fontproperties=font_properties(path),
        fontsize=item.size * canvas.ppu,
        color=_rgb(canvas.style, item.color),
        ha=_HA.get(item.anchor[:1], "center"),
        va=va,
        parse_math=False,
        zorder=z,
        clip_on=canvas.clip,
    )


def _draw_line(canvas: _Canvas, item: Line, z: float) -> None:
    from matplotlib.lines import Line2D

    width = item.width * canvas.ppu
    line = Line2D(
        [item.x0, item.x1],
        [item.y0, item.y1],
        color=_rgb(canvas.style, item.color),
        linewidth=width,
        solid_capstyle="projecting",
        dash_capstyle="butt",
        zorder=z,
        clip_on=canvas.clip,
    )
    if item.dashed:
        on, off = dash_lengths(*LINE_DASH, item.width)
        factor = _dash_scale(canvas.ppu, width)
        line.set_linestyle((0.0, (on * factor, off * factor)))
    canvas.ax.add_line(line)


def _frame_axes(ax, scene: Scene) -> None:
    ax.set_xlim(0, scene.width)
    ax.set_ylim(scene.height, 0)  # origin top-left, as in the scene
    ax.set_aspect("equal", adjustable="box")
    ax.set_axis_off()


def draw_scene(ax, scene: Scene, style: str | Style = "default", font=None):
    """Draw ``scene`` into a matplotlib ``Axes``; returns the axes.

    Sets the limits to the scene, equal aspect, the y axis pointing down, and
    turns the axis off. Text sizes and line widths are fixed from the axes'
    size at the time of the call (resize the figure first, then draw).
    """
    style = get_style(style)
    _frame_axes(ax, scene)
    _draw_items(ax, scene, style, font, _points_per_unit(ax, scene), clip=True)
    return ax


def figure(scene: Scene, style: str | Style = "default", scale: float = 1.0, font=None):
    """A new ``Figure`` showing exactly the scene, one unit per pixel at 100 dpi × scale."""
    from matplotlib.figure import Figure

    from convgif.backends.raster import check_scale

    style = get_style(style)
    scale = check_scale(scale)
    size = (scene.width * scale / DPI, scene.height * scale / DPI)
    fig = Figure(figsize=size, dpi=DPI, facecolor=_rgb(style, scene.background))
    ax = fig.add_axes((0, 0, 1, 1))
    _frame_axes(ax, scene)
    _draw_items(ax, scene, style, font, POINTS_PER_INCH * scale / DPI, clip=False)
    return fig


RC = {
    "svg.fonttype": "none",  # text stays text: searchable, selectable
    "svg.hashsalt": "convgif",  # fixed ids: the same call writes the same bytes
    "pdf.fonttype": 42,  # TrueType embedded, not Type 3 outlines
    "pdf.compression": 6,
    "path.simplify": False,
    # lay text out with the font's true advances, as PDF and SVG viewers draw
    # it, so centred and right-aligned text lands where the raster puts it
    "text.hinting": "no_hinting",
}
METADATA = {
    ".svg": {"Date": None, "Creator": None},
    ".pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}


def encode(scene: Scene, suffix: str, style: str | Style = "default", scale: float = 1.0,
           font=None) -> bytes:
    """``scene`` as the bytes of an SVG or PDF file (``suffix``: ".svg" or ".pdf")."""
    import matplotlib as mpl

    if suffix not in FORMATS:
        raise ConvGifError(f"a vector picture is one of {', '.join(FORMATS)}, not {suffix!r}")
    with mpl.rc_context(RC):
        fig = figure(scene, style, scale, font)
        buffer = io.BytesIO()
        fig.savefig(
            buffer,
            format=suffix[1:],
            dpi=DPI,
            facecolor=fig.get_facecolor(),
            metadata=METADATA[suffix],
        )
    data = buffer.getvalue()
    return _preserve_spaces(data) if suffix == ".svg" else data


def _preserve_spaces(svg: bytes) -> bytes:
    """Keep runs of spaces in texts (``a  ·  b``), which SVG viewers collapse by default."""
    head, sep, rest = svg.partition(b"<svg ")
    if not sep:
        return svg
    return head + sep + b'xml:space="preserve" ' + rest


__all__ = ["FORMATS", "METADATA", "RC", "draw_scene", "encode", "figure", "font_properties"]
