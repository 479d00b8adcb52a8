"""What a layer costs as one argument grows: parameters, MACs, output size, measured time.

``cost_table`` rebuilds the layer once per swept value (the constructor call
the layer prints, with one argument replaced) and takes each row's numbers
from the spec's shape arithmetic: ``param_count``, ``mac_count`` (the same
counts ``convgif info`` prints) and the output shape. With ``measure=True``
it also times the equivalent ``torch.nn`` layer (``convgif info``'s PyTorch
line) on this machine. ``cost_chart`` plots the table with matplotlib, which
is imported only here, inside the function.

A value that makes an invalid layer (``groups=3`` with 4 channels, a kernel
larger than the padded input) is refused up front with one ``ConvGifError``
that names ``--sweep`` and the rule: a chart with a silent gap would mislead.
"""

from __future__ import annotations

import ast
import inspect
import math
import os
import statistics
import time
from pathlib import Path

from convgif.api.sweepcost import (
    bounded_values,
    check_measured,
    check_text_size,
    check_whole,
)
from convgif.errors import NAME, ConvGifError, refuse, shown

SIZE = "size"  # sweeps the input's spatial size (every axis)
# PyTorch's names also work for Keras layers.
ALIASES = {"out_channels": "filters", "stride": "strides", "dilation": "dilation_rate"}
NOT_SWEPT = (
    "self",
    "seed",
    "bias",
    "use_bias",
    "padding_mode",
    "data_format",
    "ceil_mode",
    "count_include_pad",
    "divisor_override",
    "kernel_initializer",
)
CHART_FORMATS = (".png", ".svg", ".pdf")
TABLE_FORMATS = (".csv", ".json")
FIELDS = (
    "value",
    "layer",
    "input_shape",
    "output_shape",
    "params",
    "macs",
    "output_elements",
    "time_ms",
)


def parse_sweep(text) -> tuple[str, list[int]]:
    """``"out_channels=1,2,4"`` -> ("out_channels", [1, 2, 4]); a (name, values) pair passes.

    At most ``MAX_SWEEP_VALUES`` values, counted before they are listed."""
    if isinstance(text, (tuple, list)) and len(text) == 2 and isinstance(text[0], str):
        name, values = text
        values = bounded_values(name.strip(), values)
    else:
        name, eq, rest = str(text).partition("=")
        if not eq or not name.strip() or not rest.strip():
            raise refuse("sweep", text, "must be NAME=V1,V2,..., e.g. out_channels=1,2,4,8")
        check_text_size(name.strip(), rest)
        try:
            values = [int(v) for v in rest.split(",")]
        except ValueError:
            raise ConvGifError(
                f"{NAME}={shown(text)}: the values must be whole numbers separated by commas, "
                "e.g. out_channels=1,2,4,8",
                "sweep",
            ) from None
    name = name.strip()
    if not values or any(isinstance(v, bool) or not isinstance(v, int) for v in values):
        raise ConvGifError(f"{NAME} {name}={values!r} must list whole numbers, e.g. 1,2,4,8",
                           "sweep")
    if len(set(values)) != len(values):
        raise ConvGifError(f"{NAME} {name}={','.join(map(str, values))}: a value is repeated",
                           "sweep")
    return name, values


def _constructor(layer):
    """(class, {argument: value}) that rebuild ``layer`` from the call it prints."""
    cls = type(layer)
    call = ast.parse(repr(layer), mode="eval").body
    args = [ast.literal_eval(a) for a in call.args]
    kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    bound = inspect.signature(cls).bind(*args, **kwargs)
    return cls, dict(bound.arguments)


def _swept_shape(layer, input_shape, name: str, value: int) -> tuple[int, ...]:
    spec = layer.spec
    shape = list(input_shape)
    batched = len(shape) == spec.ndim + 2
    body = shape[1:] if batched else shape
    c = len(body) - 1 if spec.channels_last else 0
    if name == SIZE:
        body = [v if i == c else value for i, v in enumerate(body)]
    elif name == "in_channels":
        body[c] = value
    return tuple(shape[:1] + list(body) if batched else body)


