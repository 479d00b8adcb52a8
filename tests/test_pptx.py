"""PowerPoint decks: a title slide, then one 16:9 slide per frame, read back with python-pptx.

Each deck is opened as PowerPoint would read it: the slide count and size, the title slide's
text, each slide's picture decoded to pixels and compared with the raster frame painted at
the same scale, where it sits on the slide, and the speaker notes against the frame's
caption. python-pptx is in the test extra: these tests are never skipped. Its absence is
simulated (``sys.modules["pptx"] = None``) to check the one-line refusal.
"""

from __future__ import annotations

import errno
import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from pptx import Presentation

import convgif
from convgif.api import render
from convgif.api.deck import Deck
from convgif.api.export import write_frames
from convgif.api.overlap import overlap_view
from convgif.api.pictures import picture
from convgif.backends.player import caption_lines
from convgif.backends.style import get_style
from convgif.cli.main import main
from convgif.errors import ConvGifError
from convgif.frames.budget import MAX_PAGED_FRAMES
from convgif.io import slides

HEADLINE_SHAPE = (3, 7, 7)
EXTRA = 'pip install "convgif[pptx]"'


def headline():
    return convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)


def deck_scale(view) -> float:
    """The scale a deck paints the view's frames at (1920 x 1080 px, aspect kept)."""
    return slides.fit_scale(view.width * view.zoom, view.height * view.zoom)


def pictures(deck):
    """Each frame slide's one picture shape (after the title slide)."""
    out = []
    for slide in list(deck.slides)[1:]:
        shapes = list(slide.shapes)
        assert len(shapes) == 1 and shapes[0].shape_type == 13, shapes  # MSO_SHAPE_TYPE.PICTURE
        out.append(shapes[0])
    return out


def rgb(shape) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(shape.image.blob)).convert("RGB"))


def notes(slide) -> str:
    return slide.notes_slide.notes_text_frame.text if slide.has_notes_slide else ""


def leftovers(folder):
    return sorted(p.name for p in folder.rglob(".convgif-*"))


@pytest.fixture(scope="module")
def headline_deck(tmp_path_factory):
    path = tmp_path_factory.mktemp("deck") / "conv.pptx"
    headline().animate(path, input_shape=HEADLINE_SHAPE)
    return path, Presentation(path), picture(headline(), input_shape=HEADLINE_SHAPE)


# --------------------------------------------------------------------------- the deck


def test_one_16_by_9_slide_per_frame_after_the_title(headline_deck):
    path, deck, view = headline_deck
    assert len(deck.slides) == len(view) + 1 == 21
    assert (deck.slide_width, deck.slide_height) == slides.SLIDE_EMU
    assert deck.slide_width * 9 == deck.slide_height * 16
    assert deck.core_properties.title == view.title


def test_title_slide_holds_the_title_and_subtitle(headline_deck):
    _, deck, view = headline_deck
    texts = [shape.text_frame.text for shape in deck.slides[0].shapes]
    # the title broken where the picture breaks it: shapes, then K/P/S/D/G
    assert texts == ["\n".join(view.title_lines), view.subtitle]
    assert texts[0] == ("Input shape: (3, 7, 7) — Output shape: (2, 3, 3)\n"
                        "K: (3, 3) — P: (1, 1) — S: (2, 2) — D: (2, 2) — G: 1")
    assert texts[1].startswith("Conv2d(3, 2, kernel_size=3")


def test_each_slide_is_the_frame_painted_sharp_for_a_1080p_projector(headline_deck):
    _, deck, view = headline_deck
    expected = list(render.rgb_frames(view, scale=deck_scale(view)))
    shown = pictures(deck)
    assert len(shown) == len(expected)
    for number, (shape, frame) in enumerate(zip(shown, expected), start=1):
        got = rgb(shape)
        assert got.shape == frame.shape, number
        assert np.array_equal(got, frame), f"slide of frame {number} differs from the frame"
    height, width = expected[0].shape[:2]
    # fills the 1920 x 1080 box on its binding side: sharp on a 1080p projector
    assert (width, height) == (1701, 1080)
    assert max(width / 1920, height / 1080) == pytest.approx(1, abs=1e-3)


