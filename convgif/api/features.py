"""A photo beside the feature maps one convolution makes of it, as one PNG.

The kernel is a preset (``edge``, ``blur``, ``sharpen``: a 3×3 kernel applied
to every channel on its own, i.e. ``Conv2d(C, C, 3, padding=1, groups=C,
bias=False, padding_mode='replicate')``, so the output keeps the photo's size
and its borders do not darken) or a layer of your own with its weights. The
feature maps are computed by convgif's simulator (``layer.trace``), the same
numbers an animation shows.

Each output channel is drawn with its own range: gray from its minimum
(black) to its maximum (white) when it has one sign, or, when it has both,
blue for negative, white for zero and orange for positive, symmetric around
zero. For a preset on a colour photo the three channels are also put back
together as one RGB picture (clipped to 0..255), which is what a photo
editor shows.

The still is composed by the backends (``convgif.backends.features``): a scene
of boxes cannot hold a photo's pixels.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from convgif.errors import NAME, ConvGifError

PRESETS = {
    "edge": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=np.float64),
    "blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.float64) / 16,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64),
}
KERNELS = (*PRESETS, "layer")
MAX_SIDE = 640  # the photo's longer side in the still; larger photos are shrunk
CLIP = 1.0  # percent of cells at each end whose colour saturates
NEGATIVE, ZERO, POSITIVE = (0, 114, 178), (255, 255, 255), (213, 94, 0)  # Okabe-Ito


def preset_layer(kernel: str, channels: int):
    """The preset as a real layer: the 3×3 kernel in every channel, one group per channel."""
    from convgif.api.nn import Conv2d

    if kernel not in PRESETS:
        raise ConvGifError(f"--kernel={kernel!r} must be one of {', '.join(KERNELS)}")
    layer = Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False,
                   padding_mode="replicate")
    layer.weight = np.repeat(PRESETS[kernel][None, None], channels, axis=0)
    return layer


@dataclass(frozen=True)
class Features:
    """What the still shows: the input as traced, the layer, its output."""

    x: np.ndarray  # (C, H, W), whole numbers 0..255
    layer: object
    output: np.ndarray  # (C_out, H_out, W_out)
    kernel: str
    source: str  # where the photo came from, for the caption


def compute(image=True, kernel: str = "edge", layer=None, max_side: int = MAX_SIDE,
            seed: int = 0) -> Features:
    """Read the photo, build the layer, run it (no picture)."""
    from convgif.io.images import image_array, open_image, sample_path

    if kernel not in KERNELS:
        raise ConvGifError(f"--kernel={kernel!r} must be one of {', '.join(KERNELS)}")
    if isinstance(max_side, bool) or not isinstance(max_side, int) or max_side < 8:
        raise ConvGifError(f"max_side={max_side!r} must be a whole number of pixels, at least 8")
    if kernel == "layer":
        if layer is None:
            raise ConvGifError("--kernel layer needs the layer: --layer \"Conv2d(3, 4, 3)\"")
        if isinstance(layer, str):
            from convgif.api.kinds import parse_layer

            layer = parse_layer(layer, seed=seed)
        if layer.spec.ndim != 2 or layer.spec.channels_last:
            raise ConvGifError(
                f"--layer {layer!r}: the features still takes a PyTorch 2-d layer (Conv2d, ...)"
            )
        x = image_array(image, layer.spec.in_channels, max_side)
    else:
        if layer is not None:
            raise ConvGifError(f"--kernel {kernel} is a preset: give --layer only with "
                               "--kernel layer")
        x = image_array(image, None, max_side)
        layer = preset_layer(kernel, x.shape[0])
    output = layer.trace(x).output
    source = str(sample_path().name if image in (True, None) else Path(os.fspath(image)).name)
    w, h = open_image(image).size
    if max(w, h) > max_side:
        source += f", shrunk from {w} x {h}"
    return Features(x, layer, output, kernel, source)


# --------------------------------------------------------------------------- colours


def _gray(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
    t = np.zeros_like(a) if hi == lo else np.clip((a - lo) / (hi - lo), 0, 1)
    return np.repeat((t * 255 + 0.5).astype(np.uint8)[..., None], 3, axis=2)


def _diverging(a: np.ndarray, top: float) -> np.ndarray:
    t = np.clip(a / (top or 1.0), -1, 1)[..., None]
    zero, neg, pos = (np.array(c, dtype=np.float64) for c in (ZERO, NEGATIVE, POSITIVE))
    rgb = np.where(t < 0, zero + (neg - zero) * -t, zero + (pos - zero) * t)
    return (rgb + 0.5).astype(np.uint8)


def channel_rgb(a: np.ndarray) -> tuple[np.ndarray, str]:
    """One feature map as (H, W, 3) uint8 and the words for its colours.

    A few extreme cells (the photo's sharpest edges) would wash the rest out,
    so the colours span the 1st to 99th percentile and saturate beyond; the
    note gives both that span and the true minimum and maximum.
    """
    from convgif.views.text import fmt

    def num(v):
        return fmt(round(v, 1))

    lo, hi = float(a.min()), float(a.max())
    p_lo, p_hi = (float(v) for v in np.percentile(a, [CLIP, 100 - CLIP]))
    if lo < 0 < hi:
        top = max(abs(p_lo), abs(p_hi)) or max(-lo, hi)
        return _diverging(a, top), (
            f"blue {num(-top)} … white 0 … orange {num(top)}\n(values from {num(lo)} to {num(hi)})"
        )
    if p_hi == p_lo:
        p_lo, p_hi = lo, hi
    return _gray(a, p_lo, p_hi), (
        f"black {num(p_lo)} … white {num(p_hi)}\n(values from {num(lo)} to {num(hi)})"
    )


def _photo(x: np.ndarray) -> np.ndarray:
    img = np.clip(np.round(x), 0, 255).astype(np.uint8)
    return np.repeat(img[0][..., None], 3, axis=2) if img.shape[0] == 1 else img.transpose(1, 2, 0)


# --------------------------------------------------------------------------- the still


def panels(f: Features) -> list[tuple[str, str, np.ndarray]]:
    """(label, note, RGB array) for each panel, the input first."""
    c, h, w = f.x.shape
    kind = "RGB" if c == 3 else "grayscale"
    out = [(f"input x ({c} \u00d7 {h} \u00d7 {w}, {kind})", f.source.replace(", ", ",\n"),
            _photo(f.x))]
    y = f.output
    if f.kernel != "layer" and c == 3:
        out.append(("y[0..2] as one RGB picture", "clipped to 0..255,\nas a photo editor shows it",
                    _photo(y)))
    names = ("R", "G", "B") if f.kernel != "layer" and y.shape[0] == 3 else None
    for o in range(y.shape[0]):
        rgb, note = channel_rgb(y[o])
        label = f"y[{o}]" + (f" ({names[o]})" if names else "")
        label += f"  {y.shape[1]} \u00d7 {y.shape[2]}"
        out.append((label, note, rgb))
    return out


def _kernel_text(f: Features) -> str:
    if f.kernel == "layer":
        from convgif.views.stack import short

        return f"{short(f.layer)}, its weights {tuple(f.layer.weight.shape)}"
    from convgif.views.text import fmt

    k = PRESETS[f.kernel]
    scale = ""
    if f.kernel == "blur":
        k, scale = k * 16, "1/16 \u00b7 "
    rows = " / ".join(" ".join(fmt(v) for v in row) for row in k)
    return f"{f.kernel} kernel {scale}[{rows}] on each channel"


def features(path, image=True, kernel: str = "edge", layer=None, *, max_side: int = MAX_SIDE,
             style="default", font=None, seed: int = 0) -> Features:
    """Write the photo beside the feature maps of ``kernel`` as a PNG; returns what it drew.

    ``image``: a path, or True for matplotlib's sample photo. ``kernel``:
    ``'edge'``, ``'blur'``, ``'sharpen'`` or ``'layer'`` (then ``layer``, a
    layer or a constructor string, with its own weights). Photos larger than
    ``max_side`` pixels are shrunk first; ``style`` colours the page and its text.
    """
    from convgif.api.options import output_options
    from convgif.backends.features import still_png
    from convgif.io.files import write_bytes
    from convgif.views.stack import short

    if Path(os.fspath(path)).suffix.lower() != ".png":
        raise ConvGifError(
            f"{NAME}={os.fspath(path)!r}: the features still is written as .png", "path"
        )
    output_options(style=style, font=font, animated=False)
    f = compute(image, kernel, layer, max_side, seed)
    title = f"A photo and the feature maps of one convolution: {_kernel_text(f)}"
    sub = (f"{short(f.layer)}   \u00b7   convgif's simulator, equal to torch's conv2d   \u00b7   "
           "each map has its own colour range")
    write_bytes(path, still_png(title, sub, panels(f), style, font))
    return f


__all__ = ["KERNELS", "PRESETS", "Features", "channel_rgb", "compute", "features", "panels",
           "preset_layer"]
