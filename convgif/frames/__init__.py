"""Frames: which multiply-accumulates each frame shows, timing, sampling, budgets."""
