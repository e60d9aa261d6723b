"""Simulator checks against real p00 and between styles; writes results/simulator/checks.json.

Run from the repository root (needs ../shared/data/mpiigaze_p00/dev.npz):
    python results/simulator/measure.py
Geometry: where the darkest 10% of pixels sit, regressed on the gaze label. Layout: mean row and column
intensity profiles (L1 distance to real, grey levels). Gaze content and style gap: PCA + ridge trained on
5,000 renders, and the harness's cpu-preset CNN trained on 10,000 (two seeds), tested on held-out renders of
both styles and on all 1,500 real p00 dev eyes. The learnt-CNN diagnostic: the cpu widths trained on 30,000
renders for 6 epochs, until they learn the simulator, then read on p00 (error, mean bias, gain, correlation
per angle); once on plain renders and once on FDA-refined ones (real amplitudes from the 144 mixed eyes).
`--only diagnostic [--seeds 0] [--style-override JSON]` runs the plain diagnostic alone and prints it; the
override replaces default-style ranges, as in the README's single-seed experiments.
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import Ridge

from gazebench.harness import records
from gazebench.data import EyeData, open_source
from gazebench.estimators.cnn import GazeCNN
from gazebench.core.images import to_model_tensor
from gazebench.metrics.accuracy import angular_errors, bias_gain_corr
from gazebench.data.simulator.params import STYLES
from gazebench.refiners.registry import create_refiner

REAL = "npz:../shared/data/mpiigaze_p00/dev.npz"
P00_BOX = "pitch=-16,2&yaw=-17,16"  # p00's label range, so geometry slopes compare like with like


@functools.cache
def _load(spec: str) -> EyeData:
    """Each spec is read once, however many checks use it (sources are deterministic)."""
    return open_source(spec).load()


def dark_centroids(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per image, x and y of the centroid of its darkest 10% of pixels, weighted by darkness (iris, pupil, lashes)."""
    flat = images.reshape(len(images), -1).astype(np.float64)
    dark = flat <= np.percentile(flat, 10, axis=1, keepdims=True)
    weight = dark * (255.0 - flat)
    ys, xs = np.divmod(np.arange(flat.shape[1]), images.shape[2])
    return (weight @ xs) / weight.sum(1), (weight @ ys) / weight.sum(1)


def dark_centroid_slopes(images: np.ndarray, gaze: np.ndarray) -> dict[str, float]:
    """px per degree: centroid x of the darkest 10% against yaw, centroid y against pitch."""
    cx, cy = dark_centroids(images)
    pitch, yaw = np.degrees(gaze).T
    return {"x_per_yaw_deg": float(np.polyfit(yaw, cx, 1)[0]), "y_per_pitch_deg": float(np.polyfit(pitch, cy, 1)[0])}


def profile_distance(images: np.ndarray, real: np.ndarray) -> dict[str, float]:
    """Mean |difference| of the mean row / column intensity profiles, grey levels."""
    mean, real_mean = images.astype(np.float64).mean(0), real.astype(np.float64).mean(0)
    return {"rows_l1": float(np.abs(mean.mean(1) - real_mean.mean(1)).mean()),
            "cols_l1": float(np.abs(mean.mean(0) - real_mean.mean(0)).mean())}


