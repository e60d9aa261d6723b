"""Gaze-keeping photometric augmentations for training the gaze CNN, applied to whole batches at once.

Real eyes differ from renders in blur, sensor noise, contrast, gamma and resolution (MPIIGaze crops are
upsampled from small faces); none of these moves the gaze. Geometric augmentations are left out on purpose:
shifting a 35x55 crop by 2 px moves the apparent gaze by about 11 degrees (the iris moves, the label does not).
Images are N x 1 x H x W in [-1, 1]; every draw comes from the caller's generator, so training stays seeded.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

AUGMENTATIONS = ("none", "photometric")

# Ranges, each chosen to cover the spread between renders and MPIIGaze crops without destroying the iris.
GAMMA_LOG_STD = 0.25  # gamma = exp(N(0, 0.25)): about 0.6 to 1.6
CONTRAST = (0.6, 1.4)  # multiplies the deviation from each image's mean
BRIGHTNESS = 0.15  # added, uniform in +-0.15 (in [-1, 1] units)
BLUR_SIGMA = (0.0, 1.2)  # px, gaussian, drawn per image
NOISE_STD = (0.0, 0.08)  # additive gaussian noise, drawn per image
RESCALE = (0.4, 1.0)  # down to this fraction of the size and back up, per batch (one factor for the chosen images)
P_BLUR, P_RESCALE = 0.5, 0.3


def _uniform(n: int, bounds: tuple[float, float], generator: torch.Generator, device) -> torch.Tensor:
    low, high = bounds
    return (low + (high - low) * torch.rand(n, generator=generator)).to(device)


def _blur(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Separable 5-tap gaussian, one sigma per image (sigma 0 leaves the image unchanged), as a grouped conv."""
    n = x.shape[0]
    taps = torch.arange(-2, 3, dtype=x.dtype, device=x.device)
    weights = torch.exp(-0.5 * (taps[None] / sigma.clamp_min(1e-3)[:, None]) ** 2)
    weights = weights / weights.sum(1, keepdim=True)  # (n, 5); sigma -> 0 gives a unit impulse
    images = x.reshape(1, n, *x.shape[-2:])
    images = F.conv2d(F.pad(images, (2, 2, 0, 0), mode="replicate"), weights[:, None, None, :], groups=n)
    images = F.conv2d(F.pad(images, (0, 0, 2, 2), mode="replicate"), weights[:, None, :, None], groups=n)
    return images.reshape_as(x)


def _rescale(x: torch.Tensor, factor: float) -> torch.Tensor:
    h, w = x.shape[-2:]
    small = F.interpolate(x, size=(max(2, round(h * factor)), max(2, round(w * factor))), mode="bilinear",
                          align_corners=False, antialias=True)
    return F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)


def photometric(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Gamma, contrast, brightness, blur, down-and-up scaling and noise; the gaze label stays valid."""
    n, device = x.shape[0], x.device
    unit = ((x.float() + 1) / 2).clamp(0, 1)
    gamma = torch.exp(GAMMA_LOG_STD * torch.randn(n, generator=generator)).to(device)
    unit = unit.clamp_min(1e-4) ** gamma[:, None, None, None]
    mean = unit.mean(dim=(1, 2, 3), keepdim=True)
    contrast = _uniform(n, CONTRAST, generator, device)[:, None, None, None]
    brightness = _uniform(n, (-BRIGHTNESS, BRIGHTNESS), generator, device)[:, None, None, None] / 2
    out = (mean + contrast * (unit - mean) + brightness) * 2 - 1
    blurred = torch.rand(n, generator=generator).to(device) < P_BLUR
    sigma = _uniform(n, BLUR_SIGMA, generator, device) * blurred
    out = _blur(out, sigma)
    rescaled = (torch.rand(n, generator=generator) < P_RESCALE).to(device)
    factor = float(_uniform(1, RESCALE, generator, "cpu"))
    if bool(rescaled.any()):
        out = torch.where(rescaled[:, None, None, None], _rescale(out, factor), out)
    noise = _uniform(n, NOISE_STD, generator, device)[:, None, None, None]
    out = out + noise * torch.randn(out.shape, generator=generator).to(device)
    return out.clamp(-1, 1).to(x.dtype)


def augment(x: torch.Tensor, kind: str, generator: torch.Generator) -> torch.Tensor:
    """Apply the named augmentation to a training batch."""
    if kind == "none":
        return x
    if kind == "photometric":
        return photometric(x, generator)
    raise ValueError(f"unknown augmentation '{kind}'; expected one of {', '.join(AUGMENTATIONS)}")
