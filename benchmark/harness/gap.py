"""The `gap` stage: how much of the domain gap a refiner closes, read against an oracle.

With labelled images of the test domain (RunConfig.oracle, disjoint from the test set), each estimator is trained
twice more with the same settings, seed and budget: on the UNREFINED synthetic images (what identity would give)
and on the oracle images (what the test domain's own labels give). Then for each estimator

    gap closed (%) = 100 * (unrefined - refined) / (unrefined - oracle)

in mean angular error on the test set: 0 is no help, 100 is as good as training on the test domain itself, and
a negative value means the refiner made things worse. A null result on a gap the oracle shows to be large
points at the refiner; on a gap the oracle cannot close either, at the data. The stage runs after every other
one, so a run without an oracle measures exactly what it did before this stage existed.

Drift as the target reads it: the oracle-trained estimator's error on the refined held-out images against their
synthetic labels, minus its error on the test set. On an appearance gap (same geometry) a refiner that takes on
the target's look and keeps the gaze leaves it near 0; the realism stage's drift probe, trained on the source's
look, cannot tell a changed look from a changed gaze. The unrefined fit is shared with that probe where they are
the same fit (harness/stages.fit_on_unrefined).

Drift as a reader of both looks reads it: the estimator trained on half unrefined renders and half oracle images (the
same budget) has learnt to read the gaze in the source's look and in the target's, so a look between the two misleads
it less than it misleads the oracle. Its error on the refined held-out renders minus its error on the same renders
unrefined is 0 for a refiner that changes nothing; its error on held-out target images beside it is what a refiner
that took on the target's look exactly, and kept the gaze, would read at.

Gaze lost: the estimator trained on the refined renders reads held-out refined renders, and the one trained on the
unrefined renders (same budget) reads them unrefined. Any look a reader was trained on is its own, so the difference
is what the refiner took from the gaze (a blurred iris, a move that differs from render to render), not look.

The realism floor: the same held-out domain classifier as the realism stage, on oracle images against the test
images (one domain: about 50%, what "indistinguishable" reads as at this size) and on unrefined images.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from gazebench.core.images import to_model_tensor
from gazebench.estimators.registry import create_estimator
from gazebench.harness.config import RunConfig
from gazebench.harness.prepare import Inputs
from gazebench.harness.stages import Data, Refined, fit_on_unrefined, predict_checked
from gazebench.metrics.accuracy import angular_errors, bias_gain_corr, summarize_errors
from gazebench.metrics.realism import domain_classifier_accuracy

UNREFINED_REFINER = "identity"  # a refiner whose training images are the synthetic ones as they are


def drift_as_read(read_deg, oracle_error_deg):
    """Drift as the oracle reads it (floats or record columns): its error on held-out renders against their synthetic
    labels, beyond its error on the test set. The unrefined renders move no gaze, yet read far from 0 where their
    look differs from the target's: this figure is an upper bound on the gaze a refiner moved, not the gaze itself."""
    return read_deg - oracle_error_deg


def mean_error(estimator, images: torch.Tensor, gaze: np.ndarray, device) -> float:
    """Mean angular error (deg) of a fitted estimator on labelled images."""
    return float(angular_errors(predict_checked(estimator, images, device), gaze).mean())


def beyond_unrefined(read_deg, read_unrefined_deg):
    """The two-look reader's error on some held-out images (floats or record columns) beyond its error on the unrefined
    renders: of the refined renders it is the drift it reads, of target images what the target's look alone reads as."""
    return read_deg - read_unrefined_deg


def gap_closed_pct(unrefined: float, refined: float, oracle: float) -> float:
    """Share of the unrefined-to-oracle error gap that refining closed, in %; NaN when there is no gap to close."""
    gap = unrefined - oracle
    return float(100.0 * (unrefined - refined) / gap) if gap > 0 else float("nan")


