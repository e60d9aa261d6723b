"""Wall-clock timing of repeated calls, for the `bench perf` benchmarks: the warm-up timed apart, a GPU's queue drained."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch


def time_calls(call: Callable[[int], object], *, warmup: int, repeats: int, device: torch.device) -> tuple[float, float]:
    """Seconds of `repeats` calls after `warmup` calls (which pay for compiling, oneDNN primitives, autotuning), and
    the warm-up's own seconds; call(i) gets its index, 0 .. warmup + repeats - 1."""

    def run(indices: range) -> float:
        start = time.perf_counter()
        for i in indices:
            call(i)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return time.perf_counter() - start

    warmup_s = run(range(warmup))
    return run(range(warmup, warmup + repeats)), warmup_s
