"""Layer definitions: the spec and its checks, shape arithmetic, the layer-text parser."""

# The built-in default: the layer and input `convgif` draws when given none (the command
# line reads these without importing the parser).
DEFAULT_LAYER = "Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)"
DEFAULT_INPUT = "3,7,7"
