"""Read a layer written as code (``"nn.Conv2d(3, 2, 3, stride=2)"``) without running it.

The string is parsed with ``ast`` and every argument must be a literal
(numbers, strings, tuples, True/False/None): nothing is ever evaluated.
"""

from __future__ import annotations

import ast
import re

from convgif.errors import ConvGifError

DEFAULT_LAYER = "Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)"
DEFAULT_INPUT = "3,7,7"


def parse_shape(text, name: str = "--input-shape") -> tuple[int, ...]:
    """``"3,7,7"``, ``"3x7x7"`` or a sequence of ints -> a shape tuple."""
    if isinstance(text, (list, tuple)):
        parts = list(text)
    else:
        # "3,7,7" or "3x7x7"; an empty part ("3,,7", "3,x,7") is an error, not skipped.
        parts = [p.strip() for p in re.split(r"[,x]", str(text).strip())]
        if any(not p for p in parts):
            raise ConvGifError(f"{name}={text!r} must be sizes separated by commas, e.g. 3,7,7")
    if not all(isinstance(p, str) or type(p) is int for p in parts):
        raise ConvGifError(f"{name}={text!r} must be whole sizes, e.g. 3,7,7")
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        raise ConvGifError(
            f"{name}={text!r} must be sizes separated by commas, e.g. 3,7,7"
        ) from None
    if not shape or min(shape) < 1:
        raise ConvGifError(f"{name}={text!r} must be positive sizes, e.g. 3,7,7")
    return shape


def layer_kinds() -> dict:
    """Every constructor ``--layer`` accepts, by the name written in code."""
    from convgif import keras, layers

    torch_kinds = (
        "Conv1d",
        "Conv2d",
        "Conv3d",
        "ConvTranspose1d",
        "ConvTranspose2d",
        "MaxPool2d",
        "AvgPool2d",
    )
    keras_kinds = ("Conv1D", "Conv2D", "Conv2DTranspose")
    kinds = {name: getattr(layers, name) for name in torch_kinds}
    kinds.update({name: getattr(keras, name) for name in keras_kinds})
    return kinds


def _dotted(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        prefix = _dotted(node.value)
        return None if prefix is None else f"{prefix}.{node.attr}"
    return None


def parse_layer(text: str, seed: int = 0):
    """Build the layer a constructor call describes, e.g. ``"Conv2d(3, 2, 3, padding=1)"``."""
    if not isinstance(text, str) or not text.strip():
        raise ConvGifError("--layer must be a constructor call such as 'Conv2d(3, 2, 3)'")
    source = text.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        raise ConvGifError(
            f"--layer={source!r} is not valid Python: write it as in code, e.g. 'Conv2d(3, 2, 3)'"
        ) from None
    call = tree.body
    if not isinstance(call, ast.Call):
        raise ConvGifError(
            f"--layer={source!r} must be a constructor call such as 'Conv2d(3, 2, 3)'"
        )
    name = _dotted(call.func)
    kinds = layer_kinds()
    short = name.rsplit(".", 1)[-1] if name else None
    if short not in kinds:
        raise ConvGifError(
            f"--layer names {name or 'an expression'!r}, must be one of {', '.join(kinds)} "
            "(with or without a prefix such as nn. or layers.)"
        )
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        raise ConvGifError(f"--layer={source!r}: *args and **kwargs are not allowed")
    try:
        args = [ast.literal_eval(a) for a in call.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise ConvGifError(
            f"--layer={source!r}: every argument must be a literal (number, string, tuple, "
            "True/False/None); nothing is evaluated"
        ) from None
    import inspect  # here: it costs a share of the command's start-up

    cls = kinds[short]
    try:
        inspect.signature(cls).bind(*args, **kwargs)
    except TypeError as error:
        raise ConvGifError(f"--layer={source!r}: {short}() {error}") from None
    kwargs.setdefault("seed", seed)
    return cls(*args, **kwargs)
