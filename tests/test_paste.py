"""Real constructor lines, pasted as they are written in well-known model definitions.

Every line below is copied verbatim (multi-line calls included) from
torchvision's ``models/alexnet.py``, ``resnet.py``, ``vgg.py``, ``mobilenetv2.py``,
PyTorch's DCGAN tutorial (``beginner_source/dcgan_faces_tutorial.py``) and the Keras
applications (``keras/src/applications/vgg16.py``, ``resnet.py``, ``densenet.py``,
``xception.py``, ``mobilenet_v2.py``, ``mobilenet_v3.py``, ``inception_v3.py``). Each is
parsed by convgif (nothing evaluated) and also evaluated here, with torch and Keras
imported, to build the framework's own layer; with the same weights both give the same
output, exactly, on an integer input.

Lines that name values (``nn.Conv2d(nc, ndf, 4, 2, 1, bias=False)``) are refused, naming
the argument; with the model's values written in (as ``print(model)`` shows them) they
parse too.
"""

from __future__ import annotations

import ast
import re
import types

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import convgif
from convgif import ConvGifError
from convgif.api.kinds import parse_layer
from convgif.layers.keywords import TABLE

keras = pytest.importorskip("keras")


# --------------------------------------------------------------------------- the lines

TORCH_LINES = [
    # torchvision/models/alexnet.py
    "nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2)",
    "nn.MaxPool2d(kernel_size=3, stride=2)",
    "nn.Conv2d(64, 192, kernel_size=5, padding=2)",
    "nn.Conv2d(192, 384, kernel_size=3, padding=1)",
    "nn.Conv2d(384, 256, kernel_size=3, padding=1)",
    "nn.Conv2d(256, 256, kernel_size=3, padding=1)",
    pytest.param("nn.AdaptiveAvgPool2d((6, 6))"),
    # torchvision/models/resnet.py
    "nn.MaxPool2d(kernel_size=3, stride=2, padding=1)",
    pytest.param("nn.AdaptiveAvgPool2d((1, 1))"),
    # torchvision/models/vgg.py
    "nn.MaxPool2d(kernel_size=2, stride=2)",
    # the issue's own example: a line with its device
    'nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False, device="cuda")',
]

KERAS_LINES = [
    # keras/src/applications/vgg16.py: every convolution and pool of VGG16
    'layers.Conv2D(\n        64, (3, 3), activation="relu", padding="same", name="block1_conv1"\n'
    '    )',
    'layers.Conv2D(\n        64, (3, 3), activation="relu", padding="same", name="block1_conv2"\n'
    '    )',
    'layers.Conv2D(\n        128, (3, 3), activation="relu", padding="same", name="block2_conv1"\n'
    '    )',
    'layers.Conv2D(\n        128, (3, 3), activation="relu", padding="same", name="block2_conv2"\n'
    '    )',
    'layers.Conv2D(\n        256, (3, 3), activation="relu", padding="same", name="block3_conv1"\n'
    '    )',
    'layers.Conv2D(\n        256, (3, 3), activation="relu", padding="same", name="block3_conv2"\n'
    '    )',
    'layers.Conv2D(\n        256, (3, 3), activation="relu", padding="same", name="block3_conv3"\n'
    '    )',
    'layers.Conv2D(\n        512, (3, 3), activation="relu", padding="same", name="block4_conv1"\n'
    '    )',
    'layers.Conv2D(\n        512, (3, 3), activation="relu", padding="same", name="block4_conv2"\n'
    '    )',
    'layers.Conv2D(\n        512, (3, 3), activation="relu", padding="same", name="block4_conv3"\n'
    '    )',
    'layers.Conv2D(\n        512, (3, 3), activation="relu", padding="same", name="block5_conv1"\n'
    '    )',
    'layers.Conv2D(\n        512, (3, 3), activation="relu", padding="same", name="block5_conv2"\n'
    '    )',
    'layers.Conv2D(\n        512, (3, 3), activation="relu", padding="same", name="block5_conv3"\n'
    '    )',
    pytest.param('layers.MaxPooling2D((2, 2), strides=(2, 2), name="block1_pool")'),
    pytest.param("layers.GlobalAveragePooling2D()"),
    # keras/src/applications/resnet.py (ResNet50)
    pytest.param('layers.MaxPooling2D(3, strides=2, name="pool1_pool")'),
    pytest.param('layers.GlobalAveragePooling2D(name="avg_pool")'),
    # keras/src/applications/densenet.py
    'layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")',
    pytest.param('layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")'),
    # keras/src/applications/xception.py
    'layers.Conv2D(\n        32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1"\n'
    '    )',
    'layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")',
    'layers.Conv2D(\n        128, (1, 1), strides=(2, 2), padding="same", use_bias=False\n    )',
    'layers.Conv2D(\n        256, (1, 1), strides=(2, 2), padding="same", use_bias=False\n    )',
    'layers.Conv2D(\n        728, (1, 1), strides=(2, 2), padding="same", use_bias=False\n    )',
    'layers.Conv2D(\n        1024, (1, 1), strides=(2, 2), padding="same", use_bias=False\n    )',
    pytest.param('layers.SeparableConv2D(\n        128, (3, 3), padding="same", use_bias=False, '
                 'name="block2_sepconv1"\n    )'),
    pytest.param('layers.MaxPooling2D(\n        (3, 3), strides=(2, 2), padding="same", '
                 'name="block2_pool"\n    )'),
    # keras/src/applications/mobilenet_v3.py
    'layers.Conv2D(\n        16,\n        kernel_size=3,\n        strides=(2, 2),\n'
    '        padding="same",\n        use_bias=False,\n        name="conv",\n    )',
    # keras/src/applications/inception_v3.py
    pytest.param('layers.AveragePooling2D(\n        (3, 3), strides=(1, 1), padding="same"\n'
                 '    )'),
]

