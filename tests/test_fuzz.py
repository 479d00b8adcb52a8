"""Fuzzing: random layer arguments, --layer strings and option combinations.

Whatever goes in, convgif answers with a valid result (whose traced output
equals torch's: the same constructor call on torch.nn, the same weights) or
with one ConvGifError (the API) / exit status 2 and exactly one stderr line
(the CLI): never another exception, a traceback or a hang (an example that
runs for a minute fails). The CLI is called in-process (``cli.main(argv)``) so that
hundreds of examples fit in seconds; a few examples run as real processes.

Examples per run (the hypothesis "ci" profile): constructors 700, --layer
strings 700, API options 250, CLI options 450, subprocesses 6, nesting 1: 2,107 in all.
"""

from __future__ import annotations

import contextlib
import io
import signal
import string
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convgif
from convgif.api import keras, render
from convgif.cli import main as cli
from convgif.errors import ConvGifError

HANG = 60  # seconds: an example that takes longer than this counts as a hang


@contextlib.contextmanager
def no_hang(seconds: int = HANG):
    """Fail an example that runs for ``seconds`` (SIGALRM; the tests run in the main thread)."""

    def expire(signum, frame):
        raise AssertionError(f"an example ran for more than {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def fuzz(examples: int):
    return settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))

TORCH_KINDS = ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
               "MaxPool2d", "AvgPool2d")
KERAS_KINDS = ("Conv1D", "Conv2D", "Conv2DTranspose")
MODES = ("zeros", "reflect", "replicate", "circular", "Zeros", "wrap", "", "same")
NDIM = {"Conv1d": 1, "Conv2d": 2, "Conv3d": 3, "ConvTranspose1d": 1, "ConvTranspose2d": 2,
        "MaxPool2d": 2, "AvgPool2d": 2, "Conv1D": 1, "Conv2D": 2, "Conv2DTranspose": 2}

# Anything a user might type, or a program might pass by mistake.
junk = st.one_of(
    st.integers(-(10**12), 10**12),
    st.integers(-2, 5),
    st.sampled_from([10**4, 10**6, 2**31, 2**63, 10**12, -(2**63)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, 2.5, -1.0, float("nan"), float("inf")]),
    st.text(max_size=6),
    st.sampled_from(["same", "valid", "full", "zeros", "3", ""]),
    st.none(),
    st.booleans(),
    st.tuples(st.integers(-2, 4)),
    st.tuples(st.integers(-2, 4), st.integers(-2, 4)),
    st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)),
    st.lists(st.integers(0, 3), max_size=3),
    st.just(()),
    st.just(np.int64(2)),
    st.just(np.float64(2.0)),
)


def plausible(lo: int, hi: int, ndim: int):
    """Mostly valid: a small int or a tuple of them, one per axis."""
    one = st.integers(lo, hi)
    return st.one_of(one, one, st.tuples(*[one] * ndim)) if ndim > 1 else one


def maybe(strategy):
    """A valid-looking value 4 times in 5, junk otherwise."""
    return st.one_of(strategy, strategy, strategy, strategy, junk)


