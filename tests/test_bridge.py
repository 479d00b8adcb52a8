"""``convgif.from_torch`` against torch itself, and ``convgif.show`` for notebooks."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

import convgif


def integer_weights(module, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randint(-3, 4, p.shape, generator=g).to(p.dtype))
    return module


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda: torch.nn.Conv1d(2, 3, 3, stride=2, padding=1), (2, 9)),
        (lambda: torch.nn.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2), (3, 7, 7)),
        (lambda: torch.nn.Conv2d(4, 6, (3, 2), groups=2, bias=False), (4, 6, 5)),
        (lambda: torch.nn.Conv2d(2, 2, 3, padding="same", padding_mode="reflect"), (2, 5, 5)),
        (lambda: torch.nn.Conv2d(1, 2, 3, padding=2, padding_mode="circular"), (1, 4, 4)),
        (lambda: torch.nn.Conv3d(2, 2, 2, stride=(1, 2, 1), padding=1), (2, 3, 4, 4)),
        (lambda: torch.nn.ConvTranspose1d(2, 2, 3, stride=2, output_padding=1), (2, 4)),
        (lambda: torch.nn.ConvTranspose2d(2, 4, 3, stride=2, padding=1, output_padding=1,
                                          groups=2, dilation=1), (2, 3, 3)),
        (lambda: torch.nn.ConvTranspose2d(1, 1, 2, stride=1, dilation=2, bias=False), (1, 3, 3)),
        (lambda: torch.nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (2, 6, 6)),
        (lambda: torch.nn.MaxPool2d(2, dilation=2), (1, 7, 7)),
        (lambda: torch.nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (2, 7, 7)),
        (lambda: torch.nn.AvgPool2d(2, divisor_override=3, ceil_mode=True), (1, 5, 5)),
    ],
)
def test_from_torch_traces_to_torch_output_exactly(make, shape):
    module = integer_weights(make()).double()
    layer = convgif.from_torch(module)
    assert type(layer).__name__ == type(module).__name__
    x = np.random.default_rng(0).integers(-4, 5, shape).astype(np.float64)
    expected = module(torch.from_numpy(x)[None])[0].detach().numpy()
    np.testing.assert_array_equal(layer.trace(x).output, expected)
    if hasattr(module, "weight"):
        np.testing.assert_array_equal(layer.weight, module.weight.detach().numpy())
        assert (layer.bias is None) == (module.bias is None)


def test_from_torch_float32_module_and_subclass():
    class MyConv(torch.nn.Conv2d):
        pass

    module = integer_weights(MyConv(1, 1, 3))
    layer = convgif.from_torch(module)
    assert isinstance(layer, convgif.Conv2d) and layer.weight.dtype == np.float64
    x = np.arange(25.0).reshape(1, 5, 5)
    expected = module(torch.tensor(x, dtype=torch.float32)[None])[0].detach().double().numpy()
    np.testing.assert_array_equal(layer.trace(x).output, expected)


@pytest.mark.parametrize("module", [torch.nn.Linear(2, 2), torch.nn.ReLU(), "Conv2d"])
def test_from_torch_refuses_other_things(module):
    with pytest.raises(convgif.ConvGifError, match="from_torch takes a torch.nn"):
        convgif.from_torch(module)


def test_import_convgif_does_not_import_torch_or_pillow():
    code = ("import sys, convgif; convgif.Conv2d; "
            "print(sorted(m for m in ('torch', 'PIL', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60).stdout
    assert out.strip() == "[]"


def test_show_refuses_bad_input_at_once():
    with pytest.raises(convgif.ConvGifError, match="needs the input"):
        convgif.show(convgif.Conv2d(1, 1, 3))
    with pytest.raises(convgif.ConvGifError, match="channels"):
        convgif.show(convgif.Conv2d(1, 1, 3), input_shape=(2, 5, 5))
