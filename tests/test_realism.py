import numpy as np
import pytest
import scipy.linalg
import torch

from gazebench.estimators.base import GazeEstimator
from gazebench.metrics.realism import domain_classifier_accuracy, frechet_distance, gaze_drift_deg

CPU = torch.device("cpu")



def test_frechet_distance_is_zero_for_identical_features():
    features = np.random.default_rng(0).normal(size=(200, 8))
    assert frechet_distance(features, features) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_one_dimensional_by_hand():
    a = np.array([[0.0], [1.0], [2.0], [3.0]])  # mean 1.5, sample variance 5/3
    b = np.array([[1.0], [3.0], [5.0], [7.0]])  # mean 4.0, sample variance 20/3
    # (1.5 - 4)^2 + (sqrt(5/3) - sqrt(20/3))^2 = 6.25 + 5/3
    assert frechet_distance(a, b) == pytest.approx(6.25 + 5.0 / 3.0)


def test_frechet_distance_matches_the_textbook_sqrtm_formula():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(300, 5)) @ rng.normal(size=(5, 5))
    b = rng.normal(size=(300, 5)) @ rng.normal(size=(5, 5)) + 0.5
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    textbook = np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(cov_a + cov_b - 2 * scipy.linalg.sqrtm(cov_a @ cov_b).real)
    assert frechet_distance(a, b) == pytest.approx(textbook, rel=1e-6)
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-6)


def _blob_images(n, seed, sharpness):
    """Random bright blobs on a dark background; `sharpness` sets how crisp their edges are."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:35, 0:55]
    centres = rng.uniform([8, 10], [27, 45], size=(n, 2))
    d2 = (rows[None] - centres[:, 0, None, None]) ** 2 + (cols[None] - centres[:, 1, None, None]) ** 2
    images = np.tanh(sharpness * (30.0 - d2) / 30.0) + rng.normal(0, 0.05, d2.shape)
    return torch.as_tensor(images, dtype=torch.float32).clamp(-1, 1).unsqueeze(1)


@pytest.mark.slow
def test_domain_classifier_is_at_chance_on_one_distribution():
    accuracy = domain_classifier_accuracy(_blob_images(200, 0, 1.0), _blob_images(200, 1, 1.0), seed=0, device=CPU, steps=100)
    assert 35.0 <= accuracy <= 65.0


def test_domain_classifier_separates_different_distributions():
    accuracy = domain_classifier_accuracy(_blob_images(200, 0, 1.0), _blob_images(200, 1, 4.0), seed=0, device=CPU, steps=100)
    assert accuracy >= 95.0


class _ConstantEstimator(GazeEstimator):
    """Predicts one fixed gaze for every image, so the drift is known by hand."""

    name = "constant"

    def __init__(self, pitchyaw):
        self.pitchyaw = np.asarray(pitchyaw, dtype=np.float32)

    def fit(self, images, gaze, *, device, progress=True):
        pass

    def predict(self, images, *, device):
        return np.tile(self.pitchyaw, (len(images), 1))

    @property
    def config(self):
        return {}


def test_gaze_drift_is_the_angle_between_label_and_prediction():
    labels = np.radians([[0.0, 0.0], [0.0, 10.0], [-20.0, 0.0]]).astype(np.float32)
    drift = gaze_drift_deg(_ConstantEstimator([0.0, 0.0]), labels, torch.zeros(3, 1, 35, 55), device=CPU)
    np.testing.assert_allclose(drift, [0.0, 10.0, 20.0], atol=1e-4)
