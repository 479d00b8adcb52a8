"""The torch front door takes exactly torch's arguments and means torch's thing.

Each test runs torch 2.13 itself on the same arguments: where torch runs a layer,
convgif gives its output exactly (or refuses it with a message that says torch
would run it and why convgif does not); where torch refuses, convgif refuses with
one line naming the argument.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import convgif
from convgif import ConvGifError
from convgif.api.notebook import from_torch

MODES = ("zeros", "reflect", "replicate", "circular")
CONV = {1: convgif.Conv1d, 2: convgif.Conv2d}
NN_CONV = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d}


def refused(pattern: str, param: str | None = None):
    class Check:
        def __enter__(self):
            self.raises = pytest.raises(ConvGifError, match=pattern)
            self.info = self.raises.__enter__()
            return self.info

        def __exit__(self, *exc):
            out = self.raises.__exit__(*exc)
            if param is not None:
                assert self.info.value.param == param
            return out

    return Check()


def torch_run(module, x: np.ndarray):
    """torch's output for ``x``, or None when torch refuses to run the module on it."""
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            out = module(torch.from_numpy(x))
    except (RuntimeError, ValueError, TypeError, NotImplementedError, IndexError):
        return None
    return (out[0] if isinstance(out, tuple) else out).numpy()


def torch_conv(ndim, cin, kernel, padding, mode, weight):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = NN_CONV[ndim](cin, 1, kernel, padding=padding, padding_mode=mode, bias=False,
                               dtype=torch.float64)
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(weight))
    return module


def convgif_run(build, x):
    try:
        return build().trace(x).output
    except ConvGifError:
        return None


# --------------------------------------------------------------------------- item 1: padding


@pytest.mark.parametrize("mode", MODES)
def test_conv1d_pair_padding_means_what_torch_means(mode):
    """torch reads Conv1d's padding=(0, 1) as per-dimension padding: the non-zero modes pass
    it to F.pad, which pads the channel axis by 0 and the length by 1 on both sides; the
    zeros mode refuses it."""
    x = np.arange(5.0)[None, None]
    weight = np.ones((1, 1, 2))
    expected = torch_run(torch_conv(1, 1, 2, (0, 1), mode, weight), x)
    if mode == "zeros":
        assert expected is None
        with refused(r"^padding=\(0, 1\) is refused by PyTorch when the layer runs.*"
                     r"padding=\(\(0, 1\),\)", "padding"):
            convgif.Conv1d(1, 1, 2, padding=(0, 1), padding_mode=mode, bias=False)
        return
    layer = convgif.Conv1d(1, 1, 2, padding=(0, 1), padding_mode=mode, bias=False)
    layer.weight = weight
    np.testing.assert_array_equal(layer.trace(x).output, expected)
    if mode == "replicate":  # the numbers
        np.testing.assert_array_equal(layer.trace(x).output, [[[0, 1, 3, 5, 7, 8]]])
    assert repr(layer) == (f"Conv1d(1, 1, kernel_size=2, padding=(0, 1), bias=False, "
                           f"padding_mode={mode!r})")
    # torch runs it only on a batched input: F.pad reads (C, L) as one axis fewer
    assert torch_run(torch_conv(1, 1, 2, (0, 1), mode, weight), x[0]) is None
    with refused(r"runs in PyTorch only on a batched input"):
        layer.trace(x[0])
    with refused(r"runs in PyTorch only on a batched input"):
        layer.output_shape((1, 5))


def test_four_tuple_padding_is_refused_as_torch_refuses_it():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = torch.nn.Conv2d(1, 1, 3, padding=(1, 2, 3, 4))
    assert torch_run(module.double(), np.zeros((1, 1, 5, 5))) is None
    with refused(r"^padding=\(1, 2, 3, 4\) is refused by PyTorch when the layer runs: give an "
                 r"integer or a tuple of 2; for F.pad's order \(last axis first\) write "
                 r"padding=\(\(3, 4\), \(1, 2\)\)$", "padding"):
        convgif.Conv2d(1, 1, 3, padding=(1, 2, 3, 4))
    with refused(r"^module=Conv2d: padding=|^padding=\(1, 2, 3, 4\) is refused by PyTorch"):
        from_torch(module)


