"""Regenerate the gallery in outputs/ (run from the repository root: python examples/gallery.py).

Part 1: the eleven layers of the "Conv2d: finally understand what happens in
the forward pass" article, a Conv1d, and one layer per padding mode.
Part 2: the conv-arithmetic set (each also transposed), pooling, a depthwise
layer, a ConvTranspose3d, Keras' DepthwiseConv2D and SeparableConv2D, the three
styles, the scatter view, symbols mode and one MP4.
Teaching views: the matrix view (y = C·x, Cᵀ for a transposed layer, Unfold's im2col), true
convolution, the overlap (checkerboard) heat map, a cost chart, the receptive
field through a stack, LeNet walked as a whole network (table and sheet; needs torch)
and a photo as the input (only these:
python examples/gallery.py teaching).
Gradients: the input gradient ∂L/∂x in the gather and scatter views (stride 1 and 2,
dilation, groups, reflect padding folding back, max pooling's routing; only these:
python examples/gallery.py gradients).
Last, the HTML player's page and its screenshots at 1280 and 3840 px (examples/player.py).
"""

import sys
from pathlib import Path

import convgif

OUT = Path(__file__).resolve().parent.parent / "outputs"

# (file name, layer, input shape, options)
ARTICLE = [
    ("article_01_1x9x9_k3", convgif.Conv2d(1, 1, 3), (1, 9, 9)),
    ("article_02_2x7x7_k3_p1_d42", convgif.Conv2d(2, 1, 3, padding=1, dilation=(4, 2)), (2, 7, 7)),
    ("article_03_2x7x7_k3_p1", convgif.Conv2d(2, 1, 3, padding=1), (2, 7, 7)),
    ("article_04_2x7x7_k3_p2_s2_g2", convgif.Conv2d(2, 4, 3, stride=2, padding=2, groups=2),
     (2, 7, 7)),
    ("article_05_2x9x9_k3_p2_d42", convgif.Conv2d(2, 1, 3, padding=2, dilation=(4, 2)), (2, 9, 9)),
    ("article_06_3x7x7_k3_p1_s2_d2", convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2),
     (3, 7, 7)),
    ("article_07_3x7x7_k3_p1", convgif.Conv2d(3, 2, 3, padding=1), (3, 7, 7)),
    ("article_08_3x7x7_to4_k3", convgif.Conv2d(3, 4, 3), (3, 7, 7)),
    ("article_09_3x7x9_k52", convgif.Conv2d(3, 2, (5, 2)), (3, 7, 9)),
    ("article_10_3x7x9_k51", convgif.Conv2d(3, 2, (5, 1)), (3, 7, 9)),
    ("article_11_3x9x9_k3_s13", convgif.Conv2d(3, 2, 3, stride=(1, 3)), (3, 9, 9)),
]

MORE = [
    ("conv1d_k3_p1_s2", convgif.Conv1d(2, 2, 3, stride=2, padding=1), (2, 11), {}),
    ("conv1d_mac_by_mac", convgif.Conv1d(1, 1, 3, padding=1), (1, 7), {"step": "mac"}),
    *[
        (f"padding_mode_{mode}", convgif.Conv2d(1, 1, 3, padding=2, padding_mode=mode),
         (1, 5, 5), {})
        for mode in ("zeros", "reflect", "replicate", "circular")
    ],
]

# The conv-arithmetic animations: (name, input size, kernel, stride, padding), each also transposed.
ARITHMETIC = [
    ("no_padding_no_strides", 4, 3, 1, 0),
    ("arbitrary_padding_no_strides", 5, 4, 1, 2),
    ("same_padding_no_strides", 5, 3, 1, 1),
    ("full_padding_no_strides", 5, 3, 1, 2),
    ("no_padding_strides", 5, 3, 2, 0),
    ("padding_strides", 5, 3, 2, 1),
    ("padding_strides_odd", 6, 3, 2, 1),
]

