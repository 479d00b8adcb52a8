"""``convgif.walk``: a whole network, layer by layer, on its real activations.

A torch model (run once by ``convgif.api.network``), a ``Network`` already made, or a
stack of convgif layers (``"Conv2d(1, 6, 5) MaxPool2d(2)"``, a list of calls or of
layers, simulated by convgif itself) gives: a summary table (layer, output shape,
parameters, MACs, receptive field and jump), a contact sheet or a multi-page PDF
with one still per convolution / pooling step on the activation it received
(``convgif.api.netsheet``), and on request one animation per such step.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import numpy as np

from convgif.api.network import INPUT, WHOLE, Network, Step, is_torch_module, through
from convgif.errors import ConvGifError, refuse
from convgif.simulate.receptive import Reach

TABLE_FORMATS = (".txt", ".md", ".csv")
COLUMNS = ("#", "layer", "kind", "input from", "output shape", "params", "MACs",
           "receptive field", "jump", "drawn")
NOT_DRAWN = "not simulated"


# --------------------------------------------------------------------------- the network


def network_of(model, input_shape=None, x=None, seed: int = 0) -> Network:
    """The Network of a torch model, a Network, or a stack of convgif layers."""
    from convgif.api.network import run_model

    if isinstance(model, Network):
        return model
    if is_torch_module(model):
        return run_model(model, input_shape, x, seed)
    return from_layers(model, input_shape, x, seed)


def from_layers(layers, input_shape=None, x=None, seed: int = 0) -> Network:
    """A stack of convgif layers run by convgif's own simulation, one sample as a batch of
    one (each step's input is the previous step's output)."""
    from convgif.api.kinds import parse_stack
    from convgif.errors import in_context
    from convgif.layers.parse import parse_shape

    stack = parse_stack(layers, seed=seed)
    if (x is None) == (input_shape is None):
        raise ConvGifError("give the stack's input as {name}=(C, H, W) or x=<array>, one "
                           "of them", "input_shape")
    if x is None:
        x = stack[0].example_input((1, *parse_shape(input_shape, "input_shape")))
    value = np.asarray(x, dtype=float)
    steps, reach, source = [], Reach((1, 1), (1, 1)), INPUT
    for n, layer in enumerate(stack, 1):
        try:
            out = layer.trace(value).output
        except ConvGifError as error:
            raise in_context(error, f"layer {n} ({layer!r})", "layers") from None
        reach = through(layer, reach)
        macs = None if layer.spec.pooling else layer.mac_count(value.shape[1:])
        steps.append(Step(n, str(n), layer.spec.name, layer, value, out, layer.param_count,
                          macs, source, reach))
        value, source = out, f"step {n}"
    return Network(tuple(steps), steps[0].input, value, source)


def chain_layers(model, input_shape, seed: int = 0) -> list:
    """The convolution and pooling layers of a model, in order, for the receptive-field
    stack: steps that keep each cell to itself (activations, normalisation, dropout) pass,
    the stack ends at the last 2-d convolution or pooling step; anything else before it,
    or a step fed by a sum (a skip connection), is refused naming the step."""
    from convgif.simulate.receptive import KINDS

    network = network_of(model, input_shape, None, seed)
    last = max((s.position for s in network if s.simulated), default=0)
    layers, previous = [], (INPUT,)
    for step in network.steps[:last]:
        where = f"{{name}}: step {step.position}, {step.name} ({step.kind})"
        if step.source not in previous:
            raise ConvGifError(
                f"{where} takes {step.source}, not the step before it: the receptive-field "
                "stack walks a chain of layers; give the chain (e.g. one branch) as the model",
                "layers")
        if step.simulated and step.layer.spec.name in KINDS:
            layers.append(step.layer)
        elif step.simulated or step.reach is None or step.output_shape != step.input_shape:
            raise ConvGifError(
                f"{where} is not a layer the receptive-field stack takes: it takes "
                f"{', '.join(KINDS)}, with activations, normalisation and dropout between "
                "them; give the part of the model before it", "layers")
        previous = (f"step {step.position} ({step.name})", f"step {step.position}")
    if not layers:
        raise ConvGifError(f"{{name}}={type(model).__name__} has no {', '.join(KINDS)} "
                           "layer to walk back through", "layers")
    return layers


# --------------------------------------------------------------------------- the table


def _reach_text(reach) -> tuple[str, str]:
    if isinstance(reach, Reach):
        return f"{reach.rf[0]}x{reach.rf[1]}", f"{reach.jump[0]}x{reach.jump[1]}"
    return (WHOLE, "—") if reach == WHOLE else ("—", "—")


def table(network: Network) -> list[dict]:
    """One row per step: the summary people know, plus where its input came from."""
    rows = []
    for step in network:
        rf, jump = _reach_text(step.reach)
        rows.append({
            "#": step.position, "layer": step.name, "kind": step.kind,
            "input from": step.source, "output shape": str(step.output_shape),
            "params": step.params, "MACs": step.macs, "receptive field": rf, "jump": jump,
            "drawn": "still" if step.simulated else NOT_DRAWN,
        })
    return rows


def _cell(value) -> str:
    if value is None:
        return "—"
    return f"{value:,}" if isinstance(value, int) else str(value)


def summary(network: Network, title: str = "") -> str:
    """The table as aligned text, with the totals and where the output came from."""
    rows = [[_cell(row[c]) for c in COLUMNS] for row in table(network)]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(COLUMNS)]
    numeric = {"#", "params", "MACs"}
    def line(cells):
        return "  ".join(c.rjust(w) if COLUMNS[i] in numeric else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    rule = "-" * len(line(COLUMNS))
    params = sum(s.params for s in network)
    macs = sum(s.macs or 0 for s in network)
    head = f"{title} on input {tuple(network.input.shape)}\n" if title else (
        f"input {tuple(network.input.shape)}\n")
    return (head + line(COLUMNS) + "\n" + rule + "\n" + "\n".join(line(r) for r in rows)
            + f"\n{rule}\ntotal: {params:,} parameters, {macs:,} MACs (one sample); "
            f"output {tuple(network.output.shape)} from {network.output_source}\n"
            "MACs: multiply-accumulates (—: the kind does none); receptive field and jump in "
            "input cells (—: not a 2-d convolution or pooling chain)\n")


def _markdown(network: Network) -> str:
    rows = table(network)
    out = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    out += ["| " + " | ".join(_cell(r[c]) for c in COLUMNS) + " |" for r in rows]
    return "\n".join(out) + "\n"


def write_table(path, network: Network, title: str = "") -> None:
    """The table as ``.txt`` (aligned), ``.md`` (Markdown) or ``.csv``."""
    from convgif.io.files import write_bytes

    suffix = Path(os.fspath(path)).suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise refuse("table", os.fspath(path), f"must end in one of {', '.join(TABLE_FORMATS)}")
    if suffix == ".csv":
        text = io.StringIO()
        writer = csv.DictWriter(text, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(table(network))
        data = text.getvalue()
    else:
        data = summary(network, title) if suffix == ".txt" else _markdown(network)
    write_bytes(path, data.encode("utf-8"))


# --------------------------------------------------------------------------- animations


def file_stem(step: Step) -> str:
    """``03_features.2_MaxPool2d``: the position first, so a folder lists them in order."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", step.name).strip("_") or "step"
    return f"{step.position:02d}_{name}_{step.kind}"