@settings(max_examples=250)
@given(
    ndim=st.sampled_from([1, 2]),
    padding=st.one_of(st.integers(-1, 2), st.lists(st.integers(-1, 2), min_size=1, max_size=4)
                      .map(tuple)),
    mode=st.sampled_from(MODES),
    batched=st.booleans(),
    size=st.integers(3, 5),
    kernel=st.integers(1, 3),
)
def test_conv_padding_accepted_exactly_as_torch_runs_it(ndim, padding, mode, batched, size,
                                                        kernel):
    """Any int or flat tuple, every mode, batched or not: convgif runs the layer when torch
    does, with torch's output, and refuses it when torch refuses; the one deliberate
    difference is a negative padding in a non-zero mode, which torch reads as a crop."""
    cin = 2
    shape = ((2,) if batched else ()) + (cin,) + (size,) * ndim
    x = np.random.default_rng(size).integers(-3, 4, shape).astype(np.float64)
    weight = np.random.default_rng(kernel).integers(-2, 3, (1, cin) + (kernel,) * ndim)
    weight = weight.astype(np.float64)
    expected = torch_run(torch_conv(ndim, cin, kernel, padding, mode, weight), x)

    def build():
        layer = CONV[ndim](cin, 1, kernel, padding=padding, padding_mode=mode, bias=False)
        layer.weight = weight
        return layer

    ours = convgif_run(build, x)
    negative = min(padding if isinstance(padding, tuple) else (padding,)) < 0
    if negative and mode != "zeros":
        assert ours is None
        with refused(r"PyTorch accepts it and crops the input", "padding"):
            build()
        return
    if ndim > 1 and isinstance(padding, tuple) and len(padding) == 1 and mode != "zeros":
        # torch pads only the last axis, and only of an unbatched input: refused, saying so
        assert ours is None and (expected is None) == batched
        with refused(r"PyTorch refuses it for a batched input and pads only the last axis of "
                     r"an unbatched one", "padding"):
            build()
        return
    if expected is None:
        assert ours is None, f"torch refuses, convgif gives {ours}"
    else:
        assert ours is not None, "torch runs it, convgif refuses"
        np.testing.assert_array_equal(ours, expected)
    # from_torch never turns a module torch cannot run into a layer that runs
    module = torch_conv(ndim, cin, kernel, padding, mode, weight)
    via_torch = convgif_run(lambda: from_torch(module), x)
    if expected is None:
        assert via_torch is None
    else:
        np.testing.assert_array_equal(via_torch, expected)


@pytest.mark.parametrize("mode", MODES)
def test_before_after_pairs_are_convgifs_own_spelling(mode):
    """((top, bottom), (left, right)): F.pad's padding, then the unpadded convolution.
    torch's convolutions do not take this spelling, so from_torch refuses a module that
    holds it."""
    x = np.random.default_rng(1).integers(-3, 4, (1, 1, 5, 6)).astype(np.float64)
    layer = convgif.Conv2d(1, 1, 3, padding=((0, 2), (1, 0)), padding_mode=mode, bias=False)
    padded = torch.nn.functional.pad(torch.from_numpy(x), (1, 0, 0, 2),
                                     mode="constant" if mode == "zeros" else mode)
    expected = torch.nn.functional.conv2d(padded, torch.from_numpy(layer.weight)).numpy()
    np.testing.assert_array_equal(layer.trace(x).output, expected)
    assert "padding=((0, 2), (1, 0))" in repr(layer)
    module = torch_conv(2, 1, 3, ((0, 2), (1, 0)), mode, layer.weight)
    assert torch_run(module, x) is None
    with refused(r"^module=Conv2d: padding=\(\(0, 2\), \(1, 0\)\) is not a padding torch can "
                 r"run", "module"):
        from_torch(module)
    with refused(r"must be 2 \(before, after\) pair\(s\)", "padding"):
        convgif.Conv2d(1, 1, 3, padding=((1, 2),))