# Lines that name values, with the values their model gives them (and the argument the
# first name stands for): convgif refuses them as written and reads them filled in.
DCGAN = {"nz": 100, "ngf": 64, "ndf": 64, "nc": 3}  # the tutorial's settings
NAMED_LINES = [
    # beginner_source/dcgan_faces_tutorial.py: the generator ...
    ("nn.ConvTranspose2d( nz, ngf * 8, 4, 1, 0, bias=False)", DCGAN, "in_channels"),
    ("nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False)", DCGAN, "in_channels"),
    ("nn.ConvTranspose2d( ngf * 4, ngf * 2, 4, 2, 1, bias=False)", DCGAN, "in_channels"),
    ("nn.ConvTranspose2d( ngf * 2, ngf, 4, 2, 1, bias=False)", DCGAN, "in_channels"),
    ("nn.ConvTranspose2d( ngf, nc, 4, 2, 1, bias=False)", DCGAN, "in_channels"),
    # ... and the discriminator
    ("nn.Conv2d(nc, ndf, 4, 2, 1, bias=False)", DCGAN, "in_channels"),
    ("nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False)", DCGAN, "in_channels"),
    ("nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False)", DCGAN, "in_channels"),
    ("nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False)", DCGAN, "in_channels"),
    ("nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False)", DCGAN, "in_channels"),
    # torchvision/models/resnet.py (ResNet-18's first block: 64 planes, stride 1)
    ("nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3,\n"
     "                               bias=False)", {"self": types.SimpleNamespace(inplanes=64)},
     "out_channels"),
    ("nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride,\n"
     "                     padding=dilation, groups=groups, bias=False, dilation=dilation)",
     {"in_planes": 64, "out_planes": 64, "stride": 1, "groups": 1, "dilation": 1}, "in_channels"),
    ("nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)",
     {"in_planes": 64, "out_planes": 128, "stride": 2}, "in_channels"),
    # torchvision/models/vgg.py (make_layers, the first convolution)
    ("nn.Conv2d(in_channels, v, kernel_size=3, padding=1)", {"in_channels": 3, "v": 64},
     "in_channels"),
    # torchvision/models/mobilenetv2.py (the first block's projection)
    ("nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False)", {"hidden_dim": 32, "oup": 16},
     "in_channels"),
    # keras/src/applications/resnet.py (ResNet50's stem: use_bias changes the arithmetic)
    ('layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")',
     {"use_bias": True}, "use_bias"),
    # keras/src/applications/mobilenet_v2.py (the project step of a block)
    ('layers.Conv2D(\n        pointwise_filters,\n        kernel_size=1,\n        padding="same",\n'
     '        use_bias=False,\n        activation=None,\n        name=f"{prefix}project",\n    )',
     {"pointwise_filters": 16, "prefix": "expanded_conv_"}, "filters"),
]


