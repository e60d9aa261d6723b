"""Random-forest gaze regressor, a Table 3 baseline of the paper, on PCA of standardised pixels."""

from __future__ import annotations

from typing import Any, ClassVar

from sklearn.ensemble import RandomForestRegressor

from gazebench.baselines.features import PixelFeatureEstimator
from gazebench.estimators.base import ESTIMATORS


@ESTIMATORS.register
class RandomForestEstimator(PixelFeatureEstimator):
    name: ClassVar[str] = "rf"
    TINY_SETTINGS: ClassVar[dict[str, Any]] = {"pca_components": 8, "n_estimators": 5, "n_jobs": 1}
    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {
        # Small for a 2-core CPU: 50 trees, each on half the images (20k images: 16 s of CPU time to fit).
        "cpu": {"grid": (18, 28), "pca_components": 50, "n_estimators": 50, "min_samples_leaf": 5,
                "max_features": 0.2, "max_samples": 0.5, "n_jobs": 2},
        "standard": {"grid": (18, 28), "pca_components": 50, "n_estimators": 50, "min_samples_leaf": 5,
                     "max_features": 0.2, "max_samples": 0.5, "n_jobs": 2},  # the paper's baselines, cpu-sized
        "paper": {"grid": (18, 28), "pca_components": 50, "n_estimators": 200, "min_samples_leaf": 3,
                  "max_features": 0.33, "max_samples": None, "n_jobs": -1},
    }  # fmt: skip

    def _regressor(self):
        s = self.settings
        return RandomForestRegressor(
            n_estimators=s["n_estimators"],
            min_samples_leaf=s["min_samples_leaf"],
            max_features=s["max_features"],
            max_samples=s["max_samples"],
            n_jobs=s["n_jobs"],
            random_state=self.seed,
        )