def stage_gap(cfg: RunConfig, inputs: Inputs, data: Data, refined: Refined, method_records: list[dict],
              common: dict, device, log) -> list[dict]:
    """Oracle records (one per estimator); adds unrefined / oracle errors and gap closed to each method record,
    and the realism floor where the run measures realism."""
    n_hold = cfg.n_realism if cfg.realism else 0
    log(f"oracle: loading {cfg.n_synthetic + n_hold} labelled images of the test domain from {inputs.oracle.name}")
    _, oracle = inputs.oracle.sample(cfg.n_synthetic + n_hold, seed=cfg.seed)
    oracle_images, oracle_gaze = to_model_tensor(oracle.images), oracle.gaze
    test_gaze = data.test.gaze
    oracle_records = []
    for record in method_records:
        name = record["estimator"]
        settings = cfg.settings.get(name, {})
        t0 = time.perf_counter()
        if refined.refiner.name == UNREFINED_REFINER:
            unrefined, unrefined_error = inputs.estimators[name], record["mean_angular_error_deg"]
        else:
            unrefined = fit_on_unrefined(cfg, data, name, len(data.syn_train), device, log, **settings)
            unrefined_error = mean_error(unrefined, data.test_images, test_gaze, device)
        log(f"gap: training estimator {name} on {cfg.n_synthetic} oracle images")
        oracle_estimator = create_estimator(name, preset=cfg.preset, seed=cfg.seed, **settings)
        train_images, train_gaze = oracle_images[: cfg.n_synthetic], oracle_gaze[: cfg.n_synthetic]
        oracle_estimator.checkpoint_path = data.shared_checkpoint(f"oracle_{name}", oracle_estimator, train_images,
                                                                   train_gaze, device, log)
        oracle_estimator.fit(train_images, train_gaze, device=device, progress=cfg.progress)
        predicted = predict_checked(oracle_estimator, data.test_images, device)
        errors = angular_errors(predicted, test_gaze)
        oracle_error = float(errors.mean())
        closed = gap_closed_pct(unrefined_error, record["mean_angular_error_deg"], oracle_error)
        record.update({"unrefined_error_deg": unrefined_error, "oracle_error_deg": oracle_error, "gap_closed_pct": closed})
        if len(refined.hold):
            # Drift read by an estimator of the target's look: on an appearance gap a refiner that keeps the gaze
            # and takes on the target's look leaves this at the oracle's own error (the realism probe, trained on
            # the source's look, misreads any image that changed its look, whatever its gaze).
            read_refined, read_unrefined = (mean_error(oracle_estimator, images, data.syn_hold_gaze, device)
                                            for images in (refined.hold, data.syn_hold))
            record.update({"oracle_read_refined_deg": read_refined, "oracle_read_unrefined_deg": read_unrefined,
                           "gaze_drift_oracle_read_deg": drift_as_read(read_refined, oracle_error)})
            record.update(two_look_drift(cfg, data, refined, name, settings, oracle_images, oracle_gaze, device, log))
            record.update(self_read(inputs.estimators[name], unrefined, refined.hold, data, device))
        oracle_records.append({"kind": "oracle", "estimator": name, **common, "refiner": "(oracle)", "oracle": inputs.oracle.name,
                               "n_train": int(cfg.n_synthetic), **summarize_errors(errors), **bias_gain_corr(predicted, test_gaze),
                               "seconds": time.perf_counter() - t0})
        log(f"  {name}: unrefined {unrefined_error:.2f}, {refined.refiner.name} {record['mean_angular_error_deg']:.2f}, "
            f"oracle {oracle_error:.2f} deg: gap closed {closed:.0f}%")
    if cfg.realism and n_hold:
        # Identity's realism stage already measured its unrefined images against these test images.
        known = method_records[0].get("domain_accuracy_pct") if refined.refiner.name == UNREFINED_REFINER else None
        floor = _realism_floor(cfg, data, oracle_images[cfg.n_synthetic:], device, log, unrefined_pct=known)
        for record in method_records:
            record.update(floor)
    return oracle_records