@st.composite
def constructor_calls(draw):
    kind = draw(st.sampled_from(TORCH_KINDS + KERAS_KINDS))
    nd = NDIM[kind]
    kwargs = {}
    if kind in KERAS_KINDS:
        args = [draw(maybe(st.integers(1, 3))), draw(maybe(plausible(1, 3, nd)))]
        for name, value in (
            ("strides", plausible(1, 2, nd)),
            ("padding", st.sampled_from(["valid", "same"])),
            ("dilation_rate", plausible(1, 2, nd)),
            ("use_bias", st.booleans()),
            ("groups", st.integers(1, 2) if kind != "Conv2DTranspose" else st.nothing()),
            ("data_format", st.sampled_from(["channels_last", "channels_first"])),
        ):
            if draw(st.booleans()) and not value.is_empty:
                kwargs[name] = draw(maybe(value))
        return kind, args, kwargs
    if kind.endswith("Pool2d"):
        args = [draw(maybe(plausible(1, 3, nd)))]
        names = [("stride", plausible(1, 3, nd)), ("padding", plausible(0, 1, nd))]
        names += [("ceil_mode", st.booleans())]
        if kind == "MaxPool2d":
            names += [("dilation", plausible(1, 2, nd))]
        else:
            names += [("count_include_pad", st.booleans()),
                      ("divisor_override", st.one_of(st.none(), st.integers(1, 5)))]
    else:
        groups = draw(st.integers(1, 2))
        args = [draw(maybe(st.just(groups * draw(st.integers(1, 2))))),
                draw(maybe(st.just(groups * draw(st.integers(1, 2))))),
                draw(maybe(plausible(1, 3, nd)))]
        kwargs["groups"] = draw(maybe(st.just(groups)))
        names = [("stride", plausible(1, 2, nd)), ("dilation", plausible(1, 2, nd)),
                 ("bias", st.booleans()), ("padding_mode", st.sampled_from(MODES))]
        if kind.startswith("ConvTranspose"):
            names += [("padding", plausible(0, 2, nd)), ("output_padding", plausible(0, 1, nd))]
        else:
            names += [("padding", st.one_of(plausible(0, 2, nd),
                                            st.sampled_from(["same", "valid"])))]
    for name, value in names:
        if draw(st.booleans()):
            kwargs[name] = draw(maybe(value))
    return kind, args, kwargs


def kind_class(kind: str):
    return getattr(keras, kind) if kind in KERAS_KINDS else getattr(convgif, kind)


def torch_output(kind, args, kwargs, layer, x: np.ndarray) -> np.ndarray | None:
    """The same constructor call on torch.nn with the same weights, or None (not a torch layer)."""
    if kind in KERAS_KINDS:
        return None
    kwargs = {k: v for k, v in kwargs.items() if k != "seed"}
    inputs = torch.from_numpy(x)
    pad = kwargs.get("padding")
    if kind.startswith("Conv") and isinstance(pad, (tuple, list)) and any(
        isinstance(p, (tuple, list)) for p in pad
    ):
        # convgif's one extension of torch's signature: (before, after) per axis, which
        # torch spells as F.pad (last axis first), then the convolution without padding
        mode = kwargs.pop("padding_mode", "zeros")
        fpad = tuple(v for pair in reversed(pad) for v in pair)
        inputs = F.pad(inputs, fpad, mode="constant" if mode == "zeros" else mode)
        kwargs["padding"] = 0
    module = getattr(torch.nn, kind)(*args, **kwargs).double()
    with torch.no_grad():
        if layer.weight is not None:
            module.weight.copy_(torch.from_numpy(np.asarray(layer.weight, dtype=np.float64)))
        if layer.bias is not None:
            module.bias.copy_(torch.from_numpy(np.asarray(layer.bias, dtype=np.float64)))
        return module(inputs).numpy()


def input_for(layer, data) -> np.ndarray | None:
    """A small integer input the layer accepts, if one exists."""
    spec = layer.spec
    nd = spec.ndim
    c = spec.in_channels if spec.in_channels is not None else data.draw(st.integers(1, 2))
    if c > 4:
        return None
    sizes = tuple(data.draw(st.integers(1, 7 if nd < 3 else 4)) for _ in range(nd))
    shape = (*sizes, c) if spec.channels_last else (c, *sizes)
    if data.draw(st.booleans()):
        shape = (2, *shape)
    try:
        layer.output_shape(shape)
    except ConvGifError:
        return None
    return np.random.default_rng(0).integers(-3, 4, shape).astype(np.float64)


# --------------------------------------------------------------------------- the API


@fuzz(700)
@given(constructor_calls(), st.data())
def test_constructors_give_a_layer_or_one_error(call, data):
    kind, args, kwargs = call
    try:
        with no_hang():
            layer = kind_class(kind)(*args, **kwargs)
    except ConvGifError:
        return
    x = input_for(layer, data)
    if x is None:
        return
    try:
        with no_hang():
            trace = layer.trace(x)
    except ConvGifError:
        return
    expected = torch_output(kind, args, kwargs, layer, x)
    if expected is not None:
        np.testing.assert_array_equal(trace.output, expected)
    else:
        assert trace.output.shape == layer.output_shape(x.shape)


