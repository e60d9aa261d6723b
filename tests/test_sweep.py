"""`bench sweep`: grid expansion, skipping what is done, failed cells, kill-and-resume, and the SLURM path through
submitit's own local executor."""

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from gazebench.cli.main import cli
from gazebench.core.errors import UserInputError
from gazebench.harness import records, sweep
from gazebench.harness.run import RunConfig

# Tiny cells: 300 renders, kNN, no realism, references or calibration: a few seconds each.
TINY = ["--estimator", "knn", "--n-synthetic", "300", "--no-realism", "--no-references", "--no-calibration"]


def _sweep(out, *args):
    return CliRunner().invoke(cli, ["sweep", *TINY, "--out", str(out), *args])


def _runs(out):
    return sorted(p.name for p in Path(out).iterdir() if (p / records.CONFIG_FILE).is_file())


def test_seeds_and_cells():
    assert sweep.parse_seeds("0-2,7") == [0, 1, 2, 7]
    with pytest.raises(UserInputError, match="expected seeds like"):
        sweep.parse_seeds("a-b")
    cells = sweep.expand(RunConfig(estimators=("knn",)), ["identity", "gaussian", "identity"], [0, 1])
    assert [(c.refiner, c.seed) for c, _ in cells] == [("identity", 0), ("identity", 1), ("gaussian", 0), ("gaussian", 1)]
    assert cells[0][0].digest == cells[1][0].digest != cells[2][0].digest  # seeds share a setting, refiners do not


def test_a_refiners_settings_reach_only_its_own_cells_and_typos_are_still_refused():
    base = RunConfig(estimators=("knn",))
    plain = {c.refiner: c.digest for c, _ in sweep.expand(base, ["fda", "simgan_global"], [0])}
    tuned = sweep.expand(dataclasses.replace(base, settings={"simgan_global": {"lr": 0.002}}), ["fda", "simgan_global"], [0])
    by_refiner = {cell.refiner: (cell, config) for cell, config in tuned}
    assert by_refiner["fda"][1].settings == {} and by_refiner["fda"][0].digest == plain["fda"]  # fda's cell as without it
    assert by_refiner["simgan_global"][1].settings == {"simgan_global": {"lr": 0.002}}
    assert by_refiner["simgan_global"][0].digest != plain["simgan_global"]
    with pytest.raises(UserInputError, match="simgan_local is not `run`"):  # a refiner the sweep does not run
        sweep.expand(dataclasses.replace(base, settings={"simgan_local": {"lr": 0.002}}), ["fda"], [0])


@pytest.mark.slow
def test_a_sweep_runs_each_cell_once_and_a_second_start_runs_nothing(tmp_path):
    result = _sweep(tmp_path, "--refiner", "identity,gaussian", "--seeds", "0-1")
    assert result.exit_code == 0, result.output
    assert "4 cells: 0 done, 4 to run" in result.output
    first = _runs(tmp_path)
    assert len(first) == 4 and all(records.is_done(tmp_path / name) for name in first)
    again = _sweep(tmp_path, "--refiner", "identity,gaussian", "--seeds", "0-1")
    assert "4 cells: 4 done, 0 to run" in again.output and _runs(tmp_path) == first
    # another setting is another cell, never mistaken for a done one
    other = _sweep(tmp_path, "--refiner", "identity", "--seeds", "0", "--calibration-k", "1")
    assert "1 cells: 0 done, 1 to run" in other.output
    status = CliRunner().invoke(cli, ["sweep", "--status", str(tmp_path)])
    assert "done: 5" in status.output  # both sweeps into this folder
    table = CliRunner().invoke(cli, ["table", str(tmp_path), "--table", "methods"])
    assert table.exit_code == 0 and "gaussian" in table.output


@pytest.mark.slow
def test_a_failed_cell_is_reported_and_does_not_stop_the_others(tmp_path):
    result = _sweep(tmp_path, "--refiner", "identity,no_such_refiner", "--seeds", "0")
    assert result.exit_code == 2
    assert "1 of 2 cells failed (no_such_refiner_seed0_" in result.output
    assert len(_runs(tmp_path)) == 1  # identity finished
    failed = list((tmp_path / sweep.FAILED_DIR).glob("no_such_refiner_seed0_*.txt"))
    assert len(failed) == 1 and "no_such_refiner" in failed[0].read_text()
    status = CliRunner().invoke(cli, ["sweep", "--status", str(tmp_path)]).output
    assert "done: 1" in status and "failed: 1" in status


