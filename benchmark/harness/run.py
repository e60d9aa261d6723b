"""`bench run` orchestration: refine synthetic eyes, train gaze estimators on them, test on real eyes.

The only module that knows refiners, estimators and metrics together. Before anything is written, `prepare`
(harness/prepare.py) opens the sources and checks every user input (including that no test image is one the
refiner sees). Then the run folder and config.json, and the named stages (harness/stages.py) in `_run`; then
metrics.json and `done`. RunConfig and the settings hash live in harness/config.py and are re-exported here.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import platform
import resource
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from gazebench.core.device import cpu_bf16_native, cpu_identity, resolve_device, seed_everything
from gazebench.core.errors import Preempted
from gazebench.harness import records
from gazebench.harness.config import (  # noqa: F401 - re-exported: the CLI, sweep, tests and scripts import them here
    DEFAULT_REAL,
    DEFAULT_SYNTHETIC,
    NOT_SETTINGS,
    STAND_IN_SEED,
    RunConfig,
    settings_hash,
    settings_record,
)
from gazebench.harness.gap import stage_gap
from gazebench.harness.prepare import Inputs, prepare
from gazebench.harness.stages import (
    stage_estimate,
    stage_inputs,
    stage_realism,
    stage_references,
    stage_refine,
    stage_views,
)

PACKAGES = ("gazebench", "torch", "numpy", "scipy", "scikit-learn", "pandas", "seaborn", "matplotlib")
_prepare = prepare  # the name tests and results/ceiling/ceiling_folds.py import


def _versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def _config_record(cfg: RunConfig, inputs: Inputs, device: torch.device, request: RunConfig) -> dict[str, Any]:
    return {
        "run": dataclasses.asdict(cfg),
        "request": dataclasses.asdict(request),  # the settings as given, before presets filled them: --resume reads them
        "refiner": {"name": inputs.refiner.name, "config": inputs.refiner.config},
        "estimators": {name: est.config for name, est in inputs.estimators.items()},
        "data": {
            "synthetic": inputs.synthetic.name,
            "real": inputs.real.name,
            "real_is_stand_in": bool(inputs.real.is_stand_in),
            "real_test": inputs.test.name,
            "test_is_stand_in": bool(inputs.test.is_stand_in),
            "test_held_out_of_real": cfg.real_test is None,
            "n_real_for_refiner": int(len(inputs.real_indices)),
            "n_test": int(len(inputs.test_indices)),
            "n_calibration_pool": int(len(inputs.calibration_indices)),
            "test_people": sorted(map(str, set(inputs.test.people(inputs.test_indices)))),
        },
        "device": str(device),
        "cuda_device": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "torch_threads": torch.get_num_threads(),
        "cpu": cpu_identity(),
        "cpu_bf16_native": cpu_bf16_native(),  # whether a component's cpu_bf16 setting ran in bf16 here
        "versions": _versions(),
        "git": records.git_state(outputs=Path(cfg.out)),
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def run_benchmark(config: RunConfig, *, log: Callable[[str], None] = print, resume_dir: Path | None = None) -> Path:
    """Run one benchmark and return its run folder; the folder counts as complete only once `done` exists.

    With resume_dir (an unfinished run folder of the same refiner, seed and settings) the run continues there: the
    refiner from its last checkpoint, each CNN from its last finished epoch; what is quick (data, RF, kNN, metrics)
    is computed again, seeded, so the records equal those of a run that was never stopped (bit-identical on the CPU).
    """
    started = time.perf_counter()
    cfg = config.resolved()
    device = resolve_device(cfg.device)
    inputs = prepare(cfg)
    if inputs.real.is_stand_in or inputs.test.is_stand_in:
        log(f"NOTE: real domain '{inputs.real.name}' is the simulator's STAND-IN for real eyes, not real data; "
            "give --real (and --real-test) for real MPIIGaze eyes.")
    digest = settings_hash(config)
    if resume_dir is None:
        run_dir = records.new_run_dir(Path(cfg.out), inputs.refiner.name, cfg.seed, digest)
        log(f"run folder: {run_dir}")
    else:
        run_dir = records.resumable_run_dir(Path(resume_dir), inputs.refiner.name, cfg.seed, digest)
        log(f"resuming run folder: {run_dir}")
    try:
        _run(cfg, inputs, device, run_dir, started, log, synthetic_setting=config.synthetic or "default simulator",
             digest=digest, settings=lambda estimator: settings_record(config, cfg.refiner, estimator),
             request=config, resume=resume_dir is not None)
    except Preempted as exc:  # a stop signal: what trained is saved, and the run continues where it stopped
        raise Preempted(f"{exc} Run `bench run --resume {run_dir}` to continue.", exc.signum) from None
    except BaseException:
        log(f"run stopped before finishing; {run_dir} has no '{records.DONE_MARKER}' marker and tables skip it.")
        raise
    return run_dir


@contextmanager
def _timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    """Adds the stage's wall seconds to `seconds`, so a record says where a run's time went."""
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - start


def _run(cfg: RunConfig, inputs: Inputs, device: torch.device, run_dir: Path, started: float, log, *,
         synthetic_setting: str, digest: str, settings: Callable[[str | None], dict[str, Any]], request: RunConfig,
         resume: bool) -> None:
    """The stages of a run, in order: inputs, refine, estimate, references, realism, views; then the records,
    each with the run's settings hash and the settings that can change its numbers (`settings(estimator)`)."""
    config_record = {**_config_record(cfg, inputs, device, request), "settings_hash": digest}
    records.write_json(run_dir / records.CONFIG_FILE, config_record)
    seed_everything(cfg.seed)
    seconds: dict[str, float] = {}
    with _timed(seconds, "inputs"):
        data = stage_inputs(cfg, inputs, log)
    data.checkpoint_dir = run_dir / records.CHECKPOINTS_DIR
    data.shared_dir = Path(cfg.shared_fits) if cfg.shared_fits else None
    with _timed(seconds, "refine"):
        refined = stage_refine(cfg, inputs, data, device, run_dir, config_record, log, resume=resume)
    common = {
        "refiner": refined.refiner.name, "refiner_checkpoint": cfg.refiner_checkpoint,
        "synthetic": inputs.synthetic.name, "real": inputs.real.name, "real_is_stand_in": bool(inputs.real.is_stand_in),
        "real_test": inputs.test.name, "test_is_stand_in": bool(inputs.test.is_stand_in), "n_synthetic": cfg.n_synthetic,
        "synthetic_setting": synthetic_setting,
        "n_test": int(len(data.test_images)), "seed": cfg.seed, "preset": cfg.preset, "device": str(device),
        "settings_hash": digest, **config_record["git"],  # commit and dirty flag in every record, as in config.json
    }
    with _timed(seconds, "estimate"):
        method_records, errors_by_label, predictions = stage_estimate(cfg, inputs, data, refined, device, run_dir,
                                                                      common, log)
    reference_records = []
    if cfg.references:
        with _timed(seconds, "references"):
            reference_records, errors_by_label["reference: mean gaze"] = stage_references(cfg, inputs, data, common,
                                                                                          log)
    if cfg.realism:
        with _timed(seconds, "realism"):
            realism = stage_realism(cfg, data, refined, device, log)
        for record in method_records:
            record.update(realism)
    oracle_records = []
    if inputs.oracle:
        with _timed(seconds, "gap"):
            oracle_records = stage_gap(cfg, inputs, data, refined, method_records, common, device, log)
    with _timed(seconds, "views"):
        stage_views(run_dir, data, refined, errors_by_label, predictions)

    total = time.perf_counter() - started
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    for record in method_records + reference_records + oracle_records:
        record["settings"] = settings(record["estimator"] if record["kind"] != "reference" else None)
        record["run_seconds"] = total
        record["stage_seconds"] = {stage: round(value, 2) for stage, value in seconds.items()}
        record["peak_rss_mb"] = peak_rss_mb  # the process's peak: one run per process under bench run and bench sweep
    records.write_json(run_dir / records.METRICS_FILE, method_records + reference_records + oracle_records)
    records.mark_done(run_dir)
    shutil.rmtree(data.checkpoint_dir, ignore_errors=True)  # they only serve resuming an unfinished run
    log(f"finished in {total:.0f} s (" + ", ".join(f"{stage} {value:.0f}" for stage, value in seconds.items()) + ")")
