"""The inputs of the fuzz suite (tests/test_fuzz_suite.py): seeded generators of command
lines and API calls, mixing valid and hostile values from issue 15's categories."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

# --------------------------------------------------------------------------- material


def make_material(folder: Path) -> dict[str, str]:
    """Files the command lines point at: inputs, images, fonts, batch files, folders."""
    m: dict[str, str] = {}

    def npy(name, array):
        np.save(folder / name, array)
        m[name] = str(folder / name)

    npy("good.npy", np.arange(9.0).reshape(1, 3, 3))
    npy("batch.npy", np.ones((2, 1, 3, 3)))
    npy("int8.npy", np.arange(9, dtype=np.int8).reshape(1, 3, 3))
    npy("bool.npy", np.ones((1, 3, 3), bool))
    npy("half.npy", np.ones((1, 3, 3), np.float16))
    npy("complex.npy", np.ones((1, 3, 3), complex))
    npy("timedelta.npy", np.ones((1, 3, 3), "m8[s]"))
    npy("datetime.npy", np.ones((1, 3, 3), "M8[D]"))
    npy("strings.npy", np.full((1, 3, 3), "ab"))
    npy("object.npy", np.array([[[1, None, 2]]], object))
    npy("structured.npy", np.zeros((1, 3, 3), [("a", "f8"), ("b", "i4")]))
    npy("fortran.npy", np.asfortranarray(np.ones((1, 3, 3))))
    npy("scalar.npy", np.array(3.0))
    npy("empty.npy", np.zeros((1, 0, 3)))
    npy("huge_values.npy", np.full((1, 3, 3), 1e308))
    npy("nan.npy", np.full((1, 3, 3), np.nan))
    npy("big.npy", np.zeros((1, 300, 300), np.float32))
    npy("5d.npy", np.zeros((1, 1, 1, 3, 3)))
    header = (folder / "good.npy").read_bytes()
    for name, old, new in (("neg_shape.npy", b"(1, 3, 3)", b"(3, -7, 7)"),
                           ("huge_shape.npy", b"(1, 3, 3)", b"(9999999999, 99999, 9)"),
                           ("bad_dtype.npy", b"'<f8'", b"'<q9'")):
        (folder / name).write_bytes(header.replace(old, new))
        m[name] = str(folder / name)
    raw = {"truncated.npy": header[:100], "text.npy": b"1 2 3\n", "empty_file.npy": b"",
           "not_font.ttf": b"this is not a font\n" * 20, "not_image.png": b"GIF89a garbage",
           "zero.png": b"", "notes.txt": b"hello", "binary.toml": bytes(range(256)) * 4,
           "deep.toml": b"a = " + b"[" * 3000 + b"]" * 3000 + b"\n",
           "no_render.toml": b'title = "x"\n', "empty.toml": b"",
           "bad.toml": b"[[render]\nlayer = \n"}
    for name, data in raw.items():
        (folder / name).write_bytes(data)
        m[name] = str(folder / name)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (12, 10, 3), np.uint8)).save(folder / "rgb.png")
    Image.fromarray(rng.integers(0, 255, (9, 9), np.uint8)).save(folder / "gray.jpg")
    Image.fromarray(rng.integers(0, 255, (8, 8, 4), np.uint8)).save(folder / "rgba.png")
    Image.fromarray(rng.integers(0, 255, (1, 1, 3), np.uint8)).save(folder / "dot.png")
    for name in ("rgb.png", "gray.jpg", "rgba.png", "dot.png"):
        m[name] = str(folder / name)
    (folder / "a_folder").mkdir()
    m["a_folder"] = str(folder / "a_folder")
    m["missing"] = str(folder / "missing.npy")
    return m


def pick(rng: random.Random, good, bad, p_good: float = 0.7):
    return rng.choice(good) if rng.random() < p_good else rng.choice(bad)


# --------------------------------------------------------------------------- layers

# (call as written in PyTorch or Keras code, an input shape it accepts, channels-first)
LAYERS = [
    ("Conv2d(1, 1, 2)", "1,3,3"),
    ("nn.Conv1d(1, 2, 3, padding=1)", "1,4"),
    ("torch.nn.ConvTranspose2d(1, 1, 2, stride=2)", "1,2,2"),
    ("ConvTranspose1d(1, 1, 3, stride=2, output_padding=1)", "1,3"),
    ("MaxPool2d(2)", "1,4,4"),
    ("nn.AvgPool2d(2, padding=1, count_include_pad=False)", "1,3,3"),
    ("Conv2d(2, 2, 2, groups=2, padding=1, padding_mode='reflect')", "2,3,3"),
    ("Conv2d(1, 1, 3, padding='same', dilation=2, bias=False)", "1,4,4"),
    ("Conv2d(1, 2, (1, 2), stride=(2, 1), padding=(1, 0), padding_mode='circular')", "1,3,3"),
    ("Conv3d(1, 1, 2)", "1,2,3,3"),
    ("layers.Conv2D(2, 2)", "3,3,1"),
    ("keras.layers.Conv1D(1, 3, padding='causal')", "5,1"),
    ("tf.keras.layers.Conv2DTranspose(1, 2, strides=2)", "2,2,1"),
    ("Conv2D(1, 3, padding='same', data_format='channels_first')", "1,4,4"),
    ("MaxPool2d(2, stride=1, dilation=2, ceil_mode=True)", "1,4,4"),
    ("AvgPool2d(3, stride=2, padding=1, divisor_override=2)", "1,4,4"),
]
KINDS = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool2d",
         "AvgPool2d", "Conv1D", "Conv2D", "Conv2DTranspose", "Linear", "conv2d", "Conv2", ""]
KEYWORDS = ["stride", "padding", "dilation", "groups", "bias", "padding_mode", "output_padding",
            "ceil_mode", "count_include_pad", "divisor_override", "return_indices", "strides",
            "kernel_size", "filters", "use_bias", "data_format", "dilation_rate", "seed",
            "strid", "paddng", "dilations", "kernal_size", "in_channels", "out_channels",
            "activation", "x", "padding"]
VALUES = ["0", "1", "2", "3", "-1", "-3", "10**9", "2**63", "9223372036854775808",
          "99999999999999999999", "1.5", "2.0", "1e999", "nan", "True", "False", "None",
          "'same'", "'valid'", "'causal'", "'full'", "'zeros'", "'reflect'", "'circular'",
          "'replicate'", "'wrap'", "(2, 2)", "(1,)", "[1, 2]", "(1, 2, 3, 4)", "((1, 2), (0, 1))",
          "(1, (2, 3))", "((1,),)", "()", "1j", "{1: 2}", "b'x'", "x", "f(1)", "...", "-(-2)",
          "+2", "~1", "not 1", "'channels_first'", "'channels_last'", "'relu'", "\u22121"]


def hostile_layer(rng: random.Random) -> str:
    how = rng.randrange(9)
    if how == 0:  # long text
        return "Conv2d(" + rng.choice(["1, " * 5000, "-" * 3000, "(" * 1000, "not " * 3000,
                                       "+".join(["1"] * 3000) + ", "]) + "1, 1)"
    if how == 1:  # deep, but short enough to parse
        depth = rng.choice([30, 100, 200])
        return "Conv2d(" + "(" * depth + "1" + ")" * depth + ", 1, 2)"
    if how == 2:  # garbage
        return "".join(rng.choice("Conv2d(1,=)'\"[]{}x-. \u00e9\x00\n") for _ in range(20))
    if how == 3:
        return rng.choice(["", " ", "Conv2d", "Conv2d(", "Conv2d(1, 1, 2))", "__import__('os')",
                           "Conv2d(1, 1, 2); import os", "os.system('x')", "Conv2d(*[1, 1, 2])",
                           "Conv2d(**{'stride': 2})", "lambda: 1", "Conv2d(1, 1, 2)[0]",
                           "Conv2d(1, 1, 2, stride=1, stride=2)", "Conv2d(1,1,2).cuda()"])
    kind = rng.choice(KINDS)
    prefix = rng.choice(["", "", "nn.", "torch.nn.", "layers.", "keras.layers.", "os."])
    args = [rng.choice(VALUES if rng.random() < 0.3 else ["1", "2", "3"])
            for _ in range(rng.randrange(4))]
    kwargs = [f"{rng.choice(KEYWORDS)}={rng.choice(VALUES)}" for _ in range(rng.randrange(3))]
    return f"{prefix}{kind}({', '.join(args + kwargs)})"


def layer_text(rng: random.Random) -> tuple[str, str]:
    """A layer text and a shape; hostile (with the first valid layer's shape) 3 times in 10."""
    if rng.random() < 0.7:
        return rng.choice(LAYERS)
    return hostile_layer(rng), rng.choice(LAYERS)[1]


# --------------------------------------------------------------------------- option values

BAD_NUMBERS = ["-1", "0", "nan", "inf", "-inf", "1e309", "1e-9", "99999999999999999999", "",
               " ", "abc", "3x", "2.5", "0x10", "\u22121", "1_000", "1,2", "True", "1e9"]
OPTIONS = {  # flag: (good values, hostile values)
    "--seed": (["0", "3"], ["-1", "2**64", "99999999999999999999999", "x", "1.5", ""]),
    "--step": (["output", "channel", "mac", "auto"], ["pixel", "", "MAC"]),
    "--view": (["gather", "scatter", "matrix"], ["both", "", "Gather"]),
    "--style": (["default", "classic", "dark"], ["neon", "", "dark "]),
    "--scale": (["0.5", "1", "0.75"], BAD_NUMBERS + ["100", "1e9", "0.01", "20"]),
    "--cell": (["8", "12", "20"], BAD_NUMBERS + ["3", "201", "1e6", "200"]),
    "--values": (["numbers", "symbols"], ["none", "x", ""]),
    "--font": (["DejaVu Sans"], ["NoSuchFont", "", "x" * 300, "not_font.ttf", "missing",
                                 "a_folder", "rgb.png"]),
    "--channels": (["0", "0-1", "0,1"], ["0-99999999", "-1", "1.5", "a", "5-2", "", "0,0",
                                         "99", ",", "0-", "1e9"]),
    "--outputs": (["0,0", "0-1,0-1", "0", "0-1"], ["9,9", "a", "0-99999999,0", "-1,0", "1.5",
                                                   "0,0,0", ",", "2-1,0"]),
    "--duration": (["50", "300"], BAD_NUMBERS + ["1e12"]),
    "--hold": (["100"], BAD_NUMBERS),
    "--max-frames": (["2", "3"], ["0", "-1", "1e9", "x", "1.5", "99999999999999999999"]),
    "--frame": (["1", "2", "-1", "-2"], ["0", "99999", "-99999", "1.5", "x", "", "2**63"]),
    "--frames": (["1,2", "1,-1", "1"], ["0", "1-3", "99999", ",", "1," * 300, "x", "-99999"]),
    "--every": (["1", "2"], ["0", "-1", "x", "1e9"]),
    "--fps": (["2", "12.5"], ["0", "-1", "nan", "inf", "x"]),
    "--format": (["png", "svg"], ["gif", "", "PNG"]),
    "--count": (["1", "2"], ["0", "-1", "100000", "x", "2.5"]),
    "--columns": (["1", "2"], ["0", "-1", "99999", "x"]),
    "--image-size": (["8", "6,5"], ["0", "-1", "99999", "x", "8,8,8"]),
    "--in-channels": (["1", "2"], BAD_NUMBERS),
    "--out-channels": (["1", "2"], BAD_NUMBERS + ["99999999"]),
    "--kernel-size": (["2", "1,2"], BAD_NUMBERS + ["99"]),
    "--stride": (["1", "2", "2,1"], BAD_NUMBERS),
    "--padding": (["1", "same", "valid", "0:1,1:0"], BAD_NUMBERS + ["1:2:3", "a:b", "-1:0"]),
    "--dilation": (["1", "2"], BAD_NUMBERS),
    "--groups": (["1"], BAD_NUMBERS + ["3"]),
    "--output-padding": (["1", "0"], BAD_NUMBERS),
    "--padding-mode": (["reflect", "zeros", "circular"], ["wrap", "", "Zeros"]),
    "--output-cell": (["0,0", "0,0,0", "-1,-1"], ["9,9", "a", "1.5,0", "0", "0,0,0,0"]),
    "--max-side": (["16", "24"], ["0", "-1", "99999", "x", "1e9"]),
    "--kernel": (["edge", "blur", "sharpen"], ["layer", "gauss", ""]),
    "--sweep": (["out_channels=1,2", "size=3,4", "kernel_size=1,2", "stride=1,2"],
                ["bogus=1", "out_channels=", "x", "=1", "out_channels=0", "size=-1,2",
                 "out_channels=" + ",".join(map(str, range(1, 3000))), "out_channels=1e9"]),
    "--repeats": (["1"], ["0", "-1", "x"]),
    "--threads": (["1"], ["0", "-1", "x"]),
    "--workers": (["1"], ["0", "-1", "x", "1.5"]),
}
SWITCHES = ["--no-lines", "--no-values", "--flip", "--quiet", "--force", "--json", "--no-bias",
            "--transposed", "--by-channel", "--one-grid", "--measure", "--values", "-h"]
LAYER_FLAGS = ["--in-channels", "--out-channels", "--kernel-size", "--stride", "--padding",
               "--dilation", "--groups", "--output-padding", "--padding-mode"]
PICTURE = ["--step", "--view", "--style", "--scale", "--cell", "--values", "--font",
           "--channels", "--outputs", "--seed"]
COMMANDS = {  # command: (its options, its switches, output suffixes, weight)
    "info": (["--seed"], ["--json", "--no-bias"], [None], 3),
    "still": (PICTURE + ["--frame"], ["--no-lines", "--no-values", "--flip"],
              [".png"] * 6 + [".svg", ".pdf"], 8),
    "render": (PICTURE + ["--duration", "--hold", "--max-frames"],
               ["--no-lines", "--no-values", "--force", "--flip"],
               [".gif", ".gif", ".webp", ".apng", ".png"], 4),
    "frames": (PICTURE + ["--frames", "--every", "--fps", "--format"], ["--no-values"], [""], 2),
    "sheet": (PICTURE + ["--frames", "--count", "--columns"], ["--no-lines"], [".png"], 2),
    "trace": (["--view", "--seed"], ["--quiet"], [".csv", ".jsonl", ".npz", ".json"], 3),
    "overlap": (["--style", "--scale", "--cell", "--duration", "--hold", "--max-frames"],
                ["--quiet", "--force"], [".png", ".gif"], 2),
    "stack": (["--output-cell", "--cell", "--frame", "--style", "--scale", "--seed"],
              ["--by-channel", "--one-grid", "--quiet"], [".png", ".gif", ".svg"], 2),
    "features": (["--kernel", "--max-side", "--style", "--seed"], ["--quiet"], [".png"], 1),
    "cost": (["--sweep", "--repeats", "--threads"], ["--quiet", "--measure"],
             [".csv", ".json", ".csv", ".json", ".png"], 2),
    "batch": (["--workers"], ["--quiet"], [None], 1),
}
STACKS = ["Conv2d(1, 1, 2) MaxPool2d(2)", "Conv2d(1, 2, 3, padding=1)",
          "AvgPool2d(2) Conv2d(1,1,1)", "Conv2d(2, 2, 2, groups=2) Conv2d(2, 1, 2)"]
STACK_SHAPES = ["1,5,5", "1,6,6", "2,5,5"]


def output_path(rng: random.Random, suffix: str, material) -> str:
    name = "out" + suffix
    how = rng.randrange(14)
    if how == 0:
        return "a/b/c/" + name  # nested new folders
    if how == 1:
        return name + "/"  # trailing slash
    if how == 2:
        return material["a_folder"]  # an existing folder
    if how == 3:
        return "x" * 256 + suffix  # a name too long
    if how == 4:
        return "y" * (250 - len(suffix)) + suffix  # long but legal
    if how == 5:
        return material["notes.txt"] + "/" + name  # through a file
    if how == 6:
        return rng.choice(["out.xyz", "out", "", ".", "out.GIF", "/", "-", "out.tar.gz"])
    if how == 7 and rng.random() < 0.1:
        return "/".join(["d"] * 1100) + "/" + name  # a legal path, very deep
    return name


def input_source(rng: random.Random, shape: str, material) -> list[str]:
    how = rng.randrange(10)
    if how < 6:
        return ["--input-shape", shape]
    if how == 6:
        return ["--input-shape", rng.choice(["0,3,3", "-1,3,3", "3", "1,3,3,3,3,3", "1e9,1,1",
                                             "1,99999,99999", "a,b", "", "1,3.5,3", "2**63",
                                             "1,,3", "1,4096,4096", "1,64,64", "2,1,3,3"])]
    if how == 7:
        return ["--input", material[rng.choice(
            ["good.npy", "batch.npy", "int8.npy", "bool.npy", "half.npy", "complex.npy",
             "timedelta.npy", "datetime.npy", "strings.npy", "object.npy", "structured.npy",
             "fortran.npy", "scalar.npy", "empty.npy", "huge_values.npy", "nan.npy", "big.npy",
             "5d.npy", "neg_shape.npy", "huge_shape.npy", "bad_dtype.npy", "truncated.npy",
             "text.npy", "empty_file.npy", "missing", "a_folder", "rgb.png"])]]
    if how == 8:
        return ["--image", material[rng.choice(["rgb.png", "gray.jpg", "rgba.png", "dot.png",
                                                "not_image.png", "zero.png", "missing",
                                                "a_folder", "good.npy"])],
                "--image-size", rng.choice(["6", "8", "0", "99999", "x"])]
    return ["--input-shape", shape, "--input", material["good.npy"]]  # both


def option_value(rng: random.Random, flag: str, material) -> str:
    good, bad = OPTIONS[flag]
    value = pick(rng, good, bad)
    return material.get(value, value)


def batch_file(rng: random.Random, material) -> str:
    """A small TOML text of [[render]] tables with odd entries now and then."""
    tables = []
    for _ in range(rng.randrange(1, 3)):
        layer, shape = rng.choice(LAYERS[:9])
        entry = {"layer": f'"{layer}"' if rng.random() < 0.85 else rng.choice(
                     ["5", '"Conv2d("', "[1, 2]", '"x"', "true"]),
                 "input_shape": f'"{shape}"' if rng.random() < 0.8 else rng.choice(
                     ["5", "[1, 3, 3]", '[1, "3", 3]', '"0,3,3"', "[[1]]", "1.5", "{a = 1}"]),
                 "output": rng.choice(['"o.gif"', '"o.png"', '"sub/o.webp"', "5", '"o.xyz"',
                                       '"o.gif/"', '""']),
                 "max_frames": rng.choice(["2", "3"])}
        for key, values in (("font", ["5", '"DejaVu Sans"', '"NoSuch"', "true"]),
                            ("scale", ["0.5", '"1"', "-1", "1e9", "nan"]),
                            ("style", ['"dark"', '"x"', "3"]),
                            ("channels", ['"0"', "[0]", "[1.5]", '"0-99999999"']),
                            ("lines", ["true", '"no"', "0"]),
                            ("force", ["false", '"yes"']),
                            ("input", ["5", f'"{material["good.npy"]}"',
                                       f'"{material["timedelta.npy"]}"']),
                            ("bogus", ["1"])):
            if rng.random() < 0.12:
                entry[key] = rng.choice(values)
        tables.append("[[render]]\n" + "".join(f"{k} = {v}\n" for k, v in entry.items()))
    return "".join(tables)


def cli_vector(rng: random.Random, material) -> tuple[list[str], dict[str, str]]:
    """A command line, and the files (name: text) to write in its folder before it runs."""
    names = list(COMMANDS)
    command = rng.choices(names, [COMMANDS[n][3] for n in names])[0]
    options, switches, suffixes, _ = COMMANDS[command]
    argv, files = [command], {}
    if command == "batch":
        if rng.random() < 0.75:
            argv.append("batch.toml")
            files["batch.toml"] = batch_file(rng, material)
        else:
            argv.append(material.get(rng.choice(
                ["deep.toml", "no_render.toml", "empty.toml", "bad.toml", "binary.toml",
                 "missing", "a_folder", "rgb.png"]), rng.choice(["/dev/zero", "/dev/null"])))
        argv += ["--workers", option_value(rng, "--workers", material)]
    elif command == "stack":
        argv += [pick(rng, STACKS, [hostile_layer(rng), "", "Conv2d(1,1,2) Linear(2, 2)"]),
                 "--input-shape", pick(rng, STACK_SHAPES, ["0,5,5", "1,4096,4096", "a", "5,5"])]
    elif command == "features":
        argv += ["--max-side", "16"]
        if rng.random() < 0.5:
            argv += ["--image", material[pick(rng, ["rgb.png", "gray.jpg", "rgba.png"],
                                              ["not_image.png", "missing", "dot.png", "good.npy",
                                               "a_folder"])]]
        if rng.random() < 0.2:
            argv += ["--kernel", "layer", "--layer", rng.choice(
                ["Conv2d(3, 2, 3)", "Conv2d(1, 1, 2)", hostile_layer(rng)])]
    else:
        layer, shape = layer_text(rng)
        if rng.random() < 0.15:  # the layer as flags
            for flag in rng.sample(LAYER_FLAGS, rng.randrange(1, 5)):
                argv += [flag, option_value(rng, flag, material)]
            argv += rng.sample(["--no-bias", "--transposed"], rng.randrange(3))
            shape = "1,3,3"
        else:
            argv += ["--layer", layer]
        argv += input_source(rng, shape, material)
    for flag in rng.sample(options, min(len(options), rng.randrange(4))):
        argv += [flag, option_value(rng, flag, material)]
    for switch in rng.sample(switches, rng.randrange(2)) + (
            ["-h"] if rng.random() < 0.005 else []):
        argv.append(switch)
    if command in ("render", "overlap") and "--max-frames" not in argv:
        argv += ["--max-frames", "3"]
    if command == "sheet" and "--count" not in argv and "--frames" not in argv:
        argv += ["--count", "2"]
    if command == "frames" and "--frames" not in argv:
        argv += ["--frames", "1,-1"]
    if command == "cost" and "--sweep" not in argv:
        argv += ["--sweep", "out_channels=1,2"]
    suffix = rng.choice(suffixes)
    if suffix is not None:
        argv += ["-o", output_path(rng, suffix, material) if rng.random() < 0.2
                 else "out" + suffix]
    if rng.random() < 0.02:  # an unknown or misspelt flag
        argv.append(rng.choice(["--scal", "--bogus", "-x", "--layer", "--input-shape"]))
    return argv, files


def cli_vectors(rng: random.Random, material, count: int) -> list[tuple[list[str], dict]]:
    return [cli_vector(rng, material) for _ in range(count)]


# --------------------------------------------------------------------------- API calls


@dataclass(frozen=True)
class ApiCall:
    what: str
    run: Callable[[Path], object]


def api_calls(rng: random.Random, material, count: int) -> list[ApiCall]:
    from fuzz_api import api_call

    return [api_call(rng, material) for _ in range(count)]
