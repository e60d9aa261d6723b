"""How low can any estimator go on held-out default renders? (issue 11's "CNN <= 3 deg on renders" goal)

The 3-D simulator draws, per image, geometry that no pixel shows: the angle kappa between the visual axis (the
label) and the optical axis (what the iris follows), and the eyeball's position behind the eye corners, which
only the faint sclera shading hints at. This script skips the pixels: it fits gradient-boosted trees from
the exact pixel-space geometry the renderer draws (benchmark/simulator/eye3d.py) to the label, for nested sets
of what an estimator could read off an image, and reports the held-out angular error of each. A set's error
bounds from below what an estimator that reads only those quantities can reach.

    python results/p00_standard/render_floor.py   # writes results/p00_standard/render_floor.json

Same draws as the CNN's held-out renders (default style, default labels, one person per image).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingRegressor

from gazebench.metrics.accuracy import angular_errors, bias_gain_corr
from gazebench.harness.records import git_state
from gazebench.data.simulator.eye3d import eye_geometry
from gazebench.data.simulator.params import LabelRange, draw_params

HERE = Path(__file__).resolve().parent
N_TRAIN, N_TEST = 200_000, 20_000

# What an estimator reads, from easy to hard to see. Positions are relative to the lid centre (the crop's
# anchor); "ellipse" is the optical axis itself, which the iris outline's foreshortening encodes (at ~7 px
# radius a 20 deg turn narrows it by under half a pixel).
IRIS_AND_LIDS = ["iris_dx", "iris_dy", "iris_radius", "ux", "uy", "vx", "vy", "half_width", "upper_open", "lower_open",
                 "glint_dx", "glint_dy"]
FEATURE_SETS = {
    "iris and lids": IRIS_AND_LIDS,
    "+ eyeball centre": IRIS_AND_LIDS + ["eyeball_dx", "eyeball_dy", "eyeball_radius"],
    "+ eyeball centre + iris ellipse": IRIS_AND_LIDS + ["eyeball_dx", "eyeball_dy", "eyeball_radius", "gx", "gy", "gz"],
}


def geometry_table(seed: int, n: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Pixel-space geometry of renders (seed, 0..n-1) as named float columns, and their (n, 2) labels."""
    params = draw_params(seed, torch.arange(n), "default", LabelRange())
    g = {k: v.flatten().double().numpy() for k, v in eye_geometry(params).items()}
    g.update(iris_dx=g["ix"] - g["lx"], iris_dy=g["iy"] - g["ly"], eyeball_dx=g["ex"] - g["lx"],
             eyeball_dy=g["ey"] - g["ly"], glint_dx=g["glint_x"] - g["lx"], glint_dy=g["glint_y"] - g["ly"])
    return g, params["gaze"].numpy()


def main() -> None:
    train, train_gaze = geometry_table(seed=3, n=N_TRAIN)
    test, test_gaze = geometry_table(seed=4, n=N_TEST)
    rows = []
    for name, columns in FEATURE_SETS.items():
        start = time.perf_counter()
        x_train = np.stack([train[c] for c in columns], 1)
        x_test = np.stack([test[c] for c in columns], 1)
        pred = np.stack([HistGradientBoostingRegressor(max_iter=500, learning_rate=0.1, max_leaf_nodes=63,
                                                       random_state=0).fit(x_train, train_gaze[:, a]).predict(x_test)
                         for a in range(2)], 1)
        errors = angular_errors(pred, test_gaze)
        row = {"features": name, "columns": columns, "error_deg": round(float(errors.mean()), 3),
               "median_deg": round(float(np.median(errors)), 3),
               **{k: round(v, 3) for k, v in bias_gain_corr(pred, test_gaze).items()},
               "seconds": round(time.perf_counter() - start, 1)}
        print(json.dumps(row), flush=True)
        rows.append(row)
    out = {"n_train": N_TRAIN, "n_test": N_TEST, "train": "sim?seed=3 draws", "test": "sim?seed=4 draws",
           "rows": rows, **git_state()}
    (HERE / "render_floor.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
