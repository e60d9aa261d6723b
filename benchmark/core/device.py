"""Device choice and the fast path (bf16 autocast, channels_last), in one place."""

from __future__ import annotations

import contextlib
import functools
import platform
import random

import numpy as np
import torch

from gazebench.core.errors import UserInputError


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' -> cuda when present else cpu; 'cuda' without a GPU is a user error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserInputError(f"--device {name} was asked for, but no CUDA GPU is available; use --device cpu or auto.")
    if name not in ("cpu",) and not name.startswith("cuda"):
        raise UserInputError(f"Unknown device '{name}'; expected auto, cpu or cuda.")
    return torch.device(name)


@functools.cache
def cpu_bf16_native() -> bool:
    """Whether this CPU computes bf16 in hardware (AVX512-BF16 or AMX); elsewhere oneDNN emulates it, slower than fp32."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def cpu_identity() -> dict[str, object]:
    """The CPU's model, its vector instruction sets and the level torch's kernels dispatch to: trained numbers
    reproduce to the last digit on one kind of CPU, and differ in their last bits (then, through training, by more)
    on another."""
    fields = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    vector_sets = sorted(flag for flag in fields.get("flags", "").split() if flag.startswith(("avx", "amx", "fma")))
    return {"model": fields.get("model name", platform.processor() or platform.machine()), "vector_sets": vector_sets,
            "torch_capability": torch.backends.cpu.get_cpu_capability()}


def numerics_identity(device: torch.device) -> dict[str, object]:
    """What decides a fit's last bits besides its settings and data: the device, and on a CPU its kind and torch's
    thread count (both change oneDNN's kernels and the order of its sums). Fits kept for other runs to take up are
    named by it, so a run on another machine, or with other threads, trains its own."""
    if device.type == "cuda":
        return {"device": torch.cuda.get_device_name(device)}
    return {"device": device.type, "threads": torch.get_num_threads(), **cpu_identity()}


def bf16(device: torch.device, cpu_bf16: bool = False) -> bool:
    """Whether a component trains and predicts under bf16 autocast: always on CUDA; on the CPU when its setting
    `cpu_bf16` asks and the CPU has native bf16 (there it measured 1.8x (SimGAN) and 2.3x (gaze CNN) the fp32
    speed: results/perf/README.md). The run record names the precision each component used."""
    return device.type == "cuda" or (cpu_bf16 and device.type == "cpu" and cpu_bf16_native())


def autocast(device: torch.device, cpu_bf16: bool = False):
    """bf16 autocast where `bf16` says so; plain fp32 elsewhere."""
    if bf16(device, cpu_bf16):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def memory_format(device: torch.device, cpu_bf16: bool = False):
    """channels_last under bf16 (tensor cores, oneDNN's bf16 kernels); contiguous for fp32 on the CPU."""
    return torch.channels_last if bf16(device, cpu_bf16) else torch.contiguous_format


def optimizer_to(optimizer: torch.optim.Optimizer, device: torch.device) -> None:
    """Move an optimiser's state (Adam's moments) to `device`, after its parameters went there."""
    for state in optimizer.state.values():
        for key, value in state.items():
            if torch.is_tensor(value) and value.ndim:
                state[key] = value.to(device)


def seed_everything(seed: int) -> torch.Generator:
    """Seed python, numpy and torch; return a torch Generator for code that takes one explicitly."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
