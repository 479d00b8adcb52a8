"""convgif: see what a convolution layer does."""
