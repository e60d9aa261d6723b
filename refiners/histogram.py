"""Histogram matching: a training-free baseline. Each synthetic image's grey levels are mapped, by rank,
onto the real images' grey-level distribution.

`target=pooled` (the default) matches every image to the pooled distribution of all fitted real
pixels: one fixed map of ranks to grey levels, so the result depends on the synthetic image alone and
the real set's overall contrast and brightness, not on one real image's skin or lighting.
`target=random` matches each image to one real image drawn at random (seeded), which also carries that
image's own contrast across, as FDA does with its low frequencies.
Ranks keep the order of grey levels, so dark stays darker than bright and the iris stays where it was.
Real MPIIGaze eyes and the simulator's (by default) are histogram-equalised, so on them this changes
little: the row says how much of the gap is first-order grey-level statistics.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from benchmark.errors import UserInputError
from refiners.base import (
    CHUNK, Refiner, build_config, check_same_size, config_from_dict, read_refiner_config, read_state, refine_generator,
    write_refiner_config, write_state,
)

BANK = 4096  # real images kept for target=random
LEVELS = 257  # quantiles stored per distribution (grey levels are 8-bit at the source)
TARGETS = ("pooled", "random")


@dataclass
class HistogramConfig:
    preset: str
    seed: int = 0
    target: str = "pooled"  # pooled | random
    fitted_real_images: int = 0


PRESETS = {"cpu": {}, "paper": {}}  # nothing to size: both presets are the same


def quantiles(values: torch.Tensor) -> torch.Tensor:
    """(..., P) values -> (..., LEVELS) evenly spaced quantiles."""
    return torch.quantile(values.float(), torch.linspace(0, 1, LEVELS), dim=-1).movedim(0, -1)


def match_to_quantiles(images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Each (N, 1, H, W) image's pixels replaced, by rank, with its (N, LEVELS) target distribution's values."""
    flat = images.reshape(len(images), -1).float()
    ranks = flat.argsort(1).argsort(1).float()
    position = ranks / max(flat.shape[1] - 1, 1) * (LEVELS - 1)
    low = position.floor().long().clamp(max=LEVELS - 2)
    weight = position - low
    matched = torch.lerp(targets.gather(1, low), targets.gather(1, low + 1), weight)
    return matched.reshape(images.shape).clamp_(-1.0, 1.0)


class HistogramRefiner(Refiner):
    name = "histogram"

    def __init__(self, config: HistogramConfig, targets: torch.Tensor | None = None):
        if config.target not in TARGETS:
            raise UserInputError(f"Refiner 'histogram': target {config.target!r} should be one of {', '.join(TARGETS)}.")
        self._config = config
        self._targets = targets  # (1, LEVELS) pooled, or (BANK, LEVELS) per real image

    @classmethod
    def from_preset(cls, preset: str = "cpu", *, seed: int = 0, **overrides: Any) -> HistogramRefiner:
        return cls(build_config(HistogramConfig, PRESETS, preset, cls.name, seed=seed, **overrides))

    @classmethod
    def from_checkpoint(cls, checkpoint_dir: Path) -> HistogramRefiner:
        _, values = read_refiner_config(checkpoint_dir)
        config = config_from_dict(HistogramConfig, values)
        return cls(config, read_state(checkpoint_dir, cls.name)["targets"] if config.fitted_real_images else None)

    def fit(self, synthetic, real, *, device, out_dir=None, resume=False, progress=True) -> None:
        check_same_size(synthetic, real)
        if len(real) == 0:
            raise UserInputError("Refiner 'histogram' needs at least one real image to fit.")
        bank = real[:BANK].cpu().reshape(min(len(real), BANK), -1)
        if self._config.target == "pooled":
            # The pooled quantiles of all pixels: sort once, then read evenly spaced ranks (torch.quantile
            # refuses inputs of more than 16M values).
            ordered = bank.flatten().float().sort().values
            picks = torch.linspace(0, len(ordered) - 1, LEVELS).round().long()
            self._targets = ordered[picks].unsqueeze(0)
        else:
            self._targets = quantiles(bank)
        self._config.fitted_real_images = len(bank)
        if out_dir is not None:
            self.save(Path(out_dir))

    def refine(self, images: torch.Tensor, *, device: torch.device, batch_size: int | None = None) -> torch.Tensor:
        if self._targets is None:
            raise UserInputError("Refiner 'histogram' has not been fitted; fit it on unlabelled real images first.")
        generator = refine_generator(self._config.seed)
        out = []
        for chunk in images.split(batch_size or CHUNK):
            donors = torch.randint(len(self._targets), (len(chunk),), generator=generator)
            out.append(match_to_quantiles(chunk.cpu(), self._targets[donors]))
        return torch.cat(out) if out else images.clone()

    @property
    def config(self) -> dict[str, Any]:
        return {"refiner": self.name, **dataclasses.asdict(self._config)}

    def save(self, out_dir: Path) -> None:
        if self._targets is not None:
            write_state(out_dir, {"targets": self._targets})
        write_refiner_config(out_dir, self, dataclasses.asdict(self._config))