def two_look_drift(cfg: RunConfig, data: Data, refined: Refined, name: str, settings: dict, oracle_images: torch.Tensor,
                    oracle_gaze: np.ndarray, device, log) -> dict[str, float]:
    """Drift as estimator `name`, trained on both looks (the first half of the unrefined renders and of the oracle
    images, n_synthetic in all), reads it: its error on the refined held-out renders beyond its error on the same
    renders unrefined, and its error on held-out target images (the oracle's held-out part) for scale."""
    half = cfg.n_synthetic // 2
    images = torch.cat([data.syn_train[:half], oracle_images[: cfg.n_synthetic - half]])
    gaze = np.concatenate([data.syn_gaze[:half], oracle_gaze[: cfg.n_synthetic - half]])
    log(f"gap: training estimator {name} on both looks ({half} unrefined + {len(images) - half} oracle images)")
    reader = create_estimator(name, preset=cfg.preset, seed=cfg.seed, **settings)
    reader.checkpoint_path = data.shared_checkpoint(f"two_look_{name}", reader, images, gaze, device, log)
    reader.fit(images, gaze, device=device, progress=cfg.progress)
    del images
    read_refined, read_unrefined = (predict_checked(reader, held, device) for held in (refined.hold, data.syn_hold))
    error_refined, error_unrefined = (float(angular_errors(read, data.syn_hold_gaze).mean())
                                      for read in (read_refined, read_unrefined))
    target_hold = oracle_images[cfg.n_synthetic:]
    read_target = mean_error(reader, target_hold, oracle_gaze[cfg.n_synthetic:], device) if len(target_hold) else float("nan")
    return {"two_look_read_refined_deg": error_refined, "two_look_read_unrefined_deg": error_unrefined,
            "two_look_read_target_deg": read_target,
            "gaze_drift_two_look_deg": beyond_unrefined(error_refined, error_unrefined),
            **drift_channels(read_refined, read_unrefined, data.syn_hold_gaze)}


def drift_channels(read_refined: np.ndarray, read_unrefined: np.ndarray, gaze: np.ndarray) -> dict[str, float]:
    """How one reader's readings of the same renders, refined and unrefined, differ, per angle: bias (deg) and gain
    against the labels of each, and the mean angle between the two readings of each render. A gaze the refiner moved
    the same way in every render (an iris shifted, a lid lowered) shows as a bias change at an unchanged gain; a look
    the reader cannot read shrinks the gain towards 0 (its readings fall back on the mean gaze); both leave the
    per-render shift above 0, which is exactly 0 where the refiner changed nothing."""
    out = {}
    for look, read in (("refined", read_refined), ("unrefined", read_unrefined)):
        channels = bias_gain_corr(read, gaze)
        out.update({f"two_look_{look}_{angle}_{what}": channels[f"{angle}_{what}"]
                    for angle in ("pitch", "yaw") for what in ("bias_deg", "gain")})
    out["two_look_shift_deg"] = float(angular_errors(read_refined, read_unrefined).mean())
    return out


def self_read(refined_fit, unrefined_fit, refined_hold: torch.Tensor, data: Data, device) -> dict[str, float]:
    """Whether the refined renders still carry their labels' gaze: the estimator trained on refined renders reads
    held-out refined renders, the one trained on the unrefined renders reads the same renders unrefined (same budget,
    same seed). A refiner that only changes the look leaves the gaze as learnable as before (0 lost, whatever the look);
    one that blurs the iris or moves it by a different amount in each render makes it less learnable. Equal for a
    refiner that changes nothing."""
    refined_read = mean_error(refined_fit, refined_hold, data.syn_hold_gaze, device)
    unrefined_read = mean_error(unrefined_fit, data.syn_hold, data.syn_hold_gaze, device)
    return {"self_read_refined_deg": refined_read, "self_read_unrefined_deg": unrefined_read,
            "gaze_lost_deg": refined_read - unrefined_read}


def _realism_floor(cfg: RunConfig, data: Data, oracle_hold: torch.Tensor, device, log,
                   unrefined_pct: float | None = None) -> dict[str, Any]:
    """The realism stage's classifier on unrefined and on oracle images against the same held-out test images."""
    log("realism floor: the domain classifier on oracle and on unrefined images against the test images")
    n = min(len(oracle_hold), len(data.syn_hold), len(data.test_images))
    real = data.test_images[:n]
    if unrefined_pct is None:
        unrefined_pct = domain_classifier_accuracy(real, data.syn_hold[:n], seed=cfg.seed, device=device)
    return {
        "domain_accuracy_unrefined_pct": float(unrefined_pct),
        "domain_accuracy_oracle_pct": float(domain_classifier_accuracy(real, oracle_hold[:n], seed=cfg.seed, device=device)),
    }
