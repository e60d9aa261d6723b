"""Device choice and the GPU fast path (bf16 autocast, channels_last), in one place."""

from __future__ import annotations

import contextlib
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


def autocast(device: torch.device):
    """bf16 autocast on CUDA; plain fp32 on CPU (CPU bf16 is slower on most 2-core machines)."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def memory_format(device: torch.device):
    """channels_last pays on CUDA tensor cores; contiguous elsewhere."""
    return torch.channels_last if device.type == "cuda" else torch.contiguous_format


def seed_everything(seed: int) -> torch.Generator:
    """Seed python, numpy and torch; return a torch Generator for code that takes one explicitly."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
