"""The Python API behind the CLI: frame folders, contact sheets, trace exports, batches,
and the PyTorch / Keras lines of ``convgif info``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import convgif
from convgif import batch
from convgif.api import export
from convgif.api.kinds import parse_layer
from convgif.frames.sampling import even_frames, select_frames
from convgif.layers.frameworks import equivalents

SHAPE = (3, 7, 7)


@pytest.fixture(scope="module")
def layer():
    return convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)


@pytest.fixture(scope="module")
def rgb_frames(layer):
    return list(layer.frames(input_shape=SHAPE))


def png_rgb(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def test_select_frames():
    assert select_frames(20) == list(range(20))
    assert select_frames(20, every=5) == [0, 5, 10, 15, 19]
    assert select_frames(20, every=4) == [0, 4, 8, 12, 16, 19]
    assert select_frames(20, frames=[3, -1, 0]) == [3, 19, 0]
    with pytest.raises(convgif.ConvGifError, match="frame 20 does not exist"):
        select_frames(20, frames=[20])
    with pytest.raises(convgif.ConvGifError, match="not both"):
        select_frames(20, frames=[1], every=2)
    assert even_frames(20, 8) == [0, 3, 5, 8, 11, 14, 16, 19]
    assert even_frames(3, 8) == [0, 1, 2]
    assert export.parse_frame_list("1, 5,-1") == [1, 5, -1]


def test_frames_folder_holds_the_animation_frames(tmp_path, layer, rgb_frames):
    # frame numbers from 1, as the counter writes them
    result = export.write_frames(tmp_path / "f", layer, input_shape=SHAPE, frames=[1, 8, -1])
    assert result.frames == [1, 8, 20] and result.total == 20
    assert [p.name for p in result.paths] == ["frame_0001.png", "frame_0002.png",
                                              "frame_0003.png"]
    for path, number in zip(result.paths, result.frames):
        np.testing.assert_array_equal(png_rgb(path), rgb_frames[number - 1])
    tex = (tmp_path / "f" / "frames.tex").read_text()
    assert tex == result.tex
    assert tex.rstrip().endswith("{0001}{0003}")
    assert "animation frames 1, 8, 20" in tex


@pytest.mark.parametrize("fmt, error", [("png", RuntimeError), ("png", KeyboardInterrupt),
                                        ("svg", RuntimeError)])
def test_a_failed_frames_write_leaves_the_folder_as_it_was(tmp_path, layer, fmt, error):
    """All or nothing: frames and frames.tex of a run that fails keep the old ones,
    a good run replaces them (stale numbered frames of a longer run removed)."""
    if fmt == "svg":
        pytest.importorskip("matplotlib")
    folder = tmp_path / "f"
    export.write_frames(folder, layer, input_shape=SHAPE, fmt=fmt, every=4)  # 6 frames
    (folder / "notes.txt").write_text("mine")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert len(before) == 6 + 2

    def fail_after_two(items, total):
        for i, item in enumerate(items):
            if i == 2:
                raise error("stop")
            yield item

    other = convgif.Conv2d(3, 1, 3)
    with pytest.raises(error):
        export.write_frames(folder, other, input_shape=SHAPE, fmt=fmt, every=2,
                            progress=fail_after_two)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before

    result = export.write_frames(folder, other, input_shape=SHAPE, fmt=fmt, every=10)
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([p.name for p in result.paths] + ["frames.tex", "notes.txt"])
    assert (folder / "frames.tex").read_text() == result.tex


def test_frames_folder_refuses_a_folder_in_the_way_and_drops_other_formats(tmp_path, layer):
    folder = tmp_path / "f"
    export.write_frames(folder, layer, input_shape=SHAPE, frames=[1, 2])
    (folder / "frame_0009.pdf").write_bytes(b"an earlier run, as PDF")
    (folder / "frame_0001.svg").write_bytes(b"and as SVG")
    (folder / "frame_notes.txt").write_text("not a frame")
    export.write_frames(folder, layer, input_shape=SHAPE, frames=[1, 2, 3])
    # LaTeX would pick the PDFs before the PNGs: only this run's frames stay
    assert sorted(p.name for p in folder.iterdir()) == [
        "frame_0001.png", "frame_0002.png", "frame_0003.png", "frame_notes.txt", "frames.tex"]
    (folder / "frame_0001.png").unlink()
    (folder / "frame_0001.png").mkdir()
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(convgif.ConvGifError, match=r"frame_0001.png': it is a folder"):
        export.write_frames(folder, layer, input_shape=SHAPE, frames=[3, 4])
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing moved in


def test_frames_fps_and_step(tmp_path, layer):
    result = export.write_frames(tmp_path / "f", layer, input_shape=SHAPE, step="mac",
                                 every=100, fps=12)
    assert "]{12}{" in result.tex
    assert result.total == 2 + 486


def test_contact_sheet_tiles_are_the_frames(tmp_path, layer, rgb_frames):
    sheet = export.contact_sheet(tmp_path / "s.png", layer, input_shape=SHAPE,
                                 frames=[3, 10], columns=1)
    image = png_rgb(tmp_path / "s.png")
    assert image.shape[1::-1] == sheet.size
    th, tw = rgb_frames[0].shape[:2]
    found = []
    # each tile sits somewhere in its own row: find it by its first pixel row
    for number in sheet.frames:
        tile = rgb_frames[number - 1]  # numbered from 1, as the counter writes them
        hits = [
            (y, x)
            for y in range(image.shape[0] - th + 1)
            for x in range(0, 40)
            if np.array_equal(image[y, x : x + tw], tile[0])
            and np.array_equal(image[y : y + th, x : x + tw], tile)
        ]
        found.append(hits)
    assert all(len(h) == 1 for h in found), found
    assert found[0][0][0] < found[1][0][0]  # in the order chosen, one per row


def test_contact_sheet_default_and_deterministic(tmp_path, layer):
    a = export.contact_sheet(tmp_path / "a.png", layer, input_shape=SHAPE)
    export.contact_sheet(tmp_path / "b.png", layer, input_shape=SHAPE)
    assert a.frames == [i + 1 for i in even_frames(20, 8)]
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_trace_csv_round_trips_exactly(tmp_path):
    layer = convgif.Conv2d(2, 2, 2, padding=1)
    x = np.random.default_rng(1).normal(size=(2, 4, 4))  # values csv must keep to the bit
    out = export.export_trace(tmp_path / "t.csv", layer, x=x, chunk=7)
    trace = layer.trace(x)
    data = np.genfromtxt(tmp_path / "t.csv", delimiter=",", names=True)
    assert out.records == trace.num_macs == len(data)
    macs = trace.macs()
    for name in trace.fields:
        np.testing.assert_array_equal(data[name], macs[name])


def test_trace_jsonl_and_npz_agree(tmp_path):
    layer = convgif.MaxPool2d(2, padding=1)
    x = np.arange(2 * 5 * 5).reshape(2, 5, 5) % 4
    export.export_trace(tmp_path / "t.jsonl", layer, x=x, chunk=5)
    export.export_trace(tmp_path / "t.npz", layer, x=x, chunk=5)
    records = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    with np.load(tmp_path / "t.npz") as z:
        assert "weight" not in z.files  # pooling has none
        for name in layer.trace(x).fields:
            assert [r[name] for r in records] == z[name].tolist()
        np.testing.assert_array_equal(z["output"], layer.trace(x).output)


def test_npz_is_deterministic_and_atomic(tmp_path, layer):
    export.export_trace(tmp_path / "a.npz", layer, input_shape=SHAPE)
    export.export_trace(tmp_path / "b.npz", layer, input_shape=SHAPE)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz", "b.npz"]  # no leftovers


def test_scatter_records_rebuild_the_output(tmp_path):
    layer = convgif.ConvTranspose2d(2, 1, 3, stride=2, padding=1, output_padding=1)
    x = layer.example_input((2, 3, 3))
    export.export_trace(tmp_path / "s.npz", layer, x=x, view="scatter", chunk=10)
    with np.load(tmp_path / "s.npz") as z:
        out = np.zeros(z["output"].shape[1:])
        inside = z["inside"]
        np.add.at(out, (z["oy"][inside], z["ox"][inside]), z["product"][inside])
        np.testing.assert_array_equal(out + z["bias"][0], z["output"][0])
    with pytest.raises(convgif.ConvGifError, match="transposed"):
        export.export_trace(tmp_path / "t.csv", convgif.Conv2d(1, 1, 3), input_shape=(1, 5, 5),
                            view="scatter")


def test_load_input(tmp_path):
    from convgif.io.inputs import load_input

    np.save(tmp_path / "x.npy", np.ones((1, 3, 3), dtype=np.int16))
    assert load_input(tmp_path / "x.npy").dtype == np.int16
    np.save(tmp_path / "b.npy", np.ones(3, dtype=bool))
    with pytest.raises(convgif.ConvGifError, match="^input=.*must hold numbers") as info:
        load_input(tmp_path / "b.npy")
    assert info.value.named("--input").startswith(f"--input={str(tmp_path / 'b.npy')!r}")
    np.save(tmp_path / "big.npy", np.ones((1, 4, 4)))
    with pytest.raises(convgif.ConvGifError, match=r"has 16 values \(limit 15\)"):
        load_input(tmp_path / "big.npy", max_values=15)


def test_run_batch_in_parallel(tmp_path):
    entries = [
        {"layer": "Conv2d(1, 1, 3)", "input_shape": [1, 4, 4], "output": str(tmp_path / "a.gif")},
        {"layer": "Conv2d(1, 1, 3)", "input_shape": "1,2,2", "output": str(tmp_path / "b.gif")},
        {"layer": "Conv1d(1, 1, 3)", "input_shape": "1,5", "output": str(tmp_path / "c.webp"),
         "seed": 3},
        {"input_shape": "3,7,7"},
    ]
    results = batch.run_batch(entries, workers=2)
    assert [r.index for r in results] == [1, 2, 3, 4]
    assert results[0].ok and results[0].frames == 6
    assert not results[1].ok and "too small" in results[1].error
    assert results[2].ok and (tmp_path / "c.webp").stat().st_size == results[2].bytes
    assert "output must be given" in results[3].error
    assert "render #2" in results[1].describe()


# --------------------------------------------------------------------------- frameworks


@pytest.mark.parametrize(
    "torch_layer, shape",
    [
        ("Conv2d(3, 2, 3, padding=1)", (3, 6, 6)),
        ("Conv2d(3, 4, 3, padding=0, groups=1, bias=False)", (3, 6, 6)),
        ("Conv2d(2, 2, (3, 5), padding='same', dilation=2)", (2, 9, 9)),
        ("Conv1d(1, 2, 3, stride=2)", (1, 9)),
        ("ConvTranspose2d(2, 3, 3, stride=2)", (2, 3, 3)),
    ],
)
def test_single_line_keras_equivalents_compute_the_same(torch_layer, shape):
    """Where the Keras line is one layer, convgif's own Keras layer gives torch's output."""
    layer = parse_layer(torch_layer)
    code = equivalents(layer, shape)["keras"]
    assert code and code.startswith("keras.layers.") and "Sequential" not in code
    keras_layer = parse_layer(code)
    x = layer.example_input(shape)
    if layer.weight is not None:
        keras_layer = keras_layer.built_for(shape)
        keras_layer.weight = layer.weight
        if layer.bias is not None:
            keras_layer.bias = layer.bias
    np.testing.assert_array_equal(keras_layer.trace(x).output, layer.trace(x).output)


@pytest.mark.parametrize(
    "torch_layer, shape, keras",
    [
        # no convgif twin to run these through: check the line itself
        ("ConvTranspose1d(1, 1, 2, stride=3)", (1, 4),
         "keras.layers.Conv1DTranspose(filters=1, kernel_size=2, strides=3, padding='valid', "
         "output_padding=0, data_format='channels_first')"),
        ("MaxPool2d(2)", (2, 6, 6),
         "keras.layers.MaxPooling2D(pool_size=2, strides=2, padding='valid', "
         "data_format='channels_first')"),
        # TensorFlow's 'same' pads (1, 1) here and skips padded cells, as torch's -inf does
        ("MaxPool2d(3, 2, padding=1)", (1, 7, 7),
         "keras.layers.MaxPooling2D(pool_size=3, strides=2, padding='same', "
         "data_format='channels_first')"),
        ("AvgPool2d(2, 2)", (1, 6, 6),
         "keras.layers.AveragePooling2D(pool_size=2, strides=2, padding='valid', "
         "data_format='channels_first')"),
    ],
)
def test_keras_lines_without_a_convgif_twin(torch_layer, shape, keras):
    assert equivalents(parse_layer(torch_layer), shape)["keras"] == keras


@pytest.mark.parametrize(
    "keras_layer, shape",
    [
        ("Conv2D(4, 3, padding='same')", (6, 6, 2)),
        ("Conv2D(4, (3, 2), strides=2, padding='valid', use_bias=False)", (7, 7, 1)),
        ("Conv2DTranspose(2, 3, strides=2, padding='valid', output_padding=1)", (3, 3, 1)),
    ],
)
def test_single_line_pytorch_equivalents_compute_the_same(keras_layer, shape):
    layer = parse_layer(keras_layer).built_for(shape)
    code = equivalents(layer, shape)["pytorch"]
    assert code.startswith("torch.nn.") and "Sequential" not in code
    torch_layer = parse_layer(code)
    torch_layer.weight = layer.weight
    if layer.bias is not None:
        torch_layer.bias = layer.bias
    x = layer.example_input(shape)
    np.testing.assert_array_equal(
        torch_layer.trace(np.moveaxis(x, -1, 0)).output, np.moveaxis(layer.trace(x).output, -1, 0)
    )


@pytest.mark.parametrize(
    "torch_layer, shape, reason",
    [
        ("Conv2d(1, 1, 3, padding=1, padding_mode='circular')", (1, 5, 5), "zeros only"),
        ("Conv2d(1, 1, 3, stride=2, dilation=2)", (1, 9, 9), "stride above 1 together"),
        ("MaxPool2d(2, dilation=2)", (1, 6, 6), "no dilation"),
        ("AvgPool2d(2, divisor_override=3)", (1, 6, 6), "divisor_override"),
        ("ConvTranspose2d(2, 2, 3, groups=2)", (2, 3, 3), "no groups"),
    ],
)
def test_no_keras_equivalent_says_why(torch_layer, shape, reason):
    eq = equivalents(parse_layer(torch_layer), shape)
    assert eq["keras"] is None and reason in eq["keras_note"]
    assert eq["pytorch"] == "torch.nn." + repr(parse_layer(torch_layer))


def test_padding_layers_where_needed():
    eq = equivalents(parse_layer("Conv2D(16, 5, strides=2, padding='same')"), (28, 28, 1))
    assert eq["pytorch"] == (
        "torch.nn.Sequential(torch.nn.ZeroPad2d((1, 2, 1, 2)), "
        "torch.nn.Conv2d(1, 16, kernel_size=5, stride=2))"
    )
    eq = equivalents(parse_layer("Conv2d(1, 1, 3, stride=2, padding=(1, 2))"), (1, 7, 7))
    assert eq["keras"].startswith("keras.Sequential([keras.layers.ZeroPadding2D(((1, 1), (2, 2))")