PART2 = [
    ("dilation", convgif.Conv2d(1, 1, 3, dilation=2), (1, 7, 7), {"style": "classic"}),
    ("maxpool_k3_s2_p1_ceil", convgif.MaxPool2d(3, 2, padding=1, ceil_mode=True), (2, 6, 6), {}),
    ("avgpool_k2", convgif.AvgPool2d(2), (2, 6, 6), {}),
    ("avgpool_k3_s2_p1_exclude_pad",
     convgif.AvgPool2d(3, 2, padding=1, count_include_pad=False), (1, 5, 5), {}),
    # 7 rows into 3 windows of 3 that overlap, 5 columns into 2: each window its real size
    ("adaptive_avgpool_7x5_to_3x2", convgif.AdaptiveAvgPool2d((3, 2)), (2, 7, 5), {}),
    ("adaptive_maxpool1d_8_to_3_mac", convgif.AdaptiveMaxPool1d(3), (1, 8), {"step": "mac"}),
    ("depthwise_3ch", convgif.Conv2d(3, 3, 3, padding=1, groups=3), (3, 5, 5), {}),
    ("conv3d_k3_p1_s2_d211",
     convgif.Conv3d(1, 1, 3, stride=2, padding=1, dilation=(2, 1, 1)), (1, 5, 5, 5), {}),
    ("many_channels_16to8_g2", convgif.Conv2d(16, 8, 3, padding=1, groups=2), (16, 6, 6), {}),
    ("style_classic", convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2), (3, 7, 7),
     {"style": "classic"}),
    ("style_dark", convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2), (3, 7, 7),
     {"style": "dark"}),
    ("transposed_headline_gather",
     convgif.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1), (1, 3, 3), {}),
    ("transposed_headline_scatter",
     convgif.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1), (1, 3, 3),
     {"view": "scatter"}),
    ("symbols_reflect", convgif.Conv2d(1, 1, 3, padding=1, padding_mode="reflect"), (1, 5, 5),
     {"values": "symbols"}),
    ("outputs_region", convgif.Conv2d(2, 2, 3, padding=1), (2, 8, 8), {"outputs": "2-4,1-5"}),
    ("conv_transpose3d_s2", convgif.ConvTranspose3d(1, 1, 2, stride=2), (1, 2, 3, 3), {}),
    ("keras_depthwise_dm2", convgif.keras.DepthwiseConv2D(3, depth_multiplier=2), (5, 5, 3), {}),
    # its depthwise step's frames, then its pointwise step's
    ("keras_separable_dm2",
     convgif.keras.SeparableConv2D(2, 3, depth_multiplier=2, padding="same"), (5, 5, 3), {}),
]


# The teaching views: the layer as y = C·x, and true convolution (the kernel flipped).
TEACHING = [
    ("matrix", convgif.Conv2d(1, 1, 3, bias=True), (1, 5, 5), {"view": "matrix"}),
    ("matrix_groups", convgif.Conv2d(2, 2, 3, padding=1, groups=2, padding_mode="reflect"),
     (2, 4, 4), {"view": "matrix"}),
    ("flip", convgif.Conv2d(1, 1, 3, bias=True), (1, 5, 5), {"flip": True}),
    # im2col: C picks each window's cells, y is the unfolded matrix read row by row
    ("unfold_matrix", convgif.Unfold(2), (1, 3, 3), {"view": "matrix"}),
]


# The backward pass: ∂L/∂x of a layer, in the gather view (a transposed convolution of ∂L/∂y)
# and the scatter view (each ∂L/∂y cell stamps grad × kernel back), with a seeded ∂L/∂y.
GRADIENTS = [
    ("grad_input_stride1", convgif.Conv2d(1, 1, 3, padding=1), (1, 4, 4), {}),
    ("grad_input_stride1_scatter", convgif.Conv2d(1, 1, 3, padding=1), (1, 4, 4),
     {"view": "scatter"}),
    ("grad_input_stride2", convgif.Conv2d(1, 1, 3, stride=2, padding=1), (1, 5, 5), {}),
    ("grad_input_stride2_scatter", convgif.Conv2d(1, 1, 3, stride=2, padding=1), (1, 5, 5),
     {"view": "scatter"}),
    ("grad_input_dilation", convgif.Conv2d(1, 1, 3, padding=2, dilation=2), (1, 5, 5), {}),
    ("grad_input_groups", convgif.Conv2d(2, 4, 3, padding=1, groups=2), (2, 4, 4), {}),
    ("grad_input_reflect", convgif.Conv2d(1, 1, 3, padding=1, padding_mode="reflect"),
     (1, 4, 4), {"view": "scatter"}),
    ("grad_input_maxpool", convgif.MaxPool2d(3, stride=2), (1, 5, 5), {"view": "scatter"}),
]


# ∂L/∂w both ways and ∂L/∂b, on a strided, padded layer
WEIGHT_GRADIENTS = [
    ("grad_weight_gather", "weight", {}),
    ("grad_weight_scatter", "weight", {"view": "scatter"}),
    ("grad_bias", "bias", {}),
]


def gradients() -> None:
    for name, layer, shape, options in GRADIENTS:
        render(name, layer, shape, grad="input", **options)
    layer = convgif.Conv2d(2, 2, 3, stride=2, padding=1)
    for name, grad, options in WEIGHT_GRADIENTS:
        render(name, layer, (2, 5, 5), grad=grad, **options)


