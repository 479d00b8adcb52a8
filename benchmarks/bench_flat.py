"""Cost per frame stays flat: late frames cost what early ones do, memory what the frame does.

(a) Time per frame (building the scene and painting it, as ``render.painted`` does in
    a render) over the last quarter of an animation, against the first quarter, for
    Conv2d(4, 4, 3, padding=1) on 4x16x16 (1,026 frames) and for the scatter view of
    ConvTranspose2d(1, 1, 3, stride=2) on 1x24x24. Target: at most 1.2.
(b) Peak memory (resident set, of a process that writes the GIF) of a 1,026-frame render
    against a 102-frame render of the same frame size (the same layer, --outputs 0-4,0-4:
    25 cells of each channel). Target: at most 1.2.

Medians of RUNS runs, the two cases of each figure taking turns.

    python benchmarks/bench_flat.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import convgif
from convgif.api import render

RUNS = 3
ROOT = Path(__file__).resolve().parent.parent
CASES = {
    "Conv2d(4, 4, 3, padding=1) on 4x16x16": (
        lambda: render.picture(convgif.Conv2d(4, 4, 3, padding=1), input_shape=(4, 16, 16),
                               step="output")
    ),
    "ConvTranspose2d(1, 1, 3, stride=2) on 1x24x24, scatter": (
        lambda: render.picture(convgif.ConvTranspose2d(1, 1, 3, stride=2),
                               input_shape=(1, 24, 24), view="scatter", step="output")
    ),
    # the same with no values: its values spill out of their cells, and where a newly
    # settled cell covers a neighbour's spilled text the painter repaints that region
    "the same, values='none'": (
        lambda: render.picture(convgif.ConvTranspose2d(1, 1, 3, stride=2),
                               input_shape=(1, 24, 24), view="scatter", step="output",
                               values="none")
    ),
}
# the full walk (step output): the default 30-second tour has too few frames to tell
LAYER = ["--layer", "Conv2d(4, 4, 3, padding=1)", "--input-shape", "4,16,16", "--quiet",
         "--step", "output"]
MEMORY = {"1,026 frames": [], "102 frames": ["--outputs", "0-4,0-4"]}


def quarter_ratio(make) -> tuple[float, int]:
    """Median ms per frame of the last quarter over that of the first; the frame count."""
    view = make()
    painter = render.painter_for(view)
    times, start = [], time.perf_counter()
    for _ in render.painted(view, painter):
        now = time.perf_counter()
        times.append(now - start)
        start = now
    q = len(times) // 4
    return statistics.median(times[-q:]) / statistics.median(times[:q]), len(times)


def peak_mb(extra: list[str], out: Path) -> float:
    """Peak resident memory (MB) of a process that renders the GIF."""
    code = (
        "import resource, sys\n"
        "from convgif.cli.main import main\n"
        "main(sys.argv[1:])\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    args = [sys.executable, "-c", code, "render", *LAYER, *extra, "-o", str(out)]
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True)
    return int(result.stdout.split()[-1]) / 1024


def main() -> None:
    print("(a) time per frame, last quarter / first quarter (target <= 1.2)")
    for name, make in CASES.items():
        runs = [quarter_ratio(make) for _ in range(RUNS)]
        ratios = [r for r, _ in runs]
        print(f"  {name}: {statistics.median(ratios):.2f} "
              f"(runs {', '.join(f'{r:.2f}' for r in ratios)}; {runs[0][1]} frames)")
    print("(b) peak memory of the render command (target: long / short <= 1.2)")
    peaks = {name: [] for name in MEMORY}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(RUNS):
            for name, extra in MEMORY.items():
                peaks[name].append(peak_mb(extra, Path(folder) / "m.gif"))
    long, short = (statistics.median(v) for v in peaks.values())
    for name, values in peaks.items():
        print(f"  {name}: {statistics.median(values):.0f} MB")
    print(f"  ratio: {long / short:.2f}")


if __name__ == "__main__":
    main()
