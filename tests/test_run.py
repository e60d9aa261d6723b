"""`bench run` end to end at tiny sizes: the files a run writes, interruption, real p00 data, bad input."""

import dataclasses
import shutil

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from gazebench.cli.main import cli
from gazebench.core.errors import UserInputError
from gazebench.data import write_own_format
from gazebench.harness import records
from gazebench.harness import run as run_module
from gazebench.harness.run import RunConfig, run_benchmark
from gazebench.report.tables import report_runs

N_SYNTHETIC = 300
TINY = ["--n-synthetic", str(N_SYNTHETIC), "--estimator", "knn", "--estimator", "rf"]


def _eyes(count, seed, size=(35, 55)):
    """Random grey eyes whose brightness depends on the gaze, so estimators have something to learn."""
    rng = np.random.default_rng(seed)
    gaze = rng.uniform(-0.3, 0.3, size=(count, 2)).astype(np.float32)
    images = rng.integers(0, 60, size=(count, *size)).astype(np.int16)
    images[:, :, : size[1] // 2] += (100 + 150 * gaze[:, 1]).astype(np.int16)[:, None, None]
    images[:, : size[0] // 2, :] += (50 + 100 * gaze[:, 0]).astype(np.int16)[:, None, None]
    return np.clip(images, 0, 255).astype(np.uint8), gaze


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """npz specs: labelled synthetic (enough for training + realism hold-out), labelled real, unlabelled real."""
    folder = tmp_path_factory.mktemp("data")
    synthetic = write_own_format(folder / "synthetic.npz", *_eyes(N_SYNTHETIC + 500, seed=1))
    real = write_own_format(folder / "real.npz", *_eyes(200, seed=2, size=(36, 60)))
    unlabelled = write_own_format(folder / "unlabelled.npz", _eyes(50, seed=3)[0], None)
    return {"synthetic": f"npz:{synthetic}", "real": f"npz:{real}", "unlabelled": f"npz:{unlabelled}"}


@pytest.fixture(scope="module")
def finished_run(data, tmp_path_factory):
    """One complete tiny run through the CLI (identity refiner, knn + rf, references and realism on)."""
    out = tmp_path_factory.mktemp("runs")
    args = ["run", "--refiner", "identity", *TINY, "--synthetic", data["synthetic"], "--real", data["real"],
            "--device", "cpu", "--seed", "3", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out, result.output


@pytest.mark.slow
def test_run_writes_every_file_and_prints_its_folder_last(finished_run):
    out, output = finished_run
    run_dir = records.find_run_dirs(out)[0]
    assert output.strip().splitlines()[-1] == str(run_dir)
    for name in ("config.json", "metrics.json", "predictions_knn.csv", "predictions_rf.csv",
                 "cumulative_error.png", "error_by_gaze.png", "samples.png", "done"):
        assert (run_dir / name).is_file(), name
    config, metric_records = records.read_run(run_dir)
    assert config["run"]["seed"] == 3 and config["run"]["n_synthetic"] == N_SYNTHETIC
    # 100 held-out real images: half (at most n_calibration per person) become the calibration pool
    assert config["data"]["test_held_out_of_real"] and config["data"]["n_test"] == 50
    assert config["data"]["n_calibration_pool"] == 50
    assert config["versions"]["torch"] and "commit" in config["git"]
    assert config["cpu"]["model"] and config["cpu"]["torch_capability"] == torch.backends.cpu.get_cpu_capability()
    methods = {r["estimator"]: r for r in metric_records if r["kind"] == "method"}
    references = {r["estimator"] for r in metric_records if r["kind"] == "reference"}
    assert set(methods) == {"knn", "rf"} and references == {"mean_gaze", "real_label_ceiling"}
    knn = methods["knn"]
    assert knn["refiner"] == "identity" and knn["n_train"] == N_SYNTHETIC and knn["n_test"] == 50
    assert set(knn["calibrated"]) == {"offset", "affine"} and set(knn["calibrated"]["offset"]) == {"1", "3", "9", "27"}
    assert {"pitch_bias_deg", "yaw_gain", "pitch_corr"} <= set(knn)
    assert set(knn["within_deg"]) == {"3", "5", "7", "10", "15"}
    assert knn["seconds"] > 0
    # Where the time went, stage by stage; the stages a run of this kind has, each measured.
    assert set(knn["stage_seconds"]) == {"inputs", "refine", "estimate", "references", "realism", "views"}
    assert all(seconds >= 0 for seconds in knn["stage_seconds"].values())
    assert sum(knn["stage_seconds"].values()) <= knn["run_seconds"]
    # The data are learnable (brightness follows gaze): both estimators beat predicting the mean gaze.
    mean_gaze = next(r for r in metric_records if r["estimator"] == "mean_gaze")["mean_angular_error_deg"]
    assert methods["knn"]["mean_angular_error_deg"] < mean_gaze and methods["rf"]["mean_angular_error_deg"] < mean_gaze
    # Identity refines nothing: the refined images are the synthetic ones, in every realism metric.
    assert knn["frechet_real_refined"] == knn["frechet_real_synthetic"]
    assert 0 <= knn["domain_accuracy_pct"] <= 100 and np.isfinite(knn["gaze_drift_mean_deg"])


@pytest.mark.slow
def test_test_and_refiner_images_are_disjoint(data, finished_run):
    run_dir = records.find_run_dirs(finished_run[0])[0]
    config, _ = records.read_run(run_dir)
    data_record = config["data"]
    assert data_record["n_test"] + data_record["n_calibration_pool"] + data_record["n_real_for_refiner"] == 200
    predictions = np.loadtxt(run_dir / "predictions_knn.csv", delimiter=",", skiprows=1)
    assert len(np.unique(predictions[:, 0])) == 50  # test_index column: every evaluated image once
    inputs = run_module._prepare(RunConfig(refiner="identity", estimators=("knn",), synthetic=data["synthetic"],
                                           real=data["real"], n_synthetic=N_SYNTHETIC).resolved())
    assert np.intersect1d(inputs.real_indices, inputs.test_indices).size == 0
    assert np.intersect1d(inputs.calibration_indices, np.r_[inputs.real_indices, inputs.test_indices]).size == 0
    assert set(predictions[:, 0].astype(int)) == set(inputs.test_indices)


def test_too_small_test_set_is_refused_before_writing(data, tmp_path):
    config = RunConfig(refiner="identity", estimators=("knn",), synthetic=data["synthetic"], real=data["real"],
                       n_synthetic=N_SYNTHETIC, n_test=6, device="cpu", out=str(tmp_path / "runs"))
    with pytest.raises(UserInputError, match="has 6 test images; calibration with k up to 27"):
        run_benchmark(config, log=lambda m: None)
    with pytest.raises(UserInputError, match="ceiling needs at least 10"):
        run_benchmark(dataclasses.replace(config, calibration=False), log=lambda m: None)
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_interrupted_run_has_no_done_marker_and_tables_skip_it(data, finished_run, tmp_path, monkeypatch):
    shutil.copytree(finished_run[0], tmp_path, dirs_exist_ok=True)

    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash while plotting")

    monkeypatch.setattr("gazebench.metrics.figures.plot_cumulative_error", crash)
    config = RunConfig(refiner="gaussian", estimators=("knn",), synthetic=data["synthetic"], real=data["real"],
                       n_synthetic=N_SYNTHETIC, device="cpu", out=str(tmp_path), references=False, realism=False,
                       progress=False)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_benchmark(config, log=lambda message: None)
    crashed = [d for d in records.find_run_dirs(tmp_path) if "gaussian" in d.name]
    assert len(crashed) == 1 and not records.is_done(crashed[0])
    warnings = []
    table = report_runs(tmp_path, warn=warnings.append)
    assert "identity" in table and "gaussian" not in table
    assert any(crashed[0].name in w for w in warnings)


@pytest.mark.slow
def test_run_on_real_p00_dev(p00_dev, data, tmp_path):
    config = RunConfig(refiner="identity", estimators=("knn",), synthetic=data["synthetic"], real=f"npz:{p00_dev}",
                       n_synthetic=N_SYNTHETIC, device="cpu", out=str(tmp_path), references=False, realism=False,
                       progress=False)
    messages = []
    run_dir = run_benchmark(config, log=messages.append)
    (knn,) = records.read_run(run_dir)[1]
    assert knn["estimator"] == "knn" and knn["real_test"] == f"npz:{p00_dev}"
    # half of p00's 1500 images held out, 60 of them the calibration pool
    assert knn["n_test"] == 690 and not knn["real_is_stand_in"]
    assert not any("STAND-IN" in m for m in messages)


@pytest.mark.slow
def test_default_real_domain_is_announced_as_a_stand_in(tmp_path):
    config = RunConfig(refiner="identity", estimators=("knn",), n_synthetic=N_SYNTHETIC, n_test=100, n_real=100,
                       device="cpu", out=str(tmp_path), references=False, realism=False, progress=False)
    messages = []
    run_dir = run_benchmark(config, log=messages.append)
    assert any("STAND-IN" in m for m in messages)
    _, metric_records = records.read_run(run_dir)
    assert metric_records[0]["real_is_stand_in"] and "stand-in" in metric_records[0]["real_test"]
    assert metric_records[0]["synthetic"] == f"sim?n={N_SYNTHETIC}&seed=0"


@pytest.mark.parametrize("problem, args, message", [
    ("unlabelled real without a test set", ["--real", "UNLABELLED"], "no gaze labels"),
    ("unlabelled test set", ["--real", "REAL", "--real-test", "UNLABELLED"], "no gaze labels"),
    ("unknown estimator", ["--real", "REAL", "--estimator", "svm"], "svm"),
    ("unknown refiner", ["--real", "REAL", "--refiner", "cyclegan"], "cyclegan"),
])
def test_bad_input_exits_2_and_writes_nothing(data, tmp_path, problem, args, message):
    args = [data["unlabelled"] if a == "UNLABELLED" else data["real"] if a == "REAL" else a for a in args]
    result = CliRunner().invoke(cli, ["run", "--refiner", "identity", *TINY[:2], "--synthetic", data["synthetic"],
                                      "--device", "cpu", "--out", str(tmp_path / "runs"), *args])
    assert result.exit_code == 2, problem
    assert message in result.output
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_too_few_synthetic_images_is_a_user_error(data, tmp_path):
    config = RunConfig(refiner="identity", estimators=("knn",), synthetic=data["synthetic"], real=data["real"],
                       n_synthetic=10_000, device="cpu", out=str(tmp_path))
    with pytest.raises(UserInputError, match="needs"):
        run_benchmark(config, log=lambda message: None)


def test_synthetic_spec_template_gets_the_runs_count_and_seed():
    config = RunConfig(refiner="identity", estimators=("knn",), synthetic="sim?n={n}&seed={seed}&prior=uniform",
                       n_synthetic=300, seed=4).resolved()
    assert config.synthetic == f"sim?n={300 + config.n_realism}&seed=4&prior=uniform"
    with pytest.raises(UserInputError, match="braces"):
        RunConfig(estimators=("knn",), synthetic="sim?n={count}").resolved()