@pytest.mark.parametrize("mode", MODES)
def test_info_writes_pairs_as_torch_code_that_runs(mode):
    """`convgif info`'s PyTorch line for (before, after) pairs is code torch runs, with
    convgif's output."""
    from convgif.layers.frameworks import pytorch_line

    layer = convgif.Conv2d(2, 3, (3, 2), padding=((0, 2), (1, 0)), padding_mode=mode, seed=5)
    code, note = pytorch_line(layer, (2, 5, 6))
    assert code.startswith("torch.nn.Sequential(") and "padding layer comes first" in note
    module = eval(code, {"torch": torch}).double()  # the text convgif wrote, nothing else
    with torch.no_grad():
        module[1].weight.copy_(torch.from_numpy(layer.weight))
        module[1].bias.copy_(torch.from_numpy(layer.bias))
    x = np.random.default_rng(6).integers(-3, 4, (1, 2, 5, 6)).astype(np.float64)
    np.testing.assert_array_equal(layer.trace(x).output, torch_run(module, x))


def test_zeros_mode_one_tuple_is_expanded_as_torch_does():
    x = np.random.default_rng(2).integers(-3, 4, (1, 1, 4, 4)).astype(np.float64)
    layer = convgif.Conv2d(1, 1, 3, padding=(1,), bias=False)
    expected = torch_run(torch_conv(2, 1, 3, (1,), "zeros", layer.weight), x)
    np.testing.assert_array_equal(layer.trace(x).output, expected)


def test_cli_padding_follows_the_same_rule(cli):
    for argv, flag in (
        (["--layer", "Conv2d(1, 1, 3, padding=(1, 2, 3, 4))"], "padding"),
        (["--layer", "Conv1d(1, 1, 2, padding=(0, 1))"], "padding"),
        (["--out-channels", "1", "--kernel-size", "3", "--padding", "1,2,3,4"], "--padding"),
        (["--out-channels", "1", "--kernel-size", "3", "--padding", "1:2"], "--padding"),
    ):
        result = cli("info", *argv, "--input-shape", "1,5,5" if "Conv1d" not in argv[1]
                     else "1,5")
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and f"{flag}=" in lines[0], lines
        assert "refused by PyTorch" in lines[0] or "(before, after) pair" in lines[0]
    ok = cli("info", "--out-channels", "1", "--kernel-size", "3", "--padding", "0:2,1:0",
             "--input-shape", "1,5,5")
    assert ok.returncode == 0, ok.stderr
    assert "padding=((0, 2), (1, 0))" in ok.stdout
    batched = cli("info", "--layer", "Conv1d(1, 1, 2, padding=(0, 1), padding_mode='replicate')",
                  "--input-shape", "1,1,5")
    assert batched.returncode == 0, batched.stderr
    assert "(1, 1, 6)" in batched.stdout


# --------------------------------------------------------------------------- item 3


@pytest.mark.parametrize("build, shape", [
    (lambda: convgif.Conv1d(2, 3, 3), (0, 2, 5)),
    (lambda: convgif.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), (0, 2, 5, 5)),
    (lambda: convgif.Conv3d(2, 3, 2), (0, 2, 3, 3, 3)),
    (lambda: convgif.ConvTranspose2d(2, 3, 3, stride=2), (0, 2, 4, 4)),
    (lambda: convgif.MaxPool2d(2), (0, 2, 5, 5)),
    (lambda: convgif.AvgPool2d(2, padding=1), (0, 2, 5, 5)),
])
def test_empty_batch_gives_torch_empty_output(build, shape):
    layer = build()
    expected_shape = layer_shape = layer.trace(np.ones(shape)).output.shape
    nn = getattr(torch.nn, type(layer).__name__)
    spec = layer.spec
    if spec.pooling:
        module = nn(spec.kernel_size, padding=spec.padding[0][0])
    elif spec.transposed:
        module = nn(spec.in_channels, spec.out_channels, spec.kernel_size, stride=spec.stride)
    else:
        module = nn(spec.in_channels, spec.out_channels, spec.kernel_size,
                    padding=spec.padding[0][0], padding_mode=spec.padding_mode)
    expected_shape = torch_run(module.double(), np.ones(shape)).shape
    assert layer_shape == expected_shape and expected_shape[0] == 0


def test_empty_batch_keras():
    layer = convgif.keras.Conv2D(3, 3, padding="same", strides=2)
    assert layer.trace(np.ones((0, 5, 5, 2))).output.shape == (0, 3, 3, 3)


