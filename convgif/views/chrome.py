"""What every view draws around its panels: title, subtitle, legend, caption, counter, connectors.

One place for them, so every view names shapes, numbers frames and joins
panels the same way.
"""

from __future__ import annotations

from convgif.frames.storyboard import describe_region
from convgif.views.layout import CAPTION_SIZE, LABEL_SIZE, MARGIN, SUBTITLE_SIZE, TITLE_SIZE
from convgif.views.options import Options
from convgif.views.scene import Box, Line, Text
from convgif.views.sizes import BUS_DROP
from convgif.views.terms import as_given, shape_text, weight_text
from convgif.views.text import text_width, wrap_into


def pair_text(values) -> str:
    return shape_text(tuple(values))


def input_shape(trace) -> tuple[int, ...]:
    """The input's shape as the user gave it (framework layout, batch if batched)."""
    shape = as_given(trace.spec, trace.x.shape, batched=True)
    batched = trace.output.ndim == trace.ndim + 2
    return shape if batched else shape[1:]


def title(trace) -> list[str]:
    """The parts of ``Input shape: (3, 7, 7) — Output shape: (2, 3, 3) — K: (3, 3) — … — G: 1``."""
    return title_parts(trace.spec, trace.pads, input_shape(trace), trace.output.shape)


def title_parts(spec, pads, in_shape, out_shape) -> list[str]:
    """The title's parts for a layer, its padding per axis as (before, after), and the
    input and output shapes as the user sees them."""
    if spec.transposed and not spec.keras:
        p = pair_text(b for b, _ in pads)
    elif all(b == a for b, a in pads):
        p = pair_text(b for b, _ in pads)
    else:  # (before, after) per axis, as convgif's padding=((0, 2), (1, 0)) spells it
        p = shape_text(tuple(shape_text(tuple(pair)) for pair in pads))
    shapes = [
        f"Input shape: {shape_text(tuple(in_shape))}",
        f"Output shape: {shape_text(tuple(out_shape))}",
    ]
    if spec.adaptive and set(spec.output_size) == {1}:  # a global pool
        return [*shapes, "one window: the whole input"]
    if spec.adaptive:  # no K, P, S: each output cell i of o has its own window
        return [*shapes, "adaptive windows: \u230ai\u00b7n/o\u230b to \u2308(i+1)\u00b7n/o\u2309"]
    parts = [
        *shapes,
        f"K: {pair_text(spec.kernel_size)}",
        f"P: {p}",
        f"S: {pair_text(spec.stride)}",
        f"D: {pair_text(spec.dilation)}",
    ]
    if not spec.pooling:
        parts.append(f"G: {spec.groups}")
    if spec.transposed and spec.output_padding:
        parts.append(f"OP: {pair_text(spec.output_padding)}")
    if spec.padding_mode != "zeros":
        parts.append(f"padding_mode: {spec.padding_mode}")
    return parts


DASH = " \u2014 "

# Line widths every view shares: the outline of what a frame lights (the window, the
# cell being written), and the connectors that join them.
LIT_EDGE, CONNECTOR_WIDTH = 2.5, 1.5


def counter_text(index: int, count: int, shown: int | None) -> str:
    """``frame 4/20``, and how many frames a sampled animation keeps."""
    text = f"frame {index + 1}/{count}"
    if shown is not None:
        text += f" ({shown} shown, evenly spread)"
    return text


def frame_counter(state, shown: int | None) -> str:
    """The counter of a storyboard's frame state."""
    return counter_text(state.index, state.count, shown)


CAPTION_LINES = 2  # the caption's room at the foot of a page (see ``layout.page_height``)
MIN_CAPTION_SIZE = 12


def fit_caption(lines, room: list[float]) -> tuple[float, list[str]]:
    """(size, lines): the caption wrapped into lines of the widths in ``room``, at the
    largest size down to ``MIN_CAPTION_SIZE`` at which it takes no more lines than that;
    at the least size, what is still left over ends the last line with an ellipsis."""
    size = float(CAPTION_SIZE)
    while True:
        out = []
        for line in lines:
            out += wrap_into(line, room[len(out):] or room[-1:], size)
        if len(out) <= len(room) or size <= MIN_CAPTION_SIZE:
            break
        size -= 1
    if len(out) > len(room):
        out = out[: len(room)]
        out[-1] = _ellipsized(out[-1], room[len(out) - 1], size)
    return size, out


def _ellipsized(line: str, width: float, size: float) -> str:
    while line and text_width(line + " \u2026", size) > width:
        line = line[:-1]
    return line.rstrip() + " \u2026"


