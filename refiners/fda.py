"""Fourier domain adaptation (Yang & Soatto, "FDA: Fourier Domain Adaptation for Semantic Segmentation",
CVPR 2020): a training-free baseline every learnt refiner has to beat.

Each synthetic image keeps its Fourier phase (where edges are, so where the iris is) and takes the
low-frequency amplitude (overall brightness layout: bright lid fold, dark lash band, shading) of a real
image drawn at random. The swapped window is centred on the zero frequency with half-size
floor(beta * min(H, W)); on 35 x 55 eyes beta 0.01 swaps the mean only, 0.05 a 3 x 3 window and 0.09 a
7 x 7 one. `betas` with several values is the paper's multi-band form: each image draws one of them.
Fitting keeps the low-frequency amplitudes of up to 4096 real images; labels are never seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from gazebench.core.errors import UserInputError
from gazebench.refiners.base import REFINERS, refine_generator, refine_in_batches
from gazebench.refiners.real_bank import RealBankRefiner


@dataclass
class FDAConfig:
    preset: str
    seed: int = 0
    betas: tuple[float, ...] = (0.09,)  # one beta, or several (multi-band: one drawn per image)
    fitted_real_images: int = 0  # how many real amplitude spectra `fit` kept (0 until fitted)


def window_half_size(beta: float, height: int, width: int) -> int:
    return int(math.floor(beta * min(height, width)))


# FDA swaps amplitudes of non-negative images (its paper's are 0-255): shifted from [-1, 1] to [0, 2], the
# zero-frequency term is a positive sum, so its amplitude carries the mean's sign and the kept phase is 0.
SHIFT = 1.0


def _centred_spectrum(images: torch.Tensor) -> torch.Tensor:
    return torch.fft.fftshift(torch.fft.fft2(images.float() + SHIFT), dim=(-2, -1))


def _window(height: int, width: int, half: int) -> tuple[slice, slice]:
    """The (2 half + 1)^2 window around the zero frequency of a centred (fftshift) spectrum."""
    cy, cx = height // 2, width // 2
    return slice(cy - half, cy + half + 1), slice(cx - half, cx + half + 1)


def low_frequency_amplitude(images: torch.Tensor, half: int) -> torch.Tensor:
    """|FFT| in the (2 half + 1)^2 window around the zero frequency of each (N, 1, H, W) image."""
    return _centred_spectrum(images).abs()[(..., *_window(*images.shape[-2:], half))]


def swap_low_frequencies(images: torch.Tensor, amplitudes: torch.Tensor, halves: torch.Tensor) -> torch.Tensor:
    """Each image with the centred window of half-size halves[i] of its amplitude replaced by amplitudes[i]
    (a window of the largest half-size); phase kept, result clipped to [-1, 1]."""
    spectrum = _centred_spectrum(images)
    amplitude, phase = spectrum.abs(), spectrum.angle()
    big = amplitudes.shape[-1] // 2
    offsets = torch.arange(-big, big + 1, device=images.device).abs()
    dy, dx = offsets.view(-1, 1), offsets.view(1, -1)
    inside = (torch.maximum(dy, dx).unsqueeze(0) <= halves.view(-1, 1, 1)).unsqueeze(1)  # (N, 1, w, w)
    window = (..., *_window(*images.shape[-2:], big))
    amplitude[window] = torch.where(inside, amplitudes, amplitude[window])
    mixed = torch.polar(amplitude, phase)
    return (torch.fft.ifft2(torch.fft.ifftshift(mixed, dim=(-2, -1))).real - SHIFT).clamp_(-1.0, 1.0)


@REFINERS.register
class FDARefiner(RealBankRefiner):
    name = "fda"
    config_type = FDAConfig
    PRESET_SECTION = "fda"

    def __init__(self, config: FDAConfig, bank: torch.Tensor | None = None):
        if not config.betas or any(not 0.0 <= b < 0.5 for b in config.betas):
            raise UserInputError(f"Refiner 'fda': betas {config.betas} should be one or more numbers in [0, 0.5).")
        super().__init__(config, bank)

    @classmethod
    def from_preset(cls, preset: str = "cpu", *, seed: int = 0, **overrides: Any) -> FDARefiner:
        if "betas" in overrides:  # one number or a list, as a user would write it
            betas = overrides["betas"]
            overrides["betas"] = tuple(float(b) for b in (betas if isinstance(betas, (list, tuple)) else [betas]))
        return super().from_preset(preset, seed=seed, **overrides)

    def statistics(self, real: torch.Tensor) -> torch.Tensor:
        largest = max(window_half_size(b, *real.shape[-2:]) for b in self._config.betas)
        return low_frequency_amplitude(real, largest)

    def refine(self, images: torch.Tensor, *, device: torch.device, batch_size: int | None = None) -> torch.Tensor:
        amplitudes, generator = self.bank, refine_generator(self._config.seed)
        halves = torch.tensor([window_half_size(b, *images.shape[-2:]) for b in self._config.betas])
        donors = torch.randint(len(amplitudes), (len(images),), generator=generator)
        bands = halves[torch.randint(len(halves), (len(images),), generator=generator)]
        return refine_in_batches(
            batch_size, lambda chunk, amp, band: swap_low_frequencies(chunk.to(device), amp.to(device), band.to(device)),
            images, amplitudes[donors], bands,
        )
