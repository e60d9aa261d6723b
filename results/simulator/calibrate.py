"""Fit the simulator's free geometry to the 144 unlabelled real eyes of mixed people (never to p00).

Run from the repository root (needs ../shared/data/mpiigaze_simgan_png144):
    python results/simulator/calibrate.py [--n 3000] [--tiny --out DIR]
What it matches: the 144 are MPIIGaze normalized eyes of several people, left and right eyes as stored
(right ones NOT mirrored), resized to 35x55. So every statistic is left-right symmetric (mean images are
averaged with their own mirror image), under the default gaze prior (the moments of p01-p14's labels, so of mixed people too).
Statistics, all at 35x55: the mean image (L1, grey levels), the darkest-10% centroid's mean height and
spread (where the iris sits), and the eye opening's height (rows of the mean central-column profile darker
than the mid grey between the profile's extremes). The free parameters' range centres are searched on a
grid (widths kept) for the smallest L1 between dark-pixel maps (where each image's darkest 10% lie); the best ones are the ranges in
benchmark/data/simulator/params.py. The sclera's brightness is scanned on its own, by the mean-image L1.
The search is gazebench.data.simulator.calibrate. Writes calibration.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from gazebench.data.simulator.calibrate import GRID, SCALES, SCLERA, calibrate

REAL_144 = Path("../shared/data/mpiigaze_simgan_png144/images_35x55_uint8.npz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="renders per candidate")
    parser.add_argument("--tiny", action="store_true", help="50 renders, one grid candidate, two scans: a smoke run")
    parser.add_argument("--out", default=str(Path(__file__).parent), help="folder that receives calibration.json")
    args = parser.parse_args()
    real = np.load(REAL_144)["images"]
    if args.tiny:
        out = calibrate(real, 50, {name: values[:1] for name, values in GRID.items()}, SCALES[:1], SCLERA[:1])
    else:
        out = calibrate(real, args.n)
    print("real", out["real_144"], "\ncurrent", out["current"])
    for row in out["best"]:
        print(row)
    for name in ("scale", "sclera"):
        for r, row in out[name].items():
            print(name, r, {k: round(v, 3) for k, v in row.items()})
    Path(args.out, "calibration.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