def caption(lines, y: float, width: float = 0.0, counter: str = "", color: str = "ink",
            room_lines: int = CAPTION_LINES) -> list:
    """Caption lines from ``y`` down at the left, wrapped to the page into ``room_lines``
    lines; the counter at the right of the second."""
    inner = max(width - 2 * MARGIN, 1.0) if width else float("inf")
    counter_w = text_width(counter, LABEL_SIZE - 1) + 16 if counter else 0.0
    room = [inner] + [inner - counter_w] * (room_lines - 1)
    size, lines = fit_caption(lines, room) if width else (CAPTION_SIZE, list(lines))
    items = [
        Text(MARGIN, y + i * (CAPTION_SIZE + 6), line, size, color, anchor="la", fleeting=True)
        for i, line in enumerate(lines)
    ]
    if counter:
        at = (width - MARGIN, y + CAPTION_SIZE + 6)
        items.append(Text(*at, counter, LABEL_SIZE - 1, "muted", anchor="ra", fleeting=True))
    return items


def counter_at(text: str, width: float, y: float, size: float = LABEL_SIZE - 1,
               anchor: str = "ra") -> Text:
    """A frame counter at the right margin of a page ``width`` wide, at height ``y``: for
    a view whose counter is not in its caption's second line (see ``caption``)."""
    return Text(width - MARGIN, y, text, size, "muted", anchor=anchor, fleeting=True)


def subtitle(trace, options: Options, kernel_note: str = "", left_out: str = "") -> str:
    """The layer as written, its weight and bias shapes (a Keras layer's kernel as Keras
    stores it, and the ``kernel_note`` on how its grids are indexed), and what the picture
    leaves out (channels: ``left_out``; a region of the output) or changes (the kernel
    flipped)."""
    parts = [trace.layer]
    if trace.kernel is not None:
        parts.append(weight_text(trace.spec, trace.weight.shape, trace.bias.shape))
        if kernel_note:
            parts.append(kernel_note)
    if left_out:
        parts.append(left_out)
    if options.outputs is not None:
        parts.append(f"a selection: output {describe_region(options.outputs)}")
    if options.flip:
        parts.append(FLIP_NOTE)
    return "   \u00b7   ".join(parts)


def header(title_lines, subtitle: str) -> list:
    """The bold title lines at the top left and the subtitle under them."""
    items = [
        Text(MARGIN, MARGIN + i * (TITLE_SIZE + 6), line, TITLE_SIZE, "ink", anchor="la", bold=True)
        for i, line in enumerate(title_lines)
    ]
    subtitle_y = MARGIN + len(title_lines) * (TITLE_SIZE + 6) + 2
    items.append(Text(MARGIN, subtitle_y, subtitle, SUBTITLE_SIZE, "muted", anchor="la"))
    return items


# the subtitle's note on a flipped picture: signal processing's convolution, not the
# cross-correlation deep learning computes (only flipped pictures carry a note, so the
# default ones stay as narrow as their layer)
FLIP_NOTE = "true convolution: kernel flipped (x \u2217 w)"


FLIP_CAPTION = (
    "True convolution: w\u2032[i] = w[K\u22121\u2212i] (w rotated 180\u00b0);"
    " PyTorch slides w unflipped."
)


def elbow_h(x0, y0, x1, y1, mid=None) -> list:
    """Horizontal–vertical–horizontal, meeting the target's left edge; the vertical at
    ``mid`` (default: halfway)."""
    mid = (x0 + x1) / 2 if mid is None else mid
    return [
        Line(x0, y0, mid, y0, width=1.5),
        Line(mid, y0, mid, y1, width=1.5),
        Line(mid, y1, x1, y1, width=1.5),
    ]


def title_width(text: str) -> float:
    return text_width(text, TITLE_SIZE, bold=True)


def title_lines(parts, room: float) -> list[str]:
    """The title on one line when it fits a page ``room`` wide; else the shapes on one
    line and K, P, S, D, G below."""
    one = DASH.join(parts)
    if title_width(one) + 2 * MARGIN <= room:
        return [one]
    return [DASH.join(parts[:2]), DASH.join(parts[2:])]


def header_width(title_lines, subtitle: str, entries) -> float:
    """The width the header's lines take: the title's lines, the subtitle, the legend row
    of (role, label) ``entries``."""
    widths = [title_width(line) for line in title_lines]
    return max(widths + [text_width(subtitle, SUBTITLE_SIZE), legend_width(entries)])


# The legend's swatches of cells that hold no data of their own are dashed, as on the grids.
DASHED_ROLES = frozenset({"pad", "pad_copy", "inserted", "paper", "output_empty"})
SWATCH, SWATCH_GAP, ENTRY_GAP = 13, 18, 16  # a legend entry: swatch, its label, the next entry


def legend_width(entries) -> float:
    """The width of a legend row of (role, label) entries."""
    return sum(SWATCH_GAP + text_width(label, LABEL_SIZE - 1) + ENTRY_GAP for _, label in entries)


def legend(entries, y: float, dashed=DASHED_ROLES, outlined=frozenset()) -> list:
    """A row of (role, label) entries at the left margin: a swatch of the role, its label.
    ``outlined`` roles are outlines (a window, a box): their swatch is an outline too."""
    items, x = [], float(MARGIN)
    for role, label in entries:
        if role in outlined:
            items.append(Box(x, y, SWATCH, SWATCH, edge=role, edge_width=2,
                             dashed=role in dashed))
        else:
            items.append(Box(x, y, SWATCH, SWATCH, fill=role, edge="grid",
                             dashed=role in dashed))
        items.append(Text(x + SWATCH_GAP, y + SWATCH / 2, label, LABEL_SIZE - 1, "muted",
                          anchor="lm"))
        x += SWATCH_GAP + text_width(label, LABEL_SIZE - 1) + ENTRY_GAP
    return items


