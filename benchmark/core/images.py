"""Image conventions: the one place that converts what a source ships into what models see.

Sources hand out uint8 grey arrays (N, H, W) at their native size (36 x 60 for MPIIGaze).
Models see float32 tensors N x 1 x 35 x 55 in [-1, 1] (the paper's size).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

CANONICAL_SIZE = (35, 55)  # (H, W), as in the SimGAN paper


CONVERT_CHUNK = 1024  # images converted at once: the float copies and resampling temporaries of 10k images at
# once raised a run's peak memory by about 0.3 GB; per image the result is the same


def to_model_tensor(images: np.ndarray, size: tuple[int, int] = CANONICAL_SIZE) -> torch.Tensor:
    """uint8 (N, H, W) -> float32 (N, 1, *size) in [-1, 1], resized with area-aware bilinear."""
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"expected grey images of shape (N, H, W), got {tuple(images.shape)}")
    out = torch.empty((len(images), 1, *size), dtype=torch.float32)
    for start in range(0, len(images), CONVERT_CHUNK):
        x = torch.as_tensor(images[start : start + CONVERT_CHUNK], dtype=torch.float32).unsqueeze(1) / 127.5 - 1.0
        if tuple(x.shape[-2:]) != tuple(size):
            x = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)
        out[start : start + CONVERT_CHUNK] = x.clamp_(-1.0, 1.0)
    return out


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """float (N, 1, H, W) or (N, H, W) in [-1, 1] -> uint8 (N, H, W), for saving and grids."""
    x = images.detach().float().cpu()
    if x.ndim == 4:
        x = x[:, 0]
    return ((x.clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8).numpy()
