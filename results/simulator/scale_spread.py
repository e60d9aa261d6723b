"""Can the spread of a pixel statistic over unlabelled real eyes pin the simulator's `scale` (issue 21: scale is the
one parameter chosen on p00's labels)? Writes results/simulator/scale_spread.json:

    python results/simulator/scale_spread.py [--out DIR]

Where the darkest 10% of pixels sit (data/simulator/measure.dark_centroids) moves with gaze by a slope in px per degree
that grows with `scale`. Over one person's unlabelled eyes its standard deviation is sqrt(slope^2 sd_gaze^2 + noise^2),
with sd_gaze the population's within-person spread (p01-p14: yaw 8.7, pitch 5.1 deg). On renders at each scale the
slope and the noise come from the labels of the renders; the scale whose predicted spread equals p00's (images only,
no label read) would be the label-free fit. Renders: the placement fit (fit_p00_dev.json) and the one-person fit with
every look (transfer/fit_p00_dev_wide.json), `scale` centred on each value, width 0.2.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from gazebench.data import open_source
from gazebench.data.simulator.measure import dark_centroids
from gazebench.data.simulator.params import GAZE_PRIORS
from gazebench.harness import records
from gazebench.harness.simfit import POPULATION_MEAN_SPREAD_DEG

REAL = "npz:../shared/data/mpiigaze_p00/dev.npz"
FITS = {"placement fit": "results/simulator/fit_p00_dev.json", "one-person fit, every look": "results/simulator/transfer/fit_p00_dev_wide.json"}
SCALES = (0.6, 0.75, 0.9, 1.05, 1.2)
PRIOR = GAZE_PRIORS["mpiigaze"]
# Within-person spread: the pooled sd less the spread of the per-person means.
WITHIN_SD = {angle: float(np.sqrt(PRIOR[f"{angle}_std"] ** 2 - POPULATION_MEAN_SPREAD_DEG[angle] ** 2)) for angle in ("pitch", "yaw")}


def predicted_spread(spec: str) -> dict:
    """Slope (px/deg) and noise (px) of the dark centroid on the renders' labels, and the spread they predict."""
    data = open_source(spec).load()
    cx, cy = dark_centroids(data.images)
    pitch, yaw = np.degrees(data.gaze).T
    design = np.c_[np.ones_like(yaw), yaw, pitch]
    out = {}
    for axis, values, column, angle in (("x", cx, 1, "yaw"), ("y", cy, 2, "pitch")):
        coef, *_ = np.linalg.lstsq(design, values, rcond=None)
        noise = float((values - design @ coef).std())
        out[axis] = {"slope_px_per_deg": round(float(coef[column]), 4), "noise_px": round(noise, 3),
                     "predicted_sd_px": round(float(np.hypot(coef[column] * WITHIN_SD[angle], noise)), 3)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).parent), help="folder that receives scale_spread.json")
    parser.add_argument("--n", type=int, default=6000, help="renders per scale")
    args = parser.parse_args()
    cx, cy = dark_centroids(open_source(REAL).load().images)
    result = {"real": REAL, "real_sd_px": {"x": round(float(cx.std()), 3), "y": round(float(cy.std()), 3)},
              "within_person_sd_deg": WITHIN_SD, "renders": {}, **records.git_state()}
    with tempfile.TemporaryDirectory() as folder:
        for name, path in FITS.items():
            fit = json.loads(Path(path).read_text())
            rows = {}
            for centre in SCALES:
                fit["ranges"]["scale"] = [centre - 0.1, centre + 0.1]
                scaled = Path(folder, f"fit_{centre}.json")
                scaled.write_text(json.dumps(fit))
                rows[str(centre)] = predicted_spread(f"sim?n={args.n}&seed=11&fit={scaled}&pitch=-30,12&yaw=-35,35")
            result["renders"][name] = {"fit": path, "by_scale_centre": rows}
    Path(args.out, "scale_spread.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({"real_sd_px": result["real_sd_px"], **{name: {c: (r["x"]["predicted_sd_px"], r["y"]["predicted_sd_px"])
                                                                    for c, r in rows["by_scale_centre"].items()}
                                                             for name, rows in result["renders"].items()}}, indent=1))


if __name__ == "__main__":
    main()
