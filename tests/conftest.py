"""Shared test settings: a hypothesis profile for CI, and one that explores.

"ci" (the default) draws the same examples on every run, so a submission's CI result
does not depend on luck; "explore" draws new ones each run, to look for what the fixed
set misses: ``HYPOTHESIS_PROFILE=explore python -m pytest``.
"""

import os
import subprocess
import sys

import pytest
from hypothesis import settings

settings.register_profile("ci", deadline=None, print_blob=True, derandomize=True)
settings.register_profile("explore", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Keras, a test oracle, runs on the PyTorch backend (installed for the tests anyway).
os.environ.setdefault("KERAS_BACKEND", "torch")

# Commands the tests start import the tree under test, whichever copy is installed.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p
)


@pytest.fixture
def cli(tmp_path):
    """``cli(*args)``: ``python -m convgif ARGS`` run in ``tmp_path``, its output as text."""

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "convgif", *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)

    return run


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from Debian (``chromium``, ``chromium-driver``) driven by selenium,
    with nothing of its own going to the network and the console kept for the tests
    (``convgif.backends.browser``, which examples/player.py's screenshots use too)."""
    from convgif.backends.browser import headless_chromium

    with headless_chromium(1400, 1000, console=True) as driver:
        yield driver
