"""The named stages of a run, in order: inputs (read images) -> refine (fit the refiner on synthetic + unlabelled
real images unless it comes from a checkpoint; refine) -> estimate (per estimator: fit on refined images with
synthetic labels, predict the test set and the calibration pool) -> references -> realism (on held-out images)
-> views (plots). Each takes what the ones before made and returns its own part."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from gazebench.core.atomic import copy_folder_atomic
from gazebench.core.device import numerics_identity
from gazebench.core.grids import save_comparison_grid
from gazebench.core.images import to_model_tensor, to_uint8
from gazebench.core.registry import class_path
from gazebench.data import EyeData
from gazebench.estimators.epochs import training_identity
from gazebench.estimators.registry import check_predictions, create_estimator
from gazebench.harness import records
from gazebench.harness.config import RunConfig
from gazebench.harness.prepare import Inputs
from gazebench.harness.refine import fit_refiner
from gazebench.metrics import figures  # seaborn's import cost, paid by every run that draws
from gazebench.metrics.accuracy import angular_errors, bias_gain_corr, summarize_errors
from gazebench.metrics.calibration import calibrated_errors
from gazebench.metrics.realism import domain_classifier_accuracy, frechet_distance, gaze_drift_deg
from gazebench.metrics.references import mean_gaze_reference, real_label_ceiling
from gazebench.refiners.base import check_refined
from gazebench.refiners.registry import load_refiner

PROBE_ESTIMATOR = "cnn"  # realism metrics read this estimator's features and predictions


@dataclass
class Data:
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
    unrefined_fits: dict = field(default_factory=dict, repr=False)  # see fit_on_unrefined
    checkpoint_dir: Path | None = None  # where CNN fits save their epochs, inside the run folder (harness/run.py)
    shared_dir: Path | None = None  # RunConfig.shared_fits: where fits every refiner of a seed shares are kept

    def checkpoint(self, label: str) -> Path | None:
        """The epoch checkpoint file of the fit called `label` (None: this run keeps no checkpoints)."""
        return None if self.checkpoint_dir is None else self.checkpoint_dir / f"{label}.pt"

    def shared_checkpoint(self, label: str, estimator, images: torch.Tensor, gaze: np.ndarray, device, log) -> Path | None:
        """Where a fit that does not depend on the refiner keeps its epochs: in the shared folder, named by what it
        trains on (settings, seed, images, labels) and where (core/device.numerics_identity), so a later run of the
        same inputs on the same kind of machine finds it finished and loads it (bit-identical to training it again on
        the CPU: estimators/epochs.py); else the run's own checkpoint."""
        if self.shared_dir is None:
            return self.checkpoint(label)
        settings = {**estimator.settings, "numerics": numerics_identity(device)}
        path = self.shared_dir / f"{label}_{training_identity(settings, estimator.seed, images, gaze)}.pt"
        if path.is_file():
            log(f"{label}: taking up the fit another run of the same inputs saved in {path}")
        return path

    def shared_refiner_dir(self, refiner, seed: int, real: torch.Tensor, device) -> Path | None:
        """Where a trained refiner is kept for other runs of the same inputs (refiner settings, seed, device, synthetic
        and real images), as a finished checkpoint folder; None where the run keeps no shared fits or its refiner
        fits in seconds (a statistic of the real images, not weights)."""
        if self.shared_dir is None or not refiner.learns_weights:
            return None
        no_labels = np.zeros((0, 2), np.float32)
        settings = {"refiner": class_path(type(refiner)), "config": refiner.config, "numerics": numerics_identity(device),
                    "real": training_identity({}, seed, real, no_labels)}
        return self.shared_dir / f"refiner_{refiner.name}_{training_identity(settings, seed, self.syn_train, no_labels)}"


def predict_checked(estimator, images: torch.Tensor, device) -> np.ndarray:
    """(N, 2) float64 pitch/yaw predictions of images, checked against the estimator contract."""
    return check_predictions(estimator, len(images), estimator.predict(images, device=device)).astype(np.float64)


