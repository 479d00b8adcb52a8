"""Whole networks: ``from_torch(model)``, ``walk``, the table, the sheet and ``convgif model``.

The oracle is torch itself: every activation a Network records is compared with what
forward hooks of the test's own see, and every simulated step's trace with the
activation torch produced (exactly, with integer weights and inputs).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import convgif
from convgif.api.walk import chain_layers, summary, table

ROOT = Path(__file__).resolve().parent.parent


def lenet() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


class BasicBlock(nn.Module):
    """torchvision's ResNet block: the ReLU module is called twice, the add is in-place."""

    def __init__(self, cin=4, cout=8, stride=2):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                        nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.downsample(x)
        return self.relu(out)


def separable(c=4, out=8) -> nn.Sequential:
    """MobileNet's depthwise-separable block."""
    return nn.Sequential(
        nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False), nn.BatchNorm2d(c), nn.ReLU6(),
        nn.Conv2d(c, out, 1, bias=False), nn.BatchNorm2d(out), nn.ReLU6(),
    )


def integer_weights(model: nn.Module, seed: int = 0) -> nn.Module:
    """Small integer weights (and BatchNorm as the identity), so every activation is an
    integer float32 holds exactly."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Conv1d, nn.Linear)):
                m.weight.copy_(torch.randint(-2, 3, m.weight.shape, generator=gen))
                if m.bias is not None:
                    m.bias.copy_(torch.randint(-2, 3, m.bias.shape, generator=gen))
            if isinstance(m, nn.BatchNorm2d):
                m.eps = 0.0  # mean 0, variance 1: the identity, exactly
    return model.eval()


def hooked(model: nn.Module, x: torch.Tensor) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(module path, input, output) of every leaf call, seen by the test's own hooks
    (a pre-hook copies the input before an in-place module changes it)."""
    seen, pending, handles = [], {}, []
    for name, m in model.named_modules():
        if any(m.children()):
            continue
        handles.append(m.register_forward_pre_hook(
            lambda mod, args: pending.__setitem__(id(mod), args[0].detach().clone())))
        handles.append(m.register_forward_hook(
            lambda mod, args, out, name=name: seen.append(
                (name, pending.pop(id(mod)).numpy(), out.detach().clone().numpy()))))
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return seen


def check_against_hooks(model, network, x) -> None:
    seen = hooked(model, torch.tensor(x))
    assert [s.name.split(" (call")[0] for s in network] == [name for name, _, _ in seen]
    for step, (_, inp, out) in zip(network, seen):
        np.testing.assert_array_equal(step.input, inp)
        np.testing.assert_array_equal(step.output, out)


def check_simulation(network) -> None:
    """Each simulated step's own trace gives exactly what torch gave (integer weights)."""
    for step in network:
        if step.simulated:
            np.testing.assert_array_equal(step.layer.trace(step.input.astype(float)).output,
                                          step.output)


# --------------------------------------------------------------------------- the oracle


