"""Reference rows, not methods: what a method has to beat (mean gaze) and what real labels allow (ceiling).

Both return per-image angular errors in degrees; the caller summarises them with metrics.summarize_errors.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import Ridge
from sklearn.model_selection import GroupKFold, KFold

from gazebench.core.geometry import pitchyaw_to_vector, vector_to_pitchyaw
from gazebench.metrics.accuracy import angular_errors

#: PCA+ridge settings of the real-label ceiling; 200 components and alpha 10 gave the lowest
#: 5-fold error on p00 dev among 30-200 components x alpha 0.1-100 (3.04 deg).
CEILING_PCA_COMPONENTS = 200
CEILING_RIDGE_ALPHA = 10.0


def mean_gaze_reference(test_gaze) -> np.ndarray:
    """Errors of predicting every test image's gaze as the test set's own mean direction (an oracle constant)."""
    gaze = np.asarray(test_gaze, dtype=np.float64)
    mean_direction = vector_to_pitchyaw(pitchyaw_to_vector(gaze).mean(0))
    return angular_errors(np.broadcast_to(mean_direction, gaze.shape), gaze)


FOLD_STRATEGIES = ("grouped", "shuffled")


def ceiling_splits(n: int, folds: int, recordings=None, *, strategy: str = "grouped",
                   seed: int = 0) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    """Cross-validation folds and how they were made; "grouped" keeps near-identical frames of one recording on one side.

    grouped: by recording (day) where the source knows it and there are at least `folds` of them; otherwise
    contiguous blocks of the test images in source order (consecutive frames of a recording sit next to each
    other there). shuffled: seeded KFold, which puts a frame's neighbours into training and flatters the
    ceiling; kept only to measure that (results/ceiling).
    """
    index = np.arange(n)
    if strategy == "shuffled":
        return list(KFold(folds, shuffle=True, random_state=seed).split(index)), "shuffled"
    if strategy != "grouped":
        raise ValueError(f"fold strategy {strategy!r}; expected one of {', '.join(FOLD_STRATEGIES)}")
    if recordings is not None and len(set(recordings)) >= folds:
        return list(GroupKFold(folds).split(index, groups=np.asarray(recordings))), "grouped by recording day"
    return list(KFold(folds, shuffle=False).split(index)), "contiguous blocks in source order"


class PcaRidge:
    """PCA on flattened pixels, then ridge to (pitch, yaw): the one linear pixel model of the ceiling and the checks.

    train_scores says how the ridge's training inputs are computed: "fit_transform" (the PCA's own SVD scores,
    as a scikit-learn pipeline does; the ceiling) or "transform" (the fitted PCA's projection; the simulator
    checks). They agree to rounding (1e-7 in float32); both are kept so committed numbers reproduce exactly.
    """

    def __init__(self, components: int, alpha: float, *, seed: int = 0, train_scores: str = "fit_transform"):
        if train_scores not in ("fit_transform", "transform"):
            raise ValueError(f"train_scores {train_scores!r}; expected fit_transform or transform")
        self.pca, self.ridge, self.train_scores = PCA(components, random_state=seed), Ridge(alpha=alpha), train_scores

    def fit(self, pixels: np.ndarray, gaze: np.ndarray) -> PcaRidge:
        if self.train_scores == "fit_transform":
            scores = self.pca.fit_transform(pixels)
        else:
            scores = self.pca.fit(pixels).transform(pixels)
        self.ridge.fit(scores, gaze)
        return self

    def predict(self, pixels: np.ndarray) -> np.ndarray:
        return self.ridge.predict(self.pca.transform(pixels))


def real_label_ceiling(images, gaze, *, folds: int = 5, seed: int = 0, recordings=None,
                       strategy: str = "grouped") -> tuple[np.ndarray, str]:
    """Errors of PcaRidge trained on the test set's own real labels, cross-validated (ceiling_splits' strategy).

    Every image is predicted by the model of the fold that held it out; errors come back in input order, with
    the description of the folds.
    """
    pixels = torch.as_tensor(images).reshape(len(images), -1).double().numpy()
    gaze = np.asarray(gaze, dtype=np.float64)
    if len(pixels) != len(gaze):
        raise ValueError(f"{len(pixels)} images but {len(gaze)} gaze labels")
    if len(pixels) < 2 * folds:
        raise ValueError(f"the real-label ceiling needs at least {2 * folds} labelled images, got {len(pixels)}")
    predicted = np.empty_like(gaze)
    splits, how = ceiling_splits(len(pixels), folds, recordings, strategy=strategy, seed=seed)
    for train, held_out in splits:
        components = min(CEILING_PCA_COMPONENTS, len(train) - 1, pixels.shape[1])
        model = PcaRidge(components, CEILING_RIDGE_ALPHA, seed=seed)
        predicted[held_out] = model.fit(pixels[train], gaze[train]).predict(pixels[held_out])
    return angular_errors(predicted, gaze), how
