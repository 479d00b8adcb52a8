"""One frame of a layer inside a matplotlib figure: gather vs scatter, side by side.

ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1) on a (1, 3, 3)
input, drawn with ``convgif.draw(ax, ...)`` into two subplots: left, the
gather view (zeros inserted between the inputs, flipped kernel); right, the
scatter view (each input stamps the kernel into the output). Writes
outputs/figure.pdf under the current folder.

    python examples/matplotlib_subplot.py
"""

from pathlib import Path

from matplotlib.figure import Figure  # no pyplot: no window, no GUI backend

import convgif

out = Path("outputs")
out.mkdir(exist_ok=True)

layer = convgif.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1)
shape = (1, 3, 3)

fig = Figure(figsize=(12, 5))
left, right = fig.subplots(1, 2)
convgif.draw(left, layer, input_shape=shape, frame=5)
left.set_title("gather view (frame 4)")
convgif.draw(right, layer, input_shape=shape, frame=5, view="scatter")
right.set_title("scatter view (frame 4)")
fig.savefig(out / "figure.pdf", bbox_inches="tight")
print(f"wrote {out / 'figure.pdf'}")
