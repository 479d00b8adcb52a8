"""Every refusal names the argument, its value and the rule; and convgif refuses
exactly what PyTorch refuses (checked against torch for random argument combinations)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch
from hypothesis import event, given, settings
from hypothesis import strategies as st

import convgif
import convgif.keras
from convgif import ConvGifError


def refused(match: str):
    return pytest.raises(ConvGifError, match=match)


def test_error_is_a_value_error():
    assert issubclass(ConvGifError, ValueError)


# --------------------------------------------------------------------------- sizes


@pytest.mark.parametrize(
    "kwargs, name, value",
    [
        (dict(in_channels=0), "in_channels", "0"),
        (dict(out_channels=-1), "out_channels", "-1"),
        (dict(kernel_size=0), "kernel_size", "0"),
        (dict(kernel_size=(3, 0)), "kernel_size", "0"),
        (dict(stride=0), "stride", "0"),
        (dict(dilation=-2), "dilation", "-2"),
        (dict(groups=0), "groups", "0"),
    ],
)
def test_non_positive_sizes(kwargs, name, value):
    args = dict(in_channels=3, out_channels=2, kernel_size=3) | kwargs
    with refused(rf"^{name}={value} must be positive"):
        convgif.Conv2d(**args)


@pytest.mark.parametrize(
    "kwargs, name, value",
    [
        (dict(in_channels=3.0), "in_channels", r"3\.0"),
        (dict(out_channels="2"), "out_channels", "'2'"),
        (dict(kernel_size=2.5), "kernel_size", r"2\.5"),
        (dict(stride=(1, 1.5)), "stride", r"1\.5"),
        (dict(dilation=None), "dilation", "None"),
    ],
)
def test_non_integer_sizes(kwargs, name, value):
    args = dict(in_channels=3, out_channels=2, kernel_size=3) | kwargs
    with refused(rf"^{name}={value} must be an integer"):
        convgif.Conv2d(**args)


@pytest.mark.parametrize("name", ["in_channels", "out_channels", "kernel_size", "groups"])
def test_bool_sizes(name):
    args = dict(in_channels=3, out_channels=2, kernel_size=3) | {name: True}
    with refused(rf"^{name}=True must be an integer"):
        convgif.Conv2d(**args)


def test_bool_arguments_must_be_bool():
    # torch refuses these at forward ("must be bool, not str"): tests/test_torch_rules.py
    with refused(r"^ceil_mode='yes' must be True or False"):
        convgif.MaxPool2d(2, ceil_mode="yes")


def test_wrong_tuple_length():
    with refused(r"^kernel_size=\(3, 3, 3\) gives PyTorch a weight of 5 axes, which it refuses "
                 "when the layer runs"):
        convgif.Conv2d(3, 2, (3, 3, 3))
    with refused(r"^padding=\(1, 2, 3\) is refused by PyTorch when the layer runs"):
        convgif.Conv2d(3, 2, 3, padding=(1, 2, 3))


def test_groups_must_divide_both_channel_counts():
    with refused(r"^groups=3 must divide in_channels=4"):
        convgif.Conv2d(4, 6, 3, groups=3)
    with refused(r"^groups=3 must divide out_channels=4"):
        convgif.Conv2d(3, 4, 3, groups=3)
    with refused(r"^groups=2 must divide in_channels=3"):
        convgif.ConvTranspose2d(3, 2, 3, groups=2)


# --------------------------------------------------------------------------- padding


def test_negative_padding():
    with refused(r"^padding=-1 must be at least 0"):
        convgif.Conv2d(3, 2, 3, padding=-1)
    with refused(r"^padding=-2 must be at least 0"):
        convgif.Conv2d(3, 2, 3, padding=(1, 0, -2, 0))
    with refused(r"^padding=-1 must be at least 0"):
        convgif.ConvTranspose2d(3, 2, 3, padding=(0, -1))
    with refused(r"^padding=-1 must be at least 0"):
        convgif.MaxPool2d(3, padding=-1)


def test_negative_padding_with_padding_mode():
    """Deliberate difference: torch's nn.Conv2d(padding=-1, padding_mode='reflect') runs,
    because its F.pad call crops with negative pads, while padding=-1 with 'zeros' is
    refused ("negative padding is not supported"). convgif refuses negative padding in
    every mode: a crop is not padding, and the animation has no cell to show for it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = torch.nn.Conv2d(1, 1, 1, padding=-1, padding_mode="reflect")
        assert module(torch.zeros(1, 1, 4, 4)).shape == (1, 1, 2, 2)
    for mode in ("reflect", "replicate", "circular"):
        with refused(r"^padding=-1 must be at least 0"):
            convgif.Conv2d(1, 1, 1, padding=-1, padding_mode=mode)


