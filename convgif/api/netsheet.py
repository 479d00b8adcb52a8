"""A network's stills on one page: one per convolution / pooling step, on its real input.

Each tile is the last frame of the step's own picture (the finished output), drawn
exactly as ``layer.still`` draws it (its own view, zoom and colours), under a label
that names the step (position, module path, the layer as written) and where its
input came from, with the steps convgif does not simulate (activations,
normalisation, ``Flatten``, ``Linear``, ...) listed where they ran: none is left out.
``.png``: a contact sheet of tiles in a grid; ``.pdf``: one page per step.
"""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import numpy as np

from convgif.errors import ConvGifError, refuse

SHEET_FORMATS = (".png", ".pdf")
LABEL_SIZE, NOTE_SIZE = 18, 14  # the step's name; its notes (layout units at scale 1)
GAP = 24  # between tiles and round the page
DEFAULT_COLUMNS = 2
PDF_DATE = time.gmtime(946_684_800)  # 2000-01-01  # the same bytes for the same arguments
SHEET_WAYS = "fewer columns= (--columns), or a smaller scale= (--scale)"


def check_path(path) -> None:
    if Path(os.fspath(path)).suffix.lower() not in SHEET_FORMATS:
        raise refuse("sheet", os.fspath(path), f"must end in one of {', '.join(SHEET_FORMATS)}")


def _shape(step) -> str:
    return "x".join(map(str, step.output_shape))


def _notes(network) -> tuple[list[list[str]], list[str]]:
    """Per simulated step, what ran before it (not simulated); and what ran after the last."""
    per_tile, pending = [], []
    for step in network:
        if step.simulated:
            per_tile.append([f"input: {step.source}"] + (
                [f"before it, not simulated: {'; '.join(pending)}"] if pending else []))
            pending = []
        else:
            pending.append(f"{step.name} ({step.kind}) -> {_shape(step)}")
    return per_tile, pending


def _label(lines: list[tuple[str, float, bool]], width: float, output) -> np.ndarray:
    """Lines of text (text, size, bold), wrapped to ``width`` units, painted as RGB."""
    from convgif.backends.raster import RasterPainter
    from convgif.views.scene import Scene, Text
    from convgif.views.text import wrap

    items, y = [], 4.0
    for text, size, bold in lines:
        for part in wrap(text, width, size * (1.08 if bold else 1.0)):
            items.append(Text(0, y, part, size, "ink" if bold else "muted", anchor="la",
                              bold=bold))
            y += size * 1.35
    painter = RasterPainter(output.style, output.scale, output.font)
    return painter.to_rgb(painter.paint(Scene(width, y + 6, tuple(items))))


def _tiles(network, output, options) -> list[tuple[object, object]]:
    """(step, view) of each simulated step, each checked against the budgets first."""
    from convgif.api import render

    tiles = []
    for step in network:
        if step.simulated:
            x = step.input[0]
            render.check_layer_size(step.layer, x, None, options, output)
            view = render.picture(step.layer, x=x, **options)
            render.check_budget(view, render.frame_scale(view, output.scale), 1, output.force)
            tiles.append((step, view))
    return tiles


def _painted(view, output) -> np.ndarray:
    from convgif.api import render

    painter = render.painter_for(view, output.style, output.scale, output.font)
    return painter.to_rgb(painter.paint(view.still(len(view) - 1)))


