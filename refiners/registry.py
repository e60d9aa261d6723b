"""Refiners by name: a new refiner is one module plus one line in REFINERS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmark.errors import UserInputError
from refiners.base import Refiner, read_refiner_config
from refiners.gaussian import GaussianRefiner
from refiners.identity import IdentityRefiner
from refiners.simgan_global import SimGANGlobalRefiner
from refiners.simgan_local import SimGANLocalRefiner

REFINERS: dict[str, type[Refiner]] = {
    "identity": IdentityRefiner,
    "gaussian": GaussianRefiner,
    "simgan_global": SimGANGlobalRefiner,
    "simgan_local": SimGANLocalRefiner,
}


def refiner_class(name: str) -> type[Refiner]:
    if name not in REFINERS:
        raise UserInputError(f"Unknown refiner '{name}'; expected one of {', '.join(REFINERS)}.")
    return REFINERS[name]


def create_refiner(name: str, *, preset: str = "cpu", seed: int = 0, **overrides: Any) -> Refiner:
    """A fresh refiner by name, sized by a preset ('cpu' or 'paper'), with single settings overridden."""
    return refiner_class(name).from_preset(preset, seed=seed, **overrides)


def load_refiner(checkpoint_dir: Path | str) -> Refiner:
    """The refiner saved in a checkpoint folder (config.json names its class)."""
    name, _ = read_refiner_config(Path(checkpoint_dir))
    return refiner_class(name).from_checkpoint(Path(checkpoint_dir))
