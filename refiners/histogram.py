"""Histogram matching: a training-free baseline. Each synthetic image's grey levels are mapped, by rank,
onto the real images' grey-level distribution.

`target=pooled` (the default) matches every image to the pooled distribution of all fitted real
pixels: one fixed map of ranks to grey levels, so the result depends on the synthetic image alone and
the real set's overall contrast and brightness, not on one real image's skin or lighting.
`target=random` matches each image to one real image drawn at random (seeded), which also carries that
image's own contrast across, as FDA does with its low frequencies.
Ranks keep the order of grey levels (equal levels stay equal), so dark stays darker than bright and the
iris stays where it was.
Real MPIIGaze eyes and the simulator's (by default) are histogram-equalised, so on them this changes
little: the row says how much of the gap is first-order grey-level statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gazebench.core.errors import UserInputError
from gazebench.refiners.base import REFINERS, refine_generator, refine_in_batches
from gazebench.refiners.real_bank import RealBankRefiner

LEVELS = 257  # quantiles stored per distribution (grey levels are 8-bit at the source)
TARGETS = ("pooled", "random")


@dataclass
class HistogramConfig:
    preset: str
    seed: int = 0
    target: str = "pooled"  # pooled | random
    fitted_real_images: int = 0


def quantiles(values: torch.Tensor) -> torch.Tensor:
    """(..., P) values -> (..., LEVELS) evenly spaced quantiles."""
    return torch.quantile(values.float(), torch.linspace(0, 1, LEVELS), dim=-1).movedim(0, -1)


def match_to_quantiles(images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Each (N, 1, H, W) image's pixels replaced, by rank, with its (N, LEVELS) target distribution's values."""
    flat = images.reshape(len(images), -1).float().contiguous()
    ordered = flat.sort(1).values
    # Equal grey levels share one rank (the middle of their run), so a flat region stays flat.
    first = torch.searchsorted(ordered, flat, right=False).float()
    last = torch.searchsorted(ordered, flat, right=True).float() - 1.0
    position = (first + last) / 2 / max(flat.shape[1] - 1, 1) * (LEVELS - 1)
    low = position.floor().long().clamp(max=LEVELS - 2)
    weight = position - low
    matched = torch.lerp(targets.gather(1, low), targets.gather(1, low + 1), weight)
    return matched.reshape(images.shape).clamp_(-1.0, 1.0)


@REFINERS.register
class HistogramRefiner(RealBankRefiner):
    name = "histogram"
    config_type = HistogramConfig
    PRESET_SECTION = "histogram"
    CHOICES = {"target": TARGETS}

    def __init__(self, config: HistogramConfig, bank: torch.Tensor | None = None):
        if config.target not in TARGETS:
            raise UserInputError(f"Refiner 'histogram': target {config.target!r} should be one of {', '.join(TARGETS)}.")
        super().__init__(config, bank)

    def statistics(self, real: torch.Tensor) -> torch.Tensor:
        """(1, LEVELS) pooled quantiles, or (N, LEVELS), one row per real image."""
        pixels = real.reshape(len(real), -1)
        if self._config.target == "random":
            return quantiles(pixels)
        # Sort once and read evenly spaced ranks (torch.quantile refuses more than 16M values).
        ordered = pixels.flatten().float().sort().values
        return ordered[torch.linspace(0, len(ordered) - 1, LEVELS).round().long()].unsqueeze(0)

    def refine(self, images: torch.Tensor, *, device: torch.device, batch_size: int | None = None) -> torch.Tensor:
        targets, generator = self.bank, refine_generator(self._config.seed)
        donors = torch.randint(len(targets), (len(images),), generator=generator)
        return refine_in_batches(batch_size, lambda chunk, target: match_to_quantiles(chunk.cpu(), target), images, targets[donors])