# A heat scale's key: swatches KEY_H tall, at least KEY_W wide, each label written in its
# colour with KEY_PAD to spare; NOTE_GAP on, a PAD_SWATCH square for the padding.
KEY_H, KEY_W, KEY_PAD, NOTE_GAP, PAD_SWATCH = 24, 26.0, 10, 24, 14


def heat_key_width(title: str, entries, note: str = "") -> float:
    """The width of a heat key (see ``heat_key``)."""
    key = text_width(title, LABEL_SIZE) + KEY_PAD
    swatches = sum(max(KEY_W, text_width(label, LABEL_SIZE) + KEY_PAD) for _, label in entries)
    extra = 40 + text_width(note, LABEL_SIZE - 1) if note else 0.0
    return key + swatches + extra


def heat_key(title: str, entries, y: float, note: str = "") -> list:
    """The key of a heat scale at the left margin: its title, then its (role, label)
    entries side by side, each label written in its colour; then, given a ``note``, a
    dashed padding swatch and the note."""
    mid = y + KEY_H // 2
    items = [Text(MARGIN, mid, title, LABEL_SIZE, "ink", anchor="lm")]
    x = MARGIN + text_width(title, LABEL_SIZE) + KEY_PAD
    for role, label in entries:
        w = max(KEY_W, text_width(label, LABEL_SIZE) + KEY_PAD)
        items.append(Box(x, y, w, KEY_H, fill=role, edge="grid"))
        items.append(Text(x + w / 2, mid, label, LABEL_SIZE, "ink"))
        x += w
    if note:
        x += NOTE_GAP
        items.append(Box(x, y + 5, PAD_SWATCH, PAD_SWATCH, fill="pad", edge="grid", dashed=True))
        items.append(Text(x + 20, mid, note, LABEL_SIZE - 1, "muted", anchor="lm"))
    return items


def sum_bus(kernels, node, riser: float) -> list:
    """From the bottom of each kernel in use (Grids) down to a bus just under its row,
    along it to below the Σ ``node`` and up into it: the products of every kernel gather
    there. A row above the node's (in a band of input channels higher up) runs its bus on
    to ``riser``, right of every kernel, and down it to the node's bus."""
    rows: dict = {}
    for k in kernels:
        rows.setdefault(round(k.y, 3), []).append(k)
    nx, middle = node.x + node.cell / 2, node.y + node.cell / 2
    own = [row for row in rows.values() if row[0].y <= middle <= row[0].y + row[0].height]
    node_bus = _bus(own[0]) if own else node.y + node.cell + BUS_DROP
    items = []
    for row in rows.values():
        bus, mids = _bus(row), [k.x + k.width / 2 for k in row]
        items += [Line(x, k.y + k.height, x, bus, width=CONNECTOR_WIDTH)
                  for x, k in zip(mids, row)]
        items.append(Line(min(mids), bus, nx if row in own else riser, bus,
                          width=CONNECTOR_WIDTH))
        if row not in own:
            items.append(Line(riser, bus, riser, node_bus, width=CONNECTOR_WIDTH))
    if len(own) < len(rows):  # from the riser along the node's bus
        items.append(Line(riser, node_bus, nx, node_bus, width=CONNECTOR_WIDTH))
    items.append(Line(nx, node_bus, nx, node.y + node.cell, width=CONNECTOR_WIDTH))
    return items


def _bus(row) -> float:
    """The bus under a row of kernels."""
    return max(k.y + k.height for k in row) + BUS_DROP


def to_cell(x0: float, y0: float, grid, rect, lane: float | None = None,
            open_left: bool = True) -> list:
    """From (x0, y0), left of the output ``grid``, to the cell at ``rect`` (x, y, w, h),
    down the vertical ``lane`` (default: halfway): straight into its left edge in the
    first column when nothing stands left of the grid (``open_left``); else along under
    the grid and up through the cells below it (not yet written in a row-by-row walk)
    into its bottom edge, never across a written value."""
    x, y, w, h = rect
    mid = (x0 + grid.x) / 2 if lane is None else lane
    if x <= grid.x + 0.01 and open_left:
        return elbow_h(x0, y0, x, y + h / 2, mid)
    # up right of the cells' centres, where an empty cell's fill (and a value) is seen
    below, cx = grid.y + grid.height + BUS_DROP, x + 0.75 * w
    return [
        Line(x0, y0, mid, y0, width=CONNECTOR_WIDTH),
        Line(mid, y0, mid, below, width=CONNECTOR_WIDTH),
        Line(mid, below, cx, below, width=CONNECTOR_WIDTH),
        Line(cx, below, cx, y + h, width=CONNECTOR_WIDTH),
    ]
