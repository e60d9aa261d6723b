"""The identity refiner: synthetic images unchanged (the paper's "synthetic only" row)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from gazebench.core.errors import UserInputError
from gazebench.refiners.base import REFINERS, Refiner, read_refiner_config, write_refiner_config


@REFINERS.register
class IdentityRefiner(Refiner):
    name = "identity"
    needs_real_images = False

    def __init__(self, seed: int = 0):
        self.seed = seed  # nothing random here; kept so every refiner records its seed

    @classmethod
    def from_preset(cls, preset: str = "cpu", *, seed: int = 0, **overrides: Any) -> IdentityRefiner:
        if overrides:
            raise UserInputError(f"Refiner 'identity' has no settings; got {', '.join(sorted(overrides))}.")
        return cls(seed)

    @classmethod
    def from_checkpoint(cls, checkpoint_dir: Path) -> IdentityRefiner:
        _, config = read_refiner_config(checkpoint_dir)
        return cls(int(config.get("seed", 0)))

    def fit(self, synthetic, real, *, device, out_dir=None, resume=False, progress=True) -> None:
        if out_dir is not None:
            self.save(Path(out_dir))

    def refine(self, images: torch.Tensor, *, device: torch.device, batch_size: int | None = None) -> torch.Tensor:
        return images.detach().to("cpu", torch.float32).clone()

    @property
    def config(self) -> dict[str, Any]:
        return {"refiner": self.name, "seed": self.seed}

    def save(self, out_dir: Path) -> None:
        write_refiner_config(out_dir, self, {"seed": self.seed})