# --------------------------------------------------------------------------- --layer strings

LITERALS = st.one_of(
    st.integers(-3, 9).map(str),
    st.sampled_from(["0", "-1", "10**9", "1e999", "nan", "True", "None", "'same'", "'valid'",
                     "(2, 2)", "(1,)", "[1, 2]", "(1, 2, 3, 4)", "'zeros'", "'reflect'",
                     "'circular'", "2.0", "1j", "{1: 2}", "b'x'", "x", "f(1)", "...",
                     "999999999999999999999999", "(", "1 +", "lambda: 1", "__import__('os')"]),
)
KEYWORDS = ("stride", "padding", "dilation", "groups", "bias", "padding_mode", "output_padding",
            "ceil_mode", "strides", "kernel_size", "filters", "use_bias", "data_format",
            "seed", "count_include_pad", "divisor_override", "x")
PREFIXES = ("", "nn.", "torch.nn.", "layers.", "keras.layers.", "tf.keras.layers.", "os.")


@st.composite
def layer_strings(draw):
    kind = draw(st.sampled_from(TORCH_KINDS + KERAS_KINDS + ("Linear", "conv2d", "")))
    args = draw(st.lists(LITERALS, max_size=4))
    kwargs = draw(st.lists(st.tuples(st.sampled_from(KEYWORDS), LITERALS), max_size=3))
    text = draw(st.sampled_from(PREFIXES)) + kind + "(" + ", ".join(
        args + [f"{k}={v}" for k, v in kwargs]) + ")"
    how = draw(st.integers(0, 5))
    if how == 0:  # a character dropped, doubled or swapped in
        i = draw(st.integers(0, len(text)))
        c = draw(st.sampled_from(list("(),=*'\"x0-.") + [""]))
        text = text[:i] + c + text[i + draw(st.integers(0, 1)):]
    elif how == 1:  # garbage
        text = draw(st.text(alphabet=string.printable + "\u00e9\u2212\x00", max_size=30))
    elif how == 2:
        text = text + draw(st.sampled_from(["", ")", " + 1", "; import os", ".x", "[0]"]))
    return text


@fuzz(700)
@given(layer_strings(), st.integers(-2, 3))
def test_layer_strings_give_a_layer_or_one_error(text, seed):
    from convgif.api.kinds import parse_layer

    try:
        with no_hang():
            layer = parse_layer(text, seed=seed)
    except ConvGifError as error:
        assert "\n" not in str(error)
        return
    assert repr(layer)


def test_deeply_nested_layer_string_is_one_error():
    from convgif.api.kinds import parse_layer

    for text in ("Conv2d(" + "(" * 500 + "1" + ")" * 500 + ", 1, 1)", "Conv2d(" + "[" * 5000):
        with pytest.raises(ConvGifError):
            parse_layer(text)


# --------------------------------------------------------------------------- render options

SMALL_LAYERS = [
    (convgif.Conv2d(1, 1, 2), (1, 3, 3)),
    (convgif.Conv2d(2, 2, 2, groups=2, padding=1), (2, 2, 3)),
    (convgif.Conv1d(1, 2, 2, stride=2), (1, 5)),
    (convgif.ConvTranspose2d(1, 1, 2, stride=2), (1, 2, 2)),
    (convgif.MaxPool2d(2), (1, 4, 4)),
]

