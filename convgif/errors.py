"""The one error convgif raises for bad input."""


class ConvGifError(ValueError):
    """An invalid layer, input or option.

    The message names the argument, its value and the rule it breaks, e.g.
    ``groups=3 must divide in_channels=4``; the CLI prints it as one line.
    """
