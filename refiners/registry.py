"""Refiners by name: a new built-in is one module plus one line in REFINERS; refiners from other packages
join by entry point or as package.module:ClassName (benchmark/plugins.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gazebench.core.atomic import write_atomic
from gazebench.core.errors import UserInputError
from gazebench.core import plugins
from gazebench.refiners.base import Refiner, read_refiner_record
from gazebench.refiners.fda import FDARefiner
from gazebench.refiners.gaussian import GaussianRefiner
from gazebench.refiners.histogram import HistogramRefiner
from gazebench.refiners.identity import IdentityRefiner
from gazebench.refiners.simgan_global import SimGANGlobalRefiner
from gazebench.refiners.simgan_local import SimGANLocalRefiner

REFINERS: dict[str, type[Refiner]] = {
    "identity": IdentityRefiner,
    "gaussian": GaussianRefiner,
    "fda": FDARefiner,
    "histogram": HistogramRefiner,
    "simgan_global": SimGANGlobalRefiner,
    "simgan_local": SimGANLocalRefiner,
}


def refiner_class(name: str) -> type[Refiner]:
    """A built-in by name, a plugin by entry-point name, or a package.module:ClassName."""
    return plugins.resolve(name, REFINERS, plugins.REFINER_GROUP, "Refiner", Refiner)


def available_refiners() -> list[plugins.Found]:
    return plugins.available(REFINERS, plugins.REFINER_GROUP)


def create_refiner(name: str, *, preset: str = "cpu", seed: int = 0, **overrides: Any) -> Refiner:
    """A fresh refiner by name, sized by a preset ('cpu' or 'paper'), with single settings overridden."""
    return refiner_class(name).from_preset(preset, seed=seed, **overrides)


def load_refiner(checkpoint_dir: Path | str) -> Refiner:
    """The finished refiner saved in a checkpoint folder (config.json names its class), ready to refine."""
    record = read_refiner_record(Path(checkpoint_dir))
    # The recorded class first (a plugin may share a built-in's name); older checkpoints have only the name.
    written_by = record.get("class")
    cls = plugins.import_class(written_by, "Refiner", Refiner) if written_by else refiner_class(record["refiner"])
    refiner = cls.from_checkpoint(Path(checkpoint_dir))
    if refiner.unfinished:
        raise UserInputError(
            f"{checkpoint_dir} is not finished: {refiner.unfinished}; complete it with `bench refine ... --resume`."
        )
    return refiner


TRAINING_DATA_FILE = "training_data.json"


def write_training_data(out_dir: Path, synthetic: str, real: str, n_synthetic: int, n_real: int) -> None:
    """Which images a checkpoint learnt from, so a run can refuse to test on the real images it saw."""
    record = {"synthetic": synthetic, "real": real, "n_synthetic": n_synthetic, "n_real": n_real}
    write_atomic(Path(out_dir) / TRAINING_DATA_FILE, lambda p: p.write_text(json.dumps(record, indent=2) + "\n"))


def read_training_data(checkpoint_dir: Path) -> dict[str, Any] | None:
    path = Path(checkpoint_dir) / TRAINING_DATA_FILE
    return json.loads(path.read_text()) if path.is_file() else None
