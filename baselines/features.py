"""Pixel features for the non-CNN baselines, and the estimator base they share (features -> PCA -> regressor).

Features: each image downsampled (gazebench.core.images) to a small grid and standardised to zero mean and unit
standard deviation, so brightness and contrast differences between domains do not dominate the distances;
then PCA fitted on the training images. The regressor predicts (pitch, yaw) radians directly.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline, make_pipeline

from gazebench.core.images import to_model_tensor, to_uint8
from gazebench.estimators.base import GazeEstimator


def standardised_pixels(images: torch.Tensor, grid: tuple[int, int]) -> np.ndarray:
    """(N, 1, H, W) images in [-1, 1] -> (N, gh*gw) downsampled pixels, each row zero-mean, unit-std."""
    small = to_model_tensor(to_uint8(images), size=tuple(grid)).reshape(len(images), -1).double().numpy()
    small = small - small.mean(1, keepdims=True)
    return small / np.maximum(small.std(1, keepdims=True), 1e-6)


class PixelFeatureEstimator(GazeEstimator):
    """A scikit-learn regressor on PCA of standardised downsampled pixels; subclasses name the regressor."""

    #: Unused (PRESET_SECTION sizes it); present so the plugin interface check accepts it as module:Class too.
    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {}

    def __init__(self, *, preset: str = "cpu", seed: int = 0, **overrides: Any):
        super().__init__(preset=preset, seed=seed, **overrides)
        self.pipeline: Pipeline | None = None

    @abstractmethod
    def _regressor(self):
        """A fresh multi-output scikit-learn regressor built from self.settings and self.seed."""

    @property
    def config(self) -> dict[str, Any]:
        return {
            "estimator": self.name,
            "preset": self.preset,
            "seed": self.seed,
            "features": f"pixels downsampled to {self.settings['grid'][0]}x{self.settings['grid'][1]}, "
            f"per-image standardised, PCA to {self.settings['pca_components']} components fitted on the training set",
            "target": "pitch and yaw radians, regressed directly",
            **{k: list(v) if isinstance(v, tuple) else v for k, v in self.settings.items()},
        }

    def fit(self, images: torch.Tensor, gaze: np.ndarray, *, device: torch.device, progress: bool = True) -> None:
        if len(images) != len(gaze) or len(images) == 0:
            raise ValueError(f"need as many gaze labels as images (> 0), got {len(images)} images, {len(gaze)} labels")
        features = standardised_pixels(images, self.settings["grid"])
        components = min(self.settings["pca_components"], len(features), features.shape[1])
        self.pipeline = make_pipeline(PCA(components, random_state=self.seed), self._regressor())
        self.pipeline.fit(features, np.asarray(gaze, dtype=np.float64))

    def predict(self, images: torch.Tensor, *, device: torch.device) -> np.ndarray:
        if self.pipeline is None:
            raise RuntimeError(f"{type(self).__name__} must be fitted before it predicts")
        features = standardised_pixels(images, self.settings["grid"])
        return self.pipeline.predict(features).astype(np.float32).reshape(-1, 2)