def test_empty_batch_is_not_drawn(tmp_path, cli):
    target = tmp_path / "e.gif"
    with refused(r"^x has an empty batch \(N=0, shape \(0, 2, 5, 5\)\).*nothing to draw", "x"):
        convgif.Conv2d(2, 3, 3).animate(target, x=np.ones((0, 2, 5, 5)))
    assert not target.exists()
    np.save(tmp_path / "e.npy", np.ones((0, 2, 5, 5)))
    result = cli("render", "--layer", "Conv2d(2, 3, 3)", "--input", "e.npy", "-o", "e.gif")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    # the command line reads no empty array at all: one line naming --input
    assert len(lines) == 1 and lines[0].startswith("convgif: error: --input='e.npy' has shape "
                                                   "(0, 2, 5, 5)"), lines
    assert not target.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["e.npy"]
    # any other empty axis torch refuses, and so does convgif
    with refused(r"^x has shape \(1, 0, 5, 5\): it must not be empty", "x"):
        convgif.MaxPool2d(2).trace(np.ones((1, 0, 5, 5)))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_negative_padding_torch_crops_convgif_says_why_it_refuses(mode):
    x = np.ones((1, 1, 6, 6))
    module = torch_conv(2, 1, 3, -1, mode, np.ones((1, 1, 3, 3)))
    assert torch_run(module, x).shape == (1, 1, 2, 2)  # torch crops the 6x6 input to 4x4
    with refused(rf"^padding=-1 must be at least 0: with padding_mode='{mode}' PyTorch accepts "
                 r"it and crops the input instead .* crop the input first$", "padding"):
        convgif.Conv2d(1, 1, 3, padding=-1, padding_mode=mode)
    assert torch_run(torch_conv(2, 1, 3, -1, "zeros", np.ones((1, 1, 3, 3))), x) is None
    with refused(r"^padding=-1 must be at least 0 \(PyTorch refuses negative padding too\)$"):
        convgif.Conv2d(1, 1, 3, padding=-1)


@pytest.mark.parametrize("value, has_bias", [
    (True, True), (1, True), (2, True), (1.5, True), ([1], True), (np.bool_(True), True),
    (False, False), (0, False), (None, False), ([], False),
])
def test_bias_is_read_as_torch_reads_it(value, has_bias):
    module = torch.nn.Conv2d(1, 2, 3, bias=value)
    assert (module.bias is not None) == has_bias
    for layer in (convgif.Conv2d(1, 2, 3, bias=value), convgif.ConvTranspose2d(1, 2, 3, bias=value),
                  from_torch(module)):
        assert (layer.bias is not None) == has_bias
        assert layer.spec.bias is has_bias


def test_bias_string_refused_with_why():
    assert torch.nn.Conv2d(1, 1, 3, bias="False").bias is not None  # torch: a truthy string
    with refused(r"^bias='False' must be True or False: PyTorch accepts a string and reads any "
                 r"non-empty one as True", "bias"):
        convgif.Conv2d(1, 1, 3, bias="False")


@pytest.mark.parametrize("value", [1, 2, "yes", 1.5, [1], 0, None])
def test_return_indices_is_read_as_torch_reads_it(value):
    x = np.random.default_rng(3).integers(-3, 4, (1, 1, 5, 5)).astype(np.float64)
    expected = torch_run(torch.nn.MaxPool2d(2, return_indices=value), x)
    assert expected is not None  # torch takes any value
    np.testing.assert_array_equal(convgif.MaxPool2d(2, return_indices=value).trace(x).output,
                                  expected)


@pytest.mark.parametrize("value", [1, 0, "yes", None, 1.5])
def test_ceil_mode_and_count_include_pad_non_bools_refused_as_torch_refuses(value):
    x = np.ones((1, 1, 5, 5))
    assert torch_run(torch.nn.MaxPool2d(2, ceil_mode=value), x) is None
    assert torch_run(torch.nn.AvgPool2d(2, ceil_mode=value), x) is None
    assert torch_run(torch.nn.AvgPool2d(2, padding=1, count_include_pad=value), x) is None
    with refused(r"^ceil_mode=.* must be True or False$", "ceil_mode"):
        convgif.MaxPool2d(2, ceil_mode=value)
    with refused(r"^count_include_pad=.* must be True or False$", "count_include_pad"):
        convgif.AvgPool2d(2, count_include_pad=value)


