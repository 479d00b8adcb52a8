"""Input and output files: atomic writes, the format writers, input loaders."""