def test_output_smaller_than_one_gives_formula_and_numbers():
    with refused(
        r"input size H=3 is too small.*H_out = floor\(\(3 \+ 0 \+ 0 - 5\) / 1\) \+ 1 = -1, "
        r"must be at least 1"
    ):
        convgif.Conv2d(1, 1, 5).output_shape((1, 3, 3))
    with refused(r"input size W=4 .*W_out = floor\(\(4 \+ 1 \+ 1 - 7\) / 2\) \+ 1 = 0"):
        convgif.Conv2d(1, 1, (1, 4), stride=2, padding=1, dilation=2).output_shape((1, 9, 4))
    with refused(r"input size L=1 .*L_out = \(1 - 1\)\*1 \+ 3 - 2 - 2 = -1"):
        convgif.ConvTranspose1d(1, 1, 3, padding=2).output_shape((1, 1))
    with refused(r"input size H=1 .*H_out = ceil\(\(1 \+ 0 \+ 0 - 3\) / 1\) \+ 1 = -1"):
        convgif.MaxPool2d(3, stride=1, ceil_mode=True).trace(np.ones((1, 1, 5)))


def test_same_padding_needs_stride_one():
    with refused(r"^padding='same' needs stride=1 .*got stride=\(2, 1\)"):
        convgif.Conv2d(3, 2, 3, stride=(2, 1), padding="same")
    with refused(r"^padding='same' needs stride=1 .*got stride=3"):
        convgif.Conv1d(3, 2, 3, stride=3, padding="same")


def test_unknown_padding_strings():
    with refused(r"^padding='full' must be one of 'valid', 'same'"):
        convgif.Conv2d(3, 2, 3, padding="full")
    with refused(r"^padding='same' must be an integer or a tuple of 2 integers for Conv"):
        convgif.ConvTranspose2d(3, 2, 3, padding="same")
    with refused(r"^padding_mode='mirror' must be one of 'zeros', 'reflect'"):
        convgif.Conv2d(3, 2, 3, padding_mode="mirror")
    with refused(r"^padding='causal' must be one of 'valid', 'same'"):
        convgif.keras.Conv2D(2, 3, padding="causal")


def test_reflect_padding_must_be_smaller_than_input():
    layer = convgif.Conv2d(1, 1, 3, padding=(1, 3), padding_mode="reflect")
    assert layer.output_shape((1, 5, 4)) == (1, 5, 8)
    with refused(r"^padding=3 with padding_mode='reflect' must be smaller than the input size W=3"):
        layer.output_shape((1, 5, 3))
    with refused(r"padding_mode='reflect' .* input size H=2"):
        convgif.Conv2d(1, 1, 5, padding="same", padding_mode="reflect").trace(np.ones((1, 2, 9)))


def test_circular_padding_must_not_exceed_input():
    layer = convgif.Conv1d(1, 1, 3, padding=3, padding_mode="circular")
    assert layer.output_shape((1, 3)) == (1, 7)
    with refused(r"^padding=3 with padding_mode='circular' must be at most the input size L=2"):
        layer.output_shape((1, 2))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_transposed_layers_take_only_zeros_padding(mode):
    with refused(rf"^padding_mode='{mode}' is not supported by ConvTranspose2d"):
        convgif.ConvTranspose2d(1, 1, 3, padding_mode=mode)
    with refused(r"^padding_mode='mirror' must be one of"):
        convgif.ConvTranspose1d(1, 1, 3, padding_mode="mirror")


