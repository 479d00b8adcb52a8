"""A contact sheet: painted frames as tiles in a grid, each labelled, as PNG bytes."""

from __future__ import annotations

import io
import math

import numpy as np

from convgif.backends.fonts import find_font, load

TILE_GAP, LABEL_SIZE = 16, 15  # px at scale 1; labels never below 10 px
MIN_LABEL = 10
DEFAULT_COLUMNS = 4


def _frame_tiles(sheet: np.ndarray, tiles, cols: int, gap: int, band: int, rule) -> list:
    """Paste the tiles row by row, each with a hairline frame; their label origins."""
    th, tw = tiles[0].shape[:2]
    origins = []
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        x0 = gap + c * (tw + gap)
        y0 = gap + r * (th + band + gap)
        sheet[y0 + band : y0 + band + th, x0 : x0 + tw] = tile
        # a hairline frame keeps neighbouring tiles apart on a white page
        sheet[y0 + band - 1, x0 - 1 : x0 + tw + 1] = rule
        sheet[y0 + band + th, x0 - 1 : x0 + tw + 1] = rule
        sheet[y0 + band - 1 : y0 + band + th + 1, x0 - 1] = rule
        sheet[y0 + band - 1 : y0 + band + th + 1, x0 + tw] = rule
        origins.append((x0, y0))
    return origins


def sheet_png(tiles, labels, painter, columns: int | None = None, font=None) -> tuple:
    """(PNG bytes, (width, height)) of RGB ``tiles`` in a grid, each under its label, in the
    painter's colours (paper, ink, grid) and scale."""
    from PIL import Image, ImageDraw

    th, tw = tiles[0].shape[:2]
    cols = min(columns or DEFAULT_COLUMNS, len(tiles))
    rows = math.ceil(len(tiles) / cols)
    gap = round(TILE_GAP * painter.scale)
    label_size = max(MIN_LABEL, round(LABEL_SIZE * painter.scale))
    band = round(label_size * 1.6)
    rgb = {role: painter.palette[painter.index(role)] for role in ("paper", "ink", "grid")}
    sheet = np.empty((rows * (th + band) + (rows + 1) * gap, cols * tw + (cols + 1) * gap, 3),
                     dtype=np.uint8)
    sheet[:] = rgb["paper"]
    origins = _frame_tiles(sheet, tiles, cols, gap, band, rgb["grid"])
    image = Image.fromarray(sheet, "RGB")
    draw = ImageDraw.Draw(image)
    face = load(find_font(font, bold=True), label_size)
    ink = tuple(int(v) for v in rgb["ink"])
    for (x0, y0), label in zip(origins, labels):
        draw.text((x0, y0 + band // 2), label, fill=ink, font=face, anchor="lm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue(), image.size