# --------------------------------------------------------------------------- the oracle

def framework_layer(line: str, values: dict | None = None):
    """The line evaluated as its framework reads it (on the CPU)."""
    namespace = {
        "torch": torch, "nn": torch.nn, "keras": keras, "layers": keras.layers,
        "tf": types.SimpleNamespace(keras=keras), "initializers": keras.initializers,
        "device": "cpu", "name": "conv2_block1",  # the block name DenseNet's f-strings read
        **(values or {}),
    }
    return eval(line.replace('"cuda"', '"cpu"'), namespace)  # noqa: S307 - the test's oracle


def filled_in(line: str, values: dict) -> str:
    """The line with the model's values written in, as ``print(model)`` would show them."""
    tree = ast.parse(line.strip(), mode="eval")
    namespace = {**values, "self": values.get("self")}

    class Fill(ast.NodeTransformer):
        def visit_Call(self, node):
            if node is tree.body:
                node.args = [self._value(a) for a in node.args]
                for keyword in node.keywords:
                    if keyword.arg not in ("name", "activation"):
                        keyword.value = self._value(keyword.value)
            return node

        def _value(self, node):
            try:
                ast.literal_eval(node)
                return node
            except ValueError:
                expr = ast.Expression(node)
                return ast.Constant(eval(compile(expr, "<line>", "eval"), namespace))  # noqa: S307

    return ast.unparse(Fill().visit(tree))


def integer_input(layer, shape) -> np.ndarray:
    rng = np.random.default_rng(len(shape) + sum(shape))
    return rng.integers(-3, 4, shape).astype(np.float64)


def _keras_kernel(layer) -> list:
    """convgif's parameters as Keras' ``set_weights`` takes them."""
    if hasattr(layer, "get_weights"):  # Keras' own layout, where the kind keeps it
        return [np.asarray(w) for w in layer.get_weights()]
    w = np.asarray(layer.weight)
    kernel = np.transpose(w, (*range(2, w.ndim), 1, 0))  # (out, in, k...) -> (k..., in, out)
    return [kernel] + ([np.asarray(layer.bias)] if layer.bias is not None else [])


