"""Refiners by name: a built-in registers itself with `@REFINERS.register` in its own module (refiners/NAME.py);
refiners from other packages join by entry point or as package.module:ClassName (gazebench.core.registry).

A checkpoint's config.json names the class that wrote it; loading imports that class only when it is a
built-in's or an installed entry point's, since a checkpoint from elsewhere must not run code unasked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gazebench.core.atomic import write_atomic
from gazebench.core.errors import UserInputError
from gazebench.core.registry import Found
from gazebench.refiners.base import REFINERS, Refiner, read_refiner_record

__all__ = ["REFINERS", "available_refiners", "checkpoint_class", "create_refiner", "load_refiner", "refiner_class"]

#: Where the built-ins lived before the gazebench namespace; checkpoints of that time record these paths.
OLD_PACKAGES = ("refiners.",)
TRUST_FLAG = "--trust-checkpoint-code"


def refiner_class(name: str) -> type[Refiner]:
    """A built-in by name, a plugin by entry-point name, or a package.module:ClassName."""
    return REFINERS.resolve(name)


def available_refiners() -> list[Found]:
    return REFINERS.available()


def create_refiner(name: str, *, preset: str = "cpu", seed: int = 0, **overrides: Any) -> Refiner:
    """A fresh refiner by name, sized by a preset ('cpu' or 'paper'), with single settings overridden."""
    return refiner_class(name).from_preset(preset, seed=seed, **overrides)


def checkpoint_class(record: dict[str, Any], checkpoint_dir: Path | str, *, trust_code: bool = False) -> type[Refiner]:
    """The class a checkpoint record names: a built-in or installed plugin, or with trust_code any class path."""
    name = str(record["refiner"])
    # The recorded class first (a plugin may share a built-in's name); older checkpoints have only the name.
    written_by = record.get("class") or (name if ":" in name else None)
    if not written_by:
        return refiner_class(name)
    cls = REFINERS.trusted(written_by)
    if cls is None and name in REFINERS and written_by.startswith(OLD_PACKAGES):
        cls = REFINERS[name]  # a built-in, recorded under its pre-namespace module path
    if cls is None and trust_code:
        cls = REFINERS.import_class(written_by)
    if cls is None:
        raise UserInputError(f"{checkpoint_dir} was written by {written_by}, which is neither a built-in refiner nor an "
                             f"installed plugin's; pass {TRUST_FLAG} to import and run that code.")
    return cls


def load_refiner(checkpoint_dir: Path | str, *, trust_code: bool = False) -> Refiner:
    """The finished refiner saved in a checkpoint folder (config.json names its class), ready to refine."""
    record = read_refiner_record(Path(checkpoint_dir))
    refiner = checkpoint_class(record, checkpoint_dir, trust_code=trust_code).from_checkpoint(Path(checkpoint_dir))
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
