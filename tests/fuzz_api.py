"""API calls of the fuzz suite (tests/test_fuzz_suite.py): each a closure over its seeded
arguments that runs one public entry point and checks what it can against torch / Keras.

A call raises ConvGifError (refused), AssertionError (a wrong result) or nothing."""

from __future__ import annotations

import base64
import random
import warnings

import numpy as np
from fuzz_inputs import LAYERS, STACKS, ApiCall, batch_file, hostile_layer

JUNK = [0, -1, -3, 10**9, 2**63, -(2**63), 10**30, 1.5, 2.0, float("nan"), float("inf"), True,
        False, None, "", "2", "same", "x", (), (1,), (2, 2), (1, 2, 3, 4), ((1, 2), (0, 1)),
        (1, (2, 3)), [1, 2], [1.5], {"a": 1}, b"x", np.int64(2), np.float64(2.0),
        np.array([2, 2]), object(), 1j, range(2)]


def junk(rng: random.Random, good, p_good: float = 0.8):
    return good if rng.random() < p_good else rng.choice(JUNK)


def maybe_pair(rng: random.Random, lo: int, hi: int, nd: int):
    one = rng.randint(lo, hi)
    return tuple(rng.randint(lo, hi) for _ in range(nd)) if nd > 1 and rng.random() < 0.3 else one


TORCH_NDIM = {"Conv1d": 1, "Conv2d": 2, "Conv3d": 3, "ConvTranspose1d": 1,
              "ConvTranspose2d": 2, "MaxPool2d": 2, "AvgPool2d": 2}


def torch_arguments(rng: random.Random, kind: str) -> tuple[list, dict]:
    nd = TORCH_NDIM[kind]
    if kind.endswith("Pool2d"):
        args = [junk(rng, maybe_pair(rng, 1, 3, nd))]
        names = {"stride": maybe_pair(rng, 1, 3, nd), "padding": maybe_pair(rng, 0, 1, nd),
                 "ceil_mode": rng.random() < 0.5}
        if kind == "MaxPool2d":
            names["dilation"] = maybe_pair(rng, 1, 2, nd)
        else:
            names["count_include_pad"] = rng.random() < 0.5
            names["divisor_override"] = rng.choice([None, 1, 2, 5])
    else:
        g = rng.randint(1, 2)
        args = [junk(rng, g * rng.randint(1, 2)), junk(rng, g * rng.randint(1, 2)),
                junk(rng, maybe_pair(rng, 1, 3, nd))]
        names = {"groups": g, "stride": maybe_pair(rng, 1, 2, nd),
                 "dilation": maybe_pair(rng, 1, 2, nd), "bias": rng.random() < 0.5,
                 "padding_mode": rng.choice(["zeros", "reflect", "replicate", "circular"])}
        if kind.startswith("ConvTranspose"):
            names["padding_mode"] = "zeros"
            names["padding"] = maybe_pair(rng, 0, 2, nd)
            names["output_padding"] = maybe_pair(rng, 0, 1, nd)
        else:
            names["padding"] = rng.choice([maybe_pair(rng, 0, 2, nd), "same", "valid"])
    kwargs = {k: junk(rng, v, 0.9) for k, v in names.items() if rng.random() < 0.5}
    return args, kwargs


def small_input(rng: random.Random, layer, nd: int) -> np.ndarray | None:
    spec = layer.spec
    c = min(spec.in_channels or rng.randint(1, 2), 4)  # kept small: the input is this test's
    sizes = tuple(rng.randint(1, 6 if nd < 3 else 4) for _ in range(nd))
    shape = (*sizes, c) if spec.channels_last else (c, *sizes)
    if rng.random() < 0.3:
        shape = (rng.choice([0, 1, 2]), *shape)
    return np.random.default_rng(rng.randrange(99)).integers(-3, 4, shape).astype(np.float64)


