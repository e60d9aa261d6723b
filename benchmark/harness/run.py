"""`bench run` orchestration: refine synthetic eyes, train gaze estimators on them, test on real eyes.

The only module that knows refiners, estimators and metrics together. Before anything is written, `_prepare`
opens the sources and checks every user input (including that no test image is one the refiner sees). Then
the run folder and config.json, and the named stages of `_run`: inputs (read images) -> refine (fit the
refiner on synthetic + unlabelled real images unless it comes from a checkpoint; refine) -> estimate (per
estimator: fit on refined images with synthetic labels, predict the test set and the calibration pool) ->
references -> realism (on held-out images) -> views (plots); then metrics.json and `done`.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import platform
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import torch

from gazebench.core import fingerprints
from gazebench.harness import records
from gazebench.data import EyeData, EyeSource, open_source, parse_spec
from gazebench.core.device import resolve_device, seed_everything
from gazebench.core.errors import UserInputError
from gazebench.core.images import to_model_tensor, to_uint8
from gazebench.metrics.calibration import CALIBRATION_DRAWS, CALIBRATION_KS, calibrated_errors
from gazebench.metrics.accuracy import angular_errors, bias_gain_corr, summarize_errors
from gazebench.core.settings import RUN as RUN_SETTINGS
from gazebench.core.settings import checked

# The built-in simulator, sized to the run and drawn with the run's seed (its images are a function of seed, index).
DEFAULT_SYNTHETIC = "sim?n={n}&seed={seed}"
# The simulator's stand-in for real eyes; real data is never used implicitly. Its own fixed seed keeps it from
# sharing gaze labels with the synthetic set (the simulator's labels do not depend on the style).
STAND_IN_SEED = 100_000
DEFAULT_REAL = f"sim?style=target&seed={STAND_IN_SEED}"
MIN_REALISM_IMAGES = 10  # the domain classifier holds 30% out for its test; Fréchet needs a covariance
PROBE_ESTIMATOR = "cnn"  # realism metrics read this estimator's features and predictions

#: Data sizes per preset. `cpu` keeps the default `bench run` within 5 minutes on 2 CPU cores.
PRESET_SIZES: dict[str, dict[str, int]] = {
    # n_synthetic: labelled synthetic training images (the paper's "1x"); n_real: most unlabelled real images
    # given to the refiner; n_test: most real test images held out of --real; n_realism: held-out synthetic
    # and real images for the realism metrics; n_probe: unrefined synthetic images that train the drift probe.
    # cpu: the refiner's cpu preset sees about 7k real images in all, so 2k unlabelled real ones suffice; 10k
    # synthetic images keep rendering, refining and CNN training within the 5-minute budget on 2 cores.
    # n_probe: with 3k images (47 CNN steps) the probe's own drift was 24 deg and every Fréchet distance 0.03 in
    # the first p00 sweep, too weak a ruler to tell refiners apart; 10k gives it the method CNN's training.
    # n_calibration: labelled eyes per test person held out of the test set as the few-shot calibration pool
    # (benchmark/calibration.py); twice the largest k, so repeated draws of 27 eyes still differ.
    "cpu": {"n_synthetic": 10_000, "n_real": 2_000, "n_test": 1_500, "n_realism": 500, "n_probe": 10_000,
            "n_calibration": 60},
    # standard: the reference CPU protocol (README "Reference CPU protocol"); 30k renders is what its CNN was
    # tuned on, and the probe's 10k keeps the realism ruler's cost at a third of the method CNN's.
    "standard": {"n_synthetic": 30_000, "n_real": 2_000, "n_test": 1_500, "n_realism": 500, "n_probe": 10_000,
                 "n_calibration": 60},
    "paper": {"n_synthetic": 200_000, "n_real": 50_000, "n_test": 3_000, "n_realism": 2_000, "n_probe": 50_000,
              "n_calibration": 60},
}
PACKAGES = ("gazebench", "torch", "numpy", "scipy", "scikit-learn", "pandas", "seaborn", "matplotlib")


@dataclass
class RunConfig:
    """Every choice of one run; sizes left as None come from the preset (see `resolved`)."""

    refiner: str = "simgan_local"
    refiner_checkpoint: str | None = None  # a `bench refine` folder; replaces `refiner`
    allow_unfingerprinted_checkpoint: bool = False  # test real eyes with a checkpoint that records no fingerprints
    trust_checkpoint_code: bool = False  # import a checkpoint's class even when no built-in or installed plugin has it
    estimators: tuple[str, ...] = ("cnn",)
    synthetic: str | None = None  # None: DEFAULT_SYNTHETIC with as many images as the run needs
    real: str = DEFAULT_REAL
    real_test: str | None = None  # None: hold a seeded part of `real` out as the test set
    preset: str = "cpu"
    n_synthetic: int | None = None
    n_real: int | None = None
    n_test: int | None = None
    n_realism: int | None = None
    n_probe: int | None = None
    n_calibration: int | None = None
    split_seed: int = 0  # fixed across seeds, so every seed is tested on the same held-out images
    seed: int = 0
    device: str = "auto"
    out: str = "results/runs"
    references: bool = True
    realism: bool = True
    ceiling_folds: int = 5
    calibration: bool = True
    calibration_ks: tuple[int, ...] = CALIBRATION_KS
    calibration_draws: int = CALIBRATION_DRAWS
    # Single settings over the preset's, by component: "run" (sizes), the refiner's name, an estimator's name
    # (benchmark/settings.py; `--set cnn.epochs=10`).
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    progress: bool = True

    def resolved(self) -> RunConfig:
        """A copy with every preset size filled in and the inputs checked."""
        if self.preset not in PRESET_SIZES:
            raise UserInputError(f"Unknown preset '{self.preset}'; expected one of {', '.join(PRESET_SIZES)}.")
        strays = sorted(set(self.settings) - {RUN_SETTINGS, self.refiner, *self.estimators})
        if strays:
            raise UserInputError(f"--set {strays[0]}.KEY=VALUE: {strays[0]} is not `run`, this run's refiner "
                                 f"({self.refiner}) or one of its estimators ({', '.join(self.estimators)}).")
        if self.refiner_checkpoint and self.settings.get(self.refiner):
            raise UserInputError(f"--set {self.refiner}.KEY=VALUE: a --refiner-checkpoint is trained already; "
                                 "its settings are fixed.")
        preset_sizes = PRESET_SIZES[self.preset]
        run_settings = checked("run sizes", RUN_SETTINGS, preset_sizes, self.settings.get(RUN_SETTINGS, {}))
        for name, value in run_settings.items():
            if getattr(self, name) is not None and getattr(self, name) != value:
                raise UserInputError(f"--{name.replace('_', '-')} {getattr(self, name)} and --set run.{name}={value} "
                                     "disagree; give one of them.")
        sizes = {k: run_settings.get(k, v) if getattr(self, k) is None else getattr(self, k) for k, v in preset_sizes.items()}
        for name, value in sizes.items():
            if int(value) < 1:
                raise UserInputError(f"--{name.replace('_', '-')} is {value}; expected a positive number of images.")
        if not self.estimators:
            raise UserInputError("No estimator given; expected at least one --estimator (`bench refiners` lists them).")
        synthetic = self.synthetic
        if synthetic is None and self.real == DEFAULT_REAL and self.seed == STAND_IN_SEED:
            raise UserInputError(f"--seed {STAND_IN_SEED} is the stand-in real set's own seed, so the default synthetic "
                                 "and test images would share their gaze labels; pick another seed.")
        # {n} and {seed} in a --synthetic spec are filled in like the default's, so seeds of one setting pool.
        template = DEFAULT_SYNTHETIC if synthetic is None else synthetic
        try:
            synthetic = template.format(n=sizes["n_synthetic"] + (sizes["n_realism"] if self.realism else 0), seed=self.seed)
        except (KeyError, IndexError, ValueError):
            raise UserInputError(f"--synthetic {template!r}: braces may only hold {{n}} or {{seed}}.") from None
        return dataclasses.replace(self, estimators=tuple(dict.fromkeys(self.estimators)), synthetic=synthetic, **sizes)


#: RunConfig fields that do not change what a run measures (where it writes, how it reports) or that vary
#: between seeds of one setting; every other field enters the settings hash in the run folder's name.
NOT_SETTINGS = ("seed", "out", "progress", "device", "trust_checkpoint_code")


def settings_hash(config: RunConfig) -> str:
    """The short hash of every resolved setting but the seed: seeds of one setting share it, two settings never do
    (the synthetic spec enters as its {n}/{seed} template, which the seed does not change)."""
    settings = {k: v for k, v in dataclasses.asdict(config.resolved()).items() if k not in NOT_SETTINGS}
    settings["synthetic"] = config.synthetic or DEFAULT_SYNTHETIC
    return records.settings_hash(settings)


def _versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return versions


@dataclass
class _Inputs:
    """What the checks before the run folder exists produce: sources, index splits, models to train."""

    synthetic: EyeSource
    real: EyeSource
    test: EyeSource
    real_indices: np.ndarray  # unlabelled images for the refiner
    test_indices: np.ndarray  # the evaluated test images
    calibration_indices: np.ndarray  # labelled test-person eyes for few-shot calibration, never evaluated
    refiner: Any
    estimators: dict[str, Any]
    real_images: torch.Tensor | None  # --real's refiner images, read once, where the guard or the refiner needs them


def _require_labels(source: EyeSource, option: str, why: str) -> None:
    if not source.has_labels:
        raise UserInputError(f"{option} {source.name} has no gaze labels; expected a labelled set {why}.")


def _prepare(cfg: RunConfig) -> _Inputs:
    """Every check a user can fail, before anything is written."""
    from gazebench.estimators.registry import create_estimator
    from gazebench.refiners.registry import create_refiner, load_refiner

    estimators = {name: create_estimator(name, preset=cfg.preset, seed=cfg.seed, **cfg.settings.get(name, {}))
                  for name in cfg.estimators}
    if cfg.refiner_checkpoint:
        refiner = load_refiner(Path(cfg.refiner_checkpoint), trust_code=cfg.trust_checkpoint_code)
    else:
        refiner = create_refiner(cfg.refiner, preset=cfg.preset, seed=cfg.seed, **cfg.settings.get(cfg.refiner, {}))
    synthetic = open_source(cfg.synthetic)
    _require_labels(synthetic, "--synthetic", "(the estimators train on its labels)")
    real = open_source(cfg.real)
    rng = np.random.default_rng(cfg.split_seed)
    if cfg.real_test:
        test = open_source(cfg.real_test)
        _require_labels(test, "--real-test", "to measure angular error on")
        test_indices = np.sort(rng.choice(len(test), size=min(cfg.n_test, len(test)), replace=False))
        real_indices = np.sort(rng.choice(len(real), size=min(cfg.n_real, len(real)), replace=False))
    else:
        test = real
        _require_labels(real, "--real", "to hold a test set out of (or give a labelled --real-test)")
        if len(real) < 2:
            raise UserInputError(f"--real {real.name} holds {len(real)} image; expected at least 2 to split into refiner and test images.")
        n_test = min(cfg.n_test, len(real) // 2)
        drawn = rng.choice(len(real), size=n_test + min(cfg.n_real, len(real) - n_test), replace=False)
        test_indices, real_indices = np.sort(drawn[:n_test]), np.sort(drawn[n_test:])
    calibration_indices = np.zeros(0, np.int64)
    if cfg.calibration:
        if not cfg.calibration_ks or min(cfg.calibration_ks) < 1 or cfg.calibration_draws < 1:
            raise UserInputError(f"Calibration needs k >= 1 and at least one draw; got k {cfg.calibration_ks}, "
                                 f"{cfg.calibration_draws} draws (or pass --no-calibration).")
        test_indices, calibration_indices = _calibration_split(test, test_indices, cfg, rng)
    if cfg.references and len(test_indices) < 2 * cfg.ceiling_folds:
        raise UserInputError(f"The test set holds {len(test_indices)} images; the real-label ceiling needs at least "
                             f"{2 * cfg.ceiling_folds} (or pass --no-references).")
    if cfg.realism and min(cfg.n_realism, len(test_indices)) < MIN_REALISM_IMAGES:
        raise UserInputError(f"Realism metrics need at least {MIN_REALISM_IMAGES} held-out real and synthetic images; "
                             f"this run has {min(cfg.n_realism, len(test_indices))} (or pass --no-realism).")
    batch = refiner.config.get("batch_size", 0)
    if refiner.learns_weights and not cfg.refiner_checkpoint and len(real_indices) < batch:
        raise UserInputError(f"--real gives the refiner {len(real_indices)} images; its preset trains on batches of {batch}.")
    needed = cfg.n_synthetic + (cfg.n_realism if cfg.realism else 0)
    if len(synthetic) < needed:
        raise UserInputError(f"--synthetic {synthetic.name} holds {len(synthetic)} images; this run needs {needed}.")
    guard_reads_real = bool(cfg.real_test) and not cfg.refiner_checkpoint
    refiner_reads_real = refiner.needs_real_images and not cfg.refiner_checkpoint
    real_images = to_model_tensor(real.read(real_indices).images) if guard_reads_real or refiner_reads_real else None
    _refuse_shared_images(cfg, real_images, test, np.concatenate([test_indices, calibration_indices]))
    return _Inputs(synthetic, real, test, real_indices, test_indices, calibration_indices, refiner, estimators, real_images)


def _refuse_shared_images(cfg: RunConfig, real_images: torch.Tensor | None, test: EyeSource, labelled: np.ndarray) -> None:
    """Refuse a test set that shares images, by content (benchmark/fingerprints.py), with what the refiner learns
    from (--real, `real_images`) or learnt from (--refiner-checkpoint), whatever the specs say."""
    if not cfg.real_test and not cfg.refiner_checkpoint:
        return  # the test images are held out of --real by index: disjoint by construction
    test_prints = fingerprints.fingerprints(to_model_tensor(test.read(labelled).images))
    if cfg.refiner_checkpoint:
        seen = fingerprints.load(Path(cfg.refiner_checkpoint))
        if seen is None:
            if test.is_stand_in or cfg.allow_unfingerprinted_checkpoint:
                return
            raise UserInputError(
                f"--refiner-checkpoint {cfg.refiner_checkpoint} records no fingerprints of the real images it was trained "
                f"on, so nothing shows it never saw the test images of {test.name}; retrain it with this version, or "
                "pass --allow-unfingerprinted-checkpoint if you know they are disjoint.")
        source = f"--refiner-checkpoint {cfg.refiner_checkpoint} was trained on"
    else:
        seen = fingerprints.fingerprints(real_images)
        source = f"--real {cfg.real} gives the refiner"
    shared = fingerprints.shared(seen, test_prints)
    if shared:
        raise UserInputError(
            f"{source} {shared} of the {len(test_prints)} test images of {test.name} (compared by image content); "
            "leave --real-test out to hold a disjoint part of --real out, or test on real images the refiner never sees.")


def _calibration_split(test: EyeSource, test_indices: np.ndarray, cfg: RunConfig, rng) -> tuple[np.ndarray, np.ndarray]:
    """(evaluated, calibration pool): per person, n_calibration test eyes (at most half of theirs) go to the pool."""
    people = test.people(test_indices)
    pool = []
    for person in np.unique(people):
        mine = test_indices[people == person]
        size = min(cfg.n_calibration, len(mine) // 2)
        if size < max(cfg.calibration_ks):
            raise UserInputError(
                f"Test person {person} has {len(mine)} test images; calibration with k up to {max(cfg.calibration_ks)} "
                f"needs a pool of that many beside the evaluated ones (or pass --no-calibration, or smaller k).")
        pool.append(rng.choice(mine, size=size, replace=False))
    calibration = np.sort(np.concatenate(pool))
    return np.setdiff1d(test_indices, calibration), calibration


def _config_record(cfg: RunConfig, inputs: _Inputs, device: torch.device) -> dict[str, Any]:
    return {
        "run": dataclasses.asdict(cfg),
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
        "versions": _versions(),
        "git": records.git_state(),
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _realism(cfg, device, syn_hold, syn_hold_gaze, refined_hold, real_hold, syn_train, syn_gaze, log):
    """Domain-classifier accuracy, Fréchet distances in the probe CNN's features, gaze drift.

    The probe is a CNN trained on the same n_probe UNREFINED synthetic images with the same seed in every
    run, so every refiner is measured with the same ruler. Gaze drift is the angle between a held-out
    synthetic image's label and the probe's prediction on its refined version: for the identity refiner it
    is the probe's own error on held-out synthetic images, the floor other refiners compare to.
    """
    from gazebench.estimators.registry import create_estimator
    from gazebench.metrics.realism import domain_classifier_accuracy, frechet_distance, gaze_drift_deg

    n_probe = min(cfg.n_probe, len(syn_train))
    log(f"training the drift/feature probe ({PROBE_ESTIMATOR}) on {n_probe} unrefined synthetic images")
    probe = create_estimator(PROBE_ESTIMATOR, preset=cfg.preset, seed=cfg.seed)
    probe.fit(syn_train[:n_probe], syn_gaze[:n_probe], device=device, progress=cfg.progress)
    probe_note = f"a {PROBE_ESTIMATOR} trained on {n_probe} unrefined synthetic images"
    real_features = probe.features(real_hold, device=device)
    drift = gaze_drift_deg(probe, syn_hold_gaze, refined_hold, device=device)
    return {
        "domain_accuracy_pct": float(domain_classifier_accuracy(real_hold, refined_hold, seed=cfg.seed, device=device)),
        "frechet_real_refined": float(frechet_distance(real_features, probe.features(refined_hold, device=device))),
        "frechet_real_synthetic": float(frechet_distance(real_features, probe.features(syn_hold, device=device))),
        "gaze_drift_mean_deg": float(np.mean(drift)),
        "gaze_drift_median_deg": float(np.median(drift)),
        "n_realism": int(len(real_hold)),
        "realism_probe": probe_note,
    }


def _person_metrics(errors: np.ndarray, people: np.ndarray) -> dict[str, Any]:
    """With several test people: mean error per person and their mean (the MPIIGaze convention)."""
    names = np.unique(people)
    if len(names) < 2:
        return {}
    per_person = {str(name): float(errors[people == name].mean()) for name in names}
    return {"per_person_error_deg": per_person, "mean_over_people_deg": float(np.mean(list(per_person.values())))}


def _predictions_frame(indices: np.ndarray, true: np.ndarray, pred: np.ndarray, errors: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({
        "test_index": indices,
        "true_pitch_rad": true[:, 0], "true_yaw_rad": true[:, 1],
        "pred_pitch_rad": pred[:, 0], "pred_yaw_rad": pred[:, 1],
        "error_deg": errors,
    })


def run_benchmark(config: RunConfig, *, log: Callable[[str], None] = print) -> Path:
    """Run one benchmark and return its run folder; the folder counts as complete only once `done` exists."""
    started = time.perf_counter()
    cfg = config.resolved()
    device = resolve_device(cfg.device)
    inputs = _prepare(cfg)
    if inputs.real.is_stand_in or inputs.test.is_stand_in:
        log(f"NOTE: real domain '{inputs.real.name}' is the simulator's STAND-IN for real eyes, not real data; "
            "give --real (and --real-test) for real MPIIGaze eyes.")
    digest = settings_hash(config)
    run_dir = records.new_run_dir(Path(cfg.out), inputs.refiner.name, cfg.seed, digest)
    log(f"run folder: {run_dir}")
    try:
        _run(cfg, inputs, device, run_dir, started, log, synthetic_setting=config.synthetic or "default simulator",
             digest=digest)
    except BaseException:
        log(f"run stopped before finishing; {run_dir} has no '{records.DONE_MARKER}' marker and tables skip it.")
        raise
    return run_dir


@dataclass
class _Data:
    """What the `inputs` stage reads: synthetic images (training and held out), the test set, the calibration pool."""

    syn_train: torch.Tensor
    syn_hold: torch.Tensor  # held-out synthetic images for the realism metrics (empty without them)
    syn_gaze: np.ndarray
    syn_hold_gaze: np.ndarray
    test: EyeData
    test_images: torch.Tensor
    test_people: np.ndarray
    calibration: EyeData | None
    pool_people: np.ndarray


@dataclass
class _Refined:
    """What the `refine` stage makes: the refined training and held-out images, and the training time."""

    refiner: Any
    train: torch.Tensor
    hold: torch.Tensor
    seconds: float


def _run(cfg: RunConfig, inputs: _Inputs, device: torch.device, run_dir: Path, started: float, log, *,
         synthetic_setting: str, digest: str) -> None:
    """The stages of a run, in order: inputs, refine, estimate, references, realism, views; then the records."""
    config_record = {**_config_record(cfg, inputs, device), "settings_hash": digest}
    records.write_json(run_dir / records.CONFIG_FILE, config_record)
    seed_everything(cfg.seed)
    data = _stage_inputs(cfg, inputs, log)
    refined = _stage_refine(cfg, inputs, data, device, run_dir, config_record, log)
    common = {
        "refiner": refined.refiner.name, "refiner_checkpoint": cfg.refiner_checkpoint,
        "synthetic": inputs.synthetic.name, "real": inputs.real.name, "real_is_stand_in": bool(inputs.real.is_stand_in),
        "real_test": inputs.test.name, "test_is_stand_in": bool(inputs.test.is_stand_in), "n_synthetic": cfg.n_synthetic,
        "synthetic_setting": synthetic_setting,
        "n_test": int(len(data.test_images)), "seed": cfg.seed, "preset": cfg.preset, "device": str(device),
        **config_record["git"],  # commit and dirty flag in every record, as in config.json
    }
    method_records, errors_by_label, predictions = _stage_estimate(cfg, inputs, data, refined, device, run_dir, common, log)
    reference_records = []
    if cfg.references:
        reference_records, errors_by_label["reference: mean gaze"] = _stage_references(cfg, inputs, data, common, log)
    if cfg.realism:
        realism = _stage_realism(cfg, data, refined, device, log)
        for record in method_records:
            record.update(realism)
    _stage_views(run_dir, data, refined, errors_by_label, predictions)

    total = time.perf_counter() - started
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    for record in method_records + reference_records:
        record["run_seconds"] = total
        record["peak_rss_mb"] = peak_rss_mb  # the process's peak: one run per process under bench run and bench sweep
    records.write_json(run_dir / records.METRICS_FILE, method_records + reference_records)
    records.mark_done(run_dir)
    log(f"finished in {total:.0f} s")


def _stage_inputs(cfg: RunConfig, inputs: _Inputs, log) -> _Data:
    n_hold = cfg.n_realism if cfg.realism else 0
    log(f"loading {cfg.n_synthetic + n_hold} synthetic, {len(inputs.real_indices)} unlabelled real "
        f"and {len(inputs.test_indices)} test images")
    _, synthetic = inputs.synthetic.sample(cfg.n_synthetic + n_hold, seed=cfg.seed)
    syn_all = to_model_tensor(synthetic.images)
    test: EyeData = inputs.test.read(inputs.test_indices)
    return _Data(
        syn_train=syn_all[: cfg.n_synthetic], syn_hold=syn_all[cfg.n_synthetic:],
        syn_gaze=synthetic.gaze[: cfg.n_synthetic], syn_hold_gaze=synthetic.gaze[cfg.n_synthetic:],
        test=test, test_images=to_model_tensor(test.images), test_people=inputs.test.people(inputs.test_indices),
        calibration=inputs.test.read(inputs.calibration_indices) if len(inputs.calibration_indices) else None,
        pool_people=inputs.test.people(inputs.calibration_indices),
    )


def _stage_refine(cfg: RunConfig, inputs: _Inputs, data: _Data, device, run_dir: Path, config_record: dict,
                  log) -> _Refined:
    """Fit the refiner where it learns from real images (unless it comes from a checkpoint), then refine."""
    from gazebench.refiners.base import check_refined

    refiner, seconds = inputs.refiner, 0.0
    if refiner.needs_real_images and not cfg.refiner_checkpoint:
        log(f"fitting refiner {refiner.name} on {len(data.syn_train)} synthetic + {len(inputs.real_images)} unlabelled real images")
        t0 = time.perf_counter()
        from gazebench.harness.refine import fit_refiner

        # Like `bench refine`: the folder records the real images, so a later --refiner-checkpoint run/.../refiner
        # refuses to test on them.
        fit_refiner(refiner, data.syn_train, inputs.real_images, device=device, out_dir=run_dir / "refiner",
                    synthetic_spec=cfg.synthetic, real_spec=cfg.real, progress=cfg.progress)
        seconds = time.perf_counter() - t0
        config_record["refiner"]["config"] = refiner.config  # now with what fitting chose
        records.write_json(run_dir / records.CONFIG_FILE, config_record)
    train = check_refined(refiner, data.syn_train, refiner.refine(data.syn_train, device=device))
    hold = check_refined(refiner, data.syn_hold, refiner.refine(data.syn_hold, device=device)) if len(data.syn_hold) else data.syn_hold
    return _Refined(refiner, train, hold, seconds)


def _stage_estimate(cfg: RunConfig, inputs: _Inputs, data: _Data, refined: _Refined, device, run_dir: Path,
                    common: dict, log) -> tuple[list[dict], dict[str, np.ndarray], list[pd.DataFrame]]:
    """Train every estimator on the refined images, predict the test set (and the calibration pool)."""
    from gazebench.estimators.registry import check_predictions

    test = data.test
    method_records, errors_by_label, predictions = [], {}, []
    for name, estimator in inputs.estimators.items():
        log(f"training estimator {name} on {len(refined.train)} refined images")
        t0 = time.perf_counter()
        estimator.fit(refined.train, data.syn_gaze, device=device, progress=cfg.progress)
        pred = check_predictions(estimator, len(data.test_images), estimator.predict(data.test_images, device=device))
        pred = pred.astype(np.float64)
        seconds = time.perf_counter() - t0
        errors = angular_errors(pred, test.gaze)
        extra = _person_metrics(errors, data.test_people)
        if data.calibration is not None:
            pool_pred = check_predictions(estimator, len(data.calibration.images),
                                          estimator.predict(to_model_tensor(data.calibration.images), device=device))
            extra["calibrated"] = calibrated_errors(pred, test.gaze, data.test_people, pool_pred, data.calibration.gaze,
                                                    data.pool_people, ks=cfg.calibration_ks, draws=cfg.calibration_draws,
                                                    seed=cfg.seed)
        predictions_file = f"predictions_{name}.csv"
        frame = _predictions_frame(inputs.test_indices, test.gaze, pred, errors)
        records.write_csv(run_dir / predictions_file, frame)
        label = f"{name} on {refined.refiner.name}"
        predictions.append(frame.assign(label=label))
        errors_by_label[label] = errors
        method_records.append({"kind": "method", "estimator": name, **common, "n_train": int(len(refined.train)),
                               **summarize_errors(errors), **bias_gain_corr(pred, test.gaze), **extra,
                               "seconds": seconds, "refiner_seconds": refined.seconds,
                               "predictions_file": predictions_file})
        log(f"  {name}: mean angular error {method_records[-1]['mean_angular_error_deg']:.2f} deg on {inputs.test.name}")
    return method_records, errors_by_label, predictions


def _stage_references(cfg: RunConfig, inputs: _Inputs, data: _Data, common: dict, log) -> tuple[list[dict], np.ndarray]:
    """The mean-gaze reference and the real-label ceiling; returns their records and the mean-gaze errors."""
    from gazebench.metrics.references import mean_gaze_reference, real_label_ceiling

    log("computing reference rows (mean gaze; real-label ceiling)")
    ceiling, folds_how = real_label_ceiling(data.test_images, data.test.gaze, folds=cfg.ceiling_folds, seed=cfg.seed,
                                            recordings=inputs.test.recordings(inputs.test_indices))
    references = {"mean_gaze": (mean_gaze_reference(data.test.gaze), {}),
                  "real_label_ceiling": (ceiling, {"ceiling_folds": f"{cfg.ceiling_folds} folds, {folds_how}"})}
    reference_records = [{"kind": "reference", "estimator": name, **common, "n_train": None, **summarize_errors(errors),
                          **_person_metrics(errors, data.test_people), **note}
                         for name, (errors, note) in references.items()]
    return reference_records, references["mean_gaze"][0]


def _stage_realism(cfg: RunConfig, data: _Data, refined: _Refined, device, log) -> dict[str, Any]:
    log("measuring realism on held-out images (domain classifier, Fréchet distance, gaze drift)")
    n = min(len(data.syn_hold), len(data.test_images))  # equal-sized sets, so accuracies and distances compare
    return _realism(cfg, device, data.syn_hold[:n], data.syn_hold_gaze[:n], refined.hold[:n], data.test_images[:n],
                    data.syn_train, data.syn_gaze, log)


def _stage_views(run_dir: Path, data: _Data, refined: _Refined, errors_by_label: dict, predictions: list) -> None:
    """The run's plots: cumulative error, error by gaze, and a grid of synthetic / refined / real eyes."""
    from gazebench.report import plots  # seaborn: imported only when a run draws, not for every `bench` command

    plots.plot_cumulative_error(run_dir / "cumulative_error.png", errors_by_label,
                                title=f"refiner {refined.refiner.name}: cumulative angular error on the test set")
    plots.plot_error_by_gaze(run_dir / "error_by_gaze.png", pd.concat(predictions, ignore_index=True))
    held = len(data.syn_hold) > 0
    _save_sample_grid(run_dir / "samples.png", data.syn_hold if held else data.syn_train,
                      refined.hold if held else refined.train, data.test_images)


def _save_sample_grid(path: Path, synthetic: torch.Tensor, refined: torch.Tensor, real: torch.Tensor,
                      count: int = 8) -> None:
    from gazebench.core.grids import save_comparison_grid

    rows = {"synthetic": to_uint8(synthetic[:count]), "refined": to_uint8(refined[:count]), "real": to_uint8(real[:count])}
    # No gaze arrows: the grid draws one gaze on every row, and the real row shows other eyes than the synthetic one.
    save_comparison_grid(path, rows, title="synthetic / refined (same eyes) / real (other eyes), held out")
