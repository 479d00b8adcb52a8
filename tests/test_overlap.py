"""The overlap view: counts equal the trace's MACs per cell, and the pictures show them.

Transposed layers: the count of an output cell is the number of scatter-view
MACs that land on it (kernel taps × input channels of its group); taps that
padding crops are not counted; output_padding cells count 0. Other layers:
the count of an input cell is the number of gather MACs that read it in place.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from PIL import Image

import convgif
from convgif.api.overlap import overlap_counts
from convgif.frames.scatter import ScatterStoryboard
from convgif.frames.storyboard import FrameState
from convgif.simulate.coverage import geometry, rule
from convgif.views.overlap import OverlapPicture


def scatter_counts(trace) -> np.ndarray:
    """Oracle: scatter MACs of sample 0 landing on each output cell."""
    macs = trace.scatter_macs()
    macs = macs[macs["inside"] & (macs["n"] == 0)]
    counts = np.zeros(trace.y.shape[1:], dtype=np.int64)
    where = (macs["out_channel"], *(macs[f] for f in trace.output_fields))
    np.add.at(counts, where, 1)
    return counts


def gather_counts(trace) -> np.ndarray:
    """Oracle: gather MACs of sample 0 that read each input cell in place (not padding)."""
    from convgif.simulate.trace import DATA

    macs = np.concatenate(list(trace.iter_macs()))
    macs = macs[macs["n"] == 0]
    pos = tuple(macs[f] for f in trace.input_fields)
    real = trace.grid_kind[pos] == DATA
    src = [np.asarray(a)[p[real]] for a, p in zip(trace.axis_source, pos)]
    counts = np.zeros(trace.x.shape[1:], dtype=np.int64)
    np.add.at(counts, (macs["in_channel"][real], *src), 1)
    return counts


@st.composite
def transposed(draw):
    nd = draw(st.sampled_from([1, 2]))
    k = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    s = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    d = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    p = tuple(draw(st.integers(0, 3)) for _ in range(nd))
    op = tuple(draw(st.integers(0, max(si, di) - 1)) for si, di in zip(s, d))
    g = draw(st.integers(1, 2))
    cls = {1: convgif.ConvTranspose1d, 2: convgif.ConvTranspose2d}[nd]
    layer = cls(
        g * draw(st.integers(1, 2)),
        g * draw(st.integers(1, 2)),
        k,
        s,
        p,
        op,
        g,
        bias=draw(st.booleans()),
        dilation=d,
        seed=draw(st.integers(0, 99)),
    )
    batch = (2,) if draw(st.booleans()) else ()
    shape = (*batch, layer.spec.in_channels, *(draw(st.integers(1, 4)) for _ in range(nd)))
    try:
        layer.output_shape(shape)
    except convgif.ConvGifError:
        assume(False)
    return layer, shape


@settings(max_examples=60)
@given(transposed())
def test_counts_equal_the_scatter_macs_per_output_cell(case):
    layer, shape = case
    trace = layer.trace(layer.example_input(shape))
    counts = overlap_counts(layer, shape)
    assert counts.shape == trace.y.shape[1:]
    assert np.array_equal(counts, scatter_counts(trace))
    # every output channel gets the same counts, a multiple of in_channels / groups
    assert (counts == counts[0]).all() and (counts % trace.in_per_group == 0).all()
    assert counts.sum() * trace.batch == layer.mac_count(shape)


@settings(max_examples=25)
@given(transposed())
def test_the_animation_stamps_what_the_scatter_storyboard_stamps(case):
    layer, shape = case
    pic = OverlapPicture(layer, shape)
    trace = layer.trace(layer.example_input(shape))
    board = ScatterStoryboard(trace)
    offset = pic.offset if len(pic.offset) == 2 else (0, *pic.offset)
    spatial = int(np.prod(trace.in_spatial))
    for j in sorted({0, pic.stamps // 2, pic.stamps - 1}):
        channel, position, cells = pic.stamp(j)
        # The same stamp in the scatter view: sample 0, this input channel, output channel 0.
        slot = channel * spatial + int(np.ravel_multi_index(position, trace.in_spatial))
        stamp = board.stamp(FrameState(j + 1, len(board), "step", slot=slot * trace.out_per_group))
        assert stamp.in_channel == channel and stamp.position == position and stamp.out_channel == 0
        macs = trace.scatter_macs(stamp.start, stamp.stop)
        landed = sorted(
            tuple(int(m[f]) + o for f, o in zip(("oy", "ox")[-trace.ndim :], offset[-trace.ndim :]))
            for m in macs
            if m["inside"]
        )
        real = sorted(
            tuple(c[-trace.ndim :]) if trace.ndim == 2 else (c[1],) for c in cells if pic.real[c]
        )
        assert real == landed
    # counts build up to the final counts, never past them
    real = pic.real
    final = overlap_counts(layer, shape)[0].reshape(pic.final[real].shape)
    assert np.array_equal(pic.final[real], final)
    steps = [pic.counts_after(i)[real] for i in range(0, pic.stamps + 1, max(1, pic.stamps // 5))]
    assert all((a <= b).all() for a, b in zip(steps, steps[1:]))


@settings(max_examples=30)
@given(st.data())
def test_prefix_counts_equal_stamps_added_one_by_one(data):
    layer, shape = data.draw(transposed())
    pic = OverlapPicture(layer, shape)
    canvas = np.zeros_like(pic.final)
    for j in range(min(pic.stamps, 40)):
        for cell in pic.stamp(j).cells:
            canvas[cell] += 1
        assert np.array_equal(canvas, pic.counts_after(j + 1))


@st.composite
def forward(draw):
    kind = draw(st.sampled_from(["conv", "conv", "max", "avg"]))
    k = tuple(draw(st.integers(1, 3)) for _ in range(2))
    s = tuple(draw(st.integers(1, 3)) for _ in range(2))
    if kind == "conv":
        g = draw(st.integers(1, 2))
        d = tuple(draw(st.integers(1, 2)) for _ in range(2))
        p = tuple(draw(st.integers(0, 2)) for _ in range(2))
        mode = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
        layer = convgif.Conv2d(
            g * draw(st.integers(1, 2)),
            g * draw(st.integers(1, 3)),
            k,
            s,
            p,
            d,
            g,
            padding_mode=mode,
        )
        c = layer.spec.in_channels
    else:
        p = tuple(draw(st.integers(0, ki // 2)) for ki in k)
        cls = convgif.MaxPool2d if kind == "max" else convgif.AvgPool2d
        layer = cls(k, s, p, ceil_mode=draw(st.booleans()))
        c = draw(st.integers(1, 2))
    shape = (c, draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    try:
        layer.output_shape(shape)
        layer.example_input(shape)
    except convgif.ConvGifError:
        assume(False)
    return layer, shape


@settings(max_examples=60)
@given(forward())
def test_other_layers_count_the_windows_reading_each_input_cell(case):
    layer, shape = case
    trace = layer.trace(layer.example_input(shape))
    counts = overlap_counts(layer, shape)
    assert counts.shape == shape
    assert np.array_equal(counts, gather_counts(trace))


def test_keras_layers_channels_last_and_asymmetric_crop():
    layer = convgif.keras.Conv2DTranspose(2, 3, strides=2, padding="same")
    counts = overlap_counts(layer, (4, 4, 1))
    assert np.array_equal(counts, scatter_counts(layer.trace(layer.example_input((4, 4, 1)))))
    row = [1, 1, 2, 1, 2, 1, 2, 1]  # 'same' crops the last cell of 1 1 2 1 2 1 2 1 1
    assert np.array_equal(counts[1], np.outer(row, row))
    title = OverlapPicture(layer, (4, 4, 1)).scene(-1).texts()[:2]
    assert "Input shape: (4, 4, 1)" in title[0] and "P: ((0, 1), (0, 1))" in title[1]


def test_the_checkerboard_by_hand():
    counts = overlap_counts("ConvTranspose2d(1, 1, 3, stride=2)", (1, 4, 4))
    row = np.array([1, 1, 2, 1, 2, 1, 2, 1, 1])
    assert np.array_equal(counts[0], np.outer(row, row))
    geo = geometry(convgif.ConvTranspose2d(1, 1, 3, stride=2), (1, 4, 4))
    assert rule(geo).startswith(
        "K=3 not divisible by S=2: uneven overlap, 1 or 2 taps per axis, so 1, 2 or 4 taps per cell"
    )
    even = geometry(convgif.ConvTranspose2d(1, 1, 4, stride=2, padding=1), (1, 4, 4))
    assert rule(even).startswith("K=4 divisible by S=2: even")
    assert "checkerboard" not in rule(even)
    holes = geometry(convgif.ConvTranspose2d(1, 1, 3, stride=2, dilation=2), (1, 3, 3))
    assert "D=2 and S=2 share the factor 2: some cells get no tap" in rule(holes)


def test_padding_crops_and_output_padding_adds_zero_cells():
    # Taps of 3 inputs, K=3, S=2 on the full line: 1 1 2 1 2 1 1; padding=1 crops one each side.
    cropped = overlap_counts(convgif.ConvTranspose1d(1, 1, 3, stride=2, padding=1), (1, 3))
    assert cropped.tolist() == [[1, 2, 1, 2, 1]]
    # K=1, S=3: taps at 0, 3, 6; output_padding=2 adds two cells no tap reaches.
    layer = convgif.ConvTranspose1d(2, 1, 1, stride=3, output_padding=2)
    counts = overlap_counts(layer, (2, 3))
    assert counts.tolist() == [[2, 0, 0, 2, 0, 0, 2, 0, 0]]
    out = layer.trace(layer.example_input((2, 3))).output
    assert np.all(out[0, counts[0] == 0] == layer.bias[0])  # just the bias


def test_still_png_svg_and_gif(tmp_path):
    layer = convgif.ConvTranspose2d(1, 1, 3, stride=2)
    written = convgif.overlap(tmp_path / "o.png", layer, input_shape=(1, 4, 4))
    pic = OverlapPicture(layer, (1, 4, 4))
    with Image.open(tmp_path / "o.png") as im:
        assert im.size == written.size == (round(pic.layout.width), round(pic.layout.height))
    assert (written.path, written.frames, written.duration_ms) == (tmp_path / "o.png", 1, 0)
    scene = pic.still(-1)
    texts = scene.texts()
    assert texts[0].startswith("Input shape: (1, 4, 4) \u2014 Output shape: (1, 9, 9)")
    assert any("K=3 not divisible by S=2" in t for t in texts)
    # The counts are written in the cells, row by row, and each cell's colour is its count's.
    counts = overlap_counts(layer, (1, 4, 4))[0]
    numbers = [t for t in scene.dynamic if t.__class__.__name__ == "Text" and t.text.isdigit()]
    assert [int(t.text) for t in numbers] == counts.ravel().tolist()
    fills = [b.fill for b in scene.dynamic if b.__class__.__name__ == "Box"]
    assert fills == [f"heat_{pic.levels.level(int(c))}" for c in counts.ravel()]

    convgif.overlap(tmp_path / "o.svg", layer, input_shape=(1, 4, 4))
    root = ET.parse(tmp_path / "o.svg").getroot()
    svg = ["".join(n.itertext()) for n in root.iter("{http://www.w3.org/2000/svg}text")]
    assert sorted(t for t in svg if t.isdigit()) == sorted(
        [str(c) for c in counts.ravel()] + [label for _, label in pic.levels.entries()]
    )

    animation = convgif.overlap(tmp_path / "o.gif", layer, input_shape=(1, 4, 4), max_frames=6)
    with Image.open(tmp_path / "o.gif") as im:
        assert im.n_frames == animation.frames == 6
        assert animation.duration_ms == sum(
            im.seek(k) or im.info["duration"] for k in range(im.n_frames))
    assert len(pic) == 16 + 2


def test_frames_build_up_one_stamp_at_a_time():
    pic = OverlapPicture(convgif.ConvTranspose2d(1, 1, 3, stride=2), (1, 4, 4))
    first = pic.scene(1)
    assert "x[0, 0, 0] stamps its 9 kernel taps onto y rows 0\u20132, cols 0\u20132" in (
        first.texts()
    )
    outlined = [b for b in first.dynamic if b.__class__.__name__ == "Box" and b.edge == "window"]
    assert len(outlined) == 1 + 9  # the stamping cell and the nine cells its taps land on
    assert pic.counts_after(1).sum() == 9 and pic.counts_after(0).sum() == 0


def test_picture_errors(tmp_path):
    with pytest.raises(convgif.ConvGifError, match="1-d and 2-d"):
        convgif.overlap(tmp_path / "a.png", convgif.Conv3d(1, 1, 2), input_shape=(1, 3, 3, 3))
    # 3-d layers are counted, just not drawn: coverage 1 2 1 per axis, × 2 output channels
    line = np.array([1, 2, 1])
    cube = 2 * np.multiply.outer(np.multiply.outer(line, line), line)
    assert np.array_equal(overlap_counts(convgif.Conv3d(1, 2, 2), (1, 3, 3, 3))[0], cube)
    with pytest.raises(convgif.ConvGifError, match="must end in one of"):
        convgif.overlap(tmp_path / "a.txt", convgif.ConvTranspose2d(1, 1, 3), input_shape=(1, 3, 3))
    too_many = r"61,506 frames \(limit 5,000\): use max_frames=N"
    with pytest.raises(convgif.ConvGifError, match=too_many):
        convgif.overlap(tmp_path / "a.gif", "Conv2d(3, 16, 3)", input_shape=(3, 64, 64))
    assert not (tmp_path / "a.gif").exists()
    with pytest.raises(convgif.ConvGifError, match="groups=2 must divide"):
        overlap_counts("ConvTranspose2d(3, 2, 3, groups=2)", (3, 4, 4))


def test_cli_overlap(tmp_path, cli):
    def run(*args):
        return cli("overlap", *args)

    r = run(
        "--layer",
        "ConvTranspose2d(1, 1, 3, stride=2)",
        "--input-shape",
        "1,4,4",
        "-o",
        "overlap.png",
    )
    assert r.returncode == 0, r.stderr
    assert re.match(r"wrote overlap.png: up to 4 per cell", r.stdout)
    r = run(
        "--layer", "ConvTranspose2d(1, 1, 3, stride=2)", "--input-shape", "1,4,4", "-o", "x.bmp"
    )
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1
    assert "convgif: error: -o='x.bmp' must end in one of" in r.stderr


def _interior(axis) -> range:
    """Cells every kernel tap of every source reaches: away from the borders."""
    first = (axis.kernel - 1) * axis.dilation - axis.before
    last = (axis.sources - 1) * axis.stride - axis.before
    return range(max(first, 0), min(last, axis.size - 1) + 1)


@settings(max_examples=60)
@given(
    transposed=st.booleans(),
    ndim=st.integers(1, 2),
    in_ch=st.integers(1, 3),
    out_ch=st.integers(1, 3),
    groups=st.sampled_from([1, 2]),
    kernel=st.integers(1, 4),
    stride=st.integers(1, 3),
    dilation=st.integers(1, 2),
    padding=st.integers(0, 1),
)
def test_the_rule_states_the_numbers_the_map_holds(
    transposed, ndim, in_ch, out_ch, groups, kernel, stride, dilation, padding
):
    """The caption's "N per cell" are exactly the counts the map holds away from its borders
    (the issue saw "so 4 per cell" above a map of 8s: taps, while the map counts products)."""
    kind = ("ConvTranspose" if transposed else "Conv") + f"{ndim}d"
    layer = getattr(convgif, kind)(
        in_ch * groups, out_ch * groups, kernel, stride=stride, padding=padding,
        dilation=dilation, groups=groups,
    )
    size = 12 if transposed else 30
    geo = geometry(layer, (in_ch * groups, *([size] * ndim)))
    spans = [_interior(a) for a in geo.axes]
    assume(all(len(r) >= a.stride for r, a in zip(spans, geo.axes)))
    plane = geo.counts()[0].reshape([a.size for a in geo.axes])
    inner = plane[np.ix_(*spans)] if ndim == 2 else plane[spans[0]]
    text = rule(geo)
    stated = re.findall(r"(\d+(?:, \d+)*(?: or \d+)?) (?:products?|taps?|windows?) per cell",
                        text)[-1]
    numbers = {int(v) for v in re.findall(r"\d+", stated)}
    assert numbers == set(inner.ravel().tolist()), text
    if geo.multiplicity > 1:
        assert "products per cell" in text
