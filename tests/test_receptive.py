"""Receptive fields through a stack: the analytic numbers and exact masks, checked with torch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convgif import ConvGifError
from convgif.api.kinds import parse_stack
from convgif.api.stack import receptive_fields
from convgif.layers.parse import split_calls
from convgif.simulate.receptive import analytic

torch = pytest.importorskip("torch")

LENET = "Conv2d(1,6,5) MaxPool2d(2) Conv2d(6,16,5) MaxPool2d(2)"


# --------------------------------------------------------------------------- parsing


def test_split_calls_follows_brackets_and_quotes():
    text = "nn.Conv2d(3, 8, (3, 1), padding='same')  MaxPool2d(2, stride=(2, 1)), AvgPool2d(2)"
    assert split_calls(text) == [
        "nn.Conv2d(3, 8, (3, 1), padding='same')",
        "MaxPool2d(2, stride=(2, 1))",
        "AvgPool2d(2)",
    ]
    assert split_calls("Conv2d(1, 1, 3) -> MaxPool2d(2)") == ["Conv2d(1, 1, 3)", "MaxPool2d(2)"]


def test_lenet_numbers():
    rf = receptive_fields(LENET, (1, 32, 32))
    assert [m.shape for m in rf.maps] == [
        (1, 32, 32), (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5)
    ]
    assert [m.rf[0] for m in rf.maps] == [1, 5, 6, 14, 16]
    assert [m.jump[0] for m in rf.maps] == [1, 1, 2, 2, 4]
    assert rf.cell == (0, 2, 2)
    # the centre cell of the last map sees input rows and columns 8..23
    assert rf.maps[0].box == ((8, 23), (8, 23))
    lit = np.zeros((32, 32), bool)
    lit[8:24, 8:24] = True
    assert np.array_equal(rf.maps[0].mask[0], lit)
    assert rf.maps[2].channels_lit == [0, 1, 2, 3, 4, 5]  # a conv reads every channel
    assert rf.maps[3].channels_lit == [0]  # a pool reads its own channel only


def test_depthwise_then_pointwise_channels():
    rf = receptive_fields("Conv2d(8, 8, 3, groups=8) Conv2d(8, 16, 1)", (8, 7, 7),
                          output_cell=(5, 1, 3))
    middle, first = rf.maps[1], rf.maps[0]
    # pointwise: every channel, one position
    assert middle.channels_lit == list(range(8))
    assert [tuple(np.argwhere(middle.mask[c])[0]) for c in range(8)] == [(1, 3)] * 8
    assert middle.mask.sum() == 8
    # depthwise: each channel its own 3x3
    assert first.mask.sum() == 8 * 9
    assert first.mask[:, 1:4, 3:6].all()
    grouped = receptive_fields("Conv2d(4, 4, 1, groups=2)", (4, 3, 3), output_cell=(3, 1, 1))
    assert grouped.maps[0].channels_lit == [2, 3]


def test_padding_taps_are_marked_not_lit():
    rf = receptive_fields("Conv2d(1, 1, 3, padding=1)", (1, 4, 4), output_cell=(0, 0))
    assert rf.maps[0].mask[0].astype(int).tolist() == [
        [1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]
    ]
    taps = rf.maps[0].pad_taps[0]
    assert taps.shape == (6, 6)
    assert taps.sum() == 5 and taps[0, :3].all() and taps[:3, 0].all()


# --------------------------------------------------------------------------- bad stacks


@pytest.mark.parametrize(
    "layers, shape, message",
    [
        ("Conv2d(1,6,5) Conv2d(3,16,5)", (1, 32, 32),
         "layer 2 (Conv2d(3, 16, kernel_size=5)) has in_channels=3, but layer 1"),
        ("Conv2d(3,6,5)", (1, 32, 32), "layer 1 (Conv2d(3, 6, kernel_size=5)) has in_channels=3, "
                                       "but the input (input_shape=(1, 32, 32)) gives 1 channels"),
        ("Conv2d(1,6,5) MaxPool2d(2) Conv2d(6,16,9)", (1, 20, 20), "layer 3"),
        ("Conv2d(1,6,5) Conv2d(6,6,5", (1, 32, 32), "unclosed"),
        ("Conv2d(1,6,5) MaxPool2d(2) x", (1, 32, 32), "'x' after the last call"),
        ("Conv2d(1,6,5)) MaxPool2d(2)", (1, 32, 32), "closes nothing"),
        ("Conv2d(1,6,5) Dense(4)", (1, 32, 32), "layer 2"),
        ("Conv2d(1,6,5) ConvTranspose2d(6,1,3)", (1, 32, 32), "a stack takes Conv2d"),
        ("Conv2d(1,6,5)", (1, 32), "input_shape=(1, 32) must be (C, H, W)"),
        ("", (1, 8, 8), "constructor calls"),
    ],
)
def test_bad_stacks_one_line(layers, shape, message):
    with pytest.raises(ConvGifError) as info:
        receptive_fields(layers, shape)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_cell():
    with pytest.raises(ConvGifError, match="outside the last layer's output"):
        receptive_fields(LENET, (1, 32, 32), output_cell=(0, 5, 0))
    with pytest.raises(ConvGifError, match=r"must be y,x or channel,y,x"):
        receptive_fields(LENET, (1, 32, 32), output_cell=(1, 2, 3, 4))


# --------------------------------------------------------------------------- random stacks


@st.composite
def stacks(draw, padding=True):
    """A random small stack of Conv2d / MaxPool2d / AvgPool2d and an input that fits it."""
    channels = draw(st.integers(1, 3))
    size = draw(st.integers(8, 14))
    layers, c = [], channels
    h = w = size
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["conv", "conv", "max", "avg"]))
        k = draw(st.integers(1, 3))
        s = draw(st.integers(1, 2))
        d = draw(st.integers(1, 2)) if kind != "avg" else 1
        p = draw(st.integers(0, k // 2)) if padding else 0
        if kind == "conv":
            groups = draw(st.sampled_from([g for g in (1, 2, 3) if c % g == 0]))
            out = groups * draw(st.integers(1, 2))
            mode = draw(st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"]))
            if p == 0:
                mode = "zeros"
            text = (f"Conv2d({c}, {out}, {k}, stride={s}, padding={p}, dilation={d}, "
                    f"groups={groups}, padding_mode='{mode}')")
            c = out
        elif kind == "max":
            text = f"MaxPool2d({k}, stride={s}, padding={p}, dilation={d})"
        else:
            text = f"AvgPool2d({k}, stride={s}, padding={p})"
        eff = d * (k - 1) + 1
        if min(h, w) + 2 * p < eff or p >= min(h, w):  # too small (or too small to reflect)
            break
        layers.append(text)
        h = (h + 2 * p - eff) // s + 1
        w = (w + 2 * p - eff) // s + 1
    if not layers:
        layers = [f"Conv2d({channels}, 1, 1)"]
        h, w = size, size
    cy = draw(st.integers(0, h - 1))
    cx = draw(st.integers(0, w - 1))
    oc = draw(st.integers(0, 100))
    return " ".join(layers), (channels, size, size), (cy, cx, oc)


def _torch_stack(layers, positive_rng=None):
    """The same stack as torch modules, with positive weights (no cancellation, no bias)."""
    modules = []
    for layer in layers:
        s = layer.spec
        pad = (s.padding[0][0], s.padding[1][0])
        if s.op == "conv":
            m = torch.nn.Conv2d(
                s.in_channels, s.out_channels, s.kernel_size, s.stride, pad, s.dilation,
                s.groups, bias=False, padding_mode=s.padding_mode, dtype=torch.float64,
            )
            with torch.no_grad():
                if positive_rng is None:
                    m.weight.fill_(1.0)
                else:
                    m.weight.copy_(torch.from_numpy(
                        positive_rng.uniform(0.5, 2.0, tuple(m.weight.shape))))
        elif s.op == "max_pool":
            m = torch.nn.MaxPool2d(s.kernel_size, s.stride, pad, s.dilation)
        else:
            m = torch.nn.AvgPool2d(s.kernel_size, s.stride, pad)
        modules.append(m)
    return modules


@settings(max_examples=40)
@given(stacks(padding=False))
def test_rf_size_matches_formula(case):
    """Without padding the input mask's extent is exactly r_L, the box is the mask's bbox."""
    text, shape, (cy, cx, _) = case
    rf = receptive_fields(text, shape, output_cell=(cy, cx))
    layers = parse_stack(text)
    # the formula, written out again here rather than trusted from the module
    r, j = [1, 1], [1, 1]
    for layer in layers:
        for a in range(2):
            r[a] += (layer.spec.kernel_size[a] - 1) * layer.spec.dilation[a] * j[a]
            j[a] *= layer.spec.stride[a]
    assert rf.rf == tuple(r) and rf.jump == tuple(j)
    assert [m.rf for m in rf.maps] == [rj[0] for rj in analytic(layers)]
    ys, xs = np.nonzero(rf.maps[0].mask.any(axis=0))
    assert (ys.max() - ys.min() + 1, xs.max() - xs.min() + 1) == tuple(r)
    assert rf.maps[0].box == ((ys.min(), ys.max()), (xs.min(), xs.max()))
    assert (ys.min(), xs.min()) == (cy * j[0], cx * j[1])


@settings(max_examples=30)
@given(stacks(), st.booleans())
def test_masks_equal_autograd_pattern(case, ones):
    """Every map's lit cells are exactly where d y[cell] / d map is nonzero.

    Max pooling passes a gradient to one cell only, so here it is replaced by
    average pooling of the same windows (the same dependency structure).
    Weights are ones or random positive numbers, so no sum cancels.
    """
    text, shape, (cy, cx, oc) = case
    layers = parse_stack(text)
    rf = receptive_fields(layers, shape, output_cell=None)
    c_out = rf.maps[-1].shape[0]
    cell = (oc % c_out, cy, cx)
    rf = receptive_fields(layers, shape, output_cell=cell)
    rng = None if ones else np.random.default_rng(len(text))
    modules = _torch_stack(layers, rng)
    for i, layer in enumerate(layers):
        s = layer.spec
        if s.op == "max_pool":
            pad = (s.padding[0][0], s.padding[1][0])
            if s.dilation != (1, 1):
                # AvgPool2d has no dilation: the same taps as a ones depthwise conv
                c = rf.maps[i].shape[0]
                m = torch.nn.Conv2d(c, c, s.kernel_size, s.stride, pad, s.dilation, groups=c,
                                    bias=False, dtype=torch.float64)
                with torch.no_grad():
                    m.weight.fill_(1.0)
                modules[i] = m
            else:
                modules[i] = torch.nn.AvgPool2d(s.kernel_size, s.stride, pad)
    x = torch.rand((1, *shape), dtype=torch.float64) + 0.5
    x.requires_grad_(True)
    maps, h = [x], x
    for m in modules:
        h = m(h)
        h.retain_grad()
        maps.append(h)
    h[0][cell].backward()
    for n, (fmap, t) in enumerate(zip(rf.maps, maps)):
        grad = t.grad[0].numpy() if n < len(maps) - 1 else None
        if grad is None:
            continue
        assert np.array_equal(fmap.mask, grad != 0), f"map {n} of {text} cell {cell}"


@settings(max_examples=25)
@given(stacks())
def test_masks_equal_perturbation_with_max_pooling(case):
    """A cell is lit iff raising it (a lot) changes the chosen output, max pooling included."""
    text, shape, (cy, cx, oc) = case
    layers = parse_stack(text)
    c_out = receptive_fields(layers, shape).maps[-1].shape[0]
    cell = (oc % c_out, cy, cx)
    rf = receptive_fields(layers, shape, output_cell=cell)
    modules = _torch_stack(layers, np.random.default_rng(1))
    x = torch.rand((1, *shape), dtype=torch.float64)
    with torch.no_grad():
        maps = [x]
        for m in modules:
            maps.append(m(maps[-1]))
        base = maps[-1][0][cell].item()
        for n in range(len(layers)):
            t = maps[n][0]
            count = t.numel()
            batch = t.unsqueeze(0).repeat(count, 1, 1, 1)
            flat = batch.view(count, -1)
            flat[torch.arange(count), torch.arange(count)] += 1e6
            h = batch
            for m in modules[n:]:
                h = m(h)
            changed = (h[(slice(None), *cell)] - base).abs().numpy() > 1e-3
            assert np.array_equal(rf.maps[n].mask.reshape(-1), changed), f"map {n} of {text}"


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("cell", [(0, 0), (0, 3), (2, 1), (3, 3)])
@pytest.mark.parametrize("deep", [False, True])
def test_padding_modes_light_the_cells_they_copy(mode, cell, deep):
    # a 2x2 kernel with padding 1 at the edge taps (-1, 0): reflect reads 1, replicate 0
    text = f"Conv2d(1, 2, 2, padding=1, padding_mode='{mode}')"
    if deep:
        text += (f" Conv2d(2, 1, 3, padding=2, dilation=2, padding_mode='{mode}')"
                 " MaxPool2d(2, padding=1)")
    layers = parse_stack(text)
    rf = receptive_fields(layers, (1, 6, 6), output_cell=cell)
    modules = _torch_stack(layers, np.random.default_rng(0))
    if deep:
        modules[2] = torch.nn.AvgPool2d(2, padding=1)
    x = (torch.rand((1, 1, 6, 6), dtype=torch.float64) + 0.5).requires_grad_(True)
    maps, h = [x], x
    for m in modules:
        h = m(h)
        h.retain_grad()
        maps.append(h)
    h[0, 0, cell[0], cell[1]].backward()
    for fmap, t in zip(rf.maps[:-1], maps):
        assert np.array_equal(fmap.mask, t.grad[0].numpy() != 0)