OPTION_VALUES = {
    "step": st.sampled_from(["output", "channel", "mac", "pixel", "", None, 1]),
    "channels": st.one_of(st.lists(st.integers(-1, 3), max_size=3), junk),
    "outputs": st.one_of(st.sampled_from(["0,0", "0-1,0", "0", "0-1", "1,1", "9,9", "a"]),
                         st.tuples(st.integers(-1, 2), st.integers(0, 2)), junk),
    "max_frames": st.one_of(st.integers(-2, 4), junk),
    "scale": st.one_of(st.sampled_from([0.25, 0.5, 1, 2]), junk),
    "cell": st.one_of(st.none(), st.sampled_from([8, 12, 30]), junk),
    "values": st.one_of(st.sampled_from([None, True, False, "numbers", "symbols", "none"]), junk),
    "lines": st.one_of(st.booleans(), junk),
    "style": st.one_of(st.sampled_from(["default", "classic", "dark"]), junk),
    "view": st.sampled_from(["gather", "scatter", "both"]),
    "frame": st.one_of(st.integers(-6, 6), junk),
    "duration": st.one_of(st.none(), st.sampled_from([10, 100]), junk),
}


@fuzz(250)
@given(st.sampled_from(range(len(SMALL_LAYERS))), st.data(),
       st.sampled_from([".png", ".png", ".gif", ".gif", ".svg", ".webp", ".apng"]))
def test_render_options_give_a_file_or_one_error(tmp_path_factory, which, data, suffix):
    layer, shape = SMALL_LAYERS[which]
    names = data.draw(st.lists(st.sampled_from(sorted(OPTION_VALUES)), max_size=5, unique=True))
    options = {name: data.draw(OPTION_VALUES[name], label=name) for name in names}
    folder = tmp_path_factory.mktemp("api")
    path = folder / ("out" + suffix)
    try:
        with no_hang():
            _render(path, layer, shape, options)
    except ConvGifError as error:
        assert "\n" not in str(error)
        assert not path.exists()
        return
    assert path.stat().st_size > 0


def _render(path, layer, shape, options) -> None:
    if path.suffix in (".gif", ".webp", ".apng"):
        options.pop("frame", None)
        options.setdefault("max_frames", 3)
        render.animate(path, layer, input_shape=shape, **options)
    else:
        options.pop("max_frames", None)
        options.pop("duration", None)
        frame = options.pop("frame", -1)
        render.still(path, layer, frame=frame, input_shape=shape, **options)


# --------------------------------------------------------------------------- the CLI

TEXT_JUNK = st.one_of(
    st.sampled_from(["-1", "0", "1", "2", "3", "nan", "inf", "-inf", "1e309", "1e-9",
                     "99999999999999999999", "", " ", "abc", "3x", "0-3", "0-1,0-1", ",",
                     "1,2", "2.5", "0x10", "\u2212" + "1", "1_000"]),
    st.text(alphabet="0123456789-,.x e", max_size=6),
)
# Layers with an input shape they accept; --input-shape is replaced by junk now and then.
CLI_CASES = [("Conv2d(1, 1, 2)", "1,3,3"), ("Conv1d(1, 2, 3, padding=1)", "1,4"),
             ("MaxPool2d(2)", "1,4,4"), ("ConvTranspose2d(1, 1, 2, stride=2)", "1,2,2"),
             ("layers.Conv2D(2, 2)", "3,3,1"), ("Conv2d(2, 2, 2, groups=2)", "2,3,3"),
             ("AvgPool2d(2, padding=1)", "1,2,3,3")]
CLI_OPTIONS = {
    "common": {"--seed": ["0", "3"]},
    "flags": {"--in-channels": ["1"], "--out-channels": ["1", "2"], "--kernel-size": ["2", "1,2"],
              "--stride": ["1", "2"], "--padding": ["1", "same", "0:1,1:0"], "--dilation": ["1"],
              "--groups": ["1"], "--output-padding": ["1"], "--padding-mode": ["reflect"]},
    "picture": {"--step": ["output", "channel", "mac"], "--scale": ["0.5", "1"],
                "--cell": ["8", "20"], "--values": ["numbers", "symbols"],
                "--style": ["default", "classic", "dark"], "--channels": ["0", "0-1"],
                "--outputs": ["0,0", "0-1,0-1", "0", "1-2", "0,1"],
                "--view": ["gather", "scatter"]},
    "render": {"--max-frames": ["2", "3"], "--duration": ["50", "300"], "--hold": ["100"]},
    "still": {"--frame": ["0", "1", "-1", "-2"]},
    "frames": {"--every": ["1", "2"], "--fps": ["2", "12.5"], "--format": ["png", "svg"]},
    "sheet": {"--count": ["1", "2"], "--columns": ["1", "2"]},
    "trace": {"--view": ["gather", "scatter"]},
}
FLAGS = {"info": ["--json"], "render": ["--no-lines", "--no-values", "--force"],
         "still": ["--no-lines", "--no-values"], "frames": ["--no-values"], "sheet": ["--no-lines"],
         "trace": ["--quiet"]}