def teaching() -> None:
    for name, layer, shape, options in TEACHING:
        render(name, layer, shape, **options)
    # Row 8 of Cᵀ lit, beside column 8 of the forward Conv2d's C.
    transposed = convgif.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1)
    transposed.still(OUT / "matrix_transposed.png", frame=10, input_shape=(1, 3, 3), view="matrix")
    print("wrote outputs/matrix_transposed.png")
    # The overlap (checkerboard) view as a still and built up, and a cost chart.
    checkerboard = convgif.ConvTranspose2d(1, 1, 3, stride=2)
    for ext in ("png", "gif"):
        convgif.overlap(OUT / f"overlap.{ext}", checkerboard, input_shape=(1, 4, 4))
        print(f"wrote outputs/overlap.{ext}")
    convgif.cost_chart(OUT / "cost.png", "Conv2d(3, 16, 3)", (3, 64, 64),
                       ("out_channels", [1, 2, 4, 8, 16, 32]))
    print("wrote outputs/cost.png")
    # The receptive field through a stack, and a real photo as the input.
    lenet = "Conv2d(1, 6, 5) MaxPool2d(2) Conv2d(6, 16, 5) MaxPool2d(2)"
    convgif.stack(OUT / "stack_lenet.gif", lenet, (1, 32, 32))
    convgif.stack(OUT / "stack_lenet.png", lenet, (1, 32, 32))
    convgif.stack(OUT / "stack_separable.gif", "Conv2d(8, 8, 3, groups=8) Conv2d(8, 16, 1)",
                  (8, 7, 7))
    lenet_net()
    convgif.Conv2d(3, 1, 3, stride=2).animate(OUT / "image.gif", image=True)
    convgif.features(OUT / "features.png", True, "edge", max_side=200)
    for name in ("stack_lenet.gif", "stack_lenet.png", "stack_separable.gif", "image.gif",
                 "features.png"):
        print(f"wrote outputs/{name}")


def lenet_net() -> None:
    """examples/lenet.py's whole network: its table and its sheet of stills (needs torch)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from lenet import INPUT_SHAPE, lenet

    convgif.walk(lenet(), INPUT_SHAPE, title="LeNet", table=OUT / "lenet_table.txt",
                 sheet=OUT / "lenet_sheet.png")
    print("wrote outputs/lenet_table.txt and outputs/lenet_sheet.png")


def render(name, layer, shape, **options):
    path = OUT / f"{name}.gif"
    layer.animate(path, input_shape=shape, **options)
    print(f"wrote {path.relative_to(OUT.parent)}")


def main() -> int:
    OUT.mkdir(exist_ok=True)
    if sys.argv[1:] == ["teaching"]:  # only these: python examples/gallery.py teaching
        teaching()
        return 0
    if sys.argv[1:] == ["gradients"]:  # only these: python examples/gallery.py gradients
        gradients()
        return 0
    for name, layer, shape in ARTICLE:
        render(name, layer, shape)
    for name, layer, shape, options in MORE + PART2:
        render(name, layer, shape, **options)
    for name, n, k, s, p in ARITHMETIC:
        conv = convgif.Conv2d(1, 1, k, stride=s, padding=p, bias=False)
        render(f"arithmetic_{name}", conv, (1, n, n), style="classic")
        m = conv.output_shape((1, n, n))[1]
        # The transpose of that convolution maps its output size back to its input size.
        op = (n + 2 * p - k) % s
        transposed = convgif.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=op,
                                             bias=False)
        render(f"arithmetic_{name}_transposed", transposed, (1, m, m), style="classic")
    teaching()
    gradients()
    # Stills: a slide-ready symbols frame as SVG and PDF, and the headline frame as PNG.
    sym = convgif.Conv2d(1, 1, 3, padding=1, padding_mode="reflect")
    for ext in ("svg", "pdf"):
        sym.still(OUT / f"symbols_reflect.{ext}", frame=3, input_shape=(1, 5, 5), values="symbols")
    headline = convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)
    headline.still(OUT / "conv2d_frame5.png", frame=5, input_shape=(3, 7, 7))
    try:
        headline.animate(OUT / "conv2d.mp4", input_shape=(3, 7, 7))
        print("wrote outputs/conv2d.mp4")
    except convgif.ConvGifError as error:  # the optional mp4 extra is not installed
        print(f"skipped outputs/conv2d.mp4: {error}", file=sys.stderr)
    player_screenshots()
    return 0


def player_screenshots() -> None:
    """The README's screenshots of the HTML player (examples/player.py, beside this file), at
    1280 and 3840 px wide: they need selenium and Chromium, as the browser tests do."""
    try:
        import player

        player.main(OUT)
    except ImportError as error:  # player.py not beside this copy, or no selenium
        print(f"skipped the player's screenshots: {error}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