def test_output_padding_below_stride_or_dilation():
    with refused(r"^output_padding=2 must be smaller than either stride=2 or dilation=1"):
        convgif.ConvTranspose2d(1, 1, 3, stride=2, output_padding=2)
    with refused(r"^output_padding=\(0, 3\) must be smaller than either stride=\(2, 3\)"):
        convgif.ConvTranspose2d(1, 1, 3, stride=(2, 3), output_padding=(0, 3))
    # Below the dilation is enough, as in PyTorch.
    convgif.ConvTranspose2d(1, 1, 3, stride=1, dilation=3, output_padding=2)
    with refused(r"^output_padding=-1 must be at least 0"):
        convgif.ConvTranspose1d(1, 1, 3, stride=2, output_padding=-1)


def test_pooling_padding_at_most_half_the_kernel():
    with refused(r"^padding=2 must be at most half of the kernel_size=3"):
        convgif.MaxPool2d(3, padding=2)
    with refused(r"^padding=2 must be at most half of the kernel_size=3"):
        convgif.MaxPool2d(3, padding=2, dilation=3)
    with refused(r"^padding=\(1, 2\) must be at most half of the kernel_size=\(2, 3\)"):
        convgif.AvgPool2d((2, 3), padding=(1, 2))
    with refused(r"^divisor_override=0 must not be 0"):
        convgif.AvgPool2d(2, divisor_override=0)


# --------------------------------------------------------------------------- inputs


def test_input_of_wrong_rank():
    layer = convgif.Conv2d(3, 2, 3)
    with refused(r"^x has shape \(7, 7\), must be \(C, H, W\) or batched"):
        layer.trace(np.ones((7, 7)))
    with refused(r"^x has shape \(1, 1, 3, 7, 7\)"):
        layer.trace(np.ones((1, 1, 3, 7, 7)))
    with refused(r"^input_shape=\(3, 7\) must have 3 or 4 sizes, got 2"):
        layer.output_shape((3, 7))
    with refused(r"^x has shape \(9,\), must be \(C, L\)"):
        convgif.Conv1d(1, 1, 3).trace(np.ones(9))
    with refused(r"^input_shape=\(5, 5\) must have 3 or 4 sizes"):
        convgif.keras.Conv2D(2, 3).trace(np.ones((5, 5)))
    with refused(r"must be \(H, W, C\) or batched"):
        convgif.keras.Conv2D(2, 3, input_shape=(5, 5, 1)).trace(np.ones((5, 5)))


def test_input_of_wrong_channel_count():
    with refused(r"^input has 2 channels, must have in_channels=3"):
        convgif.Conv2d(3, 2, 3).trace(np.ones((2, 7, 7)))
    with refused(r"^input has 4 channels, must have in_channels=3"):
        convgif.Conv2d(3, 2, 3).output_shape((1, 4, 7, 7))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input(bad):
    x = np.ones((3, 7, 7))
    x[1, 2, 3] = bad
    with refused(r"^x must be finite"):
        convgif.Conv2d(3, 2, 3).trace(x)


def test_non_numeric_input():
    with refused(r"^x must be an array of numbers"):
        convgif.Conv1d(1, 1, 1).trace(np.array([["a", "b"]]))
    with refused(r"^x must be real"):
        convgif.Conv1d(1, 1, 1).trace(np.ones((1, 3)) * 1j)
    with refused(r"^x has shape \(1, 0\): it must not be empty"):
        convgif.Conv1d(1, 1, 1).trace(np.ones((1, 0)))


def test_weight_of_wrong_shape():
    layer = convgif.Conv2d(3, 2, 3)
    with refused(r"^weight has shape \(2, 3, 2, 2\), must be \(2, 3, 3, 3\)"):
        layer.weight = np.ones((2, 3, 2, 2))
    with refused(r"^bias has shape \(3,\), must be \(2,\)"):
        layer.bias = np.ones(3)
    with refused(r"^weight must be finite"):
        layer.weight = np.full((2, 3, 3, 3), np.nan)
    with refused(r"^bias cannot be set on a layer built with bias=False"):
        convgif.Conv2d(3, 2, 3, bias=False).bias = np.ones(2)
    with refused(r"^weight cannot be set on MaxPool2d"):
        convgif.MaxPool2d(2).weight = np.ones((1, 1, 2, 2))
    t_layer = convgif.ConvTranspose2d(4, 6, 3, groups=2)
    assert t_layer.weight.shape == (4, 3, 3, 3)
    with refused(r"^weight has shape \(6, 2, 3, 3\), must be \(4, 3, 3, 3\)"):
        t_layer.weight = np.ones((6, 2, 3, 3))


