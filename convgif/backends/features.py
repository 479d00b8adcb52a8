"""The feature-maps still: a photo beside the maps one convolution makes of it, as PNG bytes.

Composed with Pillow (a scene of boxes cannot hold a photo's pixels), in a
style's paper and ink and the one font of every picture.
"""

from __future__ import annotations

import io

from convgif.backends.fonts import find_font, load
from convgif.backends.style import get_style

COLUMNS = 3
MIN_PANEL = 240  # smaller photos are drawn larger, each pixel a block
GAP, MARGIN, HEADER = 16, 24, 90
TITLE_SIZE, TEXT_SIZE = 19, 14


def still_png(title: str, sub: str, items, style="default", font=None) -> bytes:
    """The still as PNG bytes: the title and subtitle, then each (label, note, RGB image)
    panel in a grid, in the style's paper and ink."""
    from PIL import Image, ImageDraw

    style = get_style(style)
    ink, muted, paper = (style.rgb(role) for role in ("ink", "muted", "paper"))
    h, w = items[0][2].shape[:2]
    zoom = max(1, MIN_PANEL // max(h, w))  # a small photo drawn with big pixels
    h, w = h * zoom, w * zoom
    regular, bold = find_font(font), find_font(font, bold=True)
    title_font, text_font = load(bold, TITLE_SIZE), load(regular, TEXT_SIZE)
    labels = max(text_font.getlength(t) for label, note, _ in items
                 for t in (label, *note.split("\n")))
    above = 3 * (TEXT_SIZE + 6) + 4  # the label and two lines of notes
    cell_w, cell_h = max(w, int(labels) + 8), h + above + 4
    text_w = max(title_font.getlength(title), text_font.getlength(sub))
    # as many columns as the title's width holds (at least COLUMNS)
    cols = min(len(items), max(COLUMNS, int((text_w + GAP) // (cell_w + GAP))))
    rows = -(-len(items) // cols)
    cols = -(-len(items) // rows)  # rows as full as each other
    width = 2 * MARGIN + cols * cell_w + (cols - 1) * GAP
    width = max(width, 2 * MARGIN + int(text_w) + 4)
    height = MARGIN + HEADER - 24 + rows * cell_h + (rows - 1) * GAP + MARGIN
    canvas = Image.new("RGB", (width, height), paper)
    pen = ImageDraw.Draw(canvas)
    pen.text((MARGIN, MARGIN), title, fill=ink, font=title_font, anchor="la")
    pen.text((MARGIN, MARGIN + TITLE_SIZE + 10), sub, fill=muted, font=text_font, anchor="la")
    top = MARGIN + HEADER - 24
    for i, (label, note, rgb) in enumerate(items):
        r, c = divmod(i, cols)
        x0, y0 = MARGIN + c * (cell_w + GAP), top + r * (cell_h + GAP)
        pen.text((x0, y0), label, fill=ink, font=text_font, anchor="la")
        for k, line in enumerate(note.split("\n"), 1):
            pen.text((x0, y0 + k * (TEXT_SIZE + 6)), line, fill=muted, font=text_font, anchor="la")
        picture = Image.fromarray(rgb, "RGB")
        if picture.size != (w, h):  # a zoom or a strided layer: each cell as a block
            picture = picture.resize((w, h), Image.Resampling.NEAREST)
        canvas.paste(picture, (x0, y0 + above))
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG", optimize=False, compress_level=6)  # 9: 3x slower
    return buffer.getvalue()