def torch_forward(kind: str, args, kwargs, layer, x):
    """torch's output of the same call with the same weights, or None where torch refuses."""
    import torch

    warnings.simplefilter("ignore")  # the oracle's own warnings (the caller restores the filters)
    try:
        module = getattr(torch.nn, kind)(*args, **kwargs).double()
    except (ValueError, TypeError, RuntimeError):
        return None
    with torch.no_grad():
        if getattr(module, "weight", None) is not None:
            module.weight.copy_(torch.from_numpy(np.asarray(layer.weight, np.float64)))
        if getattr(module, "bias", None) is not None:
            module.bias.copy_(torch.from_numpy(np.asarray(layer.bias, np.float64)))
        try:
            return module(torch.from_numpy(x)).numpy()
        except RuntimeError:
            return None


def torch_constructor(rng: random.Random, _material) -> ApiCall:
    import convgif

    kind = rng.choice(list(TORCH_NDIM))
    args, kwargs = torch_arguments(rng, kind)
    seed = rng.randrange(1000)

    def run(folder):
        layer = getattr(convgif, kind)(*args, **kwargs)
        x = small_input(random.Random(seed), layer, TORCH_NDIM[kind])
        try:
            out = layer.trace(x).output
        except convgif.ConvGifError:
            return
        expected = torch_forward(kind, args, kwargs, layer, x)
        if expected is not None:
            np.testing.assert_array_equal(out, expected)

    return ApiCall(f"convgif.{kind}(*{args!r}, **{kwargs!r}).trace", run)


def keras_constructor(rng: random.Random, _material) -> ApiCall:
    from convgif import ConvGifError, keras

    kind = rng.choice(["Conv1D", "Conv2D", "Conv2DTranspose"])
    nd = 1 if kind == "Conv1D" else 2
    args = [junk(rng, rng.randint(1, 3)), junk(rng, maybe_pair(rng, 1, 3, nd))]
    names = {"strides": maybe_pair(rng, 1, 2, nd), "dilation_rate": maybe_pair(rng, 1, 2, nd),
             "padding": rng.choice(["valid", "same", "causal"]), "use_bias": rng.random() < 0.5,
             "data_format": rng.choice(["channels_last", "channels_first"]),
             "activation": rng.choice([None, "linear", "relu"]),
             rng.choice(["kernel_initializer", "name", "filter", "stride", "trainable"]): 1}
    if kind == "Conv2DTranspose":
        names["output_padding"] = rng.choice([None, 0, 1, (1, 0)])
    kwargs = {k: junk(rng, v, 0.9) for k, v in names.items() if rng.random() < 0.4}
    seed = rng.randrange(1000)

    def run(folder):
        layer = getattr(keras, kind)(*args, **kwargs)
        x = small_input(random.Random(seed), layer, nd)
        if x.ndim == nd + 1:
            x = x[None]
        try:
            layer = layer.built_for(x.shape)
            out = layer.trace(x).output
        except ConvGifError:
            return
        expected = keras_forward(kind, args, kwargs, layer, x)
        if expected is not None:
            np.testing.assert_array_equal(out, expected)

    return ApiCall(f"convgif.keras.{kind}(*{args!r}, **{kwargs!r}).trace", run)


def keras_forward(kind, args, kwargs, layer, x):
    """Keras 3's own layer (KERAS_BACKEND=torch) with the same weights, or None: refused."""
    import keras as real

    if x.shape[0] == 0:
        return None
    warnings.simplefilter("ignore")  # the oracle's own warnings (the caller restores the filters)
    # convgif draws the convolution before the activation (a keyword it does not draw)
    kwargs = {k: v for k, v in kwargs.items() if k != "activation"}
    try:
        module = getattr(real.layers, kind)(*args, **kwargs)
        module.build(x.shape)
        w = np.asarray(layer.weight, np.float64)
        # torch's layouts (out, in/g, k...) and, transposed, (in, out, k...) become Keras'
        # (k..., in, filters) and (k..., filters, in): the same axes swap in both
        module.kernel.assign(np.transpose(w, (*range(2, w.ndim), 1, 0)))
        if layer.bias is not None:
            module.bias.assign(layer.bias)
        return real.ops.convert_to_numpy(module(x.astype("float32"))).astype(np.float64)
    except (ValueError, RuntimeError, TypeError):
        return None


