"""This checkout against an earlier commit (default fe7f868, before the pipeline was split
into stages): the headline render and the whole `convgif render` command, same machine,
same run, taking turns.

- render: ``layer.animate`` of the headline layer (Conv2d(3, 2, 3, stride=2, padding=1,
  dilation=2) on 3x7x7) to a GIF, inside one process, after a first warm-up render;
- command: ``python -m convgif render`` of the same layer, as a user types it (start-up,
  parsing, rendering, writing);
- size: the bytes and frames of the GIF that command writes.

Each figure is the median of RUNS turns. The ratio is this checkout over the baseline
(below 1: faster), the median of the turns' own ratios: the two runs of a turn are
seconds apart, so a busy spell on a shared machine slows both, where it would tip a
ratio of medians; the quartiles of the turns' ratios show the spread.

The baseline's source is taken from git into a temporary folder. Both
are compiled to bytecode first, as ``pip install`` leaves a user's copy: otherwise the
command would time Python compiling every module it imports (with
PYTHONDONTWRITEBYTECODE set, on every run), not convgif.

    python benchmarks/bench_baseline.py [COMMIT]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 15
REPEATS = 5  # renders per process, after the warm-up
RENDER = (
    "import sys, time, statistics\n"
    "import convgif\n"
    "layer = convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)\n"
    "out = sys.argv[1]\n"
    "layer.animate(out, input_shape=(3, 7, 7))\n"
    "times = []\n"
    f"for _ in range({REPEATS}):\n"
    "    start = time.perf_counter()\n"
    "    layer.animate(out, input_shape=(3, 7, 7))\n"
    "    times.append(time.perf_counter() - start)\n"
    "print(statistics.median(times))\n"
)
COMMAND = ["render", "--layer", "Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)",
           "--input-shape", "3,7,7", "--quiet", "-o"]


def checkout(commit: str, folder: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "convgif"],
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def render_seconds(source: Path, out: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(source)}
    result = subprocess.run([sys.executable, "-c", RENDER, str(out)], env=env, cwd=source,
                            capture_output=True, text=True, check=True)
    return float(result.stdout.split()[-1])


def command_seconds(source: Path, out: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(source)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "convgif", *COMMAND, str(out)], env=env, cwd=source,
                   check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    commit = sys.argv[1] if len(sys.argv) > 1 else "fe7f868"
    with tempfile.TemporaryDirectory() as folder:
        base = checkout(commit, Path(folder) / "base")
        for source in (ROOT, base):
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(source / "convgif")],
                           check=True, capture_output=True)
        out = Path(folder) / "out.gif"
        figures = {"render": ([], []), "command": ([], [])}
        for turn in range(RUNS):
            for name, measure in (("render", render_seconds), ("command", command_seconds)):
                # who goes first alternates: neither gains from the other warming caches
                order = ((0, ROOT), (1, base)) if turn % 2 == 0 else ((1, base), (0, ROOT))
                for side, source in order:
                    figures[name][side].append(measure(source, out))
        sizes = []
        for source in (ROOT, base):  # the GIF each writes: bytes and frames
            command_seconds(source, out)
            sizes.append((out.stat().st_size, gif_frames(out)))
    print(f"this checkout against {commit} (medians of {RUNS} turns; ratio below 1: faster)")
    for name, (ours, theirs) in figures.items():
        a, b = statistics.median(ours), statistics.median(theirs)
        ratios = [x / y for x, y in zip(ours, theirs)]
        low, mid, high = statistics.quantiles(ratios, n=4)
        print(f"  {name:8s} {a * 1000:7.1f} ms  vs  {b * 1000:7.1f} ms   ratio {mid:.2f}"
              f" (quartiles {low:.2f}-{high:.2f})")
    (a, fa), (b, fb) = sizes
    print(f"  size     {a / 1024:7.1f} KB  vs  {b / 1024:7.1f} KB   ratio {a / b:.2f}"
          f"   ({fa} frames vs {fb})")


def gif_frames(path: Path) -> int:
    from PIL import Image

    with Image.open(path) as image:
        return image.n_frames


if __name__ == "__main__":
    main()
