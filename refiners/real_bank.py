"""Refiners whose fit is a statistic of up to BANK unlabelled real images (FDA's low-frequency amplitudes,
histogram matching's quantiles): their config, fit, save and load are written once, here."""

from __future__ import annotations

import dataclasses
from abc import abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import torch

from gazebench.core.errors import UserInputError
from gazebench.refiners.base import (
    Refiner,
    check_same_size,
    config_from_dict,
    preset_config,
    read_refiner_config,
    read_state,
    write_refiner_config,
    write_state,
)

BANK = 4096  # real images a refiner keeps statistics of; more only repeats the same people's lighting


class RealBankRefiner(Refiner):
    """Subclasses give `config_type` (a dataclass with preset, seed and fitted_real_images), `statistics` and
    PRESET_SECTION (an empty section: nothing to size, the config's defaults are every preset's)."""

    config_type: ClassVar[type]

    def __init__(self, config: Any, bank: torch.Tensor | None = None):
        self._config = config
        self._bank = bank

    @classmethod
    def from_preset(cls, preset: str = "cpu", *, seed: int = 0, **overrides: Any) -> RealBankRefiner:
        return cls(preset_config(cls, cls.config_type, preset, seed=seed, **overrides))

    @classmethod
    def from_checkpoint(cls, checkpoint_dir: Path) -> RealBankRefiner:
        _, values = read_refiner_config(checkpoint_dir)
        config = config_from_dict(cls.config_type, values)
        return cls(config, read_state(checkpoint_dir, cls.name)["bank"] if config.fitted_real_images else None)

    @abstractmethod
    def statistics(self, real: torch.Tensor) -> torch.Tensor:
        """What refine needs of the real images (N, 1, H, W), as one tensor (kept in the checkpoint)."""

    def fit(self, synthetic, real, *, device, out_dir=None, resume=False, progress=True) -> None:
        check_same_size(synthetic, real)
        if len(real) == 0:
            raise UserInputError(f"Refiner '{self.name}' needs at least one real image to fit.")
        # A seeded random subset: the first images of an ordered set would be the first people or days.
        generator = torch.Generator().manual_seed(self._config.seed)
        bank = real[torch.randperm(len(real), generator=generator)[:BANK].sort().values].cpu()
        self._bank = self.statistics(bank)
        self._config.fitted_real_images = len(bank)
        if out_dir is not None:
            self.save(Path(out_dir))

    @property
    def bank(self) -> torch.Tensor:
        if self._bank is None:
            raise UserInputError(f"Refiner '{self.name}' has not been fitted; fit it on unlabelled real images first.")
        return self._bank

    @property
    def config(self) -> dict[str, Any]:
        return {"refiner": self.name, **dataclasses.asdict(self._config)}

    def save(self, out_dir: Path) -> None:
        if self._bank is not None:
            write_state(out_dir, {"bank": self._bank})
        write_refiner_config(out_dir, self, dataclasses.asdict(self._config))
