"""What ``convgif model FILE`` walks: a model from your own Python file, or a TOML stack.

``FILE.py NAME``: the file is *your code and is executed* (as ``python FILE.py`` would,
but with ``__name__`` set to ``"convgif_model"``, so its ``if __name__ == "__main__"``
block does not run); ``NAME`` is a ``torch.nn.Module`` in it, or a function or class
that builds one when called with no arguments. An ``INPUT_SHAPE`` in the file is the
input when ``input_shape`` is not given.

``FILE.toml``: nothing is executed. ``layers`` lists the layers as ``--layer`` takes
them (read by the same parser, literals only), ``input_shape`` gives the input::

    input_shape = [1, 32, 32]
    layers = ["Conv2d(1, 6, 5)", "MaxPool2d(2)", "Conv2d(6, 16, 5)", "MaxPool2d(2)"]
"""

from __future__ import annotations

import os
from pathlib import Path

from convgif.errors import NAME, ConvGifError, shown

TOML_KEYS = ("layers", "input_shape")
PARAM = "file"


def load_model(file, name=None, input_shape=None):
    """(the model or the stack of layer calls, the input shape) that ``file`` describes."""
    suffix = Path(os.fspath(file)).suffix.lower()
    if suffix == ".toml":
        if name is not None:
            raise ConvGifError(f"{NAME}={shown(os.fspath(file))}: a TOML model lists its "
                               f"layers; it takes no name (got {name!r})", PARAM)
        return _toml_stack(file, input_shape)
    if suffix != ".py":
        raise ConvGifError(f"{NAME}={shown(os.fspath(file))} must be a .py file (with the "
                           "name of a model in it) or a .toml file listing layers", PARAM)
    return _python_model(file, name, input_shape)


def _toml_stack(file, input_shape):
    from convgif.io.batchfile import read_toml

    try:
        table = read_toml(file)
    except ConvGifError as error:
        raise ConvGifError(error.template.replace("batch file", "model file", 1),
                           PARAM) from None
    unknown = sorted(set(table) - set(TOML_KEYS))
    if unknown:
        raise ConvGifError(f"{NAME}={shown(os.fspath(file))}: unknown key {unknown[0]!r}; a "
                           f"model file takes {', '.join(TOML_KEYS)}", PARAM)
    layers = table.get("layers")
    if not layers or not (isinstance(layers, str) or all(isinstance(s, str) for s in layers)):
        raise ConvGifError(f"{NAME}={shown(os.fspath(file))}: layers must list the layers as "
                           "--layer writes them, e.g. layers = [\"Conv2d(1, 6, 5)\", "
                           "\"MaxPool2d(2)\"]", PARAM)
    shape = input_shape if input_shape is not None else table.get("input_shape")
    if shape is None:
        raise ConvGifError(f"{NAME} is missing: give it, or input_shape in "
                           f"{os.fspath(file)}", "input_shape")
    return layers, shape


def _python_model(file, name, input_shape):
    import runpy

    path = Path(os.fspath(file))
    if not path.is_file():
        raise ConvGifError(f"{NAME}={shown(os.fspath(file))}: no such file", PARAM)
    if not name:
        raise ConvGifError(f"{NAME}={shown(os.fspath(file))}: name the model in it (a module, "
                           "or a function or class that builds one)", "name")
    try:
        space = runpy.run_path(str(path), run_name="convgif_model")
    except SystemExit:
        space = None
    except BaseException as error:  # noqa: BLE001 -- the user's code: one line, not a traceback
        if isinstance(error, KeyboardInterrupt):
            raise
        raise ConvGifError(f"{NAME}={shown(os.fspath(file))} failed when run: "
                           f"{type(error).__name__}: {error}", PARAM) from None
    if space is None or name not in space:
        found = sorted(k for k, v in (space or {}).items()
                       if not k.startswith("_") and (callable(v) or _is_module(v)))
        raise ConvGifError(f"{NAME}={name!r} is not in {os.fspath(file)}"
                           + (f"; it has {', '.join(found[:12])}" if found else ""), "name")
    model = _built(space[name], name)
    shape = input_shape if input_shape is not None else space.get("INPUT_SHAPE")
    if shape is None:
        raise ConvGifError(f"{NAME} is missing: give it, or INPUT_SHAPE in "
                           f"{os.fspath(file)}", "input_shape")
    return model, shape


def _is_module(value) -> bool:
    from convgif.api.network import is_torch_module

    return is_torch_module(value)


def _built(value, name: str):
    """The module itself, or what calling it with no arguments builds."""
    if _is_module(value):
        return value
    if not callable(value):
        raise ConvGifError(f"{NAME}={name!r} is a {type(value).__name__}: name a torch model, "
                           "or a function or class that builds one", "name")
    try:
        model = value()
    except Exception as error:  # noqa: BLE001 -- the user's code
        raise ConvGifError(f"{NAME}={name!r}: calling {name}() failed: "
                           f"{type(error).__name__}: {error} (it must build the model with "
                           "no arguments)", "name") from None
    if not _is_module(model):
        raise ConvGifError(f"{NAME}={name!r}: {name}() gave a {type(model).__name__}, not a "
                           "torch.nn.Module", "name")
    return model


__all__ = ["load_model"]