def test_lenet_records_what_torch_hooks_see_and_simulates_it_exactly():
    model = integer_weights(lenet())
    net = convgif.from_torch(model, input_shape=(3, 32, 32))
    assert isinstance(net, convgif.Network)
    check_against_hooks(model, net, net.input)
    check_simulation(net)
    np.testing.assert_array_equal(net.output, model(torch.tensor(net.input)).detach().numpy())
    assert [s.kind for s in net if not s.simulated] == [
        "ReLU", "ReLU", "Flatten", "Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert net.input.shape == (1, 3, 32, 32) and set(np.unique(net.input)) <= set(range(5))


def test_a_resnet_block_shows_its_skip_connection_and_records_torch_activations():
    model = integer_weights(BasicBlock())
    x = np.random.default_rng(1).integers(-2, 3, (2, 4, 8, 8)).astype(np.float32)
    net = convgif.from_torch(model, x=x)
    check_against_hooks(model, net, x)
    check_simulation(net)
    names = [s.name for s in net]
    assert names == ["conv1", "bn1", "relu", "conv2", "bn2", "downsample.0", "downsample.1",
                     "relu (call 2)"]
    # the downsample branch reads the block's input, and the in-place add is found
    assert net[5].source == "input"
    assert net[7].source == "step 7 (downsample.1) + step 5 (bn2)"
    assert net.output_source == "step 8 (relu (call 2))"
    # receptive field of the sum: the larger of the two branches, jump 2 both
    assert net[7].reach.rf == (7, 7) and net[7].reach.jump == (2, 2)
    assert net[6].reach.rf == (1, 1)
    # the receptive-field stack walks chains only: the downsample branch is refused
    two = nn.Sequential(BasicBlock(), nn.Conv2d(8, 8, 3))
    with pytest.raises(convgif.ConvGifError,
                       match=r"step 6, 0.downsample.0 \(Conv2d\) takes input, not the") as e:
        chain_layers(two, (4, 8, 8))
    assert e.value.param == "layers" and str(e.value).startswith("layers: ")


def test_a_depthwise_separable_block_equals_torch():
    model = integer_weights(separable())
    net = convgif.from_torch(model, input_shape=(4, 6, 6))
    check_against_hooks(model, net, net.input)
    check_simulation(net)
    dw, pw = net.layers
    assert dw.spec.groups == 4 and pw.spec.kernel_size == (1, 1)
    rows = table(net)
    assert [r["params"] for r in rows] == [4 * 9, 8, 0, 4 * 8, 16, 0]
    assert rows[0]["MACs"] == 4 * 9 * 36 and rows[3]["MACs"] == 8 * 4 * 36


@settings(max_examples=12)
@given(data=st.data())
def test_any_chain_of_convolutions_pools_and_activations_equals_torch(data):
    c, size = data.draw(st.integers(1, 3)), data.draw(st.integers(6, 10))
    layers, shape = [], (c, size, size)
    for _ in range(data.draw(st.integers(1, 4))):
        choice = data.draw(st.sampled_from(["conv", "pool", "avg", "relu", "bn"]))
        if choice == "conv":
            out, groups = data.draw(st.sampled_from([(c, c), (2 * c, 1), (c, 1)]))
            k, s, p = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 2)), data.draw(
                st.integers(0, 1))
            module = nn.Conv2d(c, out, k, stride=s, padding=p, groups=groups,
                               bias=data.draw(st.booleans()))
        elif choice in ("pool", "avg"):
            kind = nn.MaxPool2d if choice == "pool" else nn.AvgPool2d
            module, out = kind(2, stride=data.draw(st.integers(1, 2))), c
        else:
            module, out = (nn.ReLU() if choice == "relu" else nn.BatchNorm2d(c)), c
        try:  # a layer the shrinking input cannot take ends the chain
            nn.Sequential(*layers, module).eval()(torch.zeros(1, *shape))
        except (RuntimeError, ValueError):
            break
        layers.append(module)
        c = out
    model = integer_weights(nn.Sequential(*layers, nn.Flatten()), data.draw(st.integers(0, 9)))
    net = convgif.from_torch(model, input_shape=shape, seed=data.draw(st.integers(0, 9)))
    check_against_hooks(model, net, net.input)
    check_simulation(net)
    rows = table(net)
    assert [r["params"] for r in rows] == [sum(p.numel() for p in m.parameters())
                                           for m in model]


# --------------------------------------------------------------------------- the table


def test_lenet_table_against_torch_and_by_hand():
    model = lenet()
    rows = table(convgif.from_torch(model, input_shape=(3, 32, 32)))
    # parameters: torch's own count of each module
    assert [r["params"] for r in rows] == [sum(p.numel() for p in m.parameters())
                                           for m in model]
    # MACs by hand, one sample:
    #   conv1: 6 maps x 28x28 cells x (3 channels x 5x5 taps) = 6*784*75   = 352,800
    #   conv2: 16 maps x 10x10 cells x (6 channels x 5x5)     = 16*100*150 = 240,000
    #   fc1 400*120 = 48,000; fc2 120*84 = 10,080; fc3 84*10 = 840
    #   ReLU, pools (they compare or average), Flatten: none (—)
    assert [r["MACs"] for r in rows] == [352_800, None, None, 240_000, None, None, None,
                                         48_000, None, 10_080, None, 840]
    # receptive field r = r' + (k-1)*j', jump j = j'*s, from r = j = 1:
    #   conv1 k5 s1: r = 1+4*1 = 5, j 1;  relu keeps it;  pool k2 s2: r = 5+1*1 = 6, j 2
    #   conv2 k5 s1: r = 6+4*2 = 14, j 2; pool k2 s2: r = 14+1*2 = 16, j 4; Flatten keeps it;
    #   each Linear reads every cell: the whole input
    assert [(r["receptive field"], r["jump"]) for r in rows] == [
        ("5x5", "1x1"), ("5x5", "1x1"), ("6x6", "2x2"), ("14x14", "2x2"), ("14x14", "2x2"),
        ("16x16", "4x4"), ("16x16", "4x4")] + [("whole input", "—")] * 5
    assert [r["output shape"] for r in rows][:3] == [
        "(1, 6, 28, 28)", "(1, 6, 28, 28)", "(1, 6, 14, 14)"]
    text = summary(convgif.from_torch(model, input_shape=(3, 32, 32)), "LeNet")
    assert "total: 62,006 parameters, 651,720 MACs (one sample)" in text
    assert text.count("not simulated") == 8


# --------------------------------------------------------------------------- Python's doors


def test_from_torch_keeps_single_layers_and_names_python_arguments():
    conv = nn.Conv2d(2, 3, 3, padding=1)
    layer = convgif.from_torch(conv)
    assert isinstance(layer, convgif.Layer)
    np.testing.assert_array_equal(layer.weight, conv.weight.detach().double().numpy())
    assert isinstance(convgif.from_torch(conv, input_shape=(2, 5, 5)), convgif.Layer)
    with pytest.raises(convgif.ConvGifError) as e:
        convgif.from_torch(lenet())
    assert e.value.param == "input_shape" and "input_shape=(C, H, W)" in str(e.value)
    assert "x=" in str(e.value) and "--" not in str(e.value)
    with pytest.raises(convgif.ConvGifError, match=r"refused the input \(1, 1, 32, 32\)") as e:
        convgif.from_torch(lenet(), input_shape=(1, 32, 32))
    assert e.value.param == "input_shape" and "3 channels" in str(e.value)
    with pytest.raises(convgif.ConvGifError, match="x must be an array of finite") as e:
        convgif.walk(lenet(), x=np.full((1, 3, 32, 32), np.nan))


