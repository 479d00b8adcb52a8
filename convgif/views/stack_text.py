"""What the receptive-field picture of a stack writes: its title, its maps' headers and
notes (shape, receptive field and jump, the formula filled in), its legend and captions."""

from __future__ import annotations

from convgif.simulate.receptive import ReceptiveField
from convgif.views.layout import LABEL_SIZE
from convgif.views.text import text_width

TIMES = "\u00d7"
ARROW = "  \u2192  "
MINUS = "\u2212"
PRIME = "\u2032"  # the previous layer's value
FORMULA = (
    f"Under each map: RF r = r{PRIME} + (k{MINUS}1)\u00b7d\u00b7j{PRIME} and jump "
    f"j = j{PRIME}\u00b7s, where {PRIME} marks the map before and r = j = 1 at the input: "
    "one cell's field, in input cells."
)
HEADER_WIDTH = 200  # a layer's call wraps after a comma beyond this


def short(layer) -> str:
    """The layer as written in code, kernel size positional: ``Conv2d(6, 16, 5)``."""
    return repr(layer).replace("kernel_size=", "")


def shape_x(shape) -> str:
    """A map's shape: ``6 × 28 × 28``."""
    return f" {TIMES} ".join(str(s) for s in shape)


def pair(values) -> str:
    """A stride or jump: ``2``, or ``2×1`` when the axes differ."""
    return str(values[0]) if values[0] == values[1] else f"{values[0]}{TIMES}{values[1]}"


def size(values) -> str:
    """An area, always with both sides: ``5×5``."""
    return f"{values[0]}{TIMES}{values[1]}"


def title(rf: ReceptiveField) -> str:
    c, y, x = rf.cell
    last = rf.maps[-1].shape
    where = "the centre of" if (y, x) == (last[1] // 2, last[2] // 2) else "a cell of"
    return (
        f"Receptive field of y[{c}, {y}, {x}], {where} layer {len(rf.layers)}'s output "
        f"({shape_x(last)})"
    )


def subtitle(rf: ReceptiveField) -> str:
    return "on a " + shape_x(rf.maps[0].shape) + " input:   " + ARROW.join(
        short(layer) for layer in rf.layers
    )


def notes(rf: ReceptiveField, n: int) -> list[str]:
    """Lines under map n: shape, RF and jump, the formula (or an empty line)."""
    fmap = rf.maps[n]
    lines = [shape_x(fmap.shape), f"RF {size(fmap.rf)} \u00b7 jump {pair(fmap.jump)}"]
    if n > 0:
        prev = rf.maps[n - 1]
        s = rf.layers[n - 1].spec
        if prev.rf[0] == prev.rf[1] and s.kernel_size[0] == s.kernel_size[1] and (
            s.dilation[0] == s.dilation[1] and prev.jump[0] == prev.jump[1]
        ):
            lines.append(
                f"{fmap.rf[0]} = {prev.rf[0]} + ({s.kernel_size[0]}{MINUS}1)\u00b7"
                f"{s.dilation[0]}\u00b7{prev.jump[0]}"
            )
        else:
            lines.append("")
    else:
        lines.append("")
    return lines


def lit_note(rf: ReceptiveField, n: int) -> str:
    """Which channels of map n are lit (written once the map is)."""
    fmap = rf.maps[n]
    lit = fmap.channels_lit
    c = fmap.shape[0]
    if len(lit) == c:
        return "lit in every channel" if c > 1 else ""
    if len(lit) == 1:
        return f"lit in channel {lit[0]} only"
    return f"lit in {len(lit)} of {c} channels"


def legend_entries(rf: ReceptiveField) -> list:
    entries = [("output_active", "the chosen output cell"), ("tap", "it depends on this cell"),
               ("window", "its receptive field (analytic box)")]
    if any(m.pad_taps is not None and m.pad_taps.any() for m in rf.maps):
        entries.append(("pad", "padding it reads (a constant, not a dependency)"))
    return entries


def header(rf: ReceptiveField, n: int) -> list[str]:
    """The map's name, a long layer call wrapped after commas (long calls would
    otherwise widen their column and shrink every cell)."""
    text = "input x" if n == 0 else f"{n}  {short(rf.layers[n - 1])}"
    lines, line = [], ""
    for part in text.split(", "):
        joined = f"{line}, {part}" if line else part
        if line and text_width(joined + ",", LABEL_SIZE, bold=True) > HEADER_WIDTH:
            lines.append(line + ",")
            joined = part
        line = joined
    return lines + [line]


def _reads(spec) -> str:
    """The channels each output cell of a layer reads."""
    if spec.pooling:
        return "its own channel"
    if spec.groups == 1:
        return f"all {spec.in_channels} channels" if spec.in_channels > 1 else "the one channel"
    if spec.groups == spec.in_channels:
        return "its own channel only (depthwise)"
    return f"the {spec.in_channels // spec.groups} channels of its group"


def caption(rf: ReceptiveField, index: int) -> list[str]:
    """Frame ``index``'s caption: the chosen cell, then one layer back per frame."""
    c, y, x = rf.cell
    if index == 0:
        return [f"Pick one output cell, y[{c}, {y}, {x}], and walk back through the stack, "
                "one layer per frame."]
    n = len(rf.layers) - index + 1  # the layer whose inputs light up in this frame
    layer, fmap = rf.layers[n - 1], rf.maps[n - 1]
    s = layer.spec
    window = f"a {size(s.kernel_size)} window"
    if s.dilation != (1, 1):
        window += f" with dilation {pair(s.dilation)}"
    if s.kernel_size == (1, 1):
        window = "one position (1" + TIMES + "1)"
    count = int(fmap.mask.sum())
    first = (f"Layer {n}, {short(layer)}: each lit cell reads {window} of {_reads(s)}, "
             f"stride {pair(s.stride)}.")
    where = "the input" if n == 1 else "its input"
    second = f"{count:,} of {fmap.mask.size:,} cells of {where} ({shape_x(fmap.shape)}) are lit"
    if fmap.pad_taps is not None and fmap.pad_taps.any():
        second += f", and {int(fmap.pad_taps.sum()):,} padding cells are read (dashed)"
    second += "."
    if n == 1:
        return [first, second, f"So y[{c}, {y}, {x}] has a receptive field of "
                f"{size(rf.rf)} input cells and a jump of {pair(rf.jump)}."]
    return [first, second]
