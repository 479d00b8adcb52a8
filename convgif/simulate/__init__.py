"""Simulation: the trace of every multiply-accumulate, and the arithmetic built on it."""