def sweep_layers(layer, input_shape, sweep) -> tuple[str, list[tuple[int, object, tuple]]]:
    """(argument, [(value, layer, input shape)]) for every swept value, all checked first."""
    from convgif.api.kinds import as_layer
    from convgif.layers.parse import parse_shape

    layer = as_layer(layer)  # text, or a layer object: anything else is named
    input_shape = parse_shape(input_shape, "input_shape")
    layer.output_shape(input_shape)  # the base layer itself must fit its input
    name, values = parse_sweep(sweep)
    cls, arguments = _constructor(layer)
    params = [p for p in inspect.signature(cls).parameters if p not in NOT_SWEPT]
    key = name if name in params else ALIASES.get(name)
    if name != SIZE and key not in params and name != "in_channels":
        allowed = ", ".join([SIZE, *params])
        raise ConvGifError(
            f"{NAME} {name}=...: {type(layer).__name__} has no argument "
            f"{name!r}; sweep one of {allowed}",
            "sweep",
        )
    rows = []
    for value in values:
        given = f"{NAME} {name}={value}"
        if isinstance(value, bool) or value < (0 if name == "padding" else 1):
            rule = "at least 0" if name == "padding" else "positive"
            raise ConvGifError(f"{given}: every value must be {rule}", "sweep")
        kwargs = dict(arguments)
        if key in params:
            kwargs[key] = value
        kwargs["seed"] = layer.seed
        shape = _swept_shape(layer, input_shape, name, value)
        try:
            swept = cls(**kwargs)
            swept.output_shape(shape)
        except ConvGifError as error:
            raise ConvGifError(
                f"{given} makes an invalid layer: {error} (every swept value must be valid)",
                "sweep",
            ) from None
        rows.append((value, swept, shape))
    return name, rows


def cost_table(
    layer, input_shape, sweep, measure: bool = False, repeats: int = 9, threads: int = 1
) -> list[dict]:
    """One row per swept value: the layer, its shapes, params, MACs, output elements, time.

    ``sweep``: ``("out_channels", [1, 2, 4])`` or ``"out_channels=1,2,4"``; any
    constructor argument, ``in_channels`` (the input follows) or ``size`` (the
    input's spatial size). ``measure=True`` adds ``time_ms``, the median of
    ``repeats`` forward passes of the equivalent torch layer (torch needed) on
    ``threads`` CPU threads (1 by default: on a busy machine several threads
    mostly measure their own waiting, one thread gives stable, comparable times).
    """
    name, layers = sweep_layers(layer, input_shape, sweep)
    if measure:  # estimated from the shapes, before torch is imported
        check_measured(name, layers, check_whole("repeats", repeats))
        check_whole("threads", threads)
    timer = _torch_timer(repeats, threads) if measure else None
    if timer:
        timer(layers[0][1], layers[0][2])  # thrown away: the first run in a process pays set-up
    table = []
    for value, swept, shape in layers:
        out = swept.output_shape(shape)
        table.append(
            {
                "value": value,
                "layer": repr(swept),
                "input_shape": list(shape),
                "output_shape": list(out),
                "params": swept.param_count,
                "macs": swept.mac_count(shape),
                "output_elements": math.prod(out),
                "time_ms": timer(swept, shape) if timer else None,
            }
        )
    return table


def _torch_timer(repeats: int, threads: int):
    try:
        import torch
    except ImportError:
        raise ConvGifError(
            "--measure (measure=True) times the layer in PyTorch, which is not installed: "
            "pip install torch"
        ) from None

    def timed(layer, shape) -> float:
        module = torch_module(layer, shape)
        _, channels, spatial = layer.split_shape(shape)
        batch = shape[0] if len(shape) == layer.spec.ndim + 2 else 1
        x = torch.randn(batch, channels, *spatial)
        times = []
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            with torch.no_grad():
                for _ in range(2):  # warm-up: allocation and kernel selection
                    module(x)
                for _ in range(repeats):
                    start = time.perf_counter()
                    module(x)
                    times.append((time.perf_counter() - start) * 1000)
        finally:
            torch.set_num_threads(before)
        return statistics.median(times)

    return timed


def torch_module(layer, input_shape):
    """The equivalent ``torch.nn`` layer (``convgif info``'s PyTorch line), freshly built."""
    import torch

    from convgif.layers.frameworks import pytorch_line

    code, note = pytorch_line(layer, tuple(input_shape))
    if code is None:
        raise ConvGifError(f"--measure: {repr(layer)} has no torch equivalent: {note}")
    # Our own generated line: torch.nn constructors with literal arguments only.
    return eval(code, {"__builtins__": {}, "torch": torch})  # noqa: S307


