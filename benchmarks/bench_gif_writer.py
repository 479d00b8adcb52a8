"""convgif's streaming GIF writer against Pillow's save_all, on the same frames.

About 20 frames of a ~1000x600 palette image (a painted grid of numbered
cells) where a few cells change per frame. Both writers get the same P-mode
frames and palette; Pillow with optimize=False so it keeps that palette.

    python benchmarks/bench_gif_writer.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from convgif.backends.raster import RasterPainter
from convgif.io.gif import write_gif
from convgif.views.scene import Box, Scene, Text

N_FRAMES = 20
ROWS, COLS, CELL = 15, 28, 34


def make_frames():
    painter = RasterPainter("default")
    static = [Text(500, 20, "Input shape : (3, 7, 7) - Output shape : (2, 3, 3) - K : (3, 3)", 16)]
    for i in range(ROWS):
        for j in range(COLS):
            x, y = 20 + CELL * j, 40 + CELL * i
            static.append(Box(x, y, CELL, CELL, fill="input", edge="grid"))
            static.append(Text(x + CELL / 2, y + CELL / 2, str((i * 7 + j * 3) % 19 - 9), 12))
    static = tuple(static)
    frames = []
    for k in range(N_FRAMES):
        dynamic = []
        for t in range(3):  # a 3-cell window moves; one output cell is written
            x, y = 20 + CELL * (k + t), 40 + CELL * (k % 5)
            dynamic.append(Box(x, y, CELL, CELL, fill="tap", edge="window", edge_width=2))
            dynamic.append(Text(x + CELL / 2, y + CELL / 2, str(t - 1), 12))
        dynamic.append(Text(500, 600 - 14, f"y[0,0,{k}] = 1·2 + 0·(−1) + … = {k * 3 - 7}", 15))
        frames.append(painter.paint(Scene(1000, 600, static, tuple(dynamic))))
    return painter.palette, frames


def main() -> None:
    palette, frames = make_frames()
    durations = [100] * (N_FRAMES - 1) + [2000]
    flat = bytes(v for rgb in palette for v in rgb)
    with tempfile.TemporaryDirectory() as folder:
        ours, pillows = Path(folder) / "convgif.gif", Path(folder) / "pillow.gif"

        best_ours = best_pillow = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            write_gif(ours, iter(frames), palette, durations)
            best_ours = min(best_ours, time.perf_counter() - start)

            start = time.perf_counter()
            images = []
            for frame in frames:
                image = Image.frombytes("P", (frame.shape[1], frame.shape[0]), frame.tobytes())
                image.putpalette(flat)
                images.append(image)
            images[0].save(
                pillows,
                save_all=True,
                append_images=images[1:],
                optimize=False,
                duration=durations,
                loop=0,
            )
            best_pillow = min(best_pillow, time.perf_counter() - start)

        h, w = frames[0].shape
        print(f"{N_FRAMES} frames of {w}x{h}, {len(palette)} colours (best of 3)")
        print(f"convgif write_gif : {best_ours * 1e3:8.1f} ms  {ours.stat().st_size:9,d} bytes")
        print(
            f"Pillow save_all   : {best_pillow * 1e3:8.1f} ms  {pillows.stat().st_size:9,d} bytes"
        )
        print(f"time ratio convgif/Pillow: {best_ours / best_pillow:.2f}")
        print(f"size ratio convgif/Pillow: {ours.stat().st_size / pillows.stat().st_size:.2f}")
        # both must show the same pictures
        rgb = np.array(palette, dtype=np.uint8)
        a, b = Image.open(ours), Image.open(pillows)
        for k in range(N_FRAMES):
            a.seek(k)
            b.seek(k)
            assert np.array_equal(np.asarray(a.convert("RGB")), rgb[frames[k]])
            assert np.array_equal(np.asarray(b.convert("RGB")), rgb[frames[k]])
        print("decoded frames identical to the painted ones: yes")


if __name__ == "__main__":
    main()
