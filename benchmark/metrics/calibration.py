"""Few-shot person calibration: correct a model's predictions with k labelled eyes of the test person.

A model trained on synthetic eyes carries a per-person offset on real eyes (the angle kappa between optical and
visual axis differs by several degrees between people, and no simulator knows a user's). Gaze trackers remove it
with a few calibration samples; this module reports the error after k of them, per person, for every method row.

Two corrections, both fitted on (prediction, label) pairs of k calibration eyes in pitch/yaw radians:
- offset: add the mean residual (2 numbers);
- affine: t = A p + b by least squares with a ridge pulling A toward the identity (6 numbers). With k = 1 the
  ridge leaves A = I, so it equals the offset; as k grows the data outweigh the ridge and gain errors are fixed.
The k eyes are drawn (seeded, `draws` times) from a per-person calibration pool that is disjoint from the
evaluated test images; the reported error is the mean over draws of the mean error on the evaluated images.
"""

from __future__ import annotations

import numpy as np

from gazebench.metrics.accuracy import angular_errors

CALIBRATION_KS = (1, 3, 9, 27)
CALIBRATION_DRAWS = 20
CORRECTIONS = ("offset", "affine")
# rad^2: the scatter of about three eyes spread 0.1 rad (6 deg) apart, so A leaves the identity only once the
# calibration eyes span more gaze than that.
AFFINE_RIDGE = 0.03


def fit_correction(predicted: np.ndarray, true: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(A, b) with corrected = predicted @ A.T + b, fitted on k >= 1 calibration pairs of (k, 2) pitch/yaw."""
    p, t = np.asarray(predicted, np.float64), np.asarray(true, np.float64)
    p_mean, t_mean = p.mean(0), t.mean(0)
    if kind == "offset":
        a = np.eye(2)
    elif kind == "affine":
        pc, tc = p - p_mean, t - t_mean
        # argmin_A |pc A^T - tc|^2 + ridge |A - I|^2  ->  A^T = (pc^T pc + ridge I)^-1 (pc^T tc + ridge I)
        a = np.linalg.solve(pc.T @ pc + AFFINE_RIDGE * np.eye(2), pc.T @ tc + AFFINE_RIDGE * np.eye(2)).T
    else:
        raise ValueError(f"unknown correction '{kind}'; expected one of {', '.join(CORRECTIONS)}")
    return a, t_mean - p_mean @ a.T


def apply_correction(predicted: np.ndarray, correction: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    a, b = correction
    return np.asarray(predicted, np.float64) @ a.T + b


def calibrated_errors(
    pred_eval: np.ndarray, true_eval: np.ndarray, person_eval: np.ndarray,
    pred_pool: np.ndarray, true_pool: np.ndarray, person_pool: np.ndarray,
    *, ks=CALIBRATION_KS, draws: int = CALIBRATION_DRAWS, seed: int = 0,
) -> dict[str, dict[str, dict[str, float]]]:
    """{correction: {k: {"mean": deg, "std": deg over draws}}}; k eyes per person, corrected per person.

    Every person in the evaluated set must have at least max(ks) eyes in the pool. One draw corrects each person
    with k of their pool eyes and averages the error over all evaluated images (pooled over people).
    """
    people = np.unique(person_eval)
    for person in people:
        available = int(np.sum(person_pool == person))
        if available < max(ks):
            raise ValueError(f"person {person!r} has {available} calibration eyes; k up to {max(ks)} needs that many")
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, dict[str, float]]] = {kind: {} for kind in CORRECTIONS}
    for k in ks:
        per_draw = {kind: [] for kind in CORRECTIONS}
        for _ in range(draws):
            picks = {person: rng.choice(np.flatnonzero(person_pool == person), size=k, replace=False)
                     for person in people}
            for kind in CORRECTIONS:
                corrected = np.empty_like(np.asarray(pred_eval, np.float64))
                for person, chosen in picks.items():
                    mine = person_eval == person
                    correction = fit_correction(pred_pool[chosen], true_pool[chosen], kind)
                    corrected[mine] = apply_correction(pred_eval[mine], correction)
                per_draw[kind].append(angular_errors(corrected, true_eval).mean())
        for kind in CORRECTIONS:
            out[kind][str(k)] = {"mean": float(np.mean(per_draw[kind])), "std": float(np.std(per_draw[kind]))}
    return out