def test_picture_fills_the_slide_centred_with_its_aspect(headline_deck):
    _, deck, _ = headline_deck
    slide_w, slide_h = slides.SLIDE_EMU
    for shape in pictures(deck):
        h, w = rgb(shape).shape[:2]
        assert shape.height == slide_h or shape.width == slide_w  # as large as it can be
        assert shape.width <= slide_w and shape.height <= slide_h
        assert abs(shape.left * 2 + shape.width - slide_w) <= 1
        assert abs(shape.top * 2 + shape.height - slide_h) <= 1
        assert shape.width / shape.height == pytest.approx(w / h, rel=1e-4)


def test_speaker_notes_are_the_frames_captions(headline_deck):
    _, deck, view = headline_deck
    frame_slides = list(deck.slides)[1:]
    for index, slide in enumerate(frame_slides):
        assert notes(slide) == "\n".join(caption_lines(view.scene(index))), index
    assert notes(frame_slides[0]).startswith("The layer at rest")
    assert notes(frame_slides[1]).startswith("y[0, 0, 0] = ")
    assert notes(frame_slides[-1]) == "Done: 486 multiply-accumulates gave the output (2, 3, 3)."
    assert notes(deck.slides[0]) == ""


def test_same_arguments_same_bytes_from_the_api_and_the_command(tmp_path, headline_deck):
    path, _, _ = headline_deck
    again = tmp_path / "again.pptx"
    headline().animate(again, input_shape=HEADLINE_SHAPE)
    assert again.read_bytes() == path.read_bytes()
    cli = tmp_path / "cli.pptx"
    assert main(["render", "--layer", "Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)",
                 "--input-shape", "3,7,7", "-o", str(cli)]) == 0
    assert cli.read_bytes() == path.read_bytes()


def test_sampled_deck_keeps_the_counters_frames_and_their_captions(tmp_path):
    path = tmp_path / "few.pptx"
    headline().animate(path, input_shape=HEADLINE_SHAPE, max_frames=5)
    deck = Presentation(path)
    view = picture(headline(), input_shape=HEADLINE_SHAPE)
    indices = render.frame_indices(view, 5)
    assert len(deck.slides) == 6
    for slide, index in zip(list(deck.slides)[1:], indices):
        assert notes(slide) == "\n".join(caption_lines(view.scene(index, shown=5)))


def test_scale_and_dark_style(tmp_path):
    path = tmp_path / "dark.pptx"
    headline().animate(path, input_shape=HEADLINE_SHAPE, style="dark", scale=2, max_frames=2)
    deck = Presentation(path)
    paper = get_style("dark").rgb("paper")
    for slide in deck.slides:  # the bars beside the picture are the picture's paper
        assert tuple(slide.background.fill.fore_color.rgb) == paper
    first = rgb(pictures(deck)[0])
    assert first.shape[:2] == (2160, 3401)  # scale=2: sharp on a 4K projector
    assert tuple(first[0, 0]) == paper


def test_other_views_write_decks_too(tmp_path):
    path = tmp_path / "overlap.pptx"
    written = convgif.overlap(path, "Conv2d(1, 1, 3, stride=2)", (1, 7, 7))
    view = overlap_view(path, "Conv2d(1, 1, 3, stride=2)", (1, 7, 7))
    deck = Presentation(path)
    assert written.frames == len(deck.slides) - 1
    assert len(deck.slides) == len(render.frame_indices(view)) + 1
    expected = next(iter(render.rgb_frames(view, scale=deck_scale(view))))
    assert np.array_equal(rgb(pictures(deck)[0]), expected)


# --------------------------------------------------------------------------- frames, batch


