"""Gaze estimators by name: a new built-in is one module plus one line in ESTIMATORS; estimators from other
packages join by entry point or as package.module:ClassName (benchmark/plugins.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from gazebench.baselines.knn import KNNEstimator
from gazebench.baselines.random_forest import RandomForestEstimator
from gazebench.core import plugins
from gazebench.core.errors import UserInputError
from gazebench.estimators.base import GazeEstimator
from gazebench.core.settings import checked
from gazebench.estimators.cnn import GazeCNN

ESTIMATORS: dict[str, type[GazeEstimator]] = {
    "cnn": GazeCNN,
    "rf": RandomForestEstimator,
    "knn": KNNEstimator,
}


def create_estimator(name: str, *, preset: str = "cpu", seed: int = 0, **overrides: Any) -> GazeEstimator:
    """A fresh, untrained estimator; `preset` picks its hyperparameters and `overrides` replace single ones."""
    cls = plugins.resolve(name, ESTIMATORS, plugins.ESTIMATOR_GROUP, "Estimator", GazeEstimator)
    if preset not in cls.PRESETS:
        raise UserInputError(f"Unknown preset '{preset}' for estimator '{name}'; expected one of: {', '.join(cls.PRESETS)}.")
    return cls(preset=preset, seed=seed, **checked("estimator", name, cls.PRESETS[preset], overrides))


def available_estimators() -> list[plugins.Found]:
    return plugins.available(ESTIMATORS, plugins.ESTIMATOR_GROUP)


def check_predictions(estimator: GazeEstimator, n: int, predicted: object) -> np.ndarray:
    """Predictions if they keep the interface ((n, 2) finite pitch/yaw); otherwise one sentence naming the estimator."""
    if not isinstance(predicted, np.ndarray) or predicted.shape != (n, 2) or not np.all(np.isfinite(predicted)):
        shape = getattr(predicted, "shape", type(predicted).__name__)
        raise UserInputError(f"Estimator '{estimator.name}' predicted {shape}; expected a finite numpy array of shape ({n}, 2).")
    return predicted.astype(np.float32)
