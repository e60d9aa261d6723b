"""Gaze estimators by name: a built-in registers itself with `@ESTIMATORS.register` in its own module
(benchmark/estimators/ or baselines/); estimators from other packages join by entry point or as
package.module:ClassName (gazebench.core.registry)."""

from __future__ import annotations

from typing import Any

import numpy as np

from gazebench.core.errors import UserInputError
from gazebench.core.registry import Found
from gazebench.core.settings import checked
from gazebench.estimators.base import ESTIMATORS, GazeEstimator

__all__ = ["ESTIMATORS", "available_estimators", "check_predictions", "create_estimator", "estimator_class"]


def estimator_class(name: str) -> type[GazeEstimator]:
    """A built-in by name, a plugin by entry-point name, or a package.module:ClassName."""
    return ESTIMATORS.resolve(name)


def create_estimator(name: str, *, preset: str = "cpu", seed: int = 0, **overrides: Any) -> GazeEstimator:
    """A fresh, untrained estimator; `preset` picks its hyperparameters and `overrides` replace single ones."""
    cls = estimator_class(name)
    defaults = cls.preset_settings(preset)
    return cls(preset=preset, seed=seed, **checked("estimator", name, defaults, overrides, cls.CHOICES, cls.ZERO_MEANS_OFF))


def available_estimators() -> list[Found]:
    return ESTIMATORS.available()


def check_predictions(estimator: GazeEstimator, n: int, predicted: object) -> np.ndarray:
    """Predictions if they keep the interface ((n, 2) finite pitch/yaw); otherwise one sentence naming the estimator."""
    if not isinstance(predicted, np.ndarray) or predicted.shape != (n, 2) or not np.all(np.isfinite(predicted)):
        shape = getattr(predicted, "shape", type(predicted).__name__)
        raise UserInputError(f"Estimator '{estimator.name}' predicted {shape}; expected a finite numpy array of shape ({n}, 2).")
    return predicted.astype(np.float32)
