"""The gaze-estimator interface shared by the CNN (estimators/cnn.py) and baselines/."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from gazebench.core.presets import PresetSized
from gazebench.core.registry import Registry


class GazeEstimator(PresetSized, ABC):
    """Trained on images with gaze labels, predicts (pitch, yaw) radians for new images.

    Images are float32 tensors N x 1 x H x W in [-1, 1] (gazebench.core.images); labels float32 (N, 2).
    """

    name: ClassVar[str]
    #: Settings per preset name (a plugin's); overrides may only change settings a preset defines.
    PRESETS: ClassVar[dict[str, dict[str, Any]]]
    REQUIRED_CLASS_ATTRIBUTES: ClassVar[dict[str, type]] = {"name": str, "PRESETS": dict}  # checked for plugins
    #: Where an estimator that trains in epochs saves each finished epoch and resumes from (the harness sets it
    #: inside a run folder, so a killed `bench run` continues; harness/run.py). Others may ignore it.
    checkpoint_path: Path | None = None
    def __init__(self, *, preset: str = "cpu", seed: int = 0, **overrides: Any):
        defaults = self.preset_settings(preset)
        unknown = set(overrides) - set(defaults)
        if unknown:
            raise TypeError(f"unknown {type(self).__name__} settings {sorted(unknown)}")
        self.preset = preset
        self.seed = seed
        self.settings = {**defaults, **overrides}

    @abstractmethod
    def fit(self, images: torch.Tensor, gaze: np.ndarray, *, device: torch.device, progress: bool = True) -> None: ...

    @abstractmethod
    def predict(self, images: torch.Tensor, *, device: torch.device) -> np.ndarray:
        """(N, 2) float32 pitch/yaw radians."""

    @property
    @abstractmethod
    def config(self) -> dict[str, Any]:
        """Every number the estimator uses, including which features it reads."""


#: Every built-in estimator registers itself with `@ESTIMATORS.register` beside its class (one file each, in
#: benchmark/estimators/ or baselines/); plugins join by the entry-point group or as package.module:ClassName.
ESTIMATORS = Registry("estimator", "gazebench.estimators", "gazebench.estimators.base:GazeEstimator",
                      ("gazebench.estimators", "gazebench.baselines"))


class FeatureEstimator(GazeEstimator):
    """An estimator with a feature space: the realism probe (harness/stages.py) measures Fréchet distances in it."""

    @abstractmethod
    def features(self, images: torch.Tensor, *, device: torch.device) -> np.ndarray:
        """(N, D) float features of the images, the layer before the gaze output."""