def test_kernel_size_true():
    x = np.ones((1, 1, 5, 5))
    assert torch_run(torch.nn.Conv2d(1, 1, True).double(), x).shape == (1, 1, 5, 5)
    for name, kwargs in (("kernel_size", {"kernel_size": True}),
                         ("kernel_size", {"kernel_size": (True, 2)}),
                         ("stride", {"kernel_size": 3, "stride": True})):
        with refused(rf"^{name}=.*must be an integer: PyTorch accepts True and reads it as 1, "
                     r"but convgif refuses a bool among sizes as a likely slip; write 1$", name):
            convgif.Conv2d(1, 1, **kwargs)
    # the pools torch refuses too
    assert torch_run(torch.nn.MaxPool2d(True), x) is None
    with refused(r"^kernel_size=True must be an integer", "kernel_size"):
        convgif.MaxPool2d(True)


@pytest.mark.parametrize("divisor", [-1, -2, -3, 3])
def test_negative_divisor_override_matches_torch(divisor):
    x = np.random.default_rng(4).integers(-3, 4, (1, 2, 5, 5)).astype(np.float64)
    for kwargs in ({}, {"padding": 1}, {"ceil_mode": True}):
        expected = torch_run(torch.nn.AvgPool2d(3, 2, divisor_override=divisor, **kwargs), x)
        ours = convgif.AvgPool2d(3, 2, divisor_override=divisor, **kwargs).trace(x).output
        np.testing.assert_array_equal(ours, expected)


def test_divisor_override_zero_and_bool_refused_as_torch_refuses():
    x = np.ones((1, 1, 4, 4))
    for value in (0, True):
        assert torch_run(torch.nn.AvgPool2d(2, divisor_override=value), x) is None
    with refused(r"^divisor_override=0 must not be 0 \(PyTorch refuses it too\)$"):
        convgif.AvgPool2d(2, divisor_override=0)
    with refused(r"^divisor_override=True must be an integer$"):
        convgif.AvgPool2d(2, divisor_override=True)


def test_batch_table_padding_pairs():
    """A batch file writes the pairs as TOML arrays; the flags' reader takes both spellings."""
    from convgif.batch import layer_from_flags

    for padding in ([[0, 2], [1, 0]], "0:2,1:0"):
        layer = layer_from_flags({"out_channels": 1, "kernel_size": "3", "padding": padding},
                                 (1, 5, 5))
        assert layer.spec.padding == ((0, 2), (1, 0))
    for padding in ([[0, 2, 1], [1, 0]], "1:x", "1:2:3,1:1"):
        with refused(r"^padding=.* must be 1, 1,2, same, valid, or before:after per axis",
                     "padding"):
            layer_from_flags({"out_channels": 1, "kernel_size": "3", "padding": padding},
                             (1, 5, 5))


# --------------------------------------------------------------------------- size tuples

TORCH_KINDS = {  # name: (spatial axes, the size arguments it takes)
    "Conv1d": (1, ("kernel_size", "stride", "dilation", "padding")),
    "Conv2d": (2, ("kernel_size", "stride", "dilation", "padding")),
    "Conv3d": (3, ("kernel_size", "stride", "dilation", "padding")),
    "ConvTranspose1d": (1, ("kernel_size", "stride", "dilation", "padding", "output_padding")),
    "ConvTranspose2d": (2, ("kernel_size", "stride", "dilation", "padding", "output_padding")),
    "MaxPool2d": (2, ("kernel_size", "stride", "dilation", "padding")),
    "AvgPool2d": (2, ("kernel_size", "stride", "padding")),
}