def test_receptive_fields_take_torch_models():
    rf = convgif.receptive_fields(lenet(), (3, 32, 32))
    text = convgif.receptive_fields(
        "Conv2d(3,6,5) MaxPool2d(2) Conv2d(6,16,5) MaxPool2d(2)", (3, 32, 32))
    assert (rf.rf, rf.jump) == (text.rf, text.jump) == ((16, 16), (4, 4))
    np.testing.assert_array_equal(rf.maps[0].mask, text.maps[0].mask)
    bad = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Upsample(scale_factor=2), nn.Conv2d(2, 2, 3))
    with pytest.raises(convgif.ConvGifError) as e:
        convgif.receptive_fields(bad, (1, 8, 8))
    assert e.value.param == "layers"
    assert str(e.value).startswith("layers: step 2, 1 (Upsample) is not a layer")
    assert "Conv2d, MaxPool2d, AvgPool2d" in str(e.value)


def test_walk_writes_table_sheet_and_one_animation_per_layer(tmp_path):
    net = convgif.walk("Conv2d(1, 2, 3) MaxPool2d(2)", (1, 6, 6), table=tmp_path / "t.csv",
                       sheet=tmp_path / "s.pdf", animate=tmp_path / "anim", max_frames=3)
    assert [s.kind for s in net] == ["Conv2d", "MaxPool2d"]
    np.testing.assert_array_equal(net[1].input, net[0].output)
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert lines[0].startswith("#,layer,kind,input from,output shape,params,MACs")
    assert lines[1].startswith("1,1,Conv2d,input,\"(1, 2, 4, 4)\",20,288,3x3,1x1,still")
    pdf = (tmp_path / "s.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") == 2
    assert sorted(p.name for p in (tmp_path / "anim").iterdir()) == [
        "01_1_Conv2d.gif", "02_2_MaxPool2d.gif"]
    with pytest.raises(convgif.ConvGifError, match=r"sheet='.*s.jpg' must end in one of"):
        convgif.walk("Conv2d(1, 2, 3)", (1, 6, 6), sheet=tmp_path / "s.jpg")
    assert not (tmp_path / "s.jpg").exists()


# --------------------------------------------------------------------------- convgif model


def run(tmp_path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "convgif", "model", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)


def test_model_command_on_a_python_file(tmp_path):
    result = run(tmp_path, str(ROOT / "examples" / "lenet.py"), "lenet", "-o", "sheet.png",
                 "--table", "t.md")
    assert result.returncode == 0, result.stderr
    assert "total: 62,006 parameters, 651,720 MACs" in result.stdout
    assert (tmp_path / "sheet.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "t.md").read_text().count("\n") == 14  # header, rule, 12 steps


def test_model_command_on_a_toml_file_executes_nothing(tmp_path):
    (tmp_path / "m.toml").write_text(
        'input_shape = [1, 12, 12]\nlayers = ["nn.Conv2d(1, 2, 3)", "MaxPool2d(2)"]\n')
    result = run(tmp_path, "m.toml", "--table", "t.txt")
    assert result.returncode == 0, result.stderr
    assert "2 steps" in result.stdout and "MaxPool2d" in (tmp_path / "t.txt").read_text()


@pytest.mark.parametrize("args, toml, message", [
    (["missing.py", "net"], None, "FILE='missing.py': no such file"),
    (["m.toml"], 'layers = ["Conv2d(1, 2, 3)"]\ncolour = 1\n', "unknown key 'colour'"),
    (["m.toml"], 'layers = ["Linear(4, 2)"]\ninput_shape = [1, 6, 6]\n', "layer 1"),
    (["m.toml", "--input-shape", "1,0,6"], 'layers = ["Conv2d(1, 2, 3)"]\n', "--input-shape"),
    (["m.toml", "-o", "x.gif"], 'layers = ["Conv2d(1, 2, 3)"]\ninput_shape = [1, 6, 6]\n',
     "-o='x.gif' must end in one of .png, .pdf"),
    ([str(ROOT / "examples" / "lenet.py"), "nothing"], None, "NAME='nothing' is not in"),
    ([str(ROOT / "examples" / "lenet.py"), "lenet", "--input-shape", "1,32,32", "-o", "s.png"],
     None, "--input-shape=(1, 32, 32)"),
])
def test_model_command_refuses_in_one_line(tmp_path, args, toml, message):
    if toml is not None:
        (tmp_path / "m.toml").write_text(toml)
    result = run(tmp_path, *args)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("convgif: error: ")
    assert message in lines[0], lines[0]
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == (["m.toml"] if toml else [])
