"""Layer definitions: the spec and its checks, shape arithmetic, the layer-text parser."""
