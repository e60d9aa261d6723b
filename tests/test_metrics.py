import numpy as np
import pytest

from gazebench.core.images import to_model_tensor
from gazebench.metrics.accuracy import angular_errors, cumulative_curve, summarize_errors
from gazebench.metrics.references import PcaRidge, ceiling_splits, mean_gaze_reference, real_label_ceiling


def test_summary_of_hand_made_errors():
    errors = np.array([1.0, 3.0, 5.0, 6.0, 8.0, 12.0, 20.0])
    summary = summarize_errors(errors)
    assert summary["n"] == 7
    assert summary["mean_angular_error_deg"] == pytest.approx(55.0 / 7)
    assert summary["median_angular_error_deg"] == 6.0
    assert summary["std_angular_error_deg"] == pytest.approx(np.sqrt(np.mean((errors - 55.0 / 7) ** 2)))
    # "within d" counts an error of exactly d as within
    expected = {"3": 2, "5": 3, "7": 4, "10": 5, "15": 6}
    assert summary["within_deg"] == {k: pytest.approx(100.0 * v / 7) for k, v in expected.items()}


@pytest.mark.parametrize("bad", [np.array([]), np.array([1.0, np.nan])])
def test_summary_refuses_empty_or_nan(bad):
    with pytest.raises(ValueError):
        summarize_errors(bad)


def test_cumulative_curve_is_monotone_and_exact():
    errors = np.random.default_rng(0).gamma(2.0, 4.0, 500)
    thresholds, percent = cumulative_curve(errors, max_deg=25, step=0.5)
    assert thresholds[0] == 0.0 and thresholds[-1] == 25.0 and len(thresholds) == 51
    assert np.all(np.diff(percent) >= 0)
    assert percent[thresholds == 7.0][0] == pytest.approx(100.0 * np.mean(errors <= 7.0))


def test_angular_errors_matches_hand_values_and_checks_shapes():
    pred = np.radians([[0.0, 10.0], [5.0, 0.0]])
    true = np.radians([[0.0, 0.0], [-5.0, 0.0]])
    np.testing.assert_allclose(angular_errors(pred, true), [10.0, 10.0], atol=1e-6)
    with pytest.raises(ValueError):
        angular_errors(pred, true[:1])


def test_mean_gaze_reference_on_symmetric_gaze():
    gaze = np.radians([[0.0, -12.0], [0.0, 12.0]])
    np.testing.assert_allclose(mean_gaze_reference(gaze), [12.0, 12.0], atol=1e-6)


def test_mean_gaze_reference_averages_directions_not_angles():
    # (60, 0) and (0, 60) deg: the mean unit vector is (-0.433, -0.433, -0.5), at arccos(sqrt(0.625)) from both;
    # averaging the angles instead, to (30, 30), would give 36.1 and 41.4 deg.
    expected = np.degrees(np.arccos(np.sqrt(0.625)))
    np.testing.assert_allclose(mean_gaze_reference(np.radians([[60.0, 0.0], [0.0, 60.0]])), [expected] * 2, atol=1e-6)


@pytest.mark.slow
def test_real_label_ceiling_is_far_below_mean_gaze_on_p00(p00_dev):
    data = np.load(p00_dev)
    images, gaze = to_model_tensor(data["images"]), data["gaze"]
    mean_gaze = mean_gaze_reference(gaze).mean()
    ceiling, how = real_label_ceiling(images, gaze, folds=5, seed=0)
    assert how == "contiguous blocks in source order"
    assert ceiling.shape == (len(gaze),)
    assert 8.0 < mean_gaze < 9.0  # GUIDE: 8.4 deg
    assert ceiling.mean() < 0.5 * mean_gaze  # GUIDE: about 3.0 deg


def test_fold_strategies_and_the_two_pca_ridge_score_paths():
    grouped, how = ceiling_splits(50, 5)
    assert how == "contiguous blocks in source order" and all(np.ptp(held) == 9 for _, held in grouped)
    shuffled, how = ceiling_splits(50, 5, strategy="shuffled", seed=1)
    assert how == "shuffled" and any(np.ptp(held) > 9 for _, held in shuffled)
    assert sorted(np.concatenate([held for _, held in shuffled])) == list(range(50))
    with pytest.raises(ValueError, match="fold strategy"):
        ceiling_splits(50, 5, strategy="random")
    rng = np.random.default_rng(0)
    x, y = rng.random((60, 40)), rng.normal(size=(60, 2))
    a = PcaRidge(10, 1.0).fit(x, y).predict(x[:5])
    b = PcaRidge(10, 1.0, train_scores="transform").fit(x, y).predict(x[:5])
    np.testing.assert_allclose(a, b, atol=1e-10)  # the same model; only rounding tells them apart
