"""`bench refine` and `bench perf refiner`: bad inputs end in one sentence and exit 2; good ones save a refiner."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from gazebench.cli.main import cli
from gazebench.core.errors import UserInputError
from gazebench.refiners.registry import create_refiner, load_refiner


@pytest.fixture
def eyes(tmp_path):
    """Two npz sources at MPIIGaze's native 36 x 60: 40 'synthetic' (labelled) and 40 or 10 'real' images."""
    rng = np.random.default_rng(0)
    paths = {}
    for name, n in [("synthetic", 40), ("real", 40), ("few_real", 10)]:
        images = rng.integers(0, 256, size=(n, 36, 60), dtype=np.uint8)
        gaze = np.zeros((n, 2), dtype=np.float32)
        np.savez(tmp_path / f"{name}.npz", images=images, gaze=gaze)
        paths[name] = f"npz:{tmp_path / name}.npz"
    return paths


def bench(*args):
    return CliRunner().invoke(cli, list(args))


def refine(eyes, tmp_path, refiner, real="real", *extra):
    return bench(
        "refine", "--refiner", refiner, "--synthetic", eyes["synthetic"], "--real", eyes[real],
        "--out", str(tmp_path / "out"), *extra,
    )


def test_unknown_refiner_lists_known_names(eyes, tmp_path):
    result = refine(eyes, tmp_path, "cyclegan")
    assert result.exit_code == 2
    assert "simgan_local" in result.output and "Traceback" not in result.output


def test_fewer_real_images_than_a_batch(eyes, tmp_path):
    result = refine(eyes, tmp_path, "simgan_local", "few_real")
    assert result.exit_code == 2 and "at least one batch" in result.output


def test_resume_from_another_refiners_checkpoint(eyes, tmp_path):
    create_refiner("simgan_global").save(tmp_path / "out")
    result = refine(eyes, tmp_path, "simgan_local", "real", "--resume")
    assert result.exit_code == 2 and "simgan_global" in result.output


def test_unknown_preset(eyes, tmp_path):
    result = refine(eyes, tmp_path, "gaussian", "real", "--preset", "tpu")
    assert result.exit_code == 2 and "cpu" in result.output


def test_gaussian_trains_and_saves(eyes, tmp_path):
    result = refine(eyes, tmp_path, "gaussian")
    assert result.exit_code == 0, result.output
    refiner = load_refiner(tmp_path / "out")
    assert refiner.name == "gaussian" and refiner.config["fitted_noise_std"] is not None


def test_perf_refiner_prints_json():
    result = bench("perf", "refiner", "--device", "cpu", "--batch", "4", "--iters", "1", "--no-compare")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["fast_path"]["images_per_s"] > 0 and report["batch"] == 4


def test_unfinished_and_corrupt_checkpoints_are_refused(eyes, tmp_path):
    out = tmp_path / "out"
    refiner = create_refiner("simgan_local", batch_size=8, refiner_channels=8, refiner_blocks=1,
                             pretrain_refiner_steps=2, pretrain_discriminator_steps=1, adversarial_steps=2)
    refiner.save(out)  # step 0 of 5: what an interrupted `bench refine` leaves behind
    with pytest.raises(UserInputError, match="stopped at step 0 of 5"):
        load_refiner(out)
    (out / "checkpoint.pt").write_bytes(b"not a checkpoint")
    result = bench("run", "--refiner-checkpoint", str(out), "--real", eyes["real"], "--out", str(tmp_path / "runs"))
    assert result.exit_code == 2 and "not a readable checkpoint" in result.output and "Traceback" not in result.output
