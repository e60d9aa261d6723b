"""Epoch checkpoints for estimators that train in epochs (the CNN): a killed `bench run` continues from the last
finished epoch, one stopped by a stop signal (core/signals.py) from the very step it stopped at, and on the CPU either ends
bit-identical to a run that was never stopped.

A checkpoint holds the network, optimizer and schedule states and both random streams (the estimator's generator,
which orders batches and draws augmentations, and torch's global one), after a whole epoch, or after a step inside
one together with that epoch's batch order. It names what it was trained on (settings, seed, a sample of the images
and all labels), so one made for other inputs is never resumed.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch

from gazebench.core.atomic import write_atomic

CONTENT_STRIDE = 101  # every 101st pixel of the training images enters the identity: cheap, and any change shows


def training_identity(settings: dict[str, Any], seed: int, images: torch.Tensor, gaze: np.ndarray) -> str:
    """A digest of what a fit depends on: its settings and seed, and its images and labels."""
    digest = hashlib.sha1(json.dumps({"settings": settings, "seed": seed, "shape": list(images.shape)},
                                     sort_keys=True, default=str).encode())
    digest.update(images.detach().reshape(-1)[::CONTENT_STRIDE].float().cpu().numpy().tobytes())
    digest.update(np.ascontiguousarray(gaze, dtype=np.float32).tobytes())
    return digest.hexdigest()[:16]


class Progress(NamedTuple):
    """Where a training stands: whole epochs done, then steps done inside the next one and that epoch's batch order."""

    epochs_done: int
    steps_done: int = 0
    order: torch.Tensor | None = None


def save_progress(path: Path | None, identity: str, progress: Progress, parts: dict[str, Any], generator: torch.Generator) -> None:
    """Every part's state_dict and both random streams, written atomically (or nothing without a path); inside an
    epoch also that epoch's batch order, which was drawn at its start."""
    if path is None:
        return
    state = {"identity": identity, "epochs_done": progress.epochs_done, "steps_done": progress.steps_done,
             "generator": generator.get_state(), "torch_rng": torch.get_rng_state(),
             **({"order": progress.order.cpu()} if progress.order is not None else {}),
             **{name: part.state_dict() for name, part in parts.items()}}
    write_atomic(path, lambda tmp: torch.save(state, tmp))


def resume_epochs(path: Path | None, identity: str, parts: dict[str, Any], generator: torch.Generator) -> Progress:
    """Restore a checkpoint of this very training into `parts` and the streams; where it stood (the start without
    one). A truncated or unreadable checkpoint, or one of another training, is set aside with a warning."""
    if path is None or not Path(path).is_file():
        return Progress(0)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        progress = Progress(int(state["epochs_done"]), int(state.get("steps_done", 0)), state.get("order")) \
            if state.get("identity") == identity else None
    except Exception as exc:  # noqa: BLE001 - any unreadable file means: train from the start
        warnings.warn(f"{path}: unreadable epoch checkpoint ({type(exc).__name__}); training from the first epoch", stacklevel=2)
        return Progress(0)
    if progress is None:
        warnings.warn(f"{path}: an epoch checkpoint of other settings or images; training from the first epoch", stacklevel=2)
        return Progress(0)
    for name, part in parts.items():
        part.load_state_dict(state[name])
    generator.set_state(state["generator"])
    torch.set_rng_state(state["torch_rng"])
    return progress
