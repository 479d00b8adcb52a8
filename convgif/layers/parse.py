"""Read a layer written as code (``"nn.Conv2d(3, 2, 3, stride=2)"``) without running it.

The string is parsed with ``ast`` and every argument must be a literal
(numbers, strings, tuples, True/False/None): nothing is ever evaluated.
"""

from __future__ import annotations

import ast
import operator
import re

from convgif.errors import NAME, ConvGifError, refuse, shown
from convgif.layers.keywords import PREFIXES, framework_of, read_value


def parse_shape(text, name: str = "--input-shape") -> tuple[int, ...]:
    """``"3,7,7"``, ``"3x7x7"`` or a sequence of ints -> a shape tuple."""
    if isinstance(text, (list, tuple)):
        parts = list(text)
    else:
        # "3,7,7" or "3x7x7"; an empty part ("3,,7", "3,x,7") is an error, not skipped.
        parts = [p.strip() for p in re.split(r"[,x]", str(text).strip())]
        if any(not p for p in parts):
            raise refuse(name, text, "must be sizes separated by commas, e.g. 3,7,7")
    if not all(isinstance(p, str) or type(p) is int for p in parts):
        raise refuse(name, text, "must be whole sizes, e.g. 3,7,7")
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        raise refuse(name, text, "must be sizes separated by commas, e.g. 3,7,7") from None
    if not shape or min(shape) < 1:
        raise refuse(name, text, "must be positive sizes, e.g. 3,7,7")
    return shape


def index_range(text: str, given: str, expected: str, param: str | None = None) -> range:
    """``"3"`` or ``"0-3"`` (inclusive) as a range; errors start with ``given`` (which
    writes ``{name}`` for ``param``, when given)."""
    first, dash, last = text.strip().partition("-")
    try:
        lo = int(first)
        hi = int(last) if dash else lo
    except ValueError:
        raise ConvGifError(f"{given} must be {expected}", param) from None
    if lo < 0 or hi < lo:
        raise ConvGifError(f"{given}: a range must run upwards from 0, e.g. 0-3", param)
    return range(lo, hi + 1)


def region_axes(ndim: int) -> tuple[str, ...]:
    """The output axes of a region as its messages and captions name them."""
    return {1: ("positions",), 2: ("rows", "cols")}.get(ndim, ("depths", "rows", "cols"))


def output_region(value, out_spatial, name: str = "outputs") -> tuple[range, ...]:
    """The output cells to animate: one contiguous range per output axis.

    ``value`` is text such as ``"0-3,0-3"`` (rows, then cols; inclusive ranges or
    single indices, as ``--channels`` writes them) or, per axis, an int or a
    ``range`` with step 1. ``name`` is how the error messages call it.
    """
    given = f"{NAME}={shown(value)}"
    region = _region_ranges(value, len(out_spatial), given, name)
    check_region(region, out_spatial, given, name)
    return region


def _region_ranges(value, ndim: int, given: str, param: str) -> tuple[range, ...]:
    axes = region_axes(ndim)
    example = ",".join(["0-3"] * len(axes))
    rule = f"one range per output axis ({', '.join(axes)}), e.g. {example}"
    if isinstance(value, str):
        expected = f"{rule}: whole numbers from 0, a range as first-last"
        ranges = [index_range(part, given, expected, param) for part in value.split(",")]
    elif isinstance(value, (tuple, list)):
        ranges = [_axis_range(axis, given, rule, param) for axis in value]
    else:
        raise ConvGifError(f"{given} must be {rule}", param)
    if len(ranges) != ndim:
        raise ConvGifError(
            f"{given} gives {len(ranges)} range(s); the output has {ndim} "
            f"spatial axes: give {rule}",
            param,
        )
    return tuple(ranges)


def _axis_range(axis, given: str, rule: str, param: str) -> range:
    """One axis of a region given in Python: a range with step 1, or an int."""
    if isinstance(axis, range):
        if axis.step != 1 or len(axis) == 0 or axis.start < 0:
            raise ConvGifError(f"{given}: a range must be non-empty, from 0 up, step 1", param)
        return axis
    try:
        index = operator.index(axis)
    except TypeError:
        index = None
    if isinstance(axis, bool) or index is None or index < 0:
        raise ConvGifError(f"{given} must be {rule}, each an int or a range", param)
    return range(index, index + 1)


def check_region(region: tuple[range, ...], out_spatial, given: str, param=None) -> None:
    """Refuse a region (one range per axis) that reaches past the output; messages start
    with ``given`` (which writes ``{name}`` for ``param``, when given)."""
    if len(region) != len(out_spatial):
        raise ConvGifError(
            f"{given} gives {len(region)} range(s); the output has {len(out_spatial)} "
            "spatial axes",
            param,
        )
    for axis, r, size in zip(region_axes(len(out_spatial)), region, out_spatial):
        if r.stop > size:
            raise ConvGifError(
                f"{given}: {axis} {r.start}-{r.stop - 1} must lie in 0..{size - 1} "
                f"(the output has {size} {axis})",
                param,
            )


