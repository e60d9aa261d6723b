"""Refiner training, written once: `bench refine`, `bench run` and `bench turing make` all fit through `fit_refiner`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from gazebench.core import fingerprints
from gazebench.core.device import resolve_device
from gazebench.core.errors import UserInputError
from gazebench.core.images import to_model_tensor
from gazebench.data import open_source
from gazebench.refiners.base import Refiner
from gazebench.refiners.registry import create_refiner, write_training_data


def load_images(spec: str, n: int | None, seed: int) -> torch.Tensor:
    """Images only (labels are dropped at once: a refiner never learns from them), as model tensors."""
    source = open_source(spec)
    count = len(source) if n is None else n
    if count < 1:
        raise UserInputError(f"--n-synthetic must be at least 1, got {count}.")
    indices = np.arange(len(source)) if count >= len(source) else np.sort(
        np.random.default_rng(seed).choice(len(source), size=count, replace=False)
    )
    return to_model_tensor(source.read(indices).images)


def fit_refiner(refiner: Refiner, synthetic: torch.Tensor, real: torch.Tensor, *, device: torch.device,
                out_dir: Path | None = None, synthetic_spec: str = "", real_spec: str = "", resume: bool = False,
                progress: bool = True) -> Refiner:
    """Fit `refiner` on synthetic and unlabelled real images. With `out_dir` (a checkpoint folder) it first
    records what it learns from: the specs and counts (training_data.json) and the real images' fingerprints,
    which `bench run` compares with any real test set before using the checkpoint."""
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        write_training_data(out, synthetic_spec, real_spec, len(synthetic), len(real))
        fingerprints.save(out, fingerprints.fingerprints(real))
    refiner.fit(synthetic, real, device=device, out_dir=None if out_dir is None else Path(out_dir), resume=resume,
                progress=progress)  # a refiner with an out_dir saves its final state there
    return refiner


def train_refiner_from_specs(
    refiner: str,
    synthetic_spec: str,
    real_spec: str,
    out_dir: Path | str,
    *,
    steps: int | None = None,
    preset: str = "cpu",
    device: str = "auto",
    seed: int = 0,
    n_synthetic: int | None = None,
    resume: bool = False,
    progress: bool = True,
    **overrides: Any,
) -> Refiner:
    """Create `refiner`, fit it on the two sources, save it to out_dir (checkpoints and grids land there too).

    Both sources are converted to the canonical 35 x 55 by gazebench.core.images, so their native sizes may differ.
    """
    if steps is not None:
        if steps < 0:
            raise UserInputError(f"--steps must be 0 or more, got {steps}.")
        overrides["adversarial_steps"] = steps
    model = create_refiner(refiner, preset=preset, seed=seed, **overrides)
    torch_device = resolve_device(device)
    synthetic = load_images(synthetic_spec, n_synthetic, seed)
    real = load_images(real_spec, None, seed)
    return fit_refiner(model, synthetic, real, device=torch_device, out_dir=Path(out_dir), synthetic_spec=synthetic_spec,
                       real_spec=real_spec, resume=resume, progress=progress)