def _pixels(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


def pca_ridge_errors(train_spec: str, test_specs: dict[str, str | None], components: int = 100) -> dict[str, float]:
    """Mean angular error, deg, of one PCA + ridge trained on the first 5,000 images of train_spec, per test
    set; a test spec of None means train_spec's own images after the first 5,000."""
    train = _load(train_spec)
    x = _pixels(train.images)
    pca = PCA(n_components=components, random_state=0).fit(x[:5000])
    model = Ridge(alpha=1.0).fit(pca.transform(x[:5000]), train.gaze[:5000])
    errors = {}
    for name, spec in test_specs.items():
        test = _load(spec) if spec else None
        x_test, gaze_test = (x[5000:], train.gaze[5000:]) if test is None else (_pixels(test.images), test.gaze)
        errors[name] = float(angular_errors(model.predict(pca.transform(x_test)), gaze_test).mean())
    return errors


def cnn_errors(train_spec: str, test_specs: dict[str, str], seeds=(0, 1)) -> dict[str, list[float]]:
    """Mean angular error, deg, per test set and CNN seed of the cpu-preset CNN trained on train_spec."""
    train = _load(train_spec)
    tests = {name: _load(spec) for name, spec in test_specs.items()}
    errors: dict[str, list[float]] = {name: [] for name in tests}
    for seed in seeds:
        cnn = GazeCNN(preset="cpu", seed=seed)
        cnn.fit(to_model_tensor(train.images), train.gaze, device=torch.device("cpu"), progress=False)
        for name, data in tests.items():
            predicted = cnn.predict(to_model_tensor(data.images), device=torch.device("cpu"))
            errors[name].append(round(float(angular_errors(predicted, data.gaze).mean()), 2))
    return errors


# The "learns the renders" diagnostic: the cpu widths trained long enough to learn the simulator (30k renders,
# 6 epochs; the quick preset's 10k x 2 epochs stays near the mean-gaze floor and hides the geometry gap).
LEARNT_TRAIN, LEARNT_HELD_OUT, LEARNT_EPOCHS = "sim?n=30000&seed=3", "sim?n=2000&seed=4", 6


# FDA's real amplitudes come from the 144 unlabelled eyes of mixed people, so nothing of p00 reaches training.
FDA_REAL = "../shared/data/mpiigaze_simgan_png144/images_35x55_uint8.npz"


def learnt_cnn_diagnostic(seeds=(0, 1), refiner: str = "identity") -> dict:
    """A cpu-width CNN trained until it learns the renders (refined by `refiner`: identity or fda), then
    read on held-out (unrefined) renders and on real p00."""
    train, held_out, real = _load(LEARNT_TRAIN), _load(LEARNT_HELD_OUT), _load(REAL)
    images = to_model_tensor(train.images)
    if refiner == "fda":
        fda = create_refiner("fda", seed=0)
        fda.fit(images, to_model_tensor(np.load(FDA_REAL)["images"]), device=torch.device("cpu"))
        images = fda.refine(images, device=torch.device("cpu"))
    rows = []
    for seed in seeds:
        start = time.perf_counter()
        cnn = GazeCNN(preset="cpu", seed=seed, epochs=LEARNT_EPOCHS)
        cnn.fit(images, train.gaze, device=torch.device("cpu"), progress=False)
        seconds = time.perf_counter() - start
        def predict(data: EyeData) -> np.ndarray:
            return cnn.predict(to_model_tensor(data.images), device=torch.device("cpu"))

        rows.append({"seed": seed, "train_seconds": round(seconds, 1),
                     "held_out_renders_deg": float(angular_errors(predict(held_out), held_out.gaze).mean()),
                     "real_p00": {"error_deg": float(angular_errors(predict(real), real.gaze).mean()),
                                      **bias_gain_corr(predict(real), real.gaze)}})
    return {"trained on": LEARNT_TRAIN, "refiner": refiner if refiner == "identity" else f"{refiner} (real: {FDA_REAL})",
            "epochs": LEARNT_EPOCHS, "held out": LEARNT_HELD_OUT, "real": REAL, "runs": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["diagnostic"], help="run one part and print it (checks.json is left alone)")
    parser.add_argument("--seeds", default="0,1", help="CNN seeds of the diagnostic, e.g. 0 or 0,1")
    parser.add_argument("--style-override", default="{}",
                        help='with --only diagnostic: default-style ranges to replace, e.g. \'{"scale": [0.75, 0.95]}\'')
    args = parser.parse_args()
    if args.only == "diagnostic":
        for name, bounds in json.loads(args.style_override).items():
            if name not in STYLES["default"]:
                parser.error(f"--style-override: {name} is not a default-style parameter")
            STYLES["default"][name] = tuple(bounds)
        seeds = tuple(int(s) for s in args.seeds.split(","))
        print(json.dumps({"style_override": json.loads(args.style_override), **learnt_cnn_diagnostic(seeds)}, indent=2))
        return
    real = _load(REAL)
    checks: dict[str, dict] = {"geometry": {"real p00 dev": dark_centroid_slopes(real.images, real.gaze)}, "layout": {}}
    for name, spec in [("sim default", f"sim?n=3000&{P00_BOX}"), ("sim target", f"sim?n=3000&style=target&{P00_BOX}")]:
        data = _load(spec)
        checks["geometry"][name] = {"spec": spec, **dark_centroid_slopes(data.images, data.gaze)}
        checks["layout"][name] = {"spec": spec, **profile_distance(data.images, real.images)}
    checks["pca_ridge_deg"] = {
        **pca_ridge_errors("sim?n=5000&seed=1", {
            "default -> default (sim?n=5000&seed=1 -> sim?n=2000&seed=2)": "sim?n=2000&seed=2",
            "default -> target stand-in": "sim?n=2000&seed=2&style=target",
        }),
        **pca_ridge_errors("sim?n=5000&seed=1&prior=uniform",
                           {"default, flat prior (prior=uniform)": "sim?n=2000&seed=2&prior=uniform"}),
        **pca_ridge_errors("sim?n=6000&seed=7&people=1", {"one person (sim?n=6000&seed=7&people=1, 5000/1000)": None}),
        **pca_ridge_errors("sim?n=6000&seed=7&people=10", {"ten people (sim?n=6000&seed=7&people=10, 5000/1000)": None}),
    }
    checks["cnn_deg_per_seed"] = {"trained on": "sim?n=10000&seed=1", **cnn_errors("sim?n=10000&seed=1", {
        "sim default (sim?n=2000&seed=2)": "sim?n=2000&seed=2",
        "sim target stand-in (sim?n=2000&seed=2&style=target)": "sim?n=2000&seed=2&style=target",
        "real p00 dev (1500)": REAL,
    })}
    checks["learnt_cnn"] = learnt_cnn_diagnostic()
    checks["learnt_cnn_fda"] = learnt_cnn_diagnostic(refiner="fda")
    checks["git"] = records.git_state()  # the commit that reproduces these numbers
    out = Path(__file__).with_name("checks.json")
    out.write_text(json.dumps(checks, indent=2) + "\n")
    print(json.dumps(checks, indent=2))


if __name__ == "__main__":
    main()
