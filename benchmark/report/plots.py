"""Seaborn figures of angular error across runs: cumulative curves per estimator, error by gaze, calibration.

One run's own figures are metrics/figures.py. Inputs are per-image prediction tables (the run folder's predictions CSVs): columns `true_pitch_rad`,
`true_yaw_rad`, `error_deg`, plus a `label` column naming the curve each row belongs to.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display

import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from gazebench.metrics.accuracy import cumulative_curve  # noqa: E402
from gazebench.metrics.figures import plot_error_by_gaze, save_figure  # noqa: E402
from gazebench.metrics.references import mean_gaze_reference  # noqa: E402


def plot_runs(out_dir: Path, predictions: pd.DataFrame) -> list[Path]:
    """Across runs (records.read_predictions): cumulative error faceted by estimator, and error by gaze."""
    out_dir = Path(out_dir)
    predictions = predictions.assign(
        label=predictions["estimator"] + " / " + predictions["refiner"] + " / n=" + predictions["n_train"].astype(int).astype(str)
    )
    return [
        plot_cumulative_by_estimator(out_dir / "cumulative_error_runs.png", predictions),
        plot_error_by_gaze(out_dir / "error_by_gaze_runs.png", predictions, title="Angular error by true gaze, across runs"),
    ]


def plot_cumulative_by_estimator(path: Path, predictions: pd.DataFrame, max_deg: float = 25) -> Path:
    """One panel per estimator, one colour per refiner (seeds pooled; a dashed style per training size when
    runs differ in it), and the mean-gaze reference of the test set in black."""
    rows = []
    sizes = predictions["n_train"].nunique() > 1
    for (estimator, refiner, n_train), part in predictions.groupby(["estimator", "refiner", "n_train"], sort=True):
        thresholds, percent = cumulative_curve(part["error_deg"].to_numpy(), max_deg=max_deg)
        rows.append(pd.DataFrame({"distance from ground truth (deg)": thresholds, "percentage of images": percent,
                                  "estimator": estimator, "refiner": refiner, "n train": f"n={int(n_train)}"}))
    curves = pd.concat(rows, ignore_index=True)
    # The reference predicts each run's own test-set mean gaze; its errors depend on the test images alone.
    first_run = predictions[predictions["run"] == predictions["run"].iloc[0]].drop_duplicates("test_index")
    mean_gaze = mean_gaze_reference(first_run[["true_pitch_rad", "true_yaw_rad"]].to_numpy())
    ref_x, ref_y = cumulative_curve(mean_gaze, max_deg=max_deg)
    with sns.axes_style("whitegrid"):
        grid = sns.relplot(data=curves, x="distance from ground truth (deg)", y="percentage of images", hue="refiner",
                           hue_order=sorted(curves["refiner"].unique()), style="n train" if sizes else None,
                           col="estimator", kind="line", height=3.6, aspect=1.1,
                           facet_kws={"xlim": (0, max_deg), "ylim": (0, 100)})
        for ax in grid.axes.flat:
            ax.plot(ref_x, ref_y, color="black", linestyle="--", linewidth=1, label="mean-gaze reference")
        grid.axes.flat[0].legend(loc="lower right", fontsize="small", handles=grid.axes.flat[0].get_lines()[-1:])
        grid.figure.suptitle("Cumulative angular error on the real test set, seeds pooled "
                             "(dashed: mean-gaze reference)", y=1.03)
    return save_figure(grid.figure, path)


def plot_calibration(path: Path, calibrated: pd.DataFrame) -> Path:
    """Error against the number of calibration eyes k (log axis; k=0 drawn at 0.5), one panel per estimator and
    correction, one colour per refiner, seeds averaged (band: one standard deviation over seeds). `calibrated` holds
    one row per run, estimator, refiner, correction and k with an `error (deg)` column."""
    frame = calibrated.assign(x=calibrated["k"].where(calibrated["k"] > 0, 0.5))
    with sns.axes_style("whitegrid"):
        grid = sns.relplot(data=frame, x="x", y="error (deg)", hue="refiner", hue_order=sorted(frame["refiner"].unique()),
                           col="estimator", row="correction", kind="line", marker="o", errorbar="sd", height=3.4,
                           aspect=1.1)
        ticks = sorted(frame["x"].unique())
        for ax in grid.axes.flat:
            ax.set_xscale("log")
            ax.set_xticks(ticks, [("0" if t == 0.5 else f"{int(t)}") for t in ticks])
            ax.set_xlabel("calibration eyes per person, k")
        grid.figure.suptitle("Error after few-shot person calibration", y=1.03)
    return save_figure(grid.figure, path)
