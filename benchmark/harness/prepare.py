"""Every check a user can fail, before anything is written: sources opened, index splits drawn (test set,
calibration pool, refiner images), models built from the preset, and the leakage guard (no test image is one the
refiner sees or saw, by content)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gazebench.core import fingerprints
from gazebench.core.errors import UserInputError
from gazebench.core.images import to_model_tensor
from gazebench.data import EyeSource, open_source
from gazebench.estimators.registry import create_estimator
from gazebench.harness.config import RunConfig
from gazebench.refiners.registry import create_refiner, load_refiner

MIN_REALISM_IMAGES = 10  # the domain classifier holds 30% out for its test; Fréchet needs a covariance


@dataclass
class Inputs:
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
    oracle: EyeSource | None = None  # labelled images of the test domain, disjoint from the test set (RunConfig.oracle)


def held_out_split(n_images: int, n_test: int, n_real: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(test, refiner) indices of one real set: a seeded part (at most half) is held out as the test set."""
    n_test = min(n_test, n_images // 2)
    drawn = rng.choice(n_images, size=n_test + min(n_real, n_images - n_test), replace=False)
    return np.sort(drawn[:n_test]), np.sort(drawn[n_test:])


def _require_labels(source: EyeSource, option: str, why: str) -> None:
    if not source.has_labels:
        raise UserInputError(f"{option} {source.name} has no gaze labels; expected a labelled set {why}.")


def prepare(cfg: RunConfig) -> Inputs:
    """Every check a user can fail, before anything is written."""
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
        test_indices, real_indices = held_out_split(len(real), cfg.n_test, cfg.n_real, rng)
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
    labelled = np.concatenate([test_indices, calibration_indices])
    # The test set's fingerprints, read and hashed once, and only if a guard below needs them.
    test_prints = functools.cache(lambda: fingerprints.fingerprints(to_model_tensor(test.read(labelled).images)))
    oracle = _open_oracle(cfg, test, test_prints)
    guard_reads_real = bool(cfg.real_test) and not cfg.refiner_checkpoint
    refiner_reads_real = refiner.needs_real_images and not cfg.refiner_checkpoint
    real_images = to_model_tensor(real.read(real_indices).images) if guard_reads_real or refiner_reads_real else None
    _refuse_shared_images(cfg, real_images, test, test_prints)
    _refuse_fitted_test([("--synthetic", synthetic), ("--oracle", oracle)], test, test_prints)
    return Inputs(synthetic, real, test, real_indices, test_indices, calibration_indices, refiner, estimators, real_images,
                  oracle)


def _open_oracle(cfg: RunConfig, test: EyeSource, test_prints: Callable[[], np.ndarray]) -> EyeSource | None:
    """The oracle source, labelled, large enough, and sharing no image with the test set (by content)."""
    spec = cfg.oracle_spec()
    if spec is None:
        return None
    oracle = open_source(spec)
    _require_labels(oracle, "--oracle", "(each estimator also trains on its labels)")
    needed = cfg.n_synthetic + (cfg.n_realism if cfg.realism else 0)
    if len(oracle) < needed:
        raise UserInputError(f"--oracle {oracle.name} holds {len(oracle)} images; this run needs {needed} (as many as "
                             "the synthetic training and held-out images).")
    if not (spec.startswith("sim") and test.name.startswith("sim")):  # seeds keep two simulator sets apart
        shared = fingerprints.shared(fingerprints.fingerprints(to_model_tensor(oracle.read(np.arange(len(oracle))).images)),
                                     test_prints())
        if shared:
            raise UserInputError(f"--oracle {oracle.name} shares {shared} images with the test set of {test.name}; "
                                 "expected labelled images of the test domain that are not test images.")
    return oracle


def _refuse_shared_images(cfg: RunConfig, real_images: torch.Tensor | None, test: EyeSource,
                          test_prints: Callable[[], np.ndarray]) -> None:
    """Refuse a test set that shares images, by content (core/fingerprints.py), with what the refiner learns
    from (--real, `real_images`) or learnt from (--refiner-checkpoint), whatever the specs say."""
    if not cfg.real_test and not cfg.refiner_checkpoint:
        return  # the test images are held out of --real by index: disjoint by construction
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
    shared = fingerprints.shared(seen, test_prints())
    if shared:
        raise UserInputError(
            f"{source} {shared} of the {len(test_prints())} test images of {test.name} (compared by image content); "
            "leave --real-test out to hold a disjoint part of --real out, or test on real images the refiner never sees.")


def _refuse_fitted_test(sources: list[tuple[str, EyeSource | None]], test: EyeSource,
                        test_prints: Callable[[], np.ndarray]) -> None:
    """Refuse a test set that shares images with the real eyes a simulator fit saw (`sim?fit=`), by content."""
    for option, source in sources:
        seen = source.real_fingerprints_seen() if source is not None else None
        shared = fingerprints.shared(seen, test_prints()) if seen is not None and len(seen) else 0
        if shared:
            raise UserInputError(
                f"{option} {source.name} was fitted to {shared} of the {len(test_prints())} test images of {test.name} "
                "(compared by image content); fit it to images the run does not test on (`bench sim fit --hold-out-test`).")


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