def parse_call(rng: random.Random, _material) -> ApiCall:
    from convgif.api.kinds import parse_layer

    text = rng.choice([rng.choice(LAYERS)[0], hostile_layer(rng), hostile_layer(rng),
                       rng.choice(JUNK)])
    seed = junk(rng, rng.randrange(5), 0.9)
    return ApiCall(f"parse_layer({text!r:.200}, seed={seed!r})",
                   lambda folder: parse_layer(text, seed=seed))


def from_torch_call(rng: random.Random, _material) -> ApiCall:
    import convgif

    kind = rng.choice(list(TORCH_NDIM) + ["Linear", "ReLU", "LazyConv2d", None, "Conv2d()"])
    args, kwargs = torch_arguments(rng, kind) if kind in TORCH_NDIM else ([], {})
    seed = rng.randrange(1000)

    def run(folder):
        import torch

        if kind in TORCH_NDIM:
            try:
                module = getattr(torch.nn, kind)(*args, **kwargs)
            except Exception:  # noqa: BLE001 -- torch refuses: from_torch on a non-layer instead
                module = args
        else:
            module = {"Linear": lambda: torch.nn.Linear(2, 2), "ReLU": torch.nn.ReLU,
                      "LazyConv2d": lambda: torch.nn.LazyConv2d(1, 2)}.get(kind, lambda: kind)()
        layer = convgif.from_torch(module)
        if not isinstance(module, torch.nn.Module):
            return
        with torch.no_grad():
            if getattr(module, "weight", None) is not None:
                module.weight.copy_(torch.randint(-2, 3, module.weight.shape))
            if getattr(module, "bias", None) is not None:
                module.bias.copy_(torch.randint(-2, 3, module.bias.shape))
        layer = convgif.from_torch(module)
        x = small_input(random.Random(seed), layer, TORCH_NDIM[kind])
        warnings.simplefilter("ignore")  # the oracle's own warnings (torch's 'same' note)
        try:
            with torch.no_grad():
                expected = module.double()(torch.from_numpy(x)).numpy()
        except RuntimeError:  # torch refuses the input: so must convgif
            expected = None
        try:
            out = layer.trace(x).output
        except convgif.ConvGifError:
            assert expected is None, f"torch runs {kind} on {x.shape}, convgif refuses"
            return
        assert expected is not None, f"torch refuses {kind} on {x.shape}, convgif runs it"
        np.testing.assert_array_equal(out, expected)

    return ApiCall(f"from_torch(torch.nn.{kind}(*{args!r}, **{kwargs!r}))", run)


PICTURE_OPTIONS = {
    "step": ["output", "channel", "mac", "pixel", 1], "view": ["gather", "scatter", "matrix", 2],
    "style": ["default", "classic", "dark", "neon", None], "scale": [0.5, 1, 0, -1, "1", 1e9],
    "cell": [None, 8, 20, 3, 1e6, "8"], "values": [None, "numbers", "symbols", "x", True],
    "lines": [True, False, "no", 1], "channels": [None, [0], "0-1", [1.5], [-1], "0-99999999"],
    "outputs": [None, "0,0", (0, 0), "9,9", 5], "font": [None, "DejaVu Sans", "NoSuch", 5],
    "flip": [False, True, "yes"], "duration": [None, 50, -1, "x"], "max_frames": [2, 0, "3"],
    "force": [False, "yes"], "bogus": [1],
}


def picture_call(rng: random.Random, material) -> ApiCall:
    from convgif.api.kinds import parse_layer

    text, shape = rng.choice(LAYERS)
    shape = tuple(int(s) for s in shape.split(","))
    shape = junk(rng, shape, 0.9)
    verb = rng.choice(["still", "still", "animate", "show"])
    suffix = {"still": rng.choice([".png", ".png", ".svg", ".xyz"]),
              "animate": rng.choice([".gif", ".webp"]), "show": ""}[verb]
    options = {k: rng.choice(v) for k, v in PICTURE_OPTIONS.items() if rng.random() < 0.15}
    if verb == "animate":
        options.setdefault("max_frames", 2)
    else:
        options.pop("max_frames", None)
        options.pop("duration", None)

    def run(folder):
        import convgif

        layer = parse_layer(text)
        if verb == "show":
            shown = convgif.show(junk(rng, layer, 0.9), input_shape=shape, **options)
            bundle = shown._repr_mimebundle_()  # what a notebook displays: player and still
            assert "convgif-player" in bundle["text/html"]
            assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
            return
        path = folder / ("out" + suffix)
        getattr(layer, verb)(path, input_shape=shape, **options)
        assert path.stat().st_size > 0

    return ApiCall(f"{text}.{verb}(out{suffix}, input_shape={shape!r}, **{options!r})", run)


