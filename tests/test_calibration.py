"""Few-shot calibration (metrics/calibration.py): each correction removes what it claims to, per person."""

import numpy as np
import pytest

from gazebench.metrics.accuracy import angular_errors
from gazebench.metrics.calibration import apply_correction, calibrated_errors, fit_correction


def _gaze(n, seed):
    rng = np.random.default_rng(seed)
    return np.c_[rng.uniform(-0.35, 0.1, n), rng.uniform(-0.6, 0.6, n)]


def test_offset_removes_a_constant_bias_and_affine_a_gain():
    true = _gaze(200, 0)
    shifted = true + [0.1, -0.08]
    offset = fit_correction(shifted[:3], true[:3], "offset")
    np.testing.assert_allclose(apply_correction(shifted, offset), true, atol=1e-12)
    squeezed = 0.5 * true + [0.05, 0.02]  # gain 0.5 and an offset: what a model that hedges to the mean does
    assert angular_errors(apply_correction(squeezed, fit_correction(squeezed[:27], true[:27], "offset")), true).mean() > 3
    affine = fit_correction(squeezed[:27], true[:27], "affine")
    assert angular_errors(apply_correction(squeezed, affine), true).mean() < 1.0  # the ridge keeps A a little near I


def test_affine_with_one_eye_is_the_offset():
    true, pred = _gaze(1, 1), _gaze(1, 2)
    for kind in ("offset", "affine"):
        a, b = fit_correction(pred, true, kind)
        np.testing.assert_allclose(a, np.eye(2), atol=1e-12)
        np.testing.assert_allclose(pred @ a.T + b, true, atol=1e-12)


def test_each_person_is_corrected_with_their_own_eyes():
    rng = np.random.default_rng(3)
    true_eval, true_pool = _gaze(400, 4), _gaze(120, 5)
    people_eval, people_pool = np.repeat(["a", "b"], 200), np.repeat(["a", "b"], 60)
    offsets = {"a": np.array([0.12, 0.0]), "b": np.array([-0.05, 0.15])}  # opposite kappas
    noise = lambda n: rng.normal(0, 0.01, (n, 2))  # noqa: E731
    pred_eval = true_eval + np.array([offsets[p] for p in people_eval]) + noise(400)
    pred_pool = true_pool + np.array([offsets[p] for p in people_pool]) + noise(120)
    before = angular_errors(pred_eval, true_eval).mean()
    result = calibrated_errors(pred_eval, true_eval, people_eval, pred_pool, true_pool, people_pool, ks=(1, 9), draws=5)
    assert before > 5
    for kind in ("offset", "affine"):
        assert result[kind]["9"]["mean"] < 1.5 < before  # one shared correction could not undo opposite offsets
        assert result[kind]["9"]["mean"] <= result[kind]["1"]["mean"]
        assert result[kind]["1"]["std"] > 0  # draws differ


def test_a_person_without_enough_calibration_eyes_is_refused():
    true = _gaze(10, 6)
    with pytest.raises(ValueError, match="has 3 calibration eyes"):
        calibrated_errors(true, true, np.repeat("a", 10), true[:3], true[:3], np.repeat("a", 3), ks=(1, 9))
