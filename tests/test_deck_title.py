"""The deck's title slide reads as one block: the layer's title lines end just above the
slide's middle and its subtitle hangs just below, each line as the frames break it."""

from __future__ import annotations

from pptx import Presentation
from pptx.enum.text import MSO_ANCHOR

import convgif


def test_title_and_subtitle_meet_at_the_middle(tmp_path):
    layer = convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)
    written = layer.animate(tmp_path / "d.pptx", input_shape=(3, 7, 7), max_frames=3)
    deck = Presentation(tmp_path / "d.pptx")
    assert len(deck.slides) == written.frames + 1 == 4
    title, subtitle = deck.slides[0].shapes
    middle = deck.slide_height / 2
    assert title.text_frame.vertical_anchor == MSO_ANCHOR.BOTTOM
    assert subtitle.text_frame.vertical_anchor == MSO_ANCHOR.TOP
    assert title.top + title.height <= middle <= subtitle.top < middle * 1.1
    assert [p.text for p in title.text_frame.paragraphs] == [
        "Input shape: (3, 7, 7) \u2014 Output shape: (2, 3, 3)",
        "K: (3, 3) \u2014 P: (1, 1) \u2014 S: (2, 2) \u2014 D: (2, 2) \u2014 G: 1"]
    assert subtitle.text_frame.text.startswith(repr(layer))
    pictures = [shape for slide in list(deck.slides)[1:] for shape in slide.shapes]
    for picture in pictures:  # as high as the slide, centred across it
        assert picture.height == deck.slide_height and picture.top == 0
        assert abs(2 * picture.left + picture.width - deck.slide_width) <= 1
