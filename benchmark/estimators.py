"""Gaze estimators by name: a new estimator is one module plus one line in ESTIMATORS."""

from __future__ import annotations

from typing import Any

from baselines.knn import KNNEstimator
from baselines.random_forest import RandomForestEstimator
from benchmark.errors import UserInputError
from benchmark.estimator import GazeEstimator
from benchmark.gaze_cnn import GazeCNN

ESTIMATORS: dict[str, type] = {
    "cnn": GazeCNN,
    "rf": RandomForestEstimator,
    "knn": KNNEstimator,
}


def create_estimator(name: str, *, preset: str = "cpu", seed: int = 0, **overrides: Any) -> GazeEstimator:
    """A fresh, untrained estimator; `preset` picks its hyperparameters and `overrides` replace single ones."""
    if name not in ESTIMATORS:
        raise UserInputError(f"Unknown estimator '{name}'; expected one of: {', '.join(ESTIMATORS)}.")
    cls = ESTIMATORS[name]
    if preset not in cls.PRESETS:
        raise UserInputError(f"Unknown preset '{preset}' for estimator '{name}'; expected one of: {', '.join(cls.PRESETS)}.")
    unknown = sorted(set(overrides) - set(cls.PRESETS[preset]))
    if unknown:
        raise UserInputError(
            f"Unknown setting(s) {', '.join(unknown)} for estimator '{name}'; "
            f"expected some of: {', '.join(cls.PRESETS[preset])}."
        )
    return cls(preset=preset, seed=seed, **overrides)
