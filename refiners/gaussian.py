"""Gaussian blur and Gaussian noise: the paper audience's "is plain noise enough?" baseline.

Fitted so the refined images' high-frequency energy (mean square of the image minus its 3 x 3 box
average) matches the real images': synthetic images sharper than real ones are blurred (sigma found by
bisection), duller ones get white noise (std s adds s^2 * 8/9 of that energy, the high-pass filter's
squared gain). Without the blur, renders sharper than real eyes would leave the noise at 0, i.e. identity.
Setting `noise_std` and/or `blur_sigma` fixes the strengths instead (one set alone leaves the other at 0).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from gazebench.core.errors import UserInputError
from gazebench.refiners.base import (
    CHUNK,
    REFINERS,
    Refiner,
    check_same_size,
    config_from_dict,
    preset_config,
    read_refiner_config,
    refine_generator,
    refine_in_batches,
    write_refiner_config,
)

HIGH_PASS_NOISE_GAIN = 8 / 9  # sum of squared taps of (delta - 3x3 box)
MAX_BLUR_SIGMA = 3.0  # pixels; the bisection's upper end
FIT_SAMPLE = 2048  # images used to fit the strengths (energies are averages; more adds nothing)


@dataclass
class GaussianConfig:
    preset: str
    seed: int = 0
    noise_std: float | None = None  # None: fitted to the real images' high-frequency energy
    blur_sigma: float | None = None  # Gaussian blur (pixels) before the noise; None: fitted; 0 = none
    fitted_noise_std: float | None = None  # what `fit` chose (None until fitted, or when noise_std is set)
    fitted_blur_sigma: float | None = None  # likewise for the blur


def high_frequency_energy(images: torch.Tensor) -> float:
    """Mean square of each image minus its 3 x 3 box average (reflect padding)."""
    total, count = 0.0, 0
    for chunk in images.split(CHUNK):
        chunk = chunk.float()
        smooth = F.avg_pool2d(F.pad(chunk, (1, 1, 1, 1), mode="reflect"), 3, stride=1)
        total += ((chunk - smooth) ** 2).sum().item()
        count += chunk.numel()
    return total / max(count, 1)


def gaussian_blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    if sigma <= 0:
        return images
    radius = max(1, math.ceil(3 * sigma))
    taps = torch.exp(-0.5 * (torch.arange(-radius, radius + 1, dtype=torch.float32) / sigma) ** 2)
    taps = (taps / taps.sum()).to(images.device)
    x = F.pad(images, (radius, radius, radius, radius), mode="reflect")
    x = F.conv2d(x, taps.view(1, 1, 1, -1))
    return F.conv2d(x, taps.view(1, 1, -1, 1))


def fit_blur_sigma(images: torch.Tensor, target_energy: float, iterations: int = 20) -> float:
    """The blur sigma whose output has the target high-frequency energy; 0 when images are already duller."""
    if high_frequency_energy(images) <= target_energy:
        return 0.0
    low, high = 0.0, MAX_BLUR_SIGMA
    for _ in range(iterations):  # energy falls monotonically as sigma grows
        middle = (low + high) / 2
        if high_frequency_energy(gaussian_blur(images, middle)) > target_energy:
            low = middle
        else:
            high = middle
    return (low + high) / 2


@REFINERS.register
class GaussianRefiner(Refiner):
    name = "gaussian"
    PRESET_SECTION = "gaussian"  # empty: nothing to size, every preset is the same

    def __init__(self, config: GaussianConfig):
        self._config = config

    @classmethod
    def from_preset(cls, preset: str = "cpu", *, seed: int = 0, **overrides: Any) -> GaussianRefiner:
        return cls(preset_config(cls, GaussianConfig, preset, seed=seed, **overrides))

    @classmethod
    def from_checkpoint(cls, checkpoint_dir: Path) -> GaussianRefiner:
        _, values = read_refiner_config(checkpoint_dir)
        return cls(config_from_dict(GaussianConfig, values))

    @property
    def noise_std(self) -> float | None:
        cfg = self._config
        if cfg.noise_std is not None:
            return cfg.noise_std
        return cfg.fitted_noise_std if cfg.blur_sigma is None else 0.0

    @property
    def blur_sigma(self) -> float | None:
        cfg = self._config
        if cfg.blur_sigma is not None:
            return cfg.blur_sigma
        return cfg.fitted_blur_sigma if cfg.noise_std is None else 0.0

    @property
    def _fits_strengths(self) -> bool:
        return self._config.noise_std is None and self._config.blur_sigma is None

    def fit(self, synthetic, real, *, device, out_dir=None, resume=False, progress=True) -> None:
        check_same_size(synthetic, real)
        synthetic, real = synthetic[:FIT_SAMPLE], real[:FIT_SAMPLE]
        if self._fits_strengths:
            target = high_frequency_energy(real)
            self._config.fitted_blur_sigma = fit_blur_sigma(synthetic, target)
            missing = target - high_frequency_energy(gaussian_blur(synthetic, self.blur_sigma))
            self._config.fitted_noise_std = math.sqrt(max(missing, 0.0) / HIGH_PASS_NOISE_GAIN)
        if out_dir is not None:
            self.save(Path(out_dir))

    def refine(self, images: torch.Tensor, *, device: torch.device, batch_size: int | None = None) -> torch.Tensor:
        std, sigma = self.noise_std, self.blur_sigma
        if std is None or sigma is None:
            raise UserInputError(
                "Refiner 'gaussian' has no fitted strengths yet; fit it on real images or set noise_std and blur_sigma."
            )
        noise = torch.randn(images.shape, generator=refine_generator(self._config.seed))
        return refine_in_batches(
            batch_size, lambda chunk, part: (gaussian_blur(chunk.to(device).float(), sigma) + part.to(device) * std).clamp_(-1, 1),
            images, noise,
        )

    @property
    def config(self) -> dict[str, Any]:
        return {"refiner": self.name, **dataclasses.asdict(self._config)}

    def save(self, out_dir: Path) -> None:
        write_refiner_config(out_dir, self, dataclasses.asdict(self._config))
