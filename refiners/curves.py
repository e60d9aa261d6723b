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

from benchmark.atomic import write_atomic

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
    phases (refiner pretraining, discriminator pretraining, adversarial) are shaded apart."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (losses, accuracy) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    for key, label in (("L_reg", "self-regularisation L1 (per pixel)"), ("L_adv", "refiner adversarial"),
                       ("L_D", "discriminator")):
        points = [(r["step"], r[key]) for r in rows if key in r and r[key] > 0]
        if points:
            losses.plot(*zip(*points), label=label, lw=1)
    losses.set_yscale("log")
    losses.set_ylabel("loss")
    losses.legend(fontsize=8)
    for key, label in (("acc_real", "D accuracy on real"), ("acc_refined", "D accuracy on refined")):
        points = [(r["step"], 100 * r[key]) for r in rows if key in r]
        if points:
            accuracy.plot(*zip(*points), label=label, lw=1)
    accuracy.axhline(50, color="grey", lw=0.8, ls="--")
    accuracy.set_ylim(-2, 102)
    accuracy.set_ylabel("%")
    accuracy.set_xlabel("step")
    accuracy.legend(fontsize=8)
    for axis in (losses, accuracy):
        for start, phase in _phase_starts(rows):
            axis.axvline(start, color="black", lw=0.6, alpha=0.5)
            if axis is losses:
                axis.annotate(phase, (start, 1), xycoords=("data", "axes fraction"), fontsize=7, va="top")
    fig.suptitle(title)
    fig.tight_layout()
    write_atomic(png, lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)


def _phase_starts(rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    starts, last = [], None
    for row in rows:
        if row.get("phase") != last:
            last = row.get("phase")
            starts.append((row["step"], str(last)))
    return starts
