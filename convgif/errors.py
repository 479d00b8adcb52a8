"""The one error convgif raises for bad input."""

from __future__ import annotations

NAME = "{name}"  # where a message names its parameter, spelled by the front door that shows it


class ConvGifError(ValueError):
    """An invalid layer, input or option, said in one line.

    The message names the argument, its value and the rule it breaks, e.g.
    ``groups=3 must divide in_channels=4``. ``param`` is the argument as Python
    spells it; a message that names it writes ``{name}`` in its place, so each
    front door names it in its own terms: ``str(error)`` gives the keyword
    (``input_shape=(2, 4) must ...``), ``error.named("--input-shape")`` the flag.
    """

    def __init__(self, message: str, param: str | None = None):
        if NAME in message and param is None:
            raise TypeError(f"a message that names its parameter needs param=: {message!r}")
        self.template = message
        self.param = param
        super().__init__(self.named(param))

    def __reduce__(self):  # across processes (a batch's workers) the parameter comes along
        return type(self), (self.template, self.param)

    def named(self, name: str | None) -> str:
        """The message with the parameter spelled ``name`` (its own name when None)."""
        return self.template.replace(NAME, name or self.param or NAME)


def refuse(param: str, value, rule: str) -> ConvGifError:
    """``param=value rule``: the usual form, e.g. ``refuse("stride", 0, "must be positive")``."""
    return ConvGifError(f"{NAME}={value!r} {rule}", param)