def _blocks(network, tiles, output) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Each tile under its label, as RGB; and the closing note (None: nothing after)."""
    notes, after = _notes(network)
    blocks = []
    for (step, view), lines in zip(tiles, notes):
        picture = _painted(view, output)
        width = picture.shape[1] / output.scale
        head = [(f"step {step.position}: {step.name} · {step.layer!r}", LABEL_SIZE, True)]
        label = _label(head + [(text, NOTE_SIZE, False) for text in lines], width, output)
        blocks.append(_stacked([label, picture], _paper(output)))
    tail = [f"after the last step drawn, not simulated: {'; '.join(after)}"] if after else []
    tail.append(f"output {tuple(network.output.shape)} from {network.output_source}")
    width = max(b.shape[1] for b in blocks) / output.scale
    closing = _label([(text, NOTE_SIZE, False) for text in tail], width, output)
    return blocks, closing


def _paper(output) -> tuple[int, int, int]:
    from convgif.backends.style import get_style

    return tuple(get_style(output.style).rgb("paper"))


def _stacked(parts, paper) -> np.ndarray:
    """Parts one under another, left-aligned, on the paper colour."""
    width = max(p.shape[1] for p in parts)
    out = np.empty((sum(p.shape[0] for p in parts), width, 3), dtype=np.uint8)
    out[:] = paper
    y = 0
    for p in parts:
        out[y:y + p.shape[0], :p.shape[1]] = p
        y += p.shape[0]
    return out


def _grid(blocks, closing, columns: int, paper) -> np.ndarray:
    gap = GAP
    col_w = max(b.shape[1] for b in blocks)
    rows = [blocks[i:i + columns] for i in range(0, len(blocks), columns)]
    heights = [max(b.shape[0] for b in row) for row in rows]
    width = gap + len(rows[0]) * (col_w + gap)
    height = gap + sum(h + gap for h in heights) + closing.shape[0] + gap
    page = np.empty((height, width, 3), dtype=np.uint8)
    page[:] = paper
    y = gap
    for row, h in zip(rows, heights):
        for c, block in enumerate(row):
            x = gap + c * (col_w + gap)
            page[y:y + block.shape[0], x:x + block.shape[1]] = block
        y += h + gap
    page[y:y + closing.shape[0], gap:gap + min(closing.shape[1], width - gap)] = (
        closing[:, :width - gap])
    return page


def _check_grid(tiles, columns, output) -> None:
    """The whole sheet's size from the tiles' (the labels add little), before painting."""
    from convgif.api import render
    from convgif.frames.budget import check_budget

    sizes = [(v.width * render.frame_scale(v, output.scale),
              v.height * render.frame_scale(v, output.scale)) for _, v in tiles]
    col_w = max(w for w, _ in sizes)
    rows = [sizes[i:i + columns] for i in range(0, len(sizes), columns)]
    height = sum(max(h for _, h in row) for row in rows)
    check_budget(min(columns, len(sizes)) * col_w, height, 1, force=output.force,
                 smaller=SHEET_WAYS)


def write_sheet(path, network, *, columns=None, **options) -> Path:
    """The stills of the network's simulated steps, as a ``.png`` sheet or ``.pdf`` pages."""
    from PIL import Image

    from convgif.api.options import STILL_KEYS, split_options
    from convgif.io.files import write_bytes

    check_path(path)
    if columns is not None and (isinstance(columns, bool) or not isinstance(columns, int)
                                or columns < 1):
        raise refuse("columns", columns, "must be a positive integer")
    output, options = split_options(options, STILL_KEYS)
    tiles = _tiles(network, output, options)
    if not tiles:
        raise ConvGifError("the network has no convolution or pooling step to draw: "
                           "write only its table", "sheet")
    pdf = Path(os.fspath(path)).suffix.lower() == ".pdf"
    if not pdf:
        _check_grid(tiles, columns or DEFAULT_COLUMNS, output)
    blocks, closing = _blocks(network, tiles, output)
    data = io.BytesIO()
    if pdf:
        pages = [Image.fromarray(b) for b in blocks]
        pages[-1] = Image.fromarray(_stacked([blocks[-1], closing], _paper(output)))
        pages[0].save(data, "PDF", save_all=True, append_images=pages[1:], resolution=96.0,
                      creationDate=PDF_DATE, modDate=PDF_DATE)
    else:
        page = _grid(blocks, closing, columns or DEFAULT_COLUMNS, _paper(output))
        Image.fromarray(page).save(data, "PNG")
    write_bytes(path, data.getvalue())
    return Path(os.fspath(path))


__all__ = ["SHEET_FORMATS", "check_path", "write_sheet"]
