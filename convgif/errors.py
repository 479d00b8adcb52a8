"""The one error convgif raises for bad input."""

from __future__ import annotations

import re
from collections.abc import Mapping

NAME = "{name}"  # where a message names its parameter, spelled by the front door that shows it
_OTHER = re.compile(r"\{name:([A-Za-z_]\w*)\}")  # another parameter the message names
_BRACE = "\ue000"  # a "{" of the user's own text (see ``shown``), never a placeholder


def shown(value) -> str:
    """``repr(value)`` for a message: braces in a user's text (``--layer 'Conv2d({name})'``)
    are quoted back as they are, never read as a parameter's placeholder."""
    return repr(value).replace("{", _BRACE)


def name_of(param: str) -> str:
    """The placeholder for a second parameter a message names, e.g. ``name_of("input_shape")``.

    ``f"give {NAME} or {name_of('input_shape')}, not both"`` reads ``give input or
    input_shape, not both`` from Python and ``give --input or --input-shape, not both``
    on the command line.
    """
    return f"{{name:{param}}}"


class ConvGifError(ValueError):
    """An invalid layer, input or option, said in one line.

    The message names the argument, its value and the rule it breaks, e.g.
    ``groups=3 must divide in_channels=4``. ``param`` is the argument as Python
    spells it; a message that names it writes ``{name}`` in its place (and
    ``{name:other}``, see ``name_of``, for any other argument it names), so each
    front door names it in its own terms: ``str(error)`` gives the keyword
    (``input_shape=(2, 4) must ...``), ``error.named("--input-shape")`` the flag,
    and ``error.spelled({"input_shape": "--input-shape", ...})`` every name at once.
    A message without ``param`` is shown as it is.
    """

    def __init__(self, message: str, param: str | None = None):
        self.template = message
        self.param = param
        super().__init__(self.spelled({}))

    def __reduce__(self):  # across processes (a batch's workers) the parameter comes along
        return type(self), (self.template, self.param)

    def named(self, name: str | None) -> str:
        """The message with the parameter spelled ``name`` (its own name when None)."""
        return self.spelled({self.param: name} if name and self.param else {})

    def spelled(self, names: Mapping[str, str]) -> str:
        """The message with each parameter it names spelled as ``names`` has it
        (a parameter ``names`` lacks keeps its Python name)."""
        text = self.template
        if self.param is not None:
            text = text.replace(NAME, names.get(self.param) or self.param)
        return _OTHER.sub(lambda m: names.get(m[1]) or m[1], text).replace(_BRACE, "{")


def refuse(param: str, value, rule: str) -> ConvGifError:
    """``param=value rule``: the usual form, e.g. ``refuse("stride", 0, "must be positive")``."""
    return ConvGifError(f"{NAME}={shown(value)} {rule}", param)


def in_context(error: ConvGifError, prefix: str, param: str | None = None) -> ConvGifError:
    """``prefix: error`` as one error about ``param``; the inner message keeps naming its own
    parameters, so each front door still spells them (e.g. ``--input='x.npy': input has ...``)."""
    inner = error.template
    if error.param is not None:
        inner = inner.replace(NAME, name_of(error.param))
    return ConvGifError(f"{prefix}: {inner}", param)
