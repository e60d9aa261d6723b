"""k-nearest-neighbour gaze regressor, a Table 3 baseline of the paper, on PCA of standardised pixels."""

from __future__ import annotations

from typing import Any, ClassVar

from sklearn.neighbors import KNeighborsRegressor

from gazebench.baselines.features import PixelFeatureEstimator
from gazebench.estimators.base import ESTIMATORS


@ESTIMATORS.register
class KNNEstimator(PixelFeatureEstimator):
    """Averages the gaze of the k training images nearest in feature space (distance-weighted)."""

    name: ClassVar[str] = "knn"
    TINY_SETTINGS: ClassVar[dict[str, Any]] = {"pca_components": 8, "n_neighbors": 3, "n_jobs": 1}
    PRESET_SECTION: ClassVar[str] = "knn"  # gazebench/presets/*.toml
    CHOICES: ClassVar[dict[str, tuple]] = {"weights": ("uniform", "distance")}

    def _regressor(self):
        s = self.settings
        return KNeighborsRegressor(n_neighbors=s["n_neighbors"], weights=s["weights"], n_jobs=s["n_jobs"])
