"""Figures of one run's angular errors: the paper's cumulative curve and error against the true gaze.

They sit with the metrics they draw so that the harness can draw a run's own views without reaching up into
report/, which builds the figures across runs (report/plots.py) from these and from the run records.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from gazebench.core.atomic import write_atomic  # noqa: E402
from gazebench.metrics.accuracy import cumulative_curve  # noqa: E402

#: Bin width (degrees of true pitch or yaw) for the error-by-gaze plot.
GAZE_BIN_DEG = 2.5


def save_figure(fig, path: Path) -> Path:
    """Write the figure atomically as PNG and close it."""
    path = Path(path)
    write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight"))
    plt.close(fig)
    return path


def plot_cumulative_error(path: Path, errors_by_label: dict[str, np.ndarray], *, title: str | None = None,
                          max_deg: float = 25) -> Path:
    """% of images within d degrees against d, one line per label, as the paper's Figure 7 draws it."""
    rows = []
    for label, errors in errors_by_label.items():
        thresholds, percent = cumulative_curve(errors, max_deg=max_deg)
        rows.append(pd.DataFrame({"distance from ground truth (deg)": thresholds, "percentage of images": percent,
                                  "curve": label}))
    curves = pd.concat(rows, ignore_index=True)
    with sns.axes_style("whitegrid"):
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        sns.lineplot(data=curves, x="distance from ground truth (deg)", y="percentage of images", hue="curve", ax=ax)
        ax.set_xlim(0, max_deg)
        ax.set_ylim(0, 100)
        ax.legend(title=None, loc="lower right", fontsize="small")
        ax.set_title(title or "Cumulative angular error on the real test set")
    return save_figure(fig, path)


def plot_error_by_gaze(path: Path, predictions: pd.DataFrame, *, title: str | None = None) -> Path:
    """Mean error (with 95% interval) in bins of true pitch and of true yaw, one line per `label`."""
    frame = predictions.copy()
    for axis in ("pitch", "yaw"):
        degrees = np.degrees(frame[f"true_{axis}_rad"].to_numpy())
        frame[f"true {axis} (deg)"] = np.round(degrees / GAZE_BIN_DEG) * GAZE_BIN_DEG
    with sns.axes_style("whitegrid"):
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
        for ax, axis in zip(axes, ("pitch", "yaw")):
            sns.lineplot(data=frame, x=f"true {axis} (deg)", y="error_deg", hue="label", marker="o",
                         errorbar=("ci", 95), n_boot=200, seed=0, ax=ax)
            ax.set_ylabel("angular error (deg)")
            ax.legend(title=None, fontsize="small")
        fig.suptitle(title or "Angular error by true gaze direction")
    return save_figure(fig, path)
