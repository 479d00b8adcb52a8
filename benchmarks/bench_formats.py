"""The same animation in every raster format: time to write and size, against the GIF.

Each layer is rendered to .gif, .webp (lossless), .apng, .html (the step-through
player) and .mp4 (when the ``mp4`` extra is installed) through ``render.animate``;
times are medians of alternating runs, so a busy spell slows every format alike.
GIF is the baseline of both ratios.

    python benchmarks/bench_formats.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import convgif
from convgif.api import render

RUNS = 5
CASES = [
    ((3, 7, 7), lambda: convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)),
    ((1, 3, 3), lambda: convgif.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1)),
]


def formats() -> list[str]:
    try:
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        return [".gif", ".webp", ".apng", ".html"]
    return [".gif", ".webp", ".apng", ".html", ".mp4"]


def main() -> None:
    suffixes = formats()
    print(f"median of {RUNS} runs; ratios against the GIF")
    with tempfile.TemporaryDirectory() as folder:
        for shape, make in CASES:
            layer = make()
            paths = [Path(folder) / f"anim{suffix}" for suffix in suffixes]
            times: list[list[float]] = [[] for _ in paths]
            for _ in range(RUNS):
                for path, spent in zip(paths, times):
                    start = time.perf_counter()
                    render.animate(path, layer, input_shape=shape)
                    spent.append(time.perf_counter() - start)
            print(f"{layer!r} on {shape}")
            base_time = statistics.median(times[0])
            base_size = paths[0].stat().st_size
            for path, spent in zip(paths, times):
                t, size = statistics.median(spent), path.stat().st_size
                print(f"  {path.suffix:6}{t * 1e3:8.0f} ms ({t / base_time:4.1f}x)"
                      f"{size / 1024:9.1f} KB ({size / base_size:4.2f}x)")


if __name__ == "__main__":
    main()
