"""Throughput of one full SimGAN iteration (one refiner update + one discriminator update), fast path vs fp32 eager."""

from __future__ import annotations

import resource
from typing import Any

import torch

from gazebench.core.device import bf16
from gazebench.core.timing import time_calls
from gazebench.refiners.simgan_local import SimGANLocalRefiner

WARMUP_ITERS = 3  # the first iterations pay for oneDNN primitive creation / CUDA autotuning / compilation


def _measure(
    refiner: SimGANLocalRefiner, device: torch.device, batch: int, iters: int, seed: int, compile: bool | None = None
) -> tuple[float, float]:
    """Images per second of `iters` iterations, counting the `batch` images each update processes, and the
    seconds the warm-up iterations took (with torch.compile, mostly compiling)."""
    generator = torch.Generator().manual_seed(seed)
    data = (torch.rand(4 * batch, 1, *refiner._config.image_size, generator=generator) * 2 - 1).to(device)
    data = data.contiguous(memory_format=refiner._memory_format(device))
    refiner.prepare_training(device, compile=compile)

    def iteration(_index: int) -> None:
        refiner.refiner_update(refiner._batch(data, batch), adversarial=True)
        refiner.discriminator_update(data, data)

    seconds, warmup_s = time_calls(iteration, warmup=WARMUP_ITERS, repeats=iters, device=device)
    return round(2 * batch * iters / seconds, 1), round(warmup_s, 1)


def benchmark_refiner(
    device: torch.device, *, preset: str = "cpu", batch: int | None = None, iters: int = 10, seed: int = 0,
    compare_eager: bool = True,
) -> dict[str, Any]:
    """The fast path's images/s and peak memory; with `compare_eager`, in the same process and at the same sizes,
    plain fp32 eager contiguous and, where the fast path does not compile already, the fast path under torch.compile
    (the compile itself happens in the warm-up iterations and is timed separately)."""
    overrides = {} if batch is None else {"batch_size": batch}
    fast = SimGANLocalRefiner.from_preset(preset, seed=seed, **overrides)
    cfg = fast._config
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    result: dict[str, Any] = {
        "device": str(device) if device.type == "cpu" else torch.cuda.get_device_name(device),
        "preset": preset,
        "batch": cfg.batch_size,
        "iters": iters,
        "refiner_channels": cfg.refiner_channels,
        "refiner_blocks": cfg.refiner_blocks,
        "torch_threads": torch.get_num_threads(),
        "iteration": "1 refiner update (R fwd+bwd through D) + 1 discriminator update; images/s counts 2 x batch",
        "fast_path": {
            "dtype": "bf16 autocast" if bf16(device, cfg.cpu_bf16) else "fp32",
            "memory_format": "channels_last",
            "compiled": fast.compiles_by_default(device),
        },
    }
    result["fast_path"]["images_per_s"], result["fast_path"]["warmup_s"] = _measure(fast, device, cfg.batch_size, iters, seed)
    if device.type == "cuda":
        result["peak_memory_mb"] = round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
    if compare_eager:
        eager = SimGANLocalRefiner.from_preset(preset, seed=seed, **overrides)
        eager.fast_path = False
        speed, warmup = _measure(eager, device, cfg.batch_size, iters, seed)
        result["fp32_eager"] = {
            "dtype": "fp32", "memory_format": "contiguous", "compiled": False, "images_per_s": speed, "warmup_s": warmup
        }
        result["speedup_vs_fp32_eager"] = round(result["fast_path"]["images_per_s"] / speed, 3)
        if not result["fast_path"]["compiled"]:
            compiled = SimGANLocalRefiner.from_preset(preset, seed=seed, **overrides)
            speed_compiled, warmup = _measure(compiled, device, cfg.batch_size, iters, seed, compile=True)
            result["fast_path_compiled"] = {**result["fast_path"], "compiled": True, "images_per_s": speed_compiled,
                                            "warmup_s": warmup}
            result["compiled_speedup_vs_fp32_eager"] = round(speed_compiled / speed, 3)
    if device.type == "cpu":
        # ru_maxrss is KiB on Linux: the whole process's peak, the only CPU peak worth quoting.
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result