def animate_steps(folder, network: Network, fmt: str = ".gif", progress=None,
                  **options) -> list[Path]:
    """One animation per simulated step, on the first sample of its real input."""
    from convgif.api import render
    from convgif.io.files import make_folder

    folder = make_folder(folder, "animate")
    written = []
    for step in network:
        if step.simulated:
            path = folder / f"{file_stem(step)}{fmt}"
            render.animate(path, step.layer, x=step.input[0], progress=progress, **options)
            written.append(path)
    return written


# --------------------------------------------------------------------------- front door


def walk(model, input_shape=None, *, x=None, table=None, sheet=None, animate=None,
         columns=None, title=None, seed: int = 0, **options) -> Network:
    """Walk ``model`` layer by layer on real activations; returns its ``Network``.

    ``model``: a torch ``nn.Module`` (run once, with forward hooks; needs torch), a
    ``Network`` from ``convgif.from_torch``, or a stack of convgif layers (a string of
    calls, a list of calls or layers). The input: ``input_shape`` (one sample,
    ``(C, H, W)``: a batch of one is made, small integers from ``seed``) or ``x`` (a
    batch, as the model takes it). ``table``: write the summary (``.txt``, ``.md``,
    ``.csv``). ``sheet``: one still per convolution / pooling step, its last frame (the
    finished output) on the first sample of its input: ``.png`` a contact sheet of
    ``columns`` columns (default 2), ``.pdf`` one page per step. ``animate``: a folder
    that gets one GIF per such step, named by position, layer and kind
    (``01_features.0_Conv2d.gif``). ``options``: the picture options of
    ``layer.animate`` (``style``, ``scale``, ``step``, ``max_frames``, ...).
    """
    from convgif.api import netsheet
    from convgif.api.options import ANIMATION_KEYS, STILL_KEYS, picture_options, split_options

    picture_options(**split_options(dict(options))[1])  # all checked before the model runs
    stills = {k: v for k, v in options.items() if k in STILL_KEYS or k not in ANIMATION_KEYS}
    if sheet is not None:
        netsheet.check_path(sheet)
    if table is not None and Path(os.fspath(table)).suffix.lower() not in TABLE_FORMATS:
        raise refuse("table", os.fspath(table), f"must end in one of {', '.join(TABLE_FORMATS)}")
    network = network_of(model, input_shape, x, seed)
    title = title or (type(model).__name__ if is_torch_module(model) else "")
    if table is not None:
        write_table(table, network, title)
    if sheet is not None:
        netsheet.write_sheet(sheet, network, columns=columns, **stills)
    if animate is not None:
        animate_steps(animate, network, **options)
    return network


__all__ = ["animate_steps", "chain_layers", "from_layers", "network_of", "summary", "table", "walk",
           "write_table"]
