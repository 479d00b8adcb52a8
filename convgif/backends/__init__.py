"""Backends: styles, fonts, the raster painter and the vector (matplotlib) painter."""
