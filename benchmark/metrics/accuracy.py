"""Angular-error metrics as the paper reports them: mean error and % of images within d degrees."""

from __future__ import annotations

import numpy as np

from gazebench.core.geometry import angular_error_deg

#: Thresholds of the paper's "within d degrees" table and of metrics.json's `within_deg`.
WITHIN_THRESHOLDS_DEG = (3, 5, 7, 10, 15)


def angular_errors(pred_pitchyaw, true_pitchyaw) -> np.ndarray:
    """Per-image angle in degrees between predicted and true (N, 2) pitch/yaw radians, as float64."""
    pred = np.asarray(pred_pitchyaw, dtype=np.float64)
    true = np.asarray(true_pitchyaw, dtype=np.float64)
    if pred.shape != true.shape or pred.ndim != 2 or pred.shape[1] != 2:
        raise ValueError(f"expected two (N, 2) pitch/yaw arrays of one shape, got {pred.shape} and {true.shape}")
    return angular_error_deg(pred, true)


def _checked(errors_deg) -> np.ndarray:
    errors = np.asarray(errors_deg, dtype=np.float64).ravel()
    if errors.size == 0:
        raise ValueError("no angular errors to summarise")
    if not np.all(np.isfinite(errors)):
        raise ValueError("angular errors contain NaN or infinity")
    return errors


def summarize_errors(errors_deg) -> dict:
    """Mean, median, std (population) and % within 3/5/7/10/15 degrees (error <= d), as JSON-ready floats."""
    errors = _checked(errors_deg)
    return {
        "mean_angular_error_deg": float(errors.mean()),
        "median_angular_error_deg": float(np.median(errors)),
        "std_angular_error_deg": float(errors.std()),
        "within_deg": {str(d): float(100.0 * np.mean(errors <= d)) for d in WITHIN_THRESHOLDS_DEG},
        "n": int(errors.size),
    }


def bias_gain_corr(pred_pitchyaw, true_pitchyaw) -> dict:
    """Per angle, deg: mean bias (predicted - true), gain (slope of predicted on true), correlation, spread.

    A refiner that fixes appearance moves gain and correlation; a geometric offset (simulator, kappa) shows as
    bias. Gain and correlation are NaN for an angle that does not vary in the test set.
    """
    pred = np.degrees(np.asarray(pred_pitchyaw, dtype=np.float64))
    true = np.degrees(np.asarray(true_pitchyaw, dtype=np.float64))
    out = {}
    for column, angle in enumerate(("pitch", "yaw")):
        p, t = pred[:, column], true[:, column]
        varies = t.std() > 0 and p.std() > 0
        out[f"{angle}_bias_deg"] = float((p - t).mean())
        out[f"{angle}_gain"] = float(np.cov(t, p, bias=True)[0, 1] / t.var()) if t.std() > 0 else float("nan")
        out[f"{angle}_corr"] = float(np.corrcoef(t, p)[0, 1]) if varies else float("nan")
        out[f"{angle}_pred_std_deg"] = float(p.std())
    return out


def cumulative_curve(errors_deg, max_deg: float = 25, step: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """The paper's curve: thresholds 0, step, ..., max_deg and the % of images with error <= each."""
    errors = np.sort(_checked(errors_deg))
    thresholds = np.arange(0.0, max_deg + step / 2, step)
    percent = 100.0 * np.searchsorted(errors, thresholds, side="right") / errors.size
    return thresholds, percent
