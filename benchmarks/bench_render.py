"""What rendering costs next to encoding the same frames.

For each layer: ``convgif.render.animate`` to a GIF (simulate, lay out, paint,
encode), against Pillow alone encoding the very same palette-index frames
(painted beforehand, untimed: P-mode images with the same palette,
``save_all`` with ``optimize=False``). Then the whole ``convgif render``
command as a subprocess, and the GIF's size.

Targets (DESIGN.md §4 and the renderer issue): render / encode <= 1.5,
whole command < 0.6 s, default GIF < 80 KB.

Each time is the median of up to RUNS runs; a slow case (the 4x12x12 layer has
578 frames of 1309x1413 and one render takes seconds) stops after a time
budget, since one long run already averages out the noise that many short ones
need. Every render starts with a new painter (empty caches), as the command does.

    python benchmarks/bench_render.py            # add --profile to profile render.animate
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

import convgif
from convgif.api import render
from convgif.io import gif

RUNS = 7
BUDGET = 3.0  # seconds per measurement after which no further run is started
CASES = [
    ("Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)", (3, 7, 7),
     lambda: convgif.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2)),
    ("Conv2d(4, 4, 3, padding=1)", (4, 12, 12), lambda: convgif.Conv2d(4, 4, 3, padding=1)),
    # The transposed headline: the classic "which map is which" picture.
    ("ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1)", (1, 3, 3),
     lambda: convgif.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1)),
]


def median_times(*fns, runs=RUNS, budget=BUDGET) -> list[tuple[float, int]]:
    """(median seconds, runs made) of each function: up to ``runs`` rounds, none started
    after ``budget`` seconds. The functions take turns, so a busy spell on a shared
    machine slows them alike instead of skewing their ratio."""
    times = [[] for _ in fns]
    while len(times[0]) < runs and sum(times[0]) < budget:
        for fn, spent in zip(fns, times):
            start = time.perf_counter()
            fn()
            spent.append(time.perf_counter() - start)
    return [(statistics.median(spent), len(spent)) for spent in times]


def pillow_encode(path, frames, palette, durations) -> None:
    flat = bytes(v for rgb in palette for v in rgb)
    images = []
    for frame in frames:
        image = Image.frombytes("P", (frame.shape[1], frame.shape[0]), frame.tobytes())
        image.putpalette(flat)
        images.append(image)
    images[0].save(path, save_all=True, append_images=images[1:], optimize=False,
                   duration=durations, loop=0)


def bench(text: str, shape, make, folder: Path, profile: bool) -> None:
    layer = make()
    ours, pillows = folder / "render.gif", folder / "pillow.gif"

    # the very same frames, painted first and untimed
    pic = render.picture(layer, input_shape=shape)
    painter = render.painter_for(pic)  # the style with the colours the picture adds
    frames = list(render.painted(pic, painter))
    durations = render.durations(pic)

    (t_render, n_render), (t_encode, n_encode) = median_times(
        lambda: render.animate(ours, layer, input_shape=shape),
        lambda: pillow_encode(pillows, frames, painter.palette, durations),
    )

    shape_arg = ",".join(map(str, shape))
    command = [sys.executable, "-m", "convgif", "render", "--layer", text,
               "--input-shape", shape_arg, "-o", "tmp.gif"]

    # As installed: Python's bytecode cache on (this machine's shell turns it off with
    # PYTHONDONTWRITEBYTECODE, which would time compiling convgif, not running it).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def run_command():
        subprocess.run(command, cwd=folder, check=True, capture_output=True, env=env)

    run_command()  # writes the bytecode cache
    (t_command, n_command), = median_times(run_command)
    h, w = frames[0].shape
    print(f"{text} on {shape}: {len(frames)} frames of {w}x{h}")
    print(f"  render.animate        : {t_render * 1e3:8.1f} ms  "
          f"({t_render / len(frames) * 1e3:.1f} ms/frame; {n_render} runs)")
    print(f"  Pillow encode alone   : {t_encode * 1e3:8.1f} ms  ({n_encode} runs)")
    print(f"  ratio render/encode   : {t_render / t_encode:8.2f}   (target <= 1.5)")
    print(f"  `convgif render` wall : {t_command * 1e3:8.1f} ms  (target < 600 ms; "
          f"{n_command} runs)")
    print(f"  GIF size              : {ours.stat().st_size / 1024:8.1f} KB  "
          f"(Pillow's: {pillows.stat().st_size / 1024:.1f} KB; target < 80 KB)")
    # where the bytes go: the first frame whole, then each frame's change from the one before
    clear = len(painter.palette)
    first = len(gif.lzw_image(frames[0], 0, 0))
    changes = [gif.delta(a, b, clear) for a, b in zip(frames, frames[1:])]
    changed = [len(gif.lzw_image(*c)) for c in changes if c is not None]
    print(f"  of which              : first frame {first / 1024:.1f} KB, {len(changed)} changes "
          f"{sum(changed) / 1024:.1f} KB ({sum(changed) / len(changed) / 1024:.1f} KB each)")
    if t_render / t_encode > 1.5 and not profile:
        print("  (over target: --profile shows where the time goes)")
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        render.animate(ours, layer, input_shape=shape)
        profiler.disable()
        print("  hot spots (cumulative):")
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(18)
        stats.sort_stats("tottime").print_stats(12)


def main() -> None:
    profile = "--profile" in sys.argv[1:]
    print(f"median of up to {RUNS} runs (fewer once a measurement has taken {BUDGET:.0f} s)")
    with tempfile.TemporaryDirectory() as folder:
        for text, shape, make in CASES:
            bench(text, shape, make, Path(folder), profile)


if __name__ == "__main__":
    main()
