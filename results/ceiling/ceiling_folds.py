"""The real-label ceiling on p00 with shuffled folds (before) and with contiguous blocks (after), on the test
images `bench run --real npz:../shared/data/mpiigaze_p00/dev.npz` evaluates (issue 13):

    python results/ceiling/ceiling_folds.py [--tiny --out DIR]   # writes results/ceiling/ceiling_folds.json

dev.npz keeps the Evaluation Subset's order (its `index` column rises), so neighbours in it are neighbouring
frames of one recording day; shuffled folds put a frame's neighbours into its training folds. Both are
gazebench.metrics.references.real_label_ceiling, with strategy "shuffled" and "grouped".
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from gazebench.core.images import to_model_tensor
from gazebench.harness import records
from gazebench.harness.run import RunConfig, _prepare
from gazebench.metrics.references import real_label_ceiling

REAL = "npz:../shared/data/mpiigaze_p00/dev.npz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="the first 60 test images, 2 seeds: a smoke run")
    parser.add_argument("--out", default=str(Path(__file__).parent), help="folder that receives ceiling_folds.json")
    args = parser.parse_args()
    inputs = _prepare(RunConfig(refiner="identity", estimators=("knn",), real=REAL).resolved())
    indices = inputs.test_indices[:60] if args.tiny else inputs.test_indices
    test = inputs.test.read(indices)
    images, gaze = to_model_tensor(test.images), test.gaze.astype(np.float64)
    rows = {}
    for seed in range(2 if args.tiny else 5):
        blocks, how = real_label_ceiling(images, gaze, folds=5, seed=seed)
        shuffled, _ = real_label_ceiling(images, gaze, folds=5, seed=seed, strategy="shuffled")
        rows[seed] = {"shuffled_folds_deg": float(shuffled.mean()), "grouped_folds_deg": float(blocks.mean()),
                      "grouping": how}
    result = {"test set": f"{REAL}, the {len(gaze)} evaluated test images of bench run (split seed 0)",
              "by_seed": rows, **records.git_state()}
    Path(args.out, "ceiling_folds.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