# --------------------------------------------------------------------------- torch agrees


def torch_accepts(build, shape) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            module = build()
            with torch.no_grad():
                module(torch.zeros(shape, dtype=torch.float32))
        except (RuntimeError, ValueError, TypeError):
            return False
    return True


def convgif_accepts(build, shape) -> bool:
    try:
        layer = build()
        out = layer.output_shape(shape)
        trace = layer.trace(np.zeros(shape))
    except ConvGifError:
        return False
    assert trace.output.shape == out
    return True


# Mostly valid values, with the invalid ones (0, −1) drawn now and then.
def per_axis(value):
    return value if isinstance(value, tuple) else (value,)


small = st.sampled_from([1, 2, 3, 1, 2, 4, 0, -1])
pad = st.sampled_from([0, 1, 2, 0, 1, 3, -1])


@settings(max_examples=400)
@given(
    cin=st.sampled_from([1, 2, 4, 3]), cout=st.sampled_from([2, 4, 1, 3, 0]),
    groups=st.sampled_from([1, 2, 1, 3]),
    kernel=st.one_of(small, st.tuples(small, small)),
    stride=st.one_of(small, st.tuples(small, small)),
    padding=st.one_of(pad, st.tuples(pad, pad), st.sampled_from(["same", "valid"]),
                      st.tuples(pad), st.tuples(pad, pad, pad), st.tuples(pad, pad, pad, pad)),
    dilation=st.one_of(small, st.tuples(small, small)),
    mode=st.sampled_from(["zeros", "reflect", "replicate", "circular"]),
    h=st.integers(1, 6), w=st.integers(1, 6),
)
def test_conv2d_refuses_what_torch_refuses(cin, cout, groups, kernel, stride, padding, dilation,
                                           mode, h, w):
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups,
                  padding_mode=mode)
    shape = (1, cin, h, w)
    if mode != "zeros" and not isinstance(padding, str) and min(per_axis(padding)) < 0:
        # The one deliberate difference, see test_negative_padding_with_padding_mode.
        assert not convgif_accepts(lambda: convgif.Conv2d(cin, cout, kernel, **kwargs), shape)
        return
    ours = convgif_accepts(lambda: convgif.Conv2d(cin, cout, kernel, **kwargs), shape)
    # a 4-tuple too: torch refuses it, and so does convgif (its own (before, after)
    # spelling is a pair per axis)
    theirs = torch_accepts(lambda: torch.nn.Conv2d(cin, cout, kernel, **kwargs), shape)
    event(f"accepted={theirs}")
    assert ours == theirs, f"convgif accepts: {ours}, torch accepts: {theirs}"


@settings(max_examples=150)
@given(
    cin=st.sampled_from([1, 2, 4, 3]), cout=st.sampled_from([2, 4, 1, 3]),
    groups=st.sampled_from([1, 2, 1, 3]), kernel=small,
    stride=st.one_of(small, st.tuples(small, small)),
    padding=st.one_of(pad, st.tuples(pad, pad)),
    output_padding=st.one_of(pad, st.tuples(pad, pad)),
    dilation=small, h=st.integers(1, 4), w=st.integers(1, 4),
)
def test_conv_transpose2d_refuses_what_torch_refuses(cin, cout, groups, kernel, stride, padding,
                                                     output_padding, dilation, h, w):
    kwargs = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups,
                  dilation=dilation)
    shape = (1, cin, h, w)
    ours = convgif_accepts(lambda: convgif.ConvTranspose2d(cin, cout, kernel, **kwargs), shape)

    def build():
        module = torch.nn.ConvTranspose2d(cin, cout, kernel, **kwargs)
        # torch's grouped transposed path skips two checks its ungrouped path makes
        # (dilation > 0, an output of at least one cell): convgif keeps both everywhere.
        if groups > 1 and dilation == 0:
            raise ValueError

        def forward(x):
            y = module(x)
            if y.numel() == 0:
                raise RuntimeError("an empty output")
            return y

        return forward

    theirs = torch_accepts(build, shape)
    event(f"accepted={theirs}")
    assert ours == theirs, f"convgif accepts: {ours}, torch accepts: {theirs}"