def fit_on_unrefined(cfg: RunConfig, data: Data, name: str, n: int, device, log, **settings: Any):
    """Estimator `name` (the run's preset and seed, `settings` on top) trained on the first n UNREFINED synthetic
    images, fitted once per run: the realism probe and the gap stage's unrefined row are often the very same fit
    (a seeded fit of the same images), and on the cpu preset a CNN fit is a sixth of the run."""
    key = (name, n, records.settings_hash({"settings": settings}))
    if key not in data.unrefined_fits:
        log(f"training estimator {name} on {n} unrefined synthetic images")
        estimator = create_estimator(name, preset=cfg.preset, seed=cfg.seed, **settings)
        estimator.checkpoint_path = data.shared_checkpoint("unrefined_{}_{}_{}".format(*key), estimator,
                                                           data.syn_train[:n], data.syn_gaze[:n], device, log)
        estimator.fit(data.syn_train[:n], data.syn_gaze[:n], device=device, progress=cfg.progress)
        data.unrefined_fits[key] = estimator
    return data.unrefined_fits[key]


@dataclass
class Refined:
    """What the `refine` stage makes: the refined training and held-out images, and the training time."""

    refiner: Any
    train: torch.Tensor
    hold: torch.Tensor
    seconds: float


def _realism(cfg, device, data: Data, syn_hold, syn_hold_gaze, refined_hold, real_hold, log):
    """Domain-classifier accuracy, Fréchet distances in the probe CNN's features, gaze drift.

    The probe is a CNN trained on the same n_probe UNREFINED synthetic images with the same seed in every
    run, so every refiner is measured with the same ruler. Gaze drift is the angle between a held-out
    synthetic image's label and the probe's prediction on its refined version: for the identity refiner it
    is the probe's own error on held-out synthetic images, the floor other refiners compare to.
    """
    n_probe = min(cfg.n_probe, len(data.syn_train))
    log(f"the drift/feature probe: a {PROBE_ESTIMATOR} on {n_probe} unrefined synthetic images")
    probe = fit_on_unrefined(cfg, data, PROBE_ESTIMATOR, n_probe, device, log)
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


def person_metrics(errors: np.ndarray, people: np.ndarray) -> dict[str, Any]:
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



def stage_inputs(cfg: RunConfig, inputs: Inputs, log) -> Data:
    n_hold = cfg.n_realism if cfg.realism else 0
    log(f"loading {cfg.n_synthetic + n_hold} synthetic, {len(inputs.real_indices)} unlabelled real "
        f"and {len(inputs.test_indices)} test images")
    _, synthetic = inputs.synthetic.sample(cfg.n_synthetic + n_hold, seed=cfg.seed)
    syn_all = to_model_tensor(synthetic.images)
    test: EyeData = inputs.test.read(inputs.test_indices)
    return Data(
        syn_train=syn_all[: cfg.n_synthetic], syn_hold=syn_all[cfg.n_synthetic:],
        syn_gaze=synthetic.gaze[: cfg.n_synthetic], syn_hold_gaze=synthetic.gaze[cfg.n_synthetic:],
        test=test, test_images=to_model_tensor(test.images), test_people=inputs.test.people(inputs.test_indices),
        calibration=inputs.test.read(inputs.calibration_indices) if len(inputs.calibration_indices) else None,
        pool_people=inputs.test.people(inputs.calibration_indices),
    )


def stage_refine(cfg: RunConfig, inputs: Inputs, data: Data, device, run_dir: Path, config_record: dict,
                  log, resume: bool = False) -> Refined:
    """Fit the refiner where it learns from real images (unless it comes from a checkpoint), then refine; `resume`
    continues the training checkpointed in the run folder (all of it done: no step left to train)."""
    refiner, seconds = inputs.refiner, 0.0
    if refiner.needs_real_images and not cfg.refiner_checkpoint:
        refiner_dir = run_dir / "refiner"
        shared = data.shared_refiner_dir(refiner, cfg.seed, inputs.real_images, device)
        if shared is not None and shared.is_dir():
            # Trained by another run of the same inputs (a sweep's cell of other estimators): the same weights, so the
            # same refined images, to the last bit on the CPU, as training it again.
            log(f"refiner {refiner.name}: taking up the refiner another run of the same inputs trained, in {shared}")
            shutil.copytree(shared, refiner_dir, dirs_exist_ok=True)
            refiner = load_refiner(refiner_dir)
            config_record["refiner"]["taken_up_from"] = str(shared)
        else:
            log(f"fitting refiner {refiner.name} on {len(data.syn_train)} synthetic + {len(inputs.real_images)} unlabelled real images")
            t0 = time.perf_counter()
            # Like `bench refine`: the folder records the real images, so a later --refiner-checkpoint run/.../refiner
            # refuses to test on them.
            fit_refiner(refiner, data.syn_train, inputs.real_images, device=device, out_dir=refiner_dir,
                        synthetic_spec=cfg.synthetic, real_spec=cfg.real, resume=resume, progress=cfg.progress)
            seconds = time.perf_counter() - t0
            if refiner.resumed_at_step is not None:
                log(f"refiner {refiner.name}: continued from its checkpoint at step {refiner.resumed_at_step}")
            if shared is not None:
                copy_folder_atomic(refiner_dir, shared)
        config_record["refiner"]["config"] = refiner.config  # now with what fitting chose
        records.write_json(run_dir / records.CONFIG_FILE, config_record)
    train = check_refined(refiner, data.syn_train, refiner.refine(data.syn_train, device=device))
    hold = check_refined(refiner, data.syn_hold, refiner.refine(data.syn_hold, device=device)) if len(data.syn_hold) else data.syn_hold
    return Refined(refiner, train, hold, seconds)


