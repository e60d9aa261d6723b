"""Reference rows, not methods: what a method has to beat (mean gaze) and what real labels allow (ceiling).

Both return per-image angular errors in degrees; the caller summarises them with metrics.summarize_errors.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import Ridge
from sklearn.model_selection import GroupKFold, KFold
from sklearn.pipeline import make_pipeline

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


def ceiling_splits(n: int, folds: int, recordings=None) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    """Cross-validation folds that keep near-identical frames of one recording on one side, and how they were made.

    By recording (day) where the source knows it and there are at least `folds` of them; otherwise contiguous
    blocks of the test images in source order (consecutive frames of a recording sit next to each other there).
    Shuffled folds put a frame's neighbours into training and flatter the ceiling.
    """
    index = np.arange(n)
    if recordings is not None and len(set(recordings)) >= folds:
        return list(GroupKFold(folds).split(index, groups=np.asarray(recordings))), "grouped by recording day"
    return list(KFold(folds, shuffle=False).split(index)), "contiguous blocks in source order"


def real_label_ceiling(images, gaze, *, folds: int = 5, seed: int = 0, recordings=None) -> tuple[np.ndarray, str]:
    """Errors of PCA+ridge on pixels trained on the test set's own real labels, cross-validated (ceiling_splits).

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
    splits, how = ceiling_splits(len(pixels), folds, recordings)
    for train, held_out in splits:
        components = min(CEILING_PCA_COMPONENTS, len(train) - 1, pixels.shape[1])
        model = make_pipeline(PCA(components, random_state=seed), Ridge(alpha=CEILING_RIDGE_ALPHA))
        predicted[held_out] = model.fit(pixels[train], gaze[train]).predict(pixels[held_out])
    return angular_errors(predicted, gaze), how