def _dotted(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        prefix = _dotted(node.value)
        return None if prefix is None else f"{prefix}.{node.attr}"
    return None


# A layer's call is a line of code; these bounds keep the parser's recursion (unary
# chains such as ``- - - 3``, nested brackets) far from Python's limits.
MAX_CALL_CHARS = 1_000
MAX_NESTING = 16
_UNARY_CHAIN = re.compile(rf"(?:(?:[-+~]|\bnot\b)\s*){{{MAX_NESTING + 1},}}")


def check_call_size(source: str) -> None:
    """Refuse a call longer than ``MAX_CALL_CHARS`` or nested deeper than ``MAX_NESTING``,
    before it is parsed; the message names the bound, not the (long) text."""
    if len(source) > MAX_CALL_CHARS:
        raise ConvGifError(
            f"{NAME} is {len(source):,} characters long: a layer's call is at most "
            f"{MAX_CALL_CHARS:,}, e.g. 'Conv2d(3, 2, 3)'",
            "layer",
        )
    depth = deepest = 0
    for ch in source:
        depth += (ch in "([{") - (ch in ")]}")
        deepest = max(deepest, depth)
    if deepest > MAX_NESTING:
        raise ConvGifError(
            f"{NAME} nests brackets {deepest:,} deep: at most {MAX_NESTING} are read", "layer"
        )
    if _UNARY_CHAIN.search(source):
        raise ConvGifError(
            f"{NAME} chains more than {MAX_NESTING} signs or 'not's: write the number itself",
            "layer",
        )


def read_call(text, kinds) -> tuple[str, list, dict]:
    """``"nn.Conv2d(3, 2, 3, padding=1)"`` -> ``("Conv2d", [3, 2, 3], {"padding": 1})``.

    ``kinds``: the constructor names accepted (a prefix such as ``nn.`` is dropped).
    Every argument must be a literal; nothing is evaluated.
    """
    if not isinstance(text, str) or not text.strip():
        raise ConvGifError(f"{NAME} must be a constructor call such as 'Conv2d(3, 2, 3)'", "layer")
    source = text.strip()
    check_call_size(source)
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, UnicodeError, RecursionError, MemoryError):
        raise ConvGifError(
            f"{NAME}={shown(source)} is not valid Python: write it as in code, "
            "e.g. 'Conv2d(3, 2, 3)'",
            "layer",
        ) from None
    call = tree.body
    if not isinstance(call, ast.Call):
        raise ConvGifError(
            f"{NAME}={shown(source)} must be a constructor call such as 'Conv2d(3, 2, 3)'",
            "layer",
        )
    name = _dotted(call.func)
    short = name.rsplit(".", 1)[-1] if name else None
    if short not in kinds:
        raise ConvGifError(
            f"{NAME} names {shown(name or 'an expression')}, must be one of {', '.join(kinds)} "
            "(with or without a prefix such as nn. or layers.)",
            "layer",
        )
    check_prefix(name, short)
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        raise ConvGifError(
            f"{NAME}={shown(source)}: *args and **kwargs are not allowed", "layer"
        )
    repeated = _repeated([k.arg for k in call.keywords])
    if repeated:
        raise ConvGifError(
            f"{NAME}={shown(source)}: keyword {repeated!r} is given twice (Python refuses it)",
            "layer",
        )
    # Literals, or code kept as text (``Code``): whether code may stand where it does is
    # the kind's to say (``convgif.layers.keywords.sort_arguments``), naming the argument.
    values = [read_value(node, source) for node in [*call.args, *(k.value for k in call.keywords)]]
    args = values[: len(call.args)]
    kwargs = {k.arg: v for k, v in zip(call.keywords, values[len(call.args):])}
    return short, args, kwargs


def check_prefix(name: str, kind: str) -> None:
    """Only the framework's own prefixes (``nn.Conv2d``, ``keras.layers.Conv2D``): a line
    from another library (``foo.Conv2d``) may compute something else."""
    prefix = name[: -len(kind)].rstrip(".")
    allowed = PREFIXES[framework_of(kind)]
    if prefix and prefix not in allowed:
        raise ConvGifError(
            f"{NAME} names {shown(name)}: write {kind} alone or with the prefix "
            + " or ".join(f"{p}." for p in allowed),
            "layer",
        )


def _repeated(names: list[str]) -> str | None:
    seen = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return None


def split_calls(text: str) -> list[str]:
    """``"Conv2d(1, 6, 5) MaxPool2d(2)"`` -> the calls, split at top-level closing brackets.

    Calls contain spaces and commas, so the split follows bracket depth (and
    skips brackets inside quoted strings such as ``padding='same'``). Between
    calls only spaces, commas, ``->`` or ``|`` may stand.
    """
    if not isinstance(text, str) or not text.strip():
        raise ConvGifError(
            f"{NAME} must be constructor calls one after another, e.g. "
            "'Conv2d(1, 6, 5) MaxPool2d(2)'",
            "layers",
        )
    calls, start, depth, quote = [], 0, 0, None
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth < 0:
                raise ConvGifError(
                    f"{NAME}={shown(text)}: a ')' at character {i + 1} closes nothing", "layers"
                )
            if depth == 0 and ch == ")":
                calls.append(text[start : i + 1])
                start = i + 1
    if depth or quote:
        raise ConvGifError(f"{NAME}={shown(text)}: an unclosed '(' or quote at the end", "layers")
    if text[start:].strip():
        raise ConvGifError(
            f"{NAME}={shown(text)}: {shown(text[start:].strip())} after the last call is not "
            "a layer",
            "layers",
        )
    out = []
    for n, call in enumerate(calls, 1):
        body = call.strip().lstrip(",").strip()
        for sep in ("->", "|"):
            body = body.removeprefix(sep).strip()
        if not body or "(" not in body:
            raise ConvGifError(f"{NAME}={shown(text)}: layer {n} is empty", "layers")
        out.append(body)
    return out
