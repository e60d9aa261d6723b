"""The refiner interface every refiner implements; the harness and the Turing test use only this."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import torch


class Refiner(ABC):
    """Maps synthetic images to refined ones of the same shape, keeping the gaze.

    Images are float32 tensors N x 1 x H x W in [-1, 1] (benchmark.images). A refiner never sees labels:
    `fit` gets unlabelled real images only.
    """

    name: ClassVar[str]
    #: False for refiners with nothing to learn (identity); the harness then skips `fit`.
    trainable: ClassVar[bool] = True

    @abstractmethod
    def fit(
        self,
        synthetic: torch.Tensor,
        real: torch.Tensor,
        *,
        device: torch.device,
        out_dir: Path | None = None,
        resume: bool = False,
        progress: bool = True,
    ) -> None:
        """Learn from synthetic and unlabelled real images; with out_dir, checkpoint there (and resume)."""

    @abstractmethod
    def refine(self, images: torch.Tensor, *, device: torch.device, batch_size: int = 4096) -> torch.Tensor:
        """Refined images, same shape, on the CPU, in [-1, 1]."""

    @property
    @abstractmethod
    def config(self) -> dict[str, Any]:
        """Every number the refiner uses, JSON-serialisable, written into run records."""

    @abstractmethod
    def save(self, out_dir: Path) -> None:
        """Write a checkpoint folder that refiners.registry.load_refiner reads back."""
