"""Diagnostics of the simulator through estimators: how well pixels or exact geometry of renders predict gaze,
and how a CNN that has learnt the renders reads real eyes (bias, gain, correlation per angle).

These explain the benchmark's numbers (results/simulator, results/p00_standard); no run computes them.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingRegressor

from gazebench.core.images import to_model_tensor
from gazebench.data import EyeData
from gazebench.estimators.cnn import GazeCNN
from gazebench.metrics.accuracy import angular_errors, bias_gain_corr
from gazebench.metrics.references import PcaRidge
from gazebench.refiners.registry import create_refiner

CPU = torch.device("cpu")


def _pixels(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


def pca_ridge_errors(train: EyeData, tests: dict[str, EyeData | None], *, n_fit: int = 5000,
                     components: int = 100) -> dict[str, float]:
    """Mean angular error, deg, of one PcaRidge (alpha 1) fitted on the first n_fit images of train, per test
    set; a test of None means train's own images after the first n_fit."""
    x = _pixels(train.images)
    model = PcaRidge(components, 1.0, seed=0, train_scores="transform").fit(x[:n_fit], train.gaze[:n_fit])
    errors = {}
    for name, test in tests.items():
        x_test, gaze_test = (x[n_fit:], train.gaze[n_fit:]) if test is None else (_pixels(test.images), test.gaze)
        errors[name] = float(angular_errors(model.predict(x_test), gaze_test).mean())
    return errors


def train_cnn(images: torch.Tensor, gaze: np.ndarray, seed: int, **settings) -> tuple[GazeCNN, float]:
    """A cpu-preset GazeCNN (settings over the preset's) trained on model tensors, and its training seconds."""
    cnn = GazeCNN(preset="cpu", seed=seed, **settings)
    start = time.perf_counter()
    cnn.fit(images, gaze, device=CPU, progress=False)
    return cnn, time.perf_counter() - start


def predict(cnn: GazeCNN, data: EyeData) -> np.ndarray:
    return cnn.predict(to_model_tensor(data.images), device=CPU)


def cnn_errors(train: EyeData, tests: dict[str, EyeData], seeds=(0, 1), **settings) -> dict[str, list[float]]:
    """Mean angular error, deg (2 decimals), per test set and seed of the cpu-preset CNN trained on train."""
    images = to_model_tensor(train.images)
    errors: dict[str, list[float]] = {name: [] for name in tests}
    for seed in seeds:
        cnn, _ = train_cnn(images, train.gaze, seed, **settings)
        for name, data in tests.items():
            errors[name].append(round(float(angular_errors(predict(cnn, data), data.gaze).mean()), 2))
    return errors


def learnt_cnn_runs(train: EyeData, held_out: EyeData, real: EyeData, *, seeds=(0, 1), epochs: int = 6,
                    fda_real: np.ndarray | None = None, central: EyeData | None = None, **settings) -> list[dict]:
    """Per seed, a cpu-width CNN trained long enough to learn the renders (on FDA-refined ones when fda_real,
    uint8 real eyes, is given), read on held-out unrefined renders and on the real set.

    central: held-out renders whose gazes lie where people's do (the population prior's core). The CNN's gain there
    is the most it can show on real eyes of that range: a gain on real eyes below it is the transfer's loss, one
    equal to it is the CNN's own shrinkage towards the mean."""
    images = to_model_tensor(train.images)
    if fda_real is not None:
        fda = create_refiner("fda", seed=0)
        fda.fit(images, to_model_tensor(fda_real), device=CPU)
        images = fda.refine(images, device=CPU)
    rows = []
    for seed in seeds:
        cnn, seconds = train_cnn(images, train.gaze, seed, epochs=epochs, **settings)
        on_real = predict(cnn, real)
        on_renders = cnn_reading(cnn, held_out)
        row = {"seed": seed, "train_seconds": round(seconds, 1), "held_out_renders_deg": on_renders["error_deg"],
               "held_out_renders": on_renders,
               "real_p00": {"error_deg": float(angular_errors(on_real, real.gaze).mean()),
                            **bias_gain_corr(on_real, real.gaze)}}
        if central is not None:
            row["central_renders"] = cnn_reading(cnn, central)
        rows.append(row)
    return rows


def cnn_reading(cnn: GazeCNN, data: EyeData) -> dict[str, float]:
    """Error (2 decimals) and bias, gain, correlation, spread per angle (3 decimals) of a CNN on one set."""
    predicted = predict(cnn, data)
    return {"error_deg": round(float(angular_errors(predicted, data.gaze).mean()), 2),
            **{k: round(v, 3) for k, v in bias_gain_corr(predicted, data.gaze).items()}}


#: What an estimator reads, from easy to hard to see (columns of data.simulator.measure.geometry_table).
#: "iris ellipse" is the optical axis itself, which the iris outline's foreshortening encodes (at ~7 px
#: radius a 20 deg turn narrows it by under half a pixel).
IRIS_AND_LIDS = ["iris_dx", "iris_dy", "iris_radius", "ux", "uy", "vx", "vy", "half_width", "upper_open", "lower_open",
                 "glint_dx", "glint_dy"]
FEATURE_SETS = {
    "iris and lids": IRIS_AND_LIDS,
    "+ eyeball centre": IRIS_AND_LIDS + ["eyeball_dx", "eyeball_dy", "eyeball_radius"],
    "+ eyeball centre + iris ellipse": IRIS_AND_LIDS + ["eyeball_dx", "eyeball_dy", "eyeball_radius", "gx", "gy", "gz"],
}


def geometry_floor(train: dict[str, np.ndarray], train_gaze: np.ndarray, test: dict[str, np.ndarray],
                   test_gaze: np.ndarray, columns: list[str], max_iter: int = 500) -> dict:
    """Held-out error of gradient-boosted trees (one per angle) from exact geometry columns to the label: a
    floor for any estimator that reads only those quantities."""
    start = time.perf_counter()
    x_train = np.stack([train[c] for c in columns], 1)
    x_test = np.stack([test[c] for c in columns], 1)
    pred = np.stack([HistGradientBoostingRegressor(max_iter=max_iter, learning_rate=0.1, max_leaf_nodes=63,
                                                   random_state=0).fit(x_train, train_gaze[:, a]).predict(x_test)
                     for a in range(2)], 1)
    errors = angular_errors(pred, test_gaze)
    return {"error_deg": round(float(errors.mean()), 3), "median_deg": round(float(np.median(errors)), 3),
            **{k: round(v, 3) for k, v in bias_gain_corr(pred, test_gaze).items()},
            "seconds": round(time.perf_counter() - start, 1)}


def cnn_tuning_rows(train: EyeData, tests: dict[str, EyeData], settings: dict[str, dict], seeds=(0,)):
    """Per named CNN setting (overrides of the cpu preset) and seed, one row: training time and the CNN's
    reading of every test set (cnn_reading). Rows are yielded as they finish."""
    images = to_model_tensor(train.images)
    for name, overrides in settings.items():
        for seed in seeds:
            cnn, seconds = train_cnn(images, train.gaze, seed, **overrides)
            yield {"setting": name, "overrides": overrides, "n_train": len(train.gaze), "seed": seed,
                   "train_seconds": round(seconds, 1), "torch_threads": torch.get_num_threads(),
                   **{test_name: cnn_reading(cnn, data) for test_name, data in tests.items()}}