def overlap_call(rng: random.Random, _material) -> ApiCall:
    import convgif

    text, shape = rng.choice(LAYERS)
    shape = junk(rng, tuple(int(s) for s in shape.split(",")), 0.85)
    layer = junk(rng, text, 0.85)

    def run(folder):
        counts = convgif.overlap_counts(layer, shape)
        assert isinstance(counts, np.ndarray) and counts.min() >= 0

    return ApiCall(f"overlap_counts({layer!r}, {shape!r})", run)


def stack_call(rng: random.Random, _material) -> ApiCall:
    import convgif

    layers = junk(rng, rng.choice(STACKS + [[s] for s in STACKS]), 0.85)
    shape = junk(rng, rng.choice([(1, 5, 5), (1, 6, 6), (2, 5, 5)]), 0.85)
    cell = rng.choice([None, None, (0, 0), (0, 0, 0), (9, 9), "0,0", 5])
    draw = rng.random() < 0.3

    def run(folder):
        if draw:
            convgif.stack(folder / "s.png", layers, shape, output_cell=cell)
            assert (folder / "s.png").stat().st_size > 0
        else:
            convgif.receptive_fields(layers, shape, output_cell=cell)

    return ApiCall(f"{'stack' if draw else 'receptive_fields'}({layers!r}, {shape!r}, "
                   f"output_cell={cell!r})", run)


def cost_call(rng: random.Random, _material) -> ApiCall:
    import convgif

    text, shape = rng.choice(LAYERS[:9])
    layer = junk(rng, text, 0.9)  # now and then not a layer at all: named, not a crash
    shape = junk(rng, tuple(int(s) for s in shape.split(",")), 0.9)
    sweep = junk(rng, rng.choice(["out_channels=1,2", ("size", [3, 4]), "kernel_size=1,2",
                                  "bogus=1", ("out_channels", [0]), "stride=1,2"]), 0.85)

    def run(folder):
        rows = convgif.cost_table(layer, shape, sweep)
        assert rows and all("macs" in row for row in rows)

    return ApiCall(f"cost_table({layer!r}, {shape!r}, {sweep!r})", run)


def batch_call(rng: random.Random, material) -> ApiCall:
    from convgif.batch import run_batch

    text = batch_file(rng, material)
    how = rng.randrange(4)
    workers = junk(rng, 1, 0.9)

    def run(folder):
        import tomllib

        path = folder / "b.toml"
        batch = {0: lambda: path, 1: lambda: tomllib.loads(text)["render"],
                 2: lambda: rng.choice([None, [None], [5], "x", [{}], [{"layer": 5}]]),
                 3: lambda: [{**e, "output": str(folder / "o.gif")}
                             for e in tomllib.loads(text)["render"]]}[how]
        if how == 0:
            path.write_text(text)
        try:
            results = run_batch(batch(), workers=workers)
        finally:
            path.unlink(missing_ok=True)
        for result in results:  # an entry's error is one line too
            assert result.error is None or "\n" not in result.error, result.error
            assert result.error is None or not result.error.startswith(
                ("TypeError", "AttributeError", "KeyError", "IndexError")), result.error

    return ApiCall(f"run_batch(<{how}> {text!r:.200}, workers={workers!r})", run)


CALLS = [(torch_constructor, 30), (keras_constructor, 12), (parse_call, 15),
         (from_torch_call, 10), (picture_call, 14), (overlap_call, 5), (stack_call, 5),
         (cost_call, 4), (batch_call, 5)]


def api_call(rng: random.Random, material) -> ApiCall:
    make = rng.choices([c for c, _ in CALLS], [w for _, w in CALLS])[0]
    return make(rng, material)