def channels_to_check(layer, macs: int):
    """Every output channel, or the first, a middle and the last of a wide layer (each
    checked over every output cell) to keep the simulation small."""
    out = layer.spec.out_channels
    if out is None or macs <= 2_000_000:
        return None
    return sorted({0, out // 2, out - 1})


def compare_torch(line: str, values: dict | None = None, text: str | None = None):
    layer = parse_layer(text or line)
    module = framework_layer(line, values).double()
    spec = layer.spec
    side = max(8, 2 * max(getattr(spec, "kernel_size", None) or (1,)) + 1)
    channels = spec.in_channels or 3
    x = integer_input(layer, (1, channels, side, side))
    if spec.transposed:
        x = x[:, :, :3, :3]
    if spec.weight_shape is not None:
        assert tuple(module.weight.shape) == tuple(layer.weight.shape)
        assert sum(p.numel() for p in module.parameters()) == layer.param_count
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(layer.weight))
            if module.bias is not None:
                module.bias.copy_(torch.from_numpy(layer.bias))
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    assert layer.output_shape(x.shape) == expected.shape
    picked = channels_to_check(layer, layer.mac_count(x.shape))
    got = layer.trace(x, out_channels=picked).output
    if picked is not None:
        got, expected = got[:, picked], expected[:, picked]
    np.testing.assert_array_equal(got, expected)
    return layer, module


def compare_keras(line: str, values: dict | None = None, text: str | None = None):
    layer = parse_layer(text or line)
    module = framework_layer(line, values)
    side = max(8, 2 * max(getattr(layer.spec, "kernel_size", None) or (1,)) + 1)
    x = integer_input(layer, (1, side, side, 3))
    module.build(x.shape)
    layer = layer.built_for(x.shape) if hasattr(layer, "built_for") else layer
    if module.weights:
        assert sum(int(np.prod(w.shape)) for w in module.weights) == layer.param_count
        module.set_weights(_keras_kernel(layer))
    if hasattr(module, "activation"):  # drawn before its activation, as convgif computes it
        module.activation = keras.activations.linear
    expected = keras.ops.convert_to_numpy(module(x.astype("float32"))).astype(np.float64)
    assert layer.output_shape(x.shape) == expected.shape
    picked = channels_to_check(layer, layer.mac_count(x.shape))
    got = layer.trace(x, out_channels=picked).output
    if picked is not None:
        got, expected = got[..., picked], expected[..., picked]
    if getattr(layer, "spec", None) is not None and layer.spec.op == "avg_pool":
        # Keras averages in float32: the exact average, rounded once to float32
        got = got.astype(np.float32).astype(np.float64)
    np.testing.assert_array_equal(got, expected)
    return layer, module


# --------------------------------------------------------------------------- the tests

def _count_passing() -> int:
    plain = [p for p in TORCH_LINES + KERAS_LINES if isinstance(p, str)]
    return len(plain) + len(NAMED_LINES)


def test_at_least_thirty_real_lines_pass_here():
    assert _count_passing() >= 30


@pytest.mark.parametrize("line", TORCH_LINES)
def test_torch_lines_equal_torch(line):
    layer, module = compare_torch(line)
    # and what print(model) shows for that layer reads back as the same layer
    assert repr(parse_layer(repr(module))) == repr(layer)


@pytest.mark.parametrize("line", KERAS_LINES)
def test_keras_lines_equal_keras(line):
    layer, module = compare_keras(line)
    for keyword in ("name", "activation"):
        if re.search(rf"\b{keyword}=", line):
            assert keyword in layer.not_drawn


@pytest.mark.parametrize("line, values, first", NAMED_LINES)
def test_named_lines_are_refused_then_read_with_their_values(line, values, first):
    with pytest.raises(ConvGifError) as info:
        parse_layer(line)
    message = str(info.value)
    assert info.value.param == "layer" and "\n" not in message
    assert "every argument must be a literal" in message
    assert re.search(rf": {first}=[^=]+ changes the arithmetic", message), message
    text = filled_in(line, values)
    compare = compare_keras if "layers." in line else compare_torch
    layer, _ = compare(line, values, text)
    if "name=" in line:  # an f-string name is read as text, never evaluated
        assert layer.not_drawn["name"] == re.search(r"name=(f?'[^']*')", text)[1]


def test_the_issue_lines():
    layer = parse_layer('nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False, '
                        'device="cuda")')
    assert dict(layer.not_drawn) == {"device": "'cuda'"}
    layer = parse_layer('layers.Conv2D(32, 3, activation="relu", name="conv1")')
    assert dict(layer.not_drawn) == {"activation": "'relu'", "name": "'conv1'"}


@pytest.mark.parametrize("text, plain, not_drawn", [
    ("nn.Conv2d(3, 6, 3, device=device)", "Conv2d(3, 6, 3)", {"device": "device"}),
    ("torch.nn.Conv2d(3, 6, 3, dtype=torch.float32, device=torch.device('cuda:0'))",
     "Conv2d(3, 6, 3)", {"device": "torch.device('cuda:0')", "dtype": "torch.float32"}),
    ("tf.keras.layers.Conv2D(8, 3, activation=tf.nn.relu)", "Conv2D(8, 3)",
     {"activation": "tf.nn.relu"}),
    ("keras.layers.Conv2D(8, 3, kernel_initializer=initializers.HeNormal(), "
     "kernel_regularizer=keras.regularizers.l2(1e-4), trainable=False)", "Conv2D(8, 3)",
     {"kernel_initializer": "initializers.HeNormal()",
      "kernel_regularizer": "keras.regularizers.l2(1e-4)", "trainable": "False"}),
    ("layers.Conv2DTranspose(4, 3, strides=2, name='up', bias_constraint=constraints.NonNeg())",
     "Conv2DTranspose(4, 3, strides=2)",
     {"name": "'up'", "bias_constraint": "constraints.NonNeg()"}),
    ('layers.Conv2D(8, 3, name="conv_pad_%d" % block_id)', "Conv2D(8, 3)",
     {"name": '"conv_pad_%d" % block_id'}),
])
def test_names_are_read_as_text_and_never_evaluated(text, plain, not_drawn):
    layer = parse_layer(text)
    assert dict(layer.not_drawn) == not_drawn
    assert repr(layer) == repr(parse_layer(plain)) and layer.spec == parse_layer(plain).spec


@pytest.mark.parametrize("text, keyword", [
    ("nn.Conv2d(3, 6, 3, stride=s)", "stride"),
    ("nn.Conv2d(3, 6, 3, padding=torch.nn.pad)", "padding"),
    ("layers.Conv2D(8, 3, use_bias=USE_BIAS)", "use_bias"),
    ("layers.Conv2D(8, 3, padding=pad())", "padding"),
    ("layers.Conv2D(8, 3, data_format=backend.image_data_format())", "data_format"),
])
def test_names_that_change_the_arithmetic_are_refused(text, keyword):
    with pytest.raises(ConvGifError) as info:
        parse_layer(text)
    assert info.value.param == "layer"
    assert f"{keyword}=" in str(info.value) and "changes the arithmetic" in str(info.value)


@pytest.mark.parametrize("text, hint", [
    ("Conv2d(3, 6, 3, strid=2)", "did you mean stride=?"),
    ("nn.Conv2d(3, 6, 3, devise='cuda')", "did you mean device=?"),
    ("layers.Conv2D(8, 3, kernel_initialiser='he_normal')", "did you mean kernel_initializer=?"),
    ("layers.Conv2D(8, 3, activaton='relu')", "did you mean activation=?"),
    ("Conv2d(3, 6, 3, strides=2)", "did you mean stride=?"),
    ("Conv2D(8, 3, stride=2)", "did you mean strides=?"),
])
def test_misspelt_keywords_name_the_closest(text, hint):
    with pytest.raises(ConvGifError) as info:
        parse_layer(text)
    assert info.value.param == "layer" and str(info.value).endswith(hint)


def test_misspelt_keyword_from_python_names_the_keyword():
    with pytest.raises(ConvGifError) as info:
        convgif.Conv2d(3, 6, 3, strid=2)
    assert info.value.param == "strid"
    assert str(info.value) == ("strid=2: Conv2d() got an unexpected keyword argument 'strid'; "
                               "did you mean stride=?")


@pytest.mark.parametrize("text, why", [
    ("foo.Conv2d(3, 6, 3)", "write Conv2d alone or with the prefix nn. or torch.nn."),
    ("torch.Conv2d(3, 6, 3)", "with the prefix nn. or torch.nn."),
    ("nn.Conv2D(8, 3)", "with the prefix layers. or keras.layers. or tf.keras.layers."),
    ("layers.Conv2d(3, 6, 3)", "with the prefix nn. or torch.nn."),
    ("tf.layers.Conv2D(8, 3)", "with the prefix layers."),
])
def test_only_the_frameworks_prefixes(text, why):
    with pytest.raises(ConvGifError) as info:
        parse_layer(text)
    assert info.value.param == "layer" and why in str(info.value)


def test_keywords_of_another_kind_are_refused_as_the_framework_does():
    # torch's pools take no device (they have no weight); Keras' take a name
    with pytest.raises(ConvGifError, match="MaxPool2d.. got an unexpected keyword argument "
                       "'device'"):
        parse_layer("nn.MaxPool2d(2, device='cuda')")
    with pytest.raises(TypeError):
        torch.nn.MaxPool2d(2, device="cpu")
    with pytest.raises(ConvGifError, match="unexpected keyword argument 'name'"):
        parse_layer("nn.Conv2d(3, 6, 3, name='c1')")  # a Keras keyword on a torch kind


def test_python_constructors_take_the_same_keywords():
    layer = convgif.Conv2d(3, 6, 3, device="cuda", dtype=torch.float16)
    assert dict(layer.not_drawn) == {"device": "'cuda'", "dtype": "torch.float16"}
    layer = convgif.keras.Conv2D(8, 3, name="c1", activation="relu")
    assert dict(layer.not_drawn) == {"activation": "'relu'", "name": "'c1'"}
    transposed = convgif.keras.Conv2DTranspose(8, 3, 2, "same", None, None, 1, "relu")
    assert dict(transposed.not_drawn) == {"activation": "'relu'"}  # Keras' position too
    assert convgif.Conv2d(3, 6, 3).not_drawn == {}


# --------------------------------------------------------------------------- property

NOT_DRAWN_VALUES = st.sampled_from(["'cuda'", "device", "torch.float32", "'relu'", "tf.nn.relu",
                                    "initializers.HeNormal()", "None", "False",
                                    "regularizers.l2(0.01)", "f'{name}_conv'"])


@st.composite
def pasted(draw):
    keras_kind = draw(st.booleans())
    kind = draw(st.sampled_from(["Conv2D", "Conv2DTranspose"] if keras_kind
                                else ["Conv2d", "ConvTranspose2d", "Conv1d"]))
    prefix = draw(st.sampled_from(["", "layers.", "keras.layers.", "tf.keras.layers."]
                                  if keras_kind else ["", "nn.", "torch.nn."]))
    args = ([str(draw(st.integers(1, 4))), str(draw(st.integers(1, 3)))] if keras_kind
            else [str(draw(st.integers(1, 3))) for _ in range(3)])
    arith = {}
    if draw(st.booleans()):
        arith["strides" if keras_kind else "stride"] = str(draw(st.integers(1, 2)))
    if draw(st.booleans()):
        arith["use_bias" if keras_kind else "bias"] = "False"
    words = [w for e in TABLE["keras" if keras_kind else "torch"] for w in e.keywords]
    words = [w for w in words if not re.match("depthwise|pointwise", w)]
    extra = draw(st.dictionaries(st.sampled_from(words), NOT_DRAWN_VALUES, max_size=4))
    body = ", ".join(args + [f"{k}={v}" for k, v in {**arith, **extra}.items()])
    plain = ", ".join(args + [f"{k}={v}" for k, v in arith.items()])
    return f"{prefix}{kind}({body})", f"{kind}({plain})", extra


@settings(max_examples=60, deadline=None)
@given(pasted())
def test_not_drawn_keywords_change_nothing_but_the_report(case):
    text, plain, extra = case
    layer, bare = parse_layer(text), parse_layer(plain)
    assert dict(layer.not_drawn) == extra
    assert repr(layer) == repr(bare) and layer.spec == bare.spec
    np.testing.assert_array_equal(layer.weight, bare.weight)
    spatial = (6,) if layer.spec.ndim == 1 else (5, 5)
    shape = (*spatial, 4) if layer.spec.keras else (layer.spec.in_channels, *spatial)
    x = integer_input(layer, shape)
    np.testing.assert_array_equal(layer.trace(x).output, bare.trace(x).output)


# --------------------------------------------------------------------------- info and the CLI

def test_info_lists_what_is_not_drawn(capsys, tmp_path, monkeypatch):
    from convgif.cli.main import main

    monkeypatch.chdir(tmp_path)
    line = ('layers.Conv2D(\n        64, (3, 3), activation="relu", padding="same", '
            'name="block1_conv1"\n    )')
    assert main(["info", "--layer", line, "--input-shape", "8,8,3"]) == 0
    out = capsys.readouterr().out
    assert "  not drawn (accepted; convgif computes the layer without them):" in out
    assert re.search(r"\n    activation='relu' +applied after the convolution: the output "
                     r"shown is before it\n", out)
    assert re.search(r"\n    name='block1_conv1' +the layer's name", out)
    assert main(["info", "--layer", "nn.Conv2d(3, 8, 3, device=device, dtype=torch.float16)",
                 "--input-shape", "3,8,8", "--json"]) == 0
    info = __import__("json").loads(capsys.readouterr().out)
    assert [(e["keyword"], e["value"]) for e in info["not_drawn"]] == [
        ("device", "device"), ("dtype", "torch.float16")]
    assert main(["info", "--layer", "Conv2d(3, 8, 3)", "--input-shape", "3,8,8"]) == 0
    assert "not drawn" not in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["info", "render"])
def test_cli_refuses_a_misspelt_keyword_in_one_line(capsys, tmp_path, monkeypatch, command):
    from convgif.cli.main import main

    monkeypatch.chdir(tmp_path)
    args = [command, "--layer", "nn.Conv2d(3, 6, 3, strid=2)", "--input-shape", "3,7,7"]
    assert main(args + (["-o", "x.gif"] if command == "render" else [])) == 2
    err = capsys.readouterr().err
    assert err == ("convgif: error: --layer='nn.Conv2d(3, 6, 3, strid=2)': Conv2d() got an "
                   "unexpected keyword argument 'strid'; did you mean stride=?\n")
    assert list(tmp_path.iterdir()) == []