# --------------------------------------------------------------------------- files

def _base_value(layer, input_shape, name: str):
    if name == SIZE:
        spatial = layer.split_shape(input_shape)[2]
        return spatial[0] if len(set(spatial)) == 1 else None
    if name == "in_channels":
        return layer.split_shape(input_shape)[1]
    try:
        cls, arguments = _constructor(layer)
        bound = inspect.signature(cls).bind(**arguments)
        bound.apply_defaults()  # groups=1 is the base value even when the call leaves it out
        arguments = bound.arguments
    except (TypeError, ValueError, SyntaxError):
        return None
    value = arguments.get(name, arguments.get(ALIASES.get(name, ""), None))
    if isinstance(value, (tuple, list)) and len(set(value)) == 1:
        value = value[0]
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def cost_chart(
    path,
    layer,
    input_shape,
    sweep,
    measure: bool = False,
    repeats: int = 9,
    threads: int = 1,
    *,
    style="default",
    font=None,
) -> list[dict]:
    """Write the cost of ``layer`` over a sweep to ``path``; returns the table.

    ``.png`` / ``.svg`` / ``.pdf``: one panel each for parameters, MACs and output
    elements (and measured time) against the swept value, in ``style``'s colours
    (``'default'``, ``'classic'``, ``'dark'``) and ``font`` (a family name or a
    font file; None: DejaVu Sans). ``.csv`` / ``.json``: the table itself.
    """
    from convgif.api.kinds import as_layer
    from convgif.api.options import output_options
    from convgif.layers.parse import parse_shape

    suffix = Path(os.fspath(path)).suffix.lower()
    if suffix not in CHART_FORMATS + TABLE_FORMATS:
        raise ConvGifError(
            f"{NAME}={os.fspath(path)!r} must end in one of "
            f"{', '.join(CHART_FORMATS + TABLE_FORMATS)}",
            "path",
        )
    output = output_options(style=style, font=font, animated=False)
    layer = as_layer(layer)
    input_shape = parse_shape(input_shape, "input_shape")
    table = cost_table(layer, input_shape, sweep, measure, repeats, threads)
    name, _ = parse_sweep(sweep)
    if suffix in TABLE_FORMATS:
        _write_table(path, table, suffix)
    else:
        note = None
        if measure:
            import torch

            version = torch.__version__.split("+")[0]
            plural = "s" if threads > 1 else ""
            note = (
                f"time: median of {repeats} forward passes of the torch layer on this machine "
                f"(torch {version}, {threads} thread{plural})"
            )
        _write_chart(path, table, layer, input_shape, name, note, suffix, output)
    return table


def _write_table(path, table, suffix) -> None:
    import csv
    import json

    from convgif.io.files import atomic_write

    with atomic_write(path) as tmp:
        if suffix == ".json":
            tmp.write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
            return
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(FIELDS)
            for row in table:
                writer.writerow(
                    [
                        "x".join(map(str, v)) if isinstance(v, list) else ("" if v is None else v)
                        for v in (row[f] for f in FIELDS)
                    ]
                )


def _write_chart(path, table, layer, input_shape, name, time_note, suffix, output) -> None:
    from convgif.backends.chart import Chart, encode
    from convgif.io.files import write_bytes

    shape = "(" + ", ".join(map(str, input_shape)) + ")"
    note = "MACs and output elements: one forward pass of the whole input"
    if time_note:
        note += ";\n" + time_note
    base = _base_value(layer, input_shape, name)
    chart = Chart(
        title=f"Cost of {layer!r} on input {shape}, sweeping {name}",
        x_label=name + (" (input H = W)" if name == SIZE else ""),
        xs=[row["value"] for row in table],
        series=[(field, [row[field] for row in table]) for field in
                ("params", "macs", "output_elements", "time_ms")
                if field != "time_ms" or time_note],
        marked=base,
        marked_label=f"base layer ({name}={base})",
        note=note,
        tall_note=bool(time_note),
    )
    write_bytes(path, encode(chart, suffix, output.style, output.font))