def _build(module, name: str, kwargs: dict):
    """The layer built by ``module``'s class ``name`` with its sizes, or None when the
    constructor refuses (torch: any error; convgif: ConvGifError)."""
    pooled = "Pool" in name
    kwargs = dict(kwargs)
    kernel = kwargs.pop("kernel_size")
    extra = {} if pooled else {"bias": False}
    if module is torch.nn and not pooled:
        extra["dtype"] = torch.float64
    cls = getattr(module, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cls(kernel, **kwargs) if pooled else cls(1, 1, kernel, **kwargs, **extra)
    except ConvGifError:
        return None
    except (RuntimeError, ValueError, TypeError):
        assert module is torch.nn
        return None


def _sizes(draw):
    length = draw(st.sampled_from([None, 0, 1, 1, 1, 2, 3, 4]))
    low = 0 if draw(st.booleans()) else 1
    if length is None:
        return draw(st.integers(low, 2))
    values = draw(st.lists(st.integers(low, 2), min_size=length, max_size=length))
    return tuple(values) if draw(st.booleans()) else values  # torch takes lists too


@st.composite
def size_arguments(draw):
    name = draw(st.sampled_from(sorted(TORCH_KINDS)))
    ndim, arguments = TORCH_KINDS[name]
    kwargs = {"kernel_size": 2}
    for argument in draw(st.lists(st.sampled_from(arguments), min_size=1, max_size=3,
                                  unique=True)):
        kwargs[argument] = _sizes(draw)
    if "output_padding" in kwargs:
        kwargs.setdefault("stride", 3)
    return name, ndim, kwargs


@settings(max_examples=300, deadline=None)
@given(size_arguments(), st.booleans())
def test_size_tuples_accepted_exactly_as_torch_runs_them(case, batched):
    """One-element tuples of every size (``Conv2d(1, 1, 3, stride=(2,))``): torch repeats
    them over the axes, except a convolution's kernel_size, which makes a weight of the
    wrong rank; every other length torch refuses when the layer runs. convgif runs exactly
    what torch runs, with torch's output, and refuses the rest naming the argument."""
    name, ndim, kwargs = case
    module = _build(torch.nn, name, kwargs)
    layer = _build(convgif, name, kwargs)
    shape = ((1,) if batched else ()) + (1,) + (5,) * ndim
    x = np.random.default_rng(3).integers(-3, 4, shape).astype(np.float64)
    expected = None if module is None else torch_run(module, x)
    if layer is None or expected is None:
        assert layer is None or convgif_run(lambda: layer, x) is None, (case, expected)
        if expected is not None:  # torch runs it: only the input may be too small for convgif
            pytest.fail(f"{case}: torch runs it, convgif refuses the layer")
        return
    if "Pool" not in name:
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(layer.weight))
        expected = torch_run(module, x)
    np.testing.assert_array_equal(layer.trace(x).output, expected)


@pytest.mark.parametrize("build, argument", [
    (lambda: convgif.Conv2d(1, 1, (3,)), "kernel_size"),
    (lambda: convgif.Conv3d(1, 1, 3, stride=(2, 1)), "stride"),
    (lambda: convgif.ConvTranspose2d(1, 1, 3, output_padding=(0, 0, 0)), "output_padding"),
    (lambda: convgif.MaxPool2d(3, dilation=()), "dilation"),
])
def test_size_tuples_torch_refuses_are_refused_naming_the_argument(build, argument):
    with refused("refused by PyTorch|which it refuses", argument):
        build()


def test_one_element_sizes_read_as_torch_reads_them():
    layer = convgif.Conv2d(1, 1, 3, stride=(2,), dilation=[2])
    assert layer.spec.stride == (2, 2) and layer.spec.dilation == (2, 2)
    transposed = torch.nn.ConvTranspose2d(1, 1, 3, stride=3, padding=(1,), output_padding=(2,))
    assert convgif.ConvTranspose2d(1, 1, 3, stride=3, padding=(1,), output_padding=(2,)
                                   ).output_shape((1, 4, 4)) == (1, 12, 12)
    assert tuple(transposed(torch.ones(1, 4, 4)).shape) == (1, 12, 12)
    assert convgif.MaxPool2d((2,), stride=()).spec.stride == (2, 2)  # torch: () is omitted
    module = torch.nn.Conv2d(1, 1, 3, stride=(2,))
    assert module.stride == (2,)  # torch keeps the one-element tuple on the module
    assert from_torch(module).spec.stride == (2, 2)
