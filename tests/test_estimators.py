import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from gazebench.cli.main import cli
from gazebench.core.device import cpu_bf16_native
from gazebench.core.errors import UserInputError
from gazebench.core.presets import list_presets
from gazebench.estimators.cnn import GazeNet
from gazebench.estimators.registry import ESTIMATORS, create_estimator
from gazebench.metrics.accuracy import angular_errors
from gazebench.metrics.references import mean_gaze_reference

CPU = torch.device("cpu")
TINY_CNN = {"channels": (4, 4, 8, 8, 16), "fc_hidden": 32, "batch_size": 32, "lr": 3e-3}



def _spot_images(n: int, seed: int):
    """A learnable toy task: a bright spot on a dark background whose position encodes pitch and yaw."""
    rng = np.random.default_rng(seed)
    gaze = rng.uniform(-0.35, 0.35, size=(n, 2)).astype(np.float32)
    rows, cols = np.mgrid[0:35, 0:55]
    centre_row = 17 - 25 * gaze[:, 0]  # looking up (pitch > 0) moves the spot up
    centre_col = 27 - 50 * gaze[:, 1]
    d2 = (rows[None] - centre_row[:, None, None]) ** 2 + (cols[None] - centre_col[:, None, None]) ** 2
    images = 2.0 * np.exp(-d2 / 18.0) - 1.0
    return torch.as_tensor(images, dtype=torch.float32).unsqueeze(1), gaze


def test_registry_names_are_the_estimators_own():
    assert all(cls.name == name for name, cls in ESTIMATORS.items())


@pytest.mark.parametrize(
    "name, kwargs", [("svm", {}), ("cnn", {"preset": "huge"}), ("rf", {"n_trees": 3})]
)
def test_bad_names_are_user_errors(name, kwargs):
    with pytest.raises(UserInputError, match="expected"):
        create_estimator(name, **kwargs)


def test_paper_widths_flatten_to_9600():
    assert GazeNet((35, 55)).flatten_size == 9600


def test_configs_say_preset_and_features():
    for name in ESTIMATORS:
        for preset in list_presets():
            config = create_estimator(name, preset=preset, seed=3).config
            assert config["preset"] == preset and config["seed"] == 3
    assert "lighter" in create_estimator("cnn", preset="cpu").config["preset_note"]
    assert "paper" in create_estimator("cnn", preset="paper").config["preset_note"]
    assert "PCA" in create_estimator("knn").config["features"]


def test_cnn_shapes_and_same_seed_same_numbers():
    images, gaze = _spot_images(64, seed=0)
    predictions = []
    for _ in range(2):
        model = create_estimator("cnn", seed=5, epochs=1, **TINY_CNN)
        with pytest.raises(RuntimeError):
            model.predict(images, device=CPU)
        model.fit(images, gaze, device=CPU, progress=False)
        predictions.append(model.predict(images[:10], device=CPU))
    assert predictions[0].shape == (10, 2) and predictions[0].dtype == np.float32
    np.testing.assert_array_equal(predictions[0], predictions[1])
    assert model.features(images[:7], device=CPU).shape == (7, TINY_CNN["fc_hidden"])
    assert model.config["steps_trained"] == 2 and model.config["flatten_size"] == 16 * 5 * 10


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, overrides",
    [("cnn", {"epochs": 6, **TINY_CNN}), ("rf", {"n_estimators": 20}), ("knn", {})],
)
def test_short_fit_on_toy_task_beats_the_mean(name, overrides):
    train_images, train_gaze = _spot_images(512, seed=1)
    test_images, test_gaze = _spot_images(128, seed=2)
    model = create_estimator(name, seed=0, **overrides)
    model.fit(train_images, train_gaze, device=CPU, progress=False)
    errors = angular_errors(model.predict(test_images, device=CPU), test_gaze)
    assert errors.mean() < 0.5 * mean_gaze_reference(test_gaze).mean()


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_every_registered_estimator_keeps_the_interface(name):
    # Each estimator declares its own tiny sizes (TINY_SETTINGS); a new one is covered by registering it.
    images, gaze = _spot_images(64, seed=4)
    runs = []
    for _ in range(2):
        model = create_estimator(name, seed=2, **ESTIMATORS[name].TINY_SETTINGS)
        model.fit(images, gaze, device=CPU, progress=False)
        runs.append(model.predict(images[:9], device=CPU))
    assert runs[0].shape == (9, 2) and runs[0].dtype == np.float32 and np.isfinite(runs[0]).all()
    np.testing.assert_array_equal(runs[0], runs[1])  # seeded: same data, same predictions
    assert model.name == name and model.config["preset"] == "cpu" and model.config["seed"] == 2


def test_perf_cnn_times_the_preset_path_beside_plain_fp32():
    result = CliRunner().invoke(cli, ["perf", "cnn", "--device", "cpu", "--preset", "standard", "--steps", "1"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["preset_path"]["dtype"] == "fp32" and report["preset_path"]["images_per_s"] > 0  # standard: fp32
    assert report["fp32_contiguous"]["images_per_s"] > 0 and report["speedup_vs_fp32"] > 0 and report["batch"] == 64
    cpu = json.loads(CliRunner().invoke(cli, ["perf", "cnn", "--device", "cpu", "--steps", "1"]).output)
    assert cpu["preset_path"]["dtype"] == ("bf16 autocast" if cpu_bf16_native() else "fp32")
    refused = CliRunner().invoke(cli, ["perf", "cnn", "--device", "cpu", "--steps", "0"])
    assert refused.exit_code == 2 and "--steps must be at least 1" in refused.output