SUBCOMMAND_GROUPS = {
    "info": ["common", "flags"], "render": ["common", "flags", "picture", "render"],
    "still": ["common", "flags", "picture", "still"], "frames": ["common", "picture", "frames"],
    "sheet": ["common", "picture", "sheet"], "trace": ["common", "trace"],
}
SUFFIX = {"render": ".gif", "still": ".png", "frames": "", "sheet": ".png", "trace": ".csv"}


@st.composite
def cli_calls(draw, folder):
    """A command with a working layer and input, a few options (each junk 1 time in 4)."""
    command = draw(st.sampled_from(["info", "info", "still", "still", "still", "render",
                                    "render", "frames", "sheet", "trace"]))
    layer, shape = draw(st.sampled_from(CLI_CASES))
    if draw(st.integers(0, 5)) == 0:
        layer = draw(layer_strings())
    if draw(st.integers(0, 7)) == 0:
        shape = draw(TEXT_JUNK)
    argv = [command]
    options = {}
    for group in SUBCOMMAND_GROUPS[command]:
        if group != "flags" or draw(st.integers(0, 5)) == 0:  # the flags replace --layer
            options.update(CLI_OPTIONS[group])
    if not any(o in options for o in CLI_OPTIONS["flags"]):
        argv += ["--layer", layer]
    argv += ["--input-shape", shape]
    for option in draw(st.lists(st.sampled_from(sorted(options)), max_size=4, unique=True)):
        good = st.sampled_from(options[option])
        argv += [option, draw(st.one_of(good, good, good, TEXT_JUNK))]
    argv += draw(st.lists(st.sampled_from(FLAGS[command]), max_size=1))
    if command == "render":  # keep renders cheap: a few frames at most
        argv += ["--max-frames", draw(st.sampled_from(["2", "3"]))]
    if command == "sheet":
        argv += ["--count", "2"]
    if command == "frames":
        argv += ["--frames", "1,-1"]
    if command != "info":
        suffix = SUFFIX[command]
        if command == "render":
            suffix = draw(st.sampled_from([".gif", ".gif", ".webp", ".apng", ".png"]))
        argv += ["-o", str(folder / ("out" + suffix))]
    return argv


def run_main(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with no_hang(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exit_:  # --help / --version
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


def check_cli_answer(code, err: str) -> None:
    assert "Traceback" not in err
    if code == 0:
        assert err == ""
    else:
        assert code == 2, (code, err)
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("convgif: error: "), err


@fuzz(450)
@given(st.data())
def test_cli_options_exit_0_or_one_error_line(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("cli")
    argv = data.draw(cli_calls(folder))
    code, _, err = run_main(argv)
    check_cli_answer(code, err)


@pytest.mark.parametrize(
    "argv",
    [
        ["render", "--scale", "nan", "-o", "{}/a.gif"],
        ["still", "--layer", "Conv2d(1, 1, (2, 2", "-o", "{}/a.png"],
        ["info", "--input-shape", "3,1e309,7"],
        ["still", "--cell", "-inf", "-o", "{}/a.png"],
        ["render", "--max-frames", "0", "--outputs", "0-1,0", "-o", "{}/a.gif"],
        ["frames", "--every", "-1", "-o", "{}/f"],
    ],
)
def test_real_processes_exit_0_or_one_error_line(tmp_path, argv):
    argv = [a.replace("{}", str(tmp_path)) for a in argv]
    result = subprocess.run([sys.executable, "-m", "convgif", *argv],
                            capture_output=True, text=True, timeout=120)
    check_cli_answer(result.returncode, result.stderr)
    assert result.returncode == 2  # each of these is refused

