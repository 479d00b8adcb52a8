"""The command line's two speed promises.

1. ``convgif --help`` answers fast (median of 5 subprocess runs; target < 0.5 s):
   it must not import numpy, Pillow, matplotlib or torch.
2. ``convgif batch`` on a 12-entry TOML file, against rendering the same 12
   entries one after another in one process (wall time ratio; target <= 0.65).

Run: ``python benchmarks/bench_cli.py``
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENTRIES = [
    ("Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)", "3,7,7"),
    ("Conv2d(2, 2, 3, padding=1)", "2,6,6"),
    ("Conv2d(1, 2, 3, stride=2)", "1,9,9"),
    ("Conv2d(4, 2, 3, groups=2, padding=1)", "4,5,5"),
    ("Conv2d(1, 1, 3, padding=1, padding_mode='reflect')", "1,7,7"),
    ("Conv1d(2, 2, 3, padding=1)", "2,12"),
    ("ConvTranspose2d(1, 1, 3, stride=2)", "1,4,4"),
    ("ConvTranspose2d(2, 1, 3, stride=2, padding=1, output_padding=1)", "2,3,3"),
    ("MaxPool2d(2)", "2,8,8"),
    ("AvgPool2d(3, 2, padding=1)", "1,9,9"),
    ("Conv2d(3, 2, (3, 2), stride=(2, 1))", "3,7,6"),
    ("Conv2d(2, 3, 2, dilation=2)", "2,6,6"),
]


def help_time(runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "convgif", "--help"], check=True,
                       capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def batch_ratio(folder: Path) -> tuple[float, float, int]:
    toml = folder / "batch.toml"
    toml.write_text(
        "\n".join(
            f'[[render]]\nlayer = "{layer}"\ninput_shape = "{shape}"\noutput = "par/{i:02d}.gif"\n'
            for i, (layer, shape) in enumerate(ENTRIES)
        )
    )
    sequential = (
        "import sys, time\nfrom convgif.api import render\n"
        "from convgif.api.kinds import parse_layer\nfrom convgif.layers.parse import parse_shape\n"
        "entries = " + repr(ENTRIES) + "\nstart = time.perf_counter()\n"
        "for i, (layer, shape) in enumerate(entries):\n"
        "    render.animate(f'seq/{i:02d}.gif', parse_layer(layer), "
        "input_shape=parse_shape(shape))\n"
        "print(time.perf_counter() - start)\n"
    )
    # Both sides as whole processes, start-up included: that is what a user waits for.
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", sequential], check=True, cwd=folder,
                   capture_output=True)
    seq = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "convgif", "batch", "batch.toml", "--quiet"],
                   check=True, cwd=folder)
    par = time.perf_counter() - start
    for i in range(len(ENTRIES)):
        a = (folder / "seq" / f"{i:02d}.gif").read_bytes()
        b = (folder / "par" / f"{i:02d}.gif").read_bytes()
        assert a == b, f"entry {i}: batch and sequential renders differ"
    return seq, par, len(ENTRIES)


def main() -> None:
    median = help_time()
    print(f"convgif --help: {median * 1000:.0f} ms median of 5 runs (target < 500 ms)")
    with tempfile.TemporaryDirectory() as tmp:
        seq, par, n = batch_ratio(Path(tmp))
    print(
        f"batch of {n} renders on {os.cpu_count()} cores: {par:.2f} s vs one after another "
        f"{seq:.2f} s, ratio {par / seq:.2f} (target <= 0.65); outputs identical"
    )


if __name__ == "__main__":
    main()
