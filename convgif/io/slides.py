"""PowerPoint decks: one 16:9 slide per frame, so a presenter's clicker steps the animation.

The first slide carries the picture's title and subtitle; each frame's slide holds the frame
as a PNG filling the slide (centred, its aspect kept, on the style's paper colour) and the
frame's caption in the speaker notes. PNG rather than SVG: every PowerPoint, Keynote,
LibreOffice and Google Slides shows it alike, and at 1920 px (``SLIDE_PIXELS``) it is sharp
on the projectors slides are shown on. python-pptx is an optional extra (``EXTRA``), imported
only here. The deck is written as every output is (``files.atomic_write``) and made
deterministic: python-pptx stamps each zip member with the current time, so the archive is
copied with fixed timestamps (same arguments, same bytes).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from convgif.errors import NAME, ConvGifError, shown
from convgif.io.encoding import check_frame, p_image, palette_array
from convgif.io.files import atomic_write, check_target

EXTENSION = ".pptx"
EXTRA = 'pip install "convgif[pptx]"'
SLIDE_PIXELS = (1920, 1080)  # the frame is painted to fill this: a 1080p projector's pixels
SLIDE_EMU = (12_192_000, 6_858_000)  # 13.333 x 7.5 inches: PowerPoint's own 16:9 slide
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: no clock in the file
TITLE_PT, SUBTITLE_PT = 28, 16  # a layer's two title lines fit a line each, as on its frames
# left, top, width, height as shares of the slide: the title ends just above the middle and
# the subtitle hangs just below it, so the two read as one block (not two islands)
TITLE_BOX = (0.04, 0.14, 0.92, 0.36)
SUBTITLE_BOX = (0.04, 0.53, 0.92, 0.30)


@dataclass(frozen=True)
class Cover:
    """What the first slide says, and the colours of every slide (RGB)."""

    title: str
    subtitle: str = ""
    paper: tuple[int, int, int] = (255, 255, 255)
    ink: tuple[int, int, int] = (0, 0, 0)
    title_lines: tuple[str, ...] = ()  # where the picture breaks its title (default: wrapped)


def require_pptx(param: str, value) -> None:
    """Refuse, before any work, a deck when python-pptx is missing: one line naming the
    install command."""
    try:
        import pptx  # noqa: F401
    except ImportError:
        raise ConvGifError(f"{NAME}={shown(value)} needs the optional extra python-pptx: "
                           f"{EXTRA}", param) from None


def fit_scale(width: float, height: float) -> float:
    """How many times larger a ``width`` x ``height`` px frame is painted to fill a slide."""
    return min(SLIDE_PIXELS[0] / width, SLIDE_PIXELS[1] / height)


def png_bytes(frame: np.ndarray, rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    p_image(frame, rgb).save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def write_deck(path, slides: Iterable[tuple[np.ndarray, tuple[str, ...]]], palette,
               cover: Cover) -> int:
    """Write ``slides`` ((palette-index frame, caption lines) each) after a title slide to
    ``path``; returns how many frames it holds."""
    from pptx import Presentation

    check_target(path)  # a path that cannot be written is refused before any frame is painted
    rgb = palette_array(palette)
    deck = Presentation()
    deck.slide_width, deck.slide_height = SLIDE_EMU
    props = deck.core_properties
    props.title, props.author, props.last_modified_by = cover.title, "convgif", "convgif"
    props.comments = props.subject = ""
    _title_slide(deck, cover)
    shape = None
    count = 0
    for count, (frame, caption) in enumerate(slides, start=1):
        frame = check_frame(frame, shape, len(rgb), count - 1)
        shape = frame.shape
        _frame_slide(deck, png_bytes(frame, rgb), shape, caption, cover.paper)
    if not count:
        raise ConvGifError(f"{NAME}= is empty; a deck needs at least one frame", "frames")
    built = io.BytesIO()
    deck.save(built)
    with atomic_write(path) as tmp:
        _fixed_zip(built, tmp)
    return count


def _blank(deck, paper):
    from pptx.dml.color import RGBColor

    slide = deck.slides.add_slide(deck.slide_layouts[6])  # the default template's Blank
    fill = slide.background.fill
    fill.solid()
    fill.fore_color.rgb = RGBColor(*paper)
    return slide


def _title_slide(deck, cover: Cover) -> None:
    from pptx.dml.color import RGBColor
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
    from pptx.util import Pt

    slide = _blank(deck, cover.paper)
    width, height = SLIDE_EMU
    title = tuple(cover.title_lines) or (cover.title,)
    for lines, box, points, bold, anchor in (
            (title, TITLE_BOX, TITLE_PT, True, MSO_ANCHOR.BOTTOM),
            ((cover.subtitle,), SUBTITLE_BOX, SUBTITLE_PT, False, MSO_ANCHOR.TOP)):
        if not any(lines):
            continue
        left, top, w, h = (round(share * side) for share, side
                           in zip(box, (width, height, width, height)))
        frame = slide.shapes.add_textbox(left, top, w, h).text_frame
        frame.word_wrap = True
        frame.vertical_anchor = anchor
        for number, line in enumerate(lines):  # a paragraph a line, as the picture breaks it
            paragraph = frame.paragraphs[0] if number == 0 else frame.add_paragraph()
            paragraph.alignment = PP_ALIGN.CENTER
            run = paragraph.add_run()
            run.text = line
            run.font.size, run.font.bold = Pt(points), bold
            run.font.color.rgb = RGBColor(*cover.ink)


def _frame_slide(deck, png: bytes, shape, caption, paper) -> None:
    """The frame as large as the slide allows, centred, its aspect kept; the caption as
    the speaker notes."""
    slide = _blank(deck, paper)
    height, width = shape
    fit = min(SLIDE_EMU[0] / width, SLIDE_EMU[1] / height)
    w, h = round(width * fit), round(height * fit)
    slide.shapes.add_picture(io.BytesIO(png), (SLIDE_EMU[0] - w) // 2, (SLIDE_EMU[1] - h) // 2,
                             w, h)
    if caption:
        slide.notes_slide.notes_text_frame.text = "\n".join(caption)


def _fixed_zip(built: io.BytesIO, target) -> None:
    """The archive python-pptx wrote, member by member in its order, with fixed times."""
    with zipfile.ZipFile(built) as source, zipfile.ZipFile(target, "w") as out:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=ZIP_TIME)
            # pictures are PNG already: deflating them again costs time for nothing
            info.compress_type = (zipfile.ZIP_STORED if member.filename.endswith(".png")
                                  else zipfile.ZIP_DEFLATED)
            out.writestr(info, source.read(member))


__all__ = ["EXTENSION", "EXTRA", "SLIDE_EMU", "SLIDE_PIXELS", "Cover", "fit_scale",
           "require_pptx", "write_deck"]
