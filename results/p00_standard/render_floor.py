"""How low can any estimator go on held-out default renders? (issue 11's "CNN <= 3 deg on renders" goal)

The 3-D simulator draws, per image, geometry that no pixel shows: the angle kappa between the visual axis (the
label) and the optical axis (what the iris follows), and the eyeball's position behind the eye corners, which
only the faint sclera shading hints at. This script skips the pixels: it fits gradient-boosted trees from
the exact pixel-space geometry the renderer draws (benchmark/data/simulator/eye3d.py) to the label, for nested
sets of what an estimator could read off an image, and reports the held-out angular error of each. A set's
error bounds from below what an estimator that reads only those quantities can reach.

    python results/p00_standard/render_floor.py [--tiny --out DIR]   # writes results/p00_standard/render_floor.json

Same draws as the CNN's held-out renders (default style, default labels, one person per image). The code is
gazebench.data.simulator.measure.geometry_table and gazebench.metrics.diagnostics.geometry_floor.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gazebench.data.simulator.measure import geometry_table
from gazebench.harness.records import git_state
from gazebench.metrics.diagnostics import FEATURE_SETS, geometry_floor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=200_000)
    parser.add_argument("--n-test", type=int, default=20_000)
    parser.add_argument("--tiny", action="store_true", help="2,000 / 500 draws and 20 boosting rounds: a smoke run")
    parser.add_argument("--out", default=str(Path(__file__).parent), help="folder that receives render_floor.json")
    args = parser.parse_args()
    n_train, n_test, max_iter = (2000, 500, 20) if args.tiny else (args.n_train, args.n_test, 500)
    train, train_gaze = geometry_table(seed=3, n=n_train)
    test, test_gaze = geometry_table(seed=4, n=n_test)
    rows = []
    for name, columns in FEATURE_SETS.items():
        row = {"features": name, "columns": columns,
               **geometry_floor(train, train_gaze, test, test_gaze, columns, max_iter=max_iter)}
        print(json.dumps(row), flush=True)
        rows.append(row)
    out = {"n_train": n_train, "n_test": n_test, "train": "sim?seed=3 draws", "test": "sim?seed=4 draws",
           "rows": rows, **git_state()}
    Path(args.out, "render_floor.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
