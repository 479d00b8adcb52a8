"""Photos as layer inputs: read, checked, converted to the channels a layer takes.

A photo becomes a (C, H, W) array of whole numbers 0..255, the pixel values
as the file stores them (8 bits), so a viewer can recognise them: C = 3 (R,
G, B) for a layer with ``in_channels=3``, C = 1 (Pillow's luma, ``L``) for one
channel. An animation draws a cell per value, so the photo is shrunk (area
average) until its longer side is ``size`` cells (the picture chooses it:
``convgif.api.pictures``); the features still keeps it large.

Every failure is one ConvGifError about ``image`` (``--image`` on the command
line; ``param="image"``): a missing, unreadable,
truncated or non-image file, a decompression bomb (more pixels than
``MAX_PIXELS``), or a pixel format convgif cannot read as 8 bits. Transparent
images are flattened onto white, palette and CMYK images converted, 16-bit
grayscale scaled to 8 bits.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from convgif.errors import NAME, ConvGifError, refuse

SAMPLE = "grace_hopper.jpg"  # ships with matplotlib's sample data
ANIMATION_SIDE = 16  # the longer side of a photo in an animation, in cells
MAX_PIXELS = 50_000_000  # a larger header is refused before decoding (decompression bombs)
PARAM = "image"


def sample_path() -> Path:
    """matplotlib's Grace Hopper photo, the input of a bare ``--image``."""
    try:
        from matplotlib import cbook

        path = Path(cbook.get_sample_data(SAMPLE, asfileobj=False))
    except (ImportError, OSError, ValueError):
        path = None
    if path is None or not path.is_file():
        raise ConvGifError(
            f"{NAME} with no path uses matplotlib's sample photo {SAMPLE}, which is not "
            f"installed here: give a file, e.g. {NAME}=photo.jpg",
            PARAM,
        )
    return path


def _where(image) -> str:
    return f"{NAME}={str(image)!r}"


def check_image(image) -> None:
    if not (image is True or image is None or isinstance(image, (str, os.PathLike))):
        raise refuse(PARAM, image, "must be a photo's path (or True for the sample)")


def open_image(image):
    """A Pillow image in mode ``RGB`` or ``L`` (8 bits), or one ConvGifError about the photo.

    ``image``: a path, or True / None for the sample photo.
    """
    from PIL import Image, UnidentifiedImageError

    check_image(image)
    path = sample_path() if image is True or image is None else Path(os.fspath(image))
    where = _where(path if image in (True, None) else image)
    if not path.is_file():
        raise ConvGifError(f"{where}: no such file", PARAM)
    try:
        with warnings.catch_warnings():
            # Pillow only warns below twice its own limit; a warning here is a refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path)
            w, h = im.size
            if w * h > MAX_PIXELS:
                raise ConvGifError(
                    f"{where} is {w} x {h} = {w * h:,} pixels, more than the {MAX_PIXELS:,} "
                    "convgif reads (a guard against decompression bombs): shrink it first",
                    PARAM,
                )
            im.seek(0)  # an animation: its first frame
            im.load()
    except ConvGifError:
        raise
    except UnidentifiedImageError:
        raise ConvGifError(
            f"{where} is not an image Pillow can read (PNG, JPEG, ...)", PARAM
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ConvGifError(
            f"{where} has more pixels than the {MAX_PIXELS:,} convgif reads (a guard against "
            "decompression bombs): shrink it first",
            PARAM,
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ConvGifError(f"{where} is damaged or truncated: {exc}", PARAM) from None
    return _eight_bits(im, where)


def _eight_bits(im, where: str):
    """Any mode Pillow reads -> RGB or L, 8 bits per channel."""
    from PIL import Image

    mode = im.mode
    if mode in ("RGB", "L"):
        return im
    if mode == "1":
        return im.convert("L")
    if mode.startswith("I;16") or mode == "I":
        a = np.asarray(im, dtype=np.int64)
        if a.min() < 0 or a.max() > 65535:
            raise ConvGifError(
                f"{where} has 32-bit pixels from {a.min()} to {a.max()}: save it with 8 or 16 "
                "bits per channel",
                PARAM,
            )
        # 16 bits to 8: the top byte, as an image viewer shows it
        return Image.fromarray((a >> 8).astype(np.uint8), "L")
    if mode == "F":
        raise ConvGifError(
            f"{where} has floating-point pixels: save it with 8 bits per channel", PARAM
        )
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        mode = im.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flat = Image.alpha_composite(white, rgba).convert("RGB")
        return flat.convert("L") if mode.startswith("L") else flat
    try:
        return im.convert("RGB")  # CMYK, YCbCr, LAB, HSV
    except (ValueError, OSError):
        raise ConvGifError(
            f"{where} has pixel mode {mode!r}, which convgif cannot read", PARAM
        ) from None


def image_array(image, channels: int | None = None, size: int | None = None) -> np.ndarray:
    """The photo as a (C, H, W) float64 array of whole numbers 0..255.

    ``channels``: 3 (RGB), 1 (luma) or None (the photo's own: 1 for a gray
    photo, else 3). ``size``: shrink (never enlarge) until the longer side is
    at most this many cells.
    """
    im = open_image(image)
    if channels is None:
        channels = 1 if im.mode == "L" else 3
    if channels not in (1, 3):
        raise ConvGifError(
            f"{NAME} gives 3 channels (RGB) or 1 (grayscale), but the layer has "
            f"in_channels={channels}: use a layer with in_channels=3 or 1",
            PARAM,
        )
    im = im.convert("RGB" if channels == 3 else "L")
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise refuse("image_size", size, "must be a whole number of cells, at least 1")
        w, h = im.size
        if max(w, h) > size:
            from PIL import Image

            scale = size / max(w, h)
            new = (max(1, round(w * scale)), max(1, round(h * scale)))
            im = im.resize(new, Image.Resampling.BOX)  # each cell: the mean of its pixels
    a = np.asarray(im, dtype=np.float64)
    return a[None] if a.ndim == 2 else a.transpose(2, 0, 1)


def image_input(layer, image, size: int | None = ANIMATION_SIDE) -> np.ndarray:
    """The photo as the input of ``layer``, in the layer's own layout."""
    spec = layer.spec
    if spec.ndim != 2:
        raise ConvGifError(
            f"{NAME} needs a 2-d layer (Conv2d, ...), got {spec.name}", PARAM
        )
    x = image_array(image, spec.in_channels, size)
    return x.transpose(1, 2, 0) if spec.channels_last else x


__all__ = ["ANIMATION_SIDE", "MAX_PIXELS", "check_image", "image_array", "image_input",
           "open_image", "sample_path"]
