"""Run folders: atomic files, a `done` marker written last, and reading a folder of runs back.

A run folder is complete only when its `done` marker exists; everything before the marker is written
to a temporary name and renamed, so an interrupted run never looks complete (DomainBed-style records).
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gazebench.core.atomic import write_atomic
from gazebench.core.errors import UserInputError

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.json"
DONE_MARKER = "done"
CHECKPOINTS_DIR = "estimator_checkpoints"  # epoch checkpoints of a run's CNN fits; removed once the run is done
# A sweep's fits that do not depend on the refiner (unrefined and oracle estimator fits) or on the estimators (a trained
# refiner), kept for the other cells of the same inputs: never a run, however many config.json files it holds.
SHARED_FITS_DIR = "shared_fits"
REPO_ROOT = Path(__file__).resolve().parents[1]
SWEEP_MANIFEST = "sweep.json"  # a sweep's cells and jobs, for --status and resuming (harness/sweep.py)


def _json_default(value: Any):
    """numpy scalars/arrays and paths, which json cannot write on its own."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def git_state(outputs: Path | None = None) -> dict[str, Any]:
    """The commit that reproduces a record and whether tracked files differed from it (None outside a checkout).

    Tracked files inside `outputs` (the folder the run or sweep writes into) and sweep manifests anywhere do not
    count: they are what runs make, not what they read, so a sweep into a committed results folder stays clean.
    """

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True).stdout.strip()

    try:
        top = Path(git("rev-parse", "--show-toplevel"))
        scope = [f":(top,exclude){rel}" for rel in [_inside(top, outputs)] if rel] + [f":(top,exclude,glob)**/{SWEEP_MANIFEST}"]
        changed = git("status", "--porcelain", "--untracked-files=no", "--", ":(top)", *scope)
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(changed)}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def _inside(top: Path, folder: Path | None) -> str | None:
    """`folder` relative to the checkout `top` (posix), or None when it is absent, outside it or the checkout itself."""
    if folder is None:
        return None
    try:
        rel = Path(folder).resolve().relative_to(top.resolve())
    except ValueError:
        return None
    return rel.as_posix() if rel.parts else None


def write_text(path: Path, text: str) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path: Path, payload: Any) -> Path:
    return write_text(path, json.dumps(payload, indent=2, default=_json_default, allow_nan=True) + "\n")


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    return write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))


