"""Training curves of a refiner that learns weights: one JSON line per step, TensorBoard events and a PNG.

The JSON-lines log (`training_log.jsonl` in the checkpoint folder) is append-only, so an interrupted
training keeps its history; on resume, the lines after the restored checkpoint's step are dropped, since
that work is redone (TensorBoard's purge_step does the same to its events). The PNG is redrawn from the
log when training stops, so it always shows every step that counts.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from gazebench.core.atomic import write_atomic

LOG_FILE = "training_log.jsonl"
CURVES_FILE = "training_curves.png"
TENSORBOARD_DIR = "tensorboard"


def read_log(path: Path) -> list[dict[str, Any]]:
    """Every complete line; a half-written last line (a training killed mid-write) is dropped."""
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            break
    return rows


class TrainingLog:
    """Records each step's losses and discriminator accuracies; `close` draws training_curves.png."""

    def __init__(self, out_dir: Path, start_step: int):
        from torch.utils.tensorboard import SummaryWriter  # heavy import, only when a training writes curves

        self.out_dir = Path(out_dir)
        self.path = self.out_dir / LOG_FILE
        kept = [row for row in read_log(self.path) if row["step"] <= start_step]
        write_atomic(self.path, lambda p: p.write_text("".join(json.dumps(row) + "\n" for row in kept)))
        self._file = self.path.open("a")
        if not start_step:  # a fresh training in an old folder: its old events would be drawn over the new
            shutil.rmtree(self.out_dir / TENSORBOARD_DIR, ignore_errors=True)
        self._writer = SummaryWriter(str(self.out_dir / TENSORBOARD_DIR), purge_step=start_step + 1 if start_step else None)

    def record(self, step: int, stats: dict[str, Any]) -> None:
        row = {"step": step, **{k: v for k, v in stats.items() if isinstance(v, (int, float, str))}}
        self._file.write(json.dumps(row) + "\n")
        for key, value in row.items():
            if key != "step" and isinstance(value, (int, float)):
                self._writer.add_scalar(key.replace("/", "_per_"), value, step)

    def flush(self) -> None:
        self._file.flush()
        self._writer.flush()

    def close(self, title: str) -> None:
        self._file.close()
        self._writer.close()
        draw_curves(read_log(self.path), self.out_dir / CURVES_FILE, title)


def draw_curves(rows: list[dict[str, Any]], png: Path, title: str) -> None:
    """Losses (log scale) and the discriminator's accuracy on real and refined images, by step; the
    phases (refiner pretraining, discriminator pretraining, adversarial) are marked apart. Per-step values
    are drawn faint under their running mean, which is what shows who is winning over a long training."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    window = max(1, len(rows) // 60)
    fig, (losses, accuracy) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    for key, label in (("L_reg", "self-regularisation L1 (per pixel)"), ("L_adv", "refiner adversarial"),
                       ("L_D", "discriminator")):
        _plot_with_mean(losses, [(r["step"], r[key]) for r in rows if key in r and r[key] > 0], label, window)
    losses.set_yscale("log")
    losses.set_ylabel("loss")
    losses.legend(fontsize=8)
    for key, label in (("acc_real", "D accuracy on real"), ("acc_refined", "D accuracy on refined")):
        _plot_with_mean(accuracy, [(r["step"], 100 * r[key]) for r in rows if key in r], label, window)
    accuracy.axhline(50, color="grey", lw=0.8, ls="--")
    accuracy.set_ylim(-2, 102)
    accuracy.set_ylabel("%")
    accuracy.set_xlabel(f"step (solid: mean of {window} steps)" if window > 1 else "step")
    accuracy.legend(fontsize=8)
    for axis in (losses, accuracy):
        for i, (start, phase) in enumerate(_phase_starts(rows)):
            axis.axvline(start, color="black", lw=0.6, alpha=0.5)
            if axis is losses:  # stepped down, since the pretraining phases start a few steps apart
                axis.annotate(f" {phase}", (start, 1 - 0.08 * i), xycoords=("data", "axes fraction"), fontsize=7, va="top")
    fig.suptitle(title)
    fig.tight_layout()
    write_atomic(png, lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)


def _plot_with_mean(axis, points: list[tuple[int, float]], label: str, window: int) -> None:
    """Per-step values, faint when a running mean over `window` steps is drawn over them in the same colour."""
    if not points:
        return
    steps, values = (np.asarray(column, dtype=float) for column in zip(*points))
    if window == 1 or len(values) < window:
        axis.plot(steps, values, label=label, lw=1)
        return
    (line,) = axis.plot(steps, values, lw=0.5, alpha=0.25)
    mean = np.convolve(values, np.ones(window) / window, mode="valid")
    axis.plot(steps[window - 1:], mean, color=line.get_color(), lw=1.5, label=label)


def _phase_starts(rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    starts, last = [], None
    for row in rows:
        if row.get("phase") != last:
            last = row.get("phase")
            starts.append((row["step"], str(last)))
    return starts
