"""Benchmark the MAC records of a trace against torch's own convolution.

1. Every MAC of Conv2d(16, 32, 3, padding=1) on a (16, 32, 32) input
   (4.7 million records, through ``trace.iter_macs()``): target < 2 s and a
   peak below 500 MB (tracemalloc).
2. The MACs of one output cell of Conv2d(64, 64, 3, padding=1) on (64, 56, 56)
   (``trace.cell_macs``, median of many calls): target < 1 ms.

The baseline, measured in the same run, is ``torch.nn.functional.conv2d`` on
the same layer and input; the ratio is printed.

    python benchmarks/bench_trace.py
"""

from __future__ import annotations

import statistics
import time
import tracemalloc

import numpy as np
import torch
import torch.nn.functional as F

import convgif


def torch_time(layer, x, repeat=20) -> float:
    xt, wt, bt = (torch.from_numpy(a) for a in (x, layer.weight, layer.bias))
    F.conv2d(xt, wt, bt, padding=1)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        F.conv2d(xt, wt, bt, padding=1)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def full_enumeration() -> bool:
    layer = convgif.Conv2d(16, 32, 3, padding=1)
    x = layer.example_input((16, 32, 32))
    tracemalloc.start()
    t0 = time.perf_counter()
    trace = layer.trace(x)
    t1 = time.perf_counter()
    count = 0
    checksum = 0.0
    for chunk in trace.iter_macs():
        count += len(chunk)
        checksum += chunk["product"].sum()
    t2 = time.perf_counter()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == trace.num_macs == layer.mac_count((16, 32, 32))
    assert checksum == (trace.y - trace.bias[None, :, None, None]).sum()
    base = torch_time(layer, x)
    total = t2 - t0
    print(f"full enumeration: {count:,} MACs of {layer!r} on (16, 32, 32)")
    print(f"  simulate {t1 - t0:.3f} s + iter_macs {t2 - t1:.3f} s = {total:.3f} s "
          f"(target < 2 s), peak {peak / 2**20:.0f} MB (target < 500 MB)")
    print(f"  torch F.conv2d {base * 1e3:.3f} ms; ratio {total / base:,.0f}x")
    return total < 2 and peak < 500 * 2**20


def one_cell() -> bool:
    layer = convgif.Conv2d(64, 64, 3, padding=1)
    x = layer.example_input((64, 56, 56))
    trace = layer.trace(x)
    rng = np.random.default_rng(0)
    times = []
    for _ in range(500):
        oc, oy, ox = (int(v) for v in rng.integers(0, (64, 56, 56)))
        t0 = time.perf_counter()
        macs = trace.cell_macs(0, oc, oy, ox)
        times.append(time.perf_counter() - t0)
        assert macs["running_sum"][-1] + trace.bias[oc] == trace.y[0, oc, oy, ox]
    median = statistics.median(times)
    base = torch_time(layer, x)
    print(f"one cell: {len(macs)} MACs of {layer!r} on (64, 56, 56)")
    print(f"  cell_macs median {median * 1e3:.3f} ms over 500 calls (target < 1 ms)")
    print(f"  torch F.conv2d (whole layer) {base * 1e3:.3f} ms; ratio {median / base:.3f}x")
    return median < 1e-3


if __name__ == "__main__":
    ok = [full_enumeration(), one_cell()]
    print("targets met" if all(ok) else "TARGET MISSED")
