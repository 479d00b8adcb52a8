"""LeNet, the seed articles' network, walked layer by layer on a 3x32x32 input.

Writes its summary table (``outputs/lenet_table.txt``) and a contact sheet with one
still per convolution and pooling layer on the activation it really receives
(``outputs/lenet_sheet.png``). The same from the command line:
``convgif model examples/lenet.py lenet --input-shape 3,32,32 -o outputs/lenet_sheet.png``
(which runs this file).
"""

from pathlib import Path

import torch
from torch import nn

import convgif

INPUT_SHAPE = (3, 32, 32)


def lenet() -> nn.Sequential:
    """LeNet-5 as the articles build it, for 3-channel 32x32 images."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


if __name__ == "__main__":
    out = Path("outputs")
    net = convgif.walk(lenet(), INPUT_SHAPE, title="LeNet", table=out / "lenet_table.txt",
                       sheet=out / "lenet_sheet.png")
    print((out / "lenet_table.txt").read_text(), end="")
    print(f"wrote {out / 'lenet_table.txt'} and {out / 'lenet_sheet.png'} ({len(net)} steps)")
