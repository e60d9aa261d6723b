"""The real-label ceiling on p00 with shuffled folds (before) and with contiguous blocks (after), on the test
images `bench run --real npz:../shared/data/mpiigaze_p00/dev.npz` evaluates (issue 13):

    python results/ceiling/ceiling_folds.py      # writes results/ceiling/ceiling_folds.json

dev.npz keeps the Evaluation Subset's order (its `index` column rises), so neighbours in it are neighbouring
frames of one recording day; shuffled folds put a frame's neighbours into its training folds.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline

from gazebench.harness import records
from gazebench.core.images import to_model_tensor
from gazebench.metrics.accuracy import angular_errors
from gazebench.metrics.references import CEILING_PCA_COMPONENTS, CEILING_RIDGE_ALPHA, real_label_ceiling
from gazebench.harness.run import RunConfig, _prepare

REAL = "npz:../shared/data/mpiigaze_p00/dev.npz"


def shuffled_ceiling(images, gaze, folds: int = 5, seed: int = 0) -> np.ndarray:
    """The ceiling as it was before grouping: shuffled KFold (kept here only to measure the difference)."""
    pixels = images.reshape(len(images), -1).double().numpy()
    predicted = np.empty_like(gaze, dtype=np.float64)
    for train, held_out in KFold(folds, shuffle=True, random_state=seed).split(pixels):
        model = make_pipeline(PCA(CEILING_PCA_COMPONENTS, random_state=seed), Ridge(alpha=CEILING_RIDGE_ALPHA))
        predicted[held_out] = model.fit(pixels[train], gaze[train]).predict(pixels[held_out])
    return angular_errors(predicted, gaze)


def main() -> None:
    inputs = _prepare(RunConfig(refiner="identity", estimators=("knn",), real=REAL).resolved())
    test = inputs.test.read(inputs.test_indices)
    images, gaze = to_model_tensor(test.images), test.gaze.astype(np.float64)
    rows = {}
    for seed in range(5):
        blocks, how = real_label_ceiling(images, gaze, folds=5, seed=seed)
        rows[seed] = {"shuffled_folds_deg": float(shuffled_ceiling(images, gaze, seed=seed).mean()),
                      "grouped_folds_deg": float(blocks.mean()), "grouping": how}
    result = {"test set": f"{REAL}, the {len(gaze)} evaluated test images of bench run (split seed 0)",
              "by_seed": rows, **records.git_state()}
    Path(__file__).with_name("ceiling_folds.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
