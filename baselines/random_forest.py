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
    PRESET_SECTION: ClassVar[str] = "rf"  # gazebench/presets/*.toml

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