@pytest.mark.slow
def test_a_killed_sweep_started_again_finishes_only_what_is_missing(tmp_path, tmp_path_factory):
    args = [sys.executable, "-m", "gazebench.cli.main", "sweep", *TINY, "--refiner", "identity", "--seeds", "0-2",
            "--out", str(tmp_path)]
    process = subprocess.Popen(args, cwd=Path(__file__).resolve().parents[1], start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:  # wait for the first finished cell (a state, not a time), then kill the whole sweep
        while not any(records.is_done(tmp_path / name) for name in _runs(tmp_path)):
            assert process.poll() is None, "the sweep ended before it could be killed"
            time.sleep(0.2)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    done_before = {name for name in _runs(tmp_path) if records.is_done(tmp_path / name)}
    assert 1 <= len(done_before) < 3
    result = _sweep(tmp_path, "--refiner", "identity", "--seeds", "0-2")
    assert result.exit_code == 0 and f"3 cells: {len(done_before)} done" in result.output
    done_after = {name for name in _runs(tmp_path) if records.is_done(tmp_path / name)}
    assert done_before < done_after and len(done_after) == 3  # the finished cells were not run again
    # The killed cell continued in its own folder, and the tables equal an uninterrupted sweep's.
    assert len(_runs(tmp_path)) == 3
    whole = tmp_path_factory.mktemp("uninterrupted")  # outside tmp_path: tables read every run folder below theirs
    assert _sweep(whole, "--refiner", "identity", "--seeds", "0-2").exit_code == 0
    tables = [CliRunner().invoke(cli, ["table", str(out), "--table", "all"]) for out in (tmp_path, whole)]
    assert all(t.exit_code == 0 for t in tables) and "identity" in tables[0].stdout
    assert tables[0].stdout == tables[1].stdout


@pytest.mark.slow
def test_the_slurm_path_runs_through_submitits_local_executor(tmp_path):
    base = RunConfig(estimators=("knn",), n_synthetic=300, realism=False, references=False, calibration=False,
                     out=str(tmp_path))
    cells = sweep.expand(base, ["identity", "gaussian"], [0])
    jobs = {key: job.job_id for key, job in sweep.submit_slurm(cells, tmp_path, partition=None, time_min=5, cpus=1, gpus=0,
                                                                array_parallelism=2, cluster="local").items()}
    assert set(jobs) == {cell.key for cell, _ in cells}
    sweep.write_manifest(tmp_path, cells, "slurm", jobs)
    import submitit

    # The submitted jobs, found again by id in the sweep folder as --status does. A job rebuilt from its id does not
    # own the process, so its result() does not wait for it: wait for the result file first (a slow machine).
    deadline = time.monotonic() + 300
    for job_id in jobs.values():
        job = submitit.LocalJob(folder=tmp_path / sweep.SLURM_DIR, job_id=job_id)
        while not job.paths.result_pickle.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        job.result()
    states = sweep.status(tmp_path)
    assert set(states) == {"done"} and sorted(states["done"]) == sorted(jobs)
    assert list((tmp_path / sweep.SLURM_DIR).glob("*_log.out"))  # submitit's per-cell logs


def test_local_parallelism_is_bounded_by_cores_and_memory():
    assert sweep.local_workers("standard", cores=16, memory_gb=100) == 8  # 2 threads a cell
    assert sweep.local_workers("standard", cores=16, memory_gb=10) == 2  # 4 GB a standard cell
    assert sweep.local_workers("paper", cores=2, memory_gb=1) == 1  # never fewer than one


@pytest.mark.slow
def test_the_refiners_of_one_seed_share_the_unrefined_and_oracle_cnn_fits(tmp_path):
    """A sweep keeps the CNN fits that do not depend on the refiner (on the unrefined renders, on the oracle) in
    OUT/shared_fits: the second refiner of a seed takes them up instead of training them again, and reads the same
    errors from them as a run that trains its own."""
    tiny_cnn = ["--estimator", "cnn", "--real", "sim?style=appearance&seed=100000", "--set", "run.n_synthetic=256",
                "--set", "run.n_test=64", "--set", "cnn.epochs=1", "--no-realism", "--no-references", "--no-calibration"]
    result = CliRunner().invoke(cli, ["sweep", *tiny_cnn, "--refiner", "gaussian,histogram", "--seeds", "0", "--workers", "1",
                                      "--out", str(tmp_path / "sweep")])
    assert result.exit_code == 0, result.output
    shared = sorted(p.name.split("_")[0] for p in (tmp_path / "sweep" / sweep.SHARED_FITS_DIR).glob("*.pt"))
    assert shared == ["oracle", "unrefined"]
    logs = {path.name.split("_")[0]: path.read_text() for path in (tmp_path / "sweep" / sweep.LOGS_DIR).glob("*.log")}
    assert "taking up" not in logs["gaussian"] and logs["histogram"].count("taking up the fit") == 2
    alone = CliRunner().invoke(cli, ["run", *tiny_cnn, "--refiner", "histogram", "--out", str(tmp_path / "alone")])
    assert alone.exit_code == 0, alone.output

    def errors(folder):
        (run_dir,) = [d for d in records.find_run_dirs(folder) if "histogram" in d.name]
        method = next(r for r in records.read_run(run_dir)[1] if r["kind"] == "method")
        return method["unrefined_error_deg"], method["oracle_error_deg"]

    assert errors(tmp_path / "sweep") == errors(tmp_path / "alone")  # bit-identical on the CPU


@pytest.mark.slow
def test_a_cell_of_other_estimators_takes_up_the_refiner_a_cell_of_the_same_inputs_trained(tmp_path):
    """A refiner that learns weights is kept in OUT/shared_fits once trained: a later cell of the same refiner settings,
    seed and images (here: the same sweep again with another estimator) takes it up instead of training it again, and
    its estimator reads the same errors as a run that trains its own refiner."""
    tiny = ["--refiner", "simgan_local", "--n-synthetic", "300", "--no-realism", "--no-references", "--no-calibration",
            *[arg for key, value in (("pretrain_refiner_steps", 2), ("pretrain_discriminator_steps", 1),
                                     ("adversarial_steps", 3)) for arg in ("--set", f"simgan_local.{key}={value}")]]
    for estimator in ("knn", "rf"):
        result = CliRunner().invoke(cli, ["sweep", *tiny, "--estimator", estimator, "--seeds", "0", "--workers", "1",
                                          "--out", str(tmp_path / "sweep")])
        assert result.exit_code == 0, result.output
    (shared,) = (tmp_path / "sweep" / sweep.SHARED_FITS_DIR).glob("refiner_simgan_local_*")
    taken_up = {}
    for run_dir in records.find_run_dirs(tmp_path / "sweep"):
        config, metric_records = records.read_run(run_dir)
        taken_up[config["run"]["estimators"][0]] = config["refiner"].get("taken_up_from")
        assert (run_dir / "refiner" / "checkpoint.pt").is_file()
    assert taken_up == {"knn": None, "rf": str(shared)}
    # A sweep of its own (cells train at the sweep's thread count, which the refiner's numbers depend on) trains it.
    alone = CliRunner().invoke(cli, ["sweep", *tiny, "--estimator", "rf", "--seeds", "0", "--workers", "1",
                                     "--out", str(tmp_path / "alone")])
    assert alone.exit_code == 0, alone.output
    assert list((tmp_path / "alone" / sweep.SHARED_FITS_DIR).glob("refiner_*/checkpoint.pt"))  # trained there

    def rf_error(folder):
        (run_dir,) = [d for d in records.find_run_dirs(folder) if records.read_run(d)[0]["run"]["estimators"] == ["rf"]]
        return next(r for r in records.read_run(run_dir)[1] if r["kind"] == "method")["mean_angular_error_deg"]

    assert rf_error(tmp_path / "sweep") == rf_error(tmp_path / "alone")  # bit-identical on the CPU
