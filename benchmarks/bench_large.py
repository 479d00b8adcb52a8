"""A big layer, shown in part: Conv2d(64, 128, 3, padding=1) on 64x56x56,
with --channels 0-3 --max-frames 200.

Prints the whole-process wall time, CPU time (user + system: steadier than wall
time on a shared machine) and peak resident memory of the `convgif render` command
(targets: under 10 s and 400 MB on a 2-core machine), and, as the baseline measured
in the same run, the same command writing a 200-frame render of a small layer. The
convgif imported is the one this script sits beside.

    python benchmarks/bench_large.py
"""

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LARGE = ["--layer", "Conv2d(64, 128, 3, padding=1)", "--input-shape", "64,56,56",
         "--channels", "0-3", "--max-frames", "200"]
SMALL = ["--layer", "Conv2d(3, 2, 3, padding=1)", "--input-shape", "3,10,10",
         "--max-frames", "200"]


ROOT = Path(__file__).resolve().parent.parent  # `python -m convgif` from here imports it


def run(args, out: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one `convgif render` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "convgif", "render", *args, "--quiet", "-o", str(out)],
                   check=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return seconds, cpu, max(after.ru_maxrss, before.ru_maxrss) / 1024


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        base_s, base_cpu, base_mb = run(SMALL, Path(folder) / "small.gif")
        big_s, big_cpu, big_mb = run(LARGE, Path(folder) / "large.gif")
        size = (Path(folder) / "large.gif").stat().st_size / 1024
    print(f"baseline (Conv2d(3, 2, 3) on 3x10x10, 200 frames): {base_s:6.2f} s "
          f"({base_cpu:.2f} s CPU), {base_mb:6.0f} MB")
    print(f"large (Conv2d(64, 128, 3) on 64x56x56, 200 frames): {big_s:6.2f} s "
          f"({big_cpu:.2f} s CPU), {big_mb:6.0f} MB  (targets < 10 s, < 400 MB), {size:.0f} KB")
    print(f"ratio large / baseline time: {big_s / base_s:.2f}")


if __name__ == "__main__":
    main()