def settings_hash(settings: dict[str, Any]) -> str:
    """8 hex digits that differ between any two settings (JSON with sorted keys, SHA-1)."""
    text = json.dumps(settings, sort_keys=True, default=_json_default)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def new_run_dir(out: Path, refiner: str, seed: int, settings: str = "") -> Path:
    """Create a fresh, uniquely named run folder: UTC time, refiner, seed, settings hash (+ a counter on a clash)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    label = re.sub(r"[^A-Za-z0-9_.-]+", "-", refiner).strip("-") or "refiner"
    stem = f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}_{label}_seed{seed}" + (f"_{settings}" if settings else "")
    for attempt in range(1000):
        run_dir = out / (stem if attempt == 0 else f"{stem}_{attempt}")
        try:
            run_dir.mkdir()  # exclusive: two runs started in the same second get different folders
            return run_dir
        except FileExistsError:
            continue
    raise RuntimeError(f"could not create a unique run folder under {out}")


def mark_done(run_dir: Path) -> None:
    """Written last: its presence is what makes a run folder count as complete."""
    write_text(Path(run_dir) / DONE_MARKER, time.strftime("%Y-%m-%dT%H:%M:%SZ\n", time.gmtime()))


def is_done(run_dir: Path) -> bool:
    return (Path(run_dir) / DONE_MARKER).is_file()


def resumable_run_dir(run_dir: Path, refiner: str, seed: int, settings: str) -> Path:
    """run_dir, checked to be an unfinished run folder of this refiner, seed and settings hash (else one sentence)."""
    run_dir = Path(run_dir)
    try:
        config = json.loads((run_dir / CONFIG_FILE).read_text(encoding="utf-8"))
        recorded = (config["refiner"]["name"], config["run"]["seed"], config["settings_hash"])
    except (OSError, ValueError, KeyError, TypeError):
        raise UserInputError(f"--resume {run_dir}: not a run folder that `bench run` started (no readable {CONFIG_FILE} "
                             "with its refiner, seed and settings hash).") from None
    if is_done(run_dir):
        raise UserInputError(f"--resume {run_dir}: that run finished already ('{DONE_MARKER}' is there); nothing to resume.")
    if recorded != (refiner, seed, settings):
        raise UserInputError(f"--resume {run_dir}: it was started as refiner {recorded[0]}, seed {recorded[1]}, settings "
                             f"{recorded[2]}; this command is refiner {refiner}, seed {seed}, settings {settings}.")
    return run_dir


def read_run(run_dir: Path) -> tuple[dict, list[dict]]:
    """(config, metric records) of one complete run folder."""
    run_dir = Path(run_dir)
    config = json.loads((run_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    records = json.loads((run_dir / METRICS_FILE).read_text(encoding="utf-8"))
    return config, records


def find_run_dirs(runs_dir: Path) -> list[Path]:
    """Every folder under runs_dir that holds a metrics.json or a config.json (complete or not), outermost only."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        raise UserInputError(f"Runs folder {runs_dir} does not exist; expected a folder written by 'bench run --out'.")
    found = sorted({p.parent for name in (CONFIG_FILE, METRICS_FILE) for p in runs_dir.rglob(name)
                    if SHARED_FITS_DIR not in p.relative_to(runs_dir).parts})
    runs: list[Path] = []
    for candidate in found:  # sorted, so a run folder comes before what it holds (e.g. its refiner checkpoint)
        if not any(candidate.is_relative_to(run) for run in runs):
            runs.append(candidate)
    return runs


def read_runs(runs_dir: Path) -> pd.DataFrame:
    """All metric records of the complete runs under runs_dir, one row each (`run` = folder name).

    Half-written or unreadable runs are skipped with a warning; a folder with no complete run is a user error.
    """
    rows: list[dict] = []
    for run_dir in find_run_dirs(runs_dir):
        if not is_done(run_dir):
            warnings.warn(f"skipping {run_dir}: no '{DONE_MARKER}' marker (interrupted or still running)", stacklevel=2)
            continue
        try:
            config, records = read_run(run_dir)
        except (OSError, ValueError) as exc:
            warnings.warn(f"skipping {run_dir}: cannot read its records ({exc})", stacklevel=2)
            continue
        git = config.get("git") or {}
        if git.get("dirty"):
            warnings.warn(f"{run_dir} was run from a tree with uncommitted changes: no commit reproduces it", stacklevel=2)
        for record in records:
            rows.append({**record, "run": run_dir.name, "run_dir": str(run_dir)})  # records carry commit and dirty
    if not rows:
        raise UserInputError(f"Runs folder {runs_dir} holds no complete run; expected folders written by 'bench run'.")
    return pd.DataFrame(rows)


def read_predictions(records: pd.DataFrame) -> pd.DataFrame:
    """Per-image predictions of the method records (from read_runs), tagged with estimator, refiner, n_train, seed."""
    frames = []
    for record in records[records["kind"] == "method"].itertuples():
        path = Path(record.run_dir) / record.predictions_file
        if not path.is_file():  # committed reference runs keep aggregates only (predictions hold real labels)
            warnings.warn(f"skipping {record.run_dir}: {record.predictions_file} is missing", stacklevel=2)
            continue
        frame = pd.read_csv(path)
        frames.append(frame.assign(run=record.run, estimator=record.estimator, refiner=record.refiner,
                                   n_train=record.n_train, seed=record.seed))
    if not frames:
        raise UserInputError("No run holds per-image predictions (predictions_*.csv); expected run folders as 'bench run' writes them.")
    return pd.concat(frames, ignore_index=True)