def test_frames_format_pptx_writes_the_chosen_frames(tmp_path):
    folder = tmp_path / "slides"
    assert main(["frames", "--layer", "Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)",
                 "--input-shape", "3,7,7", "--frames", "1,5,-1", "--format", "pptx",
                 "-o", str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["frames.pptx"]
    deck = Presentation(folder / "frames.pptx")
    view = picture(headline(), input_shape=HEADLINE_SHAPE)
    every = list(render.rgb_frames(view, scale=deck_scale(view)))
    assert len(deck.slides) == 4
    for shape, index in zip(pictures(deck), (0, 4, 19)):
        assert np.array_equal(rgb(shape), every[index]), index
    for slide, index in zip(list(deck.slides)[1:], (0, 4, 19)):
        assert notes(slide) == "\n".join(caption_lines(view.scene(index)))


def test_frames_api_deck_at_a_pptx_path(tmp_path):
    path = tmp_path / "every3.pptx"
    result = write_frames(path, headline(), input_shape=HEADLINE_SHAPE, every=3, fmt="pptx")
    assert isinstance(result, Deck)
    assert result.path == path and result.total == 20
    assert result.frames == [1, 4, 7, 10, 13, 16, 19, 20]  # the result always shown
    assert len(Presentation(path).slides) == len(result.frames) + 1


def test_batch_file_writes_a_deck(tmp_path):
    (tmp_path / "batch.toml").write_text(
        '[[render]]\nlayer = "Conv2d(1, 1, 3, padding=1)"\ninput_shape = "1,4,4"\n'
        'output = "b.pptx"\n', encoding="utf-8")
    assert main(["batch", str(tmp_path / "batch.toml")]) == 0
    deck = Presentation(tmp_path / "b.pptx")
    view = picture(convgif.Conv2d(1, 1, 3, padding=1), input_shape=(1, 4, 4))
    assert len(deck.slides) == len(render.frame_indices(view)) + 1
    assert notes(deck.slides[-1]).startswith("Done:")


# --------------------------------------------------------------------------- refusals


@pytest.fixture
def no_pptx(monkeypatch):
    monkeypatch.setitem(sys.modules, "pptx", None)  # `import pptx` raises ImportError


def test_missing_extra_is_one_line_naming_the_install_command(tmp_path, no_pptx):
    path = tmp_path / "conv.pptx"
    with pytest.raises(ConvGifError) as caught:
        headline().animate(path, input_shape=HEADLINE_SHAPE)
    assert EXTRA in str(caught.value) and caught.value.param == "path"
    assert "\n" not in str(caught.value)
    with pytest.raises(ConvGifError, match=r"fmt='pptx' needs .*convgif\[pptx\]"):
        write_frames(tmp_path / "f", headline(), input_shape=HEADLINE_SHAPE, fmt="pptx")
    assert list(tmp_path.iterdir()) == []


def test_missing_extra_on_the_command_line(tmp_path, no_pptx, capsys):
    assert main(["render", "-o", str(tmp_path / "c.pptx")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("convgif: error: -o=")
    assert err[0].endswith(EXTRA)
    assert main(["frames", "--format", "pptx", "-o", str(tmp_path / "f")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"convgif: error: --format='pptx' needs the optional extra python-pptx: "
                   f"{EXTRA}"]
    assert list(tmp_path.iterdir()) == []


def test_a_deck_of_too_many_slides_is_refused_before_any_work(tmp_path):
    layer = convgif.Conv2d(3, 4, 3)
    path = tmp_path / "mac.pptx"
    with pytest.raises(ConvGifError, match=f"slides \\(limit {MAX_PAGED_FRAMES:,} a deck\\)"
                       ".*max_frames"):
        layer.animate(path, input_shape=(3, 12, 12), step="mac")
    with pytest.raises(ConvGifError, match="every"):
        write_frames(path, layer, input_shape=(3, 12, 12), step="mac", fmt="pptx")
    assert list(tmp_path.iterdir()) == []
    layer.animate(path, input_shape=(3, 12, 12), step="mac", max_frames=MAX_PAGED_FRAMES // 100)
    assert len(Presentation(path).slides) == MAX_PAGED_FRAMES // 100 + 1


def test_a_failed_write_leaves_the_old_deck_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "conv.pptx"
    path.write_bytes(b"the old deck")

    def full_disk(built, target):
        with open(target, "wb") as f:
            f.write(built.getvalue()[:1000])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(slides, "_fixed_zip", full_disk)
    with pytest.raises(ConvGifError, match="cannot be written: No space left"):
        headline().animate(path, input_shape=HEADLINE_SHAPE, max_frames=3)
    assert path.read_bytes() == b"the old deck"
    assert leftovers(tmp_path) == []


def test_a_folder_in_the_way_is_refused_before_painting(tmp_path):
    (tmp_path / "in_the_way.pptx").mkdir()
    with pytest.raises(ConvGifError, match="is a folder"):
        headline().animate(tmp_path / "in_the_way.pptx", input_shape=HEADLINE_SHAPE)
    assert leftovers(tmp_path) == []


def test_import_convgif_does_not_import_python_pptx():
    code = ("import sys, convgif\n"
            "convgif.Conv2d(1, 1, 3).frames(input_shape=(1, 4, 4))\n"
            "print(sorted(m for m in ('pptx', 'lxml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
