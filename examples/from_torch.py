"""Animate a layer of your own PyTorch model, and check convgif agrees with it.

Builds a real torch.nn.Conv2d (seeded), turns it into a convgif layer with the
same weights and bias (``convgif.from_torch``), runs both on the same input,
prints the largest difference between ``trace.output`` and the module's
output, and writes outputs/torch_conv.gif under the current folder.

    python examples/from_torch.py
"""

from pathlib import Path

import numpy as np
import torch

import convgif

out = Path("outputs")
out.mkdir(exist_ok=True)

torch.manual_seed(0)
conv = torch.nn.Conv2d(2, 3, 3, stride=2, padding=1)
x = torch.randint(-3, 4, (2, 6, 6)).float()  # small integers: exact in float32

layer = convgif.from_torch(conv)
trace = layer.trace(x.numpy())
with torch.no_grad():
    expected = conv(x).double().numpy()

diff = np.abs(trace.output - expected).max()
print(f"{layer}: output {trace.output.shape}, max |convgif - torch| = {diff:.3g}")
assert diff < 1e-5, diff  # float32 weights: torch rounds, convgif computes in float64

layer.animate(out / "torch_conv.gif", x=x.numpy(), values="none")
print(f"wrote {out / 'torch_conv.gif'}")
