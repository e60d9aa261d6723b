"""Refiner tuning rows: one `bench run` (kNN, realism on) per named refiner setting, kept to the realism numbers.

results/p00_standard/tune_refiner.py appends these rows to a committed .jsonl; named settings come from a
JSON object or a settings grid (harness/grid.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gazebench.harness import records
from gazebench.harness.grid import merged
from gazebench.harness.run import RunConfig, run_benchmark

#: Method-row fields a tuning row keeps; commit and dirty are the run's own, not the caller's at the end.
KEPT = ("mean_angular_error_deg", "domain_accuracy_pct", "frechet_real_refined", "frechet_real_synthetic",
        "gaze_drift_mean_deg", "refiner_seconds", "commit", "dirty")


def refiner_tuning_rows(refiner: str, settings: dict[str, dict[str, Any]], *, real: str, preset: str, seed: int,
                        runs: str, base_settings: dict[str, dict[str, Any]] | None = None) -> Iterator[dict]:
    """Per named setting (overrides of `refiner`'s preset), one run and its row; base_settings go under every run
    (e.g. smaller sizes) and are not part of the row."""
    for name, overrides in settings.items():
        config = RunConfig(refiner=refiner, estimators=("knn",), real=real, preset=preset, seed=seed, out=runs,
                           references=False, settings=merged(base_settings or {}, {refiner: overrides}), progress=False)
        run_dir = run_benchmark(config)
        method = records.read_run(run_dir)[1][0]
        yield {"setting": name, "refiner": refiner, "overrides": overrides, "preset": preset, "seed": seed,
               "run_dir": str(run_dir), **{k: method[k] for k in KEPT}}
