"""Slides: numbered frames + a LaTeX Beamer snippet, and a dark GIF for dark slides.

Writes, under the current folder:
  outputs/slides/conv/frame_0001.png ...  every 3rd frame, numbered 1, 2, 3...
  outputs/slides/conv/frames.tex          the \\animategraphics call (also printed)
  outputs/slides/conv_dark.gif            the same layer in style="dark"
This is what ``convgif frames --every 3 -o outputs/slides/conv`` does.

    python examples/slides.py
"""

from pathlib import Path

import convgif
from convgif.api import export

out = Path("outputs") / "slides"
out.mkdir(parents=True, exist_ok=True)

layer = convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)
shape = (3, 7, 7)

folder = export.write_frames(out / "conv", layer, input_shape=shape, every=3)
print(f"{len(folder.paths)} of {folder.total} frames in {folder.folder}")
print(folder.tex)  # paste into the slide; needs \usepackage{animate}

layer.animate(out / "conv_dark.gif", input_shape=shape, style="dark")
print(f"wrote {out / 'conv_dark.gif'}")
