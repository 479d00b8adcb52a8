"""Your first GIF: the default layer, its shape arithmetic, and the animation.

Shows Conv2d(3, 2, 3, stride=2, padding=1, dilation=2) on a (3, 7, 7) input:
prints the output-shape formulas with the numbers filled in (what
``convgif info`` prints), then writes outputs/first.gif under the current folder.

    python examples/first_gif.py
"""

from pathlib import Path

import convgif
from convgif.layers import info

out = Path("outputs")
out.mkdir(exist_ok=True)

layer = convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)
shape = (3, 7, 7)

print(layer)
print("output shape:", layer.output_shape(shape))  # (2, 3, 3)
print(info.format_text(info.describe(layer, shape)))  # formulas, parameters, MACs

result = layer.animate(out / "first.gif", input_shape=shape)
print(f"wrote {result.path}: {result.frames} frames, {result.width}x{result.height} px, "
      f"{result.duration_ms / 1000:.1f} s a loop")
