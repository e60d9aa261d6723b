"""Throughput of the gaze CNN's training step at a preset's sizes: its fast path against plain fp32 contiguous."""

from __future__ import annotations

from typing import Any

import torch

from gazebench.core.device import bf16, memory_format
from gazebench.core.geometry import pitchyaw_to_vector
from gazebench.core.images import CANONICAL_SIZE
from gazebench.core.presets import preset_section
from gazebench.core.timing import time_calls
from gazebench.estimators.cnn import GazeNet, training_step

WARMUP_STEPS = 5  # oneDNN creates its primitives in the first steps


def _images_per_s(settings: dict[str, Any], device: torch.device, cpu_bf16: bool, steps: int, seed: int) -> float:
    """Training images per second over `steps` steps of one batch each, after the warm-up steps; same seed, same data."""
    generator = torch.Generator().manual_seed(seed)
    batch = settings["batch_size"]
    x = (torch.rand(batch, 1, *CANONICAL_SIZE, generator=generator) * 2 - 1).to(device)
    x = x.contiguous(memory_format=memory_format(device, cpu_bf16))
    targets = pitchyaw_to_vector((torch.rand(batch, 2, generator=generator) - 0.5) * 0.8).to(device)
    torch.manual_seed(seed)
    net = GazeNet(CANONICAL_SIZE, tuple(settings["channels"]), settings["fc_hidden"], settings["batch_norm"])
    net.to(device, memory_format=memory_format(device, cpu_bf16)).train()
    optimizer = torch.optim.Adam(net.parameters(), lr=settings["lr"])
    seconds, _ = time_calls(lambda i: training_step(net, optimizer, x, targets, cpu_bf16), warmup=WARMUP_STEPS,
                            repeats=steps, device=device)
    return round(batch * steps / seconds, 1)


def benchmark_cnn(device: torch.device, *, preset: str = "cpu", steps: int = 50, seed: int = 0) -> dict[str, Any]:
    """The preset's training path (bf16 and channels_last where core/device.bf16 says so) and plain fp32 contiguous,
    one after the other in this process, at the preset's widths and batch."""
    settings = preset_section(preset, "cnn")
    fast = bf16(device, settings["cpu_bf16"])
    result: dict[str, Any] = {
        "device": str(device) if device.type == "cpu" else torch.cuda.get_device_name(device),
        "preset": preset, "batch": settings["batch_size"], "steps": steps, "channels": list(settings["channels"]),
        "torch_threads": torch.get_num_threads(),
        "preset_path": {"dtype": "bf16 autocast" if fast else "fp32",
                        "memory_format": "channels_last" if fast else "contiguous",
                        "images_per_s": _images_per_s(settings, device, settings["cpu_bf16"], steps, seed)},
    }
    if device.type == "cpu":
        plain = _images_per_s(settings, device, False, steps, seed)
        result["fp32_contiguous"] = {"dtype": "fp32", "memory_format": "contiguous", "images_per_s": plain}
        result["speedup_vs_fp32"] = round(result["preset_path"]["images_per_s"] / plain, 3)
    return result
