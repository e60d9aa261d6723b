"""What caps a render-trained estimator's pitch gain where people look: an ideal reader of the exact geometry.

Issue 21 asks for a CNN that learns the renders and reads real p00's pitch with a gain of at least 0.7. Real p00's
gazes lie in the population's central range (central_box: the p01-p14 prior's mean +- 2 sd), and there even a reader
of the renders' exact pixel-space iris and lid geometry (gradient-boosted trees, as results/p00_standard/render_floor.py)
shrinks pitch, because the geometry it cannot see moves the iris in the crop as gaze does. This script measures that
cap: trained over the whole prior, tested on central draws, for the default geometry and for variants that hold the
unseen parts still (the eyeball's position behind the corners; how far heads turn at a given gaze).

    python results/simulator/pitch_floor.py [--tiny --out DIR]   # writes results/simulator/pitch_floor.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gazebench.data.simulator.measure import geometry_table
from gazebench.data.simulator.params import STYLES, LabelRange, central_box, eyeball_at_centre
from gazebench.harness.records import git_state
from gazebench.metrics.diagnostics import FEATURE_SETS, geometry_floor

FEATURES = "iris and lids"  # what a pixel shows; the eyeball's centre it does not
DEFAULT_RANGES = {name: STYLES["default"][name] for name in ("eyeball_x", "eyeball_y", "eyeball_depth")}
VARIANTS = {  # name -> (largest head turn from the screen direction, deg; ranges replaced)
    "default": (20.0, None),
    "eyeball=point": (20.0, eyeball_at_centre(DEFAULT_RANGES)),
    "head turns up to 10 deg": (10.0, None),
    "head turns up to 5 deg": (5.0, None),
    "eyeball=point, head up to 5 deg": (5.0, eyeball_at_centre(DEFAULT_RANGES)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="2,000 / 500 draws and 20 boosting rounds: a smoke run")
    parser.add_argument("--out", default=str(Path(__file__).parent), help="folder that receives pitch_floor.json")
    args = parser.parse_args()
    n_train, n_test, max_iter = (2000, 500, 20) if args.tiny else (100_000, 20_000, 300)
    box = central_box()
    rows = []
    for name, (head, ranges) in VARIANTS.items():
        train, train_gaze = geometry_table(3, n_train, LabelRange(head=head), ranges)
        test, test_gaze = geometry_table(4, n_test, LabelRange(pitch=box["pitch"], yaw=box["yaw"], head=head), ranges)
        rows.append({"variant": name, **geometry_floor(train, train_gaze, test, test_gaze, FEATURE_SETS[FEATURES], max_iter=max_iter)})
        print(f"{name:34s} central: error {rows[-1]['error_deg']:.2f} deg, pitch gain {rows[-1]['pitch_gain']:.2f} "
              f"(corr. {rows[-1]['pitch_corr']:.2f}), yaw gain {rows[-1]['yaw_gain']:.2f}")
    out = {"features": FEATURES, "trained on": f"default-style draws, seed 3, the whole prior, {n_train}",
           "tested on": f"seed 4 draws in the central box {box}, {n_test}", "rows": rows, **git_state()}
    Path(args.out).mkdir(parents=True, exist_ok=True)
    Path(args.out, "pitch_floor.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