def stage_estimate(cfg: RunConfig, inputs: Inputs, data: Data, refined: Refined, device, run_dir: Path,
                    common: dict, log) -> tuple[list[dict], dict[str, np.ndarray], list[pd.DataFrame]]:
    """Train every estimator on the refined images, predict the test set (and the calibration pool)."""
    test = data.test
    method_records, errors_by_label, predictions = [], {}, []
    for name, estimator in inputs.estimators.items():
        log(f"training estimator {name} on {len(refined.train)} refined images")
        t0 = time.perf_counter()
        estimator.checkpoint_path = data.checkpoint(f"method_{name}")
        estimator.fit(refined.train, data.syn_gaze, device=device, progress=cfg.progress)
        pred = predict_checked(estimator, data.test_images, device)
        seconds = time.perf_counter() - t0
        errors = angular_errors(pred, test.gaze)
        extra = person_metrics(errors, data.test_people)
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


def stage_references(cfg: RunConfig, inputs: Inputs, data: Data, common: dict, log) -> tuple[list[dict], np.ndarray]:
    """The mean-gaze reference and the real-label ceiling; returns their records and the mean-gaze errors."""
    log("computing reference rows (mean gaze; real-label ceiling)")
    ceiling, folds_how = real_label_ceiling(data.test_images, data.test.gaze, folds=cfg.ceiling_folds, seed=cfg.seed,
                                            recordings=inputs.test.recordings(inputs.test_indices))
    references = {"mean_gaze": (mean_gaze_reference(data.test.gaze), {}),
                  "real_label_ceiling": (ceiling, {"ceiling_folds": f"{cfg.ceiling_folds} folds, {folds_how}"})}
    reference_records = [{"kind": "reference", "estimator": name, **common, "n_train": None, **summarize_errors(errors),
                          **person_metrics(errors, data.test_people), **note}
                         for name, (errors, note) in references.items()]
    return reference_records, references["mean_gaze"][0]


def stage_realism(cfg: RunConfig, data: Data, refined: Refined, device, log) -> dict[str, Any]:
    log("measuring realism on held-out images (domain classifier, Fréchet distance, gaze drift)")
    n = min(len(data.syn_hold), len(data.test_images))  # equal-sized sets, so accuracies and distances compare
    return _realism(cfg, device, data, data.syn_hold[:n], data.syn_hold_gaze[:n], refined.hold[:n], data.test_images[:n], log)


def stage_views(run_dir: Path, data: Data, refined: Refined, errors_by_label: dict, predictions: list) -> None:
    """The run's plots: cumulative error, error by gaze, and a grid of synthetic / refined / real eyes."""
    figures.plot_cumulative_error(run_dir / "cumulative_error.png", errors_by_label,
                                title=f"refiner {refined.refiner.name}: cumulative angular error on the test set")
    figures.plot_error_by_gaze(run_dir / "error_by_gaze.png", pd.concat(predictions, ignore_index=True))
    held = len(data.syn_hold) > 0
    _save_sample_grid(run_dir / "samples.png", data.syn_hold if held else data.syn_train,
                      refined.hold if held else refined.train, data.test_images)


def _save_sample_grid(path: Path, synthetic: torch.Tensor, refined: torch.Tensor, real: torch.Tensor,
                      count: int = 8) -> None:
    rows = {"synthetic": to_uint8(synthetic[:count]), "refined": to_uint8(refined[:count]), "real": to_uint8(real[:count])}
    # No gaze arrows: the grid draws one gaze on every row, and the real row shows other eyes than the synthetic one.
    save_comparison_grid(path, rows, title="synthetic / refined (same eyes) / real (other eyes), held out")