@settings(max_examples=150)
@given(
    kind=st.sampled_from(["max", "avg"]), kernel=st.one_of(small, st.tuples(small, small)),
    stride=st.one_of(st.none(), small), padding=st.one_of(pad, st.tuples(pad, pad)),
    dilation=small, ceil_mode=st.booleans(), h=st.integers(1, 6),
    w=st.integers(1, 6),
)
def test_pooling_refuses_what_torch_refuses(kind, kernel, stride, padding, dilation, ceil_mode,
                                            h, w):
    shape = (1, 2, h, w)
    if kind == "max":
        kwargs = dict(stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
        ours = convgif_accepts(lambda: convgif.MaxPool2d(kernel, **kwargs), shape)
        theirs = torch_accepts(lambda: torch.nn.MaxPool2d(kernel, **kwargs), shape)
    else:
        kwargs = dict(stride=stride, padding=padding, ceil_mode=ceil_mode)
        ours = convgif_accepts(lambda: convgif.AvgPool2d(kernel, **kwargs), shape)
        theirs = torch_accepts(lambda: torch.nn.AvgPool2d(kernel, **kwargs), shape)
    event(f"accepted={theirs}")
    assert ours == theirs, f"convgif accepts: {ours}, torch accepts: {theirs}"


# --------------------------------------------------------------------------- found by fuzzing
# Each of these raised MemoryError, TypeError or ValueError (or exhausted memory) before.


def test_huge_layers_are_refused_before_allocating():
    with refused(r"^Conv1d has 6,000,000,000,000 weights \(limit 16,777,216\)"):
        convgif.Conv1d(10**12, 2, 3).weight  # noqa: B018
    big = convgif.Conv2d(4096, 4096, 3)  # its shapes need no weights: info still works
    assert big.param_count == 4096 * 4096 * 9 + 4096
    assert big.output_shape((4096, 7, 7)) == (4096, 5, 5)
    with refused(r"^Conv2d: the padded input would have [\d,]+ values \(limit 33,554,432\)"):
        convgif.Conv2d(1, 1, 3, padding=10**7).trace(np.zeros((1, 3, 3)))
    with refused(r"^ConvTranspose2d: the padded input would have"):
        convgif.ConvTranspose2d(1, 1, 3, stride=10**6).trace(np.zeros((1, 3, 3)))
    with refused(r"^input_shape=\(1, 100000, 100000\) has 10,000,000,000 values"):
        convgif.Conv2d(1, 1, 3).example_input((1, 10**5, 10**5))


def test_parameters_drawn_on_first_use_are_the_seeded_ones():
    eager = np.random.default_rng(7)
    weight = eager.integers(-2, 3, (2, 3, 3, 3)).astype(np.float64)
    bias = eager.integers(-2, 3, 2).astype(np.float64)
    layer = convgif.Conv2d(3, 2, 3, seed=7)
    assert np.array_equal(layer.weight, weight) and np.array_equal(layer.bias, bias)
    layer = convgif.Conv2d(3, 2, 3, seed=7)
    layer.bias = [5, 6]  # set before the weight was ever read: the weight stays seeded
    assert np.array_equal(layer.weight, weight) and layer.bias.tolist() == [5, 6]


@pytest.mark.parametrize(
    "options, match",
    [
        (dict(scale=10**4), r"^a frame would be at least [\d,]+ x [\d,]+ pixels \(limit 16,000"),
        (dict(cell=10**6), r"^cell=1000000 must be a number of pixels from 4 to 200"),
        (dict(scale=1e-9), r"^scale=1e-09 must be a number from 0\.05 up"),
        (dict(scale=float("nan")), r"^scale=nan must be"),
        (dict(cell=float("nan")), r"^cell=nan must be"),
        (dict(cell=-5), r"^cell=-5 must be"),
        (dict(cell=True), r"^cell=True must be"),
        (dict(values=[]), r"^values=\[\] must be one of"),
    ],
)
def test_still_options_refused(tmp_path, options, match):
    from convgif.api import render

    with refused(match):
        render.still(tmp_path / "a.png", convgif.Conv2d(1, 1, 2), input_shape=(1, 3, 3),
                     **options)
    assert list(tmp_path.iterdir()) == []


def test_max_frames_of_the_wrong_type_is_refused(tmp_path):
    from convgif.api import render

    with refused(r"^max_frames='' must be a whole number of at least 2"):
        render.animate(tmp_path / "a.gif", convgif.Conv2d(1, 1, 2), input_shape=(1, 3, 3),
                       max_frames="")


def test_contact_sheet_columns_and_count(tmp_path):
    from convgif.api.export import contact_sheet

    layer = convgif.Conv2d(1, 1, 2)
    sheet = contact_sheet(tmp_path / "s.png", layer, input_shape=(1, 3, 3), count=2,
                          columns=10**6)  # was a 10**6-tile-wide allocation
    assert len(sheet.frames) == 2 and sheet.size[0] < 3000
    with refused(r"^count=0 must be a positive integer"):
        contact_sheet(tmp_path / "t.png", layer, input_shape=(1, 3, 3), count=0)


def test_batch_errors_name_the_entry_and_line(tmp_path):
    from convgif.batch import load_batch, run_batch

    toml = tmp_path / "b.toml"
    toml.write_text(
        '# renders\n[[render]]\nlayer = "Conv2d(1, 1, 2)"\ninput_shape = "1,3,3"\n'
        'output = "a/b/ok.gif"\n\n[[render]]\nlayer = "Conv2d(1, 1, 9)"\n'
        'input_shape = "1,3,3"\noutput = "bad.gif"\n\n  [[ render ]]\nlayer = "MaxPool2d(2)"\n'
        'input_shape = [1, 4, 4]\noutput = "pool.gif"\n'
    )
    results = run_batch(toml, workers=1)
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].describe().startswith("render #2 at line 7 (")
    assert "bad.gif): input size H=3 is too small" in results[1].describe()
    assert (tmp_path / "a" / "b" / "ok.gif").exists() and (tmp_path / "pool.gif").exists()
    toml.write_text('[[render]]\nlayer = "Conv2d(1, 1, 2)"\ninput_shape = 1,3,3\n')
    with refused(r"^batch file '.*b\.toml', line 3 \(column 16\): not valid TOML: Expected"):
        load_batch(toml)
    with refused(r"^workers=0 must be a positive integer"):
        run_batch(tmp_path / "missing.toml", workers=0)


@pytest.mark.parametrize(
    "array, match",
    [
        (np.array([[[np.nan, 1.0]]]), "holds NaN or infinity"),
        (np.full((1, 3, 3), np.inf), "holds NaN or infinity"),
        (np.array([[[1, None]]], dtype=object), "holds Python objects"),
        (np.ones((1, 3, 3), complex), "holds complex numbers"),
        (np.ones((1, 3, 3), bool), "has dtype bool"),
        (np.ones((1, 0, 3)), r"has shape \(1, 0, 3\): it must hold \(C, L\)"),
        (np.float64(3), r"has shape \(\): it must hold"),
        (np.ones(5), r"has shape \(5,\): it must hold"),
        (np.ones((2, 5, 5)), "': input has 2 channels, must have in_channels=1"),
        (np.zeros((1, 3, 3), dtype=[("a", "f8")]), "must hold numbers"),
    ],
)
def test_bad_npy_inputs_name_input(tmp_path, capsys, array, match):
    import re

    from convgif.cli import main as cli

    path = tmp_path / "x.npy"
    np.save(path, array, allow_pickle=True)
    code = cli.main(["still", "--layer", "Conv2d(1, 1, 2)", "--input", str(path),
                     "-o", str(tmp_path / "o.png")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"convgif: error: --input={str(path)!r}")
    assert re.search(match, err), err


def test_unwritable_targets_are_one_clear_error(tmp_path, capsys):
    from convgif.cli import main as cli

    (tmp_path / "afile").write_text("")
    (tmp_path / "dir.csv").mkdir()
    for command, target, message in (
        ("still", "afile/x.png",
         "-o='{0}/afile/x.png' cannot be written: '{0}/afile' is a file, not a folder"),
        ("still", "afile/deeper/x.png",
         "-o='{0}/afile/deeper/x.png' cannot be written: '{0}/afile' is a file, "
         "not a folder"),
        ("trace", "dir.csv", "-o='{0}/dir.csv' is a folder: name a file"),
    ):
        code = cli.main([command, "--layer", "Conv2d(1, 1, 2)", "--input-shape", "1,3,3",
                         "-o", str(tmp_path / target)])
        err = capsys.readouterr().err
        assert code == 2
        assert err == "convgif: error: " + message.format(tmp_path) + "\n"
    # missing parent folders are created
    assert cli.main(["still", "--layer", "Conv2d(1, 1, 2)", "--input-shape", "1,3,3", "-q",
                     "-o", str(tmp_path / "new" / "deep" / "x.png")]) == 0
    assert (tmp_path / "new" / "deep" / "x.png").stat().st_size > 0


@pytest.mark.parametrize("value", ["-1", "0", "nan"])
@pytest.mark.parametrize(
    "command, option",
    [("render", "--scale"), ("render", "--cell"), ("render", "--duration"), ("render", "--hold"),
     ("render", "--max-frames"), ("render", "--in-channels"), ("render", "--out-channels"),
     ("render", "--groups"), ("frames", "--every"), ("frames", "--fps"), ("sheet", "--count"),
     ("sheet", "--columns"), ("batch", "--workers"), ("render", "--seed")],
)
def test_numeric_cli_options_name_the_option(tmp_path, capsys, command, option, value):
    from convgif.cli import main as cli

    if option == "--seed" and value == "0":
        return  # seed 0 is a seed
    argv = [command, *([str(tmp_path / "b.toml")] if command == "batch" else []), option, value]
    if command != "batch":
        argv += ["-o", str(tmp_path / ("f" if command == "frames" else "a.gif"))]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"argument {option}: {option}={value} must be" in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "layer, shape, options, hint",
    [
        ("Conv2d(3, 8, 3, padding=1)", (3, 20, 20), dict(step="mac"),
         "step='output' instead of 'mac', max_frames=N (--max-frames), fewer channels= "
         "(--channels), or force=True (--force)"),
        # 3 of the 8 output channels are drawn (0, 1, 7), so the full walk is 3 x 44 x 44
        # frames (the default tour has a few dozen)
        ("Conv2d(3, 8, 3, padding=1)", (3, 44, 44), dict(step="output"),
         "max_frames=N (--max-frames), fewer channels= (--channels), or force=True (--force)"),
        ("Conv2d(1, 1, 3)", (1, 80, 80), dict(step="output"),
         "max_frames=N (--max-frames), or force=True"),
        ("ConvTranspose2d(1, 1, 3, stride=2)", (1, 80, 80), dict(view="scatter", step="output"),
         "max_frames=N (--max-frames), or force=True"),
    ],
)
def test_too_many_frames_names_the_ways_round_it(tmp_path, layer, shape, options, hint):
    """The refusal offers only the ways round that apply: a coarser step when there is
    one (the scatter view has none), fewer channels when there are several."""
    from convgif.api.kinds import parse_layer

    with refused(r"^this animation has [\d,]+ frames \(limit 5,000\): use " + re.escape(hint)):
        parse_layer(layer).animate(tmp_path / "a.gif", input_shape=shape, **options)
    assert not (tmp_path / "a.gif").exists()


def test_region_text_is_read_at_the_boundary_and_names_its_parameter():
    from convgif.layers.parse import output_region

    assert output_region("1-2,0", (3, 3)) == (range(1, 3), range(0, 1))
    assert output_region((range(2), 1), (3, 3)) == (range(0, 2), range(1, 2))
    with pytest.raises(ConvGifError) as caught:
        output_region("0-9,0", (3, 3))
    assert str(caught.value) == "outputs='0-9,0': rows 0-9 must lie in 0..2 (the output has 3 rows)"
    assert caught.value.named("--outputs").startswith("--outputs='0-9,0': rows 0-9")
